package graph

import (
	"catalogue/db/model"
	"context"
)

func (r *mutationResolver) InviteMember(ctx context.Context, input model.InviteMemberInput) (*model.MembershipPayload, error) {
	node, errs, err := inviteMember(ctx, r.Store, input)
	return payload(ctx, membershipPayload, &model.MembershipPayload{Membership: node, UserErrors: errs, ClientMutationID: input.ClientMutationID}, err)
}

func (r *mutationResolver) UpdateUser(ctx context.Context, input model.UpdateUserInput) (*model.UserPayload, error) {
	node, errs, err := updateUser(ctx, r.Store, input)
	return payload(ctx, userPayload, &model.UserPayload{User: node, UserErrors: errs, ClientMutationID: input.ClientMutationID}, err)
}

func (r *mutationResolver) UpdateMembership(ctx context.Context, input model.UpdateMembershipInput) (*model.MembershipPayload, error) {
	node, errs, err := updateMembership(ctx, r.Store, input)
	return payload(ctx, membershipPayload, &model.MembershipPayload{Membership: node, UserErrors: errs, ClientMutationID: input.ClientMutationID}, err)
}

func (r *mutationResolver) TerminateUser(ctx context.Context, input model.TerminateUserInput) (*model.UserPayload, error) {
	node, errs, err := terminateUser(ctx, r.Store, input)
	return payload(ctx, userPayload, &model.UserPayload{User: node, UserErrors: errs, ClientMutationID: input.ClientMutationID}, err)
}

func (r *mutationResolver) AcceptInvitation(ctx context.Context, input model.AnswerInvitationInput) (*model.InvitationPayload, error) {
	inv, errs, err := answerInvitation(ctx, r.Store, input.ID, true)
	return &model.InvitationPayload{Invitation: inv, UserErrors: errs, ClientMutationID: input.ClientMutationID}, err
}

func (r *mutationResolver) DeclineInvitation(ctx context.Context, input model.AnswerInvitationInput) (*model.InvitationPayload, error) {
	inv, errs, err := answerInvitation(ctx, r.Store, input.ID, false)
	return &model.InvitationPayload{Invitation: inv, UserErrors: errs, ClientMutationID: input.ClientMutationID}, err
}

func (r *mutationResolver) GrantBrandAccess(ctx context.Context, input model.GrantBrandAccessInput) (*model.BrandAccessPayload, error) {
	node, errs, err := grantBrandAccess(ctx, r.Store, input)
	return payload(ctx, brandAccessPayload, &model.BrandAccessPayload{BrandAccess: node, UserErrors: errs, ClientMutationID: input.ClientMutationID}, err)
}

func (r *mutationResolver) RevokeBrandAccess(ctx context.Context, input model.RevokeBrandAccessInput) (*model.BrandAccessPayload, error) {
	node, errs, err := revokeBrandAccess(ctx, r.Store, input)
	return payload(ctx, brandAccessPayload, &model.BrandAccessPayload{BrandAccess: node, UserErrors: errs, ClientMutationID: input.ClientMutationID}, err)
}

func (r *mutationResolver) CreateBrand(ctx context.Context, input model.CreateBrandInput) (*model.BrandPayload, error) {
	node, errs, err := createNamed(ctx, r.Store, brandKind, input, input.Name, input.IdempotencyKey)
	return payload(ctx, brandPayload, &model.BrandPayload{Brand: node, UserErrors: errs, ClientMutationID: input.ClientMutationID}, err)
}

func (r *mutationResolver) UpdateBrand(ctx context.Context, input model.UpdateBrandInput) (*model.BrandPayload, error) {
	node, errs, err := updateNamed(ctx, r.Store, brandKind, input.ID, input.ExpectedVersion, input.Name)
	return payload(ctx, brandPayload, &model.BrandPayload{Brand: node, UserErrors: errs, ClientMutationID: input.ClientMutationID}, err)
}

func (r *mutationResolver) CreateLabel(ctx context.Context, input model.CreateLabelInput) (*model.LabelPayload, error) {
	node, errs, err := createNamed(ctx, r.Store, labelKind, input, input.Name, input.IdempotencyKey)
	return payload(ctx, labelPayload, &model.LabelPayload{Label: node, UserErrors: errs, ClientMutationID: input.ClientMutationID}, err)
}

func (r *mutationResolver) UpdateLabel(ctx context.Context, input model.UpdateLabelInput) (*model.LabelPayload, error) {
	node, errs, err := updateNamed(ctx, r.Store, labelKind, input.ID, input.ExpectedVersion, input.Name)
	return payload(ctx, labelPayload, &model.LabelPayload{Label: node, UserErrors: errs, ClientMutationID: input.ClientMutationID}, err)
}

