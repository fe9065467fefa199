package api_test

// The principal cache, end to end: a repeated credential costs no lookup;
// the cache key holds the exact credential with X-Tenant and enterprise-id;
// a change of credentials made through the API applies from the next
// request on; an expired token or account is refused even when its
// principal is cached; a change made elsewhere applies within the TTL.
//
// These tests revoke keys, terminate accounts and deactivate memberships,
// so they run against servers of their own on a fresh copy of the seeded
// database (never env.DB, which other tests read as their oracle), and
// they read that copy as their oracle.

import (
	"bytes"
	"context"
	"crypto/rand"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/jmoiron/sqlx"

	"catalogue/db"
	"catalogue/db/model"
	"catalogue/internal/api"
	"catalogue/internal/auth"
)

// cacheFixture is a fresh database and a server on it with the principal
// cache on, for a TTL far longer than any test.
type cacheFixture struct {
	db  *sqlx.DB
	srv *httptest.Server
}

var (
	cacheOnce sync.Once
	cacheFix  *cacheFixture
	cacheErr  error
)

func cacheSetup(t *testing.T) *cacheFixture {
	t.Helper()
	cacheOnce.Do(func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		x, _, err := env.NewDatabase(ctx)
		if err != nil {
			cacheErr = err
			return
		}
		cacheFix = &cacheFixture{db: x}
		cacheFix.srv = cacheFix.server(auth.CacheConfig{TTL: time.Minute})
	})
	if cacheErr != nil {
		t.Fatalf("cache fixture: %v", cacheErr)
	}
	return cacheFix
}

// server serves the fixture's database with its own authenticator: another
// server process, as far as the cache is concerned. Tokens are checked
// without leeway. The caller closes it (the fixture's own lives as long
// as the package).
func (f *cacheFixture) server(cache auth.CacheConfig) *httptest.Server {
	verifier, err := auth.NewTokenVerifier(auth.TokenConfig{HS256Secret: tokenSecret})
	if err != nil {
		panic(err) // the suite's secret is valid: signIn made it
	}
	store := db.NewStore(f.db)
	return httptest.NewServer(api.New(store, slog.New(&captureHandler{store: serverLog}), api.Config{
		SQLStats: true, LoaderWait: time.Millisecond, Auth: auth.NewAuthenticator(store, verifier, cache),
	}))
}

// pick returns the first user id of a query on the fixture's database.
func (f *cacheFixture) pick(t *testing.T, q string, args ...any) string {
	t.Helper()
	var id string
	if err := f.db.GetContext(t.Context(), &id, q, args...); err != nil {
		t.Fatalf("oracle %s: %v", compact(q), err)
	}
	return id
}

// member is an active member of exactly one tenant, slug, with role, whose
// account may sign in; skip lists user ids taken by other tests.
func (f *cacheFixture) member(t *testing.T, slug, role string, skip ...string) string {
	t.Helper()
	if skip == nil {
		skip = []string{}
	}
	return f.pick(t, `SELECT u.id FROM users u
		JOIN memberships m ON m.user_id = u.id JOIN tenants tn ON tn.id = m.tenant_id
		WHERE tn.slug = $1 AND m.role = $2 AND m.status = 'ACTIVE' AND `+credValidUser+`
		  AND (SELECT count(*) FROM memberships x WHERE x.user_id = u.id) = 1
		  AND NOT u.id::text = ANY($3::text[])
		ORDER BY u.id LIMIT 1`, slug, role, skip)
}

// cacheToken is a bearer token no other request has sent: the jti makes it
// unique, so its first use is never answered from the cache.
func cacheToken(t *testing.T, user, tenant string, ttl time.Duration) string {
	t.Helper()
	c := jwt.MapClaims{"sub": user, "exp": time.Now().Add(ttl).Unix(), "jti": rand.Text()}
	if tenant != "" {
		c["tenant"] = tenant
	}
	return credSign(t, jwt.SigningMethodHS256, tokenSecret, "", c)
}

// credentialLookups is how many credential statements the request cost.
func credentialLookups(t *testing.T, r *response) int {
	t.Helper()
	if r.Extensions.SQL == nil {
		t.Fatalf("response has no extensions.sql\n%s", r.describe())
	}
	return r.Extensions.SQL.Credentials
}

// viewerOnce asks for the viewer, requires a clean answer and returns it
// with the number of credential lookups the request cost.
func viewerOnce(t *testing.T, base string, headers map[string]string) (credViewer, int) {
	t.Helper()
	r := credPost(t, base, headers, credViewerQuery, nil)
	var d struct {
		Viewer credViewer `json:"viewer"`
	}
	credOK(t, r, &d)
	return d.Viewer, credentialLookups(t, r)
}

