//go:build cluster

package cluster_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/jmoiron/sqlx"

	"catalogue/db"
	"catalogue/internal/auth"
)

// topology is what run.sh built, as its environment describes it.
type topology struct {
	front      string   // HAProxy, in front of the servers
	servers    []string // each server process directly
	pids       []int    // their process IDs, in the same order
	primary    string   // the primary, directly
	standby    string   // the hot standby
	bouncer    string   // PgBouncer in front of the primary (the servers' DATABASE_URL)
	admin      string   // PgBouncer's admin console
	standbyDir string   // the standby's data folder
	secret     []byte   // the servers' JWT_HS256_SECRET
}

func loadTopology(t *testing.T) *topology {
	t.Helper()
	get := func(name string) string {
		v := os.Getenv(name)
		if v == "" {
			t.Fatalf("%s is not set: this test runs against the topology that `make cluster-test` builds", name)
		}
		return v
	}
	top := &topology{
		front:      get("CLUSTER_FRONT"),
		servers:    strings.Split(get("CLUSTER_SERVERS"), ","),
		primary:    get("CLUSTER_PRIMARY_URL"),
		standby:    get("CLUSTER_STANDBY_URL"),
		bouncer:    get("CLUSTER_BOUNCER_URL"),
		admin:      get("CLUSTER_BOUNCER_ADMIN_URL"),
		standbyDir: get("CLUSTER_STANDBY_DIR"),
		secret:     []byte(get("CLUSTER_JWT_SECRET")),
	}
	for _, p := range strings.Split(get("CLUSTER_SERVER_PIDS"), ",") {
		pid, err := strconv.Atoi(p)
		if err != nil {
			t.Fatalf("CLUSTER_SERVER_PIDS: %v", err)
		}
		top.pids = append(top.pids, pid)
	}
	if len(top.servers) != 2 || len(top.pids) != 2 {
		t.Fatalf("want two servers, got %q with PIDs %v", top.servers, top.pids)
	}
	return top
}

func openDB(t *testing.T, dsn string) *sqlx.DB {
	t.Helper()
	x, err := sqlx.Open("postgres", dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { x.Close() })
	return x
}

