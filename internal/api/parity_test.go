package api_test

// Parity with the original endpoints, the details the seeds' pages spell
// out (issue "Where its users live"):
//
//	names sort as people read them (Åkesson, van Dijk)   TestParityNamesSortAsPeopleReadThem
//	query syntax: unknown operators, seed 002 +/-,       TestParityQueryOperators, TestParityQueryIncludeExclude,
//	  whole days, errors at the value                    TestParityQueryWholeDays, TestParityQueryValuePositions
//	an idempotency key sent with another input           TestParityIdempotencyConflict
//	seed 003 channel, include_imported,                  TestParitySeed003Fields
//	  display_absolute_time, language icons
//	Artist.tracks and Tenant.tracks                      TestParityTrackLists
//	every node's database UUID                           TestParityDatabaseIDs
//	the audit log, for administrators                    TestParityAuditLog
//
// Reads of the seed go to the suite's server; tests that write use a
// fixture of their own (parSetup), a fresh copy of the seeded database with
// its own server, as the mutation tests do.

import (
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/lib/pq"

	"catalogue/db/model"
	"catalogue/internal/api"
)

var (
	parOnce sync.Once
	parFix  *mutationFixture
	parErr  error
)

// parSetup returns the parity tests' fixture: the mutation fixture's
// principals of acme-music over a database of its own.
func parSetup(t *testing.T) *mutationFixture {
	t.Helper()
	parOnce.Do(func() { parFix, parErr = newMutationFixture() })
	if parErr != nil {
		t.Fatalf("parity fixture: %v", parErr)
	}
	return parFix
}

// parICU orders text by ICU's root collation, which the oracles use
// independently of the collation the server's migration created.
const parICU = ` COLLATE "und-x-icu"`

// parWantInOrder asserts that the names occur in names in the given order.
func parWantInOrder(t *testing.T, names []string, want ...string) {
	t.Helper()
	last := -1
	for _, w := range want {
		i := slices.Index(names, w)
		if i < 0 {
			t.Fatalf("%q is not in the list %v", w, names)
		}
		if i <= last {
			t.Fatalf("%v should come in this order, the list has %v", want, names)
		}
		last = i
	}
}

// ---------------------------------------------------------------------------
// 1. Names sort as people read them.

func TestParityNamesSortAsPeopleReadThem(t *testing.T) {
	acme := flTenants(t, "acme-music", false)
	members := flMembers("acme-music", false)

	t.Run("members by last name", func(t *testing.T) {
		want := flUserRows.ids(t, acme, flLive, "u.last_name"+parICU+" ASC NULLS LAST, m.id ASC")
		members.check(t, "LAST_NAME ASC", flM{"orderBy": flOrder("LAST_NAME ASC")}, want)

		var d struct {
			Tenant struct {
				Members struct {
					Edges []struct{ Node struct{ LastName *string } }
				}
			}
		}
		query(t, `{ tenant(slug: "acme-music") { members(first: 500, includeSubsidiaries: false, orderBy: [{field: LAST_NAME}]) {
			edges { node { lastName } } } } }`, nil, &d)
		var names []string
		for _, e := range d.Tenant.Members.Edges {
			if n := e.Node.LastName; n != nil && (len(names) == 0 || names[len(names)-1] != *n) {
				names = append(names, *n)
			}
		}
		// Byte order puts every accented or lower-case initial after Z.
		parWantInOrder(t, names, "Åkesson", "Andersson", "Brown")
		parWantInOrder(t, names, "de la Cruz", "Doe", "Dubois")
		parWantInOrder(t, names, "Nowak", "O'Brien", "Öberg", "Østergaard", "Pereira")
		parWantInOrder(t, names, "Taylor", "van Dijk", "Weiß", "Wilson")
	})

	// Keyset cursors compare with the collation they sort with: walking a
	// name ordering page by page, either way, gives the whole order.
	t.Run("cursors walk name orderings both ways", func(t *testing.T) {
		members.walk(t, flM{"orderBy": flOrder("FIRST_NAME DESC")}, 37,
			flUserRows.ids(t, acme, flLive, "u.first_name"+parICU+" DESC NULLS LAST, m.id DESC"))
		members.walk(t, flM{"orderBy": flOrder("NICKNAME ASC", "LAST_NAME DESC")}, 41,
			flUserRows.ids(t, acme, flLive, "u.nickname"+parICU+" ASC NULLS LAST, u.last_name"+parICU+" DESC NULLS LAST, m.id DESC"))
		tree := flTenants(t, "acme-music", true)
		flArtists("acme-music", true).walk(t, flM{"orderBy": flOrder("NAME ASC")}, 23,
			flArtistRows.ids(t, tree, "true", "a.name"+parICU+" ASC, a.id ASC"))
		flReleases("acme-music", false).walk(t, flM{"orderBy": flOrder("TITLE DESC")}, 29,
			flReleaseRows.ids(t, acme, "true", "r.title"+parICU+" DESC, r.id DESC"))
	})

	// Names that byte order sorts apart from where people look for them,
	// written through the API for each kind of named thing.
	t.Run("artists, releases, tracks, labels and brands", func(t *testing.T) {
		f := parSetup(t)
		tag := f.uniq("run")
		written := []string{"Zeta", "Åkesson", "adams", "van Dijk", "Émile", "Adams"}
		want := []string{"adams", "Adams", "Åkesson", "Émile", "van Dijk", "Zeta"}
		named := func(names []string) []string {
			out := make([]string, len(names))
			for i, n := range names {
				out[i] = n + " " + tag
			}
			return out
		}
		reversed := slices.Clone(named(want))
		slices.Reverse(reversed)
		var artistIDs []string
		tracks := []any{}
		for _, n := range named(written) {
			artistIDs = append(artistIDs, f.newArtistNamed(t, n))
			f.ok(t, f.admin, "createLabel", map[string]any{"name": n}, nil)
			f.ok(t, f.admin, "createBrand", map[string]any{"name": n}, nil)
			in := f.releaseInput(artistIDs[0])
			in["title"] = n
			f.ok(t, f.admin, "saveRelease", in, nil)
			tracks = append(tracks, map[string]any{"title": n})
		}
		in := f.releaseInput(artistIDs[0])
		in["tracks"] = tracks
		var release mutRelease
		f.ok(t, f.admin, "saveRelease", in, &release)

		like := map[string]any{"like": "* " + tag}
		lists := []struct {
			name, field, args string
		}{
			{"artists", "name", `artists(first: 50, filter: {name: $like}, orderBy: [{field: NAME, direction: $dir}])`},
			{"releases", "title", `releases(first: 50, filter: {title: $like}, orderBy: [{field: TITLE, direction: $dir}])`},
			{"Tenant.tracks", "title", `tracks(first: 50, filter: {title: $like}, orderBy: [{field: TITLE, direction: $dir}])`},
			{"labels", "name", `labels(first: 500, orderBy: [{field: NAME, direction: $dir}])`},
			{"brands", "name", `brands(first: 500, orderBy: [{field: NAME, direction: $dir}])`},
		}
		for _, l := range lists {
			for _, dir := range []string{"ASC", "DESC"} {
				vars := map[string]any{"dir": dir}
				decl := "$dir: OrderDirection!"
				if strings.Contains(l.args, "$like") {
					vars["like"], decl = like, decl+", $like: StringFilter"
				}
				q := fmt.Sprintf(`query(%s) { tenant(slug: "acme-music") { %s { edges { node { %s } } } } }`, decl, l.args, l.field)
				var d struct {
					Tenant map[string]struct {
						Edges []struct{ Node map[string]string }
					}
				}
				f.read(t, f.admin, q, vars, &d)
				var got []string
				for _, e := range d.Tenant[strings.Split(l.args, "(")[0]].Edges {
					if n := e.Node[l.field]; strings.HasSuffix(n, " "+tag) {
						got = append(got, n)
					}
				}
				exp := named(want)
				if dir == "DESC" {
					exp = reversed
				}
				if !slices.Equal(got, exp) {
					t.Errorf("%s by %s %s: %q, want %q", l.name, l.field, dir, got, exp)
				}
			}
		}
		var d struct {
			Node struct {
				Tracks struct {
					Edges []struct{ Node struct{ Title string } }
				}
			}
		}
		f.read(t, f.admin, `query($id: ID!) { node(id: $id) { ... on Release { tracks(orderBy: [{field: TITLE}]) { edges { node { title } } } } } }`,
			map[string]any{"id": release.ID}, &d)
		var got []string
		for _, e := range d.Node.Tracks.Edges {
			got = append(got, e.Node.Title)
		}
		if !slices.Equal(got, named(want)) {
			t.Errorf("Release.tracks by TITLE: %q, want %q", got, named(want))
		}
	})
}

