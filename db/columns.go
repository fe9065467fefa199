package db

import (
	"fmt"
	"math/bits"
	"reflect"
	"strings"
	"sync"
)

// Cols is a set of the columns of one Node's or List's select list: bit i
// stands for its i-th column (see Columns). Reads of the graph select only
// the columns the query shows; the zero Cols selects every column, whole
// rows as written in Select, so that a caller that names no columns (a
// write reading its payload, the credentials) can never get a narrow row.
type Cols uint64

// AllColumns selects whole rows.
const AllColumns Cols = 0

// Columns is the select list of a Node or List taken apart, column by
// column: the name a column has in the result (the db tag it scans into,
// "m.role" for a nested struct) and its select item.
type Columns struct {
	full  string
	names []string
	items []string
	index map[string]int
}

// Names are the result names of the columns, in select-list order.
func (c *Columns) Names() []string { return c.names }

// Of is the set of the named columns; a name the select list does not have
// is an error, never a column silently left out.
func (c *Columns) Of(names ...string) (Cols, error) {
	var set Cols
	for _, n := range names {
		i, ok := c.index[n]
		if !ok {
			return 0, fmt.Errorf("no column %q in select list %q", n, c.full)
		}
		set |= 1 << i
	}
	return set, nil
}

// NamesOf lists the names of the columns of set, in select-list order.
func (c *Columns) NamesOf(set Cols) []string {
	if set == AllColumns {
		return c.names
	}
	out := make([]string, 0, bits.OnesCount64(uint64(set)))
	for i, n := range c.names {
		if set&(1<<i) != 0 {
			out = append(out, n)
		}
	}
	return out
}

// selectList renders the select list of set.
func (c *Columns) selectList(set Cols) string {
	if set == AllColumns {
		return c.full
	}
	var b strings.Builder
	for i, item := range c.items {
		if set&(1<<i) == 0 {
			continue
		}
		if b.Len() > 0 {
			b.WriteString(", ")
		}
		b.WriteString(item)
	}
	return b.String()
}

// Columns is the select list of n taken apart.
func (n *Node[T]) Columns() *Columns { return columnsOf[T](n, n.Select) }

// Columns is the select list of l taken apart.
func (l *List[T]) Columns() *Columns { return columnsOf[T](&l.ListSpec, l.Select) }

// parsed keeps the select lists taken apart so far, by their Node or
// ListSpec: they are fixed, so each is parsed once per process.
var parsed sync.Map // *Node[T] or *ListSpec → *Columns

// columnsOf takes apart the select list sel of owner, a Node or a List of
// T. Its items are "alias.column", "expression AS name" or "alias.*",
// which stands for the columns of T's db tags under alias. A list that
// cannot be taken apart is a bug in a Node or List definition: it panics
// (the graph's tests parse them all).
func columnsOf[T any](owner any, sel string) *Columns {
	if c, ok := parsed.Load(owner); ok && c.(*Columns).full == sel {
		return c.(*Columns)
	}
	row := reflect.TypeFor[T]()
	c := &Columns{full: sel, index: map[string]int{}}
	for _, item := range splitTopLevel(sel) {
		if alias, ok := strings.CutSuffix(item, ".*"); ok {
			for _, tag := range tagsOf(row, nil) {
				c.add(tag, alias+"."+tag)
			}
			continue
		}
		c.add(resultName(item), item)
	}
	if len(c.names) > 64 {
		panic(fmt.Sprintf("db: select list of %d columns; Cols holds 64: %q", len(c.names), sel))
	}
	parsed.Store(owner, c)
	return c
}

func (c *Columns) add(name, item string) {
	if name == "" {
		panic(fmt.Sprintf("db: select item %q has no name", item))
	}
	if _, dup := c.index[name]; dup {
		panic(fmt.Sprintf("db: two columns named %q in select list %q", name, c.full))
	}
	c.index[name] = len(c.names)
	c.names = append(c.names, name)
	c.items = append(c.items, item)
}

// resultName is the name PostgreSQL gives a select item: the name after
// its last AS outside parentheses, else the column name after the table
// alias.
func resultName(item string) string {
	as := -1
	topLevel(item, func(i int, r rune) {
		if r == ' ' && len(item) > i+4 && strings.EqualFold(item[i:i+4], " AS ") {
			as = i
		}
	})
	if as >= 0 {
		return strings.Trim(strings.TrimSpace(item[as+4:]), `"`)
	}
	if i := strings.LastIndex(item, "."); i >= 0 {
		return item[i+1:]
	}
	return item
}

// splitTopLevel splits a select list at the commas outside parentheses
// and quotes.
func splitTopLevel(sel string) []string {
	var out []string
	start := 0
	topLevel(sel, func(i int, r rune) {
		if r == ',' {
			out = append(out, strings.TrimSpace(sel[start:i]))
			start = i + 1
		}
	})
	return append(out, strings.TrimSpace(sel[start:]))
}

// topLevel calls f with the runes of s outside parentheses and quotes.
func topLevel(s string, f func(i int, r rune)) {
	depth := 0
	var quote rune
	for i, r := range s {
		switch {
		case quote != 0:
			if r == quote {
				quote = 0
			}
		case r == '\'' || r == '"':
			quote = r
		case r == '(':
			depth++
		case r == ')':
			depth--
		case depth == 0:
			f(i, r)
		}
	}
}
