package db

import (
	"database/sql"
	"database/sql/driver"
	"errors"
	"io"
	"net"
	"strings"
	"syscall"

	"github.com/lib/pq"
)

// ErrUnavailable means PostgreSQL could not be reached or went away: it is
// down, restarting, refusing connections or out of connection slots. The
// request did not get an answer from the database; trying again later may.
var ErrUnavailable = errors.New("database unavailable")

// unavailableError is a driver error classified as ErrUnavailable, keeping
// the driver's error for the logs.
type unavailableError struct{ cause error }

func (e *unavailableError) Error() string { return "database unavailable: " + e.cause.Error() }

func (e *unavailableError) Unwrap() []error { return []error{ErrUnavailable, e.cause} }

// markUnavailable wraps err as ErrUnavailable when it says the database
// cannot be reached, and returns it unchanged otherwise.
func markUnavailable(err error) error {
	// A request refused a connection slot (see Gates) never reached the
	// database: its context error is no sign of the database being away.
	if err == nil || errors.Is(err, ErrUnavailable) || errors.Is(err, ErrThrottled) || !unreachable(err) {
		return err
	}
	return &unavailableError{cause: err}
}

func unreachable(err error) bool {
	var pqErr *pq.Error
	if errors.As(err, &pqErr) {
		code := string(pqErr.Code)
		// Class 08: connection exception; 57P01-57P03: the server is
		// shutting down, crashed or starting up; 53300: no slots left.
		return strings.HasPrefix(code, "08") || code == "57P01" || code == "57P02" || code == "57P03" || code == "53300"
	}
	// lib/pq reports a broken protocol exchange (a message out of place,
	// as when the server went away mid-statement) in plain errors of its
	// own and marks the connection bad; the next use says driver.ErrBadConn.
	for _, p := range []string{"pq: unexpected ", "pq: unknown response ", "pq: server error: "} {
		if strings.HasPrefix(err.Error(), p) {
			return true
		}
	}
	var netErr net.Error
	// database/sql's ErrConnDone: the connection was closed under the
	// statement, as when the server went away.
	return errors.Is(err, driver.ErrBadConn) || errors.Is(err, sql.ErrConnDone) || errors.Is(err, syscall.ECONNREFUSED) ||
		errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE) ||
		errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) || errors.As(err, &netErr)
}
