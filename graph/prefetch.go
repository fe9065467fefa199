package graph

import (
	"context"
	"strings"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/plugin/federation/fedruntime"
	"github.com/vektah/gqlparser/v2/ast"

	"catalogue/db"
	"catalogue/db/model"
	"catalogue/graph/loader"
	"catalogue/internal/auth"
)

// The read plan. A query's reads are planned from its selection. When a
// root field has its object (tenant(slug), viewer, a mutation's payload) or
// its page (tenants), it walks what the query selects below it, object type
// by object type, and reads every field that needs the database for all the
// rows of its level at once: the pages of every parent's nested list in one
// statement, their totalCount and each facet in one more, the rows all
// their foreign keys point to in one. It primes the request's loader caches
// with what it read and goes on below with those rows, so that a request
// costs one statement per field and level of its plan, never more with
// page sizes or rows per level. When gqlgen then runs the resolvers, their
// loads are cache hits; the loaders batch only reads outside any plan.
//
// node and nodes return an interface, and gqlgen makes the field contexts
// of its concrete types (which carry their arguments) only while it runs
// them. There the first resolver of each field plans that field for all
// the objects of its type that the call returned (planUnderNode), and
// everything below it as above. Federation's _entities returns a union of
// the same objects and is planned the same way.

// step reads one field for all the parent rows of its level and plans
// below it. fc is the field's context: its Args are those its resolvers get.
type step[P any] func(ctx context.Context, fc *graphql.FieldContext, parents []*P)

// object describes a GraphQL object type whose values are *T to the plan:
// its primary key and a step for every field that reads.
type object[T any] struct {
	name  string          // GraphQL type name
	node  bool            // implements Node
	id    func(*T) string // primary key, for the lists below the type
	steps map[string]step[T]
}

// plan runs the steps of the fields that fc, a field returning o's type,
// selects, for rows.
func (o *object[T]) plan(ctx context.Context, fc *graphql.FieldContext, rows []*T) {
	if fc == nil || fc.Child == nil || len(rows) == 0 {
		return
	}
	for _, f := range o.collect(ctx, fc.Field.Selections) {
		s, ok := o.steps[f.Name]
		if !ok {
			continue
		}
		child, err := fc.Child(ctx, f)
		if err != nil {
			continue // the resolvers report a bad argument themselves
		}
		s(ctx, child, rows)
	}
}

// collect lists the fields a selection set selects on o's type, after
// fragments (inline, named, on the type, its interfaces or its unions) and
// @skip/@include; aliases stay separate fields.
func (o *object[T]) collect(ctx context.Context, sel ast.SelectionSet) []graphql.CollectedField {
	return graphql.CollectFields(graphql.GetOperationContext(ctx), sel, implementors(o.name))
}

// planRoot plans what the current root field selects below row, the
// object it returns, and returns row.
func planRoot[T any](ctx context.Context, o *object[T], row *T) *T {
	if row != nil {
		o.plan(ctx, graphql.GetFieldContext(ctx), []*T{row})
	}
	return row
}

// payload plans a mutation's payload once the mutation has succeeded.
func payload[T any](ctx context.Context, o *object[T], p *T, err error) (*T, error) {
	if err == nil {
		planRoot(ctx, o, p)
	}
	return p, err
}

// byID are the root fields that return objects looked up by global ID, of
// any type: below them the plan starts at each concrete type's fields.
var byID = map[string]bool{"node": true, "nodes": true, "_entities": true}

// underNode identifies one field of one concrete type below a node, nodes
// or _entities call.
type underNode struct {
	call   *graphql.FieldContext
	object string
	alias  string
}

// planUnderNode is called by every resolver that reads. Directly below
// node, nodes or _entities, it plans the resolver's field for all the
// objects of the resolver's type that the call returned, once per field;
// elsewhere the field was planned from above and it does nothing.
func planUnderNode(ctx context.Context) {
	fc := graphql.GetFieldContext(ctx)
	if fc == nil {
		return
	}
	call := fc.Parent
	for call != nil && call.Index != nil {
		call = call.Parent // an element of nodes' or _entities' list
	}
	if call == nil || call.Object != "Query" || call.Field.Field == nil || !byID[call.Field.Name] {
		return
	}
	o, ok := nodeObjects[fc.Object]
	if !ok {
		return
	}
	loader.For(ctx).Once(underNode{call, fc.Object, fc.Field.Alias}, func() {
		o.planField(ctx, fc, call.Result)
	})
}

