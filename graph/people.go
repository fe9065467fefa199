package graph

import (
	"context"
	"fmt"

	"github.com/google/uuid"
	"github.com/lib/pq"

	"catalogue/db"
	"catalogue/graph/model"
	"catalogue/internal/auth"
)

// profileRules are the writable profile fields of a user (SPEC §1.1).
var profileRules = []rule{
	{"firstName", "first_name", text(100), false},
	{"lastName", "last_name", text(100), false},
	{"nickname", "nickname", text(100), false},
	{"phone", "phone", checkPhone, false},
	{"language", "language_code", checkLanguage, false},
	{"pictureUrl", "picture_url", checkURL, false},
	{"bannerUrl", "banner_url", checkURL, false},
	{"websiteUrl", "website_url", checkURL, false},
	{"twitterUrl", "twitter_url", checkURL, false},
	{"instagramUrl", "instagram_url", checkURL, false},
	{"spotifyProfile", "spotify_profile", text(200), false},
	{"soundCloudProfile", "sound_cloud_profile", text(200), false},
	{"appleMusicProfile", "apple_music_profile", text(200), false},
	{"location", "location", text(200), false},
	{"role", "role", text(100), false},
	{"genre", "genre", text(100), false},
	{"biography", "biography", text(5000), false},
	{"companyName", "company_name", text(200), false},
	{"companyLogoUrl", "company_logo_url", checkURL, false},
	{"companyIpRights", "company_ip_rights", checkBool, false},
	{"dspPlanSubscribed", "dsp_plan_subscribed", checkBool, true},
	{"expiresAt", "expires_at", checkTime, false},
}

// inviteMember adds a person to the caller's tenant, creating the account
// when no account has the email.
func inviteMember(ctx context.Context, store *db.Store, in model.InviteMemberInput) (*model.Membership, userErrs, error) {
	var out *model.Membership
	errs, err := mutate(ctx, store, auth.PermManageMembers, func(w *writer) error {
		tenantID, err := w.tenant()
		if err != nil {
			return err
		}
		if auth.Outranks(in.Role, w.p.Role) && !w.p.SuperAdmin {
			return &model.ForbiddenError{Msg: fmt.Sprintf("a %s cannot make someone %s", w.p.Role, in.Role)}
		}
		email, msg, code := checkEmail(in.Email)
		if msg != "" {
			return w.reject(code, msg, "input", "email")
		}
		profile := patch(in.Profile, profileRules, []string{"input", "profile"}, &w.errs)
		if err := w.check(); err != nil {
			return err
		}
		id, err := w.idempotent(tenantID, in.IdempotencyKey, "inviteMember", func() (string, error) {
			var existing []string
			if err := db.Select(ctx, w.s, &existing, `SELECT user_id_by_email(?)::text WHERE user_id_by_email(?) IS NOT NULL`, email, email); err != nil {
				return "", err
			}
			userID := uuid.NewString()
			if len(existing) == 1 {
				userID = existing[0]
			} else {
				v := db.Values(profile)
				v["id"], v["email"], v["created_by"], v["updated_by"] = userID, email, w.actor(), w.actor()
				if err := db.InsertNoReturn(ctx, w.s, "users", v); err != nil {
					return "", w.dbError(err, "input")
				}
			}
			mid, err := db.Insert(ctx, w.s, "memberships", db.Values{
				"tenant_id": tenantID, "user_id": userID, "role": string(in.Role), "status": "ACTIVE",
				"created_by": w.actor(), "updated_by": w.actor(),
			})
			if err != nil {
				return "", w.dbError(err, "input")
			}
			return mid, w.audit(tenantID, "member.invite", mid, map[string]any{"userId": userID, "role": in.Role, "newAccount": len(existing) == 0})
		})
		if err != nil {
			return err
		}
		out, err = load(w, db.MembershipNode, id)
		return err
	})
	return out, errs, err
}

// updateUser changes profile fields and the email of a user the caller may
// manage, or of the caller themself.
func updateUser(ctx context.Context, store *db.Store, in model.UpdateUserInput) (*model.User, userErrs, error) {
	var out *model.User
	errs, err := mutate(ctx, store, "", func(w *writer) error {
		id, ok := w.decodeRef(model.TypeUser, in.ID, "input", "id")
		if !ok {
			return w.check()
		}
		if id != w.p.UserID {
			if err := w.p.Require(auth.PermManageMembers); err != nil {
				return err
			}
			if err := w.mayManageAccount(id); err != nil {
				return err
			}
		}
		v := db.Values(patch(in.Profile, profileRules, []string{"input", "profile"}, &w.errs))
		if in.Email != nil {
			email, msg, code := checkEmail(*in.Email)
			if msg != "" {
				w.errs.add(code, msg, "input", "email")
			} else {
				v["email"] = email
			}
		}
		if err := w.check(); err != nil {
			return err
		}
		if err := w.dbError(db.Update(ctx, w.s, "users", id, in.ExpectedVersion, w.actor(), v), "input"); err != nil {
			return err
		}
		tenant, err := w.userTenant(id)
		if err != nil {
			return err
		}
		if err := w.audit(tenant, "user.update", id, map[string]any{"fields": keys(v)}); err != nil {
			return err
		}
		out, err = load(w, db.UserNode, id)
		return err
	})
	return out, errs, err
}

