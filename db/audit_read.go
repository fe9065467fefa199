package db

import (
	"strings"

	"catalogue/db/model"
)

// Reading the audit log (written by Audit): entries by ID, all the entries
// of a tenant, and the entries about one object, newest first. Row-level
// security keeps a caller to its tenants' entries; who may read them at
// all (audit:read) the graph decides.

var auditCols = columns("al", model.AuditLogEntry{})

// AuditLogNode reads audit entries by ID.
var AuditLogNode = &Node[model.AuditLogEntry]{
	Name: "AuditLogEntry", Select: auditCols, From: "audit_log al", IDCol: "al.id", ScopePred: tenantScope("al"),
}

// auditFields filter entries by who made them and what and when they did.
var auditFields = NewFields("", key("al.id", "uuid", false),
	userRef("actor", "al.actor_id", "actor_id", "user", "by"),
	userRef("actingAs", "al.acting_as", "acting_as", "impersonated"),
	ref("apiKey", "al.api_key_id", "ApiKey", "api_key", "api_key_id"),
	text("action", "al.action", "actions"),
	instant("createdAt", "al.created_at", "created", "created_at", "at"),
)

// AuditLogByTenant lists every entry of a tenant.
var AuditLogByTenant = &List[model.AuditLogEntry]{ListSpec{
	Name: "Tenant.auditLog", Select: auditCols, From: "audit_log al", Parent: "al.tenant_id",
	ScopePred: tenantScope("al"), Order: newestFirst("al"), TenantTree: true, Fields: auditFields,
}}

// auditLogAbout lists the entries about objects of one type: those whose
// subject is the parent and whose action acts on that type (the action's
// object, before the dot, is one of objects), as the field of that type's
// list (e.g. "Artist.auditLog") names it.
func auditLogAbout(name string, objects ...string) *List[model.AuditLogEntry] {
	return &List[model.AuditLogEntry]{ListSpec{
		Name: name, Select: auditCols, From: "audit_log al", Parent: "al.subject_id",
		Where:     "split_part(al.action, '.', 1) IN ('" + strings.Join(objects, "', '") + "')",
		ScopePred: tenantScope("al"), Order: newestFirst("al"), Fields: auditFields,
	}}
}

// The entries about one object, by the object's type. The objects are the
// audit actions' (graph/write.go callers, model.AuditLogEntry.SubjectType).
var (
	AuditLogOfUser        = auditLogAbout("User.auditLog", "user")
	AuditLogOfMembership  = auditLogAbout("Membership.auditLog", "member", "membership")
	AuditLogOfBrandAccess = auditLogAbout("BrandAccess.auditLog", "brandAccess")
	AuditLogOfBrand       = auditLogAbout("Brand.auditLog", "brand")
	AuditLogOfLabel       = auditLogAbout("Label.auditLog", "label")
	AuditLogOfArtist      = auditLogAbout("Artist.auditLog", "artist")
	AuditLogOfRelease     = auditLogAbout("Release.auditLog", "release")
	AuditLogOfAPIKey      = auditLogAbout("ApiKey.auditLog", "apiKey")
)
