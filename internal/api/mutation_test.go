package api_test

// The write side of the graph: every mutation of schema/mutation.graphqls,
// its user errors, its authorisation, the release workflow, optimistic
// concurrency and idempotent creates.
//
// These tests write, so they never touch env.DB (other tests read it as
// their oracle): they run against a server of their own on a fresh copy of
// the seeded database (mutationFixture), and their SQL oracles read that
// copy. Every test makes the rows it changes, so the tests do not depend on
// each other's order.

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"

	"catalogue/db"
	"catalogue/db/model"
	"catalogue/internal/api"
	"catalogue/internal/auth"
)

// ---------------------------------------------------------------------------
// The fixture: a server on a fresh database and the principals of acme-music.

const mutTenantSlug = "acme-music"

// mutWho is a caller: a user of acme-music, optionally impersonating.
type mutWho struct {
	name   string
	id     string // the user's UUID
	token  string
	header map[string]string
}

type mutationFixture struct {
	db     *sqlx.DB
	srv    *httptest.Server
	tenant string // acme-music's UUID

	owner     mutWho // the tenant's only active OWNER
	admin     mutWho // an active ADMIN
	user      mutWho // an active USER without brand access
	brandUser mutWho // an active USER with USER access to brand
	brandRO   mutWho // an active USER with READ_ONLY access to brand
	brand     string // UUID of an acme-music brand

	foreignUser   struct{ ID, Email string } // an account of another tenant only
	foreignArtist string                     // an artist of another tenant

	seq atomic.Int64
}

var (
	mutOnce sync.Once
	mutFix  *mutationFixture
	mutErr  error
)

// mutSetup returns the package's mutation fixture, building it on first use.
func mutSetup(t *testing.T) *mutationFixture {
	t.Helper()
	mutOnce.Do(func() { mutFix, mutErr = newMutationFixture() })
	if mutErr != nil {
		t.Fatalf("mutation fixture: %v", mutErr)
	}
	return mutFix
}

func newMutationFixture() (*mutationFixture, error) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	x, url, err := env.NewDatabase(ctx)
	if err != nil {
		return nil, err
	}
	// The handler connects as the server does; x stays the oracle's.
	rt, _, err := env.Runtime(ctx, url)
	if err != nil {
		return nil, err
	}
	store := db.NewStore(rt)
	// Not signIn: it draws a new suite secret (and bearer), which would
	// lock every other test out of the package's server. This verifier
	// shares the suite's secret, so tokenFor works for both servers.
	verifier, err := auth.NewTokenVerifier(auth.TokenConfig{HS256Secret: tokenSecret})
	if err != nil {
		return nil, err
	}
	handler := api.New(store, slog.New(&captureHandler{store: serverLog}), api.Config{
		SQLStats:   true,
		LoaderWait: 2 * time.Millisecond,
		Auth:       auth.NewAuthenticator(store, verifier, suiteCache),
	})
	f := &mutationFixture{db: x, srv: httptest.NewServer(handler)}

	if err := x.GetContext(ctx, &f.tenant, `SELECT id::text FROM tenants WHERE slug = $1`, mutTenantSlug); err != nil {
		return nil, fmt.Errorf("tenant: %w", err)
	}
	// A usable principal: an active membership of the given role, the only
	// membership of the account, not terminated, not expired, and no
	// platform role, which would lift role checks.
	const eligible = `m.status = 'ACTIVE' AND NOT u.is_deleted AND (u.expires_at IS NULL OR u.expires_at > now())
		AND (SELECT count(*) FROM memberships x WHERE x.user_id = u.id) = 1`
	const noPlatformRole = ` AND NOT ('SUPER_ADMIN' = ANY (u.admin_roles))`
	pick := func(role, extra string) (string, error) {
		var id string
		err := x.GetContext(ctx, &id, `SELECT u.id::text FROM memberships m JOIN users u ON u.id = m.user_id
			WHERE m.tenant_id = $1 AND m.role = $2 AND `+eligible+extra+` ORDER BY u.id LIMIT 1`, f.tenant, role)
		if err != nil {
			return "", fmt.Errorf("no %s of %s: %w", role, mutTenantSlug, err)
		}
		return id, nil
	}
	var owners int
	if err := x.GetContext(ctx, &owners, `SELECT count(*) FROM memberships m JOIN users u ON u.id = m.user_id
		WHERE m.tenant_id = $1 AND m.role = 'OWNER' AND m.status = 'ACTIVE' AND NOT u.is_deleted`, f.tenant); err != nil {
		return nil, err
	}
	if owners != 1 {
		return nil, fmt.Errorf("the seed should give %s exactly one active OWNER, it has %d", mutTenantSlug, owners)
	}
	ids := map[string]*mutWho{"owner": &f.owner, "admin": &f.admin, "user": &f.user}
	roles := map[string]string{"owner": "OWNER", "admin": "ADMIN", "user": "USER"}
	for name, who := range ids {
		extra := noPlatformRole
		if name == "user" {
			extra += ` AND NOT EXISTS (SELECT 1 FROM brand_access ba WHERE ba.user_id = u.id)`
		}
		if who.id, err = pick(roles[name], extra); err != nil {
			return nil, err
		}
		who.name = name
	}
	// A brand with both a USER and a READ_ONLY grant to plain members.
	var grants struct {
		Brand string `db:"brand"`
		RW    string `db:"rw"`
		RO    string `db:"ro"`
	}
	if err := x.GetContext(ctx, &grants, `
		WITH g AS (
			SELECT ba.brand_id, ba.user_id, ba.role FROM brand_access ba
			JOIN brands b ON b.id = ba.brand_id
			JOIN memberships m ON m.user_id = ba.user_id AND m.tenant_id = b.tenant_id AND m.role = 'USER'
			JOIN users u ON u.id = ba.user_id
			WHERE b.tenant_id = $1 AND `+eligible+noPlatformRole+`
		)
		SELECT brand_id::text AS brand,
		       min(user_id::text) FILTER (WHERE role = 'USER') AS rw,
		       min(user_id::text) FILTER (WHERE role = 'READ_ONLY') AS ro
		FROM g GROUP BY brand_id
		HAVING count(*) FILTER (WHERE role = 'USER') > 0 AND count(*) FILTER (WHERE role = 'READ_ONLY') > 0
		ORDER BY brand_id LIMIT 1`, f.tenant); err != nil {
		return nil, fmt.Errorf("no brand of %s with USER and READ_ONLY grants: %w", mutTenantSlug, err)
	}
	f.brand = grants.Brand
	f.brandUser = mutWho{name: "brandUser", id: grants.RW}
	f.brandRO = mutWho{name: "brandReadOnly", id: grants.RO}
	if err := x.GetContext(ctx, &f.foreignUser, `SELECT u.id::text AS id, u.email FROM users u
		WHERE NOT u.is_deleted AND EXISTS (SELECT 1 FROM memberships m WHERE m.user_id = u.id)
		  AND NOT EXISTS (SELECT 1 FROM memberships m JOIN tenants t ON t.id = m.tenant_id
		                  WHERE m.user_id = u.id AND (t.id = $1 OR t.parent_id = $1))
		ORDER BY u.id LIMIT 1`, f.tenant); err != nil {
		return nil, fmt.Errorf("no account outside %s: %w", mutTenantSlug, err)
	}
	if err := x.GetContext(ctx, &f.foreignArtist, `SELECT a.id::text FROM artists a JOIN tenants t ON t.id = a.tenant_id
		WHERE t.id <> $1 AND t.parent_id IS DISTINCT FROM $1 ORDER BY a.id LIMIT 1`, f.tenant); err != nil {
		return nil, fmt.Errorf("no artist outside %s: %w", mutTenantSlug, err)
	}
	for _, who := range []*mutWho{&f.owner, &f.admin, &f.user, &f.brandUser, &f.brandRO} {
		if who.token, err = auth.SignHS256(tokenSecret, who.id, mutTenantSlug, time.Hour); err != nil {
			return nil, err
		}
	}
	return f, nil
}

// as returns a caller for another user of acme-music (e.g. one just invited).
func (f *mutationFixture) as(t *testing.T, name, userID string) mutWho {
	t.Helper()
	return mutWho{name: name, id: userID, token: tokenFor(t, userID, mutTenantSlug)}
}

// impersonating returns who acting as the user target via enterprise-id.
func (who mutWho) impersonating(target mutWho) mutWho {
	return mutWho{
		name: who.name + " as " + target.name, id: target.id, token: who.token,
		header: map[string]string{"enterprise-id": target.id},
	}
}

// uniq makes a name no other row of this run has.
func (f *mutationFixture) uniq(prefix string) string {
	return fmt.Sprintf("%s %d", prefix, f.seq.Add(1))
}

func (f *mutationFixture) email(prefix string) string {
	return fmt.Sprintf("%s.%d@mutation-test.example.org", prefix, f.seq.Add(1))
}

// ---------------------------------------------------------------------------
// Talking to the fixture's server

// post sends a GraphQL request as who. It reports problems as errors so
// that goroutines can call it.
func (f *mutationFixture) post(ctx context.Context, who mutWho, q string, vars map[string]any) (*response, error) {
	body, err := json.Marshal(map[string]any{"query": q, "variables": vars})
	if err != nil {
		return nil, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, f.srv.URL+"/graphql", strings.NewReader(string(body)))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+who.token)
	for k, v := range who.header {
		req.Header.Set(k, v)
	}
	r, err := sendAnonymous(req)
	if r != nil {
		r.query, r.vars = q, vars
	}
	return r, err
}

// read runs a query as who that must succeed, into dst.
func (f *mutationFixture) read(t *testing.T, who mutWho, q string, vars map[string]any, dst any) {
	t.Helper()
	r, err := f.post(t.Context(), who, q, vars)
	if err != nil {
		t.Fatalf("POST /graphql: %v", err)
	}
	mustData(t, r, dst)
}

var mutInputTypes = map[string]string{
	"inviteMember": "InviteMemberInput", "updateUser": "UpdateUserInput",
	"updateMembership": "UpdateMembershipInput", "terminateUser": "TerminateUserInput",
	"grantBrandAccess": "GrantBrandAccessInput", "revokeBrandAccess": "RevokeBrandAccessInput",
	"createBrand": "CreateBrandInput", "updateBrand": "UpdateBrandInput",
	"createLabel": "CreateLabelInput", "updateLabel": "UpdateLabelInput",
	"createArtist": "CreateArtistInput", "updateArtist": "UpdateArtistInput",
	"saveRelease": "SaveReleaseInput", "submitRelease": "ReleaseTransitionInput",
	"approveRelease": "ReleaseTransitionInput", "rejectRelease": "RejectReleaseInput",
	"queueRelease": "QueueReleaseInput", "addDeliveryStores": "DeliveryStoresInput",
	"removeDeliveryStores": "DeliveryStoresInput", "markReleaseDelivered": "ReleaseTransitionInput",
	"takeDownRelease": "ReleaseTransitionInput",
}

// mutNodeField is the payload field carrying the changed node.
func mutNodeField(mutation string) string {
	switch mutation {
	case "inviteMember", "updateMembership":
		return "membership"
	case "updateUser", "terminateUser":
		return "user"
	case "grantBrandAccess", "revokeBrandAccess":
		return "brandAccess"
	case "createBrand", "updateBrand":
		return "brand"
	case "createLabel", "updateLabel":
		return "label"
	case "createArtist", "updateArtist":
		return "artist"
	}
	return "release"
}

var mutSelections = map[string]string{
	"user": `id email firstName lastName nickname phone language { code } websiteUrl twitterUrl pictureUrl
		companyIpRights isDeleted version createdAt updatedAt createdBy { id } updatedBy { id }`,
	"membership":  `id role status version createdAt updatedAt tenant { slug } user { id email firstName lastName isDeleted }`,
	"brandAccess": `id role brand { id } user { id }`,
	"brand":       `id name version createdAt updatedAt createdBy { id } updatedBy { id }`,
	"label":       `id name version createdAt updatedAt createdBy { id } updatedBy { id }`,
	"artist": `id name genre country imageUrl spotifyId brand { id } version createdAt updatedAt
		createdBy { id } updatedBy { id }`,
	"release": `id title type status upc catalogNumber releaseDate genre artworkUrl rejectionReason deliveryStores
		label { id } brand { id } version createdAt updatedAt createdBy { id } updatedBy { id }
		artists { edges { position node { id } } }
		tracks(first: 100) { edges { node { id position title isrc durationSeconds explicit version
			createdBy { id } updatedBy { id } artists { edges { role position node { id } } } } } }`,
}

func mutQuery(mutation string) string {
	field := mutNodeField(mutation)
	return fmt.Sprintf(`mutation M($input: %s!) { %s(input: $input) { %s { %s } userErrors { field message code } clientMutationId } }`,
		mutInputTypes[mutation], mutation, field, mutSelections[field])
}

type mutUserError struct {
	Field   []string `json:"field"`
	Message string   `json:"message"`
	Code    string   `json:"code"`
}

func (e mutUserError) String() string {
	return fmt.Sprintf("%s at %v: %s", e.Code, e.Field, e.Message)
}

// mutResult is a mutation's response with its payload taken apart.
type mutResult struct {
	*response
	Node             json.RawMessage
	UserErrors       []mutUserError
	ClientMutationID *string
}

func (m *mutResult) hasNode() bool { return len(m.Node) > 0 && string(m.Node) != "null" }

// send runs one mutation as who; for goroutines.
func (f *mutationFixture) send(ctx context.Context, who mutWho, mutation string, input map[string]any) (*mutResult, error) {
	r, err := f.post(ctx, who, mutQuery(mutation), map[string]any{"input": input})
	if err != nil {
		return nil, err
	}
	res := &mutResult{response: r}
	var data map[string]json.RawMessage
	if len(r.Data) > 0 && string(r.Data) != "null" {
		if err := json.Unmarshal(r.Data, &data); err != nil {
			return res, fmt.Errorf("decoding data: %v\n%s", err, r.describe())
		}
	}
	if raw, ok := data[mutation]; ok && string(raw) != "null" {
		var payload map[string]json.RawMessage
		if err := json.Unmarshal(raw, &payload); err != nil {
			return res, fmt.Errorf("decoding payload: %v\n%s", err, r.describe())
		}
		res.Node = payload[mutNodeField(mutation)]
		if err := json.Unmarshal(payload["userErrors"], &res.UserErrors); err != nil {
			return res, fmt.Errorf("decoding userErrors: %v\n%s", err, r.describe())
		}
		if c := payload["clientMutationId"]; len(c) > 0 {
			_ = json.Unmarshal(c, &res.ClientMutationID)
		}
	}
	return res, nil
}

func (f *mutationFixture) call(t *testing.T, who mutWho, mutation string, input map[string]any) *mutResult {
	t.Helper()
	res, err := f.send(t.Context(), who, mutation, input)
	if err != nil {
		t.Fatalf("%s as %s: %v", mutation, who.name, err)
	}
	return res
}

// ok runs a mutation that must succeed (no errors, no user errors, a node)
// and decodes the node into dst.
func (f *mutationFixture) ok(t *testing.T, who mutWho, mutation string, input map[string]any, dst any) *mutResult {
	t.Helper()
	res := f.call(t, who, mutation, input)
	if res.Status != http.StatusOK || len(res.Errors) > 0 || len(res.UserErrors) > 0 || !res.hasNode() {
		t.Fatalf("%s as %s: want success, got user errors %v\n%s", mutation, who.name, res.UserErrors, res.describe())
	}
	if dst != nil {
		if err := json.Unmarshal(res.Node, dst); err != nil {
			t.Fatalf("decoding %s into %T: %v\n%s", mutNodeField(mutation), dst, err, res.describe())
		}
	}
	return res
}