// nodeObject is an object of a Node type, whatever its row type.
type nodeObject interface {
	// planField runs the step of fc's field for the objects of the type
	// in the result of a node (model.Node), nodes ([]model.Node) or
	// _entities ([]fedruntime.Entity) call.
	planField(ctx context.Context, fc *graphql.FieldContext, result any)
}

func (o *object[T]) planField(ctx context.Context, fc *graphql.FieldContext, result any) {
	var rows []*T
	switch r := result.(type) {
	case []model.Node:
		for _, n := range r {
			if row, ok := any(n).(*T); ok {
				rows = append(rows, row)
			}
		}
	case model.Node:
		if row, ok := any(r).(*T); ok {
			rows = append(rows, row)
		}
	case []fedruntime.Entity:
		for _, e := range r {
			if row, ok := any(e).(*T); ok && row != nil {
				rows = append(rows, row)
			}
		}
	}
	if s, ok := o.steps[fc.Field.Name]; ok && len(rows) > 0 {
		s(ctx, fc, rows)
	}
}

// lists are the nested lists of the plan by field ("Tenant.members"), as
// their specs name them: the schema's filter inputs, order enums and facets
// are checked against them (prefetch_test.go).
var lists = map[string]*db.ListSpec{}

// listOf is the step of a nested list: one statement for the pages of every
// parent, one for their totalCount and one per facet when selected; then
// the edges are planned with the rows of all the pages.
//
// A list whose edges carry fields that read for the page's parent (the
// memberships of a member edge) passes onPages: it runs with the pages of
// every parent, which know their parent.
func listOf[P, T any](parent *object[P], l *db.List[T], edge *object[T], onPages ...pagesStep[T]) step[P] {
	lists[l.Name] = &l.ListSpec
	readsList(l, edge)
	return traced(func(ctx context.Context, fc *graphql.FieldContext, parents []*P) {
		q, err := prepare(ctx, fc.Field.Field, &l.ListSpec, listArgsOf(fc.Args))
		if err != nil {
			return // the resolvers report it
		}
		ids := make([]string, len(parents))
		for i, p := range parents {
			ids[i] = parent.id(p)
		}
		pages := loader.PrimePages(ctx, l, q.c, q.cols, ids, q.args)
		for _, f := range onPages {
			f(ctx, fc, q.c, pages)
		}
		planConnection(ctx, fc, q.c, ids, pages, edge)
	})
}

// pagesStep reads what a connection field selects on its edges for the
// pages of all its parents at once.
type pagesStep[T any] func(ctx context.Context, fc *graphql.FieldContext, c *db.Compiled, pages []*db.Page[T])

// edgeMemberships is the pagesStep of Tenant.members: with subsidiaries,
// the memberships of every edge's user in the listed tenants, in one
// statement, when the query selects them. Without subsidiaries an edge's
// only membership is the one it already has.
func edgeMemberships(ctx context.Context, fc *graphql.FieldContext, c *db.Compiled, pages []*db.Page[model.Member]) {
	if !c.Subsidiaries() || !selectsOnEdges(ctx, fc.Field, "memberships") {
		return
	}
	var keys []db.MemberKey
	for _, p := range pages {
		for _, m := range p.Rows {
			keys = append(keys, db.MemberKey{Tenant: p.Parent, User: m.User.ID})
		}
	}
	loader.PrimeMemberMemberships(ctx, keys)
}

// selectsOnEdges reports whether a connection field selects name on its edges.
func selectsOnEdges(ctx context.Context, conn graphql.CollectedField, name string) bool {
	op := graphql.GetOperationContext(ctx)
	for _, edges := range graphql.CollectFields(op, conn.Selections, []string{conn.Definition.Type.Name()}) {
		if edges.Name != "edges" {
			continue
		}
		for _, f := range graphql.CollectFields(op, edges.Selections, []string{edges.Definition.Type.Name()}) {
			if f.Name == name {
				return true
			}
		}
	}
	return false
}

