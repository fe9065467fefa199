package api_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/parser"

	"catalogue/db/model"
	"catalogue/graph/generated"
	"catalogue/internal/api"
)

// Apollo Federation: the server is a subgraph whose entities are the Node
// types marked @key(fields: "id"), keyed by their global ID. A router
// resolves them through Query._entities, which must answer exactly what
// nodes() answers the same caller, read as nodes() reads.

// entityTypes are the federation entities; the other Node types are not
// (see nonEntities).
var entityTypes = []string{"Artist", "Brand", "Group", "Label", "Membership", "Release", "Tenant", "Track", "User"}

// nonEntities are the Node types no other subgraph may resolve or extend,
// and why.
var nonEntities = map[string]string{
	"ApiKey":        "credential metadata, visible only to those who manage keys",
	"BrandAccess":   "an access grant, managed here and meaningless elsewhere",
	"AuditLogEntry": "the audit trail of this service's writes, readable by admins only",
}

// serviceSDL is the subgraph schema as a router reads it.
func serviceSDL(t testing.TB) string {
	t.Helper()
	var d struct {
		Service struct{ SDL string } `json:"_service"`
	}
	query(t, `{ _service { sdl } }`, nil, &d)
	if d.Service.SDL == "" {
		t.Fatal("_service.sdl is empty")
	}
	return d.Service.SDL
}

// The subgraph SDL links Federation v2, marks every entity with its key,
// shares PageInfo, and leaves the Node types that are not entities alone.
// A new Node type fails here until it is classified.
func TestServiceSDLDeclaresTheEntities(t *testing.T) {
	sdl := serviceSDL(t)
	doc, err := parser.ParseSchema(&ast.Source{Name: "_service.sdl", Input: sdl})
	if err != nil {
		t.Fatalf("_service.sdl does not parse: %v", err)
	}
	var link *ast.Directive
	for _, ext := range doc.SchemaExtension {
		if d := ext.Directives.ForName("link"); d != nil {
			link = d
		}
	}
	if link == nil {
		t.Fatal("no `extend schema @link(...)`: a router would read the SDL as Federation 1")
	}
	var url string
	if a := link.Arguments.ForName("url"); a != nil {
		url = a.Value.Raw
	}
	if !strings.HasPrefix(url, "https://specs.apollo.dev/federation/v2.") {
		t.Errorf("@link(url: %q) does not link Federation v2", url)
	}
	imports := link.Arguments.ForName("import")
	for _, want := range []string{"@key", "@shareable"} {
		if imports == nil || !slices.ContainsFunc(imports.Value.Children, func(c *ast.ChildValue) bool { return c.Value.Raw == want }) {
			t.Errorf("@link does not import %s", want)
		}
	}

	types := map[string]*ast.Definition{}
	for _, def := range doc.Definitions {
		types[def.Name] = def
	}
	for _, name := range entityTypes {
		def := types[name]
		if def == nil {
			t.Errorf("entity %s is not in the SDL", name)
			continue
		}
		keys := def.Directives.ForNames("key")
		if len(keys) != 1 || keys[0].Arguments.ForName("fields") == nil || keys[0].Arguments.ForName("fields").Value.Raw != "id" {
			t.Errorf("%s: want exactly @key(fields: \"id\"), got %v", name, keys)
		}
	}
	if types["PageInfo"] == nil || types["PageInfo"].Directives.ForName("shareable") == nil {
		t.Error("PageInfo is not @shareable: a second subgraph with Relay connections would not compose")
	}

	// Every Node type is classified: an entity, or not one for a reason.
	exec := generated.NewExecutableSchema(generated.Config{}).Schema()
	for _, def := range exec.GetPossibleTypes(exec.Types["Node"]) {
		_, excluded := nonEntities[def.Name]
		isEntity := slices.Contains(entityTypes, def.Name)
		if isEntity == excluded {
			t.Errorf("Node type %s: list it in entityTypes or in nonEntities with a reason", def.Name)
		}
		if sdlDef := types[def.Name]; excluded && sdlDef != nil && sdlDef.Directives.ForName("key") != nil {
			t.Errorf("%s has a @key but is not an entity: %s", def.Name, nonEntities[def.Name])
		}
	}
	var members []string
	if u := exec.Types["_Entity"]; u != nil {
		members = slices.Sorted(slices.Values(u.Types))
	}
	if !slices.Equal(members, entityTypes) {
		t.Errorf("the _Entity union has %v, want %v", members, entityTypes)
	}
}

