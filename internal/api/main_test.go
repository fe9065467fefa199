// Package api_test is the end-to-end specification of the catalogue graph:
// every test sends real HTTP requests to the handler that main serves
// (api.New) over a PostgreSQL database migrated and loaded with the
// deterministic demo seed. Expected values are never written down by hand:
// each test asks PostgreSQL directly (the oracle) and compares.
package api_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"

	"catalogue/db"
	"catalogue/db/model"
	"catalogue/internal/api"
	"catalogue/internal/auth"
	"catalogue/internal/testdb"
)

var (
	// env is the package's database: a fresh copy of the seeded template.
	env *testdb.Env
	// server serves api.New over real HTTP.
	server *httptest.Server
	// serverLog keeps what the handler logged, per request ID, so that a
	// failing test can show it and tests can read the access log.
	serverLog = newLogStore()
)

func TestMain(m *testing.M) {
	code, err := run(m)
	if err != nil {
		// No database is a failure, never a skip: a suite that passes
		// without PostgreSQL proves nothing.
		fmt.Fprintln(os.Stderr, "internal/api tests:", err)
		os.Exit(1)
	}
	os.Exit(code)
}

func run(m *testing.M) (int, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	var err error
	// Runtime pools are the server's: binary parameters, prepared
	// statements.
	testdb.RuntimePool = func(ctx context.Context, url string) (*sqlx.DB, error) {
		return db.Open(ctx, url, db.PoolConfig{Statements: db.DefaultStatements, Lazy: true})
	}
	env, err = testdb.Setup(ctx, prepare)
	if err != nil {
		return 1, err
	}
	defer env.Close()

	// The handler connects as the server does, as the runtime role, which
	// row-level security binds; the oracles read env.DB as the superuser.
	store := db.NewStore(env.RuntimeDB)
	authn, err := signIn(ctx, store)
	if err != nil {
		return 1, err
	}
	handler := api.New(store, slog.New(&captureHandler{store: serverLog}), api.Config{
		SQLStats:   true,
		Playground: true,
		LoaderWait: 5 * time.Millisecond,
		Auth:       authn,
	})
	server = httptest.NewServer(handler)
	defer server.Close()
	return m.Run(), nil
}

// signIn makes the server accept HS256 bearer tokens signed with a secret
// of the suite's own, and mints the suite's token: that of a platform
// administrator (SUPER_ADMIN, no X-Tenant), who sees every tenant, so that
// the SQL oracles need no tenant scope.
func signIn(ctx context.Context, store *db.Store) (*auth.Authenticator, error) {
	tokenSecret = []byte(rand.Text() + rand.Text())
	verifier, err := auth.NewTokenVerifier(auth.TokenConfig{HS256Secret: tokenSecret})
	if err != nil {
		return nil, err
	}
	var admin string
	if err := env.DB.GetContext(ctx, &admin, `
		SELECT id FROM users
		WHERE 'SUPER_ADMIN' = ANY(admin_roles) AND NOT is_deleted AND (expires_at IS NULL OR expires_at > now())
		ORDER BY id LIMIT 1`); err != nil {
		return nil, fmt.Errorf("the seed should hold a platform administrator: %w", err)
	}
	if bearer, err = auth.SignHS256(tokenSecret, admin, "", time.Hour); err != nil {
		return nil, err
	}
	return auth.NewAuthenticator(store, verifier, suiteCache), nil
}

// suiteCache caches principals far longer than a server would, so that a
// test which expects a change of credentials to apply and is answered from
// a stale principal fails instead of passing by luck of timing.
var suiteCache = auth.CacheConfig{TTL: time.Minute}

var (
	// tokenSecret signs the bearer tokens the server accepts.
	tokenSecret []byte
	// bearer is the suite's token; see signIn.
	bearer string
)

