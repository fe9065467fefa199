package api_test

import (
	"crypto/rand"
	"fmt"
	"reflect"
	"strings"
	"testing"

	"github.com/vektah/gqlparser/v2/ast"

	"catalogue/db/model"
	"catalogue/graph/generated"
)

// Reads select only the columns the operation shows (graph/columns.go).
// These tests check that what a field shows does not depend on what else
// the query selects: a field alone reads the columns it needs, and rows
// reached through several places of one query with different selections
// have everything every place shows.

// gqlSchema is the schema the server executes.
func gqlSchema() *ast.Schema {
	return generated.NewExecutableSchema(generated.Config{}).Schema()
}

// fieldSelection selects one field of an object type with a small
// sub-selection: an object's id, a connection's count and cursors, the
// leaves of any other object.
func fieldSelection(s *ast.Schema, f *ast.FieldDefinition) string {
	t := s.Types[f.Type.Name()]
	switch {
	case t.Kind != ast.Object && t.Kind != ast.Interface:
		return f.Name
	case t.Fields.ForName("edges") != nil:
		return f.Name + "(first: 3) { totalCount edges { cursor } }"
	case t.Fields.ForName("id") != nil:
		return f.Name + " { id }"
	}
	var leaves []string
	for _, sub := range t.Fields {
		leaves = append(leaves, sub.Name)
	}
	return f.Name + " { " + strings.Join(leaves, " ") + " }"
}

// allFields selects every field of an object type.
func allFields(s *ast.Schema, typ string) string {
	var sel []string
	for _, f := range s.Types[typ].Fields {
		if !strings.HasPrefix(f.Name, "__") {
			sel = append(sel, fieldSelection(s, f))
		}
	}
	return strings.Join(sel, " ")
}

// sameWhereShown compares what a narrow query shows with what the wide
// query shows at the same place; it returns the differences.
func sameWhereShown(path string, shown, wide any) []string {
	switch s := shown.(type) {
	case map[string]any:
		w, ok := wide.(map[string]any)
		if !ok {
			return []string{fmt.Sprintf("%s: %v, all fields selected: %v", path, truncate(fmt.Sprint(shown), 200), wide)}
		}
		var diffs []string
		for k, v := range s {
			diffs = append(diffs, sameWhereShown(path+"."+k, v, w[k])...)
		}
		return diffs
	case []any:
		w, ok := wide.([]any)
		if !ok || len(w) != len(s) {
			return []string{fmt.Sprintf("%s: %d items, all fields selected: %v", path, len(s), truncate(fmt.Sprint(wide), 200))}
		}
		var diffs []string
		for i := range s {
			diffs = append(diffs, sameWhereShown(fmt.Sprintf("%s[%d]", path, i), s[i], w[i])...)
		}
		return diffs
	}
	if !reflect.DeepEqual(shown, wide) {
		return []string{fmt.Sprintf("%s: %v, all fields selected: %v", path, shown, wide)}
	}
	return nil
}

// dataOf runs a query that must succeed and decodes its data.
func dataOf(t *testing.T, q string, vars map[string]any) any {
	t.Helper()
	var data any
	query(t, q, vars, &data)
	return data
}

// empty are the JSON values of empty columns.
const empty = `('null', 'false', '0', '""', '[]', '{}')`

// nodeTables are the tables of the Node types.
var nodeTables = map[string]string{
	"Tenant": "tenants", "Brand": "brands", "Group": "groups", "User": "users", "Membership": "memberships",
	"BrandAccess": "brand_access", "Artist": "artists", "Label": "labels", "Release": "releases",
	"Track": "tracks", "ApiKey": "api_keys", "AuditLogEntry": "audit_log",
}

