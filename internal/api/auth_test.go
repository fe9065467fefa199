package api_test

// Authentication, authorisation and tenant isolation, end to end: every
// credential kind (HS256, RS256 and ES256 bearer tokens, API keys), every
// way a credential can fail, the permissions of each role, impersonation
// with the enterprise-id header and its audit trail, and a randomized
// cross-tenant probe that no request ever sees another tenant's rows.
// Expectations come from SQL (the oracle), never from the server.

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"database/sql"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"log/slog"
	"math/big"
	mrand "math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/google/uuid"
	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"catalogue/db"
	"catalogue/db/model"
	"catalogue/internal/api"
	"catalogue/internal/auth"
)

// ---------------------------------------------------------------------------
// Helpers of this file (prefixed cred* to stay clear of other files).

// credPost sends a GraphQL POST to base+"/graphql" with exactly the given
// headers: no suite credentials are added, so an absent Authorization
// header really is absent.
func credPost(t testing.TB, base string, headers map[string]string, q string, vars map[string]any) *response {
	t.Helper()
	body, err := json.Marshal(map[string]any{"query": q, "variables": vars})
	if err != nil {
		t.Fatal(err)
	}
	req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, base+"/graphql", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	r, err := sendAnonymous(req)
	if r != nil {
		r.query, r.vars = q, vars
	}
	if err != nil {
		if r != nil {
			t.Fatalf("%v\n%s", err, r.describe())
		}
		t.Fatalf("POST %s/graphql: %v", base, err)
	}
	return r
}

// credBearer is the headers of a bearer token, plus extra header pairs.
func credBearer(token string, kv ...string) map[string]string {
	return credHeaders("Bearer "+token, kv...)
}

// credHeaders is an Authorization value plus extra header pairs.
func credHeaders(authorization string, kv ...string) map[string]string {
	h := map[string]string{}
	if authorization != "" {
		h["Authorization"] = authorization
	}
	for i := 0; i+1 < len(kv); i += 2 {
		h[kv[i]] = kv[i+1]
	}
	return h
}

// credWantRefused asserts an authentication failure: the HTTP status, one
// error with the code, a message containing every hint (case-insensitive),
// no data, and none of the secrets anywhere in the body.
func credWantRefused(t testing.TB, r *response, status int, code string, hints []string, secrets ...string) {
	t.Helper()
	if r.Status != status {
		t.Errorf("HTTP %d, want %d\n%s", r.Status, status, r.describe())
	}
	if len(r.Errors) == 0 {
		t.Fatalf("want an error with code %s\n%s", code, r.describe())
	}
	e := r.Errors[0]
	if e.code() != code {
		t.Errorf("extensions.code %q, want %s\n%s", e.code(), code, r.describe())
	}
	for _, h := range hints {
		if !strings.Contains(strings.ToLower(e.Message), strings.ToLower(h)) {
			t.Errorf("message %q should say %q", e.Message, h)
		}
	}
	if len(r.Data) > 0 && string(r.Data) != "null" {
		t.Errorf("a refused request got data: %s", r.Data)
	}
	credWantNoSecret(t, r, secrets...)
}

// credWantNoSecret asserts that no secret occurs in the response body.
func credWantNoSecret(t testing.TB, r *response, secrets ...string) {
	t.Helper()
	for _, s := range secrets {
		if s != "" && bytes.Contains(r.Body, []byte(s)) {
			t.Errorf("the response echoes a secret (%s…)\n%s", truncate(s, 6), r.describe())
		}
	}
}

// credForbidden asserts a FORBIDDEN error whose message names perm.
func credForbidden(t testing.TB, r *response, perm string) {
	t.Helper()
	e := wantErrorCode(t, r, api.CodeForbidden)
	if perm != "" && !strings.Contains(e.Message, perm) {
		t.Errorf("FORBIDDEN message %q should name the missing permission %q", e.Message, perm)
	}
}

// credOK asserts a clean answer (HTTP 200, no errors) and decodes it.
func credOK(t testing.TB, r *response, dst any) {
	t.Helper()
	mustData(t, r, dst)
}

// credValidUser is the condition on users u of an account that may sign
// in: not terminated, not expired, no platform role.
const credValidUser = `NOT u.is_deleted AND (u.expires_at IS NULL OR u.expires_at > now()) AND u.admin_roles = '{}'`

// credPick returns the first user id of a query, or "" when there is none.
func credPick(t testing.TB, q string, args ...any) string {
	t.Helper()
	var id string
	err := env.DB.GetContext(t.Context(), &id, q, args...)
	if errors.Is(err, sql.ErrNoRows) {
		return ""
	}
	if err != nil {
		t.Fatalf("oracle %s: %v", compact(q), err)
	}
	return id
}

// credMember is an active member of exactly one tenant, slug, with role,
// whose account may sign in; skip lists user ids not to pick.
func credMember(t testing.TB, slug, role string, skip ...string) string {
	t.Helper()
	if skip == nil {
		skip = []string{}
	}
	id := credPick(t, `
		SELECT u.id FROM users u
		JOIN memberships m ON m.user_id = u.id JOIN tenants tn ON tn.id = m.tenant_id
		WHERE tn.slug = $1 AND m.role = $2 AND m.status = 'ACTIVE' AND `+credValidUser+`
		  AND (SELECT count(*) FROM memberships x WHERE x.user_id = u.id) = 1
		  AND NOT u.id::text = ANY($3::text[])
		ORDER BY u.id LIMIT 1`, slug, role, pq.Array(skip))
	if id == "" {
		t.Fatalf("the seed should hold an active %s of %s with one membership", role, slug)
	}
	return id
}

// credSign signs claims with method and key, setting kid when given.
func credSign(t testing.TB, method jwt.SigningMethod, key any, kid string, claims jwt.MapClaims) string {
	t.Helper()
	tok := jwt.NewWithClaims(method, claims)
	if kid != "" {
		tok.Header["kid"] = kid
	}
	s, err := tok.SignedString(key)
	if err != nil {
		t.Fatalf("sign %s: %v", method.Alg(), err)
	}
	return s
}

// credClaims are valid claims for user, shifted by the given offsets from
// now (exp after, nbf before).
func credClaims(user string, exp, nbf time.Duration) jwt.MapClaims {
	now := time.Now()
	return jwt.MapClaims{"sub": user, "iat": now.Unix(), "exp": now.Add(exp).Unix(), "nbf": now.Add(nbf).Unix()}
}

// credViewer is the viewer as the client sees it.
type credViewer struct {
	Role        string   `json:"role"`
	Permissions []string `json:"permissions"`
	User        *struct {
		ID string `json:"id"`
	} `json:"user"`
	Tenant *struct {
		Slug string `json:"slug"`
	} `json:"tenant"`
	APIKey *struct {
		Name string `json:"name"`
	} `json:"apiKey"`
	Impersonating bool `json:"impersonating"`
	Impersonator  *struct {
		ID string `json:"id"`
	} `json:"impersonator"`
	SuperAdmin bool `json:"superAdmin"`
}

const credViewerQuery = `{ viewer { role permissions user { id } tenant { slug } apiKey { name } impersonating impersonator { id } superAdmin } }`

// credGetViewer asks for the viewer and requires a clean answer.
func credGetViewer(t testing.TB, base string, headers map[string]string) credViewer {
	t.Helper()
	var d struct {
		Viewer credViewer `json:"viewer"`
	}
	credOK(t, credPost(t, base, headers, credViewerQuery, nil), &d)
	return d.Viewer
}

// credWant is what a viewer should say; "" and nil mean null / absent.
type credWant struct {
	role, user, tenant, apiKey, impersonator string
	impersonating, superAdmin                bool
}

// credRolePermissions are the permissions of seed 003's roles.
func credRolePermissions(role string, super bool) []string {
	user := []auth.Permission{auth.PermRead}
	admin := append(slices.Clone(user), auth.PermReadContacts, auth.PermManageMembers, auth.PermManageCatalog,
		auth.PermManageAPIKeys, auth.PermImpersonate, auth.PermReadAudit)
	owner := append(slices.Clone(admin), auth.PermManageSettings)
	perms := map[string][]auth.Permission{"USER": user, "ADMIN": admin, "OWNER": owner}[role]
	if super {
		perms = append(slices.Clone(owner), auth.PermAllTenants)
	}
	out := make([]string, len(perms))
	for i, p := range perms {
		out[i] = string(p)
	}
	slices.Sort(out)
	return out
}

func credCheckViewer(t testing.TB, v credViewer, w credWant) {
	t.Helper()
	if v.Role != w.role {
		t.Errorf("viewer.role %s, want %s", v.Role, w.role)
	}
	got := slices.Clone(v.Permissions)
	slices.Sort(got)
	if want := credRolePermissions(w.role, w.superAdmin); !slices.Equal(got, want) {
		t.Errorf("viewer.permissions %v, want %v", got, want)
	}
	checkRef := func(what string, got *string, want string) {
		switch {
		case want == "" && got != nil:
			t.Errorf("viewer.%s = %q, want null", what, *got)
		case want != "" && got == nil:
			t.Errorf("viewer.%s is null, want %q", what, want)
		case want != "" && *got != want:
			t.Errorf("viewer.%s = %q, want %q", what, *got, want)
		}
	}
	var user, tenant, key, imp *string
	if v.User != nil {
		user = &v.User.ID
	}
	if v.Tenant != nil {
		tenant = &v.Tenant.Slug
	}
	if v.APIKey != nil {
		key = &v.APIKey.Name
	}
	if v.Impersonator != nil {
		imp = &v.Impersonator.ID
	}
	userGID := func(id string) string {
		if id == "" {
			return ""
		}
		return gid(model.TypeUser, id)
	}
	checkRef("user.id", user, userGID(w.user))
	checkRef("tenant.slug", tenant, w.tenant)
	checkRef("apiKey.name", key, w.apiKey)
	checkRef("impersonator.id", imp, userGID(w.impersonator))
	if v.Impersonating != w.impersonating {
		t.Errorf("viewer.impersonating %v, want %v", v.Impersonating, w.impersonating)
	}
	if v.SuperAdmin != w.superAdmin {
		t.Errorf("viewer.superAdmin %v, want %v", v.SuperAdmin, w.superAdmin)
	}
}

