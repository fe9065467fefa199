package graph

import (
	"catalogue/db"
	"catalogue/db/model"
	"catalogue/graph/generated"
	"context"
)

func (r *catalogueChangeResolver) Node(ctx context.Context, obj *model.CatalogueChange) (model.Node, error) {
	return changedObject(ctx, obj)
}

func (r *membershipChangeResolver) Membership(ctx context.Context, obj *model.MembershipChange) (*model.Membership, error) {
	if obj.Kind == model.ChangeKindDeleted {
		return nil, nil
	}
	return eventRow(ctx, db.MembershipNode, membershipPlan, obj.RowID)
}

func (r *releaseStatusChangeResolver) Release(ctx context.Context, obj *model.ReleaseStatusChange) (*model.Release, error) {
	return eventRow(ctx, db.ReleaseNode, releasePlan, obj.RowID)
}

func (r *subscriptionResolver) ReleaseStatusChanged(ctx context.Context, releaseID *string, tenant *string) (<-chan *model.ReleaseStatusChange, error) {
	return releaseStatusChanges(ctx, r.Store, r.Events, releaseID, tenant)
}

func (r *subscriptionResolver) MembershipChanged(ctx context.Context, tenant *string) (<-chan *model.MembershipChange, error) {
	return membershipChanges(ctx, r.Store, r.Events, tenant)
}

func (r *subscriptionResolver) CatalogueChanged(ctx context.Context, tenant *string, types []model.CatalogueType) (<-chan *model.CatalogueChange, error) {
	return catalogueChanges(ctx, r.Store, r.Events, tenant, types)
}

func (r *Resolver) CatalogueChange() generated.CatalogueChangeResolver {
	return &catalogueChangeResolver{r}
}

func (r *Resolver) MembershipChange() generated.MembershipChangeResolver {
	return &membershipChangeResolver{r}
}

func (r *Resolver) ReleaseStatusChange() generated.ReleaseStatusChangeResolver {
	return &releaseStatusChangeResolver{r}
}

func (r *Resolver) Subscription() generated.SubscriptionResolver { return &subscriptionResolver{r} }

type (
	catalogueChangeResolver     struct{ *Resolver }
	membershipChangeResolver    struct{ *Resolver }
	releaseStatusChangeResolver struct{ *Resolver }
	subscriptionResolver        struct{ *Resolver }
)