// TestEachFieldAloneShowsWhatAllFieldsShow: for every Node type and every
// one of its fields, a query selecting only that field shows what a query
// selecting all fields shows, on rows chosen so that every column of the
// table is empty in some and set in others. A column missing from a
// field's entry in graph/columns.go shows up here as a zero value.
func TestEachFieldAloneShowsWhatAllFieldsShow(t *testing.T) {
	s := gqlSchema()
	for _, def := range s.GetPossibleTypes(s.Types["Node"]) {
		table := nodeTables[def.Name]
		if table == "" {
			t.Errorf("Node type %s: which table? add it to nodeTables", def.Name)
			continue
		}
		t.Run(def.Name, func(t *testing.T) {
			switch def.Name {
			case "ApiKey":
				apiKeysOfEveryState(t)
			case "AuditLogEntry":
				auditEntriesOfEveryState(t)
			}
			// For every column, a row where it is set (not null, false, 0
			// or empty) and one where it is not; and rows picked at random,
			// for the derived fields, which depend on several columns.
			ids := sqlIDs(t, model.NodeType(def.Name), `SELECT id FROM (
				SELECT DISTINCT ON (e.key, e.value IN `+empty+`) x.id FROM `+table+` x CROSS JOIN LATERAL jsonb_each(to_jsonb(x)) e
				ORDER BY e.key, e.value IN `+empty+`, x.id) c
				UNION (SELECT id FROM `+table+` ORDER BY md5(id::text) LIMIT 300) ORDER BY id LIMIT 500`)
			if len(ids) == 0 {
				t.Fatalf("no %s rows", table)
			}
			vars := map[string]any{"ids": ids}
			frame := `query($ids: [ID!]!) { nodes(ids: $ids) { ... on ` + def.Name + ` { %s } } }`
			wide := dataOf(t, fmt.Sprintf(frame, allFields(s, def.Name)), vars)
			for _, f := range def.Fields {
				if strings.HasPrefix(f.Name, "__") {
					continue
				}
				alone := dataOf(t, fmt.Sprintf(frame, fieldSelection(s, f)), vars)
				for _, d := range sameWhereShown(def.Name+"."+f.Name, alone, wide) {
					t.Error(d)
				}
			}
		})
	}
}

// apiKeysOfEveryState makes the seed's tenants hold a key that was used
// and one that was revoked: the seed has none.
func apiKeysOfEveryState(t *testing.T) {
	admin := credBearer(tokenFor(t, credMember(t, "acme-music", "ADMIN"), "acme-music"))
	used, revoked := credNewKey(t, admin, "USER"), credNewKey(t, admin, "USER")
	credOK(t, credPost(t, server.URL, credHeaders(used.Authorization), `{ viewer { role } }`, nil), nil)
	credOK(t, credPost(t, server.URL, admin, credRevokeKey, map[string]any{"id": revoked.ID}), nil)
}

// auditEntriesOfEveryState makes audit entries with and without an actor,
// an API key and an impersonated member: writes by a user, by an API key
// acting as nobody, and by an OWNER acting as an ADMIN.
func auditEntriesOfEveryState(t *testing.T) {
	apiKeysOfEveryState(t)
	owner := credMember(t, "acme-music", "OWNER")
	admin := credMember(t, "acme-music", "ADMIN")
	key := credNewKey(t, credBearer(tokenFor(t, admin, "acme-music")), "ADMIN")
	const create = `mutation($n: String!) { createLabel(input: {name: $n}) { label { id } } }`
	credOK(t, credPost(t, server.URL, credHeaders(key.Authorization), create, map[string]any{"n": "audit by key " + rand.Text()}), nil)
	credOK(t, credPost(t, server.URL, credBearer(tokenFor(t, owner, "acme-music"), "enterprise-id", admin), create,
		map[string]any{"n": "audit as admin " + rand.Text()}), nil)
}

// TestEachEdgeFieldAloneShowsWhatAllFieldsShow is the same for the edges
// of lists, whose rows join more than their node: a member and their
// membership, a brand member and their access, an artist and their credit.
func TestEachEdgeFieldAloneShowsWhatAllFieldsShow(t *testing.T) {
	s := gqlSchema()
	slug, _ := richestTenant(t)
	var brand, busyTenant string
	sqlValue(t, &brand, `SELECT brand_id FROM brand_access GROUP BY 1 ORDER BY count(*) DESC, 1 LIMIT 1`)
	sqlValue(t, &busyTenant, `SELECT t.slug FROM memberships m JOIN tenants t ON t.id = m.tenant_id GROUP BY 1 ORDER BY count(*) DESC, 1 LIMIT 1`)
	cases := []struct {
		edge  string
		frame string
		vars  map[string]any
	}{
		{"TenantMemberEdge", `query($slug: String!) { tenant(slug: $slug) { members(first: 40` + own + `) { edges { %s } } } }`,
			map[string]any{"slug": busyTenant}},
		{"BrandMemberEdge", `query($id: ID!) { node(id: $id) { ... on Brand { members(first: 40) { edges { %s } } } } }`,
			map[string]any{"id": gid(model.TypeBrand, brand)}},
		{"ReleaseArtistEdge", `query($slug: String!) { tenant(slug: $slug) { releases(first: 30` + own + `) { edges { node {
			artists { edges { %s } } } } } } }`, map[string]any{"slug": slug}},
		{"TrackArtistEdge", `query($slug: String!) { tenant(slug: $slug) { releases(first: 10` + own + `) { edges { node {
			tracks(first: 10) { edges { node { artists { edges { %s } } } } } } } } } }`, map[string]any{"slug": slug}},
		{"ArtistEdge", `query($slug: String!) { tenant(slug: $slug) { artists(first: 40` + own + `) { edges { %s } } } }`,
			map[string]any{"slug": slug}},
		{"MembershipEdge", `query($slug: String!) { tenant(slug: $slug) { members(first: 20` + own + `) { edges { node {
			memberships { edges { %s } } } } } } }`, map[string]any{"slug": busyTenant}},
	}
	for _, c := range cases {
		t.Run(c.edge, func(t *testing.T) {
			var all, alone []string
			for _, f := range s.Types[c.edge].Fields {
				typ := s.Types[f.Type.Name()]
				if typ.Kind != ast.Object {
					all, alone = append(all, f.Name), append(alone, f.Name)
					continue
				}
				all = append(all, f.Name+" { "+allFields(s, typ.Name)+" }")
				for _, sub := range typ.Fields {
					alone = append(alone, f.Name+" { "+fieldSelection(s, sub)+" }")
				}
			}
			wide := dataOf(t, fmt.Sprintf(c.frame, strings.Join(all, " ")), c.vars)
			if !strings.Contains(fmt.Sprint(wide), "map[cursor:") {
				t.Fatalf("no edges: %v", wide)
			}
			for _, sel := range alone {
				narrow := dataOf(t, fmt.Sprintf(c.frame, sel), c.vars)
				for _, d := range sameWhereShown(c.edge+" "+sel, narrow, wide) {
					t.Error(d)
				}
			}
		})
	}
}

