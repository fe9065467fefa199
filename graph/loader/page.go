package loader

import (
	"context"

	"github.com/graph-gophers/dataloader/v7"

	"catalogue/db"
)

// PageKey identifies one page of a nested list: the parent, the page
// arguments and the compiled filter and order (by signature). Keys that
// differ only in Parent are read in one statement.
type PageKey struct {
	Parent string
	Args   db.PageArgs
	Sig    string
}

// group is the part of a key shared by the keys of one statement.
type group struct {
	args db.PageArgs
	sig  string
}

// remember records a compiled query under its signature so that a batch
// can find it again from the keys.
func (l *Loaders) remember(c *db.Compiled) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if _, ok := l.compiled[c.Sig]; !ok {
		l.compiled[c.Sig] = c
	}
}

func (l *Loaders) compiledFor(sig string) *db.Compiled {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.compiled[sig]
}

// Page loads a page of list for parent, batched with the same list's pages
// of other parents.
func Page[T any](ctx context.Context, list *db.List[T], c *db.Compiled, parent string, args db.PageArgs) (*db.Page[T], error) {
	return PageThunk(ctx, list, c, parent, args)()
}

// PageThunk starts loading a page and returns a function that waits for
// it. Starting the pages of all parents in one loop puts them in one batch
// whatever the scheduling of the goroutines that later ask for them.
func PageThunk[T any](ctx context.Context, list *db.List[T], c *db.Compiled, parent string, args db.PageArgs) func() (*db.Page[T], error) {
	l := For(ctx)
	l.remember(c)
	return pageLoader(l, list).Load(ctx, PageKey{Parent: parent, Args: args, Sig: c.Sig})
}

func pageLoader[T any](l *Loaders, list *db.List[T]) *dataloader.Loader[PageKey, *db.Page[T]] {
	l.mu.Lock()
	defer l.mu.Unlock()
	if ld, ok := l.pages[&list.ListSpec]; ok {
		return ld.(*dataloader.Loader[PageKey, *db.Page[T]])
	}
	ld := dataloader.NewBatchedLoader(func(ctx context.Context, keys []PageKey) []*dataloader.Result[*db.Page[T]] {
		return loadPages(ctx, l, list, keys)
	}, options[PageKey, *db.Page[T]](l.opts)...)
	l.pages[&list.ListSpec] = ld
	return ld
}

// loadPages groups the keys by page arguments and query, runs one
// statement per group and answers in key order.
func loadPages[T any](ctx context.Context, l *Loaders, list *db.List[T], keys []PageKey) []*dataloader.Result[*db.Page[T]] {
	groups := map[group][]string{}
	var order []group
	for _, k := range keys {
		g := group{k.Args, k.Sig}
		if _, ok := groups[g]; !ok {
			order = append(order, g)
		}
		groups[g] = append(groups[g], k.Parent)
	}
	pages := map[PageKey]*db.Page[T]{}
	errs := map[group]error{}
	for _, g := range order {
		got, err := db.ListPages(ctx, l.session, list, l.compiledFor(g.sig), l.scope, groups[g], g.args)
		if err != nil {
			errs[g] = err
			continue
		}
		for parent, p := range got {
			pages[PageKey{Parent: parent, Args: g.args, Sig: g.sig}] = p
		}
	}
	out := make([]*dataloader.Result[*db.Page[T]], len(keys))
	for i, k := range keys {
		if err := errs[group{k.Args, k.Sig}]; err != nil {
			out[i] = &dataloader.Result[*db.Page[T]]{Error: err}
			continue
		}
		out[i] = &dataloader.Result[*db.Page[T]]{Data: pages[k]}
	}
	return out
}

// aggKey identifies an aggregate over a nested list: a count (Facet "")
// or one facet's buckets, for one parent under one compiled query.
type aggKey struct {
	Parent string
	Sig    string
	Facet  string
}

// Count loads the total size of the compiled list under parent, batched
// with the counts of other parents.
func Count(ctx context.Context, c *db.Compiled, parent string) (int, error) {
	buckets, err := CountThunk(ctx, c, parent)()
	if err != nil || len(buckets) == 0 {
		return 0, err
	}
	return buckets[0].Count, nil
}

// CountThunk starts loading a count without waiting for it.
func CountThunk(ctx context.Context, c *db.Compiled, parent string) func() ([]db.Bucket, error) {
	l := For(ctx)
	l.remember(c)
	return aggLoader(l, c.Spec()).Load(ctx, aggKey{Parent: parent, Sig: c.Sig})
}

// Facet loads the buckets of one facet of the compiled list under parent,
// batched with the same facet of other parents.
func Facet(ctx context.Context, c *db.Compiled, parent, facet string) ([]db.Bucket, error) {
	l := For(ctx)
	l.remember(c)
	return aggLoader(l, c.Spec()).Load(ctx, aggKey{Parent: parent, Sig: c.Sig, Facet: facet})()
}

func aggLoader(l *Loaders, spec *db.ListSpec) *dataloader.Loader[aggKey, []db.Bucket] {
	l.mu.Lock()
	defer l.mu.Unlock()
	if ld, ok := l.aggs[spec]; ok {
		return ld
	}
	ld := dataloader.NewBatchedLoader(func(ctx context.Context, keys []aggKey) []*dataloader.Result[[]db.Bucket] {
		return loadAggs(ctx, l, keys)
	}, options[aggKey, []db.Bucket](l.opts)...)
	l.aggs[spec] = ld
	return ld
}

// loadAggs runs one statement per (query, facet) group of the keys.
func loadAggs(ctx context.Context, l *Loaders, keys []aggKey) []*dataloader.Result[[]db.Bucket] {
	type aggGroup struct{ sig, facet string }
	groups := map[aggGroup][]string{}
	var order []aggGroup
	for _, k := range keys {
		g := aggGroup{k.Sig, k.Facet}
		if _, ok := groups[g]; !ok {
			order = append(order, g)
		}
		groups[g] = append(groups[g], k.Parent)
	}
	results := map[aggKey][]db.Bucket{}
	errs := map[aggGroup]error{}
	for _, g := range order {
		c := l.compiledFor(g.sig)
		if g.facet == "" {
			counts, err := db.CountByParent(ctx, l.session, c, l.scope, groups[g])
			if err != nil {
				errs[g] = err
				continue
			}
			for _, p := range groups[g] {
				results[aggKey{p, g.sig, ""}] = []db.Bucket{{Count: counts[p]}}
			}
			continue
		}
		buckets, err := db.FacetsByParent(ctx, l.session, c, l.scope, g.facet, groups[g])
		if err != nil {
			errs[g] = err
			continue
		}
		for _, p := range groups[g] {
			results[aggKey{p, g.sig, g.facet}] = buckets[p]
		}
	}
	out := make([]*dataloader.Result[[]db.Bucket], len(keys))
	for i, k := range keys {
		if err := errs[aggGroup{k.Sig, k.Facet}]; err != nil {
			out[i] = &dataloader.Result[[]db.Bucket]{Error: err}
			continue
		}
		out[i] = &dataloader.Result[[]db.Bucket]{Data: results[k]}
	}
	return out
}
