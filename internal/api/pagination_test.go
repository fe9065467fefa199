package api_test

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"

	"catalogue/db/model"
	"catalogue/internal/api"
)

// pagedList is a connection under test: how to ask the API for one page of
// it, and the SQL that defines its whole content and order.
type pagedList struct {
	name string
	// query selects the connection with connSelection; it declares $first,
	// $after, $last and $before and passes them to the connection.
	query string
	path  []string       // from data to the connection
	vars  map[string]any // fixed variables: the parent
	// oracle is the whole list as global IDs in the documented order.
	oracle []string
	// tieSQL returns the rows that share created_at with another row of
	// the list: created_at as text, the node's UUID and the UUID that
	// breaks the tie (the list row's id). Empty when the order cannot tie.
	tieSQL  string
	tieArgs []any
	// noTies says why tieSQL is empty.
	noTies string
}

// pageArgs names a connection's pagination arguments; nil means absent.
type pageArgs struct {
	first, last   *int
	after, before *string
}

func intp(n int) *int { return &n }

// String renders the arguments as they would appear in a query.
func (a pageArgs) String() string {
	var parts []string
	if a.first != nil {
		parts = append(parts, fmt.Sprintf("first: %d", *a.first))
	}
	if a.after != nil {
		parts = append(parts, fmt.Sprintf("after: %q", truncate(*a.after, 24)))
	}
	if a.last != nil {
		parts = append(parts, fmt.Sprintf("last: %d", *a.last))
	}
	if a.before != nil {
		parts = append(parts, fmt.Sprintf("before: %q", truncate(*a.before, 24)))
	}
	return "(" + strings.Join(parts, ", ") + ")"
}

// page fetches one page of the list and fails the test on any error.
func (l pagedList) page(t testing.TB, a pageArgs) conn {
	t.Helper()
	r := l.request(t, a)
	mustData(t, r, nil)
	var c conn
	if err := json.Unmarshal(at(t, r.Data, l.path...), &c); err != nil {
		t.Fatalf("%s%s: decoding connection: %v\n%s", l.name, a, err, r.describe())
	}
	return c
}

// request sends the page query without judging the response.
func (l pagedList) request(t testing.TB, a pageArgs) *response {
	t.Helper()
	vars := map[string]any{}
	for k, v := range l.vars {
		vars[k] = v
	}
	if a.first != nil {
		vars["first"] = *a.first
	}
	if a.last != nil {
		vars["last"] = *a.last
	}
	if a.after != nil {
		vars["after"] = *a.after
	}
	if a.before != nil {
		vars["before"] = *a.before
	}
	return gql(t, l.query, vars)
}

