package api_test

// Subscriptions, end to end: real websocket and SSE clients against two
// servers on one database, each with its own listening connection, as two
// server processes would be. A change written through one server reaches
// the subscribers of the other, within their tenant scope only.

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/jmoiron/sqlx"

	"catalogue/db"
	"catalogue/db/model"
	"catalogue/internal/api"
	"catalogue/internal/auth"
)

// wait bounds every wait for something that should happen; quiet is how
// long a subscriber must stay silent to count as having received nothing.
const (
	wait  = 10 * time.Second
	quiet = 500 * time.Millisecond
)

// subsFixture is a fresh database with two servers on it.
type subsFixture struct {
	db       *sqlx.DB
	a, b     *httptest.Server // a serves the subscribers, b the writes
	eventsA  *db.Events
	acme     string // acme-music's UUID
	owner    string // token of acme-music's owner
	member   string // token of a plain member of acme-music
	artist   string // global ID of an acme-music artist
	other    string // UUID of a tenant outside acme-music's tree
	otherTok string // token of an active member of that tenant
	// otherEmail is that member's email address.
	otherEmail string
	seq        atomic.Int64
}

var (
	subsOnce sync.Once
	subsFix  *subsFixture
	subsErr  error
)

func subsSetup(t *testing.T) *subsFixture {
	t.Helper()
	subsOnce.Do(func() { subsFix, subsErr = newSubsFixture() })
	if subsErr != nil {
		t.Fatalf("subscription fixture: %v", subsErr)
	}
	return subsFix
}

func newSubsFixture() (*subsFixture, error) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	x, url, err := env.NewDatabase(ctx)
	if err != nil {
		return nil, err
	}
	f := &subsFixture{db: x}
	if f.a, f.eventsA, err = eventServer(ctx, x, url, db.EventsConfig{}); err != nil {
		return nil, err
	}
	if f.b, _, err = eventServer(ctx, x, url, db.EventsConfig{}); err != nil {
		return nil, err
	}
	// The servers and their listeners live as long as the package's
	// database, which testdb drops with every connection to it.

	if err := x.GetContext(ctx, &f.acme, `SELECT id::text FROM tenants WHERE slug = $1`, mutTenantSlug); err != nil {
		return nil, err
	}
	one := func(dst *string, q string, args ...any) error {
		if err := x.GetContext(ctx, dst, q, args...); err != nil {
			return fmt.Errorf("%s: %w", compact(q), err)
		}
		return nil
	}
	const single = `m.status = 'ACTIVE' AND NOT u.is_deleted AND (u.expires_at IS NULL OR u.expires_at > now())
		AND NOT ('SUPER_ADMIN' = ANY (u.admin_roles)) AND (SELECT count(*) FROM memberships x WHERE x.user_id = u.id) = 1`
	var owner, member, other, artist string
	if err := one(&owner, `SELECT m.user_id::text FROM memberships m JOIN users u ON u.id = m.user_id
		WHERE m.tenant_id = $1 AND m.role = 'OWNER' AND m.status = 'ACTIVE' AND NOT u.is_deleted ORDER BY u.id LIMIT 1`, f.acme); err != nil {
		return nil, err
	}
	if err := one(&member, `SELECT u.id::text FROM memberships m JOIN users u ON u.id = m.user_id
		WHERE m.tenant_id = $1 AND m.role = 'USER' AND `+single+` ORDER BY u.id LIMIT 1`, f.acme); err != nil {
		return nil, err
	}
	// A tenant that neither holds acme-music nor is held by it, with a
	// member and a draft release of its own.
	var outside struct {
		Tenant string `db:"tenant"`
		User   string `db:"user_id"`
	}
	if err := x.GetContext(ctx, &outside, `SELECT t.id::text AS tenant, min(u.id::text) AS user_id
		FROM tenants t JOIN memberships m ON m.tenant_id = t.id JOIN users u ON u.id = m.user_id
		WHERE NOT (t.id = ANY (tenant_subtree($1))) AND NOT ($1 = ANY (tenant_subtree(t.id))) AND `+single+`
		  AND EXISTS (SELECT 1 FROM releases r WHERE r.tenant_id = t.id AND r.status = 'DRAFT')
		GROUP BY t.id, t.slug ORDER BY t.slug LIMIT 1`, f.acme); err != nil {
		return nil, fmt.Errorf("a tenant outside %s: %w", mutTenantSlug, err)
	}
	f.other, other = outside.Tenant, outside.User
	if err := one(&artist, `SELECT id::text FROM artists WHERE tenant_id = $1 ORDER BY id LIMIT 1`, f.acme); err != nil {
		return nil, err
	}
	f.artist = gid(model.TypeArtist, artist)
	for dst, who := range map[*string]string{&f.owner: owner, &f.member: member} {
		if *dst, err = auth.SignHS256(tokenSecret, who, mutTenantSlug, time.Hour); err != nil {
			return nil, err
		}
	}
	// The tenant is named: an invitation to acme-music (TestSubscriptionArguments)
	// gives the user a second membership for a while.
	var otherSlug string
	if err := one(&otherSlug, `SELECT slug FROM tenants WHERE id = $1`, f.other); err != nil {
		return nil, err
	}
	if err := one(&f.otherEmail, `SELECT email FROM users WHERE id = $1`, other); err != nil {
		return nil, err
	}
	if f.otherTok, err = auth.SignHS256(tokenSecret, other, otherSlug, time.Hour); err != nil {
		return nil, err
	}
	return f, nil
}

