package graph

import (
	"context"

	"catalogue/db"
	"catalogue/db/model"
	"catalogue/internal/auth"
)

// auditLog reads a page of audit entries below parent, for callers with
// audit:read only: the entries name who acted as whom with which key, which
// plain members have no business reading.
func auditLog(ctx context.Context, list *db.List[model.AuditLogEntry], parent string, a listArgs) (*model.AuditLogConnection, error) {
	if _, err := require(ctx, auth.PermReadAudit); err != nil {
		return nil, err
	}
	res, err := nested(ctx, list, parent, a)
	if err != nil {
		return nil, err
	}
	return &model.AuditLogConnection{Conn: res.conn, Edges: edges(res.page, nodeEdge)}, nil
}
