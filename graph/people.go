package graph

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"catalogue/db"
	"catalogue/db/model"
	"catalogue/graph/loader"
	"catalogue/internal/auth"
)

// accountRules are the writable fields of a user account (SPEC §1.1) and
// who may set each (SPEC §3), self-updates included: the email of
// UpdateUserInput and the fields of UserProfileInput, whose schema
// descriptions repeat the who column. "writers" here are the user
// themself and the managers of the account (see managesAccount).
var accountRules = []rule{
	{"email", "email", checkEmail, true, writers},
	{"firstName", "first_name", text(100), false, writers},
	{"lastName", "last_name", text(100), false, writers},
	{"nickname", "nickname", text(100), false, writers},
	{"phone", "phone", checkPhone, false, writers},
	{"language", "language_code", checkLanguage, false, writers},
	{"pictureUrl", "picture_url", checkURL, false, writers},
	{"bannerUrl", "banner_url", checkURL, false, writers},
	{"websiteUrl", "website_url", checkURL, false, writers},
	{"twitterUrl", "twitter_url", checkURL, false, writers},
	{"instagramUrl", "instagram_url", checkURL, false, writers},
	{"spotifyProfile", "spotify_profile", text(200), false, writers},
	{"soundCloudProfile", "sound_cloud_profile", text(200), false, writers},
	{"appleMusicProfile", "apple_music_profile", text(200), false, writers},
	{"location", "location", text(200), false, writers},
	{"role", "role", text(100), false, writers},
	{"genre", "genre", text(100), false, writers},
	{"biography", "biography", text(5000), false, writers},
	{"companyName", "company_name", text(200), false, writers},
	{"companyLogoUrl", "company_logo_url", checkURL, false, writers},
	{"companyIpRights", "company_ip_rights", checkBool, false, writers},
	{"displayAbsoluteTime", "display_absolute_time", checkBool, true, writers},
	{"dspPlanSubscribed", "dsp_plan_subscribed", checkBool, true, managers},
	{"expiresAt", "expires_at", checkTime, false, managers},
}

// inviteMember adds a person to the caller's tenant. A new email creates
// the account, with the profile given, and an ACTIVE membership. The
// account of an existing email joins only when its user accepts: the
// membership is PENDING, the profile given is ignored (the account's
// profile is its user's) and, as a pending membership does not make the
// account visible, the payload tells nothing of it but its ID.
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
		profile := patch(in.Profile, accountRules, []string{"input", "profile"}, &w.errs)
		if err := w.check(); err != nil {
			return err
		}
		id, err := w.idempotent(tenantID, in.IdempotencyKey, "inviteMember", in, func() (string, error) {
			userID, found, err := db.UserIDForEmail(ctx, w.s, email.(string))
			if err != nil {
				return "", err
			}
			status := model.MembershipStatusPending
			if !found {
				status = model.MembershipStatusActive
				if userID, err = db.CreateUser(ctx, w.s, email.(string), w.actor(), profile); err != nil {
					return "", w.dbError(err, "input")
				}
			}
			mid, err := db.CreateMembership(ctx, w.s, tenantID, userID, in.Role, status, w.actor())
			if err != nil {
				return "", w.dbError(err, "input")
			}
			return mid, w.audit(tenantID, "member.invite", mid, map[string]any{"userId": userID, "role": in.Role, "status": status, "newAccount": !found})
		})
		if err != nil {
			return err
		}
		out, err = load(w, db.MembershipNode, id)
		return err
	})
	return out, errs, err
}

