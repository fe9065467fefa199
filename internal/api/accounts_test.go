package api_test

// Accounts shared between tenants (SPEC §3): invitations of existing
// accounts are pending until the invited user answers them and reveal
// nothing of the account; impersonation stays inside the impersonator's
// tree; an account that also belongs elsewhere, or a platform
// administrator's, is changed only by someone with rights over all of it;
// the per-field write rules; filters on references to users; foreign and
// missing IDs answered alike.
//
// The attackers are ordinary OWNER, ADMIN and USER principals and API
// keys, never a platform administrator, whose rights would hide a missing
// check. Tests that write use the mutation fixture's database; the filter
// test reads the package's shared database.

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"catalogue/db/model"
)

// acctAccount is an account of the mutation fixture's database.
type acctAccount struct {
	ID    string `db:"id"`
	Email string `db:"email"`
}

// outsider is the n-th (from 0) account that may sign in and whose only
// membership is an ACTIVE one with role in the tenant slug, outside
// acme-music's tree; extra adds a condition on users u. It is never the
// fixture's foreignUser, which other tests invite.
func (f *mutationFixture) outsider(t *testing.T, slug, role string, n int, extra string) acctAccount {
	t.Helper()
	if extra == "" {
		extra = "true"
	}
	var a acctAccount
	f.get(t, &a, `SELECT u.id::text AS id, u.email FROM users u
		JOIN memberships m ON m.user_id = u.id JOIN tenants tn ON tn.id = m.tenant_id
		WHERE tn.slug = $1 AND m.role = $2 AND m.status = 'ACTIVE'
		  AND NOT u.is_deleted AND (u.expires_at IS NULL OR u.expires_at > now())
		  AND (SELECT count(*) FROM memberships x WHERE x.user_id = u.id) = 1
		  AND u.id <> $3::uuid AND `+extra+`
		ORDER BY u.id OFFSET $4 LIMIT 1`, slug, role, f.foreignUser.ID, n)
	return a
}

// signedIn is a caller for an account acting in the tenant slug ("" for
// the token's default).
func signedIn(t *testing.T, name, userID, slug string) mutWho {
	t.Helper()
	return mutWho{name: name, id: userID, token: tokenFor(t, userID, slug)}
}

// actingAs is who (with its own credentials, an API key included) acting
// as target through the enterprise-id header.
func actingAs(who, target mutWho) mutWho {
	h := map[string]string{"enterprise-id": target.id}
	for k, v := range who.header {
		h[k] = v
	}
	return mutWho{name: who.name + " as " + target.name, id: target.id, token: who.token, header: h}
}

// apiKey creates an API key of the caller's tenant with role and returns a
// caller that authenticates with it.
func (f *mutationFixture) apiKey(t *testing.T, who mutWho, role string) mutWho {
	t.Helper()
	var d struct {
		CreateAPIKey struct{ Authorization string } `json:"createApiKey"`
	}
	f.read(t, who, `mutation($name: String!, $role: MembershipRole!) {
		createApiKey(input: {name: $name, role: $role}) { authorization } }`,
		map[string]any{"name": f.uniq("accounts test key"), "role": role}, &d)
	return mutWho{name: role + " API key", header: map[string]string{"Authorization": d.CreateAPIKey.Authorization}}
}

// acctPayload is the payload of a mutation sent with acctMutate.
type acctPayload struct {
	*response
	Payload    map[string]json.RawMessage
	UserErrors []mutUserError
}

// node is a payload field, or nil when absent or null.
func (p *acctPayload) node(field string) json.RawMessage {
	raw := p.Payload[field]
	if len(raw) == 0 || string(raw) == "null" {
		return nil
	}
	return raw
}

// acctMutate sends mutation(input: $input) { selection userErrors } as who.
func (f *mutationFixture) acctMutate(t *testing.T, who mutWho, mutation, inputType, selection string, input map[string]any) *acctPayload {
	t.Helper()
	q := `mutation($input: ` + inputType + `!) { ` + mutation + `(input: $input) { ` + selection + ` userErrors { field message code } } }`
	r, err := f.post(t.Context(), who, q, map[string]any{"input": input})
	if err != nil {
		t.Fatalf("%s as %s: %v", mutation, who.name, err)
	}
	p := &acctPayload{response: r}
	var data map[string]json.RawMessage
	if len(r.Data) > 0 && string(r.Data) != "null" {
		if err := json.Unmarshal(r.Data, &data); err != nil {
			t.Fatalf("decoding data: %v\n%s", err, r.describe())
		}
	}
	if raw := data[mutation]; len(raw) > 0 && string(raw) != "null" {
		if err := json.Unmarshal(raw, &p.Payload); err != nil {
			t.Fatalf("decoding payload: %v\n%s", err, r.describe())
		}
		_ = json.Unmarshal(p.Payload["userErrors"], &p.UserErrors)
	}
	return p
}

const acctInviteSelection = `membership { id status role userId tenant { slug }
	user { id email firstName lastName nickname fullName phone createdAt updatedAt lastLoginAt expiresAt } }`

// invitePending invites an existing account into acme-music as who and
// returns the membership's global ID, which must be PENDING.
func (f *mutationFixture) invitePending(t *testing.T, who mutWho, email, role string) string {
	t.Helper()
	p := f.acctMutate(t, who, "inviteMember", "InviteMemberInput", "membership { id status }", map[string]any{"email": email, "role": role})
	var m struct{ ID, Status string }
	if raw := p.node("membership"); raw == nil || len(p.Errors) > 0 || len(p.UserErrors) > 0 {
		t.Fatalf("inviteMember of %s as %s: want a membership\n%s", email, who.name, p.describe())
	} else if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatal(err)
	}
	if m.Status != "PENDING" {
		t.Errorf("inviting the existing account %s made a %s membership, want PENDING until the user accepts", email, m.Status)
	}
	return m.ID
}

// acctUserRow is what an attacker would change in a users row.
type acctUserRow struct {
	Email     string     `db:"email"`
	ExpiresAt *time.Time `db:"expires_at"`
	Deleted   bool       `db:"is_deleted"`
	Version   int        `db:"version"`
	Dsp       bool       `db:"dsp_plan_subscribed"`
}