// eventServer serves api.New on the database x at url, with a listening
// connection of its own: a server process of its own, as far as the
// database can tell.
func eventServer(ctx context.Context, x *sqlx.DB, url string, cfg db.EventsConfig) (*httptest.Server, *db.Events, error) {
	store := db.NewStore(x)
	verifier, err := auth.NewTokenVerifier(auth.TokenConfig{HS256Secret: tokenSecret})
	if err != nil {
		return nil, nil, err
	}
	events, err := db.ListenEvents(ctx, url, cfg)
	if err != nil {
		return nil, nil, err
	}
	return httptest.NewServer(api.New(store, slog.New(&captureHandler{store: serverLog}), api.Config{
		LoaderWait:  2 * time.Millisecond,
		Auth:        auth.NewAuthenticator(store, verifier, auth.CacheConfig{}),
		Events:      events,
		CORSOrigins: []string{"https://app.example.com", "http://*.example.org"},
	})), events, nil
}

// awaitSubscribers waits until server a runs n subscriptions: a
// subscription starts when its operation reaches the server, after the
// client sent it, and a change committed before then is not its news.
func (f *subsFixture) awaitSubscribers(t *testing.T, n int) {
	t.Helper()
	awaitSubscribers(t, f.eventsA, n)
}

func awaitSubscribers(t *testing.T, events *db.Events, n int) {
	t.Helper()
	deadline := time.Now().Add(wait)
	for events.Subscribers() != n {
		if time.Now().After(deadline) {
			t.Fatalf("the server runs %d subscriptions, want %d", events.Subscribers(), n)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// write sends a mutation to server b that must succeed and decodes the
// payload of its one field into dst.
func (f *subsFixture) write(t *testing.T, token, mutation string, input map[string]any, selection string, dst any) {
	t.Helper()
	inputType, ok := mutInputTypes[mutation]
	if !ok {
		inputType = map[string]string{"declineInvitation": "AnswerInvitationInput"}[mutation]
	}
	q := fmt.Sprintf(`mutation ($input: %s!) { m: %s(input: $input) { %s userErrors { field message code } } }`, inputType, mutation, selection)
	body, _ := json.Marshal(map[string]any{"query": q, "variables": map[string]any{"input": input}})
	req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, f.b.URL+"/graphql", strings.NewReader(string(body)))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+token)
	r, err := sendAnonymous(req)
	if err != nil {
		t.Fatal(err)
	}
	r.query = q
	var out struct {
		M json.RawMessage `json:"m"`
	}
	mustData(t, r, &out)
	var errs struct {
		UserErrors []mutUserError `json:"userErrors"`
	}
	if err := json.Unmarshal(out.M, &errs); err != nil || len(errs.UserErrors) > 0 {
		t.Fatalf("%s: user errors %v\n%s", mutation, errs.UserErrors, r.describe())
	}
	if err := json.Unmarshal(out.M, dst); err != nil {
		t.Fatalf("%s payload: %v\n%s", mutation, err, r.describe())
	}
}

type subsRelease struct {
	Release struct {
		ID      string `json:"id"`
		Version int    `json:"version"`
		Tracks  struct {
			Edges []struct {
				Node struct {
					ID string `json:"id"`
				} `json:"node"`
			} `json:"edges"`
		} `json:"tracks"`
	} `json:"release"`
}

const subsReleaseSelection = `release { id version tracks { edges { node { id } } } }`

// newRelease creates a complete DRAFT release of acme-music through b.
func (f *subsFixture) newRelease(t *testing.T) subsRelease {
	t.Helper()
	title := fmt.Sprintf("Subscribed release %d", f.seq.Add(1))
	var r subsRelease
	f.write(t, f.owner, "saveRelease", map[string]any{
		"title": title, "type": "SINGLE", "upc": "036000291452", "releaseDate": "2025-09-01",
		"artworkUrl": "https://img.example.com/cover.jpg", "artistIds": []string{f.artist},
		"tracks": []any{map[string]any{"title": title + " (track)", "isrc": "USAC12500001", "durationSeconds": 200}},
	}, subsReleaseSelection, &r)
	return r
}

// appWrite commits a statement as a request of tenant would (the
// transaction settings of db/session.go), straight through PostgreSQL: a
// change that no server of the test wrote.
func (f *subsFixture) appWrite(t *testing.T, tenant, stmt string, args ...any) {
	t.Helper()
	tx, err := f.db.BeginTxx(t.Context(), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback() //nolint:errcheck
	if _, err := tx.ExecContext(t.Context(), `SET LOCAL ROLE `+db.AppRole); err != nil {
		t.Fatal(err)
	}
	if _, err := tx.ExecContext(t.Context(), `SELECT set_config('app.all_tenants', 'off', true), set_config('app.tenant_ids', $1, true)`, tenant); err != nil {
		t.Fatal(err)
	}
	if _, err := tx.ExecContext(t.Context(), stmt, args...); err != nil {
		t.Fatal(err)
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
}

// ---------------------------------------------------------------------------
// A websocket client of both subprotocols

type wsMessage struct {
	ID      string          `json:"id,omitempty"`
	Type    string          `json:"type"`
	Payload json.RawMessage `json:"payload,omitempty"`
}

type wsClient struct {
	t        *testing.T
	conn     *websocket.Conn
	protocol string
	messages chan wsMessage // closed when the connection ends
	err      error          // why it ended, once messages is closed
}

// dialWS opens a websocket to server srv with the given subprotocol.
func dialWS(t *testing.T, srv *httptest.Server, protocol string, header http.Header) (*wsClient, *http.Response, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), wait)
	defer cancel()
	conn, resp, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(srv.URL, "http")+"/graphql", &websocket.DialOptions{
		Subprotocols: []string{protocol}, HTTPHeader: header,
	})
	if err != nil {
		return nil, resp, err
	}
	c := &wsClient{t: t, conn: conn, protocol: protocol, messages: make(chan wsMessage, 100)}
	go c.pump()
	t.Cleanup(func() { _ = conn.CloseNow() })
	return c, resp, nil
}

