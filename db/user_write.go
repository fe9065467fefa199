package db

import (
	"context"

	"github.com/google/uuid"
	"github.com/lib/pq"

	"catalogue/db/model"
)

// Writes of users, memberships and brand access, and the reads that guard
// them. The functions take the Tx of Store.InTx: row-level security limits
// every row they read or write to the transaction's scope, so a user is
// seen through their memberships in it.

var (
	usersTable = newTable("users", "email",
		"first_name", "last_name", "nickname", "phone", "language_code", "picture_url", "banner_url",
		"website_url", "twitter_url", "instagram_url", "spotify_profile", "sound_cloud_profile",
		"apple_music_profile", "location", "role", "genre", "biography", "company_name",
		"company_logo_url", "company_ip_rights", "display_absolute_time", "dsp_plan_subscribed", "expires_at")
	membershipsTable = newTable("memberships")
)

// UserIDForEmail finds the account with the email, ignoring case, in any
// tenant (through user_id_by_email, which answers nothing else): an
// invitation must find an account that exists elsewhere.
func UserIDForEmail(ctx context.Context, tx *Tx, email string) (id string, found bool, err error) {
	var ids []string
	if err := selectRows(ctx, tx, &ids, `SELECT user_id_by_email(?)::text WHERE user_id_by_email(?) IS NOT NULL`, email, email); err != nil {
		return "", false, err
	}
	if len(ids) == 0 {
		return "", false, nil
	}
	return ids[0], true, nil
}

// CreateUser adds an account with the email and the profile columns of
// profile (those UpdateUser accepts) and returns its new ID. The row stays
// invisible to the transaction until a membership names it, so the ID is
// chosen here rather than read back. Its channel is INVITATION when a user
// (actor) creates it, API when an API key acting as nobody does.
func CreateUser(ctx context.Context, tx *Tx, email string, actor *string, profile Values) (string, error) {
	row, err := usersTable.checked(profile)
	if err != nil {
		return "", err
	}
	id := uuid.NewString()
	row["id"], row["email"], row["created_by"], row["updated_by"] = id, email, actor, actor
	row["channel"] = model.AccountChannelInvitation
	if actor == nil {
		row["channel"] = model.AccountChannelAPI
	}
	stmt, args := insertStatement(usersTable, row)
	if err := execute(ctx, tx, stmt, args...); err != nil {
		return "", err
	}
	return id, nil
}

// UpdateUser sets the columns of v (email and the profile columns) on a
// user and bumps their version, checking expectedVersion when given:
// ErrStale on a mismatch, ErrNotFound for a user outside the scope.
func UpdateUser(ctx context.Context, tx *Tx, id string, expectedVersion *int, actor *string, v Values) error {
	row, err := usersTable.checked(v)
	if err != nil {
		return err
	}
	return updateRow(ctx, tx, usersTable, id, expectedVersion, actor, row)
}

// MarkUserDeleted soft-deletes an account: it stays, but leaves member
// lists (a trigger copies the flag onto its memberships).
func MarkUserDeleted(ctx context.Context, tx *Tx, id string, actor *string) error {
	return updateRow(ctx, tx, usersTable, id, nil, actor, Values{"is_deleted": true})
}

// UserHasForeignMemberships reports whether the user is a member of any
// tenant outside tenantIDs, including tenants the scope cannot see.
// Pending invitations do not count: the account does not belong to a
// tenant whose invitation its user has not accepted.
func UserHasForeignMemberships(ctx context.Context, tx *Tx, userID string, tenantIDs []string) (bool, error) {
	var foreign bool
	err := getRow(ctx, tx, &foreign, `SELECT user_has_foreign_memberships(?, ?::uuid[])`, userID, pq.Array(tenantIDs))
	return foreign, err
}

// TenantIDsOfUser lists the tenants the user is a member of.
func TenantIDsOfUser(ctx context.Context, tx *Tx, userID string) ([]string, error) {
	var tenants []string
	err := selectRows(ctx, tx, &tenants, `SELECT DISTINCT tenant_id::text FROM memberships WHERE user_id = ?`, userID)
	return tenants, err
}

// FirstTenantIDOfUser is the tenant of the user's oldest membership;
// ErrNotFound when the user has none.
func FirstTenantIDOfUser(ctx context.Context, tx *Tx, userID string) (string, error) {
	var t string
	err := getRow(ctx, tx, &t, `SELECT tenant_id::text FROM memberships WHERE user_id = ? ORDER BY created_at, id LIMIT 1`, userID)
	return t, err
}

