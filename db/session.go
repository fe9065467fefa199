package db

import (
	"context"
	"database/sql/driver"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/google/uuid"
	"github.com/jmoiron/sqlx"
)

// Querier runs statements: the Store's pool, a request's read Session or a
// write Tx. The interface is sealed; only this package implements it.
type Querier interface {
	query(ctx context.Context, q string, args ...any) (*sqlx.Rows, func(), error)
	mapper() *sqlx.DB
}

func (s *Store) query(ctx context.Context, q string, args ...any) (*sqlx.Rows, func(), error) {
	rows, err := s.x.QueryxContext(ctx, s.x.Rebind(q), args...)
	return rows, func() {}, err
}

func (s *Store) mapper() *sqlx.DB { return s.x }

// AppRole is the PostgreSQL role requests run as. It owns nothing and
// cannot bypass row-level security, so the tenant policies of migration
// 0003 hold even for a statement that forgot its tenant predicate.
const AppRole = "catalogue_app"

// preamble renders the statements that open a request transaction. The
// tenant IDs come from the authenticated scope, never from request text,
// and are re-checked as UUIDs before they are written into the statement.
// A deadline becomes the transaction's statement_timeout (milliseconds
// left, computed here), so that PostgreSQL itself stops a statement that
// outlives its request, even when the client connection is gone.
func preamble(sc Scope, writable bool, deadline time.Time, hasDeadline bool) (string, error) {
	all := "off"
	if sc.all {
		all = "on"
	}
	ids := make([]string, len(sc.tenants))
	for i, t := range sc.tenants {
		u, err := uuid.Parse(t)
		if err != nil {
			return "", fmt.Errorf("scope holds a malformed tenant ID %q", t)
		}
		ids[i] = u.String()
	}
	begin := "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY"
	if writable {
		begin = "BEGIN ISOLATION LEVEL READ COMMITTED READ WRITE"
	}
	timeout := ""
	if hasDeadline {
		ms := max(1, time.Until(deadline).Milliseconds())
		timeout = "; SET LOCAL statement_timeout = " + strconv.FormatInt(ms, 10)
	}
	return begin + timeout + "; SET LOCAL ROLE " + AppRole +
		"; SELECT set_config('app.all_tenants', '" + all + "', true), set_config('app.tenant_ids', '" +
		strings.Join(ids, ",") + "', true)", nil
}

// open takes a slot of the request's gate (see WithGate) and a pool
// connection, and begins a request transaction on it. The caller gives the
// slot back with release once the connection is back in the pool.
func (s *Store) open(ctx context.Context, sc Scope, writable bool) (conn *sqlx.Conn, release func(), err error) {
	leave, err := enter(ctx)
	if err != nil {
		return nil, nil, err
	}
	defer func() {
		if err != nil {
			leave()
		}
	}()
	deadline, ok := ctx.Deadline()
	pre, err := preamble(sc, writable, deadline, ok)
	if err != nil {
		return nil, nil, err
	}
	// The preamble holds tenant IDs: the trace shows its first word only.
	defer track(ctx, true, "BEGIN")()
	conn, err = s.x.Connx(ctx)
	if err != nil {
		return nil, nil, markUnavailable(err)
	}
	if _, err := conn.ExecContext(ctx, pre); err != nil {
		discard(conn)
		return nil, nil, fmt.Errorf("open request transaction: %w", classify(err))
	}
	return conn, leave, nil
}

// finish commits (or rolls back) the transaction on conn and returns the
// connection to the pool; a connection whose transaction could not be
// closed cleanly is discarded instead. It returns the error of the COMMIT.
func finish(ctx context.Context, conn *sqlx.Conn, commit bool) error {
	end := "ROLLBACK"
	if commit {
		end = "COMMIT"
	}
	defer track(ctx, true, end)()
	// The transaction must end even when the request's context is done,
	// or the connection would go back to the pool mid-transaction.
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	if _, err := conn.ExecContext(ctx, end); err != nil {
		discard(conn)
		return mapError(err)
	}
	return conn.Close()
}

// Session is one request's read snapshot: a read-only REPEATABLE READ
// transaction as AppRole, with the scope's tenant IDs as transaction
// settings that the row-level policies read. It begins at the first
// statement, so that a request that reads nothing takes no connection, and
// all statements then share one snapshot: a page and its totalCount agree.
// A pq connection runs one statement at a time, so concurrent loader
// batches of the request take turns. Its hint decides whether a standby may
// serve it (standby.go).
type Session struct {
	store *Store
	scope Scope
	hint  ReadHint

	mu      sync.Mutex
	conn    *sqlx.Conn
	release func()   // gives back the gate slot of conn
	on      *standby // the standby serving the session; nil: the primary
	lost    bool     // the standby failed under the session
	failed  error
	done    bool
}

// Session starts a request's read session within scope, on a standby or
// the primary as hint allows; nothing is sent until the first statement.
func (s *Store) Session(scope Scope, hint ReadHint) *Session {
	return &Session{store: s, scope: scope, hint: hint}
}

// Scope is the tenant scope of the session.
func (ss *Session) Scope() Scope { return ss.scope }

func (ss *Session) mapper() *sqlx.DB { return ss.store.x }

// ErrSessionEnded is returned by a statement sent after its session ended.
var ErrSessionEnded = errors.New("read session used after it ended")

