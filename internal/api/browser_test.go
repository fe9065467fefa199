package api_test

// The API as browsers, the playground and backends-for-frontends meet it:
// CORS, compression, HTTP caching of GET queries, batched operations, the
// self-contained playground and the SDL at /schema.graphql.

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"net/url"
	"path"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/klauspost/compress/zstd"
	"github.com/vektah/gqlparser/v2"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/parser"
	"github.com/vektah/gqlparser/v2/validator"

	"catalogue/graph/generated"
	"catalogue/internal/api"
	"catalogue/internal/config"
)

// exchange is an HTTP answer as it came over the wire: the body is not
// decompressed (a request that sets Accept-Encoding itself gets the bytes
// the server sent).
type exchange struct {
	status int
	header http.Header
	body   []byte
}

// do sends req with the suite's credentials unless it has its own; header
// values "" are deleted instead of set.
func do(t *testing.T, req *http.Request, header map[string]string) exchange {
	t.Helper()
	if req.Header.Get("Authorization") == "" {
		req.Header.Set("Authorization", "Bearer "+bearer)
	}
	for k, v := range header {
		if v == "" {
			req.Header.Del(k)
		} else {
			req.Header.Set(k, v)
		}
	}
	resp, err := http.DefaultTransport.RoundTrip(req)
	if err != nil {
		t.Fatalf("%s %s: %v", req.Method, req.URL, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return exchange{status: resp.StatusCode, header: resp.Header, body: body}
}

func newRequest(t *testing.T, method, url string, body []byte) *http.Request {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), method, url, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	return req
}

// varyHas reports whether the Vary headers name h.
func varyHas(header http.Header, h string) bool {
	for _, v := range header.Values("Vary") {
		for _, name := range strings.Split(v, ",") {
			if strings.EqualFold(strings.TrimSpace(name), h) {
				return true
			}
		}
	}
	return false
}

// ---------------------------------------------------------------------------
// CORS

func TestCORSPreflight(t *testing.T) {
	origins := append([]string{"https://app.example.com"}, config.DevCORSOrigins...)
	srv := newServer(t, env.DB, api.Config{CORSOrigins: origins, CORSMaxAge: 10 * time.Minute})
	preflight := func(t *testing.T, origin string) exchange {
		req := newRequest(t, http.MethodOptions, srv.URL+"/graphql", nil)
		return do(t, req, map[string]string{
			"Authorization":                 "",
			"Origin":                        origin,
			"Access-Control-Request-Method": "POST",
			// As browsers send it: lower case, sorted, no spaces.
			"Access-Control-Request-Headers": "authorization,content-type,enterprise-id,x-request-id,x-tenant",
		})
	}
	for _, origin := range []string{"https://app.example.com", "http://localhost:5173", "http://127.0.0.1:3000"} {
		t.Run("allowed "+origin, func(t *testing.T) {
			x := preflight(t, origin)
			if x.status != http.StatusNoContent && x.status != http.StatusOK {
				t.Errorf("HTTP %d, want 204", x.status)
			}
			if got := x.header.Get("Access-Control-Allow-Origin"); got != origin {
				t.Errorf("Access-Control-Allow-Origin %q, want %q", got, origin)
			}
			if m := x.header.Get("Access-Control-Allow-Methods"); !strings.Contains(m, "POST") {
				t.Errorf("Access-Control-Allow-Methods %q, want POST in it", m)
			}
			allowed := strings.ToLower(strings.Join(x.header.Values("Access-Control-Allow-Headers"), ","))
			for _, h := range []string{"authorization", "content-type", "x-tenant", "enterprise-id", "x-request-id"} {
				if !strings.Contains(allowed, h) {
					t.Errorf("Access-Control-Allow-Headers %q lacks %s", allowed, h)
				}
			}
			if got := x.header.Get("Access-Control-Max-Age"); got != "600" {
				t.Errorf("Access-Control-Max-Age %q, want 600", got)
			}
			if got := x.header.Get("Access-Control-Allow-Credentials"); got != "" {
				t.Errorf("Access-Control-Allow-Credentials %q: credentials are headers, not cookies", got)
			}
			if !varyHas(x.header, "Origin") {
				t.Errorf("Vary %q, want Origin", x.header.Values("Vary"))
			}
		})
	}
	for _, origin := range []string{"https://evil.example.org", "http://localhost.evil.example.org", "https://app.example.com.evil.example.org"} {
		t.Run("refused "+origin, func(t *testing.T) {
			x := preflight(t, origin)
			for name := range x.header {
				if strings.HasPrefix(name, "Access-Control-Allow-") {
					t.Errorf("a refused origin got %s: %q", name, x.header.Get(name))
				}
			}
			if !varyHas(x.header, "Origin") {
				t.Errorf("Vary %q, want Origin", x.header.Values("Vary"))
			}
		})
	}

	t.Run("actual request", func(t *testing.T) {
		body := jsonBody(t, map[string]any{"query": `{ __typename }`})
		x := do(t, newRequest(t, http.MethodPost, srv.URL+"/graphql", body), map[string]string{"Origin": "https://app.example.com"})
		if x.status != http.StatusOK || x.header.Get("Access-Control-Allow-Origin") != "https://app.example.com" {
			t.Errorf("HTTP %d, Access-Control-Allow-Origin %q", x.status, x.header.Get("Access-Control-Allow-Origin"))
		}
		if got := x.header.Get("Access-Control-Expose-Headers"); !strings.EqualFold(got, "X-Request-Id") {
			t.Errorf("Access-Control-Expose-Headers %q, want X-Request-Id", got)
		}
		x = do(t, newRequest(t, http.MethodPost, srv.URL+"/graphql", body), map[string]string{"Origin": "https://evil.example.org"})
		if got := x.header.Get("Access-Control-Allow-Origin"); got != "" {
			t.Errorf("a refused origin got Access-Control-Allow-Origin %q", got)
		}
	})

	t.Run("no origins configured", func(t *testing.T) {
		req := newRequest(t, http.MethodOptions, server.URL+"/graphql", nil)
		x := do(t, req, map[string]string{"Origin": "http://localhost:5173", "Access-Control-Request-Method": "POST"})
		if got := x.header.Get("Access-Control-Allow-Origin"); got != "" {
			t.Errorf("without CORSOrigins: Access-Control-Allow-Origin %q", got)
		}
	})
}

// ---------------------------------------------------------------------------
// Compression

// decode decompresses a body by its Content-Encoding.
func decode(t *testing.T, x exchange) []byte {
	t.Helper()
	var r io.Reader
	switch enc := x.header.Get("Content-Encoding"); enc {
	case "":
		return x.body
	case "gzip":
		zr, err := gzip.NewReader(bytes.NewReader(x.body))
		if err != nil {
			t.Fatal(err)
		}
		r = zr
	case "zstd":
		zr, err := zstd.NewReader(bytes.NewReader(x.body))
		if err != nil {
			t.Fatal(err)
		}
		defer zr.Close()
		r = zr
	default:
		t.Fatalf("Content-Encoding %q", enc)
	}
	out, err := io.ReadAll(r)
	if err != nil {
		t.Fatalf("decompressing: %v", err)
	}
	return out
}

// withoutSQLStats is a response's JSON without extensions.sql, which
// differs from one run of a query to the next.
func withoutSQLStats(t *testing.T, body []byte) map[string]any {
	t.Helper()
	var doc map[string]any
	if err := json.Unmarshal(body, &doc); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, truncate(string(body), 300))
	}
	if ext, ok := doc["extensions"].(map[string]any); ok {
		delete(ext, "sql")
	}
	return doc
}

