package auth

import (
	"context"
	"crypto/subtle"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/google/uuid"

	"catalogue/db"
	"catalogue/db/model"
)

// Authenticator checks credentials against the database, and keeps the
// principals it verified for a short time when asked to.
type Authenticator struct {
	store  *db.Store
	tokens *TokenVerifier  // nil: bearer tokens are not configured
	cache  *principalCache // nil: every request is checked
}

// NewAuthenticator checks API keys in store and bearer tokens with tokens
// (nil to refuse bearer tokens), reusing verified principals as cache says.
func NewAuthenticator(store *db.Store, tokens *TokenVerifier, cache CacheConfig) *Authenticator {
	return &Authenticator{store: store, tokens: tokens, cache: newPrincipalCache(cache)}
}

// Forget drops every cached principal. The API calls it after each
// mutation that may change credentials, before answering, so that a change
// made through this process applies from the next request on.
func (a *Authenticator) Forget() {
	if a.cache != nil {
		a.cache.forget()
	}
}

func unauthenticated(format string, args ...any) error {
	return &Error{Code: CodeUnauthenticated, Msg: fmt.Sprintf(format, args...)}
}

func forbidden(format string, args ...any) error {
	return &Error{Code: CodeForbidden, Msg: fmt.Sprintf(format, args...)}
}

// Headers of the seeds' APIs.
const (
	HeaderTenant        = "X-Tenant"      // slug of the tenant to act in, for users in several
	HeaderImpersonation = "Enterprise-Id" // seed 000: the member to act as
)

// Authenticate returns the principal of r, or an *Error saying why not.
func (a *Authenticator) Authenticate(ctx context.Context, r *http.Request) (*Principal, error) {
	h := strings.TrimSpace(r.Header.Get("Authorization"))
	if h == "" {
		return nil, unauthenticated("missing credentials: send Authorization: Bearer <token> or Authorization: <API_KEY>:<API_SECRET>")
	}
	tenant := r.Header.Get(HeaderTenant)
	target := strings.TrimSpace(r.Header.Get(HeaderImpersonation))
	if a.cache == nil {
		p, _, err := a.check(ctx, h, tenant, target)
		return p, err
	}
	k := keyOf(h, tenant, target)
	now := time.Now()
	if p := a.cache.get(k, now); p != nil {
		return p, nil
	}
	gen := a.cache.generation()
	p, until, err := a.check(ctx, h, tenant, target)
	if err == nil {
		a.cache.put(k, gen, p, now, until)
	}
	return p, err
}

// check verifies credentials against the database. It also returns when
// the principal stops being valid on its own (the token's or the account's
// expiry; zero for never), which bounds how long it may be cached.
func (a *Authenticator) check(ctx context.Context, h, tenant, target string) (*Principal, time.Time, error) {
	var p *Principal
	var until time.Time
	var err error
	if scheme, rest, ok := strings.Cut(h, " "); ok && strings.EqualFold(scheme, "Bearer") {
		p, until, err = a.bearer(ctx, strings.TrimSpace(rest), tenant)
	} else {
		p, err = a.apiKey(ctx, h)
	}
	if err != nil {
		return nil, time.Time{}, err
	}
	if target != "" {
		p, err = a.impersonate(ctx, p, target)
	}
	return p, until, err
}

// apiKey authenticates "<API_KEY>:<API_SECRET>" (seed 000).
func (a *Authenticator) apiKey(ctx context.Context, h string) (*Principal, error) {
	keyID, secret, ok := strings.Cut(h, ":")
	if !ok || keyID == "" || secret == "" || strings.ContainsAny(keyID, " \t") {
		return nil, unauthenticated("malformed Authorization header: want Bearer <token> or <API_KEY>:<API_SECRET>")
	}
	k, err := db.APIKeyByKeyID(ctx, a.store, keyID)
	if errors.Is(err, db.ErrNotFound) {
		// Hash anyway so that an unknown key costs what a wrong secret does.
		subtle.ConstantTimeCompare(db.HashSecret(secret), db.HashSecret(keyID))
		return nil, unauthenticated("invalid API key or secret")
	}
	if err != nil {
		return nil, err
	}
	if subtle.ConstantTimeCompare(db.HashSecret(secret), k.SecretHash) != 1 {
		return nil, unauthenticated("invalid API key or secret")
	}
	if k.RevokedAt != nil {
		return nil, unauthenticated("API key was revoked")
	}
	return &Principal{
		TenantID: k.TenantID, TenantSlug: k.TenantSlug, Tenants: k.Tree,
		Role: model.MembershipRole(k.Role), APIKeyID: k.ID,
	}, nil
}