// String renders the row for comparisons: time.Time values read twice
// may differ in their location pointer only.
func (r acctUserRow) String() string {
	exp := "<nil>"
	if r.ExpiresAt != nil {
		exp = r.ExpiresAt.UTC().Format(time.RFC3339Nano)
	}
	return fmt.Sprintf("{email %s expires %s deleted %t version %d dsp %t}", r.Email, exp, r.Deleted, r.Version, r.Dsp)
}

func (f *mutationFixture) userRow(t *testing.T, id string) acctUserRow {
	t.Helper()
	var r acctUserRow
	f.get(t, &r, `SELECT email, expires_at, is_deleted, version, dsp_plan_subscribed FROM users WHERE id = $1`, id)
	return r
}

// wantSignsIn asserts that who can still use the API.
func (f *mutationFixture) wantSignsIn(t *testing.T, who mutWho) {
	t.Helper()
	var v struct{ Viewer struct{ User *mutRef } }
	f.read(t, who, `{ viewer { user { id } } }`, nil, &v)
	if mutRefID(v.Viewer.User) != gid(model.TypeUser, who.id) {
		t.Errorf("%s signs in as %s", who.name, mutRefID(v.Viewer.User))
	}
}

// wantNoWrite asserts that a mutation was refused: no node, and either a
// top-level FORBIDDEN error or user errors.
func wantNoWrite(t *testing.T, what string, p *acctPayload, field string) {
	t.Helper()
	if p.node(field) != nil {
		t.Errorf("%s: the mutation went through: %s\n%s", what, p.node(field), p.describe())
	}
	if !slices.ContainsFunc(p.Errors, func(e gqlError) bool { return e.code() == "FORBIDDEN" }) && len(p.UserErrors) == 0 {
		t.Errorf("%s: want FORBIDDEN or user errors\n%s", what, p.describe())
	}
}

// ---------------------------------------------------------------------------
// The takeover of the issue: invite, impersonate, change email and expiry.

func TestAccountTakeoverAcrossTenantsIsRefused(t *testing.T) {
	f := mutSetup(t)
	var superAdmin acctAccount
	f.get(t, &superAdmin, `SELECT u.id::text AS id, u.email FROM users u JOIN memberships m ON m.user_id = u.id
		JOIN tenants tn ON tn.id = m.tenant_id
		WHERE tn.slug = 'nordic-sound' AND 'SUPER_ADMIN' = ANY (u.admin_roles) ORDER BY u.id LIMIT 1`)
	adminKey := f.apiKey(t, f.admin, "ADMIN")
	cases := []struct {
		name     string
		attacker mutWho
		victim   acctAccount
		slug     string
	}{
		{"an ADMIN against an OWNER of another tenant", f.admin, f.outsider(t, "blue-label-group", "OWNER", 0, ""), "blue-label-group"},
		{"an ADMIN against a platform SUPER_ADMIN", f.admin, superAdmin, "nordic-sound"},
		{"an ADMIN API key against an ADMIN of another tenant", adminKey, f.outsider(t, "nordic-sound", "ADMIN", 0, ""), "nordic-sound"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			victim := signedIn(t, "victim", tc.victim.ID, tc.slug)
			before := f.userRow(t, tc.victim.ID)

			// The invitation may be made, but it is only pending.
			f.invitePending(t, tc.attacker, tc.victim.Email, "USER")

			// Impersonating the invited account is refused.
			r, err := f.post(t.Context(), actingAs(tc.attacker, victim), `{ viewer { user { id } } }`, nil)
			if err != nil {
				t.Fatal(err)
			}
			if r.Status != http.StatusForbidden {
				t.Errorf("impersonating the invited account: HTTP %d, want 403\n%s", r.Status, r.describe())
			}

			// So are the email and expiry changes, directly and impersonated.
			takeover := map[string]any{"id": gid(model.TypeUser, tc.victim.ID), "email": f.email("attacker"),
				"profile": map[string]any{"expiresAt": "2001-01-01T00:00:00Z"}}
			for _, who := range []mutWho{tc.attacker, actingAs(tc.attacker, victim)} {
				p := f.acctMutate(t, who, "updateUser", "UpdateUserInput", "user { id email expiresAt }", takeover)
				if p.Status == http.StatusOK {
					wantNoWrite(t, "updateUser as "+who.name, p, "user")
				}
			}
			p := f.acctMutate(t, tc.attacker, "terminateUser", "TerminateUserInput", "user { id }", map[string]any{"id": gid(model.TypeUser, tc.victim.ID)})
			wantNoWrite(t, "terminateUser", p, "user")

			if after := f.userRow(t, tc.victim.ID); after.String() != before.String() {
				t.Errorf("the victim's account changed: %+v, then %+v", before, after)
			}
			f.wantSignsIn(t, victim)
		})
	}
}

