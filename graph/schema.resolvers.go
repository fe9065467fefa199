package graph

import (
	"catalogue/db"
	"catalogue/db/model"
	"catalogue/graph/generated"
	"catalogue/internal/auth"
	"context"
)

func (r *mutationResolver) CreateAPIKey(ctx context.Context, input model.CreateAPIKeyInput) (*model.CreateAPIKeyPayload, error) {
	p, err := createAPIKey(ctx, r.Store, input)
	return payload(ctx, createAPIKeyResult, p, err)
}

func (r *mutationResolver) RevokeAPIKey(ctx context.Context, input model.RevokeAPIKeyInput) (*model.RevokeAPIKeyPayload, error) {
	p, err := revokeAPIKey(ctx, r.Store, input)
	return payload(ctx, revokeAPIKeyResult, p, err)
}

func (r *queryResolver) Node(ctx context.Context, id string) (model.Node, error) {
	if soleRootField(ctx) {
		// Nothing to batch it with: read it at once, as nodes() does.
		n, err := loadNodes(ctx, []string{id})
		if err != nil {
			return nil, err
		}
		return n[0], nil
	}
	return loadNode(ctx, id)()
}

func (r *queryResolver) Nodes(ctx context.Context, ids []string) ([]model.Node, error) {
	return loadNodes(ctx, ids)
}

func (r *queryResolver) Viewer(ctx context.Context) (*model.Viewer, error) {
	v, err := viewerOf(ctx)
	return planRoot(ctx, viewerPlan, v), err
}

func (r *queryResolver) Tenant(ctx context.Context, slug string) (*model.Tenant, error) {
	return tenantBySlug(ctx, slug)
}

func (r *queryResolver) Tenants(ctx context.Context, first *int, after *string, last *int, before *string) (*model.TenantConnection, error) {
	res, err := topLevel(ctx, db.Tenants, tenantEdges, pageOnly(first, after, last, before))
	if err != nil {
		return nil, err
	}
	return &model.TenantConnection{Conn: res.conn, Edges: edges(res.page, nodeEdge)}, nil
}

func (r *viewerResolver) User(ctx context.Context, obj *model.Viewer) (*model.User, error) {
	return refID(ctx, db.UserNode, obj.UserID)
}

func (r *viewerResolver) Tenant(ctx context.Context, obj *model.Viewer) (*model.Tenant, error) {
	return refID(ctx, db.TenantNode, obj.TenantID)
}

func (r *viewerResolver) APIKey(ctx context.Context, obj *model.Viewer) (*model.APIKey, error) {
	return refID(ctx, db.APIKeyNode, obj.APIKeyID)
}

func (r *viewerResolver) Impersonator(ctx context.Context, obj *model.Viewer) (*model.User, error) {
	p, err := auth.From(ctx)
	if err != nil || p.ImpersonatorID != obj.ImpersonatorID {
		return nil, err
	}
	return p.Impersonator, nil
}

func (r *viewerResolver) Invitations(ctx context.Context, obj *model.Viewer) ([]*model.Invitation, error) {
	return invitationsOf(ctx)
}

func (r *Resolver) Mutation() generated.MutationResolver { return &mutationResolver{r} }

func (r *Resolver) Query() generated.QueryResolver { return &queryResolver{r} }

func (r *Resolver) Viewer() generated.ViewerResolver { return &viewerResolver{r} }

type (
	mutationResolver struct{ *Resolver }
	queryResolver    struct{ *Resolver }
	viewerResolver   struct{ *Resolver }
)