func (r *mutationResolver) CreateArtist(ctx context.Context, input model.CreateArtistInput) (*model.ArtistPayload, error) {
	node, errs, err := createArtist(ctx, r.Store, input)
	return payload(ctx, artistPayload, &model.ArtistPayload{Artist: node, UserErrors: errs, ClientMutationID: input.ClientMutationID}, err)
}

func (r *mutationResolver) UpdateArtist(ctx context.Context, input model.UpdateArtistInput) (*model.ArtistPayload, error) {
	node, errs, err := updateArtist(ctx, r.Store, input)
	return payload(ctx, artistPayload, &model.ArtistPayload{Artist: node, UserErrors: errs, ClientMutationID: input.ClientMutationID}, err)
}

func (r *mutationResolver) SaveRelease(ctx context.Context, input model.SaveReleaseInput) (*model.ReleasePayload, error) {
	node, errs, err := saveRelease(ctx, r.Store, input)
	return payload(ctx, releasePayload, &model.ReleasePayload{Release: node, UserErrors: errs, ClientMutationID: input.ClientMutationID}, err)
}

func (r *mutationResolver) SubmitRelease(ctx context.Context, input model.ReleaseTransitionInput) (*model.ReleasePayload, error) {
	node, errs, err := transition(ctx, r.Store, "submit", input.ID, input.ExpectedVersion, checkSubmittable)
	return payload(ctx, releasePayload, &model.ReleasePayload{Release: node, UserErrors: errs, ClientMutationID: input.ClientMutationID}, err)
}

func (r *mutationResolver) ApproveRelease(ctx context.Context, input model.ReleaseTransitionInput) (*model.ReleasePayload, error) {
	node, errs, err := transition(ctx, r.Store, "approve", input.ID, input.ExpectedVersion, nil)
	return payload(ctx, releasePayload, &model.ReleasePayload{Release: node, UserErrors: errs, ClientMutationID: input.ClientMutationID}, err)
}

func (r *mutationResolver) RejectRelease(ctx context.Context, input model.RejectReleaseInput) (*model.ReleasePayload, error) {
	node, errs, err := transition(ctx, r.Store, "reject", input.ID, input.ExpectedVersion, rejectWith(input.Reason))
	return payload(ctx, releasePayload, &model.ReleasePayload{Release: node, UserErrors: errs, ClientMutationID: input.ClientMutationID}, err)
}

func (r *mutationResolver) QueueRelease(ctx context.Context, input model.QueueReleaseInput) (*model.ReleasePayload, error) {
	node, errs, err := transition(ctx, r.Store, "queue", input.ID, input.ExpectedVersion, setStores(input.Stores, false))
	return payload(ctx, releasePayload, &model.ReleasePayload{Release: node, UserErrors: errs, ClientMutationID: input.ClientMutationID}, err)
}

func (r *mutationResolver) AddDeliveryStores(ctx context.Context, input model.DeliveryStoresInput) (*model.ReleasePayload, error) {
	node, errs, err := transition(ctx, r.Store, "addStores", input.ID, input.ExpectedVersion, setStores(input.Stores, false))
	return payload(ctx, releasePayload, &model.ReleasePayload{Release: node, UserErrors: errs, ClientMutationID: input.ClientMutationID}, err)
}

func (r *mutationResolver) RemoveDeliveryStores(ctx context.Context, input model.DeliveryStoresInput) (*model.ReleasePayload, error) {
	node, errs, err := transition(ctx, r.Store, "dropStores", input.ID, input.ExpectedVersion, setStores(input.Stores, true))
	return payload(ctx, releasePayload, &model.ReleasePayload{Release: node, UserErrors: errs, ClientMutationID: input.ClientMutationID}, err)
}

func (r *mutationResolver) MarkReleaseDelivered(ctx context.Context, input model.ReleaseTransitionInput) (*model.ReleasePayload, error) {
	node, errs, err := transition(ctx, r.Store, "delivered", input.ID, input.ExpectedVersion, nil)
	return payload(ctx, releasePayload, &model.ReleasePayload{Release: node, UserErrors: errs, ClientMutationID: input.ClientMutationID}, err)
}

func (r *mutationResolver) TakeDownRelease(ctx context.Context, input model.ReleaseTransitionInput) (*model.ReleasePayload, error) {
	node, errs, err := transition(ctx, r.Store, "takeDown", input.ID, input.ExpectedVersion, takeDown)
	return payload(ctx, releasePayload, &model.ReleasePayload{Release: node, UserErrors: errs, ClientMutationID: input.ClientMutationID}, err)
}
