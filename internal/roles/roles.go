// Package roles sets up the PostgreSQL roles the server divides its work
// between, where the caller holds a superuser connection: the embedded
// cluster of `make run` and the test suite's databases. With DATABASE_URL an
// administrator creates them instead (README, "Database roles").
//
//   - The owner runs the migrations and owns the schema. It has BYPASSRLS,
//     so that the SECURITY DEFINER functions the migrations create (the
//     credential lookups, the trigram searches) read as before; it never
//     serves requests.
//   - The runtime role is what the server connects as: LOGIN, NOSUPERUSER,
//     NOBYPASSRLS, owning nothing, a member of App. Row-level security
//     binds every statement it sends, whether or not the statement's
//     transaction switched to App.
//   - App (catalogue_app) is the role every request transaction switches
//     to with SET LOCAL ROLE; it cannot log in.
package roles

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/lib/pq"
)

// App is the role request transactions run as (migration 0003).
const App = "catalogue_app"

// The roles of the embedded cluster.
const (
	Owner   = "catalogue_owner"
	Runtime = "catalogue_server"
)

// Login is a role that connects with a password.
type Login struct {
	Name     string
	Password string
}

// Attributes of each role. App's match migration 0003, which creates it
// where nobody did before.
const (
	appAttrs     = "NOLOGIN NOSUPERUSER NOBYPASSRLS NOINHERIT NOCREATEDB NOCREATEROLE"
	ownerAttrs   = "LOGIN NOSUPERUSER BYPASSRLS INHERIT NOCREATEDB NOCREATEROLE"
	runtimeAttrs = "LOGIN NOSUPERUSER NOBYPASSRLS INHERIT NOCREATEDB NOCREATEROLE"
)

// Ensure creates the roles, or sets their attributes and passwords again,
// over su, a superuser connection to any database of the cluster. The
// owner becomes a member of App with ADMIN OPTION (migration 0003 grants
// App to whoever migrates, and the command-line tools act as App); the
// runtime role a plain member, which it inherits, so that it may call the
// credential lookups before a request's transaction exists. It is
// idempotent and safe to run from several processes at once.
func Ensure(ctx context.Context, su *sql.DB, owner, runtime Login) error {
	if owner.Name == "" || runtime.Name == "" || owner.Name == runtime.Name {
		return fmt.Errorf("roles: the owner and runtime roles need two different names, got %q and %q", owner.Name, runtime.Name)
	}
	if err := ensureApp(ctx, su); err != nil {
		return err
	}
	for _, r := range []struct {
		l     Login
		attrs string
	}{{owner, ownerAttrs}, {runtime, runtimeAttrs}} {
		if err := ensureLogin(ctx, su, r.l, r.attrs); err != nil {
			return err
		}
	}
	stmts := []string{
		"GRANT " + pq.QuoteIdentifier(App) + " TO " + pq.QuoteIdentifier(owner.Name) + " WITH ADMIN OPTION",
		"GRANT " + pq.QuoteIdentifier(App) + " TO " + pq.QuoteIdentifier(runtime.Name),
		// A runtime role that could become the owner would own the tables.
		"REVOKE " + pq.QuoteIdentifier(owner.Name) + " FROM " + pq.QuoteIdentifier(runtime.Name),
	}
	for _, q := range stmts {
		if _, err := su.ExecContext(ctx, q); err != nil {
			return fmt.Errorf("roles: %s: %w", q, err)
		}
	}
	return nil
}

// ensureApp creates App if it is missing. Several test processes may race
// to create it on a shared server; losing the race is success.
func ensureApp(ctx context.Context, su *sql.DB) error {
	exists, err := roleExists(ctx, su, App)
	if err != nil || exists {
		return err
	}
	_, err = su.ExecContext(ctx, "CREATE ROLE "+pq.QuoteIdentifier(App)+" "+appAttrs)
	if err != nil && !duplicate(err) {
		return fmt.Errorf("roles: create %s: %w", App, err)
	}
	return nil
}

