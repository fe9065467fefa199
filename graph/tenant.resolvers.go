package graph

import (
	"catalogue/db"
	"catalogue/graph/generated"
	"catalogue/graph/model"
	"context"
)

func (r *brandResolver) Tenant(ctx context.Context, obj *model.Brand) (*model.Tenant, error) {
	return must(ctx, db.TenantNode, obj.TenantID)
}

func (r *brandResolver) Members(ctx context.Context, obj *model.Brand, first *int, after *string, last *int, before *string) (*model.BrandMemberConnection, error) {
	p, c, err := nested(ctx, db.BrandMembersByBrand, obj.ID, first, after, last, before)
	if err != nil {
		return nil, err
	}
	return &model.BrandMemberConnection{Conn: c, Edges: edges(p, brandMemberEdge)}, nil
}

func (r *brandResolver) Artists(ctx context.Context, obj *model.Brand, first *int, after *string, last *int, before *string) (*model.ArtistConnection, error) {
	p, c, err := nested(ctx, db.ArtistsByBrand, obj.ID, first, after, last, before)
	if err != nil {
		return nil, err
	}
	return &model.ArtistConnection{Conn: c, Edges: edges(p, nodeEdge)}, nil
}

func (r *brandResolver) Releases(ctx context.Context, obj *model.Brand, first *int, after *string, last *int, before *string) (*model.ReleaseConnection, error) {
	p, c, err := nested(ctx, db.ReleasesByBrand, obj.ID, first, after, last, before)
	if err != nil {
		return nil, err
	}
	return &model.ReleaseConnection{Conn: c, Edges: edges(p, nodeEdge)}, nil
}

func (r *groupResolver) Tenant(ctx context.Context, obj *model.Group) (*model.Tenant, error) {
	return must(ctx, db.TenantNode, obj.TenantID)
}

func (r *tenantResolver) Parent(ctx context.Context, obj *model.Tenant) (*model.Tenant, error) {
	return ref(ctx, db.TenantNode, obj.ParentID)
}

func (r *tenantResolver) Subsidiaries(ctx context.Context, obj *model.Tenant, first *int, after *string, last *int, before *string) (*model.TenantConnection, error) {
	p, c, err := nested(ctx, db.TenantsByParent, obj.ID, first, after, last, before)
	if err != nil {
		return nil, err
	}
	return &model.TenantConnection{Conn: c, Edges: edges(p, nodeEdge)}, nil
}

func (r *tenantResolver) Brands(ctx context.Context, obj *model.Tenant, first *int, after *string, last *int, before *string) (*model.BrandConnection, error) {
	p, c, err := nested(ctx, db.BrandsByTenant, obj.ID, first, after, last, before)
	if err != nil {
		return nil, err
	}
	return &model.BrandConnection{Conn: c, Edges: edges(p, nodeEdge)}, nil
}

func (r *tenantResolver) Members(ctx context.Context, obj *model.Tenant, first *int, after *string, last *int, before *string) (*model.TenantMemberConnection, error) {
	p, c, err := nested(ctx, db.MembersByTenant, obj.ID, first, after, last, before)
	if err != nil {
		return nil, err
	}
	return &model.TenantMemberConnection{Conn: c, Edges: edges(p, tenantMemberEdge)}, nil
}

func (r *tenantResolver) Groups(ctx context.Context, obj *model.Tenant, first *int, after *string, last *int, before *string) (*model.GroupConnection, error) {
	p, c, err := nested(ctx, db.GroupsByTenant, obj.ID, first, after, last, before)
	if err != nil {
		return nil, err
	}
	return &model.GroupConnection{Conn: c, Edges: edges(p, nodeEdge)}, nil
}

func (r *tenantResolver) Artists(ctx context.Context, obj *model.Tenant, first *int, after *string, last *int, before *string) (*model.ArtistConnection, error) {
	p, c, err := nested(ctx, db.ArtistsByTenant, obj.ID, first, after, last, before)
	if err != nil {
		return nil, err
	}
	return &model.ArtistConnection{Conn: c, Edges: edges(p, nodeEdge)}, nil
}

func (r *tenantResolver) Labels(ctx context.Context, obj *model.Tenant, first *int, after *string, last *int, before *string) (*model.LabelConnection, error) {
	p, c, err := nested(ctx, db.LabelsByTenant, obj.ID, first, after, last, before)
	if err != nil {
		return nil, err
	}
	return &model.LabelConnection{Conn: c, Edges: edges(p, nodeEdge)}, nil
}

func (r *tenantResolver) Releases(ctx context.Context, obj *model.Tenant, first *int, after *string, last *int, before *string) (*model.ReleaseConnection, error) {
	p, c, err := nested(ctx, db.ReleasesByTenant, obj.ID, first, after, last, before)
	if err != nil {
		return nil, err
	}
	return &model.ReleaseConnection{Conn: c, Edges: edges(p, nodeEdge)}, nil
}

func (r *Resolver) Brand() generated.BrandResolver { return &brandResolver{r} }

func (r *Resolver) Group() generated.GroupResolver { return &groupResolver{r} }

func (r *Resolver) Tenant() generated.TenantResolver { return &tenantResolver{r} }

type (
	brandResolver  struct{ *Resolver }
	groupResolver  struct{ *Resolver }
	tenantResolver struct{ *Resolver }
)