// newArtistNamed creates an artist with the given name and returns its UUID.
func (f *mutationFixture) newArtistNamed(t *testing.T, name string) string {
	t.Helper()
	var a mutArtist
	f.ok(t, f.admin, "createArtist", map[string]any{"fields": map[string]any{"name": name}}, &a)
	return mutUUID(t, a.ID)
}

// ---------------------------------------------------------------------------
// 2. The query syntax.

// A word between the field and a second colon is an operator: an unknown
// one is refused where it stands, never taken as part of the value.
func TestParityQueryOperators(t *testing.T) {
	members := flMembers("acme-music", false)
	for _, tc := range []struct {
		list        flList
		query, word string
	}{
		{members, "genre:zz:Pop", "zz"},
		{members, "role:Producer genre:ZZ:Pop", "ZZ"},
		{members, "created:after:2023-01-01", "after"},
		{flReleases("acme-music", false), "title:x status:is:DRAFT", "is"},
	} {
		r := tc.list.request(t, flM{"query": tc.query})
		e := wantErrorCode(t, r, api.CodeBadUserInput)
		if !strings.Contains(e.Message, fmt.Sprintf("unknown operator %q", tc.word)) {
			t.Errorf("%q: message %q should name the operator", tc.query, e.Message)
		}
		if pos, _ := e.Extensions["position"].(float64); int(pos) != strings.Index(tc.query, tc.word+":") {
			t.Errorf("%q: extensions.position %v, want %d (the operator)\n%s", tc.query, e.Extensions["position"], strings.Index(tc.query, tc.word+":"), r.describe())
		}
	}
	// Values with colons of their own: quoted, or not a word.
	members.check(t, "quoted colon", flM{"query": `genre:"zz:Pop"`}, flAcme(t, "u.genre = 'zz:Pop'"))
	members.check(t, "date-times", flM{"query": "created:2023-01-01T00:00:00Z..2023-01-01T06:00:00Z"},
		flAcme(t, "u.created_at BETWEEN '2023-01-01T00:00:00Z' AND '2023-01-01T06:00:00Z'"))
	members.check(t, "seed 003 form", flM{"query": "genre:in:Pop|Jazz"}, flAcme(t, "u.genre IN ('Pop', 'Jazz')"))
}

// Seed 002's ids, roles and genres: "Prefix each value with - to exclude
// and + (optional) to include. Defaults to inclusion if no prefix is
// specified."
func TestParityQueryIncludeExclude(t *testing.T) {
	members := flMembers("acme-music", false)
	all := flAcme(t, "true")
	a, b := mutUUID(t, all[0]), mutUUID(t, all[1])
	for _, tc := range []struct {
		query, cond string
		args        []any
	}{
		{"genres:-Pop", "u.genre IS DISTINCT FROM 'Pop'", nil},
		{"genres:-Pop,-Rock", "u.genre IS NULL OR u.genre NOT IN ('Pop', 'Rock')", nil},
		{"genres:Pop,+Rock,-Rock", "u.genre = 'Pop'", nil},
		{"roles:+Producer,Singer,-Singer", "u.role = 'Producer'", nil},
		{"role:-Producer genre:+Jazz", "u.role IS DISTINCT FROM 'Producer' AND u.genre = 'Jazz'", nil},
		{"ids:-" + a + ",-" + b, "u.id NOT IN ($2::uuid, $3::uuid)", []any{a, b}},
		{"ids:+" + a + "," + b + ",-" + b, "u.id = $2::uuid", []any{a}},
		{"genre:-Ro*", "u.genre IS NULL OR u.genre NOT ILIKE 'ro%'", nil},
		{"-genre:-Pop", "u.genre = 'Pop'", nil},
	} {
		want := flAcme(t, tc.cond, tc.args...)
		flMeaningful(t, tc.query, want, len(all))
		members.check(t, tc.query, flM{"query": tc.query}, want)
	}
	// A quoted sign is part of the value, and a phone number keeps its own.
	members.check(t, "quoted", flM{"query": `genre:"-Pop"`}, nil)
	var phone string
	sqlValue(t, &phone, `SELECT u.phone FROM memberships m JOIN users u ON u.id = m.user_id
		WHERE m.tenant_id = $1 AND u.phone LIKE '+%' AND NOT u.is_deleted ORDER BY u.id LIMIT 1`, tenantID(t, "acme-music"))
	members.check(t, "phone", flM{"query": "phone:" + phone}, flAcme(t, "u.phone = $2", phone))
}

