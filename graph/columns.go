package graph

import (
	"context"
	"strings"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"

	"catalogue/db"
	"catalogue/graph/generated"
	"catalogue/graph/loader"
)

// Reading only the columns a query shows.
//
// Every GraphQL type whose values are rows has a table below: for each of
// its fields, the columns of the row its resolver reads (a reference's
// foreign key, a derived field's sources, a contact field's value and the
// user id its permission check compares). The row's id is always read: the
// global ID, the plan and the lists below a row need it. A read of a Node
// or a List selects the columns that the fields the operation selects on
// its type need, and for a list with a composite row (a member and their
// membership, an artist and their credit) those of the rows its edge
// embeds, under their prefix in the select list.
//
// Which fields: the union of the fields selected on the type anywhere in
// the operation (after fragments, aliases and @skip/@include), computed
// once per request. The loaders cache rows by ID and pages by compiled
// query and parent, and different places of one query reach the same rows
// (viewer.user and node(id); a named fragment whose list field is the same
// compiled query under two parents, with more selected beside it in one
// place). Were each place to read what it shows, whichever read first
// would be cached, and a place showing more would get a narrow row. With
// the union, every read of a type in an operation selects the same
// columns, which include what any place of the operation shows: any row in
// the cache has every column any resolver of the request needs, and a level
// of the plan still costs one statement. Besides, the columns are part of
// every cache key (loader.PageKey.Cols, the node loaders' key), so that a
// cached row can only answer a read that asked for exactly its columns.
//
// A field missing from its table reads whole rows, never too few columns,
// and fails TestEveryFieldSaysWhichColumnsItReads. Writes and credentials
// read whole rows (db.ByIDs).

// need is what one field needs of its row.
type need struct {
	cols  []string // columns of the row, by result name
	embed string   // type of a row read with this one (an edge's node)
	at    string   // prefix of the embedded row's columns ("m." for "m.role")
}

// cols are columns of the row; none at all means the field needs only the
// row's id (a nested list) or nothing of the row (a cursor).
func cols(names ...string) need { return need{cols: names} }

// row is a row of typ read in the same select list, its columns prefixed
// with at.
func row(typ, at string) need { return need{embed: typ, at: at} }

// edge is the table of the edge of a list whose rows are typ's rows.
func edge(typ string) map[string]need {
	return map[string]need{"cursor": cols(), "node": row(typ, "")}
}

// idColumn is read with every row.
const idColumn = "id"

// stamps are the fields of model.Stamps.
func stamps(t map[string]need) map[string]need {
	t["createdBy"] = cols("created_by")
	t["updatedBy"] = cols("updated_by")
	t["version"] = cols("version")
	return t
}

