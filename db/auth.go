package db

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"time"

	"github.com/lib/pq"

	"catalogue/db/model"
)

// The statements here authenticate a request before its scope is known, so
// they run on the pool, outside any request transaction, as the server's
// runtime role, which row-level security binds. They read through the
// SECURITY DEFINER functions of migration 0010 (auth_api_key, auth_user,
// auth_tenant), which answer for the one credential named and nothing
// else, in one call whose plan PostgreSQL keeps for the life of the
// connection. They take identifiers from credentials only.

// APIKeyAuth is what authenticating an API key needs.
type APIKeyAuth struct {
	ID         string         `db:"id"`
	TenantID   string         `db:"tenant_id"`
	TenantSlug string         `db:"slug"`
	Role       string         `db:"role"`
	SecretHash []byte         `db:"secret_hash"`
	RevokedAt  *time.Time     `db:"revoked_at"`
	Tree       pq.StringArray `db:"tree"`
}

// APIKeyByKeyID reads the key with the given public key ID.
func APIKeyByKeyID(ctx context.Context, s *Store, keyID string) (*APIKeyAuth, error) {
	const q = `SELECT id, tenant_id, slug, role, secret_hash, revoked_at, tree::text[] AS tree FROM auth_api_key($1)`
	defer trackCredential(ctx, q)()
	var k APIKeyAuth
	err := s.x.GetContext(ctx, &k, q, keyID)
	if err != nil {
		return nil, mapError(err)
	}
	return &k, nil
}

// MembershipAuth is one membership of a user being authenticated.
type MembershipAuth struct {
	TenantID   string         `db:"tenant_id"`
	TenantSlug string         `db:"slug"`
	Role       string         `db:"role"`
	Status     string         `db:"status"`
	Tree       pq.StringArray `db:"tree"`
}

// UserAuth is what authenticating a user needs: the account and its
// memberships, each with the tenant's subtree. Pending invitations are not
// among them: they give no access until the user accepts them.
type UserAuth struct {
	ID          string
	IsDeleted   bool
	ExpiresAt   *time.Time
	AdminRoles  []string
	Memberships []MembershipAuth
}

// UserAuthByID reads a user and their memberships in one statement.
func UserAuthByID(ctx context.Context, s *Store, userID string) (*UserAuth, error) {
	const q = `SELECT id, is_deleted, expires_at, admin_roles,
		tenant_id, slug, role, status, tree::text[] AS tree
		FROM auth_user($1) WITH ORDINALITY ORDER BY ordinality`
	defer trackCredential(ctx, q)()
	var rows []struct {
		ID         string         `db:"id"`
		IsDeleted  bool           `db:"is_deleted"`
		ExpiresAt  *time.Time     `db:"expires_at"`
		AdminRoles pq.StringArray `db:"admin_roles"`
		TenantID   *string        `db:"tenant_id"`
		Slug       *string        `db:"slug"`
		Role       *string        `db:"role"`
		Status     *string        `db:"status"`
		Tree       pq.StringArray `db:"tree"`
	}
	err := s.x.SelectContext(ctx, &rows, q, userID)
	if err != nil {
		return nil, mapError(err)
	}
	if len(rows) == 0 {
		return nil, ErrNotFound
	}
	u := &UserAuth{ID: rows[0].ID, IsDeleted: rows[0].IsDeleted, ExpiresAt: rows[0].ExpiresAt, AdminRoles: rows[0].AdminRoles}
	for _, r := range rows {
		if r.TenantID == nil {
			continue
		}
		u.Memberships = append(u.Memberships, MembershipAuth{
			TenantID: *r.TenantID, TenantSlug: *r.Slug, Role: *r.Role, Status: *r.Status, Tree: r.Tree,
		})
	}
	return u, nil
}

// TenantAuth is a tenant and its subtree, for platform administrators who
// pick a tenant.
type TenantAuth struct {
	ID   string         `db:"id"`
	Slug string         `db:"slug"`
	Tree pq.StringArray `db:"tree"`
}

// TenantAuthBySlug reads a tenant and its subtree by slug.
func TenantAuthBySlug(ctx context.Context, s *Store, slug string) (*TenantAuth, error) {
	const q = `SELECT id, slug, tree::text[] AS tree FROM auth_tenant($1)`
	defer trackCredential(ctx, q)()
	var t TenantAuth
	if err := s.x.GetContext(ctx, &t, q, slug); err != nil {
		return nil, mapError(err)
	}
	return &t, nil
}

