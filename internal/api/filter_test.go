package api_test

// The list capabilities of SPEC §2 (the union of the seeds' list
// endpoints), one test or more per row of its table, through GraphQL over
// HTTP against the seeded PostgreSQL. Every expected value comes from an
// SQL oracle written independently of the server's compiler: the server's
// filter goes through db/filter.go, the oracle is plain SQL over the
// tables.
//
//	SPEC §2 row                                   tests
//	totalCount, "Get User Count"                  TestMembersFilterTotalCount
//	additionalCounters, include_aggregations      TestMembersFilterFacets, TestListFilterFacetsOfArtistsReleasesTracks
//	searchText / search                           TestMembersFilterSearch, TestListFilterSearch
//	firstname=Jo* wildcards, eq/in/... on text    TestMembersFilterStrings, TestMembersFilterNullSemantics
//	ids, roles, genres with +/-                   TestMembersFilterInNotIn
//	fromDate/toDate, newerThan/olderThan          TestMembersFilterDateTimes, TestListFilterReleaseDates
//	brand_ids                                     TestMembersFilterBrand
//	customer_id + include_subsidiaries            TestListFilterSubsidiaries
//	filters=field:operator:values                 TestMembersFilterNested, TestMembersFilterQuerySyntax, TestMembersFilterDeletedUsers
//	orderBy… multi-field                          TestListFilterOrderByWalks, TestListFilterTracksOrderedPerRelease
//	pageSize/pageNumber, offset                   TestListFilterOffset, TestListFilterPagingThroughFilters
//	response_field_keys                           TestMembersFilterSelectionSets
//	400/422 on malformed input                    TestListFilterBadInput, TestListFilterCursorsBelongToTheirFilter
//	(field-level permission, §3)                  TestMembersFilterContactsNeedPermission

import (
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/lib/pq"

	"catalogue/db/model"
	"catalogue/internal/api"
)

// flM is a GraphQL input object (a filter, an order key) as a variable.
type flM = map[string]any

// flLive is the oracle's half of a member list's hidden predicate:
// terminated users stay out unless the filter names isDeleted.
const flLive = "NOT u.is_deleted"

// ---------------------------------------------------------------------------
// Lists as the client asks for them

// flList is one filterable connection, every argument a variable.
type flList struct {
	name  string
	query string
	path  []string
	vars  map[string]any
}

const flPageVars = `$first: Int, $after: String, $last: Int, $before: String, $offset: Int, $query: String`
const flPageArgs = `first: $first, after: $after, last: $last, before: $before, offset: $offset, query: $query, filter: $filter, orderBy: $orderBy`

// flTenantList is Tenant.<field> of the tenant slug; subs sets
// includeSubsidiaries.
func flTenantList(field, filterType, orderType, slug string, subs bool) flList {
	return flList{
		name: fmt.Sprintf("tenant(%s).%s(includeSubsidiaries: %t)", slug, field, subs),
		query: `query($slug: String!, $subs: Boolean!, ` + flPageVars + `, $filter: ` + filterType + `, $orderBy: [` + orderType + `!]) {
			tenant(slug: $slug) { ` + field + `(` + flPageArgs + `, includeSubsidiaries: $subs) ` + connSelection + ` } }`,
		path: []string{"tenant", field},
		vars: map[string]any{"slug": slug, "subs": subs},
	}
}

func flMembers(slug string, subs bool) flList {
	return flTenantList("members", "UserFilter", "UserOrder", slug, subs)
}

func flArtists(slug string, subs bool) flList {
	return flTenantList("artists", "ArtistFilter", "ArtistOrder", slug, subs)
}

func flReleases(slug string, subs bool) flList {
	return flTenantList("releases", "ReleaseFilter", "ReleaseOrder", slug, subs)
}

// flTracks is Release.tracks of one release.
func flTracks(releaseID string) flList {
	return flList{
		name: "tracks of release " + releaseID,
		query: `query($id: ID!, ` + flPageVars + `, $filter: TrackFilter, $orderBy: [TrackOrder!]) {
			node(id: $id) { ... on Release { tracks(` + flPageArgs + `) ` + connSelection + ` } } }`,
		path: []string{"node", "tracks"},
		vars: map[string]any{"id": gid(model.TypeRelease, releaseID)},
	}
}

// request sends the list's query with args added to its fixed variables.
func (l flList) request(t testing.TB, args map[string]any) *response {
	t.Helper()
	vars := maps.Clone(l.vars)
	maps.Copy(vars, args)
	return gql(t, l.query, vars)
}

// page fetches one page that must succeed.
func (l flList) page(t testing.TB, args map[string]any) conn {
	t.Helper()
	r := l.request(t, args)
	mustData(t, r, nil)
	var c conn
	if err := json.Unmarshal(at(t, r.Data, l.path...), &c); err != nil {
		t.Fatalf("%s: decoding connection: %v\n%s", l.name, err, r.describe())
	}
	if c.TotalCount == nil {
		t.Fatalf("%s: no totalCount\n%s", l.name, r.describe())
	}
	return c
}

// all reads the whole list with the given arguments, 500 at a time, and
// returns its IDs and the totalCount every page reported.
func (l flList) all(t testing.TB, args map[string]any) ([]string, int) {
	t.Helper()
	var ids []string
	total := -1
	var after any
	for pages := 0; ; pages++ {
		if pages > 20 {
			t.Fatalf("%s %v: more than 20 pages of 500", l.name, args)
		}
		a := maps.Clone(args)
		if a == nil {
			a = map[string]any{}
		}
		a["first"], a["after"] = 500, after
		c := l.page(t, a)
		if total >= 0 && *c.TotalCount != total {
			t.Fatalf("%s %v: totalCount changed from %d to %d between pages", l.name, args, total, *c.TotalCount)
		}
		total = *c.TotalCount
		ids = append(ids, c.ids()...)
		if !c.PageInfo.HasNextPage {
			return ids, total
		}
		after = *c.PageInfo.EndCursor
	}
}

// check reads the whole list with args and compares it, in order, and its
// totalCount with the oracle.
func (l flList) check(t testing.TB, what string, args map[string]any, want []string) {
	t.Helper()
	got, total := l.all(t, args)
	if d := diffIDs(got, want); d != "" {
		t.Fatalf("%s: %s %s: %s", what, l.name, flShow(args), d)
	}
	if total != len(want) {
		t.Fatalf("%s: %s %s: totalCount %d, SQL counts %d", what, l.name, flShow(args), total, len(want))
	}
}

// walk pages through the list forward with first/after and backward with
// last/before, size rows at a time, and compares both walks with want.
func (l flList) walk(t testing.TB, args map[string]any, size int, want []string) {
	t.Helper()
	var fwd []string
	var after any
	for i := 0; ; i++ {
		if i > len(want)/size+2 {
			t.Fatalf("%s %s: forward walk does not end", l.name, flShow(args))
		}
		a := maps.Clone(args)
		a["first"], a["after"] = size, after
		c := l.page(t, a)
		if len(c.Edges) > size || c.PageInfo.HasPreviousPage != (i > 0) {
			t.Fatalf("%s %s: forward page %d has %d edges, hasPreviousPage %t", l.name, flShow(args), i, len(c.Edges), c.PageInfo.HasPreviousPage)
		}
		fwd = append(fwd, c.ids()...)
		if !c.PageInfo.HasNextPage {
			break
		}
		after = *c.PageInfo.EndCursor
	}
	if d := diffIDs(fwd, want); d != "" {
		t.Fatalf("%s %s: walking forward by %d: %s", l.name, flShow(args), size, d)
	}
	var back []string
	var before any
	for i := 0; ; i++ {
		if i > len(want)/size+2 {
			t.Fatalf("%s %s: backward walk does not end", l.name, flShow(args))
		}
		a := maps.Clone(args)
		a["last"], a["before"] = size, before
		c := l.page(t, a)
		if len(c.Edges) > size || c.PageInfo.HasNextPage != (i > 0) {
			t.Fatalf("%s %s: backward page %d has %d edges, hasNextPage %t", l.name, flShow(args), i, len(c.Edges), c.PageInfo.HasNextPage)
		}
		back = append(c.ids(), back...)
		if !c.PageInfo.HasPreviousPage {
			break
		}
		before = *c.PageInfo.StartCursor
	}
	if d := diffIDs(back, want); d != "" {
		t.Fatalf("%s %s: walking backward by %d: %s", l.name, flShow(args), size, d)
	}
}

func flShow(v any) string {
	b, _ := json.Marshal(v)
	return truncate(string(b), 400)
}

// ---------------------------------------------------------------------------
// The oracle

// flTenants is the tenant's ID, and with subs those of its subsidiaries at
// any depth, computed here rather than with the server's tenant_subtree.
// The tenant comes first: flRepresentative relies on it.
func flTenants(t testing.TB, slug string, subs bool) []string {
	t.Helper()
	var ids []string
	if !subs {
		return []string{tenantID(t, slug)}
	}
	sqlRows(t, &ids, `
		WITH RECURSIVE sub(id, depth) AS (
			SELECT id, 0 FROM tenants WHERE slug = $1
			UNION ALL
			SELECT c.id, sub.depth + 1 FROM tenants c JOIN sub ON c.parent_id = sub.id)
		SELECT id FROM sub ORDER BY depth, id`, slug)
	return ids
}

// flRepresentative keeps, of the memberships m of a member list over the
// tenants $1 (the list's tenant first), the one that represents its user:
// the membership in the list's tenant if any, else the earliest joined.
// A member list lists each user once.
const flRepresentative = `m.id = (SELECT r.id FROM memberships r WHERE r.user_id = m.user_id AND r.tenant_id = ANY($1::uuid[])
	ORDER BY r.tenant_id = ($1::uuid[])[1] DESC, r.created_at, r.id LIMIT 1)`

// flKind is how the oracle reads one kind of list: the rows of the parents
// bound to $1 (an array), to which a condition is added.
type flKind struct {
	typ   model.NodeType
	from  string // SELECT <id> FROM ... WHERE <parent> = ANY($1::uuid[])
	order string // the list's default order
}

var (
	flUserRows = flKind{model.TypeUser,
		`SELECT u.id FROM memberships m JOIN users u ON u.id = m.user_id WHERE m.tenant_id = ANY($1::uuid[]) AND ` + flRepresentative,
		"m.created_at DESC, m.id DESC"}
	flArtistRows  = flKind{model.TypeArtist, `SELECT a.id FROM artists a WHERE a.tenant_id = ANY($1::uuid[])`, "a.created_at DESC, a.id DESC"}
	flReleaseRows = flKind{model.TypeRelease, `SELECT r.id FROM releases r WHERE r.tenant_id = ANY($1::uuid[])`, "r.created_at DESC, r.id DESC"}
	flTrackRows   = flKind{model.TypeTrack, `SELECT t.id FROM tracks t WHERE t.release_id = ANY($1::uuid[])`, "t.position, t.id"}
)

// ids runs the oracle: the parents' rows where cond holds (its parameters
// start at $2), in order (the default order when empty).
func (k flKind) ids(t testing.TB, parents []string, cond, order string, args ...any) []string {
	t.Helper()
	if order == "" {
		order = k.order
	}
	return sqlIDs(t, k.typ, k.from+" AND ("+cond+") ORDER BY "+order, append([]any{pq.Array(parents)}, args...)...)
}

// flAcme is the oracle of acme-music's own members (includeSubsidiaries:
// false) that are not terminated and satisfy cond, newest membership first.
func flAcme(t testing.TB, cond string, args ...any) []string {
	t.Helper()
	return flUserRows.ids(t, flTenants(t, "acme-music", false), flLive+" AND ("+cond+")", "", args...)
}

// flMeaningful fails when a filter's oracle selects nothing or everything,
// which would make comparing with it prove little.
func flMeaningful(t testing.TB, what string, want []string, everything int) {
	t.Helper()
	if len(want) == 0 || len(want) == everything {
		t.Fatalf("%s: the seed should make this filter select some rows but not all; SQL selects %d of %d", what, len(want), everything)
	}
}

// flBucket is a facet bucket as the oracle and the API give it.
type flBucket struct {
	Value *string `json:"value" db:"value"`
	Count int     `json:"count" db:"count"`
}

// flBuckets renders buckets as value→count, "∅" for the null value.
func flBuckets(bs []flBucket) map[string]int {
	out := map[string]int{}
	for _, b := range bs {
		k := "∅"
		if b.Value != nil {
			k = *b.Value
		}
		out[k] += b.Count
	}
	return out
}

// flCheckBuckets compares API buckets with SQL's GROUP BY and checks their
// documented order: most frequent first.
func flCheckBuckets(t testing.TB, what string, got []flBucket, wantSQL string, args ...any) {
	t.Helper()
	var want []flBucket
	sqlRows(t, &want, wantSQL, args...)
	if g, w := flBuckets(got), flBuckets(want); !maps.Equal(g, w) {
		t.Fatalf("%s: facet buckets %v, SQL GROUP BY gives %v", what, g, w)
	}
	if len(got) != len(want) {
		t.Fatalf("%s: %d buckets, SQL has %d groups (a value appears twice?)", what, len(got), len(want))
	}
	for i := 1; i < len(got); i++ {
		if got[i].Count > got[i-1].Count {
			t.Fatalf("%s: buckets are not most frequent first: %v", what, flBuckets(got))
		}
	}
}

func flAt(t testing.TB, q string, vars map[string]any, path ...string) json.RawMessage {
	t.Helper()
	r := gql(t, q, vars)
	mustData(t, r, nil)
	return at(t, r.Data, path...)
}

