// Package db is the only place that speaks SQL. A Store wraps the connection
// pool; list and lookup functions take the caller's tenant Scope explicitly
// and apply it in every statement, loaders included.
package db

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	neturl "net/url"
	"reflect"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"
)

// Sentinel errors that callers map to GraphQL error codes.
var (
	// ErrNotFound means the row does not exist or is outside the scope.
	ErrNotFound = errors.New("not found")
	// ErrConflict means a unique constraint refused the write (SQLSTATE 23505).
	ErrConflict = errors.New("conflict")
)

// Store runs the application's SQL over the primary's connection pool and
// routes read sessions that may use one to its standbys (standby.go).
type Store struct {
	x        *sqlx.DB
	standbys []*standby
	cfg      StandbyConfig
	route    routing
	// replayExpr reads a standby's replay position in a session's
	// preamble; tests stand a primary in for a standby by changing it.
	replayExpr string
}

// PoolConfig sizes the connection pool.
type PoolConfig struct {
	MaxOpen     int
	MaxIdle     int
	MaxLifetime time.Duration
	// Lazy skips the check that the server answers: a standby that is down
	// at start-up must not keep the server from starting.
	Lazy bool
	// Statements is how many statements each connection keeps prepared
	// (statements.go); 0 prepares none, as behind a transaction pooler.
	Statements int
}

// DefaultStatements is the statements a server's connection keeps
// prepared unless configured otherwise (DB_STATEMENT_CACHE).
const DefaultStatements = 100

// Open connects to PostgreSQL and checks the connection.
func Open(ctx context.Context, url string, pc PoolConfig) (*sqlx.DB, error) {
	c, err := pq.NewConnector(withBinaryParameters(url))
	if err != nil {
		return nil, fmt.Errorf("open database: %w", err)
	}
	x := sqlx.NewDb(sql.OpenDB(statementConnector{Connector: c, max: pc.Statements, off: new(atomic.Bool)}), "postgres")
	if pc.MaxOpen > 0 {
		x.SetMaxOpenConns(pc.MaxOpen)
	}
	if pc.MaxIdle > 0 {
		x.SetMaxIdleConns(pc.MaxIdle)
	}
	if pc.MaxLifetime > 0 {
		x.SetConnMaxLifetime(pc.MaxLifetime)
	}
	if pc.Lazy {
		return x, nil
	}
	if err := x.PingContext(ctx); err != nil {
		_ = x.Close()
		return nil, fmt.Errorf("connect to database: %w", err)
	}
	return x, nil
}

// withBinaryParameters asks lib/pq to send bind parameters in one round
// trip with the query (binary_parameters=yes) instead of preparing the
// statement first, unless the URL already says otherwise. It halves the
// round trips of every statement with parameters.
func withBinaryParameters(dsn string) string {
	if strings.Contains(dsn, "binary_parameters") {
		return dsn
	}
	if u, err := neturl.Parse(dsn); err == nil && (u.Scheme == "postgres" || u.Scheme == "postgresql") {
		q := u.Query()
		q.Set("binary_parameters", "yes")
		u.RawQuery = q.Encode()
		return u.String()
	}
	return dsn + " binary_parameters=yes"
}

// NewStore wraps an open pool of the primary, with no standbys.
func NewStore(x *sqlx.DB) *Store { return NewStoreWithStandbys(x, nil, StandbyConfig{}) }

// DB exposes the pool for start-up tasks (migrations, seeding, health).
func (s *Store) DB() *sqlx.DB { return s.x }

// Stats counts the statements one request sent and the time it spent
// waiting for PostgreSQL. It travels in the request context so that every
// statement of the request, including those run by loaders, is counted.
type Stats struct {
	statements  atomic.Int64
	overhead    atomic.Int64
	credentials atomic.Int64

	mu       sync.Mutex
	inFlight int
	since    time.Time     // when inFlight last went from 0 to 1
	waited   time.Duration // closed intervals with a statement in flight

	parent *Stats // the enclosing counter, which counts the same statements
}

// Statements is the number of SQL queries sent: the reads that resolve
// the request, the figure the read plan keeps to one per level.
func (st *Stats) Statements() int64 { return st.statements.Load() }

// Overhead is the number of statements sent to check the request's
// credentials and to open and close its transactions.
func (st *Stats) Overhead() int64 { return st.overhead.Load() }

// Credentials is the part of Overhead that looked up the request's
// credentials: none when the server had the principal cached.
func (st *Stats) Credentials() int64 { return st.credentials.Load() }

// Duration is the wall time during which at least one statement of the
// request was waiting for PostgreSQL. Statements that overlap (loader
// batches of one request queue on its connection) count once.
func (st *Stats) Duration() time.Duration {
	st.mu.Lock()
	defer st.mu.Unlock()
	d := st.waited
	if st.inFlight > 0 {
		d += time.Since(st.since)
	}
	return d
}

func (st *Stats) start() {
	st.mu.Lock()
	if st.inFlight == 0 {
		st.since = time.Now()
	}
	st.inFlight++
	st.mu.Unlock()
	if st.parent != nil {
		st.parent.start()
	}
}

