package api_test

// A request that runs out of time says TIMEOUT, whether the request's own
// deadline stopped it or PostgreSQL's statement_timeout did; a client that
// hangs up mid-request leaves one access-log line and nothing at WARN or
// ERROR. Each test holds an exclusive lock on the releases table of a
// database of its own, so that a query reading releases waits for as long
// as the test wants (the users table, for authentication to wait).

import (
	"context"
	"crypto/rand"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"

	"catalogue/internal/api"
)

// releasesQuery reads releases after a tenant, so that authentication and
// the tenant list run before it waits on the lock.
const releasesQuery = `{ tenants(first: 1) { edges { node { slug releases(first: 1) { totalCount } } } } }`

// lockedDatabase returns a fresh database whose table another session
// keeps locked until the test ends, and its URL.
func lockedDatabase(t *testing.T, table string) (*sqlx.DB, string) {
	t.Helper()
	x, url, err := env.NewDatabase(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	conn, err := x.Connx(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := conn.ExecContext(t.Context(), `BEGIN; LOCK TABLE `+table+` IN ACCESS EXCLUSIVE MODE`); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_, _ = conn.ExecContext(context.Background(), `ROLLBACK`)
		_ = conn.Close()
	})
	return x, url
}

// wantTimeout asserts a TIMEOUT error, no INTERNAL one, and a log without
// ERROR lines.
func wantTimeout(t *testing.T, r *response) {
	t.Helper()
	e := wantErrorCode(t, r, api.CodeTimeout)
	if !strings.Contains(e.Message, "too long") {
		t.Errorf("message %q should say the request took too long", e.Message)
	}
	for _, l := range serverLog.records(r.RequestID) {
		if strings.HasPrefix(l, "ERROR") {
			t.Errorf("a timeout is logged at ERROR: %s", truncate(l, 300))
		}
	}
}

func TestRequestDeadlineIsTimeout(t *testing.T) {
	x, _ := lockedDatabase(t, "releases")
	srv := newServer(t, x, api.Config{RequestTimeout: 500 * time.Millisecond})
	start := time.Now()
	r := credPost(t, srv.URL, credBearer(bearer), releasesQuery, nil)
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("the request took %v with a deadline of 500ms", d)
	}
	wantTimeout(t, r)
}

func TestStatementTimeoutIsTimeout(t *testing.T) {
	x, url := lockedDatabase(t, "releases")
	var name string
	if err := x.GetContext(t.Context(), &name, `SELECT current_database()`); err != nil {
		t.Fatal(err)
	}
	if _, err := x.ExecContext(t.Context(), `ALTER DATABASE "`+name+`" SET statement_timeout = '300ms'`); err != nil {
		t.Fatal(err)
	}
	// A pool opened after the change: its sessions have the timeout.
	timed, err := sqlx.Open("postgres", url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = timed.Close() })
	srv := newServer(t, timed, api.Config{RequestTimeout: 30 * time.Second})
	wantTimeout(t, credPost(t, srv.URL, credBearer(bearer), releasesQuery, nil))
}

// TestClientHangUpIsQuiet: a client that gives up while its query waits,
// or while its credentials are being looked up, leaves the access-log line
// and nothing else at INFO or above.
func TestClientHangUpIsQuiet(t *testing.T) {
	for _, table := range []string{"releases", "users"} {
		t.Run("waiting on "+table, func(t *testing.T) {
			x, _ := lockedDatabase(t, table)
			srv := newServer(t, x, api.Config{RequestTimeout: 30 * time.Second})
			id := "hangup-" + strings.ToLower(rand.Text()[:10])
			ctx, cancel := context.WithTimeout(t.Context(), 500*time.Millisecond)
			defer cancel()
			req, err := http.NewRequestWithContext(ctx, http.MethodPost, srv.URL+"/graphql",
				strings.NewReader(string(jsonBody(t, map[string]any{"query": releasesQuery}))))
			if err != nil {
				t.Fatal(err)
			}
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("Authorization", "Bearer "+bearer)
			req.Header.Set("X-Request-Id", id)
			if _, err := http.DefaultClient.Do(req); !errors.Is(err, context.DeadlineExceeded) {
				t.Fatalf("the client should have given up waiting, got %v", err)
			}
			// The server finishes the request on its own time: wait for its
			// access-log line.
			deadline := time.Now().Add(10 * time.Second)
			for !strings.Contains(serverLog.lines(id), "INFO request ") {
				if time.Now().After(deadline) {
					t.Fatalf("no access-log line for request %s:\n%s", id, serverLog.lines(id))
				}
				time.Sleep(20 * time.Millisecond)
			}
			time.Sleep(100 * time.Millisecond) // anything logged after the access line
			loud := 0
			for _, l := range serverLog.records(id) {
				if !strings.HasPrefix(l, "DEBUG") {
					loud++
				}
				if strings.HasPrefix(l, "WARN") || strings.HasPrefix(l, "ERROR") {
					t.Errorf("a client hanging up is logged at %s", truncate(l, 300))
				}
			}
			if loud > 1 || !strings.Contains(serverLog.lines(id), "client_gone=true") {
				t.Errorf("want the access-log line, saying the client was gone, and nothing else at INFO or above:\n%s", serverLog.lines(id))
			}
		})
	}
}
