package db

import (
	"fmt"
	"maps"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"
	"github.com/lib/pq"

	"catalogue/db/model"
	"catalogue/internal/filter"
)

// Column is how one filterable field of a list reads in SQL.
type Column struct {
	filter.Field
	// Expr is the SQL expression of the field, e.g. "u.email".
	Expr string
	// Type is the PostgreSQL type values are cast to: text, uuid,
	// timestamptz, date, int, bool.
	Type string
	// Exists, when set, makes the field a relation: a condition on it holds
	// when a row of the subquery (which must reference the outer row) has
	// Expr matching; isNull asks whether no such row exists.
	Exists string
	// Sensitive fields (email, phone) can be filtered and sorted on only by
	// callers who may read them; otherwise a filter would reveal them.
	Sensitive bool
	// PatternIDs names a function returning the row IDs whose field matches
	// an ILIKE pattern through a trigram index (see migration 0005), and
	// IDCol the row ID it is compared with: pattern filters use it because
	// row-level security keeps PostgreSQL from using the index directly.
	PatternIDs, IDCol string
}

// Fields is the table of a list's filterable, sortable and facetable fields.
type Fields struct {
	set    *filter.FieldSet
	cols   map[string]Column
	search string // folded text column that `search` matches
	// searchIDs and searchKey: the function returning IDs whose folded
	// text matches a pattern, and the row ID column (migration 0005).
	searchIDs, searchKey string
	// searchPublic is the search expression for callers who may not read
	// sensitive fields: it leaves them out (and has no index).
	searchPublic string
	sorts        map[string]OrderKey // orderBy field (enum value) → key
	idKey        OrderKey            // the unique tie-break
	facets       map[string]string   // facet name → SQL expression grouped by
	listing      []string            // orderBy field names, for error messages
}

// NewFields builds a field table. search is the folded text column of the
// list's free-text search.
func NewFields(search string, idKey OrderKey, cols ...Column) *Fields {
	f := &Fields{cols: map[string]Column{}, search: search, sorts: map[string]OrderKey{}, idKey: idKey, facets: map[string]string{}}
	fields := make([]filter.Field, len(cols))
	for i, c := range cols {
		fields[i] = c.Field
		f.cols[c.Name] = c
	}
	f.set = filter.NewFieldSet(fields...)
	return f
}

// Sort adds a sortable field under its orderBy enum name.
func (f *Fields) Sort(name string, k OrderKey) *Fields {
	f.sorts[name] = k
	f.listing = append(f.listing, name)
	return f
}

// SearchThrough makes the indexed search go through fn, a function
// returning the IDs (compared with key) whose search column matches.
func (f *Fields) SearchThrough(fn, key string) *Fields {
	f.searchIDs, f.searchKey = fn, key
	return f
}

// PublicSearch sets the search expression used for callers who may not
// read the sensitive fields that the indexed search column includes.
func (f *Fields) PublicSearch(expr string) *Fields {
	f.searchPublic = expr
	return f
}

// Facet adds a facet: counts of rows grouped by expr.
func (f *Fields) Facet(name, expr string) *Fields {
	f.facets[name] = expr
	return f
}

// withExists is a copy of the table whose relation field name uses the
// subquery exists instead.
func (f *Fields) withExists(name, exists string) *Fields {
	c, ok := f.cols[name]
	if !ok || c.Exists == "" {
		panic("db: " + name + " is not a relation field")
	}
	out := *f
	out.cols = make(map[string]Column, len(f.cols))
	for k, v := range f.cols {
		out.cols[k] = v
	}
	c.Exists = exists
	out.cols[name] = c
	return &out
}

// Set is the field table the query syntax parser resolves names with.
func (f *Fields) Set() *filter.FieldSet { return f.set }

// FilterNames are the canonical names of the filterable fields, sorted.
func (f *Fields) FilterNames() []string { return f.set.Names() }

// SortNames are the orderBy values the list accepts, sorted.
func (f *Fields) SortNames() []string { return slices.Sorted(maps.Keys(f.sorts)) }

// FacetNames are the facets the list can count, sorted.
func (f *Fields) FacetNames() []string { return slices.Sorted(maps.Keys(f.facets)) }

// compiler turns a filter tree into a SQL predicate with ? placeholders.
type compiler struct {
	fields     *Fields
	restricted bool // the caller may not read sensitive fields
	args       []any
	conds      int
}