// planConnection plans what a connection field selects: the totalCount
// and facets of a nested list for its parents (nil for a top-level list,
// which counts itself), and below the edges of its pages.
func planConnection[T any](ctx context.Context, fc *graphql.FieldContext, c *db.Compiled, parents []string, pages []*db.Page[T], edge *object[T]) {
	op := graphql.GetOperationContext(ctx)
	counted := false
	faceted := map[string]bool{} // aliases of a facet read it once
	for _, f := range graphql.CollectFields(op, fc.Field.Selections, []string{fc.Field.Definition.Type.Name()}) {
		switch {
		case f.Name == "edges" && len(pages) > 0:
			efc, err := fc.Child(ctx, f)
			if err != nil {
				continue
			}
			var rows []*T
			for _, p := range pages {
				rows = append(rows, p.Rows...)
			}
			edge.plan(ctx, efc, rows)
		case parents == nil:
		case f.Name == "totalCount" && !counted:
			counted = true
			loader.PrimeCounts(ctx, c, parents)
		case f.Name == "facets":
			for _, b := range graphql.CollectFields(op, f.Selections, []string{f.Definition.Type.Name()}) {
				if !faceted[b.Name] && !strings.HasPrefix(b.Name, "__") {
					faceted[b.Name] = true
					loader.PrimeFacets(ctx, c, parents, b.Name)
				}
			}
		}
	}
}

// refTo is the step of a to-one reference: one statement for the rows that
// the parents' foreign keys (fk, "" for none) point to, then the plan of
// the referenced type for them.
func refTo[P, T any](fk func(*P) string, n *db.Node[T], target *object[T]) step[P] {
	return traced(func(ctx context.Context, fc *graphql.FieldContext, parents []*P) {
		ids := make([]string, 0, len(parents))
		for _, p := range parents {
			if id := fk(p); id != "" {
				ids = append(ids, id)
			}
		}
		target.plan(ctx, fc, loader.PrimeNodes(ctx, n, nodeCols(ctx, n), ids))
	})
}

// embed is the step of an object the parent value already holds (an
// edge's node, a payload's object): nothing to read, its fields are
// planned for all of them.
func embed[P, T any](get func(*P) *T, target *object[T]) step[P] {
	return func(ctx context.Context, fc *graphql.FieldContext, parents []*P) {
		rows := make([]*T, 0, len(parents))
		for _, p := range parents {
			if row := get(p); row != nil {
				rows = append(rows, row)
			}
		}
		target.plan(ctx, fc, rows)
	}
}

// keyed is the step of a value read by parent ID.
func keyed[P, V any](parent *object[P], r *loader.KeyedRead[V]) step[P] {
	return traced(func(ctx context.Context, _ *graphql.FieldContext, parents []*P) {
		ids := make([]string, len(parents))
		for i, p := range parents {
			ids[i] = parent.id(p)
		}
		loader.PrimeKeyed(ctx, r, ids)
	})
}

// permitted runs s only for a caller with perm, as the field's resolver
// checks it: a refused field reads nothing.
func permitted[P any](perm auth.Permission, s step[P]) step[P] {
	return func(ctx context.Context, fc *graphql.FieldContext, parents []*P) {
		if _, err := require(ctx, perm); err == nil {
			s(ctx, fc, parents)
		}
	}
}

// audited is the step of an auditLog list below parent: read only for
// callers with audit:read, as its resolver checks.
func audited[P any](parent *object[P], l *db.List[model.AuditLogEntry]) step[P] {
	return permitted(auth.PermReadAudit, listOf(parent, l, auditEdges))
}

// self is the node of an edge whose row is the node.
func self[T any](row *T) *T { return row }

// edgesOf describes the edge type of lists whose rows are o's rows.
func edgesOf[T any](o *object[T]) *object[T] {
	return &object[T]{name: o.name + "Edge", steps: map[string]step[T]{"node": embed(self[T], o)}}
}

// opt is an optional foreign key, "" for none.
func opt(id *string) string {
	if id == nil {
		return ""
	}
	return *id
}

