package api_test

import (
	"context"
	"testing"
)

// BenchmarkNestedPagesRequest is one whole request through the real
// handler: 20 artists → 10 releases → 10 tracks of the richest demo tenant,
// from HTTP in to the encoded response out. Run with
//
//	go test -run '^$' -bench NestedPages -benchmem ./internal/api/
func BenchmarkNestedPagesRequest(b *testing.B) {
	slug, _ := richestTenant(b)
	query := `query($slug: String!) { tenant(slug: $slug) { artists(first: 20, includeSubsidiaries: false) {
		edges { node { id name releases(first: 10) { edges { node { id title
		tracks(first: 10) { edges { node { id position title isrc } } } } } } } } } } }`
	vars := map[string]any{"slug": slug}
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		r, err := postGraphQL(ctx, query, vars)
		if err != nil || len(r.Errors) > 0 {
			b.Fatalf("%v %v", err, r)
		}
	}
}
