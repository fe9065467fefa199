package api

import (
	"context"
	"fmt"
	"strings"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"catalogue/db"
)

// Limits rejects operations that are too deep or would produce too many
// objects before any of them is resolved. Cost estimates the objects a
// query can return: a connection multiplies the cost of its selection by
// its page size (first/last, or the default), so the cost of
// tenants → artists(first: 20) → releases(first: 10) is 20 × 10 × … .
// Introspection costs what it returns: SchemaCost for each __schema field
// and TypeCost for each __type, whatever they select (see
// introspectionCosts).
type Limits struct {
	MaxDepth   int
	MaxCost    int
	SchemaCost int
	TypeCost   int
}

var _ interface {
	graphql.HandlerExtension
	graphql.OperationContextMutator
} = Limits{}

// ExtensionName names the extension in gqlgen's registry.
func (Limits) ExtensionName() string { return "QueryLimits" }

// Validate accepts every schema.
func (Limits) Validate(graphql.ExecutableSchema) error { return nil }

// MutateOperationContext measures the operation and refuses it when it
// exceeds a limit; the client gets the measured value and the limit.
func (l Limits) MutateOperationContext(ctx context.Context, op *graphql.OperationContext) *gqlerror.Error {
	if op.Operation == nil {
		return nil
	}
	m := measurer{limits: l, vars: op.Variables, fragments: map[string]measured{}}
	depth, cost := m.set(op.Operation.SelectionSet)
	if n := noteFrom(ctx); n != nil {
		n.cost = cost
	}
	if l.MaxDepth > 0 && depth > l.MaxDepth {
		err := gqlerror.Errorf("query is nested %d levels deep, more than the limit of %d", depth, l.MaxDepth)
		err.Extensions = map[string]any{"code": CodeBadUserInput, "depth": depth, "maxDepth": l.MaxDepth}
		return err
	}
	if l.MaxCost > 0 && cost > l.MaxCost {
		err := gqlerror.Errorf("query could return about %d objects, more than the limit of %d; ask for smaller pages", cost, l.MaxCost)
		err.Extensions = map[string]any{"code": CodeBadUserInput, "cost": cost, "maxCost": l.MaxCost}
		return err
	}
	return nil
}

// measured is the depth and estimated object count of a selection set.
type measured struct{ depth, cost int }

// measurer measures the selection sets of one operation. A fragment
// measures the same wherever it is spread, so each is measured once: a
// document whose fragments each spread the next one twice stands for an
// exponential number of paths.
type measurer struct {
	limits    Limits
	vars      map[string]any
	fragments map[string]measured
}

// set returns the depth and the estimated object count of a selection.
// Introspection counts for depth (a hostile one can nest without end) and
// costs SchemaCost or TypeCost whatever it selects. A fragment spread twice
// in one selection set counts once, as gqlgen collects it once.
func (m *measurer) set(set ast.SelectionSet) (depth, cost int) {
	var spread map[string]bool
	for _, sel := range set {
		var d, c int
		switch s := sel.(type) {
		case *ast.Field:
			d, c = 1, 1
			switch {
			case s.Name == "__schema":
				c = m.limits.SchemaCost
			case s.Name == "__type":
				c = m.limits.TypeCost
			case strings.HasPrefix(s.Name, "__"):
				c = 0
			}
			if len(s.SelectionSet) > 0 {
				cd, cc := m.set(s.SelectionSet)
				d += cd
				if !strings.HasPrefix(s.Name, "__") {
					c = satAdd(c, satMul(pageSize(s, m.vars), cc))
				}
			}
			c = weighConditions(c, s, m.vars) // search words and filter terms
		case *ast.InlineFragment:
			d, c = m.set(s.SelectionSet)
		case *ast.FragmentSpread:
			if spread[s.Name] {
				continue
			}
			if spread == nil {
				spread = map[string]bool{}
			}
			spread[s.Name] = true
			if s.Definition != nil {
				f, ok := m.fragments[s.Name]
				if !ok {
					f.depth, f.cost = m.set(s.Definition.SelectionSet)
					m.fragments[s.Name] = f
				}
				d, c = f.depth, f.cost
			}
		}
		depth = max(depth, d)
		cost = satAdd(cost, c)
	}
	return depth, cost
}

// pageSize is the multiplier of a field: the page size of a connection
// field, the number of IDs of nodes() or of representations of
// _entities(), and 1 otherwise.
func pageSize(f *ast.Field, vars map[string]any) int {
	if f.Definition == nil || len(f.Definition.Arguments) == 0 {
		return 1
	}
	args := f.ArgumentMap(vars)
	if ids, ok := args["ids"].([]any); ok {
		return max(1, len(ids))
	}
	if reps, ok := args["representations"].([]any); ok {
		return max(1, len(reps))
	}
	if f.Definition.Arguments.ForName("first") == nil {
		return 1
	}
	for _, name := range []string{"first", "last"} {
		if v, ok := args[name]; ok && v != nil {
			if n, err := toInt(v); err == nil && n > 0 {
				return n
			}
			return 1 // invalid values are refused later with a clear error
		}
	}
	return db.DefaultPageSize
}

func toInt(v any) (int, error) {
	switch n := v.(type) {
	case int:
		return n, nil
	case int64:
		return int(n), nil
	case float64:
		return int(n), nil
	case interface{ Int64() (int64, error) }:
		i, err := n.Int64()
		return int(i), err
	}
	return 0, fmt.Errorf("not an integer: %v", v)
}

// introspectionCosts estimates the objects that __schema and __type
// return: one per type, field, argument, enum value, interface and
// possible type of the schema, and of its largest type.
func introspectionCosts(s *ast.Schema) (schema, typ int) {
	for _, d := range s.Types {
		n := 1 + len(d.Fields) + len(d.EnumValues) + len(d.Interfaces) + len(s.PossibleTypes[d.Name])
		for _, f := range d.Fields {
			n += len(f.Arguments)
		}
		schema += n
		typ = max(typ, n)
	}
	for _, d := range s.Directives {
		schema += 1 + len(d.Arguments)
	}
	return schema, typ
}

// maxMeasure caps the arithmetic of measure: an estimate that large is
// refused by any limit, and capping keeps a hostile query from wrapping
// the count around to a small or negative number.
const maxMeasure = 1 << 40

func satAdd(a, b int) int { return min(a+b, maxMeasure) }

func satMul(a, b int) int {
	if a != 0 && b > maxMeasure/a {
		return maxMeasure
	}
	return min(a*b, maxMeasure)
}
