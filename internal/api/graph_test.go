package api_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"catalogue/db/model"
	"catalogue/internal/api"
)

// idRef is an object selected as { id }.
type idRef struct{ ID string }

// wantIDs fails the test when a list of IDs differs from the oracle.
func wantIDs(t testing.TB, what string, got, want []string) {
	t.Helper()
	if d := diffIDs(got, want); d != "" {
		t.Errorf("%s: %s", what, d)
	}
}

// wantRef checks a to-one edge: null exactly when the foreign key is NULL.
func wantRef(t testing.TB, what string, got *idRef, typ model.NodeType, fk *string) {
	t.Helper()
	switch {
	case fk == nil && got != nil:
		t.Errorf("%s: got %s, want null", what, decodeForHumans(got.ID))
	case fk != nil && got == nil:
		t.Errorf("%s: got null, want %s", what, gid(typ, *fk))
	case fk != nil && got.ID != gid(typ, *fk):
		t.Errorf("%s: got %s, want %s", what, decodeForHumans(got.ID), gid(typ, *fk))
	}
}

func intStr(p *int) string {
	if p == nil {
		return "<null>"
	}
	return fmt.Sprint(*p)
}

func str(p *string) string {
	if p == nil {
		return "<null>"
	}
	return *p
}

// ---------------------------------------------------------------------------
// Navigating the graph

func TestTenantParentAndSubsidiaries(t *testing.T) {
	acme := tenantID(t, "acme-music")
	var fr string
	sqlValue(t, &fr, `SELECT id FROM tenants WHERE slug = 'acme-music-fr' AND parent_id = $1`, acme)

	var data struct {
		Acme struct {
			ID           string
			Parent       *idRef
			Subsidiaries struct {
				TotalCount int
				Edges      []struct {
					Node struct {
						ID     string
						Slug   string
						Parent *struct{ ID, Slug string }
					}
				}
			}
		}
		Fr struct {
			ID     string
			Parent *struct {
				ID           string
				Slug         string
				Subsidiaries conn
			}
			Subsidiaries conn
		}
	}
	query(t, `{
		acme: tenant(slug: "acme-music") { id parent { id }
			subsidiaries(first: 500) { totalCount edges { node { id slug parent { id slug } } } } }
		fr: tenant(slug: "acme-music-fr") { id
			parent { id slug subsidiaries(first: 500) `+connSelection+` }
			subsidiaries(first: 500) `+connSelection+` }
	}`, nil, &data)

	if data.Acme.Parent != nil {
		t.Errorf("acme-music is top-level, got parent %s", data.Acme.Parent.ID)
	}
	var subs []string
	for _, e := range data.Acme.Subsidiaries.Edges {
		subs = append(subs, e.Node.ID)
	}
	wantIDs(t, "acme-music.subsidiaries", subs,
		sqlIDs(t, model.TypeTenant, `SELECT id FROM tenants WHERE parent_id = $1 ORDER BY created_at DESC, id DESC`, acme))
	for _, e := range data.Acme.Subsidiaries.Edges {
		if e.Node.Parent == nil || e.Node.Parent.ID != gid(model.TypeTenant, acme) || e.Node.Parent.Slug != "acme-music" {
			t.Errorf("subsidiary %s: parent %+v, want acme-music", e.Node.Slug, e.Node.Parent)
		}
	}
	if data.Fr.ID != gid(model.TypeTenant, fr) {
		t.Errorf("acme-music-fr id %s, want %s", data.Fr.ID, gid(model.TypeTenant, fr))
	}
	if data.Fr.Parent == nil || data.Fr.Parent.ID != gid(model.TypeTenant, acme) || data.Fr.Parent.Slug != "acme-music" {
		t.Fatalf("acme-music-fr.parent = %+v, want acme-music", data.Fr.Parent)
	}
	if !containsID(data.Fr.Parent.Subsidiaries.ids(), gid(model.TypeTenant, fr)) {
		t.Errorf("acme-music-fr.parent.subsidiaries %v does not lead back to acme-music-fr", data.Fr.Parent.Subsidiaries.ids())
	}
	wantIDs(t, "acme-music-fr.subsidiaries", data.Fr.Subsidiaries.ids(),
		sqlIDs(t, model.TypeTenant, `SELECT id FROM tenants WHERE parent_id = $1 ORDER BY created_at DESC, id DESC`, fr))
}

func containsID(ids []string, id string) bool {
	for _, x := range ids {
		if x == id {
			return true
		}
	}
	return false
}

// TestTenantListsMatchSQL reads each tenant's lists whole and compares
// them, in order, with SQL.
func TestTenantListsMatchSQL(t *testing.T) {
	lists := []struct {
		field  string
		args   string
		typ    model.NodeType
		oracle string // $1 is the tenant
	}{
		{"brands", own, model.TypeBrand, `SELECT id FROM brands WHERE tenant_id = $1 ORDER BY created_at DESC, id DESC`},
		{"labels", own, model.TypeLabel, `SELECT id FROM labels WHERE tenant_id = $1 ORDER BY created_at DESC, id DESC`},
		{"releases", own, model.TypeRelease, `SELECT id FROM releases WHERE tenant_id = $1 ORDER BY created_at DESC, id DESC`},
		{"artists", own, model.TypeArtist, `SELECT id FROM artists WHERE tenant_id = $1 ORDER BY created_at DESC, id DESC`},
		{"groups", "", model.TypeGroup, `SELECT id FROM groups WHERE tenant_id = $1 ORDER BY name, id`},
		{"subsidiaries", "", model.TypeTenant, `SELECT id FROM tenants WHERE parent_id = $1 ORDER BY created_at DESC, id DESC`},
	}
	var sel strings.Builder
	for _, l := range lists {
		fmt.Fprintf(&sel, " %s(first: 500 %s) %s", l.field, l.args, connSelection)
	}
	var slugs []string
	sqlRows(t, &slugs, `SELECT slug FROM tenants ORDER BY slug`)
	for _, slug := range slugs {
		t.Run(slug, func(t *testing.T) {
			var data struct{ Tenant map[string]json.RawMessage }
			query(t, `query($slug: String!) { tenant(slug: $slug) { id`+sel.String()+` } }`, map[string]any{"slug": slug}, &data)
			id := tenantID(t, slug)
			for _, l := range lists {
				var c conn
				if err := json.Unmarshal(data.Tenant[l.field], &c); err != nil {
					t.Fatalf("%s: %v", l.field, err)
				}
				want := sqlIDs(t, l.typ, l.oracle, id)
				wantIDs(t, l.field, c.ids(), want)
				if c.TotalCount == nil || *c.TotalCount != len(want) {
					t.Errorf("%s.totalCount = %v, want %d", l.field, c.TotalCount, len(want))
				}
				if c.PageInfo.HasNextPage || c.PageInfo.HasPreviousPage {
					t.Errorf("%s: a whole list in one page has no next or previous page: %+v", l.field, c.PageInfo)
				}
			}
		})
	}
}

// TestNestedPagesAreLimitedPerParent checks that one batched statement
// gives every parent its own page: the first 3 releases of each tenant,
// not the first 3 releases overall.
func TestNestedPagesAreLimitedPerParent(t *testing.T) {
	var data struct {
		Tenants struct {
			Edges []struct {
				Node struct {
					ID       string
					Releases conn
					Members  conn
				}
			}
		}
	}
	query(t, `{ tenants(first: 50) { edges { node { id
		releases(first: 3 `+own+`) `+connSelection+`
		members(last: 2 `+own+`) `+connSelection+` } } } }`, nil, &data)
	if len(data.Tenants.Edges) < 2 {
		t.Fatalf("need several tenants, got %d", len(data.Tenants.Edges))
	}
	for _, e := range data.Tenants.Edges {
		_, tid, err := model.DecodeID(e.Node.ID)
		if err != nil {
			t.Fatal(err)
		}
		releases := sqlIDs(t, model.TypeRelease, `SELECT id FROM releases WHERE tenant_id = $1 ORDER BY created_at DESC, id DESC`, tid)
		checkPage(t, "releases(first: 3) of "+e.Node.ID, e.Node.Releases, releases[:min(3, len(releases))], false, len(releases) > 3, len(releases))
		members := sqlIDs(t, model.TypeUser, `SELECT user_id FROM memberships WHERE tenant_id = $1 AND user_id NOT IN (SELECT id FROM users WHERE is_deleted) ORDER BY created_at DESC, id DESC`, tid)
		checkPage(t, "members(last: 2) of "+e.Node.ID, e.Node.Members, members[max(0, len(members)-2):], len(members) > 2, false, len(members))
	}
}

