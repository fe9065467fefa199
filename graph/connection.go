package graph

import (
	"context"
	"fmt"

	"github.com/99designs/gqlgen/graphql"

	"catalogue/db"
	"catalogue/db/model"
	"catalogue/graph/loader"
	"catalogue/internal/filter"
)

// listArgs are the arguments a list field may take; nil means absent.
type listArgs struct {
	first, last   *int
	after, before *string
	offset        *int
	filter        map[string]any
	query         *string
	orderBy       []map[string]any
	subsidiaries  *bool
	restricted    bool // set by nested/topLevel from the caller's permissions
}

// pageOnly are the arguments of a list that only pages.
func pageOnly(first *int, after *string, last *int, before *string) listArgs {
	return listArgs{first: first, after: after, last: last, before: before}
}

// compile checks the filter, query and order arguments against the list
// and renders them; both filter syntaxes end in the same tree.
func compile(spec *db.ListSpec, a listArgs) (*db.Compiled, error) {
	q := db.Query{Subsidiaries: a.subsidiaries == nil || *a.subsidiaries, Restricted: a.restricted}
	if a.filter != nil || a.query != nil {
		if spec.Fields == nil {
			return nil, &model.InputError{Arg: "filter", Msg: spec.Name + " cannot be filtered"}
		}
	}
	if a.filter != nil {
		e, err := filter.FromInput(a.filter, spec.Fields.Set())
		if err != nil {
			return nil, err
		}
		q.Filter = e
	}
	if a.query != nil {
		e, err := filter.Parse(*a.query, spec.Fields.Set())
		if err != nil {
			return nil, err
		}
		q.Filter = filter.All(q.Filter, e)
	}
	for _, o := range a.orderBy {
		// The schema guarantees both keys; their values are gqlgen's enum types.
		field, dir := fmt.Sprint(o["field"]), fmt.Sprint(o["direction"])
		q.OrderBy = append(q.OrderBy, db.OrderTerm{Field: field, Desc: dir == "DESC"})
	}
	return spec.Compile(q)
}

// result is a page of a list with what its connection needs besides edges.
type result[T any] struct {
	page   *db.Page[T]
	c      *db.Compiled
	conn   model.Conn
	facets model.Facets
}

// nested reads a page of a nested list through the request's loaders (a
// cache hit when the plan read the level) and returns it with a lazy total
// count and lazy facets, read the same way.
func nested[T any](ctx context.Context, list *db.List[T], parent string, a listArgs) (*result[T], error) {
	planUnderNode(ctx)
	var field any
	if fc := graphql.GetFieldContext(ctx); fc != nil {
		field = fc.Field.Field
	}
	q, err := prepare(ctx, field, &list.ListSpec, a)
	if err != nil {
		return nil, err
	}
	c, args := q.c, q.args
	p, err := loader.Page(ctx, list, c, q.cols, parent, args)
	if err != nil {
		return nil, err
	}
	count := func(ctx context.Context) (int, error) { return loader.Count(ctx, c, parent) }
	facets := func(ctx context.Context, name string) ([]*model.FacetBucket, error) {
		buckets, err := loader.Facet(ctx, c, parent, name)
		return bucketPtrs(buckets), err
	}
	return &result[T]{page: p, c: c, conn: model.Conn{Info: func() *model.PageInfo { return pageInfo(p) }, Count: count}, facets: model.Facets{Load: facets}}, nil
}

// prepared is a list field's validated page arguments and compiled query,
// and the columns its pages read.
type prepared struct {
	c    *db.Compiled
	args db.PageArgs
	cols db.Cols
}