// Inviting an existing account tells the inviter nothing of it: the
// membership is PENDING, its user is null (the account is not visible
// through a pending membership) and only its ID is given.
func TestInviteOfAnExistingAccountRevealsNothing(t *testing.T) {
	f := mutSetup(t)
	victim := f.outsider(t, "nordic-sound", "USER", 1, `u.phone IS NOT NULL AND u.first_name IS NOT NULL AND u.last_name IS NOT NULL`)
	var profile struct {
		First string `db:"first_name"`
		Last  string `db:"last_name"`
		Phone string `db:"phone"`
	}
	f.get(t, &profile, `SELECT first_name, last_name, phone FROM users WHERE id = $1`, victim.ID)
	before := f.userRow(t, victim.ID)

	p := f.acctMutate(t, f.admin, "inviteMember", "InviteMemberInput", acctInviteSelection,
		map[string]any{"email": victim.Email, "role": "USER", "profile": map[string]any{"firstName": "Mallory", "phone": "+33600000000"}})
	raw := p.node("membership")
	if raw == nil || len(p.Errors) > 0 || len(p.UserErrors) > 0 {
		t.Fatalf("want a membership\n%s", p.describe())
	}
	var m struct {
		ID, Status, Role, UserID string
		Tenant                   struct{ Slug string }
		User                     json.RawMessage
	}
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatal(err)
	}
	if m.Status != "PENDING" || m.Role != "USER" || m.Tenant.Slug != mutTenantSlug {
		t.Errorf("membership = %+v, want a PENDING USER membership of %s", m, mutTenantSlug)
	}
	if m.UserID != gid(model.TypeUser, victim.ID) {
		t.Errorf("membership.userId = %s, want the account's ID", m.UserID)
	}
	if len(m.User) != 0 && string(m.User) != "null" {
		t.Errorf("membership.user = %s, want null: the inviter may not see the account", m.User)
	}
	for _, secret := range []string{profile.First, profile.Last, profile.Phone} {
		if strings.Contains(string(p.Body), secret) {
			t.Errorf("the invite payload reveals %q of the account\n%s", secret, p.describe())
		}
	}
	// The profile sent is for new accounts only: an existing one keeps its own.
	if after := f.userRow(t, victim.ID); after.String() != before.String() {
		t.Errorf("inviting an existing account changed it: %+v, then %+v", before, after)
	}
	var first string
	f.get(t, &first, `SELECT first_name FROM users WHERE id = $1`, victim.ID)
	if first != profile.First {
		t.Errorf("the inviter renamed the account to %q", first)
	}

	// Nor can the inviter read the account any other way.
	var d struct {
		Node       json.RawMessage
		Membership struct {
			Status string
			User   json.RawMessage
		}
		Tenant struct {
			Members struct {
				TotalCount int
				Edges      []json.RawMessage
			}
		}
	}
	f.read(t, f.admin, `query($u: ID!, $m: ID!, $slug: String!) {
		node(id: $u) { id ... on User { firstName phone } }
		membership: node(id: $m) { ... on Membership { status user { id firstName } } }
		tenant(slug: $slug) { members(filter: {id: {eq: $u}}) { totalCount edges { node { id } } } } }`,
		map[string]any{"u": gid(model.TypeUser, victim.ID), "m": m.ID, "slug": mutTenantSlug}, &d)
	if string(d.Node) != "null" {
		t.Errorf("node(id) of the invited account = %s, want null", d.Node)
	}
	if d.Membership.Status != "PENDING" || (len(d.Membership.User) != 0 && string(d.Membership.User) != "null") {
		t.Errorf("the pending membership reads %+v, want PENDING with a null user", d.Membership)
	}
	if d.Tenant.Members.TotalCount != 0 || len(d.Tenant.Members.Edges) != 0 {
		t.Errorf("the invited account is listed among members: %+v", d.Tenant.Members)
	}
}

const (
	acctInvitationSelection = `invitation { id tenantSlug tenantName role }`
	acctViewerInvitations   = `{ viewer { tenant { slug } invitations { id tenantSlug tenantName role createdAt } } }`
)

type acctInvitation struct {
	ID, TenantSlug, TenantName, Role string
}