func TestBrandMembersArtistsAndReleases(t *testing.T) {
	// The brand with the most access grants, then artists and releases.
	var brand struct {
		ID       string `db:"id"`
		TenantID string `db:"tenant_id"`
		Name     string `db:"name"`
	}
	sqlValue(t, &brand, `
		SELECT b.id, b.tenant_id, b.name FROM brands b
		ORDER BY (SELECT count(*) FROM brand_access ba WHERE ba.brand_id = b.id) DESC,
		         (SELECT count(*) FROM artists a WHERE a.brand_id = b.id) DESC, b.id
		LIMIT 1`)
	var data struct {
		Node struct {
			ID      string
			Name    string
			Tenant  idRef
			Members struct {
				TotalCount int
				PageInfo   pageInfo
				Edges      []struct {
					Node   idRef
					Access struct {
						ID    string
						Role  string
						Brand idRef
						User  idRef
					}
				}
			}
			Artists  conn
			Releases conn
		}
	}
	query(t, `query($id: ID!) { node(id: $id) { ... on Brand { id name tenant { id }
		members(first: 500) { totalCount pageInfo { hasNextPage hasPreviousPage } edges { node { id } access { id role brand { id } user { id } } } }
		artists(first: 500) `+connSelection+`
		releases(first: 500) `+connSelection+` } } }`,
		map[string]any{"id": gid(model.TypeBrand, brand.ID)}, &data)

	b := data.Node
	if b.ID != gid(model.TypeBrand, brand.ID) || b.Name != brand.Name || b.Tenant.ID != gid(model.TypeTenant, brand.TenantID) {
		t.Errorf("brand: got id %s name %q tenant %s, want %s %q %s", b.ID, b.Name, b.Tenant.ID,
			gid(model.TypeBrand, brand.ID), brand.Name, gid(model.TypeTenant, brand.TenantID))
	}

	var grants []struct {
		ID     string `db:"id"`
		UserID string `db:"user_id"`
		Role   string `db:"role"`
	}
	sqlRows(t, &grants, `SELECT id, user_id, role FROM brand_access WHERE brand_id = $1 AND user_id NOT IN (SELECT id FROM users WHERE is_deleted) ORDER BY created_at DESC, id DESC`, brand.ID)
	if len(grants) == 0 {
		t.Fatal("the seed should grant access to some brand")
	}
	if len(b.Members.Edges) != len(grants) || b.Members.TotalCount != len(grants) {
		t.Fatalf("Brand.members: %d edges, totalCount %d, SQL has %d grants", len(b.Members.Edges), b.Members.TotalCount, len(grants))
	}
	for i, g := range grants {
		e := b.Members.Edges[i]
		if e.Node.ID != gid(model.TypeUser, g.UserID) || e.Access.ID != gid(model.TypeBrandAccess, g.ID) ||
			e.Access.Role != g.Role || e.Access.User.ID != e.Node.ID || e.Access.Brand.ID != b.ID {
			t.Errorf("Brand.members[%d] = %+v, want user %s, access %s role %s on this brand",
				i, e, gid(model.TypeUser, g.UserID), gid(model.TypeBrandAccess, g.ID), g.Role)
		}
	}
	wantIDs(t, "Brand.artists", b.Artists.ids(),
		sqlIDs(t, model.TypeArtist, `SELECT id FROM artists WHERE brand_id = $1 ORDER BY created_at DESC, id DESC`, brand.ID))
	wantIDs(t, "Brand.releases", b.Releases.ids(),
		sqlIDs(t, model.TypeRelease, `SELECT id FROM releases WHERE brand_id = $1 ORDER BY created_at DESC, id DESC`, brand.ID))
}

func TestUserFieldsAndEdges(t *testing.T) {
	// Users picked by SQL for the shape of their data.
	picks := []struct {
		name string
		sql  string
	}{
		{"with two memberships", `SELECT user_id FROM memberships GROUP BY user_id HAVING count(*) > 1 ORDER BY user_id LIMIT 1`},
		{"linked to an artist", `SELECT user_id FROM artists WHERE user_id IS NOT NULL ORDER BY user_id LIMIT 1`},
		{"updated by someone else than its creator", `SELECT id FROM users WHERE updated_by <> created_by ORDER BY id LIMIT 1`},
		{"self-registered", `SELECT id FROM users WHERE created_by IS NULL ORDER BY id LIMIT 1`},
		{"without a last name", `SELECT id FROM users WHERE first_name IS NOT NULL AND last_name IS NULL ORDER BY id LIMIT 1`},
		{"without a first name", `SELECT id FROM users WHERE first_name IS NULL AND last_name IS NOT NULL ORDER BY id LIMIT 1`},
		{"without any name", `SELECT id FROM users WHERE first_name IS NULL AND last_name IS NULL ORDER BY nickname NULLS FIRST, id LIMIT 1`},
		{"without a name but with a nickname", `SELECT id FROM users WHERE first_name IS NULL AND nickname IS NOT NULL ORDER BY last_name NULLS FIRST, id LIMIT 1`},
		{"without a language", `SELECT id FROM users WHERE language_code IS NULL ORDER BY id LIMIT 1`},
		{"with a language", `SELECT id FROM users WHERE language_code IS NOT NULL ORDER BY id LIMIT 1`},
	}
	const q = `query($id: ID!) { node(id: $id) { ... on User {
		id email firstName lastName fullName language { code name }
		createdBy { id } updatedBy { id }
		memberships(first: 500) { totalCount edges { node { id tenant { id } user { id } } } }
		artists(first: 500) { totalCount edges { node { id user { id } } } } } } }`
	for _, p := range picks {
		t.Run(p.name, func(t *testing.T) {
			var id string
			sqlValue(t, &id, p.sql)
			var want struct {
				Email        string  `db:"email"`
				FirstName    *string `db:"first_name"`
				LastName     *string `db:"last_name"`
				FullName     string  `db:"full_name"`
				LanguageCode *string `db:"language_code"`
				LanguageName *string `db:"language_name"`
				CreatedBy    *string `db:"created_by"`
				UpdatedBy    *string `db:"updated_by"`
			}
			sqlValue(t, &want, `
				SELECT u.email, u.first_name, u.last_name,
				       coalesce(nullif(concat_ws(' ', u.first_name, u.last_name), ''), u.nickname, '(no name)') AS full_name,
				       u.language_code, l.name AS language_name, u.created_by, u.updated_by
				FROM users u LEFT JOIN languages l ON l.code = u.language_code WHERE u.id = $1`, id)
			var data struct {
				Node struct {
					ID                  string
					Email               *string
					FirstName, LastName *string
					FullName            string
					Language            *struct{ Code, Name string }
					CreatedBy           *idRef
					UpdatedBy           *idRef
					Memberships         struct {
						TotalCount int
						Edges      []struct {
							Node struct {
								ID     string
								Tenant idRef
								User   idRef
							}
						}
					}
					Artists struct {
						TotalCount int
						Edges      []struct {
							Node struct {
								ID   string
								User *idRef
							}
						}
					}
				}
			}
			query(t, q, map[string]any{"id": gid(model.TypeUser, id)}, &data)
			u := data.Node
			// The suite reads as a platform administrator, who may see
			// every member's email.
			if u.ID != gid(model.TypeUser, id) || str(u.Email) != want.Email || str(u.FirstName) != str(want.FirstName) || str(u.LastName) != str(want.LastName) {
				t.Errorf("user: got %s %q %q %q, want %s %q %q %q", u.ID, str(u.Email), str(u.FirstName), str(u.LastName),
					gid(model.TypeUser, id), want.Email, str(want.FirstName), str(want.LastName))
			}
			if u.FullName != want.FullName {
				t.Errorf("fullName = %q, want %q (first and last name joined, else the nickname, else \"(no name)\")", u.FullName, want.FullName)
			}
			switch {
			case want.LanguageCode == nil && u.Language != nil:
				t.Errorf("language = %+v, want null", u.Language)
			case want.LanguageCode != nil && (u.Language == nil || u.Language.Code != *want.LanguageCode || u.Language.Name != str(want.LanguageName)):
				t.Errorf("language = %+v, want %s %s", u.Language, *want.LanguageCode, str(want.LanguageName))
			}
			wantRef(t, "createdBy", u.CreatedBy, model.TypeUser, want.CreatedBy)
			wantRef(t, "updatedBy", u.UpdatedBy, model.TypeUser, want.UpdatedBy)

			var ms []struct {
				ID       string `db:"id"`
				TenantID string `db:"tenant_id"`
			}
			sqlRows(t, &ms, `SELECT id, tenant_id FROM memberships WHERE user_id = $1 ORDER BY created_at DESC, id DESC`, id)
			if len(u.Memberships.Edges) != len(ms) || u.Memberships.TotalCount != len(ms) {
				t.Fatalf("memberships: %d edges, totalCount %d, SQL has %d", len(u.Memberships.Edges), u.Memberships.TotalCount, len(ms))
			}
			for i, m := range ms {
				e := u.Memberships.Edges[i].Node
				if e.ID != gid(model.TypeMembership, m.ID) || e.Tenant.ID != gid(model.TypeTenant, m.TenantID) || e.User.ID != u.ID {
					t.Errorf("memberships[%d] = %+v, want membership %s in tenant %s of this user",
						i, e, gid(model.TypeMembership, m.ID), gid(model.TypeTenant, m.TenantID))
				}
			}
			artists := sqlIDs(t, model.TypeArtist, `SELECT id FROM artists WHERE user_id = $1 ORDER BY created_at DESC, id DESC`, id)
			var gotArtists []string
			for _, e := range u.Artists.Edges {
				gotArtists = append(gotArtists, e.Node.ID)
			}
			wantIDs(t, "artists", gotArtists, artists)
			if u.Artists.TotalCount != len(artists) {
				t.Errorf("artists.totalCount = %d, want %d", u.Artists.TotalCount, len(artists))
			}
			for _, e := range u.Artists.Edges {
				if e.Node.User == nil || e.Node.User.ID != u.ID {
					t.Errorf("artist %s of user %s: user = %+v", e.Node.ID, u.ID, e.Node.User)
				}
			}
		})
	}
}