// ensureLogin creates a login role, or resets the attributes and password
// of an existing one.
func ensureLogin(ctx context.Context, su *sql.DB, l Login, attrs string) error {
	exists, err := roleExists(ctx, su, l.Name)
	if err != nil {
		return err
	}
	verb := "CREATE"
	if exists {
		verb = "ALTER"
	}
	// Utility statements take no bind parameters: the password is quoted.
	q := verb + " ROLE " + pq.QuoteIdentifier(l.Name) + " " + attrs + " PASSWORD " + pq.QuoteLiteral(l.Password)
	if _, err := su.ExecContext(ctx, q); err != nil {
		return fmt.Errorf("roles: %s role %s: %w", verb, l.Name, err)
	}
	return nil
}

func roleExists(ctx context.Context, su *sql.DB, name string) (bool, error) {
	var exists bool
	if err := su.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = $1)`, name).Scan(&exists); err != nil {
		return false, fmt.Errorf("roles: %w", err)
	}
	return exists, nil
}

// duplicate reports a CREATE that lost a race: the object exists
// (duplicate_object) or its catalogue row was inserted meanwhile
// (unique_violation).
func duplicate(err error) bool {
	var pqErr *pq.Error
	return errors.As(err, &pqErr) && (pqErr.Code == "42710" || pqErr.Code == "23505")
}

// Adopt hands schema public of su's database to owner, with what the
// migrations need of the database (CREATE, for the extensions they
// install), and makes owner the owner of the tables, views, sequences and
// functions in it that su's role owns, extensions' members excepted. It
// upgrades a database whose migrations ran as the superuser, as those of
// `make run` did before the owner role existed; on a database where owner
// already owns everything it changes nothing.
func Adopt(ctx context.Context, su *sql.DB, owner string) error {
	o := pq.QuoteIdentifier(owner)
	var dbname string
	if err := su.QueryRowContext(ctx, `SELECT current_database()`).Scan(&dbname); err != nil {
		return fmt.Errorf("roles: %w", err)
	}
	stmts := []string{
		"ALTER SCHEMA public OWNER TO " + o,
		"GRANT CREATE, CONNECT, TEMPORARY ON DATABASE " + pq.QuoteIdentifier(dbname) + " TO " + o,
	}
	// Sequences that belong to a column follow their table; objects of an
	// extension stay with it.
	var objects []string
	err := selectStrings(ctx, su, &objects, `
		SELECT format('ALTER %s %s OWNER TO ', CASE c.relkind WHEN 'S' THEN 'SEQUENCE' WHEN 'v' THEN 'VIEW'
		                                               WHEN 'm' THEN 'MATERIALIZED VIEW' ELSE 'TABLE' END, c.oid::regclass)
		FROM pg_class c
		WHERE c.relnamespace = 'public'::regnamespace AND c.relkind IN ('r', 'p', 'v', 'm', 'S')
		  AND c.relowner = (SELECT oid FROM pg_roles WHERE rolname = current_user)
		  AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid
		                  AND d.deptype IN ('e', 'a', 'i'))
		UNION ALL
		SELECT format('ALTER ROUTINE %s OWNER TO ', p.oid::regprocedure)
		FROM pg_proc p
		WHERE p.pronamespace = 'public'::regnamespace
		  AND p.proowner = (SELECT oid FROM pg_roles WHERE rolname = current_user)
		  AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_proc'::regclass AND d.objid = p.oid AND d.deptype = 'e')`)
	if err != nil {
		return err
	}
	for _, s := range objects {
		stmts = append(stmts, s+o)
	}
	tx, err := su.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("roles: %w", err)
	}
	defer func() { _ = tx.Rollback() }()
	for _, q := range stmts {
		if _, err := tx.ExecContext(ctx, q); err != nil {
			return fmt.Errorf("roles: %s: %w", q, err)
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("roles: %w", err)
	}
	return nil
}

func selectStrings(ctx context.Context, su *sql.DB, dst *[]string, q string) error {
	rows, err := su.QueryContext(ctx, q)
	if err != nil {
		return fmt.Errorf("roles: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			return fmt.Errorf("roles: %w", err)
		}
		*dst = append(*dst, s)
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("roles: %w", err)
	}
	return nil
}