// wantLookups asserts the credential lookups of a request.
func wantLookups(t *testing.T, what string, got, want int) {
	t.Helper()
	if got != want {
		t.Errorf("%s: %d credential lookups, want %d", what, got, want)
	}
}

// mutateOK runs a mutation through base that must succeed without user
// errors (the query selects userErrors).
func mutateOK(t *testing.T, base string, headers map[string]string, q string, vars map[string]any) {
	t.Helper()
	r := credPost(t, base, headers, q, vars)
	credOK(t, r, nil)
	if !bytes.Contains(r.Data, []byte(`"userErrors":[]`)) {
		t.Fatalf("the mutation answered user errors\n%s", r.describe())
	}
}

// newKey creates an API key with the given headers on base and returns its
// ID and Authorization value.
func newKey(t *testing.T, base string, headers map[string]string, role string) (id, authorization string) {
	t.Helper()
	var d struct {
		CreateAPIKey struct {
			APIKey        struct{ ID string } `json:"apiKey"`
			Authorization string              `json:"authorization"`
		} `json:"createApiKey"`
	}
	credOK(t, credPost(t, base, headers, credCreateKey, map[string]any{"name": "cache test " + rand.Text()[:8], "role": role}), &d)
	if d.CreateAPIKey.Authorization == "" {
		t.Fatal("createApiKey answered no authorization")
	}
	return d.CreateAPIKey.APIKey.ID, d.CreateAPIKey.Authorization
}

const (
	cacheRevoke     = `mutation($id: ID!) { revokeApiKey(input: {id: $id}) { apiKey { id } userErrors { code message } } }`
	cacheTerminate  = `mutation($id: ID!) { terminateUser(input: {id: $id}) { user { id } userErrors { code message } } }`
	cacheMembership = `mutation($id: ID!, $status: MembershipStatus, $role: MembershipRole) {
		updateMembership(input: {id: $id, status: $status, role: $role}) { membership { id status role } userErrors { code message } } }`
)

// membershipOf is the global ID of a user's membership of a tenant.
func (f *cacheFixture) membershipOf(t *testing.T, user, slug string) string {
	t.Helper()
	return gid(model.TypeMembership, f.pick(t, `SELECT m.id FROM memberships m JOIN tenants tn ON tn.id = m.tenant_id
		WHERE m.user_id = $1 AND tn.slug = $2`, user, slug))
}

// TestAuthCacheServesRepeatedCredentials: the second request with the same
// credentials costs no credential statement and acts as the same
// principal, for a bearer token, an API key and an impersonation; a refused
// credential is looked up again every time.
func TestAuthCacheServesRepeatedCredentials(t *testing.T) {
	f := cacheSetup(t)
	admin := f.member(t, "nordic-sound", "ADMIN")
	user := f.member(t, "nordic-sound", "USER")
	adminH := credBearer(cacheToken(t, admin, "nordic-sound", time.Hour))

	t.Run("bearer token", func(t *testing.T) {
		h := credBearer(cacheToken(t, user, "", time.Hour))
		first, n := viewerOnce(t, f.srv.URL, h)
		wantLookups(t, "first request", n, 1)
		credCheckViewer(t, first, credWant{role: "USER", user: user, tenant: "nordic-sound"})
		r := credPost(t, f.srv.URL, h, credViewerQuery, nil)
		credOK(t, r, nil)
		wantLookups(t, "second request", credentialLookups(t, r), 0)
		if r.Extensions.SQL.Overhead != 2 {
			t.Errorf("a cached request should cost 2 overhead statements (open and end its read), got %d", r.Extensions.SQL.Overhead)
		}
		second, _ := viewerOnce(t, f.srv.URL, h)
		credCheckViewer(t, second, credWant{role: "USER", user: user, tenant: "nordic-sound"})
	})
	t.Run("API key", func(t *testing.T) {
		_, key := newKey(t, f.srv.URL, adminH, "USER")
		_, n := viewerOnce(t, f.srv.URL, credHeaders(key))
		wantLookups(t, "first request", n, 1)
		v, n := viewerOnce(t, f.srv.URL, credHeaders(key))
		wantLookups(t, "second request", n, 0)
		credCheckViewer(t, v, credWant{role: "USER", tenant: "nordic-sound", apiKey: v.APIKey.Name})
	})
	t.Run("impersonation", func(t *testing.T) {
		h := credBearer(cacheToken(t, admin, "nordic-sound", time.Hour), "enterprise-id", user)
		_, n := viewerOnce(t, f.srv.URL, h)
		wantLookups(t, "first request", n, 2) // the caller, then the target
		v, n := viewerOnce(t, f.srv.URL, h)
		wantLookups(t, "second request", n, 0)
		credCheckViewer(t, v, credWant{role: "USER", user: user, tenant: "nordic-sound", impersonator: admin, impersonating: true})
	})
	t.Run("a refusal is not cached", func(t *testing.T) {
		h := credBearer(cacheToken(t, user, "", time.Hour), auth.HeaderTenant, "acme-music")
		for i := range 2 {
			r := credPost(t, f.srv.URL, h, credViewerQuery, nil)
			credWantRefused(t, r, http.StatusForbidden, api.CodeForbidden, []string{"not a member"})
			// A refusal has no extensions: its access-log line says.
			wantLookups(t, fmt.Sprintf("refused request %d", i+1), int(serverLog.accessLogCredentials(t, r.RequestID)), 1)
		}
	})
}