func flTime(tm time.Time) string { return tm.UTC().Format(time.RFC3339Nano) }

// ---------------------------------------------------------------------------
// totalCount, "Get User Count"

func TestMembersFilterTotalCount(t *testing.T) {
	cases := []struct {
		name   string
		subs   bool
		args   map[string]any
		cond   string
		params []any
	}{
		{"own members", false, nil, "true", nil},
		{"with subsidiaries", true, nil, "true", nil},
		{"admins and owners", true, flM{"filter": flM{"membershipRole": flM{"in": []string{"OWNER", "ADMIN"}}}}, "m.role IN ('OWNER', 'ADMIN')", nil},
		{"genre in query syntax", false, flM{"query": "genre:Pop"}, "u.genre = 'Pop'", nil},
		{"deactivated", true, flM{"filter": flM{"membershipStatus": flM{"eq": "DEACTIVATED"}}}, "m.status = 'DEACTIVATED'", nil},
	}
	const q = `query($slug: String!, $subs: Boolean!, $filter: UserFilter, $query: String) {
		tenant(slug: $slug) { members(first: 0, filter: $filter, query: $query, includeSubsidiaries: $subs) { totalCount edges { cursor } } } }`
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			want := flUserRows.ids(t, flTenants(t, "acme-music", tc.subs), flLive+" AND "+tc.cond, "", tc.params...)
			vars := flM{"slug": "acme-music", "subs": tc.subs}
			maps.Copy(vars, tc.args)
			var c struct {
				TotalCount int   `json:"totalCount"`
				Edges      []any `json:"edges"`
			}
			if err := json.Unmarshal(flAt(t, q, vars, "tenant", "members"), &c); err != nil {
				t.Fatal(err)
			}
			if c.TotalCount != len(want) || len(c.Edges) != 0 {
				t.Fatalf("members(first: 0) %s: totalCount %d with %d edges, SQL counts %d (and first: 0 gives no edges)",
					flShow(tc.args), c.TotalCount, len(c.Edges), len(want))
			}
		})
	}

	t.Run("costs a statement only when selected", func(t *testing.T) {
		const base = `{ tenant(slug: "acme-music") { members(first: 5, filter: {genre: {in: ["Pop", "Rock"]}}) { edges { node { id } } %s } } }`
		without := query(t, fmt.Sprintf(base, ""), nil, nil).statements(t)
		with := query(t, fmt.Sprintf(base, "totalCount"), nil, nil).statements(t)
		if with != without+1 {
			t.Fatalf("selecting totalCount of a filtered list: %d statements, without it %d; want exactly one more", with, without)
		}
	})
}

// ---------------------------------------------------------------------------
// Facets (additionalCounters, include_aggregations)

func TestMembersFilterFacets(t *testing.T) {
	filter := flM{"or": []any{
		flM{"genre": flM{"in": []string{"Pop", "R&B"}}},
		flM{"membershipRole": flM{"in": []string{"OWNER", "ADMIN"}}},
		flM{"membershipStatus": flM{"eq": "DEACTIVATED"}},
	}}
	const cond = "(u.genre IN ('Pop', 'R&B') OR m.role IN ('OWNER', 'ADMIN') OR m.status = 'DEACTIVATED')"
	const q = `query($first: Int!, $filter: UserFilter, $subs: Boolean!) { tenant(slug: "acme-music") {
		members(first: $first, filter: $filter, includeSubsidiaries: $subs) {
			totalCount
			facets {
				membershipRole { value count } membershipStatus { value count }
				role { value count } genre { value count } language { value count }
			}
			edges { node { id } } } } }`
	type facets struct {
		TotalCount int `json:"totalCount"`
		Facets     map[string][]flBucket
		Edges      []any `json:"edges"`
	}
	exprs := map[string]string{
		"membershipRole": "m.role", "membershipStatus": "m.status",
		"role": "u.role", "genre": "u.genre", "language": "u.language_code",
	}
	for _, subs := range []bool{false, true} {
		tenants := flTenants(t, "acme-music", subs)
		var first facets
		for _, size := range []int{50, 1} {
			t.Run(fmt.Sprintf("subsidiaries=%t first=%d", subs, size), func(t *testing.T) {
				var f facets
				if err := json.Unmarshal(flAt(t, q, flM{"first": size, "filter": filter, "subs": subs}, "tenant", "members"), &f); err != nil {
					t.Fatal(err)
				}
				if len(f.Edges) != size {
					t.Fatalf("%d edges, want %d", len(f.Edges), size)
				}
				for name, expr := range exprs {
					flCheckBuckets(t, name, f.Facets[name], `
						SELECT (`+expr+`)::text AS value, count(*) AS count
						FROM memberships m JOIN users u ON u.id = m.user_id
						WHERE m.tenant_id = ANY($1::uuid[]) AND `+flRepresentative+` AND `+flLive+` AND `+cond+` GROUP BY 1`, pq.Array(tenants))
					sum := 0
					for _, b := range f.Facets[name] {
						sum += b.Count
					}
					if sum != f.TotalCount {
						t.Fatalf("facet %s counts %d rows, totalCount is %d", name, sum, f.TotalCount)
					}
				}
				if size == 1 {
					for name := range exprs {
						if a, b := flBuckets(first.Facets[name]), flBuckets(f.Facets[name]); !maps.Equal(a, b) {
							t.Fatalf("facet %s depends on the page size: first: 50 gave %v, first: 1 gave %v", name, a, b)
						}
					}
				}
				first = f
			})
		}
	}

	t.Run("null genre is a bucket", func(t *testing.T) {
		var f facets
		if err := json.Unmarshal(flAt(t, q, flM{"first": 1, "filter": filter, "subs": false}, "tenant", "members"), &f); err != nil {
			t.Fatal(err)
		}
		if _, ok := flBuckets(f.Facets["genre"])["∅"]; !ok {
			t.Fatalf("owners, admins and deactivated members without a genre should make a null bucket: %v", flBuckets(f.Facets["genre"]))
		}
	})

	t.Run("computed only when selected", func(t *testing.T) {
		const base = `{ tenant(slug: "acme-music") { members(first: 3, filter: {genre: {in: ["Pop"]}}) { edges { node { id } } %s } } }`
		none := query(t, fmt.Sprintf(base, ""), nil, nil).statements(t)
		one := query(t, fmt.Sprintf(base, "facets { genre { value count } }"), nil, nil).statements(t)
		two := query(t, fmt.Sprintf(base, "facets { genre { value count } membershipRole { value count } }"), nil, nil).statements(t)
		if one <= none || two < one {
			t.Fatalf("statements: %d without facets, %d with one facet, %d with two; facets must cost statements only when selected", none, one, two)
		}
	})
}

func TestListFilterFacetsOfArtistsReleasesTracks(t *testing.T) {
	t.Run("artists genre and country", func(t *testing.T) {
		tenants := flTenants(t, "acme-music", true)
		const q = `{ tenant(slug: "acme-music") { artists(first: 2, filter: {not: {country: {eq: "US"}}}) {
			facets { genre { value count } country { value count } } } } }`
		var f map[string][]flBucket
		if err := json.Unmarshal(flAt(t, q, nil, "tenant", "artists", "facets"), &f); err != nil {
			t.Fatal(err)
		}
		for name, col := range map[string]string{"genre": "a.genre", "country": "a.country"} {
			flCheckBuckets(t, "artists "+name, f[name], `SELECT (`+col+`)::text AS value, count(*) AS count FROM artists a
				WHERE a.tenant_id = ANY($1::uuid[]) AND a.country IS DISTINCT FROM 'US' GROUP BY 1`, pq.Array(tenants))
		}
	})

	t.Run("releases status type genre", func(t *testing.T) {
		tenants := flTenants(t, "acme-music", false)
		const q = `{ tenant(slug: "acme-music") { releases(first: 1, includeSubsidiaries: false, filter: {type: {in: [EP, ALBUM]}}) {
			facets { status { value count } type { value count } genre { value count } } } } }`
		var f map[string][]flBucket
		if err := json.Unmarshal(flAt(t, q, nil, "tenant", "releases", "facets"), &f); err != nil {
			t.Fatal(err)
		}
		for name, col := range map[string]string{"status": "r.status", "type": "r.type", "genre": "r.genre"} {
			flCheckBuckets(t, "releases "+name, f[name], `SELECT (`+col+`)::text AS value, count(*) AS count FROM releases r
				WHERE r.tenant_id = ANY($1::uuid[]) AND r.type IN ('EP', 'ALBUM') GROUP BY 1`, pq.Array(tenants))
		}
	})

	t.Run("tracks explicit, per release", func(t *testing.T) {
		const q = `{ tenant(slug: "acme-music") { releases(first: 6, includeSubsidiaries: false) { edges { node { id
			tracks(first: 1, filter: {position: {lte: 5}}) { totalCount facets { explicit { value count } } } } } } } }`
		var c struct {
			Edges []struct {
				Node struct {
					ID     string `json:"id"`
					Tracks struct {
						TotalCount int `json:"totalCount"`
						Facets     struct {
							Explicit []flBucket `json:"explicit"`
						} `json:"facets"`
					} `json:"tracks"`
				} `json:"node"`
			} `json:"edges"`
		}
		if err := json.Unmarshal(flAt(t, q, nil, "tenant", "releases"), &c); err != nil {
			t.Fatal(err)
		}
		if len(c.Edges) != 6 {
			t.Fatalf("%d releases, want 6", len(c.Edges))
		}
		values := map[string]bool{}
		for _, e := range c.Edges {
			_, id, err := model.DecodeID(e.Node.ID)
			if err != nil {
				t.Fatal(err)
			}
			flCheckBuckets(t, "tracks of "+id, e.Node.Tracks.Facets.Explicit, `SELECT explicit::text AS value, count(*) AS count
				FROM tracks WHERE release_id = $1 AND position <= 5 GROUP BY 1`, id)
			for k := range flBuckets(e.Node.Tracks.Facets.Explicit) {
				values[k] = true
			}
		}
		if len(values) == 0 {
			t.Fatal("no track facets at all")
		}
	})
}

// ---------------------------------------------------------------------------
// search (searchText)

// flUserText is the oracle's own folding of the text a member search
// covers: unaccent and lower, as the README describes the search
// ("ignoring case and accents").
const flUserText = `lower(unaccent(coalesce(u.first_name, '') || ' ' || coalesce(u.last_name, '') || ' ' || coalesce(u.nickname, '') || ' ' || u.email))`

func TestMembersFilterSearch(t *testing.T) {
	all := flAcme(t, "true")
	members := flMembers("acme-music", false)
	zoe := flAcme(t, flUserText+` LIKE '%zoe%'`)
	flMeaningful(t, "zoe", zoe, len(all))
	var accented int
	sqlValue(t, &accented, `SELECT count(*) FROM users WHERE id = ANY($1::uuid[]) AND first_name = 'Zoë'`, pq.Array(flUUIDs(t, zoe)))
	if accented == 0 {
		t.Fatal("the seed should have members of acme-music named Zoë")
	}
	for _, s := range []string{"zoe", "ZOË", "Zoë", "  zoe  "} {
		members.check(t, "search "+s, flM{"filter": flM{"search": s}}, zoe)
	}
	members.check(t, "query word", flM{"query": "zoe"}, zoe)
	members.check(t, "query phrase", flM{"query": `"zoë"`}, zoe)

	// Two words: both must occur, anywhere in names and email.
	var last string
	sqlValue(t, &last, `SELECT u.last_name FROM users u WHERE u.id = ANY($1::uuid[]) AND u.first_name = 'Zoë' AND u.last_name IS NOT NULL
		ORDER BY u.last_name LIMIT 1`, pq.Array(flUUIDs(t, zoe)))
	both := flAcme(t, flUserText+` LIKE '%zoe%' AND `+flUserText+` LIKE '%' || lower(unaccent($2)) || '%'`, last)
	if len(both) == 0 || len(both) >= len(zoe) {
		t.Fatalf("searching zoe %s should narrow the %d zoe matches; SQL finds %d", last, len(zoe), len(both))
	}
	members.check(t, "two words", flM{"filter": flM{"search": "zoe " + strings.ToUpper(last)}}, both)
	members.check(t, "two words, other order", flM{"filter": flM{"search": strings.ToLower(last) + " ZOE"}}, both)

	// Email is searched too (for a caller who may read it).
	fr := flAcme(t, flUserText+` LIKE '%company.fr%'`)
	flMeaningful(t, "company.fr", fr, len(all))
	members.check(t, "email domain", flM{"filter": flM{"search": "company.fr"}}, fr)

	// LIKE metacharacters are literal.
	members.check(t, "percent", flM{"filter": flM{"search": "%"}}, flAcme(t, `strpos(`+flUserText+`, '%') > 0`))
	members.check(t, "underscore", flM{"filter": flM{"search": "_"}}, flAcme(t, `strpos(`+flUserText+`, '_') > 0`))
}