// MembershipCount counts the user's memberships of the tenant: 0 or 1. A
// pending invitation is not one: a user who has not accepted it is not a
// member to grant brand access to or to link an artist to.
func MembershipCount(ctx context.Context, tx *Tx, tenantID, userID string) (int, error) {
	var n int
	err := getRow(ctx, tx, &n, `SELECT count(*) FROM memberships WHERE tenant_id = ? AND user_id = ? AND status <> 'PENDING'`, tenantID, userID)
	return n, err
}

// MembershipRolesOfUser lists the roles the user holds, one per membership
// in the scope; a pending invitation holds none yet.
func MembershipRolesOfUser(ctx context.Context, tx *Tx, userID string) ([]model.MembershipRole, error) {
	var roles []model.MembershipRole
	err := selectRows(ctx, tx, &roles, `SELECT role FROM memberships WHERE user_id = ? AND status <> 'PENDING'`, userID)
	return roles, err
}

// ActiveOwnerCount counts the tenant's active OWNER memberships of
// accounts that are not deleted.
func ActiveOwnerCount(ctx context.Context, tx *Tx, tenantID string) (int, error) {
	var n int
	err := getRow(ctx, tx, &n, `SELECT count(*) FROM memberships m JOIN users u ON u.id = m.user_id
		WHERE m.tenant_id = ? AND m.role = 'OWNER' AND m.status = 'ACTIVE' AND NOT u.is_deleted`, tenantID)
	return n, err
}

// CreateMembership makes the user a member of the tenant with the role and
// status (ACTIVE, or PENDING for an invitation the user must accept) and
// returns the membership's ID.
func CreateMembership(ctx context.Context, tx *Tx, tenantID, userID string, role model.MembershipRole, status model.MembershipStatus, actor *string) (string, error) {
	return insertRow(ctx, tx, membershipsTable, Values{
		"tenant_id": tenantID, "user_id": userID, "role": string(role), "status": string(status),
		"created_by": actor, "updated_by": actor,
	})
}

// UpdateMembership sets the role and the status of a membership (nil keeps
// one) and bumps its version, checking expectedVersion when given: ErrStale
// on a mismatch, ErrNotFound for a membership outside the scope.
func UpdateMembership(ctx context.Context, tx *Tx, id string, expectedVersion *int, actor *string, role *model.MembershipRole, status *model.MembershipStatus) error {
	v := Values{}
	if role != nil {
		v["role"] = string(*role)
	}
	if status != nil {
		v["status"] = string(*status)
	}
	return updateRow(ctx, tx, membershipsTable, id, expectedVersion, actor, v)
}

// DeactivateMembershipsOfUser deactivates every active membership of the
// user, bumping their versions.
func DeactivateMembershipsOfUser(ctx context.Context, tx *Tx, userID string, actor *string) error {
	return execute(ctx, tx, `UPDATE memberships SET status = 'DEACTIVATED', updated_at = now(), updated_by = ?, version = version + 1
		WHERE user_id = ? AND status = 'ACTIVE'`, actor, userID)
}

// BrandAccessRole is the user's role on the brand, or "" without a grant.
func BrandAccessRole(ctx context.Context, tx *Tx, brandID, userID string) (model.BrandAccessRole, error) {
	var roles []model.BrandAccessRole
	if err := selectRows(ctx, tx, &roles, `SELECT role FROM brand_access WHERE brand_id = ? AND user_id = ?`, brandID, userID); err != nil {
		return "", err
	}
	if len(roles) != 1 { // a grant is unique per brand and user
		return "", nil
	}
	return roles[0], nil
}

// GrantBrandAccess gives the user the role on a brand of the tenant, or
// changes the role of an existing grant (bumping its version), and returns
// the grant's ID.
func GrantBrandAccess(ctx context.Context, tx *Tx, tenantID, brandID, userID string, role model.BrandAccessRole, actor *string) (string, error) {
	var id string
	err := getRow(ctx, tx, &id, `INSERT INTO brand_access (tenant_id, brand_id, user_id, role, created_by, updated_by)
		VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (brand_id, user_id)
		DO UPDATE SET role = EXCLUDED.role, updated_at = now(), updated_by = EXCLUDED.updated_by, version = brand_access.version + 1
		RETURNING id::text`, tenantID, brandID, userID, string(role), actor, actor)
	return id, err
}

// DeleteBrandAccess removes a grant.
func DeleteBrandAccess(ctx context.Context, tx *Tx, id string) error {
	return execute(ctx, tx, `DELETE FROM brand_access WHERE id = ?`, id)
}
