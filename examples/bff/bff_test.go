package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/Khan/genqlient/generate"
	"github.com/jmoiron/sqlx"

	"catalogue/db"
	"catalogue/db/model"
	"catalogue/internal/api"
	"catalogue/internal/auth"
	"catalogue/internal/testdb"
)

// The example runs against the real server: api.New over a database of
// its own, migrated and seeded, as main serves it.
var (
	env    *testdb.Env
	server *httptest.Server
	secret = []byte(rand.Text() + rand.Text())
)

func TestMain(m *testing.M) {
	code, err := setup(m)
	if err != nil {
		// No database is a failure, never a skip.
		fmt.Fprintln(os.Stderr, "examples/bff tests:", err)
		os.Exit(1)
	}
	os.Exit(code)
}

func setup(m *testing.M) (int, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	var err error
	env, err = testdb.Setup(ctx, func(ctx context.Context, x *sqlx.DB) error {
		if _, err := db.Migrate(ctx, x); err != nil {
			return err
		}
		return db.Seed(ctx, x, db.SeedConfig{Tenants: 2, Users: 120, Artists: 10, Releases: 10, TracksPerRelease: 2})
	})
	if err != nil {
		return 1, err
	}
	defer env.Close()
	store := db.NewStore(env.DB)
	verifier, err := auth.NewTokenVerifier(auth.TokenConfig{HS256Secret: secret})
	if err != nil {
		return 1, err
	}
	server = httptest.NewServer(api.New(store, slog.New(slog.DiscardHandler), api.Config{
		Auth: auth.NewAuthenticator(store, verifier, auth.CacheConfig{}),
	}))
	defer server.Close()
	return m.Run(), nil
}

