package graph

import (
	"bytes"
	"context"
	"time"

	"catalogue/db/model"
)

// The shapes Render writes (render.go): the fields of each type that need
// no more than the row the plan read, the resolver of a nested list or a
// contact check. A field missing here is written by gqlgen, with its whole
// subtree; render_test.go checks every field here against gqlgen's output.

// roots are the types a rendering may start at, by GraphQL type name: the
// connections and Tenant (tenant(slug:)); nodeRoots the types node(id) may
// return.
var (
	roots     = map[string]root{}
	nodeRoots []root
)

var pageInfoShape = &shape[model.PageInfo]{name: "PageInfo", fields: map[string]fieldOf[model.PageInfo]{
	"hasNextPage":     flag(func(p *model.PageInfo) bool { return p.HasNextPage }),
	"hasPreviousPage": flag(func(p *model.PageInfo) bool { return p.HasPreviousPage }),
	"startCursor":     optStr(func(p *model.PageInfo) *string { return p.StartCursor }),
	"endCursor":       optStr(func(p *model.PageInfo) *string { return p.EndCursor }),
}}

// nodeFields are the fields every Node type shares.
func nodeFields[T any](typ model.NodeType, id func(*T) string, created, updated func(*T) time.Time, more map[string]fieldOf[T]) map[string]fieldOf[T] {
	more["id"] = leaf(func(b *bytes.Buffer, v *T) bool {
		// A global ID is base64url: nothing in it needs escaping.
		var d [96]byte
		b.WriteByte('"')
		b.Write(model.AppendID(d[:0], typ, id(v)))
		b.WriteByte('"')
		return true
	})
	more["databaseId"] = str(id)
	more["createdAt"] = instant(created)
	more["updatedAt"] = instant(updated)
	return more
}

