package graph

import (
	"catalogue/db"
	"catalogue/db/model"
	"catalogue/graph/generated"
	"catalogue/internal/auth"
	"context"
)

func (r *apiKeyResolver) Tenant(ctx context.Context, obj *model.APIKey) (*model.Tenant, error) {
	return must(ctx, db.TenantNode, obj.TenantID)
}

func (r *apiKeyResolver) CreatedBy(ctx context.Context, obj *model.APIKey) (*model.User, error) {
	return ref(ctx, db.UserNode, obj.CreatedByID)
}

func (r *brandResolver) Tenant(ctx context.Context, obj *model.Brand) (*model.Tenant, error) {
	return must(ctx, db.TenantNode, obj.TenantID)
}

func (r *brandResolver) Members(ctx context.Context, obj *model.Brand, first *int, after *string, last *int, before *string, offset *int, filter map[string]any, query *string, orderBy []map[string]any) (*model.BrandMemberConnection, error) {
	res, err := nested(ctx, db.BrandMembersByBrand, obj.ID, listArgs{first: first, after: after, last: last, before: before, offset: offset, filter: filter, query: query, orderBy: orderBy})
	if err != nil {
		return nil, err
	}
	return &model.BrandMemberConnection{Conn: res.conn, Facets: &model.UserFacets{Facets: res.facets}, Edges: edges(res.page, brandMemberEdge)}, nil
}

func (r *brandResolver) Artists(ctx context.Context, obj *model.Brand, first *int, after *string, last *int, before *string, offset *int, filter map[string]any, query *string, orderBy []map[string]any) (*model.ArtistConnection, error) {
	res, err := nested(ctx, db.ArtistsByBrand, obj.ID, listArgs{first: first, after: after, last: last, before: before, offset: offset, filter: filter, query: query, orderBy: orderBy})
	if err != nil {
		return nil, err
	}
	return &model.ArtistConnection{Conn: res.conn, Facets: &model.ArtistFacets{Facets: res.facets}, Edges: edges(res.page, nodeEdge)}, nil
}

func (r *brandResolver) Releases(ctx context.Context, obj *model.Brand, first *int, after *string, last *int, before *string, offset *int, filter map[string]any, query *string, orderBy []map[string]any) (*model.ReleaseConnection, error) {
	res, err := nested(ctx, db.ReleasesByBrand, obj.ID, listArgs{first: first, after: after, last: last, before: before, offset: offset, filter: filter, query: query, orderBy: orderBy})
	if err != nil {
		return nil, err
	}
	return &model.ReleaseConnection{Conn: res.conn, Facets: &model.ReleaseFacets{Facets: res.facets}, Edges: edges(res.page, nodeEdge)}, nil
}

func (r *brandResolver) CreatedBy(ctx context.Context, obj *model.Brand) (*model.User, error) {
	return ref(ctx, db.UserNode, obj.CreatedByID)
}

func (r *brandResolver) UpdatedBy(ctx context.Context, obj *model.Brand) (*model.User, error) {
	return ref(ctx, db.UserNode, obj.UpdatedByID)
}

func (r *groupResolver) Tenant(ctx context.Context, obj *model.Group) (*model.Tenant, error) {
	return must(ctx, db.TenantNode, obj.TenantID)
}

func (r *tenantResolver) Parent(ctx context.Context, obj *model.Tenant) (*model.Tenant, error) {
	return ref(ctx, db.TenantNode, obj.ParentID)
}

func (r *tenantResolver) Subsidiaries(ctx context.Context, obj *model.Tenant, first *int, after *string, last *int, before *string) (*model.TenantConnection, error) {
	res, err := nested(ctx, db.TenantsByParent, obj.ID, pageOnly(first, after, last, before))
	if err != nil {
		return nil, err
	}
	return &model.TenantConnection{Conn: res.conn, Edges: edges(res.page, nodeEdge)}, nil
}

func (r *tenantResolver) Brands(ctx context.Context, obj *model.Tenant, first *int, after *string, last *int, before *string, offset *int, orderBy []map[string]any, includeSubsidiaries *bool) (*model.BrandConnection, error) {
	res, err := nested(ctx, db.BrandsByTenant, obj.ID, listArgs{first: first, after: after, last: last, before: before, offset: offset, orderBy: orderBy, subsidiaries: includeSubsidiaries})
	if err != nil {
		return nil, err
	}
	return &model.BrandConnection{Conn: res.conn, Edges: edges(res.page, nodeEdge)}, nil
}

