package api_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"catalogue/db"
	"catalogue/db/model"
	"catalogue/internal/api"
	"catalogue/internal/auth"
)

// The read plan: a request costs one SQL statement per field and level of
// its selection, whatever the page sizes, the number of rows per level, the
// number of IDs given to nodes(), and whether a level hangs below a list, a
// to-one reference, node/nodes or a root object. These tests run against a
// server whose loaders wait one nanosecond, so a level that the plan does
// not read at once cannot be rescued by a lucky batch: it shows up as extra
// statements.

var planServer struct {
	once sync.Once
	url  string
}

// planURL is the address of the suite's handler with a 1ns loader wait.
func planURL(t testing.TB) string {
	t.Helper()
	planServer.once.Do(func() {
		verifier, err := auth.NewTokenVerifier(auth.TokenConfig{HS256Secret: tokenSecret})
		if err != nil {
			panic(err)
		}
		store := db.NewStore(env.RuntimeDB)
		srv := httptest.NewServer(api.New(store, slog.New(&captureHandler{store: serverLog}), api.Config{
			SQLStats: true, LoaderWait: time.Nanosecond, Auth: auth.NewAuthenticator(store, verifier, auth.CacheConfig{}),
			// The nested shape at 20 releases may return 160,000 artists
			// by its page sizes; the seed has far fewer rows.
			MaxCost: 10_000_000,
		}))
		// The server lives as long as the test binary; TestMain's cleanup
		// drops the database under it.
		planServer.url = srv.URL
	})
	return planServer.url
}

// planQuery runs a query that must succeed on the 1ns server, as token's
// bearer ("" for the suite's administrator), and decodes its data.
func planQuery(t testing.TB, token, q string, vars map[string]any, dst any) *response {
	t.Helper()
	if token == "" {
		token = bearer
	}
	body, _ := json.Marshal(map[string]any{"query": q, "variables": vars})
	req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, planURL(t)+"/graphql", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+token)
	r, err := send(req)
	if r != nil {
		r.query, r.vars = q, vars
	}
	if err != nil {
		t.Fatalf("POST /graphql: %v", err)
	}
	mustData(t, r, dst)
	return r
}

// wantStatements asserts the statement count of a response.
func wantStatements(t testing.TB, r *response, want int, what string) {
	t.Helper()
	if got := r.statements(t); got != want {
		t.Errorf("%s: %d SQL statements, want %d (one per field and level of the plan)", what, got, want)
	}
}

// Decoded shapes shared by the tests below.
type (
	idNode          struct{ ID string }
	idEdges         struct{ Edges []struct{ Node idNode } }
	planRel         struct{ ID string }
	planConn[N any] struct {
		Edges []struct{ Node N }
	}
)

func (c planConn[N]) nodes() []N {
	out := make([]N, len(c.Edges))
	for i, e := range c.Edges {
		out[i] = e.Node
	}
	return out
}

func (c idEdges) ids() []string {
	out := make([]string, len(c.Edges))
	for i, e := range c.Edges {
		out[i] = e.Node.ID
	}
	return out
}

// oracle answers the questions the tests ask of the data, from SQL.
type oracle struct{ t testing.TB }

func (o oracle) tracks(releaseGID string, first int) []string {
	_, id, _ := model.DecodeID(releaseGID)
	return sqlIDs(o.t, model.TypeTrack, `SELECT id FROM tracks WHERE release_id = $1 ORDER BY position, id LIMIT $2`, id, first)
}

func (o oracle) trackArtists(trackGID string, first int) []string {
	_, id, _ := model.DecodeID(trackGID)
	return sqlIDs(o.t, model.TypeArtist, `SELECT artist_id FROM track_artists WHERE track_id = $1 ORDER BY position, id LIMIT $2`, id, first)
}

func (o oracle) artistReleases(artistGID string, first int) []string {
	_, id, _ := model.DecodeID(artistGID)
	return sqlIDs(o.t, model.TypeRelease, `SELECT r.id FROM release_artists ra JOIN releases r ON r.id = ra.release_id
		WHERE ra.artist_id = $1 ORDER BY r.created_at DESC, r.id DESC LIMIT $2`, id, first)
}

