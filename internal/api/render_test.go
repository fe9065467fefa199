package api_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"catalogue/db/model"
	"catalogue/internal/api"
)

// The fields of each type that graph.Render writes (graph/shapes.go), all
// selected, so that each is compared with the executor's answer.
const (
	renderUserFields = `id databaseId email phone firstName lastName fullName nickname pictureUrl location role genre
		companyName companyIpRights dspPlanSubscribed referralCode lastLoginAt expiresAt isDeleted channel createdAt updatedAt`
	renderMembershipFields = `id databaseId userId role status lastSeenAt version createdAt updatedAt`
	renderArtistFields     = `id databaseId name genre country biography imageUrl spotifyId appleMusicId soundCloudId version createdAt updatedAt`
	renderReleaseFields    = `id databaseId title type status upc catalogNumber releaseDate genre artworkUrl rejectionReason version createdAt updatedAt`
	renderTrackFields      = `id databaseId position title isrc durationSeconds explicit version createdAt updatedAt`
	renderPageInfo         = `pageInfo { hasNextPage hasPreviousPage startCursor endCursor }`
)

// TestWrittenSubtreesAreTheExecutors compares, byte for byte, the answers
// of a server that writes the subtrees graph.Render covers in one pass with
// those of one that leaves every field to gqlgen's executor, for ordinary
// OWNER and USER principals (contact fields differ between them), over
// queries that select every field Render writes, with aliases, fragments,
// directives and variables, and over queries it must hand back (a field
// it does not cover, an error below a list). The access log's
// graphql_fields shows which path answered: the rendering server resolves
// a handful of fields where the executor resolves thousands.
func TestWrittenSubtreesAreTheExecutors(t *testing.T) {
	slug, tid := richestTenant(t)
	executor := newServer(t, env.RuntimeDB, api.Config{ExecutorOnly: true, LoaderWait: 5 * time.Millisecond})
	written := newServer(t, env.RuntimeDB, api.Config{LoaderWait: 5 * time.Millisecond})

	owner, user := credMember(t, slug, "OWNER"), credMember(t, slug, "USER")
	member := sqlIDs(t, model.TypeUser, `SELECT m.user_id FROM memberships m WHERE m.tenant_id = $1 ORDER BY m.user_id LIMIT 1`, tid)[0]
	release := sqlIDs(t, model.TypeRelease, `SELECT id FROM releases WHERE tenant_id = $1 ORDER BY id LIMIT 1`, tid)[0]
	tenant := gid(model.TypeTenant, tid)

	cases := []struct {
		name  string
		query string
		vars  map[string]any
		// most is the most fields the rendering server may resolve one
		// by one (0: it hands the whole query back, as many as the
		// executor).
		most int
	}{
		{"members page", `query($t: ID!) { node(id: $t) { ... on Tenant { members(first: 30, includeSubsidiaries: false) {
			totalCount ` + renderPageInfo + ` __typename
			edges { cursor node { ` + renderUserFields + ` } membership { ` + renderMembershipFields + ` } } } } } }`,
			map[string]any{"t": tenant}, 4},
		{"members with subsidiaries, newest last", `query($t: ID!) { node(id: $t) { ... on Tenant { members(last: 25, orderBy: [{field: CREATED_AT, direction: ASC}]) {
			totalCount ` + renderPageInfo + ` edges { cursor node { id email lastName } membership { role status }
			memberships { id role status tenant { slug } } } } } } }`,
			map[string]any{"t": tenant}, 4},
		{"artists, releases, tracks", `query($slug: String!, $n: Int!, $withTracks: Boolean!) { tenant(slug: $slug) {
			artists(first: 20, includeSubsidiaries: false) { totalCount ` + renderPageInfo + ` edges { cursor node {
				` + renderArtistFields + ` __typename
				latest: releases(first: $n) { totalCount ` + renderPageInfo + ` edges { node { ...R } } }
				oldest: releases(last: 2) { edges { cursor node { id title } } } } } } } }
			fragment R on Release { ` + renderReleaseFields + ` tracks(first: 10) @include(if: $withTracks) {
				totalCount ` + renderPageInfo + ` edges { cursor node { ... on Node { id } ... on Track { ` + renderTrackFields + ` } } } } }`,
			map[string]any{"slug": slug, "n": 10, "withTracks": true}, 6},
		{"tracks skipped", `query($slug: String!, $skip: Boolean!) { tenant(slug: $slug) { releases(first: 5) { edges { node {
			title tracks(first: 3) @skip(if: $skip) { edges { node { title } } } } } } } }`,
			map[string]any{"slug": slug, "skip": true}, 6},
		{"labels and their releases", `query($slug: String!) { tenant(slug: $slug) { labels(first: 5) { totalCount edges { cursor node {
			id databaseId name version createdAt updatedAt releases(first: 3) { totalCount edges { node { id title status } } } } } } } }`,
			map[string]any{"slug": slug}, 6},
		{"tenants", `{ tenants(first: 3) { totalCount ` + renderPageInfo + ` edges { cursor node { id databaseId slug name createdAt updatedAt } } } }`,
			nil, 2},
		{"tenants and their lists", `{ tenants(first: 3) { edges { node { slug parent { slug } subsidiaries(first: 2) { totalCount edges { node { slug } } }
			members(first: 3) { totalCount edges { node { email } membership { role } } }
			artists(first: 2, includeSubsidiaries: false) { totalCount edges { node { name } } }
			releases(first: 2) { totalCount edges { node { title } } } tracks(first: 2) { totalCount edges { node { title } } }
			labels(first: 2) { totalCount edges { node { name } } } brands(first: 2) { totalCount edges { node { name } } }
			groups(first: 2) { totalCount edges { node { name isAdmin } } } } } } }`, nil, 2},
		{"node of a user", `query($id: ID!) { node(id: $id) { __typename id ... on User { ` + renderUserFields + ` } } }`,
			map[string]any{"id": member}, 2},
		{"node of a release", `query($id: ID!) { node(id: $id) { ... on Release { ` + renderReleaseFields + ` } } }`,
			map[string]any{"id": release}, 2},
		{"viewer's memberships and artists", `{ viewer { user { id memberships(first: 5) { totalCount edges { node { ` + renderMembershipFields + ` } } }
			artists(first: 5) { totalCount edges { node { id name } } } } } }`, nil, 8},
		{"references and credits", `query($slug: String!) { tenant(slug: $slug) { releases(first: 10) { edges { node {
			id title tenant { id slug name } label { id name version tenant { slug } } brand { id name version tenant { name } }
			createdBy { id email } updatedBy { id }
			artists(first: 3) { totalCount ` + renderPageInfo + ` edges { cursor position node { id name brand { name } user { id email } } } }
			tracks(first: 3) { edges { node { title release { id title } createdBy { id } updatedBy { id }
				artists(first: 2) { totalCount edges { cursor role position node { name } } } } } } } } } } }`,
			map[string]any{"slug": slug}, 6},
		{"brands and groups", `query($slug: String!) { tenant(slug: $slug) {
			brands(first: 5) { totalCount ` + renderPageInfo + ` edges { cursor node { id databaseId name version createdAt updatedAt
				tenant { slug } artists(first: 2) { totalCount edges { node { name } } } } } }
			groups(first: 5) { totalCount edges { cursor node { id databaseId name isAdmin createdAt tenant { slug } } } } } }`,
			map[string]any{"slug": slug}, 8},
		{"an artist's tracks", `query($slug: String!) { tenant(slug: $slug) { artists(first: 8) { edges { node {
			name tenant { name } createdBy { id } updatedBy { id }
			tracks(first: 3) { totalCount ` + renderPageInfo + ` edges { cursor role position node { title release { title label { name } } } } } } } } } }`,
			map[string]any{"slug": slug}, 6},
		{"memberships with their tenant and user", `{ viewer { user { memberships(first: 5) { edges { node {
			role tenant { slug } user { id email } } } } } } }`, nil, 8},
		// Handed back: Release.deliveryStores is not written, so the
		// executor answers each releases connection (the tracks lists
		// below it are still written, one field each).
		{"a field it does not write", `query($slug: String!) { tenant(slug: $slug) { releases(first: 5) { edges { node {
			title deliveryStores tracks(first: 2) { edges { node { title } } } } } } } }`,
			map[string]any{"slug": slug}, 0},
		// Handed back: a malformed cursor is an error on each tracks field.
		{"an error below a list", `query($slug: String!) { tenant(slug: $slug) { artists(first: 3) { edges { node {
			name releases(first: 2) { edges { node { title tracks(first: 2, after: "bogus") { totalCount } } } } } } } } }`,
			map[string]any{"slug": slug}, 0},
	}
	fields := regexp.MustCompile(` graphql_fields=(\d+)`)
	resolved := func(r *response) int {
		t.Helper()
		for _, l := range serverLog.records(r.RequestID) {
			if m := fields.FindStringSubmatch(l); m != nil {
				n, _ := strconv.Atoi(m[1])
				return n
			}
		}
		t.Fatalf("no access-log line with graphql_fields for request %s", r.RequestID)
		return 0
	}
	for _, who := range []struct{ name, id string }{{"OWNER", owner}, {"USER", user}} {
		token := tokenFor(t, who.id, slug)
		for _, c := range cases {
			t.Run(who.name+"/"+c.name, func(t *testing.T) {
				want, _, err := stallPost(t.Context(), executor, token, c.query, c.vars)
				if err != nil {
					t.Fatal(err)
				}
				got, _, err := stallPost(t.Context(), written, token, c.query, c.vars)
				if err != nil {
					t.Fatal(err)
				}
				if c.most > 0 && len(want.Errors) > 0 {
					t.Fatalf("the executor's answer has errors:\n%s", want.describe())
				}
				if got.Status != want.Status {
					t.Errorf("HTTP %d, the executor's %d", got.Status, want.Status)
				}
				if g, w := answer(t, got), answer(t, want); !bytes.Equal(g, w) {
					t.Errorf("the answers differ\nwritten:  %s\nexecutor: %s", truncate(string(g), 3000), truncate(string(w), 3000))
				}
				n, all := resolved(got), resolved(want)
				switch {
				case c.most > 0 && n > c.most:
					t.Errorf("the rendering server resolved %d fields one by one (the executor %d), want at most %d", n, all, c.most)
				case c.most > 0 && all < 2*n:
					t.Errorf("the executor resolved only %d fields to the rendering server's %d: the query does not measure rendering", all, n)
				case c.most == 0 && n <= 10:
					t.Errorf("the rendering server resolved %d fields one by one (the executor %d): a subtree it must hand back was written", n, all)
				}
			})
		}
	}
}