func TestListFilterSearch(t *testing.T) {
	t.Run("release titles, UPC and catalog number", func(t *testing.T) {
		tenants := flTenants(t, "acme-music", true)
		releases := flReleases("acme-music", true)
		text := `lower(unaccent(r.title || ' ' || coalesce(r.upc, '') || ' ' || coalesce(r.catalog_number, '')))`
		everything := len(flReleaseRows.ids(t, tenants, "true", ""))
		cafe := flReleaseRows.ids(t, tenants, text+` LIKE '%cafe%'`, "")
		flMeaningful(t, "cafe", cafe, everything)
		var accented int
		sqlValue(t, &accented, `SELECT count(*) FROM releases WHERE id = ANY($1::uuid[]) AND title LIKE '%Café%'`, pq.Array(flUUIDs(t, cafe)))
		if accented == 0 {
			t.Fatal("the seed should have release titles with Café")
		}
		releases.check(t, "cafe", flM{"filter": flM{"search": "CAFE"}}, cafe)
		releases.check(t, "query", flM{"query": "café"}, cafe)

		var title string
		sqlValue(t, &title, `SELECT r.title FROM releases r WHERE r.tenant_id = ANY($1::uuid[]) AND r.title LIKE '% % %' ORDER BY r.id LIMIT 1`, pq.Array(tenants))
		words := strings.Fields(title)
		two := strings.ToUpper(words[2]) + " " + strings.ToLower(words[0])
		releases.check(t, "two title words "+two, flM{"filter": flM{"search": two}}, flReleaseRows.ids(t, tenants,
			text+` LIKE '%' || lower(unaccent($2)) || '%' AND `+text+` LIKE '%' || lower(unaccent($3)) || '%'`, "", words[2], words[0]))

		var upc string
		sqlValue(t, &upc, `SELECT upc FROM releases WHERE tenant_id = ANY($1::uuid[]) AND upc IS NOT NULL ORDER BY id LIMIT 1`, pq.Array(tenants))
		releases.check(t, "UPC", flM{"filter": flM{"search": upc}}, flReleaseRows.ids(t, tenants, text+` LIKE '%' || $2 || '%'`, "", upc))
	})

	t.Run("artist names", func(t *testing.T) {
		tenants := flTenants(t, "acme-music", true)
		var name string
		sqlValue(t, &name, `SELECT name FROM artists WHERE tenant_id = ANY($1::uuid[]) AND name <> unaccent(name) ORDER BY id LIMIT 1`, pq.Array(tenants))
		word := ""
		for _, w := range strings.Fields(name) {
			if !flIsASCII(w) {
				word = w
				break
			}
		}
		var folded string
		sqlValue(t, &folded, `SELECT upper(unaccent($1))`, word)
		want := flArtistRows.ids(t, tenants, `lower(unaccent(a.name)) LIKE '%' || lower(unaccent($2)) || '%'`, "", word)
		if len(want) == 0 {
			t.Fatalf("SQL should find the artist named %s", name)
		}
		flArtists("acme-music", true).check(t, "artist search "+folded, flM{"filter": flM{"search": folded}}, want)
	})

	t.Run("track title and ISRC", func(t *testing.T) {
		var release, isrc, title string
		sqlValue(t, &release, `SELECT release_id FROM tracks WHERE isrc IS NOT NULL GROUP BY release_id ORDER BY count(*) DESC, release_id LIMIT 1`)
		sqlValue(t, &isrc, `SELECT isrc FROM tracks WHERE release_id = $1 AND isrc IS NOT NULL ORDER BY position DESC LIMIT 1`, release)
		sqlValue(t, &title, `SELECT split_part(title, ' ', 1) FROM tracks WHERE release_id = $1 ORDER BY position LIMIT 1`, release)
		tracks := flTracks(release)
		text := `lower(unaccent(t.title || ' ' || coalesce(t.isrc, '')))`
		tracks.check(t, "isrc", flM{"filter": flM{"search": strings.ToLower(isrc)}},
			flTrackRows.ids(t, []string{release}, text+` LIKE '%' || lower($2) || '%'`, "", isrc))
		tracks.check(t, "title word", flM{"filter": flM{"search": title}},
			flTrackRows.ids(t, []string{release}, text+` LIKE '%' || lower(unaccent($2)) || '%'`, "", title))
	})
}

func flIsASCII(s string) bool {
	for _, r := range s {
		if r > 127 {
			return false
		}
	}
	return true
}

// flUUIDs decodes global IDs back to UUIDs for oracle parameters.
func flUUIDs(t testing.TB, ids []string) []string {
	t.Helper()
	out := make([]string, len(ids))
	for i, id := range ids {
		_, u, err := model.DecodeID(id)
		if err != nil {
			t.Fatal(err)
		}
		out[i] = u
	}
	return out
}

// ---------------------------------------------------------------------------
// Wildcards (seed 004) and the other text operations

func TestMembersFilterStrings(t *testing.T) {
	all := flAcme(t, "true")
	acme := tenantID(t, "acme-music")
	var some struct {
		ID      string `db:"id"`
		Email   string `db:"email"`
		Creator string `db:"created_by"`
	}
	sqlValue(t, &some, `SELECT u.id, u.email, u.created_by FROM memberships m JOIN users u ON u.id = m.user_id
		WHERE m.tenant_id = $1 AND NOT u.is_deleted AND u.created_by IS NOT NULL ORDER BY m.created_at, m.id LIMIT 1 OFFSET 7`, acme)
	var updater string
	sqlValue(t, &updater, `SELECT u.updated_by FROM memberships m JOIN users u ON u.id = m.user_id
		WHERE m.tenant_id = $1 AND NOT u.is_deleted AND u.updated_by IS DISTINCT FROM u.created_by AND u.updated_by IS NOT NULL
		ORDER BY m.created_at, m.id LIMIT 1`, acme)
	long200 := strings.Repeat("j", 199) + "*"
	cases := []struct {
		name   string
		filter flM
		cond   string
		args   []any
		empty  bool // the filter selects nothing, on purpose
		whole  bool // the filter selects everything, on purpose
	}{
		{"firstname=Jo*", flM{"firstName": flM{"like": "Jo*"}}, "u.first_name ILIKE 'Jo%'", nil, false, false},
		{"firstname=jo* ignores case", flM{"firstName": flM{"like": "jo*"}}, "u.first_name ILIKE 'jo%'", nil, false, false},
		{"email=*@company.fr", flM{"email": flM{"like": "*@company.fr"}}, "u.email ILIKE '%@company.fr'", nil, false, false},
		{"wildcard in the middle", flM{"email": flM{"like": "j*.1*@example.com"}}, "u.email ILIKE 'j%.1%@example.com'", nil, false, false},
		{"id=<8 chars>*", flM{"id": flM{"like": some.ID[:8] + "*"}}, "u.id::text LIKE $2 || '%'", []any{some.ID[:8]}, false, false},
		{"id uppercase pattern", flM{"id": flM{"like": strings.ToUpper(some.ID[:6]) + "*"}}, "u.id::text LIKE $2 || '%'", []any{some.ID[:6]}, false, false},
		{"created_by=<prefix>*", flM{"createdBy": flM{"like": some.Creator[:8] + "*"}}, "u.created_by::text LIKE $2 || '%'", []any{some.Creator[:8]}, false, false},
		{"updated_by=<prefix>*", flM{"updatedBy": flM{"like": updater[:8] + "*"}}, "u.updated_by::text LIKE $2 || '%'", []any{updater[:8]}, false, false},
		{"updated_by=*<suffix>", flM{"updatedBy": flM{"like": "*" + updater[28:]}}, "u.updated_by::text LIKE '%' || $2", []any{updater[28:]}, false, false},
		{"eq", flM{"firstName": flM{"eq": "Zoë"}}, "u.first_name = 'Zoë'", nil, false, false},
		{"eq is exact", flM{"firstName": flM{"eq": "zoë"}}, "u.first_name = 'zoë'", nil, true, false},
		{"email eq", flM{"email": flM{"eq": some.Email}}, "u.email = $2", []any{some.Email}, false, false},
		{"ne", flM{"firstName": flM{"ne": "Jane"}}, "u.first_name IS DISTINCT FROM 'Jane'", nil, false, false},
		{"in", flM{"lastName": flM{"in": []string{"Müller", "O'Brien", "de la Cruz"}}}, "u.last_name IN ('Müller', 'O''Brien', 'de la Cruz')", nil, false, false},
		{"notIn", flM{"lastName": flM{"notIn": []string{"Doe", "Smith"}}}, "u.last_name IS NULL OR u.last_name NOT IN ('Doe', 'Smith')", nil, false, false},
		{"contains", flM{"lastName": flM{"contains": "SS"}}, "u.last_name ILIKE '%ss%'", nil, false, false},
		{"contains an apostrophe", flM{"lastName": flM{"contains": "'b"}}, "u.last_name ILIKE '%''b%'", nil, false, false},
		{"startsWith", flM{"lastName": flM{"startsWith": "de "}}, "u.last_name ILIKE 'de %'", nil, false, false},
		{"startsWith is not a wildcard", flM{"firstName": flM{"startsWith": "J*"}}, "strpos(u.first_name, 'J*') = 1", nil, true, false},
		{"contains % is literal", flM{"firstName": flM{"contains": "%"}}, "strpos(u.first_name, '%') > 0", nil, true, false},
		{"like _ is literal", flM{"firstName": flM{"like": "J_n*"}}, "u.first_name LIKE 'J\\_n%'", nil, true, false},
		{"isNull true", flM{"nickname": flM{"isNull": true}}, "u.nickname IS NULL", nil, false, false},
		{"isNull false", flM{"nickname": flM{"isNull": false}}, "u.nickname IS NOT NULL", nil, false, false},
		{"like * alone", flM{"location": flM{"like": "*"}}, "u.location IS NOT NULL", nil, false, false},
		{"several operations in one input", flM{"firstName": flM{"startsWith": "J", "notIn": []string{"Jane", "John"}}},
			"u.first_name ILIKE 'J%' AND u.first_name NOT IN ('Jane', 'John')", nil, false, false},
		{"language code", flM{"language": flM{"in": []string{"fr", "de"}}}, "u.language_code IN ('fr', 'de')", nil, false, false},
		{"contains, non-ASCII case", flM{"companyName": flM{"contains": "éditions"}}, "u.company_name ILIKE '%éditions%'", nil, false, false},
		{"200-character pattern", flM{"firstName": flM{"like": long200}}, "false", nil, true, false},
	}
	members := flMembers("acme-music", false)
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			want := flAcme(t, tc.cond, tc.args...)
			switch {
			case tc.empty && len(want) != 0:
				t.Fatalf("the oracle should select nothing, selects %d", len(want))
			case tc.whole && len(want) != len(all):
				t.Fatalf("the oracle should select everything")
			case !tc.empty && !tc.whole:
				flMeaningful(t, tc.name, want, len(all))
			}
			members.check(t, tc.name, flM{"filter": tc.filter}, want)
		})
	}
}

// ne and notIn keep the rows where the field is null (schema and README),
// and so does not: "not Pop" keeps the members without a genre.
func TestMembersFilterNullSemantics(t *testing.T) {
	members := flMembers("acme-music", false)
	cases := []struct {
		name   string
		filter flM
		cond   string
		null   string // the column whose null rows must be kept
	}{
		{"genre ne", flM{"genre": flM{"ne": "Pop"}}, "u.genre IS DISTINCT FROM 'Pop'", "u.genre"},
		{"genre notIn", flM{"genre": flM{"notIn": []string{"Pop", "Rock"}}}, "u.genre IS NULL OR u.genre NOT IN ('Pop', 'Rock')", "u.genre"},
		{"not genre eq", flM{"not": flM{"genre": flM{"eq": "Pop"}}}, "u.genre IS DISTINCT FROM 'Pop'", "u.genre"},
		{"not lastName in", flM{"not": flM{"lastName": flM{"in": []string{"Doe"}}}}, "u.last_name IS DISTINCT FROM 'Doe'", "u.last_name"},
		{"lastName ne", flM{"lastName": flM{"ne": "Doe"}}, "u.last_name IS DISTINCT FROM 'Doe'", "u.last_name"},
		{"not lastLoginAt gte", flM{"not": flM{"lastLoginAt": flM{"gte": "2023-06-01T00:00:00Z"}}},
			"u.last_login_at IS NULL OR u.last_login_at < '2023-06-01T00:00:00Z'", "u.last_login_at"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			want := flAcme(t, tc.cond)
			nulls := flAcme(t, tc.null+" IS NULL")
			if len(nulls) == 0 {
				t.Fatalf("the seed should have acme-music members with %s null", tc.null)
			}
			for _, id := range nulls {
				if !slices.Contains(want, id) {
					t.Fatalf("oracle for %s does not keep %s null", tc.name, tc.null)
				}
			}
			members.check(t, tc.name, flM{"filter": tc.filter}, want)
		})
	}
}

// ---------------------------------------------------------------------------
// ids, roles, genres with +include / -exclude (seed 002)