// credKey is an API key made with createApiKey.
type credKey struct {
	ID, Name, KeyID, Role, Tenant, Secret, Authorization string
}

const credCreateKey = `mutation($name: String!, $role: MembershipRole!) {
	createApiKey(input: {name: $name, role: $role}) {
		apiKey { id name keyId role revokedAt tenant { slug } }
		secret authorization
	}
}`

// credCreateKeyAs creates a key and returns the raw response.
func credCreateKeyAs(t testing.TB, headers map[string]string, name, role string) *response {
	t.Helper()
	return credPost(t, server.URL, headers, credCreateKey, map[string]any{"name": name, "role": role})
}

// credNewKey creates a key that must succeed.
func credNewKey(t testing.TB, headers map[string]string, role string) credKey {
	t.Helper()
	name := fmt.Sprintf("auth_test %s key %s", strings.ToLower(role), rand.Text()[:8])
	var d struct {
		CreateAPIKey struct {
			APIKey struct {
				ID     string `json:"id"`
				Name   string `json:"name"`
				KeyID  string `json:"keyId"`
				Role   string `json:"role"`
				Tenant struct {
					Slug string `json:"slug"`
				} `json:"tenant"`
				RevokedAt *string `json:"revokedAt"`
			} `json:"apiKey"`
			Secret        string `json:"secret"`
			Authorization string `json:"authorization"`
		} `json:"createApiKey"`
	}
	credOK(t, credCreateKeyAs(t, headers, name, role), &d)
	p := d.CreateAPIKey
	k := credKey{ID: p.APIKey.ID, Name: p.APIKey.Name, KeyID: p.APIKey.KeyID, Role: p.APIKey.Role,
		Tenant: p.APIKey.Tenant.Slug, Secret: p.Secret, Authorization: p.Authorization}
	if k.Name != name || k.Role != role || p.APIKey.RevokedAt != nil {
		t.Errorf("created key %+v, want name %q role %s, not revoked", p.APIKey, name, role)
	}
	if k.Secret == "" || k.KeyID == "" || k.Authorization != k.KeyID+":"+k.Secret {
		t.Errorf("authorization %q should be <keyId>:<secret> (keyId %q)", truncate(k.Authorization, 10), k.KeyID)
	}
	return k
}

const credRevokeKey = `mutation($id: ID!) { revokeApiKey(input: {id: $id}) { apiKey { id revokedAt } } }`

// ---------------------------------------------------------------------------
// 1. Each credential kind works.

// TestAuthHS256BearerToken: a token signed with the server's HS256 secret
// authenticates its user in the tenant it names (X-Tenant or the tenant
// claim), and the viewer says so.
func TestAuthHS256BearerToken(t *testing.T) {
	user := credMember(t, "nordic-sound", "USER")
	credCheckViewer(t, credGetViewer(t, server.URL, credBearer(tokenFor(t, user, ""))),
		credWant{role: "USER", user: user, tenant: "nordic-sound"})
	credCheckViewer(t, credGetViewer(t, server.URL, credBearer(tokenFor(t, user, "nordic-sound"))),
		credWant{role: "USER", user: user, tenant: "nordic-sound"})
	credCheckViewer(t, credGetViewer(t, server.URL, credBearer(tokenFor(t, user, ""), auth.HeaderTenant, "nordic-sound")),
		credWant{role: "USER", user: user, tenant: "nordic-sound"})
	// The scheme is case-insensitive.
	credCheckViewer(t, credGetViewer(t, server.URL, credHeaders("bearer "+tokenFor(t, user, ""))),
		credWant{role: "USER", user: user, tenant: "nordic-sound"})
	// The suite's platform administrator works across tenants.
	var super string
	sqlValue(t, &super, `SELECT id FROM users WHERE 'SUPER_ADMIN' = ANY(admin_roles) AND NOT is_deleted
		AND (expires_at IS NULL OR expires_at > now()) ORDER BY id LIMIT 1`)
	credCheckViewer(t, credGetViewer(t, server.URL, credBearer(bearer)),
		credWant{role: "OWNER", user: super, superAdmin: true})
}

// TestAuthMultiTenantUserPicksTenant: a user in several tenants picks one
// with X-Tenant or the tenant claim; X-Tenant wins over the claim.
func TestAuthMultiTenantUserPicksTenant(t *testing.T) {
	var pick struct {
		User  string         `db:"user_id"`
		Slugs pq.StringArray `db:"slugs"`
		Roles pq.StringArray `db:"roles"`
	}
	sqlValue(t, &pick, `
		SELECT u.id AS user_id, array_agg(tn.slug ORDER BY m.created_at, m.id) AS slugs,
		       array_agg(m.role ORDER BY m.created_at, m.id) AS roles
		FROM users u JOIN memberships m ON m.user_id = u.id JOIN tenants tn ON tn.id = m.tenant_id
		WHERE `+credValidUser+`
		GROUP BY u.id HAVING count(*) > 1 AND bool_and(m.status = 'ACTIVE')
		ORDER BY u.id LIMIT 1`)
	for i, slug := range pick.Slugs {
		want := credWant{role: pick.Roles[i], user: pick.User, tenant: slug}
		credCheckViewer(t, credGetViewer(t, server.URL, credBearer(tokenFor(t, pick.User, ""), auth.HeaderTenant, slug)), want)
		credCheckViewer(t, credGetViewer(t, server.URL, credBearer(tokenFor(t, pick.User, slug))), want)
	}
	// The header wins over the claim.
	other := pick.Slugs[1]
	credCheckViewer(t, credGetViewer(t, server.URL, credBearer(tokenFor(t, pick.User, pick.Slugs[0]), auth.HeaderTenant, other)),
		credWant{role: pick.Roles[1], user: pick.User, tenant: other})
}

// credKeys are an RSA and an ECDSA key pair for RS256 and ES256.
type credKeys struct {
	rsa *rsa.PrivateKey
	ec  *ecdsa.PrivateKey
}

func credGenerate(t testing.TB) credKeys {
	t.Helper()
	r, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	e, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return credKeys{rsa: r, ec: e}
}

// credPEM writes the public keys as PEM blocks; kids name the blocks
// ("" for a block without a kid header).
func credPEM(t testing.TB, path string, keys []any, kids []string) {
	t.Helper()
	var out []byte
	for i, k := range keys {
		der, err := x509.MarshalPKIXPublicKey(k)
		if err != nil {
			t.Fatal(err)
		}
		b := &pem.Block{Type: "PUBLIC KEY", Bytes: der}
		if kids[i] != "" {
			b.Headers = map[string]string{"kid": kids[i]}
		}
		out = append(out, pem.EncodeToMemory(b)...)
	}
	if err := os.WriteFile(path, out, 0o600); err != nil {
		t.Fatal(err)
	}
}

// credJWKS writes a JSON Web Key Set of an RSA and an EC public key.
func credJWKS(t testing.TB, path string, r *rsa.PublicKey, rKid string, e *ecdsa.PublicKey, eKid string) {
	t.Helper()
	b64 := base64.RawURLEncoding.EncodeToString
	point, err := e.Bytes() // 0x04 || X || Y, 32 bytes each on P-256
	if err != nil {
		t.Fatal(err)
	}
	set := map[string]any{"keys": []map[string]string{
		{"kty": "RSA", "kid": rKid, "alg": "RS256", "use": "sig", "n": b64(r.N.Bytes()), "e": b64(big.NewInt(int64(r.E)).Bytes())},
		{"kty": "EC", "kid": eKid, "alg": "ES256", "use": "sig", "crv": "P-256", "x": b64(point[1:33]), "y": b64(point[33:65])},
	}}
	data, err := json.Marshal(set)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
}

// credServer serves the API with its own token verifier over the
// package's database.
func credServer(t testing.TB, cfg auth.TokenConfig) *httptest.Server {
	t.Helper()
	verifier, err := auth.NewTokenVerifier(cfg)
	if err != nil {
		t.Fatalf("NewTokenVerifier: %v", err)
	}
	if verifier == nil {
		t.Fatal("NewTokenVerifier returned no verifier for a configuration with keys")
	}
	store := db.NewStore(env.RuntimeDB)
	h := api.New(store, slog.New(&captureHandler{store: serverLog}), api.Config{
		Auth: auth.NewAuthenticator(store, verifier, auth.CacheConfig{}), SQLStats: true,
	})
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv
}