// updateMembership changes a member's role or status. Nobody may raise a
// role above their own, and a tenant keeps at least one active owner.
func updateMembership(ctx context.Context, store *db.Store, in model.UpdateMembershipInput) (*model.Membership, userErrs, error) {
	var out *model.Membership
	errs, err := mutate(ctx, store, auth.PermManageMembers, func(w *writer) error {
		id, ok := w.decodeRef(model.TypeMembership, in.ID, "input", "id")
		if !ok {
			return w.check()
		}
		m, err := exists(w, db.MembershipNode, id, "input", "id")
		if err != nil || m == nil {
			return err
		}
		if !w.p.SuperAdmin && (auth.Outranks(m.Role, w.p.Role) || (in.Role != nil && auth.Outranks(*in.Role, w.p.Role))) {
			return &model.ForbiddenError{Msg: fmt.Sprintf("a %s cannot change an OWNER membership or grant OWNER", w.p.Role)}
		}
		v := db.Values{}
		if in.Role != nil {
			v["role"] = string(*in.Role)
		}
		if in.Status != nil {
			v["status"] = string(*in.Status)
		}
		if err := w.dbError(db.Update(ctx, w.s, "memberships", id, in.ExpectedVersion, w.actor(), v), "input"); err != nil {
			return err
		}
		if err := w.keepAnOwner(m.TenantID); err != nil {
			return err
		}
		if err := w.audit(m.TenantID, "membership.update", id, map[string]any{"role": in.Role, "status": in.Status}); err != nil {
			return err
		}
		out, err = load(w, db.MembershipNode, id)
		return err
	})
	return out, errs, err
}

// keepAnOwner refuses a change that leaves a tenant without an active owner.
func (w *writer) keepAnOwner(tenantID string) error {
	var n int
	if err := db.Get(w.ctx, w.s, &n, `SELECT count(*) FROM memberships m JOIN users u ON u.id = m.user_id
		WHERE m.tenant_id = ? AND m.role = 'OWNER' AND m.status = 'ACTIVE' AND NOT u.is_deleted`, tenantID); err != nil {
		return err
	}
	if n == 0 {
		return w.reject(model.UserErrorCodeInvalid, "the tenant would have no active OWNER left", "input")
	}
	return nil
}

// terminateUser soft-deletes an account whose memberships all lie in the
// caller's scope: it leaves lists and its memberships are deactivated.
func terminateUser(ctx context.Context, store *db.Store, in model.TerminateUserInput) (*model.User, userErrs, error) {
	var out *model.User
	errs, err := mutate(ctx, store, auth.PermManageMembers, func(w *writer) error {
		id, ok := w.decodeRef(model.TypeUser, in.ID, "input", "id")
		if !ok {
			return w.check()
		}
		if id == w.p.UserID {
			return w.reject(model.UserErrorCodeInvalid, "you cannot terminate your own account", "input", "id")
		}
		u, err := exists(w, db.UserNode, id, "input", "id")
		if err != nil || u == nil {
			return err
		}
		if err := w.mayManageAccount(id); err != nil {
			return err
		}
		if err := w.dbError(db.Update(ctx, w.s, "users", id, nil, w.actor(), db.Values{"is_deleted": true}), "input"); err != nil {
			return err
		}
		if err := db.Exec(ctx, w.s, `UPDATE memberships SET status = 'DEACTIVATED', updated_at = now(), updated_by = ?, version = version + 1
			WHERE user_id = ? AND status = 'ACTIVE'`, w.actor(), id); err != nil {
			return err
		}
		var tenants []string
		if err := db.Select(ctx, w.s, &tenants, `SELECT DISTINCT tenant_id::text FROM memberships WHERE user_id = ?`, id); err != nil {
			return err
		}
		for _, t := range tenants {
			if err := w.keepAnOwner(t); err != nil {
				return err
			}
			if err := w.audit(t, "user.terminate", id, nil); err != nil {
				return err
			}
		}
		out, err = load(w, db.UserNode, id)
		return err
	})
	return out, errs, err
}