func TestAnswersAreCompressed(t *testing.T) {
	body := jsonBody(t, map[string]any{"query": `{ tenant(slug: "acme-music") { members(first: 50) { edges { node { id email fullName } } } } }`})
	plain := do(t, newRequest(t, http.MethodPost, server.URL+"/graphql", body), map[string]string{"Accept-Encoding": "identity"})
	if plain.status != http.StatusOK || plain.header.Get("Content-Encoding") != "" {
		t.Fatalf("Accept-Encoding identity: HTTP %d, Content-Encoding %q", plain.status, plain.header.Get("Content-Encoding"))
	}
	if len(plain.body) < 4096 {
		t.Fatalf("the answer is %d bytes: too small to show compression", len(plain.body))
	}
	want := withoutSQLStats(t, plain.body)
	for _, enc := range []string{"gzip", "zstd"} {
		t.Run(enc, func(t *testing.T) {
			x := do(t, newRequest(t, http.MethodPost, server.URL+"/graphql", body), map[string]string{"Accept-Encoding": enc})
			if x.status != http.StatusOK || x.header.Get("Content-Encoding") != enc {
				t.Fatalf("HTTP %d, Content-Encoding %q, want %s", x.status, x.header.Get("Content-Encoding"), enc)
			}
			if !varyHas(x.header, "Accept-Encoding") {
				t.Errorf("Vary %q, want Accept-Encoding", x.header.Values("Vary"))
			}
			if len(x.body) >= len(plain.body)/2 {
				t.Errorf("%d bytes compressed from %d", len(x.body), len(plain.body))
			}
			if got := withoutSQLStats(t, decode(t, x)); !reflect.DeepEqual(got, want) {
				t.Errorf("the decompressed answer differs from the plain one")
			}
		})
	}
	t.Run("small answers stay plain", func(t *testing.T) {
		x := do(t, newRequest(t, http.MethodPost, server.URL+"/graphql", jsonBody(t, map[string]any{"query": `{ __typename }`})),
			map[string]string{"Accept-Encoding": "gzip"})
		if x.status != http.StatusOK || x.header.Get("Content-Encoding") != "" {
			t.Errorf("HTTP %d, Content-Encoding %q for %d bytes", x.status, x.header.Get("Content-Encoding"), len(x.body))
		}
	})
}