// The objects of the plan. Their steps are set in init because the types
// refer to each other.
var (
	tenantPlan      = &object[model.Tenant]{name: "Tenant", node: true, id: func(t *model.Tenant) string { return t.ID }}
	brandPlan       = &object[model.Brand]{name: "Brand", node: true, id: func(b *model.Brand) string { return b.ID }}
	groupPlan       = &object[model.Group]{name: "Group", node: true, id: func(g *model.Group) string { return g.ID }}
	userPlan        = &object[model.User]{name: "User", node: true, id: func(u *model.User) string { return u.ID }}
	membershipPlan  = &object[model.Membership]{name: "Membership", node: true, id: func(m *model.Membership) string { return m.ID }}
	brandAccessPlan = &object[model.BrandAccess]{name: "BrandAccess", node: true, id: func(b *model.BrandAccess) string { return b.ID }}
	artistPlan      = &object[model.Artist]{name: "Artist", node: true, id: func(a *model.Artist) string { return a.ID }}
	labelPlan       = &object[model.Label]{name: "Label", node: true, id: func(l *model.Label) string { return l.ID }}
	releasePlan     = &object[model.Release]{name: "Release", node: true, id: func(r *model.Release) string { return r.ID }}
	trackPlan       = &object[model.Track]{name: "Track", node: true, id: func(t *model.Track) string { return t.ID }}
	apiKeyPlan      = &object[model.APIKey]{name: "ApiKey", node: true, id: func(k *model.APIKey) string { return k.ID }}
	auditPlan       = &object[model.AuditLogEntry]{name: "AuditLogEntry", node: true, id: func(e *model.AuditLogEntry) string { return e.ID }}
	viewerPlan      = &object[model.Viewer]{name: "Viewer"}

	tenantEdges      = edgesOf(tenantPlan)
	brandEdges       = edgesOf(brandPlan)
	groupEdges       = edgesOf(groupPlan)
	membershipEdges  = edgesOf(membershipPlan)
	brandAccessEdges = edgesOf(brandAccessPlan)
	artistEdges      = edgesOf(artistPlan)
	labelEdges       = edgesOf(labelPlan)
	releaseEdges     = edgesOf(releasePlan)
	trackEdges       = edgesOf(trackPlan)
	apiKeyEdges      = edgesOf(apiKeyPlan)
	memberEdges      = &object[model.Member]{name: "TenantMemberEdge"}
	brandMemberEdges = &object[model.BrandMember]{name: "BrandMemberEdge"}
	releaseArtists   = &object[model.ReleaseArtist]{name: "ReleaseArtistEdge"}
	trackArtists     = &object[model.TrackArtist]{name: "TrackArtistEdge"}
	artistTracks     = &object[model.ArtistTrack]{name: "ArtistTrackEdge"}
	auditEdges       = &object[model.AuditLogEntry]{name: "AuditLogEdge"}

	membershipPayload  = &object[model.MembershipPayload]{name: "MembershipPayload"}
	userPayload        = &object[model.UserPayload]{name: "UserPayload"}
	brandAccessPayload = &object[model.BrandAccessPayload]{name: "BrandAccessPayload"}
	brandPayload       = &object[model.BrandPayload]{name: "BrandPayload"}
	labelPayload       = &object[model.LabelPayload]{name: "LabelPayload"}
	artistPayload      = &object[model.ArtistPayload]{name: "ArtistPayload"}
	releasePayload     = &object[model.ReleasePayload]{name: "ReleasePayload"}
	createAPIKeyResult = &object[model.CreateAPIKeyPayload]{name: "CreateApiKeyPayload"}
	revokeAPIKeyResult = &object[model.RevokeAPIKeyPayload]{name: "RevokeApiKeyPayload"}
)

// described is an object of the plan of any row type.
type described interface {
	nodeObject
	typeName() string
	isNode() bool
	fieldNames() []string
}

func (o *object[T]) typeName() string { return o.name }
func (o *object[T]) isNode() bool     { return o.node }

func (o *object[T]) fieldNames() []string {
	names := make([]string, 0, len(o.steps))
	for name := range o.steps {
		names = append(names, name)
	}
	return names
}

