package db

import (
	"database/sql/driver"
	"fmt"
	"strconv"
	"strings"
)

// LSN is a position in PostgreSQL's write-ahead log, the pg_lsn type: a
// write's commit position, or how far a standby has replayed. Positions
// only grow, so a standby that has replayed up to a commit's position
// shows that commit. The zero LSN means "no position".
type LSN uint64

// ParseLSN reads PostgreSQL's text form of a position, "16/B374D848" (two
// hexadecimal halves of at most 8 digits each).
func ParseLSN(s string) (LSN, error) {
	hi, lo, ok := strings.Cut(s, "/")
	if !ok || hi == "" || lo == "" || len(hi) > 8 || len(lo) > 8 {
		return 0, fmt.Errorf("malformed WAL position %q: want the form 16/B374D848", s)
	}
	h, err1 := strconv.ParseUint(hi, 16, 32)
	l, err2 := strconv.ParseUint(lo, 16, 32)
	if err1 != nil || err2 != nil {
		return 0, fmt.Errorf("malformed WAL position %q: want the form 16/B374D848", s)
	}
	return LSN(h<<32 | l), nil
}

// String renders the position as PostgreSQL does.
func (l LSN) String() string { return fmt.Sprintf("%X/%X", uint64(l)>>32, uint64(l)&0xFFFFFFFF) }

// Scan reads a pg_lsn column (sent as text); NULL scans as zero.
func (l *LSN) Scan(src any) error {
	var s string
	switch v := src.(type) {
	case nil:
		*l = 0
		return nil
	case string:
		s = v
	case []byte:
		s = string(v)
	default:
		return fmt.Errorf("cannot scan %T into an LSN", src)
	}
	v, err := ParseLSN(s)
	if err != nil {
		return err
	}
	*l = v
	return nil
}

// MarshalText renders the position as PostgreSQL does, for JSON.
func (l LSN) MarshalText() ([]byte, error) { return []byte(l.String()), nil }

// UnmarshalText reads PostgreSQL's text form of a position.
func (l *LSN) UnmarshalText(b []byte) error {
	v, err := ParseLSN(string(b))
	if err != nil {
		return err
	}
	*l = v
	return nil
}

// Value writes the position as pg_lsn text.
func (l LSN) Value() (driver.Value, error) { return l.String(), nil }
