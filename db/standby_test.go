package db

import (
	"context"
	"errors"
	"fmt"
	"io"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"
)

func TestParseLSN(t *testing.T) {
	for _, s := range []string{"0/0", "0/3000060", "16/B374D848", "FFFFFFFF/FFFFFFFF"} {
		l, err := ParseLSN(s)
		if err != nil {
			t.Errorf("ParseLSN(%q): %v", s, err)
			continue
		}
		if l.String() != s {
			t.Errorf("ParseLSN(%q).String() = %q", s, l.String())
		}
	}
	if a, b := mustLSN(t, "1/0"), mustLSN(t, "0/FFFFFFFF"); a <= b {
		t.Errorf("1/0 = %d should come after 0/FFFFFFFF = %d", a, b)
	}
	for _, s := range []string{"", "0", "/1", "1/", "1/2/3", "G/0", "123456789/0", "0/-1", " 0/1"} {
		if _, err := ParseLSN(s); err == nil {
			t.Errorf("ParseLSN(%q) accepted a malformed position", s)
		}
	}
}

func mustLSN(t *testing.T, s string) LSN {
	t.Helper()
	l, err := ParseLSN(s)
	if err != nil {
		t.Fatal(err)
	}
	return l
}

// TestLagOf measures a standby's lag against the primary's sampled
// positions: zero when it has the latest, else the time since the primary
// was last at a position it has; unknown until the samples can tell.
func TestLagOf(t *testing.T) {
	s := NewStoreWithStandbys(nil, nil, StandbyConfig{MaxLag: 5 * time.Second, CheckInterval: 100 * time.Millisecond})
	now := time.Now()
	if _, known, _ := s.lagOf(10, now); known {
		t.Error("lag known with no sample of the primary")
	}
	s.addSample(100, now.Add(-3*time.Second))
	s.addSample(200, now.Add(-2*time.Second))
	s.addSample(300, now.Add(-1*time.Second))
	cases := []struct {
		replayed LSN
		lag      time.Duration
		known    bool
	}{
		{300, 0, true},
		{400, 0, true},
		{250, 2 * time.Second, true}, // has what the primary had 2s ago, not what it had 1s ago
		{200, 2 * time.Second, true},
		{150, 3 * time.Second, true},
		{50, 3 * time.Second, false}, // older than every sample, which cover less than MaxLag
	}
	for _, c := range cases {
		lag, known, latest := s.lagOf(c.replayed, now)
		if lag != c.lag || known != c.known || latest != 300 {
			t.Errorf("lagOf(%d) = %s, %v, %d; want %s, %v, 300", c.replayed, lag, known, latest, c.lag, c.known)
		}
	}
	// Once the samples reach back past the bound, a standby older than all
	// of them is known to be too far behind.
	s = NewStoreWithStandbys(nil, nil, StandbyConfig{MaxLag: 5 * time.Second, CheckInterval: 100 * time.Millisecond})
	s.addSample(90, now.Add(-6*time.Second))
	s.addSample(300, now.Add(-1*time.Second))
	if lag, known, _ := s.lagOf(50, now); !known || lag != 6*time.Second {
		t.Errorf("lagOf(50) with 6s of samples = %s, %v; want 6s, known", lag, known)
	}
}

func TestStandbyFault(t *testing.T) {
	cases := []struct {
		err        error
		standby    bool // the standby's doing: run the reads again on the primary
		connection bool // the connection is gone: take the standby out
	}{
		{io.EOF, true, true},
		{fmt.Errorf("read: %w", io.ErrUnexpectedEOF), true, true},
		{&pq.Error{Code: "57P01", Message: "terminating connection due to administrator command"}, true, true},
		{&pq.Error{Code: "08006"}, true, true},
		{&pq.Error{Code: "40001", Message: "canceling statement due to conflict with recovery"}, true, false},
		{&pq.Error{Code: "42P01"}, false, false},
		{&pq.Error{Code: "57014", Message: "canceling statement due to statement timeout"}, false, false},
		{context.DeadlineExceeded, false, false},
		{context.Canceled, false, false},
		{errors.New("something else"), false, false},
	}
	for _, c := range cases {
		if got := standbyFault(c.err); got != c.standby {
			t.Errorf("standbyFault(%v) = %v, want %v", c.err, got, c.standby)
		}
		if got := connectionFault(c.err); got != c.connection {
			t.Errorf("connectionFault(%v) = %v, want %v", c.err, got, c.connection)
		}
	}
}

