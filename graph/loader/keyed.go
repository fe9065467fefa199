package loader

import (
	"context"

	"github.com/graph-gophers/dataloader/v7"

	"catalogue/db"
)

// KeyedFunc reads values for many parent IDs within a scope.
type KeyedFunc[V any] func(ctx context.Context, q db.Querier, sc db.Scope, ids []string) (map[string]V, error)

// Keyed loads the value of fetch for id, batched with other ids of the
// same name; a missing id gets V's zero value.
func Keyed[V any](ctx context.Context, name string, fetch KeyedFunc[V], id string) (V, error) {
	l := For(ctx)
	l.mu.Lock()
	ld, ok := l.nodes[name].(*dataloader.Loader[string, V])
	if !ok {
		ld = dataloader.NewBatchedLoader(func(ctx context.Context, ids []string) []*dataloader.Result[V] {
			return byGroup(ids, byID, func(_ struct{}, ids []string) (map[string]V, error) {
				return fetch(ctx, l.Session(), l.scope, ids)
			})
		}, options[string, V](l.opts)...)
		l.nodes[name] = ld
	}
	l.mu.Unlock()
	return ld.Load(ctx, id)()
}
