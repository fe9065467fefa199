package loader

import (
	"context"

	"github.com/graph-gophers/dataloader/v7"

	"catalogue/db"
)

// PageKey identifies one page of a nested list: the parent and the page
// arguments. Keys with equal arguments are read in one statement.
type PageKey struct {
	Parent string
	Args   db.PageArgs
}

// Page loads a page of list for parent, batched with the same list's pages
// of other parents.
func Page[T any](ctx context.Context, list *db.List[T], parent string, args db.PageArgs) (*db.Page[T], error) {
	return pageLoader(For(ctx), list).Load(ctx, PageKey{Parent: parent, Args: args})()
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

// loadPages groups the keys by page arguments, runs one statement per
// group and answers in key order.
func loadPages[T any](ctx context.Context, l *Loaders, list *db.List[T], keys []PageKey) []*dataloader.Result[*db.Page[T]] {
	groups := map[db.PageArgs][]string{}
	var argOrder []db.PageArgs
	for _, k := range keys {
		if _, ok := groups[k.Args]; !ok {
			argOrder = append(argOrder, k.Args)
		}
		groups[k.Args] = append(groups[k.Args], k.Parent)
	}
	pages := map[PageKey]*db.Page[T]{}
	errs := map[db.PageArgs]error{}
	for _, args := range argOrder {
		got, err := db.ListPages(ctx, l.store, list, l.scope, groups[args], args)
		if err != nil {
			errs[args] = err
			continue
		}
		for parent, p := range got {
			pages[PageKey{Parent: parent, Args: args}] = p
		}
	}
	out := make([]*dataloader.Result[*db.Page[T]], len(keys))
	for i, k := range keys {
		if err := errs[k.Args]; err != nil {
			out[i] = &dataloader.Result[*db.Page[T]]{Error: err}
			continue
		}
		out[i] = &dataloader.Result[*db.Page[T]]{Data: pages[k]}
	}
	return out
}

// Count loads the total size of spec's list under parent, batched with the
// counts of other parents.
func Count(ctx context.Context, spec *db.ListSpec, parent string) (int, error) {
	return countLoader(For(ctx), spec).Load(ctx, parent)()
}

func countLoader(l *Loaders, spec *db.ListSpec) *dataloader.Loader[string, int] {
	l.mu.Lock()
	defer l.mu.Unlock()
	if ld, ok := l.counts[spec]; ok {
		return ld
	}
	ld := dataloader.NewBatchedLoader(func(ctx context.Context, parents []string) []*dataloader.Result[int] {
		counts, err := db.CountByParent(ctx, l.store, spec, l.scope, parents)
		if err != nil {
			return errorsFor[int](len(parents), err)
		}
		out := make([]*dataloader.Result[int], len(parents))
		for i, p := range parents {
			out[i] = &dataloader.Result[int]{Data: counts[p]}
		}
		return out
	}, options[string, int](l.opts)...)
	l.counts[spec] = ld
	return ld
}