// fakeStandbyStore returns a store whose "standby" is the test database
// itself, reporting replayed as its replay position: enough to follow a
// session's routing, which the cluster test then shows on a real standby.
func fakeStandbyStore(t *testing.T, replayed LSN, standby *sqlx.DB) *Store {
	t.Helper()
	if standby == nil {
		standby = testStore.x
	}
	s := NewStoreWithStandbys(testStore.x, []*sqlx.DB{standby}, StandbyConfig{})
	s.replayExpr = "'" + replayed.String() + "'::pg_lsn"
	s.standbys[0].set(standbyState{usable: true, replayed: replayed, checkedAt: time.Now()}, s.cfg.Log)
	return s
}

// readOnce opens a session with hint, reads one row through it and
// returns the pool that served it.
func readOnce(t *testing.T, s *Store, hint ReadHint) string {
	t.Helper()
	ctx, trail := WithTrail(context.Background(), hint.MinLSN)
	ss := s.Session(AllTenants(), hint)
	defer ss.End(ctx)
	var n int
	if err := getRow(ctx, ss, &n, `SELECT count(*) FROM tenants`); err != nil {
		t.Fatal(err)
	}
	if n == 0 {
		t.Fatal("the session saw no tenants")
	}
	return trail.ServedBy()
}

func TestReadRouting(t *testing.T) {
	at := mustLSN(t, "5/0")
	s := fakeStandbyStore(t, at, nil)

	if got := readOnce(t, s, FromStandby(0)); got != "standby1" {
		t.Errorf("a query's session was served by %q, want standby1", got)
	}
	if got := readOnce(t, s, FromStandby(at)); got != "standby1" {
		t.Errorf("a query that must see %s, which the standby has replayed, was served by %q, want standby1", at, got)
	}
	if got := readOnce(t, s, FromStandby(at+1)); got != "primary" {
		t.Errorf("a query that must see a position the standby has not replayed was served by %q, want primary", got)
	}
	if got := readOnce(t, s, FromPrimary); got != "primary" {
		t.Errorf("a mutation's session was served by %q, want primary", got)
	}
	rep := s.Routing()
	want := RoutingReport{Standby: 2, Primary: PrimaryReads{ForWrites: 1, BehindCommit: 1}}
	if rep.Standby != want.Standby || rep.Primary != want.Primary || rep.Standbys[0].Reads != 2 {
		t.Errorf("routing counters = %+v, want %+v", *rep, want)
	}

	// A standby the checks took out serves nothing.
	s.standbys[0].set(standbyState{problem: "lags 6s behind the primary (bound 5s)", checkedAt: time.Now()}, s.cfg.Log)
	if got := readOnce(t, s, FromStandby(0)); got != "primary" {
		t.Errorf("with its only standby unusable, a query was served by %q, want primary", got)
	}
	if n := s.Routing().Primary.NoStandby; n != 1 {
		t.Errorf("NoStandby = %d, want 1", n)
	}
}

// A read that must see a commit checks the standby's replay position
// before its transaction takes a snapshot. The fake standby here reports a
// position past the commit only inside the read transaction (as a real one
// does when the commit is replayed while the snapshot is being taken): a
// check made there would pass, and the snapshot could miss the commit.
func TestReadYourWritesIsCheckedBeforeTheSnapshot(t *testing.T) {
	behind, ahead := mustLSN(t, "1/0"), mustLSN(t, "9/0")
	s := fakeStandbyStore(t, ahead, nil)
	s.replayExpr = "(CASE WHEN current_setting('transaction_isolation') = 'repeatable read' THEN '" + ahead.String() +
		"' ELSE '" + behind.String() + "' END)::pg_lsn"
	if got := readOnce(t, s, FromStandby(mustLSN(t, "5/0"))); got != "primary" {
		t.Errorf("a read that must see 5/0, on a standby at %s before the snapshot, was served by %q, want primary", behind, got)
	}
	if got := readOnce(t, s, FromStandby(behind)); got != "standby1" {
		t.Errorf("a read that must see %s, which the standby has replayed, was served by %q, want standby1", behind, got)
	}
}