// sqlUser is a user row as the oracle reads it.
type sqlUser struct {
	ID        string  `db:"id"`
	Email     string  `db:"email"`
	FirstName *string `db:"first_name"`
	LastName  *string `db:"last_name"`
	Nickname  *string `db:"nickname"`
	Phone     *string `db:"phone"`
}

type shownUser struct {
	ID        string  `json:"id"`
	Email     *string `json:"email"`
	FirstName *string `json:"firstName"`
	LastName  *string `json:"lastName"`
	Nickname  *string `json:"nickname"`
	Phone     *string `json:"phone"`
}

// wantUser compares the fields a place of a query shows with the users row.
func wantUser(t *testing.T, where string, got shownUser, rows map[string]sqlUser, shows ...string) {
	t.Helper()
	_, id, _ := model.DecodeID(got.ID)
	row, ok := rows[id]
	if !ok {
		t.Errorf("%s: user %s is not one the oracle read", where, got.ID)
		return
	}
	str := func(p *string) string {
		if p == nil {
			return "<null>"
		}
		return *p
	}
	fields := map[string][2]string{
		"email": {str(got.Email), row.Email}, "firstName": {str(got.FirstName), str(row.FirstName)},
		"lastName": {str(got.LastName), str(row.LastName)}, "nickname": {str(got.Nickname), str(row.Nickname)},
		"phone": {str(got.Phone), str(row.Phone)},
	}
	for _, f := range shows {
		if v := fields[f]; v[0] != v[1] {
			t.Errorf("%s: user %s %s = %q, SQL says %q", where, id, f, v[0], v[1])
		}
	}
}