func (o oracle) labelReleases(labelGID string, first int) []string {
	_, id, _ := model.DecodeID(labelGID)
	return sqlIDs(o.t, model.TypeRelease, `SELECT id FROM releases WHERE label_id = $1 ORDER BY created_at DESC, id DESC LIMIT $2`, id, first)
}

func (o oracle) labelOf(releaseGID string) *string {
	_, id, _ := model.DecodeID(releaseGID)
	var label *string
	sqlValue(o.t, &label, `SELECT label_id FROM releases WHERE id = $1`, id)
	if label == nil {
		return nil
	}
	g := gid(model.TypeLabel, *label)
	return &g
}

// planTenant is the tenant with the most releases that have tracks with
// credited artists and a label, so that every level of the plan has rows.
func planTenant(t testing.TB) (slug, id string) {
	t.Helper()
	sqlValue(t, &slug, `
		SELECT t.slug FROM tenants t JOIN releases r ON r.tenant_id = t.id
		WHERE r.label_id IS NOT NULL AND EXISTS (SELECT 1 FROM tracks tr JOIN track_artists ta ON ta.track_id = tr.id WHERE tr.release_id = r.id)
		GROUP BY t.id, t.slug ORDER BY count(*) DESC, t.slug LIMIT 1`)
	id = tenantID(t, slug)
	var n int
	sqlValue(t, &n, `SELECT count(*) FROM releases WHERE tenant_id = $1`, id)
	if n < 20 {
		t.Fatalf("tenant %s has %d releases; the tests need 20", slug, n)
	}
	return slug, id
}

// The nested shape of the issue: tracks, their release (a to-one
// reference), its tracks again and their artists. Levels: tenant,
// releases, tracks, track.release, release.tracks, track.artists.
func TestPlanNestedShapeCostsItsLevels(t *testing.T) {
	slug, tid := planTenant(t)
	const levels = 6
	q := `query($slug: String!, $n: Int!) { tenant(slug: $slug) { releases(first: $n` + own + `) { edges { node { id
		tracks { edges { node { id release { id tracks { edges { node { id artists { edges { node { id } } } } } } } } } } } } } } }`
	type innerTrack struct {
		ID      string
		Artists idEdges
	}
	type track struct {
		ID      string
		Release struct {
			ID     string
			Tracks planConn[innerTrack]
		}
	}
	type release struct {
		ID     string
		Tracks planConn[track]
	}
	all := sqlIDs(t, model.TypeRelease, `SELECT id FROM releases WHERE tenant_id = $1 ORDER BY created_at DESC, id DESC`, tid)
	o := oracle{t}
	counts := map[int]int{}
	for _, n := range []int{1, 2, 5, 10, 20} {
		var data struct {
			Tenant struct{ Releases planConn[release] }
		}
		r := planQuery(t, "", q, map[string]any{"slug": slug, "n": n}, &data)
		counts[n] = r.statements(t)
		rels := data.Tenant.Releases.nodes()
		got := make([]string, len(rels))
		artists := 0
		for i, rel := range rels {
			got[i] = rel.ID
			wantTracks := o.tracks(rel.ID, 20)
			outer := rel.Tracks.nodes()
			outerIDs := make([]string, len(outer))
			for j, tr := range outer {
				outerIDs[j] = tr.ID
				if tr.Release.ID != rel.ID {
					t.Fatalf("n=%d: track %s listed under release %s says its release is %s", n, tr.ID, rel.ID, tr.Release.ID)
				}
				inner := tr.Release.Tracks.nodes()
				innerIDs := make([]string, len(inner))
				for k, it := range inner {
					innerIDs[k] = it.ID
					wantIDs(t, fmt.Sprintf("n=%d: artists of track %s", n, it.ID), it.Artists.ids(), o.trackArtists(it.ID, 20))
					artists += len(it.Artists.Edges)
				}
				wantIDs(t, fmt.Sprintf("n=%d: tracks of release %s reached through track %s", n, rel.ID, tr.ID), innerIDs, wantTracks)
			}
			wantIDs(t, fmt.Sprintf("n=%d: tracks of release %s", n, rel.ID), outerIDs, wantTracks)
		}
		wantIDs(t, fmt.Sprintf("n=%d: releases", n), got, all[:n])
		if artists == 0 {
			t.Fatalf("n=%d: no artists at the deepest level; the query does not exercise every level", n)
		}
		wantStatements(t, r, levels, fmt.Sprintf("nested shape with %d releases", n))
	}
	t.Logf("statements by page size: %v", counts)
}