// The invited user, and only they, accepts or declines; until then the
// membership gives no access and the inviting admins cannot activate it.
func TestInvitationIsAcceptedOrDeclinedByTheInvitedUser(t *testing.T) {
	f := mutSetup(t)
	invitee := f.outsider(t, "blue-label-group", "USER", 0, "")
	home := signedIn(t, "invitee", invitee.ID, "blue-label-group")
	inAcme := signedIn(t, "invitee in acme-music", invitee.ID, mutTenantSlug)
	before := f.userRow(t, invitee.ID)
	gm := f.invitePending(t, f.admin, invitee.Email, "ADMIN")
	membership := mutUUID(t, gm)

	t.Run("a pending membership gives no access", func(t *testing.T) {
		r, err := f.post(t.Context(), inAcme, `{ viewer { role } }`, nil)
		if err != nil {
			t.Fatal(err)
		}
		wantErrorCode(t, r, "FORBIDDEN")
		// Without a tenant, the account still has one tenant to act in.
		var v struct {
			Viewer struct{ Tenant struct{ Slug string } }
		}
		f.read(t, signedIn(t, "invitee", invitee.ID, ""), `{ viewer { tenant { slug } } }`, nil, &v)
		if v.Viewer.Tenant.Slug != "blue-label-group" {
			t.Errorf("the invitee acts in %q, want blue-label-group", v.Viewer.Tenant.Slug)
		}
	})

	t.Run("the invitee sees the invitation", func(t *testing.T) {
		var v struct {
			Viewer struct{ Invitations []acctInvitation }
		}
		f.read(t, home, acctViewerInvitations, nil, &v)
		want := acctInvitation{ID: gm, TenantSlug: mutTenantSlug, TenantName: "Acme Music", Role: "ADMIN"}
		if !slices.Contains(v.Viewer.Invitations, want) {
			t.Errorf("viewer.invitations = %+v, want %+v among them", v.Viewer.Invitations, want)
		}
		// Nobody else does, not even an admin acting as them.
		f.read(t, f.admin, acctViewerInvitations, nil, &v)
		if len(v.Viewer.Invitations) != 0 {
			t.Errorf("the inviting admin sees invitations addressed to others: %+v", v.Viewer.Invitations)
		}
	})

	t.Run("the tenant lists its pending invitations", func(t *testing.T) {
		var d struct {
			Tenant struct {
				Invitations struct {
					Edges []struct {
						Node struct{ ID, Status, UserID string }
					}
				}
			}
		}
		f.read(t, f.admin, `query($slug: String!) { tenant(slug: $slug) { invitations(first: 500) { edges { node { id status userId } } } } }`,
			map[string]any{"slug": mutTenantSlug}, &d)
		found := false
		for _, e := range d.Tenant.Invitations.Edges {
			if e.Node.Status != "PENDING" {
				t.Errorf("tenant.invitations lists a %s membership", e.Node.Status)
			}
			found = found || (e.Node.ID == gm && e.Node.UserID == gid(model.TypeUser, invitee.ID))
		}
		if !found {
			t.Errorf("tenant.invitations does not list %s", gm)
		}
		r, err := f.post(t.Context(), f.user, `query($slug: String!) { tenant(slug: $slug) { invitations { totalCount } } }`, map[string]any{"slug": mutTenantSlug})
		if err != nil {
			t.Fatal(err)
		}
		wantErrorCode(t, r, "FORBIDDEN")
	})

	t.Run("nobody else answers it", func(t *testing.T) {
		other := signedIn(t, "other", f.outsider(t, "nordic-sound", "USER", 5, "").ID, "nordic-sound")
		missing := gid(model.TypeMembership, uuid.NewString())
		for _, mutation := range []string{"acceptInvitation", "declineInvitation"} {
			for _, who := range []mutWho{other, f.admin, f.owner, f.user} {
				p := f.acctMutate(t, who, mutation, "AnswerInvitationInput", acctInvitationSelection, map[string]any{"id": gm})
				q := f.acctMutate(t, who, mutation, "AnswerInvitationInput", acctInvitationSelection, map[string]any{"id": missing})
				if p.node("invitation") != nil || len(p.Errors) > 0 {
					t.Errorf("%s by %s: want NOT_FOUND\n%s", mutation, who.name, p.describe())
				}
				mutWantUserError(t, &mutResult{response: p.response, UserErrors: p.UserErrors}, "NOT_FOUND", "input", "id")
				if !slices.EqualFunc(p.UserErrors, q.UserErrors, func(a, b mutUserError) bool { return a.String() == b.String() }) {
					t.Errorf("%s by %s: someone else's invitation answers %v, a missing one %v: want them alike", mutation, who.name, p.UserErrors, q.UserErrors)
				}
			}
		}
		// An admin acting as the invitee cannot answer for them either:
		// the invitee's admins in blue-label-group are outside acme's tree.
		blueAdmin := signedIn(t, "blue-label-group admin", f.outsider(t, "blue-label-group", "ADMIN", 0, "").ID, "blue-label-group")
		p := f.acctMutate(t, blueAdmin.impersonating(home), "acceptInvitation", "AnswerInvitationInput", acctInvitationSelection, map[string]any{"id": gm})
		if p.node("invitation") != nil || !slices.ContainsFunc(p.Errors, func(e gqlError) bool { return e.code() == "FORBIDDEN" }) {
			t.Errorf("an impersonated invitee accepted: want FORBIDDEN\n%s", p.describe())
		}
	})

	t.Run("the inviting admins cannot activate it", func(t *testing.T) {
		for _, who := range []mutWho{f.admin, f.owner} {
			p := f.acctMutate(t, who, "updateMembership", "UpdateMembershipInput", "membership { id status }", map[string]any{"id": gm, "status": "ACTIVE"})
			wantNoWrite(t, "updateMembership to ACTIVE by "+who.name, p, "membership")
		}
		var status string
		f.get(t, &status, `SELECT status FROM memberships WHERE id = $1`, membership)
		if status != "PENDING" {
			t.Fatalf("the membership is %s after refused changes, want PENDING", status)
		}
	})

	t.Run("the invitee accepts", func(t *testing.T) {
		p := f.acctMutate(t, home, "acceptInvitation", "AnswerInvitationInput", acctInvitationSelection, map[string]any{"id": gm, "clientMutationId": "yes"})
		var inv acctInvitation
		if raw := p.node("invitation"); raw == nil || len(p.Errors) > 0 || len(p.UserErrors) > 0 {
			t.Fatalf("acceptInvitation: want the invitation\n%s", p.describe())
		} else if err := json.Unmarshal(raw, &inv); err != nil {
			t.Fatal(err)
		}
		if inv.ID != gm || inv.TenantSlug != mutTenantSlug || inv.Role != "ADMIN" {
			t.Errorf("accepted invitation = %+v", inv)
		}
		var row struct {
			Status    string `db:"status"`
			UpdatedBy string `db:"updated_by"`
			Version   int    `db:"version"`
		}
		f.get(t, &row, `SELECT status, updated_by::text AS updated_by, version FROM memberships WHERE id = $1`, membership)
		if row.Status != "ACTIVE" || row.UpdatedBy != invitee.ID || row.Version != 2 {
			t.Errorf("memberships row after acceptance = %+v, want ACTIVE, updated by the invitee, version 2", row)
		}
		f.wantAudit(t, "invitation.accept", membership, invitee.ID, "", 1)
		var v struct{ Viewer struct{ Role string } }
		f.read(t, inAcme, `{ viewer { role } }`, nil, &v)
		if v.Viewer.Role != "ADMIN" {
			t.Errorf("the invitee acts in acme-music as %q, want ADMIN", v.Viewer.Role)
		}
		// Answered once only.
		again := f.acctMutate(t, home, "declineInvitation", "AnswerInvitationInput", acctInvitationSelection, map[string]any{"id": gm})
		mutWantUserError(t, &mutResult{response: again.response, UserErrors: again.UserErrors}, "NOT_FOUND", "input", "id")
		if after := f.userRow(t, invitee.ID); after.String() != before.String() {
			t.Errorf("accepting changed the account: %+v, then %+v", before, after)
		}
	})

	t.Run("the account is now shared: acme-music's admins cannot change it", func(t *testing.T) {
		gu := gid(model.TypeUser, invitee.ID)
		f.forbidden(t, f.admin, "updateUser", map[string]any{"id": gu, "email": f.email("hijack")})
		f.forbidden(t, f.admin, "updateUser", map[string]any{"id": gu, "profile": map[string]any{"expiresAt": "2001-01-01T00:00:00Z"}})
		f.forbidden(t, f.admin, "terminateUser", map[string]any{"id": gu})
		r, err := f.post(t.Context(), f.admin.impersonating(home), `{ viewer { role } }`, nil)
		if err != nil {
			t.Fatal(err)
		}
		if r.Status != http.StatusForbidden {
			t.Errorf("impersonating a shared account: HTTP %d, want 403\n%s", r.Status, r.describe())
		}
		if after := f.userRow(t, invitee.ID); after.String() != before.String() {
			t.Errorf("the shared account changed: %+v, then %+v", before, after)
		}
	})

	t.Run("another invitee declines", func(t *testing.T) {
		decliner := f.outsider(t, "nordic-sound", "USER", 6, "")
		who := signedIn(t, "decliner", decliner.ID, "nordic-sound")
		gm2 := f.invitePending(t, f.admin, decliner.Email, "USER")
		p := f.acctMutate(t, who, "declineInvitation", "AnswerInvitationInput", acctInvitationSelection, map[string]any{"id": gm2})
		if p.node("invitation") == nil || len(p.Errors) > 0 || len(p.UserErrors) > 0 {
			t.Fatalf("declineInvitation: want the invitation\n%s", p.describe())
		}
		if n := f.count(t, `SELECT count(*) FROM memberships WHERE user_id = $1 AND tenant_id = $2`, decliner.ID, f.tenant); n != 0 {
			t.Errorf("a declined invitation left %d memberships", n)
		}
		f.wantAudit(t, "invitation.decline", mutUUID(t, gm2), decliner.ID, "", 1)
		r, err := f.post(t.Context(), signedIn(t, "decliner", decliner.ID, mutTenantSlug), `{ viewer { role } }`, nil)
		if err != nil {
			t.Fatal(err)
		}
		wantErrorCode(t, r, "FORBIDDEN")
		// The tenant may invite again.
		f.invitePending(t, f.admin, decliner.Email, "USER")
	})
}