// updateUser changes the email and profile fields of the caller's own
// account or of an account the caller manages, each field as accountRules
// allow. A user the caller cannot see is NOT_FOUND, like a missing one.
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
		}
		u, err := exists(w, db.UserNode, id, "input", "id")
		if err != nil || u == nil {
			return err
		}
		top := map[string]any{}
		if in.Email != nil {
			top["email"] = *in.Email
		}
		if err := w.mayWriteAccount(u, top, in.Profile); err != nil {
			return err
		}
		v := db.Values(patch(in.Profile, accountRules, []string{"input", "profile"}, &w.errs))
		for col, val := range patch(top, accountRules, []string{"input"}, &w.errs) {
			v[col] = val
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
// role above their own, a tenant keeps at least one active owner, and a
// PENDING status belongs to the invitation's user: only they end it, by
// accepting or declining (an admin who could activate it would join the
// account without its user's consent).
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
		if in.Status != nil && (*in.Status == model.MembershipStatusPending || m.Status == model.MembershipStatusPending) {
			return w.reject(model.UserErrorCodeInvalid, "a PENDING membership is an invitation: only its user ends it, with acceptInvitation or declineInvitation, and nobody else sets PENDING", "input", "status")
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
		manager, why, err := w.managesAccount(u)
		if err != nil {
			return err
		}
		if !manager {
			return &model.ForbiddenError{Msg: why}
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

// managesAccount reports whether the caller manages the account u, that
// is has rights over all of it (SPEC §3), and if not, why not. A manager
// is a platform administrator, or a caller with members:manage whose
// tenant tree holds every membership of the account (pending invitations
// aside) and whom none of its roles there outranks, provided the account
// is not a platform administrator's. An email change by anyone else would
// hand the account, in every tenant it belongs to, to whoever controls
// the new address; an expiry would lock its user out of all of them.
func (w *writer) managesAccount(u *model.User) (bool, string, error) {
	switch {
	case w.p.SuperAdmin:
		return true, "", nil
	case !w.p.Can(auth.PermManageMembers):
		return false, fmt.Sprintf("this needs the %s permission, which role %s does not have", auth.PermManageMembers, w.p.Role), nil
	case len(u.AdminRoleNames) > 0:
		return false, "the account is a platform administrator's: only its user or a platform administrator may change it", nil
	}
	foreign, err := db.UserHasForeignMemberships(w.ctx, w.s, u.ID, w.p.Tenants)
	if err != nil {
		return false, "", err
	}
	if foreign {
		return false, "the account also belongs to tenants outside yours: only its user or a platform administrator may change it (deactivate its membership instead)", nil
	}
	roles, err := db.MembershipRolesOfUser(w.ctx, w.s, u.ID)
	if err != nil {
		return false, "", err
	}
	for _, r := range roles {
		if auth.Outranks(r, w.p.Role) {
			return false, fmt.Sprintf("a %s cannot change the account of an %s", w.p.Role, r), nil
		}
	}
	return true, "", nil
}

// mayWriteAccount refuses a change of the fields in inputs (the top-level
// fields of UpdateUserInput and its profile) to the account u that the
// caller may not make, as accountRules say: the user themself or a manager
// of the account writes it, and the fields for managers need a manager.
func (w *writer) mayWriteAccount(u *model.User, inputs ...map[string]any) error {
	manager, why, err := w.managesAccount(u)
	if err != nil || manager {
		return err
	}
	if u.ID != w.p.UserID {
		return &model.ForbiddenError{Msg: why}
	}
	var reserved []string
	for _, in := range inputs {
		reserved = append(reserved, setBy(in, accountRules, managers)...)
	}
	if len(reserved) > 0 {
		return &model.ForbiddenError{Msg: fmt.Sprintf("%s can be set only by a manager of the account: an ADMIN or OWNER over every tenant it belongs to, or a platform administrator (%s)",
			strings.Join(reserved, ", "), why)}
	}
	return nil
}

// answerInvitation accepts or declines an invitation addressed to the
// caller. Only the invited user answers, with their own credentials: an
// API key has no user, and an impersonator must neither join someone to a
// tenant nor turn an invitation down in their name. Someone else's
// invitation, one answered already and a missing one are alike NOT_FOUND.
func answerInvitation(ctx context.Context, store *db.Store, gid string, accept bool) (*model.Invitation, userErrs, error) {
	var out *model.Invitation
	errs, err := mutate(ctx, store, "", func(w *writer) error {
		if w.p.UserID == "" || w.p.Impersonated {
			return &model.ForbiddenError{Msg: "only the invited user answers an invitation, with their own credentials: not with an API key, not while impersonated"}
		}
		id, ok := w.decodeRef(model.TypeMembership, gid, "input", "id")
		if !ok {
			return w.check()
		}
		inv, err := db.AnswerInvitation(ctx, w.s, id, w.p.UserID, accept)
		if errors.Is(err, db.ErrNotFound) {
			return w.reject(model.UserErrorCodeNotFound, "no pending invitation of yours with this ID", "input", "id")
		}
		out = inv
		return err
	})
	return out, errs, err
}

// invitationsOf lists the invitations addressed to the request's user:
// none for an API key or an impersonated request, who answer none.
func invitationsOf(ctx context.Context) ([]*model.Invitation, error) {
	p, err := auth.From(ctx)
	if err != nil {
		return nil, err
	}
	out := []*model.Invitation{}
	if p.UserID == "" || p.Impersonated {
		return out, nil
	}
	rows, err := db.PendingInvitations(ctx, loader.For(ctx).Session(), p.UserID)
	if err != nil {
		return nil, err
	}
	for i := range rows {
		out = append(out, &rows[i])
	}
	return out, nil
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
