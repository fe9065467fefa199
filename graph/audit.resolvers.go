package graph

import (
	"catalogue/db"
	"catalogue/db/model"
	"catalogue/graph/generated"
	"context"
)

func (r *apiKeyResolver) AuditLog(ctx context.Context, obj *model.APIKey, first *int, after *string, last *int, before *string, filter map[string]any, query *string) (*model.AuditLogConnection, error) {
	return auditLog(ctx, db.AuditLogOfAPIKey, obj.ID, listArgs{first: first, after: after, last: last, before: before, filter: filter, query: query})
}

func (r *artistResolver) AuditLog(ctx context.Context, obj *model.Artist, first *int, after *string, last *int, before *string, filter map[string]any, query *string) (*model.AuditLogConnection, error) {
	return auditLog(ctx, db.AuditLogOfArtist, obj.ID, listArgs{first: first, after: after, last: last, before: before, filter: filter, query: query})
}

func (r *auditLogEntryResolver) Tenant(ctx context.Context, obj *model.AuditLogEntry) (*model.Tenant, error) {
	return must(ctx, db.TenantNode, obj.TenantID)
}

func (r *auditLogEntryResolver) Actor(ctx context.Context, obj *model.AuditLogEntry) (*model.User, error) {
	return ref(ctx, db.UserNode, obj.ActorID)
}

func (r *auditLogEntryResolver) ActingAs(ctx context.Context, obj *model.AuditLogEntry) (*model.User, error) {
	return ref(ctx, db.UserNode, obj.ActingAsID)
}

func (r *auditLogEntryResolver) APIKey(ctx context.Context, obj *model.AuditLogEntry) (*model.APIKey, error) {
	return ref(ctx, db.APIKeyNode, obj.APIKeyID)
}

func (r *brandResolver) AuditLog(ctx context.Context, obj *model.Brand, first *int, after *string, last *int, before *string, filter map[string]any, query *string) (*model.AuditLogConnection, error) {
	return auditLog(ctx, db.AuditLogOfBrand, obj.ID, listArgs{first: first, after: after, last: last, before: before, filter: filter, query: query})
}

func (r *brandAccessResolver) AuditLog(ctx context.Context, obj *model.BrandAccess, first *int, after *string, last *int, before *string, filter map[string]any, query *string) (*model.AuditLogConnection, error) {
	return auditLog(ctx, db.AuditLogOfBrandAccess, obj.ID, listArgs{first: first, after: after, last: last, before: before, filter: filter, query: query})
}

func (r *labelResolver) AuditLog(ctx context.Context, obj *model.Label, first *int, after *string, last *int, before *string, filter map[string]any, query *string) (*model.AuditLogConnection, error) {
	return auditLog(ctx, db.AuditLogOfLabel, obj.ID, listArgs{first: first, after: after, last: last, before: before, filter: filter, query: query})
}

func (r *membershipResolver) AuditLog(ctx context.Context, obj *model.Membership, first *int, after *string, last *int, before *string, filter map[string]any, query *string) (*model.AuditLogConnection, error) {
	return auditLog(ctx, db.AuditLogOfMembership, obj.ID, listArgs{first: first, after: after, last: last, before: before, filter: filter, query: query})
}

func (r *releaseResolver) AuditLog(ctx context.Context, obj *model.Release, first *int, after *string, last *int, before *string, filter map[string]any, query *string) (*model.AuditLogConnection, error) {
	return auditLog(ctx, db.AuditLogOfRelease, obj.ID, listArgs{first: first, after: after, last: last, before: before, filter: filter, query: query})
}

func (r *tenantResolver) AuditLog(ctx context.Context, obj *model.Tenant, first *int, after *string, last *int, before *string, filter map[string]any, query *string, includeSubsidiaries *bool) (*model.AuditLogConnection, error) {
	return auditLog(ctx, db.AuditLogByTenant, obj.ID, listArgs{first: first, after: after, last: last, before: before, filter: filter, query: query, subsidiaries: includeSubsidiaries})
}

func (r *userResolver) AuditLog(ctx context.Context, obj *model.User, first *int, after *string, last *int, before *string, filter map[string]any, query *string) (*model.AuditLogConnection, error) {
	return auditLog(ctx, db.AuditLogOfUser, obj.ID, listArgs{first: first, after: after, last: last, before: before, filter: filter, query: query})
}

func (r *Resolver) AuditLogEntry() generated.AuditLogEntryResolver { return &auditLogEntryResolver{r} }

type auditLogEntryResolver struct{ *Resolver }
