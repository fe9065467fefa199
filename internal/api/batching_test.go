package api_test

import (
	"bytes"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"catalogue/db"
	"catalogue/internal/api"
	"catalogue/internal/auth"
)

// With a loader wait window far shorter than any goroutine switch, only
// the read plan keeps a level in one statement: every query of the
// headline shape must still cost one statement per field and level, every
// time. Without the plan this test sees extra statements.
func TestStatementCountDoesNotDependOnLoaderTiming(t *testing.T) {
	store := db.NewStore(env.RuntimeDB)
	verifier, err := auth.NewTokenVerifier(auth.TokenConfig{HS256Secret: tokenSecret})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(api.New(store, slog.New(slog.DiscardHandler), api.Config{
		SQLStats: true, LoaderWait: time.Nanosecond, Auth: auth.NewAuthenticator(store, verifier, auth.CacheConfig{}),
	}))
	defer srv.Close()

	slug, _ := richestTenant(t)
	query := `query($slug: String!) { tenant(slug: $slug) { artists(first: 20, includeSubsidiaries: false) { totalCount
		edges { node { releases(first: 10) { totalCount edges { node { label { name }
		tracks(first: 10) { totalCount edges { node { title release { title } } } } } } } } } } } }`
	// tenant, artists + count, releases + count, labels, tracks + count, track.release
	const want = 9
	for i := range 15 {
		body, _ := json.Marshal(map[string]any{"query": query, "variables": map[string]any{"slug": slug}})
		req, _ := http.NewRequest(http.MethodPost, srv.URL+"/graphql", bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", "Bearer "+bearer)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		raw, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		var out struct {
			Errors     []json.RawMessage
			Extensions struct {
				SQL struct{ Statements int } `json:"sql"`
			}
		}
		if err := json.Unmarshal(raw, &out); err != nil || len(out.Errors) > 0 {
			t.Fatalf("run %d: %v %s", i, err, strings.TrimSpace(string(raw[:min(len(raw), 500)])))
		}
		if got := out.Extensions.SQL.Statements; got != want {
			t.Fatalf("run %d: %d statements, want %d (one per field and level)", i, got, want)
		}
	}
}
