package api_test

import (
	"bytes"
	"encoding/json"
	"mime"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"catalogue/internal/api"
	"catalogue/internal/auth"
)

// rawRequest sends an arbitrary HTTP request to the server.
func rawRequest(t testing.TB, method, path, contentType string, body []byte, header http.Header) *response {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), method, server.URL+path, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	for k, vs := range header {
		for _, v := range vs {
			req.Header.Add(k, v)
		}
	}
	r, err := send(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	r.query = method + " " + path + " " + string(body)
	return r
}

func jsonBody(t testing.TB, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func mediaType(t testing.TB, r *response) string {
	t.Helper()
	mt, _, err := mime.ParseMediaType(r.ContentType)
	if err != nil {
		t.Fatalf("bad Content-Type %q: %v\n%s", r.ContentType, err, r.describe())
	}
	return mt
}

func TestPostAnswersGraphQLResponseJSONUnlessJSONIsAsked(t *testing.T) {
	var tenants int
	sqlValue(t, &tenants, `SELECT count(*) FROM tenants`)
	body := jsonBody(t, map[string]any{"query": `{ tenants { totalCount } }`})
	cases := []struct {
		accept string
		want   string
	}{
		{"", "application/graphql-response+json"},
		{"*/*", "application/graphql-response+json"},
		{"application/graphql-response+json", "application/graphql-response+json"},
		{"application/json", "application/json"},
		{"application/json;q=0.9", "application/json"},
	}
	for _, c := range cases {
		t.Run("Accept "+c.accept, func(t *testing.T) {
			h := http.Header{}
			if c.accept != "" {
				h.Set("Accept", c.accept)
			}
			r := rawRequest(t, http.MethodPost, "/graphql", "application/json", body, h)
			var data struct{ Tenants struct{ TotalCount int } }
			mustData(t, r, &data)
			if mt := mediaType(t, r); mt != c.want {
				t.Errorf("Content-Type %s, want %s", mt, c.want)
			}
			if data.Tenants.TotalCount != tenants {
				t.Errorf("totalCount %d, want %d", data.Tenants.TotalCount, tenants)
			}
		})
	}
}

func TestGetRunsQueries(t *testing.T) {
	var slug string
	sqlValue(t, &slug, `SELECT slug FROM tenants ORDER BY created_at DESC, id DESC LIMIT 1`)
	params := url.Values{
		"query":     {`query($n: Int) { tenants(first: $n) { edges { node { slug } } } }`},
		"variables": {`{"n": 1}`},
	}
	r := rawRequest(t, http.MethodGet, "/graphql?"+params.Encode(), "", nil, nil)
	var data struct {
		Tenants struct {
			Edges []struct{ Node struct{ Slug string } }
		}
	}
	mustData(t, r, &data)
	if mt := mediaType(t, r); mt != "application/graphql-response+json" {
		t.Errorf("Content-Type %s, want application/graphql-response+json", mt)
	}
	if len(data.Tenants.Edges) != 1 || data.Tenants.Edges[0].Node.Slug != slug {
		t.Errorf("GET tenants(first: 1) = %+v, want %s", data.Tenants.Edges, slug)
	}
}

func TestGetRefusesMutations(t *testing.T) {
	// The schema has no mutations yet; whatever the reason, a GET that
	// asks for one must be refused, never executed.
	r := rawRequest(t, http.MethodGet, "/graphql?"+url.Values{"query": {`mutation { __typename }`}}.Encode(), "", nil, nil)
	if r.Status < 400 || r.Status >= 500 {
		t.Errorf("GET mutation: HTTP %d, want 4xx\n%s", r.Status, r.describe())
	}
}

func TestParseErrorIs400WithGraphQLResponseJSON(t *testing.T) {
	r := rawRequest(t, http.MethodPost, "/graphql", "application/json", jsonBody(t, map[string]any{"query": `{ tenants { `}), nil)
	if r.Status != http.StatusBadRequest {
		t.Errorf("HTTP %d, want 400\n%s", r.Status, r.describe())
	}
	if mt := mediaType(t, r); mt != "application/graphql-response+json" {
		t.Errorf("Content-Type %s, want application/graphql-response+json", mt)
	}
	wantErrorCode(t, r, "GRAPHQL_PARSE_FAILED")
	if n := serverLog.accessLogStatements(t, r.RequestID); n != 0 {
		t.Errorf("a query that does not parse ran %d SQL statements", n)
	}
}

func TestValidationErrorIs400(t *testing.T) {
	r := rawRequest(t, http.MethodPost, "/graphql", "application/json", jsonBody(t, map[string]any{"query": `{ tenants { nope } }`}), nil)
	if r.Status != http.StatusBadRequest {
		t.Errorf("HTTP %d, want 400\n%s", r.Status, r.describe())
	}
	wantErrorCode(t, r, "GRAPHQL_VALIDATION_FAILED")
}

func TestMalformedRequestsAreClientErrors(t *testing.T) {
	query := jsonBody(t, map[string]any{"query": `{ __typename }`})
	cases := []struct {
		name, method, contentType string
		body                      []byte
	}{
		{"body that is not JSON", http.MethodPost, "application/json", []byte(`query { tenants { totalCount } }`)},
		{"truncated JSON", http.MethodPost, "application/json", []byte(`{"query": "{ __typename }"`)},
		{"JSON that is not an object", http.MethodPost, "application/json", []byte(`["{ __typename }"]`)},
		{"query that is not a string", http.MethodPost, "application/json", []byte(`{"query": 42}`)},
		{"variables that are not an object", http.MethodPost, "application/json", []byte(`{"query": "{ __typename }", "variables": "x"}`)},
		{"empty body", http.MethodPost, "application/json", nil},
		{"text/plain body", http.MethodPost, "text/plain", query},
		{"XML body", http.MethodPost, "application/xml", []byte(`<query>{ __typename }</query>`)},
		{"no content type", http.MethodPost, "", query},
		{"PUT", http.MethodPut, "application/json", query},
		{"DELETE", http.MethodDelete, "", nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := rawRequest(t, c.method, "/graphql", c.contentType, c.body, nil)
			if r.Status < 400 || r.Status >= 500 {
				t.Errorf("HTTP %d, want 4xx\n%s", r.Status, r.describe())
			}
		})
	}
}

