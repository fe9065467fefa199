package db

import (
	"context"
	"reflect"
	"slices"
	"strings"
	"testing"

	"catalogue/db/model"
)

// A select list comes apart into columns named as the scan sees them;
// alias.* stands for the row's db tags.
func TestSelectListsComeApart(t *testing.T) {
	members := MembersByTenant.Columns()
	for _, name := range []string{"id", "email", "language_name", "m.id", "m.role", "m.version"} {
		if !slices.Contains(members.Names(), name) {
			t.Errorf("Tenant.members has no column %s: %v", name, members.Names())
		}
	}
	if got, want := LabelNode.Columns().Names(), tagsOf(reflect.TypeFor[model.Label](), nil); !slices.Equal(got, want) {
		t.Errorf("lb.* came apart as %v, want %v", got, want)
	}
	credits := ArtistsByTrack.Columns()
	set, err := credits.Of("id", "credit_role", "name")
	if err != nil {
		t.Fatal(err)
	}
	if got, want := credits.selectList(set), "a.id, a.name, ta.role AS credit_role"; got != want {
		t.Errorf("select list %q, want %q", got, want)
	}
	if got := credits.selectList(AllColumns); got != ArtistsByTrack.Select {
		t.Errorf("whole rows select %q, want the list's own %q", got, ArtistsByTrack.Select)
	}
	if _, err := credits.Of("id", "phone"); err == nil || !strings.Contains(err.Error(), `"phone"`) {
		t.Errorf("an unknown column must be an error, got %v", err)
	}
	var names []string
	for _, item := range splitTopLevel(`a.x, coalesce(a.y, 'p,q') AS "b.y", CAST(a.z AS text) AS z, a.q`) {
		names = append(names, resultName(item))
	}
	if got, want := strings.Join(names, " "), "x b.y z q"; got != want {
		t.Errorf("names %q, want %q", got, want)
	}
}

// Reads with a column set fill those columns and leave the others zero;
// AllColumns reads whole rows, as ByIDs does.
func TestReadsSelectOnlyTheColumnsAsked(t *testing.T) {
	ctx := context.Background()
	ss := testStore.Session(AllTenants(), FromPrimary)
	defer ss.End(ctx)
	var ids []string
	if err := testStore.x.Select(&ids, `SELECT id FROM users WHERE first_name IS NOT NULL AND phone IS NOT NULL ORDER BY id LIMIT 5`); err != nil || len(ids) == 0 {
		t.Fatalf("users with a first name and a phone: %v %v", ids, err)
	}
	whole, err := ByIDs(ctx, ss, UserNode, AllTenants(), ids)
	if err != nil {
		t.Fatal(err)
	}
	set, err := UserNode.Columns().Of("id", "phone")
	if err != nil {
		t.Fatal(err)
	}
	some, err := ColumnsByIDs(ctx, ss, UserNode, AllTenants(), set, ids)
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range ids {
		w, s := whole[id], some[id]
		if w == nil || s == nil {
			t.Fatalf("user %s: whole %v, some %v", id, w, s)
		}
		if s.ID != id || s.Phone == nil || *s.Phone != *w.Phone {
			t.Errorf("user %s: id and phone not read: %+v", id, s)
		}
		if s.FirstName != nil || s.Email != "" || s.ReferralCode != "" {
			t.Errorf("user %s: columns not asked for were read: %+v", id, s)
		}
		if w.FirstName == nil || w.Email == "" {
			t.Errorf("user %s: ByIDs did not read the whole row: %+v", id, w)
		}
	}

	var tenant string
	if err := testStore.x.Get(&tenant, `SELECT tenant_id FROM memberships GROUP BY 1 ORDER BY count(*) DESC, 1 LIMIT 1`); err != nil {
		t.Fatal(err)
	}
	set, err = MembersByTenant.Columns().Of("id", "m.id", "m.role")
	if err != nil {
		t.Fatal(err)
	}
	c := MembersByTenant.MustCompile()
	pages, err := ListPages(ctx, ss, MembersByTenant, c, AllTenants(), set, []string{tenant}, PageArgs{Limit: 10})
	if err != nil {
		t.Fatal(err)
	}
	full, err := ListPages(ctx, ss, MembersByTenant, c, AllTenants(), AllColumns, []string{tenant}, PageArgs{Limit: 10})
	if err != nil {
		t.Fatal(err)
	}
	p, f := pages[tenant], full[tenant]
	if len(p.Rows) == 0 || len(p.Rows) != len(f.Rows) {
		t.Fatalf("%d rows, whole rows %d", len(p.Rows), len(f.Rows))
	}
	for i, m := range p.Rows {
		if m.ID != f.Rows[i].ID || m.Membership.ID != f.Rows[i].Membership.ID || m.Membership.Role != f.Rows[i].Membership.Role {
			t.Errorf("row %d: %+v, whole %+v", i, m, f.Rows[i])
		}
		if m.Email != "" || m.Membership.TenantID != "" || p.Cursor(i) != f.Cursor(i) {
			t.Errorf("row %d read columns not asked for, or another cursor: %+v", i, m)
		}
	}
}
