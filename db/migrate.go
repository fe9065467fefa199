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
// transaction, in file-name order. Running it again is a no-op. It runs as
// the role that owns the schema (README, "Database roles").
func Migrate(ctx context.Context, x *sqlx.DB) (applied []string, err error) {
	conn, err := x.Connx(ctx)
	if err != nil {
		return nil, err
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, `SELECT pg_advisory_lock($1)`, migrationLock); err != nil {
		return nil, fmt.Errorf("take migration lock: %w", err)
	}
	defer conn.ExecContext(context.WithoutCancel(ctx), `SELECT pg_advisory_unlock($1)`, migrationLock) //nolint:errcheck
	if _, err := conn.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		version text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())`); err != nil {
		return nil, fmt.Errorf("create schema_migrations: %w", err)
	}
	var done []string
	if err := conn.SelectContext(ctx, &done, `SELECT version FROM schema_migrations`); err != nil {
		return nil, err
	}
	have := map[string]bool{}
	for _, v := range done {
		have[v] = true
	}
	names, err := fs.Glob(migrations.FS, "*.sql")
	if err != nil {
		return nil, err
	}
	sort.Strings(names)
	for _, name := range names {
		version := strings.TrimSuffix(name, ".sql")
		if have[version] {
			continue
		}
		body, err := fs.ReadFile(migrations.FS, name)
		if err != nil {
			return applied, err
		}
		tx, err := conn.BeginTxx(ctx, nil)
		if err != nil {
			return applied, err
		}
		// A migration is platform-wide work: where row-level security binds
		// the migrating role (FORCE, migration 0010), it sees every tenant.
		if _, err := tx.ExecContext(ctx, allTenantsSetting); err != nil {
			_ = tx.Rollback()
			return applied, fmt.Errorf("migration %s: %w", name, err)
		}
		if _, err := tx.ExecContext(ctx, string(body)); err != nil {
			_ = tx.Rollback()
			return applied, fmt.Errorf("migration %s: %w", name, err)
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO schema_migrations (version) VALUES ($1)`, version); err != nil {
			_ = tx.Rollback()
			return applied, fmt.Errorf("record migration %s: %w", name, err)
		}
		if err := tx.Commit(); err != nil {
			return applied, fmt.Errorf("commit migration %s: %w", name, err)
		}
		applied = append(applied, version)
	}
	return applied, nil
}