func TestMembershipEdges(t *testing.T) {
	picks := []struct {
		name string
		sql  string
	}{
		{"in groups and with brand access", `
			SELECT m.id FROM memberships m
			WHERE EXISTS (SELECT 1 FROM brand_access ba WHERE ba.user_id = m.user_id AND ba.tenant_id = m.tenant_id)
			ORDER BY (SELECT count(*) FROM membership_groups mg WHERE mg.membership_id = m.id) DESC, m.id LIMIT 1`},
		{"of a user with grants in another tenant", `
			SELECT m.id FROM memberships m
			WHERE EXISTS (SELECT 1 FROM brand_access ba WHERE ba.user_id = m.user_id AND ba.tenant_id <> m.tenant_id)
			ORDER BY m.id LIMIT 1`},
		{"without groups or brand access", `
			SELECT m.id FROM memberships m
			WHERE NOT EXISTS (SELECT 1 FROM membership_groups mg WHERE mg.membership_id = m.id)
			  AND NOT EXISTS (SELECT 1 FROM brand_access ba WHERE ba.user_id = m.user_id AND ba.tenant_id = m.tenant_id)
			ORDER BY m.id LIMIT 1`},
	}
	const q = `query($id: ID!) { node(id: $id) { ... on Membership {
		id role status lastSeenAt tenant { id } user { id }
		groups(first: 500) { totalCount edges { node { id name isAdmin tenant { id } } } }
		brandAccess(first: 500) { totalCount edges { node { id role brand { id tenant { id } } user { id } } } } } } }`
	for _, p := range picks {
		t.Run(p.name, func(t *testing.T) {
			var id string
			sqlValue(t, &id, p.sql)
			var want struct {
				TenantID   string     `db:"tenant_id"`
				UserID     string     `db:"user_id"`
				Role       string     `db:"role"`
				Status     string     `db:"status"`
				LastSeenAt *time.Time `db:"last_seen_at"`
			}
			sqlValue(t, &want, `SELECT tenant_id, user_id, role, status, last_seen_at FROM memberships WHERE id = $1`, id)
			var data struct {
				Node struct {
					ID, Role, Status string
					LastSeenAt       *time.Time
					Tenant, User     idRef
					Groups           struct {
						TotalCount int
						Edges      []struct {
							Node struct {
								ID, Name string
								IsAdmin  bool
								Tenant   idRef
							}
						}
					}
					BrandAccess struct {
						TotalCount int
						Edges      []struct {
							Node struct {
								ID, Role string
								Brand    struct {
									ID     string
									Tenant idRef
								}
								User idRef
							}
						}
					}
				}
			}
			query(t, q, map[string]any{"id": gid(model.TypeMembership, id)}, &data)
			m := data.Node
			if m.ID != gid(model.TypeMembership, id) || m.Role != want.Role || m.Status != want.Status ||
				m.Tenant.ID != gid(model.TypeTenant, want.TenantID) || m.User.ID != gid(model.TypeUser, want.UserID) {
				t.Errorf("membership = %+v, want role %s status %s tenant %s user %s", m, want.Role, want.Status,
					gid(model.TypeTenant, want.TenantID), gid(model.TypeUser, want.UserID))
			}
			if (m.LastSeenAt == nil) != (want.LastSeenAt == nil) || (m.LastSeenAt != nil && !m.LastSeenAt.Equal(*want.LastSeenAt)) {
				t.Errorf("lastSeenAt = %v, want %v", m.LastSeenAt, want.LastSeenAt)
			}

			var groups []struct {
				ID      string `db:"id"`
				Name    string `db:"name"`
				IsAdmin bool   `db:"is_admin"`
			}
			sqlRows(t, &groups, `
				SELECT g.id, g.name, g.is_admin FROM membership_groups mg JOIN groups g ON g.id = mg.group_id
				WHERE mg.membership_id = $1 ORDER BY g.name, g.id`, id)
			if len(m.Groups.Edges) != len(groups) || m.Groups.TotalCount != len(groups) {
				t.Fatalf("groups: %d edges, totalCount %d, SQL has %d", len(m.Groups.Edges), m.Groups.TotalCount, len(groups))
			}
			for i, g := range groups {
				e := m.Groups.Edges[i].Node
				if e.ID != gid(model.TypeGroup, g.ID) || e.Name != g.Name || e.IsAdmin != g.IsAdmin || e.Tenant.ID != m.Tenant.ID {
					t.Errorf("groups[%d] = %+v, want %s %q admin=%v in the membership's tenant", i, e, gid(model.TypeGroup, g.ID), g.Name, g.IsAdmin)
				}
			}

			// Brand access of the membership: the user's grants in the
			// membership's tenant only.
			var grants []struct {
				ID      string `db:"id"`
				BrandID string `db:"brand_id"`
				Role    string `db:"role"`
			}
			sqlRows(t, &grants, `
				SELECT id, brand_id, role FROM brand_access WHERE user_id = $1 AND tenant_id = $2
				ORDER BY created_at DESC, id DESC`, want.UserID, want.TenantID)
			if len(m.BrandAccess.Edges) != len(grants) || m.BrandAccess.TotalCount != len(grants) {
				t.Fatalf("brandAccess: %d edges, totalCount %d, SQL has %d", len(m.BrandAccess.Edges), m.BrandAccess.TotalCount, len(grants))
			}
			for i, g := range grants {
				e := m.BrandAccess.Edges[i].Node
				if e.ID != gid(model.TypeBrandAccess, g.ID) || e.Role != g.Role || e.Brand.ID != gid(model.TypeBrand, g.BrandID) ||
					e.Brand.Tenant.ID != m.Tenant.ID || e.User.ID != m.User.ID {
					t.Errorf("brandAccess[%d] = %+v, want %s on brand %s role %s", i, e, gid(model.TypeBrandAccess, g.ID), gid(model.TypeBrand, g.BrandID), g.Role)
				}
			}
		})
	}
}

