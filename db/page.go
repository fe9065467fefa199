package db

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"reflect"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/jmoiron/sqlx/reflectx"
	"github.com/lib/pq"

	"catalogue/db/model"
)

// Page sizes of every connection.
const (
	DefaultPageSize = 20
	MaxPageSize     = 500
)

// PageArgs are validated Relay pagination arguments. The struct is
// comparable so that it can be part of a dataloader key.
type PageArgs struct {
	Limit    int    // rows wanted on the page
	Backward bool   // true for last/before paging
	After    string // raw cursor, "" when absent
	Before   string // raw cursor, "" when absent
	Offset   int    // rows skipped after the cursor, for page-number UIs
}

// MaxOffset bounds offset: deep offsets make PostgreSQL read and discard
// every skipped row, which cursors avoid.
const MaxOffset = 100_000

// NewPageArgs validates first/after/last/before as the Relay spec reads
// them: first pages forward from after, last pages backward from before.
func NewPageArgs(first *int, after *string, last *int, before *string) (PageArgs, error) {
	return NewPageArgsOffset(first, after, last, before, nil)
}

// NewPageArgsOffset is NewPageArgs with an offset, which skips rows after
// the cursor (or the start) when paging forward.
func NewPageArgsOffset(first *int, after *string, last *int, before *string, offset *int) (PageArgs, error) {
	var pa PageArgs
	if offset != nil {
		switch {
		case *offset < 0:
			return pa, &model.InputError{Arg: "offset", Msg: fmt.Sprintf("must not be negative, got %d", *offset)}
		case *offset > MaxOffset:
			return pa, &model.InputError{Arg: "offset", Msg: fmt.Sprintf("must be at most %d, got %d; use cursors to go deeper", MaxOffset, *offset)}
		case last != nil || before != nil:
			return pa, &model.InputError{Arg: "offset", Msg: "offset pages forward; it cannot be combined with last or before"}
		}
		pa.Offset = *offset
	}
	if first != nil && last != nil {
		return pa, &model.InputError{Arg: "first", Msg: "pass either first or last, not both"}
	}
	check := func(name string, n *int) error {
		if *n < 0 {
			return &model.InputError{Arg: name, Msg: fmt.Sprintf("must not be negative, got %d", *n)}
		}
		if *n > MaxPageSize {
			return &model.InputError{Arg: name, Msg: fmt.Sprintf("must be at most %d, got %d", MaxPageSize, *n)}
		}
		return nil
	}
	switch {
	case first != nil:
		if err := check("first", first); err != nil {
			return pa, err
		}
		pa.Limit = *first
	case last != nil:
		if err := check("last", last); err != nil {
			return pa, err
		}
		pa.Limit, pa.Backward = *last, true
	default:
		pa.Limit = DefaultPageSize
		// A client that passes only before wants the items just before it.
		pa.Backward = before != nil && after == nil
	}
	if after != nil {
		pa.After = *after
	}
	if before != nil {
		pa.Before = *before
	}
	return pa, nil
}

// OrderKey is one column of an ordering.
type OrderKey struct {
	Col      string // SQL expression
	Type     string // PostgreSQL type the cursor value is cast to: timestamptz, text, int, uuid
	Desc     bool
	Nullable bool // NULLs sort last in either direction
	// Sensitive keys sort by fields not every caller may read.
	Sensitive bool
}

// Order is a total order over a list: its last key must be unique.
type Order struct {
	Name string // part of every cursor, so a cursor only fits its ordering
	Keys []OrderKey
}

