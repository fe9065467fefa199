package filter

import (
	"fmt"
	"reflect"
	"sort"
)

// InputError is a problem in a typed filter input, naming its path.
type InputError struct {
	Path string
	Msg  string
}

func (e *InputError) Error() string { return e.Path + ": " + e.Msg }

// FromInput converts a typed GraphQL filter input (decoded as a map, the
// way gqlgen hands over inputs bound to map[string]any) into an Expr. The
// schema has already checked the input's shape; this maps field names to
// the canonical fields and operator objects to conditions.
func FromInput(in map[string]any, fields *FieldSet) (*Expr, error) {
	return fromInput(in, fields, "filter", 0)
}

func fromInput(in map[string]any, fields *FieldSet, path string, depth int) (*Expr, error) {
	if depth > MaxDepth {
		return nil, &InputError{Path: path, Msg: fmt.Sprintf("nested more than %d levels deep", MaxDepth)}
	}
	// Sorted keys make the tree, and so the SQL and the cursor's filter
	// hash, the same for the same input whatever the map order.
	keys := make([]string, 0, len(in))
	for k := range in {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var all []*Expr
	for _, k := range keys {
		v, present := Normalize(in[k])
		if !present {
			continue
		}
		p := path + "." + k
		switch k {
		case "and", "or":
			list, ok := v.([]any)
			if !ok {
				return nil, &InputError{Path: p, Msg: "expected a list of filters"}
			}
			var subs []*Expr
			for i, item := range list {
				m, ok := item.(map[string]any)
				if !ok {
					return nil, &InputError{Path: fmt.Sprintf("%s[%d]", p, i), Msg: "expected a filter"}
				}
				e, err := fromInput(m, fields, fmt.Sprintf("%s[%d]", p, i), depth+1)
				if err != nil {
					return nil, err
				}
				if e == nil {
					e = &Expr{And: []*Expr{}} // an empty filter matches everything
				}
				subs = append(subs, e)
			}
			if len(subs) == 0 {
				continue
			}
			if k == "and" {
				all = append(all, &Expr{And: subs})
			} else {
				all = append(all, &Expr{Or: subs})
			}
		case "not":
			m, ok := v.(map[string]any)
			if !ok {
				return nil, &InputError{Path: p, Msg: "expected a filter"}
			}
			e, err := fromInput(m, fields, p, depth+1)
			if err != nil {
				return nil, err
			}
			if e == nil {
				e = &Expr{And: []*Expr{}}
			}
			all = append(all, &Expr{Not: e})
		case "search":
			all = append(all, &Expr{Cond: &Cond{Op: OpSearch, Values: []any{v}, Pos: -1}})
		default:
			f, ok := fields.Lookup(k)
			if !ok {
				return nil, &InputError{Path: p, Msg: "unknown field"}
			}
			ops, isOps := v.(map[string]any)
			if !isOps {
				// A scalar shorthand such as isDeleted: true means eq.
				all = append(all, &Expr{Cond: &Cond{Field: f.Name, Op: OpEq, Values: []any{v}, Pos: -1}})
				continue
			}
			opKeys := make([]string, 0, len(ops))
			for op := range ops {
				opKeys = append(opKeys, op)
			}
			sort.Strings(opKeys)
			for _, op := range opKeys {
				ov, present := Normalize(ops[op])
				if !present {
					continue
				}
				c := &Cond{Field: f.Name, Op: Op(op), Pos: -1}
				if list, ok := ov.([]any); ok {
					if len(list) == 0 {
						return nil, &InputError{Path: p + "." + op, Msg: "the list is empty; leave the condition out to match everything"}
					}
					if len(list) > MaxValues {
						return nil, &InputError{Path: p + "." + op, Msg: fmt.Sprintf("at most %d values", MaxValues)}
					}
					c.Values = list
				} else {
					c.Values = []any{ov}
				}
				all = append(all, &Expr{Cond: c})
			}
		}
	}
	return All(all...), nil
}

// Normalize turns the typed values gqlgen decodes into an input map
// (pointers, typed slices, enum string types) into plain values: string,
// bool, int, []any, map[string]any, or a struct such as time.Time. An
// absent or explicitly null value reports false.
func Normalize(v any) (any, bool) {
	rv := reflect.ValueOf(v)
	if !rv.IsValid() {
		return nil, false
	}
	for rv.Kind() == reflect.Pointer || rv.Kind() == reflect.Interface {
		if rv.IsNil() {
			return nil, false
		}
		rv = rv.Elem()
	}
	switch rv.Kind() {
	case reflect.Slice:
		out := make([]any, 0, rv.Len())
		for i := 0; i < rv.Len(); i++ {
			if e, ok := Normalize(rv.Index(i).Interface()); ok {
				out = append(out, e)
			}
		}
		return out, true
	case reflect.String:
		return rv.String(), true
	case reflect.Bool:
		return rv.Bool(), true
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return int(rv.Int()), true
	}
	return rv.Interface(), true
}