// owner is the slug of a tenant with subsidiaries' members to page through
// and a token of its owner acting in it.
func owner(t *testing.T) (slug, authorization string) {
	t.Helper()
	var row struct {
		Slug string `db:"slug"`
		User string `db:"user_id"`
	}
	err := env.DB.GetContext(t.Context(), &row, `
		SELECT t.slug, m.user_id FROM memberships m
		JOIN tenants t ON t.id = m.tenant_id
		JOIN users u ON u.id = m.user_id
		WHERE m.role = 'OWNER' AND m.status = 'ACTIVE' AND t.parent_id IS NULL
		  AND NOT u.is_deleted AND (u.expires_at IS NULL OR u.expires_at > now())
		ORDER BY t.slug, m.created_at, m.user_id LIMIT 1`)
	if err != nil {
		t.Fatalf("the seed should hold an active owner of a top-level tenant: %v", err)
	}
	tok, err := auth.SignHS256(secret, row.User, row.Slug, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	return row.Slug, "Bearer " + tok
}

// bff runs the example's command line and returns what it printed.
func bff(t *testing.T, args ...string) string {
	t.Helper()
	var out bytes.Buffer
	if err := run(t.Context(), append([]string{"-url", server.URL + "/graphql"}, args...), &out); err != nil {
		t.Fatalf("bff %s: %v\noutput:\n%s", strings.Join(args, " "), err, out.String())
	}
	return out.String()
}

// TestMembersPageByPage lists a tenant's members seven at a time and gets
// the list that one request for all of them returns, in the same order.
func TestMembersPageByPage(t *testing.T) {
	slug, authz := owner(t)
	out := bff(t, "-auth", authz, "members", "-tenant", slug, "-page-size", "7")

	lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	var header string
	header, lines = lines[0], lines[1:]
	var got []string
	for _, l := range lines {
		got = append(got, strings.Split(l, "\t")[0])
	}

	// The oracle: the whole list in one page, straight over HTTP.
	body, _ := json.Marshal(map[string]any{
		"query":     `query AllMembers($slug: String!) { tenant(slug: $slug) { members(first: 500) { totalCount edges { node { id } } } } }`,
		"variables": map[string]any{"slug": slug},
	})
	req, _ := http.NewRequestWithContext(t.Context(), http.MethodPost, server.URL+"/graphql", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", authz)
	resp, err := server.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	var all struct {
		Data struct {
			Tenant struct {
				Members struct {
					TotalCount int
					Edges      []struct{ Node struct{ ID string } }
				}
			}
		}
	}
	if err := json.Unmarshal(raw, &all); err != nil {
		t.Fatalf("%v: %s", err, raw)
	}
	var want []string
	for _, e := range all.Data.Tenant.Members.Edges {
		want = append(want, e.Node.ID)
	}
	if len(want) <= 7 {
		t.Fatalf("the tenant has %d members: too few to need a second page", len(want))
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("paged list differs from the single page:\ngot  %d: %v\nwant %d: %v", len(got), got, len(want), want)
	}
	if wantHeader := fmt.Sprintf(": %d members", all.Data.Tenant.Members.TotalCount); !strings.Contains(header, wantHeader) {
		t.Errorf("header %q should say %q", header, wantHeader)
	}
	for _, l := range lines {
		if f := strings.Split(l, "\t"); len(f) != 5 || f[1] == "-" || f[3] == "" {
			t.Errorf("line %q: want id, email (an owner sees it), name, role and status", l)
		}
	}
}

// TestCreateLabel creates a label through the typed client, finds it in
// the database in the caller's tenant, and gets the same label back when
// the call is retried with the same idempotency key.
func TestCreateLabel(t *testing.T) {
	slug, authz := owner(t)
	out := bff(t, "-auth", authz, "create-label", "-name", "Typed Client Records", "-idempotency-key", "bff-test-1")
	id, name, ok := strings.Cut(strings.TrimSpace(out), "\t")
	if !ok || name != "Typed Client Records" {
		t.Fatalf("want \"<id>\\tTyped Client Records\", got %q", out)
	}
	typ, uuid, err := model.DecodeID(id)
	if err != nil || typ != model.TypeLabel {
		t.Fatalf("%q is not a Label ID: %v", id, err)
	}
	var stored struct {
		Name string `db:"name"`
		Slug string `db:"slug"`
	}
	if err := env.DB.GetContext(t.Context(), &stored,
		`SELECT l.name, t.slug FROM labels l JOIN tenants t ON t.id = l.tenant_id WHERE l.id = $1`, uuid); err != nil {
		t.Fatalf("label %s not stored: %v", uuid, err)
	}
	if stored.Name != "Typed Client Records" || stored.Slug != slug {
		t.Errorf("stored %+v, want the name in tenant %s", stored, slug)
	}

	again := bff(t, "-auth", authz, "create-label", "-name", "Typed Client Records", "-idempotency-key", "bff-test-1")
	if again != out {
		t.Errorf("a retry with the same key answered %q, want the first label %q", again, out)
	}
}

// TestRefusedCredentials reports the server's refusal as an error.
func TestRefusedCredentials(t *testing.T) {
	err := run(t.Context(), []string{"-url", server.URL + "/graphql", "-auth", "Bearer not-a-token", "members", "-tenant", "x"}, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "401") {
		t.Errorf("want an error naming HTTP 401, got %v", err)
	}
}

// TestGeneratedCodeIsCurrent fails when generated.go is not what genqlient
// makes from the schema and operations.graphql now: after a schema change,
// run make generate-client.
func TestGeneratedCodeIsCurrent(t *testing.T) {
	schema, err := os.ReadFile("schema.graphql")
	if err != nil {
		t.Fatal(err)
	}
	if string(schema) != api.SchemaSDL() {
		t.Error("schema.graphql is not the server's client schema: run make generate-client")
	}
	cfg, err := generate.ReadAndValidateConfig("genqlient.yaml")
	if err != nil {
		t.Fatal(err)
	}
	files, err := generate.Generate(cfg)
	if err != nil {
		t.Fatalf("the operations no longer fit the schema: %v", err)
	}
	for name, want := range files {
		got, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%s is stale: run make generate-client", filepath.Base(name))
		}
	}
}
