package db

import (
	"context"

	"github.com/lib/pq"

	"catalogue/db/model"
)

// Column lists of the catalogue tables.
var (
	artistCols  = columns("a", model.Artist{})
	releaseCols = columns("r", model.Release{})
	trackCols   = columns("t", model.Track{})
)

// ArtistNode reads artists by ID.
var ArtistNode = &Node[model.Artist]{
	Name: "Artist", Select: artistCols, From: "artists a", IDCol: "a.id", ScopePred: tenantScope("a"),
}

func artistList(name, parent string, tree bool) *List[model.Artist] {
	return &List[model.Artist]{ListSpec{
		Name: name, Select: artistCols, From: "artists a", Parent: parent,
		ScopePred: tenantScope("a"), Order: newestFirst("a"), TenantTree: tree, Fields: artistFields,
	}}
}

// Artist lists by owner.
var (
	ArtistsByTenant = artistList("Tenant.artists", "a.tenant_id", true)
	ArtistsByBrand  = artistList("Brand.artists", "a.brand_id", false)
	ArtistsByUser   = artistList("User.artists", "a.user_id", false)
)

// ArtistsByRelease lists a release's primary artists in credit order.
var ArtistsByRelease = &List[model.ReleaseArtist]{ListSpec{
	Name: "Release.artists", Select: artistCols + ", ra.position AS credit_position",
	From:   "release_artists ra JOIN artists a ON a.id = ra.artist_id",
	Parent: "ra.release_id", ScopePred: tenantScope("a"), Order: byPosition("ra"),
}}

// ArtistsByTrack lists a track's credited artists in credit order.
var ArtistsByTrack = &List[model.TrackArtist]{ListSpec{
	Name: "Track.artists", Select: artistCols + ", ta.role AS credit_role, ta.position AS credit_position",
	From:   "track_artists ta JOIN artists a ON a.id = ta.artist_id",
	Parent: "ta.track_id", ScopePred: tenantScope("a"), Order: byPosition("ta"),
}}

// LabelNode reads labels by ID.
var LabelNode = &Node[model.Label]{
	Name: "Label", Select: "lb.*", From: "labels lb", IDCol: "lb.id", ScopePred: tenantScope("lb"),
}

// LabelsByTenant lists a tenant's labels.
var LabelsByTenant = &List[model.Label]{ListSpec{
	Name: "Tenant.labels", Select: "lb.*", From: "labels lb", Parent: "lb.tenant_id",
	ScopePred: tenantScope("lb"), Order: newestFirst("lb"), TenantTree: true, Fields: namedFields("lb"),
}}

// ReleaseNode reads releases by ID.
var ReleaseNode = &Node[model.Release]{
	Name: "Release", Select: releaseCols, From: "releases r", IDCol: "r.id", ScopePred: tenantScope("r"),
}

func releaseList(name, parent string, tree bool) *List[model.Release] {
	return &List[model.Release]{ListSpec{
		Name: name, Select: releaseCols, From: "releases r", Parent: parent,
		ScopePred: tenantScope("r"), Order: newestFirst("r"), TenantTree: tree, Fields: releaseFields,
	}}
}

// Release lists by owner.
var (
	ReleasesByTenant = releaseList("Tenant.releases", "r.tenant_id", true)
	ReleasesByBrand  = releaseList("Brand.releases", "r.brand_id", false)
	ReleasesByLabel  = releaseList("Label.releases", "r.label_id", false)
)

// ReleasesByArtist lists the releases an artist is a primary artist of.
var ReleasesByArtist = &List[model.Release]{ListSpec{
	Name: "Artist.releases", Select: releaseCols,
	From:   "release_artists ra JOIN releases r ON r.id = ra.release_id",
	Parent: "ra.artist_id", ScopePred: tenantScope("r"), Order: newestFirst("r"), Fields: releaseFields,
}}

// TrackNode reads tracks by ID.
var TrackNode = &Node[model.Track]{
	Name: "Track", Select: trackCols, From: "tracks t", IDCol: "t.id", ScopePred: tenantScope("t"),
}

// TracksByRelease lists a release's tracks in running order.
var TracksByRelease = &List[model.Track]{ListSpec{
	Name: "Release.tracks", Select: trackCols, From: "tracks t", Parent: "t.release_id",
	ScopePred: tenantScope("t"), Order: byPosition("t"), Fields: trackFields,
}}

// TracksByTenant lists the tracks of a tenant's releases, newest first.
var TracksByTenant = &List[model.Track]{ListSpec{
	Name: "Tenant.tracks", Select: trackCols, From: "tracks t", Parent: "t.tenant_id",
	ScopePred: tenantScope("t"), Order: newestFirst("t"), TenantTree: true, Fields: trackFields,
}}

// TracksByArtist lists the tracks crediting an artist, primary or
// featured, newest first, with the credit. An artist is credited once per
// track, so the track's id still breaks ties.
var TracksByArtist = &List[model.ArtistTrack]{ListSpec{
	Name: "Artist.tracks", Select: trackCols + ", ta.role AS credit_role, ta.position AS credit_position",
	From:   "track_artists ta JOIN tracks t ON t.id = ta.track_id",
	Parent: "ta.artist_id", ScopePred: tenantScope("t"), Order: newestFirst("t"), Fields: trackFields,
}}

// DeliveryStoresByRelease lists the current stores of many releases.
func DeliveryStoresByRelease(ctx context.Context, q Querier, sc Scope, ids []string) (map[string][]string, error) {
	var rows []struct {
		Release string `db:"release_id"`
		Store   string `db:"store"`
	}
	query := `SELECT release_id::text AS release_id, store FROM release_deliveries d
		WHERE release_id = ANY(?::uuid[]) AND removed_at IS NULL`
	args := []any{pq.Array(ids)}
	if !sc.all {
		query += " AND " + tenantScope("d")
		args = append(args, pq.Array(sc.tenants))
	}
	if err := selectRows(ctx, q, &rows, query+" ORDER BY store", args...); err != nil {
		return nil, err
	}
	out := map[string][]string{}
	for _, r := range rows {
		out[r.Release] = append(out[r.Release], r.Store)
	}
	return out, nil
}
