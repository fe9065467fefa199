package api

import (
	"context"
	"errors"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/errcode"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"
	"github.com/vektah/gqlparser/v2/parser"

	"catalogue/internal/api/guard"
)

// DocumentLimits bound the shape of a document before it is validated; see
// guard.DocumentLimits.
type DocumentLimits = guard.DocumentLimits

// documentGate applies DocumentLimits before gqlgen parses and validates a
// document. A document found in gqlgen's query cache passed them when it
// was cached and is not parsed again; any other is parsed here with the
// same token limit, and once more by gqlgen if it passes (parsing is
// linear; validating is what must not start).
type documentGate struct {
	limits DocumentLimits
	tokens int
	cache  graphql.Cache[*ast.QueryDocument]
}

var _ interface {
	graphql.HandlerExtension
	graphql.OperationParameterMutator
} = documentGate{}

func (documentGate) ExtensionName() string { return "DocumentLimits" }

func (documentGate) Validate(graphql.ExecutableSchema) error { return nil }

// MutateOperationParameters checks the document; it runs after the
// persisted-query extension has resolved a hash to its document.
func (g documentGate) MutateOperationParameters(ctx context.Context, p *graphql.RawParams) *gqlerror.Error {
	if n := noteFrom(ctx); n != nil {
		n.query = p.Query
	}
	if p.Query == "" {
		return nil
	}
	if _, ok := g.cache.Get(ctx, p.Query); ok {
		return nil
	}
	return g.check(p.Query)
}

// check parses a document and checks its shape: a document past a limit
// is BAD_REQUEST with the measured value and the limit; a parse error is
// reported as gqlgen reports it.
func (g documentGate) check(query string) *gqlerror.Error {
	doc, err := parser.ParseQueryWithTokenLimit(&ast.Source{Input: query}, g.tokens)
	if err != nil {
		var gqlErr *gqlerror.Error
		if errors.As(err, &gqlErr) {
			errcode.Set(gqlErr, errcode.ParseFailed)
			return gqlErr
		}
		return nil // gqlgen parses it again and says what is wrong
	}
	if e := g.limits.Check(guard.Measure(doc)); e != nil {
		gqlErr := gqlerror.Errorf("%s", e.Msg)
		gqlErr.Extensions = map[string]any{"code": CodeBadRequest, e.Measure: e.Value, e.Limit: e.Max}
		return gqlErr
	}
	return nil
}
