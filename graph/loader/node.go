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
		rows, err := db.ByIDs(ctx, l.session, n, l.scope, ids)
		if err != nil {
			return errorsFor[*T](len(ids), err)
		}
		out := make([]*dataloader.Result[*T], len(ids))
		for i, id := range ids {
			out[i] = &dataloader.Result[*T]{Data: rows[id]}
		}
		return out
	}, options[string, *T](l.opts)...)
	l.nodes[n] = ld
	return ld
}