func TestArtistEdges(t *testing.T) {
	picks := []struct {
		name string
		sql  string
	}{
		{"with brand, user and the most releases", `
			SELECT a.id FROM artists a WHERE a.brand_id IS NOT NULL AND a.user_id IS NOT NULL
			ORDER BY (SELECT count(*) FROM release_artists ra WHERE ra.artist_id = a.id) DESC, a.id LIMIT 1`},
		{"without brand or user", `SELECT id FROM artists WHERE brand_id IS NULL AND user_id IS NULL ORDER BY id LIMIT 1`},
	}
	for _, p := range picks {
		t.Run(p.name, func(t *testing.T) {
			var want struct {
				ID       string  `db:"id"`
				Name     string  `db:"name"`
				TenantID string  `db:"tenant_id"`
				BrandID  *string `db:"brand_id"`
				UserID   *string `db:"user_id"`
				Country  *string `db:"country"`
			}
			sqlValue(t, &want, `SELECT id, name, tenant_id, brand_id, user_id, country FROM artists WHERE id = (`+p.sql+`)`)
			var data struct {
				Node struct {
					ID, Name    string
					Country     *string
					Tenant      idRef
					Brand, User *idRef
					Releases    conn
				}
			}
			query(t, `query($id: ID!) { node(id: $id) { ... on Artist { id name country tenant { id } brand { id } user { id }
				releases(first: 500) `+connSelection+` } } }`, map[string]any{"id": gid(model.TypeArtist, want.ID)}, &data)
			a := data.Node
			if a.ID != gid(model.TypeArtist, want.ID) || a.Name != want.Name || str(a.Country) != str(want.Country) || a.Tenant.ID != gid(model.TypeTenant, want.TenantID) {
				t.Errorf("artist = %+v, want %+v", a, want)
			}
			wantRef(t, "brand", a.Brand, model.TypeBrand, want.BrandID)
			wantRef(t, "user", a.User, model.TypeUser, want.UserID)
			releases := sqlIDs(t, model.TypeRelease, `
				SELECT r.id FROM release_artists ra JOIN releases r ON r.id = ra.release_id
				WHERE ra.artist_id = $1 ORDER BY r.created_at DESC, r.id DESC`, want.ID)
			wantIDs(t, "releases", a.Releases.ids(), releases)
			if a.Releases.TotalCount == nil || *a.Releases.TotalCount != len(releases) {
				t.Errorf("releases.totalCount = %v, want %d", a.Releases.TotalCount, len(releases))
			}
		})
	}
}

func TestReleaseEdges(t *testing.T) {
	picks := []struct {
		name string
		sql  string
	}{
		{"with the most primary artists, a label and a brand", `
			SELECT r.id FROM releases r WHERE r.label_id IS NOT NULL AND r.brand_id IS NOT NULL
			ORDER BY (SELECT count(*) FROM release_artists ra WHERE ra.release_id = r.id) DESC,
			         (SELECT count(*) FROM tracks tr WHERE tr.release_id = r.id) DESC, r.id LIMIT 1`},
		{"without label or brand", `SELECT id FROM releases WHERE label_id IS NULL AND brand_id IS NULL ORDER BY id LIMIT 1`},
	}
	for _, p := range picks {
		t.Run(p.name, func(t *testing.T) {
			var want struct {
				ID          string  `db:"id"`
				Title       string  `db:"title"`
				Type        string  `db:"type"`
				Status      string  `db:"status"`
				UPC         *string `db:"upc"`
				ReleaseDate *string `db:"release_date"`
				TenantID    string  `db:"tenant_id"`
				LabelID     *string `db:"label_id"`
				BrandID     *string `db:"brand_id"`
			}
			sqlValue(t, &want, `SELECT id, title, type, status, upc, to_char(release_date, 'YYYY-MM-DD') AS release_date,
				tenant_id, label_id, brand_id FROM releases WHERE id = (`+p.sql+`)`)
			var data struct {
				Node struct {
					ID, Title, Type, Status string
					UPC                     *string
					ReleaseDate             *string
					Tenant                  idRef
					Label, Brand            *idRef
					Artists                 struct {
						TotalCount int
						Edges      []struct {
							Position int
							Node     idRef
						}
					}
					Tracks struct {
						TotalCount int
						Edges      []struct {
							Node struct {
								ID       string
								Position int
								Release  idRef
							}
						}
					}
				}
			}
			query(t, `query($id: ID!) { node(id: $id) { ... on Release { id title type status upc releaseDate tenant { id }
				label { id } brand { id }
				artists(first: 500) { totalCount edges { position node { id } } }
				tracks(first: 500) { totalCount edges { node { id position release { id } } } } } } }`,
				map[string]any{"id": gid(model.TypeRelease, want.ID)}, &data)
			r := data.Node
			if r.ID != gid(model.TypeRelease, want.ID) || r.Title != want.Title || r.Type != want.Type || r.Status != want.Status ||
				str(r.UPC) != str(want.UPC) || str(r.ReleaseDate) != str(want.ReleaseDate) || r.Tenant.ID != gid(model.TypeTenant, want.TenantID) {
				t.Errorf("release = %+v\nwant %+v", r, want)
			}
			wantRef(t, "label", r.Label, model.TypeLabel, want.LabelID)
			wantRef(t, "brand", r.Brand, model.TypeBrand, want.BrandID)

			var credits []struct {
				ArtistID string `db:"artist_id"`
				Position int    `db:"position"`
			}
			sqlRows(t, &credits, `SELECT artist_id, position FROM release_artists WHERE release_id = $1 ORDER BY position`, want.ID)
			if len(r.Artists.Edges) != len(credits) || r.Artists.TotalCount != len(credits) {
				t.Fatalf("artists: %d edges, totalCount %d, SQL has %d credits", len(r.Artists.Edges), r.Artists.TotalCount, len(credits))
			}
			for i, c := range credits {
				e := r.Artists.Edges[i]
				if e.Position != i+1 || c.Position != i+1 || e.Node.ID != gid(model.TypeArtist, c.ArtistID) {
					t.Errorf("artists[%d] = position %d %s, want position %d %s (credits number 1..n in order)",
						i, e.Position, e.Node.ID, i+1, gid(model.TypeArtist, c.ArtistID))
				}
			}
			var tracks []struct {
				ID       string `db:"id"`
				Position int    `db:"position"`
			}
			sqlRows(t, &tracks, `SELECT id, position FROM tracks WHERE release_id = $1 ORDER BY position, id`, want.ID)
			if len(r.Tracks.Edges) != len(tracks) || r.Tracks.TotalCount != len(tracks) {
				t.Fatalf("tracks: %d edges, totalCount %d, SQL has %d", len(r.Tracks.Edges), r.Tracks.TotalCount, len(tracks))
			}
			for i, tr := range tracks {
				e := r.Tracks.Edges[i].Node
				if e.ID != gid(model.TypeTrack, tr.ID) || e.Position != tr.Position || e.Release.ID != r.ID {
					t.Errorf("tracks[%d] = %+v, want %s at position %d on this release", i, e, gid(model.TypeTrack, tr.ID), tr.Position)
				}
			}
		})
	}
}

func TestTrackEdges(t *testing.T) {
	var want struct {
		ID              string  `db:"id"`
		ReleaseID       string  `db:"release_id"`
		Position        int     `db:"position"`
		Title           string  `db:"title"`
		ISRC            *string `db:"isrc"`
		DurationSeconds *int    `db:"duration_seconds"`
		Explicit        bool    `db:"explicit"`
	}
	// A track with a featured artist after its primary ones.
	sqlValue(t, &want, `
		SELECT id, release_id, position, title, isrc, duration_seconds, explicit FROM tracks
		WHERE id = (SELECT track_id FROM track_artists WHERE role = 'FEATURED' ORDER BY position DESC, track_id LIMIT 1)`)
	var data struct {
		Node struct {
			ID, Title       string
			Position        int
			ISRC            *string
			DurationSeconds *int
			Explicit        bool
			Release         struct {
				ID     string
				Tracks conn
			}
			Artists struct {
				TotalCount int
				Edges      []struct {
					Role     string
					Position int
					Node     idRef
				}
			}
		}
	}
	query(t, `query($id: ID!) { node(id: $id) { ... on Track { id position title isrc durationSeconds explicit
		release { id tracks(first: 500) `+connSelection+` }
		artists(first: 500) { totalCount edges { role position node { id } } } } } }`,
		map[string]any{"id": gid(model.TypeTrack, want.ID)}, &data)
	tr := data.Node
	if tr.ID != gid(model.TypeTrack, want.ID) || tr.Position != want.Position || tr.Title != want.Title ||
		str(tr.ISRC) != str(want.ISRC) || intStr(tr.DurationSeconds) != intStr(want.DurationSeconds) ||
		tr.Explicit != want.Explicit {
		t.Errorf("track = %+v\nwant %+v", tr, want)
	}
	if tr.Release.ID != gid(model.TypeRelease, want.ReleaseID) {
		t.Errorf("release = %s, want %s", tr.Release.ID, gid(model.TypeRelease, want.ReleaseID))
	}
	if !containsID(tr.Release.Tracks.ids(), tr.ID) {
		t.Errorf("track.release.tracks does not lead back to the track")
	}
	var credits []struct {
		ArtistID string `db:"artist_id"`
		Role     string `db:"role"`
		Position int    `db:"position"`
	}
	sqlRows(t, &credits, `SELECT artist_id, role, position FROM track_artists WHERE track_id = $1 ORDER BY position, id`, want.ID)
	if len(tr.Artists.Edges) != len(credits) || tr.Artists.TotalCount != len(credits) {
		t.Fatalf("artists: %d edges, totalCount %d, SQL has %d credits", len(tr.Artists.Edges), tr.Artists.TotalCount, len(credits))
	}
	var featured bool
	for i, c := range credits {
		e := tr.Artists.Edges[i]
		if e.Node.ID != gid(model.TypeArtist, c.ArtistID) || e.Role != c.Role || e.Position != c.Position {
			t.Errorf("artists[%d] = %s %s %d, want %s %s %d", i, e.Node.ID, e.Role, e.Position, gid(model.TypeArtist, c.ArtistID), c.Role, c.Position)
		}
		featured = featured || c.Role == "FEATURED"
	}
	if !featured {
		t.Error("the picked track should credit a featured artist")
	}
}

