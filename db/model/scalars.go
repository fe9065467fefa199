package model

import (
	"database/sql/driver"
	"fmt"
	"io"
	"strconv"
	"time"

	"github.com/99designs/gqlgen/graphql"
)

// Date is a calendar date without time zone, read from a PostgreSQL date.
type Date struct{ time.Time }

const dateLayout = "2006-01-02"

// MarshalGQL writes the date as "YYYY-MM-DD".
func (d Date) MarshalGQL(w io.Writer) {
	_, _ = io.WriteString(w, strconv.Quote(d.Format(dateLayout)))
}

// UnmarshalGQL reads "YYYY-MM-DD".
func (d *Date) UnmarshalGQL(v any) error {
	s, ok := v.(string)
	if !ok {
		return &InputError{Arg: "Date", Msg: fmt.Sprintf("must be a string in the form YYYY-MM-DD, got %v", v)}
	}
	t, err := time.Parse(dateLayout, s)
	if err != nil || t.Year() < 1 {
		// PostgreSQL has no year 0 in this notation: 0000-01-01 would
		// fail as a statement instead of here.
		return &InputError{Arg: "Date", Msg: fmt.Sprintf("invalid date %q, want YYYY-MM-DD from 0001-01-01", s)}
	}
	d.Time = t
	return nil
}

// Scan reads a date column.
func (d *Date) Scan(src any) error {
	t, ok := src.(time.Time)
	if !ok {
		return fmt.Errorf("cannot scan %T into Date", src)
	}
	d.Time = time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC)
	return nil
}

// Value writes the date as text so PostgreSQL never shifts it by a time zone.
func (d Date) Value() (driver.Value, error) { return d.Format(dateLayout), nil }

// MarshalDateTime writes a date-time in RFC 3339 with nanoseconds, as
// gqlgen's Time does.
func MarshalDateTime(t time.Time) graphql.Marshaler {
	return graphql.MarshalTime(t)
}

// UnmarshalDateTime reads an RFC 3339 date-time; a malformed one is the
// client's mistake (BAD_USER_INPUT), not a server fault.
func UnmarshalDateTime(v any) (time.Time, error) {
	s, ok := v.(string)
	if !ok {
		return time.Time{}, &InputError{Arg: "DateTime", Msg: fmt.Sprintf("must be an RFC 3339 string such as 2025-01-31T12:00:00Z, got %v", v)}
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}, &InputError{Arg: "DateTime", Msg: fmt.Sprintf("invalid date-time %q, want RFC 3339 such as 2025-01-31T12:00:00Z", s)}
	}
	return t, nil
}
