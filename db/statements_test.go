package db

import "testing"

// A connection keeps the statements with parameters it runs prepared, at
// most PoolConfig.Statements of them, the least recently used dropped
// first; statements without parameters (transaction control) are not
// prepared; a statement PostgreSQL no longer holds (DISCARD ALL, as a
// pooler's doing) stops the pool preparing.
func TestConnectionsKeepTheirStatementsPrepared(t *testing.T) {
	ctx := t.Context()
	x, err := Open(ctx, testEnv.URL, PoolConfig{MaxOpen: 1, MaxIdle: 1, Statements: 2})
	if err != nil {
		t.Fatal(err)
	}
	defer x.Close()
	held := func() []string {
		t.Helper()
		var stmts []string
		if err := x.SelectContext(ctx, &stmts, `SELECT statement FROM pg_prepared_statements WHERE statement LIKE 'SELECT % AS probe%' ORDER BY statement`); err != nil {
			t.Fatal(err)
		}
		return stmts
	}
	run := func(q string, args ...any) {
		t.Helper()
		var n int
		if err := x.GetContext(ctx, &n, q, args...); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	a, b, c := `SELECT $1::int AS probe_a`, `SELECT $1::int AS probe_b`, `SELECT $1::int AS probe_c`
	run(a, 1)
	run(a, 2)
	run(`SELECT 1 AS probe_plain`)
	if got := held(); len(got) != 1 || got[0] != a {
		t.Fatalf("after one statement run twice and one without parameters, prepared: %q, want [%s]", got, a)
	}
	run(b, 1)
	run(a, 3) // a is now the most recently used
	run(c, 1) // drops b
	if got := held(); len(got) != 2 || got[0] != a || got[1] != c {
		t.Fatalf("prepared %q, want the two most recently used, [%s %s]", got, a, c)
	}

	// A statement PostgreSQL no longer holds is what a pooler in
	// transaction mode leads to: the statement fails, and the pool stops
	// preparing instead of failing again on every connection.
	if _, err := x.ExecContext(ctx, `DISCARD ALL`); err != nil {
		t.Fatal(err)
	}
	var n int
	if err := x.GetContext(ctx, &n, a, 4); err == nil {
		t.Fatal("a statement DISCARD ALL dropped still ran: it was not the connection's prepared statement")
	}
	run(a, 5)
	run(b, 2)
	if got := held(); len(got) != 0 {
		t.Fatalf("after a prepared statement went missing the pool still prepares: %q", got)
	}
}

// A lookup by one ID is planned once and reused (PostgreSQL's generic
// plan), not planned again for every key as a lookup by an array of keys
// of unknown length is.
func TestALookupByIDIsPlannedOnce(t *testing.T) {
	ctx := t.Context()
	x, err := Open(ctx, testEnv.URL, PoolConfig{MaxOpen: 1, MaxIdle: 1, Statements: DefaultStatements})
	if err != nil {
		t.Fatal(err)
	}
	defer x.Close()
	s := NewStore(x)
	var ids []string
	if err := x.SelectContext(ctx, &ids, `SELECT id::text FROM users ORDER BY id LIMIT 10`); err != nil {
		t.Fatal(err)
	}
	for _, id := range ids {
		got, err := ColumnsByIDs(ctx, s, UserNode, AllTenants(), AllColumns, []string{id})
		if err != nil || got[id] == nil || got[id].ID != id {
			t.Fatalf("user %s by id: %v, %v", id, got, err)
		}
	}
	var generic, custom int
	if err := x.QueryRowxContext(ctx, `SELECT generic_plans, custom_plans FROM pg_prepared_statements WHERE statement LIKE '%FROM users%'`).
		Scan(&generic, &custom); err != nil {
		t.Fatalf("the lookup is not a prepared statement of the connection: %v", err)
	}
	if generic < len(ids)-5 {
		t.Errorf("%d lookups by id made %d generic and %d custom plans: PostgreSQL plans every lookup", len(ids), generic, custom)
	}
}
