package graph

import (
	"context"
	"reflect"

	"github.com/99designs/gqlgen/graphql"

	"catalogue/db"
	"catalogue/graph/loader"
)

// Prefetching makes batching independent of goroutine scheduling. When a
// list resolver has its page, it looks at what the query selects under
// edges.node and reads, one statement per field, what those child fields
// will ask for: the child pages (and counts) of every row, and the rows
// their foreign keys point to, priming the request's loader caches. Where
// the query goes deeper, it does the same one level down, across all the
// child pages at once: level by level, the whole tree below a list is read
// with one statement per field and level. When gqlgen then runs the child
// resolvers, their loads are cache hits. Without this, a child resolver
// scheduled after the loader's wait window would start a second batch and
// a second statement.

// prefetchFunc starts the loads of one child field for the given rows;
// childFC is the child field's context (its Args are what its resolver
// will get). It returns a function that continues below the child field,
// or nil.
type prefetchFunc func(ctx context.Context, childFC *graphql.FieldContext, rows []reflect.Value) func()

var prefetchers map[string]prefetchFunc

func init() {
	prefetchers = map[string]prefetchFunc{
		"Tenant.subsidiaries":    pagesOf(db.TenantsByParent),
		"Tenant.brands":          pagesOf(db.BrandsByTenant),
		"Tenant.members":         pagesOf(db.MembersByTenant, primeMemberEdges),
		"Tenant.groups":          pagesOf(db.GroupsByTenant),
		"Tenant.artists":         pagesOf(db.ArtistsByTenant),
		"Tenant.labels":          pagesOf(db.LabelsByTenant),
		"Tenant.releases":        pagesOf(db.ReleasesByTenant),
		"Tenant.parent":          refOf(db.TenantNode, "ParentID"),
		"Brand.members":          pagesOf(db.BrandMembersByBrand),
		"Brand.artists":          pagesOf(db.ArtistsByBrand),
		"Brand.releases":         pagesOf(db.ReleasesByBrand),
		"Brand.tenant":           refOf(db.TenantNode, "TenantID"),
		"User.memberships":       pagesOf(db.MembershipsByUser),
		"User.artists":           pagesOf(db.ArtistsByUser),
		"User.createdBy":         refOf(db.UserNode, "CreatedByID"),
		"User.updatedBy":         refOf(db.UserNode, "UpdatedByID"),
		"Membership.groups":      pagesOf(db.GroupsByMembership),
		"Membership.tenant":      refOf(db.TenantNode, "TenantID"),
		"Membership.user":        refOf(db.UserNode, "UserID"),
		"Artist.releases":        pagesOf(db.ReleasesByArtist),
		"Artist.tenant":          refOf(db.TenantNode, "TenantID"),
		"Artist.brand":           refOf(db.BrandNode, "BrandID"),
		"Artist.user":            refOf(db.UserNode, "UserID"),
		"Label.releases":         pagesOf(db.ReleasesByLabel),
		"Release.artists":        pagesOf(db.ArtistsByRelease),
		"Release.tracks":         pagesOf(db.TracksByRelease),
		"Release.label":          refOf(db.LabelNode, "LabelID"),
		"Release.brand":          refOf(db.BrandNode, "BrandID"),
		"Release.tenant":         refOf(db.TenantNode, "TenantID"),
		"Track.artists":          pagesOf(db.ArtistsByTrack),
		"Track.release":          refOf(db.ReleaseNode, "ReleaseID"),
		"Membership.brandAccess": pagesOf(db.BrandAccessByMembership),
	}
}

// prefetchChildren starts the child loads of a page's rows (see above).
func prefetchChildren[T any](ctx context.Context, rows []*T) {
	fc := graphql.GetFieldContext(ctx)
	if fc == nil || len(rows) == 0 || loader.For(ctx).Prefetched(fc.Field.Field) {
		return // a list above already started these loads, for all rows
	}
	prefetchBelow(ctx, fc, values(rows))
}

func values[T any](rows []*T) []reflect.Value {
	vals := make([]reflect.Value, len(rows))
	for i, r := range rows {
		vals[i] = reflect.ValueOf(r).Elem()
	}
	return vals
}