// releasesWithTracks are the global IDs of releases that have tracks.
func releasesWithTracks(t testing.TB, n int) []string {
	t.Helper()
	ids := sqlIDs(t, model.TypeRelease, `SELECT r.id FROM releases r WHERE EXISTS (SELECT 1 FROM tracks tr WHERE tr.release_id = r.id)
		AND r.label_id IS NOT NULL ORDER BY r.id LIMIT $1`, n)
	if len(ids) < n {
		t.Fatalf("the seed has %d releases with tracks and a label, the test needs %d", len(ids), n)
	}
	return ids
}

// Under nodes() the selections of the concrete types are planned for all
// the IDs at once: 1 or 50 releases cost the same.
func TestPlanUnderNodesIsIndependentOfTheNumberOfIDs(t *testing.T) {
	q := `query($ids: [ID!]!) { nodes(ids: $ids) { ... on Release { id tracks { edges { node { id release { id } } } } } } }`
	type track struct {
		ID      string
		Release planRel
	}
	o := oracle{t}
	ids := releasesWithTracks(t, 50)
	counts := map[int]int{}
	for _, n := range []int{1, 50} {
		var data struct {
			Nodes []*struct {
				ID     string
				Tracks planConn[track]
			}
		}
		r := planQuery(t, "", q, map[string]any{"ids": ids[:n]}, &data)
		counts[n] = r.statements(t)
		if len(data.Nodes) != n {
			t.Fatalf("%d nodes for %d IDs", len(data.Nodes), n)
		}
		for i, node := range data.Nodes {
			if node == nil || node.ID != ids[i] {
				t.Fatalf("nodes[%d] = %+v, want %s", i, node, ids[i])
			}
			var got []string
			for _, tr := range node.Tracks.nodes() {
				got = append(got, tr.ID)
				if tr.Release.ID != node.ID {
					t.Errorf("track %s of release %s says its release is %s", tr.ID, node.ID, tr.Release.ID)
				}
			}
			wantIDs(t, "tracks of "+node.ID, got, o.tracks(node.ID, 20))
		}
		// releases by ID, their tracks, the tracks' release
		wantStatements(t, r, 3, fmt.Sprintf("nodes() of %d releases", n))
	}
	t.Logf("statements by number of IDs: %v", counts)
}

// node() plans below the one object it returns like nodes() does.
func TestPlanUnderNode(t *testing.T) {
	id := releasesWithTracks(t, 1)[0]
	q := `query($id: ID!) { node(id: $id) { id ... on Release { tracks { edges { node { id artists { edges { node { id } } } } } } } } }`
	var data struct {
		Node struct {
			ID     string
			Tracks planConn[struct {
				ID      string
				Artists idEdges
			}]
		}
	}
	r := planQuery(t, "", q, map[string]any{"id": id}, &data)
	o := oracle{t}
	var got []string
	for _, tr := range data.Node.Tracks.nodes() {
		got = append(got, tr.ID)
		wantIDs(t, "artists of "+tr.ID, tr.Artists.ids(), o.trackArtists(tr.ID, 20))
	}
	wantIDs(t, "tracks", got, o.tracks(id, 20))
	// the release, its tracks, their artists
	wantStatements(t, r, 3, "node() of a release")
}

