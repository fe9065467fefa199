package graph

import (
	"catalogue/db"
	"catalogue/db/model"
	"catalogue/graph/generated"
	"context"
)

func (r *brandAccessResolver) Brand(ctx context.Context, obj *model.BrandAccess) (*model.Brand, error) {
	return must(ctx, db.BrandNode, obj.BrandID)
}

func (r *brandAccessResolver) User(ctx context.Context, obj *model.BrandAccess) (*model.User, error) {
	return must(ctx, db.UserNode, obj.UserID)
}

func (r *membershipResolver) Tenant(ctx context.Context, obj *model.Membership) (*model.Tenant, error) {
	return must(ctx, db.TenantNode, obj.TenantID)
}

func (r *membershipResolver) User(ctx context.Context, obj *model.Membership) (*model.User, error) {
	return refID(ctx, db.UserNode, obj.UserID)
}

func (r *membershipResolver) Groups(ctx context.Context, obj *model.Membership, first *int, after *string, last *int, before *string) (*model.GroupConnection, error) {
	res, err := nested(ctx, db.GroupsByMembership, obj.ID, pageOnly(first, after, last, before))
	if err != nil {
		return nil, err
	}
	return &model.GroupConnection{Conn: res.conn, Edges: edges(res.page, nodeEdge)}, nil
}

func (r *membershipResolver) BrandAccess(ctx context.Context, obj *model.Membership, first *int, after *string, last *int, before *string) (*model.BrandAccessConnection, error) {
	res, err := nested(ctx, db.BrandAccessByMembership, obj.ID, pageOnly(first, after, last, before))
	if err != nil {
		return nil, err
	}
	return &model.BrandAccessConnection{Conn: res.conn, Edges: edges(res.page, nodeEdge)}, nil
}

func (r *userResolver) Email(ctx context.Context, obj *model.User) (*string, error) {
	return contact(ctx, obj.ID, &obj.Email)
}

func (r *userResolver) Phone(ctx context.Context, obj *model.User) (*string, error) {
	return contact(ctx, obj.ID, obj.Phone)
}

func (r *userResolver) CreatedBy(ctx context.Context, obj *model.User) (*model.User, error) {
	return ref(ctx, db.UserNode, obj.CreatedByID)
}

func (r *userResolver) UpdatedBy(ctx context.Context, obj *model.User) (*model.User, error) {
	return ref(ctx, db.UserNode, obj.UpdatedByID)
}

func (r *userResolver) Memberships(ctx context.Context, obj *model.User, first *int, after *string, last *int, before *string) (*model.MembershipConnection, error) {
	res, err := nested(ctx, db.MembershipsByUser, obj.ID, pageOnly(first, after, last, before))
	if err != nil {
		return nil, err
	}
	return &model.MembershipConnection{Conn: res.conn, Edges: edges(res.page, nodeEdge)}, nil
}

func (r *userResolver) Artists(ctx context.Context, obj *model.User, first *int, after *string, last *int, before *string, offset *int, filter map[string]any, query *string, orderBy []map[string]any) (*model.ArtistConnection, error) {
	res, err := nested(ctx, db.ArtistsByUser, obj.ID, listArgs{first: first, after: after, last: last, before: before, offset: offset, filter: filter, query: query, orderBy: orderBy})
	if err != nil {
		return nil, err
	}
	return &model.ArtistConnection{Conn: res.conn, Facets: &model.ArtistFacets{Facets: res.facets}, Edges: edges(res.page, nodeEdge)}, nil
}

func (r *Resolver) BrandAccess() generated.BrandAccessResolver { return &brandAccessResolver{r} }

func (r *Resolver) Membership() generated.MembershipResolver { return &membershipResolver{r} }

func (r *Resolver) User() generated.UserResolver { return &userResolver{r} }

type (
	brandAccessResolver struct{ *Resolver }
	membershipResolver  struct{ *Resolver }
	userResolver        struct{ *Resolver }
)