// prepare validates and compiles a list field's arguments, once per query
// field and request: the arguments of a field are the same for every
// parent, so the 200 track lists of a page of releases share one compile,
// and the plan and the resolvers of the field share one *db.Compiled, the
// loaders' key for the field's filter and order.
func prepare(ctx context.Context, field any, spec *db.ListSpec, a listArgs) (*prepared, error) {
	build := func() (any, error) {
		args, err := db.NewPageArgsOffset(a.first, a.after, a.last, a.before, a.offset)
		if err != nil {
			return nil, err
		}
		a.restricted = restricted(ctx)
		c, err := compile(spec, a)
		if err != nil {
			return nil, err
		}
		return &prepared{c: c, args: args, cols: listCols(ctx, spec)}, nil
	}
	var v any
	var err error
	if field == nil {
		v, err = build()
	} else {
		v, err = loader.For(ctx).Memo(prepareKey{field, spec}, build)
	}
	if err != nil {
		return nil, err
	}
	return v.(*prepared), nil
}

type prepareKey struct {
	field any
	spec  *db.ListSpec
}

// topLevel reads a page of a top-level list within the request's scope and
// plans what the query selects below it; edge describes its edges.
func topLevel[T any](ctx context.Context, list *db.List[T], edge *object[T], a listArgs) (*result[T], error) {
	q, err := prepare(ctx, nil, &list.ListSpec, a)
	if err != nil {
		return nil, err
	}
	c := q.c
	l := loader.For(ctx)
	p, err := db.ListPage(ctx, l.Session(), list, c, l.Scope(), q.cols, q.args)
	if err != nil {
		return nil, err
	}
	if fc := graphql.GetFieldContext(ctx); fc != nil {
		planConnection(ctx, fc, c, nil, []*db.Page[T]{p}, edge)
	}
	count := func(ctx context.Context) (int, error) { return db.Count(ctx, l.Session(), c, l.Scope()) }
	noFacets := func(ctx context.Context, name string) ([]*model.FacetBucket, error) {
		return nil, fmt.Errorf("%s has no facets", list.Name)
	}
	return &result[T]{page: p, c: c, conn: model.Conn{Info: func() *model.PageInfo { return pageInfo(p) }, Count: count}, facets: model.Facets{Load: noFacets}}, nil
}

func bucketPtrs(b []db.Bucket) []*model.FacetBucket {
	out := make([]*model.FacetBucket, len(b))
	for i := range b {
		out[i] = &b[i]
	}
	return out
}

// pageInfo converts a db page's flags and cursors into Relay PageInfo.
func pageInfo[T any](p *db.Page[T]) *model.PageInfo {
	pi := &model.PageInfo{HasNextPage: p.HasNextPage, HasPreviousPage: p.HasPreviousPage}
	if n := len(p.Rows); n > 0 {
		start, end := p.Cursor(0), p.Cursor(n-1)
		pi.StartCursor, pi.EndCursor = &start, &end
	}
	return pi
}

// edges makes an edge of every row of a page through mk.
func edges[T, E any](p *db.Page[T], mk func(at model.At, row *T) E) []E {
	out := make([]E, len(p.Rows))
	for i, row := range p.Rows {
		out[i] = mk(model.NewAt(p, i), row)
	}
	return out
}

// nodeEdge is the edge of a list whose node is the row itself.
func nodeEdge[T any](at model.At, row *T) *model.Edge[T] {
	return &model.Edge[T]{At: at, Node: row}
}

// refID loads the row an optional ID ("" for none) points to.
func refID[T any](ctx context.Context, n *db.Node[T], id string) (*T, error) {
	if id == "" {
		return nil, nil
	}
	return node(ctx, n, id)
}

// ref loads the row a nullable foreign key points to.
func ref[T any](ctx context.Context, n *db.Node[T], id *string) (*T, error) {
	if id == nil {
		return nil, nil
	}
	return node(ctx, n, *id)
}

// must loads the row a non-null foreign key points to; a row missing there
// means it is outside the caller's scope or gone, which the schema cannot
// express as null, so it is reported as not found.
func must[T any](ctx context.Context, n *db.Node[T], id string) (*T, error) {
	row, err := node(ctx, n, id)
	if err == nil && row == nil {
		return nil, db.ErrNotFound
	}
	return row, err
}

// node loads a row by ID through the request's loaders: a cache hit when
// the plan read the level.
func node[T any](ctx context.Context, n *db.Node[T], id string) (*T, error) {
	planUnderNode(ctx)
	return loader.Node(ctx, n, nodeCols(ctx, n), id)
}
