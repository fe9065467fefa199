package db

import (
	"context"
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
		if _, err := CreateMembership(ctx, tx, u.Tenant, newID, model.MembershipRoleUser, nil); err != nil {
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
