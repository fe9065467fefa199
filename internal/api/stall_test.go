package api_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"

	"catalogue/db"
	"catalogue/db/model"
	"catalogue/internal/api"
	"catalogue/internal/auth"
)

// stallCost is the cost the server reports for a response.
func stallCost(t *testing.T, r *response) int {
	t.Helper()
	var ext struct {
		Extensions struct {
			Cost *struct {
				Requested int `json:"requested"`
			} `json:"cost"`
		} `json:"extensions"`
	}
	if err := json.Unmarshal(r.Body, &ext); err != nil || ext.Extensions.Cost == nil {
		t.Fatalf("no extensions.cost\n%s", r.describe())
	}
	return ext.Extensions.Cost.Requested
}

// TestSearchWordsCountInTheCost: every word of a search is a search
// sub-query of its own, so the estimated cost grows with the words (of a
// filter's search and of a query argument), and a search of more words
// than MAX_SEARCH_TERMS is refused naming the argument, for an ordinary
// member as for anyone.
func TestSearchWordsCountInTheCost(t *testing.T) {
	user := tokenFor(t, credMember(t, "acme-music", "USER"), "acme-music")
	const q = `query($f: ArtistFilter, $q: String) { tenant(slug: "acme-music") {
		artists(first: 5, filter: $f, query: $q) { edges { node { id } } } } }`
	ask := func(vars map[string]any) *response {
		t.Helper()
		r, err := postGraphQLAs(t.Context(), user, q, vars)
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	words := func(n int) string { return strings.TrimSpace(strings.Repeat("a ", n)) }

	one := ask(map[string]any{"f": map[string]any{"search": words(1)}})
	mustData(t, one, nil)
	five := ask(map[string]any{"f": map[string]any{"search": words(5)}})
	mustData(t, five, nil)
	if c1, c5 := stallCost(t, one), stallCost(t, five); c5 < 4*c1 {
		t.Errorf("a 5-word search costs %d, a 1-word one %d: the words must count", c5, c1)
	}
	q1 := ask(map[string]any{"q": words(1)})
	mustData(t, q1, nil)
	q5 := ask(map[string]any{"q": words(5)})
	mustData(t, q5, nil)
	if c1, c5 := stallCost(t, q1), stallCost(t, q5); c5 < 4*c1 {
		t.Errorf("a 5-term query costs %d, a 1-term one %d: the terms must count", c5, c1)
	}

	for arg, vars := range map[string]map[string]any{
		"filter": {"f": map[string]any{"and": []any{map[string]any{"search": words(8)}, map[string]any{"search": words(7)}}}},
		"query":  {"q": words(15)},
	} {
		r := ask(vars)
		e := wantErrorCode(t, r, api.CodeBadUserInput)
		if e.Extensions["argument"] != arg || !strings.Contains(e.Message, arg) {
			t.Errorf("15 search words in %s: the refusal must name the argument, got %q %v", arg, e.Message, e.Extensions)
		}
		if r.Data != nil && string(r.Data) != "null" {
			t.Errorf("a refused search still ran: %s", r.Data)
		}
	}
}

// stallServer serves api.New over a database of its own through a pool of
// four connections, each tenant bounded to one of them.
func stallServer(t *testing.T, timeout time.Duration) (*httptest.Server, *sqlx.DB) {
	t.Helper()
	owner, url, err := env.NewDatabase(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	x, _, err := env.Runtime(t.Context(), url)
	if err != nil {
		t.Fatal(err)
	}
	x.SetMaxOpenConns(4)
	store := db.NewStore(x)
	verifier, err := auth.NewTokenVerifier(auth.TokenConfig{HS256Secret: tokenSecret})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(api.New(store, slog.New(&captureHandler{store: serverLog}), api.Config{
		RequestTimeout: timeout, TenantMaxConns: 1,
		Auth: auth.NewAuthenticator(store, verifier, auth.CacheConfig{}),
	}))
	t.Cleanup(srv.Close)
	return srv, owner
}

// stallPost sends a query to srv with token; it returns the decoded answer
// and its Retry-After header.
func stallPost(ctx context.Context, srv *httptest.Server, token, q string, vars map[string]any) (*response, string, error) {
	body, err := json.Marshal(map[string]any{"query": q, "variables": vars})
	if err != nil {
		return nil, "", err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, srv.URL+"/graphql", bytes.NewReader(body))
	if err != nil {
		return nil, "", err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := srv.Client().Do(req)
	if err != nil {
		return nil, "", err
	}
	defer resp.Body.Close()
	r := &response{Status: resp.StatusCode, ContentType: resp.Header.Get("Content-Type"),
		RequestID: resp.Header.Get("X-Request-Id"), query: q, vars: vars}
	if r.Body, err = io.ReadAll(resp.Body); err != nil {
		return nil, "", err
	}
	if err := json.Unmarshal(r.Body, r); err != nil {
		return r, "", fmt.Errorf("response is not GraphQL JSON: %v\n%s", err, r.Body)
	}
	return r, resp.Header.Get("Retry-After"), nil
}

// lockArtist locks an artist of the tenant in a transaction of the test's
// own until release is called, and returns its global ID: a write of that
// artist through the API blocks, holding its connection, until then.
func lockArtist(t *testing.T, owner *sqlx.DB, slug string) (id string, release func()) {
	t.Helper()
	tx, err := owner.BeginTxx(t.Context(), nil)
	if err != nil {
		t.Fatal(err)
	}
	var uuid string
	if err := tx.GetContext(t.Context(), &uuid, `
		SELECT a.id FROM artists a JOIN tenants tn ON tn.id = a.tenant_id
		WHERE tn.slug = $1 ORDER BY a.id LIMIT 1 FOR UPDATE OF a`, slug); err != nil {
		_ = tx.Rollback()
		t.Fatal(err)
	}
	done := false
	release = func() {
		if !done {
			done = true
			_ = tx.Rollback()
		}
	}
	t.Cleanup(release)
	return gid(model.TypeArtist, uuid), release
}

// waitForLockWait waits until a backend of the database waits for a lock.
func waitForLockWait(t *testing.T, owner *sqlx.DB, errs <-chan error) {
	t.Helper()
	for {
		var n int
		if err := owner.GetContext(t.Context(), &n, `
			SELECT count(*) FROM pg_stat_activity
			WHERE datname = current_database() AND wait_event_type = 'Lock'`); err != nil {
			t.Fatal(err)
		}
		if n > 0 {
			return
		}
		select {
		case err := <-errs:
			t.Fatalf("the blocked write answered before it blocked: %v", err)
		case <-time.After(20 * time.Millisecond):
		}
	}
}

const stallUpdate = `mutation($id: ID!) { updateArtist(input: {id: $id, fields: {name: "Held"}}) { artist { id } } }`

// TestTenantCannotTakeAnotherTenantsConnections: with each tenant bounded
// to one connection, a write of tenant A held by a row lock keeps A's slot;
// a request of tenant B still answers, while a second request of tenant A
// waits for A's slot and is refused as THROTTLED (HTTP 429, Retry-After)
// instead of taking another connection. Once A's write is done, A answers.
func TestTenantCannotTakeAnotherTenantsConnections(t *testing.T) {
	srv, owner := stallServer(t, 4*time.Second)
	adminA := tokenFor(t, credMember(t, "acme-music", "ADMIN"), "acme-music")
	userA := tokenFor(t, credMember(t, "acme-music", "USER"), "acme-music")
	userB := tokenFor(t, credMember(t, "nordic-sound", "USER"), "nordic-sound")

	artist, release := lockArtist(t, owner, "acme-music")
	held := make(chan *response, 1)
	errs := make(chan error, 1)
	go func() {
		r, _, err := stallPost(context.Background(), srv, adminA, stallUpdate, map[string]any{"id": artist})
		if err != nil {
			errs <- err
			return
		}
		held <- r
	}()
	waitForLockWait(t, owner, errs)

	const list = `{ viewer { tenant { slug artists(first: 3) { totalCount } } } }`
	b, _, err := stallPost(t.Context(), srv, userB, list, nil)
	if err != nil {
		t.Fatal(err)
	}
	mustData(t, b, nil)

	a, retryAfter, err := stallPost(t.Context(), srv, userA, list, nil)
	if err != nil {
		t.Fatal(err)
	}
	wantErrorCode(t, a, api.CodeThrottled)
	if a.Status != http.StatusTooManyRequests || retryAfter == "" {
		t.Errorf("a throttled query answers HTTP %d with Retry-After %q, want 429 with one\n%s", a.Status, retryAfter, a.describe())
	}

	release()
	select {
	case err := <-errs:
		t.Fatal(err)
	case r := <-held:
		if len(r.Errors) > 0 && r.Errors[0].code() == api.CodeInternal {
			t.Errorf("the held write failed as INTERNAL\n%s", r.describe())
		}
	}
	a, _, err = stallPost(t.Context(), srv, userA, list, nil)
	if err != nil {
		t.Fatal(err)
	}
	mustData(t, a, nil)
}

// TestRunawayStatementTimesOut: a statement still running when its request's
// time is up is stopped (PostgreSQL's statement_timeout, set from the
// deadline) and answered TIMEOUT, not INTERNAL; the connection is free again.
func TestRunawayStatementTimesOut(t *testing.T) {
	srv, owner := stallServer(t, 700*time.Millisecond)
	adminA := tokenFor(t, credMember(t, "acme-music", "ADMIN"), "acme-music")
	artist, release := lockArtist(t, owner, "acme-music")
	defer release()
	r, _, err := stallPost(t.Context(), srv, adminA, stallUpdate, map[string]any{"id": artist})
	if err != nil {
		t.Fatal(err)
	}
	wantErrorCode(t, r, api.CodeTimeout)
	var n int
	if err := owner.GetContext(t.Context(), &n, `
		SELECT count(*) FROM pg_stat_activity
		WHERE datname = current_database() AND wait_event_type = 'Lock'`); err != nil {
		t.Fatal(err)
	}
	if n != 0 {
		t.Errorf("%d statements still wait for the lock after their request timed out", n)
	}
}