// TestCluster runs the topology's scenarios in order: the last two take a
// server process and then the standby away.
func TestCluster(t *testing.T) {
	top := loadTopology(t)
	primary := openDB(t, top.primary)
	var owner string
	if err := primary.Get(&owner, `
		SELECT m.user_id FROM memberships m JOIN tenants t ON t.id = m.tenant_id JOIN users u ON u.id = m.user_id
		WHERE t.slug = 'acme-music' AND m.role = 'OWNER' AND m.status = 'ACTIVE' AND NOT u.is_deleted
		ORDER BY m.user_id LIMIT 1`); err != nil {
		t.Fatalf("the seed should give acme-music an owner: %v", err)
	}
	token, err := auth.SignHS256(top.secret, owner, "acme-music", time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	c := &client{token: token}

	t.Run("Topology", func(t *testing.T) { testTopology(t, top, c) })
	t.Run("PgBouncerTransactionPooling", func(t *testing.T) { testPooling(t, top) })
	t.Run("QueriesReadOnTheStandby", func(t *testing.T) { testStandbyReads(t, top, c) })
	t.Run("ReadYourWrites", func(t *testing.T) { testReadYourWrites(t, top, c) })
	t.Run("SubscriptionEventsFromTheOtherProcess", func(t *testing.T) { testSubscriptionsAcrossProcesses(t, top, c) })
	t.Run("ServerKilledMidRun", func(t *testing.T) { testServerKilled(t, top, c) })
	t.Run("StandbyStoppedMidRun", func(t *testing.T) { testStandbyStopped(t, top, c) })
}

// ---------------------------------------------------------------------------
// GraphQL over HTTP

type client struct{ token string }

// httpClient opens a connection per request: a request sent on a kept-alive
// connection that HAProxy closes at that moment fails in the client, which
// would blur what the scenarios measure (the servers' failures).
var httpClient = &http.Client{
	Timeout:   20 * time.Second,
	Transport: &http.Transport{DisableKeepAlives: true},
}

// answer is a GraphQL response with the routing extensions.
type answer struct {
	Data       json.RawMessage `json:"data"`
	Errors     []json.RawMessage
	Extensions struct {
		ReadFrom  string `json:"readFrom"`
		CommitLSN string `json:"commitLsn"`
	} `json:"extensions"`
}

// post sends an operation to base (HAProxy or one server); a non-200 answer
// or one with errors is an error. minLSN, when set, goes in X-Min-LSN.
func (c *client) post(ctx context.Context, base, query string, vars map[string]any, minLSN string) (*answer, error) {
	body, err := json.Marshal(map[string]any{"query": query, "variables": vars})
	if err != nil {
		return nil, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, base+"/graphql", bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	req.Header.Set("Authorization", "Bearer "+c.token)
	if minLSN != "" {
		req.Header.Set("X-Min-LSN", minLSN)
	}
	resp, err := httpClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("HTTP %d: %.300s", resp.StatusCode, raw)
	}
	var a answer
	if err := json.Unmarshal(raw, &a); err != nil {
		return nil, fmt.Errorf("%v: %.300s", err, raw)
	}
	if len(a.Errors) > 0 {
		return &a, fmt.Errorf("errors: %.300s", raw)
	}
	return &a, nil
}

// loadQuery reads several levels, so that each request sends several
// statements in its snapshot.
const loadQuery = `query Load {
  tenant(slug: "acme-music") {
    name
    members(first: 5) { totalCount edges { node { email } membership { role } } }
    artists(first: 3) {
      edges { node { name releases(first: 2) { edges { node { title tracks(first: 3) { edges { node { title } } } } } } } }
    }
  }
}`

// health is a server's /healthz answer.
type health struct {
	Status string            `json:"status"`
	Reads  *db.RoutingReport `json:"reads"`
}

func healthOf(t *testing.T, server string) health {
	t.Helper()
	resp, err := httpClient.Get(server + "/healthz")
	if err != nil {
		t.Fatalf("%s/healthz: %v", server, err)
	}
	defer resp.Body.Close()
	var h health
	if err := json.NewDecoder(resp.Body).Decode(&h); err != nil {
		t.Fatalf("%s/healthz: %v", server, err)
	}
	if h.Reads == nil || len(h.Reads.Standbys) != 1 {
		t.Fatalf("%s/healthz reports no standby: %+v", server, h)
	}
	return h
}

// ---------------------------------------------------------------------------
// Scenarios

// testTopology checks that the topology is what it claims: a standby that
// streams from the primary, a pooler in transaction mode that the servers
// use, and servers that found their standby usable.
func testTopology(t *testing.T, top *topology, c *client) {
	primary, standby := openDB(t, top.primary), openDB(t, top.standby)
	var streaming int
	if err := primary.Get(&streaming, `SELECT count(*) FROM pg_stat_replication WHERE state = 'streaming'`); err != nil || streaming != 1 {
		t.Errorf("primary: %d streaming standbys (%v), want 1", streaming, err)
	}
	var inRecovery bool
	if err := standby.Get(&inRecovery, `SELECT pg_is_in_recovery()`); err != nil || !inRecovery {
		t.Errorf("standby: in recovery = %v (%v), want true", inRecovery, err)
	}

	admin := openDB(t, top.admin)
	if mode := adminValue(t, admin, "SHOW CONFIG", "key", "pool_mode", "value"); mode != "transaction" {
		t.Errorf("PgBouncer pool_mode = %q, want transaction", mode)
	}
	if n := adminCount(t, admin, "SHOW CLIENTS", "database", "catalogue"); n < 2 {
		t.Errorf("PgBouncer has %d client connections to catalogue; the two servers should hold some", n)
	}

	for _, s := range top.servers {
		deadline := time.Now().Add(15 * time.Second)
		for {
			h := healthOf(t, s)
			if h.Reads.Standbys[0].Usable {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("%s never found its standby usable: %+v", s, h.Reads.Standbys[0])
			}
			time.Sleep(100 * time.Millisecond)
		}
	}
	if _, err := c.post(t.Context(), top.front, loadQuery, nil, ""); err != nil {
		t.Fatalf("a query through HAProxy: %v", err)
	}
}

// adminRows runs a SHOW command on PgBouncer's admin console (simple query
// protocol only, which lib/pq uses for statements without parameters).
func adminRows(t *testing.T, admin *sqlx.DB, show string) []map[string]string {
	t.Helper()
	rows, err := admin.Queryx(show)
	if err != nil {
		t.Fatalf("PgBouncer %s: %v", show, err)
	}
	defer rows.Close()
	var out []map[string]string
	for rows.Next() {
		m := map[string]any{}
		if err := rows.MapScan(m); err != nil {
			t.Fatal(err)
		}
		row := map[string]string{}
		for k, v := range m {
			if b, ok := v.([]byte); ok {
				v = string(b)
			}
			row[k] = fmt.Sprint(v)
		}
		out = append(out, row)
	}
	return out
}

func adminValue(t *testing.T, admin *sqlx.DB, show, keyCol, key, valueCol string) string {
	for _, r := range adminRows(t, admin, show) {
		if r[keyCol] == key {
			return r[valueCol]
		}
	}
	return ""
}

func adminCount(t *testing.T, admin *sqlx.DB, show, col, value string) int {
	n := 0
	for _, r := range adminRows(t, admin, show) {
		if r[col] == value {
			n++
		}
	}
	return n
}

// testPooling shows that the server's way of talking to PostgreSQL works
// through PgBouncer in transaction mode: bind parameters travel as unnamed
// statements in one round trip (binary_parameters=yes), inside and outside
// transactions, from many more client connections than PgBouncer has server
// connections; the request transactions' settings (SET LOCAL ROLE, the
// tenant IDs) end with them, so no state leaks from one client to another
// through a shared server connection.
func testPooling(t *testing.T, top *topology) {
	ctx := t.Context()
	x, err := db.Open(ctx, top.bouncer, db.PoolConfig{MaxOpen: 24, MaxIdle: 24})
	if err != nil {
		t.Fatal(err)
	}
	defer x.Close()
	store := db.NewStore(x)
	tenantID, err := db.TenantIDBySlug(ctx, store, "acme-music")
	if err != nil {
		t.Fatal(err)
	}
	scope := db.TenantScope(tenantID)

	var (
		mu   sync.Mutex
		errs []error
	)
	fail := func(err error) {
		mu.Lock()
		errs = append(errs, err)
		mu.Unlock()
	}
	var wg sync.WaitGroup
	for w := range 24 {
		wg.Go(func() {
			for i := range 40 {
				n := w*1000 + i
				// A parameterised statement outside any transaction.
				var got int
				if err := x.GetContext(ctx, &got, `SELECT $1::int * 2`, n); err != nil || got != 2*n {
					fail(fmt.Errorf("SELECT $1 * 2 with %d: %d, %v", n, got, err))
				}
				// A read session and a write transaction, as requests run them.
				ss := store.Session(scope, db.FromPrimary)
				tn, err := db.TenantBySlug(ctx, ss, scope, "acme-music")
				ss.End(ctx)
				if err != nil || tn == nil || tn.ID != tenantID {
					fail(fmt.Errorf("read session: %+v, %v", tn, err))
				}
				if err := store.InTx(ctx, scope, func(tx *db.Tx) error {
					_, err := db.ArtistIDsOfTenant(ctx, tx, tenantID, []string{tenantID})
					return err
				}); err != nil {
					fail(fmt.Errorf("write transaction: %v", err))
				}
				// What the transactions set is gone outside them.
				var role, tenants string
				if err := x.QueryRowContext(ctx, `SELECT current_user, coalesce(current_setting('app.tenant_ids', true), '')`).Scan(&role, &tenants); err != nil ||
					role != "catalogue" || tenants != "" {
					fail(fmt.Errorf("outside a transaction: role %q, app.tenant_ids %q (%v); want catalogue and none", role, tenants, err))
				}
			}
		})
	}
	// Meanwhile, one client connection meets several server connections:
	// the pooling is real.
	conn, err := x.Connx(ctx)
	if err != nil {
		t.Fatal(err)
	}
	pids := map[int]bool{}
	for range 200 {
		var pid int
		if err := conn.QueryRowContext(ctx, `SELECT pg_backend_pid()`).Scan(&pid); err != nil {
			t.Fatal(err)
		}
		pids[pid] = true
	}
	conn.Close()
	wg.Wait()
	for i, err := range errs {
		if i == 10 {
			t.Errorf("... and %d more", len(errs)-10)
			break
		}
		t.Error(err)
	}
	if len(pids) < 2 {
		t.Errorf("one client connection met %d PostgreSQL backend(s) in 200 transactions; transaction pooling should hand it several", len(pids))
	}
	t.Logf("%d statements, sessions and transactions from 24 client connections; one client connection met %d backends", 24*40*4, len(pids))
}

// testStandbyReads shows that query operations read on the standby: every
// answer says so, both server processes counted standby reads, and the
// standby itself was seen running request transactions.
func testStandbyReads(t *testing.T, top *topology, c *client) {
	standby := openDB(t, top.standby)
	before := []int64{healthOf(t, top.servers[0]).Reads.Standby, healthOf(t, top.servers[1]).Reads.Standby}
	// Meanwhile, watch the standby: a request's read transaction shows as
	// active, or idle in transaction between its statements; the servers'
	// own checks are single statements, recognisable by their text.
	done := make(chan struct{})
	seen := make(chan int, 1)
	go func() {
		n := 0
		for {
			select {
			case <-done:
				seen <- n
				return
			default:
			}
			var k int
			if err := standby.Get(&k, `SELECT count(*) FROM pg_stat_activity
				WHERE datname = 'catalogue' AND pid <> pg_backend_pid() AND backend_type = 'client backend'
				  AND state IN ('active', 'idle in transaction') AND query NOT LIKE 'SELECT pg_is_in_recovery()%'`); err == nil {
				n += k
			}
			time.Sleep(time.Millisecond)
		}
	}()
	for i := range 60 {
		a, err := c.post(t.Context(), top.front, loadQuery, nil, "")
		if err != nil {
			close(done)
			t.Fatalf("query %d: %v", i, err)
		}
		if a.Extensions.ReadFrom != "standby1" {
			t.Errorf("query %d read from %q, want standby1", i, a.Extensions.ReadFrom)
		}
	}
	close(done)
	for i, s := range top.servers {
		if after := healthOf(t, s).Reads.Standby; after <= before[i] {
			t.Errorf("%s served no read from the standby (%d before, %d after)", s, before[i], after)
		}
	}
	if n := <-seen; n == 0 {
		t.Error("the standby was never seen running a request transaction while the queries ran")
	} else {
		t.Logf("request transactions seen on the standby %d times while 60 queries ran", n)
	}
}

// testReadYourWrites writes through one process and reads through either
// (HAProxy alternates), sending the write's commit position back: the read
// must never be stale, wherever it ran.
func testReadYourWrites(t *testing.T, top *topology, c *client) {
	ctx := t.Context()
	created, err := c.post(ctx, top.front, `mutation($n: String!) { createLabel(input: { name: $n }) { label { id } userErrors { message } } }`,
		map[string]any{"n": "Read your writes " + rand.Text()[:8]}, "")
	if err != nil {
		t.Fatal(err)
	}
	var cr struct {
		CreateLabel struct{ Label struct{ ID string } } `json:"createLabel"`
	}
	if err := json.Unmarshal(created.Data, &cr); err != nil || cr.CreateLabel.Label.ID == "" {
		t.Fatalf("createLabel: %s (%v)", created.Data, err)
	}
	id := cr.CreateLabel.Label.ID
	const n = 150
	from := map[string]int{}
	staleWithout := 0
	for i := range n {
		name := fmt.Sprintf("Read your writes %d", i)
		w, err := c.post(ctx, top.front, `mutation($id: ID!, $n: String!) { updateLabel(input: { id: $id, name: $n }) { label { name } userErrors { message } } }`,
			map[string]any{"id": id, "n": name}, "")
		if err != nil {
			t.Fatalf("write %d: %v", i, err)
		}
		if w.Extensions.CommitLSN == "" {
			t.Fatalf("write %d: no extensions.commitLsn", i)
		}
		if _, err := db.ParseLSN(w.Extensions.CommitLSN); err != nil {
			t.Fatalf("write %d: commitLsn %q: %v", i, w.Extensions.CommitLSN, err)
		}
		read := func(minLSN string) (string, string) {
			r, err := c.post(ctx, top.front, `query($id: ID!) { node(id: $id) { ... on Label { name } } }`, map[string]any{"id": id}, minLSN)
			if err != nil {
				t.Fatalf("read %d: %v", i, err)
			}
			var got struct{ Node struct{ Name string } }
			if err := json.Unmarshal(r.Data, &got); err != nil {
				t.Fatal(err)
			}
			return got.Node.Name, r.Extensions.ReadFrom
		}
		got, where := read(w.Extensions.CommitLSN)
		from[where]++
		if got != name {
			t.Errorf("read %d with X-Min-LSN %s from %s: name %q, want %q (stale)", i, w.Extensions.CommitLSN, where, got, name)
		}
		if got, _ := read(""); got != name {
			staleWithout++
		}
	}
	t.Logf("%d writes, each read back with its commit position: %v; without the position, %d reads were stale", n, from, staleWithout)
	if from["standby1"] == 0 {
		t.Errorf("no read-your-writes read was served by the standby (%v): the position check should let a caught-up standby serve them", from)
	}
	if from["standby1"]+from["primary"] != n {
		t.Errorf("reads served by %v, want standby1 or primary", from)
	}
}

// testSubscriptionsAcrossProcesses is the scenario subscriptions need: a
// client subscribed on one process receives the events of a write made
// through the other (LISTEN/NOTIFY through the primary; note that NOTIFY
// is delivered to LISTEN sessions, which a pooler in transaction mode does
// not keep: the listener needs a direct connection to the primary).
func testSubscriptionsAcrossProcesses(t *testing.T, top *topology, c *client) {
	ctx := t.Context()
	a, b := top.servers[0], top.servers[1]

	// A complete DRAFT release of acme-music, made through B.
	art, err := c.post(ctx, b, `{ tenant(slug: "acme-music") { artists(first: 1, includeSubsidiaries: false) { edges { node { id } } } } }`, nil, "")
	if err != nil {
		t.Fatal(err)
	}
	var artists struct {
		Tenant struct {
			Artists struct {
				Edges []struct{ Node struct{ ID string } }
			}
		}
	}
	if err := json.Unmarshal(art.Data, &artists); err != nil || len(artists.Tenant.Artists.Edges) == 0 {
		t.Fatalf("acme-music should have an artist: %s (%v)", art.Data, err)
	}
	title := "Subscribed across processes " + rand.Text()[:8]
	saved, err := c.post(ctx, b, `mutation ($input: SaveReleaseInput!) { saveRelease(input: $input) { release { id version status } userErrors { message } } }`,
		map[string]any{"input": map[string]any{
			"title": title, "type": "SINGLE", "upc": "036000291452", "releaseDate": "2025-09-01",
			"artworkUrl": "https://img.example.com/cover.jpg", "artistIds": []string{artists.Tenant.Artists.Edges[0].Node.ID},
			"tracks": []any{map[string]any{"title": title + " (track)", "isrc": "USAC12500001", "durationSeconds": 200}},
		}}, "")
	if err != nil {
		t.Fatal(err)
	}
	var sr struct {
		SaveRelease struct {
			Release *struct {
				ID      string
				Version int
				Status  string
			}
			UserErrors []struct{ Message string }
		} `json:"saveRelease"`
	}
	if err := json.Unmarshal(saved.Data, &sr); err != nil || sr.SaveRelease.Release == nil {
		t.Fatalf("saveRelease: %s (%v)", saved.Data, err)
	}
	release := sr.SaveRelease.Release

	// Subscribed on A, directly (not through HAProxy).
	ws := dialWS(t, a)
	ws.send(t, wsMessage{Type: "connection_init", Payload: map[string]any{"Authorization": "Bearer " + c.token}})
	if m := ws.next(t); m.Type != "connection_ack" {
		t.Fatalf("want connection_ack, got %s %s", m.Type, m.raw)
	}
	ws.send(t, wsMessage{ID: "1", Type: "subscribe", Payload: map[string]any{
		"query":     `subscription ($release: ID) { releaseStatusChanged(releaseId: $release) { releaseId from to release { id status } } }`,
		"variables": map[string]any{"release": release.ID},
	}})
	// A's messages are handled in order: once it answers a ping sent after
	// the subscribe, the subscription is in place.
	ws.send(t, wsMessage{Type: "ping"})
	if m := ws.next(t); m.Type != "pong" {
		t.Fatalf("want pong, got %s %s", m.Type, m.raw)
	}

	// The write, through B.
	sent := time.Now()
	sub, err := c.post(ctx, b, `mutation ($input: ReleaseTransitionInput!) { submitRelease(input: $input) { release { id status } userErrors { message } } }`,
		map[string]any{"input": map[string]any{"id": release.ID, "expectedVersion": release.Version}}, "")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(sub.Data, []byte(`"SUBMITTED"`)) {
		t.Fatalf("submitRelease: %s", sub.Data)
	}

	m := ws.next(t)
	if m.Type != "next" || m.ID != "1" {
		t.Fatalf("want the event (next, id 1), got %s %s", m.Type, m.raw)
	}
	var ev struct {
		Data struct {
			ReleaseStatusChanged struct {
				ReleaseID string `json:"releaseId"`
				From, To  string
				Release   *struct{ ID, Status string }
			} `json:"releaseStatusChanged"`
		} `json:"data"`
		Errors []json.RawMessage `json:"errors"`
	}
	if err := json.Unmarshal(m.Payload, &ev); err != nil {
		t.Fatal(err)
	}
	got := ev.Data.ReleaseStatusChanged
	if len(ev.Errors) > 0 || got.ReleaseID != release.ID || got.From != "DRAFT" || got.To != "SUBMITTED" ||
		got.Release == nil || got.Release.Status != "SUBMITTED" {
		t.Errorf("event %s, want release %s from DRAFT to SUBMITTED with the release", m.raw, release.ID)
	}
	t.Logf("written through %s, delivered by %s %v later", b, a, time.Since(sent).Round(time.Millisecond))
	ws.send(t, wsMessage{ID: "1", Type: "complete"})
}

// wsMessage is a graphql-transport-ws message.
type wsMessage struct {
	ID      string `json:"id,omitempty"`
	Type    string `json:"type"`
	Payload any    `json:"payload,omitempty"`
}

// wsConn is a graphql-transport-ws connection to one server.
type wsConn struct {
	conn *websocket.Conn
}

// subscriptionWait bounds each wait for a message of the server.
const subscriptionWait = 10 * time.Second

func dialWS(t *testing.T, base string) *wsConn {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), subscriptionWait)
	defer cancel()
	conn, _, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(base, "http")+"/graphql", &websocket.DialOptions{
		Subprotocols: []string{"graphql-transport-ws"},
	})
	if err != nil {
		t.Fatalf("websocket to %s: %v", base, err)
	}
	t.Cleanup(func() { _ = conn.CloseNow() })
	return &wsConn{conn: conn}
}