func (st *Stats) stop(overhead bool) {
	if overhead {
		st.overhead.Add(1)
	} else {
		st.statements.Add(1)
	}
	st.mu.Lock()
	st.inFlight--
	if st.inFlight == 0 {
		st.waited += time.Since(st.since)
	}
	st.mu.Unlock()
	if st.parent != nil {
		st.parent.stop(overhead)
	}
}

type statsKey struct{}

// WithStats returns a context that counts the statements run under it.
// A counter made under another one (an operation of a batched request)
// counts its statements in both.
func WithStats(ctx context.Context) (context.Context, *Stats) {
	st := &Stats{parent: StatsFrom(ctx)}
	return context.WithValue(ctx, statsKey{}, st), st
}

// StatsFrom returns the counter of the request, or nil.
func StatsFrom(ctx context.Context) *Stats {
	st, _ := ctx.Value(statsKey{}).(*Stats)
	return st
}

// track counts one statement of the request in ctx from now until the
// returned function is called, and traces it when the request is traced
// (see statementSpan): defer track(ctx, false, query)().
func track(ctx context.Context, overhead bool, stmt string) func() {
	st := StatsFrom(ctx)
	span := statementSpan(ctx, stmt, overhead)
	if st == nil && span == nil {
		return func() {}
	}
	if st != nil {
		st.start()
	}
	return func() {
		if st != nil {
			st.stop(overhead)
		}
		if span != nil {
			span.End()
		}
	}
}

// trackCredential is track for a credential lookup, which is overhead.
func trackCredential(ctx context.Context, stmt string) func() {
	if st := StatsFrom(ctx); st != nil {
		st.credentials.Add(1)
	}
	return track(ctx, true, stmt)
}

// selectRows runs a query written with ? placeholders and scans every row.
func selectRows(ctx context.Context, q Querier, dest any, query string, args ...any) error {
	defer track(ctx, false, query)()
	rows, release, err := q.query(ctx, query, args...)
	if err != nil {
		return mapError(err)
	}
	defer release()
	defer rows.Close()
	slice := reflect.ValueOf(dest).Elem()
	elem := slice.Type().Elem()
	if !scalar(reflect.New(elem).Interface()) {
		return mapError(sqlx.StructScan(rows, dest))
	}
	for rows.Next() {
		v := reflect.New(elem)
		if err := rows.Scan(v.Interface()); err != nil {
			return mapError(err)
		}
		slice.Set(reflect.Append(slice, v.Elem()))
	}
	return mapError(rows.Err())
}

// getRow runs a query written with ? placeholders and scans one row.
func getRow(ctx context.Context, q Querier, dest any, query string, args ...any) error {
	defer track(ctx, false, query)()
	rows, release, err := q.query(ctx, query, args...)
	if err != nil {
		return mapError(err)
	}
	defer release()
	defer rows.Close()
	if !rows.Next() {
		if err := rows.Err(); err != nil {
			return mapError(err)
		}
		return ErrNotFound
	}
	if scalar(dest) {
		err = rows.Scan(dest)
	} else {
		err = rows.StructScan(dest)
	}
	if err != nil {
		return mapError(err)
	}
	return rows.Err()
}

// scalar reports whether dest receives one column rather than a row.
func scalar(dest any) bool {
	if _, ok := dest.(sql.Scanner); ok {
		return true
	}
	t := reflect.TypeOf(dest)
	if t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	return t.Kind() != reflect.Struct || t == reflect.TypeOf(time.Time{})
}

// ConstraintError is a write refused by a database constraint, with the
// constraint's name so that callers can say which input was wrong. A
// unique violation also matches ErrConflict.
type ConstraintError struct {
	Kind       string // "unique", "check", "foreign_key", "not_null"
	Constraint string
	Column     string
	cause      error
}

func (e *ConstraintError) Error() string {
	return fmt.Sprintf("%s constraint %s violated", e.Kind, e.Constraint)
}

// Is makes errors.Is(err, ErrConflict) hold for unique violations.
func (e *ConstraintError) Is(target error) bool { return target == ErrConflict && e.Kind == "unique" }

func (e *ConstraintError) Unwrap() error { return e.cause }

// constraintKinds names the SQLSTATE codes of constraint violations.
var constraintKinds = map[string]string{"23505": "unique", "23514": "check", "23503": "foreign_key", "23502": "not_null"}

// mapError turns driver errors into the package's sentinel and typed
// errors, once, for every statement.
func mapError(err error) error {
	if errors.Is(err, sql.ErrNoRows) {
		return ErrNotFound
	}
	if err := classify(err); errors.Is(err, ErrUnavailable) || errors.Is(err, ErrTimeout) {
		return err
	}
	var pqErr *pq.Error
	if errors.As(err, &pqErr) {
		if kind := constraintKinds[string(pqErr.Code)]; kind != "" {
			return &ConstraintError{Kind: kind, Constraint: pqErr.Constraint, Column: pqErr.Column, cause: err}
		}
	}
	return err
}
