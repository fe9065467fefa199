package db

import (
	"context"
	"slices"
	"testing"

	"github.com/lib/pq"
)

// tenantTrees returns every tenant with its subtree, from the pool (which
// is not subject to row-level security).
func tenantTrees(t *testing.T) map[string][]string {
	t.Helper()
	var rows []struct {
		ID   string         `db:"id"`
		Tree pq.StringArray `db:"tree"`
	}
	if err := testStore.x.Select(&rows, `SELECT id, tenant_subtree(id)::text[] AS tree FROM tenants ORDER BY id`); err != nil {
		t.Fatal(err)
	}
	out := map[string][]string{}
	for _, r := range rows {
		out[r.ID] = r.Tree
	}
	if len(out) < 3 {
		t.Fatalf("want several tenants in the demo data, got %d", len(out))
	}
	return out
}

// unscoped runs a query with no tenant predicate at all through a session.
func unscoped(t *testing.T, ss *Session, q string) []string {
	t.Helper()
	var got []string
	if err := selectRows(context.Background(), ss, &got, q); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	return got
}

// The row-level wall alone: statements that forgot their tenant predicate
// still return only the session's tenants' rows, for every tenant table.
func TestRowLevelSecurityStopsUnscopedQueries(t *testing.T) {
	ctx := context.Background()
	queries := map[string]string{
		"tenants":           `SELECT id::text FROM tenants`,
		"brands":            `SELECT tenant_id::text FROM brands`,
		"groups":            `SELECT tenant_id::text FROM groups`,
		"memberships":       `SELECT tenant_id::text FROM memberships`,
		"brand_access":      `SELECT tenant_id::text FROM brand_access`,
		"artists":           `SELECT tenant_id::text FROM artists`,
		"labels":            `SELECT tenant_id::text FROM labels`,
		"releases":          `SELECT tenant_id::text FROM releases`,
		"tracks":            `SELECT tenant_id::text FROM tracks`,
		"api_keys":          `SELECT tenant_id::text FROM api_keys`,
		"audit_log":         `SELECT tenant_id::text FROM audit_log`,
		"release_artists":   `SELECT r.tenant_id::text FROM release_artists ra JOIN releases r ON r.id = ra.release_id`,
		"track_artists":     `SELECT t.tenant_id::text FROM track_artists ta JOIN tracks t ON t.id = ta.track_id`,
		"membership_groups": `SELECT m.tenant_id::text FROM membership_groups mg JOIN memberships m ON m.id = mg.membership_id`,
		// A user is visible when a membership in scope names them.
		"users": `SELECT DISTINCT m.tenant_id::text FROM users u JOIN memberships m ON m.user_id = u.id`,
	}
	// Counts over the pool (no RLS) show that each table has foreign rows
	// to hide, so the test cannot pass by finding empty tables.
	for table, q := range queries {
		var total int
		if err := testStore.x.Get(&total, `SELECT count(*) FROM (`+q+`) x`); err != nil {
			t.Fatal(err)
		}
		if total == 0 && table != "api_keys" && table != "audit_log" {
			t.Fatalf("%s is empty in the demo data: the test would prove nothing", table)
		}
	}
	for tenant, tree := range tenantTrees(t) {
		ss := testStore.Session(TenantScope(tree...), FromPrimary)
		for table, q := range queries {
			for _, got := range unscoped(t, ss, q) {
				if !slices.Contains(tree, got) {
					t.Errorf("session of tenant %s saw a %s row of tenant %s", tenant, table, got)
				}
			}
		}
		// Users: every visible user must have a membership in the subtree.
		var foreignUsers int
		if err := getRow(ctx, ss, &foreignUsers, `SELECT count(*) FROM users u WHERE NOT EXISTS (
			SELECT 1 FROM memberships m WHERE m.user_id = u.id AND m.tenant_id = ANY(?::uuid[]))`, pq.Array(tree)); err != nil {
			t.Fatal(err)
		}
		if foreignUsers != 0 {
			t.Errorf("session of tenant %s saw %d users with no membership in its subtree", tenant, foreignUsers)
		}
		ss.End(ctx)
	}
}

