package api

import (
	"testing"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/handler/lru"
	"github.com/vektah/gqlparser/v2/ast"
)

// TestDocumentGateSkipsCachedDocuments: a document in gqlgen's query cache
// was checked (and validated) before it was cached; the gate neither parses
// nor measures it again. Any other document is parsed and measured.
func TestDocumentGateSkipsCachedDocuments(t *testing.T) {
	ctx := t.Context()
	cache := lru.New[*ast.QueryDocument](10)
	gate := documentGate{limits: DocumentLimits{MaxFields: 2}, tokens: 100, cache: cache}
	tooMany, unparsable := "{ a b c }", "{ a b c"
	for _, q := range []string{tooMany, unparsable} {
		if err := gate.MutateOperationParameters(ctx, &graphql.RawParams{Query: q}); err == nil {
			t.Errorf("%q passed the gate", q)
		}
		cache.Add(ctx, q, &ast.QueryDocument{})
		if err := gate.MutateOperationParameters(ctx, &graphql.RawParams{Query: q}); err != nil {
			t.Errorf("%q, cached, was checked again: %v", q, err)
		}
	}
}