// pagedLists builds the lists every pagination test runs over. Parents are
// chosen by SQL: the tenants whose rows tie most often on created_at, so
// that the id tie-break is really exercised, and the longest release.
func pagedLists(t testing.TB) []pagedList {
	t.Helper()
	const args = `$first: Int, $after: String, $last: Int, $before: String`
	const pass = `first: $first, after: $after, last: $last, before: $before`

	acme := tenantID(t, "acme-music")

	// The tenant with the most artists that share created_at with another.
	var artistTenant string
	sqlValue(t, &artistTenant, `
		SELECT t.slug FROM tenants t JOIN artists a ON a.tenant_id = t.id
		GROUP BY t.id, t.slug ORDER BY count(*) - count(DISTINCT a.created_at) DESC, t.slug LIMIT 1`)
	var releaseTenant string
	sqlValue(t, &releaseTenant, `
		SELECT t.slug FROM tenants t JOIN releases r ON r.tenant_id = t.id
		GROUP BY t.id, t.slug ORDER BY count(*) - count(DISTINCT r.created_at) DESC, t.slug LIMIT 1`)
	var longRelease string
	sqlValue(t, &longRelease, `SELECT release_id FROM tracks GROUP BY release_id ORDER BY count(*) DESC, release_id LIMIT 1`)

	artistTenantID, releaseTenantID := tenantID(t, artistTenant), tenantID(t, releaseTenant)
	lists := []pagedList{
		{
			name:   "Tenant.members of acme-music",
			query:  `query($slug: String!, ` + args + `) { tenant(slug: $slug) { members(` + pass + own + `) ` + connSelection + ` } }`,
			path:   []string{"tenant", "members"},
			vars:   map[string]any{"slug": "acme-music"},
			oracle: sqlIDs(t, model.TypeUser, `SELECT m.user_id FROM memberships m WHERE m.tenant_id = $1 AND m.user_id NOT IN (SELECT id FROM users WHERE is_deleted) ORDER BY m.created_at DESC, m.id DESC`, acme),
			tieSQL: `SELECT m.created_at::text AS at, m.user_id AS node, m.id AS key FROM memberships m
				WHERE m.tenant_id = $1 AND m.user_id NOT IN (SELECT id FROM users WHERE is_deleted) AND m.created_at IN (
					SELECT created_at FROM memberships WHERE tenant_id = $1 GROUP BY created_at HAVING count(*) > 1)`,
			tieArgs: []any{acme},
		},
		{
			name:   "Tenant.artists of " + artistTenant,
			query:  `query($slug: String!, ` + args + `) { tenant(slug: $slug) { artists(` + pass + own + `) ` + connSelection + ` } }`,
			path:   []string{"tenant", "artists"},
			vars:   map[string]any{"slug": artistTenant},
			oracle: sqlIDs(t, model.TypeArtist, `SELECT id FROM artists WHERE tenant_id = $1 ORDER BY created_at DESC, id DESC`, artistTenantID),
			tieSQL: `SELECT a.created_at::text AS at, a.id AS node, a.id AS key FROM artists a
				WHERE a.tenant_id = $1 AND a.created_at IN (
					SELECT created_at FROM artists WHERE tenant_id = $1 GROUP BY created_at HAVING count(*) > 1)`,
			tieArgs: []any{artistTenantID},
		},
		{
			name:   "Tenant.releases of " + releaseTenant,
			query:  `query($slug: String!, ` + args + `) { tenant(slug: $slug) { releases(` + pass + own + `) ` + connSelection + ` } }`,
			path:   []string{"tenant", "releases"},
			vars:   map[string]any{"slug": releaseTenant},
			oracle: sqlIDs(t, model.TypeRelease, `SELECT id FROM releases WHERE tenant_id = $1 ORDER BY created_at DESC, id DESC`, releaseTenantID),
			tieSQL: `SELECT r.created_at::text AS at, r.id AS node, r.id AS key FROM releases r
				WHERE r.tenant_id = $1 AND r.created_at IN (
					SELECT created_at FROM releases WHERE tenant_id = $1 GROUP BY created_at HAVING count(*) > 1)`,
			tieArgs: []any{releaseTenantID},
		},
		{
			name:   "Release.tracks of the longest release",
			query:  `query($id: ID!, ` + args + `) { node(id: $id) { ... on Release { tracks(` + pass + `) ` + connSelection + ` } } }`,
			path:   []string{"node", "tracks"},
			vars:   map[string]any{"id": gid(model.TypeRelease, longRelease)},
			oracle: sqlIDs(t, model.TypeTrack, `SELECT id FROM tracks WHERE release_id = $1 ORDER BY position, id`, longRelease),
			noTies: "tracks are ordered by position, unique per release (UNIQUE (release_id, position))",
		},
		{
			name:   "Query.tenants",
			query:  `query(` + args + `) { tenants(` + pass + `) ` + connSelection + ` }`,
			path:   []string{"tenants"},
			oracle: sqlIDs(t, model.TypeTenant, `SELECT id FROM tenants ORDER BY created_at DESC, id DESC`),
			noTies: "the demo seed's 3 top-level tenants and 1 subsidiary have distinct created_at",
		},
	}
	for _, l := range lists {
		if len(l.oracle) < 2 {
			t.Fatalf("%s: the seed should give at least 2 rows to page over, SQL finds %d", l.name, len(l.oracle))
		}
	}
	return lists
}