func TestMembersFilterInNotIn(t *testing.T) {
	all := flAcme(t, "true")
	members := flMembers("acme-music", false)
	picked := flUUIDs(t, []string{all[3], all[100], all[250], all[400]})
	// Global IDs and plain UUIDs, mixed.
	mixed := []string{gid(model.TypeUser, picked[0]), picked[1], gid(model.TypeUser, picked[2]), strings.ToUpper(picked[3])}
	var owner string
	sqlValue(t, &owner, `SELECT user_id FROM memberships WHERE tenant_id = $1 AND role = 'OWNER' ORDER BY created_at LIMIT 1`, tenantID(t, "acme-music"))
	cases := []struct {
		name   string
		filter flM
		cond   string
		args   []any
	}{
		{"ids", flM{"id": flM{"in": mixed}}, "u.id = ANY($2::uuid[])", []any{pq.Array(picked)}},
		{"-ids", flM{"id": flM{"notIn": mixed}}, "u.id <> ALL($2::uuid[])", []any{pq.Array(picked)}},
		{"id eq global", flM{"id": flM{"eq": mixed[0]}}, "u.id = $2", []any{picked[0]}},
		{"id eq plain", flM{"id": flM{"eq": picked[1]}}, "u.id = $2", []any{picked[1]}},
		{"id ne", flM{"id": flM{"ne": mixed[2]}}, "u.id <> $2", []any{picked[2]}},
		{"+ids -id", flM{"id": flM{"in": mixed, "notIn": []string{mixed[1]}}}, "u.id = ANY($2::uuid[]) AND u.id <> $3", []any{pq.Array(picked), picked[1]}},
		{"roles", flM{"role": flM{"in": []string{"Producer", "Singer"}}}, "u.role IN ('Producer', 'Singer')", nil},
		{"-roles", flM{"role": flM{"notIn": []string{"Producer", "Singer"}}}, "u.role IS NULL OR u.role NOT IN ('Producer', 'Singer')", nil},
		{"genres", flM{"genre": flM{"in": []string{"Pop", "R&B", "Hip-Hop"}}}, "u.genre IN ('Pop', 'R&B', 'Hip-Hop')", nil},
		{"-genres", flM{"genre": flM{"notIn": []string{"Pop", "R&B"}}}, "u.genre IS NULL OR u.genre NOT IN ('Pop', 'R&B')", nil},
		{"+genres -genre", flM{"genre": flM{"in": []string{"Pop", "Rock"}, "notIn": []string{"Rock"}}}, "u.genre = 'Pop'", nil},
		{"created_by in", flM{"createdBy": flM{"in": []string{gid(model.TypeUser, owner)}}}, "u.created_by = $2", []any{owner}},
		{"created_by isNull", flM{"createdBy": flM{"isNull": true}}, "u.created_by IS NULL", nil},
		{"membership roles", flM{"membershipRole": flM{"in": []string{"OWNER", "ADMIN"}}}, "m.role IN ('OWNER', 'ADMIN')", nil},
		{"-membership role", flM{"membershipRole": flM{"notIn": []string{"USER"}}}, "m.role <> 'USER'", nil},
		{"membership status ne", flM{"membershipStatus": flM{"ne": "ACTIVE"}}, "m.status <> 'ACTIVE'", nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			want := flAcme(t, tc.cond, tc.args...)
			flMeaningful(t, tc.name, want, len(all))
			members.check(t, tc.name, flM{"filter": tc.filter}, want)
		})
	}

	t.Run("artists by brand and release artists", func(t *testing.T) {
		tenants := flTenants(t, "acme-music", true)
		var brands []string
		sqlRows(t, &brands, `SELECT brand_id FROM artists WHERE tenant_id = ANY($1::uuid[]) AND brand_id IS NOT NULL
			GROUP BY brand_id ORDER BY count(*) DESC, brand_id LIMIT 2`, pq.Array(tenants))
		flArtists("acme-music", true).check(t, "-brands", flM{"filter": flM{"brand": flM{"notIn": []string{gid(model.TypeBrand, brands[0]), brands[1]}}}},
			flArtistRows.ids(t, tenants, "a.brand_id IS NULL OR a.brand_id <> ALL($2::uuid[])", "", pq.Array(brands)))
		var artist string
		sqlValue(t, &artist, `SELECT ra.artist_id FROM release_artists ra JOIN releases r ON r.id = ra.release_id
			WHERE r.tenant_id = ANY($1::uuid[]) GROUP BY ra.artist_id ORDER BY count(*) DESC, ra.artist_id LIMIT 1`, pq.Array(tenants))
		flReleases("acme-music", true).check(t, "release artist", flM{"filter": flM{"artist": flM{"in": []string{gid(model.TypeArtist, artist)}}}},
			flReleaseRows.ids(t, tenants, "EXISTS (SELECT 1 FROM release_artists x WHERE x.release_id = r.id AND x.artist_id = $2)", "", artist))
		flReleases("acme-music", true).check(t, "release status notIn", flM{"filter": flM{"status": flM{"notIn": []string{"DRAFT", "DELIVERED"}}}},
			flReleaseRows.ids(t, tenants, "r.status NOT IN ('DRAFT', 'DELIVERED')", ""))
	})
}