// TestOversizedBodyIsRefused: the handler caps request bodies
// (Config.MaxBodyBytes, 1 MiB by default); a larger one is the client's
// mistake and must be refused as such, with a 4xx status.
func TestOversizedBodyIsRefused(t *testing.T) {
	padding := strings.Repeat(" ", 2<<20)
	body := []byte(`{"query": "{ __typename ` + padding + `}"}`)
	r := rawRequest(t, http.MethodPost, "/graphql", "application/json", body, nil)
	if r.Status < 400 || r.Status >= 500 {
		t.Errorf("a %d-byte body: HTTP %d, want 4xx (413)\nbody: %s", len(body), r.Status, truncate(string(r.Body), 300))
	}
}

func TestWrongArgumentTypesAreClientErrors(t *testing.T) {
	cases := []struct {
		name  string
		query string
		vars  map[string]any
	}{
		{"string literal for Int", `{ tenants(first: "ten") { totalCount } }`, nil},
		{"float literal for Int", `{ tenants(first: 1.5) { totalCount } }`, nil},
		{"Int literal out of 32-bit range", `{ tenants(first: 3000000000) { totalCount } }`, nil},
		{"string variable for Int", `query($n: Int) { tenants(first: $n) { totalCount } }`, map[string]any{"n": "ten"}},
		{"float variable for Int", `query($n: Int) { tenants(first: $n) { totalCount } }`, map[string]any{"n": 1.5}},
		{"Int variable out of 32-bit range", `query($n: Int) { tenants(first: $n) { totalCount } }`, map[string]any{"n": 3000000000}},
		{"Date variable for Int", `query($d: Date) { tenants(first: $d) { totalCount } }`, map[string]any{"d": "2024-01-01"}},
		{"Int variable for Date", `query($d: Date!) { tenants(first: 1) { totalCount } }`, map[string]any{"d": 20240101}},
		{"malformed Date variable", `query($d: Date!) { tenants(first: 1) { totalCount } }`, map[string]any{"d": "2024-13-45"}},
		{"Int literal for String", `{ tenant(slug: 5) { id } }`, nil},
		{"missing required argument", `{ tenant { id } }`, nil},
		{"null for a required variable", `query($s: String!) { tenant(slug: $s) { id } }`, map[string]any{"s": nil}},
		{"Int literal for ID", `{ node(id: 5) { id } }`, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := gql(t, c.query, c.vars)
			if r.Status >= 500 {
				t.Errorf("HTTP %d, want a client error\n%s", r.Status, r.describe())
			}
			if len(r.Errors) == 0 {
				t.Fatalf("want an error\n%s", r.describe())
			}
			for _, e := range r.Errors {
				if e.code() == "" || e.code() == api.CodeInternal {
					t.Errorf("error %q has code %q: want a client error code such as %s or GRAPHQL_VALIDATION_FAILED\n%s",
						e.Message, e.code(), api.CodeBadUserInput, r.describe())
				}
			}
		})
	}
}