// TestDeferStreamsCompressed: a multipart/mixed @defer answer is
// compressed and still delivers every part.
func TestDeferStreamsCompressed(t *testing.T) {
	body := jsonBody(t, map[string]any{"query": deferQuery, "variables": map[string]any{"slug": "acme-music"}})
	x := do(t, newRequest(t, http.MethodPost, server.URL+"/graphql", body), map[string]string{
		"Accept":          "multipart/mixed;deferSpec=20220824, application/json",
		"Accept-Encoding": "gzip",
	})
	mt, params, err := mime.ParseMediaType(x.header.Get("Content-Type"))
	if x.status != http.StatusOK || err != nil || mt != "multipart/mixed" || x.header.Get("Content-Encoding") != "gzip" {
		t.Fatalf("HTTP %d, Content-Type %q, Content-Encoding %q: want a gzipped multipart/mixed answer",
			x.status, x.header.Get("Content-Type"), x.header.Get("Content-Encoding"))
	}
	mr := multipart.NewReader(bytes.NewReader(decode(t, x)), params["boundary"])
	var parts []map[string]any
	for {
		p, err := mr.NextPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("part %d: %v", len(parts), err)
		}
		var part map[string]any
		if err := json.NewDecoder(p).Decode(&part); err != nil {
			t.Fatalf("part %d is not JSON: %v", len(parts), err)
		}
		parts = append(parts, part)
	}
	if len(parts) < 2 || parts[len(parts)-1]["hasNext"] != false {
		t.Errorf("got %d parts, the last %v: want the initial part, the deferred ones, and hasNext false", len(parts), parts[len(parts)-1])
	}
}

// ---------------------------------------------------------------------------
// HTTP caching

