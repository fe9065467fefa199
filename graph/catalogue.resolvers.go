package graph

import (
	"catalogue/db"
	"catalogue/db/model"
	"catalogue/graph/generated"
	"context"
)

func (r *artistResolver) Tenant(ctx context.Context, obj *model.Artist) (*model.Tenant, error) {
	return must(ctx, db.TenantNode, obj.TenantID)
}

func (r *artistResolver) Brand(ctx context.Context, obj *model.Artist) (*model.Brand, error) {
	return ref(ctx, db.BrandNode, obj.BrandID)
}

func (r *artistResolver) User(ctx context.Context, obj *model.Artist) (*model.User, error) {
	return ref(ctx, db.UserNode, obj.UserID)
}

func (r *artistResolver) Releases(ctx context.Context, obj *model.Artist, first *int, after *string, last *int, before *string, offset *int, filter map[string]any, query *string, orderBy []map[string]any) (*model.ReleaseConnection, error) {
	res, err := nested(ctx, db.ReleasesByArtist, obj.ID, listArgs{first: first, after: after, last: last, before: before, offset: offset, filter: filter, query: query, orderBy: orderBy})
	if err != nil {
		return nil, err
	}
	return &model.ReleaseConnection{Conn: res.conn, Facets: &model.ReleaseFacets{Facets: res.facets}, Edges: edges(res.page, nodeEdge)}, nil
}

func (r *artistResolver) CreatedBy(ctx context.Context, obj *model.Artist) (*model.User, error) {
	return ref(ctx, db.UserNode, obj.CreatedByID)
}

func (r *artistResolver) UpdatedBy(ctx context.Context, obj *model.Artist) (*model.User, error) {
	return ref(ctx, db.UserNode, obj.UpdatedByID)
}

func (r *labelResolver) Tenant(ctx context.Context, obj *model.Label) (*model.Tenant, error) {
	return must(ctx, db.TenantNode, obj.TenantID)
}

func (r *labelResolver) Releases(ctx context.Context, obj *model.Label, first *int, after *string, last *int, before *string, offset *int, filter map[string]any, query *string, orderBy []map[string]any) (*model.ReleaseConnection, error) {
	res, err := nested(ctx, db.ReleasesByLabel, obj.ID, listArgs{first: first, after: after, last: last, before: before, offset: offset, filter: filter, query: query, orderBy: orderBy})
	if err != nil {
		return nil, err
	}
	return &model.ReleaseConnection{Conn: res.conn, Facets: &model.ReleaseFacets{Facets: res.facets}, Edges: edges(res.page, nodeEdge)}, nil
}

func (r *labelResolver) CreatedBy(ctx context.Context, obj *model.Label) (*model.User, error) {
	return ref(ctx, db.UserNode, obj.CreatedByID)
}

func (r *labelResolver) UpdatedBy(ctx context.Context, obj *model.Label) (*model.User, error) {
	return ref(ctx, db.UserNode, obj.UpdatedByID)
}

func (r *releaseResolver) Tenant(ctx context.Context, obj *model.Release) (*model.Tenant, error) {
	return must(ctx, db.TenantNode, obj.TenantID)
}

func (r *releaseResolver) Label(ctx context.Context, obj *model.Release) (*model.Label, error) {
	return ref(ctx, db.LabelNode, obj.LabelID)
}

func (r *releaseResolver) Brand(ctx context.Context, obj *model.Release) (*model.Brand, error) {
	return ref(ctx, db.BrandNode, obj.BrandID)
}

func (r *releaseResolver) Artists(ctx context.Context, obj *model.Release, first *int, after *string, last *int, before *string) (*model.ReleaseArtistConnection, error) {
	res, err := nested(ctx, db.ArtistsByRelease, obj.ID, pageOnly(first, after, last, before))
	if err != nil {
		return nil, err
	}
	return &model.ReleaseArtistConnection{Conn: res.conn, Edges: edges(res.page, releaseArtistEdge)}, nil
}

func (r *releaseResolver) DeliveryStores(ctx context.Context, obj *model.Release) ([]model.Store, error) {
	return deliveryStores(ctx, obj.ID)
}

func (r *releaseResolver) Tracks(ctx context.Context, obj *model.Release, first *int, after *string, last *int, before *string, offset *int, filter map[string]any, query *string, orderBy []map[string]any) (*model.TrackConnection, error) {
	res, err := nested(ctx, db.TracksByRelease, obj.ID, listArgs{first: first, after: after, last: last, before: before, offset: offset, filter: filter, query: query, orderBy: orderBy})
	if err != nil {
		return nil, err
	}
	return &model.TrackConnection{Conn: res.conn, Facets: &model.TrackFacets{Facets: res.facets}, Edges: edges(res.page, nodeEdge)}, nil
}

func (r *releaseResolver) CreatedBy(ctx context.Context, obj *model.Release) (*model.User, error) {
	return ref(ctx, db.UserNode, obj.CreatedByID)
}

func (r *releaseResolver) UpdatedBy(ctx context.Context, obj *model.Release) (*model.User, error) {
	return ref(ctx, db.UserNode, obj.UpdatedByID)
}

func (r *trackResolver) Release(ctx context.Context, obj *model.Track) (*model.Release, error) {
	return must(ctx, db.ReleaseNode, obj.ReleaseID)
}

func (r *trackResolver) Artists(ctx context.Context, obj *model.Track, first *int, after *string, last *int, before *string) (*model.TrackArtistConnection, error) {
	res, err := nested(ctx, db.ArtistsByTrack, obj.ID, pageOnly(first, after, last, before))
	if err != nil {
		return nil, err
	}
	return &model.TrackArtistConnection{Conn: res.conn, Edges: edges(res.page, trackArtistEdge)}, nil
}

func (r *trackResolver) CreatedBy(ctx context.Context, obj *model.Track) (*model.User, error) {
	return ref(ctx, db.UserNode, obj.CreatedByID)
}

func (r *trackResolver) UpdatedBy(ctx context.Context, obj *model.Track) (*model.User, error) {
	return ref(ctx, db.UserNode, obj.UpdatedByID)
}

func (r *Resolver) Artist() generated.ArtistResolver { return &artistResolver{r} }

func (r *Resolver) Label() generated.LabelResolver { return &labelResolver{r} }

func (r *Resolver) Release() generated.ReleaseResolver { return &releaseResolver{r} }

func (r *Resolver) Track() generated.TrackResolver { return &trackResolver{r} }

type (
	artistResolver  struct{ *Resolver }
	labelResolver   struct{ *Resolver }
	releaseResolver struct{ *Resolver }
	trackResolver   struct{ *Resolver }
)
