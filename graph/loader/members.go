package loader

import (
	"context"

	"github.com/graph-gophers/dataloader/v7"

	"catalogue/db"
	"catalogue/db/model"
)

// membershipsLoaderKey files the loader of MemberMemberships in Loaders.nodes.
type membershipsLoaderKey struct{}

// MemberMemberships loads the memberships of a user of a tenant's member
// list with subsidiaries (the edge's memberships field), batched with the
// other edges' or primed for a whole level by PrimeMemberMemberships.
func MemberMemberships(ctx context.Context, key db.MemberKey) ([]*model.Membership, error) {
	return membershipsLoader(For(ctx)).Load(ctx, key)()
}

// PrimeMemberMemberships reads the memberships of every key in one
// statement and caches them. A failed read primes nothing.
func PrimeMemberMemberships(ctx context.Context, keys []db.MemberKey) {
	if len(keys) == 0 {
		return
	}
	l := For(ctx)
	rows, err := db.MembershipsOfMembers(ctx, l.session, l.scope, keys)
	if err != nil {
		return
	}
	ld := membershipsLoader(l)
	for i, k := range keys {
		ld.Prime(ctx, k, rows[i])
	}
}

func membershipsLoader(l *Loaders) *dataloader.Loader[db.MemberKey, []*model.Membership] {
	l.mu.Lock()
	defer l.mu.Unlock()
	if ld, ok := l.nodes[membershipsLoaderKey{}]; ok {
		return ld.(*dataloader.Loader[db.MemberKey, []*model.Membership])
	}
	ld := dataloader.NewBatchedLoader(func(ctx context.Context, keys []db.MemberKey) []*dataloader.Result[[]*model.Membership] {
		ctx, end := batchSpan(ctx, "TenantMemberEdge.memberships", len(keys))
		defer end()
		rows, err := db.MembershipsOfMembers(ctx, l.session, l.scope, keys)
		out := make([]*dataloader.Result[[]*model.Membership], len(keys))
		for i := range keys {
			if err != nil {
				out[i] = &dataloader.Result[[]*model.Membership]{Error: err}
			} else {
				out[i] = &dataloader.Result[[]*model.Membership]{Data: rows[i]}
			}
		}
		return out
	}, options[db.MemberKey, []*model.Membership](l.opts)...)
	l.nodes[membershipsLoaderKey{}] = ld
	return ld
}