// ListSpec describes where the rows of one kind of connection come from.
type ListSpec struct {
	Name   string // e.g. "Tenant.artists", used in cursors and errors
	Select string // select list
	From   string // FROM clause with joins
	Parent string // column compared with the parent IDs of a nested list
	// ScopePred restricts rows to the caller's tenants; its single ?
	// receives the tenant ID array.
	ScopePred string
	Where     string // fixed extra predicate, optional
	Order     Order  // default order
	// TenantTree marks a list whose parent is a tenant, where the client
	// may include the rows of the tenant's subsidiaries.
	TenantTree bool
	// TreeWhere, on a TenantTree list whose rows can repeat a node across
	// the tenants of a tree, is the predicate that keeps one row per node
	// when subsidiaries are included. It may use p.parent (the list's
	// tenant) and p.tree (its subtree), which nested statements provide.
	TreeWhere string
	// Fields are the filterable and sortable fields; nil for a list that
	// only pages.
	Fields *Fields
	// TreeFields, when set, replace Fields for filters when subsidiaries
	// are included (same names; a relation may then look at p.tree).
	TreeFields *Fields
	// CountFrom, when set, is a cheaper FROM clause that counts the same
	// rows when no filter applies (the joins of From only add columns).
	CountFrom string
	// Counted, when set, names a table (tenant_id, members) that triggers
	// keep at the size of every parent tenant's unfiltered list (Hidden
	// applied): an unfiltered count of the nested list reads it instead of
	// counting rows. With subsidiaries it is read only where the tree is
	// the parent alone, as per-tenant numbers cannot count a node once
	// across a tree; there the rows are counted.
	Counted string
	// Hidden is a predicate applied unless the filter names HiddenUnless:
	// terminated users leave member lists unless a filter asks for them.
	Hidden       string
	HiddenUnless string
}

// List is a ListSpec whose rows scan into T, so that callers cannot read a
// list into the wrong type.
type List[T any] struct{ ListSpec }

// Page is one page of rows. Cursors are made on demand from the sort
// values read with each row: most queries select only pageInfo's two.
type Page[T any] struct {
	Parent          string // the parent of a nested list's page
	Rows            []*T
	HasNextPage     bool
	HasPreviousPage bool
	keys            []string // raw sort values of each row
	c               *Compiled
}

// Cursor is the opaque cursor of row i.
func (p *Page[T]) Cursor(i int) string { return p.c.cursorOf(p.keys[i]) }

// cursorPayload is the decoded content of a cursor: the ordering it was
// made for and the sort values of its row.
type cursorPayload struct {
	List   string          `json:"l"`
	Order  string          `json:"o"`
	Filter string          `json:"f,omitempty"`
	Keys   json.RawMessage `json:"k"`
}

func (c *Compiled) cursorOf(keys string) string {
	b, _ := json.Marshal(cursorPayload{List: c.spec.Name, Order: c.order.Name, Filter: c.filterHash, Keys: json.RawMessage(keys)})
	return base64.RawURLEncoding.EncodeToString(b)
}

// decodeCursor checks that a cursor was made for this list and ordering and
// returns its sort values typed for binding.
func decodeCursor(arg, raw string, c *Compiled) ([]any, error) {
	spec, order := c.spec, c.order
	bad := func(why string) error {
		return &model.InputError{Arg: arg, Msg: fmt.Sprintf("invalid cursor %q: %s", truncate(raw, 80), why)}
	}
	b, err := base64.RawURLEncoding.DecodeString(raw)
	if err != nil {
		return nil, bad("not a cursor of this API")
	}
	var p cursorPayload
	if err := json.Unmarshal(b, &p); err != nil || len(p.Keys) == 0 {
		return nil, bad("not a cursor of this API")
	}
	if p.List != spec.Name || p.Order != order.Name {
		// The cursor's own names are the client's text: quoted bounded.
		return nil, bad(fmt.Sprintf("it was made for %s ordered by %s, not for %s ordered by %s",
			truncate(p.List, 80), truncate(p.Order, 80), spec.Name, order.Name))
	}
	if p.Filter != c.filterHash {
		return nil, bad("it was made for another filter; start again without after/before when the filter changes")
	}
	dec := json.NewDecoder(bytes.NewReader(p.Keys))
	dec.UseNumber()
	var vals []any
	if err := dec.Decode(&vals); err != nil || len(vals) != len(order.Keys) {
		return nil, bad("malformed sort values")
	}
	out := make([]any, len(vals))
	for i, k := range order.Keys {
		v, err := typedValue(k, vals[i])
		if err != nil {
			return nil, bad(err.Error())
		}
		out[i] = v
	}
	return out, nil
}

