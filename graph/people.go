package graph

import (
	"context"
	"fmt"

	"catalogue/db"
	"catalogue/db/model"
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
			userID, found, err := db.UserIDForEmail(ctx, w.s, email.(string))
			if err != nil {
				return "", err
			}
			if !found {
				if userID, err = db.CreateUser(ctx, w.s, email.(string), w.actor(), profile); err != nil {
					return "", w.dbError(err, "input")
				}
			}
			mid, err := db.CreateMembership(ctx, w.s, tenantID, userID, in.Role, w.actor())
			if err != nil {
				return "", w.dbError(err, "input")
			}
			return mid, w.audit(tenantID, "member.invite", mid, map[string]any{"userId": userID, "role": in.Role, "newAccount": !found})
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
		if err := w.dbError(db.UpdateUser(ctx, w.s, id, in.ExpectedVersion, w.actor(), v), "input"); err != nil {
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
		if err := w.dbError(db.UpdateMembership(ctx, w.s, id, in.ExpectedVersion, w.actor(), in.Role, in.Status), "input"); err != nil {
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
	n, err := db.ActiveOwnerCount(w.ctx, w.s, tenantID)
	if err != nil {
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
		if err := w.dbError(db.MarkUserDeleted(ctx, w.s, id, w.actor()), "input"); err != nil {
			return err
		}
		if err := db.DeactivateMembershipsOfUser(ctx, w.s, id, w.actor()); err != nil {
			return err
		}
		tenants, err := db.TenantIDsOfUser(ctx, w.s, id)
		if err != nil {
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
		member, err := db.MembershipCount(ctx, w.s, b.TenantID, userID)
		if err != nil {
			return err
		}
		if member == 0 {
			return w.reject(model.UserErrorCodeNotFound, "the user is not a member of the brand's tenant", "input", "userId")
		}
		id, err := db.GrantBrandAccess(ctx, w.s, b.TenantID, brandID, userID, in.Role, w.actor())
		if err != nil {
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
		if err := db.DeleteBrandAccess(ctx, w.s, id); err != nil {
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
	foreign, err := db.UserHasForeignMemberships(w.ctx, w.s, userID, w.p.Tenants)
	if err != nil {
		return err
	}
	if foreign {
		return &model.ForbiddenError{Msg: "the account also belongs to tenants outside yours; only its owner or a platform administrator may change it (deactivate its membership instead)"}
	}
	roles, err := db.MembershipRolesOfUser(w.ctx, w.s, userID)
	if err != nil {
		return err
	}
	for _, r := range roles {
		if auth.Outranks(r, w.p.Role) {
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
	return db.FirstTenantIDOfUser(w.ctx, w.s, userID)
}

func keys(m map[string]any) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	return out
}