// columnTables are the tables, by GraphQL type.
var columnTables = map[string]map[string]need{
	"Tenant": {
		"tracks":     cols(),
		"auditLog":   cols(),
		"databaseId": cols(),
		"id":         cols(), "slug": cols("slug"), "name": cols("name"), "parent": cols("parent_id"),
		"subsidiaries": cols(), "brands": cols(), "members": cols(), "groups": cols(), "artists": cols(),
		"labels": cols(), "releases": cols(), "apiKeys": cols(), "invitations": cols(),
		"createdAt": cols("created_at"), "updatedAt": cols("updated_at"),
	},
	"Brand": stamps(map[string]need{
		"auditLog":   cols(),
		"databaseId": cols(),
		"id":         cols(), "name": cols("name"), "tenant": cols("tenant_id"),
		"members": cols(), "artists": cols(), "releases": cols(),
		"createdAt": cols("created_at"), "updatedAt": cols("updated_at"),
	}),
	"Group": {
		"databaseId": cols(),
		"id":         cols(), "name": cols("name"), "isAdmin": cols("is_admin"), "tenant": cols("tenant_id"),
		"createdAt": cols("created_at"),
	},
	"User": {
		"channel": cols("channel"), "displayAbsoluteTime": cols("display_absolute_time"),
		"auditLog":   cols(),
		"databaseId": cols(),
		"id":         cols(),
		// contact() shows them to those who may see the user's contacts.
		"email": cols("email", "id"), "phone": cols("phone", "id"),
		"firstName": cols("first_name"), "lastName": cols("last_name"), "nickname": cols("nickname"),
		"fullName": cols("first_name", "last_name", "nickname"), "language": cols("language_code", "language_name", "language_icon", "language_square_icon"),
		"pictureUrl": cols("picture_url"), "bannerUrl": cols("banner_url"), "websiteUrl": cols("website_url"),
		"twitterUrl": cols("twitter_url"), "instagramUrl": cols("instagram_url"),
		"spotifyProfile": cols("spotify_profile"), "soundCloudProfile": cols("sound_cloud_profile"),
		"appleMusicProfile": cols("apple_music_profile"), "location": cols("location"),
		"role": cols("role"), "genre": cols("genre"), "biography": cols("biography"),
		"companyName": cols("company_name"), "companyLogoUrl": cols("company_logo_url"),
		"companyIpRights": cols("company_ip_rights"), "dspPlanSubscribed": cols("dsp_plan_subscribed"),
		"referralCode": cols("referral_code"), "adminRoles": cols("admin_roles"), "permissions": cols("permissions"),
		"createdBy": cols("created_by"), "updatedBy": cols("updated_by"),
		"createdAt": cols("created_at"), "updatedAt": cols("updated_at"),
		"lastLoginAt": cols("last_login_at"), "expiresAt": cols("expires_at"),
		"isDeleted": cols("is_deleted"), "version": cols("version"),
		"memberships": cols(), "artists": cols(),
	},
	"Membership": {
		"auditLog":   cols(),
		"databaseId": cols(),
		"id":         cols(), "tenant": cols("tenant_id"), "user": cols("user_id"), "userId": cols("user_id"),
		"role": cols("role"), "status": cols("status"), "lastSeenAt": cols("last_seen_at"),
		"groups": cols(), "brandAccess": cols(), "version": cols("version"),
		"createdAt": cols("created_at"), "updatedAt": cols("updated_at"),
	},
	"BrandAccess": {
		"auditLog":   cols(),
		"databaseId": cols(),
		"id":         cols(), "brand": cols("brand_id"), "user": cols("user_id"), "role": cols("role"),
		"createdAt": cols("created_at"),
	},
	"Artist": stamps(map[string]need{
		"tracks":     cols(),
		"auditLog":   cols(),
		"databaseId": cols(),
		"id":         cols(), "name": cols("name"), "tenant": cols("tenant_id"), "brand": cols("brand_id"),
		"user": cols("user_id"), "genre": cols("genre"), "country": cols("country"),
		"biography": cols("biography"), "imageUrl": cols("image_url"), "spotifyId": cols("spotify_id"),
		"appleMusicId": cols("apple_music_id"), "soundCloudId": cols("soundcloud_id"),
		"releases":  cols(),
		"createdAt": cols("created_at"), "updatedAt": cols("updated_at"),
	}),
	"Label": stamps(map[string]need{
		"auditLog":   cols(),
		"databaseId": cols(),
		"id":         cols(), "name": cols("name"), "tenant": cols("tenant_id"), "releases": cols(),
		"createdAt": cols("created_at"), "updatedAt": cols("updated_at"),
	}),
	"Release": stamps(map[string]need{
		"auditLog":   cols(),
		"databaseId": cols(),
		"id":         cols(), "title": cols("title"), "type": cols("type"), "status": cols("status"),
		"upc": cols("upc"), "catalogNumber": cols("catalog_number"), "releaseDate": cols("release_date"),
		"genre": cols("genre"), "artworkUrl": cols("artwork_url"), "tenant": cols("tenant_id"),
		"label": cols("label_id"), "brand": cols("brand_id"), "artists": cols(),
		"rejectionReason": cols("rejection_reason"), "deliveryStores": cols(), "tracks": cols(),
		"createdAt": cols("created_at"), "updatedAt": cols("updated_at"),
	}),
	"Track": stamps(map[string]need{
		"databaseId": cols(),
		"id":         cols(), "position": cols("position"), "title": cols("title"), "isrc": cols("isrc"),
		"durationSeconds": cols("duration_seconds"), "explicit": cols("explicit"),
		"release": cols("release_id"), "artists": cols(),
		"createdAt": cols("created_at"), "updatedAt": cols("updated_at"),
	}),
	"ApiKey": {
		"auditLog":   cols(),
		"databaseId": cols(),
		"id":         cols(), "name": cols("name"), "keyId": cols("key_id"), "role": cols("role"),
		"tenant": cols("tenant_id"), "createdBy": cols("created_by"), "createdAt": cols("created_at"),
		"lastUsedAt": cols("last_used_at"), "revokedAt": cols("revoked_at"),
	},

	"TenantEdge":      edge("Tenant"),
	"BrandEdge":       edge("Brand"),
	"GroupEdge":       edge("Group"),
	"MembershipEdge":  edge("Membership"),
	"BrandAccessEdge": edge("BrandAccess"),
	"ArtistEdge":      edge("Artist"),
	"LabelEdge":       edge("Label"),
	"ReleaseEdge":     edge("Release"),
	"TrackEdge":       edge("Track"),
	"ApiKeyEdge":      edge("ApiKey"),
	"TenantMemberEdge": {
		"cursor": cols(), "node": row("User", ""), "membership": row("Membership", "m."),
		// Without subsidiaries, the edge's own membership; with them, read
		// by the user's id (always read) and the list's tenant.
		"memberships": row("Membership", "m."),
	},
	"BrandMemberEdge": {
		"cursor": cols(), "node": row("User", ""), "access": row("BrandAccess", "ba."),
	},
	"ReleaseArtistEdge": {
		"cursor": cols(), "node": row("Artist", ""), "position": cols("credit_position"),
	},
	"TrackArtistEdge": {
		"cursor": cols(), "node": row("Artist", ""), "role": cols("credit_role"), "position": cols("credit_position"),
	},
	"ArtistTrackEdge": {
		"cursor": cols(), "node": row("Track", ""), "role": cols("credit_role"), "position": cols("credit_position"),
	},
	"AuditLogEntry": {
		"id": cols(), "databaseId": cols(), "tenant": cols("tenant_id"), "action": cols("action"),
		// The subject's type is told by the action.
		"subjectId": cols("subject_id", "action"), "subjectDatabaseId": cols("subject_id"),
		"subjectType": cols("action", "subject_id"), "detail": cols("detail"),
		"actor": cols("actor_id"), "actingAs": cols("acting_as"), "apiKey": cols("api_key_id"),
		"createdAt": cols("created_at"),
	},
	"AuditLogEdge": edge("AuditLogEntry"),
}