// prefetchBelow starts the loads of every prefetchable field under
// edges.node of the connection field fc for rows, then continues deeper.
func prefetchBelow(ctx context.Context, fc *graphql.FieldContext, vals []reflect.Value) {
	op := graphql.GetOperationContext(ctx)
	if op == nil || fc.Child == nil || len(vals) == 0 {
		return
	}
	var deeper []func()
	for _, edges := range graphql.CollectFields(op, fc.Field.Selections, []string{fc.Field.Definition.Type.Name()}) {
		if edges.Name != "edges" {
			continue
		}
		edgesFC, err := fc.Child(ctx, edges)
		if err != nil || edgesFC.Child == nil {
			continue
		}
		for _, node := range graphql.CollectFields(op, edges.Selections, []string{edges.Definition.Type.Name()}) {
			if node.Name != "node" {
				continue
			}
			nodeFC, err := edgesFC.Child(ctx, node)
			if err != nil || nodeFC.Child == nil {
				continue
			}
			typ := node.Definition.Type.Name()
			for _, child := range graphql.CollectFields(op, node.Selections, []string{typ, "Node"}) {
				p, ok := prefetchers[typ+"."+child.Name]
				if !ok {
					continue
				}
				childFC, err := nodeFC.Child(ctx, child)
				if err != nil {
					continue // the resolver will report the bad argument itself
				}
				loader.For(ctx).MarkPrefetched(child.Field)
				if next := p(ctx, childFC, vals); next != nil {
					deeper = append(deeper, next)
				}
			}
		}
	}
	for _, next := range deeper {
		next()
	}
}

// goesDeeper reports whether a connection field selects prefetchable
// fields under its nodes.
func goesDeeper(ctx context.Context, conn graphql.CollectedField) bool {
	op := graphql.GetOperationContext(ctx)
	for _, edges := range graphql.CollectFields(op, conn.Selections, []string{conn.Definition.Type.Name()}) {
		if edges.Name != "edges" {
			continue
		}
		for _, node := range graphql.CollectFields(op, edges.Selections, []string{edges.Definition.Type.Name()}) {
			if node.Name != "node" {
				continue
			}
			typ := node.Definition.Type.Name()
			for _, child := range graphql.CollectFields(op, node.Selections, []string{typ, "Node"}) {
				if _, ok := prefetchers[typ+"."+child.Name]; ok {
					return true
				}
			}
		}
	}
	return false
}

// pagesOf prefetches a nested list, and its totalCount when selected;
// then reads, for every page at once, what the query selects on edges
// that carry more than the node.
func pagesOf[T any](list *db.List[T], then ...edgePrefetch[T]) prefetchFunc {
	return func(ctx context.Context, childFC *graphql.FieldContext, rows []reflect.Value) func() {
		q, err := prepare(ctx, childFC.Field.Field, &list.ListSpec, listArgsOf(childFC.Args))
		if err != nil {
			return nil
		}
		c, pa := q.c, q.args
		ids := make([]string, len(rows))
		for i, row := range rows {
			ids[i] = row.FieldByName("ID").String()
		}
		pages := loader.PrimePages(ctx, list, c, ids, pa)
		if selects(ctx, childFC.Field, "totalCount") {
			loader.PrimeCounts(ctx, c, ids)
		}
		if pages != nil {
			for _, f := range then {
				f(ctx, childFC, c, pages)
			}
		}
		if pages == nil || !goesDeeper(ctx, childFC.Field) {
			return nil
		}
		return func() {
			var below []*T
			for _, p := range pages {
				below = append(below, p.Rows...)
			}
			prefetchBelow(ctx, childFC, values(below))
		}
	}
}

// edgePrefetch reads what the query selects on the edges of the pages of
// a list field (childFC) for all of them at once.
type edgePrefetch[T any] func(ctx context.Context, childFC *graphql.FieldContext, c *db.Compiled, pages []*db.Page[T])

// refOf prefetches the rows a foreign key field of the rows points to.
func refOf[T any](n *db.Node[T], fk string) prefetchFunc {
	return func(ctx context.Context, _ *graphql.FieldContext, rows []reflect.Value) func() {
		var ids []string
		for _, row := range rows {
			f := row.FieldByName(fk)
			switch {
			case !f.IsValid():
			case f.Kind() == reflect.String:
				ids = append(ids, f.String())
			case f.Kind() == reflect.Pointer && !f.IsNil():
				ids = append(ids, f.Elem().String())
			}
		}
		loader.PrimeNodes(ctx, n, ids)
		return nil
	}
}

// selects reports whether a connection field's selection includes name.
func selects(ctx context.Context, conn graphql.CollectedField, name string) bool {
	op := graphql.GetOperationContext(ctx)
	for _, f := range graphql.CollectFields(op, conn.Selections, []string{conn.Definition.Type.Name()}) {
		if f.Name == name {
			return true
		}
	}
	return false
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