var (
	userShape = &shape[model.User]{name: "User", fields: nodeFields(
		model.TypeUser, func(u *model.User) string { return u.ID },
		func(u *model.User) time.Time { return u.CreatedAt }, func(u *model.User) time.Time { return u.UpdatedAt },
		map[string]fieldOf[model.User]{
			"email":             resolved(func(ctx context.Context, r *Resolver, u *model.User) (*string, error) { return r.User().Email(ctx, u) }),
			"phone":             resolved(func(ctx context.Context, r *Resolver, u *model.User) (*string, error) { return r.User().Phone(ctx, u) }),
			"firstName":         optStr(func(u *model.User) *string { return u.FirstName }),
			"lastName":          optStr(func(u *model.User) *string { return u.LastName }),
			"fullName":          str((*model.User).FullName),
			"nickname":          optStr(func(u *model.User) *string { return u.Nickname }),
			"pictureUrl":        optStr(func(u *model.User) *string { return u.PictureURL }),
			"location":          optStr(func(u *model.User) *string { return u.Location }),
			"role":              optStr(func(u *model.User) *string { return u.Role }),
			"genre":             optStr(func(u *model.User) *string { return u.Genre }),
			"companyName":       optStr(func(u *model.User) *string { return u.CompanyName }),
			"companyIpRights":   optFlag(func(u *model.User) *bool { return u.CompanyIPRights }),
			"dspPlanSubscribed": flag(func(u *model.User) bool { return u.DspPlanSubscribed }),
			"referralCode":      str(func(u *model.User) string { return u.ReferralCode }),
			"lastLoginAt":       optInstant(func(u *model.User) *time.Time { return u.LastLoginAt }),
			"expiresAt":         optInstant(func(u *model.User) *time.Time { return u.ExpiresAt }),
			"isDeleted":         flag(func(u *model.User) bool { return u.IsDeleted }),
			"channel":           marshaled(func(u *model.User) model.AccountChannel { return u.Channel }),
		})}

	membershipShape = &shape[model.Membership]{name: "Membership", fields: nodeFields(
		model.TypeMembership, func(m *model.Membership) string { return m.ID },
		func(m *model.Membership) time.Time { return m.CreatedAt }, func(m *model.Membership) time.Time { return m.UpdatedAt },
		map[string]fieldOf[model.Membership]{
			"userId":     str((*model.Membership).UserGlobalID),
			"role":       marshaled(func(m *model.Membership) model.MembershipRole { return m.Role }),
			"status":     marshaled(func(m *model.Membership) model.MembershipStatus { return m.Status }),
			"lastSeenAt": optInstant(func(m *model.Membership) *time.Time { return m.LastSeenAt }),
			"version":    num(func(m *model.Membership) int { return m.Version }),
		})}

	artistShape = &shape[model.Artist]{name: "Artist", fields: nodeFields(
		model.TypeArtist, func(a *model.Artist) string { return a.ID },
		func(a *model.Artist) time.Time { return a.CreatedAt }, func(a *model.Artist) time.Time { return a.UpdatedAt },
		map[string]fieldOf[model.Artist]{
			"name":         str(func(a *model.Artist) string { return a.Name }),
			"genre":        optStr(func(a *model.Artist) *string { return a.Genre }),
			"country":      optStr(func(a *model.Artist) *string { return a.Country }),
			"biography":    optStr(func(a *model.Artist) *string { return a.Biography }),
			"imageUrl":     optStr(func(a *model.Artist) *string { return a.ImageURL }),
			"spotifyId":    optStr(func(a *model.Artist) *string { return a.SpotifyID }),
			"appleMusicId": optStr(func(a *model.Artist) *string { return a.AppleMusicID }),
			"soundCloudId": optStr(func(a *model.Artist) *string { return a.SoundCloudID }),
			"version":      num(func(a *model.Artist) int { return a.Version }),
		})}

	releaseShape = &shape[model.Release]{name: "Release", fields: nodeFields(
		model.TypeRelease, func(r *model.Release) string { return r.ID },
		func(r *model.Release) time.Time { return r.CreatedAt }, func(r *model.Release) time.Time { return r.UpdatedAt },
		map[string]fieldOf[model.Release]{
			"title":           str(func(r *model.Release) string { return r.Title }),
			"type":            marshaled(func(r *model.Release) model.ReleaseType { return r.Type }),
			"status":          marshaled(func(r *model.Release) model.ReleaseStatus { return r.Status }),
			"upc":             optStr(func(r *model.Release) *string { return r.Upc }),
			"catalogNumber":   optStr(func(r *model.Release) *string { return r.CatalogNumber }),
			"releaseDate":     optDate(func(r *model.Release) *model.Date { return r.ReleaseDate }),
			"genre":           optStr(func(r *model.Release) *string { return r.Genre }),
			"artworkUrl":      optStr(func(r *model.Release) *string { return r.ArtworkURL }),
			"rejectionReason": optStr(func(r *model.Release) *string { return r.RejectionReason }),
			"version":         num(func(r *model.Release) int { return r.Version }),
		})}

	trackShape = &shape[model.Track]{name: "Track", fields: nodeFields(
		model.TypeTrack, func(t *model.Track) string { return t.ID },
		func(t *model.Track) time.Time { return t.CreatedAt }, func(t *model.Track) time.Time { return t.UpdatedAt },
		map[string]fieldOf[model.Track]{
			"position":        num(func(t *model.Track) int { return t.Position }),
			"title":           str(func(t *model.Track) string { return t.Title }),
			"isrc":            optStr(func(t *model.Track) *string { return t.Isrc }),
			"durationSeconds": optNum(func(t *model.Track) *int { return t.DurationSeconds }),
			"explicit":        flag(func(t *model.Track) bool { return t.Explicit }),
			"version":         num(func(t *model.Track) int { return t.Version }),
		})}

	tenantShape = &shape[model.Tenant]{name: "Tenant", fields: nodeFields(
		model.TypeTenant, func(t *model.Tenant) string { return t.ID },
		func(t *model.Tenant) time.Time { return t.CreatedAt }, func(t *model.Tenant) time.Time { return t.UpdatedAt },
		map[string]fieldOf[model.Tenant]{
			"slug": str(func(t *model.Tenant) string { return t.Slug }),
			"name": str(func(t *model.Tenant) string { return t.Name }),
		})}

	brandShape = &shape[model.Brand]{name: "Brand", fields: nodeFields(
		model.TypeBrand, func(b *model.Brand) string { return b.ID },
		func(b *model.Brand) time.Time { return b.CreatedAt }, func(b *model.Brand) time.Time { return b.UpdatedAt },
		map[string]fieldOf[model.Brand]{
			"name":    str(func(b *model.Brand) string { return b.Name }),
			"version": num(func(b *model.Brand) int { return b.Version }),
		})}

	groupShape = &shape[model.Group]{name: "Group", fields: nodeFields(
		model.TypeGroup, func(g *model.Group) string { return g.ID },
		func(g *model.Group) time.Time { return g.CreatedAt }, func(g *model.Group) time.Time { return g.UpdatedAt },
		map[string]fieldOf[model.Group]{
			"name":    str(func(g *model.Group) string { return g.Name }),
			"isAdmin": flag(func(g *model.Group) bool { return g.IsAdmin }),
		})}

	labelShape = &shape[model.Label]{name: "Label", fields: nodeFields(
		model.TypeLabel, func(l *model.Label) string { return l.ID },
		func(l *model.Label) time.Time { return l.CreatedAt }, func(l *model.Label) time.Time { return l.UpdatedAt },
		map[string]fieldOf[model.Label]{
			"name":    str(func(l *model.Label) string { return l.Name }),
			"version": num(func(l *model.Label) int { return l.Version }),
		})}
)

