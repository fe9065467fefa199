package db

import (
	"container/list"
	"context"
	"database/sql/driver"
	"errors"
	"sync/atomic"

	"github.com/lib/pq"
)

// Prepared statements. Planning a statement under row-level security costs
// PostgreSQL more than running it: a lookup by ID plans its policies'
// subqueries every time it is sent as a one-off query. Every pool
// connection therefore keeps the statements with parameters it has run
// prepared (at most PoolConfig.Statements of them, the least recently used
// closed first), so that PostgreSQL can reuse their plans and a statement
// costs one round trip: bind and execute. The plans depend on the role,
// which is the same for every request (AppRole); the tenant IDs are
// settings the policies read when they run, not part of the plan.
//
// A pooler in transaction mode (PgBouncer before 1.21) hands a client's
// statements to any server connection and does not carry prepared
// statements along: set PoolConfig.Statements (DB_STATEMENT_CACHE) to 0
// behind one. A pool that meets a statement PostgreSQL does not hold, or
// one another client prepared under the same name, stops preparing: the
// statement that met it fails, later ones run unprepared.

// statementConnector makes connections that keep their statements.
type statementConnector struct {
	driver.Connector
	max int
	off *atomic.Bool // set once the pool has met a pooler
}

func (c statementConnector) Connect(ctx context.Context) (driver.Conn, error) {
	cn, err := c.Connector.Connect(ctx)
	if err != nil {
		return nil, err
	}
	return newStatementConn(cn, c.max, c.off), nil
}

// pqConn is what database/sql uses of a lib/pq connection.
type pqConn interface {
	driver.Conn
	driver.ConnBeginTx
	driver.ConnPrepareContext
	driver.QueryerContext
	driver.ExecerContext
	driver.Pinger
	driver.SessionResetter
	driver.Validator
	driver.NamedValueChecker
}

// statementConn is a lib/pq connection with its prepared statements. Like
// the connection, it is used by one goroutine at a time.
type statementConn struct {
	pqConn
	max   int
	off   *atomic.Bool
	bySQL map[string]*list.Element // of *prepared
	lru   list.List                // most recently used first
}

type prepared struct {
	sql  string
	stmt driver.Stmt
}

func newStatementConn(cn driver.Conn, max int, off *atomic.Bool) driver.Conn {
	pc, ok := cn.(pqConn)
	if !ok || max <= 0 || off.Load() {
		return cn
	}
	return &statementConn{pqConn: pc, max: max, off: off, bySQL: map[string]*list.Element{}}
}

// statement returns q prepared on the connection, preparing it (and
// closing the least recently used statement when there are max) if needed.
func (c *statementConn) statement(ctx context.Context, q string) (driver.Stmt, error) {
	if e, ok := c.bySQL[q]; ok {
		c.lru.MoveToFront(e)
		return e.Value.(*prepared).stmt, nil
	}
	if c.lru.Len() >= c.max {
		c.drop(c.lru.Back())
	}
	st, err := c.pqConn.PrepareContext(ctx, q)
	if err != nil {
		return nil, err
	}
	c.bySQL[q] = c.lru.PushFront(&prepared{sql: q, stmt: st})
	return st, nil
}

// remove takes a statement out of the cache; the caller closes it when
// PostgreSQL still holds it.
func (c *statementConn) remove(e *list.Element) driver.Stmt {
	p := c.lru.Remove(e).(*prepared)
	delete(c.bySQL, p.sql)
	return p.stmt
}

func (c *statementConn) drop(e *list.Element) { _ = c.remove(e).Close() }

// forget drops q's statement when err says its plan no longer fits the
// schema, and stops the pool preparing when err says a pooler stands
// between it and PostgreSQL: a statement prepared on this connection is
// gone, or another client's statement holds its name.
func (c *statementConn) forget(q string, err error) {
	var pe *pq.Error
	if !errors.As(err, &pe) {
		return
	}
	switch pe.Code {
	case "26000", // invalid_sql_statement_name: not prepared here
		"42P05": // duplicate_prepared_statement
		c.off.Store(true)
		fallthrough
	case "0A000": // feature_not_supported: cached plan must not change result type
		if e, ok := c.bySQL[q]; ok {
			c.remove(e)
		}
	}
}

// prepareOr runs q with args prepared, or through plain when it has no
// parameters (the transaction control and preamble, sent as simple
// queries) or the pool no longer prepares.
func prepareOr[R any](c *statementConn, ctx context.Context, q string, args []driver.NamedValue,
	plain func() (R, error), withStmt func(driver.Stmt) (R, error)) (R, error) {
	if len(args) == 0 || c.off.Load() {
		return plain()
	}
	st, err := c.statement(ctx, q)
	if err == nil {
		var res R
		if res, err = withStmt(st); err == nil {
			return res, nil
		}
	}
	c.forget(q, err)
	var none R
	return none, err
}

func (c *statementConn) QueryContext(ctx context.Context, q string, args []driver.NamedValue) (driver.Rows, error) {
	return prepareOr(c, ctx, q, args,
		func() (driver.Rows, error) { return c.pqConn.QueryContext(ctx, q, args) },
		func(st driver.Stmt) (driver.Rows, error) { return st.(driver.StmtQueryContext).QueryContext(ctx, args) })
}

func (c *statementConn) ExecContext(ctx context.Context, q string, args []driver.NamedValue) (driver.Result, error) {
	return prepareOr(c, ctx, q, args,
		func() (driver.Result, error) { return c.pqConn.ExecContext(ctx, q, args) },
		func(st driver.Stmt) (driver.Result, error) { return st.(driver.StmtExecContext).ExecContext(ctx, args) })
}