// Impersonation never reaches an account that also belongs to tenants
// outside the impersonator's tree, nor a platform administrator; a member
// of the tree only is reached as before.
func TestImpersonationStaysInsideTheTree(t *testing.T) {
	f := mutSetup(t)
	var shared, platform, plain string
	f.get(t, &shared, `SELECT u.id::text FROM users u JOIN memberships m ON m.user_id = u.id
		WHERE m.tenant_id = $1 AND m.status = 'ACTIVE' AND m.role = 'USER' AND NOT u.is_deleted AND u.admin_roles = '{}'
		  AND (u.expires_at IS NULL OR u.expires_at > now())
		  AND EXISTS (SELECT 1 FROM memberships x WHERE x.user_id = u.id AND NOT x.tenant_id = ANY (tenant_subtree($1)))
		ORDER BY u.id LIMIT 1`, f.tenant)
	f.get(t, &platform, `SELECT u.id::text FROM users u JOIN memberships m ON m.user_id = u.id
		WHERE m.tenant_id = $1 AND m.status = 'ACTIVE' AND m.role = 'USER' AND NOT u.is_deleted AND u.admin_roles <> '{}'
		  AND (u.expires_at IS NULL OR u.expires_at > now())
		ORDER BY u.id LIMIT 1`, f.tenant)
	f.get(t, &plain, `SELECT u.id::text FROM users u JOIN memberships m ON m.user_id = u.id
		WHERE m.tenant_id = $1 AND m.status = 'ACTIVE' AND m.role = 'USER' AND NOT u.is_deleted AND u.admin_roles = '{}'
		  AND (u.expires_at IS NULL OR u.expires_at > now())
		  AND (SELECT count(*) FROM memberships x WHERE x.user_id = u.id) = 1
		ORDER BY u.id DESC LIMIT 1`, f.tenant)
	ownerID, _ := f.invite(t, f.owner, "OWNER")
	t.Cleanup(func() {
		_, _ = f.send(context.Background(), f.owner, "terminateUser", map[string]any{"id": gid(model.TypeUser, ownerID)})
	})
	impersonators := []mutWho{f.admin, f.as(t, "second OWNER", ownerID), f.apiKey(t, f.admin, "ADMIN")}
	for _, who := range impersonators {
		t.Run(who.name, func(t *testing.T) {
			for _, target := range []struct{ name, id string }{{"shared account", shared}, {"platform administrator", platform}} {
				r, err := f.post(t.Context(), actingAs(who, mutWho{name: target.name, id: target.id}), `{ viewer { user { id } } }`, nil)
				if err != nil {
					t.Fatal(err)
				}
				if r.Status != http.StatusForbidden || len(r.Errors) == 0 || r.Errors[0].code() != "FORBIDDEN" {
					t.Errorf("impersonating a %s: want 403 FORBIDDEN\n%s", target.name, r.describe())
				}
			}
			var v struct{ Viewer struct{ User *mutRef } }
			f.read(t, actingAs(who, mutWho{name: "member", id: plain}), `{ viewer { user { id } } }`, nil, &v)
			if mutRefID(v.Viewer.User) != gid(model.TypeUser, plain) {
				t.Errorf("impersonating a plain member acts as %s", mutRefID(v.Viewer.User))
			}
		})
	}
}

// A platform administrator's account, and one shared with other tenants,
// are changed by the user themself or a platform administrator only.
func TestSharedAndPlatformAccountsAreChangedOnlyByTheirOwner(t *testing.T) {
	f := mutSetup(t)
	var shared, platform string
	f.get(t, &shared, `SELECT u.id::text FROM users u JOIN memberships m ON m.user_id = u.id
		WHERE m.tenant_id = $1 AND m.status = 'ACTIVE' AND m.role = 'USER' AND NOT u.is_deleted AND u.admin_roles = '{}'
		  AND (u.expires_at IS NULL OR u.expires_at > now())
		  AND EXISTS (SELECT 1 FROM memberships x WHERE x.user_id = u.id AND NOT x.tenant_id = ANY (tenant_subtree($1)))
		ORDER BY u.id OFFSET 1 LIMIT 1`, f.tenant)
	f.get(t, &platform, `SELECT u.id::text FROM users u JOIN memberships m ON m.user_id = u.id
		WHERE m.tenant_id = $1 AND m.status = 'ACTIVE' AND m.role = 'USER' AND NOT u.is_deleted AND u.admin_roles <> '{}'
		  AND (u.expires_at IS NULL OR u.expires_at > now())
		ORDER BY u.id LIMIT 1`, f.tenant)
	ownerID, _ := f.invite(t, f.owner, "OWNER")
	t.Cleanup(func() {
		_, _ = f.send(context.Background(), f.owner, "terminateUser", map[string]any{"id": gid(model.TypeUser, ownerID)})
	})
	owner := f.as(t, "second OWNER", ownerID)

	for _, target := range []struct{ name, id string }{{"shared account", shared}, {"platform administrator", platform}} {
		t.Run(target.name, func(t *testing.T) {
			gu := gid(model.TypeUser, target.id)
			before := f.userRow(t, target.id)
			for _, who := range []mutWho{f.admin, owner} {
				f.forbidden(t, who, "updateUser", map[string]any{"id": gu, "email": f.email("takeover")})
				f.forbidden(t, who, "updateUser", map[string]any{"id": gu, "profile": map[string]any{"expiresAt": "2001-01-01T00:00:00Z"}})
				f.forbidden(t, who, "updateUser", map[string]any{"id": gu, "profile": map[string]any{"nickname": "renamed"}})
				f.forbidden(t, who, "terminateUser", map[string]any{"id": gu})
			}
			if after := f.userRow(t, target.id); after.String() != before.String() {
				t.Fatalf("the account changed: %+v, then %+v", before, after)
			}
			// The user themself changes their profile and email...
			self := f.as(t, target.name, target.id)
			email := f.email("own-choice")
			var u mutUser
			f.ok(t, self, "updateUser", map[string]any{"id": gu, "email": email, "profile": map[string]any{"nickname": "mine"}}, &u)
			if mutDeref(u.Email) != email || mutDeref(u.Nickname) != "mine" {
				t.Errorf("self-update = %+v", u)
			}
			// ... and a platform administrator may change it.
			var superID string
			f.get(t, &superID, `SELECT id::text FROM users WHERE 'SUPER_ADMIN' = ANY (admin_roles) AND id <> $1
				AND NOT is_deleted AND (expires_at IS NULL OR expires_at > now()) ORDER BY id LIMIT 1`, target.id)
			f.ok(t, f.as(t, "platform administrator", superID), "updateUser",
				map[string]any{"id": gu, "profile": map[string]any{"nickname": "by the platform"}}, nil)
		})
	}
}