// fedSubject is a member of the tenant with the most releases, with own,
// foreign (outside the tenant's subtree) and missing IDs of releases and
// artists.
type fedSubject struct {
	token                                 string
	releases, artists                     []string // own, 20 each
	foreignRelease, foreignArtist         string
	missingRelease, missingArtist, userID string
}

func federationSubject(t testing.TB) fedSubject {
	t.Helper()
	slug, tid := planTenant(t)
	var s fedSubject
	s.userID = credMember(t, slug, "USER")
	s.token = tokenFor(t, s.userID, slug)
	s.releases = sqlIDs(t, model.TypeRelease, `SELECT r.id FROM releases r WHERE r.tenant_id = $1
		AND r.label_id IS NOT NULL AND EXISTS (SELECT 1 FROM tracks tr WHERE tr.release_id = r.id) ORDER BY r.id LIMIT 20`, tid)
	s.artists = sqlIDs(t, model.TypeArtist, `SELECT a.id FROM artists a WHERE a.tenant_id = $1
		AND EXISTS (SELECT 1 FROM release_artists ra WHERE ra.artist_id = a.id) ORDER BY a.id LIMIT 20`, tid)
	if len(s.releases) < 20 || len(s.artists) < 20 {
		t.Fatalf("tenant %s has %d releases with a label and tracks and %d credited artists; the tests need 20 of each", slug, len(s.releases), len(s.artists))
	}
	foreign := func(typ model.NodeType, table string) string {
		ids := sqlIDs(t, typ, `SELECT x.id FROM `+table+` x
			WHERE x.tenant_id <> ALL (SELECT unnest(tenant_subtree($1::uuid))) ORDER BY x.id LIMIT 1`, tid)
		if len(ids) == 0 {
			t.Fatalf("no %s outside the subtree of %s", table, slug)
		}
		return ids[0]
	}
	s.foreignRelease, s.foreignArtist = foreign(model.TypeRelease, "releases"), foreign(model.TypeArtist, "artists")
	s.missingRelease, s.missingArtist = gid(model.TypeRelease, uuid.NewString()), gid(model.TypeArtist, uuid.NewString())
	return s
}

// rep is a representation as a router sends it.
func rep(typename, id string) map[string]any { return map[string]any{"__typename": typename, "id": id} }

// entitiesQuery selects, on both entity types, fields of the row and
// fields that read: a to-one reference and nested lists.
const entitiesQuery = `query($reps: [_Any!]!) { _entities(representations: $reps) {
	__typename
	... on Release { id title status label { id name } tracks(first: 3) { edges { node { id } } } }
	... on Artist { id name releases(first: 2) { edges { node { id } } } }
} }`

// fedEntity decodes an element of entitiesQuery's answer.
type fedEntity struct {
	Typename string `json:"__typename"`
	ID       string
	Title    string
	Status   string
	Name     string
	Label    *struct{ ID, Name string }
	Tracks   idEdges
	Releases idEdges
}