// checkPage asserts one page: its IDs, its flags, and that startCursor and
// endCursor are the cursors of its first and last edges.
func checkPage(t testing.TB, what string, c conn, want []string, wantPrev, wantNext bool, total int) {
	t.Helper()
	if d := diffIDs(c.ids(), want); d != "" {
		t.Fatalf("%s: wrong items: %s", what, d)
	}
	if c.PageInfo.HasPreviousPage != wantPrev || c.PageInfo.HasNextPage != wantNext {
		t.Fatalf("%s: hasPreviousPage=%v hasNextPage=%v, want %v and %v",
			what, c.PageInfo.HasPreviousPage, c.PageInfo.HasNextPage, wantPrev, wantNext)
	}
	checkCursors(t, what, c)
	if c.TotalCount == nil || *c.TotalCount != total {
		t.Fatalf("%s: totalCount %v, want %d (the whole list, whatever the page)", what, c.TotalCount, total)
	}
}

// checkCursors asserts that startCursor/endCursor are the first and last
// edge cursors, and null on an empty page.
func checkCursors(t testing.TB, what string, c conn) {
	t.Helper()
	pi := c.PageInfo
	if len(c.Edges) == 0 {
		if pi.StartCursor != nil || pi.EndCursor != nil {
			t.Fatalf("%s: empty page must have null startCursor and endCursor, got %v and %v", what, pi.StartCursor, pi.EndCursor)
		}
		return
	}
	if pi.StartCursor == nil || *pi.StartCursor != c.Edges[0].Cursor {
		t.Fatalf("%s: startCursor %v is not the first edge's cursor %q", what, pi.StartCursor, c.Edges[0].Cursor)
	}
	if pi.EndCursor == nil || *pi.EndCursor != c.Edges[len(c.Edges)-1].Cursor {
		t.Fatalf("%s: endCursor %v is not the last edge's cursor %q", what, pi.EndCursor, c.Edges[len(c.Edges)-1].Cursor)
	}
	for i, e := range c.Edges {
		if e.Cursor == "" {
			t.Fatalf("%s: edge %d has an empty cursor", what, i)
		}
	}
}

// pageSizes are the sizes every list is walked with: the sizes of the spec,
// plus the exact length of the list and one less, where the look-ahead row
// decides whether a last full page has a successor.
func pageSizes(n int) []int {
	sizes := []int{1, 7, 50, 500}
	for _, extra := range []int{n, n - 1} {
		if extra >= 1 && extra <= 500 && !slices.Contains(sizes, extra) {
			sizes = append(sizes, extra)
		}
	}
	return sizes
}

func TestConnectionsPaginateForwardAndBackward(t *testing.T) {
	for _, l := range pagedLists(t) {
		for _, n := range pageSizes(len(l.oracle)) {
			t.Run(fmt.Sprintf("%s/first=%d", l.name, n), func(t *testing.T) {
				t.Parallel()
				walkForward(t, l, n)
			})
			t.Run(fmt.Sprintf("%s/last=%d", l.name, n), func(t *testing.T) {
				t.Parallel()
				walkBackward(t, l, n)
			})
		}
	}
}

// walkForward pages with first=n from the start, following endCursor until
// hasNextPage is false, and compares every page and the whole walk with SQL.
func walkForward(t *testing.T, l pagedList, n int) {
	total := len(l.oracle)
	var got []string
	a := pageArgs{first: intp(n)}
	for page := 0; ; page++ {
		if page > total {
			t.Fatalf("still hasNextPage after %d pages of %d items", page, total)
		}
		c := l.page(t, a)
		start := len(got)
		end := min(start+n, total)
		checkPage(t, fmt.Sprintf("page %d %s", page, a), c, l.oracle[start:end], page > 0, end < total, total)
		got = append(got, c.ids()...)
		if !c.PageInfo.HasNextPage {
			break
		}
		a.after = c.PageInfo.EndCursor
	}
	if d := diffIDs(got, l.oracle); d != "" {
		t.Fatalf("forward walk differs from SQL order: %s", d)
	}
}