func (w *wsConn) send(t *testing.T, m wsMessage) {
	t.Helper()
	b, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), subscriptionWait)
	defer cancel()
	if err := w.conn.Write(ctx, websocket.MessageText, b); err != nil {
		t.Fatalf("send %s: %v", m.Type, err)
	}
}

// next waits, at most subscriptionWait, for the next message other than
// a server ping (answered), and returns it with its payload undecoded.
func (w *wsConn) next(t *testing.T) struct {
	ID, Type string
	Payload  json.RawMessage
	raw      []byte
} {
	t.Helper()
	deadline := time.Now().Add(subscriptionWait)
	for {
		ctx, cancel := context.WithDeadline(t.Context(), deadline)
		_, b, err := w.conn.Read(ctx)
		cancel()
		if err != nil {
			t.Fatalf("no message within %v: %v", subscriptionWait, err)
		}
		var m struct {
			ID      string          `json:"id"`
			Type    string          `json:"type"`
			Payload json.RawMessage `json:"payload"`
		}
		if err := json.Unmarshal(b, &m); err != nil {
			t.Fatalf("%v: %s", err, b)
		}
		if m.Type == "ping" {
			w.send(t, wsMessage{Type: "pong"})
			continue
		}
		return struct {
			ID, Type string
			Payload  json.RawMessage
			raw      []byte
		}{m.ID, m.Type, m.Payload, b}
	}
}

