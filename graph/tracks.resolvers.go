package graph

import (
	"catalogue/db"
	"catalogue/db/model"
	"context"
)

func (r *artistResolver) Tracks(ctx context.Context, obj *model.Artist, first *int, after *string, last *int, before *string, offset *int, filter map[string]any, query *string, orderBy []map[string]any) (*model.ArtistTrackConnection, error) {
	res, err := nested(ctx, db.TracksByArtist, obj.ID, listArgs{first: first, after: after, last: last, before: before, offset: offset, filter: filter, query: query, orderBy: orderBy})
	if err != nil {
		return nil, err
	}
	return &model.ArtistTrackConnection{Conn: res.conn, Facets: &model.TrackFacets{Facets: res.facets}, Edges: edges(res.page, artistTrackEdge)}, nil
}

func (r *tenantResolver) Tracks(ctx context.Context, obj *model.Tenant, first *int, after *string, last *int, before *string, offset *int, filter map[string]any, query *string, orderBy []map[string]any, includeSubsidiaries *bool) (*model.TrackConnection, error) {
	res, err := nested(ctx, db.TracksByTenant, obj.ID, listArgs{first: first, after: after, last: last, before: before, offset: offset, filter: filter, query: query, orderBy: orderBy, subsidiaries: includeSubsidiaries})
	if err != nil {
		return nil, err
	}
	return &model.TrackConnection{Conn: res.conn, Facets: &model.TrackFacets{Facets: res.facets}, Edges: edges(res.page, nodeEdge)}, nil
}
