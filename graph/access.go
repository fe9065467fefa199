package graph

import (
	"context"
	"fmt"
	"strings"

	"catalogue/db"
	"catalogue/graph/loader"
	"catalogue/graph/model"
	"catalogue/internal/auth"
)

// viewerOf describes the request's principal.
func viewerOf(ctx context.Context) (*model.Viewer, error) {
	p, err := auth.From(ctx)
	if err != nil {
		return nil, err
	}
	perms := p.Permissions()
	names := make([]string, len(perms))
	for i, perm := range perms {
		names[i] = string(perm)
	}
	return &model.Viewer{
		UserID: p.UserID, TenantID: p.TenantID, Role: p.Role, Permissions: names,
		APIKeyID: p.APIKeyID, ImpersonatorID: p.ImpersonatorID, Impersonating: p.Impersonated, SuperAdmin: p.SuperAdmin,
	}, nil
}

// impersonator loads the real user behind an impersonated request. It is
// the caller's own identity, so it is read outside the request's scope,
// which is the impersonated member's and may not include the real user.
func impersonator(ctx context.Context, store *db.Store, id string) (*model.User, error) {
	if id == "" {
		return nil, nil
	}
	rows, err := db.ByIDs(ctx, store, db.UserNode, db.AllTenants(), []string{id})
	if err != nil {
		return nil, err
	}
	return rows[id], nil
}

// contact returns a user's email or phone when the caller may see it.
func contact(ctx context.Context, userID string, value *string) (*string, error) {
	p, err := auth.From(ctx)
	if err != nil {
		return nil, err
	}
	if !p.CanSeeContact(userID) {
		return nil, nil
	}
	return value, nil
}

// restricted reports whether the caller may not filter on sensitive fields.
func restricted(ctx context.Context) bool {
	p, err := auth.From(ctx)
	return err != nil || !p.Can(auth.PermReadContacts)
}

// require checks a permission of the request's principal.
func require(ctx context.Context, perm auth.Permission) (*auth.Principal, error) {
	p, err := auth.From(ctx)
	if err != nil {
		return nil, err
	}
	return p, p.Require(perm)
}

// actingTenant is the tenant a write goes to: the principal's own.
func actingTenant(p *auth.Principal) (string, error) {
	if p.TenantID == "" {
		return "", &model.InputError{Arg: "X-Tenant", Msg: "a platform administrator must choose the tenant to write to with the X-Tenant header"}
	}
	return p.TenantID, nil
}

// auditEntry stamps an action with the real actor and the acted-as user.
func auditEntry(p *auth.Principal, tenantID, action string, subject *string, detail map[string]any) db.AuditEntry {
	e := db.AuditEntry{TenantID: tenantID, Action: action, SubjectID: subject, Detail: detail}
	if p.APIKeyID != "" {
		e.APIKeyID = &p.APIKeyID
	}
	switch {
	case p.Impersonated:
		e.ActingAs = &p.UserID
		if p.ImpersonatorID != "" {
			e.ActorID = &p.ImpersonatorID
		}
	case p.UserID != "":
		e.ActorID = &p.UserID
	}
	return e
}

// createAPIKey makes a key for the caller's tenant, no stronger than the
// caller, and audits it, all or nothing.
func createAPIKey(ctx context.Context, input model.CreateAPIKeyInput) (*model.CreateAPIKeyPayload, error) {
	p, err := require(ctx, auth.PermManageAPIKeys)
	if err != nil {
		return nil, err
	}
	tenantID, err := actingTenant(p)
	if err != nil {
		return nil, err
	}
	name := strings.TrimSpace(input.Name)
	if name == "" || len(name) > 200 {
		return nil, &model.InputError{Arg: "input.name", Msg: "must be 1 to 200 characters"}
	}
	if auth.Outranks(input.Role, p.Role) && !p.SuperAdmin {
		return nil, &model.ForbiddenError{Msg: fmt.Sprintf("a %s cannot create a key with role %s", p.Role, input.Role)}
	}
	var createdBy *string
	if p.UserID != "" {
		createdBy = &p.UserID
	}
	session := loader.For(ctx).Session()
	var key *db.NewAPIKey
	err = session.Atomic(ctx, func() error {
		var err error
		if key, err = db.CreateAPIKey(ctx, session, tenantID, name, string(input.Role), createdBy); err != nil {
			return err
		}
		return db.Audit(ctx, session, auditEntry(p, tenantID, "apiKey.create", &key.Key.ID, map[string]any{"name": name, "role": input.Role}))
	})
	if err != nil {
		return nil, err
	}
	return &model.CreateAPIKeyPayload{APIKey: &key.Key, Secret: key.Secret, Authorization: key.Key.KeyID + ":" + key.Secret}, nil
}

// revokeAPIKey revokes a key of the caller's tenant subtree.
func revokeAPIKey(ctx context.Context, input model.RevokeAPIKeyInput) (*model.RevokeAPIKeyPayload, error) {
	p, err := require(ctx, auth.PermManageAPIKeys)
	if err != nil {
		return nil, err
	}
	id, err := model.DecodeIDOf(model.TypeAPIKey, input.ID)
	if err != nil {
		return nil, err
	}
	session := loader.For(ctx).Session()
	var key *model.APIKey
	err = session.Atomic(ctx, func() error {
		var err error
		// Row-level security hides other tenants' keys: revoking one
		// finds no row, exactly like a key that does not exist.
		if key, err = db.RevokeAPIKey(ctx, session, id); err != nil {
			return err
		}
		return db.Audit(ctx, session, auditEntry(p, key.TenantID, "apiKey.revoke", &key.ID, nil))
	})
	if err != nil {
		return nil, err
	}
	return &model.RevokeAPIKeyPayload{APIKey: key}, nil
}