func (c *compiler) expr(e *filter.Expr, depth int) (string, error) {
	if depth > filter.MaxDepth {
		return "", &model.InputError{Arg: "filter", Msg: fmt.Sprintf("nested more than %d levels deep", filter.MaxDepth)}
	}
	switch {
	case e.Cond != nil:
		c.conds++
		if c.conds > filter.MaxConditions {
			return "", &model.InputError{Arg: "filter", Msg: fmt.Sprintf("more than %d conditions", filter.MaxConditions)}
		}
		return c.cond(e.Cond)
	case e.Not != nil:
		inner, err := c.expr(e.Not, depth+1)
		if err != nil {
			return "", err
		}
		// COALESCE: a condition on a NULL field is unknown, and NOT of
		// unknown would drop the row; "not Pop" must keep a row with no genre.
		return "NOT COALESCE(" + inner + ", false)", nil
	case e.And != nil || e.Or != nil:
		parts, joiner := e.And, " AND "
		if e.Or != nil {
			parts, joiner = e.Or, " OR "
		}
		if len(parts) == 0 {
			return "true", nil
		}
		out := make([]string, 0, len(parts))
		for _, p := range parts {
			s, err := c.expr(p, depth+1)
			if err != nil {
				return "", err
			}
			out = append(out, s)
		}
		return "(" + strings.Join(out, joiner) + ")", nil
	}
	return "true", nil
}

func (c *compiler) bind(v any) string {
	c.args = append(c.args, v)
	return "?"
}

// badValue is the BAD_USER_INPUT error about a condition as a whole (its
// field or operation), naming the field; from the query syntax it points
// at the term, like a syntax error.
func badValue(cond *filter.Cond, format string, args ...any) error {
	return badValueAt(cond, -1, format, args...)
}

// badValueAt is the BAD_USER_INPUT error about the i-th value of a
// condition; from the query syntax it points at that value.
func badValueAt(cond *filter.Cond, i int, format string, args ...any) error {
	msg := fmt.Sprintf(format, args...)
	if pos := cond.PosOf(i); pos >= 0 {
		return &filter.SyntaxError{Pos: pos, Msg: msg}
	}
	return &model.InputError{Arg: "filter." + cond.Field, Msg: msg}
}

func (c *compiler) cond(cond *filter.Cond) (string, error) {
	if cond.Op == filter.OpSearch {
		return c.search(cond)
	}
	col, ok := c.fields.cols[cond.Field]
	if !ok {
		return "", badValue(cond, "unknown field %q", cond.Field)
	}
	if col.Sensitive && c.restricted {
		return "", &model.ForbiddenError{Msg: fmt.Sprintf("filtering on %s needs the members:contacts permission (ADMIN or OWNER)", cond.Field)}
	}
	if col.Exists != "" {
		return c.relation(col, cond)
	}
	return c.compare(col, col.Expr, cond)
}

// compare renders one condition on a plain column.
func (c *compiler) compare(col Column, expr string, cond *filter.Cond) (string, error) {
	one := func() (any, error) {
		if len(cond.Values) != 1 {
			return nil, badValue(cond, "%s takes one value", cond.Op)
		}
		return c.value(col, cond, 0)
	}
	many := func() (any, error) {
		if len(cond.Values) == 0 {
			return nil, badValue(cond, "%s needs at least one value", cond.Op)
		}
		if len(cond.Values) > filter.MaxValues {
			return nil, badValue(cond, "%s takes at most %d values", cond.Op, filter.MaxValues)
		}
		vals := make([]string, len(cond.Values))
		for i := range cond.Values {
			tv, err := c.value(col, cond, i)
			if err != nil {
				return nil, err
			}
			vals[i] = sqlText(tv)
		}
		return pq.StringArray(vals), nil
	}
	if col.Kind == filter.KindTime && namesDay(cond) {
		return c.days(col, expr, cond)
	}
	cast := "::" + col.Type
	switch cond.Op {
	case filter.OpEq, filter.OpNe, filter.OpGt, filter.OpGte, filter.OpLt, filter.OpLte:
		if (cond.Op != filter.OpEq && cond.Op != filter.OpNe) && !ordered(col.Kind) {
			return "", badValue(cond, "%s cannot be compared with %s", cond.Field, cond.Op)
		}
		v, err := one()
		if err != nil {
			return "", err
		}
		op := map[filter.Op]string{filter.OpEq: "=", filter.OpNe: "IS DISTINCT FROM", filter.OpGt: ">",
			filter.OpGte: ">=", filter.OpLt: "<", filter.OpLte: "<="}[cond.Op]
		return expr + " " + op + " " + c.bind(v) + cast, nil
	case filter.OpIn:
		v, err := many()
		if err != nil {
			return "", err
		}
		return expr + " = ANY(" + c.bind(v) + cast + "[])", nil
	case filter.OpNotIn:
		v, err := many()
		if err != nil {
			return "", err
		}
		return "(" + expr + " IS NULL OR " + expr + " <> ALL(" + c.bind(v) + cast + "[]))", nil
	case filter.OpContains, filter.OpStartsWith, filter.OpLike:
		if col.Kind != filter.KindText && col.Kind != filter.KindID {
			return "", badValue(cond, "%s does not take text patterns", cond.Field)
		}
		if len(cond.Values) != 1 {
			return "", badValue(cond, "%s takes one value", cond.Op)
		}
		s, ok := cond.Values[0].(string)
		if !ok {
			return "", badValueAt(cond, 0, "%s takes a string", cond.Op)
		}
		if utf8.RuneCountInString(s) > filter.MaxPatternLen {
			return "", badValueAt(cond, 0, "pattern longer than %d characters", filter.MaxPatternLen)
		}
		if msg := badText(s); msg != "" {
			return "", badValue(cond, "%s", msg)
		}
		var pattern string
		switch cond.Op {
		case filter.OpContains:
			pattern = "%" + escapeLike(s) + "%"
		case filter.OpStartsWith:
			pattern = escapeLike(s) + "%"
		default:
			pattern = strings.ReplaceAll(escapeLike(s), "*", "%")
		}
		if col.PatternIDs != "" {
			return col.IDCol + " IN (SELECT " + col.PatternIDs + "(" + c.bind(pattern) + "))", nil
		}
		if col.Kind == filter.KindID {
			expr += "::text"
		}
		return expr + " ILIKE " + c.bind(pattern), nil
	case filter.OpIsNull:
		isNull, err := boolValue(cond)
		if err != nil {
			return "", err
		}
		if isNull {
			return expr + " IS NULL", nil
		}
		return expr + " IS NOT NULL", nil
	}
	return "", badValue(cond, "unknown operation %q", cond.Op)
}