// TestAuthAsymmetricTokens: RS256 and ES256 tokens verify against keys
// from a PEM file and from a JWKS file, chosen by kid; a key the server
// does not hold, an algorithm it does not accept (HS256 with the public
// key as HMAC secret, none) and times outside the leeway are refused.
func TestAuthAsymmetricTokens(t *testing.T) {
	pemKeys, jwksKeys, stranger := credGenerate(t), credGenerate(t), credGenerate(t)
	dir := t.TempDir()
	pemFile, jwksFile := filepath.Join(dir, "keys.pem"), filepath.Join(dir, "jwks.json")
	// The RSA block has no kid (a token without kid selects it); the EC
	// block is named.
	credPEM(t, pemFile, []any{&pemKeys.rsa.PublicKey, &pemKeys.ec.PublicKey}, []string{"", "ec-pem"})
	credJWKS(t, jwksFile, &jwksKeys.rsa.PublicKey, "rsa-jwks", &jwksKeys.ec.PublicKey, "ec-jwks")
	const leeway = 30 * time.Second
	srv := credServer(t, auth.TokenConfig{PublicKeyFile: pemFile, JWKSFile: jwksFile, Leeway: leeway})

	user := credMember(t, "blue-label-group", "USER")
	want := credWant{role: "USER", user: user, tenant: "blue-label-group"}
	valid := func() jwt.MapClaims { return credClaims(user, time.Hour, 0) }

	t.Run("accepted", func(t *testing.T) {
		cases := []struct {
			name   string
			method jwt.SigningMethod
			key    any
			kid    string
		}{
			{"RS256 PEM key without kid", jwt.SigningMethodRS256, pemKeys.rsa, ""},
			{"ES256 PEM key by kid", jwt.SigningMethodES256, pemKeys.ec, "ec-pem"},
			{"RS256 JWKS key by kid", jwt.SigningMethodRS256, jwksKeys.rsa, "rsa-jwks"},
			{"ES256 JWKS key by kid", jwt.SigningMethodES256, jwksKeys.ec, "ec-jwks"},
		}
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				tok := credSign(t, c.method, c.key, c.kid, valid())
				credCheckViewer(t, credGetViewer(t, srv.URL, credBearer(tok)), want)
			})
		}
		t.Run("tenant claim", func(t *testing.T) {
			c := valid()
			c["tenant"] = "blue-label-group"
			credCheckViewer(t, credGetViewer(t, srv.URL, credBearer(credSign(t, jwt.SigningMethodES256, jwksKeys.ec, "ec-jwks", c))), want)
		})
		t.Run("within leeway", func(t *testing.T) {
			// exp just passed and nbf just ahead, both inside the leeway.
			tok := credSign(t, jwt.SigningMethodRS256, jwksKeys.rsa, "rsa-jwks", credClaims(user, -leeway/3, leeway/3))
			credCheckViewer(t, credGetViewer(t, srv.URL, credBearer(tok)), want)
		})
	})

	t.Run("refused", func(t *testing.T) {
		pubPEM, err := x509.MarshalPKIXPublicKey(&pemKeys.rsa.PublicKey)
		if err != nil {
			t.Fatal(err)
		}
		hmacWithPublicKey := pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: pubPEM})
		none := credSign(t, jwt.SigningMethodNone, jwt.UnsafeAllowNoneSignatureType, "", valid())
		cases := []struct {
			name, token, hint string
		}{
			{"RS256 by a key the server does not hold", credSign(t, jwt.SigningMethodRS256, stranger.rsa, "", valid()), "signature"},
			{"RS256 by another key under a known kid", credSign(t, jwt.SigningMethodRS256, stranger.rsa, "rsa-jwks", valid()), "signature"},
			{"ES256 by another key under a known kid", credSign(t, jwt.SigningMethodES256, stranger.ec, "ec-pem", valid()), "signature"},
			{"unknown kid", credSign(t, jwt.SigningMethodES256, jwksKeys.ec, "no-such-kid", valid()), "signature"},
			{"RS256 header over an EC key", credSign(t, jwt.SigningMethodRS256, jwksKeys.rsa, "ec-jwks", valid()), "signature"},
			{"HS256 with the public key as secret", credSign(t, jwt.SigningMethodHS256, hmacWithPublicKey, "", valid()), "signature"},
			{"alg none", none, "signature"},
			{"RS384 (not accepted)", credSign(t, jwt.SigningMethodRS384, pemKeys.rsa, "", valid()), "signature"},
			{"expired beyond the leeway", credSign(t, jwt.SigningMethodRS256, pemKeys.rsa, "", credClaims(user, -5*leeway, -time.Hour)), "expired"},
			{"not valid yet beyond the leeway", credSign(t, jwt.SigningMethodES256, pemKeys.ec, "ec-pem", credClaims(user, time.Hour, 5*leeway)), "not valid yet"},
		}
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				r := credPost(t, srv.URL, credBearer(c.token), credViewerQuery, nil)
				credWantRefused(t, r, http.StatusUnauthorized, api.CodeUnauthenticated, []string{c.hint}, c.token)
			})
		}
		t.Run("HS256 token of the suite", func(t *testing.T) {
			// This server has no HS256 secret: the main server's tokens do not work here.
			tok := tokenFor(t, user, "")
			credWantRefused(t, credPost(t, srv.URL, credBearer(tok), credViewerQuery, nil),
				http.StatusUnauthorized, api.CodeUnauthenticated, []string{"signature"}, tok)
		})
	})
}

// TestAuthAPIKeyLifecycle: an ADMIN creates a key with createApiKey (the
// secret is shown once, only its SHA-256 is stored), lists it, uses it as
// Authorization: KEY:SECRET, and revokes it; the key fails at once.
func TestAuthAPIKeyLifecycle(t *testing.T) {
	admin := credMember(t, "acme-music", "ADMIN")
	adminH := credBearer(tokenFor(t, admin, "acme-music"))
	key := credNewKey(t, adminH, "USER")
	if key.Tenant != "acme-music" {
		t.Errorf("key tenant %q, want acme-music", key.Tenant)
	}

	// Stored: the SHA-256 of the secret, never the secret.
	keyUUID, err := model.DecodeIDOf(model.TypeAPIKey, key.ID)
	if err != nil {
		t.Fatal(err)
	}
	var row struct {
		KeyID     string  `db:"key_id"`
		Hash      []byte  `db:"secret_hash"`
		Role      string  `db:"role"`
		Tenant    string  `db:"slug"`
		CreatedBy *string `db:"created_by"`
		Whole     string  `db:"whole"`
	}
	sqlValue(t, &row, `SELECT k.key_id, k.secret_hash, k.role, tn.slug, k.created_by, to_jsonb(k)::text AS whole
		FROM api_keys k JOIN tenants tn ON tn.id = k.tenant_id WHERE k.id = $1`, keyUUID)
	sum := sha256.Sum256([]byte(key.Secret))
	if !bytes.Equal(row.Hash, sum[:]) {
		t.Error("api_keys.secret_hash is not the SHA-256 of the secret")
	}
	if strings.Contains(row.Whole, key.Secret) {
		t.Error("the api_keys row holds the secret in clear")
	}
	if row.KeyID != key.KeyID || row.Role != "USER" || row.Tenant != "acme-music" || row.CreatedBy == nil || *row.CreatedBy != admin {
		t.Errorf("api_keys row %+v, want key %s role USER tenant acme-music created by %s", row, key.KeyID, admin)
	}

	// Listed without its secret.
	var list struct {
		Tenant struct {
			APIKeys struct {
				Edges []struct {
					Node struct {
						ID        string  `json:"id"`
						KeyID     string  `json:"keyId"`
						RevokedAt *string `json:"revokedAt"`
						CreatedBy *struct {
							ID string `json:"id"`
						} `json:"createdBy"`
					} `json:"node"`
				} `json:"edges"`
			} `json:"apiKeys"`
		} `json:"tenant"`
	}
	r := credPost(t, server.URL, adminH, `{ tenant(slug: "acme-music") { apiKeys(first: 500) { edges { node { id keyId revokedAt createdBy { id } } } } } }`, nil)
	credOK(t, r, &list)
	credWantNoSecret(t, r, key.Secret)
	found := false
	for _, e := range list.Tenant.APIKeys.Edges {
		if e.Node.ID == key.ID {
			found = true
			if e.Node.KeyID != key.KeyID || e.Node.RevokedAt != nil || e.Node.CreatedBy == nil || e.Node.CreatedBy.ID != gid(model.TypeUser, admin) {
				t.Errorf("listed key %+v, want keyId %s, not revoked, created by the admin", e.Node, key.KeyID)
			}
		}
	}
	if !found {
		t.Errorf("Tenant.apiKeys does not list the new key %s", key.ID)
	}

	// Used.
	credCheckViewer(t, credGetViewer(t, server.URL, credHeaders(key.Authorization)),
		credWant{role: "USER", tenant: "acme-music", apiKey: key.Name})
	var members struct {
		Tenant struct {
			Members conn `json:"members"`
		} `json:"tenant"`
	}
	credOK(t, credPost(t, server.URL, credHeaders(key.Authorization), `{ tenant(slug: "acme-music") { members(first: 3) `+connSelection+` } }`, nil), &members)
	if len(members.Tenant.Members.Edges) == 0 {
		t.Error("the API key reads no members of its tenant")
	}

	// Wrong secret and unknown key: 401, and the secrets are not echoed.
	wrong := "cs_" + strings.Repeat("x", 43)
	credWantRefused(t, credPost(t, server.URL, credHeaders(key.KeyID+":"+wrong), credViewerQuery, nil),
		http.StatusUnauthorized, api.CodeUnauthenticated, []string{"API key or secret"}, wrong, key.Secret)
	unknown := "ck_doesnotexist00"
	credWantRefused(t, credPost(t, server.URL, credHeaders(unknown+":"+key.Secret), credViewerQuery, nil),
		http.StatusUnauthorized, api.CodeUnauthenticated, []string{"API key"}, key.Secret)

	// Revoked: the very next request fails.
	var rev struct {
		RevokeAPIKey struct {
			APIKey struct {
				ID        string  `json:"id"`
				RevokedAt *string `json:"revokedAt"`
			} `json:"apiKey"`
		} `json:"revokeApiKey"`
	}
	credOK(t, credPost(t, server.URL, adminH, credRevokeKey, map[string]any{"id": key.ID}), &rev)
	if rev.RevokeAPIKey.APIKey.ID != key.ID || rev.RevokeAPIKey.APIKey.RevokedAt == nil {
		t.Errorf("revokeApiKey answered %+v, want the key with revokedAt set", rev.RevokeAPIKey.APIKey)
	}
	credWantRefused(t, credPost(t, server.URL, credHeaders(key.Authorization), credViewerQuery, nil),
		http.StatusUnauthorized, api.CodeUnauthenticated, []string{"revoked"}, key.Secret)
	// A revoked key with a wrong secret reveals nothing about the key.
	credWantRefused(t, credPost(t, server.URL, credHeaders(key.KeyID+":"+wrong), credViewerQuery, nil),
		http.StatusUnauthorized, api.CodeUnauthenticated, []string{"API key or secret"}, wrong)
	var revokedAt *time.Time
	sqlValue(t, &revokedAt, `SELECT revoked_at FROM api_keys WHERE id = $1`, keyUUID)
	if revokedAt == nil {
		t.Error("api_keys.revoked_at is not set after revokeApiKey")
	}

	// A key of another tenant cannot be revoked: it is not visible.
	otherAdmin := credMember(t, "nordic-sound", "ADMIN")
	otherKey := credNewKey(t, credBearer(tokenFor(t, otherAdmin, "nordic-sound")), "USER")
	// Like every mutation, a missing (or invisible) object is a NOT_FOUND
	// user error at the input's id, and nothing is written.
	var foreign struct {
		RevokeAPIKey struct {
			APIKey     *struct{ ID string } `json:"apiKey"`
			UserErrors []struct {
				Field []string `json:"field"`
				Code  string   `json:"code"`
			} `json:"userErrors"`
		} `json:"revokeApiKey"`
	}
	credOK(t, credPost(t, server.URL, adminH,
		`mutation($id: ID!) { revokeApiKey(input: {id: $id}) { apiKey { id } userErrors { field code } } }`,
		map[string]any{"id": otherKey.ID}), &foreign)
	if foreign.RevokeAPIKey.APIKey != nil || len(foreign.RevokeAPIKey.UserErrors) != 1 ||
		foreign.RevokeAPIKey.UserErrors[0].Code != "NOT_FOUND" ||
		strings.Join(foreign.RevokeAPIKey.UserErrors[0].Field, ".") != "input.id" {
		t.Errorf("an acme-music ADMIN revoking a nordic-sound key got %+v, want a NOT_FOUND user error at input.id", foreign.RevokeAPIKey)
	}
	var otherRevoked *time.Time
	sqlValue(t, &otherRevoked, `SELECT revoked_at FROM api_keys WHERE key_id = $1`, otherKey.KeyID)
	if otherRevoked != nil {
		t.Error("the nordic-sound key was revoked by an acme-music ADMIN")
	}
	credCheckViewer(t, credGetViewer(t, server.URL, credHeaders(otherKey.Authorization)),
		credWant{role: "USER", tenant: "nordic-sound", apiKey: otherKey.Name})
}