// fails runs a mutation that must answer user errors only: no top-level
// error, no node.
func (f *mutationFixture) fails(t *testing.T, who mutWho, mutation string, input map[string]any) *mutResult {
	t.Helper()
	res := f.call(t, who, mutation, input)
	if res.Status != http.StatusOK || len(res.Errors) > 0 || len(res.UserErrors) == 0 {
		t.Fatalf("%s as %s: want userErrors and no top-level errors\n%s", mutation, who.name, res.describe())
	}
	if res.hasNode() {
		t.Errorf("%s as %s: a refused mutation returned a node: %s", mutation, who.name, res.Node)
	}
	return res
}

// forbidden runs a mutation that must be refused with a top-level
// FORBIDDEN error, not with userErrors.
func (f *mutationFixture) forbidden(t *testing.T, who mutWho, mutation string, input map[string]any) {
	t.Helper()
	res := f.call(t, who, mutation, input)
	wantErrorCode(t, res.response, "FORBIDDEN")
	if res.hasNode() || len(res.UserErrors) > 0 {
		t.Errorf("%s as %s: FORBIDDEN must come alone, got node %s and userErrors %v", mutation, who.name, res.Node, res.UserErrors)
	}
}

// wantUserError asserts that res lists a user error with code at path.
func mutWantUserError(t *testing.T, res *mutResult, code string, path ...string) mutUserError {
	t.Helper()
	for _, e := range res.UserErrors {
		if e.Code == code && slices.Equal(e.Field, path) {
			if strings.TrimSpace(e.Message) == "" {
				t.Errorf("user error %s has no message", e)
			}
			return e
		}
	}
	t.Errorf("want user error %s at %v, got %v\n%s", code, path, res.UserErrors, res.describe())
	return mutUserError{}
}

// ---------------------------------------------------------------------------
// Decoded nodes

type mutRef struct {
	ID string `json:"id"`
}

func mutRefID(r *mutRef) string {
	if r == nil {
		return ""
	}
	return r.ID
}

type mutUser struct {
	ID              string
	Email           *string
	FirstName       *string
	LastName        *string
	Nickname        *string
	Phone           *string
	Language        *struct{ Code string }
	WebsiteURL      *string `json:"websiteUrl"`
	TwitterURL      *string `json:"twitterUrl"`
	PictureURL      *string `json:"pictureUrl"`
	CompanyIPRights *bool   `json:"companyIpRights"`
	IsDeleted       bool
	Version         int
	CreatedAt       time.Time
	UpdatedAt       time.Time
	CreatedBy       *mutRef
	UpdatedBy       *mutRef
}

type mutMembership struct {
	ID        string
	Role      string
	Status    string
	Version   int
	CreatedAt time.Time
	UpdatedAt time.Time
	Tenant    struct{ Slug string }
	User      struct {
		ID        string
		Email     *string
		FirstName *string
		LastName  *string
		IsDeleted bool
	}
}

type mutBrandAccess struct {
	ID    string
	Role  string
	Brand mutRef
	User  mutRef
}

// mutNamed is a brand or a label.
type mutNamed struct {
	ID        string
	Name      string
	Version   int
	CreatedAt time.Time
	UpdatedAt time.Time
	CreatedBy *mutRef
	UpdatedBy *mutRef
}

type mutArtist struct {
	ID        string
	Name      string
	Genre     *string
	Country   *string
	ImageURL  *string `json:"imageUrl"`
	SpotifyID *string `json:"spotifyId"`
	Brand     *mutRef
	Version   int
	CreatedAt time.Time
	UpdatedAt time.Time
	CreatedBy *mutRef
	UpdatedBy *mutRef
}

type mutTrack struct {
	ID              string
	Position        int
	Title           string
	Isrc            *string
	DurationSeconds *int
	Explicit        bool
	Version         int
	CreatedBy       *mutRef
	UpdatedBy       *mutRef
	Artists         struct {
		Edges []struct {
			Role     string
			Position int
			Node     mutRef
		}
	}
}

// credits lists a track's artists as ROLE:position:UUID.
func (tr mutTrack) credits(t *testing.T) []string {
	out := []string{}
	for _, e := range tr.Artists.Edges {
		out = append(out, fmt.Sprintf("%s:%d:%s", e.Role, e.Position, mutUUID(t, e.Node.ID)))
	}
	return out
}

type mutRelease struct {
	ID              string
	Title           string
	Type            string
	Status          string
	Upc             *string
	CatalogNumber   *string
	ReleaseDate     *string
	Genre           *string
	ArtworkURL      *string `json:"artworkUrl"`
	RejectionReason *string
	DeliveryStores  []string
	Label           *mutRef
	Brand           *mutRef
	Version         int
	CreatedAt       time.Time
	UpdatedAt       time.Time
	CreatedBy       *mutRef
	UpdatedBy       *mutRef
	Artists         struct {
		Edges []struct {
			Position int
			Node     mutRef
		}
	}
	Tracks struct {
		Edges []struct{ Node mutTrack }
	}
}

// artistUUIDs lists the release's primary artists in credit order, checking
// that positions run 1..n.
func (r mutRelease) artistUUIDs(t *testing.T) []string {
	t.Helper()
	out := []string{}
	for i, e := range r.Artists.Edges {
		if e.Position != i+1 {
			t.Errorf("release artist %d has position %d", i, e.Position)
		}
		out = append(out, mutUUID(t, e.Node.ID))
	}
	return out
}

func (r mutRelease) tracks() []mutTrack {
	out := []mutTrack{}
	for _, e := range r.Tracks.Edges {
		out = append(out, e.Node)
	}
	return out
}

// mutUUID is the UUID inside a global ID.
func mutUUID(t testing.TB, id string) string {
	t.Helper()
	_, u, err := model.DecodeID(id)
	if err != nil {
		t.Fatalf("global ID %q: %v", id, err)
	}
	return u
}

func mutDeref(s *string) string {
	if s == nil {
		return "<nil>"
	}
	return *s
}

// ---------------------------------------------------------------------------
// The SQL oracle on the fixture's database

func (f *mutationFixture) get(t *testing.T, dst any, q string, args ...any) {
	t.Helper()
	if err := f.db.GetContext(t.Context(), dst, q, args...); err != nil {
		t.Fatalf("oracle %s: %v", compact(q), err)
	}
}

func (f *mutationFixture) sel(t *testing.T, dst any, q string, args ...any) {
	t.Helper()
	if err := f.db.SelectContext(t.Context(), dst, q, args...); err != nil {
		t.Fatalf("oracle %s: %v", compact(q), err)
	}
}

func (f *mutationFixture) count(t *testing.T, q string, args ...any) int {
	t.Helper()
	var n int
	f.get(t, &n, q, args...)
	return n
}

// mutStamp is who wrote a row, when, and at which version ("" for no author).
type mutStamp struct {
	CreatedBy string    `db:"created_by"`
	UpdatedBy string    `db:"updated_by"`
	Version   int       `db:"version"`
	CreatedAt time.Time `db:"created_at"`
	UpdatedAt time.Time `db:"updated_at"`
}

// same reports whether two stamps describe the same write.
func (s mutStamp) same(o mutStamp) bool {
	return s.CreatedBy == o.CreatedBy && s.UpdatedBy == o.UpdatedBy && s.Version == o.Version &&
		s.CreatedAt.Equal(o.CreatedAt) && s.UpdatedAt.Equal(o.UpdatedAt)
}

func (f *mutationFixture) stamp(t *testing.T, table, id string) mutStamp {
	t.Helper()
	var s mutStamp
	f.get(t, &s, `SELECT coalesce(created_by::text, '') AS created_by, coalesce(updated_by::text, '') AS updated_by,
		version, created_at, updated_at FROM `+table+` WHERE id = $1`, id)
	return s
}

// wantStamp asserts a row's authors and version; createdBy "" skips that check.
func mutWantStamp(t *testing.T, what string, s mutStamp, createdBy, updatedBy string, version int) {
	t.Helper()
	if createdBy != "" && s.CreatedBy != createdBy {
		t.Errorf("%s: created_by = %q, want %s", what, s.CreatedBy, createdBy)
	}
	if s.UpdatedBy != updatedBy {
		t.Errorf("%s: updated_by = %q, want %s", what, s.UpdatedBy, updatedBy)
	}
	if s.Version != version {
		t.Errorf("%s: version = %d, want %d", what, s.Version, version)
	}
}

// wantNewer asserts that a row's updated_at moved on.
func mutWantNewer(t *testing.T, what string, before, after mutStamp) {
	t.Helper()
	if !after.UpdatedAt.After(before.UpdatedAt) {
		t.Errorf("%s: updated_at did not move: %s then %s", what, before.UpdatedAt, after.UpdatedAt)
	}
}

