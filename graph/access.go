package graph

import (
	"context"
	"fmt"

	"catalogue/db"
	"catalogue/db/model"
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
func createAPIKey(ctx context.Context, store *db.Store, in model.CreateAPIKeyInput) (*model.CreateAPIKeyPayload, error) {
	out := &model.CreateAPIKeyPayload{ClientMutationID: in.ClientMutationID}
	errs, err := mutate(ctx, store, auth.PermManageAPIKeys, func(w *writer) error {
		tenantID, err := w.tenant()
		if err != nil {
			return err
		}
		if auth.Outranks(in.Role, w.p.Role) && !w.p.SuperAdmin {
			return &model.ForbiddenError{Msg: fmt.Sprintf("a %s cannot create a key with role %s", w.p.Role, in.Role)}
		}
		name, msg, code := text(200)(in.Name)
		if msg != "" {
			return w.reject(code, msg, "input", "name")
		}
		key, err := db.CreateAPIKey(ctx, w.s, tenantID, name.(string), string(in.Role), w.actor())
		if err != nil {
			return err
		}
		authorization := key.Key.KeyID + ":" + key.Secret
		out.APIKey, out.Secret, out.Authorization = &key.Key, &key.Secret, &authorization
		return w.audit(tenantID, "apiKey.create", key.Key.ID, map[string]any{"name": name, "role": in.Role})
	})
	if err != nil || len(errs) > 0 {
		return &model.CreateAPIKeyPayload{UserErrors: errs, ClientMutationID: in.ClientMutationID}, err
	}
	out.UserErrors = errs
	return out, nil
}

// revokeAPIKey revokes a key of the caller's tenant subtree. Row-level
// security hides other tenants' keys, so revoking one is NOT_FOUND, like a
// key that does not exist.
func revokeAPIKey(ctx context.Context, store *db.Store, in model.RevokeAPIKeyInput) (*model.RevokeAPIKeyPayload, error) {
	out := &model.RevokeAPIKeyPayload{ClientMutationID: in.ClientMutationID}
	errs, err := mutate(ctx, store, auth.PermManageAPIKeys, func(w *writer) error {
		id, ok := w.decodeRef(model.TypeAPIKey, in.ID, "input", "id")
		if !ok {
			return w.check()
		}
		key, err := db.RevokeAPIKey(ctx, w.s, id)
		if err != nil {
			return w.dbError(err, "input")
		}
		out.APIKey = key
		return w.audit(key.TenantID, "apiKey.revoke", key.ID, nil)
	})
	out.UserErrors = errs
	if err != nil || len(errs) > 0 {
		out.APIKey = nil
	}
	return out, err
}