// optDate is a nullable Date.
func optDate[T any](get func(*T) *model.Date) fieldOf[T] {
	return nullable(get, func(b *bytes.Buffer, d model.Date) { d.MarshalGQL(b) })
}

// edgeShape is the edge of a list whose node is the row.
func edgeShape[T any](name string, node *shape[T]) *shape[model.Edge[T]] {
	return &shape[model.Edge[T]]{name: name, fields: map[string]fieldOf[model.Edge[T]]{
		"cursor": str(func(e *model.Edge[T]) string { return e.Cursor() }),
		"node":   one(func(e *model.Edge[T]) *T { return e.Node }, node),
	}}
}

// connectionShape is a connection type: edges, pageInfo, totalCount.
func connectionShape[C, E any, PC interface {
	*C
	Connection() *model.Conn
}](name string, edges func(*C) []*E, edge *shape[E]) *shape[C] {
	conn := func(c *C) *model.Conn { return PC(c).Connection() }
	s := &shape[C]{name: name, fields: map[string]fieldOf[C]{
		"edges":      list(edges, edge),
		"pageInfo":   one(func(c *C) *model.PageInfo { return conn(c).PageInfo() }, pageInfoShape),
		"totalCount": count(conn),
	}}
	roots[name] = s
	return s
}

var (
	memberEdgeShape = &shape[model.TenantMemberEdge]{name: "TenantMemberEdge", fields: map[string]fieldOf[model.TenantMemberEdge]{
		"cursor":     str(func(e *model.TenantMemberEdge) string { return e.Cursor() }),
		"node":       one(func(e *model.TenantMemberEdge) *model.User { return e.Node }, userShape),
		"membership": one(func(e *model.TenantMemberEdge) *model.Membership { return e.Membership }, membershipShape),
		"memberships": loadedList(func(ctx context.Context, _ *Resolver, e *model.TenantMemberEdge) ([]*model.Membership, error) {
			return e.Memberships(ctx)
		}, membershipShape),
	}}
	memberConnShape = connectionShape("TenantMemberConnection",
		func(c *model.TenantMemberConnection) []*model.TenantMemberEdge { return c.Edges }, memberEdgeShape)

	membershipConnShape = connectionShape("MembershipConnection",
		func(c *model.MembershipConnection) []*model.MembershipEdge { return c.Edges },
		edgeShape("MembershipEdge", membershipShape))
	artistConnShape = connectionShape("ArtistConnection",
		func(c *model.ArtistConnection) []*model.ArtistEdge { return c.Edges },
		edgeShape("ArtistEdge", artistShape))
	releaseConnShape = connectionShape("ReleaseConnection",
		func(c *model.ReleaseConnection) []*model.ReleaseEdge { return c.Edges },
		edgeShape("ReleaseEdge", releaseShape))
	trackConnShape = connectionShape("TrackConnection",
		func(c *model.TrackConnection) []*model.TrackEdge { return c.Edges },
		edgeShape("TrackEdge", trackShape))
	labelConnShape = connectionShape("LabelConnection",
		func(c *model.LabelConnection) []*model.LabelEdge { return c.Edges },
		edgeShape("LabelEdge", labelShape))
	brandConnShape = connectionShape("BrandConnection",
		func(c *model.BrandConnection) []*model.BrandEdge { return c.Edges },
		edgeShape("BrandEdge", brandShape))
	groupConnShape = connectionShape("GroupConnection",
		func(c *model.GroupConnection) []*model.GroupEdge { return c.Edges },
		edgeShape("GroupEdge", groupShape))
	releaseArtistConnShape = connectionShape("ReleaseArtistConnection",
		func(c *model.ReleaseArtistConnection) []*model.ReleaseArtistEdge { return c.Edges },
		&shape[model.ReleaseArtistEdge]{name: "ReleaseArtistEdge", fields: map[string]fieldOf[model.ReleaseArtistEdge]{
			"cursor":   str(func(e *model.ReleaseArtistEdge) string { return e.Cursor() }),
			"node":     one(func(e *model.ReleaseArtistEdge) *model.Artist { return e.Node }, artistShape),
			"position": num(func(e *model.ReleaseArtistEdge) int { return e.Position }),
		}})
	trackArtistConnShape = connectionShape("TrackArtistConnection",
		func(c *model.TrackArtistConnection) []*model.TrackArtistEdge { return c.Edges },
		&shape[model.TrackArtistEdge]{name: "TrackArtistEdge", fields: map[string]fieldOf[model.TrackArtistEdge]{
			"cursor":   str(func(e *model.TrackArtistEdge) string { return e.Cursor() }),
			"node":     one(func(e *model.TrackArtistEdge) *model.Artist { return e.Node }, artistShape),
			"role":     marshaled(func(e *model.TrackArtistEdge) model.TrackArtistRole { return e.Role }),
			"position": num(func(e *model.TrackArtistEdge) int { return e.Position }),
		}})
	artistTrackConnShape = connectionShape("ArtistTrackConnection",
		func(c *model.ArtistTrackConnection) []*model.ArtistTrackEdge { return c.Edges },
		&shape[model.ArtistTrackEdge]{name: "ArtistTrackEdge", fields: map[string]fieldOf[model.ArtistTrackEdge]{
			"cursor":   str(func(e *model.ArtistTrackEdge) string { return e.Cursor() }),
			"node":     one(func(e *model.ArtistTrackEdge) *model.Track { return e.Node }, trackShape),
			"role":     marshaled(func(e *model.ArtistTrackEdge) model.TrackArtistRole { return e.Role }),
			"position": num(func(e *model.ArtistTrackEdge) int { return e.Position }),
		}})
	tenantConnShape = connectionShape("TenantConnection",
		func(c *model.TenantConnection) []*model.TenantEdge { return c.Edges },
		edgeShape("TenantEdge", tenantShape))
)

