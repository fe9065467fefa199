// Package faults_test restarts PostgreSQL under a write and read load
// through the real HTTP handler and checks what clients were told against
// what the database kept: every acknowledged write is stored, requests made
// while the database is down fail fast with a retryable 503, and the server
// recovers on its own.
package faults_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/lib/pq"

	"catalogue/db"
	"catalogue/db/model"
	"catalogue/internal/api"
	"catalogue/internal/auth"
	"catalogue/internal/pgembed"
)

// outcome is what one request was told.
type outcome struct {
	at     time.Time
	status int
	code   string // extensions.code of the first error, "" for success
	id     string // the created label's ID, for an acknowledged write
	name   string
	retry  string // Retry-After
}

func TestRestartUnderLoad(t *testing.T) {
	if testing.Short() {
		t.Skip("restarts PostgreSQL three times under load: not with -short")
	}
	ctx := t.Context()
	dir := filepath.Join(t.TempDir(), "pg")
	cluster, err := pgembed.Start(ctx, pgembed.Options{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	port := cluster.Port
	t.Cleanup(func() { _ = cluster.Stop() })

	x, err := db.Open(ctx, cluster.URL("postgres"), db.PoolConfig{MaxOpen: 8, MaxIdle: 8, MaxLifetime: time.Hour, Statements: db.DefaultStatements})
	if err != nil {
		t.Fatal(err)
	}
	defer x.Close()
	if _, err := db.Migrate(ctx, x); err != nil {
		t.Fatal(err)
	}
	if err := db.Seed(ctx, x, db.DemoSeed); err != nil {
		t.Fatal(err)
	}
	// An ordinary ADMIN of one tenant, with no platform role.
	var admin struct {
		User string `db:"user_id"`
		Slug string `db:"slug"`
	}
	if err := x.GetContext(ctx, &admin, `SELECT m.user_id::text AS user_id, t.slug FROM memberships m
		JOIN users u ON u.id = m.user_id JOIN tenants t ON t.id = m.tenant_id
		WHERE m.role = 'ADMIN' AND m.status = 'ACTIVE' AND NOT u.is_deleted AND cardinality(u.admin_roles) = 0
		  AND (u.expires_at IS NULL OR u.expires_at > now() + interval '1 day')
		  AND (SELECT count(*) FROM memberships o WHERE o.user_id = u.id) = 1
		ORDER BY m.user_id LIMIT 1`); err != nil {
		t.Fatal(err)
	}
	secret := []byte("a secret of the fault test, long enough for HS256")
	token, err := auth.SignHS256(secret, admin.User, admin.Slug, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	verifier, err := auth.NewTokenVerifier(auth.TokenConfig{HS256Secret: secret})
	if err != nil {
		t.Fatal(err)
	}
	store := db.NewStore(x)
	goroutines := runtime.NumGoroutine()
	// What the server logs at ERROR is shown with a failure: an INTERNAL
	// answer is logged there with its cause.
	var errorLog bytes.Buffer
	var logMu sync.Mutex
	logger := slog.New(slog.NewTextHandler(&lockedWriter{w: &errorLog, mu: &logMu}, &slog.HandlerOptions{Level: slog.LevelError}))
	srv := httptest.NewServer(api.New(store, logger, api.Config{
		RequestTimeout: 5 * time.Second,
		// The principal is cached, so that requests get past the
		// credentials and meet the outage in their reads and writes too.
		Auth: auth.NewAuthenticator(store, verifier, auth.CacheConfig{TTL: time.Minute}),
	}))
	client := &http.Client{Timeout: 10 * time.Second}

	post := func(query string, vars map[string]any) outcome {
		body, _ := json.Marshal(map[string]any{"query": query, "variables": vars})
		req, _ := http.NewRequest(http.MethodPost, srv.URL+"/graphql", bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", "Bearer "+token)
		o := outcome{at: time.Now()}
		resp, err := client.Do(req)
		if err != nil {
			o.code = "transport: " + err.Error()
			return o
		}
		defer resp.Body.Close()
		raw, _ := io.ReadAll(resp.Body)
		o.status, o.retry = resp.StatusCode, resp.Header.Get("Retry-After")
		var r struct {
			Data struct {
				CreateLabel *struct {
					Label *struct{ ID, Name string } `json:"label"`
				} `json:"createLabel"`
			} `json:"data"`
			Errors []struct {
				Extensions struct{ Code string } `json:"extensions"`
			} `json:"errors"`
		}
		if err := json.Unmarshal(raw, &r); err != nil {
			o.code = "not JSON: " + strings.TrimSpace(string(raw[:min(len(raw), 80)]))
			return o
		}
		if len(r.Errors) > 0 {
			o.code = r.Errors[0].Extensions.Code
		}
		if c := r.Data.CreateLabel; c != nil && c.Label != nil {
			o.id, o.name = c.Label.ID, c.Label.Name
		}
		return o
	}

	const (
		every    = 2 * time.Second // between restarts, and after the last
		restarts = 3
	)
	var (
		mu       sync.Mutex
		outcomes []outcome
		wg       sync.WaitGroup
	)
	done := make(chan struct{})
	running := func() bool {
		select {
		case <-done:
			return false
		default:
			return true
		}
	}
	start := time.Now()
	record := func(o outcome) {
		mu.Lock()
		outcomes = append(outcomes, o)
		mu.Unlock()
	}
	for w := range 6 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; running(); i++ {
				record(post(`mutation($n: String!) { createLabel(input: {name: $n}) { label { id name } userErrors { code } } }`,
					map[string]any{"n": fmt.Sprintf("fault label %d-%d", w, i)}))
			}
		}()
	}
	wg.Add(1)
	go func() { // a reader
		defer wg.Done()
		for running() {
			record(post(`query($s: String!) { tenant(slug: $s) { labels(first: 5) { totalCount } } }`, map[string]any{"s": admin.Slug}))
		}
	}()
	// Restart PostgreSQL while the load runs; each outage lasts 400 ms
	// plus the time to stop and start; the load goes on after the last.
	var downs []time.Time
	var up time.Time
	for i := range restarts {
		time.Sleep(every)
		downs = append(downs, time.Now())
		if err := cluster.Stop(); err != nil {
			t.Fatalf("restart %d: stop: %v", i+1, err)
		}
		time.Sleep(400 * time.Millisecond)
		if cluster, err = pgembed.Start(context.Background(), pgembed.Options{Dir: dir, Port: port}); err != nil {
			close(done)
			t.Fatalf("restart %d: start: %v", i+1, err)
		}
		up = time.Now()
	}
	time.Sleep(every)
	close(done)
	wg.Wait()
	run := time.Since(start)

	// What the clients were told.
	var acked []string
	byOutcome := map[string]int{}
	recovered := 0
	for _, o := range outcomes {
		key := fmt.Sprintf("%d %s", o.status, o.code)
		if o.code == "" {
			key = fmt.Sprintf("%d ok", o.status)
		}
		byOutcome[key]++
		if o.id != "" {
			id, err := model.DecodeIDOf(model.TypeLabel, o.id)
			if err != nil {
				t.Fatalf("acknowledged label id %q: %v", o.id, err)
			}
			acked = append(acked, id)
		}
		if o.code == "" && o.at.After(up) {
			recovered++
		}
		switch {
		case o.code == "":
		case o.code == api.CodeUnavailable:
			if o.status != http.StatusOK && o.status != http.StatusServiceUnavailable {
				t.Errorf("SERVICE_UNAVAILABLE with HTTP %d", o.status)
			}
			if o.status == http.StatusServiceUnavailable && o.retry == "" {
				t.Error("a 503 without Retry-After")
			}
		default:
			t.Errorf("a request during the restarts was told %q (HTTP %d): want success or SERVICE_UNAVAILABLE", o.code, o.status)
		}
	}
	keys := make([]string, 0, len(byOutcome))
	for k := range byOutcome {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var summary []string
	for _, k := range keys {
		summary = append(summary, fmt.Sprintf("%s: %d", k, byOutcome[k]))
	}
	t.Logf("%d requests over %v with %d restarts (first at %v); %d writes acknowledged; %d succeeded after the last restart; by HTTP status and code: %s",
		len(outcomes), run.Round(time.Millisecond), restarts, downs[0].Sub(start).Round(time.Millisecond), len(acked), recovered, strings.Join(summary, ", "))
	if t.Failed() {
		logMu.Lock()
		t.Logf("server errors:\n%s", errorLog.String())
		logMu.Unlock()
	}
	if failed := len(outcomes) - byOutcome["200 ok"]; failed == 0 {
		t.Error("no request failed: the restarts did not happen while requests ran")
	}
	if recovered == 0 {
		t.Error("nothing succeeded after the last restart: the server did not recover")
	}

	// What the database kept: every acknowledged write.
	var stored int
	for attempt := 0; ; attempt++ {
		err = x.GetContext(ctx, &stored, `SELECT count(*) FROM labels WHERE id = ANY($1::uuid[])`, pq.Array(acked))
		if err == nil || attempt == 20 {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	if err != nil {
		t.Fatal(err)
	}
	if stored != len(acked) {
		t.Errorf("%d writes were acknowledged with an id, %d of them are stored", len(acked), stored)
	}

	// No goroutine is left behind once the server is closed.
	srv.Close()
	client.CloseIdleConnections()
	x.SetMaxIdleConns(0)
	deadline := time.Now().Add(5 * time.Second)
	for runtime.NumGoroutine() > goroutines+4 && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
	if n := runtime.NumGoroutine(); n > goroutines+4 {
		buf := make([]byte, 1<<16)
		t.Errorf("%d goroutines before the server, %d after it closed:\n%s", goroutines, n, buf[:runtime.Stack(buf, true)])
	}
}

// lockedWriter serialises the writes of concurrent log lines.
type lockedWriter struct {
	w  io.Writer
	mu *sync.Mutex
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}
