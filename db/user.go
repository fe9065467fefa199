package db

import (
	"context"
	"fmt"
	"strconv"

	"github.com/lib/pq"

	"catalogue/db/model"
)

// userSelect reads a user with the name and icons of its language.
var userSelect = columns("u", model.User{}, "language_name", "language_icon", "language_square_icon") +
	", l.name AS language_name, l.icon AS language_icon, l.square_icon AS language_square_icon"

const userFrom = "users u LEFT JOIN languages l ON l.code = u.language_code"

// membershipCols are the columns of a membership read beside its user.
var membershipCols = prefixed("m", "id", "tenant_id", "user_id", "role", "status", "last_seen_at", "created_at", "updated_at", "version")

// UserNode reads users by ID. Users are global; a user is in scope when
// they are a member of one of the scope's tenants, a pending invitation
// not counting (as in the users policy of migration 0007).
var UserNode = &Node[model.User]{
	Name: "User", Select: userSelect, From: userFrom, IDCol: "u.id",
	ScopePred: "EXISTS (SELECT 1 FROM memberships sm WHERE sm.user_id = u.id AND sm.status <> 'PENDING' AND sm.tenant_id = ANY(?::uuid[]))",
}

// MembersByTenant lists a tenant's users, each once, with the membership
// that represents them in the list, newest first.
//
// A row is a membership. Without subsidiaries a user has one in the
// tenant. With them, a user may have one in the tenant and in any of its
// subsidiaries; the representative one is the membership in the tenant
// itself if there is one, else the earliest joined (created_at, then id)
// in the subsidiaries. TreeWhere keeps only it: an anti-join on the user's
// other memberships in the tree, which memberships_user_idx serves (a
// user has few), and which rows of the tenant itself skip.
//
// The unfiltered count reads member_counts (migration 0006) where it is
// exact: the tenant's own list, or its tree when it has no subsidiaries.
var MembersByTenant = &List[model.Member]{ListSpec{
	Name:   "Tenant.members",
	Where:  "m.status <> 'PENDING'", // an invitation is not a membership yet: see InvitationsByTenant
	Select: userSelect + ", " + membershipCols,
	From:   "memberships m JOIN users u ON u.id = m.user_id LEFT JOIN languages l ON l.code = u.language_code",
	Parent: "m.tenant_id", ScopePred: tenantScope("m"), Order: newestFirst("m"),
	TenantTree: true, TreeWhere: representative,
	Fields: memberFields, TreeFields: treeMemberFields, CountFrom: "memberships m", Counted: "member_counts",
	Hidden: "NOT m.user_deleted", HiddenUnless: "isDeleted",
}}

// representative holds for the membership m that represents its user in
// the member list of tenant p.parent with its subtree p.tree.
const representative = `(m.tenant_id = p.parent OR NOT EXISTS (SELECT 1 FROM memberships pm
	WHERE pm.user_id = m.user_id AND pm.tenant_id = ANY(p.tree) AND pm.status <> 'PENDING'
	  AND (pm.tenant_id = p.parent OR (pm.created_at, pm.id) < (m.created_at, m.id))))`

// MemberKey names a user of a tenant's member list with subsidiaries.
type MemberKey struct {
	Tenant string // the list's tenant
	User   string
}

// MembershipsOfMembers reads, for every key, the user's memberships in the
// tenant and its subsidiaries, the representative one first (see
// MembersByTenant), then by joining time: the memberships of the edges of
// member lists, for many lists and users in one statement. The result
// is in key order.
func MembershipsOfMembers(ctx context.Context, s Querier, sc Scope, keys []MemberKey) ([][]*model.Membership, error) {
	tenants, users := make([]string, len(keys)), make([]string, len(keys))
	for i, k := range keys {
		tenants[i], users[i] = k.Tenant, k.User
	}
	q := `SELECT k.i::text AS _key, m.*
		FROM unnest(?::uuid[], ?::uuid[]) WITH ORDINALITY AS k(tenant, user_id, i)
		JOIN (SELECT root, tenant_subtree(root) AS tree FROM (SELECT DISTINCT unnest(?::uuid[])) r(root) OFFSET 0) t ON t.root = k.tenant
		JOIN memberships m ON m.user_id = k.user_id AND m.tenant_id = ANY(t.tree)`
	args := []any{pq.Array(tenants), pq.Array(users), pq.Array(tenants)}
	if !sc.all {
		q += " WHERE " + tenantScope("m")
		args = append(args, pq.Array(sc.tenants))
	}
	q += " ORDER BY k.i, m.tenant_id = k.tenant DESC, m.created_at, m.id"
	rows, err := scanKeyed[model.Membership](ctx, s, q, args)
	if err != nil {
		return nil, fmt.Errorf("memberships of members: %w", err)
	}
	out := make([][]*model.Membership, len(keys))
	for _, r := range rows {
		i, err := strconv.Atoi(r.key)
		if err != nil || i < 1 || i > len(keys) {
			return nil, fmt.Errorf("memberships of members: bad key %q", r.key)
		}
		out[i-1] = append(out[i-1], r.row)
	}
	return out, nil
}

// MembershipNode reads memberships by ID.
var MembershipNode = &Node[model.Membership]{
	Name: "Membership", Select: "m.*", From: "memberships m", IDCol: "m.id", ScopePred: tenantScope("m"),
}

// MembershipsByUser lists the memberships of a user.
var MembershipsByUser = &List[model.Membership]{ListSpec{
	Name: "User.memberships", Select: "m.*", From: "memberships m", Parent: "m.user_id",
	ScopePred: tenantScope("m"), Order: newestFirst("m"),
}}

// BrandAccessNode reads brand access grants by ID.
var BrandAccessNode = &Node[model.BrandAccess]{
	Name: "BrandAccess", Select: "ba.*", From: "brand_access ba", IDCol: "ba.id", ScopePred: tenantScope("ba"),
}

// BrandAccessByMembership lists the brand grants of one membership.
var BrandAccessByMembership = &List[model.BrandAccess]{ListSpec{
	Name: "Membership.brandAccess", Select: "ba.*",
	From:   "brand_access ba JOIN memberships m ON m.tenant_id = ba.tenant_id AND m.user_id = ba.user_id",
	Parent: "m.id", ScopePred: tenantScope("ba"), Order: newestFirst("ba"),
}}

// BrandMembersByBrand lists the users with access to a brand, newest grant
// first.
var BrandMembersByBrand = &List[model.BrandMember]{ListSpec{
	Name:   "Brand.members",
	Select: userSelect + ", " + prefixed("ba", "id", "tenant_id", "brand_id", "user_id", "role", "created_at", "updated_at"),
	From: "brand_access ba JOIN memberships m ON m.tenant_id = ba.tenant_id AND m.user_id = ba.user_id" +
		" JOIN users u ON u.id = ba.user_id LEFT JOIN languages l ON l.code = u.language_code",
	Parent: "ba.brand_id", ScopePred: tenantScope("ba"), Order: newestFirst("ba"), Fields: memberFields,
	CountFrom: "brand_access ba JOIN memberships m ON m.tenant_id = ba.tenant_id AND m.user_id = ba.user_id",
	Hidden:    "NOT m.user_deleted", HiddenUnless: "isDeleted",
}}
