package roles_test

import (
	"context"
	"database/sql"
	"fmt"
	"net/url"
	"os"
	"testing"

	_ "github.com/lib/pq"

	"catalogue/internal/roles"
	"catalogue/internal/testdb"
)

var env *testdb.Env

func TestMain(m *testing.M) {
	var err error
	env, err = testdb.Setup(context.Background(), nil)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	code := m.Run()
	env.Close()
	os.Exit(code)
}

// TestEnsureMakesTheRoles: Setup ran Ensure; the roles have the attributes
// the README promises, and running Ensure again changes nothing and fails
// in nothing.
func TestEnsureMakesTheRoles(t *testing.T) {
	ctx := t.Context()
	type attrs struct {
		Super, Bypass, Login, AppMember, AppAdmin bool
	}
	get := func(role string) attrs {
		t.Helper()
		var a attrs
		err := env.DB.QueryRowContext(ctx, `SELECT r.rolsuper, r.rolbypassrls, r.rolcanlogin,
			pg_has_role(r.oid, $2, 'MEMBER'), EXISTS (SELECT 1 FROM pg_auth_members m
				WHERE m.member = r.oid AND m.roleid = $2::regrole AND m.admin_option)
			FROM pg_roles r WHERE r.rolname = $1`, role, roles.App).Scan(&a.Super, &a.Bypass, &a.Login, &a.AppMember, &a.AppAdmin)
		if err != nil {
			t.Fatalf("role %s: %v", role, err)
		}
		return a
	}
	check := func() {
		t.Helper()
		if a := get(env.OwnerRole); a != (attrs{Bypass: true, Login: true, AppMember: true, AppAdmin: true}) {
			t.Errorf("owner %s: %+v", env.OwnerRole, a)
		}
		if a := get(env.RuntimeRole); a != (attrs{Login: true, AppMember: true}) {
			t.Errorf("runtime role %s: %+v", env.RuntimeRole, a)
		}
		var app struct{ login, bypass bool }
		if err := env.DB.QueryRowContext(ctx, `SELECT rolcanlogin, rolbypassrls FROM pg_roles WHERE rolname = $1`, roles.App).Scan(&app.login, &app.bypass); err != nil || app.login || app.bypass {
			t.Errorf("%s: login %v, bypassrls %v, %v", roles.App, app.login, app.bypass, err)
		}
	}
	check()
	// Ensure again, with new passwords: the attributes stay, the runtime
	// role logs in with its new password.
	owner := roles.Login{Name: env.OwnerRole, Password: "changed-owner"}
	runtime := roles.Login{Name: env.RuntimeRole, Password: "changed-runtime"}
	if err := roles.Ensure(ctx, env.DB.DB, owner, runtime); err != nil {
		t.Fatal(err)
	}
	check()
	u, err := url.Parse(env.URL)
	if err != nil {
		t.Fatal(err)
	}
	u.User = url.UserPassword(runtime.Name, runtime.Password)
	x, err := sql.Open("postgres", u.String())
	if err != nil {
		t.Fatal(err)
	}
	defer x.Close()
	var who string
	if err := x.QueryRowContext(ctx, `SELECT current_user`).Scan(&who); err != nil || who != runtime.Name {
		t.Errorf("logging in as %s with its new password: %q, %v", runtime.Name, who, err)
	}
	if err := roles.Ensure(ctx, env.DB.DB, owner, owner); err == nil {
		t.Error("Ensure accepted one role as both owner and runtime role")
	}
}

// TestAdoptHandsTheSchemaOver: objects the superuser made, as the migrations
// of `make run` did before the owner role existed, pass to the owner;
// members of an extension stay with it.
func TestAdoptHandsTheSchemaOver(t *testing.T) {
	ctx := t.Context()
	for _, q := range []string{
		`CREATE EXTENSION IF NOT EXISTS pg_trgm`,
		`CREATE TABLE legacy (id serial PRIMARY KEY, name text)`,
		`CREATE VIEW legacy_names AS SELECT name FROM legacy`,
		`CREATE FUNCTION legacy_count() RETURNS bigint LANGUAGE sql AS $$ SELECT count(*) FROM legacy $$`,
	} {
		if _, err := env.DB.ExecContext(ctx, q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	for range 2 { // the second time finds nothing to do
		if err := roles.Adopt(ctx, env.DB.DB, env.OwnerRole); err != nil {
			t.Fatal(err)
		}
	}
	var owners []struct {
		Name  string `db:"name"`
		Owner string `db:"owner"`
	}
	if err := env.DB.SelectContext(ctx, &owners, `
		SELECT relname AS name, pg_get_userbyid(relowner) AS owner FROM pg_class
		WHERE relnamespace = 'public'::regnamespace AND relname IN ('legacy', 'legacy_id_seq', 'legacy_names')
		UNION ALL
		SELECT proname, pg_get_userbyid(proowner) FROM pg_proc WHERE proname IN ('legacy_count', 'similarity')
		UNION ALL
		SELECT 'schema public', pg_get_userbyid(nspowner) FROM pg_namespace WHERE nspname = 'public'
		ORDER BY 1`); err != nil {
		t.Fatal(err)
	}
	if len(owners) != 6 {
		t.Fatalf("owners: %+v", owners)
	}
	var superuser string
	if err := env.DB.GetContext(ctx, &superuser, `SELECT current_user`); err != nil {
		t.Fatal(err)
	}
	for _, o := range owners {
		want := env.OwnerRole
		if o.Name == "similarity" {
			want = superuser // pg_trgm's, which made it
		}
		if o.Owner != want {
			t.Errorf("%s belongs to %s, want %s", o.Name, o.Owner, want)
		}
	}
}
