package graph

import (
	"context"

	"catalogue/db"
	"catalogue/db/model"
	"catalogue/graph/loader"
)

// Edges whose rows carry more than the node: the join row's fields go on
// the edge, where Relay puts relationship data.

// tenantMemberEdges makes the edges of a page of a tenant's members. An
// edge's memberships are the user's memberships in the listed tenants:
// without subsidiaries, its own membership; with them, read for every edge
// of the level in one statement by the plan (edgeMemberships).
func tenantMemberEdges(tenant string, res *result[model.Member]) []*model.TenantMemberEdge {
	subs := res.c.Subsidiaries()
	return edges(res.page, func(at model.At, m *model.Member) *model.TenantMemberEdge {
		e := &model.TenantMemberEdge{At: at, Node: &m.User, Membership: &m.Membership}
		if !subs {
			only := []*model.Membership{&m.Membership}
			e.LoadMemberships = func(context.Context) ([]*model.Membership, error) { return only, nil }
			return e
		}
		key := db.MemberKey{Tenant: tenant, User: m.User.ID}
		e.LoadMemberships = func(ctx context.Context) ([]*model.Membership, error) {
			return loader.MemberMemberships(ctx, key)
		}
		return e
	})
}

func brandMemberEdge(at model.At, m *model.BrandMember) *model.BrandMemberEdge {
	return &model.BrandMemberEdge{At: at, Node: &m.User, Access: &m.Access}
}

func releaseArtistEdge(at model.At, a *model.ReleaseArtist) *model.ReleaseArtistEdge {
	return &model.ReleaseArtistEdge{At: at, Node: &a.Artist, Position: a.Position}
}

func artistTrackEdge(at model.At, t *model.ArtistTrack) *model.ArtistTrackEdge {
	return &model.ArtistTrackEdge{At: at, Node: &t.Track, Role: t.Role, Position: t.Position}
}

func trackArtistEdge(at model.At, a *model.TrackArtist) *model.TrackArtistEdge {
	return &model.TrackArtistEdge{At: at, Node: &a.Artist, Role: a.Role, Position: a.Position}
}