// result is one request of a load run.
type result struct {
	start, end time.Time
	err        error
	readFrom   string
}

// runLoad sends loadQuery through HAProxy from workers goroutines for d,
// calls event once after `at`, and returns every request's result and the
// instant event returned.
func runLoad(t *testing.T, top *topology, c *client, workers int, d, at time.Duration, event func()) ([]result, time.Time) {
	t.Helper()
	ctx := t.Context()
	var (
		mu      sync.Mutex
		results []result
		wg      sync.WaitGroup
	)
	stop := time.Now().Add(d)
	for range workers {
		wg.Go(func() {
			for time.Now().Before(stop) {
				r := result{start: time.Now()}
				a, err := c.post(ctx, top.front, loadQuery, nil, "")
				r.end, r.err = time.Now(), err
				if a != nil {
					r.readFrom = a.Extensions.ReadFrom
				}
				mu.Lock()
				results = append(results, r)
				mu.Unlock()
			}
		})
	}
	time.Sleep(at)
	event()
	happened := time.Now()
	wg.Wait()
	return results, happened
}

// gone tells whether process pid has ended (a zombie counts as ended).
func gone(pid int) bool {
	stat, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return true
	}
	i := bytes.LastIndexByte(stat, ')')
	return i >= 0 && i+2 < len(stat) && (stat[i+2] == 'Z' || stat[i+2] == 'X')
}