// pump reads every message; it answers the server's pings and drops the
// legacy keep-alives, which say only that the connection lives.
func (c *wsClient) pump() {
	defer close(c.messages)
	for {
		_, data, err := c.conn.Read(context.Background())
		if err != nil {
			c.err = err
			return
		}
		var m wsMessage
		if err := json.Unmarshal(data, &m); err != nil {
			c.err = fmt.Errorf("not JSON: %s", data)
			return
		}
		switch m.Type {
		case "ka":
		case "ping":
			_ = c.conn.Write(context.Background(), websocket.MessageText, []byte(`{"type":"pong"}`))
		default:
			c.messages <- m
		}
	}
}

func (c *wsClient) send(m wsMessage) {
	c.t.Helper()
	b, _ := json.Marshal(m)
	if err := c.conn.Write(c.t.Context(), websocket.MessageText, b); err != nil {
		c.t.Fatalf("websocket write: %v", err)
	}
}

// next waits a bounded time for the next message.
func (c *wsClient) next() wsMessage {
	c.t.Helper()
	select {
	case m, ok := <-c.messages:
		if !ok {
			c.t.Fatalf("the websocket ended: %v", c.err)
		}
		return m
	case <-time.After(wait):
		c.t.Fatalf("no message within %s", wait)
	}
	return wsMessage{}
}

// init sends connection_init with payload and expects connection_ack.
func (c *wsClient) init(payload map[string]any) {
	c.t.Helper()
	c.send(wsMessage{Type: "connection_init", Payload: mustJSON(c.t, payload)})
	if m := c.next(); m.Type != "connection_ack" {
		c.t.Fatalf("want connection_ack, got %s %s", m.Type, m.Payload)
	}
}

// subscribe starts an operation with id.
func (c *wsClient) subscribe(id, query string, vars map[string]any) {
	c.t.Helper()
	typ := "subscribe"
	if c.protocol == "graphql-ws" {
		typ = "start"
	}
	c.send(wsMessage{ID: id, Type: typ, Payload: mustJSON(c.t, map[string]any{"query": query, "variables": vars})})
}

// result waits for the next result of operation id and decodes it.
func (c *wsClient) result(id string) (data json.RawMessage, errs []gqlError) {
	c.t.Helper()
	m := c.next()
	want := map[string]string{"graphql-transport-ws": "next", "graphql-ws": "data"}[c.protocol]
	if m.Type != want || m.ID != id {
		c.t.Fatalf("want %s of %s, got %s of %s: %s", want, id, m.Type, m.ID, m.Payload)
	}
	var r struct {
		Data   json.RawMessage `json:"data"`
		Errors []gqlError      `json:"errors"`
	}
	if err := json.Unmarshal(m.Payload, &r); err != nil {
		c.t.Fatalf("result: %v: %s", err, m.Payload)
	}
	return r.Data, r.Errors
}