// A bare date in a date-time condition is the whole UTC day.
func TestParityQueryWholeDays(t *testing.T) {
	acme := flTenants(t, "acme-music", false)
	members := flMembers("acme-music", false)
	all := flAcme(t, "true")

	// The example: every member created on 2023-01-01.
	day := flAcme(t, "u.created_at >= '2023-01-01T00:00:00Z' AND u.created_at < '2023-01-02T00:00:00Z'")
	if len(day) == 0 {
		t.Fatal("the seed should create members on 2023-01-01")
	}
	members.check(t, "range of one day", flM{"query": "created:2023-01-01..2023-01-01"}, day)
	members.check(t, "the day", flM{"query": "created:2023-01-01"}, day)

	// Last logins spread over two years: take the busiest day.
	var d string
	sqlValue(t, &d, `SELECT to_char((u.last_login_at AT TIME ZONE 'UTC')::date, 'YYYY-MM-DD') FROM memberships m JOIN users u ON u.id = m.user_id
		WHERE m.tenant_id = $1 AND u.last_login_at IS NOT NULL AND NOT u.is_deleted GROUP BY 1 ORDER BY count(*) DESC, 1 LIMIT 1`, acme[0])
	start, _ := time.Parse("2006-01-02", d)
	next, later := start.AddDate(0, 0, 1), start.AddDate(0, 0, 8)
	d8 := later.Format("2006-01-02")
	for _, tc := range []struct {
		query, cond string
		args        []any
	}{
		{"lastLogin:" + d, "u.last_login_at >= $2 AND u.last_login_at < $3", []any{start, next}},
		{"lastLogin:>" + d, "u.last_login_at >= $2", []any{next}},
		{"lastLogin:>=" + d, "u.last_login_at >= $2", []any{start}},
		{"lastLogin:<" + d, "u.last_login_at < $2", []any{start}},
		{"lastLogin:<=" + d, "u.last_login_at < $2", []any{next}},
		{"lastLogin:" + d + ".." + d8, "u.last_login_at >= $2 AND u.last_login_at < $3", []any{start, later.AddDate(0, 0, 1)}},
		{"lastLogin:between:" + d + "|" + d8, "u.last_login_at >= $2 AND u.last_login_at < $3", []any{start, later.AddDate(0, 0, 1)}},
		{"lastLogin:" + d + "," + d8, "(u.last_login_at >= $2 AND u.last_login_at < $3) OR (u.last_login_at >= $4 AND u.last_login_at < $5)",
			[]any{start, next, later, later.AddDate(0, 0, 1)}},
		{"lastLogin:ne:" + d, "u.last_login_at IS NULL OR u.last_login_at < $2 OR u.last_login_at >= $3", []any{start, next}},
		{"-lastLogin:" + d, "u.last_login_at IS NULL OR u.last_login_at < $2 OR u.last_login_at >= $3", []any{start, next}},
		{"lastLogin:" + d + "T00:00:00Z.." + d, "u.last_login_at >= $2 AND u.last_login_at < $3", []any{start, next}},
	} {
		want := flAcme(t, tc.cond, tc.args...)
		flMeaningful(t, tc.query, want, len(all))
		members.check(t, tc.query, flM{"query": tc.query}, want)
	}
}

// A value the field cannot take is pointed at itself, not at its term.
func TestParityQueryValuePositions(t *testing.T) {
	members := flMembers("acme-music", false)
	for _, tc := range []struct{ query, value string }{
		{"status:in:ACTIVE|SLEEPING", "SLEEPING"},
		{"genre:Pop ids:-123", "123"},
		{"created:2023-01-01..nope", "nope"},
		{"lastLogin:>=2023-01-01 created:<=yesterday", "yesterday"},
		{"genre:Pop createdBy:+42", "42"},
		{"isDeleted:maybe", "maybe"},
	} {
		r := members.request(t, flM{"query": tc.query})
		e := wantErrorCode(t, r, api.CodeBadUserInput)
		if !strings.Contains(e.Message, tc.value) {
			t.Errorf("%q: message %q should name %q", tc.query, e.Message, tc.value)
		}
		if pos, _ := e.Extensions["position"].(float64); int(pos) != strings.LastIndex(tc.query, tc.value) {
			t.Errorf("%q: extensions.position %v, want %d (the value)\n%s", tc.query, e.Extensions["position"], strings.LastIndex(tc.query, tc.value), r.describe())
		}
	}
}

// ---------------------------------------------------------------------------
// 3. An idempotency key is for retries of one request.

func TestParityIdempotencyConflict(t *testing.T) {
	f := parSetup(t)
	artist := f.newArtist(t, f.admin, "")
	for _, tc := range []struct {
		mutation string
		input    func() map[string]any
		// retry is the same input written differently; change is another.
		retry, change func(map[string]any) map[string]any
	}{
		{"createBrand",
			func() map[string]any { return map[string]any{"name": f.uniq("Keyed Brand")} },
			func(in map[string]any) map[string]any { in["clientMutationId"] = "retry"; return in },
			func(in map[string]any) map[string]any { in["name"] = f.uniq("Keyed Brand"); return in }},
		{"createLabel",
			func() map[string]any { return map[string]any{"name": f.uniq("Keyed Label")} },
			func(in map[string]any) map[string]any { return in },
			func(in map[string]any) map[string]any { in["name"] = in["name"].(string) + " "; return in }},
		{"createArtist",
			func() map[string]any {
				return map[string]any{"fields": map[string]any{"name": f.uniq("Keyed Artist"), "genre": "Jazz", "country": "SE"}}
			},
			func(in map[string]any) map[string]any {
				fields := in["fields"].(map[string]any)
				in["fields"] = map[string]any{"country": fields["country"], "genre": fields["genre"], "name": fields["name"]}
				return in
			},
			func(in map[string]any) map[string]any { in["fields"].(map[string]any)["genre"] = "Pop"; return in }},
		{"inviteMember",
			func() map[string]any { return map[string]any{"email": f.email("keyed")} },
			func(in map[string]any) map[string]any { in["role"] = "USER"; return in }, // the default, spelt out
			func(in map[string]any) map[string]any { in["role"] = "ADMIN"; return in }},
		{"saveRelease",
			func() map[string]any { return f.releaseInput(artist) },
			func(in map[string]any) map[string]any { return in },
			func(in map[string]any) map[string]any {
				in["tracks"].([]any)[0].(map[string]any)["durationSeconds"] = 201
				return in
			}},
	} {
		t.Run(tc.mutation, func(t *testing.T) {
			key := fmt.Sprintf("parity-%s-%d", tc.mutation, f.seq.Add(1))
			withKey := func(in map[string]any) map[string]any { in["idempotencyKey"] = key; return in }
			first := f.ok(t, f.admin, tc.mutation, withKey(tc.input()), nil)
			var hash []byte
			f.get(t, &hash, `SELECT input_hash FROM idempotency_keys WHERE tenant_id = $1 AND key = $2`, f.tenant, key)
			if len(hash) != 32 {
				t.Errorf("the key keeps a %d-byte input hash, want a SHA-256", len(hash))
			}

			// The same input, written differently, is a retry: the first answer.
			var in map[string]any
			_ = json.Unmarshal(mustJSON(t, first.vars["input"]), &in)
			again := f.ok(t, f.admin, tc.mutation, withKey(tc.retry(in)), nil)
			if id1, id2 := parNodeID(t, first), parNodeID(t, again); id1 != id2 {
				t.Errorf("a retry answered %s, the first request %s", decodeForHumans(id2), decodeForHumans(id1))
			}

			// Another input with the key is a conflict, and writes nothing.
			before := f.mutCounts(t)
			_ = json.Unmarshal(mustJSON(t, first.vars["input"]), &in)
			res := f.fails(t, f.owner, tc.mutation, withKey(tc.change(in)))
			e := mutWantUserError(t, res, "IDEMPOTENCY_CONFLICT", "input", "idempotencyKey")
			if !strings.Contains(e.Message, "different input") {
				t.Errorf("the conflict should say the input differs: %q", e.Message)
			}
			mutWantSameCounts(t, before, f.mutCounts(t))
		})
	}

	// Keys claimed before inputs were kept have no hash: a retry with them
	// answers the first request whatever its input, as it always did.
	t.Run("keys without an input hash", func(t *testing.T) {
		key := fmt.Sprintf("parity-legacy-%d", f.seq.Add(1))
		var b1, b2 mutNamed
		f.ok(t, f.admin, "createBrand", map[string]any{"name": f.uniq("Legacy Brand"), "idempotencyKey": key}, &b1)
		if _, err := f.db.ExecContext(t.Context(), `UPDATE idempotency_keys SET input_hash = NULL WHERE tenant_id = $1 AND key = $2`, f.tenant, key); err != nil {
			t.Fatal(err)
		}
		f.ok(t, f.admin, "createBrand", map[string]any{"name": f.uniq("Legacy Brand"), "idempotencyKey": key}, &b2)
		if b1.ID != b2.ID {
			t.Errorf("a key without a hash answered %s, want the first brand %s", b2.ID, b1.ID)
		}
	})
}