func (r *tenantResolver) Members(ctx context.Context, obj *model.Tenant, first *int, after *string, last *int, before *string, offset *int, filter map[string]any, query *string, orderBy []map[string]any, includeSubsidiaries *bool) (*model.TenantMemberConnection, error) {
	res, err := nested(ctx, db.MembersByTenant, obj.ID, listArgs{first: first, after: after, last: last, before: before, offset: offset, filter: filter, query: query, orderBy: orderBy, subsidiaries: includeSubsidiaries})
	if err != nil {
		return nil, err
	}
	return &model.TenantMemberConnection{Conn: res.conn, Facets: &model.UserFacets{Facets: res.facets}, Edges: tenantMemberEdges(obj.ID, res)}, nil
}

func (r *tenantResolver) Groups(ctx context.Context, obj *model.Tenant, first *int, after *string, last *int, before *string) (*model.GroupConnection, error) {
	res, err := nested(ctx, db.GroupsByTenant, obj.ID, pageOnly(first, after, last, before))
	if err != nil {
		return nil, err
	}
	return &model.GroupConnection{Conn: res.conn, Edges: edges(res.page, nodeEdge)}, nil
}

func (r *tenantResolver) Artists(ctx context.Context, obj *model.Tenant, first *int, after *string, last *int, before *string, offset *int, filter map[string]any, query *string, orderBy []map[string]any, includeSubsidiaries *bool) (*model.ArtistConnection, error) {
	res, err := nested(ctx, db.ArtistsByTenant, obj.ID, listArgs{first: first, after: after, last: last, before: before, offset: offset, filter: filter, query: query, orderBy: orderBy, subsidiaries: includeSubsidiaries})
	if err != nil {
		return nil, err
	}
	return &model.ArtistConnection{Conn: res.conn, Facets: &model.ArtistFacets{Facets: res.facets}, Edges: edges(res.page, nodeEdge)}, nil
}

func (r *tenantResolver) Labels(ctx context.Context, obj *model.Tenant, first *int, after *string, last *int, before *string, offset *int, orderBy []map[string]any, includeSubsidiaries *bool) (*model.LabelConnection, error) {
	res, err := nested(ctx, db.LabelsByTenant, obj.ID, listArgs{first: first, after: after, last: last, before: before, offset: offset, orderBy: orderBy, subsidiaries: includeSubsidiaries})
	if err != nil {
		return nil, err
	}
	return &model.LabelConnection{Conn: res.conn, Edges: edges(res.page, nodeEdge)}, nil
}

func (r *tenantResolver) Releases(ctx context.Context, obj *model.Tenant, first *int, after *string, last *int, before *string, offset *int, filter map[string]any, query *string, orderBy []map[string]any, includeSubsidiaries *bool) (*model.ReleaseConnection, error) {
	res, err := nested(ctx, db.ReleasesByTenant, obj.ID, listArgs{first: first, after: after, last: last, before: before, offset: offset, filter: filter, query: query, orderBy: orderBy, subsidiaries: includeSubsidiaries})
	if err != nil {
		return nil, err
	}
	return &model.ReleaseConnection{Conn: res.conn, Facets: &model.ReleaseFacets{Facets: res.facets}, Edges: edges(res.page, nodeEdge)}, nil
}

func (r *tenantResolver) Invitations(ctx context.Context, obj *model.Tenant, first *int, after *string, last *int, before *string) (*model.MembershipConnection, error) {
	if _, err := require(ctx, auth.PermManageMembers); err != nil {
		return nil, err
	}
	res, err := nested(ctx, db.InvitationsByTenant, obj.ID, pageOnly(first, after, last, before))
	if err != nil {
		return nil, err
	}
	return &model.MembershipConnection{Conn: res.conn, Edges: edges(res.page, nodeEdge)}, nil
}

func (r *tenantResolver) APIKeys(ctx context.Context, obj *model.Tenant, first *int, after *string, last *int, before *string) (*model.APIKeyConnection, error) {
	if _, err := require(ctx, auth.PermManageAPIKeys); err != nil {
		return nil, err
	}
	res, err := nested(ctx, db.APIKeysByTenant, obj.ID, pageOnly(first, after, last, before))
	if err != nil {
		return nil, err
	}
	return &model.APIKeyConnection{Conn: res.conn, Edges: edges(res.page, nodeEdge)}, nil
}

func (r *Resolver) ApiKey() generated.ApiKeyResolver { return &apiKeyResolver{r} }

func (r *Resolver) Brand() generated.BrandResolver { return &brandResolver{r} }

func (r *Resolver) Group() generated.GroupResolver { return &groupResolver{r} }

func (r *Resolver) Tenant() generated.TenantResolver { return &tenantResolver{r} }

type (
	apiKeyResolver struct{ *Resolver }
	brandResolver  struct{ *Resolver }
	groupResolver  struct{ *Resolver }
	tenantResolver struct{ *Resolver }
)
