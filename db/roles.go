package db

import (
	"context"
	"fmt"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"
)

// ConnectedRole is what start-up learns about the role a pool connects as
// (README, "Database roles").
type ConnectedRole struct {
	Name      string `db:"name"`
	Superuser bool   `db:"superuser"`
	BypassRLS bool   `db:"bypassrls"`
	// AppMember tells whether it may switch to AppRole, as every request
	// transaction does.
	AppMember bool `db:"app_member"`
	// OwnedTables counts the tables of schema public it owns; it may lift
	// their policies.
	OwnedTables int `db:"owned_tables"`
}

// RoleOf describes the role x connects as.
func RoleOf(ctx context.Context, x *sqlx.DB) (ConnectedRole, error) {
	var r ConnectedRole
	err := x.GetContext(ctx, &r, `SELECT r.rolname AS name, r.rolsuper AS superuser, r.rolbypassrls AS bypassrls,
		EXISTS (SELECT 1 FROM pg_roles a WHERE a.rolname = $1 AND pg_has_role(r.oid, a.oid, 'MEMBER')) AS app_member,
		(SELECT count(*) FROM pg_class c WHERE c.relowner = r.oid AND c.relkind IN ('r', 'p')
		   AND c.relnamespace = 'public'::regnamespace) AS owned_tables
		FROM pg_roles r WHERE r.rolname = current_user`, AppRole)
	if err != nil {
		return r, fmt.Errorf("read the connected role: %w", err)
	}
	return r, nil
}

// ServeCheck refuses a role that row-level security does not bind: a
// superuser or a BYPASSRLS role would see every tenant's rows in any
// statement that lost its tenant predicate or its SET LOCAL ROLE.
func (r ConnectedRole) ServeCheck() error {
	switch {
	case r.Superuser:
		return fmt.Errorf("the server connects as %s, a superuser, which row-level security does not bind: connect DATABASE_URL as a role without SUPERUSER and BYPASSRLS that owns nothing, and run migrations with DATABASE_MIGRATE_URL (README, \"Database roles\")", r.Name)
	case r.BypassRLS:
		return fmt.Errorf("the server connects as %s, which has BYPASSRLS: connect DATABASE_URL as a role without it (ALTER ROLE %s NOBYPASSRLS, or another role; README, \"Database roles\")", r.Name, pq.QuoteIdentifier(r.Name))
	}
	return nil
}

// GrantAppRole makes role a member of AppRole, over owner, a pool of the
// role that migrated (and so created AppRole, or was granted it with ADMIN
// OPTION). It does nothing when role is a member already.
func GrantAppRole(ctx context.Context, owner *sqlx.DB, role string) error {
	q := "GRANT " + pq.QuoteIdentifier(AppRole) + " TO " + pq.QuoteIdentifier(role)
	if _, err := owner.ExecContext(ctx, q); err != nil {
		return fmt.Errorf("%s: %w (as a superuser, run it once yourself)", q, err)
	}
	return nil
}
