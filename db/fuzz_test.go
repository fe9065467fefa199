package db

// Fuzz targets of what turns client text into bound values: the cursor
// decoder and the filter compiler. Neither needs a database: the property
// checked is that every value they bind is one PostgreSQL accepts for the
// type the statement casts it to, so that a hostile cursor or filter is a
// client error here and never a failed statement. `go test` runs the seeds
// and testdata/fuzz; `make fuzz-short` fuzzes each briefly.

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"math"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"
	"github.com/lib/pq"

	"catalogue/db/model"
	"catalogue/internal/filter"
)

// cursorLists are compiled lists whose orderings, together, have a sort
// key of every type cursors carry (timestamptz, uuid, int, date, text,
// nullable ones included).
func cursorLists(t testing.TB) []*Compiled {
	t.Helper()
	var out []*Compiled
	for _, q := range []struct {
		list  *ListSpec
		order string
	}{
		{&ReleasesByArtist.ListSpec, ""},
		{&ReleasesByArtist.ListSpec, "RELEASE_DATE"},
		{&TracksByRelease.ListSpec, ""},
		{&TracksByRelease.ListSpec, "DURATION"},
		{&TracksByRelease.ListSpec, "TITLE"},
		{&MembersByTenant.ListSpec, "LAST_NAME"},
	} {
		var query Query
		if q.order != "" {
			query.OrderBy = []OrderTerm{{Field: q.order, Desc: true}}
		}
		c, err := q.list.Compile(query)
		if err != nil {
			t.Fatalf("%s by %q: %v", q.list.Name, q.order, err)
		}
		out = append(out, c)
	}
	return out
}

// sampleKey is a sort value of each type as PostgreSQL's JSON prints it.
var sampleKey = map[string]string{
	"timestamptz": `"2025-03-10T12:34:56.789012+00:00"`,
	"uuid":        `"6f1c2a4e-8b0d-4c5e-9f3a-1b2c3d4e5f60"`,
	"int":         `7`,
	"date":        `"2024-02-29"`,
	"text":        `"Zoë \"Q\" O'Brien"`,
}

// FuzzDecodeCursor: decodeCursor never panics, refuses with an
// *model.InputError naming the argument, returns values that bind cleanly
// to the key types, and what it accepts, encoded again, decodes to the same
// values. With encode set, raw is the cursor's JSON, encoded here, so that
// the fuzzer's mutations reach the decoded values.
func FuzzDecodeCursor(f *testing.F) {
	lists := cursorLists(f)
	seed := func(i int, keys string) {
		cursor := lists[i].cursorOf(keys)
		f.Add(uint8(i), false, cursor)
		payload, err := base64.RawURLEncoding.DecodeString(cursor)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(uint8(i), true, string(payload))
	}
	for i, c := range lists {
		keys := make([]string, len(c.order.Keys))
		for j, k := range c.order.Keys {
			keys[j] = sampleKey[k.Type]
		}
		seed(i, "["+strings.Join(keys, ",")+"]")
		if c.order.Keys[0].Nullable {
			keys[0] = "null"
			seed(i, "["+strings.Join(keys, ",")+"]")
		}
		// Values PostgreSQL refuses for the first key's type.
		for _, bad := range []string{`"a\u0000b"`, `3000000000`, `"0000-01-01"`, `"10000-01-01T00:00:00Z"`, `true`} {
			keys[0] = bad
			seed(i, "["+strings.Join(keys, ",")+"]")
		}
	}
	f.Add(uint8(0), false, "")
	f.Add(uint8(0), false, "not a cursor")
	f.Fuzz(func(t *testing.T, which uint8, encode bool, raw string) {
		if encode {
			raw = base64.RawURLEncoding.EncodeToString([]byte(raw))
		}
		c := lists[int(which)%len(lists)]
		vals, err := decodeCursor("after", raw, c)
		if err != nil {
			var ie *model.InputError
			if !errors.As(err, &ie) || ie.Arg != "after" {
				t.Fatalf("decodeCursor(%q): error %T %v is not an input error on after", raw, err, err)
			}
			// The message quotes at most 80 bytes of the cursor.
			if len(err.Error()) > 600 {
				t.Fatalf("decodeCursor(%q): a %d-byte message", raw, len(err.Error()))
			}
			return
		}
		if len(vals) != len(c.order.Keys) {
			t.Fatalf("decodeCursor(%q): %d values for %d keys", raw, len(vals), len(c.order.Keys))
		}
		keys := make([]string, len(vals))
		for i, k := range c.order.Keys {
			if vals[i] == nil {
				if !k.Nullable {
					t.Fatalf("decodeCursor(%q): NULL for the key %s", raw, k.Col)
				}
				keys[i] = "null"
				continue
			}
			if msg := bindable(k.Type, vals[i]); msg != "" {
				t.Fatalf("decodeCursor(%q): key %s: %s", raw, k.Col, msg)
			}
			v := vals[i]
			if tm, ok := v.(time.Time); ok {
				v = tm.Format(time.RFC3339Nano)
			}
			b, err := json.Marshal(v)
			if err != nil {
				t.Fatal(err)
			}
			keys[i] = string(b)
		}
		again, err := decodeCursor("after", c.cursorOf("["+strings.Join(keys, ",")+"]"), c)
		if err != nil {
			t.Fatalf("decodeCursor(%q) = %v, encoded again: %v", raw, vals, err)
		}
		for i := range vals {
			a, b := vals[i], again[i]
			if ta, ok := a.(time.Time); ok {
				if tb, ok := b.(time.Time); !ok || !ta.Equal(tb) {
					t.Fatalf("decodeCursor(%q): value %d is %v, then %v", raw, i, a, b)
				}
				continue
			}
			if !reflect.DeepEqual(a, b) {
				t.Fatalf("decodeCursor(%q): value %d is %#v, then %#v", raw, i, a, b)
			}
		}
	})
}