// bearer authenticates a signed JWT naming a user (seed 002). It returns
// when the principal expires: with the token or the account, whichever
// comes first.
func (a *Authenticator) bearer(ctx context.Context, token, tenantSlug string) (*Principal, time.Time, error) {
	if a.tokens == nil {
		return nil, time.Time{}, unauthenticated("bearer tokens are not accepted by this server: no signing key is configured")
	}
	v, err := a.tokens.Verify(token)
	if err != nil {
		return nil, time.Time{}, err
	}
	if tenantSlug == "" {
		tenantSlug = v.Tenant
	}
	u, err := db.UserAuthByID(ctx, a.store, v.UserID)
	if errors.Is(err, db.ErrNotFound) {
		return nil, time.Time{}, unauthenticated("the token's user does not exist")
	}
	if err != nil {
		return nil, time.Time{}, err
	}
	p, err := a.userPrincipal(ctx, u, tenantSlug)
	until := v.Until
	if u.ExpiresAt != nil && u.ExpiresAt.Before(until) {
		until = *u.ExpiresAt
	}
	return p, until, err
}

// userPrincipal picks the tenant a user acts in and checks the membership.
func (a *Authenticator) userPrincipal(ctx context.Context, u *db.UserAuth, tenantSlug string) (*Principal, error) {
	if u.IsDeleted {
		return nil, unauthenticated("the user account was terminated")
	}
	if u.ExpiresAt != nil && u.ExpiresAt.Before(time.Now()) {
		return nil, unauthenticated("the user account expired at %s", u.ExpiresAt.Format(time.RFC3339))
	}
	super := slices.Contains(u.AdminRoles, "SUPER_ADMIN")
	var m *db.MembershipAuth
	switch {
	case tenantSlug != "":
		for i := range u.Memberships {
			if u.Memberships[i].TenantSlug == tenantSlug {
				m = &u.Memberships[i]
			}
		}
		if m == nil && super {
			t, err := db.TenantAuthBySlug(ctx, a.store, tenantSlug)
			if errors.Is(err, db.ErrNotFound) {
				return nil, forbidden("no tenant %q", tenantSlug)
			}
			if err != nil {
				return nil, err
			}
			return &Principal{TenantID: t.ID, TenantSlug: t.Slug, Tenants: t.Tree, Role: model.MembershipRoleOwner, UserID: u.ID, SuperAdmin: true}, nil
		}
		if m == nil {
			return nil, forbidden("you are not a member of tenant %q", tenantSlug)
		}
	case super:
		return &Principal{UserID: u.ID, SuperAdmin: true, Role: model.MembershipRoleOwner}, nil
	case len(u.Memberships) == 1:
		m = &u.Memberships[0]
	case len(u.Memberships) == 0:
		return nil, forbidden("you are not a member of any tenant")
	default:
		slugs := make([]string, len(u.Memberships))
		for i, mm := range u.Memberships {
			slugs[i] = mm.TenantSlug
		}
		return nil, &Error{Code: CodeBadUserInput, Msg: fmt.Sprintf("you belong to several tenants: choose one with the %s header (%s)", HeaderTenant, strings.Join(slugs, ", "))}
	}
	if m.Status != string(model.MembershipStatusActive) {
		return nil, forbidden("your membership of %q is deactivated", m.TenantSlug)
	}
	return &Principal{TenantID: m.TenantID, TenantSlug: m.TenantSlug, Tenants: m.Tree, Role: model.MembershipRole(m.Role), UserID: u.ID, SuperAdmin: super}, nil
}

