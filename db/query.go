package db

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
	"time"

	"catalogue/db/model"
	"catalogue/internal/filter"
)

// OrderTerm is one key of a client's orderBy.
type OrderTerm struct {
	Field string // orderBy enum value, e.g. "CREATED_AT"
	Desc  bool
}

// MaxOrderTerms bounds orderBy.
const MaxOrderTerms = 5

// Query is what a client asked of a list besides the page: which rows and
// in which order.
type Query struct {
	Filter  *filter.Expr
	OrderBy []OrderTerm
	// Subsidiaries includes the rows of the parent tenant's subsidiaries,
	// at any depth, on lists whose parent is a tenant.
	Subsidiaries bool
	// Restricted callers may not filter, search or sort on sensitive fields.
	Restricted bool
}

// Compiled is a Query checked and rendered for one list.
type Compiled struct {
	spec   *ListSpec
	where  string
	args   []any
	order  Order
	tree   bool
	hidden string // the list's Hidden predicate, when it applies
	// Sig identifies the list, filter and order; compiled queries with
	// equal Sig read the same rows in the same order, and queries that may
	// read different rows never share it (see filterKey).
	Sig string
	// filterHash goes into cursors so that a cursor only fits its filter.
	filterHash string
}

// Compile checks q against the list's fields and renders it.
func (s *ListSpec) Compile(q Query) (*Compiled, error) {
	c := &Compiled{spec: s, order: s.Order, tree: q.Subsidiaries && s.TenantTree}
	if s.Hidden != "" && !mentions(q.Filter, s.HiddenUnless) {
		c.hidden = s.Hidden
	}
	if q.Filter != nil {
		if s.Fields == nil {
			return nil, &model.InputError{Arg: "filter", Msg: s.Name + " cannot be filtered"}
		}
		fields := s.Fields
		if c.tree && s.TreeFields != nil {
			fields = s.TreeFields
		}
		comp := &compiler{fields: fields, restricted: q.Restricted}
		where, err := comp.expr(q.Filter, 0)
		if err != nil {
			return nil, err
		}
		c.where, c.args = where, comp.args
	}
	if len(q.OrderBy) > 0 {
		order, err := s.orderFor(q.OrderBy, q.Restricted)
		if err != nil {
			return nil, err
		}
		c.order = order
	}
	if err := c.sign(); err != nil {
		return nil, err
	}
	return c, nil
}

// filterKey is everything that decides which rows of a list a compiled
// query selects, in a canonical, unambiguous form: the rendered SQL (whose
// every value is a bind parameter) and the bound values with their types.
// It is JSON, never a %v printout, which would render the values
// ["Pop Rock"] and ["Pop", "Rock"] alike.
type filterKey struct {
	Where  string     `json:"where"`
	Args   []typedArg `json:"args"`
	Tree   bool       `json:"tree"`
	Hidden string     `json:"hidden"`
}

// typedArg is a bind value and its Go type, so that values of different
// types that encode alike stay apart.
type typedArg struct {
	Type  string `json:"t"`
	Value any    `json:"v"`
}

// sign sets Sig and filterHash from the canonical encoding of the query.
func (c *Compiled) sign() error {
	fk := filterKey{Where: c.where, Tree: c.tree, Hidden: c.hidden, Args: make([]typedArg, len(c.args))}
	for i, a := range c.args {
		if t, ok := a.(time.Time); ok {
			a = t.UTC() // the same instant, whatever zone the input named
		}
		fk.Args[i] = typedArg{Type: reflect.TypeOf(a).String(), Value: a}
	}
	fj, err := json.Marshal(fk)
	if err != nil {
		return fmt.Errorf("%s: encoding the filter's signature: %w", c.spec.Name, err)
	}
	sum := sha256.Sum256(fj)
	c.filterHash = base64.RawURLEncoding.EncodeToString(sum[:12])
	sig, err := json.Marshal(struct {
		List   string          `json:"list"`
		Order  string          `json:"order"`
		Filter json.RawMessage `json:"filter"`
	}{c.spec.Name, c.order.Name, fj})
	if err != nil {
		return fmt.Errorf("%s: encoding the query's signature: %w", c.spec.Name, err)
	}
	c.Sig = string(sig)
	return nil
}

// mentions reports whether a filter tree has a condition on field.
func mentions(e *filter.Expr, field string) bool {
	if e == nil {
		return false
	}
	if e.Cond != nil {
		return e.Cond.Field == field
	}
	if mentions(e.Not, field) {
		return true
	}
	for _, x := range append(append([]*filter.Expr{}, e.And...), e.Or...) {
		if mentions(x, field) {
			return true
		}
	}
	return false
}

// MustCompile compiles a query that cannot fail: the default page of a
// list, with no filter and its default order.
func (s *ListSpec) MustCompile() *Compiled {
	c, err := s.Compile(Query{})
	if err != nil {
		panic(err)
	}
	return c
}

// Spec is the list the query was compiled for.
func (c *Compiled) Spec() *ListSpec { return c.spec }

// Subsidiaries reports whether the list takes in the rows of its parent
// tenant's subsidiaries.
func (c *Compiled) Subsidiaries() bool { return c.tree }

// orderFor turns orderBy terms into a total order: the client's keys, then
// the list's unique id as the tie-break in the direction of the last key.
func (s *ListSpec) orderFor(terms []OrderTerm, restricted bool) (Order, error) {
	if s.Fields == nil || len(s.Fields.sorts) == 0 {
		return Order{}, &model.InputError{Arg: "orderBy", Msg: s.Name + " has a fixed order"}
	}
	if len(terms) > MaxOrderTerms {
		return Order{}, &model.InputError{Arg: "orderBy", Msg: fmt.Sprintf("at most %d keys", MaxOrderTerms)}
	}
	var o Order
	names := make([]string, 0, len(terms))
	seen := map[string]bool{}
	for _, t := range terms {
		k, ok := s.Fields.sorts[t.Field]
		if !ok {
			return Order{}, &model.InputError{Arg: "orderBy", Msg: fmt.Sprintf("cannot sort %s by %q; sortable fields: %s",
				s.Name, t.Field, strings.Join(s.Fields.listing, ", "))}
		}
		if k.Sensitive && restricted {
			return Order{}, &model.ForbiddenError{Msg: fmt.Sprintf("sorting by %s needs the members:contacts permission (ADMIN or OWNER)", t.Field)}
		}
		if seen[t.Field] {
			return Order{}, &model.InputError{Arg: "orderBy", Msg: fmt.Sprintf("%s appears twice", t.Field)}
		}
		seen[t.Field] = true
		k.Desc = t.Desc
		o.Keys = append(o.Keys, k)
		dir := "ASC"
		if t.Desc {
			dir = "DESC"
		}
		names = append(names, t.Field+":"+dir)
	}
	id := s.Fields.idKey
	id.Desc = terms[len(terms)-1].Desc
	o.Keys = append(o.Keys, id)
	o.Name = strings.Join(names, ",")
	return o, nil
}