func mutNull(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// auditCount counts the audit rows of the tenant recording action on
// subject by actor, acting as actingAs ("" for nobody).
func (f *mutationFixture) auditCount(t *testing.T, action, subject, actor, actingAs string) int {
	t.Helper()
	return f.count(t, `SELECT count(*) FROM audit_log WHERE tenant_id = $1 AND action = $2 AND subject_id = $3::uuid
		AND actor_id IS NOT DISTINCT FROM $4::uuid AND acting_as IS NOT DISTINCT FROM $5::uuid`,
		f.tenant, action, subject, mutNull(actor), mutNull(actingAs))
}

// wantAudit asserts that exactly n such audit rows exist.
func (f *mutationFixture) wantAudit(t *testing.T, action, subject, actor, actingAs string, n int) {
	t.Helper()
	if got := f.auditCount(t, action, subject, actor, actingAs); got != n {
		var rows []string
		f.sel(t, &rows, `SELECT concat_ws(' ', action, 'actor', actor_id, 'actingAs', acting_as, 'tenant', tenant_id)
			FROM audit_log WHERE subject_id = $1::uuid ORDER BY created_at`, subject)
		t.Errorf("audit %s of %s by %s as %q: %d rows, want %d; the subject's rows: %v", action, subject, actor, actingAs, got, n, rows)
	}
}

// ---------------------------------------------------------------------------
// Making rows through the API

func (f *mutationFixture) newBrand(t *testing.T, who mutWho) string {
	t.Helper()
	var b mutNamed
	f.ok(t, who, "createBrand", map[string]any{"name": f.uniq("Mutation Brand")}, &b)
	return mutUUID(t, b.ID)
}

// newArtist creates an artist, of brand (a UUID) unless brand is "".
func (f *mutationFixture) newArtist(t *testing.T, who mutWho, brand string) string {
	t.Helper()
	fields := map[string]any{"name": f.uniq("Mutation Artist")}
	if brand != "" {
		fields["brandId"] = gid(model.TypeBrand, brand)
	}
	var a mutArtist
	f.ok(t, who, "createArtist", map[string]any{"fields": fields}, &a)
	return mutUUID(t, a.ID)
}

// invite adds a new account to acme-music and returns its user and
// membership UUIDs.
func (f *mutationFixture) invite(t *testing.T, who mutWho, role string) (user, membership string) {
	t.Helper()
	var m mutMembership
	f.ok(t, who, "inviteMember", map[string]any{"email": f.email("member"), "role": role}, &m)
	return mutUUID(t, m.User.ID), mutUUID(t, m.ID)
}

// releaseInput is a saveRelease input that passes submission checks.
func (f *mutationFixture) releaseInput(artists ...string) map[string]any {
	ids := make([]string, len(artists))
	for i, a := range artists {
		ids[i] = gid(model.TypeArtist, a)
	}
	title := f.uniq("Mutation Release")
	return map[string]any{
		"title": title, "type": "SINGLE", "upc": "036000291452", "releaseDate": "2025-09-01",
		"artworkUrl": "https://img.example.com/cover.jpg", "artistIds": ids,
		"tracks": []any{map[string]any{"title": title + " (track)", "isrc": "USAC12500001", "durationSeconds": 200}},
	}
}

// newRelease creates a complete DRAFT release.
func (f *mutationFixture) newRelease(t *testing.T, who mutWho, artist string) mutRelease {
	t.Helper()
	var r mutRelease
	f.ok(t, who, "saveRelease", f.releaseInput(artist), &r)
	return r
}

// step runs a release workflow mutation that must succeed, with expectedVersion.
func (f *mutationFixture) step(t *testing.T, who mutWho, mutation string, r mutRelease, extra map[string]any) mutRelease {
	t.Helper()
	input := map[string]any{"id": r.ID, "expectedVersion": r.Version}
	for k, v := range extra {
		input[k] = v
	}
	var out mutRelease
	f.ok(t, who, mutation, input, &out)
	return out
}

// ---------------------------------------------------------------------------
// 1 and 2. Each mutation succeeds, stamps its rows and audits.

func TestMutationInviteMember(t *testing.T) {
	f := mutSetup(t)

	t.Run("new email creates the account and the membership", func(t *testing.T) {
		email := f.email("new")
		usersBefore := f.count(t, `SELECT count(*) FROM users`)
		var m mutMembership
		res := f.ok(t, f.admin, "inviteMember", map[string]any{
			"email": email, "role": "USER", "clientMutationId": "invite-1",
			"profile": map[string]any{"firstName": "Ada", "lastName": "Lovelace", "phone": "+33612345678", "language": "fr", "websiteUrl": "https://ada.example.org"},
		}, &m)
		if mutDeref(res.ClientMutationID) != "invite-1" {
			t.Errorf("clientMutationId = %s, want invite-1", mutDeref(res.ClientMutationID))
		}
		if m.Role != "USER" || m.Status != "ACTIVE" || m.Tenant.Slug != mutTenantSlug || m.Version != 1 {
			t.Errorf("membership = %+v, want an ACTIVE USER of %s at version 1", m, mutTenantSlug)
		}
		if mutDeref(m.User.Email) != email || mutDeref(m.User.FirstName) != "Ada" || mutDeref(m.User.LastName) != "Lovelace" || m.User.IsDeleted {
			t.Errorf("membership.user = %+v, want %s Ada Lovelace", m.User, email)
		}
		userID, memberID := mutUUID(t, m.User.ID), mutUUID(t, m.ID)

		if got := f.count(t, `SELECT count(*) FROM users`); got != usersBefore+1 {
			t.Errorf("users: %d rows, want %d", got, usersBefore+1)
		}
		var row struct {
			Email    string  `db:"email"`
			First    *string `db:"first_name"`
			Phone    *string `db:"phone"`
			Language *string `db:"language_code"`
			Website  *string `db:"website_url"`
			Deleted  bool    `db:"is_deleted"`
		}
		f.get(t, &row, `SELECT email, first_name, phone, language_code, website_url, is_deleted FROM users WHERE id = $1`, userID)
		if row.Email != email || mutDeref(row.First) != "Ada" || mutDeref(row.Phone) != "+33612345678" || mutDeref(row.Language) != "fr" ||
			mutDeref(row.Website) != "https://ada.example.org" || row.Deleted {
			t.Errorf("users row = %+v", row)
		}
		mutWantStamp(t, "new users row", f.stamp(t, "users", userID), f.admin.id, f.admin.id, 1)
		var mrow struct {
			Tenant string `db:"tenant_id"`
			User   string `db:"user_id"`
			Role   string `db:"role"`
			Status string `db:"status"`
		}
		f.get(t, &mrow, `SELECT tenant_id::text AS tenant_id, user_id::text AS user_id, role, status FROM memberships WHERE id = $1`, memberID)
		if mrow.Tenant != f.tenant || mrow.User != userID || mrow.Role != "USER" || mrow.Status != "ACTIVE" {
			t.Errorf("memberships row = %+v", mrow)
		}
		mutWantStamp(t, "new memberships row", f.stamp(t, "memberships", memberID), f.admin.id, f.admin.id, 1)
		f.wantAudit(t, "member.invite", memberID, f.admin.id, "", 1)

		// The new member can sign in to the tenant.
		var v struct {
			Viewer struct {
				User *mutRef
				Role string
			}
		}
		f.read(t, f.as(t, "invited", userID), `{ viewer { user { id } role } }`, nil, &v)
		if mutRefID(v.Viewer.User) != gid(model.TypeUser, userID) || v.Viewer.Role != "USER" {
			t.Errorf("the invited member's viewer = %+v", v.Viewer)
		}
	})

	// The account joins only when its user accepts (accounts_test.go).
	t.Run("an existing account of another tenant gets a pending membership", func(t *testing.T) {
		foreign := f.foreignUser
		before := f.stamp(t, "users", foreign.ID)
		usersBefore := f.count(t, `SELECT count(*) FROM users`)
		membershipsBefore := f.count(t, `SELECT count(*) FROM memberships WHERE user_id = $1`, foreign.ID)
		var m mutMembership
		f.ok(t, f.admin, "inviteMember", map[string]any{"email": foreign.Email, "role": "ADMIN"}, &m)
		if m.User.ID != "" {
			t.Errorf("membership.user = %s, want null: the inviter does not see the invited account", decodeForHumans(m.User.ID))
		}
		if m.Role != "ADMIN" || m.Status != "PENDING" || m.Tenant.Slug != mutTenantSlug {
			t.Errorf("membership = %+v, want a PENDING ADMIN membership of %s", m, mutTenantSlug)
		}
		if got := f.count(t, `SELECT count(*) FROM users`); got != usersBefore {
			t.Errorf("users: %d rows, want %d (no new account)", got, usersBefore)
		}
		if got := f.count(t, `SELECT count(*) FROM users WHERE lower(email) = lower($1)`, foreign.Email); got != 1 {
			t.Errorf("%d accounts with %s, want 1", got, foreign.Email)
		}
		if got := f.count(t, `SELECT count(*) FROM memberships WHERE user_id = $1`, foreign.ID); got != membershipsBefore+1 {
			t.Errorf("memberships of the account: %d, want %d", got, membershipsBefore+1)
		}
		if got := f.count(t, `SELECT count(*) FROM memberships WHERE user_id = $1 AND tenant_id = $2 AND role = 'ADMIN' AND status = 'PENDING'`, foreign.ID, f.tenant); got != 1 {
			t.Errorf("%d PENDING ADMIN memberships of the account in %s, want 1", got, mutTenantSlug)
		}
		after := f.stamp(t, "users", foreign.ID)
		if after.Version != before.Version || !after.UpdatedAt.Equal(before.UpdatedAt) {
			t.Errorf("inviting an existing account changed its users row: %+v, then %+v", before, after)
		}
		memberID := mutUUID(t, m.ID)
		mutWantStamp(t, "memberships row", f.stamp(t, "memberships", memberID), f.admin.id, f.admin.id, 1)
		f.wantAudit(t, "member.invite", memberID, f.admin.id, "", 1)
	})
}

func TestMutationUpdateUser(t *testing.T) {
	f := mutSetup(t)

	t.Run("an admin changes profile fields and the email", func(t *testing.T) {
		var m mutMembership
		f.ok(t, f.admin, "inviteMember", map[string]any{"email": f.email("profile"), "profile": map[string]any{"firstName": "Grace", "lastName": "Brewster"}}, &m)
		userID := mutUUID(t, m.User.ID)
		before := f.stamp(t, "users", userID)
		newEmail := f.email("changed")
		var u mutUser
		f.ok(t, f.owner, "updateUser", map[string]any{
			"id": m.User.ID, "expectedVersion": before.Version, "email": newEmail,
			"profile": map[string]any{
				"lastName": nil, "nickname": "Amazing Grace", "phone": "+4915112345678", "language": "de",
				"twitterUrl": "https://twitter.example.com/grace", "companyIpRights": true,
			},
		}, &u)
		if mutDeref(u.Email) != newEmail || mutDeref(u.FirstName) != "Grace" || u.LastName != nil || mutDeref(u.Nickname) != "Amazing Grace" ||
			mutDeref(u.Phone) != "+4915112345678" || u.Language == nil || u.Language.Code != "de" ||
			mutDeref(u.TwitterURL) != "https://twitter.example.com/grace" || u.CompanyIPRights == nil || !*u.CompanyIPRights {
			t.Errorf("user = %+v", u)
		}
		if u.Version != before.Version+1 || mutRefID(u.UpdatedBy) != gid(model.TypeUser, f.owner.id) || mutRefID(u.CreatedBy) != gid(model.TypeUser, f.admin.id) {
			t.Errorf("user version %d updatedBy %s createdBy %s, want %d, owner, admin", u.Version, mutRefID(u.UpdatedBy), mutRefID(u.CreatedBy), before.Version+1)
		}
		if !u.UpdatedAt.After(u.CreatedAt) {
			t.Errorf("updatedAt %s is not after createdAt %s", u.UpdatedAt, u.CreatedAt)
		}
		var row struct {
			Email    string  `db:"email"`
			First    *string `db:"first_name"`
			Last     *string `db:"last_name"`
			Nick     *string `db:"nickname"`
			Phone    *string `db:"phone"`
			Language *string `db:"language_code"`
			IP       *bool   `db:"company_ip_rights"`
		}
		f.get(t, &row, `SELECT email, first_name, last_name, nickname, phone, language_code, company_ip_rights FROM users WHERE id = $1`, userID)
		if row.Email != newEmail || mutDeref(row.First) != "Grace" || row.Last != nil || mutDeref(row.Nick) != "Amazing Grace" ||
			mutDeref(row.Phone) != "+4915112345678" || mutDeref(row.Language) != "de" || row.IP == nil || !*row.IP {
			t.Errorf("users row = %+v", row)
		}
		after := f.stamp(t, "users", userID)
		mutWantStamp(t, "users row", after, f.admin.id, f.owner.id, before.Version+1)
		mutWantNewer(t, "users row", before, after)
		f.wantAudit(t, "user.update", userID, f.owner.id, "", 1)
	})

	t.Run("a USER updates their own profile", func(t *testing.T) {
		before := f.stamp(t, "users", f.user.id)
		audits := f.auditCount(t, "user.update", f.user.id, f.user.id, "")
		name := f.uniq("Self")
		var u mutUser
		f.ok(t, f.user, "updateUser", map[string]any{"id": gid(model.TypeUser, f.user.id), "profile": map[string]any{"firstName": name, "pictureUrl": "http://pics.example.com/me.png"}}, &u)
		if mutDeref(u.FirstName) != name || mutDeref(u.PictureURL) != "http://pics.example.com/me.png" || u.Version != before.Version+1 ||
			mutRefID(u.UpdatedBy) != gid(model.TypeUser, f.user.id) {
			t.Errorf("user = %+v", u)
		}
		var first string
		f.get(t, &first, `SELECT first_name FROM users WHERE id = $1`, f.user.id)
		if first != name {
			t.Errorf("users.first_name = %q, want %q", first, name)
		}
		after := f.stamp(t, "users", f.user.id)
		mutWantStamp(t, "users row", after, "", f.user.id, before.Version+1)
		mutWantNewer(t, "users row", before, after)
		f.wantAudit(t, "user.update", f.user.id, f.user.id, "", audits+1)
	})
}

func TestMutationUpdateMembership(t *testing.T) {
	f := mutSetup(t)
	userID, memberID := f.invite(t, f.owner, "USER")
	gm := gid(model.TypeMembership, memberID)
	before := f.stamp(t, "memberships", memberID)

	var m mutMembership
	f.ok(t, f.owner, "updateMembership", map[string]any{"id": gm, "expectedVersion": 1, "role": "ADMIN"}, &m)
	if m.Role != "ADMIN" || m.Status != "ACTIVE" || m.Version != 2 {
		t.Errorf("after role change: %+v, want ACTIVE ADMIN at version 2", m)
	}
	var role, status string
	f.get(t, &role, `SELECT role FROM memberships WHERE id = $1`, memberID)
	if role != "ADMIN" {
		t.Errorf("memberships.role = %s, want ADMIN", role)
	}
	afterRole := f.stamp(t, "memberships", memberID)
	mutWantStamp(t, "membership after role change", afterRole, f.owner.id, f.owner.id, 2)
	mutWantNewer(t, "membership after role change", before, afterRole)

	// An ADMIN may change another ADMIN's status.
	f.ok(t, f.admin, "updateMembership", map[string]any{"id": gm, "expectedVersion": 2, "status": "DEACTIVATED"}, &m)
	if m.Role != "ADMIN" || m.Status != "DEACTIVATED" || m.Version != 3 {
		t.Errorf("after deactivation: %+v, want DEACTIVATED ADMIN at version 3", m)
	}
	f.get(t, &status, `SELECT status FROM memberships WHERE id = $1`, memberID)
	if status != "DEACTIVATED" {
		t.Errorf("memberships.status = %s, want DEACTIVATED", status)
	}
	afterStatus := f.stamp(t, "memberships", memberID)
	mutWantStamp(t, "membership after deactivation", afterStatus, f.owner.id, f.admin.id, 3)
	mutWantNewer(t, "membership after deactivation", afterRole, afterStatus)
	f.wantAudit(t, "membership.update", memberID, f.owner.id, "", 1)
	f.wantAudit(t, "membership.update", memberID, f.admin.id, "", 1)

	// A deactivated member is refused.
	r, err := f.post(t.Context(), f.as(t, "deactivated", userID), `{ viewer { role } }`, nil)
	if err != nil {
		t.Fatal(err)
	}
	wantErrorCode(t, r, "FORBIDDEN")

	f.ok(t, f.admin, "updateMembership", map[string]any{"id": gm, "status": "ACTIVE"}, &m)
	if m.Status != "ACTIVE" || m.Version != 4 {
		t.Errorf("after reactivation: %+v, want ACTIVE at version 4", m)
	}
}

const mutMembersQuery = `query($slug: String!, $f: UserFilter) {
	tenant(slug: $slug) { members(filter: $f, includeSubsidiaries: false) { totalCount edges { node { id isDeleted } membership { id status } } } } }`

type mutMembers struct {
	Tenant struct {
		Members struct {
			TotalCount int
			Edges      []struct {
				Node struct {
					ID        string
					IsDeleted bool
				}
				Membership struct{ ID, Status string }
			}
		}
	}
}

func TestMutationTerminateUser(t *testing.T) {
	f := mutSetup(t)
	userID, memberID := f.invite(t, f.admin, "USER")
	gu := gid(model.TypeUser, userID)
	userBefore := f.stamp(t, "users", userID)
	memberBefore := f.stamp(t, "memberships", memberID)
	var listed mutMembers
	f.read(t, f.admin, mutMembersQuery, map[string]any{"slug": mutTenantSlug}, &listed)
	totalBefore := listed.Tenant.Members.TotalCount

	var u mutUser
	f.ok(t, f.admin, "terminateUser", map[string]any{"id": gu}, &u)
	if !u.IsDeleted || u.ID != gu || u.Version != userBefore.Version+1 || mutRefID(u.UpdatedBy) != gid(model.TypeUser, f.admin.id) {
		t.Errorf("terminated user = %+v, want isDeleted at version %d updated by the admin", u, userBefore.Version+1)
	}

	// Nothing is erased: the account and its membership are still there.
	var deleted bool
	f.get(t, &deleted, `SELECT is_deleted FROM users WHERE id = $1`, userID)
	if !deleted {
		t.Errorf("users.is_deleted is false after terminateUser")
	}
	userAfter := f.stamp(t, "users", userID)
	mutWantStamp(t, "terminated users row", userAfter, f.admin.id, f.admin.id, userBefore.Version+1)
	mutWantNewer(t, "terminated users row", userBefore, userAfter)
	var statuses []string
	f.sel(t, &statuses, `SELECT status FROM memberships WHERE user_id = $1`, userID)
	if !slices.Equal(statuses, []string{"DEACTIVATED"}) {
		t.Errorf("memberships of the terminated user: %v, want one DEACTIVATED", statuses)
	}
	memberAfter := f.stamp(t, "memberships", memberID)
	mutWantStamp(t, "membership of the terminated user", memberAfter, f.admin.id, f.admin.id, memberBefore.Version+1)
	mutWantNewer(t, "membership of the terminated user", memberBefore, memberAfter)
	f.wantAudit(t, "user.terminate", userID, f.admin.id, "", 1)

	// The user leaves member lists unless the filter asks for terminated users.
	f.read(t, f.admin, mutMembersQuery, map[string]any{"slug": mutTenantSlug, "f": map[string]any{"id": map[string]any{"eq": gu}}}, &listed)
	if n := listed.Tenant.Members.TotalCount; n != 0 || len(listed.Tenant.Members.Edges) != 0 {
		t.Errorf("members filtered on the terminated user: totalCount %d, %d edges, want none", n, len(listed.Tenant.Members.Edges))
	}
	f.read(t, f.admin, mutMembersQuery, map[string]any{"slug": mutTenantSlug}, &listed)
	want := f.count(t, `SELECT count(*) FROM memberships m JOIN users u ON u.id = m.user_id
		WHERE m.tenant_id = $1 AND NOT u.is_deleted AND m.status <> 'PENDING'`, f.tenant)
	if n := listed.Tenant.Members.TotalCount; n != want || n != totalBefore-1 {
		t.Errorf("members totalCount = %d, want %d (SQL) = %d - 1", n, want, totalBefore)
	}
	f.read(t, f.admin, mutMembersQuery, map[string]any{"slug": mutTenantSlug, "f": map[string]any{"id": map[string]any{"eq": gu}, "isDeleted": true}}, &listed)
	if e := listed.Tenant.Members.Edges; len(e) != 1 || e[0].Node.ID != gu || !e[0].Node.IsDeleted || e[0].Membership.Status != "DEACTIVATED" {
		t.Errorf("members with isDeleted: true = %+v, want the terminated user with a DEACTIVATED membership", listed.Tenant.Members)
	}

	// A terminated account cannot sign in.
	r, err := f.post(t.Context(), f.as(t, "terminated", userID), `{ viewer { role } }`, nil)
	if err != nil {
		t.Fatal(err)
	}
	wantErrorCode(t, r, "UNAUTHENTICATED")
}

func TestMutationBrandAccess(t *testing.T) {
	f := mutSetup(t)
	brand := f.newBrand(t, f.admin)
	userID, _ := f.invite(t, f.admin, "USER")
	gb, gu := gid(model.TypeBrand, brand), gid(model.TypeUser, userID)

	var ba mutBrandAccess
	f.ok(t, f.admin, "grantBrandAccess", map[string]any{"brandId": gb, "userId": gu, "role": "READ_ONLY"}, &ba)
	if ba.Role != "READ_ONLY" || ba.Brand.ID != gb || ba.User.ID != gu {
		t.Errorf("grant = %+v", ba)
	}
	accessID := mutUUID(t, ba.ID)
	var role string
	f.get(t, &role, `SELECT role FROM brand_access WHERE brand_id = $1 AND user_id = $2`, brand, userID)
	if role != "READ_ONLY" {
		t.Errorf("brand_access.role = %s, want READ_ONLY", role)
	}
	first := f.stamp(t, "brand_access", accessID)
	mutWantStamp(t, "brand_access row", first, f.admin.id, f.admin.id, 1)
	f.wantAudit(t, "brandAccess.grant", accessID, f.admin.id, "", 1)

	// Granting again changes the role of the same grant.
	f.ok(t, f.owner, "grantBrandAccess", map[string]any{"brandId": gb, "userId": gu, "role": "USER"}, &ba)
	if ba.ID != gid(model.TypeBrandAccess, accessID) || ba.Role != "USER" {
		t.Errorf("second grant = %+v, want the same grant with role USER", ba)
	}
	if n := f.count(t, `SELECT count(*) FROM brand_access WHERE brand_id = $1 AND user_id = $2 AND role = 'USER'`, brand, userID); n != 1 {
		t.Errorf("%d USER grants, want 1", n)
	}
	second := f.stamp(t, "brand_access", accessID)
	mutWantStamp(t, "brand_access row after the second grant", second, f.admin.id, f.owner.id, 2)
	mutWantNewer(t, "brand_access row after the second grant", first, second)
	f.wantAudit(t, "brandAccess.grant", accessID, f.owner.id, "", 1)

	f.ok(t, f.admin, "revokeBrandAccess", map[string]any{"id": ba.ID}, &ba)
	if ba.ID != gid(model.TypeBrandAccess, accessID) {
		t.Errorf("revoke returned %s, want the revoked grant", ba.ID)
	}
	if n := f.count(t, `SELECT count(*) FROM brand_access WHERE brand_id = $1 AND user_id = $2`, brand, userID); n != 0 {
		t.Errorf("%d grants left after revokeBrandAccess, want 0", n)
	}
	f.wantAudit(t, "brandAccess.revoke", accessID, f.admin.id, "", 1)
}

func TestMutationBrandAndLabel(t *testing.T) {
	f := mutSetup(t)
	for _, kind := range []struct{ create, update, table, action string }{
		{"createBrand", "updateBrand", "brands", "brand"},
		{"createLabel", "updateLabel", "labels", "label"},
	} {
		t.Run(kind.table, func(t *testing.T) {
			name := f.uniq("Mutation " + kind.action)
			var n mutNamed
			res := f.ok(t, f.admin, kind.create, map[string]any{"name": "  " + name + " ", "clientMutationId": "c-" + kind.action}, &n)
			if mutDeref(res.ClientMutationID) != "c-"+kind.action {
				t.Errorf("clientMutationId = %s", mutDeref(res.ClientMutationID))
			}
			if n.Name != name || n.Version != 1 || mutRefID(n.CreatedBy) != gid(model.TypeUser, f.admin.id) || mutRefID(n.UpdatedBy) != gid(model.TypeUser, f.admin.id) {
				t.Errorf("created %s = %+v, want %q at version 1 by the admin", kind.action, n, name)
			}
			id := mutUUID(t, n.ID)
			var row struct {
				Tenant string `db:"tenant_id"`
				Name   string `db:"name"`
			}
			f.get(t, &row, `SELECT tenant_id::text AS tenant_id, name FROM `+kind.table+` WHERE id = $1`, id)
			if row.Tenant != f.tenant || row.Name != name {
				t.Errorf("%s row = %+v, want %q in %s", kind.table, row, name, f.tenant)
			}
			before := f.stamp(t, kind.table, id)
			mutWantStamp(t, kind.table+" row", before, f.admin.id, f.admin.id, 1)
			f.wantAudit(t, kind.action+".create", id, f.admin.id, "", 1)

			renamed := name + " renamed"
			f.ok(t, f.owner, kind.update, map[string]any{"id": n.ID, "expectedVersion": 1, "name": renamed}, &n)
			if n.Name != renamed || n.Version != 2 || mutRefID(n.UpdatedBy) != gid(model.TypeUser, f.owner.id) || mutRefID(n.CreatedBy) != gid(model.TypeUser, f.admin.id) {
				t.Errorf("updated %s = %+v, want %q at version 2 updated by the owner", kind.action, n, renamed)
			}
			f.get(t, &row, `SELECT tenant_id::text AS tenant_id, name FROM `+kind.table+` WHERE id = $1`, id)
			if row.Name != renamed {
				t.Errorf("%s.name = %q, want %q", kind.table, row.Name, renamed)
			}
			after := f.stamp(t, kind.table, id)
			mutWantStamp(t, kind.table+" row after update", after, f.admin.id, f.owner.id, 2)
			mutWantNewer(t, kind.table+" row", before, after)
			f.wantAudit(t, kind.action+".update", id, f.owner.id, "", 1)
		})
	}
}

func TestMutationArtist(t *testing.T) {
	f := mutSetup(t)
	name := f.uniq("Mutation Artist")
	var a mutArtist
	f.ok(t, f.admin, "createArtist", map[string]any{"fields": map[string]any{
		"name": name, "genre": "Jazz", "country": "FR", "imageUrl": "https://img.example.com/a.png",
		"spotifyId": "sp123", "brandId": gid(model.TypeBrand, f.brand),
	}}, &a)
	if a.Name != name || mutDeref(a.Genre) != "Jazz" || mutDeref(a.Country) != "FR" || mutDeref(a.ImageURL) != "https://img.example.com/a.png" ||
		mutDeref(a.SpotifyID) != "sp123" || mutRefID(a.Brand) != gid(model.TypeBrand, f.brand) || a.Version != 1 ||
		mutRefID(a.CreatedBy) != gid(model.TypeUser, f.admin.id) || mutRefID(a.UpdatedBy) != gid(model.TypeUser, f.admin.id) {
		t.Errorf("created artist = %+v", a)
	}
	id := mutUUID(t, a.ID)
	var row struct {
		Tenant  string  `db:"tenant_id"`
		Brand   *string `db:"brand_id"`
		Name    string  `db:"name"`
		Genre   *string `db:"genre"`
		Country *string `db:"country"`
	}
	q := `SELECT tenant_id::text AS tenant_id, brand_id::text AS brand_id, name, genre, country FROM artists WHERE id = $1`
	f.get(t, &row, q, id)
	if row.Tenant != f.tenant || mutDeref(row.Brand) != f.brand || row.Name != name || mutDeref(row.Genre) != "Jazz" || mutDeref(row.Country) != "FR" {
		t.Errorf("artists row = %+v", row)
	}
	before := f.stamp(t, "artists", id)
	mutWantStamp(t, "artists row", before, f.admin.id, f.admin.id, 1)
	f.wantAudit(t, "artist.create", id, f.admin.id, "", 1)

	f.ok(t, f.owner, "updateArtist", map[string]any{"id": a.ID, "expectedVersion": 1, "fields": map[string]any{"name": name + " II", "country": "SE", "genre": nil}}, &a)
	if a.Name != name+" II" || mutDeref(a.Country) != "SE" || a.Genre != nil || mutRefID(a.Brand) != gid(model.TypeBrand, f.brand) ||
		a.Version != 2 || mutRefID(a.UpdatedBy) != gid(model.TypeUser, f.owner.id) {
		t.Errorf("updated artist = %+v", a)
	}
	f.get(t, &row, q, id)
	if row.Name != name+" II" || mutDeref(row.Country) != "SE" || row.Genre != nil || mutDeref(row.Brand) != f.brand {
		t.Errorf("artists row after update = %+v", row)
	}
	after := f.stamp(t, "artists", id)
	mutWantStamp(t, "artists row after update", after, f.admin.id, f.owner.id, 2)
	mutWantNewer(t, "artists row", before, after)
	f.wantAudit(t, "artist.update", id, f.owner.id, "", 1)
}

// trackRows reads a release's tracks in running order from SQL.
type mutTrackRow struct {
	ID       string `db:"id"`
	Position int    `db:"position"`
	Title    string `db:"title"`
	Isrc     string `db:"isrc"`             // "" for none
	Duration int    `db:"duration_seconds"` // 0 for none
	Explicit bool   `db:"explicit"`
}

func (f *mutationFixture) trackRows(t *testing.T, release string) []mutTrackRow {
	t.Helper()
	var rows []mutTrackRow
	f.sel(t, &rows, `SELECT id::text AS id, position, title, coalesce(isrc, '') AS isrc,
		coalesce(duration_seconds, 0) AS duration_seconds, explicit FROM tracks WHERE release_id = $1 ORDER BY position`, release)
	return rows
}

func (f *mutationFixture) releaseArtists(t *testing.T, release string) []string {
	t.Helper()
	var ids []string
	f.sel(t, &ids, `SELECT artist_id::text FROM release_artists WHERE release_id = $1 ORDER BY position`, release)
	return ids
}

func (f *mutationFixture) trackCredits(t *testing.T, track string) []string {
	t.Helper()
	out := []string{}
	f.sel(t, &out, `SELECT role || ':' || position || ':' || artist_id FROM track_artists WHERE track_id = $1 ORDER BY position`, track)
	return out
}

func TestMutationSaveRelease(t *testing.T) {
	f := mutSetup(t)
	a1, a2, a3 := f.newArtist(t, f.admin, ""), f.newArtist(t, f.admin, ""), f.newArtist(t, f.admin, "")
	ga := func(id string) string { return gid(model.TypeArtist, id) }
	var label mutNamed
	f.ok(t, f.admin, "createLabel", map[string]any{"name": f.uniq("Mutation Label")}, &label)
	title := f.uniq("Mutation EP")

	var r mutRelease
	res := f.ok(t, f.admin, "saveRelease", map[string]any{
		"title": title, "type": "EP", "upc": "036000291452", "catalogNumber": "MUT-001", "releaseDate": "2025-06-01",
		"genre": "Pop", "artworkUrl": "https://img.example.com/ep.jpg", "labelId": label.ID, "brandId": gid(model.TypeBrand, f.brand),
		"artistIds": []string{ga(a2), ga(a1)}, "clientMutationId": "save-1",
		"tracks": []any{
			map[string]any{"title": "One", "isrc": "USAC12500001", "durationSeconds": 180, "explicit": true},
			map[string]any{"title": "Two", "isrc": "US-AC1-25-00002", "durationSeconds": 200, "artistIds": []string{ga(a3)}, "featuredArtistIds": []string{ga(a1)}},
			map[string]any{"title": "Three", "featuredArtistIds": []string{ga(a3), ga(a2)}},
		},
	}, &r)
	if mutDeref(res.ClientMutationID) != "save-1" {
		t.Errorf("clientMutationId = %s", mutDeref(res.ClientMutationID))
	}
	if r.Title != title || r.Type != "EP" || r.Status != "DRAFT" || mutDeref(r.Upc) != "036000291452" || mutDeref(r.CatalogNumber) != "MUT-001" ||
		mutDeref(r.ReleaseDate) != "2025-06-01" || mutDeref(r.Genre) != "Pop" || mutDeref(r.ArtworkURL) != "https://img.example.com/ep.jpg" ||
		mutRefID(r.Label) != label.ID || mutRefID(r.Brand) != gid(model.TypeBrand, f.brand) || r.Version != 1 ||
		mutRefID(r.CreatedBy) != gid(model.TypeUser, f.admin.id) || mutRefID(r.UpdatedBy) != gid(model.TypeUser, f.admin.id) {
		t.Errorf("created release = %+v", r)
	}
	if got := r.artistUUIDs(t); !slices.Equal(got, []string{a2, a1}) {
		t.Errorf("release artists = %v, want %v", got, []string{a2, a1})
	}
	tracks := r.tracks()
	if len(tracks) != 3 {
		t.Fatalf("release has %d tracks, want 3: %+v", len(tracks), tracks)
	}
	wantTitles := []string{"One", "Two", "Three"}
	for i, tr := range tracks {
		if tr.Position != i+1 || tr.Title != wantTitles[i] || tr.Version != 1 || mutRefID(tr.CreatedBy) != gid(model.TypeUser, f.admin.id) {
			t.Errorf("track %d = %+v, want %q at position %d", i, tr, wantTitles[i], i+1)
		}
	}
	if mutDeref(tracks[0].Isrc) != "USAC12500001" || tracks[0].DurationSeconds == nil || *tracks[0].DurationSeconds != 180 || !tracks[0].Explicit {
		t.Errorf("track 1 = %+v", tracks[0])
	}
	if mutDeref(tracks[1].Isrc) != "USAC12500002" || tracks[1].Explicit {
		t.Errorf("track 2 = %+v, want the ISRC normalised to USAC12500002", tracks[1])
	}
	wantCredits := [][]string{
		{"PRIMARY:1:" + a2, "PRIMARY:2:" + a1},
		{"PRIMARY:1:" + a3, "FEATURED:2:" + a1},
		// A featured artist who is already primary is credited once.
		{"PRIMARY:1:" + a2, "PRIMARY:2:" + a1, "FEATURED:3:" + a3},
	}
	for i, tr := range tracks {
		if got := tr.credits(t); !slices.Equal(got, wantCredits[i]) {
			t.Errorf("track %d credits = %v, want %v", i+1, got, wantCredits[i])
		}
	}

	releaseID := mutUUID(t, r.ID)
	var rrow struct {
		Tenant string  `db:"tenant_id"`
		Status string  `db:"status"`
		Title  string  `db:"title"`
		Upc    *string `db:"upc"`
		Label  *string `db:"label_id"`
		Brand  *string `db:"brand_id"`
		Date   *string `db:"release_date"`
	}
	rq := `SELECT tenant_id::text AS tenant_id, status, title, upc, label_id::text AS label_id, brand_id::text AS brand_id,
		release_date::text AS release_date FROM releases WHERE id = $1`
	f.get(t, &rrow, rq, releaseID)
	if rrow.Tenant != f.tenant || rrow.Status != "DRAFT" || rrow.Title != title || mutDeref(rrow.Upc) != "036000291452" ||
		mutDeref(rrow.Label) != mutUUID(t, label.ID) || mutDeref(rrow.Brand) != f.brand || mutDeref(rrow.Date) != "2025-06-01" {
		t.Errorf("releases row = %+v", rrow)
	}
	mutWantStamp(t, "releases row", f.stamp(t, "releases", releaseID), f.admin.id, f.admin.id, 1)
	if got := f.releaseArtists(t, releaseID); !slices.Equal(got, []string{a2, a1}) {
		t.Errorf("release_artists = %v, want %v", got, []string{a2, a1})
	}
	rows := f.trackRows(t, releaseID)
	if len(rows) != 3 {
		t.Fatalf("tracks rows = %+v, want 3", rows)
	}
	for i, row := range rows {
		if row.ID != mutUUID(t, tracks[i].ID) || row.Position != i+1 || row.Title != wantTitles[i] {
			t.Errorf("tracks row %d = %+v, want %s %q", i, row, tracks[i].ID, wantTitles[i])
		}
		mutWantStamp(t, "tracks row", f.stamp(t, "tracks", row.ID), f.admin.id, f.admin.id, 1)
		if got := f.trackCredits(t, row.ID); !slices.Equal(got, wantCredits[i]) {
			t.Errorf("track_artists of track %d = %v, want %v", i+1, got, wantCredits[i])
		}
	}
	if rows[1].Isrc != "USAC12500002" {
		t.Errorf("tracks.isrc = %s, want USAC12500002", rows[1].Isrc)
	}
	f.wantAudit(t, "release.create", releaseID, f.admin.id, "", 1)

	// One update: new title and artists, track 3 moves first and changes,
	// a new track, track 1 last, track 2 removed.
	t1, t2, t3 := mutUUID(t, tracks[0].ID), mutUUID(t, tracks[1].ID), mutUUID(t, tracks[2].ID)
	before := f.stamp(t, "releases", releaseID)
	f.ok(t, f.owner, "saveRelease", map[string]any{
		"id": r.ID, "expectedVersion": 1, "title": title + " v2", "type": "EP", "upc": "4006381333931", "releaseDate": "2025-07-01",
		"artworkUrl": "https://img.example.com/ep2.jpg", "labelId": label.ID, "brandId": gid(model.TypeBrand, f.brand),
		"artistIds": []string{ga(a1), ga(a3)},
		"tracks": []any{
			map[string]any{"id": tracks[2].ID, "title": "Three (edit)", "featuredArtistIds": []string{ga(a2)}},
			map[string]any{"title": "Four", "isrc": "USAC12500004", "durationSeconds": 240},
			map[string]any{"id": tracks[0].ID, "title": "One", "isrc": "USAC12500001", "durationSeconds": 181, "explicit": true},
		},
	}, &r)
	if r.Title != title+" v2" || r.Status != "DRAFT" || mutDeref(r.Upc) != "4006381333931" || r.Version != 2 ||
		mutRefID(r.UpdatedBy) != gid(model.TypeUser, f.owner.id) || mutRefID(r.CreatedBy) != gid(model.TypeUser, f.admin.id) {
		t.Errorf("updated release = %+v", r)
	}
	if got := r.artistUUIDs(t); !slices.Equal(got, []string{a1, a3}) {
		t.Errorf("release artists after update = %v, want %v", got, []string{a1, a3})
	}
	tracks = r.tracks()
	if len(tracks) != 3 {
		t.Fatalf("release has %d tracks after update, want 3: %+v", len(tracks), tracks)
	}
	t4 := mutUUID(t, tracks[1].ID)
	wantIDs := []string{t3, t4, t1}
	wantTitles = []string{"Three (edit)", "Four", "One"}
	wantCredits = [][]string{
		{"PRIMARY:1:" + a1, "PRIMARY:2:" + a3, "FEATURED:3:" + a2},
		{"PRIMARY:1:" + a1, "PRIMARY:2:" + a3},
		{"PRIMARY:1:" + a1, "PRIMARY:2:" + a3},
	}
	for i, tr := range tracks {
		if mutUUID(t, tr.ID) != wantIDs[i] || tr.Position != i+1 || tr.Title != wantTitles[i] {
			t.Errorf("track %d after update = %s %q at %d, want %s %q", i, tr.ID, tr.Title, tr.Position, wantIDs[i], wantTitles[i])
		}
		if got := tr.credits(t); !slices.Equal(got, wantCredits[i]) {
			t.Errorf("track %d credits after update = %v, want %v", i+1, got, wantCredits[i])
		}
	}
	if t4 == t2 || t4 == t1 || t4 == t3 {
		t.Errorf("the new track reused an existing ID %s", t4)
	}
	if tracks[2].DurationSeconds == nil || *tracks[2].DurationSeconds != 181 {
		t.Errorf("moved track 'One' = %+v, want duration 181", tracks[2])
	}

	after := f.stamp(t, "releases", releaseID)
	mutWantStamp(t, "releases row after update", after, f.admin.id, f.owner.id, 2)
	mutWantNewer(t, "releases row", before, after)
	f.get(t, &rrow, rq, releaseID)
	if rrow.Title != title+" v2" || mutDeref(rrow.Upc) != "4006381333931" || mutDeref(rrow.Date) != "2025-07-01" {
		t.Errorf("releases row after update = %+v", rrow)
	}
	if got := f.releaseArtists(t, releaseID); !slices.Equal(got, []string{a1, a3}) {
		t.Errorf("release_artists after update = %v, want %v", got, []string{a1, a3})
	}
	rows = f.trackRows(t, releaseID)
	gotIDs := []string{}
	for i, row := range rows {
		gotIDs = append(gotIDs, row.ID)
		if i < len(wantTitles) && (row.Position != i+1 || row.Title != wantTitles[i]) {
			t.Errorf("tracks row %d after update = %+v, want %q", i, row, wantTitles[i])
		}
		if i < len(wantCredits) {
			if got := f.trackCredits(t, row.ID); !slices.Equal(got, wantCredits[i]) {
				t.Errorf("track_artists of track %d after update = %v, want %v", i+1, got, wantCredits[i])
			}
		}
	}
	if !slices.Equal(gotIDs, wantIDs) {
		t.Errorf("tracks rows after update = %v, want %v", gotIDs, wantIDs)
	}
	if n := f.count(t, `SELECT count(*) FROM tracks WHERE id = $1`, t2); n != 0 {
		t.Errorf("the removed track is still in the database")
	}
	if n := f.count(t, `SELECT count(*) FROM track_artists WHERE track_id = $1`, t2); n != 0 {
		t.Errorf("the removed track still has %d credits", n)
	}
	mutWantStamp(t, "kept track Three", f.stamp(t, "tracks", t3), f.admin.id, f.owner.id, 2)
	mutWantStamp(t, "kept track One", f.stamp(t, "tracks", t1), f.admin.id, f.owner.id, 2)
	mutWantStamp(t, "new track Four", f.stamp(t, "tracks", t4), f.owner.id, f.owner.id, 1)
	f.wantAudit(t, "release.update", releaseID, f.owner.id, "", 1)
}

func TestMutationReleaseWorkflow(t *testing.T) {
	f := mutSetup(t)
	artist := f.newArtist(t, f.admin, "")

	t.Run("submit, approve, queue, change stores, deliver, take down", func(t *testing.T) {
		r := f.newRelease(t, f.admin, artist)
		id := mutUUID(t, r.ID)
		stores := func(r mutRelease) []string { s := slices.Clone(r.DeliveryStores); slices.Sort(s); return s }
		dbStores := func() []string {
			var s []string
			f.sel(t, &s, `SELECT store FROM release_deliveries WHERE release_id = $1 AND removed_at IS NULL ORDER BY store`, id)
			return s
		}
		steps := []struct {
			mutation, action string
			extra            map[string]any
			status           string
			stores           []string
		}{
			{"submitRelease", "release.submit", nil, "SUBMITTED", nil},
			{"approveRelease", "release.approve", nil, "APPROVED", nil},
			{"queueRelease", "release.queue", map[string]any{"stores": []string{"SPOTIFY", "DEEZER"}}, "QUEUED", []string{"DEEZER", "SPOTIFY"}},
			{"addDeliveryStores", "release.addStores", map[string]any{"stores": []string{"TIDAL"}}, "QUEUED", []string{"DEEZER", "SPOTIFY", "TIDAL"}},
			{"removeDeliveryStores", "release.dropStores", map[string]any{"stores": []string{"DEEZER"}}, "QUEUED", []string{"SPOTIFY", "TIDAL"}},
			{"markReleaseDelivered", "release.delivered", nil, "DELIVERED", []string{"SPOTIFY", "TIDAL"}},
			{"takeDownRelease", "release.takeDown", nil, "TAKEN_DOWN", nil},
		}
		for i, s := range steps {
			who := f.admin
			if i%2 == 1 {
				who = f.owner
			}
			before := f.stamp(t, "releases", id)
			r = f.step(t, who, s.mutation, r, s.extra)
			if r.Status != s.status || r.Version != before.Version+1 || mutRefID(r.UpdatedBy) != gid(model.TypeUser, who.id) {
				t.Errorf("%s: status %s version %d updatedBy %s, want %s at %d by %s", s.mutation, r.Status, r.Version, mutRefID(r.UpdatedBy), s.status, before.Version+1, who.name)
			}
			if got := stores(r); !slices.Equal(got, s.stores) {
				t.Errorf("%s: deliveryStores = %v, want %v", s.mutation, got, s.stores)
			}
			var status string
			f.get(t, &status, `SELECT status FROM releases WHERE id = $1`, id)
			if status != s.status {
				t.Errorf("%s: releases.status = %s, want %s", s.mutation, status, s.status)
			}
			if got := dbStores(); !slices.Equal(got, s.stores) {
				t.Errorf("%s: stores in release_deliveries = %v, want %v", s.mutation, got, s.stores)
			}
			after := f.stamp(t, "releases", id)
			mutWantStamp(t, s.mutation, after, f.admin.id, who.id, before.Version+1)
			mutWantNewer(t, s.mutation, before, after)
			f.wantAudit(t, s.action, id, who.id, "", 1)
		}
		// Taken down: every delivery row is kept and closed.
		if n := f.count(t, `SELECT count(*) FROM release_deliveries WHERE release_id = $1 AND removed_at IS NOT NULL`, id); n != 3 {
			t.Errorf("%d closed deliveries after take-down, want 3 (SPOTIFY, DEEZER, TIDAL)", n)
		}
		// A taken-down release may be queued again.
		r = f.step(t, f.admin, "queueRelease", r, map[string]any{"stores": []string{"APPLE_MUSIC"}})
		if r.Status != "QUEUED" || !slices.Equal(stores(r), []string{"APPLE_MUSIC"}) || !slices.Equal(dbStores(), []string{"APPLE_MUSIC"}) {
			t.Errorf("queued again: %s %v (db %v), want QUEUED [APPLE_MUSIC]", r.Status, r.DeliveryStores, dbStores())
		}
	})

	t.Run("reject with a reason, then edit back to DRAFT", func(t *testing.T) {
		input := f.releaseInput(artist)
		var r mutRelease
		f.ok(t, f.admin, "saveRelease", input, &r)
		id := mutUUID(t, r.ID)
		r = f.step(t, f.admin, "submitRelease", r, nil)
		reason := "The artwork is under 3000x3000 pixels"
		r = f.step(t, f.owner, "rejectRelease", r, map[string]any{"reason": reason})
		if r.Status != "REJECTED" || mutDeref(r.RejectionReason) != reason || r.Version != 3 {
			t.Errorf("rejected release: %s %q version %d, want REJECTED %q at 3", r.Status, mutDeref(r.RejectionReason), r.Version, reason)
		}
		var row struct {
			Status string  `db:"status"`
			Reason *string `db:"rejection_reason"`
		}
		f.get(t, &row, `SELECT status, rejection_reason FROM releases WHERE id = $1`, id)
		if row.Status != "REJECTED" || mutDeref(row.Reason) != reason {
			t.Errorf("releases row = %+v, want REJECTED with the reason", row)
		}
		mutWantStamp(t, "rejected release", f.stamp(t, "releases", id), f.admin.id, f.owner.id, 3)
		f.wantAudit(t, "release.reject", id, f.owner.id, "", 1)

		input["id"], input["expectedVersion"], input["artworkUrl"] = r.ID, 3, "https://img.example.com/cover-3000.jpg"
		f.ok(t, f.admin, "saveRelease", input, &r)
		if r.Status != "DRAFT" || r.RejectionReason != nil || r.Version != 4 {
			t.Errorf("edited rejected release: %s %q version %d, want DRAFT without reason at 4", r.Status, mutDeref(r.RejectionReason), r.Version)
		}
		f.get(t, &row, `SELECT status, rejection_reason FROM releases WHERE id = $1`, id)
		if row.Status != "DRAFT" || row.Reason != nil {
			t.Errorf("releases row after edit = %+v, want DRAFT without reason", row)
		}
		// And it can be submitted again.
		r = f.step(t, f.admin, "submitRelease", r, nil)
		if r.Status != "SUBMITTED" {
			t.Errorf("resubmitted release is %s", r.Status)
		}
	})
}

// 2. With enterprise-id the acting user is stamped; the audit keeps both.
func TestMutationImpersonationIsAudited(t *testing.T) {
	f := mutSetup(t)
	asAdmin := f.owner.impersonating(f.admin)
	var b mutNamed
	f.ok(t, asAdmin, "createBrand", map[string]any{"name": f.uniq("Impersonated Brand")}, &b)
	if mutRefID(b.CreatedBy) != gid(model.TypeUser, f.admin.id) || mutRefID(b.UpdatedBy) != gid(model.TypeUser, f.admin.id) {
		t.Errorf("brand createdBy %s updatedBy %s, want the impersonated admin", mutRefID(b.CreatedBy), mutRefID(b.UpdatedBy))
	}
	id := mutUUID(t, b.ID)
	mutWantStamp(t, "brands row", f.stamp(t, "brands", id), f.admin.id, f.admin.id, 1)
	f.wantAudit(t, "brand.create", id, f.owner.id, f.admin.id, 1)

	asUser := f.admin.impersonating(f.user)
	before := f.stamp(t, "users", f.user.id)
	f.ok(t, asUser, "updateUser", map[string]any{"id": gid(model.TypeUser, f.user.id), "profile": map[string]any{"nickname": f.uniq("nick")}}, nil)
	mutWantStamp(t, "users row", f.stamp(t, "users", f.user.id), "", f.user.id, before.Version+1)
	f.wantAudit(t, "user.update", f.user.id, f.admin.id, f.user.id, 1)

	// Impersonating a USER gives a USER's rights.
	f.forbidden(t, asUser, "createBrand", map[string]any{"name": f.uniq("Refused Brand")})
}

// ---------------------------------------------------------------------------
// 3. User errors, and nothing half-written.

func TestMutationUserErrors(t *testing.T) {
	f := mutSetup(t)
	artist := f.newArtist(t, f.admin, "")
	ga := gid(model.TypeArtist, artist)
	gself := gid(model.TypeUser, f.user.id)
	long := func(n int) string { return strings.Repeat("x", n) }

	t.Run("invalid email", func(t *testing.T) {
		for _, email := range []string{"not-an-email", "a@b", "Ada <ada@example.org>", "two@@example.org"} {
			res := f.fails(t, f.admin, "inviteMember", map[string]any{"email": email})
			mutWantUserError(t, res, "INVALID", "input", "email")
		}
		res := f.fails(t, f.admin, "inviteMember", map[string]any{"email": "  "})
		mutWantUserError(t, res, "REQUIRED", "input", "email")
		res = f.fails(t, f.user, "updateUser", map[string]any{"id": gself, "email": "nobody"})
		mutWantUserError(t, res, "INVALID", "input", "email")
	})

	t.Run("email of another account is taken", func(t *testing.T) {
		userID, _ := f.invite(t, f.admin, "USER")
		before := f.stamp(t, "users", userID)
		var adminEmail, email string
		f.get(t, &adminEmail, `SELECT email FROM users WHERE id = $1`, f.admin.id)
		res := f.fails(t, f.admin, "updateUser", map[string]any{"id": gid(model.TypeUser, userID), "email": strings.ToUpper(adminEmail)})
		mutWantUserError(t, res, "TAKEN", "input", "email")
		f.get(t, &email, `SELECT email FROM users WHERE id = $1`, userID)
		if strings.EqualFold(email, adminEmail) || f.stamp(t, "users", userID).Version != before.Version {
			t.Errorf("a refused email change was written: email %s", email)
		}
	})

	t.Run("already a member", func(t *testing.T) {
		var email string
		f.get(t, &email, `SELECT email FROM users WHERE id = $1`, f.user.id)
		before := f.count(t, `SELECT count(*) FROM memberships WHERE user_id = $1`, f.user.id)
		res := f.fails(t, f.admin, "inviteMember", map[string]any{"email": email})
		mutWantUserError(t, res, "TAKEN", "input", "email")
		if n := f.count(t, `SELECT count(*) FROM memberships WHERE user_id = $1`, f.user.id); n != before {
			t.Errorf("memberships of the member: %d, want %d", n, before)
		}
	})

	t.Run("URLs must be http(s)", func(t *testing.T) {
		for field, url := range map[string]string{
			"websiteUrl": "ftp://example.org/site", "pictureUrl": "javascript:alert(1)",
			"instagramUrl": "instagram.com/someone", "companyLogoUrl": "https://",
		} {
			res := f.fails(t, f.user, "updateUser", map[string]any{"id": gself, "profile": map[string]any{field: url}})
			mutWantUserError(t, res, "INVALID", "input", "profile", field)
		}
		res := f.fails(t, f.admin, "createArtist", map[string]any{"fields": map[string]any{"name": f.uniq("Artist"), "imageUrl": "data:image/png;base64,AAAA"}})
		mutWantUserError(t, res, "INVALID", "input", "fields", "imageUrl")
		in := f.releaseInput(artist)
		in["artworkUrl"] = "file:///etc/passwd"
		res = f.fails(t, f.admin, "saveRelease", in)
		mutWantUserError(t, res, "INVALID", "input", "artworkUrl")
	})

	t.Run("phone must be E.164", func(t *testing.T) {
		for _, phone := range []string{"0612345678", "+33 6 12 34 56 78", "+0612345678", "+33"} {
			res := f.fails(t, f.user, "updateUser", map[string]any{"id": gself, "profile": map[string]any{"phone": phone}})
			mutWantUserError(t, res, "INVALID", "input", "profile", "phone")
		}
	})

	t.Run("malformed language code", func(t *testing.T) {
		res := f.fails(t, f.user, "updateUser", map[string]any{"id": gself, "profile": map[string]any{"language": "French"}})
		mutWantUserError(t, res, "INVALID", "input", "profile", "language")
	})

	t.Run("unknown language code", func(t *testing.T) {
		// Well-formed but not in the languages table.
		before := f.stamp(t, "users", f.user.id)
		res := f.fails(t, f.user, "updateUser", map[string]any{"id": gself, "profile": map[string]any{"language": "xx"}})
		mutWantLanguageError(t, res)
		if f.stamp(t, "users", f.user.id).Version != before.Version {
			t.Errorf("a refused language change was written")
		}
		email := f.email("lang")
		res = f.fails(t, f.admin, "inviteMember", map[string]any{"email": email, "profile": map[string]any{"language": "zz"}})
		mutWantLanguageError(t, res)
		if n := f.count(t, `SELECT count(*) FROM users WHERE email = $1`, email); n != 0 {
			t.Errorf("a refused invitation created the account")
		}
	})

	t.Run("too-long names", func(t *testing.T) {
		res := f.fails(t, f.user, "updateUser", map[string]any{"id": gself, "profile": map[string]any{"firstName": long(101)}})
		mutWantUserError(t, res, "INVALID", "input", "profile", "firstName")
		res = f.fails(t, f.user, "updateUser", map[string]any{"id": gself, "profile": map[string]any{"lastName": long(101), "biography": long(5001)}})
		mutWantUserError(t, res, "INVALID", "input", "profile", "lastName")
		mutWantUserError(t, res, "INVALID", "input", "profile", "biography")
		res = f.fails(t, f.admin, "createBrand", map[string]any{"name": long(201)})
		mutWantUserError(t, res, "INVALID", "input", "name")
		res = f.fails(t, f.admin, "createLabel", map[string]any{"name": long(201)})
		mutWantUserError(t, res, "INVALID", "input", "name")
		res = f.fails(t, f.admin, "createArtist", map[string]any{"fields": map[string]any{"name": long(301)}})
		mutWantUserError(t, res, "INVALID", "input", "fields", "name")
		in := f.releaseInput(artist)
		in["title"] = long(501)
		res = f.fails(t, f.admin, "saveRelease", in)
		mutWantUserError(t, res, "INVALID", "input", "title")
		// At the limit is fine.
		var b mutNamed
		name := (fmt.Sprintf("%d-", f.seq.Add(1)) + long(200))[:200]
		f.ok(t, f.admin, "createBrand", map[string]any{"name": name}, &b)
		if b.Name != name {
			t.Errorf("a 200-character brand name came back as %q", b.Name)
		}
	})

	t.Run("empty names are REQUIRED", func(t *testing.T) {
		for _, name := range []string{"", "   "} {
			res := f.fails(t, f.admin, "createBrand", map[string]any{"name": name})
			mutWantUserError(t, res, "REQUIRED", "input", "name")
			res = f.fails(t, f.admin, "createLabel", map[string]any{"name": name})
			mutWantUserError(t, res, "REQUIRED", "input", "name")
			res = f.fails(t, f.admin, "createArtist", map[string]any{"fields": map[string]any{"name": name}})
			mutWantUserError(t, res, "REQUIRED", "input", "fields", "name")
			in := f.releaseInput(artist)
			in["title"] = name
			res = f.fails(t, f.admin, "saveRelease", in)
			mutWantUserError(t, res, "REQUIRED", "input", "title")
		}
		res := f.fails(t, f.admin, "createArtist", map[string]any{"fields": map[string]any{"genre": "Jazz"}})
		mutWantUserError(t, res, "REQUIRED", "input", "fields", "name")
		res = f.fails(t, f.admin, "updateArtist", map[string]any{"id": ga, "fields": map[string]any{"name": nil}})
		mutWantUserError(t, res, "REQUIRED", "input", "fields", "name")
		in := f.releaseInput(artist)
		in["artistIds"] = []string{}
		res = f.fails(t, f.admin, "saveRelease", in)
		mutWantUserError(t, res, "REQUIRED", "input", "artistIds")
	})

	t.Run("duplicate brand name is TAKEN", func(t *testing.T) {
		var existing string
		f.get(t, &existing, `SELECT name FROM brands WHERE id = $1`, f.brand)
		before := f.count(t, `SELECT count(*) FROM brands WHERE tenant_id = $1`, f.tenant)
		res := f.fails(t, f.admin, "createBrand", map[string]any{"name": existing})
		mutWantUserError(t, res, "TAKEN", "input", "name")
		if n := f.count(t, `SELECT count(*) FROM brands WHERE tenant_id = $1`, f.tenant); n != before {
			t.Errorf("brands: %d, want %d", n, before)
		}
		other := f.newBrand(t, f.admin)
		res = f.fails(t, f.admin, "updateBrand", map[string]any{"id": gid(model.TypeBrand, other), "name": existing})
		mutWantUserError(t, res, "TAKEN", "input", "name")
		mutWantStamp(t, "brand renamed to a taken name", f.stamp(t, "brands", other), f.admin.id, f.admin.id, 1)
	})

	t.Run("UPC check digit", func(t *testing.T) {
		in := f.releaseInput(artist)
		title := in["title"].(string)
		for _, upc := range []string{"036000291453", "03600029145", "03600029145X", "4006381333932"} {
			in["upc"] = upc
			res := f.fails(t, f.admin, "saveRelease", in)
			mutWantUserError(t, res, "INVALID", "input", "upc")
		}
		if n := f.count(t, `SELECT count(*) FROM releases WHERE title = $1`, title); n != 0 {
			t.Errorf("a release with a bad UPC was written")
		}
		in["upc"] = "036000291452"
		var r mutRelease
		f.ok(t, f.admin, "saveRelease", in, &r)
		var upc string
		f.get(t, &upc, `SELECT upc FROM releases WHERE id = $1`, mutUUID(t, r.ID))
		if mutDeref(r.Upc) != "036000291452" || upc != "036000291452" {
			t.Errorf("upc = %s (db %s), want 036000291452", mutDeref(r.Upc), upc)
		}
	})

	t.Run("ISRC and duration", func(t *testing.T) {
		in := f.releaseInput(artist)
		in["tracks"] = []any{
			map[string]any{"title": "ok", "isrc": "USAC12500001", "durationSeconds": 1},
			map[string]any{"title": "bad isrc", "isrc": "US-AC1-25", "durationSeconds": 100},
			map[string]any{"title": "zero", "isrc": "USAC1250000A", "durationSeconds": 0},
			map[string]any{"title": "too long", "durationSeconds": 86401},
			map[string]any{"title": "negative", "durationSeconds": -5},
		}
		res := f.fails(t, f.admin, "saveRelease", in)
		mutWantUserError(t, res, "INVALID", "input", "tracks", "1", "isrc")
		mutWantUserError(t, res, "INVALID", "input", "tracks", "2", "isrc")
		mutWantUserError(t, res, "INVALID", "input", "tracks", "2", "durationSeconds")
		mutWantUserError(t, res, "INVALID", "input", "tracks", "3", "durationSeconds")
		mutWantUserError(t, res, "INVALID", "input", "tracks", "4", "durationSeconds")
		for _, e := range res.UserErrors {
			if slices.Equal(e.Field[:min(3, len(e.Field))], []string{"input", "tracks", "0"}) {
				t.Errorf("the valid track 0 was reported: %s", e)
			}
		}
	})

	t.Run("artist of another tenant is NOT_FOUND", func(t *testing.T) {
		foreign := gid(model.TypeArtist, f.foreignArtist)
		in := f.releaseInput(artist)
		in["artistIds"] = []string{ga, foreign}
		res := f.fails(t, f.admin, "saveRelease", in)
		mutWantUserError(t, res, "NOT_FOUND", "input", "artistIds", "1")
		in = f.releaseInput(artist)
		in["tracks"] = []any{map[string]any{"title": "feat", "featuredArtistIds": []string{foreign}}}
		res = f.fails(t, f.admin, "saveRelease", in)
		mutWantUserError(t, res, "NOT_FOUND", "input", "tracks", "0", "featuredArtistIds", "0")
	})

	t.Run("duplicated artist", func(t *testing.T) {
		in := f.releaseInput(artist)
		in["artistIds"] = []string{ga, ga}
		res := f.fails(t, f.admin, "saveRelease", in)
		mutWantUserError(t, res, "INVALID", "input", "artistIds", "1")
	})

	t.Run("error paths index the input list", func(t *testing.T) {
		// After a duplicate, a foreign artist at index 2 must be reported
		// at index 2, not at its index among the distinct artists.
		in := f.releaseInput(artist)
		in["artistIds"] = []string{ga, ga, gid(model.TypeArtist, f.foreignArtist)}
		res := f.fails(t, f.admin, "saveRelease", in)
		mutWantUserError(t, res, "INVALID", "input", "artistIds", "1")
		mutWantUserError(t, res, "NOT_FOUND", "input", "artistIds", "2")
	})

	t.Run("track of another release", func(t *testing.T) {
		mine, other := f.newRelease(t, f.admin, artist), f.newRelease(t, f.admin, artist)
		otherTrack := other.tracks()[0].ID
		in := f.releaseInput(artist)
		in["id"], in["tracks"] = mine.ID, []any{map[string]any{"id": otherTrack, "title": "stolen"}}
		res := f.fails(t, f.admin, "saveRelease", in)
		mutWantUserError(t, res, "NOT_FOUND", "input", "tracks", "0", "id")
		for _, r := range []mutRelease{mine, other} {
			id := mutUUID(t, r.ID)
			if s := f.stamp(t, "releases", id); s.Version != 1 {
				t.Errorf("release %s changed: version %d", id, s.Version)
			}
			rows := f.trackRows(t, id)
			if len(rows) != 1 || rows[0].ID != mutUUID(t, r.tracks()[0].ID) || rows[0].Title == "stolen" {
				t.Errorf("tracks of %s = %+v, want the one it had", id, rows)
			}
		}
	})

	t.Run("submitRelease lists everything missing", func(t *testing.T) {
		var r mutRelease
		f.ok(t, f.admin, "saveRelease", map[string]any{
			"title": f.uniq("Incomplete"), "type": "ALBUM", "artistIds": []string{ga},
			"tracks": []any{
				map[string]any{"title": "no isrc, no duration"},
				map[string]any{"title": "no duration", "isrc": "USAC12500009"},
				map[string]any{"title": "complete", "isrc": "USAC12500010", "durationSeconds": 100},
			},
		}, &r)
		res := f.fails(t, f.admin, "submitRelease", map[string]any{"id": r.ID})
		for _, path := range [][]string{
			{"release", "upc"}, {"release", "artworkUrl"}, {"release", "releaseDate"},
			{"release", "tracks", "0", "isrc"}, {"release", "tracks", "0", "durationSeconds"},
			{"release", "tracks", "1", "durationSeconds"},
		} {
			mutWantUserError(t, res, "REQUIRED", path...)
		}
		if len(res.UserErrors) != 6 {
			t.Errorf("want exactly the 6 missing values, got %v", res.UserErrors)
		}
		id := mutUUID(t, r.ID)
		var status string
		f.get(t, &status, `SELECT status FROM releases WHERE id = $1`, id)
		if status != "DRAFT" || f.stamp(t, "releases", id).Version != 1 {
			t.Errorf("a refused submission changed the release: %s", status)
		}
		// A release without tracks.
		f.ok(t, f.admin, "saveRelease", map[string]any{"title": f.uniq("Empty"), "type": "SINGLE", "artistIds": []string{ga}, "tracks": []any{}}, &r)
		res = f.fails(t, f.admin, "submitRelease", map[string]any{"id": r.ID})
		mutWantUserError(t, res, "REQUIRED", "release", "tracks")
	})

	t.Run("idempotency key reused for another mutation", func(t *testing.T) {
		key := fmt.Sprintf("mut-conflict-%d", f.seq.Add(1))
		var b mutNamed
		f.ok(t, f.admin, "createBrand", map[string]any{"name": f.uniq("Keyed Brand"), "idempotencyKey": key}, &b)
		name := f.uniq("Keyed Label")
		res := f.fails(t, f.admin, "createLabel", map[string]any{"name": name, "idempotencyKey": key})
		mutWantUserError(t, res, "IDEMPOTENCY_CONFLICT", "input", "idempotencyKey")
		if n := f.count(t, `SELECT count(*) FROM labels WHERE name = $1`, name); n != 0 {
			t.Errorf("the conflicting createLabel wrote a label")
		}
		res = f.fails(t, f.admin, "createArtist", map[string]any{"fields": map[string]any{"name": name}, "idempotencyKey": key})
		mutWantUserError(t, res, "IDEMPOTENCY_CONFLICT", "input", "idempotencyKey")
		in := f.releaseInput(artist)
		in["idempotencyKey"] = key
		res = f.fails(t, f.admin, "saveRelease", in)
		mutWantUserError(t, res, "IDEMPOTENCY_CONFLICT", "input", "idempotencyKey")
		if n := f.count(t, `SELECT count(*) FROM releases WHERE title = $1`, in["title"]); n != 0 {
			t.Errorf("the conflicting saveRelease wrote a release")
		}
	})
}

// mutWantLanguageError asserts the user error for a language code the
// languages table does not know: at the profile field the user typed.
func mutWantLanguageError(t *testing.T, res *mutResult) {
	t.Helper()
	for _, e := range res.UserErrors {
		if (e.Code == "INVALID" || e.Code == "NOT_FOUND") && slices.Equal(e.Field, []string{"input", "profile", "language"}) {
			return
		}
	}
	t.Errorf("unknown language code: want INVALID or NOT_FOUND at [input profile language], got %v", res.UserErrors)
}

// mutCounts counts the rows a failed write must not leave behind.
func (f *mutationFixture) mutCounts(t *testing.T) map[string]int {
	t.Helper()
	out := map[string]int{}
	for _, table := range []string{"releases", "tracks", "release_artists", "track_artists", "audit_log", "idempotency_keys", "users", "memberships", "artists", "brands"} {
		out[table] = f.count(t, `SELECT count(*) FROM `+table)
	}
	return out
}

func mutWantSameCounts(t *testing.T, before, after map[string]int) {
	t.Helper()
	for table, n := range before {
		if after[table] != n {
			t.Errorf("%s: %d rows, was %d: a refused write left rows behind", table, after[table], n)
		}
	}
}

func TestMutationNothingHalfWritten(t *testing.T) {
	f := mutSetup(t)
	artist := f.newArtist(t, f.admin, "")

	t.Run("saveRelease create with one bad track", func(t *testing.T) {
		in := f.releaseInput(artist)
		key := fmt.Sprintf("mut-atomic-%d", f.seq.Add(1))
		in["idempotencyKey"] = key
		in["tracks"] = []any{
			map[string]any{"title": "good 1", "isrc": "USAC12500001", "durationSeconds": 100},
			map[string]any{"title": "good 2", "isrc": "USAC12500002", "durationSeconds": 100},
			map[string]any{"title": "bad", "isrc": "USAC12500003", "durationSeconds": 100000},
		}
		before := f.mutCounts(t)
		res := f.fails(t, f.admin, "saveRelease", in)
		mutWantUserError(t, res, "INVALID", "input", "tracks", "2", "durationSeconds")
		mutWantSameCounts(t, before, f.mutCounts(t))
		// The key was not spent on the refused request.
		in["tracks"].([]any)[2].(map[string]any)["durationSeconds"] = 100
		var r mutRelease
		f.ok(t, f.admin, "saveRelease", in, &r)
		if len(r.tracks()) != 3 {
			t.Errorf("the corrected retry has %d tracks, want 3", len(r.tracks()))
		}
	})

	t.Run("saveRelease update with one bad track", func(t *testing.T) {
		r := f.newRelease(t, f.admin, artist)
		id := mutUUID(t, r.ID)
		before, tracksBefore := f.stamp(t, "releases", id), f.trackRows(t, id)
		in := f.releaseInput(artist)
		in["id"] = r.ID
		in["tracks"] = []any{
			map[string]any{"id": r.tracks()[0].ID, "title": "renamed"},
			map[string]any{"title": "new", "isrc": "nope"},
		}
		counts := f.mutCounts(t)
		res := f.fails(t, f.admin, "saveRelease", in)
		mutWantUserError(t, res, "INVALID", "input", "tracks", "1", "isrc")
		mutWantSameCounts(t, counts, f.mutCounts(t))
		after, tracksAfter := f.stamp(t, "releases", id), f.trackRows(t, id)
		if !after.same(before) || !slices.Equal(tracksAfter, tracksBefore) {
			t.Errorf("a refused update changed the release: %+v %+v, then %+v %+v", before, tracksBefore, after, tracksAfter)
		}
	})

	t.Run("a failure in the database rolls back the whole mutation", func(t *testing.T) {
		// The users row is inserted before the language is found unknown.
		counts := f.mutCounts(t)
		res := f.fails(t, f.admin, "inviteMember", map[string]any{"email": f.email("atomic"), "profile": map[string]any{"firstName": "Half", "language": "qq"}})
		if len(res.UserErrors) == 0 {
			t.Fatal("no user error")
		}
		mutWantSameCounts(t, counts, f.mutCounts(t))
		// The request's transaction is still usable: the next mutation works.
		f.newBrand(t, f.admin)
	})

	t.Run("two mutations in one request: the refused one leaves nothing", func(t *testing.T) {
		good, bad := f.uniq("Pair Brand"), f.uniq("Pair Label")
		q := `mutation($good: String!, $bad: String!) {
			a: createBrand(input: {name: $good}) { brand { id } userErrors { code } }
			b: createLabel(input: {name: $bad, idempotencyKey: "not a valid key!"}) { label { id } userErrors { code field } } }`
		var data struct {
			A struct {
				Brand      *mutRef
				UserErrors []mutUserError
			}
			B struct {
				Label      *mutRef
				UserErrors []mutUserError
			}
		}
		f.read(t, f.admin, q, map[string]any{"good": good, "bad": bad}, &data)
		if data.A.Brand == nil || len(data.A.UserErrors) != 0 {
			t.Errorf("the valid mutation failed: %+v", data.A)
		}
		if data.B.Label != nil || len(data.B.UserErrors) == 0 {
			t.Errorf("the invalid mutation succeeded: %+v", data.B)
		}
		if n := f.count(t, `SELECT count(*) FROM brands WHERE name = $1`, good); n != 1 {
			t.Errorf("%d brands %q, want 1", n, good)
		}
		if n := f.count(t, `SELECT count(*) FROM labels WHERE name = $1`, bad); n != 0 {
			t.Errorf("%d labels %q, want 0", n, bad)
		}
	})
}

// ---------------------------------------------------------------------------
// 4. Roles.

func TestMutationForbiddenForRoles(t *testing.T) {
	f := mutSetup(t)
	artist := f.newArtist(t, f.admin, "")

	t.Run("a USER cannot manage members, brands or QC", func(t *testing.T) {
		email := f.email("by-user")
		f.forbidden(t, f.user, "inviteMember", map[string]any{"email": email})
		if n := f.count(t, `SELECT count(*) FROM users WHERE email = $1`, email); n != 0 {
			t.Errorf("a refused invitation created the account")
		}
		_, member := f.invite(t, f.admin, "USER")
		f.forbidden(t, f.user, "updateMembership", map[string]any{"id": gid(model.TypeMembership, member), "status": "DEACTIVATED"})
		var myMembership string
		f.get(t, &myMembership, `SELECT id::text FROM memberships WHERE user_id = $1 AND tenant_id = $2`, f.user.id, f.tenant)
		f.forbidden(t, f.user, "updateMembership", map[string]any{"id": gid(model.TypeMembership, myMembership), "role": "ADMIN"})
		if s := f.stamp(t, "memberships", member); s.Version != 1 {
			t.Errorf("a refused membership change was written: version %d", s.Version)
		}
		var role string
		f.get(t, &role, `SELECT role FROM memberships WHERE id = $1`, myMembership)
		if role != "USER" {
			t.Errorf("the USER promoted themself to %s", role)
		}
		name := f.uniq("User Brand")
		f.forbidden(t, f.user, "createBrand", map[string]any{"name": name})
		if n := f.count(t, `SELECT count(*) FROM brands WHERE name = $1`, name); n != 0 {
			t.Errorf("a refused createBrand wrote a brand")
		}
		r := f.step(t, f.admin, "submitRelease", f.newRelease(t, f.admin, artist), nil)
		f.forbidden(t, f.user, "approveRelease", map[string]any{"id": r.ID})
		f.forbidden(t, f.user, "rejectRelease", map[string]any{"id": r.ID, "reason": "no"})
		var status string
		f.get(t, &status, `SELECT status FROM releases WHERE id = $1`, mutUUID(t, r.ID))
		if status != "SUBMITTED" {
			t.Errorf("release is %s after a refused approval, want SUBMITTED", status)
		}
		f.forbidden(t, f.user, "terminateUser", map[string]any{"id": gid(model.TypeUser, f.admin.id)})
		f.forbidden(t, f.user, "grantBrandAccess", map[string]any{"brandId": gid(model.TypeBrand, f.brand), "userId": gid(model.TypeUser, f.user.id)})
	})

	t.Run("a USER updates their own profile only", func(t *testing.T) {
		other, _ := f.invite(t, f.admin, "USER")
		f.forbidden(t, f.user, "updateUser", map[string]any{"id": gid(model.TypeUser, other), "profile": map[string]any{"firstName": "Hacked"}})
		if s := f.stamp(t, "users", other); s.Version != 1 {
			t.Errorf("a refused profile change was written: version %d", s.Version)
		}
		f.ok(t, f.user, "updateUser", map[string]any{"id": gid(model.TypeUser, f.user.id), "profile": map[string]any{"location": "Lyon"}}, nil)
	})

	t.Run("an ADMIN cannot grant OWNER or change an OWNER membership", func(t *testing.T) {
		email := f.email("would-be-owner")
		f.forbidden(t, f.admin, "inviteMember", map[string]any{"email": email, "role": "OWNER"})
		if n := f.count(t, `SELECT count(*) FROM users WHERE email = $1`, email); n != 0 {
			t.Errorf("a refused OWNER invitation created the account")
		}
		_, member := f.invite(t, f.admin, "USER")
		f.forbidden(t, f.admin, "updateMembership", map[string]any{"id": gid(model.TypeMembership, member), "role": "OWNER"})
		var role string
		f.get(t, &role, `SELECT role FROM memberships WHERE id = $1`, member)
		if role != "USER" {
			t.Errorf("membership is %s after a refused promotion to OWNER", role)
		}
		var ownerMembership string
		f.get(t, &ownerMembership, `SELECT id::text FROM memberships WHERE user_id = $1 AND tenant_id = $2`, f.owner.id, f.tenant)
		before := f.stamp(t, "memberships", ownerMembership)
		f.forbidden(t, f.admin, "updateMembership", map[string]any{"id": gid(model.TypeMembership, ownerMembership), "role": "ADMIN"})
		f.forbidden(t, f.admin, "updateMembership", map[string]any{"id": gid(model.TypeMembership, ownerMembership), "status": "DEACTIVATED"})
		if after := f.stamp(t, "memberships", ownerMembership); !after.same(before) {
			t.Errorf("the owner's membership changed: %+v, then %+v", before, after)
		}
	})

	t.Run("brand READ_ONLY cannot write the brand's catalogue, brand USER can", func(t *testing.T) {
		gb := gid(model.TypeBrand, f.brand)
		name := f.uniq("Read-only Artist")
		f.forbidden(t, f.brandRO, "createArtist", map[string]any{"fields": map[string]any{"name": name, "brandId": gb}})
		if n := f.count(t, `SELECT count(*) FROM artists WHERE name = $1`, name); n != 0 {
			t.Errorf("a refused createArtist wrote an artist")
		}
		in := f.releaseInput(artist)
		in["brandId"] = gb
		f.forbidden(t, f.brandRO, "saveRelease", in)
		if n := f.count(t, `SELECT count(*) FROM releases WHERE title = $1`, in["title"]); n != 0 {
			t.Errorf("a refused saveRelease wrote a release")
		}
		// No brand: the catalogue:manage permission is needed.
		f.forbidden(t, f.brandUser, "createArtist", map[string]any{"fields": map[string]any{"name": f.uniq("Brandless")}})

		var a mutArtist
		f.ok(t, f.brandUser, "createArtist", map[string]any{"fields": map[string]any{"name": name, "brandId": gb}}, &a)
		if mutRefID(a.Brand) != gb || mutRefID(a.CreatedBy) != gid(model.TypeUser, f.brandUser.id) {
			t.Errorf("brand USER's artist = %+v", a)
		}
		artistID := mutUUID(t, a.ID)
		mutWantStamp(t, "brand USER's artist", f.stamp(t, "artists", artistID), f.brandUser.id, f.brandUser.id, 1)
		f.forbidden(t, f.brandRO, "updateArtist", map[string]any{"id": a.ID, "fields": map[string]any{"genre": "Noise"}})
		if s := f.stamp(t, "artists", artistID); s.Version != 1 {
			t.Errorf("a refused updateArtist was written")
		}
		var r mutRelease
		f.ok(t, f.brandUser, "saveRelease", in, &r)
		if mutRefID(r.Brand) != gb || r.Status != "DRAFT" || mutRefID(r.CreatedBy) != gid(model.TypeUser, f.brandUser.id) {
			t.Errorf("brand USER's release = %+v", r)
		}
		mutWantStamp(t, "brand USER's release", f.stamp(t, "releases", mutUUID(t, r.ID)), f.brandUser.id, f.brandUser.id, 1)
		f.forbidden(t, f.brandRO, "submitRelease", map[string]any{"id": r.ID})
	})

	t.Run("the last active OWNER stays", func(t *testing.T) {
		var ownerMembership string
		f.get(t, &ownerMembership, `SELECT id::text FROM memberships WHERE user_id = $1 AND tenant_id = $2`, f.owner.id, f.tenant)
		if n := f.count(t, `SELECT count(*) FROM memberships m JOIN users u ON u.id = m.user_id
			WHERE m.tenant_id = $1 AND m.role = 'OWNER' AND m.status = 'ACTIVE' AND NOT u.is_deleted`, f.tenant); n != 1 {
			t.Fatalf("%d active owners, want the seed's 1", n)
		}
		before := f.stamp(t, "memberships", ownerMembership)
		gm := gid(model.TypeMembership, ownerMembership)
		res := f.fails(t, f.owner, "updateMembership", map[string]any{"id": gm, "role": "ADMIN"})
		mutWantUserError(t, res, "INVALID", "input")
		res = f.fails(t, f.owner, "updateMembership", map[string]any{"id": gm, "status": "DEACTIVATED"})
		mutWantUserError(t, res, "INVALID", "input")
		var row struct {
			Role   string `db:"role"`
			Status string `db:"status"`
		}
		f.get(t, &row, `SELECT role, status FROM memberships WHERE id = $1`, ownerMembership)
		if row.Role != "OWNER" || row.Status != "ACTIVE" || !f.stamp(t, "memberships", ownerMembership).same(before) {
			t.Errorf("the last owner's membership changed: %+v", row)
		}
	})
}

// An ADMIN may not deactivate an OWNER membership with updateMembership;
// terminateUser deactivates every membership of the account, so it must
// not let an ADMIN do it either.
func TestMutationAdminCannotTerminateOwner(t *testing.T) {
	f := mutSetup(t)
	ownerID, ownerMembership := f.invite(t, f.owner, "OWNER")
	t.Cleanup(func() {
		// Leave the tenant with its one owner for the other tests.
		_, _ = f.send(context.Background(), f.owner, "terminateUser", map[string]any{"id": gid(model.TypeUser, ownerID)})
	})
	before := f.stamp(t, "memberships", ownerMembership)
	res := f.call(t, f.admin, "terminateUser", map[string]any{"id": gid(model.TypeUser, ownerID)})
	if !mutHasErrorCode(res, "FORBIDDEN") || res.hasNode() {
		t.Errorf("an ADMIN terminating an OWNER: want FORBIDDEN\n%s", res.describe())
	}
	var deleted bool
	f.get(t, &deleted, `SELECT is_deleted FROM users WHERE id = $1`, ownerID)
	if deleted {
		t.Errorf("an ADMIN terminated an OWNER's account")
	}
	if after := f.stamp(t, "memberships", ownerMembership); !after.same(before) {
		t.Errorf("an ADMIN changed an OWNER membership through terminateUser: %+v, then %+v", before, after)
	}
}

// mutHasErrorCode reports whether a response carries a top-level error with code.
func mutHasErrorCode(r *mutResult, code string) bool {
	for _, e := range r.Errors {
		if e.code() == code {
			return true
		}
	}
	return false
}

// Inviting the email of a terminated account must not bring it back into
// member lists: either the invitation is refused, or the new membership
// is hidden like the account's others (memberships.user_deleted).
func TestMutationInviteTerminatedAccountStaysOutOfLists(t *testing.T) {
	f := mutSetup(t)
	var u struct {
		ID    string `db:"id"`
		Email string `db:"email"`
	}
	f.get(t, &u, `SELECT u.id::text AS id, u.email FROM users u WHERE u.is_deleted
		AND NOT EXISTS (SELECT 1 FROM memberships m JOIN tenants t ON t.id = m.tenant_id
		                WHERE m.user_id = u.id AND (t.id = $1 OR t.parent_id = $1))
		ORDER BY u.id LIMIT 1`, f.tenant)
	res := f.call(t, f.admin, "inviteMember", map[string]any{"email": u.Email})
	if len(res.Errors) > 0 {
		t.Fatalf("inviteMember of a terminated account: want a membership or userErrors\n%s", res.describe())
	}
	if len(res.UserErrors) > 0 {
		if n := f.count(t, `SELECT count(*) FROM memberships WHERE user_id = $1 AND tenant_id = $2`, u.ID, f.tenant); n != 0 {
			t.Errorf("a refused invitation left %d memberships", n)
		}
		return
	}
	mismatched := f.count(t, `SELECT count(*) FROM memberships m JOIN users u ON u.id = m.user_id
		WHERE m.user_id = $1 AND m.user_deleted IS DISTINCT FROM u.is_deleted`, u.ID)
	if mismatched != 0 {
		t.Errorf("%d memberships of the terminated account have user_deleted = false", mismatched)
	}
	var listed mutMembers
	f.read(t, f.admin, mutMembersQuery, map[string]any{"slug": mutTenantSlug, "f": map[string]any{"id": map[string]any{"eq": gid(model.TypeUser, u.ID)}}}, &listed)
	if listed.Tenant.Members.TotalCount != 0 || len(listed.Tenant.Members.Edges) != 0 {
		t.Errorf("the terminated account is listed in tenant.members without the isDeleted filter: %+v", listed.Tenant.Members)
	}
}

// ---------------------------------------------------------------------------
// 5. Illegal transitions.

func TestMutationIllegalTransitions(t *testing.T) {
	f := mutSetup(t)
	artist := f.newArtist(t, f.admin, "")
	illegal := func(t *testing.T, r mutRelease, mutation, status string, extra map[string]any) {
		t.Helper()
		id := mutUUID(t, r.ID)
		before := f.stamp(t, "releases", id)
		input := map[string]any{"id": r.ID}
		for k, v := range extra {
			input[k] = v
		}
		res := f.fails(t, f.admin, mutation, input)
		e := mutWantUserError(t, res, "ILLEGAL_TRANSITION", "input", "id")
		if !strings.Contains(e.Message, status) {
			t.Errorf("%s: message %q does not name the current status %s", mutation, e.Message, status)
		}
		var got string
		f.get(t, &got, `SELECT status FROM releases WHERE id = $1`, id)
		if got != status || !f.stamp(t, "releases", id).same(before) {
			t.Errorf("%s: a refused transition changed the release (%s)", mutation, got)
		}
	}

	r := f.newRelease(t, f.admin, artist)
	illegal(t, r, "approveRelease", "DRAFT", nil)
	illegal(t, r, "rejectRelease", "DRAFT", map[string]any{"reason": "no"})
	illegal(t, r, "takeDownRelease", "DRAFT", nil)
	illegal(t, r, "queueRelease", "DRAFT", map[string]any{"stores": []string{"SPOTIFY"}})
	illegal(t, r, "addDeliveryStores", "DRAFT", map[string]any{"stores": []string{"SPOTIFY"}})

	r = f.step(t, f.admin, "submitRelease", r, nil)
	illegal(t, r, "submitRelease", "SUBMITTED", nil)
	illegal(t, r, "queueRelease", "SUBMITTED", map[string]any{"stores": []string{"SPOTIFY"}})
	illegal(t, r, "markReleaseDelivered", "SUBMITTED", nil)
	in := f.releaseInput(artist)
	in["id"] = r.ID
	illegal(t, r, "saveRelease", "SUBMITTED", in)

	r = f.step(t, f.admin, "approveRelease", r, nil)
	illegal(t, r, "markReleaseDelivered", "APPROVED", nil)
	illegal(t, r, "takeDownRelease", "APPROVED", nil)
	in["id"] = r.ID
	illegal(t, r, "saveRelease", "APPROVED", in)

	r = f.step(t, f.admin, "queueRelease", r, map[string]any{"stores": []string{"SPOTIFY", "TIDAL"}})
	id := mutUUID(t, r.ID)
	before := f.stamp(t, "releases", id)
	res := f.fails(t, f.admin, "removeDeliveryStores", map[string]any{"id": r.ID, "stores": []string{"SPOTIFY", "TIDAL"}})
	mutWantUserError(t, res, "INVALID", "input", "stores")
	var stores []string
	f.sel(t, &stores, `SELECT store FROM release_deliveries WHERE release_id = $1 AND removed_at IS NULL ORDER BY store`, id)
	if !slices.Equal(stores, []string{"SPOTIFY", "TIDAL"}) || !f.stamp(t, "releases", id).same(before) {
		t.Errorf("a refused removeDeliveryStores changed the delivery: %v", stores)
	}
	res = f.fails(t, f.admin, "queueRelease", map[string]any{"id": r.ID, "stores": []string{"SPOTIFY"}})
	mutWantUserError(t, res, "ILLEGAL_TRANSITION", "input", "id")
}

// ---------------------------------------------------------------------------
// 6. Concurrent updates.

func TestMutationConcurrentUpdates(t *testing.T) {
	f := mutSetup(t)
	id := f.newArtist(t, f.admin, "")
	ga := gid(model.TypeArtist, id)
	readVersion := func(who mutWho) int {
		var d struct{ Node struct{ Version int } }
		f.read(t, who, `query($id: ID!) { node(id: $id) { ... on Artist { version } } }`, map[string]any{"id": ga}, &d)
		return d.Node.Version
	}
	va, vb := readVersion(f.admin), readVersion(f.owner)
	if va != 1 || vb != 1 {
		t.Fatalf("both clients should read version 1, read %d and %d", va, vb)
	}
	var a mutArtist
	f.ok(t, f.admin, "updateArtist", map[string]any{"id": ga, "expectedVersion": va, "fields": map[string]any{"name": "First writer"}}, &a)
	if a.Version != 2 || a.Name != "First writer" {
		t.Errorf("first update: %+v, want version 2", a)
	}
	res := f.fails(t, f.owner, "updateArtist", map[string]any{"id": ga, "expectedVersion": vb, "fields": map[string]any{"name": "Second writer"}})
	mutWantUserError(t, res, "STALE", "input", "expectedVersion")
	var name string
	f.get(t, &name, `SELECT name FROM artists WHERE id = $1`, id)
	if name != "First writer" {
		t.Errorf("artists.name = %q, want the first writer's", name)
	}
	mutWantStamp(t, "artist", f.stamp(t, "artists", id), f.admin.id, f.admin.id, 2)
	f.wantAudit(t, "artist.update", id, f.admin.id, "", 1)
	f.wantAudit(t, "artist.update", id, f.owner.id, "", 0)

	// Ten clients at once with the same version: one wins.
	const racers = 10
	var wg sync.WaitGroup
	results := make([]*mutResult, racers)
	errs := make([]error, racers)
	start := make(chan struct{})
	for i := range racers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			who := f.admin
			if i%2 == 1 {
				who = f.owner
			}
			results[i], errs[i] = f.send(t.Context(), who, "updateArtist", map[string]any{
				"id": ga, "expectedVersion": 2, "fields": map[string]any{"name": fmt.Sprintf("Racer %d", i)},
			})
		}()
	}
	close(start)
	wg.Wait()
	winners, stale := []int{}, 0
	for i, r := range results {
		if errs[i] != nil {
			t.Fatalf("racer %d: %v", i, errs[i])
		}
		switch {
		case len(r.Errors) > 0:
			t.Errorf("racer %d got a top-level error\n%s", i, r.describe())
		case r.hasNode() && len(r.UserErrors) == 0:
			winners = append(winners, i)
		case len(r.UserErrors) == 1 && r.UserErrors[0].Code == "STALE":
			stale++
		default:
			t.Errorf("racer %d: unexpected answer\n%s", i, r.describe())
		}
	}
	if len(winners) != 1 || stale != racers-1 {
		t.Fatalf("%d winners %v and %d STALE, want 1 and %d", len(winners), winners, stale, racers-1)
	}
	f.get(t, &name, `SELECT name FROM artists WHERE id = $1`, id)
	if want := fmt.Sprintf("Racer %d", winners[0]); name != want {
		t.Errorf("artists.name = %q, want the winner's %q", name, want)
	}
	if s := f.stamp(t, "artists", id); s.Version != 3 {
		t.Errorf("artists.version = %d, want 3", s.Version)
	}
	if n := f.count(t, `SELECT count(*) FROM audit_log WHERE action = 'artist.update' AND subject_id = $1`, id); n != 2 {
		t.Errorf("%d artist.update audit rows, want 2", n)
	}
}