// tokenFor mints a bearer token for a user acting in a tenant.
func tokenFor(t testing.TB, userID, tenantSlug string) string {
	t.Helper()
	tok, err := auth.SignHS256(tokenSecret, userID, tenantSlug, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// prepare builds the template database every test database is copied from.
func prepare(ctx context.Context, x *sqlx.DB) error {
	if _, err := db.Migrate(ctx, x); err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	if err := db.Seed(ctx, x, db.DemoSeed); err != nil {
		return fmt.Errorf("seed: %w", err)
	}
	return nil
}

// ---------------------------------------------------------------------------
// GraphQL over HTTP

// gqlError is one entry of a response's errors list.
type gqlError struct {
	Message    string         `json:"message"`
	Path       []any          `json:"path"`
	Extensions map[string]any `json:"extensions"`
}

func (e gqlError) code() string {
	c, _ := e.Extensions["code"].(string)
	return c
}

// response is a decoded GraphQL response with the HTTP facts around it.
type response struct {
	Data       json.RawMessage `json:"data"`
	Errors     []gqlError      `json:"errors"`
	Extensions struct {
		SQL *struct {
			Statements  int     `json:"statements"`
			Overhead    int     `json:"overheadStatements"`
			Credentials int     `json:"credentialStatements"`
			DurationMs  float64 `json:"durationMs"`
		} `json:"sql"`
	} `json:"extensions"`

	// The HTTP exchange; never read from the body.
	Status      int            `json:"-"`
	ContentType string         `json:"-"`
	RequestID   string         `json:"-"`
	Body        []byte         `json:"-"`
	query       string         // request, for failure messages
	vars        map[string]any // request, for failure messages
}

// describe renders the request and response for a failure message.
func (r *response) describe() string {
	vars, _ := json.Marshal(r.vars)
	body := string(r.Body)
	if len(body) > 2000 {
		body = body[:2000] + "…"
	}
	return fmt.Sprintf("query: %s\nvariables: %s\nHTTP %d (%s), X-Request-Id %s\nbody: %s\nserver log:\n%s",
		compact(r.query), vars, r.Status, r.ContentType, r.RequestID, body, serverLog.lines(r.RequestID))
}

func compact(q string) string { return strings.Join(strings.Fields(q), " ") }

// send performs one HTTP request with the suite's credentials (unless the
// request carries its own) and decodes the GraphQL response when the body
// is JSON. It reports problems as errors so that goroutines can use it.
func send(req *http.Request) (*response, error) {
	if req.Header.Get("Authorization") == "" {
		req.Header.Set("Authorization", "Bearer "+bearer)
	}
	return sendAnonymous(req)
}

// sendAnonymous is send without adding credentials.
func sendAnonymous(req *http.Request) (*response, error) {
	resp, err := server.Client().Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, err
	}
	r := &response{
		Status:      resp.StatusCode,
		ContentType: resp.Header.Get("Content-Type"),
		RequestID:   resp.Header.Get("X-Request-Id"),
		Body:        body,
	}
	if strings.Contains(r.ContentType, "json") && len(body) > 0 {
		if err := json.Unmarshal(body, r); err != nil {
			return r, fmt.Errorf("response is not GraphQL JSON: %v\n%s", err, body)
		}
	}
	return r, nil
}

// postGraphQL sends a query as a JSON POST to /graphql.
func postGraphQL(ctx context.Context, query string, vars map[string]any) (*response, error) {
	return postGraphQLAs(ctx, bearer, query, vars)
}

// postGraphQLAs sends a query with the given bearer token.
func postGraphQLAs(ctx context.Context, token, query string, vars map[string]any) (*response, error) {
	body, err := json.Marshal(map[string]any{"query": query, "variables": vars})
	if err != nil {
		return nil, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, server.URL+"/graphql", bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+token)
	r, err := send(req)
	if r != nil {
		r.query, r.vars = query, vars
	}
	return r, err
}

// gql POSTs a query and returns the decoded response, failing the test if
// the exchange itself fails. It asserts nothing about the GraphQL result.
func gql(t testing.TB, query string, vars map[string]any) *response {
	t.Helper()
	r, err := postGraphQL(t.Context(), query, vars)
	if err != nil {
		if r != nil {
			t.Fatalf("%v\n%s", err, r.describe())
		}
		t.Fatalf("POST /graphql: %v", err)
	}
	return r
}

// mustData asserts a clean response (HTTP 200, no errors) and decodes its
// data into dst.
func mustData(t testing.TB, r *response, dst any) {
	t.Helper()
	if r.Status != http.StatusOK || len(r.Errors) > 0 {
		t.Fatalf("want HTTP 200 without errors\n%s", r.describe())
	}
	if dst == nil {
		return
	}
	if err := json.Unmarshal(r.Data, dst); err != nil {
		t.Fatalf("decoding data into %T: %v\n%s", dst, err, r.describe())
	}
}

// query runs a query that must succeed and decodes its data into dst.
func query(t testing.TB, q string, vars map[string]any, dst any) *response {
	t.Helper()
	r := gql(t, q, vars)
	mustData(t, r, dst)
	return r
}

// wantErrorCode asserts that the response carries an error with
// extensions.code = code, that no error is INTERNAL and that the server did
// not answer 5xx. It returns the matching error.
func wantErrorCode(t testing.TB, r *response, code string) gqlError {
	t.Helper()
	if r.Status >= 500 {
		t.Errorf("HTTP %d: a client mistake must never be a server error\n%s", r.Status, r.describe())
	}
	var found *gqlError
	for i, e := range r.Errors {
		if e.code() == api.CodeInternal {
			t.Errorf("error %q is INTERNAL: a client mistake must be reported as such\n%s", e.Message, r.describe())
		}
		if e.code() == code && found == nil {
			found = &r.Errors[i]
		}
	}
	if found == nil {
		t.Fatalf("want an error with extensions.code %s\n%s", code, r.describe())
	}
	return *found
}

// statements is the number of SQL statements the server reports it ran.
func (r *response) statements(t testing.TB) int {
	t.Helper()
	if r.Extensions.SQL == nil {
		t.Fatalf("response has no extensions.sql (SQLStats is on)\n%s", r.describe())
	}
	return r.Extensions.SQL.Statements
}

// ---------------------------------------------------------------------------
// Connections as the client sees them

type pageInfo struct {
	HasNextPage     bool    `json:"hasNextPage"`
	HasPreviousPage bool    `json:"hasPreviousPage"`
	StartCursor     *string `json:"startCursor"`
	EndCursor       *string `json:"endCursor"`
}

type edge struct {
	Cursor string `json:"cursor"`
	Node   struct {
		ID string `json:"id"`
	} `json:"node"`
}

// conn is any connection decoded down to IDs and cursors.
type conn struct {
	TotalCount *int     `json:"totalCount"`
	PageInfo   pageInfo `json:"pageInfo"`
	Edges      []edge   `json:"edges"`
}

// connSelection selects everything conn decodes.
const connSelection = `{ totalCount pageInfo { hasNextPage hasPreviousPage startCursor endCursor } edges { cursor node { id } } }`

func (c conn) ids() []string {
	out := make([]string, len(c.Edges))
	for i, e := range c.Edges {
		out[i] = e.Node.ID
	}
	return out
}

// at walks object keys down a JSON document.
func at(t testing.TB, doc json.RawMessage, path ...string) json.RawMessage {
	t.Helper()
	cur := doc
	for i, key := range path {
		var obj map[string]json.RawMessage
		if err := json.Unmarshal(cur, &obj); err != nil || obj == nil {
			t.Fatalf("no object at %s in %s", strings.Join(path[:i], "."), truncate(string(doc), 500))
		}
		next, ok := obj[key]
		if !ok {
			t.Fatalf("no %s in %s", strings.Join(path[:i+1], "."), truncate(string(doc), 500))
		}
		cur = next
	}
	return cur
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}

// ---------------------------------------------------------------------------
// The SQL oracle

// sqlIDs runs a query returning one UUID column and encodes each as the
// global ID of type typ, in the query's order.
func sqlIDs(t testing.TB, typ model.NodeType, q string, args ...any) []string {
	t.Helper()
	var raw []string
	if err := env.DB.SelectContext(t.Context(), &raw, q, args...); err != nil {
		t.Fatalf("oracle %s: %v", compact(q), err)
	}
	out := make([]string, len(raw))
	for i, id := range raw {
		out[i] = model.EncodeID(typ, id)
	}
	return out
}

// sqlValue runs a query returning one row into dst (a scalar pointer or a
// struct with db tags).
func sqlValue(t testing.TB, dst any, q string, args ...any) {
	t.Helper()
	if err := env.DB.GetContext(t.Context(), dst, q, args...); err != nil {
		t.Fatalf("oracle %s: %v", compact(q), err)
	}
}

// sqlRows runs a query returning many rows into dst (a slice pointer).
func sqlRows(t testing.TB, dst any, q string, args ...any) {
	t.Helper()
	if err := env.DB.SelectContext(t.Context(), dst, q, args...); err != nil {
		t.Fatalf("oracle %s: %v", compact(q), err)
	}
}

// tenantID is the UUID of the tenant with the given slug.
func tenantID(t testing.TB, slug string) string {
	t.Helper()
	var id string
	sqlValue(t, &id, `SELECT id FROM tenants WHERE slug = $1`, slug)
	return id
}

// own limits a tenant list to the tenant's own rows: Tenant.brands,
// members, artists, labels and releases take in the rows of the tenant's
// subsidiaries unless told otherwise, and most oracles of this suite
// describe one tenant's rows.
const own = " includeSubsidiaries: false "

// gid is shorthand for a global ID.
func gid(typ model.NodeType, uuid string) string { return model.EncodeID(typ, uuid) }

// equalIDs reports the first difference between two ID lists, "" if none.
func diffIDs(got, want []string) string {
	for i := 0; i < len(got) && i < len(want); i++ {
		if got[i] != want[i] {
			return fmt.Sprintf("first difference at index %d: got %s, want %s (got %d items, want %d)",
				i, decodeForHumans(got[i]), decodeForHumans(want[i]), len(got), len(want))
		}
	}
	if len(got) != len(want) {
		return fmt.Sprintf("got %d items, want %d", len(got), len(want))
	}
	return ""
}

// decodeForHumans shows a global ID with its decoded content.
func decodeForHumans(id string) string {
	typ, uuid, err := model.DecodeID(id)
	if err != nil {
		return id
	}
	return fmt.Sprintf("%s(%s:%s)", id, typ, uuid)
}

// ---------------------------------------------------------------------------
// Server log capture

// logStore keeps the server's log lines by request ID and the statement
// and credential lookup counts of each request's access-log line.
type logStore struct {
	mu          sync.Mutex
	byRequest   map[string][]string
	statements  map[string]int64
	credentials map[string]int64
}

func newLogStore() *logStore {
	return &logStore{byRequest: map[string][]string{}, statements: map[string]int64{}, credentials: map[string]int64{}}
}

func (s *logStore) lines(requestID string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.byRequest[requestID]) == 0 {
		return "  (none)"
	}
	return "  " + strings.Join(s.byRequest[requestID], "\n  ")
}

