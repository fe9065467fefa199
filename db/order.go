package db

import (
	"reflect"
	"slices"
	"strings"
)

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

// byName orders small named lists alphabetically, as names sort.
func byName(alias string) Order {
	return Order{Name: "name:ASC", Keys: []OrderKey{
		{Col: collated(alias + ".name"), Type: "text"},
		{Col: alias + ".id", Type: "uuid"},
	}}
}

// collated is a text column of people's or things' names as it sorts: by
// the linguistic collation catalogue_name of migration 0012 (Åkesson among
// the A's, van Dijk among the V's), not by bytes. Order keys, cursors and
// the name indexes all use it, so keyset paging compares as it sorts.
func collated(col string) string { return "(" + col + " COLLATE catalogue_name)" }

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

// columns lists the columns of alias that the struct v scans, from its db
// tags (embedded structs included, nested ones not), skipping the named
// ones that come from joins. Selecting named columns instead of alias.*
// keeps generated helper columns such as search_text off the wire.
func columns(alias string, v any, skip ...string) string {
	tags := tagsOf(reflect.TypeOf(v), skip)
	for i, tag := range tags {
		tags[i] = alias + "." + tag
	}
	return strings.Join(tags, ", ")
}

// tagsOf lists the db tags of the struct type t (embedded structs
// included, nested ones not), without the named ones.
func tagsOf(t reflect.Type, skip []string) []string {
	var names []string
	var walk func(t reflect.Type)
	walk = func(t reflect.Type) {
		for i := 0; i < t.NumField(); i++ {
			f := t.Field(i)
			if f.Anonymous {
				walk(f.Type)
				continue
			}
			tag := f.Tag.Get("db")
			if tag == "" || tag == "-" || f.Type.Kind() == reflect.Struct && f.Type.Name() != "Time" && f.Type.Name() != "Date" {
				continue
			}
			if slices.Contains(skip, tag) {
				continue
			}
			names = append(names, tag)
		}
	}
	walk(t)
	return names
}
