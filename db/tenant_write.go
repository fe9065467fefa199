package db

import "context"

// Writes of a tenant's brands. A brand is a name; its tenant is fixed when
// it is created.

var brandsTable = newTable("brands")

// CreateBrand adds a brand to the tenant and returns its ID.
func CreateBrand(ctx context.Context, tx *Tx, tenantID, name string, actor *string) (string, error) {
	return insertRow(ctx, tx, brandsTable, Values{"tenant_id": tenantID, "name": name, "created_by": actor, "updated_by": actor})
}

// UpdateBrand renames a brand (name nil keeps it) and bumps its version,
// checking expectedVersion when given: ErrStale on a mismatch, ErrNotFound
// for a brand outside the transaction's scope.
func UpdateBrand(ctx context.Context, tx *Tx, id string, expectedVersion *int, actor, name *string) error {
	return updateRow(ctx, tx, brandsTable, id, expectedVersion, actor, namePatch(name))
}

// BrandTenantID reads the tenant of a brand.
func BrandTenantID(ctx context.Context, tx *Tx, id string) (string, error) {
	return tenantOfRow(ctx, tx, brandsTable, id)
}

// namePatch is the update of a named row: the new name, or nothing.
func namePatch(name *string) Values {
	if name == nil {
		return Values{}
	}
	return Values{"name": *name}
}