// grantBrandAccess gives a member access to a brand of the member's tenant.
func grantBrandAccess(ctx context.Context, store *db.Store, in model.GrantBrandAccessInput) (*model.BrandAccess, userErrs, error) {
	var out *model.BrandAccess
	errs, err := mutate(ctx, store, auth.PermManageMembers, func(w *writer) error {
		brandID, ok1 := w.decodeRef(model.TypeBrand, in.BrandID, "input", "brandId")
		userID, ok2 := w.decodeRef(model.TypeUser, in.UserID, "input", "userId")
		if !ok1 || !ok2 {
			return w.check()
		}
		b, err := exists(w, db.BrandNode, brandID, "input", "brandId")
		if err != nil || b == nil {
			return err
		}
		var member int
		if err := db.Get(ctx, w.s, &member, `SELECT count(*) FROM memberships WHERE tenant_id = ? AND user_id = ?`, b.TenantID, userID); err != nil {
			return err
		}
		if member == 0 {
			return w.reject(model.UserErrorCodeNotFound, "the user is not a member of the brand's tenant", "input", "userId")
		}
		var id string
		if err := db.Get(ctx, w.s, &id, `INSERT INTO brand_access (tenant_id, brand_id, user_id, role, created_by, updated_by)
			VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (brand_id, user_id)
			DO UPDATE SET role = EXCLUDED.role, updated_at = now(), updated_by = EXCLUDED.updated_by, version = brand_access.version + 1
			RETURNING id::text`, b.TenantID, brandID, userID, string(in.Role), w.actor(), w.actor()); err != nil {
			return w.dbError(err, "input")
		}
		if err := w.audit(b.TenantID, "brandAccess.grant", id, map[string]any{"role": in.Role}); err != nil {
			return err
		}
		out, err = load(w, db.BrandAccessNode, id)
		return err
	})
	return out, errs, err
}

// revokeBrandAccess removes a grant and returns it as it was.
func revokeBrandAccess(ctx context.Context, store *db.Store, in model.RevokeBrandAccessInput) (*model.BrandAccess, userErrs, error) {
	var out *model.BrandAccess
	errs, err := mutate(ctx, store, auth.PermManageMembers, func(w *writer) error {
		id, ok := w.decodeRef(model.TypeBrandAccess, in.ID, "input", "id")
		if !ok {
			return w.check()
		}
		ba, err := exists(w, db.BrandAccessNode, id, "input", "id")
		if err != nil || ba == nil {
			return err
		}
		if err := db.Exec(ctx, w.s, `DELETE FROM brand_access WHERE id = ?`, id); err != nil {
			return err
		}
		out = ba
		return w.audit(ba.TenantID, "brandAccess.revoke", id, nil)
	})
	return out, errs, err
}

// mayManageAccount refuses changes to another person's account (profile,
// email, termination) that reach beyond the caller: an account that also
// belongs to tenants outside the caller's, or that holds a higher role
// than the caller in one of the caller's tenants. An email change there
// would hand the account to whoever controls the new address.
func (w *writer) mayManageAccount(userID string) error {
	if w.p.SuperAdmin {
		return nil
	}
	var foreign bool
	if err := db.Get(w.ctx, w.s, &foreign, `SELECT user_has_foreign_memberships(?, ?::uuid[])`, userID, pq.Array(w.p.Tenants)); err != nil {
		return err
	}
	if foreign {
		return &model.ForbiddenError{Msg: "the account also belongs to tenants outside yours; only its owner or a platform administrator may change it (deactivate its membership instead)"}
	}
	var roles []string
	if err := db.Select(w.ctx, w.s, &roles, `SELECT role FROM memberships WHERE user_id = ?`, userID); err != nil {
		return err
	}
	for _, r := range roles {
		if auth.Outranks(model.MembershipRole(r), w.p.Role) {
			return &model.ForbiddenError{Msg: fmt.Sprintf("a %s cannot change the account of an %s", w.p.Role, r)}
		}
	}
	return nil
}

// userTenant is the tenant an audit row of a change to a user goes to: the
// caller's, or for a platform administrator the user's first membership.
func (w *writer) userTenant(userID string) (string, error) {
	if w.p.TenantID != "" {
		return w.p.TenantID, nil
	}
	var t string
	err := db.Get(w.ctx, w.s, &t, `SELECT tenant_id::text FROM memberships WHERE user_id = ? ORDER BY created_at, id LIMIT 1`, userID)
	return t, err
}

func keys(m map[string]any) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	return out
}