// ---------------------------------------------------------------------------
// Global object identification

// nodeFields selects, for every node type, a field that identifies the row
// in SQL; fields of other types (enums, the nullable email) need their own
// alias, as GraphQL merges same-named fields only when their types agree.
const nodeFields = `__typename id
	... on Tenant { v: slug createdAt } ... on Brand { v: name createdAt } ... on Group { v: name createdAt }
	... on User { em: email createdAt } ... on Membership { mr: role createdAt } ... on BrandAccess { br: role createdAt }
	... on Artist { v: name createdAt } ... on Label { v: name createdAt } ... on Release { v: title createdAt }
	... on Track { v: title createdAt }`

type nodeResult struct {
	Typename  string `json:"__typename"`
	ID        string
	CreatedAt time.Time
	V, MR, BR string
	EM        *string
}

func (n nodeResult) value() string {
	if n.EM != nil {
		return *n.EM
	}
	return n.V + n.MR + n.BR
}

// nodeRows picks one row of every node type with its identifying value.
var nodeRows = []struct {
	typ model.NodeType
	sql string // returns id, value, created_at
}{
	{model.TypeTenant, `SELECT id, slug AS value, created_at FROM tenants ORDER BY id DESC LIMIT 1`},
	{model.TypeBrand, `SELECT id, name AS value, created_at FROM brands ORDER BY id DESC LIMIT 1`},
	{model.TypeGroup, `SELECT id, name AS value, created_at FROM groups ORDER BY id DESC LIMIT 1`},
	{model.TypeUser, `SELECT id, email AS value, created_at FROM users ORDER BY id DESC LIMIT 1`},
	{model.TypeMembership, `SELECT id, role AS value, created_at FROM memberships ORDER BY id DESC LIMIT 1`},
	{model.TypeBrandAccess, `SELECT id, role AS value, created_at FROM brand_access ORDER BY id DESC LIMIT 1`},
	{model.TypeArtist, `SELECT id, name AS value, created_at FROM artists ORDER BY id DESC LIMIT 1`},
	{model.TypeLabel, `SELECT id, name AS value, created_at FROM labels ORDER BY id DESC LIMIT 1`},
	{model.TypeRelease, `SELECT id, title AS value, created_at FROM releases ORDER BY id DESC LIMIT 1`},
	{model.TypeTrack, `SELECT id, title AS value, created_at FROM tracks ORDER BY id DESC LIMIT 1`},
}

type nodeRow struct {
	ID        string    `db:"id"`
	Value     string    `db:"value"`
	CreatedAt time.Time `db:"created_at"`
}

func TestNodeRefetchesEveryType(t *testing.T) {
	for _, nr := range nodeRows {
		t.Run(string(nr.typ), func(t *testing.T) {
			var row nodeRow
			sqlValue(t, &row, nr.sql)
			var data struct{ Node *nodeResult }
			query(t, `query($id: ID!) { node(id: $id) { `+nodeFields+` } }`, map[string]any{"id": gid(nr.typ, row.ID)}, &data)
			n := data.Node
			if n == nil {
				t.Fatalf("node(%s) is null", gid(nr.typ, row.ID))
			}
			if n.Typename != string(nr.typ) || n.ID != gid(nr.typ, row.ID) || n.value() != row.Value || !n.CreatedAt.Equal(row.CreatedAt) {
				t.Errorf("node = %s %s %q %s, want %s %s %q %s", n.Typename, n.ID, n.value(), n.CreatedAt,
					nr.typ, gid(nr.typ, row.ID), row.Value, row.CreatedAt)
			}
		})
	}
}

func TestNodesKeepOrderWithNullForMissingRows(t *testing.T) {
	rows := map[model.NodeType]nodeRow{}
	for _, nr := range nodeRows {
		var row nodeRow
		sqlValue(t, &row, nr.sql)
		rows[nr.typ] = row
	}
	const missing = "00000000-0000-4000-8000-000000000000"
	var n int
	sqlValue(t, &n, `SELECT count(*) FROM tenants WHERE id = $1`, missing)
	if n != 0 {
		t.Fatalf("%s should not exist", missing)
	}
	type ask struct {
		typ     model.NodeType
		missing bool
	}
	asks := []ask{
		{model.TypeTrack, false}, {model.TypeTenant, false}, {model.TypeTenant, true}, {model.TypeUser, false},
		{model.TypeArtist, true}, {model.TypeRelease, false}, {model.TypeTenant, false}, {model.TypeMembership, false},
	}
	ids := make([]string, len(asks))
	types := map[model.NodeType]bool{}
	for i, a := range asks {
		types[a.typ] = true
		if a.missing {
			ids[i] = gid(a.typ, missing)
		} else {
			ids[i] = gid(a.typ, rows[a.typ].ID)
		}
	}
	var data struct{ Nodes []*nodeResult }
	r := query(t, `query($ids: [ID!]!) { nodes(ids: $ids) { `+nodeFields+` } }`, map[string]any{"ids": ids}, &data)
	if len(data.Nodes) != len(ids) {
		t.Fatalf("nodes returned %d entries for %d IDs", len(data.Nodes), len(ids))
	}
	for i, a := range asks {
		got := data.Nodes[i]
		switch {
		case a.missing && got != nil:
			t.Errorf("nodes[%d] (%s of a missing row) = %+v, want null", i, ids[i], got)
		case !a.missing && got == nil:
			t.Errorf("nodes[%d] = null, want %s", i, decodeForHumans(ids[i]))
		case !a.missing && (got.ID != ids[i] || got.Typename != string(a.typ) || got.value() != rows[a.typ].Value):
			t.Errorf("nodes[%d] = %s %s %q, want %s %s %q", i, got.Typename, got.ID, got.value(), a.typ, ids[i], rows[a.typ].Value)
		}
	}
	// Every lookup starts before any is awaited: one statement per type.
	if got := r.statements(t); got != len(types) {
		t.Errorf("nodes of %d types cost %d SQL statements, want %d (one per type)", len(types), got, len(types))
	}
}

func TestUnknownTenantSlugIsNull(t *testing.T) {
	var data struct{ Tenant *idRef }
	query(t, `{ tenant(slug: "nope") { id } }`, nil, &data)
	if data.Tenant != nil {
		t.Errorf("tenant(slug: \"nope\") = %+v, want null", data.Tenant)
	}
}