// parNodeID is the ID of a mutation payload's node.
func parNodeID(t *testing.T, res *mutResult) string {
	t.Helper()
	var n struct{ ID string }
	if err := json.Unmarshal(res.Node, &n); err != nil || n.ID == "" {
		t.Fatalf("no node ID in %s", res.Node)
	}
	return n.ID
}

// ---------------------------------------------------------------------------
// 4. Seed 003's channel, include_imported, display_absolute_time and
// language icons.

func TestParitySeed003Fields(t *testing.T) {
	acme := flTenants(t, "acme-music", false)
	members := flMembers("acme-music", false)
	all := flAcme(t, "true")

	t.Run("channel and include_imported", func(t *testing.T) {
		var d struct {
			Tenant struct {
				Members struct {
					Facets struct{ Channel []flBucket }
					Edges  []struct {
						Node struct {
							ID                  string
							Channel             string
							DisplayAbsoluteTime bool
						}
					}
				}
			}
		}
		query(t, `{ tenant(slug: "acme-music") { members(first: 500, includeSubsidiaries: false) {
			facets { channel { value count } } edges { node { id channel displayAbsoluteTime } } } } }`, nil, &d)
		var rows []struct {
			ID       string `db:"id"`
			Channel  string `db:"channel"`
			Absolute bool   `db:"display_absolute_time"`
		}
		sqlRows(t, &rows, `SELECT id, channel, display_absolute_time FROM users WHERE id = ANY($1::uuid[])`, pq.Array(flUUIDs(t, all)))
		byID := map[string]int{}
		for i, r := range rows {
			byID[gid(model.TypeUser, r.ID)] = i
		}
		absolute := 0
		for _, e := range d.Tenant.Members.Edges {
			r := rows[byID[e.Node.ID]]
			if e.Node.Channel != r.Channel || e.Node.DisplayAbsoluteTime != r.Absolute {
				t.Errorf("user %s: channel %s, displayAbsoluteTime %t; the row has %s, %t", r.ID, e.Node.Channel, e.Node.DisplayAbsoluteTime, r.Channel, r.Absolute)
			}
			if r.Absolute {
				absolute++
			}
		}
		if absolute == 0 || absolute == len(rows) {
			t.Errorf("the seed should give some members displayAbsoluteTime, not all: %d of %d", absolute, len(rows))
		}
		flCheckBuckets(t, "channel facet", d.Tenant.Members.Facets.Channel, `SELECT u.channel AS value, count(*) AS count
			FROM memberships m JOIN users u ON u.id = m.user_id WHERE m.tenant_id = $1 AND m.status <> 'PENDING' AND `+flLive+` GROUP BY 1`, acme[0])

		notImported := flAcme(t, "u.channel <> 'IMPORT'")
		flMeaningful(t, "include_imported=false", notImported, len(all))
		members.check(t, "filter", flM{"filter": flM{"channel": flM{"ne": "IMPORT"}}}, notImported)
		members.check(t, "query -channel", flM{"query": "-channel:IMPORT"}, notImported)
		members.check(t, "query channel:-", flM{"query": "channel:-IMPORT"}, notImported)
		members.check(t, "imported only", flM{"query": "channel:import"}, flAcme(t, "u.channel = 'IMPORT'"))
	})

	t.Run("new accounts record how they came", func(t *testing.T) {
		f := parSetup(t)
		user, _ := f.invite(t, f.admin, "USER")
		key := parAPIKey(t, f, "ADMIN")
		var m mutMembership
		f.ok(t, key, "inviteMember", map[string]any{"email": f.email("by-key")}, &m)
		for who, want := range map[string]string{user: "INVITATION", mutUUID(t, m.User.ID): "API"} {
			var d struct{ Node struct{ Channel string } }
			f.read(t, f.admin, `query($id: ID!) { node(id: $id) { ... on User { channel } } }`, map[string]any{"id": gid(model.TypeUser, who)}, &d)
			if d.Node.Channel != want {
				t.Errorf("user %s: channel %s, want %s", who, d.Node.Channel, want)
			}
		}
	})

	t.Run("display_absolute_time is the user's to set", func(t *testing.T) {
		f := parSetup(t)
		me := gid(model.TypeUser, f.user.id)
		q := `mutation($in: UpdateUserInput!) { updateUser(input: $in) { user { displayAbsoluteTime } userErrors { field code } } }`
		for _, v := range []bool{true, false} {
			var d struct {
				UpdateUser struct {
					User       struct{ DisplayAbsoluteTime bool }
					UserErrors []mutUserError
				}
			}
			f.read(t, f.user, q, map[string]any{"in": map[string]any{"id": me, "profile": map[string]any{"displayAbsoluteTime": v}}}, &d)
			if len(d.UpdateUser.UserErrors) > 0 || d.UpdateUser.User.DisplayAbsoluteTime != v {
				t.Errorf("setting displayAbsoluteTime to %t: %+v", v, d.UpdateUser)
			}
			if n := f.count(t, `SELECT count(*) FROM users WHERE id = $1 AND display_absolute_time = $2`, f.user.id, v); n != 1 {
				t.Errorf("the row does not hold displayAbsoluteTime %t", v)
			}
		}
		res := f.fails(t, f.user, "updateUser", map[string]any{"id": me, "profile": map[string]any{"displayAbsoluteTime": nil}})
		mutWantUserError(t, res, "REQUIRED", "input", "profile", "displayAbsoluteTime")
	})

	t.Run("language icons", func(t *testing.T) {
		f := parSetup(t)
		if _, err := f.db.ExecContext(t.Context(), `UPDATE languages SET icon = '🇫🇷', square_icon = 'https://cdn.example.com/flags/fr-square.svg' WHERE code = 'fr'`); err != nil {
			t.Fatal(err)
		}
		var d struct {
			Tenant struct {
				Members struct {
					Edges []struct {
						Node struct {
							Language *struct {
								Code, Name       string
								Icon, SquareIcon *string
							}
						}
					}
				}
			}
		}
		f.read(t, f.admin, `{ tenant(slug: "acme-music") { members(first: 100, filter: {language: {in: ["fr", "en"]}}) {
			edges { node { language { code name icon squareIcon } } } } } }`, nil, &d)
		seen := map[string]bool{}
		for _, e := range d.Tenant.Members.Edges {
			l := e.Node.Language
			seen[l.Code] = true
			switch {
			case l.Code == "fr" && (mutDeref(l.Icon) != "🇫🇷" || mutDeref(l.SquareIcon) != "https://cdn.example.com/flags/fr-square.svg" || l.Name != "French"):
				t.Errorf("French: %+v", *l)
			case l.Code == "en" && (l.Icon != nil || l.SquareIcon != nil):
				t.Errorf("English has no icons set, got %s and %s", mutDeref(l.Icon), mutDeref(l.SquareIcon))
			}
		}
		if !seen["fr"] || !seen["en"] {
			t.Fatalf("the seed should have French and English speakers among the first members: %v", seen)
		}
	})
}