func init() {
	// The nested lists below the shapes, through their resolvers.
	artistShape.fields["releases"] = connection(func(ctx context.Context, r *Resolver, a *model.Artist, la listArgs) (*model.ReleaseConnection, error) {
		return r.Artist().Releases(ctx, a, la.first, la.after, la.last, la.before, la.offset, la.filter, la.query, la.orderBy)
	}, releaseConnShape)
	releaseShape.fields["tracks"] = connection(func(ctx context.Context, r *Resolver, rel *model.Release, la listArgs) (*model.TrackConnection, error) {
		return r.Release().Tracks(ctx, rel, la.first, la.after, la.last, la.before, la.offset, la.filter, la.query, la.orderBy)
	}, trackConnShape)
	labelShape.fields["releases"] = connection(func(ctx context.Context, r *Resolver, l *model.Label, la listArgs) (*model.ReleaseConnection, error) {
		return r.Label().Releases(ctx, l, la.first, la.after, la.last, la.before, la.offset, la.filter, la.query, la.orderBy)
	}, releaseConnShape)
	userShape.fields["memberships"] = connection(func(ctx context.Context, r *Resolver, u *model.User, la listArgs) (*model.MembershipConnection, error) {
		return r.User().Memberships(ctx, u, la.first, la.after, la.last, la.before)
	}, membershipConnShape)
	userShape.fields["artists"] = connection(func(ctx context.Context, r *Resolver, u *model.User, la listArgs) (*model.ArtistConnection, error) {
		return r.User().Artists(ctx, u, la.first, la.after, la.last, la.before, la.offset, la.filter, la.query, la.orderBy)
	}, artistConnShape)

	// The lists of the catalogue's objects.
	artistShape.fields["tracks"] = connection(func(ctx context.Context, r *Resolver, a *model.Artist, la listArgs) (*model.ArtistTrackConnection, error) {
		return r.Artist().Tracks(ctx, a, la.first, la.after, la.last, la.before, la.offset, la.filter, la.query, la.orderBy)
	}, artistTrackConnShape)
	releaseShape.fields["artists"] = connection(func(ctx context.Context, r *Resolver, rel *model.Release, la listArgs) (*model.ReleaseArtistConnection, error) {
		return r.Release().Artists(ctx, rel, la.first, la.after, la.last, la.before)
	}, releaseArtistConnShape)
	trackShape.fields["artists"] = connection(func(ctx context.Context, r *Resolver, t *model.Track, la listArgs) (*model.TrackArtistConnection, error) {
		return r.Track().Artists(ctx, t, la.first, la.after, la.last, la.before)
	}, trackArtistConnShape)
	brandShape.fields["artists"] = connection(func(ctx context.Context, r *Resolver, b *model.Brand, la listArgs) (*model.ArtistConnection, error) {
		return r.Brand().Artists(ctx, b, la.first, la.after, la.last, la.before, la.offset, la.filter, la.query, la.orderBy)
	}, artistConnShape)

	// A tenant's lists.
	tenantShape.fields["members"] = connection(func(ctx context.Context, r *Resolver, t *model.Tenant, la listArgs) (*model.TenantMemberConnection, error) {
		return r.Tenant().Members(ctx, t, la.first, la.after, la.last, la.before, la.offset, la.filter, la.query, la.orderBy, la.subsidiaries)
	}, memberConnShape)
	tenantShape.fields["artists"] = connection(func(ctx context.Context, r *Resolver, t *model.Tenant, la listArgs) (*model.ArtistConnection, error) {
		return r.Tenant().Artists(ctx, t, la.first, la.after, la.last, la.before, la.offset, la.filter, la.query, la.orderBy, la.subsidiaries)
	}, artistConnShape)
	tenantShape.fields["releases"] = connection(func(ctx context.Context, r *Resolver, t *model.Tenant, la listArgs) (*model.ReleaseConnection, error) {
		return r.Tenant().Releases(ctx, t, la.first, la.after, la.last, la.before, la.offset, la.filter, la.query, la.orderBy, la.subsidiaries)
	}, releaseConnShape)
	tenantShape.fields["tracks"] = connection(func(ctx context.Context, r *Resolver, t *model.Tenant, la listArgs) (*model.TrackConnection, error) {
		return r.Tenant().Tracks(ctx, t, la.first, la.after, la.last, la.before, la.offset, la.filter, la.query, la.orderBy, la.subsidiaries)
	}, trackConnShape)
	tenantShape.fields["labels"] = connection(func(ctx context.Context, r *Resolver, t *model.Tenant, la listArgs) (*model.LabelConnection, error) {
		return r.Tenant().Labels(ctx, t, la.first, la.after, la.last, la.before, la.offset, la.orderBy, la.subsidiaries)
	}, labelConnShape)
	tenantShape.fields["brands"] = connection(func(ctx context.Context, r *Resolver, t *model.Tenant, la listArgs) (*model.BrandConnection, error) {
		return r.Tenant().Brands(ctx, t, la.first, la.after, la.last, la.before, la.offset, la.orderBy, la.subsidiaries)
	}, brandConnShape)
	tenantShape.fields["groups"] = connection(func(ctx context.Context, r *Resolver, t *model.Tenant, la listArgs) (*model.GroupConnection, error) {
		return r.Tenant().Groups(ctx, t, la.first, la.after, la.last, la.before)
	}, groupConnShape)
	tenantShape.fields["subsidiaries"] = connection(func(ctx context.Context, r *Resolver, t *model.Tenant, la listArgs) (*model.TenantConnection, error) {
		return r.Tenant().Subsidiaries(ctx, t, la.first, la.after, la.last, la.before)
	}, tenantConnShape)
	tenantShape.fields["parent"] = loadedObject(func(ctx context.Context, r *Resolver, t *model.Tenant) (*model.Tenant, error) {
		return r.Tenant().Parent(ctx, t)
	}, tenantShape, false)

	// The to-one references, through their resolvers.
	artistShape.fields["tenant"] = loadedObject(func(ctx context.Context, r *Resolver, a *model.Artist) (*model.Tenant, error) {
		return r.Artist().Tenant(ctx, a)
	}, tenantShape, true)
	artistShape.fields["brand"] = loadedObject(func(ctx context.Context, r *Resolver, a *model.Artist) (*model.Brand, error) {
		return r.Artist().Brand(ctx, a)
	}, brandShape, false)
	artistShape.fields["user"] = loadedObject(func(ctx context.Context, r *Resolver, a *model.Artist) (*model.User, error) {
		return r.Artist().User(ctx, a)
	}, userShape, false)
	releaseShape.fields["tenant"] = loadedObject(func(ctx context.Context, r *Resolver, rel *model.Release) (*model.Tenant, error) {
		return r.Release().Tenant(ctx, rel)
	}, tenantShape, true)
	releaseShape.fields["label"] = loadedObject(func(ctx context.Context, r *Resolver, rel *model.Release) (*model.Label, error) {
		return r.Release().Label(ctx, rel)
	}, labelShape, false)
	releaseShape.fields["brand"] = loadedObject(func(ctx context.Context, r *Resolver, rel *model.Release) (*model.Brand, error) {
		return r.Release().Brand(ctx, rel)
	}, brandShape, false)
	trackShape.fields["release"] = loadedObject(func(ctx context.Context, r *Resolver, t *model.Track) (*model.Release, error) {
		return r.Track().Release(ctx, t)
	}, releaseShape, true)
	labelShape.fields["tenant"] = loadedObject(func(ctx context.Context, r *Resolver, l *model.Label) (*model.Tenant, error) {
		return r.Label().Tenant(ctx, l)
	}, tenantShape, true)
	brandShape.fields["tenant"] = loadedObject(func(ctx context.Context, r *Resolver, b *model.Brand) (*model.Tenant, error) {
		return r.Brand().Tenant(ctx, b)
	}, tenantShape, true)
	groupShape.fields["tenant"] = loadedObject(func(ctx context.Context, r *Resolver, g *model.Group) (*model.Tenant, error) {
		return r.Group().Tenant(ctx, g)
	}, tenantShape, true)
	membershipShape.fields["tenant"] = loadedObject(func(ctx context.Context, r *Resolver, m *model.Membership) (*model.Tenant, error) {
		return r.Membership().Tenant(ctx, m)
	}, tenantShape, true)
	membershipShape.fields["user"] = loadedObject(func(ctx context.Context, r *Resolver, m *model.Membership) (*model.User, error) {
		return r.Membership().User(ctx, m)
	}, userShape, false)
	artistShape.fields["createdBy"] = loadedObject(func(ctx context.Context, r *Resolver, a *model.Artist) (*model.User, error) {
		return r.Artist().CreatedBy(ctx, a)
	}, userShape, false)
	artistShape.fields["updatedBy"] = loadedObject(func(ctx context.Context, r *Resolver, a *model.Artist) (*model.User, error) {
		return r.Artist().UpdatedBy(ctx, a)
	}, userShape, false)
	releaseShape.fields["createdBy"] = loadedObject(func(ctx context.Context, r *Resolver, rel *model.Release) (*model.User, error) {
		return r.Release().CreatedBy(ctx, rel)
	}, userShape, false)
	releaseShape.fields["updatedBy"] = loadedObject(func(ctx context.Context, r *Resolver, rel *model.Release) (*model.User, error) {
		return r.Release().UpdatedBy(ctx, rel)
	}, userShape, false)
	trackShape.fields["createdBy"] = loadedObject(func(ctx context.Context, r *Resolver, t *model.Track) (*model.User, error) {
		return r.Track().CreatedBy(ctx, t)
	}, userShape, false)
	trackShape.fields["updatedBy"] = loadedObject(func(ctx context.Context, r *Resolver, t *model.Track) (*model.User, error) {
		return r.Track().UpdatedBy(ctx, t)
	}, userShape, false)

	// tenant(slug:) starts a rendering too.
	roots["Tenant"] = tenantShape

	nodeRoots = []root{userShape, membershipShape, artistShape, releaseShape, trackShape, tenantShape, labelShape, brandShape, groupShape}
}