// ---------------------------------------------------------------------------
// 2. Each failure says which.

// TestAuthFailuresAre401: every invalid credential is HTTP 401
// UNAUTHENTICATED with a message saying which check failed, and never
// echoes the credential.
func TestAuthFailuresAre401(t *testing.T) {
	user := credMember(t, "nordic-sound", "USER")
	valid := func() jwt.MapClaims { return credClaims(user, time.Hour, 0) }
	hs := func(c jwt.MapClaims) string { return credSign(t, jwt.SigningMethodHS256, tokenSecret, "", c) }
	good := hs(valid())
	parts := strings.Split(good, ".")
	// The same header and claims with another signature.
	tampered := parts[0] + "." + parts[1] + "." + base64.RawURLEncoding.EncodeToString(bytes.Repeat([]byte{7}, 32))
	// Claims changed under the original signature.
	other := credMember(t, "acme-music", "ADMIN")
	forgedClaims, _ := json.Marshal(map[string]any{"sub": other, "exp": time.Now().Add(time.Hour).Unix()})
	swapped := parts[0] + "." + base64.RawURLEncoding.EncodeToString(forgedClaims) + "." + parts[2]
	noExp := valid()
	delete(noExp, "exp")
	rsaKey := credGenerate(t).rsa

	cases := []struct {
		name, authorization string
		hints               []string
	}{
		{"missing header", "", []string{"missing"}},
		{"blank header", "   ", []string{"missing"}},
		{"malformed: one word", "hello", []string{"malformed"}},
		{"malformed: Basic scheme", "Basic dXNlcjpwYXNz", []string{"malformed"}},
		{"malformed: key without secret", "ck_abc:", []string{"malformed"}},
		{"malformed: secret without key", ":cs_abc", []string{"malformed"}},
		{"malformed: Bearer without token", "Bearer", []string{"malformed"}},
		{"malformed token", "Bearer not.a.jwt", []string{"malformed"}},
		{"unknown API key", "ck_nosuchkey:cs_nosuchsecret", []string{"API key"}},
		{"expired token", "Bearer " + hs(credClaims(user, -time.Minute, -time.Hour)), []string{"expired"}},
		{"not-yet-valid token", "Bearer " + hs(credClaims(user, 2*time.Hour, time.Hour)), []string{"not valid yet"}},
		{"bad signature", "Bearer " + tampered, []string{"signature"}},
		{"claims changed under a signature", "Bearer " + swapped, []string{"signature"}},
		{"signed with another secret", "Bearer " + credSign(t, jwt.SigningMethodHS256, []byte(strings.Repeat("k", 40)), "", valid()), []string{"signature"}},
		{"alg none", "Bearer " + credSign(t, jwt.SigningMethodNone, jwt.UnsafeAllowNoneSignatureType, "", valid()), []string{"signature"}},
		{"HS384 with the right secret", "Bearer " + credSign(t, jwt.SigningMethodHS384, tokenSecret, "", valid()), []string{"signature"}},
		{"RS256 on an HS256-only server", "Bearer " + credSign(t, jwt.SigningMethodRS256, rsaKey, "", valid()), []string{"signature"}},
		{"no exp", "Bearer " + hs(noExp), []string{"exp"}},
		{"sub not a user ID", "Bearer " + hs(credClaims("alice", time.Hour, 0)), []string{"subject"}},
		{"user that does not exist", "Bearer " + tokenFor(t, uuid.NewString(), ""), []string{"does not exist"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := credPost(t, server.URL, credHeaders(c.authorization), credViewerQuery, nil)
			secret := strings.TrimSpace(strings.TrimPrefix(c.authorization, "Bearer"))
			if i := strings.Index(secret, ":"); i >= 0 {
				secret = secret[i+1:]
			}
			if len(secret) < 8 {
				secret = "" // too short to mean anything in a body
			}
			credWantRefused(t, r, http.StatusUnauthorized, api.CodeUnauthenticated, c.hints, secret)
		})
	}
	// Introspection needs credentials too.
	r := credPost(t, server.URL, nil, `{ __schema { queryType { name } } }`, nil)
	credWantRefused(t, r, http.StatusUnauthorized, api.CodeUnauthenticated, []string{"missing"})
}

// TestAuthAccountAndMembershipChecks: a valid token is still refused for a
// terminated or expired account (401), a user in several tenants who did
// not choose one (400 listing them), a tenant the user is not a member of
// (403) and a deactivated membership (403).
func TestAuthAccountAndMembershipChecks(t *testing.T) {
	t.Run("terminated account", func(t *testing.T) {
		user := credPick(t, `SELECT u.id FROM users u JOIN memberships m ON m.user_id = u.id
			WHERE u.is_deleted AND (u.expires_at IS NULL OR u.expires_at > now()) ORDER BY u.id LIMIT 1`)
		if user == "" {
			t.Skip("the seed holds no terminated user with a membership")
		}
		r := credPost(t, server.URL, credBearer(tokenFor(t, user, "")), credViewerQuery, nil)
		credWantRefused(t, r, http.StatusUnauthorized, api.CodeUnauthenticated, []string{"terminated"})
	})
	t.Run("expired account", func(t *testing.T) {
		user := credPick(t, `SELECT u.id FROM users u JOIN memberships m ON m.user_id = u.id
			WHERE NOT u.is_deleted AND u.expires_at < now() AND m.status = 'ACTIVE' ORDER BY u.id LIMIT 1`)
		if user == "" {
			t.Skip("the seed holds no user whose account expired")
		}
		r := credPost(t, server.URL, credBearer(tokenFor(t, user, "")), credViewerQuery, nil)
		credWantRefused(t, r, http.StatusUnauthorized, api.CodeUnauthenticated, []string{"expired"})
	})
	t.Run("several tenants without X-Tenant", func(t *testing.T) {
		var pick struct {
			User  string         `db:"user_id"`
			Slugs pq.StringArray `db:"slugs"`
		}
		sqlValue(t, &pick, `SELECT u.id AS user_id, array_agg(tn.slug) AS slugs
			FROM users u JOIN memberships m ON m.user_id = u.id JOIN tenants tn ON tn.id = m.tenant_id
			WHERE `+credValidUser+` GROUP BY u.id HAVING count(*) > 1 ORDER BY u.id LIMIT 1`)
		r := credPost(t, server.URL, credBearer(tokenFor(t, pick.User, "")), credViewerQuery, nil)
		credWantRefused(t, r, http.StatusBadRequest, api.CodeBadUserInput, append([]string{auth.HeaderTenant}, pick.Slugs...))
	})
	t.Run("X-Tenant of a tenant the user is not a member of", func(t *testing.T) {
		user := credMember(t, "nordic-sound", "ADMIN")
		for _, slug := range []string{"acme-music", "acme-music-fr", "blue-label-group", "no-such-tenant"} {
			r := credPost(t, server.URL, credBearer(tokenFor(t, user, ""), auth.HeaderTenant, slug), credViewerQuery, nil)
			credWantRefused(t, r, http.StatusForbidden, api.CodeForbidden, []string{"not a member", slug})
			// The tenant claim is checked the same way.
			r = credPost(t, server.URL, credBearer(tokenFor(t, user, slug)), credViewerQuery, nil)
			credWantRefused(t, r, http.StatusForbidden, api.CodeForbidden, []string{"not a member", slug})
		}
	})
	t.Run("deactivated member", func(t *testing.T) {
		var pick struct {
			User string `db:"user_id"`
			Slug string `db:"slug"`
		}
		sqlValue(t, &pick, `SELECT u.id AS user_id, tn.slug FROM users u
			JOIN memberships m ON m.user_id = u.id JOIN tenants tn ON tn.id = m.tenant_id
			WHERE `+credValidUser+` AND m.status = 'DEACTIVATED'
			  AND (SELECT count(*) FROM memberships x WHERE x.user_id = u.id) = 1
			ORDER BY u.id LIMIT 1`)
		r := credPost(t, server.URL, credBearer(tokenFor(t, pick.User, "")), credViewerQuery, nil)
		credWantRefused(t, r, http.StatusForbidden, api.CodeForbidden, []string{"deactivated"})
		r = credPost(t, server.URL, credBearer(tokenFor(t, pick.User, ""), auth.HeaderTenant, pick.Slug), credViewerQuery, nil)
		credWantRefused(t, r, http.StatusForbidden, api.CodeForbidden, []string{"deactivated"})
	})
	t.Run("deactivated in the chosen tenant, active in another", func(t *testing.T) {
		var pick struct {
			User string `db:"user_id"`
			Slug string `db:"slug"`
		}
		err := env.DB.GetContext(t.Context(), &pick, `SELECT u.id AS user_id, tn.slug FROM users u
			JOIN memberships m ON m.user_id = u.id JOIN tenants tn ON tn.id = m.tenant_id
			WHERE `+credValidUser+` AND m.status = 'DEACTIVATED'
			  AND EXISTS (SELECT 1 FROM memberships x WHERE x.user_id = u.id AND x.status = 'ACTIVE')
			ORDER BY u.id LIMIT 1`)
		if errors.Is(err, sql.ErrNoRows) {
			t.Skip("the seed holds no user deactivated in one tenant and active in another")
		}
		if err != nil {
			t.Fatal(err)
		}
		r := credPost(t, server.URL, credBearer(tokenFor(t, pick.User, ""), auth.HeaderTenant, pick.Slug), credViewerQuery, nil)
		credWantRefused(t, r, http.StatusForbidden, api.CodeForbidden, []string{"deactivated"})
	})
}