// bindable says why v cannot be bound as a parameter cast to the
// PostgreSQL type typ (as "?::typ" or "?::typ[]"), or "" if it can.
func bindable(typ string, v any) string {
	text := func(s string) string {
		switch {
		case !utf8.ValidString(s):
			return "text that is not UTF-8"
		case strings.IndexByte(s, 0) >= 0:
			return "text with a NUL character"
		}
		return ""
	}
	switch typ {
	case "int":
		switch n := v.(type) {
		case int64:
			if n < math.MinInt32 || n > math.MaxInt32 {
				return "an integer past 32 bits for an int column"
			}
			return ""
		case string: // an element of an array parameter
			if _, err := strconv.ParseInt(n, 10, 32); err != nil {
				return "array element " + n + " is not a 32-bit integer"
			}
			return ""
		}
	case "date":
		if s, ok := v.(string); ok {
			d, err := time.Parse("2006-01-02", s)
			if err != nil || d.Year() < 1 {
				return "date " + s + " PostgreSQL cannot read"
			}
			return ""
		}
	case "timestamptz":
		switch x := v.(type) {
		case time.Time:
			return ""
		case string: // an element of an array parameter
			if _, err := time.Parse(time.RFC3339Nano, x); err != nil {
				return "time " + x + " PostgreSQL cannot read"
			}
			return ""
		}
	case "uuid":
		if s, ok := v.(string); ok {
			if u, err := uuid.Parse(s); err != nil || u.String() != s {
				return "uuid " + s + " is not canonical"
			}
			return ""
		}
	case "bool":
		switch x := v.(type) {
		case bool:
			return ""
		case string: // an element of an array parameter
			if x == "true" || x == "false" {
				return ""
			}
			return "boolean " + x + " PostgreSQL cannot read"
		}
	case "text", "":
		if s, ok := v.(string); ok {
			return text(s)
		}
	}
	if arr, ok := v.(pq.StringArray); ok {
		for _, e := range arr {
			if msg := text(e); msg != "" {
				return msg
			}
			if typ != "text" && typ != "" {
				if msg := bindable(typ, e); msg != "" {
					return msg
				}
			}
		}
		return ""
	}
	return "a " + reflect.TypeOf(v).String() + " for a " + typ + " parameter"
}

// filterLists are the field tables the compiler fuzz target draws from.
var filterLists = []*Fields{memberFields, artistFields, releaseFields, trackFields}