// silent asserts that nothing arrives for the quiet period.
func (c *wsClient) silent() {
	c.t.Helper()
	select {
	case m, ok := <-c.messages:
		if ok {
			c.t.Fatalf("want nothing, got %s of %s: %s", m.Type, m.ID, m.Payload)
		}
		c.t.Fatalf("the websocket ended: %v", c.err)
	case <-time.After(quiet):
	}
}

// closed waits for the server to close the connection and returns the
// close frame.
func (c *wsClient) closed() websocket.CloseError {
	c.t.Helper()
	for {
		select {
		case m, ok := <-c.messages:
			if ok {
				if m.Type == "connection_error" {
					continue // the legacy protocol says why before closing
				}
				c.t.Fatalf("want the connection closed, got %s: %s", m.Type, m.Payload)
			}
			var ce websocket.CloseError
			if !errors.As(c.err, &ce) {
				c.t.Fatalf("the connection ended without a close frame: %v", c.err)
			}
			return ce
		case <-time.After(wait):
			c.t.Fatalf("the connection was not closed within %s", wait)
		}
	}
}

func mustJSON(t testing.TB, v any) json.RawMessage {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// ---------------------------------------------------------------------------

type statusChange struct {
	ReleaseID string `json:"releaseId"`
	From      string `json:"from"`
	To        string `json:"to"`
	Release   *struct {
		ID     string `json:"id"`
		Status string `json:"status"`
		Tenant struct {
			Slug string `json:"slug"`
		} `json:"tenant"`
		Tracks struct {
			TotalCount int `json:"totalCount"`
		} `json:"tracks"`
	} `json:"release"`
}

const statusChanges = `subscription ($release: ID) {
	releaseStatusChanged(releaseId: $release) {
		releaseId from to
		release { id status tenant { slug } tracks { totalCount } }
	}
}`

// statusChange waits for the next event of operation id, a status change.
func (c *wsClient) statusChange(id string) statusChange {
	t := c.t
	t.Helper()
	data, errs := c.result(id)
	if len(errs) > 0 {
		t.Fatalf("event with errors: %+v", errs)
	}
	var d struct {
		C statusChange `json:"releaseStatusChanged"`
	}
	if err := json.Unmarshal(data, &d); err != nil {
		t.Fatalf("event: %v: %s", err, data)
	}
	return d.C
}

// TestSubscriptionDeliversAnotherServersWriteWithinTheTenant: (a) a member
// of acme-music subscribed over graphql-transport-ws to server a receives
// the status changes of a release submitted and approved through server b,
// each with the release read for it; (b) a member of another tenant, subscribed over the
// legacy graphql-ws, receives nothing of it, and then does receive a
// change of its own tenant, which proves its subscription was listening.
func TestSubscriptionDeliversAnotherServersWriteWithinTheTenant(t *testing.T) {
	f := subsSetup(t)
	f.awaitSubscribers(t, 0)
	ours, _, err := dialWS(t, f.a, "graphql-transport-ws", nil)
	if err != nil {
		t.Fatal(err)
	}
	ours.init(map[string]any{"Authorization": "Bearer " + f.member})
	ours.subscribe("1", statusChanges, nil)
	theirs, _, err := dialWS(t, f.a, "graphql-ws", nil)
	if err != nil {
		t.Fatal(err)
	}
	theirs.init(map[string]any{"Authorization": "Bearer " + f.otherTok})
	theirs.subscribe("7", statusChanges, nil)
	f.awaitSubscribers(t, 2)

	r := f.newRelease(t)
	var submitted subsRelease
	f.write(t, f.owner, "submitRelease", map[string]any{"id": r.Release.ID, "expectedVersion": r.Release.Version}, subsReleaseSelection, &submitted)

	got := ours.statusChange("1")
	if got.ReleaseID != r.Release.ID || got.From != "DRAFT" || got.To != "SUBMITTED" {
		t.Errorf("event %+v, want release %s from DRAFT to SUBMITTED", got, r.Release.ID)
	}
	if got.Release == nil || got.Release.ID != r.Release.ID || got.Release.Status != "SUBMITTED" ||
		got.Release.Tenant.Slug != mutTenantSlug || got.Release.Tracks.TotalCount != 1 {
		t.Errorf("the event's release is %+v, want the submitted release of %s with its track", got.Release, mutTenantSlug)
	}

	// Every event reads in a session of its own.
	f.write(t, f.owner, "approveRelease", map[string]any{"id": r.Release.ID}, subsReleaseSelection, &subsRelease{})
	got = ours.statusChange("1")
	if got.From != "SUBMITTED" || got.To != "APPROVED" || got.Release == nil || got.Release.Status != "APPROVED" {
		t.Errorf("second event %+v (release %+v), want SUBMITTED to APPROVED with the release", got, got.Release)
	}
	// The event's read session ended with its response: the subscription
	// runs on, holding no connection.
	for deadline := time.Now().Add(wait); f.db.Stats().InUse > 0; time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("%d pool connections still in use after the event", f.db.Stats().InUse)
		}
	}

	theirs.silent()
	var draft string
	if err := f.db.GetContext(t.Context(), &draft, `SELECT id::text FROM releases WHERE tenant_id = $1 AND status = 'DRAFT' ORDER BY id LIMIT 1`, f.other); err != nil {
		t.Fatal(err)
	}
	f.appWrite(t, f.other, `UPDATE releases SET status = 'SUBMITTED' WHERE id = $1`, draft)
	own := theirs.statusChange("7")
	if own.ReleaseID != gid(model.TypeRelease, draft) || own.To != "SUBMITTED" {
		t.Errorf("the other tenant's subscriber got %+v, want its own release %s", own, draft)
	}
	ours.silent()

	// Stopping a subscription ends it on the server.
	ours.send(wsMessage{ID: "1", Type: "complete"})
	theirs.send(wsMessage{ID: "7", Type: "stop"})
	f.awaitSubscribers(t, 0)
}