// walkBackward pages with last=n from the end, following startCursor until
// hasPreviousPage is false.
func walkBackward(t *testing.T, l pagedList, n int) {
	total := len(l.oracle)
	var got []string
	end := total
	a := pageArgs{last: intp(n)}
	for page := 0; ; page++ {
		if page > total {
			t.Fatalf("still hasPreviousPage after %d pages of %d items", page, total)
		}
		c := l.page(t, a)
		start := max(0, end-n)
		checkPage(t, fmt.Sprintf("page %d from the end %s", page, a), c, l.oracle[start:end], start > 0, page > 0, total)
		got = append(c.ids(), got...)
		end = start
		if !c.PageInfo.HasPreviousPage {
			break
		}
		a.before = c.PageInfo.StartCursor
	}
	if d := diffIDs(got, l.oracle); d != "" {
		t.Fatalf("backward walk differs from SQL order: %s", d)
	}
}

// allEdges reads a whole list with the largest pages, checked against SQL.
func allEdges(t testing.TB, l pagedList) []edge {
	t.Helper()
	var out []edge
	a := pageArgs{first: intp(500)}
	for range len(l.oracle) + 1 {
		c := l.page(t, a)
		out = append(out, c.Edges...)
		if !c.PageInfo.HasNextPage {
			break
		}
		a.after = c.PageInfo.EndCursor
	}
	got := make([]string, len(out))
	for i, e := range out {
		got[i] = e.Node.ID
	}
	if d := diffIDs(got, l.oracle); d != "" {
		t.Fatalf("%s: list differs from SQL order: %s", l.name, d)
	}
	return out
}

func TestConnectionPageBoundaries(t *testing.T) {
	for _, l := range pagedLists(t) {
		t.Run(l.name, func(t *testing.T) {
			t.Parallel()
			all := allEdges(t, l)
			total := len(l.oracle)
			first, last := all[0].Cursor, all[total-1].Cursor

			type tc struct {
				name     string
				args     pageArgs
				want     []string
				prev     bool
				next     bool
				skipFlag bool // Relay leaves the flags open for after+before
			}
			cases := []tc{
				{name: "first 0 is an empty page with null cursors", args: pageArgs{first: intp(0)}, want: nil, prev: false, next: true},
				{name: "last 0 is an empty page with null cursors", args: pageArgs{last: intp(0)}, want: nil, prev: true, next: false},
				{name: "no arguments give the first 20", args: pageArgs{}, want: l.oracle[:min(20, total)], prev: false, next: total > 20},
				{name: "after the last item is empty", args: pageArgs{first: intp(5), after: &last}, want: nil, prev: true, next: false},
				{name: "before the first item is empty", args: pageArgs{last: intp(5), before: &first}, want: nil, prev: false, next: true},
				{name: "after the first item", args: pageArgs{first: intp(500), after: &first}, want: l.oracle[1:min(total, 501)], prev: true, next: total > 501},
				{name: "before the last item", args: pageArgs{last: intp(500), before: &last}, want: l.oracle[max(0, total-1-500) : total-1], prev: total-1 > 500, next: true},
			}
			// Only before, without last: the 20 items just before it.
			k := min(total-1, 25)
			cases = append(cases, tc{
				name: fmt.Sprintf("before item %d without last gives the items just before it", k),
				args: pageArgs{before: &all[k].Cursor}, want: l.oracle[max(0, k-20):k], prev: k > 20, next: true,
			})
			// after + before together: strictly between, whichever side pages.
			i, j := total/4, 3*total/4
			if j-i < 2 {
				i, j = 0, total-1
			}
			between := l.oracle[i+1 : j]
			cases = append(cases,
				tc{name: "first with after and before gives the items strictly between", args: pageArgs{first: intp(500), after: &all[i].Cursor, before: &all[j].Cursor}, want: between, skipFlag: true},
				tc{name: "last with after and before gives the items strictly between", args: pageArgs{last: intp(500), after: &all[i].Cursor, before: &all[j].Cursor}, want: between, skipFlag: true},
				tc{name: "first 1 with after and before gives the first item between", args: pageArgs{first: intp(1), after: &all[i].Cursor, before: &all[j].Cursor}, want: between[:1], skipFlag: true},
				tc{name: "last 1 with after and before gives the last item between", args: pageArgs{last: intp(1), after: &all[i].Cursor, before: &all[j].Cursor}, want: between[len(between)-1:], skipFlag: true},
				tc{name: "after and before of neighbours give nothing", args: pageArgs{first: intp(10), after: &all[i].Cursor, before: &all[i+1].Cursor}, want: nil, skipFlag: true},
			)
			for _, c := range cases {
				what := c.name + " " + c.args.String()
				got := l.page(t, c.args)
				if d := diffIDs(got.ids(), c.want); d != "" {
					t.Errorf("%s: %s", what, d)
					continue
				}
				checkCursors(t, what, got)
				if !c.skipFlag && (got.PageInfo.HasPreviousPage != c.prev || got.PageInfo.HasNextPage != c.next) {
					t.Errorf("%s: hasPreviousPage=%v hasNextPage=%v, want %v and %v",
						what, got.PageInfo.HasPreviousPage, got.PageInfo.HasNextPage, c.prev, c.next)
				}
			}
		})
	}
}