// answer is a response's data as the server wrote it and its errors as
// written but sorted, as the executor reports the errors of a list's
// elements in the order its goroutines meet them (extensions, which hold
// timings, left out).
func answer(t *testing.T, r *response) []byte {
	t.Helper()
	var doc struct {
		Data   json.RawMessage   `json:"data"`
		Errors []json.RawMessage `json:"errors"`
	}
	if err := json.Unmarshal(r.Body, &doc); err != nil {
		t.Fatalf("not a GraphQL response: %v\n%s", err, r.Body)
	}
	errs := make([]string, len(doc.Errors))
	for i, e := range doc.Errors {
		errs[i] = string(e)
	}
	slices.Sort(errs)
	return fmt.Appendf(nil, "%s\nerrors: %s", doc.Data, strings.Join(errs, "\n"))
}

// A lone node(id:) reads its row at once: with nothing to batch it with,
// waiting LOADER_WAIT for more keys would only delay it. The server here
// waits a minute for a batch, so a request that waited would not answer
// within the test's deadline; two node fields in one operation still share
// one statement.
func TestALoneNodeDoesNotWaitForABatch(t *testing.T) {
	slug, tid := richestTenant(t)
	srv := newServer(t, env.RuntimeDB, api.Config{LoaderWait: time.Minute, SQLStats: true})
	token := tokenFor(t, credMember(t, slug, "OWNER"), slug)
	ids := sqlIDs(t, model.TypeUser, `SELECT user_id FROM memberships WHERE tenant_id = $1 ORDER BY user_id LIMIT 2`, tid)
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
	defer cancel()
	r, _, err := stallPost(ctx, srv, token, `query($id: ID!) { node(id: $id) { id } }`, map[string]any{"id": ids[0]})
	if err != nil {
		t.Fatalf("a lone node(id:) waited for a batch: %v", err)
	}
	var one struct{ Node struct{ ID string } }
	mustData(t, r, &one)
	if one.Node.ID != ids[0] {
		t.Fatalf("node(id: %s) answered %q", ids[0], one.Node.ID)
	}
	if n := r.statements(t); n != 1 {
		t.Errorf("a lone node(id:) cost %d statements, want 1", n)
	}
}