func TestInvalidIDsAreBadUserInput(t *testing.T) {
	var user string
	sqlValue(t, &user, `SELECT id FROM users ORDER BY id LIMIT 1`)
	good := gid(model.TypeUser, user)
	cases := []struct {
		name     string
		query    string
		vars     map[string]any
		mentions string
	}{
		{"node with a bare number", `{ node(id: "123") { id } }`, nil, "123"},
		{"node with a bare UUID", `query($id: ID!) { node(id: $id) { id } }`, map[string]any{"id": user}, ""},
		{"node with a bad UUID", `query($id: ID!) { node(id: $id) { id } }`, map[string]any{"id": b64("User:123")}, "Invalid UUID string: 123"},
		{"node with an unknown type", `query($id: ID!) { node(id: $id) { id } }`, map[string]any{"id": b64("Planet:" + user)}, ""},
		{"node with an empty ID", `{ node(id: "") { id } }`, nil, ""},
		{"nodes with one malformed ID", `query($ids: [ID!]!) { nodes(ids: $ids) { id } }`, map[string]any{"ids": []string{good, "123"}}, "123"},
		{"nodes with one bad UUID", `query($ids: [ID!]!) { nodes(ids: $ids) { id } }`, map[string]any{"ids": []string{good, b64("User:123"), good}}, "Invalid UUID string: 123"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := gql(t, c.query, c.vars)
			e := wantErrorCode(t, r, api.CodeBadUserInput)
			if !strings.Contains(e.Message, c.mentions) {
				t.Errorf("message %q should contain %q", e.Message, c.mentions)
			}
		})
	}
}

// ---------------------------------------------------------------------------
// totalCount

func TestTotalCountMatchesSQL(t *testing.T) {
	var tenantCount int
	sqlValue(t, &tenantCount, `SELECT count(*) FROM tenants`)
	var top struct{ Tenants struct{ TotalCount int } }
	query(t, `{ tenants(first: 1) { totalCount } }`, nil, &top)
	if top.Tenants.TotalCount != tenantCount {
		t.Errorf("tenants.totalCount = %d, want %d", top.Tenants.TotalCount, tenantCount)
	}

	var slugs []string
	sqlRows(t, &slugs, `SELECT slug FROM tenants ORDER BY slug`)
	for _, slug := range slugs {
		t.Run(slug, func(t *testing.T) {
			id := tenantID(t, slug)
			var data struct {
				Tenant struct {
					Members, Brands, Labels, Groups, Subsidiaries struct{ TotalCount int }
					Artists                                       struct {
						TotalCount int
						Edges      []struct {
							Node struct {
								ID       string
								Releases struct{ TotalCount int }
							}
						}
					}
					Releases struct {
						TotalCount int
						Edges      []struct {
							Node struct {
								ID      string
								Tracks  struct{ TotalCount int }
								Artists struct{ TotalCount int }
							}
						}
					}
				}
			}
			query(t, `query($slug: String!) { tenant(slug: $slug) {
				members(first: 1 `+own+`) { totalCount }
				brands(first: 1 `+own+`) { totalCount }
				labels(first: 1 `+own+`) { totalCount }
				groups(first: 1) { totalCount }
				subsidiaries(first: 1) { totalCount }
				artists(first: 500 `+own+`) { totalCount edges { node { id releases(first: 1) { totalCount } } } }
				releases(first: 500 `+own+`) { totalCount edges { node { id tracks(first: 1) { totalCount } artists(first: 1) { totalCount } } } }
			} }`, map[string]any{"slug": slug}, &data)
			tn := data.Tenant
			for _, c := range []struct {
				name string
				got  int
				sql  string
			}{
				{"members", tn.Members.TotalCount, `SELECT count(*) FROM memberships WHERE tenant_id = $1 AND user_id NOT IN (SELECT id FROM users WHERE is_deleted)`},
				{"brands", tn.Brands.TotalCount, `SELECT count(*) FROM brands WHERE tenant_id = $1`},
				{"labels", tn.Labels.TotalCount, `SELECT count(*) FROM labels WHERE tenant_id = $1`},
				{"groups", tn.Groups.TotalCount, `SELECT count(*) FROM groups WHERE tenant_id = $1`},
				{"subsidiaries", tn.Subsidiaries.TotalCount, `SELECT count(*) FROM tenants WHERE parent_id = $1`},
				{"artists", tn.Artists.TotalCount, `SELECT count(*) FROM artists WHERE tenant_id = $1`},
				{"releases", tn.Releases.TotalCount, `SELECT count(*) FROM releases WHERE tenant_id = $1`},
			} {
				var want int
				sqlValue(t, &want, c.sql, id)
				if c.got != want {
					t.Errorf("%s.%s.totalCount = %d, want %d", slug, c.name, c.got, want)
				}
			}
			for _, e := range tn.Artists.Edges {
				_, aid, _ := model.DecodeID(e.Node.ID)
				var want int
				sqlValue(t, &want, `SELECT count(*) FROM release_artists WHERE artist_id = $1`, aid)
				if e.Node.Releases.TotalCount != want {
					t.Errorf("artist %s releases.totalCount = %d, want %d", aid, e.Node.Releases.TotalCount, want)
				}
			}
			for _, e := range tn.Releases.Edges {
				_, rid, _ := model.DecodeID(e.Node.ID)
				var tracks, artists int
				sqlValue(t, &tracks, `SELECT count(*) FROM tracks WHERE release_id = $1`, rid)
				sqlValue(t, &artists, `SELECT count(*) FROM release_artists WHERE release_id = $1`, rid)
				if e.Node.Tracks.TotalCount != tracks || e.Node.Artists.TotalCount != artists {
					t.Errorf("release %s: tracks.totalCount %d artists.totalCount %d, want %d and %d",
						rid, e.Node.Tracks.TotalCount, e.Node.Artists.TotalCount, tracks, artists)
				}
			}
		})
	}
}

func TestTotalCountCostsOneStatementOnlyWhenSelected(t *testing.T) {
	cases := []struct {
		name             string
		without, withTot string
	}{
		{"top-level tenants",
			`{ tenants(first: 2) { edges { node { id } } } }`,
			`{ tenants(first: 2) { totalCount edges { node { id } } } }`},
		{"Tenant.members",
			`{ tenant(slug: "acme-music") { members(first: 5 ` + own + `) { edges { node { id } } } } }`,
			`{ tenant(slug: "acme-music") { members(first: 5 ` + own + `) { totalCount edges { node { id } } } } }`},
		{"Artist.releases under 20 artists (one count for all of them)",
			`{ tenant(slug: "acme-music") { artists(first: 20 ` + own + `) { edges { node { releases(first: 2) { edges { node { id } } } } } } } }`,
			`{ tenant(slug: "acme-music") { artists(first: 20 ` + own + `) { edges { node { releases(first: 2) { totalCount edges { node { id } } } } } } } }`},
		{"Tenant.subsidiaries under every tenant",
			`{ tenants(first: 50) { edges { node { subsidiaries(first: 1) { edges { node { id } } } } } } }`,
			`{ tenants(first: 50) { edges { node { subsidiaries(first: 1) { totalCount edges { node { id } } } } } } }`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			without := query(t, c.without, nil, nil).statements(t)
			with := query(t, c.withTot, nil, nil).statements(t)
			if with != without+1 {
				t.Errorf("%d SQL statements without totalCount, %d with it: want exactly one more", without, with)
			}
		})
	}
}

// ---------------------------------------------------------------------------
// SQL statements per request

// richestTenant is the tenant with the most artists that have releases with
// tracks, so that every level of a nested query has rows.
func richestTenant(t testing.TB) (slug, id string) {
	t.Helper()
	sqlValue(t, &slug, `
		SELECT t.slug FROM tenants t
		JOIN artists a ON a.tenant_id = t.id
		JOIN release_artists ra ON ra.artist_id = a.id
		JOIN tracks tr ON tr.release_id = ra.release_id
		GROUP BY t.id, t.slug ORDER BY count(DISTINCT a.id) DESC, t.slug LIMIT 1`)
	return slug, tenantID(t, slug)
}

