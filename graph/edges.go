package graph

import "catalogue/db/model"

// Edges whose rows carry more than the node: the join row's fields go on
// the edge, where Relay puts relationship data.

func tenantMemberEdge(at model.At, m *model.Member) *model.TenantMemberEdge {
	return &model.TenantMemberEdge{At: at, Node: &m.User, Membership: &m.Membership}
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
