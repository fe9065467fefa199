package model

import "context"

// FacetBucket is one value of a facet with its row count.
type FacetBucket struct {
	Value *string `db:"value"`
	Count int     `db:"n"`
}

// FacetFunc loads the buckets of the named facet of one connection.
type FacetFunc func(ctx context.Context, name string) ([]*FacetBucket, error)

// Facets computes each facet of a connection only when it is selected.
type Facets struct{ Load FacetFunc }

// UserFacets are the facets of a member list.
type UserFacets struct{ Facets }

// MembershipRole counts members by tenant role.
func (f *UserFacets) MembershipRole(ctx context.Context) ([]*FacetBucket, error) {
	return f.Load(ctx, "membershipRole")
}

// MembershipStatus counts members by membership status.
func (f *UserFacets) MembershipStatus(ctx context.Context) ([]*FacetBucket, error) {
	return f.Load(ctx, "membershipStatus")
}

// Role counts members by creative role.
func (f *UserFacets) Role(ctx context.Context) ([]*FacetBucket, error) { return f.Load(ctx, "role") }

// Genre counts members by genre.
func (f *UserFacets) Genre(ctx context.Context) ([]*FacetBucket, error) { return f.Load(ctx, "genre") }

// Language counts members by language code.
func (f *UserFacets) Language(ctx context.Context) ([]*FacetBucket, error) {
	return f.Load(ctx, "language")
}

// Channel counts members by how their accounts came to the platform.
func (f *UserFacets) Channel(ctx context.Context) ([]*FacetBucket, error) {
	return f.Load(ctx, "channel")
}

// ArtistFacets are the facets of an artist list.
type ArtistFacets struct{ Facets }

// Genre counts artists by genre.
func (f *ArtistFacets) Genre(ctx context.Context) ([]*FacetBucket, error) {
	return f.Load(ctx, "genre")
}

// Country counts artists by country.
func (f *ArtistFacets) Country(ctx context.Context) ([]*FacetBucket, error) {
	return f.Load(ctx, "country")
}

// ReleaseFacets are the facets of a release list.
type ReleaseFacets struct{ Facets }

// Status counts releases by workflow status.
func (f *ReleaseFacets) Status(ctx context.Context) ([]*FacetBucket, error) {
	return f.Load(ctx, "status")
}

// Type counts releases by type.
func (f *ReleaseFacets) Type(ctx context.Context) ([]*FacetBucket, error) { return f.Load(ctx, "type") }

// Genre counts releases by genre.
func (f *ReleaseFacets) Genre(ctx context.Context) ([]*FacetBucket, error) {
	return f.Load(ctx, "genre")
}

// TrackFacets are the facets of a track list.
type TrackFacets struct{ Facets }

// Explicit counts tracks by explicit flag.
func (f *TrackFacets) Explicit(ctx context.Context) ([]*FacetBucket, error) {
	return f.Load(ctx, "explicit")
}