// ---------------------------------------------------------------------------
// 7. Idempotent creates.

// mutIdempotentCase is one create mutation and how to find its rows.
type mutIdempotentCase struct {
	mutation string
	input    func(key string) map[string]any
	// rows counts the rows the input's creation makes.
	rows func(t *testing.T, input map[string]any) int
}

func (f *mutationFixture) idempotentCases(t *testing.T) []mutIdempotentCase {
	artist := f.newArtist(t, f.admin, "")
	return []mutIdempotentCase{
		{"createBrand",
			func(key string) map[string]any {
				return map[string]any{"name": f.uniq("Idem Brand"), "idempotencyKey": key}
			},
			func(t *testing.T, in map[string]any) int {
				return f.count(t, `SELECT count(*) FROM brands WHERE name = $1`, in["name"])
			}},
		{"createArtist",
			func(key string) map[string]any {
				return map[string]any{"fields": map[string]any{"name": f.uniq("Idem Artist")}, "idempotencyKey": key}
			},
			func(t *testing.T, in map[string]any) int {
				return f.count(t, `SELECT count(*) FROM artists WHERE name = $1`, in["fields"].(map[string]any)["name"])
			}},
		{"saveRelease",
			func(key string) map[string]any {
				in := f.releaseInput(artist)
				in["idempotencyKey"] = key
				return in
			},
			func(t *testing.T, in map[string]any) int {
				n := f.count(t, `SELECT count(*) FROM releases WHERE title = $1`, in["title"])
				if tracks := f.count(t, `SELECT count(*) FROM tracks tr JOIN releases r ON r.id = tr.release_id WHERE r.title = $1`, in["title"]); tracks != n {
					t.Errorf("%d tracks for %d releases", tracks, n)
				}
				return n
			}},
		{"inviteMember",
			func(key string) map[string]any {
				return map[string]any{"email": f.email("idem"), "idempotencyKey": key}
			},
			func(t *testing.T, in map[string]any) int {
				users := f.count(t, `SELECT count(*) FROM users WHERE email = $1`, in["email"])
				members := f.count(t, `SELECT count(*) FROM memberships m JOIN users u ON u.id = m.user_id WHERE u.email = $1`, in["email"])
				if users != members {
					t.Errorf("%d accounts but %d memberships for %s", users, members, in["email"])
				}
				return members
			}},
	}
}

