package api_test

// Requests that are not GraphQL, or not well formed: each is the client's
// mistake, answered with a 4xx status and extensions.code BAD_REQUEST, and
// logged once at WARN with a bounded excerpt, never at ERROR and never with
// the whole body.

import (
	"crypto/sha256"
	"encoding/hex"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/jmoiron/sqlx"

	"catalogue/db"
	"catalogue/internal/api"
	"catalogue/internal/auth"
)

// newServer serves api.New over x with cfg, logging into serverLog and
// accepting the suite's bearer tokens.
func newServer(t testing.TB, x *sqlx.DB, cfg api.Config) *httptest.Server {
	t.Helper()
	store := db.NewStore(x)
	verifier, err := auth.NewTokenVerifier(auth.TokenConfig{HS256Secret: tokenSecret})
	if err != nil {
		t.Fatal(err)
	}
	cfg.Auth = auth.NewAuthenticator(store, verifier, auth.CacheConfig{})
	srv := httptest.NewServer(api.New(store, slog.New(&captureHandler{store: serverLog}), cfg))
	t.Cleanup(srv.Close)
	return srv
}

// wantQuietRefusal asserts what the server logged about a refused request:
// at least one WARN line, nothing at ERROR, no line longer than a bounded
// excerpt allows, and none that repeats secret (a part of the request that
// must not be logged whole).
func wantQuietRefusal(t testing.TB, r *response, secret string) {
	t.Helper()
	lines := serverLog.records(r.RequestID)
	warned := false
	for _, l := range lines {
		if strings.HasPrefix(l, "ERROR") {
			t.Errorf("a client's mistake is logged at ERROR: %s", truncate(l, 300))
		}
		if strings.HasPrefix(l, "WARN") {
			warned = true
		}
		if len(l) > 1000 {
			t.Errorf("a log line of %d bytes: the excerpt must be bounded: %s", len(l), truncate(l, 300))
		}
		if secret != "" && strings.Contains(l, secret) {
			t.Errorf("the log repeats the request: %s", truncate(l, 300))
		}
	}
	if !warned {
		t.Errorf("no WARN line for a refused request\n%s", r.describe())
	}
}

func TestMalformedRequestsAreBadRequests(t *testing.T) {
	// A long tail that must never reach the log or the answer.
	tail := strings.Repeat("x", 4000) + "END-OF-BODY"
	cases := []struct {
		name, method, contentType string
		target                    string // path and query
		body                      string
		status                    int
		message                   string // part of the error message
	}{
		{"body that is not JSON", "POST", "application/json", "/graphql", `query { tenants { totalCount } } ` + tail, 400, "not valid JSON"},
		{"truncated JSON", "POST", "application/json", "/graphql", `{"query": "{ __typename }` + tail, 400, "not valid JSON"},
		{"a batch with an entry that is not an operation", "POST", "application/json", "/graphql", `[{"query": "{ __typename }"}, 42]`, 400, "is not a JSON object"},
		{"JSON string", "POST", "application/json", "/graphql", `"{ __typename }` + tail + `"`, 400, "JSON object"},
		{"query that is a number", "POST", "application/json", "/graphql", `{"query": 42, "x": "` + tail + `"}`, 400, "query"},
		{"variables that are a string", "POST", "application/json", "/graphql", `{"query": "{ __typename }", "variables": "` + tail + `"}`, 400, "variables"},
		{"operationName that is an object", "POST", "application/json", "/graphql", `{"query": "{ __typename }", "operationName": {}}`, 400, "operationName"},
		{"extensions that are a list", "POST", "application/json", "/graphql", `{"query": "{ __typename }", "extensions": []}`, 400, "extensions"},
		{"data after the object", "POST", "application/json", "/graphql", `{"query": "{ __typename }"} {"query": "` + tail + `"}`, 400, "after the JSON object"},
		{"empty body", "POST", "application/json", "/graphql", ``, 400, "empty"},
		{"body that is not UTF-8", "POST", "application/json", "/graphql", "{\"query\": \"{ __typename }\xff\xfe" + tail + "\"}", 400, "UTF-8"},
		{"text/plain body", "POST", "text/plain", "/graphql", `{"query": "{ __typename }"}`, 415, "application/json"},
		{"no content type", "POST", "", "/graphql", `{"query": "{ __typename }"}`, 415, "application/json"},
		{"GET with variables that are not JSON", "GET", "", "/graphql?" + url.Values{"query": {"{ __typename }"}, "variables": {"{" + tail}}.Encode(), "", 400, "variables"},
		{"GET with variables that are a list", "GET", "", "/graphql?" + url.Values{"query": {"{ __typename }"}, "variables": {"[1]"}}.Encode(), "", 400, "variables"},
		{"GET with extensions that are not JSON", "GET", "", "/graphql?" + url.Values{"query": {"{ __typename }"}, "extensions": {"{"}}.Encode(), "", 400, "extensions"},
		{"GET with a query that is not UTF-8", "GET", "", "/graphql?query=%7B%20__typename%20%FF%7D", "", 400, "UTF-8"},
		{"GET with a malformed query string", "GET", "", "/graphql?query=%7B%20__typename%7D&x=%zz", "", 400, "query string"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := rawRequest(t, c.method, c.target, c.contentType, []byte(c.body), nil)
			if r.Status != c.status {
				t.Errorf("HTTP %d, want %d\n%s", r.Status, c.status, r.describe())
			}
			e := wantErrorCode(t, r, api.CodeBadRequest)
			if !strings.Contains(e.Message, c.message) {
				t.Errorf("message %q should mention %q", e.Message, c.message)
			}
			if strings.Contains(string(r.Body), "END-OF-BODY") {
				t.Errorf("the answer repeats the request body: %s", truncate(string(r.Body), 300))
			}
			wantQuietRefusal(t, r, "END-OF-BODY")
			if n := serverLog.accessLogStatements(t, r.RequestID); n != 0 {
				t.Errorf("a malformed request ran %d SQL statements", n)
			}
		})
	}
}

