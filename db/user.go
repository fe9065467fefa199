package db

import "catalogue/db/model"

// userSelect reads a user with the name of its language.
var userSelect = columns("u", model.User{}, "language_name") + ", l.name AS language_name"

const userFrom = "users u LEFT JOIN languages l ON l.code = u.language_code"

// membershipCols are the columns of a membership read beside its user.
var membershipCols = prefixed("m", "id", "tenant_id", "user_id", "role", "status", "last_seen_at", "created_at", "updated_at", "version")

// UserNode reads users by ID. Users are global; a user is in scope when
// they are a member of one of the scope's tenants.
var UserNode = &Node[model.User]{
	Name: "User", Select: userSelect, From: userFrom, IDCol: "u.id",
	ScopePred: "EXISTS (SELECT 1 FROM memberships sm WHERE sm.user_id = u.id AND sm.tenant_id = ANY(?::uuid[]))",
}

// MembersByTenant lists a tenant's users with their memberships, newest
// membership first.
var MembersByTenant = &List[model.Member]{ListSpec{
	Name:   "Tenant.members",
	Select: userSelect + ", " + membershipCols,
	From:   "memberships m JOIN users u ON u.id = m.user_id LEFT JOIN languages l ON l.code = u.language_code",
	Parent: "m.tenant_id", ScopePred: tenantScope("m"), Order: newestFirst("m"),
	TenantTree: true, Fields: memberFields, CountFrom: "memberships m",
	Hidden: "NOT m.user_deleted", HiddenUnless: "isDeleted",
}}

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