// A nodes() call with IDs of two types, selected through an inline
// fragment, a named fragment on a concrete type and a named fragment on
// the Node interface, costs one statement per type and level.
func TestPlanMixedNodesCostOneStatementPerTypeAndLevel(t *testing.T) {
	q := `query($ids: [ID!]!) { nodes(ids: $ids) { id ...OnNode
			... on Release { tracks(first: 5) { edges { node { id release { id } } } } }
			...ArtistPart } }
		fragment OnNode on Node { ... on Release { label { id } } }
		fragment ArtistPart on Artist { releases(first: 3) { edges { node { id tracks(first: 2) { edges { node { id } } } } } } }`
	releases := releasesWithTracks(t, 30)
	artists := sqlIDs(t, model.TypeArtist, `SELECT a.id FROM artists a WHERE EXISTS (SELECT 1 FROM release_artists ra WHERE ra.artist_id = a.id)
		ORDER BY a.id LIMIT 30`)
	type node struct {
		ID     string
		Label  *idNode
		Tracks *planConn[struct {
			ID      string
			Release planRel
		}]
		Releases *planConn[struct {
			ID     string
			Tracks idEdges
		}]
	}
	o := oracle{t}
	// Levels: releases by ID, artists by ID; Release.label; Release.tracks,
	// Track.release; Artist.releases, their Release.tracks.
	const levels = 7
	for _, n := range []int{1, 30} {
		var ids []string
		for i := range n {
			ids = append(ids, releases[i], artists[i])
		}
		var data struct{ Nodes []*node }
		r := planQuery(t, "", q, map[string]any{"ids": ids}, &data)
		if len(data.Nodes) != len(ids) {
			t.Fatalf("%d nodes for %d IDs", len(data.Nodes), len(ids))
		}
		for i, nd := range data.Nodes {
			if nd == nil || nd.ID != ids[i] {
				t.Fatalf("nodes[%d] = %+v, want %s", i, nd, ids[i])
			}
			if i%2 == 0 { // a release
				if nd.Tracks == nil || nd.Releases != nil {
					t.Fatalf("release %s: fragments of the wrong type applied: %+v", nd.ID, nd)
				}
				want := o.labelOf(nd.ID)
				if (nd.Label == nil) != (want == nil) || (want != nil && nd.Label.ID != *want) {
					t.Errorf("label of %s = %+v, want %v", nd.ID, nd.Label, want)
				}
				var got []string
				for _, tr := range nd.Tracks.nodes() {
					got = append(got, tr.ID)
					if tr.Release.ID != nd.ID {
						t.Errorf("track %s of release %s says its release is %s", tr.ID, nd.ID, tr.Release.ID)
					}
				}
				wantIDs(t, "tracks of "+nd.ID, got, o.tracks(nd.ID, 5))
				continue
			}
			if nd.Releases == nil || nd.Tracks != nil || nd.Label != nil {
				t.Fatalf("artist %s: fragments of the wrong type applied: %+v", nd.ID, nd)
			}
			var got []string
			for _, rel := range nd.Releases.nodes() {
				got = append(got, rel.ID)
				wantIDs(t, "tracks of "+rel.ID, rel.Tracks.ids(), o.tracks(rel.ID, 2))
			}
			wantIDs(t, "releases of "+nd.ID, got, o.artistReleases(nd.ID, 3))
		}
		wantStatements(t, r, levels, fmt.Sprintf("nodes() of %d releases and %d artists", n, n))
	}
}

// A chain of to-one references, each followed by the children of the rows
// it points to: tracks → release → label → releases.
func TestPlanToOneChainIsConstant(t *testing.T) {
	slug, tid := planTenant(t)
	q := `query($slug: String!, $n: Int!) { tenant(slug: $slug) { releases(first: $n` + own + `) { edges { node { id
		tracks(first: 5) { edges { node { id release { id label { id releases(first: 3) { edges { node { id } } } } } } } } } } } } }`
	type track struct {
		ID      string
		Release struct {
			ID    string
			Label *struct {
				ID       string
				Releases idEdges
			}
		}
	}
	all := sqlIDs(t, model.TypeRelease, `SELECT id FROM releases WHERE tenant_id = $1 ORDER BY created_at DESC, id DESC`, tid)
	o := oracle{t}
	// tenant, releases, tracks, track.release, release.label, label.releases
	const levels = 6
	for _, n := range []int{1, 20} {
		var data struct {
			Tenant struct {
				Releases planConn[struct {
					ID     string
					Tracks planConn[track]
				}]
			}
		}
		r := planQuery(t, "", q, map[string]any{"slug": slug, "n": n}, &data)
		labels := 0
		var got []string
		for _, rel := range data.Tenant.Releases.nodes() {
			got = append(got, rel.ID)
			want := o.labelOf(rel.ID)
			for _, tr := range rel.Tracks.nodes() {
				if tr.Release.ID != rel.ID {
					t.Fatalf("track %s listed under %s says its release is %s", tr.ID, rel.ID, tr.Release.ID)
				}
				lb := tr.Release.Label
				if (lb == nil) != (want == nil) || (lb != nil && lb.ID != *want) {
					t.Fatalf("label of %s through track %s = %+v, want %v", rel.ID, tr.ID, lb, want)
				}
				if lb != nil {
					labels++
					wantIDs(t, "releases of label "+lb.ID, lb.Releases.ids(), o.labelReleases(lb.ID, 3))
				}
			}
		}
		wantIDs(t, "releases", got, all[:n])
		if labels == 0 {
			t.Fatalf("n=%d: no labels reached; the query does not exercise every level", n)
		}
		wantStatements(t, r, levels, fmt.Sprintf("to-one chain under %d releases", n))
	}
}

