package loader

import (
	"context"

	"github.com/graph-gophers/dataloader/v7"

	"catalogue/db"
)

// KeyedFunc reads values for many parent IDs within a scope.
type KeyedFunc[V any] func(ctx context.Context, q db.Querier, sc db.Scope, ids []string) (map[string]V, error)

// KeyedRead is a read of one value per parent ID. Its address names its
// loader: each KeyedRead has a loader of its own in every request.
type KeyedRead[V any] struct {
	Fetch KeyedFunc[V]
	Name  string // what it reads ("Release.deliveryStores"), for traces
}

// Keyed loads the value of r for id, batched with other ids of the same
// read or from the cache a plan primed; a missing id gets V's zero value.
func Keyed[V any](ctx context.Context, r *KeyedRead[V], id string) (V, error) {
	return keyedLoader(For(ctx), r).Load(ctx, id)()
}

func keyedLoader[V any](l *Loaders, r *KeyedRead[V]) *dataloader.Loader[string, V] {
	l.mu.Lock()
	defer l.mu.Unlock()
	if ld, ok := l.nodes[r]; ok {
		return ld.(*dataloader.Loader[string, V])
	}
	ld := dataloader.NewBatchedLoader(func(ctx context.Context, ids []string) []*dataloader.Result[V] {
		ctx, end := batchSpan(ctx, r.Name, len(ids))
		defer end()
		return byGroup(ids, byID, func(_ struct{}, ids []string) (map[string]V, error) {
			return r.Fetch(ctx, l.Session(), l.scope, ids)
		})
	}, options[string, V](l.opts)...)
	l.nodes[r] = ld
	return ld
}