func TestHealthz(t *testing.T) {
	r := rawRequest(t, http.MethodGet, "/healthz", "", nil, nil)
	if r.Status != http.StatusOK {
		t.Fatalf("HTTP %d, want 200\n%s", r.Status, r.describe())
	}
	if mt := mediaType(t, r); mt != "application/json" {
		t.Errorf("Content-Type %s, want application/json", mt)
	}
	var body map[string]any
	if err := json.Unmarshal(r.Body, &body); err != nil || len(body) != 1 || body["status"] != "ok" {
		t.Errorf(`body %s, want {"status":"ok"}`, r.Body)
	}
}

func TestPlaygroundIsServedAtRoot(t *testing.T) {
	r := rawRequest(t, http.MethodGet, "/", "", nil, nil)
	if r.Status != http.StatusOK {
		t.Fatalf("HTTP %d, want 200", r.Status)
	}
	if mt := mediaType(t, r); mt != "text/html" {
		t.Errorf("Content-Type %s, want text/html", mt)
	}
	page := strings.ToLower(string(r.Body))
	if !strings.Contains(page, "<html") || !strings.Contains(page, "/graphql") {
		t.Errorf("the playground page should be HTML pointing at /graphql:\n%s", truncate(string(r.Body), 500))
	}
	if r := rawRequest(t, http.MethodGet, "/no-such-page", "", nil, nil); r.Status != http.StatusNotFound {
		t.Errorf("GET /no-such-page: HTTP %d, want 404 (the playground is only at /)", r.Status)
	}
}

func TestRequestIDIsReturned(t *testing.T) {
	valid := regexp.MustCompile(`^[A-Za-z0-9._-]{1,64}$`)
	body := jsonBody(t, map[string]any{"query": `{ __typename }`})

	a := rawRequest(t, http.MethodPost, "/graphql", "application/json", body, nil)
	b := rawRequest(t, http.MethodPost, "/graphql", "application/json", body, nil)
	if !valid.MatchString(a.RequestID) || !valid.MatchString(b.RequestID) || a.RequestID == b.RequestID {
		t.Errorf("X-Request-Id %q and %q: want two distinct generated IDs", a.RequestID, b.RequestID)
	}
	if n := serverLog.accessLogStatements(t, a.RequestID); n != 0 {
		t.Errorf("{ __typename } ran %d SQL statements", n)
	}

	mine := rawRequest(t, http.MethodPost, "/graphql", "application/json", body, http.Header{"X-Request-Id": {"trace-42.a_b"}})
	if mine.RequestID != "trace-42.a_b" {
		t.Errorf("X-Request-Id %q, want the client's trace-42.a_b echoed", mine.RequestID)
	}
	bad := rawRequest(t, http.MethodPost, "/graphql", "application/json", body, http.Header{"X-Request-Id": {"<script>alert(1)</script>"}})
	if !valid.MatchString(bad.RequestID) {
		t.Errorf("X-Request-Id %q: an unsafe client ID must be replaced by a generated one", bad.RequestID)
	}
	health := rawRequest(t, http.MethodGet, "/healthz", "", nil, nil)
	if !valid.MatchString(health.RequestID) {
		t.Errorf("GET /healthz: X-Request-Id %q", health.RequestID)
	}
}

