package db

import (
	"context"

	"catalogue/db/model"
)

// Invitations are PENDING memberships: inviting an account that already
// exists makes one, and only its user accepts or declines it. The user's
// invitations lie in tenants outside the user's scope, so they are read
// and answered through the owner's functions of migration 0007, which
// act only on the invitations of the user they are given. Callers pass
// the user of the request's credentials, never an ID from its input.

// PendingInvitations lists the invitations addressed to the user, newest
// first.
func PendingInvitations(ctx context.Context, q Querier, userID string) ([]model.Invitation, error) {
	var out []model.Invitation
	err := selectRows(ctx, q, &out, `SELECT id::text AS id, tenant_id::text AS tenant_id, tenant_slug, tenant_name, role, created_at
		FROM pending_invitations(?)`, userID)
	return out, err
}

// AnswerInvitation accepts (the membership becomes ACTIVE) or declines
// (the membership is deleted) the user's pending invitation with the
// membership ID, audits the answer in the inviting tenant, and returns the
// invitation. ErrNotFound when the user has no pending invitation with
// that ID: whether it is someone else's, answered already or missing.
func AnswerInvitation(ctx context.Context, tx *Tx, membershipID, userID string, accept bool) (*model.Invitation, error) {
	var out []model.Invitation
	if err := selectRows(ctx, tx, &out, `SELECT id::text AS id, tenant_id::text AS tenant_id, tenant_slug, tenant_name, role, created_at
		FROM answer_invitation(?, ?, ?)`, membershipID, userID, accept); err != nil {
		return nil, err
	}
	if len(out) != 1 {
		return nil, ErrNotFound
	}
	return &out[0], nil
}

// InvitationsByTenant lists a tenant's pending invitations, newest first.
var InvitationsByTenant = &List[model.Membership]{ListSpec{
	Name: "Tenant.invitations", Select: "m.*", From: "memberships m", Parent: "m.tenant_id",
	ScopePred: tenantScope("m"), Where: "m.status = 'PENDING'", Order: newestFirst("m"),
}}