// relation renders a condition on a related row through EXISTS.
func (c *compiler) relation(col Column, cond *filter.Cond) (string, error) {
	switch cond.Op {
	case filter.OpIsNull:
		isNull, err := boolValue(cond)
		if err != nil {
			return "", err
		}
		if isNull {
			return "NOT EXISTS (" + col.Exists + ")", nil
		}
		return "EXISTS (" + col.Exists + ")", nil
	case filter.OpNe, filter.OpNotIn:
		pos := *cond
		pos.Op = filter.OpIn
		inner, err := c.compare(col, col.Expr, &pos)
		if err != nil {
			return "", err
		}
		return "NOT EXISTS (" + col.Exists + " AND " + inner + ")", nil
	}
	inner, err := c.compare(col, col.Expr, cond)
	if err != nil {
		return "", err
	}
	return "EXISTS (" + col.Exists + " AND " + inner + ")", nil
}

// search renders free text: every word must occur in the list's folded
// search column, which a trigram index serves.
func (c *compiler) search(cond *filter.Cond) (string, error) {
	column := c.fields.search
	if c.restricted && c.fields.searchPublic != "" {
		column = c.fields.searchPublic
	}
	if column == "" {
		return "", badValue(cond, "this list has no free-text search")
	}
	var words []string
	for i, v := range cond.Values {
		s, ok := v.(string)
		if !ok {
			return "", badValueAt(cond, i, "search takes a string")
		}
		if utf8.RuneCountInString(s) > filter.MaxPatternLen {
			return "", badValueAt(cond, i, "search text longer than %d characters", filter.MaxPatternLen)
		}
		if msg := badText(s); msg != "" {
			return "", badValue(cond, "%s", msg)
		}
		words = append(words, strings.Fields(s)...)
	}
	if len(words) == 0 {
		return "true", nil
	}
	parts := make([]string, len(words))
	for i, w := range words {
		pattern := "'%' || catalogue_fold(" + c.bind(escapeLike(w)) + ") || '%'"
		if column == c.fields.search && c.fields.searchIDs != "" {
			parts[i] = c.fields.searchKey + " IN (SELECT " + c.fields.searchIDs + "(" + pattern + "))"
		} else {
			parts[i] = column + " LIKE " + pattern
		}
	}
	return "(" + strings.Join(parts, " AND ") + ")", nil
}

func ordered(k filter.Kind) bool {
	return k == filter.KindText || k == filter.KindTime || k == filter.KindDate || k == filter.KindInt
}

func boolValue(cond *filter.Cond) (bool, error) {
	if len(cond.Values) == 1 {
		switch v := cond.Values[0].(type) {
		case bool:
			return v, nil
		case string:
			if b, err := strconv.ParseBool(v); err == nil {
				return b, nil
			}
		}
	}
	return false, badValueAt(cond, 0, "isNull takes true or false")
}

