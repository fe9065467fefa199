package loader

import (
	"context"
	"slices"

	"catalogue/db"
)

// The Prime functions read a whole level at once, in one statement, and put
// the results in the request's loader caches, so that the resolvers of the
// level find them there. Unlike a batch gathered over a wait window, the
// statement count of a primed level cannot depend on goroutine scheduling.
// A failed read primes nothing: the resolvers then load, and report, it
// themselves.

// PrimePages reads the pages of list under c for every parent and caches
// them; it returns them in parent order.
func PrimePages[T any](ctx context.Context, list *db.List[T], c *db.Compiled, parents []string, args db.PageArgs) []*db.Page[T] {
	l := For(ctx)
	l.remember(c)
	parents = distinct(parents)
	pages, err := db.ListPages(ctx, l.Session(), list, c, l.scope, parents, args)
	if err != nil {
		return nil
	}
	ld := pageLoader(l, list)
	out := make([]*db.Page[T], 0, len(parents))
	for _, p := range parents {
		ld.Prime(ctx, PageKey{Parent: p, Args: args, Sig: c.Sig}, pages[p])
		out = append(out, pages[p])
	}
	return out
}

// PrimeCounts reads the totalCount of c's list for every parent and caches it.
func PrimeCounts(ctx context.Context, c *db.Compiled, parents []string) {
	l := For(ctx)
	l.remember(c)
	parents = distinct(parents)
	counts, err := db.CountByParent(ctx, l.Session(), c, l.scope, parents)
	if err != nil {
		return
	}
	ld := aggLoader(l, c.Spec())
	for _, p := range parents {
		ld.Prime(ctx, aggKey{Parent: p, Sig: c.Sig}, []db.Bucket{{Count: counts[p]}})
	}
}

// PrimeNodes reads the rows of n with the given IDs and caches them (nil
// for the ones not visible).
func PrimeNodes[T any](ctx context.Context, n *db.Node[T], ids []string) {
	l := For(ctx)
	ids = distinct(ids)
	if len(ids) == 0 {
		return
	}
	rows, err := db.ByIDs(ctx, l.Session(), n, l.scope, ids)
	if err != nil {
		return
	}
	ld := nodeLoader(l, n)
	for _, id := range ids {
		ld.Prime(ctx, id, rows[id])
	}
}

func distinct(ids []string) []string {
	out := slices.Clone(ids)
	slices.Sort(out)
	return slices.Compact(out)
}
