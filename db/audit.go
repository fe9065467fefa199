package db

import (
	"context"
	"encoding/json"
)

// AuditEntry records who did what, acting as whom.
type AuditEntry struct {
	TenantID  string
	ActorID   *string // the real user, when a user acted
	APIKeyID  *string // the API key, when one authenticated the request
	ActingAs  *string // the impersonated user, when enterprise-id was used
	Action    string  // e.g. "apiKey.create"
	SubjectID *string // the row acted on
	Detail    map[string]any
}

// Audit writes an audit row in the caller's transaction, so that the row
// exists exactly when the change it describes does.
func Audit(ctx context.Context, q Querier, e AuditEntry) error {
	detail, err := json.Marshal(e.Detail)
	if err != nil {
		return err
	}
	if e.Detail == nil {
		detail = []byte("{}")
	}
	return execute(ctx, q, `INSERT INTO audit_log (tenant_id, actor_id, api_key_id, acting_as, action, subject_id, detail)
		VALUES (?, ?, ?, ?, ?, ?, ?)`, e.TenantID, e.ActorID, e.APIKeyID, e.ActingAs, e.Action, e.SubjectID, string(detail))
}

// execute runs a statement that returns no rows.
func execute(ctx context.Context, q Querier, query string, args ...any) error {
	defer track(ctx, false, query)()
	rows, release, err := q.query(ctx, query, args...)
	if err != nil {
		return mapError(err)
	}
	defer release()
	rows.Close()
	return mapError(rows.Err())
}