// typedValue converts one JSON sort value to the Go value bound for key k,
// so that a forged cursor can never reach PostgreSQL as a malformed literal.
func typedValue(k OrderKey, v any) (any, error) {
	if v == nil {
		if !k.Nullable {
			return nil, fmt.Errorf("missing sort value")
		}
		return nil, nil
	}
	switch k.Type {
	case "timestamptz":
		s, ok := v.(string)
		if !ok {
			return nil, fmt.Errorf("bad time value")
		}
		t, err := time.Parse(time.RFC3339Nano, s)
		if err != nil {
			return nil, fmt.Errorf("bad time value")
		}
		return t, nil
	case "uuid":
		s, ok := v.(string)
		if !ok {
			return nil, fmt.Errorf("bad id value")
		}
		u, err := uuid.Parse(s)
		if err != nil {
			return nil, fmt.Errorf("bad id value")
		}
		return u.String(), nil
	case "int":
		n, ok := v.(json.Number)
		if !ok {
			return nil, fmt.Errorf("bad number value")
		}
		// Cast to int: PostgreSQL's 32-bit integer.
		i, err := strconv.ParseInt(n.String(), 10, 32)
		if err != nil {
			return nil, fmt.Errorf("bad number value")
		}
		return i, nil
	case "date":
		s, ok := v.(string)
		if !ok {
			return nil, fmt.Errorf("bad date value")
		}
		if d, err := time.Parse("2006-01-02", s); err != nil || d.Year() < 1 {
			return nil, fmt.Errorf("bad date value")
		}
		return s, nil
	case "bool":
		b, ok := v.(bool)
		if !ok {
			return nil, fmt.Errorf("bad boolean value")
		}
		return b, nil
	default:
		s, ok := v.(string)
		if !ok || badText(s) != "" {
			return nil, fmt.Errorf("bad text value")
		}
		return s, nil
	}
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}

// keyset builds the predicate selecting rows strictly after (forward) or
// before the cursor values in the given order. NULLs sort last: a NULL sort
// value is greater than any value in ascending order and in descending order.
func keyset(keys []OrderKey, vals []any, after bool) (string, []any) {
	// Fast path: no NULLs and one direction: a row comparison, which
	// PostgreSQL matches against a composite index.
	uniform := true
	for _, k := range keys {
		if k.Nullable || k.Desc != keys[0].Desc {
			uniform = false
		}
	}
	if uniform {
		cols := make([]string, len(keys))
		ph := make([]string, len(keys))
		for i, k := range keys {
			cols[i] = k.Col
			ph[i] = "?::" + k.Type
		}
		op := ">"
		if keys[0].Desc == after {
			op = "<"
		}
		return "(" + strings.Join(cols, ", ") + ") " + op + " (" + strings.Join(ph, ", ") + ")", vals
	}
	// General form: (k1 > v1) OR (k1 = v1 AND k2 > v2) OR ...
	var ors []string
	var args []any
	var eqs []string
	var eqArgs []any
	for i, k := range keys {
		gt, gtArgs := strictAfter(k, vals[i], after)
		if gt != "" {
			term := append(append([]string{}, eqs...), gt)
			ors = append(ors, "("+strings.Join(term, " AND ")+")")
			args = append(append(args, eqArgs...), gtArgs...)
		}
		if vals[i] == nil {
			eqs = append(eqs, k.Col+" IS NULL")
		} else {
			eqs = append(eqs, k.Col+" = ?::"+k.Type)
			eqArgs = append(eqArgs, vals[i])
		}
	}
	if len(ors) == 0 {
		return "false", nil
	}
	return "(" + strings.Join(ors, " OR ") + ")", args
}

// strictAfter is the predicate "column comes after v" for one key.
func strictAfter(k OrderKey, v any, after bool) (string, []any) {
	// Ascending and after, or descending and before: larger values.
	op := "<"
	if k.Desc != after {
		op = ">"
	}
	// With NULLS LAST in both directions, NULL is the last value whichever way.
	if v == nil {
		if after {
			return "", nil // nothing sorts after NULL
		}
		return k.Col + " IS NOT NULL", nil
	}
	cmp := k.Col + " " + op + " ?::" + k.Type
	if k.Nullable && after {
		return "(" + cmp + " OR " + k.Col + " IS NULL)", []any{v}
	}
	return cmp, []any{v}
}

// orderBy renders the ORDER BY list; reverse flips every key for backward paging.
func orderBy(keys []OrderKey, reverse bool) string {
	parts := make([]string, len(keys))
	for i, k := range keys {
		desc := k.Desc != reverse
		s := k.Col
		if desc {
			s += " DESC"
		} else {
			s += " ASC"
		}
		if k.Nullable {
			if reverse {
				s += " NULLS FIRST"
			} else {
				s += " NULLS LAST"
			}
		}
		parts[i] = s
	}
	return strings.Join(parts, ", ")
}