// parAPIKey creates an API key of acme-music with the role and returns a
// caller that authenticates with it.
func parAPIKey(t *testing.T, f *mutationFixture, role string) mutWho {
	t.Helper()
	var d struct {
		CreateApiKey struct {
			Authorization string
			ApiKey        struct{ ID string }
		}
	}
	f.read(t, f.admin, `mutation($in: CreateApiKeyInput!) { createApiKey(input: $in) { authorization apiKey { id } } }`,
		map[string]any{"in": map[string]any{"name": f.uniq("parity key"), "role": role}}, &d)
	if d.CreateApiKey.Authorization == "" {
		t.Fatal("createApiKey gave no authorization")
	}
	return mutWho{name: "API key " + d.CreateApiKey.ApiKey.ID, id: d.CreateApiKey.ApiKey.ID,
		header: map[string]string{"Authorization": d.CreateApiKey.Authorization}}
}

// ---------------------------------------------------------------------------
// 5. Artist.tracks and Tenant.tracks.

// parArtistTracks is Artist.tracks of one artist, every argument a variable.
func parArtistTracks(artistID string) flList {
	return flList{
		name: "tracks of artist " + artistID,
		query: `query($id: ID!, ` + flPageVars + `, $filter: TrackFilter, $orderBy: [TrackOrder!]) {
			node(id: $id) { ... on Artist { tracks(` + flPageArgs + `) ` + connSelection + ` } } }`,
		path: []string{"node", "tracks"},
		vars: map[string]any{"id": gid(model.TypeArtist, artistID)},
	}
}

func TestParityTrackLists(t *testing.T) {
	t.Run("Tenant.tracks", func(t *testing.T) {
		for _, subs := range []bool{false, true} {
			tree := flTenants(t, "acme-music", subs)
			l := flTenantList("tracks", "TrackFilter", "TrackOrder", "acme-music", subs)
			rows := func(cond, order string) []string {
				return sqlIDs(t, model.TypeTrack, `SELECT t.id FROM tracks t WHERE t.tenant_id = ANY($1::uuid[]) AND (`+cond+`) ORDER BY `+order, pq.Array(tree))
			}
			all := rows("true", "t.created_at DESC, t.id DESC")
			l.check(t, "newest first", flM{}, all)
			explicit := rows("t.explicit", "t.title"+parICU+" ASC, t.id ASC")
			flMeaningful(t, "explicit", explicit, len(all))
			l.check(t, "explicit by title", flM{"filter": flM{"explicit": true}, "orderBy": flOrder("TITLE ASC")}, explicit)
			l.check(t, "query", flM{"query": "duration:>=200 -explicit:true"}, rows("t.duration_seconds >= 200 AND NOT t.explicit", "t.created_at DESC, t.id DESC"))
			l.walk(t, flM{"filter": flM{"durationSeconds": flM{"lt": 150}}, "orderBy": flOrder("DURATION DESC")}, 97,
				rows("t.duration_seconds < 150", "t.duration_seconds DESC NULLS LAST, t.id DESC"))
		}
		var d struct {
			Tenant struct {
				Tracks struct{ Facets struct{ Explicit []flBucket } }
			}
		}
		query(t, `{ tenant(slug: "acme-music") { tracks(first: 1) { facets { explicit { value count } } } } }`, nil, &d)
		flCheckBuckets(t, "explicit", d.Tenant.Tracks.Facets.Explicit, `SELECT t.explicit::text AS value, count(*) AS count FROM tracks t
			WHERE t.tenant_id = ANY($1::uuid[]) GROUP BY 1`, pq.Array(flTenants(t, "acme-music", true)))
	})

	// Artists of acme-music with credits: their tracks with the credit on
	// each edge, as track_artists holds them.
	var artists []string
	sqlRows(t, &artists, `SELECT a.id FROM artists a WHERE a.tenant_id = $1
		AND EXISTS (SELECT 1 FROM track_artists ta WHERE ta.artist_id = a.id) ORDER BY a.id LIMIT 8`, tenantID(t, "acme-music"))
	if len(artists) < 8 {
		t.Fatalf("the seed should have 8 artists of acme-music with track credits: %v", artists)
	}

	t.Run("Artist.tracks with the credit", func(t *testing.T) {
		ids := make([]string, len(artists))
		for i, a := range artists {
			ids[i] = gid(model.TypeArtist, a)
		}
		q := `query($ids: [ID!]!) { nodes(ids: $ids) { ... on Artist { id tracks(first: 500) { totalCount edges { role position node { id databaseId } } } } } }`
		var d struct {
			Nodes []struct {
				ID     string
				Tracks struct {
					TotalCount int
					Edges      []struct {
						Role     string
						Position int
						Node     struct{ ID, DatabaseID string }
					}
				}
			}
		}
		r := query(t, q, map[string]any{"ids": ids}, &d)
		featured := 0
		for i, n := range d.Nodes {
			var want []struct {
				Track    string `db:"track"`
				Role     string `db:"role"`
				Position int    `db:"position"`
			}
			sqlRows(t, &want, `SELECT t.id AS track, ta.role, ta.position FROM track_artists ta JOIN tracks t ON t.id = ta.track_id
				WHERE ta.artist_id = $1 ORDER BY t.created_at DESC, t.id DESC`, artists[i])
			if len(n.Tracks.Edges) != len(want) || n.Tracks.TotalCount != len(want) {
				t.Fatalf("artist %s: %d tracks (totalCount %d), want %d", artists[i], len(n.Tracks.Edges), n.Tracks.TotalCount, len(want))
			}
			for j, e := range n.Tracks.Edges {
				w := want[j]
				if e.Node.DatabaseID != w.Track || e.Role != w.Role || e.Position != w.Position {
					t.Fatalf("artist %s, track %d: %s %s %d, want %s %s %d", artists[i], j, e.Node.DatabaseID, e.Role, e.Position, w.Track, w.Role, w.Position)
				}
				if e.Role == "FEATURED" {
					featured++
				}
			}
		}
		if featured == 0 {
			t.Error("no FEATURED credit was checked")
		}
		// One statement per level, however many artists and tracks.
		small := query(t, q, map[string]any{"ids": ids[:2]}, nil)
		if a, b := small.statements(t), r.statements(t); a != b {
			t.Errorf("Artist.tracks of 2 artists ran %d statements, of %d artists %d: want the same", a, len(ids), b)
		}
	})

	t.Run("Artist.tracks filters, orders and pages", func(t *testing.T) {
		a := artists[0]
		rows := func(cond, order string) []string {
			return sqlIDs(t, model.TypeTrack, `SELECT t.id FROM track_artists ta JOIN tracks t ON t.id = ta.track_id
				WHERE ta.artist_id = $1 AND (`+cond+`) ORDER BY `+order, a)
		}
		l := parArtistTracks(a)
		all := rows("true", "t.created_at DESC, t.id DESC")
		l.walk(t, flM{}, 3, all)
		l.check(t, "by title", flM{"orderBy": flOrder("TITLE DESC")}, rows("true", "t.title"+parICU+" DESC, t.id DESC"))
		l.check(t, "explicit", flM{"filter": flM{"explicit": false}}, rows("NOT t.explicit", "t.created_at DESC, t.id DESC"))
		if c := l.page(t, flM{"first": 4, "offset": 2}); diffIDs(c.ids(), all[2:6]) != "" || *c.TotalCount != len(all) {
			t.Errorf("offset 2: %s, totalCount %d of %d", diffIDs(c.ids(), all[2:6]), *c.TotalCount, len(all))
		}
	})
}