func (ss *Session) query(ctx context.Context, q string, args ...any) (*sqlx.Rows, func(), error) {
	ss.mu.Lock()
	if err := ss.begin(ctx); err != nil {
		ss.mu.Unlock()
		return nil, nil, err
	}
	rows, err := ss.conn.QueryxContext(ctx, ss.store.x.Rebind(q), args...)
	if err != nil {
		// A failed statement aborts the transaction: later statements of
		// the request would only fail with a less useful message.
		err = classify(err)
		ss.failed = err
		ss.noteFault(err)
		ss.mu.Unlock()
		return nil, nil, err
	}
	return rows, func() {
		// The caller has read and closed the rows: an error met while
		// reading them may be the standby's.
		ss.noteFault(rows.Err())
		ss.mu.Unlock()
	}, nil
}

// noteFault records that the standby serving the session failed under it,
// and takes a standby whose connection broke out of rotation; the caller
// holds mu.
func (ss *Session) noteFault(err error) {
	if ss.on == nil || !standbyFault(err) {
		return
	}
	ss.lost = true
	if connectionFault(err) {
		ss.on.markDown(err, ss.store.cfg.Log)
	}
}

// StandbyLost reports whether the session ran on a standby that failed
// under it (lost connection, shutdown, conflict with recovery): the same
// reads would succeed on the primary, so the caller may run its operation
// again there.
func (ss *Session) StandbyLost() bool {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	return ss.lost
}

// begin opens the transaction on first use, on a standby if the hint
// allows and one qualifies, else on the primary; the caller holds mu.
func (ss *Session) begin(ctx context.Context) error {
	switch {
	case ss.failed != nil:
		return ss.failed
	case ss.done:
		return ErrSessionEnded
	case ss.conn != nil:
		return nil
	}
	if ss.store.HasStandbys() {
		if ss.hint.Standby {
			if conn, sb, release := ss.store.openStandby(ctx, ss.scope, ss.hint.MinLSN); conn != nil {
				ss.conn, ss.on, ss.release = conn, sb, release
				TrailFrom(ctx).served(sb.name)
				return nil
			}
		} else {
			ss.store.route.forWrites.Add(1)
		}
	}
	conn, release, err := ss.store.open(ctx, ss.scope, false)
	if err != nil {
		ss.failed = err
		return err
	}
	ss.conn, ss.release = conn, release
	TrailFrom(ctx).served("primary")
	return nil
}

// End finishes the snapshot and returns the connection to the pool. It is
// safe to call more than once; later statements fail with ErrSessionEnded.
func (ss *Session) End(ctx context.Context) {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	ss.done = true
	if ss.conn == nil {
		return
	}
	// A read-only transaction has nothing to commit: ROLLBACK ends it
	// whether or not a statement failed.
	_ = finish(ctx, ss.conn, false)
	ss.release()
	ss.conn, ss.release = nil, nil
}

// Tx is one write transaction: READ COMMITTED, read-write, as AppRole
// within a scope, so that row-level security checks every row written.
// Its statements run one at a time in the order the caller sends them.
type Tx struct {
	store *Store
	scope Scope
	conn  *sqlx.Conn
}

// Scope is the tenant scope the transaction writes within.
func (tx *Tx) Scope() Scope { return tx.scope }

func (tx *Tx) mapper() *sqlx.DB { return tx.store.x }

func (tx *Tx) query(ctx context.Context, q string, args ...any) (*sqlx.Rows, func(), error) {
	rows, err := tx.conn.QueryxContext(ctx, tx.store.x.Rebind(q), args...)
	return rows, func() {}, classify(err)
}

// CommitError is a write whose COMMIT failed: nothing of it was stored.
type CommitError struct{ cause error }

func (e *CommitError) Error() string { return "commit: " + e.cause.Error() }

func (e *CommitError) Unwrap() error { return e.cause }

// InTx runs fn in a new write transaction within scope and commits it. If
// fn fails or panics, or the COMMIT fails, nothing is stored and the error
// is returned (a failed COMMIT as a *CommitError that wraps the mapped
// database error, so constraint violations found at commit still match).
// It is the only way the application writes.
func (s *Store) InTx(ctx context.Context, scope Scope, fn func(*Tx) error) (err error) {
	conn, release, err := s.open(ctx, scope, true)
	if err != nil {
		return err
	}
	defer release()
	tx := &Tx{store: s, scope: scope, conn: conn}
	defer func() {
		if p := recover(); p != nil {
			_ = finish(ctx, conn, false)
			panic(p)
		}
	}()
	if err := fn(tx); err != nil {
		_ = finish(ctx, conn, false)
		return err
	}
	if err := s.commit(ctx, conn); err != nil {
		return &CommitError{cause: err}
	}
	return nil
}

// commit commits the write transaction on conn like finish. With standbys,
// it also records the commit position in the request's Trail, so that the
// response can tell the client how far a standby must have replayed to
// show this write. Once COMMIT has returned, the commit record is in the
// WAL and the insert position is at or past its end, on any connection to
// the primary; the write and flush positions are not always (with
// synchronous_commit off the commit may not be written yet). Both
// statements go in one simple query: one round trip, and one server
// connection even behind a pooler in transaction mode.
func (s *Store) commit(ctx context.Context, conn *sqlx.Conn) error {
	if !s.HasStandbys() {
		return finish(ctx, conn, true)
	}
	defer track(ctx, true, "COMMIT")()
	fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	var at LSN
	if err := conn.QueryRowContext(fctx, `COMMIT; SELECT pg_current_wal_insert_lsn()::text`).Scan(&at); err != nil {
		discard(conn)
		return mapError(err)
	}
	TrailFrom(ctx).committed(at)
	return conn.Close()
}

// discard closes a connection in an unknown state instead of pooling it.
func discard(conn *sqlx.Conn) {
	_ = conn.Raw(func(any) error { return driver.ErrBadConn })
	_ = conn.Close()
}