// Aliases of one field with different arguments are different fields of
// the plan; @skip and @include leave fields out of it.
func TestPlanKeepsAliasesApartAndHonoursDirectives(t *testing.T) {
	ids := releasesWithTracks(t, 20)
	q := `query($ids: [ID!]!, $yes: Boolean!, $no: Boolean!) { nodes(ids: $ids) { ... on Release { id
		one: tracks(first: 1) { edges { node { id } } }
		three: tracks(first: 3) { edges { node { id artists @include(if: $yes) { edges { node { id } } } } } }
		skipped: tracks(first: 2) @skip(if: $yes) { edges { node { id } } }
		excluded: tracks(first: 2) @include(if: $no) { edges { node { id } } }
		label @skip(if: $no) { id } } } }`
	type track struct {
		ID      string
		Artists idEdges
	}
	var data struct {
		Nodes []map[string]json.RawMessage
	}
	r := planQuery(t, "", q, map[string]any{"ids": ids, "yes": true, "no": false}, &data)
	o := oracle{t}
	for i, nd := range data.Nodes {
		for _, gone := range []string{"skipped", "excluded"} {
			if _, ok := nd[gone]; ok {
				t.Errorf("nodes[%d] has %s, which a directive left out", i, gone)
			}
		}
		var one idEdges
		var three planConn[track]
		if err := json.Unmarshal(nd["one"], &one); err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(nd["three"], &three); err != nil {
			t.Fatal(err)
		}
		wantIDs(t, "one: tracks(first: 1) of "+ids[i], one.ids(), o.tracks(ids[i], 1))
		var got []string
		for _, tr := range three.nodes() {
			got = append(got, tr.ID)
			wantIDs(t, "artists of "+tr.ID, tr.Artists.ids(), o.trackArtists(tr.ID, 20))
		}
		wantIDs(t, "three: tracks(first: 3) of "+ids[i], got, o.tracks(ids[i], 3))
	}
	// releases by ID, one, three, three's artists, label
	wantStatements(t, r, 5, "two aliases of tracks and three fields left out by directives")
}

// viewer is a root object like tenant(slug): the levels below its tenant
// are planned the same way.
func TestPlanUnderViewer(t *testing.T) {
	slug, tid := planTenant(t)
	var owner string
	sqlValue(t, &owner, `SELECT m.user_id FROM memberships m JOIN users u ON u.id = m.user_id
		WHERE m.tenant_id = $1 AND m.role = 'OWNER' AND m.status = 'ACTIVE' AND NOT u.is_deleted
		ORDER BY m.user_id LIMIT 1`, tid)
	token := tokenFor(t, owner, slug)
	q := `query($n: Int!) { viewer { user { id } tenant { id releases(first: $n` + own + `) { edges { node { id
		tracks(first: 5) { edges { node { id artists { edges { node { id } } } } } } } } } } } }`
	o := oracle{t}
	for _, n := range []int{1, 20} {
		var data struct {
			Viewer struct {
				User   idNode
				Tenant struct {
					ID       string
					Releases planConn[struct {
						ID     string
						Tracks planConn[struct {
							ID      string
							Artists idEdges
						}]
					}]
				}
			}
		}
		r := planQuery(t, token, q, map[string]any{"n": n}, &data)
		if data.Viewer.User.ID != gid(model.TypeUser, owner) || data.Viewer.Tenant.ID != gid(model.TypeTenant, tid) {
			t.Fatalf("viewer = %+v", data.Viewer)
		}
		rels := data.Viewer.Tenant.Releases.nodes()
		if len(rels) != n {
			t.Fatalf("%d releases, want %d", len(rels), n)
		}
		for _, rel := range rels {
			var got []string
			for _, tr := range rel.Tracks.nodes() {
				got = append(got, tr.ID)
				wantIDs(t, "artists of "+tr.ID, tr.Artists.ids(), o.trackArtists(tr.ID, 20))
			}
			wantIDs(t, "tracks of "+rel.ID, got, o.tracks(rel.ID, 5))
		}
		// viewer.user, viewer.tenant, releases, tracks, artists
		wantStatements(t, r, 5, fmt.Sprintf("viewer with %d releases", n))
	}
}

