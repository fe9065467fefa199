package api_test

// The execution core: how a request reads and writes. Each mutation field
// is a transaction of its own, committed before its payload is read; a
// query reads one snapshot that ends before the response is written; a
// request never holds two pool connections; @defer delivers every part.

import (
	"bufio"
	"bytes"
	"encoding/json"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"strings"
	"testing"
	"time"

	"catalogue/db/model"
	"catalogue/internal/api"
)

// TestMutationFieldCommitsBeforeTheNextRuns: the first field of a mutation
// is committed and stays so when a later field fails; the failing field is
// null with an error whose path names it, and nothing of it is stored. The
// later field fails at COMMIT (a deferred constraint trigger of the test
// database refuses one label name), the hardest place: its payload was
// already built when the database said no.
func TestMutationFieldCommitsBeforeTheNextRuns(t *testing.T) {
	f := mutSetup(t)
	if _, err := f.db.ExecContext(t.Context(), `
		CREATE OR REPLACE FUNCTION refuse_label_at_commit() RETURNS trigger LANGUAGE plpgsql AS $$
		BEGIN
			IF NEW.name LIKE 'refused at commit%' THEN
				RAISE EXCEPTION 'label % refused at commit', NEW.name;
			END IF;
			RETURN NULL;
		END $$;
		DROP TRIGGER IF EXISTS refuse_label_at_commit ON labels;
		CREATE CONSTRAINT TRIGGER refuse_label_at_commit AFTER INSERT ON labels
			DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION refuse_label_at_commit();`); err != nil {
		t.Fatal(err)
	}
	kept, refused := f.uniq("kept label"), f.uniq("refused at commit")
	r, err := f.post(t.Context(), f.owner, `mutation ($a: String!, $b: String!) {
		a: createLabel(input: {name: $a}) { label { id name version } userErrors { code } }
		b: createLabel(input: {name: $b}) { label { id name } userErrors { code } }
	}`, map[string]any{"a": kept, "b": refused})
	if err != nil {
		t.Fatal(err)
	}
	var d struct {
		A *struct {
			Label *struct {
				ID      string `json:"id"`
				Name    string `json:"name"`
				Version int    `json:"version"`
			} `json:"label"`
			UserErrors []any `json:"userErrors"`
		} `json:"a"`
		B *json.RawMessage `json:"b"`
	}
	if err := json.Unmarshal(r.Data, &d); err != nil {
		t.Fatalf("data: %v\n%s", err, r.describe())
	}
	if d.A == nil || d.A.Label == nil || d.A.Label.Name != kept || len(d.A.UserErrors) != 0 {
		t.Fatalf("field a should have created %q\n%s", kept, r.describe())
	}
	if d.B != nil {
		t.Errorf("field b failed to commit but answered %s\n%s", *d.B, r.describe())
	}
	if len(r.Errors) != 1 || len(r.Errors[0].Path) != 1 || r.Errors[0].Path[0] != "b" {
		t.Fatalf("want one error at path [b]\n%s", r.describe())
	}
	if code := r.Errors[0].code(); code != api.CodeUnavailable {
		t.Errorf("a failed COMMIT is %s, want %s\n%s", code, api.CodeUnavailable, r.describe())
	}
	if !strings.Contains(r.Errors[0].Message, "nothing was stored") {
		t.Errorf("the error should say that nothing was stored: %q", r.Errors[0].Message)
	}
	if n := f.count(t, `SELECT count(*) FROM labels WHERE name = $1`, kept); n != 1 {
		t.Errorf("the acknowledged label %q is stored %d times, want 1", kept, n)
	}
	if n := f.count(t, `SELECT count(*) FROM labels WHERE name = $1`, refused); n != 0 {
		t.Errorf("the refused label %q is stored %d times, want 0", refused, n)
	}
	// And through the API, in a later request.
	var got struct {
		Node *struct {
			Name string `json:"name"`
		} `json:"node"`
	}
	f.read(t, f.owner, `query ($id: ID!) { node(id: $id) { ... on Label { name } } }`, map[string]any{"id": d.A.Label.ID}, &got)
	if got.Node == nil || got.Node.Name != kept {
		t.Errorf("node(%s) = %+v, want the label %q", d.A.Label.ID, got.Node, kept)
	}
}

