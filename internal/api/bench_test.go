package api_test

import (
	"context"
	"fmt"
	"log/slog"
	"net/http/httptest"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"catalogue/db"
	"catalogue/db/model"
	"catalogue/internal/api"
	"catalogue/internal/auth"
)

// BenchmarkNestedPagesRequest is one whole request through the real
// handler: 20 artists → 10 releases → 10 tracks of the richest demo tenant,
// from HTTP in to the encoded response out. Run with
//
//	go test -run '^$' -bench NestedPages -benchmem ./internal/api/
func BenchmarkNestedPagesRequest(b *testing.B) {
	slug, _ := richestTenant(b)
	query := `query($slug: String!) { tenant(slug: $slug) { artists(first: 20, includeSubsidiaries: false) {
		edges { node { id name releases(first: 10) { edges { node { id title
		tracks(first: 10) { edges { node { id position title isrc } } } } } } } } } } }`
	vars := map[string]any{"slug": slug}
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		r, err := postGraphQL(ctx, query, vars)
		if err != nil || len(r.Errors) > 0 {
			b.Fatalf("%v %v", err, r)
		}
	}
}

// BenchmarkShape5NodeByID is make bench's shape 5 through the real handler:
// node(id:) of a user of the richest tenant, asked by an OWNER (or ADMIN)
// of the tenant with an HS256 bearer token, cycling through 100 of its
// members. It runs on a server of its own whose loaders do not wait for
// more keys (a lone node(id:) would otherwise sleep LOADER_WAIT), once
// with the principal cache as the server configures it by default and once
// without. Besides time and allocations it reports, from the responses'
// extensions.sql, the statements per request: reads, overhead (credential
// lookups and transaction control; each statement is one round trip) and
// the credential lookups among them. The server's pool has one connection,
// so that one PostgreSQL backend does all the work and its CPU time per
// request (pg-cpu-ns/op, from /proc, when the database runs on this
// machine) measures what the requests cost PostgreSQL, which wall time on
// a busy machine does not. Run with
//
//	go test -run '^$' -bench Shape5 -benchtime 2000x ./internal/api/
func BenchmarkShape5NodeByID(b *testing.B) {
	slug, _ := richestTenant(b)
	admin := credPick(b, `SELECT u.id FROM users u JOIN memberships m ON m.user_id = u.id JOIN tenants t ON t.id = m.tenant_id
		WHERE t.slug = $1 AND m.role IN ('OWNER', 'ADMIN') AND m.status = 'ACTIVE' AND `+credValidUser+`
		ORDER BY m.role DESC, u.id LIMIT 1`, slug)
	headers := credBearer(tokenFor(b, admin, slug))
	ids := sqlIDs(b, model.TypeUser, `SELECT m.user_id FROM memberships m JOIN tenants t ON t.id = m.tenant_id
		WHERE t.slug = $1 ORDER BY m.user_id LIMIT 100`, slug)
	query := `query($id: ID!) { node(id: $id) { id ... on User { email firstName lastName } } }`
	verifier, err := auth.NewTokenVerifier(auth.TokenConfig{HS256Secret: tokenSecret})
	if err != nil {
		b.Fatal(err)
	}
	for _, c := range []struct {
		name  string
		cache auth.CacheConfig
	}{
		{"cached", auth.CacheConfig{TTL: 5 * time.Second}},
		{"uncached", auth.CacheConfig{}},
	} {
		b.Run(c.name, func(b *testing.B) {
			pool, err := db.Open(b.Context(), env.URL, db.PoolConfig{MaxOpen: 1, MaxIdle: 1, Statements: db.DefaultStatements})
			if err != nil {
				b.Fatal(err)
			}
			defer pool.Close()
			var pid int
			if err := pool.GetContext(b.Context(), &pid, `SELECT pg_backend_pid()`); err != nil {
				b.Fatal(err)
			}
			store := db.NewStore(pool)
			srv := httptest.NewServer(api.New(store, slog.New(slog.DiscardHandler), api.Config{
				SQLStats: true, LoaderWait: time.Nanosecond, Auth: auth.NewAuthenticator(store, verifier, c.cache),
			}))
			defer srv.Close()
			var n, reads, overhead, creds int
			cpu0, cpuOK := backendCPU(pid)
			b.ReportAllocs()
			for b.Loop() {
				r := credPost(b, srv.URL, headers, query, map[string]any{"id": ids[n%len(ids)]})
				if len(r.Errors) > 0 || r.Extensions.SQL == nil {
					b.Fatal(r.describe())
				}
				n++
				reads += r.Extensions.SQL.Statements
				overhead += r.Extensions.SQL.Overhead
				creds += r.Extensions.SQL.Credentials
			}
			cpu1, cpuOK1 := backendCPU(pid)
			b.ReportMetric(float64(reads)/float64(n), "reads/op")
			b.ReportMetric(float64(overhead)/float64(n), "overhead/op")
			b.ReportMetric(float64(creds)/float64(n), "credentials/op")
			if cpuOK && cpuOK1 {
				b.ReportMetric(float64(cpu1-cpu0)/float64(n), "pg-cpu-ns/op")
			}
		})
	}
}

// backendCPU is the CPU time a local PostgreSQL backend has used so far
// (the first field of /proc/PID/schedstat); false when it cannot be read.
func backendCPU(pid int) (time.Duration, bool) {
	raw, err := os.ReadFile(fmt.Sprintf("/proc/%d/schedstat", pid))
	if err != nil {
		return 0, false
	}
	f := strings.Fields(string(raw))
	if len(f) == 0 {
		return 0, false
	}
	ns, err := strconv.ParseInt(f[0], 10, 64)
	return time.Duration(ns), err == nil
}