// ---------------------------------------------------------------------------
// 3. Roles × operations.

// credActor is a principal of the roles test.
type credActor struct {
	name    string
	headers map[string]string
	role    string // effective role
	userID  string // "" for an API key
	keyName string
}

// TestAuthRolesAndOperations: seed 003's minimum roles. Any member reads;
// USER is refused, naming the missing permission, for API key management,
// impersonation and filtering or sorting on contacts; ADMIN and OWNER may;
// nobody makes a key stronger than themselves; API keys act with their
// role exactly like members.
func TestAuthRolesAndOperations(t *testing.T) {
	userID := credMember(t, "acme-music", "USER")
	adminID := credMember(t, "acme-music", "ADMIN")
	target := credMember(t, "acme-music", "USER", userID)
	adminH := credBearer(tokenFor(t, adminID, "acme-music"))
	userKey := credNewKey(t, adminH, "USER")
	adminKey := credNewKey(t, adminH, "ADMIN")
	actors := []credActor{
		{name: "USER member", headers: credBearer(tokenFor(t, userID, "acme-music")), role: "USER", userID: userID},
		{name: "ADMIN member", headers: adminH, role: "ADMIN", userID: adminID},
		{name: "USER API key", headers: credHeaders(userKey.Authorization), role: "USER", keyName: userKey.Name},
		{name: "ADMIN API key", headers: credHeaders(adminKey.Authorization), role: "ADMIN", keyName: adminKey.Name},
	}
	// A member whose email a search could find: only its email holds "@".
	var other struct {
		ID    string `db:"id"`
		Email string `db:"email"`
	}
	sqlValue(t, &other, `SELECT u.id, u.email FROM users u JOIN memberships m ON m.user_id = u.id
		JOIN tenants tn ON tn.id = m.tenant_id
		WHERE tn.slug = 'acme-music' AND NOT u.is_deleted AND u.id <> ALL($1::uuid[])
		ORDER BY u.id LIMIT 1`, pq.Array([]string{userID, adminID}))

	const readQ = `{ tenant(slug: "acme-music") {
		members(first: 50) { edges { node { id email phone } } }
		artists(first: 5) { edges { node { id } } }
		releases(first: 5) { edges { node { id } } }
		labels(first: 5) { edges { node { id } } } } }`
	const apiKeysQ = `{ tenant(slug: "acme-music") { apiKeys(first: 5) { totalCount } } }`
	const membersQ = `query($filter: UserFilter, $orderBy: [UserOrder!], $query: String) {
		tenant(slug: "acme-music") { members(first: 5, filter: $filter, orderBy: $orderBy, query: $query) { totalCount edges { node { id } } } } }`

	for _, a := range actors {
		admin := a.role != "USER"
		t.Run(a.name, func(t *testing.T) {
			credCheckViewer(t, credGetViewer(t, server.URL, a.headers),
				credWant{role: a.role, user: a.userID, tenant: "acme-music", apiKey: a.keyName})

			t.Run("reads lists", func(t *testing.T) {
				var d struct {
					Tenant struct {
						Members struct {
							Edges []struct {
								Node struct {
									ID    string  `json:"id"`
									Email *string `json:"email"`
									Phone *string `json:"phone"`
								} `json:"node"`
							} `json:"edges"`
						} `json:"members"`
						Artists, Releases, Labels conn
					} `json:"tenant"`
				}
				credOK(t, credPost(t, server.URL, a.headers, readQ, nil), &d)
				if len(d.Tenant.Members.Edges) == 0 || len(d.Tenant.Artists.Edges) == 0 || len(d.Tenant.Releases.Edges) == 0 || len(d.Tenant.Labels.Edges) == 0 {
					t.Errorf("a %s reads empty lists: %+v", a.role, d.Tenant)
				}
				emails := 0
				for _, e := range d.Tenant.Members.Edges {
					self := e.Node.ID == gid(model.TypeUser, a.userID)
					if e.Node.Email != nil {
						emails++
					}
					if !admin && !self && (e.Node.Email != nil || e.Node.Phone != nil) {
						t.Errorf("a USER sees the contacts of member %s", e.Node.ID)
					}
				}
				if admin && emails == 0 {
					t.Errorf("an %s sees no member's email", a.role)
				}
			})

			t.Run("createApiKey", func(t *testing.T) {
				if !admin {
					credForbidden(t, credCreateKeyAs(t, a.headers, "auth_test refused", "USER"), string(auth.PermManageAPIKeys))
					return
				}
				credNewKey(t, a.headers, "USER")
				credNewKey(t, a.headers, "ADMIN")
				// Never stronger than the creator.
				r := credCreateKeyAs(t, a.headers, "auth_test owner key", "OWNER")
				e := wantErrorCode(t, r, api.CodeForbidden)
				if !strings.Contains(e.Message, "OWNER") {
					t.Errorf("message %q should say that OWNER is refused", e.Message)
				}
			})

			t.Run("Tenant.apiKeys", func(t *testing.T) {
				r := credPost(t, server.URL, a.headers, apiKeysQ, nil)
				if !admin {
					credForbidden(t, r, string(auth.PermManageAPIKeys))
					return
				}
				credOK(t, r, nil)
			})

			t.Run("impersonation", func(t *testing.T) {
				h := credHeaders(a.headers["Authorization"], "enterprise-id", target)
				r := credPost(t, server.URL, h, credViewerQuery, nil)
				if !admin {
					credWantRefused(t, r, http.StatusForbidden, api.CodeForbidden, []string{string(auth.PermImpersonate)})
					return
				}
				credCheckViewer(t, credGetViewer(t, server.URL, h), credWant{role: "USER", user: target, tenant: "acme-music",
					apiKey: a.keyName, impersonator: a.userID, impersonating: true})
			})

			filters := []struct {
				name string
				vars map[string]any
			}{
				{"filter on email", map[string]any{"filter": map[string]any{"email": map[string]any{"like": "*@example.com"}}}},
				{"filter on phone", map[string]any{"filter": map[string]any{"phone": map[string]any{"isNull": false}}}},
				{"filter on email inside not", map[string]any{"filter": map[string]any{"not": map[string]any{"email": map[string]any{"contains": "a"}}}}},
				{"query syntax on email", map[string]any{"query": "email:*@company.fr"}},
				{"sort by email", map[string]any{"orderBy": []any{map[string]any{"field": "EMAIL", "direction": "ASC"}}}},
			}
			for _, f := range filters {
				t.Run(f.name, func(t *testing.T) {
					r := credPost(t, server.URL, a.headers, membersQ, f.vars)
					if !admin {
						credForbidden(t, r, string(auth.PermReadContacts))
						return
					}
					credOK(t, r, nil)
				})
			}

			t.Run("search does not match hidden emails", func(t *testing.T) {
				var d struct {
					Tenant struct {
						Members conn `json:"members"`
					} `json:"tenant"`
				}
				credOK(t, credPost(t, server.URL, a.headers, `query($q: String!) { tenant(slug: "acme-music") {
					members(first: 50, filter: {search: $q}) `+connSelection+` } }`, map[string]any{"q": other.Email}), &d)
				found := slices.Contains(d.Tenant.Members.ids(), gid(model.TypeUser, other.ID))
				if admin && !found {
					t.Errorf("an %s searching for %s does not find the member", a.role, other.Email)
				}
				if !admin && found {
					t.Errorf("a USER finds a member by searching for the email it may not read")
				}
			})
		})
	}

	t.Run("OWNER may make an OWNER key", func(t *testing.T) {
		owner := credMember(t, "blue-label-group", "OWNER")
		ownerH := credBearer(tokenFor(t, owner, "blue-label-group"))
		credCheckViewer(t, credGetViewer(t, server.URL, ownerH), credWant{role: "OWNER", user: owner, tenant: "blue-label-group"})
		key := credNewKey(t, ownerH, "OWNER")
		credCheckViewer(t, credGetViewer(t, server.URL, credHeaders(key.Authorization)),
			credWant{role: "OWNER", tenant: "blue-label-group", apiKey: key.Name})
		// The OWNER key can make keys of every role.
		credNewKey(t, credHeaders(key.Authorization), "OWNER")
	})
}

// ---------------------------------------------------------------------------
// 4. Impersonation.