// The fields of an edge (a member's membership) are planned like the node.
func TestPlanEdgeFields(t *testing.T) {
	slug, tid := richestMemberTenant(t)
	q := `query($slug: String!, $n: Int!) { tenant(slug: $slug) { members(first: $n` + own + `) { edges {
		membership { id groups { edges { node { id } } } user { id } }
		node { id memberships { edges { node { id tenant { id } } } } } } } } }`
	for _, n := range []int{1, 20} {
		var data struct {
			Tenant struct {
				Members struct {
					Edges []struct {
						Membership struct {
							ID     string
							Groups idEdges
							User   idNode
						}
						Node struct {
							ID          string
							Memberships planConn[struct {
								ID     string
								Tenant idNode
							}]
						}
					}
				}
			}
		}
		r := planQuery(t, "", q, map[string]any{"slug": slug, "n": n}, &data)
		edges := data.Tenant.Members.Edges
		if len(edges) == 0 {
			t.Fatal("no members")
		}
		for _, e := range edges {
			if e.Membership.User.ID != e.Node.ID {
				t.Errorf("membership %s of member %s names user %s", e.Membership.ID, e.Node.ID, e.Membership.User.ID)
			}
			_, mid, _ := model.DecodeID(e.Membership.ID)
			wantIDs(t, "groups of "+e.Membership.ID, e.Membership.Groups.ids(),
				sqlIDs(t, model.TypeGroup, `SELECT g.id FROM membership_groups mg JOIN groups g ON g.id = mg.group_id
					WHERE mg.membership_id = $1 ORDER BY g.name, g.id LIMIT 20`, mid))
			found := false
			for _, m := range e.Node.Memberships.nodes() {
				if m.ID == e.Membership.ID {
					found = m.Tenant.ID == gid(model.TypeTenant, tid)
				}
			}
			if !found {
				t.Errorf("member %s: memberships %+v lack %s in %s", e.Node.ID, e.Node.Memberships, e.Membership.ID, slug)
			}
		}
		// tenant, members, membership.groups, membership.user, user.memberships, membership.tenant
		wantStatements(t, r, 6, fmt.Sprintf("members with edge fields, %d members", n))
	}
}

// richestMemberTenant is the tenant with the most members in groups.
func richestMemberTenant(t testing.TB) (slug, id string) {
	t.Helper()
	sqlValue(t, &slug, `SELECT t.slug FROM tenants t JOIN memberships m ON m.tenant_id = t.id
		JOIN membership_groups mg ON mg.membership_id = m.id GROUP BY t.id, t.slug ORDER BY count(DISTINCT m.id) DESC, t.slug LIMIT 1`)
	if strings.TrimSpace(slug) == "" {
		t.Fatal("no tenant with grouped members")
	}
	return slug, tenantID(t, slug)
}

// totalCount and each facet of a nested list are one statement each for
// all its parents, at any depth.
func TestPlanCountsAndFacetsBelowNodes(t *testing.T) {
	artists := sqlIDs(t, model.TypeArtist, `SELECT a.id FROM artists a WHERE EXISTS (SELECT 1 FROM release_artists ra WHERE ra.artist_id = a.id)
		ORDER BY a.id LIMIT 40`)
	q := `query($ids: [ID!]!) { nodes(ids: $ids) { ... on Artist { id releases(first: 2) { totalCount
		facets { status { value count } genre { value count } again: genre { value count } } edges { node { id } } } } } }`
	type bucket struct {
		Value *string
		Count int
	}
	for _, n := range []int{1, 40} {
		var data struct {
			Nodes []struct {
				ID       string
				Releases struct {
					TotalCount int
					Facets     struct{ Status, Genre, Again []bucket }
					Edges      []struct{ Node idNode }
				}
			}
		}
		r := planQuery(t, "", q, map[string]any{"ids": artists[:n]}, &data)
		for _, nd := range data.Nodes {
			_, aid, _ := model.DecodeID(nd.ID)
			var total int
			sqlValue(t, &total, `SELECT count(*) FROM release_artists WHERE artist_id = $1`, aid)
			rel := nd.Releases
			if rel.TotalCount != total {
				t.Errorf("artist %s: releases.totalCount = %d, want %d", nd.ID, rel.TotalCount, total)
			}
			for name, buckets := range map[string][]bucket{"status": rel.Facets.Status, "genre": rel.Facets.Genre, "again": rel.Facets.Again} {
				sum := 0
				for _, b := range buckets {
					sum += b.Count
				}
				if sum != total {
					t.Errorf("artist %s: the %s facet counts %d releases, want %d", nd.ID, name, sum, total)
				}
			}
			if !reflect.DeepEqual(rel.Facets.Genre, rel.Facets.Again) {
				t.Errorf("artist %s: two aliases of one facet differ: %v and %v", nd.ID, rel.Facets.Genre, rel.Facets.Again)
			}
		}
		// artists by ID, releases, their count, the status and genre facets
		wantStatements(t, r, 5, fmt.Sprintf("counts and facets below %d artists", n))
	}
}

