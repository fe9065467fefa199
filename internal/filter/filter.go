// Package filter is the one filter tree behind every list's `filter`
// argument and its `query` search syntax. Both syntaxes build an Expr; the
// db package compiles an Expr to SQL against a list's column table, and
// only there do values meet SQL, always as bind parameters.
package filter

import "fmt"

// Op is a comparison of a field with values.
type Op string

// The comparisons. Pattern operations (Contains, StartsWith, Like) are
// case-insensitive; Like takes a pattern where * matches any run of
// characters, as in seed 004's `firstname=Jo*`.
const (
	OpEq         Op = "eq"
	OpNe         Op = "ne"
	OpIn         Op = "in"
	OpNotIn      Op = "notIn"
	OpContains   Op = "contains"
	OpStartsWith Op = "startsWith"
	OpLike       Op = "like"
	OpIsNull     Op = "isNull" // Values[0] is true or false
	OpGt         Op = "gt"
	OpGte        Op = "gte"
	OpLt         Op = "lt"
	OpLte        Op = "lte"
	// OpSearch is the free-text search over a list's text fields; Field is
	// empty. Every word of Values[0] must match, accents and case ignored.
	OpSearch Op = "search"
)

// Kind is the type of a filterable field; it decides which operations
// apply and how a value written as text is read.
type Kind int

// The kinds of fields.
const (
	KindText Kind = iota
	KindID        // a global ID (or, in patterns, the UUID text)
	KindTime      // RFC 3339 date-time; a bare date means its midnight UTC
	KindDate      // YYYY-MM-DD
	KindEnum      // upper-case enum value
	KindBool
	KindInt
)

// Field describes one filterable field of a list.
type Field struct {
	Name    string   // canonical GraphQL name, e.g. "createdAt"
	Kind    Kind     //
	Aliases []string // other names the query syntax accepts, e.g. "created", "created_at"
	Enum    []string // allowed values of a KindEnum field
	IDType  string   // node type of a KindID field, e.g. "User"
	// Signed values keep a leading + or - in the query syntax, which
	// otherwise includes or excludes (seed 002): phone numbers (+33...).
	Signed bool
}

// Expr is a node of the filter tree: exactly one of And, Or, Not or Cond
// is set.
type Expr struct {
	And  []*Expr
	Or   []*Expr
	Not  *Expr
	Cond *Cond
}

// Cond compares one field with values. Values hold Go values from the
// typed GraphQL input (string, bool, int, time.Time) or strings from the
// query syntax; the compiler reads them according to the field's Kind.
type Cond struct {
	Field  string
	Op     Op
	Values []any
	// Pos is the byte offset in the query string of the term that made
	// this condition, for error messages; -1 for typed input.
	Pos int
	// ValuePos, from the query syntax, holds the byte offset of each of
	// Values in the query, so that a bad value is pointed at itself; nil
	// for typed input and for values that have no text of their own.
	ValuePos []int
}

// PosOf is the position to blame for the i-th value: the value's own
// when the query syntax recorded it, else the term's.
func (c *Cond) PosOf(i int) int {
	if i >= 0 && i < len(c.ValuePos) {
		return c.ValuePos[i]
	}
	return c.Pos
}

// SyntaxError is a problem in a query string at a byte offset.
type SyntaxError struct {
	Pos int
	Msg string
}

func (e *SyntaxError) Error() string {
	return fmt.Sprintf("at position %d: %s", e.Pos, e.Msg)
}

// All joins expressions with AND, dropping nils; nil when none remain.
func All(exprs ...*Expr) *Expr {
	var out []*Expr
	for _, e := range exprs {
		if e != nil {
			out = append(out, e)
		}
	}
	switch len(out) {
	case 0:
		return nil
	case 1:
		return out[0]
	}
	return &Expr{And: out}
}

// Limits bound the size of a filter so that a request cannot make the
// database compile an enormous predicate.
const (
	MaxDepth       = 6    // nesting of and/or/not
	MaxConditions  = 50   // leaf conditions in one filter
	MaxValues      = 500  // values of one in/notIn
	MaxPatternLen  = 200  // length of one string value
	MaxQueryLength = 2000 // length of a query string
)