// _entities with representations of two types, mixed with another
// tenant's objects and missing ones: own objects are answered in the order
// asked, with values as in the database; a foreign and a missing object are
// null alike, without an error. The reads are those of nodes(): one
// statement per type and level, the same for 1 and 20 representations of
// each type.
func TestEntitiesResolveLikeNodes(t *testing.T) {
	s := federationSubject(t)
	o := oracle{t}
	// Releases and artists by ID, Release.label, Release.tracks,
	// Artist.releases.
	const levels = 5
	counts := map[int]int{}
	for _, n := range []int{1, 20} {
		var reps []map[string]any
		for i := range n {
			reps = append(reps, rep("Release", s.releases[i]), rep("Artist", s.artists[i]))
		}
		reps = append(reps, rep("Release", s.foreignRelease), rep("Artist", s.missingArtist),
			rep("Artist", s.foreignArtist), rep("Release", s.missingRelease))
		var d struct {
			Entities []*fedEntity `json:"_entities"`
		}
		r := planQuery(t, s.token, entitiesQuery, map[string]any{"reps": reps}, &d)
		counts[n] = r.statements(t)
		if len(d.Entities) != len(reps) {
			t.Fatalf("%d entities for %d representations", len(d.Entities), len(reps))
		}
		for i, e := range d.Entities[2*n:] {
			if e != nil {
				t.Errorf("representation %v (foreign or missing) answered %+v, want null", reps[2*n+i], *e)
			}
		}
		for i, e := range d.Entities[:2*n] {
			want := reps[i]
			if e == nil || e.Typename != want["__typename"] || e.ID != want["id"] {
				t.Fatalf("_entities[%d] = %+v, want the %s %s", i, e, want["__typename"], want["id"])
			}
			_, id, _ := model.DecodeID(e.ID)
			if e.Typename == "Artist" {
				var name string
				sqlValue(t, &name, `SELECT name FROM artists WHERE id = $1`, id)
				if e.Name != name {
					t.Errorf("artist %s: name %q, want %q", e.ID, e.Name, name)
				}
				wantIDs(t, "releases of artist "+e.ID, e.Releases.ids(), o.artistReleases(e.ID, 2))
				continue
			}
			var row struct{ Title, Status, LabelName string }
			sqlValue(t, &row, `SELECT r.title, r.status, lb.name AS labelname FROM releases r JOIN labels lb ON lb.id = r.label_id WHERE r.id = $1`, id)
			if e.Title != row.Title || e.Status != row.Status {
				t.Errorf("release %s: %q %s, want %q %s", e.ID, e.Title, e.Status, row.Title, row.Status)
			}
			if label := o.labelOf(e.ID); e.Label == nil || label == nil || e.Label.ID != *label || e.Label.Name != row.LabelName {
				t.Errorf("release %s: label %+v, want %v %q", e.ID, e.Label, label, row.LabelName)
			}
			wantIDs(t, "tracks of release "+e.ID, e.Tracks.ids(), o.tracks(e.ID, 3))
		}
		wantStatements(t, r, levels, fmt.Sprintf("_entities of %d releases and %d artists", n, n))
	}
	t.Logf("statements by representations per type: %v", counts)

	// N representations of one type are one statement.
	for _, n := range []int{1, 20} {
		var reps []map[string]any
		for _, id := range s.releases[:n] {
			reps = append(reps, rep("Release", id))
		}
		r := planQuery(t, s.token, `query($reps: [_Any!]!) { _entities(representations: $reps) { ... on Release { id title } } }`,
			map[string]any{"reps": reps}, nil)
		wantStatements(t, r, 1, fmt.Sprintf("_entities of %d releases", n))
	}
}