// Two aliases of a list whose filters print alike are still two fields:
// ["Pop Rock"] is not ["Pop", "Rock"].
func TestPlanKeysAreValuesNotPrintouts(t *testing.T) {
	slug, tid := planTenant(t)
	q := `query($slug: String!) { tenant(slug: $slug) { artists(first: 20` + own + `) { edges { node { id
		popRock: releases(filter: {genre: {in: ["Pop Rock"]}}) { edges { node { id } } }
		popAndRock: releases(filter: {genre: {in: ["Pop", "Rock"]}}) { edges { node { id } } } } } } } }`
	var data struct {
		Tenant struct {
			Artists planConn[struct {
				ID                  string
				PopRock, PopAndRock idEdges
			}]
		}
	}
	r := planQuery(t, "", q, map[string]any{"slug": slug}, &data)
	matched := 0
	for _, a := range data.Tenant.Artists.nodes() {
		if len(a.PopRock.Edges) != 0 {
			t.Errorf("artist %s: genre in [\"Pop Rock\"] returned %d releases; no release has that genre", a.ID, len(a.PopRock.Edges))
		}
		_, aid, _ := model.DecodeID(a.ID)
		want := sqlIDs(t, model.TypeRelease, `SELECT r.id FROM release_artists ra JOIN releases r ON r.id = ra.release_id
			WHERE ra.artist_id = $1 AND r.genre IN ('Pop', 'Rock') ORDER BY r.created_at DESC, r.id DESC LIMIT 20`, aid)
		wantIDs(t, "releases of "+a.ID+` with genre in ["Pop", "Rock"]`, a.PopAndRock.ids(), want)
		matched += len(want)
	}
	if matched == 0 {
		t.Fatalf("no artist of %s (%s) has a Pop or Rock release; the test proves nothing", slug, tid)
	}
	// tenant, artists, each alias of releases
	wantStatements(t, r, 4, "two filtered aliases")
}

// The top-level tenants list plans below its page like any other list.
func TestPlanBelowTopLevelList(t *testing.T) {
	q := `query($n: Int!) { tenants(first: $n) { edges { node { id parent { id }
		artists(first: 5` + own + `) { edges { node { id releases(first: 2) { edges { node { id } } } } } } } } } }`
	for _, n := range []int{2, 50} {
		var data struct {
			Tenants planConn[struct {
				ID      string
				Parent  *idNode
				Artists planConn[struct {
					ID       string
					Releases idEdges
				}]
			}]
		}
		r := planQuery(t, "", q, map[string]any{"n": n}, &data)
		o := oracle{t}
		for _, tn := range data.Tenants.nodes() {
			_, id, _ := model.DecodeID(tn.ID)
			var parent *string
			sqlValue(t, &parent, `SELECT parent_id FROM tenants WHERE id = $1`, id)
			if (parent == nil) != (tn.Parent == nil) || (parent != nil && tn.Parent.ID != gid(model.TypeTenant, *parent)) {
				t.Errorf("parent of %s = %+v, want %v", tn.ID, tn.Parent, parent)
			}
			for _, a := range tn.Artists.nodes() {
				wantIDs(t, "releases of "+a.ID, a.Releases.ids(), o.artistReleases(a.ID, 2))
			}
		}
		// tenants, parent, artists, releases
		wantStatements(t, r, 4, fmt.Sprintf("%d tenants", n))
	}
}