// objects are all the objects of the plan; a test checks them against the
// schema.
var objects = []described{
	tenantPlan, brandPlan, groupPlan, userPlan, membershipPlan, brandAccessPlan,
	artistPlan, labelPlan, releasePlan, trackPlan, apiKeyPlan, auditPlan, viewerPlan,
	tenantEdges, brandEdges, groupEdges, membershipEdges, brandAccessEdges, artistEdges,
	labelEdges, releaseEdges, trackEdges, apiKeyEdges, memberEdges, brandMemberEdges,
	releaseArtists, trackArtists, artistTracks, auditEdges,
	membershipPayload, userPayload, brandAccessPayload, brandPayload, labelPayload,
	artistPayload, releasePayload, createAPIKeyResult, revokeAPIKeyResult,
}

// nodeObjects are the objects of the Node types by type name.
var nodeObjects = map[string]nodeObject{}

// stamped adds the steps of createdBy and updatedBy.
func stamped[T any](steps map[string]step[T], stamps func(*T) *model.Stamps) map[string]step[T] {
	steps["createdBy"] = refTo(func(row *T) string { return opt(stamps(row).CreatedByID) }, db.UserNode, userPlan)
	steps["updatedBy"] = refTo(func(row *T) string { return opt(stamps(row).UpdatedByID) }, db.UserNode, userPlan)
	return steps
}