// listRead is what the column selection knows of a list: the type of its
// edges and its select list.
type listRead struct {
	edge    string
	columns *db.Columns
}

// listReads are the lists of the plan (and the top-level list of tenants).
var listReads = map[*db.ListSpec]listRead{}

// readsList registers a list whose edges are edge's.
func readsList[T any](l *db.List[T], edge *object[T]) {
	listReads[&l.ListSpec] = listRead{edge: edge.name, columns: l.Columns()}
}

// nodeCols are the columns a read of n selects in the current operation.
func nodeCols[T any](ctx context.Context, n *db.Node[T]) db.Cols {
	return colsOf(ctx, n, n.Name, n.Columns())
}

// listCols are the columns a read of spec's pages selects in the current
// operation.
func listCols(ctx context.Context, spec *db.ListSpec) db.Cols {
	r, ok := listReads[spec]
	if !ok {
		return db.AllColumns
	}
	return colsOf(ctx, spec, r.edge, r.columns)
}

type colsKey struct{ read any }

// colsOf computes, once per request, the columns that the reads of a Node
// or List (read) of rows of type typ select: whole rows when the request
// has no operation or a selected field has no table.
func colsOf(ctx context.Context, read any, typ string, c *db.Columns) db.Cols {
	if !graphql.HasOperationContext(ctx) {
		return db.AllColumns
	}
	v, _ := loader.For(ctx).Memo(colsKey{read}, func() (any, error) {
		return selectedOn(ctx).cols(typ, c), nil
	})
	return v.(db.Cols)
}