// TestRequestsWithoutValidCredentialsAre401: /graphql answers nothing
// without valid credentials, before any GraphQL work or data read.
func TestRequestsWithoutValidCredentialsAre401(t *testing.T) {
	var user string
	sqlValue(t, &user, `SELECT id FROM users WHERE NOT is_deleted AND expires_at IS NULL ORDER BY id LIMIT 1`)
	expired, err := auth.SignHS256(tokenSecret, user, "", -time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	forged, err := auth.SignHS256([]byte(strings.Repeat("not the server's secret ", 2)), user, "", time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct{ name, authorization string }{
		{"no Authorization header", ""},
		{"malformed header", "hello"},
		{"unknown API key", "nokey:nosecret"},
		{"token signed with another secret", "Bearer " + forged},
		{"expired token", "Bearer " + expired},
		{"token of a user that does not exist", "Bearer " + tokenFor(t, "00000000-0000-4000-8000-000000000000", "")},
	}
	body := jsonBody(t, map[string]any{"query": `{ tenants { totalCount } }`})
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, server.URL+"/graphql", bytes.NewReader(body))
			if err != nil {
				t.Fatal(err)
			}
			req.Header.Set("Content-Type", "application/json")
			if c.authorization != "" {
				req.Header.Set("Authorization", c.authorization)
			}
			r, err := sendAnonymous(req)
			if err != nil {
				t.Fatal(err)
			}
			if r.Status != http.StatusUnauthorized {
				t.Errorf("HTTP %d, want 401\n%s", r.Status, r.describe())
			}
			if len(r.Errors) == 0 || r.Errors[0].code() != "UNAUTHENTICATED" {
				t.Errorf("want an UNAUTHENTICATED error\n%s", r.describe())
			}
			if len(r.Data) > 0 && string(r.Data) != "null" {
				t.Errorf("an unauthenticated request got data: %s", r.Data)
			}
			if n := serverLog.accessLogStatements(t, r.RequestID); n != 0 {
				t.Errorf("an unauthenticated request ran %d statements", n)
			}
		})
	}
}

// TestLimitsRefuseBeforeAnySQL: a query that is too deep or could return
// too many objects is refused as the client's mistake, before any
// statement reaches PostgreSQL.
func TestLimitsRefuseBeforeAnySQL(t *testing.T) {
	deep := `{ tenant(slug: "acme-music") { ` + strings.Repeat("parent { ", 30) + "id" + strings.Repeat(" }", 30) + " } }"
	cases := []struct {
		name, query, detail string
	}{
		{"depth", deep, "maxDepth"},
		{"cost", `{ tenants(first: 500) { edges { node { members(first: 500) { edges { node { memberships(first: 500) { totalCount } } } } } } } }`, "maxCost"},
		{"cost through nodes and default page sizes", `{ tenants(first: 500) { edges { node { artists { edges { node { releases(first: 500) { edges { node { tracks(first: 500) { totalCount } } } } } } } } } } }`, "maxCost"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := gql(t, c.query, nil)
			e := wantErrorCode(t, r, api.CodeBadUserInput)
			if _, ok := e.Extensions[c.detail]; !ok {
				t.Errorf("error extensions %v should report %s", e.Extensions, c.detail)
			}
			if got := r.statements(t); got != 0 {
				t.Errorf("extensions.sql.statements = %d, want 0: the limit must apply before any SQL", got)
			}
			if got := serverLog.accessLogStatements(t, r.RequestID); got != 0 {
				t.Errorf("the access log counts %d statements, want 0", got)
			}
			if len(r.Data) > 0 && string(r.Data) != "null" {
				t.Errorf("a refused query must return no data, got %s", r.Data)
			}
		})
	}
}
