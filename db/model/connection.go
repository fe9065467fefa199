package model

import "context"

// PageInfo is the Relay page information of a connection.
type PageInfo struct {
	HasNextPage     bool
	HasPreviousPage bool
	StartCursor     *string
	EndCursor       *string
}

// Counter counts the whole list behind a connection. It runs only when a
// client selects totalCount, so a plain page costs no count query.
type Counter func(ctx context.Context) (int, error)

// Conn is what every connection type shares. Its page information holds
// cursors, which take an encoding each: it is made only when selected.
type Conn struct {
	Info  func() *PageInfo
	Count Counter
}

// Connection is the part every connection type shares.
func (c *Conn) Connection() *Conn { return c }

// PageInfo resolves the pageInfo field.
func (c *Conn) PageInfo() *PageInfo {
	if c.Info == nil {
		return nil
	}
	return c.Info()
}

// TotalCount resolves the totalCount field lazily.
func (c *Conn) TotalCount(ctx context.Context) (int, error) { return c.Count(ctx) }

// CursorSource makes the cursor of a page's i-th row, on demand.
type CursorSource interface {
	Cursor(i int) string
}

// At is an edge's place in its page; its cursor is made only when a
// client selects it.
type At struct {
	src CursorSource
	i   int
}

// NewAt places an edge at row i of src.
func NewAt(src CursorSource, i int) At { return At{src: src, i: i} }

// Cursor resolves the edge's cursor field.
func (a At) Cursor() string { return a.src.Cursor(a.i) }

// Edge pairs a node with its place in the page.
type Edge[T any] struct {
	At
	Node *T
}

// TenantConnection is a page of tenants.
type TenantConnection struct {
	Conn
	Edges []*TenantEdge
}

// TenantEdge is one tenant of a page.
type TenantEdge = Edge[Tenant]

// BrandConnection is a page of brands.
type BrandConnection struct {
	Conn
	Edges []*BrandEdge
}

// BrandEdge is one brand of a page.
type BrandEdge = Edge[Brand]

// GroupConnection is a page of groups.
type GroupConnection struct {
	Conn
	Edges []*GroupEdge
}

// GroupEdge is one group of a page.
type GroupEdge = Edge[Group]

// MembershipConnection is a page of memberships.
type MembershipConnection struct {
	Conn
	Edges []*MembershipEdge
}

// MembershipEdge is one membership of a page.
type MembershipEdge = Edge[Membership]

// BrandAccessConnection is a page of brand access grants.
type BrandAccessConnection struct {
	Conn
	Edges []*BrandAccessEdge
}

// BrandAccessEdge is one brand access grant of a page.
type BrandAccessEdge = Edge[BrandAccess]

// ArtistConnection is a page of artists.
type ArtistConnection struct {
	Conn
	Facets *ArtistFacets
	Edges  []*ArtistEdge
}

// ArtistEdge is one artist of a page.
type ArtistEdge = Edge[Artist]

// LabelConnection is a page of labels.
type LabelConnection struct {
	Conn
	Edges []*LabelEdge
}

// LabelEdge is one label of a page.
type LabelEdge = Edge[Label]

// ReleaseConnection is a page of releases.
type ReleaseConnection struct {
	Conn
	Facets *ReleaseFacets
	Edges  []*ReleaseEdge
}

// ReleaseEdge is one release of a page.
type ReleaseEdge = Edge[Release]

// TrackConnection is a page of tracks.
type TrackConnection struct {
	Conn
	Facets *TrackFacets
	Edges  []*TrackEdge
}

// TrackEdge is one track of a page.
type TrackEdge = Edge[Track]

// ArtistTrackConnection is a page of the tracks crediting an artist.
type ArtistTrackConnection struct {
	Conn
	Facets *TrackFacets
	Edges  []*ArtistTrackEdge
}

// ArtistTrackEdge is one track with the artist's credit on it.
type ArtistTrackEdge struct {
	At
	Node     *Track
	Role     TrackArtistRole
	Position int
}

// TenantMemberConnection is a page of a tenant's users with their memberships.
type TenantMemberConnection struct {
	Conn
	Facets *UserFacets
	Edges  []*TenantMemberEdge
}

// TenantMemberEdge is one member: the user, the membership that represents
// them in the list, and (lazily) all their memberships in the listed
// tenants.
type TenantMemberEdge struct {
	At
	Node       *User
	Membership *Membership
	// LoadMemberships reads the user's memberships in the listed tenants.
	LoadMemberships func(ctx context.Context) ([]*Membership, error)
}

// Memberships resolves the edge's memberships field.
func (e *TenantMemberEdge) Memberships(ctx context.Context) ([]*Membership, error) {
	return e.LoadMemberships(ctx)
}

// BrandMemberConnection is a page of users with access to a brand.
type BrandMemberConnection struct {
	Conn
	Facets *UserFacets
	Edges  []*BrandMemberEdge
}

// BrandMemberEdge is one user with their access grant.
type BrandMemberEdge struct {
	At
	Node   *User
	Access *BrandAccess
}

// ReleaseArtistConnection is a page of a release's primary artists.
type ReleaseArtistConnection struct {
	Conn
	Edges []*ReleaseArtistEdge
}

// ReleaseArtistEdge is one credited artist and its position.
type ReleaseArtistEdge struct {
	At
	Node     *Artist
	Position int
}

// TrackArtistConnection is a page of a track's credited artists.
type TrackArtistConnection struct {
	Conn
	Edges []*TrackArtistEdge
}

// TrackArtistEdge is one credited artist with role and position.
type TrackArtistEdge struct {
	At
	Node     *Artist
	Role     TrackArtistRole
	Position int
}

// APIKeyConnection is a page of API keys.
type APIKeyConnection struct {
	Conn
	Edges []*APIKeyEdge
}

// APIKeyEdge is one API key of a page.
type APIKeyEdge = Edge[APIKey]
