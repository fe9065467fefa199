package db

import (
	"context"
	"errors"
	"strings"
	"testing"

	"catalogue/db/model"
)

// An invitation finds an account by email in any tenant, ignoring case; a
// new account becomes a member through CreateMembership; the profile of a
// new account cannot carry columns such as admin_roles.
func TestInviteFindsOrCreatesTheAccount(t *testing.T) {
	var u struct {
		ID     string `db:"id"`
		Email  string `db:"email"`
		Tenant string `db:"tenant_id"`
	}
	// A user and a tenant they are not a member of.
	if err := testStore.x.Get(&u, `SELECT u.id::text AS id, u.email, t.id::text AS tenant_id FROM users u, tenants t
		WHERE NOT EXISTS (SELECT 1 FROM memberships m WHERE m.user_id = u.id AND m.tenant_id = t.id)
		ORDER BY u.id, t.id LIMIT 1`); err != nil {
		t.Fatal(err)
	}
	inUndoneTx(t, TenantScope(u.Tenant), func(ctx context.Context, tx *Tx) {
		id, found, err := UserIDForEmail(ctx, tx, strings.ToUpper(u.Email))
		if err != nil || !found || id != u.ID {
			t.Errorf("UserIDForEmail(%q) = %q, %v, %v; want %q", strings.ToUpper(u.Email), id, found, err, u.ID)
		}
		if _, found, err := UserIDForEmail(ctx, tx, "nobody-at-all@example.com"); err != nil || found {
			t.Errorf("UserIDForEmail of an unknown address: found=%v, %v", found, err)
		}
		if _, err := CreateUser(ctx, tx, "sneaky@example.com", nil, Values{"admin_roles": []string{"SUPER_ADMIN"}}); err == nil {
			t.Error("CreateUser accepted admin_roles in the profile")
		}
		newID, err := CreateUser(ctx, tx, "new-member@example.com", nil, Values{"first_name": "New"})
		if err != nil {
			t.Fatal(err)
		}
		if n, err := MembershipCount(ctx, tx, u.Tenant, newID); err != nil || n != 0 {
			t.Errorf("memberships of a new account: %d, %v; want 0", n, err)
		}
		if _, err := CreateMembership(ctx, tx, u.Tenant, newID, model.MembershipRoleUser, model.MembershipStatusActive, nil); err != nil {
			t.Fatal(err)
		}
		if n, err := MembershipCount(ctx, tx, u.Tenant, newID); err != nil || n != 1 {
			t.Errorf("memberships after CreateMembership: %d, %v; want 1", n, err)
		}
		if tenants, err := TenantIDsOfUser(ctx, tx, newID); err != nil || len(tenants) != 1 || tenants[0] != u.Tenant {
			t.Errorf("TenantIDsOfUser = %v, %v; want [%s]", tenants, err, u.Tenant)
		}
	})
}

// A pending invitation is no membership: the account stays invisible to the
// inviting tenant, is no member there, and is not shared with it, until
// its user, and only they, accepts it.
func TestPendingInvitationGivesNothingUntilAccepted(t *testing.T) {
	var u struct {
		ID     string `db:"id"`
		Home   string `db:"home"`
		Tenant string `db:"tenant_id"`
		Other  string `db:"other"`
	}
	// A user of one tenant only, another tenant outside its tree, and
	// another user.
	if err := testStore.x.Get(&u, `SELECT u.id::text AS id, m.tenant_id::text AS home, t.id::text AS tenant_id,
			(SELECT id::text FROM users WHERE id <> u.id ORDER BY id LIMIT 1) AS other
		FROM users u JOIN memberships m ON m.user_id = u.id, tenants t
		WHERE (SELECT count(*) FROM memberships x WHERE x.user_id = u.id) = 1
		  AND t.parent_id IS NULL AND NOT t.id = ANY (tenant_subtree(m.tenant_id)) AND NOT m.tenant_id = ANY (tenant_subtree(t.id))
		ORDER BY u.id, t.id LIMIT 1`); err != nil {
		t.Fatal(err)
	}
	inUndoneTx(t, TenantScope(u.Tenant), func(ctx context.Context, tx *Tx) {
		mid, err := CreateMembership(ctx, tx, u.Tenant, u.ID, model.MembershipRoleAdmin, model.MembershipStatusPending, nil)
		if err != nil {
			t.Fatal(err)
		}
		if n, err := MembershipCount(ctx, tx, u.Tenant, u.ID); err != nil || n != 0 {
			t.Errorf("MembershipCount with a pending invitation = %d, %v; want 0", n, err)
		}
		if users, err := ByIDs(ctx, tx, UserNode, tx.Scope(), []string{u.ID}); err != nil || len(users) != 0 {
			t.Errorf("the invited account is visible to the inviting tenant: %v, %v", users, err)
		}
		var visible int
		if err := getRow(ctx, tx, &visible, `SELECT count(*) FROM users WHERE id = ?`, u.ID); err != nil || visible != 0 {
			t.Errorf("row-level security shows the invited account: %d rows, %v", visible, err)
		}
		if foreign, err := UserHasForeignMemberships(ctx, tx, u.ID, []string{u.Home}); err != nil || foreign {
			t.Errorf("a pending invitation makes the account shared: %v, %v", foreign, err)
		}
		if invs, err := PendingInvitations(ctx, tx, u.ID); err != nil || len(invs) != 1 || invs[0].ID != mid || invs[0].TenantID != u.Tenant {
			t.Errorf("PendingInvitations = %+v, %v; want the one of %s", invs, err, u.Tenant)
		}
		if _, err := AnswerInvitation(ctx, tx, mid, u.Other, true); !errors.Is(err, ErrNotFound) {
			t.Errorf("another user accepted the invitation: %v", err)
		}
		inv, err := AnswerInvitation(ctx, tx, mid, u.ID, true)
		if err != nil || inv.ID != mid || inv.Role != model.MembershipRoleAdmin {
			t.Fatalf("AnswerInvitation = %+v, %v", inv, err)
		}
		if n, err := MembershipCount(ctx, tx, u.Tenant, u.ID); err != nil || n != 1 {
			t.Errorf("MembershipCount after acceptance = %d, %v; want 1", n, err)
		}
		if users, err := ByIDs(ctx, tx, UserNode, tx.Scope(), []string{u.ID}); err != nil || len(users) != 1 {
			t.Errorf("the account is not visible once a member: %v, %v", users, err)
		}
		if foreign, err := UserHasForeignMemberships(ctx, tx, u.ID, []string{u.Home}); err != nil || !foreign {
			t.Errorf("an accepted invitation does not make the account shared: %v, %v", foreign, err)
		}
		if _, err := AnswerInvitation(ctx, tx, mid, u.ID, false); !errors.Is(err, ErrNotFound) {
			t.Errorf("an accepted invitation was answered again: %v", err)
		}
	})
}