// TestNestedPagesCostOneStatementPerLevel is the headline requirement: the
// statements of a request grow with the depth of the query, never with the
// number of rows on its pages.
func TestNestedPagesCostOneStatementPerLevel(t *testing.T) {
	slug, tid := richestTenant(t)
	type track struct{ ID, Title string }
	type release struct {
		ID     string
		Tracks struct {
			TotalCount *int
			Edges      []struct{ Node track }
		}
	}
	type artist struct {
		ID       string
		Releases struct {
			TotalCount *int
			Edges      []struct{ Node release }
		}
	}
	var artistIDs []string
	sqlRows(t, &artistIDs, `SELECT id FROM artists WHERE tenant_id = $1 ORDER BY created_at DESC, id DESC`, tid)

	cases := []struct {
		name                   string
		artists                int
		countA, countR, countT bool
		wantStatements         int
	}{
		{"20 artists, 10 releases, 10 tracks", 20, false, false, false, 4},
		{"2 artists, 10 releases, 10 tracks", 2, false, false, false, 4},
		{"50 artists, 10 releases, 10 tracks", 50, false, false, false, 4},
		{"with artists totalCount", 20, true, false, false, 5},
		{"with artists and releases totalCount", 20, true, true, false, 6},
		{"with totalCount at every level", 20, true, true, true, 7},
		{"2 artists with totalCount at every level", 2, true, true, true, 7},
	}
	tc := func(on bool) string {
		if on {
			return "totalCount"
		}
		return ""
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			q := fmt.Sprintf(`query($slug: String!, $n: Int!) { tenant(slug: $slug) {
				artists(first: $n %s) { %s edges { node { id
					releases(first: 10) { %s edges { node { id
						tracks(first: 10) { %s edges { node { id title } } } } } } } } } } }`,
				own, tc(c.countA), tc(c.countR), tc(c.countT))
			var data struct {
				Tenant struct {
					Artists struct {
						TotalCount *int
						Edges      []struct{ Node artist }
					}
				}
			}
			r := query(t, q, map[string]any{"slug": slug, "n": c.artists}, &data)

			// The data, level by level, against SQL.
			got := data.Tenant.Artists
			want := artistIDs[:min(c.artists, len(artistIDs))]
			if len(got.Edges) != len(want) {
				t.Fatalf("%d artists, want %d", len(got.Edges), len(want))
			}
			if c.countA && (got.TotalCount == nil || *got.TotalCount != len(artistIDs)) {
				t.Errorf("artists.totalCount = %v, want %d", got.TotalCount, len(artistIDs))
			}
			tracksSeen := 0
			for i, ae := range got.Edges {
				a := ae.Node
				if a.ID != gid(model.TypeArtist, want[i]) {
					t.Errorf("artists[%d] = %s, want %s", i, decodeForHumans(a.ID), gid(model.TypeArtist, want[i]))
					continue
				}
				var releases []struct {
					ID string `db:"id"`
				}
				sqlRows(t, &releases, `
					SELECT r.id FROM release_artists ra JOIN releases r ON r.id = ra.release_id
					WHERE ra.artist_id = $1 ORDER BY r.created_at DESC, r.id DESC`, want[i])
				if len(a.Releases.Edges) != min(10, len(releases)) {
					t.Errorf("artist %s: %d releases, want %d", want[i], len(a.Releases.Edges), min(10, len(releases)))
					continue
				}
				if c.countR && (a.Releases.TotalCount == nil || *a.Releases.TotalCount != len(releases)) {
					t.Errorf("artist %s releases.totalCount = %v, want %d", want[i], a.Releases.TotalCount, len(releases))
				}
				for j, re := range a.Releases.Edges {
					rel := re.Node
					rid := releases[j].ID
					if rel.ID != gid(model.TypeRelease, rid) {
						t.Errorf("artist %s releases[%d] = %s, want %s", want[i], j, decodeForHumans(rel.ID), gid(model.TypeRelease, rid))
						continue
					}
					var tracks []struct {
						ID    string `db:"id"`
						Title string `db:"title"`
					}
					sqlRows(t, &tracks, `SELECT id, title FROM tracks WHERE release_id = $1 ORDER BY position, id`, rid)
					if len(rel.Tracks.Edges) != min(10, len(tracks)) {
						t.Errorf("release %s: %d tracks, want %d", rid, len(rel.Tracks.Edges), min(10, len(tracks)))
						continue
					}
					for k, te := range rel.Tracks.Edges {
						if te.Node.ID != gid(model.TypeTrack, tracks[k].ID) || te.Node.Title != tracks[k].Title {
							t.Errorf("release %s tracks[%d] = %s %q, want %s %q", rid, k, te.Node.ID, te.Node.Title,
								gid(model.TypeTrack, tracks[k].ID), tracks[k].Title)
						}
					}
					if c.countT && (rel.Tracks.TotalCount == nil || *rel.Tracks.TotalCount != len(tracks)) {
						t.Errorf("release %s tracks.totalCount = %v, want %d", rid, rel.Tracks.TotalCount, len(tracks))
					}
					tracksSeen += len(rel.Tracks.Edges)
				}
			}
			if tracksSeen == 0 {
				t.Fatalf("tenant %s returned no tracks: the query does not exercise every level", slug)
			}
			if got := r.statements(t); got != c.wantStatements {
				t.Errorf("%d SQL statements for %d artists and %d tracks, want %d (one per level, whatever the page sizes)",
					got, len(data.Tenant.Artists.Edges), tracksSeen, c.wantStatements)
			}
			if logged := serverLog.accessLogStatements(t, r.RequestID); logged != int64(r.statements(t)) {
				t.Errorf("the access log counts %d statements, extensions.sql %d", logged, r.statements(t))
			}
		})
	}
}

// TestToOneEdgesUnderListsCostOneStatementPerLevel: a to-one edge under a
// list is batched across the page's rows, adding one statement per level.
func TestToOneEdgesUnderListsCostOneStatementPerLevel(t *testing.T) {
	slug, _ := richestTenant(t)
	cases := []struct {
		name string
		q    string
		want int
	}{
		{"tenants → artists", `{ tenants(first: 50) { edges { node { id artists(first: 20 ` + own + `) { edges { node { id } } } } } } }`, 2},
		{"tenants → artists → tenant", `{ tenants(first: 50) { edges { node { id artists(first: 20 ` + own + `) { edges { node { id tenant { id } } } } } } } }`, 3},
		{"tenants → artists → tenant, brand", `{ tenants(first: 50) { edges { node { id artists(first: 20 ` + own + `) { edges { node { id tenant { id } brand { id } } } } } } } }`, 4},
		{"tenant → releases → tracks", `query($slug: String!) { tenant(slug: $slug) { releases(first: 20 ` + own + `) { edges { node { id tracks(first: 10) { edges { node { id } } } } } } } }`, 3},
		{"tenant → releases → tracks → release", `query($slug: String!) { tenant(slug: $slug) { releases(first: 20 ` + own + `) { edges { node { id tracks(first: 10) { edges { node { id release { id } } } } } } } } }`, 4},
		{"tenant → releases → tracks → release → label", `query($slug: String!) { tenant(slug: $slug) { releases(first: 20 ` + own + `) { edges { node { id tracks(first: 10) { edges { node { id release { id label { id } } } } } } } } } }`, 5},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			vars := map[string]any{}
			if strings.Contains(c.q, "$slug") {
				vars["slug"] = slug
			}
			var data toOneData
			r := query(t, c.q, vars, &data)
			if got := r.statements(t); got != c.want {
				t.Errorf("%d SQL statements, want %d (one per level)", got, c.want)
			}
			checkToOneEdges(t, data, strings.Contains(c.q, "brand"), strings.Contains(c.q, "label"))
		})
	}
}

// toOneData decodes both shapes of the to-one queries; a field that was not
// selected stays empty.
type toOneData struct {
	Tenants struct {
		Edges []struct {
			Node struct {
				ID      string
				Artists struct {
					Edges []struct {
						Node struct {
							ID     string
							Tenant *idRef
							Brand  *idRef
						}
					}
				}
			}
		}
	}
	Tenant struct {
		Releases struct {
			Edges []struct {
				Node struct {
					ID     string
					Tracks struct {
						Edges []struct {
							Node struct {
								ID      string
								Release *struct {
									ID    string
									Label *idRef
								}
							}
						}
					}
				}
			}
		}
	}
}

