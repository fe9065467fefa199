package db

import "slices"

// Scope is the set of tenants whose rows a request may read. Every list and
// lookup takes one explicitly, so forgetting it is a compile error rather
// than a leak.
type Scope struct {
	all     bool
	tenants []string
}

// AllTenants is the scope of platform-wide work: migrations, seeding,
// health checks and platform administrators.
func AllTenants() Scope { return Scope{all: true} }

// TenantScope limits reads to the given tenant IDs.
func TenantScope(ids ...string) Scope { return Scope{tenants: ids} }

// Unrestricted reports whether the scope covers every tenant.
func (s Scope) Unrestricted() bool { return s.all }

// Contains reports whether the scope covers the tenant with the given ID.
func (s Scope) Contains(tenantID string) bool {
	return s.all || slices.Contains(s.tenants, tenantID)
}
