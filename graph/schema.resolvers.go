package graph

import (
	"catalogue/db"
	"catalogue/graph/generated"
	"catalogue/graph/model"
	"context"
)

func (r *queryResolver) Node(ctx context.Context, id string) (model.Node, error) {
	return loadNode(ctx, id)()
}

func (r *queryResolver) Nodes(ctx context.Context, ids []string) ([]model.Node, error) {
	return loadNodes(ctx, ids)
}

func (r *queryResolver) Viewer(ctx context.Context) (*model.User, error) {
	return nil, nil
}

func (r *queryResolver) Tenant(ctx context.Context, slug string) (*model.Tenant, error) {
	return tenantBySlug(ctx, r.Store, slug)
}

func (r *queryResolver) Tenants(ctx context.Context, first *int, after *string, last *int, before *string) (*model.TenantConnection, error) {
	res, err := topLevel(ctx, r.Store, db.Tenants, pageOnly(first, after, last, before))
	if err != nil {
		return nil, err
	}
	return &model.TenantConnection{Conn: res.conn, Edges: edges(res.page, nodeEdge)}, nil
}

func (r *Resolver) Query() generated.QueryResolver { return &queryResolver{r} }

type queryResolver struct{ *Resolver }
