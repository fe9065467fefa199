package db

import (
	"context"
	"slices"
	"testing"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"
)

// The roles the server divides its work between (README, "Database roles"):
// what the runtime role can see by itself, that FORCE binds the tables'
// owner, and that the lookups that must read across tenants still do.

// rlsTables lists the tables of schema public with row-level security on.
func rlsTables(t *testing.T) []string {
	t.Helper()
	var tables []string
	if err := testStore.x.Select(&tables, `SELECT relname FROM pg_class
		WHERE relnamespace = 'public'::regnamespace AND relkind IN ('r', 'p') AND relrowsecurity ORDER BY relname`); err != nil {
		t.Fatal(err)
	}
	if len(tables) < 10 {
		t.Fatalf("only %d tables with row-level security: %v", len(tables), tables)
	}
	return tables
}

// TestTenantTablesForceRowLevelSecurity: every table but the migrations'
// bookkeeping and the shared language list has row-level security on and
// forced, so that its policies bind its owner too.
func TestTenantTablesForceRowLevelSecurity(t *testing.T) {
	var tables []struct {
		Name   string `db:"relname"`
		RLS    bool   `db:"relrowsecurity"`
		Forced bool   `db:"relforcerowsecurity"`
	}
	if err := testStore.x.Select(&tables, `SELECT relname, relrowsecurity, relforcerowsecurity FROM pg_class
		WHERE relnamespace = 'public'::regnamespace AND relkind IN ('r', 'p') ORDER BY relname`); err != nil {
		t.Fatal(err)
	}
	shared := []string{"schema_migrations", "languages"}
	for _, tb := range tables {
		if slices.Contains(shared, tb.Name) {
			continue
		}
		if !tb.RLS || !tb.Forced {
			t.Errorf("table %s: row-level security on %v, forced %v; want both", tb.Name, tb.RLS, tb.Forced)
		}
	}
}

// TestRuntimeRoleCannotBypassRowLevelSecurity connects as the runtime role
// directly, as the server does, and sends statements with no SET LOCAL ROLE
// and no tenant predicate: with no transaction settings every tenant table
// answers no rows, and with one tenant named only that tenant's rows come
// back. The role is no superuser, has no BYPASSRLS, owns nothing, and may
// switch to AppRole.
func TestRuntimeRoleCannotBypassRowLevelSecurity(t *testing.T) {
	ctx := t.Context()
	rt := testEnv.RuntimeDB
	role, err := RoleOf(ctx, rt)
	if err != nil {
		t.Fatal(err)
	}
	if role.Name != testEnv.RuntimeRole || role.Superuser || role.BypassRLS || !role.AppMember || role.OwnedTables != 0 {
		t.Errorf("runtime role %+v: want %s, no superuser, no BYPASSRLS, a member of %s, owning no table", role, testEnv.RuntimeRole, AppRole)
	}
	if err := role.ServeCheck(); err != nil {
		t.Errorf("ServeCheck refuses the runtime role: %v", err)
	}
	su, err := RoleOf(ctx, testStore.x)
	if err != nil {
		t.Fatal(err)
	}
	if su.ServeCheck() == nil {
		t.Errorf("ServeCheck accepts the superuser %s", su.Name)
	}

	total := 0
	for _, table := range rlsTables(t) {
		var all, seen int
		if err := testStore.x.GetContext(ctx, &all, `SELECT count(*) FROM `+pq.QuoteIdentifier(table)); err != nil {
			t.Fatal(err)
		}
		total += all
		if err := rt.GetContext(ctx, &seen, `SELECT count(*) FROM `+pq.QuoteIdentifier(table)); err != nil {
			t.Fatalf("%s as the runtime role: %v", table, err)
		}
		if seen != 0 {
			t.Errorf("%s: the runtime role sees %d of %d rows with no tenant settings", table, seen, all)
		}
	}
	if total == 0 {
		t.Fatal("the tenant tables are empty: the test would prove nothing")
	}

	// One tenant named, still without SET ROLE: that tenant's rows only.
	var tenant string
	if err := testStore.x.GetContext(ctx, &tenant, `SELECT tenant_id FROM artists GROUP BY tenant_id ORDER BY count(*) DESC, tenant_id LIMIT 1`); err != nil {
		t.Fatal(err)
	}
	conn, err := rt.Connx(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, `BEGIN`); err != nil {
		t.Fatal(err)
	}
	defer conn.ExecContext(context.WithoutCancel(ctx), `ROLLBACK`) //nolint:errcheck
	if _, err := conn.ExecContext(ctx, `SELECT set_config('app.tenant_ids', $1, true)`, tenant); err != nil {
		t.Fatal(err)
	}
	var seen []string
	if err := conn.SelectContext(ctx, &seen, `SELECT DISTINCT tenant_id FROM artists`); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(seen, []string{tenant}) {
		t.Errorf("with app.tenant_ids = %s the runtime role sees the artists of tenants %v", tenant, seen)
	}
}

