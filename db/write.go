package db

import (
	"context"
	"errors"
	"sort"
	"strings"
)

// Writes take the Tx of Store.InTx, so that row-level security checks every
// row written and a failure undoes all.

// ErrStale means an update named a version the row is no longer at.
var ErrStale = errors.New("stale version")

// Values are the columns of a row to write.
type Values map[string]any

// sortedCols makes statements deterministic for the same columns.
func (v Values) sortedCols() []string {
	cols := make([]string, 0, len(v))
	for c := range v {
		cols = append(cols, c)
	}
	sort.Strings(cols)
	return cols
}

// Insert adds a row and returns its id. Columns come from the code's own
// field tables, never from input names.
func Insert(ctx context.Context, q Querier, table string, v Values) (string, error) {
	cols := v.sortedCols()
	ph := make([]string, len(cols))
	args := make([]any, len(cols))
	for i, c := range cols {
		ph[i], args[i] = "?", v[c]
	}
	var id string
	err := getRow(ctx, q, &id, "INSERT INTO "+table+" ("+strings.Join(cols, ", ")+") VALUES ("+
		strings.Join(ph, ", ")+") RETURNING id::text", args...)
	if err != nil {
		return "", err
	}
	return id, nil
}

// InsertNoReturn adds a row whose id the caller chose; for rows that are
// not visible to the session until a later row makes them so (users).
func InsertNoReturn(ctx context.Context, q Querier, table string, v Values) error {
	cols := v.sortedCols()
	ph := make([]string, len(cols))
	args := make([]any, len(cols))
	for i, c := range cols {
		ph[i], args[i] = "?", v[c]
	}
	err := execute(ctx, q, "INSERT INTO "+table+" ("+strings.Join(cols, ", ")+") VALUES ("+strings.Join(ph, ", ")+")", args...)
	return err
}

// Update changes the row with the given id, bumps its version, stamps
// updated_at and updated_by, and checks expectedVersion when given. It
// returns ErrNotFound for a row the session cannot see and ErrStale for a
// version mismatch.
func Update(ctx context.Context, q Querier, table, id string, expectedVersion *int, updatedBy *string, v Values) error {
	sets := []string{"version = version + 1", "updated_at = now()", "updated_by = ?"}
	args := []any{updatedBy}
	for _, c := range v.sortedCols() {
		sets = append(sets, c+" = ?")
		args = append(args, v[c])
	}
	where := " WHERE id = ?"
	args = append(args, id)
	if expectedVersion != nil {
		where += " AND version = ?"
		args = append(args, *expectedVersion)
	}
	var got []string
	err := selectRows(ctx, q, &got, "UPDATE "+table+" SET "+strings.Join(sets, ", ")+where+" RETURNING id::text", args...)
	if err != nil {
		return err
	}
	if len(got) == 1 {
		return nil
	}
	var exists []string
	if err := selectRows(ctx, q, &exists, "SELECT id::text FROM "+table+" WHERE id = ?", id); err != nil {
		return err
	}
	if len(exists) == 0 {
		return ErrNotFound
	}
	return ErrStale
}

// Exec runs a write statement written with ? placeholders.
func Exec(ctx context.Context, q Querier, stmt string, args ...any) error {
	return execute(ctx, q, stmt, args...)
}

// Select runs a query written with ? placeholders into dest (a slice).
func Select(ctx context.Context, q Querier, dest any, query string, args ...any) error {
	return selectRows(ctx, q, dest, query, args...)
}

// Get runs a query written with ? placeholders into dest (one row).
func Get(ctx context.Context, q Querier, dest any, query string, args ...any) error {
	return getRow(ctx, q, dest, query, args...)
}

// ClaimIdempotencyKey records key for mutation in the tenant. It returns
// claimed=true when this request is the first with the key; otherwise the
// mutation and subject recorded by the first. A concurrent first request
// holds the key's row lock until it commits, so a retry waits for it.
func ClaimIdempotencyKey(ctx context.Context, q Querier, tenantID, key, mutation string) (claimed bool, prevMutation string, subject *string, err error) {
	var got []string
	if err := selectRows(ctx, q, &got, `INSERT INTO idempotency_keys (tenant_id, key, mutation) VALUES (?, ?, ?)
		ON CONFLICT DO NOTHING RETURNING key`, tenantID, key, mutation); err != nil {
		return false, "", nil, err
	}
	if len(got) == 1 {
		return true, "", nil, nil
	}
	var row struct {
		Mutation string  `db:"mutation"`
		Subject  *string `db:"subject_id"`
	}
	if err := getRow(ctx, q, &row, `SELECT mutation, subject_id::text AS subject_id FROM idempotency_keys WHERE tenant_id = ? AND key = ?`, tenantID, key); err != nil {
		return false, "", nil, err
	}
	return false, row.Mutation, row.Subject, nil
}

// CompleteIdempotencyKey records what the first request with key created.
func CompleteIdempotencyKey(ctx context.Context, q Querier, tenantID, key, subject string) error {
	return execute(ctx, q, `UPDATE idempotency_keys SET subject_id = ? WHERE tenant_id = ? AND key = ?`, subject, tenantID, key)
}