// filterOps are the operations a typed condition can have.
var filterOps = []filter.Op{filter.OpEq, filter.OpNe, filter.OpIn, filter.OpNotIn, filter.OpContains,
	filter.OpStartsWith, filter.OpLike, filter.OpIsNull, filter.OpGt, filter.OpGte, filter.OpLt, filter.OpLte, filter.OpSearch}

// FuzzCompileFilter: the compiler never panics, refuses with a typed input
// error (a *filter.SyntaxError for the query syntax, *model.InputError for
// typed input, *model.ForbiddenError for a restricted caller's sensitive
// field), and binds exactly one value per placeholder, each one PostgreSQL
// accepts for the type the statement casts it to. q is read as the query
// syntax, or, when typed is set, as the values (separated by \x1f) of one
// typed condition on the field and operation that op picks.
func FuzzCompileFilter(f *testing.F) {
	for _, q := range []string{
		`durationSeconds:>99999999999999`, `position:3000000000`, `position:1..2147483648`,
		`releaseDate:>0000-01-01`, `releaseDate:2024-02-29,0001-01-01`, `createdAt:>=2025-01-01`,
		`email:*@company.fr role:Producer -status:DEACTIVATED "exact phrase"`,
		`title:contains:"a|b" OR (genre:Pop,Rock AND -upc:null)`, `id:in:x|y`, `explicit:true`,
	} {
		for i := range filterLists {
			f.Add(uint8(i), false, false, uint8(0), q)
		}
	}
	for i := range 4 * len(filterOps) {
		f.Add(uint8(3), true, false, uint8(i), "a\x00b")
		f.Add(uint8(3), true, true, uint8(i), "3000000000\x1f-1")
		f.Add(uint8(2), true, false, uint8(i), "0000-01-01")
	}
	f.Fuzz(func(t *testing.T, which uint8, typed, restricted bool, op uint8, q string) {
		fields := filterLists[int(which)%len(filterLists)]
		var e *filter.Expr
		if typed {
			names := fields.FilterNames()
			cond := &filter.Cond{Field: names[int(op)%len(names)], Op: filterOps[int(op)/len(names)%len(filterOps)], Pos: -1}
			if cond.Op == filter.OpSearch {
				cond.Field = ""
			}
			for v := range strings.SplitSeq(q, "\x1f") {
				cond.Values = append(cond.Values, v)
			}
			e = &filter.Expr{Cond: cond}
		} else {
			var err error
			if e, err = filter.Parse(q, fields.Set()); err != nil || e == nil {
				return // FuzzParse in internal/filter checks the parser
			}
		}
		c := &compiler{fields: fields, restricted: restricted}
		where, err := c.expr(e, 0)
		if err != nil {
			var se *filter.SyntaxError
			var ie *model.InputError
			var fe *model.ForbiddenError
			switch {
			case errors.As(err, &se) && !typed, errors.As(err, &ie) && typed:
			case errors.As(err, &fe) && restricted:
			default:
				t.Fatalf("compiling %q (typed %v): error %T %v", q, typed, err, err)
			}
			return
		}
		casts := placeholderCasts(where)
		if len(casts) != len(c.args) {
			t.Fatalf("compiling %q: %d placeholders for %d values in %s", q, len(casts), len(c.args), where)
		}
		for i, a := range c.args {
			if msg := bindable(casts[i], a); msg != "" {
				t.Fatalf("compiling %q: value %d (%#v) in %s: %s", q, i, a, where, msg)
			}
		}
	})
}

// placeholderCasts returns, for each ? of a compiled predicate, the type
// it is cast to ("?::int" or "?::int[]"), or "" when it is not cast.
func placeholderCasts(where string) []string {
	var out []string
	for i := 0; i < len(where); i++ {
		if where[i] != '?' {
			continue
		}
		typ := ""
		if rest := where[i+1:]; strings.HasPrefix(rest, "::") {
			end := strings.IndexFunc(rest[2:], func(r rune) bool { return !(r >= 'a' && r <= 'z') })
			if end < 0 {
				end = len(rest) - 2
			}
			typ = rest[2 : 2+end]
		}
		out = append(out, typ)
	}
	return out
}