func waitGone(t *testing.T, pid int, what string) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !gone(pid) {
		if time.Now().After(deadline) {
			t.Fatalf("%s (PID %d) still runs", what, pid)
		}
		time.Sleep(time.Millisecond)
	}
}

// waitRefused waits until nothing accepts connections at addr.
func waitRefused(t *testing.T, addr, what string) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		conn, err := net.DialTimeout("tcp", addr, time.Second)
		if err != nil {
			return
		}
		conn.Close()
		if time.Now().After(deadline) {
			t.Fatalf("%s still accepts connections at %s", what, addr)
		}
		time.Sleep(time.Millisecond)
	}
}

// testServerKilled kills one server process under load: the requests it
// was serving fail (HAProxy cannot replay them, they may not be
// idempotent), and no other request does: HAProxy sends new ones to the
// other process.
func testServerKilled(t *testing.T, top *topology, c *client) {
	const workers = 8
	pid := top.pids[0]
	u, err := url.Parse(top.servers[0])
	if err != nil {
		t.Fatal(err)
	}
	var signalled, died time.Time
	results, _ := runLoad(t, top, c, workers, 4*time.Second, 1500*time.Millisecond, func() {
		signalled = time.Now()
		if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
			t.Fatalf("kill server 1: %v", err)
		}
		// Dead to its clients once its sockets are closed, which happens
		// when the last of its threads has exited: the process may show
		// as a zombie a little earlier.
		waitRefused(t, u.Host, "server 1")
		died = time.Now() // it died between signalled and now
		waitGone(t, pid, "server 1")
	})
	// Between the signal and the moment its sockets are closed the process
	// is dying: the kernel still completes connections to its listening
	// socket, and a request HAProxy sends there fails. A client whose
	// request failed that way may send its next one into the same window.
	var failed, failedBefore, inFlight, okAfter int
	for _, r := range results {
		// In flight when the process died: begun before its death, not
		// finished before the signal.
		wasInFlight := r.start.Before(died) && !r.end.Before(signalled)
		if wasInFlight {
			inFlight++
		}
		switch {
		case r.err != nil && !wasInFlight:
			t.Errorf("a request that was not in flight when server 1 died failed (started %s after the kill): %v", r.start.Sub(signalled), r.err)
		case r.err != nil:
			failed++
			if r.start.Before(signalled) {
				failedBefore++
			}
		case r.start.After(died):
			okAfter++
		}
	}
	if failedBefore > workers {
		t.Errorf("%d requests sent before the kill failed; at most %d (one per client) can have been in flight", failedBefore, workers)
	}
	if okAfter == 0 {
		t.Error("no request succeeded after server 1 died: HAProxy should send them to server 2")
	}
	if _, err := c.post(t.Context(), top.servers[0], loadQuery, nil, ""); err == nil {
		t.Error("server 1 still answers after it was killed")
	}
	t.Logf("%d requests; %d in flight when server 1 died, %d of them failed (%d sent before the kill, the others while it was dying); %d succeeded after",
		len(results), inFlight, failed, failedBefore, okAfter)
}

