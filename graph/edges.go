package graph

import (
	"context"

	"github.com/99designs/gqlgen/graphql"

	"catalogue/db"
	"catalogue/graph/loader"
	"catalogue/graph/model"
)

// Edges whose rows carry more than the node: the join row's fields go on
// the edge, where Relay puts relationship data.

// memberEdges makes the edges of a page of a tenant's members. An edge's
// memberships are the user's memberships in the listed tenants: without
// subsidiaries, its own membership; with them, read for every edge of the
// level in one statement, here for this page unless a list above has
// already read them for all its parents (see pagesOf).
func memberEdges(ctx context.Context, tenant string, res *result[model.Member]) []*model.TenantMemberEdge {
	subs := res.c.Subsidiaries()
	if fc := graphql.GetFieldContext(ctx); subs && fc != nil && !loader.For(ctx).Prefetched(fc.Field.Field) {
		primeMemberEdges(ctx, fc, res.c, []*db.Page[model.Member]{res.page})
	}
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

// primeMemberEdges reads the memberships of the edges of pages of
// Tenant.members with subsidiaries in one statement, when the query
// selects them.
func primeMemberEdges(ctx context.Context, fc *graphql.FieldContext, c *db.Compiled, pages []*db.Page[model.Member]) {
	if !c.Subsidiaries() || !selectsOnEdges(ctx, fc.Field, "memberships") {
		return
	}
	var keys []db.MemberKey
	for _, p := range pages {
		for _, m := range p.Rows {
			keys = append(keys, db.MemberKey{Tenant: p.Parent, User: m.User.ID})
		}
	}
	loader.PrimeMemberMemberships(ctx, keys)
}

func brandMemberEdge(at model.At, m *model.BrandMember) *model.BrandMemberEdge {
	return &model.BrandMemberEdge{At: at, Node: &m.User, Access: &m.Access}
}

func releaseArtistEdge(at model.At, a *model.ReleaseArtist) *model.ReleaseArtistEdge {
	return &model.ReleaseArtistEdge{At: at, Node: &a.Artist, Position: a.Position}
}

func trackArtistEdge(at model.At, a *model.TrackArtist) *model.TrackArtistEdge {
	return &model.TrackArtistEdge{At: at, Node: &a.Artist, Role: a.Role, Position: a.Position}
}
