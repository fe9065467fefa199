package api_test

// Tenant.members lists users, not memberships. With its subsidiaries (the
// default), a tenant's list would meet a user once per membership in its
// tree; it lists each user once, on one edge whose membership is the
// user's representative one (the one in the tenant itself, else the
// earliest in its subsidiaries) and whose memberships are all of the
// user's memberships in the tree. A Relay client keys its cache by node
// id, so two edges with one node would show fewer rows than were paged,
// and totalCount would disagree with the list.
//
// These tests add a tenant tree and its people, so they run against a
// server of their own on a fresh copy of the seeded database (mbSetup);
// their oracle is written in Go over the rows it reads back.

import (
	"context"
	"fmt"
	"log/slog"
	"maps"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"catalogue/db"
	"catalogue/db/model"
	"catalogue/internal/api"
	"catalogue/internal/auth"
)

// mbFixture is a server on a fresh database with a tenant tree of its own:
// dup-group, its subsidiaries dup-east and dup-west, and dup-west's own
// subsidiary dup-west-north.
type mbFixture struct {
	db  *sqlx.DB
	srv *httptest.Server

	tenants map[string]string // slug → UUID
	users   map[string]string // name → UUID
	brand   string            // a brand of dup-east
}

var (
	mbOnce sync.Once
	mbFix  *mbFixture
	mbErr  error
)

// mbSetup returns the package's member-list fixture, building it on first use.
func mbSetup(t *testing.T) *mbFixture {
	t.Helper()
	mbOnce.Do(func() { mbFix, mbErr = newMBFixture() })
	if mbErr != nil {
		t.Fatalf("member list fixture: %v", mbErr)
	}
	return mbFix
}

// mbMember is one membership the fixture makes: hours after its start
// instant, in a tenant, with a role.
type mbMember struct {
	tenant string
	hours  int
	role   string
}

func newMBFixture() (*mbFixture, error) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	x, _, err := env.NewDatabase(ctx)
	if err != nil {
		return nil, err
	}
	store := db.NewStore(x)
	verifier, err := auth.NewTokenVerifier(auth.TokenConfig{HS256Secret: tokenSecret})
	if err != nil {
		return nil, err
	}
	handler := api.New(store, slog.New(&captureHandler{store: serverLog}), api.Config{
		SQLStats:   true,
		LoaderWait: 2 * time.Millisecond,
		Auth:       auth.NewAuthenticator(store, verifier, auth.CacheConfig{}),
	})
	f := &mbFixture{db: x, srv: httptest.NewServer(handler), tenants: map[string]string{}, users: map[string]string{}}

	tx, err := x.BeginTxx(ctx, nil)
	if err != nil {
		return nil, err
	}
	defer func() { _ = tx.Rollback() }()
	for _, t := range []struct{ slug, parent string }{
		{"dup-group", ""}, {"dup-east", "dup-group"}, {"dup-west", "dup-group"}, {"dup-west-north", "dup-west"},
	} {
		var id string
		if err := tx.GetContext(ctx, &id, `INSERT INTO tenants (slug, name, parent_id) VALUES ($1, $1, $2) RETURNING id::text`,
			t.slug, nullIf(f.tenants[t.parent])); err != nil {
			return nil, fmt.Errorf("tenant %s: %w", t.slug, err)
		}
		f.tenants[t.slug] = id
	}
	if err := tx.GetContext(ctx, &f.brand, `INSERT INTO brands (tenant_id, name) VALUES ($1, 'East brand') RETURNING id::text`,
		f.tenants["dup-east"]); err != nil {
		return nil, err
	}

	// People with one membership each, spread over the tree, and those
	// who belong to several of its tenants.
	people := map[string][]mbMember{}
	slugs := []string{"dup-group", "dup-east", "dup-west", "dup-west-north"}
	for i := range 24 {
		role := "USER"
		if i%5 == 0 {
			role = "ADMIN"
		}
		hours := 200 + 3*i
		if i == 7 {
			hours = 200 + 3*6 // shares its joining instant with person 6
		}
		people[fmt.Sprintf("single%02d", i)] = []mbMember{{slugs[i%4], hours, role}}
	}
	// The tenant's own membership represents them, though the east one is older.
	people["parentAndEast"] = []mbMember{{"dup-group", 150, "USER"}, {"dup-east", 1, "ADMIN"}}
	// The earliest subsidiary membership represents them.
	people["eastAndWest"] = []mbMember{{"dup-west", 50, "USER"}, {"dup-east", 60, "ADMIN"}}
	// In three tenants, one of them two levels down.
	people["threeTenants"] = []mbMember{{"dup-west-north", 10, "ADMIN"}, {"dup-east", 20, "USER"}, {"dup-group", 230, "USER"}}
	// Terminated: left out unless the filter names isDeleted.
	people["terminated"] = []mbMember{{"dup-group", 120, "USER"}, {"dup-west", 121, "USER"}}

	start := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	genres := []any{"Pop", "Rock", nil}
	names := slices.Sorted(maps.Keys(people))
	for i, name := range names {
		var id string
		if err := tx.GetContext(ctx, &id, `INSERT INTO users (email, first_name, genre, is_deleted, created_at)
			VALUES ($1, $2, $3, $4, $5) RETURNING id::text`,
			strings.ToLower(name)+"@members-test.example.org", name, genres[i%3], name == "terminated",
			start.Add(time.Duration(i)*time.Minute)); err != nil {
			return nil, fmt.Errorf("user %s: %w", name, err)
		}
		f.users[name] = id
		for _, m := range people[name] {
			if _, err := tx.ExecContext(ctx, `INSERT INTO memberships (tenant_id, user_id, role, created_at) VALUES ($1, $2, $3, $4)`,
				f.tenants[m.tenant], id, m.role, start.Add(time.Duration(m.hours)*time.Hour)); err != nil {
				return nil, fmt.Errorf("membership of %s in %s: %w", name, m.tenant, err)
			}
		}
	}
	// parentAndEast reaches the east brand through their east membership.
	if _, err := tx.ExecContext(ctx, `INSERT INTO brand_access (tenant_id, brand_id, user_id, role) VALUES ($1, $2, $3, 'USER'), ($1, $2, $4, 'USER')`,
		f.tenants["dup-east"], f.brand, f.users["parentAndEast"], f.users["single01"]); err != nil {
		return nil, err
	}
	return f, tx.Commit()
}

