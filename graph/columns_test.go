package graph

import (
	"fmt"
	"reflect"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2"
	"github.com/vektah/gqlparser/v2/ast"

	"catalogue/db"
)

// Columns that no field shows: the server reads them only in whole rows,
// for its writes and its SQL predicates.
var unshown = map[string]string{
	"Membership.user_deleted": "copied from the user for the member lists' predicate",
	"Membership.created_by":   "Membership has no createdBy field",
	"Membership.updated_by":   "Membership has no updatedBy field",
	"BrandAccess.tenant_id":   "BrandAccess has no tenant field",
	"BrandAccess.created_by":  "BrandAccess has no createdBy field",
	"BrandAccess.updated_by":  "BrandAccess has no updatedBy field",
	"BrandAccess.version":     "BrandAccess has no version field",
	"BrandAccess.updated_at":  "BrandAccess has no updatedAt field",
	"Group.updated_at":        "Group has no updatedAt field",
	"Track.tenant_id":         "Track has no tenant field",
}

// TestEveryFieldSaysWhichColumnsItReads: the column tables and the schema
// agree field for field, so that a new field cannot be half-wired (shown,
// but read as zero because no column was selected for it); every column a
// table names is in the select list of every Node and List that reads its
// type; and every column of those select lists is needed by some field, so
// that a query selecting every field reads whole rows.
func TestEveryFieldSaysWhichColumnsItReads(t *testing.T) {
	s := schema()
	for typ, table := range columnTables {
		def := s.Types[typ]
		if def == nil || def.Kind != ast.Object {
			t.Errorf("column table %s: no such object type in the schema", typ)
			continue
		}
		for _, f := range def.Fields {
			if _, ok := table[f.Name]; !ok && !strings.HasPrefix(f.Name, "__") {
				t.Errorf("%s.%s has no entry in the column table of %s: say which columns it reads", typ, f.Name, typ)
			}
		}
		for name, n := range table {
			f := def.Fields.ForName(name)
			if f == nil {
				t.Errorf("column table %s has %s, which the schema does not have", typ, name)
				continue
			}
			if n.embed != "" && f.Type.Name() != n.embed {
				t.Errorf("%s.%s embeds %s but the field is a %s", typ, name, n.embed, f.Type.Name())
			}
			if n.embed != "" && columnTables[n.embed] == nil {
				t.Errorf("%s.%s embeds %s, which has no column table", typ, name, n.embed)
			}
		}
	}

	// Every read selects from a select list that has every column a field
	// of its type may need, and only such columns.
	everything := usage{}
	for typ, table := range columnTables {
		everything[typ] = map[string]bool{}
		for f := range table {
			everything[typ][f] = true
		}
	}
	check := func(read, typ string, c *db.Columns) {
		names, ok := everything.columns(typ, "", nil)
		if !ok {
			t.Errorf("%s reads %s, which has no column table", read, typ)
			return
		}
		if _, err := c.Of(names...); err != nil {
			t.Errorf("%s (rows of %s): %v", read, typ, err)
		}
		owners := ownersOf(typ, "")
		for _, col := range c.Names() {
			if slices.Contains(names, col) {
				continue
			}
			owner, bare := owners(col)
			if unshown[owner+"."+bare] == "" {
				t.Errorf("%s (rows of %s) selects %s, which no field of %s needs", read, typ, col, owner)
			}
		}
	}
	for typ, r := range nodeReads {
		name, c := r.(interface {
			selects() (string, *db.Columns)
		}).selects()
		if name != string(typ) {
			t.Errorf("node read of %s is named %s, not its GraphQL type", typ, name)
		}
		if columnTables[name] == nil {
			t.Errorf("Node type %s has no column table", name)
			continue
		}
		check("node "+name, name, c)
	}
	for spec, r := range listReads {
		check("list "+spec.Name, r.edge, r.columns)
	}
	for name, spec := range lists {
		if _, ok := listReads[spec]; !ok {
			t.Errorf("list %s is planned but does not say which columns it reads", name)
		}
	}
	if _, ok := listReads[&db.Tenants.ListSpec]; !ok {
		t.Error("the top-level list of tenants does not say which columns it reads")
	}
}

// ownersOf maps a column of a select list of rows of typ to the type whose
// row it belongs to and its name there, following embedded rows' prefixes.
func ownersOf(typ, at string) func(col string) (string, string) {
	return func(col string) (string, string) {
		for _, n := range columnTables[typ] {
			if n.embed != "" && n.at != "" && strings.HasPrefix(col, at+n.at) {
				return ownersOf(n.embed, at+n.at)(col)
			}
		}
		for _, n := range columnTables[typ] {
			if n.embed != "" && n.at == "" {
				return n.embed, strings.TrimPrefix(col, at)
			}
		}
		return typ, strings.TrimPrefix(col, at)
	}
}