// TestOrderTiesAreBrokenByID checks the seed's created_at ties directly:
// rows that share created_at must be listed next to each other, by id
// descending (the documented newest-first order), on every page size.
func TestOrderTiesAreBrokenByID(t *testing.T) {
	for _, l := range pagedLists(t) {
		t.Run(l.name, func(t *testing.T) {
			if l.tieSQL == "" {
				t.Logf("no created_at ties possible: %s", l.noTies)
				return
			}
			var rows []struct {
				At   string `db:"at"`
				Node string `db:"node"`
				Key  string `db:"key"`
			}
			sqlRows(t, &rows, l.tieSQL, l.tieArgs...)
			groups := map[string][]int{} // created_at → indexes into rows
			for i, r := range rows {
				groups[r.At] = append(groups[r.At], i)
			}
			if len(groups) == 0 {
				t.Fatalf("the seed gives no created_at ties in %s, so the id tie-break is not exercised", l.name)
			}
			pos := map[string]int{}
			for i, e := range allEdges(t, l) {
				pos[e.Node.ID] = i
			}
			typ, _, _ := model.DecodeID(l.oracle[0])
			for at, idx := range groups {
				// Sort the tied rows by the tie-break id, descending, as
				// PostgreSQL compares UUIDs: bytewise, like their hex text.
				slices.SortFunc(idx, func(a, b int) int { return strings.Compare(rows[b].Key, rows[a].Key) })
				p0, ok := pos[gid(typ, rows[idx[0]].Node)]
				if !ok {
					t.Fatalf("tied row %s is missing from the list", rows[idx[0]].Node)
				}
				for k, i := range idx {
					if p := pos[gid(typ, rows[i].Node)]; p != p0+k {
						t.Errorf("created_at %s: row %s (tie-break id %s) at position %d, want %d: ties must be ordered by id descending",
							at, rows[i].Node, rows[i].Key, p, p0+k)
					}
				}
			}
			t.Logf("%d created_at ties checked", len(groups))
		})
	}
}