// TestSubscriptionArguments: releaseId keeps that release's events;
// membershipChanged announces an invitation with the membership and its
// refusal; a tenant argument outside the caller's tree is refused.
func TestSubscriptionArguments(t *testing.T) {
	f := subsSetup(t)
	f.awaitSubscribers(t, 0)
	c, _, err := dialWS(t, f.a, "graphql-transport-ws", nil)
	if err != nil {
		t.Fatal(err)
	}
	c.init(map[string]any{"headers": map[string]any{"authorization": "Bearer " + f.member}})
	followed, other := f.newRelease(t), f.newRelease(t)
	c.subscribe("one", statusChanges, map[string]any{"release": followed.Release.ID})
	c.subscribe("members", `subscription { membershipChanged(tenant: "acme-music") {
		kind membershipId membership { id role status tenant { slug } user { email } } } }`, nil)
	f.awaitSubscribers(t, 2)

	f.write(t, f.owner, "submitRelease", map[string]any{"id": other.Release.ID}, subsReleaseSelection, &subsRelease{})
	f.write(t, f.owner, "submitRelease", map[string]any{"id": followed.Release.ID}, subsReleaseSelection, &subsRelease{})
	if got := c.statusChange("one"); got.ReleaseID != followed.Release.ID {
		t.Errorf("releaseId %s: got the event of %s", followed.Release.ID, got.ReleaseID)
	}

	// An invitation of a member of another tenant, then its refusal: the
	// refusal deletes the pending membership inside a SECURITY DEFINER
	// function, on behalf of the other tenant's member, and is announced
	// to acme-music all the same.
	var invited struct {
		Membership struct {
			ID string `json:"id"`
		} `json:"membership"`
	}
	f.write(t, f.owner, "inviteMember", map[string]any{"email": f.otherEmail, "role": "USER"}, `membership { id }`, &invited)
	type membershipChange struct {
		Kind         string `json:"kind"`
		MembershipID string `json:"membershipId"`
		Membership   *struct {
			ID     string                `json:"id"`
			Role   string                `json:"role"`
			Status string                `json:"status"`
			Tenant struct{ Slug string } `json:"tenant"`
			User   struct {
				Email *string `json:"email"`
			} `json:"user"`
		} `json:"membership"`
	}
	next := func() membershipChange {
		t.Helper()
		data, errs := c.result("members")
		var d struct {
			C membershipChange `json:"membershipChanged"`
		}
		if err := json.Unmarshal(data, &d); err != nil || len(errs) > 0 {
			t.Fatalf("membership event: %v %+v: %s", err, errs, data)
		}
		return d.C
	}
	created := next()
	if m := created.Membership; created.Kind != "CREATED" || created.MembershipID != invited.Membership.ID || m == nil ||
		m.ID != invited.Membership.ID || m.Role != "USER" || m.Status != "PENDING" || m.Tenant.Slug != mutTenantSlug {
		t.Errorf("membership event %+v (%+v), want the pending invitation %s", created, created.Membership, invited.Membership.ID)
	} else if m.User.Email != nil {
		t.Errorf("a plain member reads another member's email %q in an event; events are read with the subscriber's permissions", *m.User.Email)
	}
	f.write(t, f.otherTok, "declineInvitation", map[string]any{"id": invited.Membership.ID}, `invitation { id }`, &struct{}{})
	if deleted := next(); deleted.Kind != "DELETED" || deleted.MembershipID != invited.Membership.ID || deleted.Membership != nil {
		t.Errorf("membership event %+v (%+v), want the deletion of %s", deleted, deleted.Membership, invited.Membership.ID)
	}
	c.silent()

	// A tenant outside the caller's tree is refused like one that does
	// not exist.
	var slug string
	if err := f.db.GetContext(t.Context(), &slug, `SELECT slug FROM tenants WHERE id = $1`, f.other); err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{slug, "no-such-tenant"} {
		c.subscribe("bad", `subscription ($t: String) { catalogueChanged(tenant: $t) { id } }`, map[string]any{"t": s})
		m := c.next()
		if m.Type != "next" && m.Type != "error" {
			t.Fatalf("tenant %q: want an error, got %s: %s", s, m.Type, m.Payload)
		}
		var r struct {
			Errors []gqlError `json:"errors"`
		}
		if m.Type == "error" {
			_ = json.Unmarshal(m.Payload, &r.Errors)
		} else {
			_ = json.Unmarshal(m.Payload, &r)
		}
		want := fmt.Sprintf("no tenant %q in your tenant tree", s)
		if len(r.Errors) != 1 || !strings.Contains(r.Errors[0].Message, want) || r.Errors[0].code() != api.CodeBadUserInput {
			t.Errorf("tenant %q: got %s, want %s (%s)", s, m.Payload, want, api.CodeBadUserInput)
		}
		if m.Type == "next" {
			if m := c.next(); m.Type != "complete" || m.ID != "bad" {
				t.Fatalf("want complete, got %s %s", m.Type, m.Payload)
			}
		}
	}
	_ = c.conn.CloseNow()
	f.awaitSubscribers(t, 0)
}

