package api

import (
	"context"
	"strings"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"
)

// deferNeedsStreaming refuses an operation that uses @defer when the
// client did not ask for a multipart/mixed answer: deferred parts can only
// be delivered as increments, and a plain JSON answer would leave them
// null. The client is told how to ask (as Apollo Server does).
type deferNeedsStreaming struct{}

var _ interface {
	graphql.HandlerExtension
	graphql.OperationContextMutator
} = deferNeedsStreaming{}

func (deferNeedsStreaming) ExtensionName() string { return "DeferNeedsStreaming" }

func (deferNeedsStreaming) Validate(graphql.ExecutableSchema) error { return nil }

func (deferNeedsStreaming) MutateOperationContext(_ context.Context, op *graphql.OperationContext) *gqlerror.Error {
	if op.Operation == nil || !usesDefer(op.Operation.SelectionSet, map[string]bool{}) {
		return nil
	}
	if strings.Contains(op.Headers.Get("Accept"), "multipart/mixed") {
		return nil
	}
	err := gqlerror.Errorf("the operation uses @defer, which is delivered in parts: send it by POST with the header Accept: multipart/mixed;deferSpec=20220824, application/json")
	err.Extensions = map[string]any{"code": CodeBadRequest}
	return err
}

// usesDefer reports whether a selection set has a fragment with @defer;
// seen stops at fragments already walked.
func usesDefer(set ast.SelectionSet, seen map[string]bool) bool {
	for _, sel := range set {
		switch s := sel.(type) {
		case *ast.Field:
			if usesDefer(s.SelectionSet, seen) {
				return true
			}
		case *ast.InlineFragment:
			if s.Directives.ForName("defer") != nil || usesDefer(s.SelectionSet, seen) {
				return true
			}
		case *ast.FragmentSpread:
			if s.Directives.ForName("defer") != nil {
				return true
			}
			if s.Definition != nil && !seen[s.Name] {
				seen[s.Name] = true
				if usesDefer(s.Definition.SelectionSet, seen) {
					return true
				}
			}
		}
	}
	return false
}