// A session with no tenants sees nothing, and one for all tenants sees all.
func TestRowLevelSecurityDefaultDeny(t *testing.T) {
	ctx := context.Background()
	none := testStore.Session(TenantScope(), FromPrimary)
	defer none.End(ctx)
	if got := unscoped(t, none, `SELECT id::text FROM artists`); len(got) != 0 {
		t.Errorf("a session without tenants saw %d artists", len(got))
	}
	if got := unscoped(t, none, `SELECT id::text FROM users`); len(got) != 0 {
		t.Errorf("a session without tenants saw %d users", len(got))
	}
	all := testStore.Session(AllTenants(), FromPrimary)
	defer all.End(ctx)
	var want int
	if err := testStore.x.Get(&want, `SELECT count(*) FROM artists`); err != nil {
		t.Fatal(err)
	}
	if got := unscoped(t, all, `SELECT id::text FROM artists`); len(got) != want {
		t.Errorf("a platform session saw %d of %d artists", len(got), want)
	}
}

// The application's own lookups with the predicate switched off (an
// unrestricted Scope, as if a resolver forgot to pass the caller's) still
// find no foreign rows through a tenant's session.
func TestForgottenScopeIsStoppedByTheDatabase(t *testing.T) {
	ctx := context.Background()
	trees := tenantTrees(t)
	var artists []struct {
		ID       string `db:"id"`
		TenantID string `db:"tenant_id"`
	}
	if err := testStore.x.Select(&artists, `SELECT id, tenant_id FROM artists ORDER BY id`); err != nil {
		t.Fatal(err)
	}
	ids := make([]string, len(artists))
	for i, a := range artists {
		ids[i] = a.ID
	}
	for tenant, tree := range trees {
		ss := testStore.Session(TenantScope(tree...), FromPrimary)
		got, err := ByIDs(ctx, ss, ArtistNode, AllTenants(), ids)
		if err != nil {
			t.Fatal(err)
		}
		want := 0
		for _, a := range artists {
			if slices.Contains(tree, a.TenantID) {
				want++
				if got[a.ID] == nil {
					t.Errorf("tenant %s lost its own artist %s", tenant, a.ID)
				}
			} else if got[a.ID] != nil {
				t.Errorf("tenant %s read foreign artist %s", tenant, a.ID)
			}
		}
		if len(got) != want {
			t.Errorf("tenant %s: got %d artists, want %d", tenant, len(got), want)
		}
		page, err := ListPage(ctx, ss, ArtistsByUser, ArtistsByUser.MustCompile(), AllTenants(), AllColumns, PageArgs{Limit: 500})
		if err == nil {
			for _, a := range page.Rows {
				if !slices.Contains(tree, a.TenantID) {
					t.Errorf("tenant %s listed foreign artist %s", tenant, a.ID)
				}
			}
		}
		ss.End(ctx)
	}
}

// Writes are checked too: a session cannot insert a row for a tenant
// outside its scope.
func TestRowLevelSecurityRefusesForeignWrites(t *testing.T) {
	ctx := context.Background()
	trees := tenantTrees(t)
	var mine, foreign string
	for id, tree := range trees {
		if mine == "" && len(tree) == 1 {
			mine = id
		}
	}
	for id := range trees {
		if id != mine && !slices.Contains(trees[mine], id) {
			foreign = id
			break
		}
	}
	scope := TenantScope(trees[mine]...)
	err := testStore.InTx(ctx, scope, func(tx *Tx) error {
		return execute(ctx, tx, `INSERT INTO labels (tenant_id, name) VALUES (?, 'smuggled')`, foreign)
	})
	if err == nil {
		t.Fatal("inserting a label for a foreign tenant succeeded")
	}
	if err := testStore.InTx(ctx, scope, func(tx *Tx) error {
		return execute(ctx, tx, `INSERT INTO labels (tenant_id, name) VALUES (?, 'own label')`, mine)
	}); err != nil {
		t.Fatalf("inserting a label for the own tenant failed after the rollback: %v", err)
	}
}