// selectedBy is what a read of typ's rows from c selects for a query.
func selectedBy(t *testing.T, q string, vars map[string]any, typ string, c *db.Columns) []string {
	t.Helper()
	doc, errs := gqlparser.LoadQuery(schema(), q)
	if len(errs) > 0 {
		t.Fatalf("%s: %v", q, errs)
	}
	op := &graphql.OperationContext{Doc: doc, Operation: doc.Operations[0], Variables: vars}
	set := usageOf(op).cols(typ, c)
	if set == db.AllColumns {
		return []string{"(all)"}
	}
	got := slices.Clone(c.NamesOf(set))
	sort.Strings(got)
	return got
}

// TestReadsSelectWhatTheOperationShows: the columns of a read follow the
// fields the whole operation selects on its type, after fragments,
// aliases and @skip/@include, and what the server needs besides.
func TestReadsSelectWhatTheOperationShows(t *testing.T) {
	members, user := db.MembersByTenant.Columns(), db.UserNode.Columns()
	artists, releases, tracks := db.ArtistsByTenant.Columns(), db.ReleasesByArtist.Columns(), db.TracksByRelease.Columns()
	nested := `{ tenant(slug: "x") { artists(first: 20) { edges { node { id name releases(first: 10) { edges { node { id title
		tracks(first: 10) { edges { node { id position title isrc } } } } } } } } } } }`
	cases := []struct {
		name  string
		query string
		vars  map[string]any
		typ   string
		cols  *db.Columns
		want  string
	}{
		{"a page of members", `{ tenant(slug: "x") { members(first: 50) { edges { node { id email firstName } } } } }`, nil,
			"TenantMemberEdge", members, "email first_name id"},
		{"with their membership", `{ tenant(slug: "x") { members { edges { cursor membership { role } node { fullName } } } } }`, nil,
			"TenantMemberEdge", members, "first_name id last_name m.id m.role nickname"},
		{"nested: artists", nested, nil, "ArtistEdge", artists, "id name"},
		{"nested: releases", nested, nil, "ReleaseEdge", releases, "id title"},
		{"nested: tracks", nested, nil, "TrackEdge", tracks, "id isrc position title"},
		{"a reference needs its foreign key", `{ node(id: "x") { ... on Track { release { id } createdBy { id } } } }`, nil,
			"Track", db.TrackNode.Columns(), "created_by id release_id"},
		{"derived fields", `{ viewer { user { language { name } fullName } } }`, nil,
			"User", user, "first_name id language_code language_icon language_name language_square_icon last_name nickname"},
		{"the union over the operation", `{ viewer { user { firstName } }
			nodes(ids: ["x"]) { ...N ... on User { em: email } } }
			fragment N on Node { ... on User { lastName phone } }`, nil,
			"User", user, "email first_name id last_name phone"},
		{"skipped and included", `query($show: Boolean!, $hide: Boolean!) { viewer { user {
			email @include(if: $show) phone @include(if: $hide) lastName @skip(if: $show) ... @skip(if: $hide) { nickname } } } }`,
			map[string]any{"show": true, "hide": false}, "User", user, "email id nickname"},
		{"an edge's own columns", `{ node(id: "x") { ... on Track { artists { edges { role node { name } } } } } }`, nil,
			"TrackArtistEdge", db.ArtistsByTrack.Columns(), "credit_role id name"},
		{"a payload's rows below", `mutation { updateUser(input: {id: "x", profile: {}}) { user { memberships { edges { node { status } } } } } }`, nil,
			"MembershipEdge", db.MembershipsByUser.Columns(), "id status"},
		{"not selected at all: the id", `{ tenant(slug: "x") { members { totalCount } } }`, nil,
			"TenantMemberEdge", members, "id"},
	}
	for _, c := range cases {
		got := strings.Join(selectedBy(t, c.query, c.vars, c.typ, c.cols), " ")
		if got != c.want {
			t.Errorf("%s: selects %s, want %s", c.name, got, c.want)
		}
	}
	// A field without a table reads whole rows, never too few columns.
	if got := (usage{"User": {"notInTheTable": true}}).cols("User", user); got != db.AllColumns {
		t.Errorf("a field without a table selects %v, want whole rows", user.NamesOf(got))
	}
}