// ---------------------------------------------------------------------------
// 6. Every node's database UUID.

func TestParityDatabaseIDs(t *testing.T) {
	f := parSetup(t)
	key := parAPIKey(t, f, "USER") // an API key, and with it an audit entry
	uuids := map[model.NodeType]string{model.TypeTenant: f.tenant, model.TypeUser: f.admin.id, model.TypeAPIKey: mutUUID(t, key.id)}
	for typ, table := range map[model.NodeType]string{
		model.TypeBrand: "brands", model.TypeGroup: "groups", model.TypeMembership: "memberships",
		model.TypeBrandAccess: "brand_access", model.TypeArtist: "artists", model.TypeLabel: "labels",
		model.TypeRelease: "releases", model.TypeTrack: "tracks", model.TypeAuditLogEntry: "audit_log",
	} {
		var id string
		f.get(t, &id, `SELECT id::text FROM `+table+` WHERE tenant_id = $1 ORDER BY id LIMIT 1`, f.tenant)
		uuids[typ] = id
	}
	var ids, want []string
	for typ, id := range uuids {
		ids = append(ids, gid(typ, id))
		want = append(want, id)
	}
	var d struct {
		Nodes []struct {
			Typename   string `json:"__typename"`
			ID         string
			DatabaseID string
		}
	}
	f.read(t, f.admin, `query($ids: [ID!]!) { nodes(ids: $ids) { __typename id databaseId } }`, map[string]any{"ids": ids}, &d)
	if len(d.Nodes) != len(ids) {
		t.Fatalf("%d nodes for %d IDs", len(d.Nodes), len(ids))
	}
	for i, n := range d.Nodes {
		if n.ID != ids[i] || n.DatabaseID != want[i] {
			t.Errorf("%s: id %s databaseId %s, want %s and %s", n.Typename, n.ID, n.DatabaseID, ids[i], want[i])
		}
	}
	// Below lists too, and the UUID finds the same row through a filter.
	var l struct {
		Tenant struct {
			DatabaseID string
			Members    struct {
				Edges []struct {
					Node       struct{ ID, DatabaseID string }
					Membership struct{ DatabaseID string }
				}
			}
		}
	}
	f.read(t, f.admin, `query($id: ID!) { tenant(slug: "acme-music") { databaseId members(first: 1, filter: {id: {eq: $id}}) {
		edges { node { id databaseId } membership { databaseId } } } } }`, map[string]any{"id": f.admin.id}, &l)
	if l.Tenant.DatabaseID != f.tenant || len(l.Tenant.Members.Edges) != 1 || l.Tenant.Members.Edges[0].Node.DatabaseID != f.admin.id ||
		l.Tenant.Members.Edges[0].Node.ID != gid(model.TypeUser, f.admin.id) {
		t.Errorf("tenant %s, members %+v; want the admin %s", l.Tenant.DatabaseID, l.Tenant.Members.Edges, f.admin.id)
	}
	var mid string
	f.get(t, &mid, `SELECT id::text FROM memberships WHERE tenant_id = $1 AND user_id = $2`, f.tenant, f.admin.id)
	if e := l.Tenant.Members.Edges; len(e) == 1 && e[0].Membership.DatabaseID != mid {
		t.Errorf("membership databaseId %s, want %s", e[0].Membership.DatabaseID, mid)
	}
}

// ---------------------------------------------------------------------------
// 7. The audit log.

// parEntry is an audit entry as the API gives it.
type parEntry struct {
	ID                string
	DatabaseID        string
	Action            string
	SubjectID         *string
	SubjectDatabaseID *string
	SubjectType       *string
	Detail            json.RawMessage
	CreatedAt         time.Time
	Tenant            struct{ Slug string }
	Actor, ActingAs   *mutRef
	APIKey            *mutRef `json:"apiKey"`
}

const parEntrySelection = `id databaseId action subjectId subjectDatabaseId subjectType detail createdAt tenant { slug }
	actor { id } actingAs { id } apiKey { id }`

// parAuditRow is an audit_log row as the oracle reads it.
type parAuditRow struct {
	ID       string  `db:"id"`
	Action   string  `db:"action"`
	Subject  *string `db:"subject_id"`
	Actor    *string `db:"actor_id"`
	ActingAs *string `db:"acting_as"`
	APIKey   *string `db:"api_key_id"`
	Detail   string  `db:"detail"`
}

