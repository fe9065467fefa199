package loader

import (
	"context"

	"github.com/graph-gophers/dataloader/v7"

	"catalogue/db"
)

// Node loads the columns cols of the row of n with the given ID, batched
// with other loads of the same type and columns; nil when it does not exist
// or is outside the request's scope.
func Node[T any](ctx context.Context, n *db.Node[T], cols db.Cols, id string) (*T, error) {
	return nodeLoader(For(ctx), n, cols).Load(ctx, id)()
}

// NodeThunk starts loading a row and returns a function that waits for it,
// so that a caller can ask for many rows before waiting on any.
func NodeThunk[T any](ctx context.Context, n *db.Node[T], cols db.Cols, id string) func() (*T, error) {
	return nodeLoader(For(ctx), n, cols).Load(ctx, id)
}

// nodeKey names the loader of one Node read with one set of columns. The
// columns are part of the loader's identity, so a cached row always has
// exactly the columns its key asked for: a load that needs other columns
// goes to another loader, never gets a narrower row from the cache.
type nodeKey struct {
	node any // *db.Node[T]
	cols db.Cols
}

func nodeLoader[T any](l *Loaders, n *db.Node[T], cols db.Cols) *dataloader.Loader[string, *T] {
	l.mu.Lock()
	defer l.mu.Unlock()
	key := nodeKey{n, cols}
	if ld, ok := l.nodes[key]; ok {
		return ld.(*dataloader.Loader[string, *T])
	}
	ld := dataloader.NewBatchedLoader(func(ctx context.Context, ids []string) []*dataloader.Result[*T] {
		ctx, end := batchSpan(ctx, n.Name, len(ids))
		defer end()
		return byGroup(ids, byID, func(_ struct{}, ids []string) (map[string]*T, error) {
			return db.ColumnsByIDs(ctx, l.Session(), n, l.scope, cols, ids)
		})
	}, options[string, *T](l.opts)...)
	l.nodes[key] = ld
	return ld
}

// byID puts every key of a batch in one group: lookups by ID differ only
// in the ID.
func byID(id string) (struct{}, string) { return struct{}{}, id }