// TestAuthImpersonation: an ADMIN of acme-music acts, with enterprise-id
// (a UUID or a global ID), as a member of acme-music or of its subsidiary
// acme-music-fr; the viewer shows both. A member of another tenant, an
// unknown user or a deactivated member are refused alike (403); a
// malformed ID is BAD_USER_INPUT; a subsidiary's admin cannot reach the
// parent's members.
func TestAuthImpersonation(t *testing.T) {
	admin := credMember(t, "acme-music", "ADMIN")
	member := credMember(t, "acme-music", "USER")
	subMember := credMember(t, "acme-music-fr", "USER")
	foreign := credMember(t, "nordic-sound", "USER")
	adminTok := tokenFor(t, admin, "acme-music")
	as := func(target string) map[string]string {
		return credBearer(adminTok, "enterprise-id", target)
	}

	t.Run("member of the tenant by UUID", func(t *testing.T) {
		credCheckViewer(t, credGetViewer(t, server.URL, as(member)),
			credWant{role: "USER", user: member, tenant: "acme-music", impersonator: admin, impersonating: true})
	})
	t.Run("member of the tenant by global ID", func(t *testing.T) {
		credCheckViewer(t, credGetViewer(t, server.URL, as(gid(model.TypeUser, member))),
			credWant{role: "USER", user: member, tenant: "acme-music", impersonator: admin, impersonating: true})
	})
	t.Run("member of the subsidiary", func(t *testing.T) {
		credCheckViewer(t, credGetViewer(t, server.URL, as(subMember)),
			credWant{role: "USER", user: subMember, tenant: "acme-music-fr", impersonator: admin, impersonating: true})
	})
	t.Run("the impersonated request reads as the target", func(t *testing.T) {
		// The target is a USER: contacts of others are hidden, as for them.
		var d struct {
			Tenant struct {
				Members struct {
					Edges []struct {
						Node struct {
							ID    string  `json:"id"`
							Email *string `json:"email"`
						} `json:"node"`
					} `json:"edges"`
				} `json:"members"`
			} `json:"tenant"`
		}
		credOK(t, credPost(t, server.URL, as(member), `{ tenant(slug: "acme-music") { members(first: 50) { edges { node { id email } } } } }`, nil), &d)
		for _, e := range d.Tenant.Members.Edges {
			if e.Node.ID != gid(model.TypeUser, member) && e.Node.Email != nil {
				t.Errorf("impersonating a USER shows the email of %s", e.Node.ID)
			}
		}
		r := credPost(t, server.URL, as(member), `{ tenant(slug: "acme-music") { apiKeys(first: 1) { totalCount } } }`, nil)
		credForbidden(t, r, string(auth.PermManageAPIKeys))
	})

	var unknownSame string
	t.Run("member of another tenant", func(t *testing.T) {
		r := credPost(t, server.URL, as(foreign), credViewerQuery, nil)
		credWantRefused(t, r, http.StatusForbidden, api.CodeForbidden, nil)
		unknownSame = r.Errors[0].Message
	})
	t.Run("user that does not exist", func(t *testing.T) {
		r := credPost(t, server.URL, as(uuid.NewString()), credViewerQuery, nil)
		credWantRefused(t, r, http.StatusForbidden, api.CodeForbidden, nil)
		if unknownSame != "" && r.Errors[0].Message != unknownSame {
			t.Errorf("a foreign user (%q) and an unknown user (%q) must be refused alike", unknownSame, r.Errors[0].Message)
		}
	})
	t.Run("deactivated member", func(t *testing.T) {
		deactivated := credPick(t, `SELECT u.id FROM users u JOIN memberships m ON m.user_id = u.id
			JOIN tenants tn ON tn.id = m.tenant_id
			WHERE tn.slug = 'acme-music' AND m.status = 'DEACTIVATED' AND `+credValidUser+`
			  AND (SELECT count(*) FROM memberships x WHERE x.user_id = u.id) = 1 ORDER BY u.id LIMIT 1`)
		if deactivated == "" {
			t.Skip("acme-music has no deactivated single-tenant member")
		}
		r := credPost(t, server.URL, as(deactivated), credViewerQuery, nil)
		credWantRefused(t, r, http.StatusForbidden, api.CodeForbidden, []string{"deactivated"})
	})
	t.Run("malformed ids", func(t *testing.T) {
		for _, bad := range []string{"not-a-uuid", "123", gid(model.TypeArtist, member), "VXNlcjpub3Bl"} {
			r := credPost(t, server.URL, as(bad), credViewerQuery, nil)
			credWantRefused(t, r, http.StatusBadRequest, api.CodeBadUserInput, []string{"enterprise-id"})
		}
	})
	t.Run("a subsidiary's admin cannot reach the parent", func(t *testing.T) {
		subAdmin := credMember(t, "acme-music-fr", "ADMIN")
		r := credPost(t, server.URL, credBearer(tokenFor(t, subAdmin, "acme-music-fr"), "enterprise-id", member), credViewerQuery, nil)
		credWantRefused(t, r, http.StatusForbidden, api.CodeForbidden, nil)
	})
	t.Run("USER member is refused", func(t *testing.T) {
		r := credPost(t, server.URL, credBearer(tokenFor(t, member, "acme-music"), "enterprise-id", admin), credViewerQuery, nil)
		credWantRefused(t, r, http.StatusForbidden, api.CodeForbidden, []string{string(auth.PermImpersonate)})
	})
	t.Run("an ADMIN API key impersonates", func(t *testing.T) {
		key := credNewKey(t, credBearer(adminTok), "ADMIN")
		credCheckViewer(t, credGetViewer(t, server.URL, credHeaders(key.Authorization, "enterprise-id", member)),
			credWant{role: "USER", user: member, tenant: "acme-music", apiKey: key.Name, impersonating: true})
	})
}

// TestAuthImpersonationIsAudited: a key created while impersonating an
// ADMIN is recorded with the real actor and the user acted as.
func TestAuthImpersonationIsAudited(t *testing.T) {
	actor := credMember(t, "acme-music", "ADMIN")
	target := credMember(t, "acme-music", "ADMIN", actor)
	h := credBearer(tokenFor(t, actor, "acme-music"), "enterprise-id", target)
	credCheckViewer(t, credGetViewer(t, server.URL, h),
		credWant{role: "ADMIN", user: target, tenant: "acme-music", impersonator: actor, impersonating: true})
	key := credNewKey(t, h, "USER")
	keyUUID, err := model.DecodeIDOf(model.TypeAPIKey, key.ID)
	if err != nil {
		t.Fatal(err)
	}
	var rows []struct {
		Tenant   string  `db:"slug"`
		Actor    *string `db:"actor_id"`
		ActingAs *string `db:"acting_as"`
		APIKey   *string `db:"api_key_id"`
		Action   string  `db:"action"`
	}
	sqlRows(t, &rows, `SELECT tn.slug, a.actor_id, a.acting_as, a.api_key_id, a.action
		FROM audit_log a JOIN tenants tn ON tn.id = a.tenant_id WHERE a.subject_id = $1`, keyUUID)
	if len(rows) != 1 {
		t.Fatalf("audit_log holds %d rows for the new key, want 1: %+v", len(rows), rows)
	}
	a := rows[0]
	if a.Action != "apiKey.create" || a.Tenant != "acme-music" || a.Actor == nil || *a.Actor != actor ||
		a.ActingAs == nil || *a.ActingAs != target || a.APIKey != nil {
		t.Errorf("audit row %+v (actor %v, acting as %v), want apiKey.create in acme-music by %s acting as %s",
			a, credDeref(a.Actor), credDeref(a.ActingAs), actor, target)
	}

	// Revoking while impersonating is recorded the same way.
	credOK(t, credPost(t, server.URL, h, credRevokeKey, map[string]any{"id": key.ID}), nil)
	var revoke struct {
		Actor    *string `db:"actor_id"`
		ActingAs *string `db:"acting_as"`
	}
	sqlValue(t, &revoke, `SELECT actor_id, acting_as FROM audit_log WHERE subject_id = $1 AND action = 'apiKey.revoke'`, keyUUID)
	if credDeref(revoke.Actor) != actor || credDeref(revoke.ActingAs) != target {
		t.Errorf("revoke audited with actor %s acting as %s, want %s acting as %s", credDeref(revoke.Actor), credDeref(revoke.ActingAs), actor, target)
	}

	// Without impersonation, acting_as stays empty.
	plain := credNewKey(t, credBearer(tokenFor(t, actor, "acme-music")), "USER")
	plainUUID, _ := model.DecodeIDOf(model.TypeAPIKey, plain.ID)
	sqlValue(t, &revoke, `SELECT actor_id, acting_as FROM audit_log WHERE subject_id = $1 AND action = 'apiKey.create'`, plainUUID)
	if credDeref(revoke.Actor) != actor || revoke.ActingAs != nil {
		t.Errorf("a plain create is audited with actor %s acting as %s, want %s and null", credDeref(revoke.Actor), credDeref(revoke.ActingAs), actor)
	}
}

// credIntStr shows an optional count.
func credIntStr(p *int) string {
	if p == nil {
		return "<null>"
	}
	return strconv.Itoa(*p)
}

func credDeref(s *string) string {
	if s == nil {
		return "<null>"
	}
	return *s
}

// ---------------------------------------------------------------------------
// 5. Tenant isolation.

// credRow is a row of a tenant table with the tenants that own it (a
// user's are the tenants of its memberships).
type credRow struct {
	typ     model.NodeType
	id      string // global ID
	tenants []string
}

// credAllRows collects every row of every node type with its tenants.
func credAllRows(t testing.TB, oracle *sqlx.DB) map[model.NodeType][]credRow {
	t.Helper()
	queries := map[model.NodeType]string{
		model.TypeTenant:      `SELECT id::text, ARRAY[id::text] AS tenants FROM tenants`,
		model.TypeBrand:       `SELECT id::text, ARRAY[tenant_id::text] AS tenants FROM brands`,
		model.TypeGroup:       `SELECT id::text, ARRAY[tenant_id::text] AS tenants FROM groups`,
		model.TypeMembership:  `SELECT id::text, ARRAY[tenant_id::text] AS tenants FROM memberships`,
		model.TypeBrandAccess: `SELECT id::text, ARRAY[tenant_id::text] AS tenants FROM brand_access`,
		model.TypeArtist:      `SELECT id::text, ARRAY[tenant_id::text] AS tenants FROM artists`,
		model.TypeLabel:       `SELECT id::text, ARRAY[tenant_id::text] AS tenants FROM labels`,
		model.TypeRelease:     `SELECT id::text, ARRAY[tenant_id::text] AS tenants FROM releases`,
		model.TypeTrack:       `SELECT id::text, ARRAY[tenant_id::text] AS tenants FROM tracks`,
		model.TypeUser: `SELECT u.id::text, coalesce(array_agg(m.tenant_id::text) FILTER (WHERE m.id IS NOT NULL), '{}') AS tenants
			FROM users u LEFT JOIN memberships m ON m.user_id = u.id GROUP BY u.id`,
	}
	out := map[model.NodeType][]credRow{}
	for typ, q := range queries {
		var rows []struct {
			ID      string         `db:"id"`
			Tenants pq.StringArray `db:"tenants"`
		}
		if err := oracle.SelectContext(t.Context(), &rows, q+` ORDER BY 1`); err != nil {
			t.Fatalf("oracle %s: %v", compact(q), err)
		}
		if len(rows) == 0 {
			t.Fatalf("the seed holds no %s", typ)
		}
		for _, r := range rows {
			out[typ] = append(out[typ], credRow{typ: typ, id: gid(typ, r.ID), tenants: r.Tenants})
		}
	}
	return out
}

// credPrincipal is a tenant member and what it may see.
type credPrincipal struct {
	slug, user string
	role       string // when picked for it
	headers    map[string]string
	subtree    map[string]bool // tenant UUIDs
}

// name is the principal's subtest name.
func (p credPrincipal) name() string {
	if p.role == "" {
		return p.slug
	}
	return p.slug + "_" + strings.ToLower(p.role)
}

