package db

import (
	"context"
	"database/sql/driver"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/google/uuid"
	"github.com/jmoiron/sqlx"
)

// Querier runs reads: the Store's pool, or a Session's transaction. The
// interface is sealed; only this package implements it.
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

// Session is one request's read transaction. It begins at the first
// statement: SET LOCAL ROLE to AppRole and the scope's tenant IDs as
// transaction settings, which the row-level policies read. All statements
// of the request then share one snapshot, so a page and its totalCount
// agree. A pq connection runs one statement at a time, so concurrent
// loader batches of the request take turns.
type Session struct {
	store *Store
	scope Scope

	mu       sync.Mutex
	conn     *sqlx.Conn
	failed   error
	done     bool
	writable bool
}

// Session starts a request's session within scope; nothing is sent until
// the first statement.
func (s *Store) Session(scope Scope) *Session { return &Session{store: s, scope: scope} }

// Scope is the tenant scope of the session.
func (ss *Session) Scope() Scope { return ss.scope }

// Store is the pool the session draws its connection from.
func (ss *Session) Store() *Store { return ss.store }

func (ss *Session) mapper() *sqlx.DB { return ss.store.x }

// preamble renders the statements that open the transaction. The tenant
// IDs come from the authenticated scope, never from request text, and are
// re-checked as UUIDs before they are written into the statement.
func preamble(sc Scope, writable bool) (string, error) {
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
	return begin + "; SET LOCAL ROLE " + AppRole +
		"; SELECT set_config('app.all_tenants', '" + all + "', true), set_config('app.tenant_ids', '" +
		strings.Join(ids, ",") + "', true)", nil
}

// begin opens the transaction on first use; the caller holds mu.
func (ss *Session) begin(ctx context.Context) error {
	if ss.failed != nil {
		return ss.failed
	}
	if ss.done {
		return fmt.Errorf("session used after it ended")
	}
	if ss.conn != nil {
		return nil
	}
	pre, err := preamble(ss.scope, ss.writable)
	if err != nil {
		return err
	}
	defer recordOverhead(ctx, time.Now())
	conn, err := ss.store.x.Connx(ctx)
	if err != nil {
		return err
	}
	if _, err := conn.ExecContext(ctx, pre); err != nil {
		discard(conn)
		ss.failed = fmt.Errorf("open request transaction: %w", err)
		return ss.failed
	}
	ss.conn = conn
	return nil
}

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
		ss.failed = err
		ss.mu.Unlock()
		return nil, nil, err
	}
	return rows, ss.mu.Unlock, nil
}

// AllowWrites makes the session's transaction read-write. It must be
// called before the first statement: a mutation operation calls it as it
// starts.
func (ss *Session) AllowWrites() error {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	if ss.conn != nil && !ss.writable {
		return fmt.Errorf("session already began read-only")
	}
	ss.writable = true
	return nil
}

// Atomic runs fn so that its writes all happen or none do: inside a
// savepoint of the request's transaction, rolled back if fn fails or
// panics. Each mutation field of a request is atomic on its own.
func (ss *Session) Atomic(ctx context.Context, fn func() error) (err error) {
	if err := ss.control(ctx, "SAVEPOINT mutation", false); err != nil {
		return err
	}
	defer func() {
		if p := recover(); p != nil {
			_ = ss.control(context.WithoutCancel(ctx), "ROLLBACK TO SAVEPOINT mutation", true)
			panic(p)
		}
		if err != nil {
			if rbErr := ss.control(context.WithoutCancel(ctx), "ROLLBACK TO SAVEPOINT mutation", true); rbErr != nil {
				err = fmt.Errorf("%w (and rolling back failed: %v)", err, rbErr)
			}
			return
		}
		err = ss.control(ctx, "RELEASE SAVEPOINT mutation", false)
	}()
	return fn()
}

// control sends a transaction-control statement. A rollback to a
// savepoint (recovers) is what repairs a failed transaction, so it is sent
// despite the failure, and clears it.
func (ss *Session) control(ctx context.Context, stmt string, recovers bool) error {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	if ss.conn == nil || !recovers {
		if err := ss.begin(ctx); err != nil {
			return err
		}
	}
	defer recordOverhead(ctx, time.Now())
	if _, err := ss.conn.ExecContext(ctx, stmt); err != nil {
		ss.failed = err
		return err
	}
	if recovers {
		ss.failed = nil
	}
	return nil
}

// End finishes the transaction and returns the connection to the pool. A
// connection whose transaction cannot be closed cleanly is discarded.
func (ss *Session) End(ctx context.Context) {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	ss.done = true
	if ss.conn == nil {
		return
	}
	defer recordOverhead(ctx, time.Now())
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	end := "COMMIT"
	if ss.failed != nil {
		end = "ROLLBACK"
	}
	if _, err := ss.conn.ExecContext(ctx, end); err != nil {
		discard(ss.conn)
	} else {
		_ = ss.conn.Close()
	}
	ss.conn = nil
}

// discard closes a connection in an unknown state instead of pooling it.
func discard(conn *sqlx.Conn) {
	_ = conn.Raw(func(any) error { return driver.ErrBadConn })
	_ = conn.Close()
}
