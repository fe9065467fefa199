// Package auth decides who is asking: it turns the request's credentials
// (an API key, a bearer JWT, optionally an impersonation header) into a
// Principal, whose tenant subtree becomes the request's database scope and
// whose role decides what the request may do.
package auth

import (
	"context"
	"fmt"

	"catalogue/db"
	"catalogue/db/model"
)

// Permission is a named capability. FORBIDDEN errors name the one missing.
type Permission string

// The permissions, from reading to administration.
const (
	PermRead           Permission = "read"             // any active member
	PermReadContacts   Permission = "members:contacts" // other members' email and phone
	PermManageMembers  Permission = "members:manage"
	PermManageCatalog  Permission = "catalogue:manage"
	PermManageAPIKeys  Permission = "apiKeys:manage"
	PermImpersonate    Permission = "impersonate"
	PermAllTenants     Permission = "platform:allTenants"
	PermManageSettings Permission = "tenant:manage"
	PermReadAudit      Permission = "audit:read" // the audit log of writes
)

// rolePermissions grants permissions by tenant role (seed 003: reading
// needs USER, managing people and catalogue needs ADMIN).
var rolePermissions = map[model.MembershipRole][]Permission{
	model.MembershipRoleUser:  {PermRead},
	model.MembershipRoleAdmin: {PermRead, PermReadContacts, PermManageMembers, PermManageCatalog, PermManageAPIKeys, PermImpersonate, PermReadAudit},
	model.MembershipRoleOwner: {PermRead, PermReadContacts, PermManageMembers, PermManageCatalog, PermManageAPIKeys, PermImpersonate, PermReadAudit, PermManageSettings},
}

// roleRank orders tenant roles, for checks that an action does not raise
// the caller's own powers.
var roleRank = map[model.MembershipRole]int{
	model.MembershipRoleUser: 1, model.MembershipRoleAdmin: 2, model.MembershipRoleOwner: 3,
}

// Outranks reports whether role a is above role b.
func Outranks(a, b model.MembershipRole) bool { return roleRank[a] > roleRank[b] }

// Principal is the authenticated caller of a request.
type Principal struct {
	// TenantID is the tenant the request acts in ("" for a platform
	// administrator working across all tenants).
	TenantID   string
	TenantSlug string
	// Tenants is the tenant and its subsidiaries: the request's scope.
	Tenants []string
	// Role is the effective role in TenantID.
	Role model.MembershipRole
	// UserID is the acting user; "" for an API key.
	UserID string
	// APIKeyID is set when an API key authenticated the request.
	APIKeyID string
	// SuperAdmin is a platform administrator (seed 003 SUPER_ADMIN).
	SuperAdmin bool
	// ImpersonatorID is the real user behind an impersonated request ("" when
	// an API key impersonates or nobody does).
	ImpersonatorID string
	// Impersonator is the real user's profile, read when the credentials
	// are checked: the request's own scope is the impersonated member's and
	// need not include the real user.
	Impersonator *model.User
	// Impersonated is true when the acting user was chosen with the
	// enterprise-id header.
	Impersonated bool
}

// Scope is the database scope of the principal.
func (p *Principal) Scope() db.Scope {
	if p.SuperAdmin && p.TenantID == "" {
		return db.AllTenants()
	}
	return db.TenantScope(p.Tenants...)
}

// Permissions lists what the principal may do.
func (p *Principal) Permissions() []Permission {
	perms := append([]Permission(nil), rolePermissions[p.Role]...)
	if p.SuperAdmin {
		perms = rolePermissions[model.MembershipRoleOwner]
		perms = append(append([]Permission(nil), perms...), PermAllTenants)
	}
	return perms
}

// Can reports whether the principal holds perm.
func (p *Principal) Can(perm Permission) bool {
	for _, have := range p.Permissions() {
		if have == perm {
			return true
		}
	}
	return false
}

// Require returns a FORBIDDEN error naming perm unless the principal has it.
func (p *Principal) Require(perm Permission) error {
	if p.Can(perm) {
		return nil
	}
	return &Error{Code: CodeForbidden, Msg: fmt.Sprintf("this needs the %s permission, which role %s does not have", perm, p.Role)}
}

// CanSeeContact reports whether the principal may read a user's email and
// phone: administrators, and everyone for their own account.
func (p *Principal) CanSeeContact(userID string) bool {
	return p.Can(PermReadContacts) || (p.UserID != "" && p.UserID == userID)
}

// Error codes of authentication and authorisation failures.
const (
	CodeUnauthenticated = "UNAUTHENTICATED"
	CodeForbidden       = "FORBIDDEN"
	CodeBadUserInput    = "BAD_USER_INPUT"
	// CodeUnavailable: the credentials could not be checked because the
	// database is down; HTTP 503 with Retry-After.
	CodeUnavailable = "SERVICE_UNAVAILABLE"
)

// Error is an authentication or authorisation failure with its GraphQL
// code; Msg says which check failed without echoing secrets.
type Error struct {
	Code string
	Msg  string
}

func (e *Error) Error() string { return e.Msg }

type ctxKey struct{}

// With returns ctx carrying p.
func With(ctx context.Context, p *Principal) context.Context {
	return context.WithValue(ctx, ctxKey{}, p)
}

// From returns the request's principal. The HTTP middleware refuses
// requests without one, so a missing principal is a wiring bug; it is
// answered with an UNAUTHENTICATED error rather than a panic.
func From(ctx context.Context) (*Principal, error) {
	if p, ok := ctx.Value(ctxKey{}).(*Principal); ok && p != nil {
		return p, nil
	}
	return nil, &Error{Code: CodeUnauthenticated, Msg: "no credentials"}
}