// TestSubscriptionCredentials: (c) connection_init with bad or missing
// credentials is refused with a close code and a reason that says what
// was wrong; the upgrade request's headers stand in for a payload without
// them; websockets from pages of origins that CORS does not allow are
// refused before the upgrade.
func TestSubscriptionCredentials(t *testing.T) {
	f := subsSetup(t)
	refused := []struct {
		name     string
		protocol string
		payload  map[string]any
		code     websocket.StatusCode
		reason   string
	}{
		{"bad token", "graphql-transport-ws", map[string]any{"Authorization": "Bearer not.a.token"}, 4401, "malformed token"},
		{"no credentials", "graphql-transport-ws", map[string]any{}, 4401, "missing credentials"},
		{"unknown API key", "graphql-transport-ws", map[string]any{"Authorization": "nokey:nosecret"}, 4401, "invalid API key or secret"},
		{"foreign tenant", "graphql-transport-ws", map[string]any{"Authorization": "Bearer " + f.member, "X-Tenant": "no-such-tenant"}, 4403, "not a member"},
		{"bad token, legacy protocol", "graphql-ws", map[string]any{"Authorization": "Bearer not.a.token"}, 4401, "malformed token"},
	}
	for _, c := range refused {
		t.Run(c.name, func(t *testing.T) {
			ws, _, err := dialWS(t, f.a, c.protocol, nil)
			if err != nil {
				t.Fatal(err)
			}
			ws.send(wsMessage{Type: "connection_init", Payload: mustJSON(t, c.payload)})
			ce := ws.closed()
			if ce.Code != c.code || !strings.Contains(ce.Reason, c.reason) {
				t.Errorf("closed with %d %q, want %d and a reason with %q", ce.Code, ce.Reason, c.code, c.reason)
			}
		})
	}

	t.Run("credentials from the upgrade request", func(t *testing.T) {
		ws, _, err := dialWS(t, f.a, "graphql-transport-ws", http.Header{"Authorization": {"Bearer " + f.member}})
		if err != nil {
			t.Fatal(err)
		}
		ws.init(nil)
		ws.subscribe("v", `query { viewer { tenant { slug } role } }`, nil)
		data, errs := ws.result("v")
		if len(errs) > 0 || !strings.Contains(string(data), `"slug":"acme-music"`) || !strings.Contains(string(data), `"role":"USER"`) {
			t.Errorf("viewer over the websocket: %s %+v", data, errs)
		}
	})

	for origin, allowed := range map[string]bool{
		"https://evil.example.com": false, "https://app.example.com": true, "http://shop.example.org": true,
		"https://shop.example.org": false, f.a.URL: true,
	} {
		t.Run("origin "+origin, func(t *testing.T) {
			ws, resp, err := dialWS(t, f.a, "graphql-transport-ws", http.Header{"Origin": {origin}})
			switch {
			case allowed && err != nil:
				t.Fatalf("refused: %v", err)
			case allowed:
				ws.init(map[string]any{"Authorization": "Bearer " + f.member})
			case err == nil:
				t.Fatal("a page of another site opened a websocket")
			case resp == nil || resp.StatusCode != http.StatusForbidden:
				t.Fatalf("want HTTP 403, got %v (%v)", resp, err)
			}
		})
	}
}

