package db

import "strings"

// newestFirst is the default order of every list: created_at descending,
// id as the tie-break that makes the order total.
func newestFirst(alias string) Order {
	return Order{Name: "createdAt:DESC", Keys: []OrderKey{
		{Col: alias + ".created_at", Type: "timestamptz", Desc: true},
		{Col: alias + ".id", Type: "uuid", Desc: true},
	}}
}

// byPosition orders credits and tracks as they appear on the release.
func byPosition(alias string) Order {
	return Order{Name: "position:ASC", Keys: []OrderKey{
		{Col: alias + ".position", Type: "int"},
		{Col: alias + ".id", Type: "uuid"},
	}}
}

// byName orders small named lists alphabetically.
func byName(alias string) Order {
	return Order{Name: "name:ASC", Keys: []OrderKey{
		{Col: alias + ".name", Type: "text"},
		{Col: alias + ".id", Type: "uuid"},
	}}
}

// prefixed selects columns of alias under "alias.column" names, the form
// sqlx maps onto a nested struct field tagged db:"alias".
func prefixed(alias string, cols ...string) string {
	parts := make([]string, len(cols))
	for i, c := range cols {
		parts[i] = alias + "." + c + ` AS "` + alias + "." + c + `"`
	}
	return strings.Join(parts, ", ")
}

// tenantScope is the scope predicate of a table with a tenant_id column.
func tenantScope(alias string) string { return alias + ".tenant_id = ANY(?::uuid[])" }