func TestGetQueriesRevalidateWithETag(t *testing.T) {
	get := func(t *testing.T, q, token string, header map[string]string) exchange {
		req := newRequest(t, http.MethodGet, server.URL+"/graphql?"+url.Values{"query": {q}}.Encode(), nil)
		req.Header.Set("Authorization", "Bearer "+token)
		return do(t, req, header)
	}
	const q = `{ viewer { role permissions } tenants(first: 3) { edges { node { slug } } } }`
	first := get(t, q, bearer, nil)
	tag := first.header.Get("ETag")
	if first.status != http.StatusOK || !regexp.MustCompile(`^W/"[A-Za-z0-9_-]+"$`).MatchString(tag) {
		t.Fatalf("HTTP %d, ETag %q: want 200 with a weak ETag\n%s", first.status, tag, first.body)
	}
	if got := first.header.Get("Cache-Control"); got != "private, max-age=0, must-revalidate" {
		t.Errorf("Cache-Control %q, want private, max-age=0, must-revalidate", got)
	}
	for _, h := range []string{"Authorization", "X-Tenant", "enterprise-id"} {
		if !varyHas(first.header, h) {
			t.Errorf("Vary %q lacks %s: the answer depends on it", first.header.Values("Vary"), h)
		}
	}

	again := get(t, q, bearer, map[string]string{"If-None-Match": tag})
	if again.status != http.StatusNotModified || len(again.body) != 0 || again.header.Get("ETag") != tag {
		t.Errorf("If-None-Match %s: HTTP %d, ETag %q, %d body bytes; want 304, the same ETag and no body",
			tag, again.status, again.header.Get("ETag"), len(again.body))
	}
	if r := get(t, q, bearer, map[string]string{"If-None-Match": `W/"stale", ` + tag}); r.status != http.StatusNotModified {
		t.Errorf("If-None-Match with a list: HTTP %d, want 304", r.status)
	}
	if r := get(t, q, bearer, map[string]string{"If-None-Match": `W/"stale"`}); r.status != http.StatusOK || len(r.body) == 0 {
		t.Errorf("a stale ETag: HTTP %d with %d bytes, want 200 with the answer", r.status, len(r.body))
	}

	// Another caller sees another result, hence another ETag: the tag
	// never lets one caller's cached answer stand for another's.
	var user string
	sqlValue(t, &user, `SELECT u.id FROM users u JOIN memberships m ON m.user_id = u.id
		JOIN tenants t ON t.id = m.tenant_id
		WHERE t.slug = 'acme-music' AND m.role = 'USER' AND m.status = 'ACTIVE' AND NOT u.is_deleted
		  AND cardinality(u.admin_roles) = 0 AND (u.expires_at IS NULL OR u.expires_at > now())
		ORDER BY u.id LIMIT 1`)
	other := get(t, q, tokenFor(t, user, "acme-music"), map[string]string{"If-None-Match": tag})
	if other.status != http.StatusOK || other.header.Get("ETag") == tag {
		t.Errorf("another caller with the first one's ETag: HTTP %d, ETag %q; want 200 and another ETag", other.status, other.header.Get("ETag"))
	}

	t.Run("POST is no-store", func(t *testing.T) {
		x := do(t, newRequest(t, http.MethodPost, server.URL+"/graphql", jsonBody(t, map[string]any{"query": q})), nil)
		if got := x.header.Get("Cache-Control"); got != "no-store" || x.header.Get("ETag") != "" {
			t.Errorf("Cache-Control %q, ETag %q; want no-store and no ETag", got, x.header.Get("ETag"))
		}
	})
	t.Run("failures are no-store", func(t *testing.T) {
		x := get(t, `{ tenants { nope } }`, bearer, nil)
		if x.status != http.StatusBadRequest || x.header.Get("Cache-Control") != "no-store" || x.header.Get("ETag") != "" {
			t.Errorf("HTTP %d, Cache-Control %q, ETag %q; want 400, no-store, no ETag", x.status, x.header.Get("Cache-Control"), x.header.Get("ETag"))
		}
	})
}

// ---------------------------------------------------------------------------
// Batching

// batchResult is one operation's result in a batch answer.
type batchResult struct {
	Data       json.RawMessage `json:"data"`
	Errors     []gqlError      `json:"errors"`
	Extensions map[string]any  `json:"extensions"`
}

func postBatch(t *testing.T, url, token string, ops []map[string]any) (exchange, []batchResult) {
	t.Helper()
	req := newRequest(t, http.MethodPost, url+"/graphql", jsonBody(t, ops))
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	x := do(t, req, nil)
	var results []batchResult
	if err := json.Unmarshal(x.body, &results); err != nil {
		t.Fatalf("HTTP %d: the answer is not a JSON array: %v\n%s", x.status, err, truncate(string(x.body), 500))
	}
	return x, results
}