// A mutation's payload is planned like a root object once the mutation
// has committed.
func TestPlanBelowMutationPayload(t *testing.T) {
	ctx := t.Context()
	x, url, err := env.NewDatabase(ctx)
	if err != nil {
		t.Fatal(err)
	}
	rt, _, err := env.Runtime(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	store := db.NewStore(rt)
	verifier, err := auth.NewTokenVerifier(auth.TokenConfig{HS256Secret: tokenSecret})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(api.New(store, slog.New(&captureHandler{store: serverLog}), api.Config{
		SQLStats: true, LoaderWait: time.Nanosecond, Auth: auth.NewAuthenticator(store, verifier, auth.CacheConfig{}),
	}))
	defer srv.Close()

	var pick struct {
		Label string `db:"label_id"`
		Slug  string `db:"slug"`
		Owner string `db:"owner"`
	}
	if err := x.GetContext(ctx, &pick, `
		SELECT r.label_id, t.slug, (SELECT m.user_id FROM memberships m JOIN users u ON u.id = m.user_id
			WHERE m.tenant_id = t.id AND m.role = 'OWNER' AND m.status = 'ACTIVE' AND NOT u.is_deleted ORDER BY m.user_id LIMIT 1) AS owner
		FROM releases r JOIN tenants t ON t.id = r.tenant_id
		WHERE r.label_id IS NOT NULL AND EXISTS (SELECT 1 FROM tracks tr WHERE tr.release_id = r.id)
		GROUP BY r.label_id, t.id, t.slug ORDER BY count(*) DESC, r.label_id LIMIT 1`); err != nil {
		t.Fatal(err)
	}
	token := tokenFor(t, pick.Owner, pick.Slug)
	q := `mutation($id: ID!, $name: String!, $n: Int!) { updateLabel(input: {id: $id, name: $name}) {
		userErrors { message } label { id name releases(first: $n) { edges { node { id
			tracks(first: 5) { edges { node { id release { id } artists { edges { node { id } } } } } } } } } } } }`
	counts := map[int]int{}
	for i, n := range []int{1, 20} {
		body, _ := json.Marshal(map[string]any{"query": q, "variables": map[string]any{
			"id": gid(model.TypeLabel, pick.Label), "name": fmt.Sprintf("Renamed %d", i), "n": n}})
		req, _ := http.NewRequestWithContext(ctx, http.MethodPost, srv.URL+"/graphql", bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", "Bearer "+token)
		r, err := send(req)
		if err != nil {
			t.Fatal(err)
		}
		r.query = q
		var data struct {
			UpdateLabel struct {
				UserErrors []struct{ Message string }
				Label      struct {
					ID, Name string
					Releases planConn[struct {
						ID     string
						Tracks planConn[struct {
							ID      string
							Release planRel
							Artists idEdges
						}]
					}]
				}
			}
		}
		mustData(t, r, &data)
		p := data.UpdateLabel
		if len(p.UserErrors) > 0 || p.Label.Name != fmt.Sprintf("Renamed %d", i) {
			t.Fatalf("updateLabel: %+v", p)
		}
		var releases []string
		if err := x.SelectContext(ctx, &releases, `SELECT id FROM releases WHERE label_id = $1 ORDER BY created_at DESC, id DESC LIMIT $2`, pick.Label, n); err != nil {
			t.Fatal(err)
		}
		got := p.Label.Releases.nodes()
		if len(got) != len(releases) {
			t.Fatalf("%d releases, want %d", len(got), len(releases))
		}
		for j, rel := range got {
			if rel.ID != gid(model.TypeRelease, releases[j]) {
				t.Errorf("releases[%d] = %s, want %s", j, rel.ID, releases[j])
			}
			for _, tr := range rel.Tracks.nodes() {
				if tr.Release.ID != rel.ID {
					t.Errorf("track %s of %s says its release is %s", tr.ID, rel.ID, tr.Release.ID)
				}
			}
		}
		counts[n] = r.statements(t)
	}
	if counts[1] != counts[20] {
		t.Errorf("the payload of updateLabel costs %d statements with 1 release and %d with 20: want the same", counts[1], counts[20])
	}
}