// sseEvent is one event of a server-sent event stream.
type sseEvent struct {
	name string
	data string
}

// sseSubscribe POSTs a subscription to srv with Accept: text/event-stream
// and returns its events, until ctx ends or the server ends the stream.
func sseSubscribe(t *testing.T, ctx context.Context, srv *httptest.Server, token, query string) <-chan sseEvent {
	t.Helper()
	body := mustJSON(t, map[string]any{"query": query})
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, srv.URL+"/graphql", strings.NewReader(string(body)))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "text/event-stream")
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	if ct := resp.Header.Get("Content-Type"); resp.StatusCode != http.StatusOK || !strings.HasPrefix(ct, "text/event-stream") {
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		t.Fatalf("HTTP %d %s: %s", resp.StatusCode, ct, b)
	}
	events := make(chan sseEvent, 100)
	go func() {
		defer close(events)
		defer resp.Body.Close()
		sc := bufio.NewScanner(resp.Body)
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		var ev sseEvent
		for sc.Scan() {
			line := sc.Text()
			switch {
			case line == "":
				if ev.name != "" {
					events <- ev
				}
				ev = sseEvent{}
			case strings.HasPrefix(line, "event: "):
				ev.name = strings.TrimPrefix(line, "event: ")
			case strings.HasPrefix(line, "data: "):
				ev.data = strings.TrimPrefix(line, "data: ")
			}
		}
	}()
	return events
}

// nextSSE waits a bounded time for the next event of a stream.
func nextSSE(t *testing.T, events <-chan sseEvent) sseEvent {
	t.Helper()
	select {
	case ev, ok := <-events:
		if !ok {
			t.Fatal("the stream ended")
		}
		return ev
	case <-time.After(wait):
		t.Fatalf("no event within %s", wait)
	}
	return sseEvent{}
}

// TestSubscriptionOverServerSentEvents: (d) a subscription POSTed with
// Accept: text/event-stream receives the tracks a release saved through
// server b creates and deletes; a deleted track's node is null, and a
// created one is read for the subscriber.
func TestSubscriptionOverServerSentEvents(t *testing.T) {
	f := subsSetup(t)
	f.awaitSubscribers(t, 0)
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	events := sseSubscribe(t, ctx, f.a, f.member, `subscription {
		catalogueChanged(types: [TRACK]) { kind type id node { id ... on Track { title release { id } } } } }`)
	f.awaitSubscribers(t, 1)

	type change struct {
		Kind string `json:"kind"`
		Type string `json:"type"`
		ID   string `json:"id"`
		Node *struct {
			ID      string `json:"id"`
			Title   string `json:"title"`
			Release struct {
				ID string `json:"id"`
			} `json:"release"`
		} `json:"node"`
	}
	// until reads events until one of the track with the given kind.
	until := func(kind, track string) change {
		t.Helper()
		timeout := time.After(wait)
		for {
			select {
			case ev, ok := <-events:
				if !ok {
					t.Fatal("the stream ended")
				}
				var r struct {
					Data struct {
						C change `json:"catalogueChanged"`
					} `json:"data"`
					Errors []gqlError `json:"errors"`
				}
				if ev.name != "next" || json.Unmarshal([]byte(ev.data), &r) != nil || len(r.Errors) > 0 {
					t.Fatalf("unexpected event %s: %s", ev.name, ev.data)
				}
				if r.Data.C.Type != "TRACK" {
					t.Fatalf("types: [TRACK] delivered %+v", r.Data.C)
				}
				if r.Data.C.Kind == kind && (track == "" || r.Data.C.ID == track) {
					return r.Data.C
				}
			case <-timeout:
				t.Fatalf("no %s event of track %s within %s", kind, track, wait)
			}
		}
	}

	r := f.newRelease(t)
	first := r.Release.Tracks.Edges[0].Node.ID
	created := until("CREATED", first)
	if created.Node == nil || created.Node.ID != first || created.Node.Release.ID != r.Release.ID || !strings.HasSuffix(created.Node.Title, "(track)") {
		t.Errorf("the created track reads %+v, want track %s of release %s", created.Node, first, r.Release.ID)
	}
	// Saving the release with a new track list deletes the first track.
	f.write(t, f.owner, "saveRelease", map[string]any{
		"id": r.Release.ID, "title": "Saved again", "type": "SINGLE", "artistIds": []string{f.artist},
		"tracks": []any{map[string]any{"title": "Replacement"}},
	}, subsReleaseSelection, &subsRelease{})
	if deleted := until("DELETED", first); deleted.Node != nil {
		t.Errorf("a deleted track's node is %+v, want null", deleted.Node)
	}
	cancel()
	f.awaitSubscribers(t, 0)
}