// checkToOneEdges verifies that an artist's tenant is the tenant it was
// listed under, that a track's release is the release it was listed under,
// and (when selected) that brands and labels are the ones in SQL.
func checkToOneEdges(t *testing.T, d toOneData, brands, labels bool) {
	t.Helper()
	rows := 0
	for _, tn := range d.Tenants.Edges {
		for _, a := range tn.Node.Artists.Edges {
			rows++
			_, aid, _ := model.DecodeID(a.Node.ID)
			if a.Node.Tenant != nil && a.Node.Tenant.ID != tn.Node.ID {
				t.Errorf("artist %s listed under %s has tenant %s", aid, tn.Node.ID, a.Node.Tenant.ID)
			}
			if brands {
				var brand *string
				sqlValue(t, &brand, `SELECT brand_id FROM artists WHERE id = $1`, aid)
				wantRef(t, "brand of artist "+aid, a.Node.Brand, model.TypeBrand, brand)
			}
		}
	}
	for _, re := range d.Tenant.Releases.Edges {
		_, rid, _ := model.DecodeID(re.Node.ID)
		var label *string
		sqlValue(t, &label, `SELECT label_id FROM releases WHERE id = $1`, rid)
		for _, tr := range re.Node.Tracks.Edges {
			rows++
			rel := tr.Node.Release
			if rel == nil {
				continue
			}
			if rel.ID != re.Node.ID {
				t.Errorf("track %s listed under %s has release %s", tr.Node.ID, re.Node.ID, rel.ID)
			}
			if labels {
				wantRef(t, "label of release "+rid, rel.Label, model.TypeLabel, label)
			}
		}
	}
	if rows < 10 {
		t.Fatalf("only %d rows under the list: the query does not show batching", rows)
	}
}

// ---------------------------------------------------------------------------
// Loaders under concurrency

// TestLoadersArePerRequestUnderConcurrency sends 20 requests at once from
// different principals (a member of each tenant, scoped to the tenant and
// its subsidiaries, and the platform administrator), each with its own page
// sizes, and checks that every response holds exactly what its principal
// may see. dataloader v7 runs a batch with the context of the first caller
// that joined it, so loaders shared between requests would answer one
// principal's request within another's scope.
func TestLoadersArePerRequestUnderConcurrency(t *testing.T) {
	type principal struct {
		name    string
		token   string
		visible []string // tenant UUIDs in tenants() order
	}
	allTenants := func(q string, args ...any) []string {
		var ids []string
		sqlRows(t, &ids, q, args...)
		return ids
	}
	principals := []principal{{
		name: "platform administrator", token: bearer,
		visible: allTenants(`SELECT id FROM tenants ORDER BY created_at DESC, id DESC`),
	}}
	var slugs []string
	sqlRows(t, &slugs, `SELECT slug FROM tenants ORDER BY slug`)
	for _, slug := range slugs {
		// An active member whose account is valid: any of them may read.
		var user string
		sqlValue(t, &user, `
			SELECT m.user_id FROM memberships m JOIN users u ON u.id = m.user_id
			WHERE m.tenant_id = $1 AND m.status = 'ACTIVE' AND NOT u.is_deleted
			  AND (u.expires_at IS NULL OR u.expires_at > now())
			ORDER BY m.role = 'OWNER' DESC, m.created_at, m.id LIMIT 1`, tenantID(t, slug))
		principals = append(principals, principal{
			name: "member of " + slug, token: tokenFor(t, user, slug),
			visible: allTenants(`
				WITH RECURSIVE tree AS (
					SELECT id FROM tenants WHERE slug = $1
					UNION ALL SELECT c.id FROM tenants c JOIN tree ON c.parent_id = tree.id)
				SELECT id FROM tenants WHERE id IN (SELECT id FROM tree) ORDER BY created_at DESC, id DESC`, slug),
		})
	}
	// One artist of every tenant, asked by every request through nodes().
	var probes []struct {
		ID       string `db:"id"`
		TenantID string `db:"tenant_id"`
	}
	sqlRows(t, &probes, `SELECT DISTINCT ON (tenant_id) id, tenant_id FROM artists ORDER BY tenant_id, id`)
	probeIDs := make([]string, len(probes))
	for i, p := range probes {
		probeIDs[i] = gid(model.TypeArtist, p.ID)
	}

	const q = `query($ids: [ID!]!, $a: Int!, $m: Int!) {
		nodes(ids: $ids) { id }
		tenants(first: 50) { edges { node { id slug
			members(first: $m` + own + `) { edges { node { id } membership { tenant { id } } } }
			artists(first: $a` + own + `) { edges { node { id tenant { id }
				releases(first: 2) { edges { node { id tenant { id } } } } } } } } } } }`
	type result struct {
		Nodes   []*idRef
		Tenants struct {
			Edges []struct {
				Node struct {
					ID      string
					Members struct {
						Edges []struct {
							Node       idRef
							Membership struct{ Tenant idRef }
						}
					}
					Artists struct {
						Edges []struct {
							Node struct {
								ID       string
								Tenant   idRef
								Releases struct {
									Edges []struct {
										Node struct {
											ID     string
											Tenant idRef
										}
									}
								}
							}
						}
					}
				}
			}
		}
	}

	const n = 20
	type call struct {
		who  principal
		a, m int
		r    *response
		err  error
	}
	calls := make([]call, n)
	for i := range calls {
		calls[i] = call{who: principals[i%len(principals)], a: 1 + i%7, m: 1 + i}
	}
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range calls {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			c := &calls[i]
			c.r, c.err = postGraphQLAs(ctx, c.who.token, q, map[string]any{"ids": probeIDs, "a": c.a, "m": c.m})
		}()
	}
	close(start)
	wg.Wait()

	for i, c := range calls {
		what := fmt.Sprintf("request %d (%s, %d artists, %d members)", i, c.who.name, c.a, c.m)
		if c.err != nil {
			t.Errorf("%s: %v", what, c.err)
			continue
		}
		var got result
		mustData(t, c.r, &got)

		visible := map[string]bool{}
		for _, id := range c.who.visible {
			visible[gid(model.TypeTenant, id)] = true
		}
		// nodes(): another tenant's artist is null, as if it did not exist.
		if len(got.Nodes) != len(probes) {
			t.Fatalf("%s: nodes returned %d entries for %d IDs", what, len(got.Nodes), len(probes))
		}
		for k, p := range probes {
			seen := got.Nodes[k] != nil
			if want := visible[gid(model.TypeTenant, p.TenantID)]; seen != want {
				t.Errorf("%s: nodes sees artist %s of tenant %s: %v, want %v", what, p.ID, p.TenantID, seen, want)
			}
		}
		// tenants(): exactly the visible tenants, each with its own rows.
		var tenants []string
		for _, te := range got.Tenants.Edges {
			tenants = append(tenants, te.Node.ID)
		}
		wantTenants := make([]string, len(c.who.visible))
		for k, id := range c.who.visible {
			wantTenants[k] = gid(model.TypeTenant, id)
		}
		wantIDs(t, what+" tenants", tenants, wantTenants)
		for _, te := range got.Tenants.Edges {
			tn := te.Node
			_, tid, _ := model.DecodeID(tn.ID)
			var members, artists []string
			for _, e := range tn.Members.Edges {
				members = append(members, e.Node.ID)
				if e.Membership.Tenant.ID != tn.ID {
					t.Errorf("%s: tenant %s lists a membership of tenant %s", what, tn.ID, e.Membership.Tenant.ID)
				}
			}
			wantIDs(t, what+" members of "+tid, members, sqlIDs(t, model.TypeUser,
				`SELECT user_id FROM memberships WHERE tenant_id = $1 AND user_id NOT IN (SELECT id FROM users WHERE is_deleted) ORDER BY created_at DESC, id DESC LIMIT $2`, tid, c.m))
			for _, e := range tn.Artists.Edges {
				artists = append(artists, e.Node.ID)
				if e.Node.Tenant.ID != tn.ID {
					t.Errorf("%s: artist %s of tenant %s listed under %s", what, e.Node.ID, e.Node.Tenant.ID, tn.ID)
				}
				_, aid, _ := model.DecodeID(e.Node.ID)
				var releases []string
				for _, r := range e.Node.Releases.Edges {
					releases = append(releases, r.Node.ID)
					if r.Node.Tenant.ID != tn.ID {
						t.Errorf("%s: release %s of tenant %s under an artist of %s", what, r.Node.ID, r.Node.Tenant.ID, tn.ID)
					}
				}
				wantIDs(t, what+" releases of artist "+aid, releases, sqlIDs(t, model.TypeRelease, `
					SELECT r.id FROM release_artists ra JOIN releases r ON r.id = ra.release_id
					WHERE ra.artist_id = $1 ORDER BY r.created_at DESC, r.id DESC LIMIT 2`, aid))
			}
			wantIDs(t, what+" artists of "+tid, artists, sqlIDs(t, model.TypeArtist,
				`SELECT id FROM artists WHERE tenant_id = $1 ORDER BY created_at DESC, id DESC LIMIT $2`, tid, c.a))
		}
	}
}
