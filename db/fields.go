package db

import "catalogue/internal/filter"

// The filterable, sortable and facetable fields of the lists that take a
// filter. Names are the GraphQL input field names; aliases are the
// parameter names of the REST APIs the graph replaces, accepted by the
// query syntax.

func text(name, expr string, aliases ...string) Column {
	return Column{Field: filter.Field{Name: name, Kind: filter.KindText, Aliases: aliases}, Expr: expr, Type: "text"}
}

func ref(name, expr, idType string, aliases ...string) Column {
	return Column{Field: filter.Field{Name: name, Kind: filter.KindID, IDType: idType, Aliases: aliases}, Expr: expr, Type: "uuid"}
}

func instant(name, expr string, aliases ...string) Column {
	return Column{Field: filter.Field{Name: name, Kind: filter.KindTime, Aliases: aliases}, Expr: expr, Type: "timestamptz"}
}

func enum(name, expr string, values []string, aliases ...string) Column {
	return Column{Field: filter.Field{Name: name, Kind: filter.KindEnum, Enum: values, Aliases: aliases}, Expr: expr, Type: "text"}
}

func boolean(name, expr string, aliases ...string) Column {
	return Column{Field: filter.Field{Name: name, Kind: filter.KindBool, Aliases: aliases}, Expr: expr, Type: "bool"}
}

func integer(name, expr string, aliases ...string) Column {
	return Column{Field: filter.Field{Name: name, Kind: filter.KindInt, Aliases: aliases}, Expr: expr, Type: "int"}
}

// related is a reference held by another table: the condition holds when
// a row of exists has expr matching.
func related(name, exists, expr, idType string, aliases ...string) Column {
	c := ref(name, expr, idType, aliases...)
	c.Exists = exists
	return c
}

// userRef is a reference to a user (who created or updated a row, the
// account an artist is linked to). A condition on it holds only for users
// the caller may see: it is tested on the users row, which row-level
// security hides for a user outside the scope (or known to it only through
// a pending invitation). So the filter answers as the field reads, null
// for such a user: eq, in and like never match a hidden user's ID, which
// no one can thus confirm or enumerate prefix by prefix, and isNull, ne
// and notIn treat it as null.
func userRef(name, expr string, aliases ...string) Column {
	return related(name, "SELECT 1 FROM users fu WHERE fu.id = "+expr, "fu.id", "User", aliases...)
}

func withPatternIDs(c Column, fn, idCol string) Column {
	c.PatternIDs, c.IDCol = fn, idCol
	return c
}

func sensitive(c Column) Column {
	c.Sensitive = true
	return c
}

// signed keeps a leading + or - in query syntax values (phone numbers).
func signed(c Column) Column {
	c.Signed = true
	return c
}

func key(col, typ string, nullable bool) OrderKey {
	return OrderKey{Col: col, Type: typ, Nullable: nullable}
}

// memberFields serve the member lists of tenants and brands: user columns
// (u), the membership that places the user in the list (m), and brand
// access in that membership's tenant.
var memberFields = NewFields("u.search_text", key("m.id", "uuid", false),
	ref("id", "u.id", "User", "ids", "user_id"),
	withPatternIDs(sensitive(text("email", "u.email", "mail")), "users_email_ids", "u.id"),
	text("firstName", "u.first_name", "firstname", "first_name", "given_name", "givenName"),
	text("lastName", "u.last_name", "lastname", "last_name", "family_name", "familyName"),
	text("nickname", "u.nickname"),
	signed(sensitive(text("phone", "u.phone"))),
	text("role", "u.role", "roles", "creativeRole"),
	text("genre", "u.genre", "genres"),
	text("location", "u.location"),
	text("companyName", "u.company_name", "company", "company_name"),
	text("language", "u.language_code", "lang"),
	instant("createdAt", "u.created_at", "created", "created_at"),
	instant("updatedAt", "u.updated_at", "updated", "updated_at", "last_updated"),
	instant("lastLoginAt", "u.last_login_at", "last_login_at", "lastLogin"),
	instant("expiresAt", "u.expires_at", "expires_at", "expires"),
	userRef("createdBy", "u.created_by", "created_by"),
	userRef("updatedBy", "u.updated_by", "updated_by", "last_updated_by"),
	boolean("isDeleted", "u.is_deleted", "is_deleted", "deleted"),
	boolean("dspPlanSubscribed", "u.dsp_plan_subscribed", "dsp_plan_subscribed"),
	enum("channel", "u.channel", []string{"SIGNUP", "INVITATION", "API", "IMPORT"}, "channels", "source"),
	enum("membershipRole", "m.role", []string{"OWNER", "ADMIN", "USER"}, "tenantRole", "tenant_role", "tenant_user_role"),
	enum("membershipStatus", "m.status", []string{"PENDING", "ACTIVE", "DEACTIVATED"}, "status"),
	instant("lastSeenAt", "m.last_seen_at", "last_seen", "lastSeen", "last_seen_at"),
	instant("joinedAt", "m.created_at", "joined"),
	related("brand", "SELECT 1 FROM brand_access fba WHERE fba.user_id = u.id AND fba.tenant_id = m.tenant_id",
		"fba.brand_id", "Brand", "brands", "brand_ids", "brandId"),
).
	Sort("JOINED_AT", key("m.created_at", "timestamptz", false)).
	Sort("CREATED_AT", key("u.created_at", "timestamptz", false)).
	Sort("UPDATED_AT", key("u.updated_at", "timestamptz", false)).
	Sort("EMAIL", OrderKey{Col: "u.email", Type: "text", Sensitive: true}).
	Sort("FIRST_NAME", key(collated("u.first_name"), "text", true)).
	Sort("LAST_NAME", key(collated("u.last_name"), "text", true)).
	Sort("NICKNAME", key(collated("u.nickname"), "text", true)).
	Sort("ROLE", key("u.role", "text", true)).
	Sort("GENRE", key("u.genre", "text", true)).
	Sort("LOCATION", key("u.location", "text", true)).
	Sort("LAST_LOGIN_AT", key("u.last_login_at", "timestamptz", true)).
	Sort("LAST_SEEN_AT", key("m.last_seen_at", "timestamptz", true)).
	Sort("MEMBERSHIP_ROLE", key("m.role", "text", false)).
	Sort("MEMBERSHIP_STATUS", key("m.status", "text", false)).
	SearchThrough("users_search_ids", "u.id").
	PublicSearch("catalogue_fold(coalesce(u.first_name, '') || ' ' || coalesce(u.last_name, '') || ' ' || coalesce(u.nickname, ''))").
	Facet("membershipRole", "m.role").
	Facet("membershipStatus", "m.status").
	Facet("role", "u.role").
	Facet("genre", "u.genre").
	Facet("language", "u.language_code").
	Facet("channel", "u.channel")

