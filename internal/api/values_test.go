package api_test

// Values PostgreSQL cannot store or compare (a NUL character, an integer
// past 32 bits, the year 0) are the client's mistake wherever they come
// from: a literal, a variable, an input object, the query syntax or a
// forged cursor. Each is BAD_USER_INPUT, refused before it reaches
// PostgreSQL, never INTERNAL, and never an ERROR in the log.

import (
	"encoding/base64"
	"encoding/json"
	"strings"
	"testing"

	"catalogue/internal/api"
)

func TestValuesPostgreSQLRefusesAreBadUserInput(t *testing.T) {
	const tracks = `query($q: String, $f: TrackFilter, $after: String, $order: [TrackOrder!]) { tenants(first: 1) { edges { node {
		releases(first: 1) { edges { node { tracks(first: 1, query: $q, filter: $f, after: $after, orderBy: $order) { totalCount } } } } } } } }`
	byTitle := []any{map[string]any{"field": "TITLE"}}
	const releases = `query($q: String, $f: ReleaseFilter) { tenants(first: 1) { edges { node {
		releases(first: 1, query: $q, filter: $f) { totalCount } } } } }`
	cases := []struct {
		name  string
		query string
		vars  map[string]any
	}{
		{"NUL in a string literal", `{ tenant(slug: "acme\u0000music") { id } }`, nil},
		{"NUL in a string variable", `query($s: String!) { tenant(slug: $s) { id } }`, map[string]any{"s": "acme\x00music"}},
		{"NUL in a filter input", releases, map[string]any{"f": map[string]any{"title": map[string]any{"eq": "a\x00b"}}}},
		{"NUL in a filter literal", `{ tenants(first: 1) { edges { node { releases(filter: {title: {in: ["a", "b\u0000"]}}) { totalCount } } } } }`, nil},
		{"Int literal past 32 bits in a filter", `{ tenants(first: 1) { edges { node { releases(first: 1) { edges { node {
			tracks(filter: {durationSeconds: {eq: 3000000000}}) { totalCount } } } } } } } }`, nil},
		{"Int variable past 32 bits in a filter", tracks, map[string]any{"f": map[string]any{"durationSeconds": map[string]any{"gt": 3000000000}}}},
		{"Int variable past 32 bits in a list", tracks, map[string]any{"f": map[string]any{"position": map[string]any{"in": []any{1, -3000000000}}}}},
		{"Int variable past 32 bits", `query($n: Int) { tenants(first: $n) { totalCount } }`, map[string]any{"n": 3000000000}},
		{"integer past 32 bits in the query syntax", tracks, map[string]any{"q": "durationSeconds:>99999999999999"}},
		{"position past 32 bits in the query syntax", tracks, map[string]any{"q": "position:3000000000"}},
		{"year 0 in the query syntax", releases, map[string]any{"q": "releaseDate:>0000-01-01"}},
		{"year 0 in a Date", releases, map[string]any{"f": map[string]any{"releaseDate": map[string]any{"gt": "0000-01-01"}}}},
		{"cursor with a NUL sort value", tracks, map[string]any{"order": byTitle,
			"after": forgeCursor(t, byTitle, "a\x00b", "00000000-0000-4000-8000-000000000000")}},
		{"cursor with a position past 32 bits", tracks, map[string]any{
			"after": forgeCursor(t, nil, 3000000000, "00000000-0000-4000-8000-000000000000")}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := gql(t, c.query, c.vars)
			wantErrorCode(t, r, api.CodeBadUserInput)
			for _, l := range serverLog.records(r.RequestID) {
				if strings.HasPrefix(l, "ERROR") {
					t.Errorf("logged at ERROR: %s", truncate(l, 300))
				}
				// The error presenter's safety net must not be what caught it.
				if strings.Contains(l, "value refused by the database") {
					t.Errorf("the value reached PostgreSQL: %s", truncate(l, 300))
				}
			}
		})
	}
}

// forgeCursor makes a cursor of a release's track list in the given order
// (nil: the default) that holds arbitrary sort values, as a hostile client
// could: it takes a real cursor, which carries the list, order and filter
// hash the server checks first, and replaces its values.
func forgeCursor(t testing.TB, order []any, keys ...any) string {
	t.Helper()
	var d struct {
		Tenants struct {
			Edges []struct {
				Node struct {
					Releases struct {
						Edges []struct {
							Node struct {
								Tracks struct {
									PageInfo struct{ EndCursor string } `json:"pageInfo"`
								} `json:"tracks"`
							} `json:"node"`
						} `json:"edges"`
					} `json:"releases"`
				} `json:"node"`
			} `json:"edges"`
		} `json:"tenants"`
	}
	query(t, `query($order: [TrackOrder!]) { tenants(first: 1) { edges { node { releases(first: 1) { edges { node {
		tracks(first: 1, orderBy: $order) { pageInfo { endCursor } } } } } } } } }`, map[string]any{"order": order}, &d)
	raw, err := base64.RawURLEncoding.DecodeString(d.Tenants.Edges[0].Node.Releases.Edges[0].Node.Tracks.PageInfo.EndCursor)
	if err != nil {
		t.Fatal(err)
	}
	var p map[string]any
	if err := json.Unmarshal(raw, &p); err != nil {
		t.Fatal(err)
	}
	p["k"] = keys
	b, err := json.Marshal(p)
	if err != nil {
		t.Fatal(err)
	}
	return base64.RawURLEncoding.EncodeToString(b)
}