func TestBatchAnswersEachOperationInOrder(t *testing.T) {
	var tenants int
	sqlValue(t, &tenants, `SELECT count(*) FROM tenants`)
	var name string
	sqlValue(t, &name, `SELECT name FROM tenants WHERE slug = 'acme-music'`)
	ops := []map[string]any{
		{"query": `{ tenants { totalCount } }`},
		{"query": `{ tenants { nope } }`},
		{
			"query":         `query Tenant($slug: String!) { tenant(slug: $slug) { name } } query Other { __typename }`,
			"operationName": "Tenant",
			"variables":     map[string]any{"slug": "acme-music"},
		},
	}
	x, results := postBatch(t, server.URL, bearer, ops)
	if x.status != http.StatusOK || len(results) != 3 {
		t.Fatalf("HTTP %d with %d results, want 200 with 3\n%s", x.status, len(results), x.body)
	}
	if mt, _, _ := mime.ParseMediaType(x.header.Get("Content-Type")); !strings.HasSuffix(mt, "json") {
		t.Errorf("Content-Type %q", x.header.Get("Content-Type"))
	}
	var first struct{ Tenants struct{ TotalCount int } }
	if err := json.Unmarshal(results[0].Data, &first); err != nil || len(results[0].Errors) > 0 || first.Tenants.TotalCount != tenants {
		t.Errorf("result 0: %s %+v, want totalCount %d", results[0].Data, results[0].Errors, tenants)
	}
	if len(results[1].Errors) != 1 || results[1].Errors[0].code() != "GRAPHQL_VALIDATION_FAILED" || (len(results[1].Data) > 0 && string(results[1].Data) != "null") {
		t.Errorf("result 1: data %s, errors %+v; want only a GRAPHQL_VALIDATION_FAILED error", results[1].Data, results[1].Errors)
	}
	var third struct{ Tenant struct{ Name string } }
	if err := json.Unmarshal(results[2].Data, &third); err != nil || len(results[2].Errors) > 0 || third.Tenant.Name != name {
		t.Errorf("result 2: %s %+v, want tenant %q", results[2].Data, results[2].Errors, name)
	}
	// Each result reports its own operation: its cost, and the statements
	// it ran, as many as when it is sent alone; the access log counts all.
	total := 0
	for i, r := range results {
		if i == 1 {
			continue
		}
		if _, ok := r.Extensions["cost"]; !ok {
			t.Errorf("result %d has no extensions.cost: %v", i, r.Extensions)
		}
		alone := rawRequest(t, http.MethodPost, "/graphql", "application/json", jsonBody(t, ops[i]), nil).statements(t)
		sql, _ := r.Extensions["sql"].(map[string]any)
		if n, _ := sql["statements"].(float64); int(n) != alone {
			t.Errorf("result %d: extensions.sql.statements = %v, want %d as when sent alone", i, sql["statements"], alone)
		}
		total += alone
	}
	if n := serverLog.accessLogStatements(t, x.header.Get("X-Request-Id")); n != int64(total) {
		t.Errorf("the access log counts %d statements for the batch, want %d (the operations')", n, total)
	}
}

func TestBatchMutationsRunInOrder(t *testing.T) {
	f := mutSetup(t)
	names := []string{f.uniq("batch label a"), f.uniq("batch label b"), f.uniq("batch label c")}
	var ops []map[string]any
	for _, n := range names {
		ops = append(ops, map[string]any{
			"query":     `mutation ($name: String!) { createLabel(input: {name: $name}) { label { name } userErrors { code } } }`,
			"variables": map[string]any{"name": n},
		})
	}
	x, results := postBatch(t, f.srv.URL, f.owner.token, ops)
	if x.status != http.StatusOK || len(results) != 3 {
		t.Fatalf("HTTP %d with %d results\n%s", x.status, len(results), x.body)
	}
	for i, r := range results {
		var d struct {
			CreateLabel struct {
				Label      struct{ Name string }
				UserErrors []any
			}
		}
		if err := json.Unmarshal(r.Data, &d); err != nil || len(r.Errors) > 0 || d.CreateLabel.Label.Name != names[i] {
			t.Errorf("result %d: %s %+v, want label %q", i, r.Data, r.Errors, names[i])
		}
	}
	var stored []string
	f.sel(t, &stored, `SELECT name FROM labels WHERE name = ANY($1) ORDER BY created_at, id`, names)
	if !slices.Equal(stored, names) {
		t.Errorf("labels in creation order %q, want %q: each mutation commits before the next starts", stored, names)
	}
}