// rowType is the Go type of o's values, for the tests.
func (o *object[T]) rowType() reflect.Type { return reflect.TypeFor[T]() }

// TestColumnTablesMatchTheRowTypes checks the tables against the Go rows
// gqlgen binds the fields to, without data: a field bound to a struct
// field reads that field's column; a field bound to a method (fullName,
// language) gives the same answer on a row holding only the columns its
// entry names as on the whole row, whichever columns are null. (Fields
// with resolvers are checked end to end in internal/api.)
func TestColumnTablesMatchTheRowTypes(t *testing.T) {
	for name, o := range nodeObjects {
		row := o.(interface{ rowType() reflect.Type }).rowType()
		for field, n := range columnTables[name] {
			if n.embed != "" {
				continue
			}
			listed := append([]string{idColumn}, n.cols...)
			if sf, ok := row.FieldByNameFunc(func(s string) bool { return strings.EqualFold(s, field) }); ok {
				if tag := sf.Tag.Get("db"); tag != "" && !slices.Contains(listed, tag) {
					t.Errorf("%s.%s is bound to %s.%s, column %s, but its entry reads %v", name, field, row.Name(), sf.Name, tag, listed)
				}
				continue
			}
			m, ok := reflect.PointerTo(row).MethodByName(strings.ToUpper(field[:1]) + field[1:])
			if !ok || m.Type.NumIn() != 1 {
				continue // a resolver
			}
			nilable := columnFields(row, func(f reflect.Value) bool { return f.Kind() == reflect.Pointer || f.Kind() == reflect.Slice })
			for i := -1; i < len(nilable); i++ {
				for j := i; j < len(nilable); j++ {
					whole := reflect.New(row)
					fill(whole.Elem())
					for _, k := range []int{i, j} {
						if k >= 0 {
							nilable[k](whole.Elem()).SetZero()
						}
					}
					only := reflect.New(row)
					for _, col := range listed {
						if get := columnField(row, col); get != nil {
							get(only.Elem()).Set(get(whole.Elem()))
						}
					}
					a, b := whole.Method(m.Index).Call(nil)[0].Interface(), only.Method(m.Index).Call(nil)[0].Interface()
					if !reflect.DeepEqual(a, b) {
						t.Errorf("%s.%s on the columns %v gives %v, on the whole row %v", name, field, listed, b, a)
						i, j = len(nilable), len(nilable)
					}
				}
			}
		}
	}
}

// columnFields lists accessors of the db-tagged fields of a row type
// (embedded structs included) that keep.
func columnFields(row reflect.Type, keep func(reflect.Value) bool) []func(reflect.Value) reflect.Value {
	var out []func(reflect.Value) reflect.Value
	zero := reflect.New(row).Elem()
	for _, f := range reflect.VisibleFields(row) {
		if f.Anonymous || f.Tag.Get("db") == "" {
			continue
		}
		index := f.Index
		get := func(v reflect.Value) reflect.Value { return v.FieldByIndex(index) }
		if keep(get(zero)) {
			out = append(out, get)
		}
	}
	return out
}

// columnField is the accessor of the field a column scans into.
func columnField(row reflect.Type, col string) func(reflect.Value) reflect.Value {
	for _, f := range reflect.VisibleFields(row) {
		if !f.Anonymous && f.Tag.Get("db") == col {
			index := f.Index
			return func(v reflect.Value) reflect.Value { return v.FieldByIndex(index) }
		}
	}
	return nil
}

// fill sets every db-tagged field of a row to a value of its own.
func fill(v reflect.Value) {
	for i, get := range columnFields(v.Type(), func(reflect.Value) bool { return true }) {
		set(get(v), i)
	}
}

func set(f reflect.Value, i int) {
	switch f.Kind() {
	case reflect.Pointer:
		f.Set(reflect.New(f.Type().Elem()))
		set(f.Elem(), i)
	case reflect.String:
		f.SetString(fmt.Sprintf("v%d", i))
	case reflect.Bool:
		f.SetBool(true)
	case reflect.Int, reflect.Int64:
		f.SetInt(int64(i + 1))
	case reflect.Slice:
		f.Set(reflect.MakeSlice(f.Type(), 1, 1))
		set(f.Index(0), i)
	case reflect.Struct:
		if f.Type() == reflect.TypeFor[time.Time]() {
			f.Set(reflect.ValueOf(time.Unix(int64(i+1)*3600, 0).UTC()))
		} else if f.NumField() > 0 && f.Field(0).CanSet() {
			set(f.Field(0), i)
		}
	}
}
