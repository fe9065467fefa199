package db

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
)

// Writes take the Tx of Store.InTx, so that row-level security checks every
// row written and a failure undoes all.

// ErrStale means an update named a version the row is no longer at.
var ErrStale = errors.New("stale version")

// Values are the columns of a row to write, by column name. The entity
// functions accept only the columns their table lists as settable (see
// table.checked), so a caller chooses values, never SQL text.
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

// table is a table the row helpers below write, with the columns a
// caller's Values may set. The tables are this package's own values: the
// name and every column written into a statement come from here.
type table struct {
	name     string
	settable map[string]bool
}

func newTable(name string, settable ...string) table {
	t := table{name: name, settable: map[string]bool{}}
	for _, c := range settable {
		t.settable[c] = true
	}
	return t
}

// checked copies v after making sure that every column in it is one the
// caller may set; the entity functions then add the columns they own
// (tenant, stamps) to the copy.
func (t table) checked(v Values) (Values, error) {
	out := make(Values, len(v)+4)
	for c, val := range v {
		if !t.settable[c] {
			return nil, fmt.Errorf("%s: column %q cannot be set", t.name, c)
		}
		out[c] = val
	}
	return out, nil
}

// insertStatement renders the INSERT of the columns of v into t.
func insertStatement(t table, v Values) (string, []any) {
	cols := v.sortedCols()
	ph := make([]string, len(cols))
	args := make([]any, len(cols))
	for i, c := range cols {
		ph[i], args[i] = "?", v[c]
	}
	return "INSERT INTO " + t.name + " (" + strings.Join(cols, ", ") + ") VALUES (" + strings.Join(ph, ", ") + ")", args
}

// insertRow adds a row and returns its id.
func insertRow(ctx context.Context, q Querier, t table, v Values) (string, error) {
	stmt, args := insertStatement(t, v)
	var id string
	if err := getRow(ctx, q, &id, stmt+" RETURNING id::text", args...); err != nil {
		return "", err
	}
	return id, nil
}

// updateRow changes the row of t with the given id, bumps its version,
// stamps updated_at and updated_by, and checks expectedVersion when given.
// It returns ErrNotFound for a row the session cannot see and ErrStale for
// a version mismatch.
func updateRow(ctx context.Context, q Querier, t table, id string, expectedVersion *int, updatedBy *string, v Values) error {
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
	err := selectRows(ctx, q, &got, "UPDATE "+t.name+" SET "+strings.Join(sets, ", ")+where+" RETURNING id::text", args...)
	if err != nil {
		return err
	}
	if len(got) == 1 {
		return nil
	}
	var exists []string
	if err := selectRows(ctx, q, &exists, "SELECT id::text FROM "+t.name+" WHERE id = ?", id); err != nil {
		return err
	}
	if len(exists) == 0 {
		return ErrNotFound
	}
	return ErrStale
}

// tenantOfRow reads the tenant of the row of t with the given id.
func tenantOfRow(ctx context.Context, q Querier, t table, id string) (string, error) {
	var tenant string
	err := getRow(ctx, q, &tenant, "SELECT tenant_id::text FROM "+t.name+" WHERE id = ?", id)
	return tenant, err
}

// IdempotencyClaim is the outcome of claiming an idempotency key.
type IdempotencyClaim struct {
	// Claimed is true when this request is the first with the key.
	Claimed bool
	// What the first request recorded, when another was first: its
	// mutation, the hash of its input (nil for keys claimed before inputs
	// were kept) and the subject it created.
	Mutation  string  `db:"mutation"`
	InputHash []byte  `db:"input_hash"`
	Subject   *string `db:"subject_id"`
}

// ClaimIdempotencyKey records key for mutation and the hash of its input
// in the tenant, or returns what the first request with the key recorded.
// A concurrent first request holds the key's row lock until it commits, so
// a retry waits for it.
func ClaimIdempotencyKey(ctx context.Context, q Querier, tenantID, key, mutation string, inputHash []byte) (IdempotencyClaim, error) {
	var got []string
	if err := selectRows(ctx, q, &got, `INSERT INTO idempotency_keys (tenant_id, key, mutation, input_hash) VALUES (?, ?, ?, ?)
		ON CONFLICT DO NOTHING RETURNING key`, tenantID, key, mutation, inputHash); err != nil {
		return IdempotencyClaim{}, err
	}
	if len(got) == 1 {
		return IdempotencyClaim{Claimed: true}, nil
	}
	var first IdempotencyClaim
	if err := getRow(ctx, q, &first, `SELECT mutation, input_hash, subject_id::text AS subject_id
		FROM idempotency_keys WHERE tenant_id = ? AND key = ?`, tenantID, key); err != nil {
		return IdempotencyClaim{}, err
	}
	return first, nil
}

// CompleteIdempotencyKey records what the first request with key created.
func CompleteIdempotencyKey(ctx context.Context, q Querier, tenantID, key, subject string) error {
	return execute(ctx, q, `UPDATE idempotency_keys SET subject_id = ? WHERE tenant_id = ? AND key = ?`, subject, tenantID, key)
}