// TestTenantListsIncludeSubsidiariesByDefault: without includeSubsidiaries,
// a tenant's brands, members, artists, labels and releases take in the rows
// of its whole subtree of subsidiaries (seed 004's include_subsidiaries),
// in one newest-first order, paged in both directions.
func TestTenantListsIncludeSubsidiariesByDefault(t *testing.T) {
	var parent string
	sqlValue(t, &parent, `SELECT p.slug FROM tenants p WHERE EXISTS (SELECT 1 FROM tenants c WHERE c.parent_id = p.id) ORDER BY p.slug LIMIT 1`)
	id := tenantID(t, parent)
	const subtree = `WITH RECURSIVE tree AS (
		SELECT id FROM tenants WHERE id = $1
		UNION ALL SELECT c.id FROM tenants c JOIN tree ON c.parent_id = tree.id) `
	const args = `$slug: String!, $first: Int, $after: String, $last: Int, $before: String`
	const pass = `first: $first, after: $after, last: $last, before: $before`
	// A user once, by the membership in the tenant itself, else by the
	// earliest joined in its subsidiaries.
	const members = `, rep AS (
			SELECT DISTINCT ON (m.user_id) m.* FROM memberships m
			WHERE m.tenant_id IN (SELECT id FROM tree) AND m.user_id NOT IN (SELECT id FROM users WHERE is_deleted)
			ORDER BY m.user_id, m.tenant_id = $1 DESC, m.created_at, m.id)
		SELECT user_id FROM rep ORDER BY created_at DESC, id DESC`
	lists := []struct {
		field, arg string
		table      string // whose tenant_id places a row
		typ        model.NodeType
		oracle     string
	}{
		{"members", "", "memberships", model.TypeUser, subtree + members},
		{"members", "includeSubsidiaries: true", "memberships", model.TypeUser, subtree + members},
		{"artists", "", "artists", model.TypeArtist, subtree + `SELECT id FROM artists WHERE tenant_id IN (SELECT id FROM tree) ORDER BY created_at DESC, id DESC`},
		{"releases", "", "releases", model.TypeRelease, subtree + `SELECT id FROM releases WHERE tenant_id IN (SELECT id FROM tree) ORDER BY created_at DESC, id DESC`},
		{"brands", "", "brands", model.TypeBrand, subtree + `SELECT id FROM brands WHERE tenant_id IN (SELECT id FROM tree) ORDER BY created_at DESC, id DESC`},
		{"labels", "", "labels", model.TypeLabel, subtree + `SELECT id FROM labels WHERE tenant_id IN (SELECT id FROM tree) ORDER BY created_at DESC, id DESC`},
	}
	for _, c := range lists {
		t.Run(c.field+"("+c.arg+")", func(t *testing.T) {
			l := pagedList{
				name:   parent + "." + c.field,
				query:  `query(` + args + `) { tenant(slug: $slug) { ` + c.field + `(` + pass + ` ` + c.arg + `) ` + connSelection + ` } }`,
				path:   []string{"tenant", c.field},
				vars:   map[string]any{"slug": parent},
				oracle: sqlIDs(t, c.typ, c.oracle, id),
			}
			var ownRows int
			sqlValue(t, &ownRows, `SELECT count(*) FROM `+c.table+` WHERE tenant_id = $1`, id)
			if len(l.oracle) <= ownRows {
				t.Fatalf("the seed gives %s's subsidiaries no %s, so the default is not exercised", parent, c.table)
			}
			walkForward(t, l, 500)
			walkBackward(t, l, 500)
		})
	}
}

// cursorFrom returns the first edge cursor of a connection at path.
func cursorFrom(t testing.TB, q string, vars map[string]any, path ...string) string {
	t.Helper()
	r := gql(t, q, vars)
	var c conn
	mustData(t, r, nil)
	if err := json.Unmarshal(at(t, r.Data, path...), &c); err != nil || len(c.Edges) == 0 {
		t.Fatalf("no cursor at %v\n%s", path, r.describe())
	}
	return c.Edges[0].Cursor
}

// forge decodes a real cursor, lets edit change its sort values and encodes
// it again: a client tampering with an opaque cursor.
func forge(t testing.TB, cursor string, edit func(keys []any) []any) string {
	t.Helper()
	raw, err := base64.RawURLEncoding.DecodeString(cursor)
	if err != nil {
		t.Fatalf("cursor %q is not base64url (the documented cursor format): %v", cursor, err)
	}
	var payload map[string]any
	if err := json.Unmarshal(raw, &payload); err != nil {
		t.Fatalf("cursor %q is not base64url JSON: %v", cursor, err)
	}
	keys, ok := payload["k"].([]any)
	if !ok {
		t.Fatalf("cursor %s has no sort values array \"k\"", raw)
	}
	payload["k"] = edit(keys)
	b, _ := json.Marshal(payload)
	return base64.RawURLEncoding.EncodeToString(b)
}

func b64(s string) string { return base64.RawURLEncoding.EncodeToString([]byte(s)) }