// TestReadRoutingStandbyDown: a standby that refuses connections costs the
// query nothing but a failed connection attempt; it reads on the primary
// and the standby leaves the rotation until a check finds it back.
func TestReadRoutingStandbyDown(t *testing.T) {
	down, err := Open(context.Background(), "postgres://nobody@127.0.0.1:1/none?sslmode=disable&connect_timeout=2", PoolConfig{Lazy: true})
	if err != nil {
		t.Fatal(err)
	}
	defer down.Close()
	s := fakeStandbyStore(t, mustLSN(t, "5/0"), down)
	if got := readOnce(t, s, FromStandby(0)); got != "primary" {
		t.Errorf("with its standby down, a query was served by %q, want primary", got)
	}
	rep := s.Routing()
	if rep.Primary.StandbyFailed != 1 || rep.Standbys[0].Usable {
		t.Errorf("after a failed open: %+v, want StandbyFailed 1 and the standby out of rotation", *rep)
	}
}

// TestSessionNotesLostStandby: a standby that goes away in the middle of a
// session fails that session's next statement; the session says so (the
// API then runs the operation again on the primary) and the standby leaves
// the rotation.
func TestSessionNotesLostStandby(t *testing.T) {
	s := fakeStandbyStore(t, mustLSN(t, "5/0"), nil)
	ctx := context.Background()
	ss := s.Session(AllTenants(), FromStandby(0))
	defer ss.End(ctx)
	var pid int
	if err := getRow(ctx, ss, &pid, `SELECT pg_backend_pid()`); err != nil {
		t.Fatal(err)
	}
	if ss.StandbyLost() {
		t.Fatal("StandbyLost before anything failed")
	}
	if _, err := testStore.x.ExecContext(ctx, `SELECT pg_terminate_backend($1)`, pid); err != nil {
		t.Fatal(err)
	}
	var n int
	if err := getRow(ctx, ss, &n, `SELECT 1`); err == nil {
		t.Fatal("a statement on a terminated connection succeeded")
	}
	if !ss.StandbyLost() {
		t.Error("StandbyLost = false after the standby's connection was terminated")
	}
	if s.Routing().Standbys[0].Usable {
		t.Error("the standby whose connection broke is still in rotation")
	}
}

// TestInTxRecordsCommitPosition: with standbys, a write's commit position
// is recorded for its response, and it is at or past every WAL position
// the primary had before the commit.
func TestInTxRecordsCommitPosition(t *testing.T) {
	s := fakeStandbyStore(t, mustLSN(t, "5/0"), nil)
	ctx, trail := WithTrail(context.Background(), 0)
	var before LSN
	if err := testStore.x.GetContext(ctx, &before, `SELECT pg_current_wal_insert_lsn()::text`); err != nil {
		t.Fatal(err)
	}
	err := s.InTx(ctx, AllTenants(), func(tx *Tx) error {
		return execute(ctx, tx, `UPDATE tenants SET updated_at = updated_at WHERE id = (SELECT id FROM tenants ORDER BY id LIMIT 1)`)
	})
	if err != nil {
		t.Fatal(err)
	}
	if got := trail.Commit(); got == 0 || got < before {
		t.Errorf("commit position %s, want one at or past %s", got, before)
	}

	// Without standbys nothing needs it: the commit is a plain COMMIT.
	ctx, trail = WithTrail(context.Background(), 0)
	if err := testStore.InTx(ctx, AllTenants(), func(tx *Tx) error { return nil }); err != nil {
		t.Fatal(err)
	}
	if got := trail.Commit(); got != 0 {
		t.Errorf("commit position %s recorded by a store without standbys", got)
	}
}

// TestCommitFailureWithStandbys: a COMMIT that fails (here a deferred
// unique key) is the write's error, as without standbys, and records no
// position.
func TestCommitFailureWithStandbys(t *testing.T) {
	s := fakeStandbyStore(t, mustLSN(t, "5/0"), nil)
	ctx, trail := WithTrail(context.Background(), 0)
	var release string
	if err := testStore.x.GetContext(ctx, &release, `SELECT release_id FROM tracks GROUP BY release_id HAVING count(*) >= 2 LIMIT 1`); err != nil {
		t.Fatal(err)
	}
	err := s.InTx(ctx, AllTenants(), func(tx *Tx) error {
		if err := execute(ctx, tx, `SET CONSTRAINTS tracks_release_id_position_key DEFERRED`); err != nil {
			return err
		}
		return execute(ctx, tx, `UPDATE tracks SET position = 1 WHERE release_id = ?`, release)
	})
	var ce *CommitError
	if !errors.As(err, &ce) || !errors.Is(err, ErrConflict) {
		t.Fatalf("InTx = %v, want a CommitError that is a conflict", err)
	}
	if got := trail.Commit(); got != 0 {
		t.Errorf("a failed commit recorded position %s", got)
	}
}
