package db

import (
	"context"
	"fmt"

	"github.com/lib/pq"
)

// Node describes how to read rows of T by primary key.
type Node[T any] struct {
	Name   string // GraphQL type name, for errors
	Select string
	From   string
	IDCol  string
	// ScopePred restricts rows to the caller's tenants; its single ?
	// receives the tenant ID array.
	ScopePred string
}

// ByIDs reads the whole rows with the given IDs that the scope may see,
// keyed by ID; IDs that do not exist or are out of scope are absent from
// the map.
func ByIDs[T any](ctx context.Context, s Querier, n *Node[T], sc Scope, ids []string) (map[string]*T, error) {
	return ColumnsByIDs(ctx, s, n, sc, AllColumns, ids)
}

// ColumnsByIDs is ByIDs reading only the columns cols of n's select list;
// the others keep their zero values.
func ColumnsByIDs[T any](ctx context.Context, s Querier, n *Node[T], sc Scope, cols Cols, ids []string) (map[string]*T, error) {
	q := "SELECT " + n.IDCol + "::text AS _key, " + n.Columns().selectList(cols) + " FROM " + n.From + " WHERE " + n.IDCol
	var args []any
	if len(ids) == 1 {
		// A lone key is compared as one: PostgreSQL then plans the
		// prepared statement once for every key (a generic plan), where
		// an array of unknown length keeps it planning each time.
		q += " = ?::uuid"
		args = []any{ids[0]}
	} else {
		q += " = ANY(?::uuid[])"
		args = []any{pq.Array(ids)}
	}
	if !sc.all {
		q += " AND " + n.ScopePred
		args = append(args, pq.Array(sc.tenants))
	}
	rows, err := scanKeyed[T](ctx, s, q, args)
	if err != nil {
		return nil, fmt.Errorf("%s by id: %w", n.Name, err)
	}
	out := make(map[string]*T, len(rows))
	for _, r := range rows {
		out[r.key] = r.row
	}
	return out, nil
}