// Another tenant's object and one that does not exist get the same answer,
// byte for byte, for every entity type, as they do from nodes(); the
// administrator, who sees every tenant, gets the foreign ones.
func TestEntitiesOfOtherTenantsAreNullLikeMissingOnes(t *testing.T) {
	s := federationSubject(t)
	_, tid := planTenant(t)
	tables := map[string]string{
		"Artist": "artists", "Brand": "brands", "Group": "groups", "Label": "labels", "Membership": "memberships",
		"Release": "releases", "Tenant": "tenants", "Track": "tracks", "User": "users",
	}
	var foreign, missing []map[string]any
	var foreignIDs, missingIDs []string
	for _, typ := range entityTypes {
		var q string
		switch typ {
		case "Tenant":
			q = `SELECT id FROM tenants x WHERE x.id <> ALL (SELECT unnest(tenant_subtree($1::uuid))) ORDER BY id LIMIT 1`
		case "User":
			// A user with no membership in the subtree.
			q = `SELECT u.id FROM users u WHERE NOT EXISTS (SELECT 1 FROM memberships m
				WHERE m.user_id = u.id AND m.tenant_id = ANY (tenant_subtree($1::uuid))) ORDER BY u.id LIMIT 1`
		default:
			q = `SELECT id FROM ` + tables[typ] + ` x WHERE x.tenant_id <> ALL (SELECT unnest(tenant_subtree($1::uuid))) ORDER BY id LIMIT 1`
		}
		ids := sqlIDs(t, model.NodeType(typ), q, tid)
		if len(ids) == 0 {
			t.Fatalf("no %s outside the subtree: nothing foreign to probe", typ)
		}
		foreign = append(foreign, rep(typ, ids[0]))
		foreignIDs = append(foreignIDs, ids[0])
		ghost := gid(model.NodeType(typ), uuid.NewString())
		missing = append(missing, rep(typ, ghost))
		missingIDs = append(missingIDs, ghost)
	}
	q := `query($reps: [_Any!]!) { _entities(representations: $reps) { __typename ... on Node { id } ... on Tenant { slug } ... on User { email } } }`
	rf := credPost(t, server.URL, credBearer(s.token), q, map[string]any{"reps": foreign})
	rm := credPost(t, server.URL, credBearer(s.token), q, map[string]any{"reps": missing})
	credOK(t, rf, nil)
	credOK(t, rm, nil)
	if !bytes.Equal(rf.Data, rm.Data) {
		t.Errorf("foreign entities answer %s, missing ones %s", rf.Data, rm.Data)
	}
	if want := `{"_entities":[` + strings.TrimSuffix(strings.Repeat("null,", len(entityTypes)), ",") + `]}`; string(rf.Data) != want {
		t.Errorf("foreign entities answer %s, want %s", rf.Data, want)
	}
	// nodes() agrees.
	nq := `query($ids: [ID!]!) { nodes(ids: $ids) { id } }`
	nf := credPost(t, server.URL, credBearer(s.token), nq, map[string]any{"ids": foreignIDs})
	nm := credPost(t, server.URL, credBearer(s.token), nq, map[string]any{"ids": missingIDs})
	credOK(t, nf, nil)
	credOK(t, nm, nil)
	if !bytes.Equal(nf.Data, nm.Data) || !strings.Contains(string(nf.Data), "null") || strings.Contains(string(nf.Data), `"id"`) {
		t.Errorf("nodes() answers %s for the foreign IDs and %s for the missing ones", nf.Data, nm.Data)
	}
	// The same representations as the administrator: every foreign object.
	var d struct {
		Entities []*credNode `json:"_entities"`
	}
	query(t, q, map[string]any{"reps": foreign}, &d)
	for i, e := range d.Entities {
		if e == nil || e.ID != foreignIDs[i] || e.Typename != entityTypes[i] {
			t.Errorf("administrator: _entities[%d] = %+v, want the %s %s", i, e, entityTypes[i], foreignIDs[i])
		}
	}
}

// A malformed ID, or the ID of another type, is the router's (or another
// subgraph's) mistake: it fails its own representation with BAD_USER_INPUT
// at its path, and the others still resolve. A type that is not an entity
// is refused.
func TestEntitiesRefuseBadRepresentations(t *testing.T) {
	s := federationSubject(t)
	reps := []map[string]any{
		rep("Release", s.releases[0]),
		rep("Release", "not-an-id"),
		rep("Release", s.artists[0]), // an artist's ID as a release
		rep("Artist", s.artists[0]),
	}
	r := credPost(t, server.URL, credBearer(s.token), `query($reps: [_Any!]!) { _entities(representations: $reps) { ... on Node { id } } }`,
		map[string]any{"reps": reps})
	var d struct {
		Entities []*struct{ ID string } `json:"_entities"`
	}
	if err := json.Unmarshal(r.Data, &d); err != nil || len(d.Entities) != len(reps) {
		t.Fatalf("want %d entities: %v\n%s", len(reps), err, r.describe())
	}
	if d.Entities[0] == nil || d.Entities[0].ID != s.releases[0] || d.Entities[3] == nil || d.Entities[3].ID != s.artists[0] {
		t.Errorf("the valid representations did not resolve: %s", r.Data)
	}
	if d.Entities[1] != nil || d.Entities[2] != nil {
		t.Errorf("bad representations answered objects: %s", r.Data)
	}
	paths := map[string]bool{}
	for _, e := range r.Errors {
		if e.code() != "BAD_USER_INPUT" {
			t.Errorf("error %q has code %q, want BAD_USER_INPUT\n%s", e.Message, e.code(), r.describe())
		}
		paths[fmt.Sprint(e.Path)] = true
	}
	if !paths["[_entities 1]"] || !paths["[_entities 2]"] || len(paths) != 2 {
		t.Errorf("errors at %v, want at _entities 1 and 2\n%s", slices.Collect(mapKeys(paths)), r.describe())
	}

	r = credPost(t, server.URL, credBearer(s.token), `query($reps: [_Any!]!) { _entities(representations: $reps) { __typename } }`,
		map[string]any{"reps": []map[string]any{rep("ApiKey", gid(model.TypeAPIKey, uuid.NewString()))}})
	if len(r.Errors) == 0 || r.Status >= 500 {
		t.Errorf("an ApiKey representation was not refused\n%s", r.describe())
	}
}