// cols are the columns of c that the fields the operation selects on typ
// need: whole rows when one of them has no table.
func (u usage) cols(typ string, c *db.Columns) db.Cols {
	names, ok := u.columns(typ, "", nil)
	if !ok {
		return db.AllColumns
	}
	set, err := c.Of(names...)
	if err != nil {
		return db.AllColumns
	}
	return set
}

// usage is what an operation selects on each object type: field names by
// type name.
type usage map[string]map[string]bool

// columns appends the result names of the columns that the fields the
// operation selects on typ need, prefixed with at; false when typ or one
// of its selected fields has no table.
func (u usage) columns(typ, at string, names []string) ([]string, bool) {
	table, ok := columnTables[typ]
	if !ok {
		return nil, false
	}
	names = append(names, at+idColumn)
	for f := range u[typ] {
		n, ok := table[f]
		if !ok {
			return nil, false
		}
		for _, c := range n.cols {
			names = append(names, at+c)
		}
		if n.embed != "" {
			if names, ok = u.columns(n.embed, at+n.at, names); !ok {
				return nil, false
			}
		}
	}
	return names, true
}

type usageKey struct{ op *ast.OperationDefinition }

// selectedOn is the usage of the request's operation, computed once per
// request (the union over the operation, see above).
func selectedOn(ctx context.Context) usage {
	op := graphql.GetOperationContext(ctx)
	v, _ := loader.For(ctx).Memo(usageKey{op.Operation}, func() (any, error) {
		return usageOf(op), nil
	})
	return v.(usage)
}

// usageOf walks an operation.
func usageOf(op *graphql.OperationContext) usage {
	s := schema()
	var root *ast.Definition
	switch op.Operation.Operation {
	case ast.Mutation:
		root = s.Mutation
	case ast.Subscription:
		root = s.Subscription
	default:
		root = s.Query
	}
	u := usage{}
	u.walk(op, s, root, op.Operation.SelectionSet)
	return u
}

// walk adds the fields sel selects on def (on each of its possible types
// when def is abstract) and on the types below them.
func (u usage) walk(op *graphql.OperationContext, s *ast.Schema, def *ast.Definition, sel ast.SelectionSet) {
	if def == nil || len(sel) == 0 {
		return
	}
	for _, t := range s.GetPossibleTypes(def) {
		satisfies := []string{t.Name}
		for _, i := range s.GetImplements(t) {
			satisfies = append(satisfies, i.Name)
		}
		for _, f := range graphql.CollectFields(op, sel, satisfies) {
			if strings.HasPrefix(f.Name, "__") || f.Definition == nil {
				continue
			}
			if u[t.Name] == nil {
				u[t.Name] = map[string]bool{}
			}
			u[t.Name][f.Name] = true
			u.walk(op, s, s.Types[f.Definition.Type.Name()], f.Selections)
		}
	}
}

// schema is the GraphQL schema the server executes.
func schema() *ast.Schema {
	return generated.NewExecutableSchema(generated.Config{}).Schema()
}

// selects names the type and the select list of a Node read, for the tests.
func (r rowsOf[T, PT]) selects() (string, *db.Columns) { return r.n.Name, r.n.Columns() }