func cursorExpr(keys []OrderKey) string {
	cols := make([]string, len(keys))
	for i, k := range keys {
		cols[i] = k.Col
	}
	return "json_build_array(" + strings.Join(cols, ", ") + ")::text"
}

// listQuery renders the inner query of a page: the columns sel of the rows
// of the compiled list matching the scope, filter and cursors, limited to
// one more row than asked so that the caller knows whether another page
// follows.
func listQuery(c *Compiled, sc Scope, pa PageArgs, parentPred, sel string) (string, []any, error) {
	where, args := c.predicates(sc, parentPred)
	for _, cur := range []struct {
		arg, raw string
		after    bool
	}{{"after", pa.After, true}, {"before", pa.Before, false}} {
		if cur.raw == "" {
			continue
		}
		vals, err := decodeCursor(cur.arg, cur.raw, c)
		if err != nil {
			return "", nil, err
		}
		pred, pargs := keyset(c.order.Keys, vals, cur.after)
		where = append(where, pred)
		args = append(args, pargs...)
	}
	spec := c.spec
	q := "SELECT " + sel + ", " + cursorExpr(c.order.Keys) + " AS _cursor FROM " + spec.From
	if len(where) > 0 {
		q += " WHERE " + strings.Join(where, " AND ")
	}
	q += " ORDER BY " + orderBy(c.order.Keys, pa.Backward) + " LIMIT " + strconv.Itoa(pa.Limit+1)
	if pa.Offset > 0 {
		q += " OFFSET " + strconv.Itoa(pa.Offset)
	}
	return q, args, nil
}

// countFrom is the FROM clause of counts: without a filter, joins that only
// add columns are left out.
func (c *Compiled) countFrom() string {
	if c.where == "" && c.spec.CountFrom != "" {
		return c.spec.CountFrom
	}
	return c.spec.From
}

// predicates are the conditions every statement over the list applies:
// parent, tenant scope, the list's fixed predicate and the client's filter.
func (c *Compiled) predicates(sc Scope, parentPred string) ([]string, []any) {
	var where []string
	var args []any
	if parentPred != "" {
		where = append(where, parentPred)
	}
	if !sc.all {
		where = append(where, c.spec.ScopePred)
		args = append(args, pq.Array(sc.tenants))
	}
	if c.spec.Where != "" {
		where = append(where, c.spec.Where)
	}
	if c.tree && c.spec.TreeWhere != "" {
		where = append(where, c.spec.TreeWhere)
	}
	if c.hidden != "" {
		where = append(where, c.hidden)
	}
	if c.where != "" {
		where = append(where, c.where)
		args = append(args, c.args...)
	}
	return where, args
}

// parents renders the relation p(parent, tree) of a nested statement and
// the predicate tying a row to its parent: the parent itself, or with
// subsidiaries the parent tenant's whole subtree. OFFSET 0 keeps the
// subquery from being pulled up, so that p.tree is computed once per
// parent even where a correlated subquery (TreeWhere) reads it per row.
func (c *Compiled) parents() (from, pred string) {
	if c.tree {
		return "(SELECT parent, tenant_subtree(parent) AS tree FROM unnest(?::uuid[]) AS ids(parent) OFFSET 0) p",
			c.spec.Parent + " = ANY(p.tree)"
	}
	return "unnest(?::uuid[]) AS p(parent)", c.spec.Parent + " = p.parent"
}

// ListPage reads the columns cols (AllColumns for whole rows) of one page
// of a top-level list.
func ListPage[T any](ctx context.Context, s Querier, list *List[T], c *Compiled, sc Scope, cols Cols, pa PageArgs) (*Page[T], error) {
	if c.spec != &list.ListSpec {
		return nil, fmt.Errorf("query compiled for %s used on %s", c.spec.Name, list.Name)
	}
	q, args, err := listQuery(c, sc, pa, "", list.Columns().selectList(cols))
	if err != nil {
		return nil, err
	}
	pages, err := scanPages[T](ctx, s, c, q, args, pa)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", list.Name, err)
	}
	if p, ok := pages[""]; ok {
		return p, nil
	}
	return emptyPage[T](pa), nil
}

