package api_test

import (
	mrand "math/rand/v2"
	"testing"

	"github.com/lib/pq"

	"catalogue/internal/api"
)

// TestTenantPredicatesHoldWithoutRowLevelSecurity runs the probes of
// TestTenantIsolationRandomized and TestTenantIsolationFilteredLists
// against a copy of the database whose tables have row-level security
// switched off, so that only the tenant predicates the application writes
// into its statements keep tenants apart. The principals are ordinary
// members, an OWNER, an ADMIN and a USER of two tenants, one of them with a
// subsidiary; none holds a platform role.
func TestTenantPredicatesHoldWithoutRowLevelSecurity(t *testing.T) {
	ctx := t.Context()
	x, url, err := env.NewDatabase(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var tables []string
	sqlErr := x.SelectContext(ctx, &tables, `SELECT relname FROM pg_class
		WHERE relnamespace = 'public'::regnamespace AND relkind IN ('r', 'p') AND relrowsecurity ORDER BY relname`)
	if sqlErr != nil || len(tables) < 10 {
		t.Fatalf("tables with row-level security: %v, %v", tables, sqlErr)
	}
	for _, table := range tables {
		if _, err := x.ExecContext(ctx, `ALTER TABLE `+pq.QuoteIdentifier(table)+` DISABLE ROW LEVEL SECURITY`); err != nil {
			t.Fatal(err)
		}
	}
	rt, _, err := env.Runtime(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	// The wall is really down: the runtime role, with no tenant settings,
	// now sees every artist.
	var seen, all int
	if err := rt.GetContext(ctx, &seen, `SELECT count(*) FROM artists`); err != nil {
		t.Fatal(err)
	}
	sqlValue(t, &all, `SELECT count(*) FROM artists`)
	if seen != all || all == 0 {
		t.Fatalf("with row-level security off the runtime role sees %d of %d artists", seen, all)
	}

	srv := newServer(t, rt, api.Config{SQLStats: true})

	principals := credRolePrincipals(t, []string{"acme-music", "nordic-sound"}, "OWNER", "ADMIN", "USER")
	rng := mrand.New(mrand.NewPCG(credSeed(t), 0x0ff5ec))
	t.Run("randomized", func(t *testing.T) { credIsolationRandomized(t, rng, srv.URL, x, principals) })
	t.Run("filtered lists", func(t *testing.T) { credIsolationFilteredLists(t, rng, srv.URL, x, principals) })
}
