package db

import (
	"errors"

	"github.com/lib/pq"
)

// ErrTimeout means PostgreSQL cancelled a statement because its request's
// time was up (the statement_timeout the transaction preamble sets from
// the request deadline, or the driver's cancel when the context ended).
var ErrTimeout = errors.New("database statement timed out")

// timeoutError is a driver error classified as ErrTimeout, keeping the
// driver's error for the logs and for errors.As.
type timeoutError struct{ cause error }

func (e *timeoutError) Error() string { return "database statement timed out: " + e.cause.Error() }

func (e *timeoutError) Unwrap() []error { return []error{ErrTimeout, e.cause} }

// markTimeout wraps err as ErrTimeout when PostgreSQL cancelled the
// statement (SQLSTATE 57014, query_canceled), and returns it unchanged
// otherwise.
func markTimeout(err error) error {
	if err == nil || errors.Is(err, ErrTimeout) {
		return err
	}
	var pqErr *pq.Error
	if errors.As(err, &pqErr) && pqErr.Code == "57014" {
		return &timeoutError{cause: err}
	}
	return err
}

// classify marks a statement's error as ErrUnavailable or ErrTimeout when
// it is one of those.
func classify(err error) error { return markTimeout(markUnavailable(err)) }