// treeMemberFields serve a tenant's member list with its subsidiaries: m
// is the user's representative membership (see MembersByTenant), and the
// brand filter looks at brand access in every tenant the list covers, so
// that a user represented by the parent's membership is still found by a
// subsidiary's brand.
var treeMemberFields = memberFields.withExists("brand",
	"SELECT 1 FROM brand_access fba WHERE fba.user_id = u.id AND fba.tenant_id = ANY(p.tree)")

// namedFields serve the lists of brands and labels: they sort, by name
// among others, but take no filter.
func namedFields(alias string) *Fields {
	return NewFields("", key(alias+".id", "uuid", false)).
		Sort("CREATED_AT", key(alias+".created_at", "timestamptz", false)).
		Sort("UPDATED_AT", key(alias+".updated_at", "timestamptz", false)).
		Sort("NAME", key(collated(alias+".name"), "text", false))
}

var artistFields = NewFields("a.search_text", key("a.id", "uuid", false),
	ref("id", "a.id", "Artist", "ids"),
	text("name", "a.name"),
	text("genre", "a.genre", "genres"),
	text("country", "a.country"),
	ref("brand", "a.brand_id", "Brand", "brand_id", "brands"),
	userRef("user", "a.user_id", "user_id"),
	instant("createdAt", "a.created_at", "created", "created_at"),
	instant("updatedAt", "a.updated_at", "updated", "updated_at"),
).
	SearchThrough("artists_search_ids", "a.id").
	Sort("CREATED_AT", key("a.created_at", "timestamptz", false)).
	Sort("UPDATED_AT", key("a.updated_at", "timestamptz", false)).
	Sort("NAME", key(collated("a.name"), "text", false)).
	Sort("GENRE", key("a.genre", "text", true)).
	Sort("COUNTRY", key("a.country", "text", true)).
	Facet("genre", "a.genre").
	Facet("country", "a.country")

var releaseFields = NewFields("r.search_text", key("r.id", "uuid", false),
	ref("id", "r.id", "Release", "ids"),
	text("title", "r.title"),
	enum("status", "r.status", []string{"DRAFT", "SUBMITTED", "APPROVED", "REJECTED", "QUEUED", "DELIVERED", "TAKEN_DOWN"}),
	enum("type", "r.type", []string{"SINGLE", "EP", "ALBUM"}),
	text("genre", "r.genre", "genres"),
	text("upc", "r.upc"),
	text("catalogNumber", "r.catalog_number", "catalog_number"),
	Column{Field: filter.Field{Name: "releaseDate", Kind: filter.KindDate, Aliases: []string{"release_date", "released"}}, Expr: "r.release_date", Type: "date"},
	ref("label", "r.label_id", "Label", "label_id"),
	ref("brand", "r.brand_id", "Brand", "brand_id"),
	related("artist", "SELECT 1 FROM release_artists fra WHERE fra.release_id = r.id", "fra.artist_id", "Artist", "artists", "artist_id"),
	instant("createdAt", "r.created_at", "created", "created_at"),
	instant("updatedAt", "r.updated_at", "updated", "updated_at"),
).
	SearchThrough("releases_search_ids", "r.id").
	Sort("CREATED_AT", key("r.created_at", "timestamptz", false)).
	Sort("UPDATED_AT", key("r.updated_at", "timestamptz", false)).
	Sort("TITLE", key(collated("r.title"), "text", false)).
	Sort("RELEASE_DATE", key("r.release_date", "date", true)).
	Sort("STATUS", key("r.status", "text", false)).
	Sort("TYPE", key("r.type", "text", false)).
	Sort("GENRE", key("r.genre", "text", true)).
	Facet("status", "r.status").
	Facet("type", "r.type").
	Facet("genre", "r.genre")

var trackFields = NewFields("t.search_text", key("t.id", "uuid", false),
	ref("id", "t.id", "Track", "ids"),
	text("title", "t.title"),
	text("isrc", "t.isrc"),
	boolean("explicit", "t.explicit"),
	integer("durationSeconds", "t.duration_seconds", "duration"),
	integer("position", "t.position"),
	related("artist", "SELECT 1 FROM track_artists fta WHERE fta.track_id = t.id", "fta.artist_id", "Artist", "artists", "artist_id"),
	instant("createdAt", "t.created_at", "created", "created_at"),
).
	SearchThrough("tracks_search_ids", "t.id").
	Sort("POSITION", key("t.position", "int", false)).
	Sort("TITLE", key(collated("t.title"), "text", false)).
	Sort("DURATION", key("t.duration_seconds", "int", true)).
	Sort("CREATED_AT", key("t.created_at", "timestamptz", false)).
	Facet("explicit", "t.explicit")
