package db

import (
	"context"
	"errors"
	"slices"
	"testing"
)

// The credential lookups of migration 0008 walk the tenant tree inline;
// they must agree with tenant_subtree(), which the rest of the schema uses,
// for every tenant and for every membership of the users most likely to
// differ: members of a tenant with subsidiaries and members of several
// tenants.
func TestCredentialLookupsResolveSubtrees(t *testing.T) {
	ctx := context.Background()
	trees := tenantTrees(t)
	sorted := func(s []string) []string {
		s = slices.Clone(s)
		slices.Sort(s)
		return s
	}
	var tenants []struct {
		ID   string `db:"id"`
		Slug string `db:"slug"`
	}
	if err := testStore.x.Select(&tenants, `SELECT id, slug FROM tenants ORDER BY id`); err != nil {
		t.Fatal(err)
	}
	for _, tn := range tenants {
		got, err := TenantAuthBySlug(ctx, testStore, tn.Slug)
		if err != nil {
			t.Fatalf("TenantAuthBySlug(%s): %v", tn.Slug, err)
		}
		if got.ID != tn.ID || !slices.Equal(sorted(got.Tree), sorted(trees[tn.ID])) {
			t.Errorf("TenantAuthBySlug(%s) = %s %v, want %s %v", tn.Slug, got.ID, got.Tree, tn.ID, trees[tn.ID])
		}
	}
	if _, err := TenantAuthBySlug(ctx, testStore, "no-such-tenant"); !errors.Is(err, ErrNotFound) {
		t.Errorf("TenantAuthBySlug of an unknown slug: %v, want ErrNotFound", err)
	}

	var users []string
	if err := testStore.x.Select(&users, `
		(SELECT user_id FROM memberships m JOIN tenants t ON t.id = m.tenant_id
		 WHERE EXISTS (SELECT 1 FROM tenants c WHERE c.parent_id = t.id) ORDER BY user_id LIMIT 50)
		UNION
		(SELECT user_id FROM memberships GROUP BY user_id HAVING count(*) > 1 ORDER BY user_id LIMIT 50)`); err != nil {
		t.Fatal(err)
	}
	if len(users) < 60 {
		t.Fatalf("want members of parent tenants and of several tenants in the demo data, got %d users", len(users))
	}
	for _, id := range users {
		u, err := UserAuthByID(ctx, testStore, id)
		if err != nil {
			t.Fatalf("UserAuthByID(%s): %v", id, err)
		}
		var want []struct {
			TenantID string `db:"tenant_id"`
			Role     string `db:"role"`
			Status   string `db:"status"`
		}
		if err := testStore.x.Select(&want, `SELECT tenant_id, role, status FROM memberships
			WHERE user_id = $1 ORDER BY created_at, id`, id); err != nil {
			t.Fatal(err)
		}
		if u.ID != id || len(u.Memberships) != len(want) {
			t.Fatalf("UserAuthByID(%s): %d memberships, want %d", id, len(u.Memberships), len(want))
		}
		for i, m := range u.Memberships {
			w := want[i]
			if m.TenantID != w.TenantID || m.Role != w.Role || m.Status != w.Status ||
				!slices.Equal(sorted(m.Tree), sorted(trees[w.TenantID])) {
				t.Errorf("UserAuthByID(%s) membership %d = %+v, want %+v with tree %v", id, i, m, w, trees[w.TenantID])
			}
		}
	}
	if _, err := UserAuthByID(ctx, testStore, "00000000-0000-0000-0000-000000000000"); !errors.Is(err, ErrNotFound) {
		t.Errorf("UserAuthByID of an unknown user: %v, want ErrNotFound", err)
	}
}