// TestMutationPayloadsReadWhatWasCommitted: two saveRelease fields on one
// release in one request each answer with their own track list and
// version; the second does not repeat the first's cached tracks.
func TestMutationPayloadsReadWhatWasCommitted(t *testing.T) {
	f := mutSetup(t)
	var artist string
	f.get(t, &artist, `SELECT id::text FROM artists WHERE tenant_id = $1 ORDER BY id LIMIT 1`, f.tenant)
	rel := f.newRelease(t, f.owner, artist)
	input := func(titles ...string) map[string]any {
		in := f.releaseInput(artist)
		in["id"], in["title"] = rel.ID, "Two writes"
		tracks := make([]any, len(titles))
		for i, title := range titles {
			tracks[i] = map[string]any{"title": title}
		}
		in["tracks"] = tracks
		return in
	}
	const payload = `{ release { id version title tracks { totalCount edges { node { title } } } } userErrors { code message } }`
	r, err := f.post(t.Context(), f.owner, `mutation ($a: SaveReleaseInput!, $b: SaveReleaseInput!) {
		a: saveRelease(input: $a) `+payload+`
		b: saveRelease(input: $b) `+payload+`
	}`, map[string]any{"a": input("one", "two"), "b": input("one", "two", "three")})
	if err != nil {
		t.Fatal(err)
	}
	type result struct {
		Release struct {
			Version int `json:"version"`
			Tracks  struct {
				TotalCount int `json:"totalCount"`
				Edges      []struct {
					Node struct {
						Title string `json:"title"`
					} `json:"node"`
				} `json:"edges"`
			} `json:"tracks"`
		} `json:"release"`
		UserErrors []any `json:"userErrors"`
	}
	var d struct{ A, B result }
	mustData(t, r, &d)
	titles := func(res result) []string {
		var out []string
		for _, e := range res.Release.Tracks.Edges {
			out = append(out, e.Node.Title)
		}
		return out
	}
	if got := strings.Join(titles(d.A), ","); got != "one,two" || d.A.Release.Tracks.TotalCount != 2 {
		t.Errorf("a's payload tracks = %s (totalCount %d), want one,two (2)", got, d.A.Release.Tracks.TotalCount)
	}
	if got := strings.Join(titles(d.B), ","); got != "one,two,three" || d.B.Release.Tracks.TotalCount != 3 {
		t.Errorf("b's payload tracks = %s (totalCount %d), want one,two,three (3)", got, d.B.Release.Tracks.TotalCount)
	}
	if d.A.Release.Version != rel.Version+1 || d.B.Release.Version != rel.Version+2 {
		t.Errorf("versions a=%d b=%d, want %d and %d", d.A.Release.Version, d.B.Release.Version, rel.Version+1, rel.Version+2)
	}
}

