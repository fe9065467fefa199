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

// weighConditions adds the filter of a list field to its cost c: every
// word of a search is a search sub-query of its own, so the words multiply
// the cost (a 15-word search costs about 15 times a 1-word one); every other
// condition, a predicate of the same statement, adds 1. A field without
// any keeps its cost.
func weighConditions(c int, f *ast.Field, vars map[string]any) int {
	if c == 0 || f.Definition == nil || f.Definition.Arguments.ForName("first") == nil {
		return c
	}
	args := f.ArgumentMap(vars)
	words, others := filterWeight(args["filter"])
	if q, ok := args["query"].(string); ok {
		for _, t := range queryTerms(q) {
			if strings.Contains(t, ":") {
				others = satAdd(others, 1)
			} else {
				words = satAdd(words, 1)
			}
		}
	}
	return satAdd(satMul(c, max(1, words)), others)
}

// filterWeight walks a filter input value once and counts its free-text
// search words and its other conditions.
func filterWeight(v any) (words, conditions int) {
	m, ok := v.(map[string]any)
	if !ok {
		return 0, 0
	}
	add := func(w, c int) { words, conditions = satAdd(words, w), satAdd(conditions, c) }
	for k, x := range m {
		switch k {
		case "and", "or":
			list, _ := x.([]any)
			for _, e := range list {
				add(filterWeight(e))
			}
		case "not":
			add(filterWeight(x))
		case "search":
			s, _ := x.(string)
			add(len(strings.Fields(s)), 0)
		default:
			if x != nil {
				add(0, 1)
			}
		}
	}
	return words, conditions
}

// queryTerms are the terms of a query argument (see internal/filter): its
// white-space separated words less the keywords and parentheses. A bare
// term is a search word; a quoted phrase counts once per word, which errs
// on the side of cost.
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
				if n, _ := filterWeight(args["filter"]); n > l.Max {
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
