package db

import (
	"context"
	"fmt"

	"github.com/lib/pq"

	"catalogue/db/model"
)

// Tenants by ID; a tenant is in scope when it is one of the scope's tenants.
var TenantNode = &Node[model.Tenant]{
	Name: "Tenant", Select: "t.*", From: "tenants t", IDCol: "t.id",
	ScopePred: "t.id = ANY(?::uuid[])",
}

// Tenants is the top-level list of tenants.
var Tenants = &List[model.Tenant]{ListSpec{
	Name: "tenants", Select: "t.*", From: "tenants t",
	ScopePred: "t.id = ANY(?::uuid[])", Order: newestFirst("t"),
}}

// TenantsByParent lists a tenant's direct subsidiaries.
var TenantsByParent = &List[model.Tenant]{ListSpec{
	Name: "Tenant.subsidiaries", Select: "t.*", From: "tenants t", Parent: "t.parent_id",
	ScopePred: "t.id = ANY(?::uuid[])", Order: newestFirst("t"),
}}

// TenantBySlug finds a tenant by its slug within the scope.
func TenantBySlug(ctx context.Context, s Querier, sc Scope, slug string) (*model.Tenant, error) {
	q := "SELECT t.* FROM tenants t WHERE t.slug = ?"
	args := []any{slug}
	if !sc.all {
		q += " AND t.id = ANY(?::uuid[])"
		args = append(args, pq.Array(sc.tenants))
	}
	var t model.Tenant
	if err := getRow(ctx, s, &t, q, args...); err != nil {
		return nil, fmt.Errorf("tenant %q: %w", slug, err)
	}
	return &t, nil
}

// BrandNode reads brands by ID.
var BrandNode = &Node[model.Brand]{
	Name: "Brand", Select: "b.*", From: "brands b", IDCol: "b.id", ScopePred: tenantScope("b"),
}

// BrandsByTenant lists a tenant's brands.
var BrandsByTenant = &List[model.Brand]{ListSpec{
	Name: "Tenant.brands", Select: "b.*", From: "brands b", Parent: "b.tenant_id",
	ScopePred: tenantScope("b"), Order: newestFirst("b"), TenantTree: true, Fields: namedFields("b"),
}}

// GroupNode reads groups by ID.
var GroupNode = &Node[model.Group]{
	Name: "Group", Select: "g.*", From: "groups g", IDCol: "g.id", ScopePred: tenantScope("g"),
}

// GroupsByTenant lists a tenant's member groups by name.
var GroupsByTenant = &List[model.Group]{ListSpec{
	Name: "Tenant.groups", Select: "g.*", From: "groups g", Parent: "g.tenant_id",
	ScopePred: tenantScope("g"), Order: byName("g"),
}}

// GroupsByMembership lists the groups a member belongs to, by name.
var GroupsByMembership = &List[model.Group]{ListSpec{
	Name: "Membership.groups", Select: "g.*",
	From:   "membership_groups mg JOIN groups g ON g.id = mg.group_id",
	Parent: "mg.membership_id", ScopePred: tenantScope("g"), Order: byName("g"),
}}