// TestOwnerBoundByRowLevelSecurity hands a copy of the database to an owner
// without BYPASSRLS, as a deployment may have to: FORCE binds it, so it
// sees nothing unless the transaction names tenants, yet the SECURITY
// DEFINER functions that must read across tenants still do, for the call
// only, and through them the runtime role authenticates.
func TestOwnerBoundByRowLevelSecurity(t *testing.T) {
	ctx := t.Context()
	x, url, err := testEnv.NewDatabase(ctx)
	if err != nil {
		t.Fatal(err)
	}
	plain := testEnv.OwnerRole + "_plain"
	mustExec(t, x, `CREATE ROLE `+pq.QuoteIdentifier(plain)+` NOLOGIN NOSUPERUSER NOBYPASSRLS`)
	t.Cleanup(func() {
		ctx := context.Background()
		if _, err := x.ExecContext(ctx, `DROP OWNED BY `+pq.QuoteIdentifier(plain)); err != nil {
			t.Errorf("drop what %s owns: %v", plain, err)
		}
		if _, err := x.ExecContext(ctx, `DROP ROLE `+pq.QuoteIdentifier(plain)); err != nil {
			t.Errorf("drop role %s: %v", plain, err)
		}
	})
	var handover []string
	if err := x.SelectContext(ctx, &handover, `
		SELECT format('ALTER TABLE %s OWNER TO %I', oid::regclass, $2::text) FROM pg_class
		WHERE relnamespace = 'public'::regnamespace AND relkind IN ('r', 'p') AND relowner = $1::regrole
		UNION ALL
		SELECT format('ALTER ROUTINE %s OWNER TO %I', oid::regprocedure, $2::text) FROM pg_proc
		WHERE pronamespace = 'public'::regnamespace AND proowner = $1::regrole`, testEnv.OwnerRole, plain); err != nil {
		t.Fatal(err)
	}
	if len(handover) < 20 {
		t.Fatalf("only %d objects to hand over: %v", len(handover), handover)
	}
	for _, q := range handover {
		mustExec(t, x, q)
	}

	// The owner itself: nothing without settings, one tenant with one.
	var tenants []string
	if err := x.SelectContext(ctx, &tenants, `SELECT id FROM tenants ORDER BY id`); err != nil {
		t.Fatal(err)
	}
	ownerSees := func(setting string) int {
		t.Helper()
		tx, err := x.BeginTxx(ctx, nil)
		if err != nil {
			t.Fatal(err)
		}
		defer tx.Rollback() //nolint:errcheck
		var n int
		if _, err := tx.ExecContext(ctx, `SET LOCAL ROLE `+pq.QuoteIdentifier(plain)); err != nil {
			t.Fatal(err)
		}
		if _, err := tx.ExecContext(ctx, `SELECT set_config('app.tenant_ids', $1, true)`, setting); err != nil {
			t.Fatal(err)
		}
		if err := tx.GetContext(ctx, &n, `SELECT count(*) FROM tenants`); err != nil {
			t.Fatal(err)
		}
		return n
	}
	if n := ownerSees(""); n != 0 {
		t.Errorf("the tables' owner sees %d of %d tenants with no settings: FORCE does not bind it", n, len(tenants))
	}
	if n := ownerSees(tenants[0]); n != 1 {
		t.Errorf("the tables' owner sees %d tenants with one named, want 1", n)
	}

	// A user of several tenants, and one tenant of theirs.
	var multi struct {
		User   string `db:"user_id"`
		Email  string `db:"email"`
		Tenant string `db:"tenant_id"`
		N      int    `db:"n"`
	}
	if err := x.GetContext(ctx, &multi, `SELECT m.user_id, u.email, min(m.tenant_id::text) AS tenant_id, count(*) AS n
		FROM memberships m JOIN users u ON u.id = m.user_id
		GROUP BY m.user_id, u.email HAVING count(*) > 1 ORDER BY m.user_id LIMIT 1`); err != nil {
		t.Fatal(err)
	}

	rt, _, err := testEnv.Runtime(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	store := NewStore(rt)
	u, err := UserAuthByID(ctx, store, multi.User)
	if err != nil {
		t.Fatal(err)
	}
	if len(u.Memberships) != multi.N {
		t.Errorf("UserAuthByID finds %d memberships of %d", len(u.Memberships), multi.N)
	}
	var slug string
	if err := x.GetContext(ctx, &slug, `SELECT slug FROM tenants WHERE id = $1`, multi.Tenant); err != nil {
		t.Fatal(err)
	}
	if ta, err := TenantAuthBySlug(ctx, store, slug); err != nil || ta.ID != multi.Tenant || len(ta.Tree) == 0 {
		t.Errorf("TenantAuthBySlug(%s) = %+v, %v", slug, ta, err)
	}
	var key *NewAPIKey
	if err := store.InTx(ctx, TenantScope(multi.Tenant), func(tx *Tx) error {
		var err error
		key, err = CreateAPIKey(ctx, tx, multi.Tenant, "plain owner", "USER", nil)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	if k, err := APIKeyByKeyID(ctx, store, key.Key.KeyID); err != nil || k.TenantID != multi.Tenant {
		t.Errorf("APIKeyByKeyID = %+v, %v", k, err)
	}

	// Within a request transaction of one tenant the cross-tenant answers
	// come back, and the transaction's own setting is as it was after.
	ss := store.Session(TenantScope(multi.Tenant), FromPrimary)
	defer ss.End(ctx)
	var foreign bool
	if err := getRow(ctx, ss, &foreign, `SELECT user_has_foreign_memberships(?, ?::uuid[])`, multi.User, pq.Array([]string{multi.Tenant})); err != nil {
		t.Fatal(err)
	}
	if !foreign {
		t.Error("user_has_foreign_memberships misses the user's other tenants")
	}
	var found *string
	if err := getRow(ctx, ss, &found, `SELECT user_id_by_email(?)::text`, multi.Email); err != nil || found == nil || *found != multi.User {
		t.Errorf("user_id_by_email(%s) = %v, %v; want %s", multi.Email, found, err, multi.User)
	}
	var after struct {
		All     string `db:"all_tenants"`
		Tenants int    `db:"tenants"`
	}
	if err := getRow(ctx, ss, &after, `SELECT current_setting('app.all_tenants') AS all_tenants, (SELECT count(*) FROM tenants) AS tenants`); err != nil {
		t.Fatal(err)
	}
	if after.All != "off" || after.Tenants != 1 {
		t.Errorf("after the cross-tenant calls app.all_tenants = %q and the session sees %d tenants; want off and 1", after.All, after.Tenants)
	}
}

// TestTenantOwnerHoldsNoPlatformRole: the demo data gives no tenant owner a
// platform role, and the development token's user, the demo tenant's
// owner, is an ordinary OWNER who may sign in. The platform administrators
// the tests need are other accounts.
func TestTenantOwnerHoldsNoPlatformRole(t *testing.T) {
	ctx := t.Context()
	var owners, admins int
	if err := testStore.x.GetContext(ctx, &owners, `SELECT count(*) FROM memberships m JOIN users u ON u.id = m.user_id
		WHERE m.role = 'OWNER' AND cardinality(u.admin_roles) > 0`); err != nil {
		t.Fatal(err)
	}
	if owners != 0 {
		t.Errorf("%d tenant owners hold a platform role", owners)
	}
	if err := testStore.x.GetContext(ctx, &admins, `SELECT count(*) FROM users
		WHERE 'SUPER_ADMIN' = ANY (admin_roles) AND NOT is_deleted AND (expires_at IS NULL OR expires_at > now())`); err != nil {
		t.Fatal(err)
	}
	if admins != 2 {
		t.Errorf("%d platform administrators who may sign in, want the seed's 2", admins)
	}

	ss := testStore.Session(AllTenants(), FromPrimary)
	defer ss.End(ctx)
	owner, err := TenantOwner(ctx, ss, "acme-music")
	if err != nil {
		t.Fatal(err)
	}
	var u struct {
		Roles  pq.StringArray `db:"admin_roles"`
		Role   string         `db:"role"`
		Usable bool           `db:"usable"`
	}
	if err := testStore.x.GetContext(ctx, &u, `SELECT u.admin_roles, m.role,
		NOT u.is_deleted AND (u.expires_at IS NULL OR u.expires_at > now()) AND m.status = 'ACTIVE' AS usable
		FROM users u JOIN memberships m ON m.user_id = u.id JOIN tenants t ON t.id = m.tenant_id
		WHERE u.id = $1 AND t.slug = 'acme-music'`, owner); err != nil {
		t.Fatal(err)
	}
	if len(u.Roles) != 0 || u.Role != "OWNER" || !u.Usable {
		t.Errorf("the demo tenant's owner %s: %+v; want an active OWNER with no platform role", owner, u)
	}
}

func mustExec(t *testing.T, x *sqlx.DB, q string) {
	t.Helper()
	if _, err := x.ExecContext(t.Context(), q); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
}