// TestRowsReachedTwiceShowEverythingEachPlaceSelects is the cache trap:
// the same users are read through a member list's memberships (one
// selection), by node ID (another) and as the viewer (a third). Whatever
// read comes first and fills the cache, each place shows the values it
// selects, as SQL has them.
func TestRowsReachedTwiceShowEverythingEachPlaceSelects(t *testing.T) {
	var slug string
	sqlValue(t, &slug, `SELECT t.slug FROM memberships m JOIN users u ON u.id = m.user_id JOIN tenants t ON t.id = m.tenant_id
		WHERE u.phone IS NOT NULL AND u.last_name IS NOT NULL GROUP BY 1 ORDER BY count(*) DESC, 1 LIMIT 1`)
	tid := tenantID(t, slug)
	var rows []sqlUser
	sqlRows(t, &rows, `SELECT u.id, u.email, u.first_name, u.last_name, u.nickname, u.phone FROM memberships m JOIN users u ON u.id = m.user_id
		WHERE m.tenant_id = $1 AND NOT m.user_deleted ORDER BY m.created_at DESC, m.id DESC LIMIT 15`, tid)
	byID := map[string]sqlUser{}
	var ids []string
	for _, r := range rows {
		byID[r.ID] = r
		ids = append(ids, gid(model.TypeUser, r.ID))
	}
	var viewer sqlUser
	sqlValue(t, &viewer, `SELECT id, email, first_name, last_name, nickname, phone FROM users
		WHERE 'SUPER_ADMIN' = ANY(admin_roles) AND NOT is_deleted AND (expires_at IS NULL OR expires_at > now()) ORDER BY id LIMIT 1`)
	byID[viewer.ID] = viewer
	ids = append(ids, gid(model.TypeUser, viewer.ID))

	type data struct {
		Tenant struct {
			Members struct {
				Edges []struct {
					Node       shownUser
					Membership struct{ User shownUser }
				}
			}
		}
		Nodes  []shownUser
		Again  []shownUser
		Viewer struct{ User shownUser }
	}
	q := `query($slug: String!, $ids: [ID!]!) {
		tenant(slug: $slug) { members(first: 15` + own + `) { edges { node { id firstName } membership { user { id nickname } } } } }
		nodes(ids: $ids) { ... on User { id email lastName phone } }
		again: nodes(ids: $ids) { ...Names }
		viewer { user { id email } }
	}
	fragment Names on User { id firstName nickname }`
	// Twice: the root fields run concurrently, so which read fills the
	// cache first may vary.
	for range 2 {
		var d data
		query(t, q, map[string]any{"slug": slug, "ids": ids}, &d)
		if len(d.Tenant.Members.Edges) != len(rows) || len(d.Nodes) != len(ids) || len(d.Again) != len(ids) {
			t.Fatalf("%d members, %d and %d nodes; want %d and %d", len(d.Tenant.Members.Edges), len(d.Nodes), len(d.Again), len(rows), len(ids))
		}
		for _, e := range d.Tenant.Members.Edges {
			wantUser(t, "members.node", e.Node, byID, "firstName")
			wantUser(t, "members.membership.user", e.Membership.User, byID, "nickname")
		}
		for i := range d.Nodes {
			wantUser(t, "nodes", d.Nodes[i], byID, "email", "lastName", "phone")
			wantUser(t, "nodes ...Names", d.Again[i], byID, "firstName", "nickname")
		}
		wantUser(t, "viewer.user", d.Viewer.User, byID, "email")
	}
}

// TestAListReachedTwiceShowsEverythingEachPlaceSelects: a named fragment's
// list field is the same compiled query wherever the fragment is spread,
// so its pages share cache entries by parent. Here an artist's releases
// are read through the tenant's artists with the fragment alone, and
// through the artist's user's artists with more fields beside the
// fragment: both places show what SQL has.
func TestAListReachedTwiceShowsEverythingEachPlaceSelects(t *testing.T) {
	var slug string
	sqlValue(t, &slug, `SELECT t.slug FROM artists a JOIN release_artists ra ON ra.artist_id = a.id JOIN tenants t ON t.id = a.tenant_id
		WHERE a.user_id IS NOT NULL GROUP BY 1 ORDER BY count(*) DESC, 1 LIMIT 1`)
	type release struct {
		ID            string
		Title         *string
		Upc           *string
		CatalogNumber *string
		ReleaseDate   *string
	}
	type artist struct {
		ID       string
		Releases planConn[release]
		User     *struct {
			Artists planConn[artist]
		}
	}
	var d struct {
		Tenant struct{ Artists planConn[artist] }
	}
	query(t, `query($slug: String!) { tenant(slug: $slug) {
		artists(first: 50`+own+`, filter: {user: {isNull: false}}) { edges { node { id ...Titles
			user { artists(first: 50) { edges { node { id ...Titles releases(first: 5) { edges { node { upc catalogNumber releaseDate } } } } } } } } } } } }
		fragment Titles on Artist { releases(first: 5) { edges { node { id title } } } }`, map[string]any{"slug": slug}, &d)
	type sqlRelease struct {
		ID            string  `db:"id"`
		Title         string  `db:"title"`
		Upc           *string `db:"upc"`
		CatalogNumber *string `db:"catalog_number"`
		ReleaseDate   *string `db:"release_date"`
	}
	str := func(p *string) string {
		if p == nil {
			return "<null>"
		}
		return *p
	}
	check := func(a artist, inner bool) {
		_, id, _ := model.DecodeID(a.ID)
		var want []sqlRelease
		sqlRows(t, &want, `SELECT r.id, r.title, r.upc, r.catalog_number, to_char(r.release_date, 'YYYY-MM-DD') AS release_date
			FROM release_artists ra JOIN releases r ON r.id = ra.release_id
			WHERE ra.artist_id = $1 ORDER BY r.created_at DESC, r.id DESC LIMIT 5`, id)
		got := a.Releases.nodes()
		if len(got) != len(want) {
			t.Fatalf("artist %s: %d releases, SQL has %d", id, len(got), len(want))
		}
		for i, r := range got {
			w := want[i]
			if r.ID != gid(model.TypeRelease, w.ID) || str(r.Title) != w.Title {
				t.Errorf("artist %s release %d: %s %q, SQL has %s %q", id, i, r.ID, str(r.Title), w.ID, w.Title)
			}
			if inner && (str(r.Upc) != str(w.Upc) || str(r.CatalogNumber) != str(w.CatalogNumber) || str(r.ReleaseDate) != str(w.ReleaseDate)) {
				t.Errorf("artist %s release %s: upc %q catalogNumber %q releaseDate %q, SQL has %q %q %q", id, w.ID,
					str(r.Upc), str(r.CatalogNumber), str(r.ReleaseDate), str(w.Upc), str(w.CatalogNumber), str(w.ReleaseDate))
			}
		}
	}
	outer := d.Tenant.Artists.nodes()
	if len(outer) == 0 {
		t.Fatalf("tenant %s has no artists linked to a user", slug)
	}
	twice := 0
	for _, a := range outer {
		check(a, false)
		for _, b := range a.User.Artists.nodes() {
			check(b, true)
			if b.ID == a.ID && len(b.Releases.Edges) > 0 {
				twice++
			}
		}
	}
	if twice == 0 {
		t.Fatal("no artist's releases were reached twice: the test proves nothing")
	}
}