func TestBatchLimits(t *testing.T) {
	op := map[string]any{"query": `{ tenants { totalCount } }`}
	t.Run("over the limit", func(t *testing.T) {
		x := do(t, newRequest(t, http.MethodPost, server.URL+"/graphql", jsonBody(t, slices.Repeat([]map[string]any{op}, api.DefaultMaxBatch+1))), nil)
		var r response
		if err := json.Unmarshal(x.body, &r); err != nil || x.status != http.StatusBadRequest || len(r.Errors) != 1 || r.Errors[0].code() != api.CodeBadRequest {
			t.Fatalf("HTTP %d: %s; want 400 with one BAD_REQUEST error", x.status, x.body)
		}
		if n := serverLog.accessLogStatements(t, x.header.Get("X-Request-Id")); n != 0 {
			t.Errorf("a refused batch ran %d statements", n)
		}
	})
	t.Run("at the limit", func(t *testing.T) {
		x, results := postBatch(t, server.URL, bearer, slices.Repeat([]map[string]any{op}, api.DefaultMaxBatch))
		if x.status != http.StatusOK || len(results) != api.DefaultMaxBatch {
			t.Errorf("HTTP %d with %d results, want 200 with %d", x.status, len(results), api.DefaultMaxBatch)
		}
	})
	t.Run("configured limit", func(t *testing.T) {
		srv := newServer(t, env.DB, api.Config{MaxBatch: 2})
		x := do(t, newRequest(t, http.MethodPost, srv.URL+"/graphql", jsonBody(t, slices.Repeat([]map[string]any{op}, 3))), nil)
		if x.status != http.StatusBadRequest {
			t.Errorf("3 operations with MaxBatch 2: HTTP %d, want 400", x.status)
		}
	})
	for _, body := range []string{`[]`, `["{ __typename }"]`, `[{"query": "{ __typename }"}, 42]`, `[{"query": "{ __typename }"}`} {
		t.Run("malformed "+body, func(t *testing.T) {
			x := do(t, newRequest(t, http.MethodPost, server.URL+"/graphql", []byte(body)), nil)
			var r response
			if err := json.Unmarshal(x.body, &r); err != nil || x.status != http.StatusBadRequest || len(r.Errors) != 1 || r.Errors[0].code() != api.CodeBadRequest {
				t.Errorf("HTTP %d: %s; want 400 with one BAD_REQUEST error", x.status, x.body)
			}
		})
	}
	t.Run("every operation is authenticated", func(t *testing.T) {
		req := newRequest(t, http.MethodPost, server.URL+"/graphql", jsonBody(t, []map[string]any{op, op}))
		x := do(t, req, map[string]string{"Authorization": "Bearer not-a-token"})
		var results []batchResult
		if err := json.Unmarshal(x.body, &results); err != nil || x.status != http.StatusUnauthorized || len(results) != 2 {
			t.Fatalf("HTTP %d: %s; want 401 with two results", x.status, x.body)
		}
		for i, r := range results {
			if len(r.Errors) != 1 || r.Errors[0].code() != api.CodeUnauthenticated {
				t.Errorf("result %d: %+v, want UNAUTHENTICATED", i, r.Errors)
			}
		}
	})
}

// ---------------------------------------------------------------------------
// Playground and schema

// externalURL finds an absolute http(s) URL; the playground page must have
// none, whatever its host.
var externalURL = regexp.MustCompile(`(?i)(https?:)?//[a-z0-9.-]+\.[a-z]{2,}`)