// TestAuthCacheKeyHoldsTenantAndImpersonation: one token used with
// different X-Tenant or enterprise-id headers is a different principal
// each time: the principal cached for one tenant (or one target) is never
// used for another, and its scope is that of the tenant it was made for.
func TestAuthCacheKeyHoldsTenantAndImpersonation(t *testing.T) {
	f := cacheSetup(t)
	var two struct {
		User string `db:"user_id"`
		A    string `db:"a"`
		B    string `db:"b"`
	}
	if err := f.db.GetContext(t.Context(), &two, `SELECT u.id AS user_id, min(tn.slug) AS a, max(tn.slug) AS b
		FROM users u JOIN memberships m ON m.user_id = u.id JOIN tenants tn ON tn.id = m.tenant_id
		WHERE `+credValidUser+` AND m.status = 'ACTIVE'
		GROUP BY u.id HAVING count(*) = 2 AND count(*) FILTER (WHERE tn.parent_id IS NOT NULL) = 0
		ORDER BY u.id LIMIT 1`); err != nil {
		t.Fatalf("the seed should hold an active member of two top-level tenants: %v", err)
	}
	// A member of B only, whom a principal scoped to A cannot see.
	onlyB := f.member(t, two.B, "USER")
	nodeQ := `query($id: ID!) { node(id: $id) { id } }`
	tok := cacheToken(t, two.User, "", time.Hour)

	t.Run("X-Tenant", func(t *testing.T) {
		inA := credBearer(tok, auth.HeaderTenant, two.A)
		inB := credBearer(tok, auth.HeaderTenant, two.B)
		v, n := viewerOnce(t, f.srv.URL, inA)
		wantLookups(t, "in A, first", n, 1)
		credCheckViewer(t, v, credWant{role: v.Role, user: two.User, tenant: two.A})
		r := credPost(t, f.srv.URL, inA, nodeQ, map[string]any{"id": gid(model.TypeUser, onlyB)})
		credOK(t, r, nil)
		wantLookups(t, "in A, second", credentialLookups(t, r), 0)
		if string(at(t, r.Data, "node")) != "null" {
			t.Errorf("acting in %s, a member of %s only is visible: %s", two.A, two.B, r.Data)
		}

		v, n = viewerOnce(t, f.srv.URL, inB)
		wantLookups(t, "in B, first", n, 1)
		credCheckViewer(t, v, credWant{role: v.Role, user: two.User, tenant: two.B})
		r = credPost(t, f.srv.URL, inB, nodeQ, map[string]any{"id": gid(model.TypeUser, onlyB)})
		credOK(t, r, nil)
		if string(at(t, r.Data, "node")) == "null" {
			t.Errorf("acting in %s, its member %s is not visible", two.B, onlyB)
		}

		// Neither cached principal answers for no tenant or another one.
		r = credPost(t, f.srv.URL, credBearer(tok), credViewerQuery, nil)
		credWantRefused(t, r, http.StatusBadRequest, api.CodeBadUserInput, []string{auth.HeaderTenant, two.A, two.B})
		r = credPost(t, f.srv.URL, credBearer(tok, auth.HeaderTenant, "no-such-tenant"), credViewerQuery, nil)
		credWantRefused(t, r, http.StatusForbidden, api.CodeForbidden, []string{"not a member"})
	})

	t.Run("enterprise-id", func(t *testing.T) {
		admin := f.member(t, "acme-music", "ADMIN")
		x := f.member(t, "acme-music", "USER")
		y := f.member(t, "acme-music", "USER", x)
		foreign := f.member(t, "nordic-sound", "USER")
		atok := cacheToken(t, admin, "acme-music", time.Hour)

		self, n := viewerOnce(t, f.srv.URL, credBearer(atok))
		wantLookups(t, "as self", n, 1)
		credCheckViewer(t, self, credWant{role: "ADMIN", user: admin, tenant: "acme-music"})
		for _, target := range []string{x, y} {
			v, n := viewerOnce(t, f.srv.URL, credBearer(atok, "enterprise-id", target))
			wantLookups(t, "as "+target, n, 2)
			credCheckViewer(t, v, credWant{role: "USER", user: target, tenant: "acme-music", impersonator: admin, impersonating: true})
		}
		self, n = viewerOnce(t, f.srv.URL, credBearer(atok))
		wantLookups(t, "as self again", n, 0)
		credCheckViewer(t, self, credWant{role: "ADMIN", user: admin, tenant: "acme-music"})
		r := credPost(t, f.srv.URL, credBearer(atok, "enterprise-id", foreign), credViewerQuery, nil)
		credWantRefused(t, r, http.StatusForbidden, api.CodeForbidden, nil)
	})
}