// impersonate lets a tenant OWNER or ADMIN act as a member of the tenant
// or of a subsidiary (seed 000 enterprise-id); the real actor is kept.
// Never as a platform administrator, nor as a member who also belongs to
// tenants outside the impersonator's tree (SPEC §3): acting as them would
// reach, and could change, what other tenants own. Pending invitations
// are not memberships here (db.UserAuthByID leaves them out).
func (a *Authenticator) impersonate(ctx context.Context, p *Principal, target string) (*Principal, error) {
	if err := p.Require(PermImpersonate); err != nil {
		return nil, forbidden("impersonation with %s needs the %s permission (role ADMIN or OWNER)", HeaderImpersonation, PermImpersonate)
	}
	id := target
	if _, err := uuid.Parse(target); err != nil {
		decoded, err := model.DecodeIDOf(model.TypeUser, target)
		if err != nil {
			return nil, &Error{Code: CodeBadUserInput, Msg: fmt.Sprintf("%s: Invalid UUID string: %s", HeaderImpersonation, truncate(target, 64))}
		}
		id = decoded
	}
	u, err := db.UserAuthByID(ctx, a.store, id)
	if errors.Is(err, db.ErrNotFound) {
		return nil, forbidden("%s names no member of your tenant", HeaderImpersonation)
	}
	if err != nil {
		return nil, err
	}
	// The target's membership must lie in the impersonator's subtree; with
	// several, the one in the impersonator's own tenant wins.
	var m *db.MembershipAuth
	for i := range u.Memberships {
		mm := &u.Memberships[i]
		if p.SuperAdmin && p.TenantID == "" || slices.Contains(p.Tenants, mm.TenantID) {
			if m == nil || mm.TenantID == p.TenantID {
				m = mm
			}
		}
	}
	if m == nil {
		return nil, forbidden("%s names no member of your tenant", HeaderImpersonation)
	}
	if len(u.AdminRoles) > 0 {
		return nil, forbidden("nobody acts as a platform administrator")
	}
	if !p.SuperAdmin && slices.ContainsFunc(u.Memberships, func(mm db.MembershipAuth) bool { return !slices.Contains(p.Tenants, mm.TenantID) }) {
		return nil, forbidden("the member also belongs to tenants outside yours: nobody but a platform administrator acts as them")
	}
	if m.Status != string(model.MembershipStatusActive) {
		return nil, forbidden("the impersonated membership is deactivated")
	}
	// Acting as someone must not raise the caller's own powers.
	if !p.SuperAdmin && roleRank[model.MembershipRole(m.Role)] > roleRank[p.Role] {
		return nil, forbidden("a %s cannot act as an %s", p.Role, m.Role)
	}
	if u.IsDeleted {
		return nil, forbidden("the impersonated account was terminated")
	}
	var real *model.User
	if p.UserID != "" {
		// A read of its own across tenants: the pool's role sees nothing
		// outside a session that names them.
		ss := a.store.Session(db.AllTenants(), db.FromPrimary)
		users, err := db.ByIDs(ctx, ss, db.UserNode, db.AllTenants(), []string{p.UserID})
		ss.End(ctx)
		if err != nil {
			return nil, err
		}
		real = users[p.UserID]
	}
	return &Principal{
		TenantID: m.TenantID, TenantSlug: m.TenantSlug, Tenants: m.Tree, Role: model.MembershipRole(m.Role),
		UserID: u.ID, APIKeyID: p.APIKeyID, ImpersonatorID: p.UserID, Impersonator: real, Impersonated: true,
	}, nil
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}

// jwtErrorMessage says which check a token failed, never echoing it.
func jwtErrorMessage(err error) string {
	switch {
	case errors.Is(err, jwt.ErrTokenExpired):
		return "token expired"
	case errors.Is(err, jwt.ErrTokenNotValidYet):
		return "token not valid yet"
	case errors.Is(err, jwt.ErrTokenMalformed):
		return "malformed token"
	case errors.Is(err, jwt.ErrTokenSignatureInvalid), errors.Is(err, jwt.ErrTokenUnverifiable):
		return "invalid token signature"
	case errors.Is(err, jwt.ErrTokenRequiredClaimMissing):
		return "token lacks a required claim (exp and sub are required)"
	case errors.Is(err, jwt.ErrTokenInvalidIssuer):
		return "token issuer not accepted"
	case errors.Is(err, jwt.ErrTokenInvalidAudience):
		return "token audience not accepted"
	}
	return "invalid token"
}