func TestPlaygroundLoadsNothingFromOutside(t *testing.T) {
	headers := map[string]string{"Authorization": "Bearer dev-token", "X-Tenant": "acme-music"}
	srv := newServer(t, env.DB, api.Config{Playground: true, PlaygroundCredentials: func() (map[string]string, error) { return headers, nil }})
	page := do(t, newRequest(t, http.MethodGet, srv.URL+"/", nil), map[string]string{"Authorization": ""})
	if page.status != http.StatusOK {
		t.Fatalf("GET /: HTTP %d", page.status)
	}
	if mt, _, _ := mime.ParseMediaType(page.header.Get("Content-Type")); mt != "text/html" {
		t.Errorf("Content-Type %q, want text/html", page.header.Get("Content-Type"))
	}
	html := string(page.body)
	if m := externalURL.FindAllString(html, -1); len(m) > 0 {
		t.Errorf("the page names other hosts: %q", m)
	}
	if csp := page.header.Get("Content-Security-Policy"); !strings.Contains(csp, "default-src 'self'") || !strings.Contains(csp, "connect-src 'self'") {
		t.Errorf("Content-Security-Policy %q should keep the page to its own server", csp)
	}

	refs := regexp.MustCompile(`(?:src|href)="([^"]+)"`).FindAllStringSubmatch(html, -1)
	wantType := map[string]string{".js": "text/javascript", ".css": "text/css"}
	var scripts, styles int
	for _, ref := range refs {
		u := ref[1]
		if strings.HasPrefix(u, "data:") {
			continue
		}
		if !strings.HasPrefix(u, "/") || strings.HasPrefix(u, "//") {
			t.Errorf("asset %q is not a path on this server", u)
			continue
		}
		x := do(t, newRequest(t, http.MethodGet, srv.URL+u, nil), map[string]string{"Authorization": "", "Accept-Encoding": "gzip"})
		mt, _, _ := mime.ParseMediaType(x.header.Get("Content-Type"))
		if x.status != http.StatusOK || mt != wantType[path.Ext(u)] {
			t.Errorf("GET %s: HTTP %d, Content-Type %q, want 200 %s", u, x.status, x.header.Get("Content-Type"), wantType[path.Ext(u)])
			continue
		}
		body := decode(t, x)
		if len(body) > 2048 && x.header.Get("Content-Encoding") != "gzip" {
			t.Errorf("GET %s: %d bytes with Content-Encoding %q, want gzip", u, len(body), x.header.Get("Content-Encoding"))
		}
		switch path.Ext(u) {
		case ".js":
			scripts++
		case ".css":
			styles++
			// A style sheet fetches what its url() name: fonts and icons
			// must be inline.
			for _, m := range regexp.MustCompile(`url\(\s*['"]?([^'")]+)`).FindAllSubmatch(body, -1) {
				if s := string(m[1]); !strings.HasPrefix(s, "data:") && !strings.HasPrefix(s, "#") {
					t.Errorf("%s loads %q", u, truncate(s, 80))
				}
			}
		}
		if tag := x.header.Get("ETag"); tag != "" {
			again := do(t, newRequest(t, http.MethodGet, srv.URL+u, nil), map[string]string{"Authorization": "", "If-None-Match": tag})
			if again.status != http.StatusNotModified {
				t.Errorf("GET %s with If-None-Match: HTTP %d, want 304", u, again.status)
			}
		} else {
			t.Errorf("GET %s: no ETag", u)
		}
	}
	if scripts < 5 || styles < 2 {
		t.Errorf("the page loads %d scripts and %d style sheets: want React, ReactDOM, GraphiQL, the explorer and the start-up script, and their styles", scripts, styles)
	}
	if x := do(t, newRequest(t, http.MethodGet, srv.URL+"/playground/nope.js", nil), nil); x.status != http.StatusNotFound {
		t.Errorf("GET /playground/nope.js: HTTP %d, want 404", x.status)
	}

	// The settings: the development headers and the README's examples,
	// each valid against the schema.
	m := regexp.MustCompile(`(?s)<script id="playground-config" type="application/json">(.*?)</script>`).FindStringSubmatch(html)
	if m == nil {
		t.Fatal("no playground-config in the page")
	}
	var cfg struct {
		Endpoint string            `json:"endpoint"`
		Headers  map[string]string `json:"headers"`
		Tabs     []struct {
			Query string `json:"query"`
		} `json:"tabs"`
	}
	if err := json.Unmarshal([]byte(m[1]), &cfg); err != nil {
		t.Fatalf("playground-config: %v\n%s", err, m[1])
	}
	if !reflect.DeepEqual(cfg.Headers, headers) {
		t.Errorf("the page's headers are %v, want %v", cfg.Headers, headers)
	}
	if cfg.Endpoint != "/graphql" || len(cfg.Tabs) < 3 {
		t.Errorf("endpoint %q with %d example tabs", cfg.Endpoint, len(cfg.Tabs))
	}
	schema := generated.NewExecutableSchema(generated.Config{}).Schema()
	for i, tab := range cfg.Tabs {
		doc, err := parser.ParseQuery(&ast.Source{Input: tab.Query})
		if err != nil {
			t.Errorf("example %d does not parse: %v\n%s", i, err, tab.Query)
			continue
		}
		if errs := validator.Validate(schema, doc); len(errs) > 0 {
			t.Errorf("example %d is not valid against the schema: %v\n%s", i, errs, tab.Query)
		}
	}
}