func (p credPrincipal) sees(r credRow) bool {
	for _, tn := range r.tenants {
		if p.subtree[tn] {
			return true
		}
	}
	return false
}

// credPrincipals is an active member of each tenant, picked at random, with
// the tenant's subtree computed by tenant_subtree().
func credPrincipals(t testing.TB, rng *mrand.Rand) []credPrincipal {
	t.Helper()
	var slugs []string
	sqlRows(t, &slugs, `SELECT slug FROM tenants ORDER BY slug`)
	var out []credPrincipal
	for _, slug := range slugs {
		var users []string
		sqlRows(t, &users, `SELECT u.id FROM users u JOIN memberships m ON m.user_id = u.id
			JOIN tenants tn ON tn.id = m.tenant_id
			WHERE tn.slug = $1 AND m.status = 'ACTIVE' AND `+credValidUser+` ORDER BY u.id`, slug)
		if len(users) == 0 {
			t.Fatalf("tenant %s has no active member who may sign in", slug)
		}
		user := users[rng.IntN(len(users))]
		var tree []string
		sqlRows(t, &tree, `SELECT unnest(tenant_subtree(id))::text FROM tenants WHERE slug = $1`, slug)
		p := credPrincipal{slug: slug, user: user, headers: credBearer(tokenFor(t, user, slug)), subtree: map[string]bool{}}
		for _, id := range tree {
			p.subtree[id] = true
		}
		out = append(out, p)
	}
	return out
}

// credRolePrincipals is, for each tenant slug, an active member of just
// that tenant in each of the roles, whose account may sign in (no platform
// role), with the tenant's subtree.
func credRolePrincipals(t testing.TB, slugs []string, roles ...string) []credPrincipal {
	t.Helper()
	var out []credPrincipal
	for _, slug := range slugs {
		var tree []string
		sqlRows(t, &tree, `SELECT unnest(tenant_subtree(id))::text FROM tenants WHERE slug = $1`, slug)
		for _, role := range roles {
			user := credMember(t, slug, role)
			p := credPrincipal{slug: slug, user: user, role: role, headers: credBearer(tokenFor(t, user, slug)), subtree: map[string]bool{}}
			for _, id := range tree {
				p.subtree[id] = true
			}
			out = append(out, p)
		}
	}
	return out
}

// credSeed is the randomized tests' seed: AUTH_TEST_SEED or the clock.
func credSeed(t testing.TB) uint64 {
	t.Helper()
	seed := uint64(time.Now().UnixNano())
	if s := os.Getenv("AUTH_TEST_SEED"); s != "" {
		n, err := strconv.ParseUint(s, 10, 64)
		if err != nil {
			t.Fatalf("AUTH_TEST_SEED: %v", err)
		}
		seed = n
	}
	t.Logf("seed %d (rerun with AUTH_TEST_SEED=%d)", seed, seed)
	return seed
}

type credNode struct {
	Typename string `json:"__typename"`
	ID       string `json:"id"`
}

// TestTenantIsolationRandomized looks up thousands of random IDs of every
// node type from every tenant, as a member of each tenant, through
// nodes(ids:) in batches of 100 and node(id:): every node returned belongs
// to the principal's tenant subtree, every foreign ID answers null exactly
// like an ID that does not exist, and every own ID is returned.
func TestTenantIsolationRandomized(t *testing.T) {
	rng := mrand.New(mrand.NewPCG(credSeed(t), 0x15011a7e))
	credIsolationRandomized(t, rng, server.URL, env.DB, credPrincipals(t, rng))
}

// credIsolationRandomized is TestTenantIsolationRandomized for the server
// at base and the given principals.
func credIsolationRandomized(t *testing.T, rng *mrand.Rand, base string, oracle *sqlx.DB, principals []credPrincipal) {
	const (
		batches   = 5   // nodes() requests per principal
		batchSize = 100 // IDs per nodes() request
		singles   = 25  // node() requests per principal
	)
	rows := credAllRows(t, oracle)
	types := make([]model.NodeType, 0, len(rows))
	for typ := range rows {
		types = append(types, typ)
	}
	slices.Sort(types)
	// A random ID: a row of a random type, or (1 in 20) an ID that exists
	// nowhere.
	randomRow := func() (credRow, bool) {
		typ := types[rng.IntN(len(types))]
		if rng.IntN(20) == 0 {
			return credRow{typ: typ, id: gid(typ, uuid.NewString())}, false
		}
		rs := rows[typ]
		return rs[rng.IntN(len(rs))], true
	}

	var lookups, own, foreign, missing, leaked int
	check := func(t *testing.T, p credPrincipal, r *response, asked []credRow, exists []bool, got []*credNode) {
		t.Helper()
		if len(r.Errors) > 0 {
			t.Fatalf("lookups answered errors\n%s", r.describe())
		}
		if len(got) != len(asked) {
			t.Fatalf("%d nodes for %d IDs\n%s", len(got), len(asked), r.describe())
		}
		for i, row := range asked {
			lookups++
			n := got[i]
			switch {
			case !exists[i]:
				missing++
				if n != nil {
					t.Errorf("%s: a nonexistent ID %s answered %+v", p.slug, decodeForHumans(row.id), *n)
				}
			case p.sees(row):
				own++
				if n == nil || n.ID != row.id || n.Typename != string(row.typ) {
					t.Errorf("%s: own %s is not returned (got %+v)", p.slug, decodeForHumans(row.id), n)
				}
			default:
				foreign++
				if n != nil {
					leaked++
					t.Errorf("%s (subtree %v) sees the foreign %s of tenants %v", p.slug, slices.Collect(mapKeys(p.subtree)), decodeForHumans(row.id), row.tenants)
				}
			}
		}
	}

	for _, p := range principals {
		t.Run(p.name(), func(t *testing.T) {
			for b := 0; b < batches; b++ {
				asked := make([]credRow, batchSize)
				exists := make([]bool, batchSize)
				ids := make([]string, batchSize)
				for i := range asked {
					asked[i], exists[i] = randomRow()
					ids[i] = asked[i].id
				}
				var d struct {
					Nodes []*credNode `json:"nodes"`
				}
				r := credPost(t, base, p.headers, `query($ids: [ID!]!) { nodes(ids: $ids) { __typename id } }`, map[string]any{"ids": ids})
				credOK(t, r, &d)
				check(t, p, r, asked, exists, d.Nodes)
			}
			for i := 0; i < singles; i++ {
				row, ok := randomRow()
				var d struct {
					Node *credNode `json:"node"`
				}
				r := credPost(t, base, p.headers, `query($id: ID!) { node(id: $id) { __typename id } }`, map[string]any{"id": row.id})
				credOK(t, r, &d)
				check(t, p, r, []credRow{row}, []bool{ok}, []*credNode{d.Node})
			}

			// Foreign IDs and IDs that exist nowhere get the same answer,
			// byte for byte.
			var foreignIDs, ghostIDs []string
			for _, typ := range types {
				for _, row := range rows[typ] {
					if !p.sees(row) {
						foreignIDs = append(foreignIDs, row.id)
						ghostIDs = append(ghostIDs, gid(typ, uuid.NewString()))
						break
					}
				}
			}
			if len(foreignIDs) == 0 {
				t.Fatalf("%s sees every row: no foreign rows to probe", p.slug)
			}
			q := `query($ids: [ID!]!) { nodes(ids: $ids) { __typename id ... on Tenant { slug } ... on User { email } } }`
			rf := credPost(t, base, p.headers, q, map[string]any{"ids": foreignIDs})
			rg := credPost(t, base, p.headers, q, map[string]any{"ids": ghostIDs})
			credOK(t, rf, nil)
			credOK(t, rg, nil)
			if !bytes.Equal(rf.Data, rg.Data) || rf.Status != rg.Status {
				t.Errorf("foreign IDs answer %s, nonexistent IDs answer %s", rf.Data, rg.Data)
			}
			for _, id := range foreignIDs {
				var d struct {
					Node *credNode `json:"node"`
				}
				credOK(t, credPost(t, base, p.headers, `query($id: ID!) { node(id: $id) { __typename id } }`, map[string]any{"id": id}), &d)
				if d.Node != nil {
					leaked++
					t.Errorf("%s: node(%s) answers %+v", p.slug, decodeForHumans(id), *d.Node)
				}
			}
		})
	}
	t.Logf("%d lookups: %d own, %d foreign, %d nonexistent; foreign rows returned: %d", lookups, own, foreign, missing, leaked)
	if leaked != 0 {
		t.Errorf("%d foreign rows were returned, want 0", leaked)
	}
	if own == 0 || foreign == 0 {
		t.Errorf("the probe should mix own (%d) and foreign (%d) IDs", own, foreign)
	}
}

// mapKeys yields the keys of a set.
func mapKeys(m map[string]bool) func(yield func(string) bool) {
	return func(yield func(string) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	}
}

// TestTenantIsolationFilteredLists: lists filtered by foreign IDs are
// empty, a foreign tenant's slug is null, and tenants lists exactly the
// principal's subtree.
func TestTenantIsolationFilteredLists(t *testing.T) {
	rng := mrand.New(mrand.NewPCG(credSeed(t), 0xf11e5))
	credIsolationFilteredLists(t, rng, server.URL, env.DB, credPrincipals(t, rng))
}

