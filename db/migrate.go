package db

import (
	"context"
	"fmt"
	"io/fs"
	"sort"
	"strings"

	"github.com/jmoiron/sqlx"

	"catalogue/migrations"
)

// migrationLock is the advisory lock key that serialises concurrent
// migrators (several server processes starting at once).
const migrationLock = 7262024

// allTenantsSetting opens every tenant to the rest of a transaction, for
// the platform-wide work of the roles that own the schema (migrations,
// seeding), whether or not row-level security binds them.
const allTenantsSetting = `SELECT set_config('app.all_tenants', 'on', true)`

// Migrate applies every migration not applied yet, each in its own
// transaction, in file-name order. Running it again is a no-op.
//
// Each migration's transaction takes a transaction-scoped advisory lock
// and checks again, under it, that the migration is still pending. Nothing
// outlives a transaction, so this works through a pooler in transaction
// mode (PgBouncer), where a session-level lock could be taken on one server
// connection and released on another, or never.
func Migrate(ctx context.Context, x *sqlx.DB) (applied []string, err error) {
	names, err := fs.Glob(migrations.FS, "*.sql")
	if err != nil {
		return nil, err
	}
	sort.Strings(names)
	done, err := appliedMigrations(ctx, x)
	if err != nil {
		return nil, err
	}
	for _, name := range names {
		version := strings.TrimSuffix(name, ".sql")
		if done[version] {
			continue
		}
		body, err := fs.ReadFile(migrations.FS, name)
		if err != nil {
			return applied, err
		}
		ran, err := applyMigration(ctx, x, version, string(body))
		if err != nil {
			return applied, fmt.Errorf("migration %s: %w", name, err)
		}
		if ran {
			applied = append(applied, version)
		}
	}
	return applied, nil
}

// appliedMigrations lists the versions recorded so far, without a lock: a
// hint that saves a transaction per migration at every start-up.
func appliedMigrations(ctx context.Context, x *sqlx.DB) (map[string]bool, error) {
	done := map[string]bool{}
	var exists bool
	if err := x.GetContext(ctx, &exists, `SELECT to_regclass('schema_migrations') IS NOT NULL`); err != nil || !exists {
		return done, err
	}
	var versions []string
	if err := x.SelectContext(ctx, &versions, `SELECT version FROM schema_migrations`); err != nil {
		return nil, fmt.Errorf("read schema_migrations: %w", err)
	}
	for _, v := range versions {
		done[v] = true
	}
	return done, nil
}

// applyMigration runs one migration and records it, in one transaction
// under the migration lock, unless another migrator recorded it first.
func applyMigration(ctx context.Context, x *sqlx.DB, version, body string) (bool, error) {
	tx, err := x.BeginTxx(ctx, nil)
	if err != nil {
		return false, err
	}
	defer func() { _ = tx.Rollback() }()
	if _, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock($1)`, migrationLock); err != nil {
		return false, fmt.Errorf("take migration lock: %w", err)
	}
	if _, err := tx.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		version text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())`); err != nil {
		return false, fmt.Errorf("create schema_migrations: %w", err)
	}
	var done bool
	if err := tx.GetContext(ctx, &done, `SELECT EXISTS (SELECT 1 FROM schema_migrations WHERE version = $1)`, version); err != nil {
		return false, err
	}
	if done {
		return false, nil
	}
	// A migration is platform-wide work: where row-level security binds
	// the migrating role (FORCE, migration 0010), it sees every tenant.
	if _, err := tx.ExecContext(ctx, allTenantsSetting); err != nil {
		return false, err
	}
	if _, err := tx.ExecContext(ctx, body); err != nil {
		return false, err
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO schema_migrations (version) VALUES ($1)`, version); err != nil {
		return false, fmt.Errorf("record: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return false, fmt.Errorf("commit: %w", err)
	}
	return true, nil
}