// ListPages reads one page of a nested list for each parent in a single
// statement: a LATERAL join runs the page query once per parent ID, so each
// parent gets its own LIMIT and the cost stays one statement per level.
// Only the columns cols are read (AllColumns for whole rows).
func ListPages[T any](ctx context.Context, s Querier, list *List[T], c *Compiled, sc Scope, cols Cols, parents []string, pa PageArgs) (map[string]*Page[T], error) {
	if c.spec != &list.ListSpec {
		return nil, fmt.Errorf("query compiled for %s used on %s", c.spec.Name, list.Name)
	}
	from, pred := c.parents()
	inner, args, err := listQuery(c, sc, pa, pred, list.Columns().selectList(cols))
	if err != nil {
		return nil, err
	}
	q := "SELECT p.parent AS _parent, r.* FROM " + from + " CROSS JOIN LATERAL (" + inner + ") r"
	pages, err := scanPages[T](ctx, s, c, q, append([]any{pq.Array(parents)}, args...), pa)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", list.Name, err)
	}
	for _, p := range parents {
		if _, ok := pages[p]; !ok {
			pages[p] = emptyPage[T](pa)
			pages[p].Parent = p
		}
	}
	return pages, nil
}

func emptyPage[T any](pa PageArgs) *Page[T] {
	return &Page[T]{HasNextPage: pa.Backward && pa.Before != "", HasPreviousPage: !pa.Backward && (pa.After != "" || pa.Offset > 0)}
}

// keyed is a scanned row with the bookkeeping columns read beside it.
type keyed[T any] struct {
	key, cursor string
	row         *T
}

// scanKeyed runs a query and scans each row into a T, except the columns
// _parent (or _key) and _cursor, which it returns beside the row. Models
// stay free of list bookkeeping this way.
func scanKeyed[T any](ctx context.Context, s Querier, q string, args []any) ([]keyed[T], error) {
	defer track(ctx, false, q)()
	rows, release, err := s.query(ctx, q, args...)
	if err != nil {
		return nil, mapError(err)
	}
	defer release()
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		return nil, err
	}
	var zero T
	trav := s.mapper().Mapper.TraversalsByName(reflect.TypeOf(zero), cols)
	var out []keyed[T]
	for rows.Next() {
		k := keyed[T]{row: new(T)}
		v := reflect.ValueOf(k.row).Elem()
		dest := make([]any, len(cols))
		for i, c := range cols {
			switch {
			case c == "_parent" || c == "_key":
				dest[i] = &k.key
			case c == "_cursor":
				dest[i] = &k.cursor
			case len(trav[i]) == 0:
				return nil, fmt.Errorf("column %s has no field in %T", c, zero)
			default:
				dest[i] = reflectx.FieldByIndexes(v, trav[i]).Addr().Interface()
			}
		}
		if err := rows.Scan(dest...); err != nil {
			return nil, err
		}
		out = append(out, k)
	}
	if err := rows.Err(); err != nil {
		return nil, mapError(err)
	}
	return out, nil
}

// scanPages runs a page query and splits its rows by the _parent column
// ("" for a top-level list), trimming the extra look-ahead row.
func scanPages[T any](ctx context.Context, s Querier, c *Compiled, q string, args []any, pa PageArgs) (map[string]*Page[T], error) {
	rows, err := scanKeyed[T](ctx, s, q, args)
	if err != nil {
		return nil, err
	}
	pages := map[string]*Page[T]{}
	for _, r := range rows {
		p := pages[r.key]
		if p == nil {
			p = &Page[T]{Parent: r.key, c: c}
			pages[r.key] = p
		}
		p.Rows = append(p.Rows, r.row)
		p.keys = append(p.keys, r.cursor)
	}
	for _, p := range pages {
		finishPage(p, pa)
	}
	return pages, nil
}

// finishPage drops the look-ahead row, restores the requested order of a
// backward page and sets the page flags.
func finishPage[T any](p *Page[T], pa PageArgs) {
	more := len(p.Rows) > pa.Limit
	if more {
		p.Rows, p.keys = p.Rows[:pa.Limit], p.keys[:pa.Limit]
	}
	if pa.Backward {
		for i, j := 0, len(p.Rows)-1; i < j; i, j = i+1, j-1 {
			p.Rows[i], p.Rows[j] = p.Rows[j], p.Rows[i]
			p.keys[i], p.keys[j] = p.keys[j], p.keys[i]
		}
		p.HasPreviousPage, p.HasNextPage = more, pa.Before != ""
	} else {
		p.HasNextPage, p.HasPreviousPage = more, pa.After != "" || pa.Offset > 0
	}
}