// TestAuthCacheChangesThroughTheAPIApplyAtOnce: a principal cached by the
// server is dropped by the mutation that changes it, so the very next
// request is checked again: a revoked API key, a terminated account and a
// deactivated membership are refused, a reactivated one and a new role
// apply, and an impersonation of a member who was deactivated stops.
func TestAuthCacheChangesThroughTheAPIApplyAtOnce(t *testing.T) {
	f := cacheSetup(t)
	admin := f.member(t, "blue-label-group", "ADMIN")
	adminH := credBearer(cacheToken(t, admin, "blue-label-group", time.Hour))
	users := map[string]string{}
	taken := []string{admin}
	for _, name := range []string{"terminated", "deactivated", "promoted", "impersonated"} {
		users[name] = f.member(t, "blue-label-group", "USER", taken...)
		taken = append(taken, users[name])
	}
	// cached asks twice and requires the second answer from the cache.
	cached := func(t *testing.T, h map[string]string) credViewer {
		t.Helper()
		viewerOnce(t, f.srv.URL, h)
		v, n := viewerOnce(t, f.srv.URL, h)
		wantLookups(t, "the second request", n, 0)
		return v
	}

	t.Run("revoked API key", func(t *testing.T) {
		id, key := newKey(t, f.srv.URL, adminH, "USER")
		cached(t, credHeaders(key))
		mutateOK(t, f.srv.URL, adminH, cacheRevoke, map[string]any{"id": id})
		r := credPost(t, f.srv.URL, credHeaders(key), credViewerQuery, nil)
		credWantRefused(t, r, http.StatusUnauthorized, api.CodeUnauthenticated, []string{"revoked"})
	})
	t.Run("terminated account", func(t *testing.T) {
		h := credBearer(cacheToken(t, users["terminated"], "", time.Hour))
		cached(t, h)
		mutateOK(t, f.srv.URL, adminH, cacheTerminate, map[string]any{"id": gid(model.TypeUser, users["terminated"])})
		r := credPost(t, f.srv.URL, h, credViewerQuery, nil)
		credWantRefused(t, r, http.StatusUnauthorized, api.CodeUnauthenticated, []string{"terminated"})
	})
	t.Run("deactivated, then reactivated membership", func(t *testing.T) {
		u := users["deactivated"]
		h := credBearer(cacheToken(t, u, "", time.Hour))
		m := f.membershipOf(t, u, "blue-label-group")
		cached(t, h)
		mutateOK(t, f.srv.URL, adminH, cacheMembership, map[string]any{"id": m, "status": "DEACTIVATED"})
		r := credPost(t, f.srv.URL, h, credViewerQuery, nil)
		credWantRefused(t, r, http.StatusForbidden, api.CodeForbidden, []string{"deactivated"})
		mutateOK(t, f.srv.URL, adminH, cacheMembership, map[string]any{"id": m, "status": "ACTIVE"})
		v, _ := viewerOnce(t, f.srv.URL, h)
		credCheckViewer(t, v, credWant{role: "USER", user: u, tenant: "blue-label-group"})
	})
	t.Run("new role", func(t *testing.T) {
		u := users["promoted"]
		h := credBearer(cacheToken(t, u, "", time.Hour))
		credCheckViewer(t, cached(t, h), credWant{role: "USER", user: u, tenant: "blue-label-group"})
		mutateOK(t, f.srv.URL, adminH, cacheMembership, map[string]any{"id": f.membershipOf(t, u, "blue-label-group"), "role": "ADMIN"})
		v, _ := viewerOnce(t, f.srv.URL, h)
		credCheckViewer(t, v, credWant{role: "ADMIN", user: u, tenant: "blue-label-group"})
	})
	t.Run("impersonated member deactivated", func(t *testing.T) {
		u := users["impersonated"]
		h := credBearer(cacheToken(t, admin, "blue-label-group", time.Hour), "enterprise-id", u)
		cached(t, h)
		mutateOK(t, f.srv.URL, adminH, cacheMembership, map[string]any{"id": f.membershipOf(t, u, "blue-label-group"), "status": "DEACTIVATED"})
		r := credPost(t, f.srv.URL, h, credViewerQuery, nil)
		credWantRefused(t, r, http.StatusForbidden, api.CodeForbidden, []string{"deactivated"})
	})
}