func TestSchemaIsServed(t *testing.T) {
	x := do(t, newRequest(t, http.MethodGet, server.URL+"/schema.graphql", nil), nil)
	if mt, params, _ := mime.ParseMediaType(x.header.Get("Content-Type")); x.status != http.StatusOK || mt != "text/plain" || params["charset"] != "utf-8" {
		t.Fatalf("HTTP %d, Content-Type %q; want 200 text/plain; charset=utf-8", x.status, x.header.Get("Content-Type"))
	}
	if string(x.body) != api.SchemaSDL() {
		t.Errorf("GET /schema.graphql differs from api.SchemaSDL (what `catalogue schema` prints)")
	}
	served, err := gqlparser.LoadSchema(&ast.Source{Name: "schema.graphql", Input: string(x.body)})
	if err != nil {
		t.Fatalf("the served SDL does not load: %v", err)
	}
	names := func(s *ast.Schema) []string {
		var out []string
		for name, def := range s.Types {
			if !def.BuiltIn {
				out = append(out, name)
			}
		}
		slices.Sort(out)
		return out
	}
	exec := generated.NewExecutableSchema(generated.Config{}).Schema()
	if got, want := names(served), names(exec); !slices.Equal(got, want) {
		t.Errorf("types of the served SDL %v\nwant the executable schema's %v", got, want)
	}
	for name, def := range exec.Types {
		if def.BuiltIn {
			continue
		}
		got := served.Types[name]
		// Fields from built-in sources (federation's Query._entities and
		// _service) are the router's, not the clients'.
		fields := slices.DeleteFunc(slices.Clone(def.Fields), func(f *ast.FieldDefinition) bool {
			return f.Position != nil && f.Position.Src != nil && f.Position.Src.BuiltIn
		})
		if got == nil || got.Kind != def.Kind || len(got.Fields) != len(fields) || len(got.EnumValues) != len(def.EnumValues) {
			t.Errorf("type %s differs between the served SDL and the executable schema", name)
		}
	}
	if exec.Query.Name != served.Query.Name || exec.Mutation.Name != served.Mutation.Name {
		t.Errorf("root types %s/%s, want %s/%s", served.Query.Name, served.Mutation.Name, exec.Query.Name, exec.Mutation.Name)
	}

	if again := do(t, newRequest(t, http.MethodGet, server.URL+"/schema.graphql", nil), map[string]string{"If-None-Match": x.header.Get("ETag")}); again.status != http.StatusNotModified {
		t.Errorf("If-None-Match: HTTP %d, want 304", again.status)
	}
	// Like introspection, the schema needs credentials.
	if anon := do(t, newRequest(t, http.MethodGet, server.URL+"/schema.graphql", nil), map[string]string{"Authorization": "nokey:nosecret"}); anon.status != http.StatusUnauthorized {
		t.Errorf("without valid credentials: HTTP %d, want 401", anon.status)
	}
}
