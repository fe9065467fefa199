package api

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"
)

// inputValues refuses, before the operation runs, argument values that
// GraphQL or PostgreSQL cannot hold, wherever they are written (a literal,
// a variable, a field of an input object or a list item):
//   - an Int outside 32 bits: GraphQL's Int is a signed 32-bit integer, but
//     gqlgen binds it to Go's int and gqlparser checks 64 bits only, so the
//     value would reach PostgreSQL and fail there against an integer column;
//   - text with a NUL character, which no PostgreSQL text value can hold.
//
// Either is BAD_USER_INPUT naming the argument or variable.
type inputValues struct{ schema *ast.Schema }

var _ interface {
	graphql.HandlerExtension
	graphql.OperationContextMutator
} = inputValues{}

func (inputValues) ExtensionName() string { return "InputValues" }

func (inputValues) Validate(graphql.ExecutableSchema) error { return nil }

func (v inputValues) MutateOperationContext(_ context.Context, op *graphql.OperationContext) *gqlerror.Error {
	if op.Operation == nil {
		return nil
	}
	for _, def := range op.Operation.VariableDefinitions {
		if path, msg := v.variable(op.Variables[def.Variable], def.Type); msg != "" {
			slices.Reverse(path)
			name := "$" + def.Variable + strings.Join(path, "")
			err := gqlerror.Errorf("variable %s: %s", name, msg)
			err.Extensions = map[string]any{"code": CodeBadUserInput, "variable": name}
			return err
		}
	}
	w := literalWalker{doc: op.Doc, seen: map[string]bool{}}
	for _, def := range op.Operation.VariableDefinitions {
		w.value(def.DefaultValue, "$"+def.Variable)
	}
	w.directives(op.Operation.Directives)
	w.set(op.Operation.SelectionSet)
	return w.err
}

// variable checks a variable's value against its type. On a problem it
// returns the path below the variable, innermost first, and the message.
func (v inputValues) variable(val any, t *ast.Type) (path []string, msg string) {
	if val == nil || t == nil {
		return nil, ""
	}
	if t.Elem != nil {
		list, ok := val.([]any)
		if !ok { // a single value stands for a list of one
			return v.variable(val, t.Elem)
		}
		for i, e := range list {
			if path, msg := v.variable(e, t.Elem); msg != "" {
				return append(path, fmt.Sprintf("[%d]", i)), msg
			}
		}
		return nil, ""
	}
	if t.NamedType == "Int" {
		return nil, checkInt(val)
	}
	if def := v.schema.Types[t.NamedType]; def != nil && def.Kind == ast.InputObject {
		obj, _ := val.(map[string]any)
		for _, f := range def.Fields {
			if path, msg := v.variable(obj[f.Name], f.Type); msg != "" {
				return append(path, "."+f.Name), msg
			}
		}
		return nil, ""
	}
	if s, ok := val.(string); ok {
		return nil, checkText(s)
	}
	return nil, ""
}

// checkInt says what is wrong with a value given for an Int, if anything.
// Variables arrive as json.Number (in input objects), int64 (top level
// after gqlparser's coercion) or float64.
func checkInt(val any) string {
	var n int64
	switch x := val.(type) {
	case json.Number:
		i, err := strconv.ParseInt(x.String(), 10, 64)
		if err != nil {
			return fmt.Sprintf("Int cannot represent %s: GraphQL's Int is a signed 32-bit integer", x)
		}
		n = i
	case int64:
		n = x
	case int:
		n = int64(x)
	case float64:
		if x < math.MinInt32 || x > math.MaxInt32 {
			return fmt.Sprintf("Int cannot represent %v: GraphQL's Int is a signed 32-bit integer", x)
		}
		return ""
	default:
		return "" // gqlparser refuses what is not a number
	}
	if n < math.MinInt32 || n > math.MaxInt32 {
		return fmt.Sprintf("Int cannot represent %d: GraphQL's Int is a signed 32-bit integer", n)
	}
	return ""
}

func checkText(s string) string {
	if strings.IndexByte(s, 0) >= 0 {
		return "text cannot contain the NUL character (U+0000)"
	}
	return ""
}

// literalWalker checks the literal values of an operation and of the
// fragments it spreads, each fragment once. Validation has set the
// expected type of every value.
type literalWalker struct {
	doc  *ast.QueryDocument
	seen map[string]bool
	err  *gqlerror.Error
}

func (w *literalWalker) set(set ast.SelectionSet) {
	for _, sel := range set {
		if w.err != nil {
			return
		}
		switch s := sel.(type) {
		case *ast.Field:
			for _, a := range s.Arguments {
				w.value(a.Value, a.Name)
			}
			w.directives(s.Directives)
			w.set(s.SelectionSet)
		case *ast.InlineFragment:
			w.directives(s.Directives)
			w.set(s.SelectionSet)
		case *ast.FragmentSpread:
			w.directives(s.Directives)
			if w.seen[s.Name] {
				continue
			}
			w.seen[s.Name] = true
			if f := w.doc.Fragments.ForName(s.Name); f != nil {
				w.directives(f.Directives)
				w.set(f.SelectionSet)
			}
		}
	}
}

func (w *literalWalker) directives(ds ast.DirectiveList) {
	for _, d := range ds {
		for _, a := range d.Arguments {
			w.value(a.Value, a.Name)
		}
	}
}

// value checks one literal and what it holds; name is the argument's path.
func (w *literalWalker) value(v *ast.Value, name string) {
	if v == nil || w.err != nil {
		return
	}
	var msg string
	switch v.Kind {
	case ast.IntValue:
		if v.ExpectedType != nil && v.ExpectedType.NamedType == "Int" {
			if _, err := strconv.ParseInt(v.Raw, 10, 32); err != nil {
				msg = fmt.Sprintf("Int cannot represent %s: GraphQL's Int is a signed 32-bit integer", v.Raw)
			}
		}
	case ast.StringValue, ast.BlockValue:
		msg = checkText(v.Raw)
	case ast.ListValue:
		for _, c := range v.Children {
			w.value(c.Value, name)
		}
	case ast.ObjectValue:
		for _, c := range v.Children {
			w.value(c.Value, name+"."+c.Name)
		}
	}
	if msg != "" {
		w.err = gqlerror.ErrorPosf(v.Position, "argument %s: %s", name, msg)
		w.err.Extensions = map[string]any{"code": CodeBadUserInput, "argument": name}
	}
}