func init() {
	tenantPlan.steps = map[string]step[model.Tenant]{
		"parent":       refTo(func(t *model.Tenant) string { return opt(t.ParentID) }, db.TenantNode, tenantPlan),
		"subsidiaries": listOf(tenantPlan, db.TenantsByParent, tenantEdges),
		"brands":       listOf(tenantPlan, db.BrandsByTenant, brandEdges),
		"members":      listOf(tenantPlan, db.MembersByTenant, memberEdges, edgeMemberships),
		"groups":       listOf(tenantPlan, db.GroupsByTenant, groupEdges),
		"artists":      listOf(tenantPlan, db.ArtistsByTenant, artistEdges),
		"labels":       listOf(tenantPlan, db.LabelsByTenant, labelEdges),
		"releases":     listOf(tenantPlan, db.ReleasesByTenant, releaseEdges),
		"apiKeys":      permitted(auth.PermManageAPIKeys, listOf(tenantPlan, db.APIKeysByTenant, apiKeyEdges)),
		"invitations":  permitted(auth.PermManageMembers, listOf(tenantPlan, db.InvitationsByTenant, membershipEdges)),
		"tracks":       listOf(tenantPlan, db.TracksByTenant, trackEdges),
		"auditLog":     audited(tenantPlan, db.AuditLogByTenant),
	}
	brandPlan.steps = stamped(map[string]step[model.Brand]{
		"tenant":   refTo(func(b *model.Brand) string { return b.TenantID }, db.TenantNode, tenantPlan),
		"members":  listOf(brandPlan, db.BrandMembersByBrand, brandMemberEdges),
		"artists":  listOf(brandPlan, db.ArtistsByBrand, artistEdges),
		"releases": listOf(brandPlan, db.ReleasesByBrand, releaseEdges),
		"auditLog": audited(brandPlan, db.AuditLogOfBrand),
	}, func(b *model.Brand) *model.Stamps { return &b.Stamps })
	groupPlan.steps = map[string]step[model.Group]{
		"tenant": refTo(func(g *model.Group) string { return g.TenantID }, db.TenantNode, tenantPlan),
	}
	userPlan.steps = map[string]step[model.User]{
		"createdBy":   refTo(func(u *model.User) string { return opt(u.CreatedByID) }, db.UserNode, userPlan),
		"updatedBy":   refTo(func(u *model.User) string { return opt(u.UpdatedByID) }, db.UserNode, userPlan),
		"memberships": listOf(userPlan, db.MembershipsByUser, membershipEdges),
		"artists":     listOf(userPlan, db.ArtistsByUser, artistEdges),
		"auditLog":    audited(userPlan, db.AuditLogOfUser),
	}
	membershipPlan.steps = map[string]step[model.Membership]{
		"tenant":      refTo(func(m *model.Membership) string { return m.TenantID }, db.TenantNode, tenantPlan),
		"user":        refTo(func(m *model.Membership) string { return m.UserID }, db.UserNode, userPlan),
		"groups":      listOf(membershipPlan, db.GroupsByMembership, groupEdges),
		"brandAccess": listOf(membershipPlan, db.BrandAccessByMembership, brandAccessEdges),
		"auditLog":    audited(membershipPlan, db.AuditLogOfMembership),
	}
	brandAccessPlan.steps = map[string]step[model.BrandAccess]{
		"brand":    refTo(func(b *model.BrandAccess) string { return b.BrandID }, db.BrandNode, brandPlan),
		"user":     refTo(func(b *model.BrandAccess) string { return b.UserID }, db.UserNode, userPlan),
		"auditLog": audited(brandAccessPlan, db.AuditLogOfBrandAccess),
	}
	artistPlan.steps = stamped(map[string]step[model.Artist]{
		"tenant":   refTo(func(a *model.Artist) string { return a.TenantID }, db.TenantNode, tenantPlan),
		"brand":    refTo(func(a *model.Artist) string { return opt(a.BrandID) }, db.BrandNode, brandPlan),
		"user":     refTo(func(a *model.Artist) string { return opt(a.UserID) }, db.UserNode, userPlan),
		"releases": listOf(artistPlan, db.ReleasesByArtist, releaseEdges),
		"tracks":   listOf(artistPlan, db.TracksByArtist, artistTracks),
		"auditLog": audited(artistPlan, db.AuditLogOfArtist),
	}, func(a *model.Artist) *model.Stamps { return &a.Stamps })
	labelPlan.steps = stamped(map[string]step[model.Label]{
		"tenant":   refTo(func(l *model.Label) string { return l.TenantID }, db.TenantNode, tenantPlan),
		"releases": listOf(labelPlan, db.ReleasesByLabel, releaseEdges),
		"auditLog": audited(labelPlan, db.AuditLogOfLabel),
	}, func(l *model.Label) *model.Stamps { return &l.Stamps })
	releasePlan.steps = stamped(map[string]step[model.Release]{
		"tenant":         refTo(func(r *model.Release) string { return r.TenantID }, db.TenantNode, tenantPlan),
		"label":          refTo(func(r *model.Release) string { return opt(r.LabelID) }, db.LabelNode, labelPlan),
		"brand":          refTo(func(r *model.Release) string { return opt(r.BrandID) }, db.BrandNode, brandPlan),
		"artists":        listOf(releasePlan, db.ArtistsByRelease, releaseArtists),
		"tracks":         listOf(releasePlan, db.TracksByRelease, trackEdges),
		"deliveryStores": keyed(releasePlan, deliveryStoresRead),
		"auditLog":       audited(releasePlan, db.AuditLogOfRelease),
	}, func(r *model.Release) *model.Stamps { return &r.Stamps })
	trackPlan.steps = stamped(map[string]step[model.Track]{
		"release": refTo(func(t *model.Track) string { return t.ReleaseID }, db.ReleaseNode, releasePlan),
		"artists": listOf(trackPlan, db.ArtistsByTrack, trackArtists),
	}, func(t *model.Track) *model.Stamps { return &t.Stamps })
	apiKeyPlan.steps = map[string]step[model.APIKey]{
		"tenant":    refTo(func(k *model.APIKey) string { return k.TenantID }, db.TenantNode, tenantPlan),
		"createdBy": refTo(func(k *model.APIKey) string { return opt(k.CreatedByID) }, db.UserNode, userPlan),
		"auditLog":  audited(apiKeyPlan, db.AuditLogOfAPIKey),
	}
	auditPlan.steps = map[string]step[model.AuditLogEntry]{
		"tenant":   refTo(func(e *model.AuditLogEntry) string { return e.TenantID }, db.TenantNode, tenantPlan),
		"actor":    refTo(func(e *model.AuditLogEntry) string { return opt(e.ActorID) }, db.UserNode, userPlan),
		"actingAs": refTo(func(e *model.AuditLogEntry) string { return opt(e.ActingAsID) }, db.UserNode, userPlan),
		"apiKey":   refTo(func(e *model.AuditLogEntry) string { return opt(e.APIKeyID) }, db.APIKeyNode, apiKeyPlan),
	}
	// The impersonator is the caller's own identity, read with the
	// credentials (internal/auth); it is not part of the plan.
	viewerPlan.steps = map[string]step[model.Viewer]{
		"user":   refTo(func(v *model.Viewer) string { return v.UserID }, db.UserNode, userPlan),
		"tenant": refTo(func(v *model.Viewer) string { return v.TenantID }, db.TenantNode, tenantPlan),
		"apiKey": refTo(func(v *model.Viewer) string { return v.APIKeyID }, db.APIKeyNode, apiKeyPlan),
	}

	memberEdges.steps = map[string]step[model.Member]{
		"node":       embed(func(m *model.Member) *model.User { return &m.User }, userPlan),
		"membership": embed(func(m *model.Member) *model.Membership { return &m.Membership }, membershipPlan),
	}
	brandMemberEdges.steps = map[string]step[model.BrandMember]{
		"node":   embed(func(m *model.BrandMember) *model.User { return &m.User }, userPlan),
		"access": embed(func(m *model.BrandMember) *model.BrandAccess { return &m.Access }, brandAccessPlan),
	}
	releaseArtists.steps = map[string]step[model.ReleaseArtist]{
		"node": embed(func(a *model.ReleaseArtist) *model.Artist { return &a.Artist }, artistPlan),
	}
	trackArtists.steps = map[string]step[model.TrackArtist]{
		"node": embed(func(a *model.TrackArtist) *model.Artist { return &a.Artist }, artistPlan),
	}
	artistTracks.steps = map[string]step[model.ArtistTrack]{
		"node": embed(func(t *model.ArtistTrack) *model.Track { return &t.Track }, trackPlan),
	}
	auditEdges.steps = map[string]step[model.AuditLogEntry]{"node": embed(self[model.AuditLogEntry], auditPlan)}

	membershipPayload.steps = map[string]step[model.MembershipPayload]{
		"membership": embed(func(p *model.MembershipPayload) *model.Membership { return p.Membership }, membershipPlan),
	}
	userPayload.steps = map[string]step[model.UserPayload]{
		"user": embed(func(p *model.UserPayload) *model.User { return p.User }, userPlan),
	}
	brandAccessPayload.steps = map[string]step[model.BrandAccessPayload]{
		"brandAccess": embed(func(p *model.BrandAccessPayload) *model.BrandAccess { return p.BrandAccess }, brandAccessPlan),
	}
	brandPayload.steps = map[string]step[model.BrandPayload]{
		"brand": embed(func(p *model.BrandPayload) *model.Brand { return p.Brand }, brandPlan),
	}
	labelPayload.steps = map[string]step[model.LabelPayload]{
		"label": embed(func(p *model.LabelPayload) *model.Label { return p.Label }, labelPlan),
	}
	artistPayload.steps = map[string]step[model.ArtistPayload]{
		"artist": embed(func(p *model.ArtistPayload) *model.Artist { return p.Artist }, artistPlan),
	}
	releasePayload.steps = map[string]step[model.ReleasePayload]{
		"release": embed(func(p *model.ReleasePayload) *model.Release { return p.Release }, releasePlan),
	}
	createAPIKeyResult.steps = map[string]step[model.CreateAPIKeyPayload]{
		"apiKey": embed(func(p *model.CreateAPIKeyPayload) *model.APIKey { return p.APIKey }, apiKeyPlan),
	}
	revokeAPIKeyResult.steps = map[string]step[model.RevokeAPIKeyPayload]{
		"apiKey": embed(func(p *model.RevokeAPIKeyPayload) *model.APIKey { return p.APIKey }, apiKeyPlan),
	}

	readsList(db.Tenants, tenantEdges)
	for _, o := range objects {
		if o.isNode() {
			nodeObjects[o.typeName()] = o
		}
	}
}

// listArgsOf reads a list field's processed arguments.
func listArgsOf(args map[string]any) listArgs {
	var a listArgs
	a.first, _ = args["first"].(*int)
	a.last, _ = args["last"].(*int)
	a.after, _ = args["after"].(*string)
	a.before, _ = args["before"].(*string)
	a.offset, _ = args["offset"].(*int)
	a.filter, _ = args["filter"].(map[string]any)
	a.query, _ = args["query"].(*string)
	a.orderBy, _ = args["orderBy"].([]map[string]any)
	a.subsidiaries, _ = args["includeSubsidiaries"].(*bool)
	return a
}
