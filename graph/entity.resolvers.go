package graph

import (
	"catalogue/db/model"
	"catalogue/graph/generated"
	"context"
)

func (r *entityResolver) FindArtist(ctx context.Context, reps []*model.ArtistRepresentation) ([]*model.Artist, error) {
	return loadEntities[model.Artist](ctx, model.TypeArtist, reps, func(r *model.ArtistRepresentation) *string { return r.GlobalID })
}

func (r *entityResolver) FindBrand(ctx context.Context, reps []*model.BrandRepresentation) ([]*model.Brand, error) {
	return loadEntities[model.Brand](ctx, model.TypeBrand, reps, func(r *model.BrandRepresentation) *string { return r.GlobalID })
}

func (r *entityResolver) FindGroup(ctx context.Context, reps []*model.GroupRepresentation) ([]*model.Group, error) {
	return loadEntities[model.Group](ctx, model.TypeGroup, reps, func(r *model.GroupRepresentation) *string { return r.GlobalID })
}

func (r *entityResolver) FindLabel(ctx context.Context, reps []*model.LabelRepresentation) ([]*model.Label, error) {
	return loadEntities[model.Label](ctx, model.TypeLabel, reps, func(r *model.LabelRepresentation) *string { return r.GlobalID })
}

func (r *entityResolver) FindMembership(ctx context.Context, reps []*model.MembershipRepresentation) ([]*model.Membership, error) {
	return loadEntities[model.Membership](ctx, model.TypeMembership, reps, func(r *model.MembershipRepresentation) *string { return r.GlobalID })
}

func (r *entityResolver) FindRelease(ctx context.Context, reps []*model.ReleaseRepresentation) ([]*model.Release, error) {
	return loadEntities[model.Release](ctx, model.TypeRelease, reps, func(r *model.ReleaseRepresentation) *string { return r.GlobalID })
}

func (r *entityResolver) FindTenant(ctx context.Context, reps []*model.TenantRepresentation) ([]*model.Tenant, error) {
	return loadEntities[model.Tenant](ctx, model.TypeTenant, reps, func(r *model.TenantRepresentation) *string { return r.GlobalID })
}

func (r *entityResolver) FindTrack(ctx context.Context, reps []*model.TrackRepresentation) ([]*model.Track, error) {
	return loadEntities[model.Track](ctx, model.TypeTrack, reps, func(r *model.TrackRepresentation) *string { return r.GlobalID })
}

func (r *entityResolver) FindUser(ctx context.Context, reps []*model.UserRepresentation) ([]*model.User, error) {
	return loadEntities[model.User](ctx, model.TypeUser, reps, func(r *model.UserRepresentation) *string { return r.GlobalID })
}

func (r *Resolver) Entity() generated.EntityResolver { return &entityResolver{r} }

type entityResolver struct{ *Resolver }
