package loader

import (
	"context"

	"github.com/graph-gophers/dataloader/v7"

	"catalogue/db"
)

// Node loads the row of n with the given ID, batched with other loads of the
// same type; nil when it does not exist or is outside the request's scope.
func Node[T any](ctx context.Context, n *db.Node[T], id string) (*T, error) {
	return nodeLoader(For(ctx), n).Load(ctx, id)()
}

// NodeThunk starts loading a row and returns a function that waits for it,
// so that a caller can ask for many rows before waiting on any.
func NodeThunk[T any](ctx context.Context, n *db.Node[T], id string) func() (*T, error) {
	return nodeLoader(For(ctx), n).Load(ctx, id)
}

func nodeLoader[T any](l *Loaders, n *db.Node[T]) *dataloader.Loader[string, *T] {
	l.mu.Lock()
	defer l.mu.Unlock()
	if ld, ok := l.nodes[n]; ok {
		return ld.(*dataloader.Loader[string, *T])
	}
	ld := dataloader.NewBatchedLoader(func(ctx context.Context, ids []string) []*dataloader.Result[*T] {
		ctx, end := batchSpan(ctx, n.Name, len(ids))
		defer end()
		return byGroup(ids, byID, func(_ struct{}, ids []string) (map[string]*T, error) {
			return db.ByIDs(ctx, l.Session(), n, l.scope, ids)
		})
	}, options[string, *T](l.opts)...)
	l.nodes[n] = ld
	return ld
}

// byID puts every key of a batch in one group: lookups by ID differ only
// in the ID.
func byID(id string) (struct{}, string) { return struct{}{}, id }