// testStandbyStopped stops the standby (fast shutdown: its sessions are
// ended mid-statement) under load: no request fails. A query whose
// standby went away runs again on the primary, later ones read on the
// primary from the start, and the server takes the standby out of rotation.
func testStandbyStopped(t *testing.T, top *topology, c *client) {
	pidFile, err := os.ReadFile(filepath.Join(top.standbyDir, "postmaster.pid"))
	if err != nil {
		t.Fatal(err)
	}
	pid, err := strconv.Atoi(strings.TrimSpace(strings.SplitN(string(pidFile), "\n", 2)[0]))
	if err != nil {
		t.Fatal(err)
	}
	u, err := url.Parse(top.standby)
	if err != nil {
		t.Fatal(err)
	}
	var stopped time.Time
	results, _ := runLoad(t, top, c, 6, 4*time.Second, time.Second, func() {
		if err := syscall.Kill(pid, syscall.SIGINT); err != nil { // fast shutdown
			t.Fatalf("stop the standby: %v", err)
		}
		waitGone(t, pid, "the standby")
		stopped = time.Now()
	})
	if conn, err := net.DialTimeout("tcp", u.Host, time.Second); err == nil {
		conn.Close()
		t.Fatalf("the standby still accepts connections at %s", u.Host)
	}
	var failed, before, after int
	for _, r := range results {
		switch {
		case r.err != nil:
			failed++
			if failed <= 5 {
				t.Errorf("request started %s after the stop failed: %v", r.start.Sub(stopped), r.err)
			}
		case r.end.Before(stopped) && r.readFrom == "standby1":
			before++
		case r.start.After(stopped.Add(time.Second)):
			after++
			if r.readFrom != "primary" {
				t.Errorf("a query started %s after the standby stopped read from %q, want primary", r.start.Sub(stopped), r.readFrom)
			}
		}
	}
	if failed > 0 {
		t.Errorf("%d of %d requests failed while the standby stopped; want none", failed, len(results))
	}
	if before == 0 || after == 0 {
		t.Errorf("want queries on the standby before it stopped (%d) and on the primary after (%d)", before, after)
	}
	for _, s := range top.servers[1:] {
		h := healthOf(t, s)
		if h.Reads.Standbys[0].Usable {
			t.Errorf("%s still counts the stopped standby usable: %+v", s, h.Reads.Standbys[0])
		}
		t.Logf("%s after the stop: standby %+v; primary reads %+v; reruns %d", s, h.Reads.Standbys[0], h.Reads.Primary, h.Reads.Reruns)
	}
	t.Logf("%d requests: %d read on the standby before it stopped, %d on the primary after", len(results), before, after)
}