// TestMutationPayloadsShowWholeRows: a payload's row is read whole inside
// the write; rows below it come through the loaders with the columns the
// operation selects, after the write. Two updates in one request, the
// second showing through a membership the user the first changed.
func TestMutationPayloadsShowWholeRows(t *testing.T) {
	f := mutSetup(t)
	me := gid(model.TypeUser, f.user.id)
	first, second := f.uniq("First"), f.uniq("Second")
	r, err := f.post(t.Context(), f.owner, `mutation($id: ID!, $a: String!, $b: String!) {
		a: updateUser(input: {id: $id, profile: {nickname: $a}}) { user { id nickname email phone fullName version } }
		b: updateUser(input: {id: $id, profile: {nickname: $b}}) { user { id version
			memberships { edges { node { user { id nickname email lastName } } } } createdBy { id email nickname } } }
	}`, map[string]any{"id": me, "a": first, "b": second})
	if err != nil {
		t.Fatal(err)
	}
	type user struct {
		ID       string
		Nickname *string
		Email    *string
		Phone    *string
		LastName *string
		FullName string
		Version  int
	}
	var d struct {
		A struct{ User user }
		B struct {
			User struct {
				user
				Memberships planConn[struct{ User user }]
				CreatedBy   *user
			}
		}
	}
	mustData(t, r, &d)
	var row struct {
		Email     string  `db:"email"`
		Phone     *string `db:"phone"`
		LastName  *string `db:"last_name"`
		FirstName *string `db:"first_name"`
		Version   int     `db:"version"`
		CreatedBy *string `db:"created_by"`
	}
	f.get(t, &row, `SELECT email, phone, last_name, first_name, version, created_by FROM users WHERE id = $1`, f.user.id)
	a := d.A.User
	if mutDeref(a.Nickname) != first || mutDeref(a.Email) != row.Email || mutDeref(a.Phone) != mutDeref(row.Phone) ||
		a.Version != row.Version-1 || a.FullName == "" || a.FullName == "(no name)" && row.FirstName != nil {
		t.Errorf("first payload %+v, row %+v", a, row)
	}
	b := d.B.User
	if b.Version != row.Version {
		t.Errorf("second payload version %d, row %d", b.Version, row.Version)
	}
	ms := b.Memberships.nodes()
	if len(ms) == 0 {
		t.Fatal("the user has no membership")
	}
	for _, m := range ms {
		if m.User.ID != me || mutDeref(m.User.Nickname) != second || mutDeref(m.User.Email) != row.Email ||
			mutDeref(m.User.LastName) != mutDeref(row.LastName) {
			t.Errorf("membership.user %+v, want nickname %q and the row %+v", m.User, second, row)
		}
	}
	if row.CreatedBy != nil {
		var creator struct {
			Email    string  `db:"email"`
			Nickname *string `db:"nickname"`
		}
		f.get(t, &creator, `SELECT email, nickname FROM users WHERE id = $1`, *row.CreatedBy)
		if c := b.CreatedBy; c == nil || mutDeref(c.Email) != creator.Email || mutDeref(c.Nickname) != mutDeref(creator.Nickname) {
			t.Errorf("createdBy %+v, SQL has %+v", c, creator)
		}
	}
}
