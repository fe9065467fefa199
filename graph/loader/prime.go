package loader

import (
	"context"
	"slices"

	"catalogue/db"
)

// The Prime functions carry out one step of a read plan (graph/prefetch.go):
// they read a field for a whole level of parents in one statement and put
// the results in the request's loader caches, where the resolvers of the
// level find them. Unlike a batch gathered over a wait window, the
// statement count of a primed level cannot depend on goroutine scheduling.
// A failed read primes nothing: the resolvers then load, and report, it
// themselves.

// PrimePages reads the columns cols of the pages of list under c for every
// parent and caches them; it returns them in the order of the distinct
// parents, nil when the read failed.
func PrimePages[T any](ctx context.Context, list *db.List[T], c *db.Compiled, cols db.Cols, parents []string, args db.PageArgs) []*db.Page[T] {
	l := For(ctx)
	parents = distinct(parents)
	if len(parents) == 0 {
		return nil
	}
	pages, err := db.ListPages(ctx, l.Session(), list, c, l.scope, cols, parents, args)
	if err != nil {
		return nil
	}
	ld := pageLoader(l, list)
	out := make([]*db.Page[T], 0, len(parents))
	for _, p := range parents {
		ld.Prime(ctx, PageKey{Parent: p, Args: args, Query: c, Cols: cols}, pages[p])
		out = append(out, pages[p])
	}
	return out
}

// PrimeCounts reads the totalCount of c's list for every parent and caches it.
func PrimeCounts(ctx context.Context, c *db.Compiled, parents []string) {
	l := For(ctx)
	parents = distinct(parents)
	if len(parents) == 0 {
		return
	}
	counts, err := db.CountByParent(ctx, l.Session(), c, l.scope, parents)
	if err != nil {
		return
	}
	ld := aggLoader(l, c.Spec())
	for _, p := range parents {
		ld.Prime(ctx, aggKey{Parent: p, Query: c}, []db.Bucket{{Count: counts[p]}})
	}
}

// PrimeFacets reads one facet of c's list for every parent and caches it.
func PrimeFacets(ctx context.Context, c *db.Compiled, parents []string, facet string) {
	l := For(ctx)
	parents = distinct(parents)
	if len(parents) == 0 {
		return
	}
	buckets, err := db.FacetsByParent(ctx, l.Session(), c, l.scope, facet, parents)
	if err != nil {
		return
	}
	ld := aggLoader(l, c.Spec())
	for _, p := range parents {
		ld.Prime(ctx, aggKey{Parent: p, Query: c, Facet: facet}, buckets[p])
	}
}

// PrimeNodes reads the columns cols of the rows of n with the given IDs
// and caches them (nil for the ones not visible); it returns the rows
// found, for the plan to continue below them.
func PrimeNodes[T any](ctx context.Context, n *db.Node[T], cols db.Cols, ids []string) []*T {
	l := For(ctx)
	ids = distinct(ids)
	if len(ids) == 0 {
		return nil
	}
	rows, err := db.ColumnsByIDs(ctx, l.Session(), n, l.scope, cols, ids)
	if err != nil {
		return nil
	}
	ld := nodeLoader(l, n, cols)
	out := make([]*T, 0, len(rows))
	for _, id := range ids {
		ld.Prime(ctx, id, rows[id])
		if rows[id] != nil {
			out = append(out, rows[id])
		}
	}
	return out
}

// PrimeKeyed reads r for every parent and caches the values.
func PrimeKeyed[V any](ctx context.Context, r *KeyedRead[V], parents []string) {
	l := For(ctx)
	parents = distinct(parents)
	if len(parents) == 0 {
		return
	}
	got, err := r.Fetch(ctx, l.Session(), l.scope, parents)
	if err != nil {
		return
	}
	ld := keyedLoader(l, r)
	for _, p := range parents {
		ld.Prime(ctx, p, got[p])
	}
}

func distinct(ids []string) []string {
	out := slices.Clone(ids)
	slices.Sort(out)
	return slices.Compact(out)
}