// records are the request's log lines, each "LEVEL message key=value…".
func (s *logStore) records(requestID string) []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.byRequest[requestID]...)
}

// accessLogStatements is the sql_statements of the request's access-log
// line: the statement count measured outside GraphQL, around the handler.
func (s *logStore) accessLogStatements(t testing.TB, requestID string) int64 {
	t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	n, ok := s.statements[requestID]
	if !ok {
		t.Fatalf("no access-log line for request %s", requestID)
	}
	return n
}

// accessLogCredentials is the sql_credentials of the request's access-log
// line: how many credential lookups it cost, also when it was refused.
func (s *logStore) accessLogCredentials(t testing.TB, requestID string) int64 {
	t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	n, ok := s.credentials[requestID]
	if !ok {
		t.Fatalf("no access-log line for request %s", requestID)
	}
	return n
}

// captureHandler is a slog.Handler that files records into a logStore.
type captureHandler struct {
	store *logStore
	attrs []slog.Attr
}

func (h *captureHandler) Enabled(context.Context, slog.Level) bool { return true }

func (h *captureHandler) WithAttrs(as []slog.Attr) slog.Handler {
	return &captureHandler{store: h.store, attrs: append(append([]slog.Attr{}, h.attrs...), as...)}
}

func (h *captureHandler) WithGroup(string) slog.Handler { return h }

func (h *captureHandler) Handle(_ context.Context, r slog.Record) error {
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s", r.Level, r.Message)
	var requestID string
	statements, credentials := int64(-1), int64(-1)
	visit := func(a slog.Attr) bool {
		fmt.Fprintf(&b, " %s=%v", a.Key, a.Value)
		switch a.Key {
		case "request_id":
			requestID = a.Value.String()
		case "sql_statements":
			statements = a.Value.Int64()
		case "sql_credentials":
			credentials = a.Value.Int64()
		}
		return true
	}
	for _, a := range h.attrs {
		visit(a)
	}
	r.Attrs(visit)
	h.store.mu.Lock()
	defer h.store.mu.Unlock()
	h.store.byRequest[requestID] = append(h.store.byRequest[requestID], b.String())
	if r.Message == "request" && statements >= 0 {
		h.store.statements[requestID] = statements
	}
	if r.Message == "request" && credentials >= 0 {
		h.store.credentials[requestID] = credentials
	}
	return nil
}