func (f *mutationFixture) auditRows(t *testing.T, cond string, args ...any) []parAuditRow {
	t.Helper()
	var rows []parAuditRow
	f.sel(t, &rows, `SELECT id::text, action, subject_id::text, actor_id::text, acting_as::text, api_key_id::text, detail::text
		FROM audit_log al WHERE `+cond+` ORDER BY created_at DESC, id DESC`, args...)
	return rows
}

// parCheckEntries compares entries with the oracle's rows, field by field.
func parCheckEntries(t *testing.T, what string, got []parEntry, want []parAuditRow) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: %d entries, want %d", what, len(got), len(want))
	}
	ref := func(r *mutRef) string {
		if r == nil {
			return ""
		}
		return mutUUID(t, r.ID)
	}
	for i, e := range got {
		w := want[i]
		if e.DatabaseID != w.ID || e.ID != gid(model.TypeAuditLogEntry, w.ID) || e.Action != w.Action || e.Tenant.Slug == "" {
			t.Fatalf("%s: entry %d is %s %s, want %s %s", what, i, e.DatabaseID, e.Action, w.ID, w.Action)
		}
		if ref(e.Actor) != mutDeref(w.Actor) && !(e.Actor == nil && w.Actor == nil) ||
			ref(e.ActingAs) != mutDeref(w.ActingAs) && !(e.ActingAs == nil && w.ActingAs == nil) ||
			ref(e.APIKey) != mutDeref(w.APIKey) && !(e.APIKey == nil && w.APIKey == nil) {
			t.Errorf("%s: entry %s (%s): actor %s, actingAs %s, apiKey %s; want %s, %s, %s", what, w.ID, w.Action,
				ref(e.Actor), ref(e.ActingAs), ref(e.APIKey), mutDeref(w.Actor), mutDeref(w.ActingAs), mutDeref(w.APIKey))
		}
		if mutDeref(e.SubjectDatabaseID) != mutDeref(w.Subject) || (w.Subject != nil && (e.SubjectID == nil || mutUUID(t, *e.SubjectID) != *w.Subject)) {
			t.Errorf("%s: entry %s: subject %s / %s, want %s", what, w.ID, mutDeref(e.SubjectID), mutDeref(e.SubjectDatabaseID), mutDeref(w.Subject))
		}
		var gotDetail, wantDetail any
		_ = json.Unmarshal(e.Detail, &gotDetail)
		_ = json.Unmarshal([]byte(w.Detail), &wantDetail)
		if !jsonEqual(gotDetail, wantDetail) {
			t.Errorf("%s: entry %s: detail %s, want %s", what, w.ID, e.Detail, w.Detail)
		}
	}
}

func jsonEqual(a, b any) bool {
	x, _ := json.Marshal(a)
	y, _ := json.Marshal(b)
	return string(x) == string(y)
}