// badText says why PostgreSQL would refuse s as text, or "" if it would
// not: invalid UTF-8, or a NUL character, which no text value can hold.
func badText(s string) string {
	switch {
	case !utf8.ValidString(s):
		return "text that is not valid UTF-8"
	case strings.IndexByte(s, 0) >= 0:
		return "text cannot contain the NUL character (U+0000)"
	}
	return ""
}

// escapeLike makes LIKE metacharacters in user text literal.
func escapeLike(s string) string {
	return strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(s)
}

// value reads the i-th value of a condition for a column: typed input
// arrives as Go values, the query syntax as strings; both are checked here
// so that only well-formed values are bound. An error points at the value.
func (c *compiler) value(col Column, cond *filter.Cond, i int) (any, error) {
	v := cond.Values[i]
	switch col.Kind {
	case filter.KindText:
		s, ok := v.(string)
		if !ok {
			return nil, badValueAt(cond, i, "expected a string, got %v", v)
		}
		if utf8.RuneCountInString(s) > filter.MaxPatternLen {
			return nil, badValueAt(cond, i, "value longer than %d characters", filter.MaxPatternLen)
		}
		if msg := badText(s); msg != "" {
			return nil, badValue(cond, "%s", msg)
		}
		return s, nil
	case filter.KindID:
		s, ok := v.(string)
		if !ok {
			return nil, badValueAt(cond, i, "expected an ID, got %v", v)
		}
		if u, err := uuid.Parse(s); err == nil && len(s) == 36 {
			return u.String(), nil
		}
		id, err := model.DecodeIDOf(model.NodeType(col.IDType), s)
		if err != nil {
			if _, _, err2 := model.DecodeID(s); err2 != nil {
				return nil, badValueAt(cond, i, "Invalid UUID string: %s", s)
			}
			return nil, badValueAt(cond, i, "%v", err)
		}
		return id, nil
	case filter.KindTime:
		switch t := v.(type) {
		case time.Time:
			return t, nil
		case string:
			for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05", "2006-01-02"} {
				if tt, err := time.Parse(layout, t); err == nil {
					return tt, nil
				}
			}
		}
		return nil, badValueAt(cond, i, "invalid date-time %v, want RFC 3339 such as 2025-01-31T12:00:00Z or a date 2025-01-31", v)
	case filter.KindDate:
		var d time.Time
		ok := true
		switch t := v.(type) {
		case model.Date:
			d = t.Time
		case *model.Date:
			d = t.Time
		case string:
			var err error
			d, err = time.Parse("2006-01-02", t)
			ok = err == nil
		default:
			ok = false
		}
		// Year 0 is a date PostgreSQL cannot read in this notation.
		if !ok || d.Year() < 1 {
			return nil, badValueAt(cond, i, "invalid date %v, want YYYY-MM-DD from 0001-01-01", v)
		}
		return d.Format("2006-01-02"), nil
	case filter.KindEnum:
		s, ok := v.(string)
		if ok {
			s = strings.ToUpper(s)
			for _, e := range col.Enum {
				if e == s {
					return s, nil
				}
			}
		}
		return nil, badValueAt(cond, i, "invalid value %v for %s, want one of %s", v, cond.Field, strings.Join(col.Enum, ", "))
	case filter.KindBool:
		switch b := v.(type) {
		case bool:
			return b, nil
		case string:
			if bb, err := strconv.ParseBool(b); err == nil {
				return bb, nil
			}
		}
		return nil, badValueAt(cond, i, "invalid boolean %v", v)
	case filter.KindInt:
		n, ok := intValue(v)
		if !ok {
			return nil, badValueAt(cond, i, "invalid integer %v", v)
		}
		// Integer columns are PostgreSQL integers: 32 bits, like GraphQL's Int.
		if n < math.MinInt32 || n > math.MaxInt32 {
			return nil, badValueAt(cond, i, "integer %v is out of range (a 32-bit integer: %d to %d)", v, math.MinInt32, math.MaxInt32)
		}
		return n, nil
	}
	return nil, badValueAt(cond, i, "unsupported field")
}

// intValue reads an integer from typed input or the query syntax.
func intValue(v any) (int64, bool) {
	switch n := v.(type) {
	case int:
		return int64(n), true
	case int64:
		return n, true
	case interface{ Int64() (int64, error) }:
		i, err := n.Int64()
		return i, err == nil
	case string:
		i, err := strconv.ParseInt(n, 10, 64)
		return i, err == nil
	}
	return 0, false
}

// sqlText renders a checked value as the text PostgreSQL casts from, for
// array parameters.
func sqlText(v any) string {
	switch t := v.(type) {
	case time.Time:
		return t.Format(time.RFC3339Nano)
	case string:
		return t
	default:
		return fmt.Sprint(t)
	}
}