// credIsolationFilteredLists is TestTenantIsolationFilteredLists for the
// server at base and the given principals.
func credIsolationFilteredLists(t *testing.T, rng *mrand.Rand, base string, oracle *sqlx.DB, principals []credPrincipal) {
	rows := credAllRows(t, oracle)
	var allSlugs []struct {
		ID   string `db:"id"`
		Slug string `db:"slug"`
	}
	if err := oracle.SelectContext(t.Context(), &allSlugs, `SELECT id::text, slug FROM tenants ORDER BY slug`); err != nil {
		t.Fatal(err)
	}
	leaked := 0
	// sample is up to n random IDs of typ that p sees (own) or does not.
	sample := func(p credPrincipal, typ model.NodeType, own bool, n int) []string {
		var ids []string
		for _, r := range rows[typ] {
			if p.sees(r) == own {
				ids = append(ids, r.id)
			}
		}
		rng.Shuffle(len(ids), func(i, j int) { ids[i], ids[j] = ids[j], ids[i] })
		return ids[:min(n, len(ids))]
	}
	const listQ = `query($slug: String!, $users: [ID!], $artists: [ID!], $labels: [ID!], $brands: [ID!], $releases: [ID!]) {
		tenant(slug: $slug) {
			members(first: 500, filter: {id: {in: $users}}) { totalCount edges { node { id } } }
			brandMembers: members(first: 500, filter: {brand: {in: $brands}}) { totalCount edges { node { id } } }
			artists(first: 500, filter: {id: {in: $artists}}) { totalCount edges { node { id } } }
			releasesByArtist: releases(first: 500, filter: {artist: {in: $artists}}) { totalCount edges { node { id } } }
			releasesByLabel: releases(first: 500, filter: {label: {in: $labels}}) { totalCount edges { node { id } } }
			releasesById: releases(first: 500, filter: {id: {in: $releases}}) { totalCount edges { node { id } } }
		} }`
	type lists struct {
		Tenant *struct {
			Members          conn `json:"members"`
			BrandMembers     conn `json:"brandMembers"`
			Artists          conn `json:"artists"`
			ReleasesByArtist conn `json:"releasesByArtist"`
			ReleasesByLabel  conn `json:"releasesByLabel"`
			ReleasesByID     conn `json:"releasesById"`
		} `json:"tenant"`
	}
	for _, p := range principals {
		t.Run(p.name(), func(t *testing.T) {
			// Own and foreign IDs of each list's filter.
			visible := map[string]bool{}
			for _, typ := range []model.NodeType{model.TypeUser, model.TypeArtist, model.TypeRelease} {
				for _, r := range rows[typ] {
					if p.sees(r) {
						visible[r.id] = true
					}
				}
			}
			counted := func(what string, c conn, wantEmpty bool) {
				t.Helper()
				for _, id := range c.ids() {
					if !visible[id] {
						leaked++
						t.Errorf("%s: %s lists the foreign %s", p.slug, what, decodeForHumans(id))
					}
				}
				if wantEmpty && (len(c.Edges) != 0 || c.TotalCount == nil || *c.TotalCount != 0) {
					t.Errorf("%s: %s filtered by foreign IDs has %d rows, totalCount %s; want none", p.slug, what, len(c.Edges), credIntStr(c.TotalCount))
				}
			}
			vars := map[string]any{
				"slug":     p.slug,
				"users":    sample(p, model.TypeUser, false, 100),
				"artists":  sample(p, model.TypeArtist, false, 100),
				"labels":   sample(p, model.TypeLabel, false, 100),
				"brands":   sample(p, model.TypeBrand, false, 100),
				"releases": sample(p, model.TypeRelease, false, 100),
			}
			var d lists
			credOK(t, credPost(t, base, p.headers, listQ, vars), &d)
			if d.Tenant == nil {
				t.Fatalf("%s cannot see its own tenant", p.slug)
			}
			counted("members by foreign ID", d.Tenant.Members, true)
			counted("members by foreign brand", d.Tenant.BrandMembers, true)
			counted("artists by foreign ID", d.Tenant.Artists, true)
			counted("releases by foreign artist", d.Tenant.ReleasesByArtist, true)
			counted("releases by foreign label", d.Tenant.ReleasesByLabel, true)
			counted("releases by foreign ID", d.Tenant.ReleasesByID, true)

			// Mixed with own IDs: own ones come back, foreign ones never.
			mixed := func(typ model.NodeType) []string {
				return append(sample(p, typ, true, 50), sample(p, typ, false, 50)...)
			}
			vars = map[string]any{"slug": p.slug, "users": mixed(model.TypeUser), "artists": mixed(model.TypeArtist),
				"labels": mixed(model.TypeLabel), "brands": mixed(model.TypeBrand), "releases": mixed(model.TypeRelease)}
			credOK(t, credPost(t, base, p.headers, listQ, vars), &d)
			counted("members by mixed IDs", d.Tenant.Members, false)
			counted("members by mixed brands", d.Tenant.BrandMembers, false)
			counted("artists by mixed IDs", d.Tenant.Artists, false)
			counted("releases by mixed artists", d.Tenant.ReleasesByArtist, false)
			counted("releases by mixed labels", d.Tenant.ReleasesByLabel, false)
			counted("releases by mixed IDs", d.Tenant.ReleasesByID, false)
			if len(d.Tenant.Artists.Edges) == 0 || len(d.Tenant.ReleasesByID.Edges) == 0 {
				t.Errorf("%s: own artists or releases among mixed IDs are not listed", p.slug)
			}

			// Foreign tenants by slug are null, like unknown slugs.
			for _, s := range allSlugs {
				var d struct {
					Tenant *struct {
						ID string `json:"id"`
					} `json:"tenant"`
				}
				credOK(t, credPost(t, base, p.headers, `query($slug: String!) { tenant(slug: $slug) { id } }`, map[string]any{"slug": s.Slug}), &d)
				if p.subtree[s.ID] != (d.Tenant != nil) {
					if d.Tenant != nil {
						leaked++
					}
					t.Errorf("%s: tenant(slug: %q) = %v; in the subtree: %v", p.slug, s.Slug, d.Tenant, p.subtree[s.ID])
				}
			}

			// tenants lists exactly the subtree.
			var ts struct {
				Tenants conn `json:"tenants"`
			}
			credOK(t, credPost(t, base, p.headers, `{ tenants(first: 500) `+connSelection+` }`, nil), &ts)
			var want []string
			for id := range p.subtree {
				want = append(want, gid(model.TypeTenant, id))
			}
			got := ts.Tenants.ids()
			for _, id := range got {
				typ, raw, err := model.DecodeID(id)
				if err != nil || typ != model.TypeTenant || !p.subtree[raw] {
					leaked++
				}
			}
			slices.Sort(got)
			slices.Sort(want)
			if !slices.Equal(got, want) || ts.Tenants.TotalCount == nil || *ts.Tenants.TotalCount != len(want) {
				t.Errorf("%s: tenants lists %v (totalCount %s), want the subtree %v", p.slug, got, credIntStr(ts.Tenants.TotalCount), want)
			}
		})
	}
	t.Logf("foreign rows returned by filtered lists: %d", leaked)
	if leaked != 0 {
		t.Errorf("%d foreign rows were returned, want 0", leaked)
	}
}

// ---------------------------------------------------------------------------
// 6. What isolation costs.

// BenchmarkIsolationOverhead runs the same members page (50 rows with
// totalCount) as the platform administrator without X-Tenant (an
// all-tenants session: the policies short-circuit on app.all_tenants and
// statements carry no tenant predicate), as the administrator with
// X-Tenant (tenant predicates and policies evaluated) and as an ADMIN
// member of the tenant (the same, reached through a membership).
//
//	go test -run '^$' -bench Isolation -benchtime 200x ./internal/api/
func BenchmarkIsolationOverhead(b *testing.B) {
	admin := credMember(b, "acme-music", "ADMIN")
	const q = `query($slug: String!) { tenant(slug: $slug) {
		members(first: 50) { totalCount edges { cursor membership { role status } node { id firstName lastName email } } } } }`
	cases := []struct {
		name    string
		headers map[string]string
	}{
		{"super-admin-all-tenants", credBearer(bearer)},
		{"super-admin-x-tenant", credBearer(bearer, auth.HeaderTenant, "acme-music")},
		{"tenant-member-rls", credBearer(tokenFor(b, admin, "acme-music"))},
	}
	vars := map[string]any{"slug": "acme-music"}
	// Warm every case up first, so that the first one measured does not
	// pay for cold caches and plans.
	for range 20 {
		for _, c := range cases {
			credOK(b, credPost(b, server.URL, c.headers, q, vars), nil)
		}
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			// Check that every case reads the same page.
			var d struct {
				Tenant struct {
					Members conn `json:"members"`
				} `json:"tenant"`
			}
			credOK(b, credPost(b, server.URL, c.headers, q, vars), &d)
			if len(d.Tenant.Members.Edges) != 50 {
				b.Fatalf("%s reads %d members, want 50", c.name, len(d.Tenant.Members.Edges))
			}
			var dbMs float64
			var statements int
			n := 0
			for b.Loop() {
				r := credPost(b, server.URL, c.headers, q, vars)
				if r.Status != http.StatusOK || len(r.Errors) > 0 {
					b.Fatalf("request failed\n%s", r.describe())
				}
				if r.Extensions.SQL != nil {
					dbMs += r.Extensions.SQL.DurationMs
					statements += r.Extensions.SQL.Statements
				}
				n++
			}
			if n > 0 {
				b.ReportMetric(dbMs/float64(n)*1e6, "db-ns/op")
				b.ReportMetric(float64(statements)/float64(n), "stmts/op")
			}
		})
	}
}

// An unusable key name is a user error, as in every mutation, and no key
// is written.
func TestAuthAPIKeyNameIsAUserError(t *testing.T) {
	admin := credBearer(tokenFor(t, credMember(t, "acme-music", "ADMIN"), "acme-music"))
	var before, after int
	sqlValue(t, &before, `SELECT count(*) FROM api_keys`)
	for _, c := range []struct{ name, code string }{{"   ", "REQUIRED"}, {strings.Repeat("k", 201), "INVALID"}} {
		var out struct {
			CreateAPIKey struct {
				APIKey     *struct{ ID string } `json:"apiKey"`
				Secret     *string              `json:"secret"`
				UserErrors []struct {
					Field []string `json:"field"`
					Code  string   `json:"code"`
				} `json:"userErrors"`
			} `json:"createApiKey"`
		}
		credOK(t, credPost(t, server.URL, admin,
			`mutation($n: String!) { createApiKey(input: {name: $n}) { apiKey { id } secret userErrors { field code } } }`,
			map[string]any{"n": c.name}), &out)
		p := out.CreateAPIKey
		if p.APIKey != nil || p.Secret != nil || len(p.UserErrors) != 1 || p.UserErrors[0].Code != c.code ||
			strings.Join(p.UserErrors[0].Field, ".") != "input.name" {
			t.Errorf("name %.10q: got %+v, want one %s user error at input.name and no key", c.name, p, c.code)
		}
	}
	sqlValue(t, &after, `SELECT count(*) FROM api_keys`)
	if after != before {
		t.Errorf("%d API keys were written by refused requests", after-before)
	}
}