// TestAuthCacheHonoursExpiry: a cached principal is not used past its
// token's exp, nor past its account's expires_at, even though nothing
// told the server (the account's expiry is set in the database directly).
func TestAuthCacheHonoursExpiry(t *testing.T) {
	f := cacheSetup(t)
	user := f.member(t, "acme-music-fr", "USER")
	other := f.member(t, "acme-music-fr", "USER", user)

	t.Run("token", func(t *testing.T) {
		exp := time.Now().Add(2 * time.Second).Truncate(time.Second)
		tok := credSign(t, jwt.SigningMethodHS256, tokenSecret, "", jwt.MapClaims{"sub": user, "exp": exp.Unix(), "jti": rand.Text()})
		h := credBearer(tok)
		viewerOnce(t, f.srv.URL, h)
		if _, n := viewerOnce(t, f.srv.URL, h); n != 0 && time.Now().Before(exp) {
			t.Errorf("the token's principal was not cached: %d credential lookups", n)
		}
		time.Sleep(time.Until(exp) + 50*time.Millisecond)
		r := credPost(t, f.srv.URL, h, credViewerQuery, nil)
		credWantRefused(t, r, http.StatusUnauthorized, api.CodeUnauthenticated, []string{"token expired"})
	})
	t.Run("account", func(t *testing.T) {
		var expires time.Time
		if err := f.db.GetContext(t.Context(), &expires,
			`UPDATE users SET expires_at = now() + interval '2 seconds' WHERE id = $1 RETURNING expires_at`, other); err != nil {
			t.Fatal(err)
		}
		h := credBearer(cacheToken(t, other, "", time.Hour))
		viewerOnce(t, f.srv.URL, h)
		if _, n := viewerOnce(t, f.srv.URL, h); n != 0 && time.Now().Before(expires) {
			t.Errorf("the account's principal was not cached: %d credential lookups", n)
		}
		time.Sleep(time.Until(expires) + 50*time.Millisecond)
		r := credPost(t, f.srv.URL, h, credViewerQuery, nil)
		credWantRefused(t, r, http.StatusUnauthorized, api.CodeUnauthenticated, []string{"expired"})
	})
}

// TestAuthCacheTTLBoundsChangesMadeElsewhere: a change that another
// server process makes, of which this one hears nothing, applies here once
// the TTL has passed.
func TestAuthCacheTTLBoundsChangesMadeElsewhere(t *testing.T) {
	f := cacheSetup(t)
	const ttl = 500 * time.Millisecond
	other := f.server(auth.CacheConfig{TTL: ttl})
	defer other.Close()
	admin := f.member(t, "acme-music-fr", "ADMIN")
	adminH := credBearer(cacheToken(t, admin, "acme-music-fr", time.Hour))
	id, key := newKey(t, f.srv.URL, adminH, "USER")

	viewerOnce(t, other.URL, credHeaders(key))
	if _, n := viewerOnce(t, other.URL, credHeaders(key)); n != 0 {
		t.Fatalf("the other server did not cache the key: %d credential lookups", n)
	}
	mutateOK(t, f.srv.URL, adminH, cacheRevoke, map[string]any{"id": id})
	time.Sleep(ttl + 50*time.Millisecond)
	r := credPost(t, other.URL, credHeaders(key), credViewerQuery, nil)
	credWantRefused(t, r, http.StatusUnauthorized, api.CodeUnauthenticated, []string{"revoked"})
}