// TestBadBytesInCredentialHeadersAre400: credentials travel to PostgreSQL,
// which refuses bytes that are not UTF-8; such a header is the client's
// mistake, answered before any credential is looked up.
func TestBadBytesInCredentialHeadersAre400(t *testing.T) {
	body := jsonBody(t, map[string]any{"query": `{ __typename }`})
	cases := []struct{ header, value string }{
		{"Authorization", "key\xff:secret"},
		{"Authorization", "Bearer abc\xff"},
		{"X-Tenant", "acme\xffmusic"},
		{"Enterprise-Id", "\xff\xfe"},
	}
	for _, c := range cases {
		t.Run(c.header+" "+strings.ToValidUTF8(c.value, "?"), func(t *testing.T) {
			h := http.Header{}
			h.Set(c.header, c.value)
			r := rawRequest(t, http.MethodPost, "/graphql", "application/json", body, h)
			if r.Status != http.StatusBadRequest {
				t.Errorf("HTTP %d, want 400\n%s", r.Status, r.describe())
			}
			e := wantErrorCode(t, r, api.CodeBadRequest)
			if !strings.Contains(e.Message, c.header) {
				t.Errorf("message %q should name the header %s", e.Message, c.header)
			}
			wantQuietRefusal(t, r, "")
			if n := serverLog.accessLogStatements(t, r.RequestID); n != 0 {
				t.Errorf("a request with a malformed credential ran %d statements", n)
			}
		})
	}
}

// TestAPQHashMismatchIsBadRequest: a persisted-query hash that does not
// match the query sent with it is the client's mistake.
func TestAPQHashMismatchIsBadRequest(t *testing.T) {
	r := rawRequest(t, http.MethodPost, "/graphql", "application/json", []byte(
		`{"query": "{ __typename }", "extensions": {"persistedQuery": {"version": 1, "sha256Hash": "abc"}}}`), nil)
	if r.Status != http.StatusBadRequest {
		t.Errorf("HTTP %d, want 400\n%s", r.Status, r.describe())
	}
	e := wantErrorCode(t, r, api.CodeBadRequest)
	if !strings.Contains(e.Message, "hash") {
		t.Errorf("message %q should say the hash does not match", e.Message)
	}
	wantQuietRefusal(t, r, "")

	// The real hash registers the query; the hash alone then runs it.
	sum := sha256.Sum256([]byte(`{ __typename }`))
	hash := hex.EncodeToString(sum[:])
	r = rawRequest(t, http.MethodPost, "/graphql", "application/json", []byte(
		`{"query": "{ __typename }", "extensions": {"persistedQuery": {"version": 1, "sha256Hash": "`+hash+`"}}}`), nil)
	mustData(t, r, nil)
	r = rawRequest(t, http.MethodPost, "/graphql", "application/json", []byte(
		`{"extensions": {"persistedQuery": {"version": 1, "sha256Hash": "`+hash+`"}}}`), nil)
	mustData(t, r, nil)
}

// TestRequestErrorStatusFollowsMediaType: the GraphQL-over-HTTP spec wants
// 200 for every well-formed request answered as application/json, GraphQL
// errors included, and 400 for a request error (parse, validation, a limit)
// answered as application/graphql-response+json. A body that is not a
// GraphQL-over-HTTP request at all is 400 either way.
func TestRequestErrorStatusFollowsMediaType(t *testing.T) {
	deep := `{ tenant(slug: "acme-music") { ` + strings.Repeat("parent { ", 30) + "id" + strings.Repeat(" }", 30) + " } }"
	cases := []struct {
		name, body, code string
	}{
		{"parse error", string(jsonBody(t, map[string]any{"query": `{ tenants { `})), "GRAPHQL_PARSE_FAILED"},
		{"validation error", string(jsonBody(t, map[string]any{"query": `{ tenants { nope } }`})), "GRAPHQL_VALIDATION_FAILED"},
		{"variable of the wrong type", string(jsonBody(t, map[string]any{"query": `query($n: Int) { tenants(first: $n) { totalCount } }`, "variables": map[string]any{"n": "ten"}})), "GRAPHQL_VALIDATION_FAILED"},
		{"depth limit", string(jsonBody(t, map[string]any{"query": deep})), api.CodeBadUserInput},
		{"malformed JSON", `{"query": `, api.CodeBadRequest},
	}
	for _, c := range cases {
		for _, accept := range []string{"application/json", "application/graphql-response+json"} {
			t.Run(c.name+" as "+accept, func(t *testing.T) {
				r := rawRequest(t, http.MethodPost, "/graphql", "application/json", []byte(c.body), http.Header{"Accept": {accept}})
				want := http.StatusBadRequest
				if accept == "application/json" && c.code != api.CodeBadRequest {
					want = http.StatusOK
				}
				if r.Status != want {
					t.Errorf("HTTP %d, want %d\n%s", r.Status, want, r.describe())
				}
				if mt := mediaType(t, r); mt != accept {
					t.Errorf("Content-Type %s, want %s", mt, accept)
				}
				wantErrorCode(t, r, c.code)
			})
		}
	}
}