func TestInvalidPageArgumentsAreBadUserInput(t *testing.T) {
	members := `query($first: Int, $after: String, $last: Int, $before: String) {
		tenant(slug: "acme-music") { members(first: $first, after: $after, last: $last, before: $before` + own + `) { edges { cursor } } } }`
	const tenants = `query($first: Int, $after: String, $last: Int, $before: String) {
		tenants(first: $first, after: $after, last: $last, before: $before) { edges { cursor } } }`
	const tracks = `query($id: ID!, $after: String) { node(id: $id) { ... on Release { tracks(after: $after) { edges { cursor } } } } }`

	memberCursor := cursorFrom(t, `{ tenant(slug: "acme-music") { members(first: 1`+own+`) { edges { cursor } } } }`, nil, "tenant", "members")
	artistCursor := cursorFrom(t, `{ tenant(slug: "acme-music") { artists(first: 1`+own+`) { edges { cursor } } } }`, nil, "tenant", "artists")
	var release string
	sqlValue(t, &release, `SELECT release_id FROM tracks ORDER BY release_id LIMIT 1`)
	releaseID := gid(model.TypeRelease, release)

	cases := []struct {
		name     string
		query    string
		vars     map[string]any
		argument string   // extensions.argument, when the error names one
		mentions []string // substrings of the message
	}{
		{"first above 500", members, map[string]any{"first": 501}, "first", []string{"500", "501"}},
		{"last above 500", members, map[string]any{"last": 501}, "last", []string{"500", "501"}},
		{"negative first", members, map[string]any{"first": -1}, "first", []string{"-1"}},
		{"negative last", members, map[string]any{"last": -1}, "last", []string{"-1"}},
		{"first and last together", members, map[string]any{"first": 5, "last": 5}, "", []string{"first", "last"}},
		{"top-level first above 500", tenants, map[string]any{"first": 501}, "first", []string{"500"}},
		{"cursor that is not base64", members, map[string]any{"after": "garbage!"}, "after", []string{"garbage!"}},
		{"cursor that is base64 of garbage", members, map[string]any{"after": "garbage"}, "after", []string{"garbage"}},
		{"cursor that is base64 of junk JSON", members, map[string]any{"after": b64(`{"x":[1,2]}`)}, "after", nil},
		{"cursor that is base64 of non-JSON", members, map[string]any{"before": b64("hello world")}, "before", nil},
		{"top-level malformed cursor", tenants, map[string]any{"after": "garbage"}, "after", nil},
		{"artists cursor used on members", members, map[string]any{"after": artistCursor}, "after", []string{"Tenant.members"}},
		{"members cursor used on tracks", tracks, map[string]any{"id": releaseID, "after": memberCursor}, "after", []string{"Release.tracks"}},
		{"members cursor used on tenants", tenants, map[string]any{"before": memberCursor}, "before", []string{"tenants"}},
		{"forged cursor with a bad timestamp", members, map[string]any{"after": forge(t, memberCursor, func(k []any) []any {
			k[0] = "yesterday at noon"
			return k
		})}, "after", nil},
		{"forged cursor with a numeric timestamp", members, map[string]any{"after": forge(t, memberCursor, func(k []any) []any {
			k[0] = 1700000000
			return k
		})}, "after", nil},
		{"forged cursor with a bad id", members, map[string]any{"after": forge(t, memberCursor, func(k []any) []any {
			k[len(k)-1] = "123"
			return k
		})}, "after", nil},
		{"forged cursor with a missing sort value", members, map[string]any{"after": forge(t, memberCursor, func(k []any) []any {
			return k[:1]
		})}, "after", nil},
		{"forged cursor with SQL in it", members, map[string]any{"after": forge(t, memberCursor, func(k []any) []any {
			k[0] = "2024-01-01T00:00:00Z'); DROP TABLE users; --"
			return k
		})}, "after", nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := gql(t, c.query, c.vars)
			e := wantErrorCode(t, r, api.CodeBadUserInput)
			if c.argument != "" && e.Extensions["argument"] != c.argument {
				t.Errorf("extensions.argument = %v, want %q\n%s", e.Extensions["argument"], c.argument, r.describe())
			}
			for _, s := range c.mentions {
				if !strings.Contains(e.Message, s) {
					t.Errorf("message %q should mention %q", e.Message, s)
				}
			}
		})
	}
	// The forged cursor with SQL in it must not have touched anything.
	var users int
	sqlValue(t, &users, `SELECT count(*) FROM users`)
	if users == 0 {
		t.Fatal("users table is empty")
	}
}
