package loader

import (
	"context"

	"github.com/graph-gophers/dataloader/v7"

	"catalogue/db"
)

// PageKey identifies one page of a nested list: the parent, the page
// arguments, the compiled filter and order, and the columns read. Keys
// that differ only in Parent are read in one statement; a page cached for
// some columns never answers a key that asks for others. A compiled query
// is made once per query field and request (see graph.prepare), so the
// pointer names the field's filter and order exactly, where a printout of
// their values could confuse ["Pop Rock"] with ["Pop", "Rock"].
type PageKey struct {
	Parent string
	Args   db.PageArgs
	Query  *db.Compiled
	Cols   db.Cols
}

// group is the part of a key shared by the keys of one statement.
type group struct {
	args db.PageArgs
	q    *db.Compiled
	cols db.Cols
}

// Page loads the columns cols of a page of list for parent, batched with
// the same list's pages of other parents, or from the cache a plan primed.
func Page[T any](ctx context.Context, list *db.List[T], c *db.Compiled, cols db.Cols, parent string, args db.PageArgs) (*db.Page[T], error) {
	return pageLoader(For(ctx), list).Load(ctx, PageKey{Parent: parent, Args: args, Query: c, Cols: cols})()
}

func pageLoader[T any](l *Loaders, list *db.List[T]) *dataloader.Loader[PageKey, *db.Page[T]] {
	l.mu.Lock()
	defer l.mu.Unlock()
	if ld, ok := l.pages[&list.ListSpec]; ok {
		return ld.(*dataloader.Loader[PageKey, *db.Page[T]])
	}
	ld := dataloader.NewBatchedLoader(func(ctx context.Context, keys []PageKey) []*dataloader.Result[*db.Page[T]] {
		ctx, end := batchSpan(ctx, list.Name, len(keys))
		defer end()
		return loadPages(ctx, l, list, keys)
	}, options[PageKey, *db.Page[T]](l.opts)...)
	l.pages[&list.ListSpec] = ld
	return ld
}

// loadPages reads the pages of a batch: one statement per page arguments,
// compiled query and columns.
func loadPages[T any](ctx context.Context, l *Loaders, list *db.List[T], keys []PageKey) []*dataloader.Result[*db.Page[T]] {
	return byGroup(keys, func(k PageKey) (group, string) { return group{k.Args, k.Query, k.Cols}, k.Parent },
		func(g group, parents []string) (map[string]*db.Page[T], error) {
			return db.ListPages(ctx, l.Session(), list, g.q, l.scope, g.cols, parents, g.args)
		})
}

// byGroup answers a batch in key order. Keys that differ only in their
// parent form a group, read with one call; a failed read fails its group's
// keys only, and a parent the read did not return gets V's zero value.
func byGroup[K comparable, G comparable, V any](keys []K, split func(K) (G, string),
	read func(G, []string) (map[string]V, error),
) []*dataloader.Result[V] {
	parents := map[G][]string{}
	var order []G
	for _, k := range keys {
		g, p := split(k)
		if _, ok := parents[g]; !ok {
			order = append(order, g)
		}
		parents[g] = append(parents[g], p)
	}
	got := make(map[G]map[string]V, len(order))
	errs := map[G]error{}
	for _, g := range order {
		got[g], errs[g] = read(g, parents[g])
	}
	out := make([]*dataloader.Result[V], len(keys))
	for i, k := range keys {
		g, p := split(k)
		if err := errs[g]; err != nil {
			out[i] = &dataloader.Result[V]{Error: err}
			continue
		}
		out[i] = &dataloader.Result[V]{Data: got[g][p]}
	}
	return out
}

// aggKey identifies an aggregate over a nested list: a count (Facet "")
// or one facet's buckets, for one parent under one compiled query.
type aggKey struct {
	Parent string
	Query  *db.Compiled
	Facet  string
}

// Count loads the total size of the compiled list under parent, batched
// with the counts of other parents.
func Count(ctx context.Context, c *db.Compiled, parent string) (int, error) {
	buckets, err := aggLoader(For(ctx), c.Spec()).Load(ctx, aggKey{Parent: parent, Query: c})()
	if err != nil || len(buckets) == 0 {
		return 0, err
	}
	return buckets[0].Count, nil
}

// Facet loads the buckets of one facet of the compiled list under parent,
// batched with the same facet of other parents.
func Facet(ctx context.Context, c *db.Compiled, parent, facet string) ([]db.Bucket, error) {
	return aggLoader(For(ctx), c.Spec()).Load(ctx, aggKey{Parent: parent, Query: c, Facet: facet})()
}

func aggLoader(l *Loaders, spec *db.ListSpec) *dataloader.Loader[aggKey, []db.Bucket] {
	l.mu.Lock()
	defer l.mu.Unlock()
	if ld, ok := l.aggs[spec]; ok {
		return ld
	}
	ld := dataloader.NewBatchedLoader(func(ctx context.Context, keys []aggKey) []*dataloader.Result[[]db.Bucket] {
		ctx, end := batchSpan(ctx, spec.Name+" aggregates", len(keys))
		defer end()
		return loadAggs(ctx, l, keys)
	}, options[aggKey, []db.Bucket](l.opts)...)
	l.aggs[spec] = ld
	return ld
}

// loadAggs reads the counts and facets of a batch: one statement per
// compiled query and facet.
func loadAggs(ctx context.Context, l *Loaders, keys []aggKey) []*dataloader.Result[[]db.Bucket] {
	type aggGroup struct {
		c     *db.Compiled
		facet string
	}
	return byGroup(keys, func(k aggKey) (aggGroup, string) { return aggGroup{k.Query, k.Facet}, k.Parent },
		func(g aggGroup, parents []string) (map[string][]db.Bucket, error) {
			c := g.c
			if g.facet != "" {
				return db.FacetsByParent(ctx, l.Session(), c, l.scope, g.facet, parents)
			}
			counts, err := db.CountByParent(ctx, l.Session(), c, l.scope, parents)
			out := make(map[string][]db.Bucket, len(parents))
			for _, p := range parents {
				out[p] = []db.Bucket{{Count: counts[p]}}
			}
			return out, err
		})
}