func TestMutationIdempotentCreates(t *testing.T) {
	f := mutSetup(t)
	cases := f.idempotentCases(t)

	t.Run("retried", func(t *testing.T) {
		for _, c := range cases {
			t.Run(c.mutation, func(t *testing.T) {
				key := fmt.Sprintf("mut-retry-%d", f.seq.Add(1))
				in := c.input(key)
				first := f.ok(t, f.admin, c.mutation, in, nil)
				second := f.ok(t, f.admin, c.mutation, in, nil)
				var n1, n2 struct{ ID string }
				_ = json.Unmarshal(first.Node, &n1)
				_ = json.Unmarshal(second.Node, &n2)
				if n1.ID == "" || n1.ID != n2.ID {
					t.Errorf("retry returned %s, first request %s: want the same node", decodeForHumans(n2.ID), decodeForHumans(n1.ID))
				}
				if n := c.rows(t, in); n != 1 {
					t.Errorf("%d rows after a retried %s, want 1", n, c.mutation)
				}
				var subject *string
				f.get(t, &subject, `SELECT subject_id::text FROM idempotency_keys WHERE tenant_id = $1 AND key = $2`, f.tenant, key)
				if mutDeref(subject) != mutUUID(t, n1.ID) {
					t.Errorf("idempotency_keys.subject_id = %s, want %s", mutDeref(subject), mutUUID(t, n1.ID))
				}
				if n := f.count(t, `SELECT count(*) FROM audit_log WHERE subject_id = $1`, mutUUID(t, n1.ID)); n != 1 {
					t.Errorf("%d audit rows for the created node, want 1", n)
				}
				// The same key with a changed input is not a retry: a conflict,
				// which neither creates nor answers the first creation.
				changed := c.input(key)
				third := f.fails(t, f.owner, c.mutation, changed)
				mutWantUserError(t, third, "IDEMPOTENCY_CONFLICT", "input", "idempotencyKey")
				if n := c.rows(t, changed); n != 0 {
					t.Errorf("a reused key with another input created %d rows", n)
				}
			})
		}
	})

	t.Run("concurrent", func(t *testing.T) {
		const clients = 5
		for _, c := range cases {
			t.Run(c.mutation, func(t *testing.T) {
				key := fmt.Sprintf("mut-race-%d", f.seq.Add(1))
				in := c.input(key)
				var wg sync.WaitGroup
				results := make([]*mutResult, clients)
				errs := make([]error, clients)
				start := make(chan struct{})
				for i := range clients {
					wg.Add(1)
					go func() {
						defer wg.Done()
						<-start
						results[i], errs[i] = f.send(t.Context(), f.admin, c.mutation, in)
					}()
				}
				close(start)
				wg.Wait()
				ids := map[string]bool{}
				for i, r := range results {
					if errs[i] != nil {
						t.Fatalf("client %d: %v", i, errs[i])
					}
					if len(r.Errors) > 0 || len(r.UserErrors) > 0 || !r.hasNode() {
						t.Errorf("client %d: want the created node\n%s", i, r.describe())
						continue
					}
					var n struct{ ID string }
					_ = json.Unmarshal(r.Node, &n)
					ids[n.ID] = true
				}
				if len(ids) != 1 {
					t.Errorf("%d concurrent requests with one key answered %d different nodes: %v", clients, len(ids), ids)
				}
				if n := c.rows(t, in); n != 1 {
					t.Errorf("%d rows after %d concurrent %s with one key, want 1", n, clients, c.mutation)
				}
			})
		}
	})
}