// TestSubscriptionNeedsAStream: a subscription sent as a plain request is
// refused with a hint, instead of waiting for one event.
func TestSubscriptionNeedsAStream(t *testing.T) {
	r := gql(t, `subscription { catalogueChanged { id } }`, nil)
	e := wantErrorCode(t, r, api.CodeBadRequest)
	if !strings.Contains(e.Message, "text/event-stream") {
		t.Errorf("the error should say how to subscribe: %q", e.Message)
	}
}

// TestSubscriptionEndsWhenEventsMayHaveBeenMissed: when the server loses
// its listening connection, events committed meanwhile are not heard, so
// every subscription ends with one last response whose error says so
// (EVENTS_LOST), websocket and SSE alike; once the server listens again,
// subscriptions work, and at shutdown they end with SERVICE_UNAVAILABLE.
func TestSubscriptionEndsWhenEventsMayHaveBeenMissed(t *testing.T) {
	f := subsSetup(t)
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	// A server of its own: the test cuts its listening connection.
	x, url, err := env.NewDatabase(ctx)
	if err != nil {
		t.Fatal(err)
	}
	srv, events, err := eventServer(ctx, x, url, db.EventsConfig{MinReconnect: 20 * time.Millisecond, MaxReconnect: 100 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	defer events.Close()
	const query = `subscription { releaseStatusChanged { releaseId } }`

	ws, _, err := dialWS(t, srv, "graphql-transport-ws", nil)
	if err != nil {
		t.Fatal(err)
	}
	ws.init(map[string]any{"Authorization": "Bearer " + f.member})
	ws.subscribe("1", query, nil)
	sse := sseSubscribe(t, ctx, srv, f.member, query)
	awaitSubscribers(t, events, 2)

	var killed int
	if err := x.GetContext(ctx, &killed, `SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity
		WHERE application_name = 'catalogue-events' AND datname = current_database()`); err != nil || killed != 1 {
		t.Fatalf("terminated %d listening connections (%v), want 1", killed, err)
	}
	wantEnd := func(what string, payload []byte, code string) {
		t.Helper()
		var r struct {
			Data   json.RawMessage `json:"data"`
			Errors []gqlError      `json:"errors"`
		}
		if err := json.Unmarshal(payload, &r); err != nil || len(r.Errors) != 1 || r.Errors[0].code() != code {
			t.Fatalf("%s: want one last response with an error %s, got %s", what, code, payload)
		}
		want := map[string]error{api.CodeEventsLost: db.ErrEventsMissed, api.CodeUnavailable: db.ErrEventsClosed}[code]
		if r.Errors[0].Message != want.Error() {
			t.Errorf("%s: the error says %q, want %q", what, r.Errors[0].Message, want)
		}
	}
	m := ws.next()
	if m.Type != "next" || m.ID != "1" {
		t.Fatalf("websocket: want next, got %s %s", m.Type, m.Payload)
	}
	wantEnd("websocket", m.Payload, api.CodeEventsLost)
	if m := ws.next(); m.Type != "complete" || m.ID != "1" {
		t.Fatalf("websocket: want complete, got %s %s", m.Type, m.Payload)
	}
	ev := nextSSE(t, sse)
	if ev.name != "next" {
		t.Fatalf("SSE: want next, got %s %s", ev.name, ev.data)
	}
	wantEnd("SSE", []byte(ev.data), api.CodeEventsLost)
	if ev := nextSSE(t, sse); ev.name != "complete" {
		t.Fatalf("SSE: want complete, got %s %s", ev.name, ev.data)
	}

	// Listening again, the server takes subscriptions again, and at
	// shutdown ends them.
	for deadline := time.Now().Add(wait); ; time.Sleep(20 * time.Millisecond) {
		probe, err := events.Subscribe(db.AllTenants(), nil)
		if err == nil {
			probe.Close()
			break
		}
		if !errors.Is(err, db.ErrEventsUnavailable) || time.Now().After(deadline) {
			t.Fatalf("the server does not listen again: %v", err)
		}
	}
	ws.subscribe("2", query, nil)
	awaitSubscribers(t, events, 1)
	events.Close()
	if m := ws.next(); m.Type != "next" || m.ID != "2" {
		t.Fatalf("websocket: want next, got %s %s", m.Type, m.Payload)
	} else {
		wantEnd("shutdown", m.Payload, api.CodeUnavailable)
	}
	if m := ws.next(); m.Type != "complete" || m.ID != "2" {
		t.Fatalf("websocket: want complete, got %s %s", m.Type, m.Payload)
	}
}