func TestParityAuditLog(t *testing.T) {
	f := parSetup(t)
	var since time.Time
	f.get(t, &since, `SELECT now()`)
	artist := f.newArtist(t, f.admin, "")
	f.ok(t, f.admin, "updateArtist", map[string]any{"id": gid(model.TypeArtist, artist), "fields": map[string]any{"genre": "Jazz"}}, nil)
	for range 2 {
		f.ok(t, f.admin.impersonating(f.user), "updateUser", map[string]any{"id": gid(model.TypeUser, f.user.id), "profile": map[string]any{"nickname": f.uniq("Imp")}}, nil)
	}
	key := parAPIKey(t, f, "ADMIN")
	f.ok(t, key, "createLabel", map[string]any{"name": f.uniq("Keyed Label")}, nil)
	tree := pq.Array(flTenantsOf(t, f, true))

	list := flList{
		name: "tenant.auditLog",
		query: `query($first: Int, $after: String, $last: Int, $before: String, $filter: AuditLogFilter, $query: String, $subs: Boolean) {
			tenant(slug: "acme-music") { auditLog(first: $first, after: $after, last: $last, before: $before, filter: $filter, query: $query, includeSubsidiaries: $subs) {
				totalCount pageInfo { hasNextPage hasPreviousPage startCursor endCursor } edges { cursor node { ` + parEntrySelection + ` } } } } }`,
		path: []string{"tenant", "auditLog"},
	}
	read := func(t *testing.T, who mutWho, vars map[string]any) ([]parEntry, pageInfo, int) {
		t.Helper()
		var d struct {
			Tenant struct {
				AuditLog struct {
					TotalCount int
					PageInfo   pageInfo
					Edges      []struct{ Node parEntry }
				}
			}
		}
		f.read(t, who, list.query, vars, &d)
		var out []parEntry
		for _, e := range d.Tenant.AuditLog.Edges {
			out = append(out, e.Node)
		}
		return out, d.Tenant.AuditLog.PageInfo, d.Tenant.AuditLog.TotalCount
	}

	t.Run("the tenant's entries, newest first, page by page", func(t *testing.T) {
		want := f.auditRows(t, "tenant_id = ANY($1::uuid[])", tree)
		if len(want) < 5 {
			t.Fatalf("only %d audit rows", len(want))
		}
		var got []parEntry
		vars := map[string]any{"first": 2}
		for i := 0; ; i++ {
			page, pi, total := read(t, f.admin, vars)
			if total != len(want) {
				t.Fatalf("totalCount %d, want %d", total, len(want))
			}
			got = append(got, page...)
			if !pi.HasNextPage || i > len(want) {
				break
			}
			vars["after"] = *pi.EndCursor
		}
		parCheckEntries(t, "forward", got, want)
		back, _, _ := read(t, f.admin, map[string]any{"last": 3})
		parCheckEntries(t, "last 3", back, want[len(want)-3:])
	})

	t.Run("filters: actor, action, time", func(t *testing.T) {
		for _, tc := range []struct {
			name string
			vars map[string]any
			cond string
			args []any
		}{
			{"actor", map[string]any{"filter": flM{"actor": flM{"eq": gid(model.TypeUser, f.admin.id)}}}, "actor_id = $2", []any{f.admin.id}},
			{"action like", map[string]any{"filter": flM{"action": flM{"like": "artist.*"}}}, "action LIKE 'artist.%'", nil},
			{"since", map[string]any{"filter": flM{"createdAt": flM{"gte": since.Format(time.RFC3339Nano)}}}, "created_at >= $2", []any{since}},
			{"query", map[string]any{"query": "action:artist.update,label.create actor:!null"}, "action IN ('artist.update', 'label.create') AND actor_id IS NOT NULL", nil},
			{"impersonated", map[string]any{"query": "actingAs:!null"}, "acting_as IS NOT NULL", nil},
			{"by API key", map[string]any{"filter": flM{"apiKey": flM{"eq": key.id}}}, "api_key_id = $2", []any{mutUUID(t, key.id)}},
			{"today", map[string]any{"query": "created:" + since.UTC().Format("2006-01-02") + " -action:apiKey.create"},
				"created_at >= $2 AND created_at < $3 AND action <> 'apiKey.create'",
				[]any{since.UTC().Truncate(24 * time.Hour), since.UTC().Truncate(24*time.Hour).AddDate(0, 0, 1)}},
		} {
			want := f.auditRows(t, "tenant_id = ANY($1::uuid[]) AND "+tc.cond, append([]any{tree}, tc.args...)...)
			if len(want) == 0 {
				t.Fatalf("%s: the oracle selects nothing", tc.name)
			}
			vars := maps.Clone(tc.vars)
			vars["first"] = 500
			got, _, _ := read(t, f.admin, vars)
			parCheckEntries(t, tc.name, got, want)
		}
		e := wantErrorCode(t, f.mustPost(t, f.admin, list.query, map[string]any{"query": "action:zz:x"}), api.CodeBadUserInput)
		if pos, _ := e.Extensions["position"].(float64); int(pos) != 7 {
			t.Errorf("unknown operator at %v, want 7", e.Extensions["position"])
		}
	})

	t.Run("the entries about an object", func(t *testing.T) {
		cases := []struct {
			typ     model.NodeType
			id      string
			actions []string
		}{
			{model.TypeArtist, artist, []string{"artist.update", "artist.create"}},
			{model.TypeUser, f.user.id, nil},
			{model.TypeAPIKey, mutUUID(t, key.id), []string{"apiKey.create"}},
		}
		for _, c := range cases {
			var d struct {
				Node struct {
					AuditLog struct {
						TotalCount int
						Edges      []struct{ Node parEntry }
					}
				}
			}
			f.read(t, f.admin, `query($id: ID!) { node(id: $id) { ... on `+string(c.typ)+` { auditLog(first: 100) { totalCount edges { node { `+parEntrySelection+` } } } } } }`,
				map[string]any{"id": gid(c.typ, c.id)}, &d)
			var got []parEntry
			var actions []string
			for _, e := range d.Node.AuditLog.Edges {
				got = append(got, e.Node)
				actions = append(actions, e.Node.Action)
				if mutDeref(e.Node.SubjectType) != string(c.typ) {
					t.Errorf("%s entry %s: subjectType %s", c.typ, e.Node.Action, mutDeref(e.Node.SubjectType))
				}
			}
			parCheckEntries(t, string(c.typ), got, f.auditRows(t, "subject_id = $1", c.id))
			if c.actions != nil && !slices.Equal(actions, c.actions) {
				t.Errorf("%s: actions %v, want %v", c.typ, actions, c.actions)
			}
			if d.Node.AuditLog.TotalCount != len(got) {
				t.Errorf("%s: totalCount %d for %d entries", c.typ, d.Node.AuditLog.TotalCount, len(got))
			}
		}
		// The impersonated profile change names both people.
		rows := f.auditRows(t, "subject_id = $1 AND action = 'user.update' AND acting_as IS NOT NULL", f.user.id)
		if len(rows) == 0 || mutDeref(rows[0].Actor) != f.admin.id || mutDeref(rows[0].ActingAs) != f.user.id {
			t.Errorf("the impersonated update should be audited with its actor and acted-as user: %+v", rows)
		}
	})

	t.Run("administrators only", func(t *testing.T) {
		entries, _, _ := read(t, f.admin, map[string]any{"first": 1})
		members := []mutWho{f.user, f.brandUser, parAPIKey(t, f, "USER")}
		for _, q := range []struct {
			query string
			vars  map[string]any
		}{
			{list.query, map[string]any{"first": 1}},
			{`query($id: ID!) { node(id: $id) { ... on Artist { auditLog { totalCount } } } }`, map[string]any{"id": gid(model.TypeArtist, artist)}},
			{`query($id: ID!) { node(id: $id) { ... on User { auditLog { edges { node { action } } } } } }`, map[string]any{"id": gid(model.TypeUser, f.user.id)}},
		} {
			for _, who := range members {
				r := f.mustPost(t, who, q.query, q.vars)
				e := wantErrorCode(t, r, "FORBIDDEN")
				if !strings.Contains(e.Message, "audit:read") {
					t.Errorf("FORBIDDEN should name audit:read: %q", e.Message)
				}
			}
		}
		// By global ID: an entry is nothing to a member, itself to an admin.
		q := `query($id: ID!) { node(id: $id) { ... on AuditLogEntry { action } } }`
		for who, visible := range map[*mutWho]bool{&f.user: false, &f.admin: true, &f.owner: true} {
			var d struct{ Node *struct{ Action string } }
			f.read(t, *who, q, map[string]any{"id": entries[0].ID}, &d)
			if (d.Node != nil) != visible {
				t.Errorf("node(audit entry) as %s: %+v, want visible %t", who.name, d.Node, visible)
			}
		}
	})

	// The references selected are set on every entry read (impersonated
	// writes; the newest artists were made through the API), so both page
	// sizes read every level.
	t.Run("one statement per level", func(t *testing.T) {
		q := `query($n: Int) { tenant(slug: "acme-music") { auditLog(first: $n, filter: {actingAs: {isNull: false}}) { totalCount
			edges { node { action actor { id firstName } actingAs { id } tenant { slug } } } }
			artists(first: $n) { edges { node { auditLog(first: $n) { edges { node { action actor { id } } } } } } } } }`
		small := f.mustPost(t, f.admin, q, map[string]any{"n": 1})
		large := f.mustPost(t, f.admin, q, map[string]any{"n": 50})
		mustData(t, small, nil)
		mustData(t, large, nil)
		if a, b := small.statements(t), large.statements(t); a != b {
			t.Errorf("%d statements with pages of 1, %d with pages of 50: want the same", a, b)
		}
	})
}

// mustPost sends a query as who; the exchange must work, whatever GraphQL answers.
func (f *mutationFixture) mustPost(t *testing.T, who mutWho, q string, vars map[string]any) *response {
	t.Helper()
	r, err := f.post(t.Context(), who, q, vars)
	if err != nil {
		t.Fatalf("POST /graphql: %v", err)
	}
	if r.Status >= http.StatusInternalServerError {
		t.Fatalf("HTTP %d\n%s", r.Status, r.describe())
	}
	return r
}

// flTenantsOf is flTenants on the fixture's database.
func flTenantsOf(t *testing.T, f *mutationFixture, subs bool) []string {
	t.Helper()
	var ids []string
	if !subs {
		return []string{f.tenant}
	}
	f.sel(t, &ids, `WITH RECURSIVE sub(id) AS (SELECT $1::uuid UNION ALL SELECT c.id FROM tenants c JOIN sub ON c.parent_id = sub.id)
		SELECT id::text FROM sub`, f.tenant)
	return ids
}