// Who may set each field, self-updates included: expiresAt and
// dspPlanSubscribed only a manager of the whole account.
func TestFieldRulesOnSelfUpdate(t *testing.T) {
	f := mutSetup(t)
	userID, _ := f.invite(t, f.admin, "USER")
	gu := gid(model.TypeUser, userID)
	f.ok(t, f.admin, "updateUser", map[string]any{"id": gu, "profile": map[string]any{"expiresAt": "2049-01-01T00:00:00Z", "dspPlanSubscribed": true}}, nil)
	before := f.userRow(t, userID)
	if before.ExpiresAt == nil || before.ExpiresAt.Year() != 2049 || !before.Dsp {
		t.Fatalf("an ADMIN could not set expiresAt and dspPlanSubscribed: %+v", before)
	}
	self := f.as(t, "the USER", userID)
	for _, profile := range []map[string]any{
		{"expiresAt": nil},
		{"expiresAt": "2099-01-01T00:00:00Z"},
		{"dspPlanSubscribed": false},
		{"nickname": "ok", "dspPlanSubscribed": false},
	} {
		f.forbidden(t, self, "updateUser", map[string]any{"id": gu, "profile": profile})
		f.forbidden(t, f.admin.impersonating(self), "updateUser", map[string]any{"id": gu, "profile": profile})
	}
	f.forbidden(t, f.user, "updateUser", map[string]any{"id": gid(model.TypeUser, f.user.id), "profile": map[string]any{"dspPlanSubscribed": true}})
	if after := f.userRow(t, userID); after.String() != before.String() {
		t.Fatalf("refused self-updates changed the account: %+v, then %+v", before, after)
	}
	// The other fields remain the user's own.
	email := f.email("self")
	var u mutUser
	f.ok(t, self, "updateUser", map[string]any{"id": gu, "email": email, "profile": map[string]any{"nickname": "Self-made"}}, &u)
	if mutDeref(u.Email) != email || mutDeref(u.Nickname) != "Self-made" {
		t.Errorf("self-update = %+v", u)
	}
	// A manager of the account lifts the expiry.
	f.ok(t, f.admin, "updateUser", map[string]any{"id": gu, "profile": map[string]any{"expiresAt": nil}}, nil)
	if after := f.userRow(t, userID); after.ExpiresAt != nil {
		t.Errorf("expires_at = %v after the ADMIN cleared it", after.ExpiresAt)
	}
}

// Changing an artist's brand needs write access to the old brand and to
// the new one; no brand needs catalogue:manage.
func TestArtistBrandChangeNeedsBothBrands(t *testing.T) {
	f := mutSetup(t)
	gb := gid(model.TypeBrand, f.brand)
	var a mutArtist
	f.ok(t, f.brandUser, "createArtist", map[string]any{"fields": map[string]any{"name": f.uniq("Brand-bound Artist"), "brandId": gb}}, &a)
	artist := mutUUID(t, a.ID)
	brandOf := func() string {
		var b *string
		f.get(t, &b, `SELECT brand_id::text FROM artists WHERE id = $1`, artist)
		return mutDeref(b)
	}
	other := f.newBrand(t, f.admin)
	go2 := gid(model.TypeBrand, other)

	f.forbidden(t, f.brandUser, "updateArtist", map[string]any{"id": a.ID, "fields": map[string]any{"brandId": nil}})
	f.forbidden(t, f.brandUser, "updateArtist", map[string]any{"id": a.ID, "fields": map[string]any{"brandId": go2}})
	f.forbidden(t, f.brandRO, "updateArtist", map[string]any{"id": a.ID, "fields": map[string]any{"brandId": go2}})
	if b := brandOf(); b != f.brand {
		t.Fatalf("the artist's brand is %s after refused changes, want %s", b, f.brand)
	}

	// With USER access to both brands the move is allowed.
	var ba mutBrandAccess
	f.ok(t, f.admin, "grantBrandAccess", map[string]any{"brandId": go2, "userId": gid(model.TypeUser, f.brandUser.id)}, &ba)
	t.Cleanup(func() { _, _ = f.send(context.Background(), f.admin, "revokeBrandAccess", map[string]any{"id": ba.ID}) })
	f.ok(t, f.brandUser, "updateArtist", map[string]any{"id": a.ID, "fields": map[string]any{"brandId": go2}}, nil)
	if b := brandOf(); b != other {
		t.Errorf("the artist's brand is %s, want %s", b, other)
	}
	// Detaching still needs catalogue:manage.
	f.forbidden(t, f.brandUser, "updateArtist", map[string]any{"id": a.ID, "fields": map[string]any{"brandId": nil}})
	f.ok(t, f.admin, "updateArtist", map[string]any{"id": a.ID, "fields": map[string]any{"brandId": nil}}, nil)
	if b := brandOf(); b != "<nil>" {
		t.Errorf("the artist's brand is %s after the ADMIN detached it", b)
	}
}

