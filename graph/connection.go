package graph

import (
	"context"

	"catalogue/db"
	"catalogue/graph/loader"
	"catalogue/graph/model"
)

// pageInfo converts a db page's flags and cursors into Relay PageInfo.
func pageInfo[T any](p *db.Page[T]) *model.PageInfo {
	pi := &model.PageInfo{HasNextPage: p.HasNextPage, HasPreviousPage: p.HasPreviousPage}
	if n := len(p.Cursors); n > 0 {
		pi.StartCursor, pi.EndCursor = &p.Cursors[0], &p.Cursors[n-1]
	}
	return pi
}

// edges pairs every row of a page with its cursor through mk.
func edges[T, E any](p *db.Page[T], mk func(cursor string, row *T) E) []E {
	out := make([]E, len(p.Rows))
	for i, row := range p.Rows {
		out[i] = mk(p.Cursors[i], row)
	}
	return out
}

// nodeEdge is the edge of a list whose node is the row itself.
func nodeEdge[T any](cursor string, row *T) *model.Edge[T] {
	return &model.Edge[T]{Cursor: cursor, Node: row}
}

// nested reads a page of a nested list through the request's loaders and
// returns it with a lazy total count that is batched the same way.
func nested[T any](ctx context.Context, list *db.List[T], parent string,
	first *int, after *string, last *int, before *string,
) (*db.Page[T], model.Conn, error) {
	args, err := db.NewPageArgs(first, after, last, before)
	if err != nil {
		return nil, model.Conn{}, err
	}
	p, err := loader.Page(ctx, list, parent, args)
	if err != nil {
		return nil, model.Conn{}, err
	}
	count := func(ctx context.Context) (int, error) { return loader.Count(ctx, &list.ListSpec, parent) }
	return p, model.Conn{PageInfo: pageInfo(p), Count: count}, nil
}

// topLevel reads a page of a top-level list within the request's scope.
func topLevel[T any](ctx context.Context, store *db.Store, list *db.List[T],
	first *int, after *string, last *int, before *string,
) (*db.Page[T], model.Conn, error) {
	args, err := db.NewPageArgs(first, after, last, before)
	if err != nil {
		return nil, model.Conn{}, err
	}
	scope := loader.For(ctx).Scope()
	p, err := db.ListPage(ctx, store, list, scope, args)
	if err != nil {
		return nil, model.Conn{}, err
	}
	count := func(ctx context.Context) (int, error) { return db.Count(ctx, store, &list.ListSpec, scope) }
	return p, model.Conn{PageInfo: pageInfo(p), Count: count}, nil
}

// ref loads the row a nullable foreign key points to.
func ref[T any](ctx context.Context, n *db.Node[T], id *string) (*T, error) {
	if id == nil {
		return nil, nil
	}
	return loader.Node(ctx, n, *id)
}

// must loads the row a non-null foreign key points to; a row missing there
// means it is outside the caller's scope or gone, which the schema cannot
// express as null, so it is reported as not found.
func must[T any](ctx context.Context, n *db.Node[T], id string) (*T, error) {
	row, err := loader.Node(ctx, n, id)
	if err == nil && row == nil {
		return nil, db.ErrNotFound
	}
	return row, err
}
