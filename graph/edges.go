package graph

import "catalogue/graph/model"

// Edges whose rows carry more than the node: the join row's fields go on
// the edge, where Relay puts relationship data.

func tenantMemberEdge(cursor string, m *model.Member) *model.TenantMemberEdge {
	return &model.TenantMemberEdge{Cursor: cursor, Node: &m.User, Membership: &m.Membership}
}

func brandMemberEdge(cursor string, m *model.BrandMember) *model.BrandMemberEdge {
	return &model.BrandMemberEdge{Cursor: cursor, Node: &m.User, Access: &m.Access}
}

func releaseArtistEdge(cursor string, a *model.ReleaseArtist) *model.ReleaseArtistEdge {
	return &model.ReleaseArtistEdge{Cursor: cursor, Node: &a.Artist, Position: a.Position}
}

func trackArtistEdge(cursor string, a *model.TrackArtist) *model.TrackArtistEdge {
	return &model.TrackArtistEdge{Cursor: cursor, Node: &a.Artist, Role: a.Role, Position: a.Position}
}