// A mutation naming an object of another tenant answers exactly as one
// naming an object that does not exist.
func TestForeignAndMissingIDsAnswerAlike(t *testing.T) {
	f := mutSetup(t)
	var foreign struct {
		Membership  string `db:"membership"`
		BrandAccess string `db:"brand_access"`
	}
	f.get(t, &foreign, `SELECT
		(SELECT m.id::text FROM memberships m WHERE NOT m.tenant_id = ANY (tenant_subtree($1)) ORDER BY m.id LIMIT 1) AS membership,
		(SELECT ba.id::text FROM brand_access ba WHERE NOT ba.tenant_id = ANY (tenant_subtree($1)) ORDER BY ba.id LIMIT 1) AS brand_access`, f.tenant)
	missing := uuid.NewString()
	cases := []struct {
		mutation, inputType, selection string
		input                          func(id string) map[string]any
		foreign                        string
	}{
		{"updateUser", "UpdateUserInput", "user { id }", func(id string) map[string]any {
			return map[string]any{"id": gid(model.TypeUser, id), "profile": map[string]any{"nickname": "x"}}
		}, f.foreignUser.ID},
		{"updateUser", "UpdateUserInput", "user { id }", func(id string) map[string]any {
			return map[string]any{"id": gid(model.TypeUser, id), "email": f.email("x")}
		}, f.foreignUser.ID},
		{"terminateUser", "TerminateUserInput", "user { id }", func(id string) map[string]any {
			return map[string]any{"id": gid(model.TypeUser, id)}
		}, f.foreignUser.ID},
		{"grantBrandAccess", "GrantBrandAccessInput", "brandAccess { id }", func(id string) map[string]any {
			return map[string]any{"brandId": gid(model.TypeBrand, f.brand), "userId": gid(model.TypeUser, id)}
		}, f.foreignUser.ID},
		{"updateMembership", "UpdateMembershipInput", "membership { id }", func(id string) map[string]any {
			return map[string]any{"id": gid(model.TypeMembership, id), "role": "USER"}
		}, foreign.Membership},
		{"revokeBrandAccess", "RevokeBrandAccessInput", "brandAccess { id }", func(id string) map[string]any {
			return map[string]any{"id": gid(model.TypeBrandAccess, id)}
		}, foreign.BrandAccess},
		{"updateArtist", "UpdateArtistInput", "artist { id }", func(id string) map[string]any {
			return map[string]any{"id": gid(model.TypeArtist, id), "fields": map[string]any{"name": "x"}}
		}, f.foreignArtist},
		{"acceptInvitation", "AnswerInvitationInput", "invitation { id }", func(id string) map[string]any {
			return map[string]any{"id": gid(model.TypeMembership, id)}
		}, foreign.Membership},
	}
	for _, tc := range cases {
		for _, who := range []mutWho{f.admin, f.user} {
			t.Run(tc.mutation+" as "+who.name, func(t *testing.T) {
				a := f.acctMutate(t, who, tc.mutation, tc.inputType, tc.selection, tc.input(tc.foreign))
				b := f.acctMutate(t, who, tc.mutation, tc.inputType, tc.selection, tc.input(missing))
				describe := func(p *acctPayload) string {
					var parts []string
					for _, e := range p.Errors {
						parts = append(parts, e.code()+": "+e.Message)
					}
					for _, e := range p.UserErrors {
						parts = append(parts, e.String())
					}
					return strings.Join(parts, "; ")
				}
				if describe(a) != describe(b) || describe(a) == "" || a.Status != b.Status {
					t.Errorf("foreign ID answers %q (HTTP %d), missing ID %q (HTTP %d): want the same refusal",
						describe(a), a.Status, describe(b), b.Status)
				}
			})
		}
	}
}

// ---------------------------------------------------------------------------
// Filters on references to users (createdBy, updatedBy) match only users
// the caller may see, so they cannot confirm or enumerate hidden IDs.