// TestImpersonationWithOneConnection: with a pool of one connection, an
// impersonated request that asks for the impersonator answers instead of
// waiting for a second connection it can never get.
func TestImpersonationWithOneConnection(t *testing.T) {
	_, url, err := env.NewDatabase(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	x, _, err := env.Runtime(t.Context(), url)
	if err != nil {
		t.Fatal(err)
	}
	x.SetMaxOpenConns(1)
	srv := newServer(t, x, api.Config{SQLStats: true, RequestTimeout: 5 * time.Second})

	admin := credMember(t, "acme-music", "ADMIN")
	member := credMember(t, "acme-music", "USER")
	h := credBearer(tokenFor(t, admin, "acme-music"), "enterprise-id", member)
	var d struct {
		Viewer struct {
			User         struct{ ID string } `json:"user"`
			Impersonator *struct {
				ID string `json:"id"`
			} `json:"impersonator"`
		} `json:"viewer"`
		Tenant struct {
			Members struct {
				TotalCount int `json:"totalCount"`
			} `json:"members"`
		} `json:"tenant"`
	}
	// The tenant's reads start first and hold the request's connection
	// while the impersonator is asked for.
	credOK(t, credPost(t, srv.URL, h, `{
		tenant(slug: "acme-music") { members(first: 5) { totalCount edges { node { id } } } }
		viewer { user { id } impersonator { id } }
	}`, nil), &d)
	if d.Viewer.Impersonator == nil || d.Viewer.Impersonator.ID != gid(model.TypeUser, admin) {
		t.Errorf("viewer.impersonator = %+v, want %s", d.Viewer.Impersonator, gid(model.TypeUser, admin))
	}
	if d.Viewer.User.ID != gid(model.TypeUser, member) {
		t.Errorf("viewer.user = %s, want %s", d.Viewer.User.ID, gid(model.TypeUser, member))
	}
	if d.Tenant.Members.TotalCount == 0 {
		t.Error("the member list is empty")
	}
}

// deferQuery defers a connection and a non-null field of the tenant.
const deferQuery = `query ($slug: String!) {
	tenant(slug: $slug) {
		slug
		... @defer(label: "people") { members(first: 3) { totalCount edges { node { id } } } }
		... @defer(label: "catalogue") { name artists(first: 2) { edges { node { id name } } } }
	}
}`

// TestDeferDeliversEveryPart: a query with two deferred fragments, sent
// with Accept: multipart/mixed, streams the initial part and then every
// deferred field with real values (non-null fields included), the same
// values the query has without @defer, and ends with hasNext false.
func TestDeferDeliversEveryPart(t *testing.T) {
	const slug = "acme-music"
	var plain struct {
		Tenant map[string]json.RawMessage `json:"tenant"`
	}
	query(t, strings.ReplaceAll(strings.ReplaceAll(deferQuery, `@defer(label: "people")`, ""), `@defer(label: "catalogue")`, ""),
		map[string]any{"slug": slug}, &plain)

	body, _ := json.Marshal(map[string]any{"query": deferQuery, "variables": map[string]any{"slug": slug}})
	req, _ := http.NewRequestWithContext(t.Context(), http.MethodPost, server.URL+"/graphql", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "multipart/mixed;deferSpec=20220824, application/json")
	req.Header.Set("Authorization", "Bearer "+bearer)
	resp, err := server.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	mediaType, params, err := mime.ParseMediaType(resp.Header.Get("Content-Type"))
	if err != nil || mediaType != "multipart/mixed" {
		raw, _ := io.ReadAll(resp.Body)
		t.Fatalf("HTTP %d, Content-Type %q, want multipart/mixed\n%s", resp.StatusCode, resp.Header.Get("Content-Type"), raw)
	}
	type part struct {
		Data        map[string]json.RawMessage `json:"data"`
		HasNext     *bool                      `json:"hasNext"`
		Errors      []gqlError                 `json:"errors"`
		Incremental []struct {
			Data   map[string]json.RawMessage `json:"data"`
			Path   []any                      `json:"path"`
			Label  string                     `json:"label"`
			Errors []gqlError                 `json:"errors"`
		} `json:"incremental"`
	}
	var parts []part
	mr := multipart.NewReader(bufio.NewReader(resp.Body), params["boundary"])
	for {
		p, err := mr.NextPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("reading the multipart answer: %v", err)
		}
		raw, _ := io.ReadAll(p)
		var pt part
		if err := json.Unmarshal(raw, &pt); err != nil {
			t.Fatalf("part %d is not JSON: %v\n%s", len(parts), err, raw)
		}
		parts = append(parts, pt)
	}
	if len(parts) < 2 {
		t.Fatalf("got %d parts, want the initial one and the deferred ones", len(parts))
	}
	if last := parts[len(parts)-1]; last.HasNext == nil || *last.HasNext {
		t.Errorf("the last part should say hasNext: false")
	}
	var tenant map[string]json.RawMessage
	if err := json.Unmarshal(parts[0].Data["tenant"], &tenant); err != nil {
		t.Fatalf("initial part: %v", err)
	}
	if len(parts[0].Errors) > 0 {
		t.Fatalf("initial part has errors: %+v", parts[0].Errors)
	}
	labels := map[string]bool{}
	for _, p := range parts[1:] {
		for _, inc := range p.Incremental {
			if len(inc.Errors) > 0 {
				t.Errorf("deferred part %q has errors: %+v", inc.Label, inc.Errors)
			}
			labels[inc.Label] = true
			for k, v := range inc.Data {
				tenant[k] = v
			}
		}
	}
	if !labels["people"] || !labels["catalogue"] {
		t.Errorf("deferred labels delivered: %v, want people and catalogue", labels)
	}
	for _, field := range []string{"slug", "name", "members", "artists"} {
		got, want := string(tenant[field]), string(plain.Tenant[field])
		if got == "" || got == "null" || got != want {
			t.Errorf("tenant.%s = %s, want %s (as without @defer)", field, got, want)
		}
	}
}

// TestDeferNeedsMultipart: without Accept: multipart/mixed a deferred
// query is refused with BAD_REQUEST saying how to ask, instead of an
// answer with null deferred fields.
func TestDeferNeedsMultipart(t *testing.T) {
	r := gql(t, deferQuery, map[string]any{"slug": "acme-music"})
	e := wantErrorCode(t, r, api.CodeBadRequest)
	if !strings.Contains(e.Message, "multipart/mixed") {
		t.Errorf("the error should say how to ask for a streamed answer: %q", e.Message)
	}
	if len(r.Data) > 0 && string(r.Data) != "null" {
		t.Errorf("a refused operation has no data, got %s", r.Data)
	}
}

// TestSQLDurationIsWallTime: extensions.sql.durationMs is the time the
// request waited on PostgreSQL, so it never exceeds the request's own
// duration even when loader batches overlap.
func TestSQLDurationIsWallTime(t *testing.T) {
	for range 5 {
		start := time.Now()
		r := query(t, `{ tenants(first: 10) { edges { node { slug
			brands(first: 5) { totalCount } members(first: 5) { totalCount } artists(first: 5) { totalCount }
			labels(first: 5) { totalCount } releases(first: 5) { totalCount } groups(first: 5) { totalCount } } } } }`, nil, nil)
		elapsed := time.Since(start)
		if r.Extensions.SQL == nil {
			t.Fatalf("no extensions.sql\n%s", r.describe())
		}
		if got := time.Duration(r.Extensions.SQL.DurationMs * float64(time.Millisecond)); got > elapsed {
			t.Fatalf("durationMs %v is longer than the whole request (%v)", got, elapsed)
		}
	}
}