// The cost limit counts every representation, as it counts every ID of
// nodes(): a router's fetch of many entities with a large selection is
// refused before anything is read.
func TestEntitiesCostScalesWithRepresentations(t *testing.T) {
	q := `query($reps: [_Any!]!) { _entities(representations: $reps) { ... on Release { tracks(first: 500) { edges { node { id } } } } } }`
	reps := make([]map[string]any, 200) // about 200 × 1,500 objects
	for i := range reps {
		reps[i] = rep("Release", gid(model.TypeRelease, uuid.NewString()))
	}
	r := gql(t, q, map[string]any{"reps": reps[:1]})
	mustData(t, r, nil)
	r = gql(t, q, map[string]any{"reps": reps})
	if e := wantErrorCode(t, r, api.CodeBadUserInput); !strings.Contains(e.Message, "more than the limit") {
		t.Errorf("want the cost limit's refusal, got %q", e.Message)
	}
}

// federationDir holds the composition check: reviews.graphql, compose.mjs
// and the node_modules that `make test` installs from package-lock.json.
const federationDir = "../../test/federation"

// The subgraph SDL the server answers composes with a second subgraph that
// extends Release, under Apollo's composition library, without errors or
// hints. Needs Node.js and test/federation/node_modules, which `make test`
// installs (make federation-deps); without them the test fails.
func TestSupergraphComposes(t *testing.T) {
	node, err := exec.LookPath("node")
	if err != nil {
		t.Fatal("node not found: the composition check needs Node.js 18+ (and npm to install it: make federation-deps)")
	}
	if _, err := os.Stat(filepath.Join(federationDir, "node_modules", "@apollo", "composition")); err != nil {
		t.Fatalf("%s/node_modules lacks @apollo/composition: run `make federation-deps` (make test does): %v", federationDir, err)
	}
	dir := t.TempDir()
	ours := filepath.Join(dir, "catalogue.graphql")
	if err := os.WriteFile(ours, []byte(serviceSDL(t)), 0o644); err != nil {
		t.Fatal(err)
	}
	supergraph := filepath.Join(dir, "supergraph.graphql")
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, node, "compose.mjs", "--supergraph", supergraph, ours, "reviews.graphql")
	cmd.Dir = federationDir
	start := time.Now()
	out, err := cmd.CombinedOutput()
	t.Logf("node compose.mjs (%s):\n%s", time.Since(start).Round(time.Millisecond), out)
	var exit *exec.ExitError
	if errors.As(err, &exit) {
		t.Fatalf("the supergraph does not compose (exit %d)", exit.ExitCode())
	}
	if err != nil {
		t.Fatalf("node compose.mjs: %v", err)
	}
	sdl, err := os.ReadFile(supergraph)
	if err != nil {
		t.Fatalf("no supergraph written: %v", err)
	}
	// The supergraph joins Release from both subgraphs by its key.
	for _, want := range []string{`@join__type(graph: CATALOGUE, key: "id")`, `@join__type(graph: REVIEWS, key: "id")`, `reviews(first: Int, after: String): ReviewConnection!`} {
		if !bytes.Contains(sdl, []byte(want)) {
			t.Errorf("the supergraph lacks %s", want)
		}
	}
}