func TestUserReferenceFiltersMatchOnlyVisibleUsers(t *testing.T) {
	acme := tenantID(t, "acme-music")
	// A member whose updater is invisible to acme-music, and one whose
	// updater is visible.
	var hidden, visible struct {
		Member  string `db:"id"`
		Updater string `db:"updated_by"`
	}
	const q = `SELECT u.id, u.updated_by FROM memberships m JOIN users u ON u.id = m.user_id
		WHERE m.tenant_id = $1 AND NOT u.is_deleted AND u.updated_by IS NOT NULL
		  AND %s EXISTS (SELECT 1 FROM memberships x WHERE x.user_id = u.updated_by AND x.tenant_id = ANY (tenant_subtree($1)))
		ORDER BY u.id LIMIT 1`
	sqlValue(t, &hidden, strings.Replace(q, "%s", "NOT", 1), acme)
	sqlValue(t, &visible, strings.Replace(q, "%s", "", 1), acme)
	var creator struct {
		Member  string `db:"id"`
		Creator string `db:"created_by"`
	}
	sqlValue(t, &creator, `SELECT u.id, u.created_by FROM memberships m JOIN users u ON u.id = m.user_id
		WHERE m.tenant_id = $1 AND NOT u.is_deleted AND u.created_by IS NOT NULL
		  AND NOT EXISTS (SELECT 1 FROM memberships x WHERE x.user_id = u.created_by AND x.tenant_id = ANY (tenant_subtree($1)))
		ORDER BY u.id LIMIT 1`, acme)

	const members = `query($f: UserFilter, $q: String) { tenant(slug: "acme-music") {
		members(first: 500, filter: $f, query: $q, includeSubsidiaries: false) { totalCount edges { node { id updatedBy { id } createdBy { id } } } } } }`
	type page struct {
		Tenant struct {
			Members struct {
				TotalCount int
				Edges      []struct {
					Node struct {
						ID                   string
						UpdatedBy, CreatedBy *mutRef
					}
				}
			}
		}
	}
	for _, role := range []string{"USER", "ADMIN"} {
		t.Run(role, func(t *testing.T) {
			token := tokenFor(t, credMember(t, "acme-music", role), "acme-music")
			list := func(vars map[string]any) (ids []string, total int) {
				t.Helper()
				var d page
				credOK(t, credPost(t, server.URL, credBearer(token), members, vars), &d)
				for _, e := range d.Tenant.Members.Edges {
					ids = append(ids, e.Node.ID)
				}
				return ids, d.Tenant.Members.TotalCount
			}
			gh := gid(model.TypeUser, hidden.Updater)
			// The field is null for the hidden updater...
			var d struct {
				Node struct{ UpdatedBy *mutRef }
			}
			credOK(t, credPost(t, server.URL, credBearer(token), `query($id: ID!) { node(id: $id) { ... on User { updatedBy { id } } } }`,
				map[string]any{"id": gid(model.TypeUser, hidden.Member)}), &d)
			if d.Node.UpdatedBy != nil {
				t.Fatalf("updatedBy of %s shows a user outside the tenant: %s", hidden.Member, d.Node.UpdatedBy.ID)
			}
			// ... and the filters answer like it: the ID matches nothing.
			for name, vars := range map[string]map[string]any{
				"eq":           {"f": map[string]any{"updatedBy": map[string]any{"eq": gh}}},
				"plain UUID":   {"f": map[string]any{"updatedBy": map[string]any{"eq": hidden.Updater}}},
				"in":           {"f": map[string]any{"updatedBy": map[string]any{"in": []string{gh}}}},
				"query":        {"q": "updated_by:" + hidden.Updater},
				"createdBy":    {"f": map[string]any{"createdBy": map[string]any{"eq": gid(model.TypeUser, creator.Creator)}}},
				"not notIn":    {"f": map[string]any{"not": map[string]any{"updatedBy": map[string]any{"notIn": []string{gh}}}}},
				"isNull false": {"f": map[string]any{"id": map[string]any{"eq": gid(model.TypeUser, hidden.Member)}, "updatedBy": map[string]any{"isNull": false}}},
			} {
				if ids, total := list(vars); len(ids) != 0 || total != 0 {
					t.Errorf("%s on a hidden user's ID matches %d members (totalCount %d), want none", name, len(ids), total)
				}
			}
			// Prefixes enumerate nothing: the member updated by the hidden
			// user is never matched, whatever the prefix.
			for n := 1; n <= 8; n++ {
				ids, _ := list(map[string]any{"f": map[string]any{"updatedBy": map[string]any{"like": hidden.Updater[:n] + "*"}}})
				if slices.Contains(ids, gid(model.TypeUser, hidden.Member)) {
					t.Errorf("updatedBy like %s* matches the member updated by a hidden user", hidden.Updater[:n])
				}
			}
			// isNull and ne see the hidden updater as null, as the field does.
			ids, _ := list(map[string]any{"f": map[string]any{"id": map[string]any{"eq": gid(model.TypeUser, hidden.Member)}, "updatedBy": map[string]any{"isNull": true}}})
			if !slices.Equal(ids, []string{gid(model.TypeUser, hidden.Member)}) {
				t.Errorf("updatedBy isNull: true does not match a member whose updater is hidden: %v", ids)
			}
			// A visible updater is matched as before, by ID and by pattern.
			gv := gid(model.TypeUser, visible.Updater)
			for _, f := range []map[string]any{{"eq": gv}, {"like": visible.Updater[:8] + "*"}} {
				ids, _ := list(map[string]any{"f": map[string]any{"updatedBy": f}})
				if !slices.Contains(ids, gid(model.TypeUser, visible.Member)) {
					t.Errorf("updatedBy %v does not match a member updated by a visible user", f)
				}
			}
			var want []string
			sqlRows(t, &want, `SELECT u.id FROM memberships m JOIN users u ON u.id = m.user_id
				WHERE m.tenant_id = $1 AND NOT u.is_deleted AND u.updated_by = $2 ORDER BY u.id`, acme, visible.Updater)
			got, total := list(map[string]any{"f": map[string]any{"updatedBy": map[string]any{"eq": gv}}})
			slices.Sort(got)
			if total != len(want) || !slices.Equal(got, gidsOf(want)) {
				t.Errorf("updatedBy eq a visible user: %d members (totalCount %d), want %d", len(got), total, len(want))
			}
		})
	}
}

func gidsOf(uuids []string) []string {
	out := make([]string, len(uuids))
	for i, u := range uuids {
		out[i] = gid(model.TypeUser, u)
	}
	slices.Sort(out)
	return out
}

// TestPendingInvitationsAreNotCounted: the kept member count of a tenant
// (migration 0006) leaves invitations out, as the member list does, and
// counts the member once the invitation is accepted.
func TestPendingInvitationsAreNotCounted(t *testing.T) {
	f := mutSetup(t)
	count := func() (api, walk int) {
		var d struct {
			Tenant struct {
				Members struct {
					TotalCount int `json:"totalCount"`
				} `json:"members"`
			} `json:"tenant"`
		}
		f.read(t, f.admin, `query($slug: String!) { tenant(slug: $slug) { members(includeSubsidiaries: false) { totalCount } } }`,
			map[string]any{"slug": mutTenantSlug}, &d)
		walk = f.count(t, `SELECT count(*) FROM memberships WHERE tenant_id = $1 AND NOT user_deleted AND status <> 'PENDING'`, f.tenant)
		return d.Tenant.Members.TotalCount, walk
	}
	before, walk := count()
	if before != walk {
		t.Fatalf("totalCount %d, the list has %d rows", before, walk)
	}
	invitee := f.outsider(t, "blue-label-group", "USER", 0, "")
	gm := f.invitePending(t, f.admin, invitee.Email, "USER")
	if got, walk := count(); got != before || walk != before {
		t.Errorf("with a pending invitation totalCount is %d (list %d), want %d", got, walk, before)
	}
	home := signedIn(t, "invitee", invitee.ID, "blue-label-group")
	r, err := f.post(t.Context(), home, `mutation($id: ID!) { acceptInvitation(input: {id: $id}) { userErrors { code } } }`, map[string]any{"id": gm})
	if err != nil {
		t.Fatal(err)
	}
	mustData(t, r, nil)
	if got, walk := count(); got != before+1 || walk != before+1 {
		t.Errorf("after acceptance totalCount is %d (list %d), want %d", got, walk, before+1)
	}
}