// Two aliases of one list whose filters differ only in their list values
// are two lists: ["Pop Rock"] is one genre that nobody has, ["Pop", "Rock"]
// two genres that many have. In one request each alias must answer what
// it answers alone (count, page and facets), however the server batches.
func TestMembersFilterListValuesKeepAliasesApart(t *testing.T) {
	const sel = `{ totalCount edges { node { id } } facets { genre { value count } } }`
	type answer struct {
		TotalCount int `json:"totalCount"`
		Edges      []struct {
			Node struct {
				ID string `json:"id"`
			} `json:"node"`
		} `json:"edges"`
		Facets struct {
			Genre []flBucket `json:"genre"`
		} `json:"facets"`
	}
	show := func(a answer) string { b, _ := json.Marshal(a); return truncate(string(b), 300) }
	for _, tc := range []struct {
		name string
		a, b string // filter arguments, equal but for the list values
	}{
		{"one value with a space, two values", `{genre: {in: ["Pop Rock"]}}`, `{genre: {in: ["Pop", "Rock"]}}`},
		{"notIn", `{genre: {notIn: ["Pop Rock"]}}`, `{genre: {notIn: ["Pop", "Rock"]}}`},
		{"a comma inside a value", `{genre: {in: ["Pop,Rock"]}}`, `{genre: {in: ["Pop", "Rock"]}}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			list := func(alias, f string) string {
				return alias + `: members(first: 50, filter: ` + f + `) ` + sel
			}
			alone := func(f string) answer {
				var d struct {
					Tenant struct{ A answer } `json:"tenant"`
				}
				query(t, `{ tenant(slug: "acme-music") { `+list("a", f)+` } }`, nil, &d)
				return d.Tenant.A
			}
			wantA, wantB := alone(tc.a), alone(tc.b)
			if show(wantA) == show(wantB) || wantA.TotalCount == wantB.TotalCount {
				t.Fatalf("the demo data should tell %s from %s apart: both answer %s", tc.a, tc.b, show(wantA))
			}
			for _, order := range [][2]string{{"a", "b"}, {"b", "a"}} {
				f := map[string]string{"a": tc.a, "b": tc.b}
				var d struct {
					Tenant struct{ A, B answer } `json:"tenant"`
				}
				query(t, `{ tenant(slug: "acme-music") { `+list(order[0], f[order[0]])+` `+list(order[1], f[order[1]])+` } }`, nil, &d)
				if show(d.Tenant.A) != show(wantA) {
					t.Errorf("alias a %s beside b %s: got %s, alone it answers %s", tc.a, tc.b, show(d.Tenant.A), show(wantA))
				}
				if show(d.Tenant.B) != show(wantB) {
					t.Errorf("alias b %s beside a %s: got %s, alone it answers %s", tc.b, tc.a, show(d.Tenant.B), show(wantB))
				}
			}
		})
	}
}

// ---------------------------------------------------------------------------
// Date-time ranges: fromDate/toDate (seed 000), newerThan/olderThan (seed 002)

func TestMembersFilterDateTimes(t *testing.T) {
	all := flAcme(t, "true")
	acme := tenantID(t, "acme-music")
	members := flMembers("acme-music", false)
	var b struct {
		Lo     time.Time `db:"lo"`
		Hi     time.Time `db:"hi"`
		Shared time.Time `db:"shared"`
	}
	// Quartiles of the members' creation, and an instant two users share.
	sqlValue(t, &b, `SELECT
		(SELECT percentile_disc(0.25) WITHIN GROUP (ORDER BY u.created_at) FROM memberships m JOIN users u ON u.id = m.user_id WHERE m.tenant_id = $1) AS lo,
		(SELECT percentile_disc(0.75) WITHIN GROUP (ORDER BY u.created_at) FROM memberships m JOIN users u ON u.id = m.user_id WHERE m.tenant_id = $1) AS hi,
		(SELECT u.created_at FROM memberships m JOIN users u ON u.id = m.user_id WHERE m.tenant_id = $1 AND NOT u.is_deleted
			ORDER BY m.created_at LIMIT 1 OFFSET 100) AS shared`, acme)
	var joined struct {
		Lo time.Time `db:"lo"`
		Hi time.Time `db:"hi"`
	}
	sqlValue(t, &joined, `SELECT percentile_disc(0.4) WITHIN GROUP (ORDER BY created_at) AS lo,
		percentile_disc(0.6) WITHIN GROUP (ORDER BY created_at) AS hi FROM memberships WHERE tenant_id = $1`, acme)
	paris := time.FixedZone("CEST", 2*60*60)
	cases := []struct {
		name   string
		args   flM
		cond   string
		params []any
	}{
		{"fromDate/toDate", flM{"filter": flM{"createdAt": flM{"gte": flTime(b.Lo), "lte": flTime(b.Hi)}}},
			"u.created_at >= $2 AND u.created_at <= $3", []any{b.Lo, b.Hi}},
		{"newerThan", flM{"filter": flM{"createdAt": flM{"gt": flTime(b.Shared)}}}, "u.created_at > $2", []any{b.Shared}},
		{"gte includes the instant", flM{"filter": flM{"createdAt": flM{"gte": flTime(b.Shared)}}}, "u.created_at >= $2", []any{b.Shared}},
		{"olderThan", flM{"filter": flM{"createdAt": flM{"lt": flTime(b.Shared)}}}, "u.created_at < $2", []any{b.Shared}},
		{"lte includes the instant", flM{"filter": flM{"createdAt": flM{"lte": flTime(b.Shared)}}}, "u.created_at <= $2", []any{b.Shared}},
		{"offset time zone", flM{"filter": flM{"createdAt": flM{"lt": b.Hi.In(paris).Format(time.RFC3339)}}}, "u.created_at < $2", []any{b.Hi}},
		{"lastLoginAt isNull", flM{"filter": flM{"lastLoginAt": flM{"isNull": true}}}, "u.last_login_at IS NULL", nil},
		{"lastLoginAt not null and recent", flM{"filter": flM{"lastLoginAt": flM{"isNull": false, "gte": "2024-01-01T00:00:00Z"}}},
			"u.last_login_at >= '2024-01-01T00:00:00Z'", nil},
		{"joinedAt range", flM{"filter": flM{"joinedAt": flM{"gt": flTime(joined.Lo), "lt": flTime(joined.Hi)}}},
			"m.created_at > $2 AND m.created_at < $3", []any{joined.Lo, joined.Hi}},
		{"lastSeenAt", flM{"filter": flM{"lastSeenAt": flM{"lt": "2024-01-01T00:00:00Z"}}}, "m.last_seen_at < '2024-01-01T00:00:00Z'", nil},
		{"expiresAt", flM{"filter": flM{"expiresAt": flM{"gte": "2050-01-01T00:00:00Z"}}}, "u.expires_at >= '2050-01-01T00:00:00Z'", nil},
		{"updatedAt", flM{"filter": flM{"updatedAt": flM{"gt": "2023-06-01T00:00:00Z"}}}, "u.updated_at > '2023-06-01T00:00:00Z'", nil},
		{"query range", flM{"query": "created:" + flTime(b.Lo) + ".." + flTime(b.Hi)}, "u.created_at BETWEEN $2 AND $3", []any{b.Lo, b.Hi}},
		{"query >=", flM{"query": "created_at:>=" + flTime(b.Shared)}, "u.created_at >= $2", []any{b.Shared}},
		{"query <", flM{"query": "createdAt:<" + flTime(b.Shared)}, "u.created_at < $2", []any{b.Shared}},
		{"query between", flM{"query": "joined:between:" + flTime(joined.Lo) + "|" + flTime(joined.Hi)},
			"m.created_at BETWEEN $2 AND $3", []any{joined.Lo, joined.Hi}},
		{"query null", flM{"query": "last_login_at:null"}, "u.last_login_at IS NULL", nil},
		{"query bare date", flM{"query": "lastLogin:<2024-01-01"}, "u.last_login_at < '2024-01-01T00:00:00Z'", nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			want := flAcme(t, tc.cond, tc.params...)
			flMeaningful(t, tc.name, want, len(all))
			members.check(t, tc.name, tc.args, want)
		})
	}
}

func TestListFilterReleaseDates(t *testing.T) {
	tenants := flTenants(t, "acme-music", false)
	releases := flReleases("acme-music", false)
	everything := len(flReleaseRows.ids(t, tenants, "true", ""))
	var d struct {
		Lo string `db:"lo"`
		Hi string `db:"hi"`
	}
	sqlValue(t, &d, `SELECT to_char(percentile_disc(0.3) WITHIN GROUP (ORDER BY release_date), 'YYYY-MM-DD') AS lo,
		to_char(percentile_disc(0.7) WITHIN GROUP (ORDER BY release_date), 'YYYY-MM-DD') AS hi
		FROM releases WHERE tenant_id = ANY($1::uuid[])`, pq.Array(tenants))
	cases := []struct {
		name string
		args flM
		cond string
	}{
		{"range", flM{"filter": flM{"releaseDate": flM{"gte": d.Lo, "lte": d.Hi}}}, "r.release_date BETWEEN $2::date AND $3::date"},
		{"gt", flM{"filter": flM{"releaseDate": flM{"gt": d.Lo}}}, "r.release_date > $2::date AND $3::text IS NOT NULL"},
		{"lt", flM{"filter": flM{"releaseDate": flM{"lt": d.Hi}}}, "$2::text IS NOT NULL AND r.release_date < $3::date"},
		{"eq", flM{"filter": flM{"releaseDate": flM{"eq": d.Lo}}}, "r.release_date = $2::date AND $3::text IS NOT NULL"},
		{"isNull", flM{"filter": flM{"releaseDate": flM{"isNull": true}}}, "r.release_date IS NULL AND $2::text || $3::text IS NOT NULL"},
		{"not lte keeps undated", flM{"filter": flM{"not": flM{"releaseDate": flM{"lte": d.Hi}}}},
			"(r.release_date IS NULL OR r.release_date > $3::date) AND $2::text IS NOT NULL"},
		{"query range", flM{"query": "release_date:" + d.Lo + ".." + d.Hi}, "r.release_date BETWEEN $2::date AND $3::date"},
		{"createdAt", flM{"filter": flM{"createdAt": flM{"gte": d.Lo + "T00:00:00Z"}}}, "r.created_at >= $2::date::timestamp AT TIME ZONE 'UTC' AND $3::text IS NOT NULL"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			want := flReleaseRows.ids(t, tenants, tc.cond, "", d.Lo, d.Hi)
			if tc.name != "createdAt" {
				flMeaningful(t, tc.name, want, everything)
			}
			releases.check(t, tc.name, tc.args, want)
		})
	}
}

// ---------------------------------------------------------------------------
// brand_ids (seed 003)

func TestMembersFilterBrand(t *testing.T) {
	acme := tenantID(t, "acme-music")
	all := flAcme(t, "true")
	var brands []string
	sqlRows(t, &brands, `SELECT brand_id FROM brand_access WHERE tenant_id = $1 GROUP BY brand_id ORDER BY count(*) DESC, brand_id`, acme)
	if len(brands) < 2 {
		t.Fatalf("the seed should give acme-music at least 2 brands with access grants, got %d", len(brands))
	}
	const access = "EXISTS (SELECT 1 FROM brand_access ba WHERE ba.user_id = u.id AND ba.tenant_id = m.tenant_id AND ba.brand_id = ANY($2::uuid[]))"
	members := flMembers("acme-music", false)
	cases := []struct {
		name   string
		filter flM
		cond   string
		ids    []string
	}{
		{"brand_ids one", flM{"brand": flM{"in": []string{gid(model.TypeBrand, brands[0])}}}, access, brands[:1]},
		{"brand_ids two, plain and global", flM{"brand": flM{"in": []string{brands[0], gid(model.TypeBrand, brands[1])}}}, access, brands[:2]},
		{"brand eq", flM{"brand": flM{"eq": gid(model.TypeBrand, brands[1])}}, access, brands[1:2]},
		{"not brand", flM{"brand": flM{"notIn": []string{gid(model.TypeBrand, brands[0])}}}, "NOT " + access, brands[:1]},
		{"no brand access", flM{"brand": flM{"isNull": true}}, "NOT EXISTS (SELECT 1 FROM brand_access ba WHERE ba.user_id = u.id AND ba.tenant_id = m.tenant_id) AND $2::uuid[] IS NOT NULL", brands},
		{"some brand access", flM{"brand": flM{"isNull": false}}, "EXISTS (SELECT 1 FROM brand_access ba WHERE ba.user_id = u.id AND ba.tenant_id = m.tenant_id) AND $2::uuid[] IS NOT NULL", brands},
		{"brand and role", flM{"brand": flM{"in": []string{gid(model.TypeBrand, brands[0])}}, "membershipRole": flM{"eq": "USER"}}, access + " AND m.role = 'USER'", brands[:1]},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			want := flAcme(t, tc.cond, pq.Array(tc.ids))
			flMeaningful(t, tc.name, want, len(all))
			members.check(t, tc.name, flM{"filter": tc.filter}, want)
		})
	}

	t.Run("brand of a subsidiary in the parent's list", func(t *testing.T) {
		tenants := flTenants(t, "acme-music", true)
		var frBrand string
		sqlValue(t, &frBrand, `SELECT ba.brand_id FROM brand_access ba WHERE ba.tenant_id = $1 GROUP BY 1 ORDER BY count(*) DESC, 1 LIMIT 1`, tenantID(t, "acme-music-fr"))
		// Access through any membership in the tree: a user represented by
		// their acme-music membership is found by acme-music-fr's brand.
		const treeAccess = "EXISTS (SELECT 1 FROM brand_access ba WHERE ba.user_id = u.id AND ba.tenant_id = ANY($1::uuid[]) AND ba.brand_id = ANY($2::uuid[]))"
		want := flUserRows.ids(t, tenants, flLive+" AND "+treeAccess, "", pq.Array([]string{frBrand}))
		if len(want) == 0 {
			t.Fatal("the seed should give acme-music-fr's brand some members")
		}
		flMembers("acme-music", true).check(t, "fr brand", flM{"filter": flM{"brand": flM{"in": []string{gid(model.TypeBrand, frBrand)}}}}, want)
		flMembers("acme-music", true).check(t, "fr brand, query syntax", flM{"query": "brand_ids:" + gid(model.TypeBrand, frBrand)}, want)
		flMembers("acme-music", false).check(t, "fr brand, own rows only", flM{"filter": flM{"brand": flM{"in": []string{frBrand}}}}, nil)
	})
}

// ---------------------------------------------------------------------------
// customer_id + include_subsidiaries (seed 004)

func TestListFilterSubsidiaries(t *testing.T) {
	own := flTenants(t, "acme-music", false)
	tree := flTenants(t, "acme-music", true)
	if len(tree) < 2 {
		t.Fatal("acme-music should have a subsidiary in the seed")
	}
	const byDefault = `query($filter: UserFilter, $first: Int, $after: String) { tenant(slug: "acme-music") {
		members(first: $first, after: $after, filter: $filter) { totalCount pageInfo { hasNextPage endCursor } edges { node { id } } } } }`

	t.Run("members: default includes subsidiaries", func(t *testing.T) {
		for _, f := range []flM{nil, {"membershipRole": flM{"eq": "ADMIN"}}} {
			cond := "true"
			if f != nil {
				cond = "m.role = 'ADMIN'"
			}
			want := flUserRows.ids(t, tree, flLive+" AND "+cond, "")
			// The argument left out: seed 004's default.
			l := flList{name: "members without includeSubsidiaries", query: byDefault, path: []string{"tenant", "members"}, vars: flM{}}
			l.check(t, "default", flM{"filter": f}, want)
			flMembers("acme-music", true).check(t, "includeSubsidiaries: true", flM{"filter": f}, want)
			ownWant := flUserRows.ids(t, own, flLive+" AND "+cond, "")
			if len(ownWant) >= len(want) {
				t.Fatalf("the subsidiary should add members: %d own, %d with subsidiaries", len(ownWant), len(want))
			}
			flMembers("acme-music", false).check(t, "includeSubsidiaries: false", flM{"filter": f}, ownWant)
		}
	})

	t.Run("artists", func(t *testing.T) {
		want := flArtistRows.ids(t, tree, "a.genre IS NOT NULL", "")
		flArtists("acme-music", true).check(t, "with subsidiaries", flM{"filter": flM{"genre": flM{"isNull": false}}}, want)
		ownWant := flArtistRows.ids(t, own, "a.genre IS NOT NULL", "")
		if len(ownWant) >= len(want) {
			t.Fatalf("the subsidiary should add artists")
		}
		flArtists("acme-music", false).check(t, "own", flM{"filter": flM{"genre": flM{"isNull": false}}}, ownWant)
		var c conn
		if err := json.Unmarshal(flAt(t, `{ tenant(slug: "acme-music") { artists(first: 0) { totalCount } } }`, nil, "tenant", "artists"), &c); err != nil {
			t.Fatal(err)
		}
		if n := len(flArtistRows.ids(t, tree, "true", "")); c.TotalCount == nil || *c.TotalCount != n {
			t.Fatalf("artists without includeSubsidiaries: totalCount %v, SQL counts %d over the tenant and its subsidiaries", c.TotalCount, n)
		}
	})

	t.Run("releases", func(t *testing.T) {
		want := flReleaseRows.ids(t, tree, "r.status = 'DELIVERED'", "")
		flReleases("acme-music", true).check(t, "with subsidiaries", flM{"query": "status:DELIVERED"}, want)
		flReleases("acme-music", false).check(t, "own", flM{"query": "status:DELIVERED"}, flReleaseRows.ids(t, own, "r.status = 'DELIVERED'", ""))
		var c conn
		if err := json.Unmarshal(flAt(t, `{ tenant(slug: "acme-music") { releases(first: 0, filter: {status: {eq: DELIVERED}}) { totalCount } } }`, nil, "tenant", "releases"), &c); err != nil {
			t.Fatal(err)
		}
		if c.TotalCount == nil || *c.TotalCount != len(want) {
			t.Fatalf("releases without includeSubsidiaries: totalCount %v, SQL counts %d", c.TotalCount, len(want))
		}
	})

	t.Run("a subsidiary's lists are its own", func(t *testing.T) {
		fr := flTenants(t, "acme-music-fr", true)
		if len(fr) != 1 {
			t.Fatalf("acme-music-fr should have no subsidiaries, SQL finds %d tenants in its tree", len(fr))
		}
		flMembers("acme-music-fr", true).check(t, "fr members", nil, flUserRows.ids(t, fr, flLive, ""))
		flReleases("acme-music-fr", true).check(t, "fr releases", nil, flReleaseRows.ids(t, fr, "true", ""))
	})
}

// ---------------------------------------------------------------------------
// filters=field:operator:values (seed 003): and / or / not, and the query syntax

func TestMembersFilterNested(t *testing.T) {
	all := flAcme(t, "true")
	var mid time.Time
	sqlValue(t, &mid, `SELECT percentile_disc(0.5) WITHIN GROUP (ORDER BY u.created_at) FROM memberships m JOIN users u ON u.id = m.user_id WHERE m.tenant_id = $1`,
		tenantID(t, "acme-music"))
	members := flMembers("acme-music", false)
	cases := []struct {
		name   string
		filter flM
		cond   string
		args   []any
	}{
		{"tree", flM{
			"and": []any{
				flM{"or": []any{flM{"genre": flM{"in": []string{"Pop", "R&B", "Rock"}}}, flM{"role": flM{"eq": "Producer"}}}},
				flM{"not": flM{"membershipStatus": flM{"eq": "DEACTIVATED"}}},
				flM{"not": flM{"or": []any{flM{"lastName": flM{"isNull": true}}, flM{"firstName": flM{"like": "J*"}}}}},
			},
			"createdAt": flM{"gte": flTime(mid)},
		}, `(u.genre IN ('Pop', 'R&B', 'Rock') OR u.role = 'Producer') AND m.status <> 'DEACTIVATED'
			AND NOT (u.last_name IS NULL OR coalesce(u.first_name ILIKE 'J%', false)) AND u.created_at >= $2`, []any{mid}},
		{"or of ands", flM{"or": []any{
			flM{"and": []any{flM{"membershipRole": flM{"eq": "ADMIN"}}, flM{"language": flM{"eq": "fr"}}}},
			flM{"genre": flM{"eq": "Jazz"}, "nickname": flM{"isNull": false}},
			flM{"id": flM{"eq": all[7]}},
		}}, `(m.role = 'ADMIN' AND u.language_code = 'fr') OR (u.genre = 'Jazz' AND u.nickname IS NOT NULL) OR u.id = $2`, []any{flUUIDs(t, all[7:8])[0]}},
		{"double not", flM{"not": flM{"not": flM{"genre": flM{"eq": "Pop"}}}}, "u.genre = 'Pop'", nil},
		{"not and", flM{"not": flM{"and": []any{flM{"genre": flM{"eq": "Pop"}}, flM{"role": flM{"isNull": false}}}}},
			"NOT coalesce(u.genre = 'Pop' AND u.role IS NOT NULL, false)", nil},
		{"empty and is everything", flM{"and": []any{}, "genre": flM{"eq": "Rock"}}, "u.genre = 'Rock'", nil},
		{"or with empty filter", flM{"or": []any{flM{}, flM{"genre": flM{"eq": "Rock"}}}}, "true", nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			want := flAcme(t, tc.cond, tc.args...)
			if tc.name != "or with empty filter" {
				flMeaningful(t, tc.name, want, len(all))
			}
			members.check(t, tc.name, flM{"filter": tc.filter}, want)
		})
	}

	t.Run("six levels", func(t *testing.T) {
		f := flM{"genre": flM{"eq": "Pop"}}
		for range 6 {
			f = flM{"not": f}
		}
		members.check(t, "six nots", flM{"filter": f}, flAcme(t, "u.genre = 'Pop'"))
	})
}

func TestMembersFilterQuerySyntax(t *testing.T) {
	acme := tenantID(t, "acme-music")
	var from time.Time
	sqlValue(t, &from, `SELECT percentile_disc(0.3) WITHIN GROUP (ORDER BY u.created_at) FROM memberships m JOIN users u ON u.id = m.user_id WHERE m.tenant_id = $1`, acme)
	var jo string
	sqlValue(t, &jo, `SELECT u.email FROM memberships m JOIN users u ON u.id = m.user_id
		WHERE m.tenant_id = $1 AND NOT u.is_deleted AND u.first_name = 'Jonas' ORDER BY m.created_at LIMIT 1`, acme)
	cases := []struct {
		name   string
		subs   bool
		args   flM
		cond   string
		params []any
	}{
		{"seed 002/003 search box", true, flM{"query": "role:Producer,Singer genre:Pop,R&B,Rock -status:DEACTIVATED created:>=" + flTime(from) + " email:*@example.com"},
			`u.role IN ('Producer', 'Singer') AND u.genre IN ('Pop', 'R&B', 'Rock') AND m.status <> 'DEACTIVATED' AND u.created_at >= $2 AND u.email ILIKE '%@example.com'`, []any{from}},
		{"status:in:ACTIVE|DEACTIVATED", false, flM{"query": "status:in:ACTIVE|DEACTIVATED tenant_role:in:owner|admin"}, "m.role IN ('OWNER', 'ADMIN')", nil},
		{"status:eq:DEACTIVATED", false, flM{"query": "status:eq:DEACTIVATED"}, "m.status = 'DEACTIVATED'", nil},
		{"firstName:startswith:Jo", false, flM{"query": "firstName:startswith:Jo"}, "u.first_name ILIKE 'Jo%'", nil},
		{"given_name:like:jo*", false, flM{"query": "given_name:like:jo*"}, "u.first_name ILIKE 'jo%'", nil},
		{"lastname:nin:Doe|Smith", false, flM{"query": "lastname:nin:Doe|Smith"}, "u.last_name IS NULL OR u.last_name NOT IN ('Doe', 'Smith')", nil},
		{"family_name:contains", false, flM{"query": `family_name:contains:"de la"`}, "u.last_name ILIKE '%de la%'", nil},
		{"nickname:isnull:true", false, flM{"query": "nickname:isnull:true"}, "u.nickname IS NULL", nil},
		{"nickname:!null", false, flM{"query": "nickname:!null"}, "u.nickname IS NOT NULL", nil},
		{"OR", false, flM{"query": "genre:Jazz OR role:DJ"}, "u.genre = 'Jazz' OR u.role = 'DJ'", nil},
		{"parentheses", false, flM{"query": "(genre:Jazz OR genre:Latin) (role:DJ OR role:null) -language:fr"},
			"u.genre IN ('Jazz', 'Latin') AND (u.role = 'DJ' OR u.role IS NULL) AND u.language_code IS DISTINCT FROM 'fr'", nil},
		{"AND binds tighter than OR", false, flM{"query": "genre:Jazz role:DJ OR genre:Latin AND tenantRole:USER"},
			"(u.genre = 'Jazz' AND u.role = 'DJ') OR (u.genre = 'Latin' AND m.role = 'USER')", nil},
		{"NOT group", false, flM{"query": "NOT (genre:Pop OR genre:Rock)"}, "u.genre IS NULL OR u.genre NOT IN ('Pop', 'Rock')", nil},
		{"words and fields", false, flM{"query": "jonas genre:!null"}, flUserText + " LIKE '%jonas%' AND u.genre IS NOT NULL", nil},
		{"quoted value", false, flM{"query": `email:"` + jo + `"`}, "u.email = $2", []any{jo}},
		{"filter and query are ANDed", false, flM{"filter": flM{"membershipRole": flM{"eq": "USER"}, "language": flM{"eq": "en"}}, "query": "genre:Jazz,Latin OR role:Manager"},
			"m.role = 'USER' AND u.language_code = 'en' AND (u.genre IN ('Jazz', 'Latin') OR u.role = 'Manager')", nil},
		{"ids list", false, flM{"query": "ids:" + strings.Join(flUUIDs(t, flAcme(t, "true")[:3]), ",")}, "u.id = ANY($2::uuid[])", []any{pq.Array(flUUIDs(t, flAcme(t, "true")[:3]))}},
		{"dsp plan", false, flM{"query": "dsp_plan_subscribed:true"}, "u.dsp_plan_subscribed", nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			tenants := flTenants(t, "acme-music", tc.subs)
			want := flUserRows.ids(t, tenants, flLive+" AND ("+tc.cond+")", "", tc.params...)
			everything := len(flUserRows.ids(t, tenants, flLive, ""))
			flMeaningful(t, tc.name, want, everything)
			flMembers("acme-music", tc.subs).check(t, tc.name, tc.args, want)
		})
	}

	t.Run("same rows as the typed filter", func(t *testing.T) {
		members := flMembers("acme-music", false)
		a, _ := members.all(t, flM{"query": "genre:Pop,Rock -membershipRole:USER"})
		b, _ := members.all(t, flM{"filter": flM{"genre": flM{"in": []string{"Pop", "Rock"}}, "not": flM{"membershipRole": flM{"eq": "USER"}}}})
		if d := diffIDs(a, b); d != "" {
			t.Fatalf("query and filter disagree: %s", d)
		}
	})
}

// Terminated users (users.is_deleted) leave member lists unless the filter
// names isDeleted.
func TestMembersFilterDeletedUsers(t *testing.T) {
	acme := tenantID(t, "acme-music")
	members := flMembers("acme-music", false)
	all := flUserRows.ids(t, []string{acme}, "true", "")
	deleted := flUserRows.ids(t, []string{acme}, "u.is_deleted", "")
	live := flAcme(t, "true")
	if len(deleted) == 0 {
		t.Fatal("the seed should have terminated members in acme-music")
	}
	members.check(t, "default", nil, live)
	members.check(t, "isDeleted: true", flM{"filter": flM{"isDeleted": true}}, deleted)
	members.check(t, "isDeleted: false", flM{"filter": flM{"isDeleted": false}}, live)
	members.check(t, "is_deleted:true", flM{"query": "is_deleted:true"}, deleted)
	members.check(t, "either", flM{"filter": flM{"or": []any{flM{"isDeleted": true}, flM{"isDeleted": false}}}}, all)
	members.check(t, "by id, hidden", flM{"filter": flM{"id": flM{"eq": deleted[0]}}}, nil)
	members.check(t, "by id, asked for", flM{"filter": flM{"id": flM{"eq": deleted[0]}, "isDeleted": true}}, deleted[:1])
	members.check(t, "deleted admins", flM{"filter": flM{"isDeleted": true, "membershipRole": flM{"ne": "OWNER"}}},
		flUserRows.ids(t, []string{acme}, "u.is_deleted AND m.role <> 'OWNER'", ""))
}

// ---------------------------------------------------------------------------
// orderBy (orderByProperty, sort_by_key, sortOrder, sort[])

func flOrder(keys ...string) []any {
	out := make([]any, 0, len(keys))
	for _, k := range keys {
		field, dir, _ := strings.Cut(k, " ")
		out = append(out, flM{"field": field, "direction": dir})
	}
	return out
}

// Orderings by names compare with the collation catalogue_name, as the
// server's order keys do (migration 0012); TestParityNamesSortAsPeopleReadThem
// checks that it sorts names as people read them.
func TestListFilterOrderByWalks(t *testing.T) {
	acme := flTenants(t, "acme-music", false)
	tree := flTenants(t, "acme-music", true)
	cases := []struct {
		name  string
		list  flList
		args  flM
		kind  flKind
		ids   []string
		cond  string
		order string
		size  int
	}{
		{"members LAST_NAME ASC, CREATED_AT DESC", flMembers("acme-music", false),
			flM{"orderBy": flOrder("LAST_NAME ASC", "CREATED_AT DESC")}, flUserRows, acme, flLive,
			"u.last_name COLLATE catalogue_name ASC NULLS LAST, u.created_at DESC NULLS LAST, m.id DESC", 37},
		{"members LAST_NAME DESC, CREATED_AT ASC", flMembers("acme-music", false),
			flM{"orderBy": flOrder("LAST_NAME DESC", "CREATED_AT ASC")}, flUserRows, acme, flLive,
			"u.last_name COLLATE catalogue_name DESC NULLS LAST, u.created_at ASC, m.id ASC", 41},
		{"members GENRE ASC, ROLE DESC (two nullable keys), filtered", flMembers("acme-music", true),
			flM{"orderBy": flOrder("GENRE ASC", "ROLE DESC"), "filter": flM{"membershipStatus": flM{"eq": "ACTIVE"}}}, flUserRows, tree,
			flLive + " AND m.status = 'ACTIVE'", "u.genre ASC NULLS LAST, u.role DESC NULLS LAST, m.id DESC", 97},
		{"members LAST_LOGIN_AT DESC", flMembers("acme-music", false),
			flM{"orderBy": flOrder("LAST_LOGIN_AT DESC")}, flUserRows, acme, flLive, "u.last_login_at DESC NULLS LAST, m.id DESC", 53},
		{"members MEMBERSHIP_ROLE, JOINED_AT DESC, query", flMembers("acme-music", false),
			flM{"orderBy": flOrder("MEMBERSHIP_ROLE ASC", "JOINED_AT DESC"), "query": "lastname:!null"}, flUserRows, acme,
			flLive + " AND u.last_name IS NOT NULL", "m.role ASC, m.created_at DESC, m.id DESC", 60},
		{"members FIRST_NAME DESC, EMAIL ASC", flMembers("acme-music", false),
			flM{"orderBy": flOrder("FIRST_NAME DESC", "EMAIL ASC")}, flUserRows, acme, flLive,
			"u.first_name COLLATE catalogue_name DESC NULLS LAST, u.email ASC, m.id ASC", 70},
		{"members LAST_SEEN_AT ASC, NICKNAME DESC, LOCATION ASC", flMembers("acme-music", false),
			flM{"orderBy": flOrder("LAST_SEEN_AT ASC", "NICKNAME DESC", "LOCATION ASC")}, flUserRows, acme, flLive,
			"m.last_seen_at ASC NULLS LAST, u.nickname COLLATE catalogue_name DESC NULLS LAST, u.location ASC NULLS LAST, m.id ASC", 80},
		{"artists NAME ASC", flArtists("acme-music", true), flM{"orderBy": flOrder("NAME ASC")}, flArtistRows, tree, "true", "a.name COLLATE catalogue_name ASC, a.id ASC", 7},
		{"artists NAME DESC", flArtists("acme-music", true), flM{"orderBy": flOrder("NAME DESC")}, flArtistRows, tree, "true", "a.name COLLATE catalogue_name DESC, a.id DESC", 9},
		{"artists COUNTRY ASC, GENRE DESC", flArtists("acme-music", true), flM{"orderBy": flOrder("COUNTRY ASC", "GENRE DESC")},
			flArtistRows, tree, "true", "a.country ASC NULLS LAST, a.genre DESC NULLS LAST, a.id DESC", 11},
		{"releases RELEASE_DATE DESC", flReleases("acme-music", true), flM{"orderBy": flOrder("RELEASE_DATE DESC")},
			flReleaseRows, tree, "true", "r.release_date DESC NULLS LAST, r.id DESC", 29},
		{"releases RELEASE_DATE ASC, TITLE ASC, filtered", flReleases("acme-music", false),
			flM{"orderBy": flOrder("RELEASE_DATE ASC", "TITLE ASC"), "filter": flM{"type": flM{"ne": "SINGLE"}}},
			flReleaseRows, acme, "r.type <> 'SINGLE'", "r.release_date ASC NULLS LAST, r.title COLLATE catalogue_name ASC, r.id ASC", 13},
		{"releases STATUS DESC, UPDATED_AT DESC", flReleases("acme-music", false), flM{"orderBy": flOrder("STATUS DESC", "UPDATED_AT DESC")},
			flReleaseRows, acme, "true", "r.status DESC, r.updated_at DESC, r.id DESC", 23},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			want := tc.kind.ids(t, tc.ids, tc.cond, tc.order)
			if len(want) < 3*tc.size {
				t.Fatalf("the seed should give at least 3 pages of %d, SQL has %d rows", tc.size, len(want))
			}
			tc.list.walk(t, tc.args, tc.size, want)
		})
	}

	t.Run("tracks DURATION", func(t *testing.T) {
		var release string
		sqlValue(t, &release, `SELECT release_id FROM tracks GROUP BY release_id ORDER BY count(DISTINCT duration_seconds) DESC, count(*) DESC, release_id LIMIT 1`)
		for _, dir := range []string{"ASC", "DESC"} {
			want := flTrackRows.ids(t, []string{release}, "true", "t.duration_seconds "+dir+" NULLS LAST, t.id "+dir)
			flTracks(release).walk(t, flM{"orderBy": flOrder("DURATION " + dir)}, 3, want)
		}
		want := flTrackRows.ids(t, []string{release}, "t.duration_seconds >= 120", "t.title COLLATE catalogue_name ASC, t.id ASC")
		flTracks(release).walk(t, flM{"orderBy": flOrder("TITLE ASC"), "filter": flM{"durationSeconds": flM{"gte": 120}}}, 2, want)
	})
}

// Every kind of filter pages: a cursor made with a filter is accepted with
// the same filter on the next request, forward and backward.
func TestListFilterPagingThroughFilters(t *testing.T) {
	acme := flTenants(t, "acme-music", false)
	tree := flTenants(t, "acme-music", true)
	all := flAcme(t, "true")
	var brand string
	sqlValue(t, &brand, `SELECT brand_id FROM brand_access WHERE tenant_id = $1 GROUP BY 1 ORDER BY count(*) DESC, 1 LIMIT 1`, acme[0])
	ids := flUUIDs(t, all[:200])
	cases := []struct {
		name string
		list flList
		args flM
		kind flKind
		ids  []string
		cond string
		size int
	}{
		{"eq", flMembers("acme-music", false), flM{"filter": flM{"membershipRole": flM{"eq": "USER"}}}, flUserRows, acme, "m.role = 'USER'", 100},
		{"like", flMembers("acme-music", false), flM{"filter": flM{"email": flM{"like": "*@example.com"}}}, flUserRows, acme, "u.email ILIKE '%@example.com'", 100},
		{"date range", flMembers("acme-music", false), flM{"filter": flM{"createdAt": flM{"gte": "2023-01-01T02:00:00Z"}}}, flUserRows, acme, "u.created_at >= '2023-01-01T02:00:00Z'", 100},
		{"search", flMembers("acme-music", false), flM{"filter": flM{"search": "a"}}, flUserRows, acme, flUserText + " LIKE '%a%'", 100},
		{"text in", flMembers("acme-music", false), flM{"filter": flM{"genre": flM{"in": []string{"Pop", "Rock", "Jazz"}}}}, flUserRows, acme, "u.genre IN ('Pop', 'Rock', 'Jazz')", 15},
		{"text notIn", flMembers("acme-music", false), flM{"filter": flM{"genre": flM{"notIn": []string{"Pop"}}}}, flUserRows, acme, "u.genre IS DISTINCT FROM 'Pop'", 100},
		{"enum in", flMembers("acme-music", true), flM{"filter": flM{"membershipStatus": flM{"in": []string{"ACTIVE"}}}}, flUserRows, tree, "m.status = 'ACTIVE'", 200},
		{"id in", flMembers("acme-music", false), flM{"filter": flM{"id": flM{"in": ids}}}, flUserRows, acme, "u.id = ANY('{" + strings.Join(ids, ",") + "}'::uuid[])", 50},
		{"brand_ids", flMembers("acme-music", false), flM{"filter": flM{"brand": flM{"in": []string{gid(model.TypeBrand, brand)}}}}, flUserRows, acme,
			"EXISTS (SELECT 1 FROM brand_access ba WHERE ba.user_id = u.id AND ba.tenant_id = m.tenant_id AND ba.brand_id = '" + brand + "')", 10},
		{"query list", flMembers("acme-music", false), flM{"query": "role:Producer,Singer,DJ"}, flUserRows, acme, "u.role IN ('Producer', 'Singer', 'DJ')", 20},
		{"seed 003 in", flMembers("acme-music", false), flM{"query": "tenant_role:in:USER|ADMIN"}, flUserRows, acme, "m.role IN ('USER', 'ADMIN')", 100},
		{"release status in", flReleases("acme-music", true), flM{"filter": flM{"status": flM{"in": []string{"DELIVERED", "APPROVED"}}}}, flReleaseRows, tree,
			"r.status IN ('DELIVERED', 'APPROVED')", 20},
		{"artist genre notIn", flArtists("acme-music", true), flM{"filter": flM{"genre": flM{"notIn": []string{"Pop"}}}}, flArtistRows, tree, "a.genre IS DISTINCT FROM 'Pop'", 20},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			cond := tc.cond
			if tc.kind.typ == model.TypeUser {
				cond = flLive + " AND " + cond
			}
			want := tc.kind.ids(t, tc.ids, cond, "")
			if len(want) < 2*tc.size {
				t.Fatalf("the seed should give at least 2 pages of %d, SQL has %d rows", tc.size, len(want))
			}
			tc.list.walk(t, tc.args, tc.size, want)
		})
	}
}

// Nested lists with an ordering: each parent's page follows the ordering
// (the batched statement must not mix parents up).
func TestListFilterTracksOrderedPerRelease(t *testing.T) {
	const q = `{ tenant(slug: "acme-music") { releases(first: 8, includeSubsidiaries: false, orderBy: [{field: TITLE}]) { edges { node { id
		tracks(first: 4, orderBy: [{field: DURATION, direction: DESC}], filter: {explicit: false}) { totalCount edges { node { id } } } } } } } }`
	var c struct {
		Edges []struct {
			Node struct {
				ID     string `json:"id"`
				Tracks conn   `json:"tracks"`
			} `json:"node"`
		} `json:"edges"`
	}
	if err := json.Unmarshal(flAt(t, q, nil, "tenant", "releases"), &c); err != nil {
		t.Fatal(err)
	}
	wantReleases := flReleaseRows.ids(t, flTenants(t, "acme-music", false), "true", "r.title, r.id")[:8]
	got := make([]string, len(c.Edges))
	for i, e := range c.Edges {
		got[i] = e.Node.ID
		_, id, _ := model.DecodeID(e.Node.ID)
		all := flTrackRows.ids(t, []string{id}, "NOT t.explicit", "t.duration_seconds DESC NULLS LAST, t.id DESC")
		if d := diffIDs(e.Node.Tracks.ids(), all[:min(4, len(all))]); d != "" {
			t.Fatalf("tracks of release %s: %s", id, d)
		}
		if e.Node.Tracks.TotalCount == nil || *e.Node.Tracks.TotalCount != len(all) {
			t.Fatalf("tracks of release %s: totalCount %v, SQL %d", id, e.Node.Tracks.TotalCount, len(all))
		}
	}
	if d := diffIDs(got, wantReleases); d != "" {
		t.Fatalf("releases by TITLE: %s", d)
	}
}

// ---------------------------------------------------------------------------
// offset (pageNumber/page, offset/limit)

func TestListFilterOffset(t *testing.T) {
	acme := flTenants(t, "acme-music", false)
	cases := []struct {
		name string
		list flList
		args flM
		want []string
	}{
		{"members default order", flMembers("acme-music", false), flM{}, flAcme(t, "true")},
		{"members filtered and sorted", flMembers("acme-music", false),
			flM{"filter": flM{"membershipRole": flM{"eq": "USER"}}, "orderBy": flOrder("FIRST_NAME ASC", "LAST_NAME DESC")},
			flUserRows.ids(t, acme, flLive+" AND m.role = 'USER'", "u.first_name COLLATE catalogue_name ASC NULLS LAST, u.last_name COLLATE catalogue_name DESC NULLS LAST, m.id DESC")},
		{"artists by name", flArtists("acme-music", false), flM{"orderBy": flOrder("NAME ASC")}, flArtistRows.ids(t, acme, "true", "a.name COLLATE catalogue_name, a.id")},
		{"releases by release date", flReleases("acme-music", false), flM{"orderBy": flOrder("RELEASE_DATE DESC")},
			flReleaseRows.ids(t, acme, "true", "r.release_date DESC NULLS LAST, r.id DESC")},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			for _, p := range []struct{ first, offset int }{{10, 20}, {10, 0}, {7, 1}, {25, len(tc.want) - 5}, {10, len(tc.want)}, {10, len(tc.want) + 50}} {
				a := maps.Clone(tc.args)
				a["first"], a["offset"] = p.first, p.offset
				c := tc.list.page(t, a)
				lo, hi := min(p.offset, len(tc.want)), min(p.offset+p.first, len(tc.want))
				what := fmt.Sprintf("first: %d, offset: %d", p.first, p.offset)
				checkPage(t, what, c, tc.want[lo:hi], p.offset > 0, hi < len(tc.want), len(tc.want))
				if len(c.Edges) > 0 {
					// The page's cursors continue where it ends.
					b := maps.Clone(tc.args)
					b["first"], b["after"] = 5, *c.PageInfo.EndCursor
					next := tc.list.page(t, b)
					if d := diffIDs(next.ids(), tc.want[hi:min(hi+5, len(tc.want))]); d != "" {
						t.Fatalf("%s, then after its endCursor: %s", what, d)
					}
				}
			}
		})
	}

	members := flMembers("acme-music", false)
	for _, bad := range []flM{
		{"last": 10, "offset": 5},
		{"first": 10, "offset": -1},
		{"offset": -20},
		{"before": "x", "offset": 5},
		{"first": 10, "offset": 100001},
	} {
		r := members.request(t, bad)
		e := wantErrorCode(t, r, api.CodeBadUserInput)
		if e.Extensions["argument"] != "offset" {
			t.Errorf("%s: extensions.argument %v, want offset\n%s", flShow(bad), e.Extensions["argument"], r.describe())
		}
	}
}

// ---------------------------------------------------------------------------
// response_field_keys (seed 003): the selection set

func TestMembersFilterSelectionSets(t *testing.T) {
	want := flAcme(t, "true")[:3]
	var names []*string
	sqlRows(t, &names, `SELECT first_name FROM users WHERE id = ANY($1::uuid[]) ORDER BY array_position($1::uuid[], id)`, pq.Array(flUUIDs(t, want)))
	cases := []struct {
		selection string
		keys      []string
	}{
		{"firstName", []string{"firstName"}},
		{"id email createdAt", []string{"createdAt", "email", "id"}},
		{"fullName language { code }", []string{"fullName", "language"}},
	}
	for _, tc := range cases {
		q := `{ tenant(slug: "acme-music") { members(first: 3, includeSubsidiaries: false) { edges { node { ` + tc.selection + ` } } } } }`
		raw := flAt(t, q, nil, "tenant", "members")
		var c map[string][]map[string]map[string]json.RawMessage
		if err := json.Unmarshal(raw, &c); err != nil {
			t.Fatal(err)
		}
		if len(c) != 1 || len(c["edges"]) != 3 {
			t.Fatalf("%s: connection keys %v with %d edges, want only edges, 3 of them", tc.selection, slices.Collect(maps.Keys(c)), len(c["edges"]))
		}
		for i, e := range c["edges"] {
			if len(e) != 1 || e["node"] == nil {
				t.Fatalf("%s: edge keys %v, want only node", tc.selection, slices.Collect(maps.Keys(e)))
			}
			got := slices.Sorted(maps.Keys(e["node"]))
			if !slices.Equal(got, tc.keys) {
				t.Fatalf("%s: node keys %v, want exactly %v", tc.selection, got, tc.keys)
			}
			if tc.selection == "firstName" {
				var fn *string
				_ = json.Unmarshal(e["node"]["firstName"], &fn)
				if (fn == nil) != (names[i] == nil) || fn != nil && *fn != *names[i] {
					t.Fatalf("edge %d: firstName %v, SQL %v", i, fn, names[i])
				}
			}
		}
	}
}

// ---------------------------------------------------------------------------
// 400/422 → BAD_USER_INPUT naming the bad value

func TestListFilterBadInput(t *testing.T) {
	members := flMembers("acme-music", false)
	var artist string
	sqlValue(t, &artist, `SELECT id FROM artists ORDER BY id LIMIT 1`)
	many := make([]any, 51)
	for i := range many {
		many[i] = flM{"firstName": flM{"eq": fmt.Sprintf("x%d", i)}}
	}
	values := make([]string, 501)
	for i := range values {
		values[i] = fmt.Sprintf("v%d", i)
	}
	deep := flM{"genre": flM{"eq": "Pop"}}
	for range 7 {
		deep = flM{"not": deep}
	}
	terms := make([]string, 51)
	for i := range terms {
		terms[i] = fmt.Sprintf("genre:g%d", i)
	}
	cases := []struct {
		name     string
		list     flList
		args     flM
		contains []string // the message names these
		position int      // extensions.position for a query syntax error; -1: not one
	}{
		{"malformed UUID", members, flM{"filter": flM{"id": flM{"in": []string{"123456789"}}}}, []string{"Invalid UUID string: 123456789"}, -1},
		{"malformed UUID in eq", members, flM{"filter": flM{"id": flM{"eq": "123"}}}, []string{"Invalid UUID string: 123"}, -1},
		{"malformed createdBy", members, flM{"filter": flM{"createdBy": flM{"notIn": []string{"7a1506b9-9ce4-43f9-a6f0"}}}}, []string{"7a1506b9-9ce4-43f9-a6f0"}, -1},
		{"malformed UUID in query", members, flM{"query": "ids:123456789"}, []string{"Invalid UUID string: 123456789"}, -1},
		{"an artist's ID for a user", members, flM{"filter": flM{"id": flM{"eq": gid(model.TypeArtist, artist)}}}, nil, -1},
		{"malformed brand", members, flM{"filter": flM{"brand": flM{"in": []string{"brand-1"}}}}, []string{"brand-1"}, -1},
		{"empty in", members, flM{"filter": flM{"genre": flM{"in": []string{}}}}, []string{"empty"}, -1},
		{"empty notIn", members, flM{"filter": flM{"id": flM{"notIn": []string{}}}}, []string{"empty"}, -1},
		{"501 values", members, flM{"filter": flM{"genre": flM{"in": values}}}, []string{"500"}, -1},
		{"pattern of 201 characters", members, flM{"filter": flM{"firstName": flM{"like": strings.Repeat("a", 200) + "*"}}}, []string{"200"}, -1},
		{"eq value of 201 characters", members, flM{"filter": flM{"lastName": flM{"eq": strings.Repeat("b", 201)}}}, []string{"200"}, -1},
		{"search of 201 characters", members, flM{"filter": flM{"search": strings.Repeat("c", 201)}}, []string{"200"}, -1},
		{"nested 7 deep", members, flM{"filter": deep}, []string{"6"}, -1},
		{"51 conditions", members, flM{"filter": flM{"or": many}}, []string{"50"}, -1},
		{"same order field twice", members, flM{"orderBy": flOrder("LAST_NAME ASC", "LAST_NAME DESC")}, []string{"LAST_NAME"}, -1},
		{"six order keys", members, flM{"orderBy": flOrder("LAST_NAME ASC", "FIRST_NAME ASC", "GENRE ASC", "ROLE ASC", "LOCATION ASC", "NICKNAME ASC")}, []string{"5"}, -1},
		{"typed date-time that does not parse", members, flM{"filter": flM{"createdAt": flM{"gte": "yesterday"}}}, []string{"yesterday"}, -1},
		{"typed date-time that does not parse, inline", flList{name: "inline", path: []string{"tenant", "members"},
			query: `{ tenant(slug: "acme-music") { members(filter: {lastLoginAt: {lt: "2023-02-30T00:00:00Z"}}) { totalCount } } }`}, flM{}, []string{"2023-02-30"}, -1},
		{"typed date where a date-time is due", members, flM{"filter": flM{"updatedAt": flM{"lt": "2024-01-01"}}}, []string{"2024-01-01"}, -1},
		{"typed date that does not parse", flReleases("acme-music", false), flM{"filter": flM{"releaseDate": flM{"gte": "2024-13-45"}}}, []string{"2024-13-45"}, -1},
		{"query role:", members, flM{"query": "role:"}, []string{"role:"}, 5},
		{"query (a", members, flM{"query": "(a"}, []string{"("}, 0},
		{"query a)", members, flM{"query": "genre:Pop a)"}, []string{")"}, 11},
		{"query unknown field", members, flM{"query": "genre:Pop foo:bar"}, []string{`"foo"`}, 10},
		{"query unterminated quote", members, flM{"query": `genre:"Pop`}, []string{`"`}, 6},
		{"query dangling OR", members, flM{"query": "genre:Pop OR"}, []string{"OR"}, 10},
		{"query wildcard in a list", members, flM{"query": "genre:Pop,R*"}, []string{"*"}, 10},
		{"query range on an enum", members, flM{"query": "status:>ACTIVE"}, []string{"enum"}, 7},
		{"query 51 conditions", members, flM{"query": strings.Join(terms, " ")}, []string{"50"}, len(strings.Join(terms[:50], " ")) + 1},
		{"query date-time that does not parse", members, flM{"query": "genre:Pop created:>=yesterday"}, []string{"yesterday"}, 20},
		{"query enum value that does not exist", members, flM{"query": "status:SLEEPING"}, []string{"SLEEPING"}, 7},
		{"query UUID that does not parse", members, flM{"query": "genre:Pop -id:123"}, []string{"123"}, 14},
		{"query 201 characters", members, flM{"query": "firstName:" + strings.Repeat("d", 201)}, []string{"200"}, 10},
		{"query unknown field on releases", flReleases("acme-music", false), flM{"query": "genre:Pop email:x"}, []string{`"email"`}, 10},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := tc.list.request(t, tc.args)
			e := wantErrorCode(t, r, api.CodeBadUserInput)
			for _, s := range tc.contains {
				if !strings.Contains(e.Message, s) {
					t.Errorf("message %q should name %q\n%s", e.Message, s, r.describe())
				}
			}
			if e.Extensions["argument"] == nil {
				t.Errorf("no extensions.argument naming the argument\n%s", r.describe())
			}
			if string(r.Data) != "null" && len(r.Data) > 0 {
				var d struct {
					Tenant map[string]any `json:"tenant"`
				}
				_ = json.Unmarshal(r.Data, &d)
				if d.Tenant != nil && d.Tenant[tc.list.path[len(tc.list.path)-1]] != nil {
					t.Errorf("the list should not be returned with the error\n%s", r.describe())
				}
			}
			if tc.position >= 0 {
				pos, ok := e.Extensions["position"].(float64)
				if !ok || int(pos) != tc.position {
					t.Errorf("extensions.position %v, want %d (the offending term or value of %q)\n%s", e.Extensions["position"], tc.position, tc.args["query"], r.describe())
				}
			}
		})
	}

	// The limits are inclusive: exactly at each one, the request works.
	t.Run("at the limits", func(t *testing.T) {
		members.check(t, "50 conditions", flM{"filter": flM{"or": many[:50]}}, nil)
		members.check(t, "500 values", flM{"filter": flM{"genre": flM{"in": values[:500]}}}, nil)
		members.check(t, "5 order keys", flM{"orderBy": flOrder("LAST_NAME ASC", "FIRST_NAME ASC", "GENRE ASC", "ROLE ASC", "LOCATION ASC")},
			flUserRows.ids(t, flTenants(t, "acme-music", false), flLive,
				"u.last_name COLLATE catalogue_name NULLS LAST, u.first_name COLLATE catalogue_name NULLS LAST, u.genre NULLS LAST, u.role NULLS LAST, u.location NULLS LAST, m.id"))
		members.check(t, "200 characters", flM{"filter": flM{"lastName": flM{"eq": strings.Repeat("b", 200)}}}, nil)
		members.check(t, "50 conditions in query", flM{"query": strings.Join(terms[:50], " OR ")}, nil)
	})

	// A character is not a byte: 200 accented letters are 200 characters.
	t.Run("200 accented characters typed", func(t *testing.T) {
		members.check(t, "typed", flM{"filter": flM{"lastName": flM{"contains": strings.Repeat("é", 200)}}}, nil)
	})
	t.Run("200 accented characters in query", func(t *testing.T) {
		members.check(t, "query", flM{"query": "lastName:" + strings.Repeat("é", 200)}, nil)
	})
}

// A cursor remembers the list, the ordering and the filter it was made
// for; using it with another is BAD_USER_INPUT.
func TestListFilterCursorsBelongToTheirFilter(t *testing.T) {
	members := flMembers("acme-music", false)
	// An eq filter: cursors of in/notIn filters are covered by
	// TestListFilterPagingThroughFilters.
	base := flM{"filter": flM{"genre": flM{"eq": "Pop"}}, "orderBy": flOrder("LAST_NAME ASC")}
	a := maps.Clone(base)
	a["first"] = 5
	c := members.page(t, a)
	cursor := *c.PageInfo.EndCursor

	same := maps.Clone(base)
	same["first"], same["after"] = 5, cursor
	members.page(t, same)
	// The same conditions in the query syntax compile to the same filter.
	viaQuery := flM{"query": "genre:Pop", "orderBy": flOrder("LAST_NAME ASC"), "first": 5, "after": cursor}
	members.page(t, viaQuery)

	for name, other := range map[string]flM{
		"another filter value":   {"filter": flM{"genre": flM{"eq": "Rock"}}, "orderBy": flOrder("LAST_NAME ASC")},
		"another operation":      {"filter": flM{"genre": flM{"ne": "Pop"}}, "orderBy": flOrder("LAST_NAME ASC")},
		"no filter":              {"orderBy": flOrder("LAST_NAME ASC")},
		"an added query":         {"filter": base["filter"], "query": "role:DJ", "orderBy": flOrder("LAST_NAME ASC")},
		"another direction":      {"filter": base["filter"], "orderBy": flOrder("LAST_NAME DESC")},
		"another order":          {"filter": base["filter"], "orderBy": flOrder("LAST_NAME ASC", "CREATED_AT DESC")},
		"the default order":      {"filter": base["filter"]},
		"a search":               {"filter": flM{"genre": flM{"eq": "Pop"}, "search": "a"}, "orderBy": flOrder("LAST_NAME ASC")},
		"with subsidiaries":      {"filter": base["filter"], "orderBy": flOrder("LAST_NAME ASC"), "subs": true},
		"another filter, before": {"filter": flM{"genre": flM{"eq": "Rock"}}, "orderBy": flOrder("LAST_NAME ASC"), "last": 5, "before": cursor},
		"another list (artist)":  {"list": "artists"},
	} {
		t.Run(name, func(t *testing.T) {
			l := members
			args := maps.Clone(other)
			if other["list"] != nil {
				l = flArtists("acme-music", false)
				args = flM{}
			}
			if args["before"] == nil {
				args["first"], args["after"] = 5, cursor
			}
			r := l.request(t, args)
			e := wantErrorCode(t, r, api.CodeBadUserInput)
			if arg := e.Extensions["argument"]; arg != "after" && arg != "before" {
				t.Errorf("extensions.argument %v, want the cursor's argument\n%s", arg, r.describe())
			}
		})
	}
}

// ---------------------------------------------------------------------------
// Field-level permission (§3): email and phone need members:contacts.

func TestMembersFilterContactsNeedPermission(t *testing.T) {
	acme := tenantID(t, "acme-music")
	pick := func(role string) (id, email string) {
		var u struct {
			ID    string `db:"id"`
			Email string `db:"email"`
		}
		sqlValue(t, &u, `SELECT u.id, u.email FROM memberships m JOIN users u ON u.id = m.user_id
			WHERE m.tenant_id = $1 AND m.role = $2 AND m.status = 'ACTIVE' AND NOT u.is_deleted
			AND (u.expires_at IS NULL OR u.expires_at > now()) AND cardinality(u.admin_roles) = 0
			AND NOT EXISTS (SELECT 1 FROM memberships o WHERE o.user_id = u.id AND o.tenant_id <> m.tenant_id)
			ORDER BY m.created_at, m.id LIMIT 1`, acme, role)
		return u.ID, u.Email
	}
	userID, userEmail := pick("USER")
	adminID, _ := pick("ADMIN")
	userToken := tokenFor(t, userID, "acme-music")
	adminToken := tokenFor(t, adminID, "acme-music")
	as := func(t *testing.T, token string, args flM) *response {
		t.Helper()
		l := flMembers("acme-music", false)
		vars := maps.Clone(l.vars)
		maps.Copy(vars, args)
		r, err := postGraphQLAs(t.Context(), token, l.query, vars)
		if err != nil {
			t.Fatal(err)
		}
		return r
	}

	forbidden := []flM{
		{"filter": flM{"email": flM{"like": "*@company.fr"}}},
		{"filter": flM{"or": []any{flM{"genre": flM{"eq": "Pop"}}, flM{"not": flM{"email": flM{"isNull": true}}}}}},
		{"filter": flM{"phone": flM{"startsWith": "+33"}}},
		{"query": "email:*@company.fr"},
		{"query": "genre:Pop OR mail:x@example.com"},
		{"query": "phone:!null"},
		{"orderBy": flOrder("EMAIL ASC")},
		{"orderBy": flOrder("LAST_NAME ASC", "EMAIL DESC")},
	}
	for _, args := range forbidden {
		r := as(t, userToken, args)
		e := wantErrorCode(t, r, api.CodeForbidden)
		if !strings.Contains(e.Message, "members:contacts") {
			t.Errorf("%s: FORBIDDEN should name the missing permission, got %q", flShow(args), e.Message)
		}
		if strings.Contains(string(r.Data), "@") {
			t.Errorf("%s: a refused filter must not leak emails\n%s", flShow(args), r.describe())
		}
	}

	t.Run("an admin may", func(t *testing.T) {
		for _, args := range forbidden[:4] {
			r := as(t, adminToken, args)
			mustData(t, r, nil)
		}
		r := as(t, adminToken, flM{"filter": flM{"email": flM{"like": "*@company.fr"}}, "first": 500})
		mustData(t, r, nil)
		var c conn
		if err := json.Unmarshal(at(t, r.Data, "tenant", "members"), &c); err != nil {
			t.Fatal(err)
		}
		if d := diffIDs(c.ids(), flAcme(t, "u.email ILIKE '%@company.fr'")); d != "" {
			t.Fatalf("admin filtering on email: %s", d)
		}
	})

	t.Run("email is null except one's own", func(t *testing.T) {
		const q = `{ tenant(slug: "acme-music") { members(first: 500, includeSubsidiaries: false) { edges { node { id email phone } } } } }`
		r, err := postGraphQLAs(t.Context(), userToken, q, nil)
		if err != nil {
			t.Fatal(err)
		}
		mustData(t, r, nil)
		var c struct {
			Edges []struct {
				Node struct {
					ID    string  `json:"id"`
					Email *string `json:"email"`
					Phone *string `json:"phone"`
				} `json:"node"`
			} `json:"edges"`
		}
		if err := json.Unmarshal(at(t, r.Data, "tenant", "members"), &c); err != nil {
			t.Fatal(err)
		}
		self := gid(model.TypeUser, userID)
		seenSelf := false
		for _, e := range c.Edges {
			if e.Node.ID == self {
				seenSelf = true
				if e.Node.Email == nil || *e.Node.Email != userEmail {
					t.Fatalf("a user's own email should be visible: got %v, SQL %s", e.Node.Email, userEmail)
				}
				continue
			}
			if e.Node.Email != nil || e.Node.Phone != nil {
				t.Fatalf("a USER sees %s's email %v / phone %v; want null", e.Node.ID, e.Node.Email, e.Node.Phone)
			}
		}
		if !seenSelf {
			t.Fatalf("the user should be in the first 500 members of acme-music")
		}
	})

	t.Run("search does not match hidden emails", func(t *testing.T) {
		// For a caller without members:contacts, search covers names and
		// nickname only; otherwise it would reveal emails letter by letter.
		for _, word := range []string{"company.fr", "example", "zoe"} {
			publicText := `lower(unaccent(coalesce(u.first_name, '') || ' ' || coalesce(u.last_name, '') || ' ' || coalesce(u.nickname, '')))`
			want := flAcme(t, publicText+` LIKE '%' || $2 || '%'`, word)
			r := as(t, userToken, flM{"filter": flM{"search": word}, "first": 500})
			mustData(t, r, nil)
			var c conn
			if err := json.Unmarshal(at(t, r.Data, "tenant", "members"), &c); err != nil {
				t.Fatal(err)
			}
			if d := diffIDs(c.ids(), want); d != "" {
				t.Fatalf("USER searching %q: %s", word, d)
			}
			ra := as(t, adminToken, flM{"filter": flM{"search": word}, "first": 500})
			mustData(t, ra, nil)
			var ca conn
			if err := json.Unmarshal(at(t, ra.Data, "tenant", "members"), &ca); err != nil {
				t.Fatal(err)
			}
			adminWant := flAcme(t, flUserText+` LIKE '%' || $2 || '%'`, word)
			if len(adminWant) == 0 {
				t.Fatalf("SQL should find members matching %q in names or email", word)
			}
			if d := diffIDs(ca.ids(), adminWant); d != "" {
				t.Fatalf("ADMIN searching %q: %s", word, d)
			}
		}
	})
}