// Count counts a top-level list.
func Count(ctx context.Context, s Querier, c *Compiled, sc Scope) (int, error) {
	where, args := c.predicates(sc, "")
	q := "SELECT count(*) FROM " + c.countFrom()
	if len(where) > 0 {
		q += " WHERE " + strings.Join(where, " AND ")
	}
	var n int
	if err := getRow(ctx, s, &n, q, args...); err != nil {
		return 0, fmt.Errorf("count %s: %w", c.spec.Name, err)
	}
	return n, nil
}

// CountByParent counts a nested list for many parents in one statement.
func CountByParent(ctx context.Context, s Querier, c *Compiled, sc Scope, parents []string) (map[string]int, error) {
	from, pred := c.parents()
	where, args := c.predicates(sc, pred)
	matching := c.countFrom() + " WHERE " + strings.Join(where, " AND ")
	count := "SELECT count(*) AS n FROM " + matching
	if c.where == "" && c.spec.Counted != "" {
		// Unfiltered: read the kept number where it is exact.
		kept := "coalesce((SELECT k.members FROM " + c.spec.Counted + " k WHERE k.tenant_id = p.parent"
		var keptArgs []any
		if !sc.all {
			kept += " AND k.tenant_id = ANY(?::uuid[])"
			keptArgs = append(keptArgs, pq.Array(sc.tenants))
		}
		kept += "), 0)"
		if c.tree {
			count = "SELECT CASE WHEN cardinality(p.tree) = 1 THEN " + kept + " ELSE (SELECT count(*) FROM " + matching + ") END AS n"
			args = append(keptArgs, args...)
		} else {
			count, args = "SELECT "+kept+" AS n", keptArgs
		}
	}
	q := "SELECT p.parent AS parent, n.n FROM " + from + " CROSS JOIN LATERAL (" + count + ") n"
	var rows []struct {
		Parent string `db:"parent"`
		N      int    `db:"n"`
	}
	if err := selectRows(ctx, s, &rows, q, append([]any{pq.Array(parents)}, args...)...); err != nil {
		return nil, fmt.Errorf("count %s: %w", c.spec.Name, err)
	}
	out := make(map[string]int, len(parents))
	for _, r := range rows {
		out[r.Parent] = r.N
	}
	return out, nil
}

// Bucket is one value of a facet and the number of rows that have it.
type Bucket = model.FacetBucket

// FacetsByParent counts the filtered rows of a nested list grouped by one
// facet, for many parents in one statement, ignoring pagination. Buckets
// come most frequent first, then by value.
func FacetsByParent(ctx context.Context, s Querier, c *Compiled, sc Scope, facet string, parents []string) (map[string][]Bucket, error) {
	expr, ok := c.spec.facet(facet)
	if !ok {
		return nil, fmt.Errorf("%s has no facet %q", c.spec.Name, facet)
	}
	from, pred := c.parents()
	where, args := c.predicates(sc, pred)
	q := "SELECT p.parent AS parent, f.value, f.n FROM " + from + " CROSS JOIN LATERAL (SELECT (" + expr + ")::text AS value, count(*) AS n FROM " +
		c.spec.From + " WHERE " + strings.Join(where, " AND ") + " GROUP BY 1) f ORDER BY 1, f.n DESC, f.value NULLS LAST"
	var rows []struct {
		Parent string `db:"parent"`
		Bucket
	}
	if err := selectRows(ctx, s, &rows, q, append([]any{pq.Array(parents)}, args...)...); err != nil {
		return nil, fmt.Errorf("facet %s of %s: %w", facet, c.spec.Name, err)
	}
	out := make(map[string][]Bucket, len(parents))
	for _, r := range rows {
		out[r.Parent] = append(out[r.Parent], r.Bucket)
	}
	return out, nil
}

func (s *ListSpec) facet(name string) (string, bool) {
	if s.Fields == nil {
		return "", false
	}
	e, ok := s.Fields.facets[name]
	return e, ok
}