// NewAPIKey is a freshly made key; Secret is shown once and never stored.
type NewAPIKey struct {
	Key    model.APIKey
	Secret string
}

// HashSecret is how API key secrets are stored and compared.
func HashSecret(secret string) []byte {
	sum := sha256.Sum256([]byte(secret))
	return sum[:]
}

func randomToken(prefix string, n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic(fmt.Sprintf("crypto/rand: %v", err)) // the OS has no entropy: nothing sensible to do
	}
	return prefix + base64.RawURLEncoding.EncodeToString(b)
}

// CreateAPIKey makes a key for tenantID with a random public ID and
// secret, storing only the secret's hash.
func CreateAPIKey(ctx context.Context, q Querier, tenantID, name, role string, createdBy *string) (*NewAPIKey, error) {
	keyID, secret := randomToken("ck_", 12), randomToken("cs_", 32)
	var k model.APIKey
	err := getRow(ctx, q, &k, `INSERT INTO api_keys (tenant_id, name, key_id, secret_hash, role, created_by)
		VALUES (?, ?, ?, ?, ?, ?) RETURNING `+apiKeyCols, tenantID, name, keyID, HashSecret(secret), role, createdBy)
	if err != nil {
		return nil, err
	}
	return &NewAPIKey{Key: k, Secret: secret}, nil
}

// RevokeAPIKey marks a key revoked; revoking twice keeps the first time.
func RevokeAPIKey(ctx context.Context, q Querier, id string) (*model.APIKey, error) {
	var k model.APIKey
	err := getRow(ctx, q, &k, `UPDATE api_keys SET revoked_at = coalesce(revoked_at, now()) WHERE id = ? RETURNING `+apiKeyCols, id)
	if err != nil {
		return nil, err
	}
	return &k, nil
}

// API key columns, everything but the secret's hash: for RETURNING and for
// selects through the alias k.
var (
	apiKeyCols   = columns("api_keys", model.APIKey{})
	apiKeySelect = columns("k", model.APIKey{})
)

// APIKeyNode reads API keys by ID.
var APIKeyNode = &Node[model.APIKey]{
	Name: "ApiKey", Select: apiKeySelect, From: "api_keys k", IDCol: "k.id", ScopePred: tenantScope("k"),
}

// APIKeysByTenant lists a tenant's API keys, newest first.
var APIKeysByTenant = &List[model.APIKey]{ListSpec{
	Name: "Tenant.apiKeys", Select: apiKeySelect, From: "api_keys k", Parent: "k.tenant_id",
	ScopePred: tenantScope("k"), Order: newestFirst("k"),
}}

// TenantOwner returns an active OWNER of the tenant with the given slug
// whose account may sign in and holds no platform role, the oldest
// membership first: the user a development token speaks for. q must see
// every tenant (a session or transaction in AllTenants).
func TenantOwner(ctx context.Context, q Querier, slug string) (string, error) {
	var id string
	err := getRow(ctx, q, &id, `SELECT m.user_id FROM memberships m JOIN tenants t ON t.id = m.tenant_id
		JOIN users u ON u.id = m.user_id
		WHERE t.slug = ? AND m.role = 'OWNER' AND m.status = 'ACTIVE' AND NOT u.is_deleted
		  AND (u.expires_at IS NULL OR u.expires_at > now()) AND cardinality(u.admin_roles) = 0
		ORDER BY m.created_at, m.id LIMIT 1`, slug)
	return id, err
}

// UserIDByEmail finds a user by email, ignoring case. q must see every
// tenant.
func UserIDByEmail(ctx context.Context, q Querier, email string) (string, error) {
	var id string
	err := getRow(ctx, q, &id, `SELECT id FROM users WHERE lower(email) = lower(?)`, email)
	return id, err
}

// TenantIDBySlug finds a tenant by slug. q must see every tenant.
func TenantIDBySlug(ctx context.Context, q Querier, slug string) (string, error) {
	var id string
	err := getRow(ctx, q, &id, `SELECT id FROM tenants WHERE slug = ?`, slug)
	return id, err
}