func nullIf(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// read runs a query as the suite's platform administrator against the
// fixture's server; it must succeed.
func (f *mbFixture) read(t testing.TB, q string, vars map[string]any, dst any) *response {
	t.Helper()
	r := credPost(t, f.srv.URL, credBearer(bearer), q, vars)
	mustData(t, r, dst)
	return r
}

// ---------------------------------------------------------------------------
// The oracle

// mbRow is a membership of the tree as the oracle reads it.
type mbRow struct {
	ID        string    `db:"id"`
	User      string    `db:"user_id"`
	Tenant    string    `db:"tenant_id"`
	Role      string    `db:"role"`
	CreatedAt time.Time `db:"created_at"`
	Genre     *string   `db:"genre"`
	Deleted   bool      `db:"is_deleted"`
}

// mbList is the oracle's member list of a tenant: one row per user, the
// representative membership, newest first; and every user's memberships
// in the listed tenants in order of preference.
type mbList struct {
	reps []mbRow
	all  map[string][]mbRow // user → memberships, the representative first
}

// oracle lists the members of the tenant slug: with subs, of its whole
// tree; deleted users only when withDeleted.
func (f *mbFixture) oracle(t testing.TB, slug string, subs, withDeleted bool) mbList {
	t.Helper()
	root := f.tenants[slug]
	tenants := []string{root}
	if subs {
		// The tree, by walking parent links here rather than with the
		// server's tenant_subtree.
		for changed := true; changed; {
			changed = false
			var more []string
			if err := f.db.SelectContext(t.Context(), &more, `SELECT id::text FROM tenants WHERE parent_id = ANY($1::uuid[]) AND NOT id = ANY($1::uuid[])`,
				pq.Array(tenants)); err != nil {
				t.Fatal(err)
			}
			if len(more) > 0 {
				tenants, changed = append(tenants, more...), true
			}
		}
	}
	var rows []mbRow
	if err := f.db.SelectContext(t.Context(), &rows, `SELECT m.id::text, m.user_id::text, m.tenant_id::text, m.role, m.created_at, u.genre, u.is_deleted
		FROM memberships m JOIN users u ON u.id = m.user_id WHERE m.tenant_id = ANY($1::uuid[])`, pq.Array(tenants)); err != nil {
		t.Fatal(err)
	}
	// Preference: the tenant's own membership, then the earliest joined,
	// then the smallest id.
	before := func(a, b mbRow) int {
		if (a.Tenant == root) != (b.Tenant == root) {
			if a.Tenant == root {
				return -1
			}
			return 1
		}
		if c := a.CreatedAt.Compare(b.CreatedAt); c != 0 {
			return c
		}
		return strings.Compare(a.ID, b.ID)
	}
	out := mbList{all: map[string][]mbRow{}}
	for _, r := range rows {
		if r.Deleted && !withDeleted {
			continue
		}
		out.all[r.User] = append(out.all[r.User], r)
	}
	for _, ms := range out.all {
		slices.SortFunc(ms, before)
		out.reps = append(out.reps, ms[0])
	}
	slices.SortFunc(out.reps, func(a, b mbRow) int {
		if c := b.CreatedAt.Compare(a.CreatedAt); c != 0 {
			return c
		}
		return strings.Compare(b.ID, a.ID)
	})
	return out
}

// ids is the list's user IDs as global IDs, in order.
func (l mbList) ids() []string {
	out := make([]string, len(l.reps))
	for i, r := range l.reps {
		out[i] = gid(model.TypeUser, r.User)
	}
	return out
}

// where keeps the rows whose representative membership satisfies keep.
func (l mbList) where(keep func(mbRow) bool) mbList {
	out := mbList{all: l.all}
	for _, r := range l.reps {
		if keep(r) {
			out.reps = append(out.reps, r)
		}
	}
	return out
}

// ---------------------------------------------------------------------------
// Walking a member list

// mbArgs renders a members field's arguments besides the page arguments.
const mbQuery = `query($slug: String!, $first: Int, $after: String, $last: Int, $before: String, $filter: UserFilter, $orderBy: [UserOrder!]) {
	tenant(slug: $slug) { members(first: $first, after: $after, last: $last, before: $before, filter: $filter, orderBy: $orderBy %s) ` +
	connSelection + ` } }`

// walk pages through a member list forward by size, then backward by size,
// and checks that no node repeats, that every page's totalCount equals
// the number of rows the walk returns, and that both walks agree. It
// returns the forward walk.
func (f *mbFixture) walk(t *testing.T, slug, extra string, vars map[string]any, size int) []string {
	t.Helper()
	q := fmt.Sprintf(mbQuery, extra)
	page := func(args map[string]any) conn {
		v := map[string]any{"slug": slug}
		maps.Copy(v, vars)
		maps.Copy(v, args)
		var d struct{ Tenant struct{ Members conn } }
		f.read(t, q, v, &d)
		return d.Tenant.Members
	}
	var fwd []string
	totals := map[int]bool{}
	var after any
	for i := 0; ; i++ {
		if i > 100 {
			t.Fatalf("%s %s: the forward walk does not end", slug, extra)
		}
		c := page(map[string]any{"first": size, "after": after})
		totals[*c.TotalCount] = true
		fwd = append(fwd, c.ids()...)
		if !c.PageInfo.HasNextPage {
			break
		}
		after = *c.PageInfo.EndCursor
	}
	var back []string
	var before any
	for i := 0; ; i++ {
		if i > 100 {
			t.Fatalf("%s %s: the backward walk does not end", slug, extra)
		}
		c := page(map[string]any{"last": size, "before": before})
		totals[*c.TotalCount] = true
		back = append(c.ids(), back...)
		if !c.PageInfo.HasPreviousPage {
			break
		}
		before = *c.PageInfo.StartCursor
	}
	seen := map[string]int{}
	for i, id := range fwd {
		if j, ok := seen[id]; ok {
			t.Fatalf("%s %s %s: node %s is listed at %d and again at %d", slug, extra, flShow(vars), decodeForHumans(id), j, i)
		}
		seen[id] = i
	}
	if len(totals) != 1 || !totals[len(fwd)] {
		t.Fatalf("%s %s %s: the walk returned %d rows, the pages' totalCount said %v", slug, extra, flShow(vars), len(fwd), slices.Collect(maps.Keys(totals)))
	}
	if d := diffIDs(back, fwd); d != "" {
		t.Fatalf("%s %s %s: the backward walk differs from the forward walk: %s", slug, extra, flShow(vars), d)
	}
	return fwd
}

// ---------------------------------------------------------------------------
// The tests

func TestMembersListEachUserOnce(t *testing.T) {
	f := mbSetup(t)
	tree := f.oracle(t, "dup-group", true, false)
	if len(tree.all[f.users["threeTenants"]]) != 3 || len(tree.all[f.users["eastAndWest"]]) != 2 || len(tree.all[f.users["parentAndEast"]]) != 2 {
		t.Fatal("the fixture should have users in several tenants of the tree")
	}

	t.Run("default list, pages of 7", func(t *testing.T) {
		got := f.walk(t, "dup-group", "", nil, 7)
		if d := diffIDs(got, tree.ids()); d != "" {
			t.Fatalf("the walk differs from one row per user, newest representative membership first: %s", d)
		}
	})

	t.Run("a subsidiary with a subsidiary", func(t *testing.T) {
		got := f.walk(t, "dup-west", "", nil, 7)
		if d := diffIDs(got, f.oracle(t, "dup-west", true, false).ids()); d != "" {
			t.Fatal(d)
		}
	})

	t.Run("own members only", func(t *testing.T) {
		got := f.walk(t, "dup-group", ", includeSubsidiaries: false", nil, 7)
		if d := diffIDs(got, f.oracle(t, "dup-group", false, false).ids()); d != "" {
			t.Fatal(d)
		}
	})

	t.Run("terminated users when the filter asks", func(t *testing.T) {
		got := f.walk(t, "dup-group", "", map[string]any{"filter": flM{"isDeleted": true}}, 7)
		want := f.oracle(t, "dup-group", true, true).where(func(r mbRow) bool { return r.Deleted })
		if len(want.reps) != 1 {
			t.Fatalf("the fixture should have one terminated user in two tenants of the tree, has %d", len(want.reps))
		}
		if d := diffIDs(got, want.ids()); d != "" {
			t.Fatal(d)
		}
	})

	t.Run("orderings", func(t *testing.T) {
		for _, order := range [][]any{
			flOrder("JOINED_AT ASC"), flOrder("FIRST_NAME ASC"), flOrder("MEMBERSHIP_ROLE DESC", "JOINED_AT ASC"),
			flOrder("GENRE DESC", "CREATED_AT DESC"), flOrder("LAST_SEEN_AT ASC"),
		} {
			got := f.walk(t, "dup-group", "", map[string]any{"orderBy": order}, 7)
			if len(got) != len(tree.reps) {
				t.Fatalf("ordered by %s: %d rows, want one per user: %d", flShow(order), len(got), len(tree.reps))
			}
		}
	})

	t.Run("filters on membership fields read the representative membership", func(t *testing.T) {
		admins := f.walk(t, "dup-group", "", map[string]any{"filter": flM{"membershipRole": flM{"eq": "ADMIN"}}}, 7)
		want := tree.where(func(r mbRow) bool { return r.Role == "ADMIN" })
		if d := diffIDs(admins, want.ids()); d != "" {
			t.Fatalf("membershipRole ADMIN: %s", d)
		}
		if slices.Contains(admins, gid(model.TypeUser, f.users["eastAndWest"])) {
			t.Fatal("eastAndWest is ADMIN only in dup-east; their representative membership, in dup-west, is USER")
		}
		joined := f.walk(t, "dup-group", "", map[string]any{"filter": flM{"joinedAt": flM{"lt": "2026-03-03T00:00:00Z"}}}, 7)
		want = tree.where(func(r mbRow) bool { return r.CreatedAt.Before(time.Date(2026, 3, 3, 0, 0, 0, 0, time.UTC)) })
		if d := diffIDs(joined, want.ids()); d != "" {
			t.Fatalf("joinedAt: %s", d)
		}
	})

	t.Run("brand access anywhere in the listed tenants", func(t *testing.T) {
		got := f.walk(t, "dup-group", "", map[string]any{"filter": flM{"brand": flM{"in": []string{gid(model.TypeBrand, f.brand)}}}}, 7)
		want := []string{gid(model.TypeUser, f.users["single01"]), gid(model.TypeUser, f.users["parentAndEast"])}
		if !slices.Equal(slices.Sorted(slices.Values(got)), slices.Sorted(slices.Values(want))) {
			t.Fatalf("members with access to the east brand: got %v, want single01 and parentAndEast (whose representative membership is dup-group's)", got)
		}
		own := f.walk(t, "dup-group", ", includeSubsidiaries: false", map[string]any{"filter": flM{"brand": flM{"in": []string{f.brand}}}}, 7)
		if len(own) != 0 {
			t.Fatalf("dup-group's own members have no access to dup-east's brand through dup-group, got %v", own)
		}
	})

	t.Run("brand members", func(t *testing.T) {
		var d struct {
			Node struct {
				Members struct {
					TotalCount int
					Edges      []struct{ Node struct{ ID string } }
				}
			}
		}
		f.read(t, `query($id: ID!) { node(id: $id) { ... on Brand { members(first: 500) { totalCount edges { node { id } } } } } }`,
			map[string]any{"id": gid(model.TypeBrand, f.brand)}, &d)
		ids := map[string]bool{}
		for _, e := range d.Node.Members.Edges {
			ids[e.Node.ID] = true
		}
		if len(ids) != 2 || len(d.Node.Members.Edges) != 2 || d.Node.Members.TotalCount != 2 {
			t.Fatalf("Brand.members: %+v, want the two users with access, once each", d.Node.Members)
		}
	})

	t.Run("facets count users", func(t *testing.T) {
		var d struct {
			Tenant struct {
				Members struct {
					TotalCount int
					Facets     struct{ MembershipRole, Genre []flBucket }
				}
			}
		}
		f.read(t, `{ tenant(slug: "dup-group") { members(first: 0) { totalCount facets {
			membershipRole { value count } genre { value count } } } } }`, nil, &d)
		m := d.Tenant.Members
		if m.TotalCount != len(tree.reps) {
			t.Fatalf("totalCount %d, want %d users", m.TotalCount, len(tree.reps))
		}
		roles, genres := map[string]int{}, map[string]int{}
		for _, r := range tree.reps {
			roles[r.Role]++
			g := "∅"
			if r.Genre != nil {
				g = *r.Genre
			}
			genres[g]++
		}
		if got := flBuckets(m.Facets.MembershipRole); !maps.Equal(got, roles) {
			t.Errorf("membershipRole facet %v, want the representative memberships' roles %v", got, roles)
		}
		if got := flBuckets(m.Facets.Genre); !maps.Equal(got, genres) {
			t.Errorf("genre facet %v, want one count per user %v", got, genres)
		}
	})
}

func TestMembersEdgeMemberships(t *testing.T) {
	f := mbSetup(t)
	type membership struct {
		ID     string
		Tenant struct{ ID string }
	}
	type edge struct {
		Node        struct{ ID string }
		Membership  membership
		Memberships []membership
	}
	const sel = `edges { node { id } membership { id tenant { id } } memberships { id tenant { id } } }`
	for _, tc := range []struct {
		slug string
		subs bool
	}{{"dup-group", true}, {"dup-west", true}, {"dup-group", false}} {
		t.Run(fmt.Sprintf("%s subsidiaries=%t", tc.slug, tc.subs), func(t *testing.T) {
			var d struct {
				Tenant struct{ Members struct{ Edges []edge } }
			}
			f.read(t, `query($slug: String!, $subs: Boolean!) { tenant(slug: $slug) {
				members(first: 100, includeSubsidiaries: $subs) { `+sel+` } } }`, map[string]any{"slug": tc.slug, "subs": tc.subs}, &d)
			want := f.oracle(t, tc.slug, tc.subs, false)
			if len(d.Tenant.Members.Edges) != len(want.reps) {
				t.Fatalf("%d edges, want %d", len(d.Tenant.Members.Edges), len(want.reps))
			}
			for i, e := range d.Tenant.Members.Edges {
				rep := want.reps[i]
				if e.Membership.ID != gid(model.TypeMembership, rep.ID) {
					t.Errorf("edge %d (%s): membership %s, want %s in tenant %s", i, e.Node.ID, e.Membership.ID, rep.ID, rep.Tenant)
				}
				var got, wantAll []string
				for _, m := range e.Memberships {
					got = append(got, m.ID+"@"+m.Tenant.ID)
				}
				for _, m := range want.all[rep.User] {
					wantAll = append(wantAll, gid(model.TypeMembership, m.ID)+"@"+gid(model.TypeTenant, m.Tenant))
				}
				if !slices.Equal(got, wantAll) {
					t.Errorf("edge %d (%s): memberships %v, want %v (the representative first)", i, e.Node.ID, got, wantAll)
				}
			}
		})
	}

	t.Run("both memberships of a user", func(t *testing.T) {
		var d struct {
			Tenant struct{ Members struct{ Edges []edge } }
		}
		f.read(t, `query($id: ID!) { tenant(slug: "dup-group") { members(filter: {id: {eq: $id}}) { `+sel+` } } }`,
			map[string]any{"id": f.users["parentAndEast"]}, &d)
		if len(d.Tenant.Members.Edges) != 1 {
			t.Fatalf("%d edges for one user", len(d.Tenant.Members.Edges))
		}
		e := d.Tenant.Members.Edges[0]
		if len(e.Memberships) != 2 || e.Memberships[0].Tenant.ID != gid(model.TypeTenant, f.tenants["dup-group"]) ||
			e.Memberships[1].Tenant.ID != gid(model.TypeTenant, f.tenants["dup-east"]) || e.Membership.ID != e.Memberships[0].ID {
			t.Fatalf("parentAndEast: membership %+v, memberships %+v; want dup-group's, then dup-east's", e.Membership, e.Memberships)
		}
	})

	// memberships is read for all edges of a level at once: one statement
	// more than without it, whatever the number of edges or parents.
	t.Run("one statement per level", func(t *testing.T) {
		for _, q := range []string{
			`{ tenant(slug: "dup-group") { members(first: %d) { edges { node { id } %s } } } }`,
			`{ tenants(first: 50) { edges { node { members(first: %d) { edges { node { id } %s } } } } } }`,
		} {
			for _, n := range []int{1, 7, 40} {
				without := f.read(t, fmt.Sprintf(q, n, ""), nil, nil).statements(t)
				with := f.read(t, fmt.Sprintf(q, n, "memberships { id role }"), nil, nil).statements(t)
				if with != without+1 {
					t.Errorf("%s: %d statements with edge memberships, %d without", compact(fmt.Sprintf(q, n, "memberships")), with, without)
				}
			}
		}
	})
}

// The unfiltered totalCount of a member list reads member_counts, which
// triggers keep (migration 0006), where it is exact: the tenant's own list,
// or its list with subsidiaries when it has none. It must equal what a
// walk of the list returns after every kind of write, however the writes
// interleave.
func TestMembersCountKeptByTriggers(t *testing.T) {
	f, err := newMBFixture() // a database of its own: this test writes
	if err != nil {
		t.Fatal(err)
	}
	defer f.srv.Close()
	ctx := t.Context()
	slugs := slices.Sorted(maps.Keys(f.tenants))

	// check compares, for every tenant of the fixture, the kept numbers
	// with a recount, and each member list's totalCount with a walk and
	// the oracle.
	check := func(t *testing.T, when string) {
		t.Helper()
		var drift []string
		if err := f.db.SelectContext(ctx, &drift, `
			SELECT format('%s: kept %s, counted %s', t.slug, coalesce(k.members, 0), count(m.id) FILTER (WHERE NOT m.user_deleted))
			FROM tenants t LEFT JOIN member_counts k ON k.tenant_id = t.id LEFT JOIN memberships m ON m.tenant_id = t.id
			GROUP BY t.slug, k.members HAVING coalesce(k.members, 0) <> count(m.id) FILTER (WHERE NOT m.user_deleted)`); err != nil {
			t.Fatal(err)
		}
		if len(drift) > 0 {
			t.Fatalf("%s: member_counts drifted: %v", when, drift)
		}
		for _, slug := range slugs {
			for _, subs := range []bool{false, true} {
				extra := fmt.Sprintf(", includeSubsidiaries: %t", subs)
				got := f.walk(t, slug, extra, nil, 500)
				if d := diffIDs(got, f.oracle(t, slug, subs, false).ids()); d != "" {
					t.Fatalf("%s: %s members%s: %s", when, slug, extra, d)
				}
			}
		}
	}
	// asApp runs statements as the server's role, which may not write
	// member_counts itself.
	asApp := func(t *testing.T, stmts ...string) {
		t.Helper()
		tx, err := f.db.BeginTxx(ctx, nil)
		if err != nil {
			t.Fatal(err)
		}
		defer func() { _ = tx.Rollback() }()
		for _, s := range append([]string{`SET LOCAL ROLE catalogue_app`, `SELECT set_config('app.all_tenants', 'on', true)`}, stmts...) {
			if _, err := tx.ExecContext(ctx, s); err != nil {
				t.Fatalf("%s: %v", s, err)
			}
		}
		if err := tx.Commit(); err != nil {
			t.Fatal(err)
		}
	}
	seq := 0
	newUser := func(t *testing.T) string {
		t.Helper()
		seq++
		var id string
		if err := f.db.GetContext(ctx, &id, `INSERT INTO users (email, first_name) VALUES ($1, 'Counted') RETURNING id::text`,
			fmt.Sprintf("counted.%d@members-test.example.org", seq)); err != nil {
			t.Fatal(err)
		}
		return id
	}
	join := func(user, slug string) string {
		return fmt.Sprintf(`INSERT INTO memberships (tenant_id, user_id, role) VALUES ('%s', '%s', 'USER')`, f.tenants[slug], user)
	}

	check(t, "as seeded")

	t.Run("the kept number is what unfiltered counts read", func(t *testing.T) {
		// A platform administrator reads every tenant; a member of
		// dup-group reads within its tree, a scope the statement applies.
		member := tokenFor(t, f.users["single00"], "dup-group")
		var asMember bool
		count := func(slug, args string) int {
			var d struct {
				Tenant struct{ Members struct{ TotalCount int } }
			}
			q := `query($slug: String!) { tenant(slug: $slug) { members(first: 0` + args + `) { totalCount } } }`
			vars := map[string]any{"slug": slug}
			if asMember {
				mustData(t, credPost(t, f.srv.URL, credBearer(member), q, vars), &d)
			} else {
				f.read(t, q, vars, &d)
			}
			return d.Tenant.Members.TotalCount
		}
		const skew = 1000
		if _, err := f.db.ExecContext(ctx, `UPDATE member_counts SET members = members + $1 WHERE tenant_id = ANY($2::uuid[])`,
			skew, pq.Array([]string{f.tenants["dup-east"], f.tenants["dup-group"]})); err != nil {
			t.Fatal(err)
		}
		defer func() {
			if _, err := f.db.ExecContext(ctx, `UPDATE member_counts SET members = members - $1 WHERE tenant_id = ANY($2::uuid[])`,
				skew, pq.Array([]string{f.tenants["dup-east"], f.tenants["dup-group"]})); err != nil {
				t.Fatal(err)
			}
		}()
		for _, asMember = range []bool{false, true} {
			for _, c := range []struct {
				slug, args string
				subs, kept bool
			}{
				{"dup-east", ", includeSubsidiaries: false", false, true},
				{"dup-east", "", true, true}, // no subsidiaries: the tree is dup-east alone
				{"dup-group", ", includeSubsidiaries: false", false, true},
				{"dup-group", "", true, false}, // users in several tenants of the tree: counted
				{"dup-east", `, filter: {genre: {isNull: false}}`, true, false},
			} {
				want := len(f.oracle(t, c.slug, c.subs, false).reps)
				if strings.Contains(c.args, "genre") {
					want = len(f.oracle(t, c.slug, c.subs, false).where(func(r mbRow) bool { return r.Genre != nil }).reps)
				}
				if c.kept {
					want += skew
				}
				if got := count(c.slug, c.args); got != want {
					t.Errorf("as member %t: %s members(%s): totalCount %d, want %d (read from member_counts: %t)", asMember, c.slug, c.args, got, want, c.kept)
				}
			}
		}
	})

	t.Run("inserts", func(t *testing.T) {
		a, b, c := newUser(t), newUser(t), newUser(t)
		asApp(t, join(a, "dup-east"), join(b, "dup-east"), join(b, "dup-west-north"), join(c, "dup-group"))
		check(t, "after single inserts")
		d, e := newUser(t), newUser(t)
		asApp(t, fmt.Sprintf(`INSERT INTO memberships (tenant_id, user_id, role) VALUES
			('%[1]s', '%[3]s', 'USER'), ('%[2]s', '%[3]s', 'USER'), ('%[1]s', '%[4]s', 'ADMIN'), ('%[2]s', '%[4]s', 'USER')`,
			f.tenants["dup-west"], f.tenants["dup-east"], d, e))
		check(t, "after one insert of four memberships in two tenants")
	})

	t.Run("deletes", func(t *testing.T) {
		asApp(t, fmt.Sprintf(`DELETE FROM memberships WHERE user_id = '%s' AND tenant_id = '%s'`, f.users["eastAndWest"], f.tenants["dup-east"]),
			fmt.Sprintf(`DELETE FROM memberships WHERE user_id = '%s'`, f.users["threeTenants"]))
		check(t, "after deletes")
	})

	t.Run("terminating and restoring users", func(t *testing.T) {
		asApp(t, fmt.Sprintf(`UPDATE users SET is_deleted = true WHERE id IN ('%s', '%s')`, f.users["parentAndEast"], f.users["single03"]))
		check(t, "after terminating two users")
		// Deleting a terminated user's membership changes no number.
		asApp(t, fmt.Sprintf(`DELETE FROM memberships WHERE user_id = '%s' AND tenant_id = '%s'`, f.users["parentAndEast"], f.tenants["dup-east"]),
			fmt.Sprintf(`UPDATE users SET is_deleted = false WHERE id IN ('%s', '%s')`, f.users["terminated"], f.users["single03"]))
		check(t, "after restoring users")
	})

	t.Run("moving a membership", func(t *testing.T) {
		asApp(t, fmt.Sprintf(`UPDATE memberships SET tenant_id = '%s' WHERE user_id = '%s'`, f.tenants["dup-west"], f.users["single01"]),
			fmt.Sprintf(`UPDATE memberships SET role = 'ADMIN' WHERE tenant_id = '%s'`, f.tenants["dup-east"]))
		check(t, "after moving a membership and updating a tenant's memberships")
	})

	t.Run("concurrent writers", func(t *testing.T) {
		var victims []string
		if err := f.db.SelectContext(ctx, &victims, `SELECT id::text FROM memberships WHERE tenant_id = ANY($1::uuid[]) ORDER BY id LIMIT 6`,
			pq.Array([]string{f.tenants["dup-east"], f.tenants["dup-west"]})); err != nil {
			t.Fatal(err)
		}
		var writes []string
		others := []string{"dup-group", "dup-west", "dup-west-north"}
		for i := range 12 {
			u := newUser(t)
			writes = append(writes, join(u, others[i%len(others)])+"; "+join(u, "dup-east"))
		}
		for _, v := range victims {
			writes = append(writes, fmt.Sprintf(`DELETE FROM memberships WHERE id = '%s'`, v))
		}
		writes = append(writes, fmt.Sprintf(`UPDATE users SET is_deleted = true WHERE id = '%s'`, f.users["single05"]))
		start := make(chan struct{})
		errs := make(chan error, len(writes))
		var wg sync.WaitGroup
		for i, w := range writes {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				tx, err := f.db.BeginTxx(ctx, nil) // READ COMMITTED, as the server writes
				if err != nil {
					errs <- err
					return
				}
				defer func() { _ = tx.Rollback() }()
				for _, s := range []string{`SET LOCAL ROLE catalogue_app`, `SELECT set_config('app.all_tenants', 'on', true)`, w, `SELECT pg_sleep(0.02)`} {
					if _, err := tx.ExecContext(ctx, s); err != nil {
						errs <- fmt.Errorf("%s: %w", s, err)
						return
					}
				}
				if i%5 == 4 {
					return // rolled back: must change nothing
				}
				errs <- tx.Commit()
			}()
		}
		close(start)
		wg.Wait()
		close(errs)
		for err := range errs {
			if err != nil {
				t.Fatal(err)
			}
		}
		check(t, "after concurrent writers")
	})
}
