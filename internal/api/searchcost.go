package api

import (
	"context"
	"strings"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"
)

// DefaultMaxSearchTerms is the most search words one filter or query
// argument may hold unless configured otherwise.
const DefaultMaxSearchTerms = 8

// conditions is the weight of a list field's filter in the cost estimate:
// every word of a search (each one its own search sub-query), every term
// of a query and every other filter condition counts, so a 15-word search
// costs about 15 times a 1-word one. It is 1 for a field without any.
func conditions(f *ast.Field, vars map[string]any) int {
	if f.Definition == nil || f.Definition.Arguments.ForName("first") == nil {
		return 1
	}
	args := f.ArgumentMap(vars)
	n := filterConditions(args["filter"])
	if q, ok := args["query"].(string); ok {
		n = satAdd(n, len(queryTerms(q)))
	}
	return max(1, n)
}

// filterConditions counts the conditions of a filter input value: the words
// of a search, and 1 for any other condition.
func filterConditions(v any) int {
	m, ok := v.(map[string]any)
	if !ok {
		return 0
	}
	n := 0
	for k, x := range m {
		switch k {
		case "and", "or":
			list, _ := x.([]any)
			for _, e := range list {
				n = satAdd(n, filterConditions(e))
			}
		case "not":
			n = satAdd(n, filterConditions(x))
		case "search":
			s, _ := x.(string)
			n = satAdd(n, len(strings.Fields(s)))
		default:
			if x != nil {
				n = satAdd(n, 1)
			}
		}
	}
	return n
}

// queryTerms are the terms of a query argument (see internal/filter): its
// white-space separated words less the keywords and parentheses. A quoted
// phrase counts once per word, which errs on the side of cost.
func queryTerms(q string) []string {
	var terms []string
	for _, w := range strings.Fields(q) {
		w = strings.Trim(w, "()")
		if w == "" || w == "AND" || w == "OR" || w == "NOT" {
			continue
		}
		terms = append(terms, w)
	}
	return terms
}

// searchWords counts the free-text search words of a filter value.
func searchWords(v any) int {
	m, ok := v.(map[string]any)
	if !ok {
		return 0
	}
	n := 0
	for k, x := range m {
		switch k {
		case "and", "or":
			list, _ := x.([]any)
			for _, e := range list {
				n = satAdd(n, searchWords(e))
			}
		case "not":
			n = satAdd(n, searchWords(x))
		case "search":
			s, _ := x.(string)
			n = satAdd(n, len(strings.Fields(s)))
		}
	}
	return n
}

// SearchLimit refuses an operation with a filter or query argument of more
// search words than Max: each word is a search sub-query of its own.
type SearchLimit struct{ Max int }

var _ interface {
	graphql.HandlerExtension
	graphql.OperationContextMutator
} = SearchLimit{}

// ExtensionName names the extension in gqlgen's registry.
func (SearchLimit) ExtensionName() string { return "SearchLimit" }

// Validate accepts every schema.
func (SearchLimit) Validate(graphql.ExecutableSchema) error { return nil }

// MutateOperationContext checks every list field of the operation.
func (l SearchLimit) MutateOperationContext(_ context.Context, op *graphql.OperationContext) *gqlerror.Error {
	if op.Operation == nil || l.Max <= 0 {
		return nil
	}
	return l.check(op.Operation.SelectionSet, op.Variables, map[*ast.FragmentDefinition]bool{})
}

func (l SearchLimit) check(set ast.SelectionSet, vars map[string]any, seen map[*ast.FragmentDefinition]bool) *gqlerror.Error {
	for _, sel := range set {
		switch s := sel.(type) {
		case *ast.Field:
			if s.Definition != nil && s.Definition.Arguments.ForName("first") != nil {
				args := s.ArgumentMap(vars)
				if n := searchWords(args["filter"]); n > l.Max {
					return l.refuse(s, "filter", n)
				}
				if q, ok := args["query"].(string); ok {
					n := 0
					for _, t := range queryTerms(q) {
						if !strings.Contains(t, ":") {
							n++ // a bare word or phrase part: a search
						}
					}
					if n > l.Max {
						return l.refuse(s, "query", n)
					}
				}
			}
			if err := l.check(s.SelectionSet, vars, seen); err != nil {
				return err
			}
		case *ast.InlineFragment:
			if err := l.check(s.SelectionSet, vars, seen); err != nil {
				return err
			}
		case *ast.FragmentSpread:
			if s.Definition != nil && !seen[s.Definition] {
				seen[s.Definition] = true
				if err := l.check(s.Definition.SelectionSet, vars, seen); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

func (l SearchLimit) refuse(f *ast.Field, arg string, n int) *gqlerror.Error {
	err := gqlerror.Errorf("%s of %s: %d search words, more than the limit of %d; search for fewer words",
		arg, f.Alias, n, l.Max)
	err.Extensions = map[string]any{"code": CodeBadUserInput, "argument": arg, "searchTerms": n, "maxSearchTerms": l.Max}
	return err
}
