package graph

import (
	"bytes"
	"context"
	"io"
	"strconv"
	"sync"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"

	"catalogue/db/model"
	"catalogue/graph/generated"
	"catalogue/graph/loader"
)

// Rendering, the last step of a read. The plan reads every level of a
// query at once; what is left is turning the rows into JSON, and gqlgen's
// executor does that field by field, with a field context, a context and
// closures for every field of every row and a goroutine for every element
// of every list: most of the CPU of a request for a page of pages.
//
// Where gqlgen reaches a field whose whole subtree this file can write (a
// connection, or the object a node(id) returns), Render lets the field's
// resolver run as usual (so its reads, permission checks and planning are
// the ones gqlgen would run), then compiles the subtree once per request
// (collected fields, aliases, fragments, @skip/@include, arguments) and
// writes the value's JSON in one pass from the rows the plan read. It
// gives the value back to gqlgen instead, to execute as usual, when the
// subtree selects a field described nowhere here, defers a fragment, or
// when writing meets anything gqlgen would report (an error, a null in a
// non-null field): the output is then gqlgen's own, error paths included.
// Both paths give the same bytes; render_test.go compares them field by
// field.

// shape describes the fields of an object type that can be written, for
// values of Go type *T.
type shape[T any] struct {
	name   string
	fields map[string]fieldOf[T]
}

// fieldOf compiles one selected field of an object of type T. ctx carries
// the field's own field context (its arguments) for a field that has
// arguments or a selection, else its parent's.
type fieldOf[T any] func(ctx context.Context, r *Resolver, f graphql.CollectedField) (emit[T], bool)

// emit writes the JSON of one field (or object) of v; false means it met
// something gqlgen must answer instead.
type emit[T any] func(b *bytes.Buffer, v *T) bool

// compile compiles a selection set on s's type; ctx carries the field
// context of the field that returns it.
func (s *shape[T]) compile(ctx context.Context, r *Resolver, sel ast.SelectionSet) (emit[T], bool) {
	fc := graphql.GetFieldContext(ctx)
	fields := graphql.CollectFields(graphql.GetOperationContext(ctx), sel, implementors(s.name))
	keys := make([][]byte, len(fields))
	emits := make([]emit[T], len(fields))
	for i, f := range fields {
		if len(f.Deferrables) > 0 {
			return nil, false
		}
		var key bytes.Buffer
		if i > 0 {
			key.WriteByte(',')
		}
		writeString(&key, f.Alias)
		key.WriteByte(':')
		keys[i] = key.Bytes()
		if f.Name == "__typename" {
			emits[i] = constant[T](s.name)
			continue
		}
		mk, ok := s.fields[f.Name]
		if !ok {
			return nil, false
		}
		fctx := ctx
		if len(f.Selections) > 0 || len(f.Arguments) > 0 {
			if fc == nil || fc.Child == nil {
				return nil, false
			}
			child, err := fc.Child(ctx, f)
			if err != nil {
				return nil, false
			}
			fctx = graphql.WithFieldContext(ctx, child)
		}
		if emits[i], ok = mk(fctx, r, f); !ok {
			return nil, false
		}
	}
	return func(b *bytes.Buffer, v *T) bool {
		b.WriteByte('{')
		for i, e := range emits {
			b.Write(keys[i])
			if !e(b, v) {
				return false
			}
		}
		b.WriteByte('}')
		return true
	}, true
}

// root is a shape that can start a rendering: a connection type, or the
// Node types behind node(id).
type root interface {
	// render compiles the selection of the current field (through
	// compiled, once per request and query field) and writes v.
	render(ctx context.Context, r *Resolver, v any) (graphql.Marshaler, bool)
	// holds reports whether v is a value of the shape's type.
	holds(v any) bool
}

func (s *shape[T]) holds(v any) bool {
	_, ok := v.(*T)
	return ok
}

func (s *shape[T]) render(ctx context.Context, r *Resolver, v any) (graphql.Marshaler, bool) {
	row, ok := v.(*T)
	if !ok || row == nil {
		return nil, false
	}
	fc := graphql.GetFieldContext(ctx)
	e, ok := compiled(ctx, fc.Field.Field, s.name, func() (emit[T], bool) { return s.compile(ctx, r, fc.Field.Selections) })
	if !ok {
		return nil, false
	}
	var b bytes.Buffer
	if !e(&b, row) {
		return nil, false
	}
	return rawJSON(b.Bytes()), true
}

// compiled memoises the compilation of a query field's selection on a
// type for the request: the field's arguments and selection are the same
// wherever it occurs, so the release lists of a page of artists share one.
func compiled[T any](ctx context.Context, field *ast.Field, typ string, build func() (emit[T], bool)) (emit[T], bool) {
	type result struct {
		e  emit[T]
		ok bool
	}
	v, _ := loader.For(ctx).Memo(renderKey{field, typ}, func() (any, error) {
		e, ok := build()
		return result{e, ok}, nil
	})
	res := v.(result)
	return res.e, res.ok
}

type renderKey struct {
	field *ast.Field
	typ   string
}

// rawJSON is a value already written.
type rawJSON []byte

func (j rawJSON) MarshalGQL(w io.Writer) { _, _ = w.Write(j) }

// Render is the field middleware that writes covered subtrees (see the top
// of this file). It leaves every other field, and every operation but a
// query, to gqlgen.
func (r *Resolver) Render(ctx context.Context, next graphql.Resolver) (any, error) {
	fc := graphql.GetFieldContext(ctx)
	if fc == nil || len(fc.Field.Selections) == 0 || fc.Field.Definition == nil {
		return next(ctx)
	}
	var ro root
	if name := fc.Field.Definition.Type.Name(); name == "Node" {
		if fc.Object != "Query" || fc.Field.Name != "node" {
			return next(ctx)
		}
	} else if ro = roots[name]; ro == nil {
		return next(ctx)
	}
	if op := graphql.GetOperationContext(ctx).Operation; op == nil || op.Operation != ast.Query {
		return next(ctx)
	}
	v, err := next(ctx)
	if err != nil || v == nil {
		return v, err
	}
	if ro == nil { // node(id): the shape of the object's type
		for _, n := range nodeRoots {
			if n.holds(v) {
				ro = n
				break
			}
		}
		if ro == nil {
			return v, nil
		}
	}
	if m, ok := ro.render(ctx, r, v); ok {
		return m, nil
	}
	return v, nil
}

var (
	implementorsOnce sync.Once
	implementorsOf   map[string][]string
)

// implementors lists what a fragment may be on to apply to an object of
// type name: the type, its interfaces and the unions that hold it, as
// gqlgen's executor collects them.
func implementors(name string) []string {
	implementorsOnce.Do(func() {
		s := generated.NewExecutableSchema(generated.Config{}).Schema()
		implementorsOf = map[string][]string{}
		for _, t := range s.Types {
			if t.Kind != ast.Object {
				continue
			}
			names := []string{t.Name}
			names = append(names, t.Interfaces...)
			for _, u := range s.Types {
				if u.Kind != ast.Union {
					continue
				}
				for _, m := range u.Types {
					if m == t.Name {
						names = append(names, u.Name)
					}
				}
			}
			implementorsOf[t.Name] = names
		}
	})
	if names, ok := implementorsOf[name]; ok {
		return names
	}
	return []string{name}
}

// ------------------------------------------------------------- leaves

func constant[T any](s string) emit[T] {
	var b bytes.Buffer
	writeString(&b, s)
	out := b.Bytes()
	return func(b *bytes.Buffer, _ *T) bool { b.Write(out); return true }
}

func leaf[T any](e emit[T]) fieldOf[T] {
	return func(context.Context, *Resolver, graphql.CollectedField) (emit[T], bool) { return e, true }
}

func str[T any](get func(*T) string) fieldOf[T] {
	return leaf(func(b *bytes.Buffer, v *T) bool { writeString(b, get(v)); return true })
}

// nullable is a nullable leaf: null, or its value as write writes it.
func nullable[T, V any](get func(*T) *V, write func(*bytes.Buffer, V)) fieldOf[T] {
	return leaf(func(b *bytes.Buffer, v *T) bool {
		if x := get(v); x != nil {
			write(b, *x)
		} else {
			b.WriteString("null")
		}
		return true
	})
}

func optStr[T any](get func(*T) *string) fieldOf[T] { return nullable(get, writeString) }

func num[T any](get func(*T) int) fieldOf[T] {
	return leaf(func(b *bytes.Buffer, v *T) bool { writeInt(b, get(v)); return true })
}

func optNum[T any](get func(*T) *int) fieldOf[T] { return nullable(get, writeInt) }

func flag[T any](get func(*T) bool) fieldOf[T] {
	return leaf(func(b *bytes.Buffer, v *T) bool { writeBool(b, get(v)); return true })
}

func optFlag[T any](get func(*T) *bool) fieldOf[T] { return nullable(get, writeBool) }

// instant is a non-null DateTime; the zero time, which gqlgen writes as
// null and reports, is for gqlgen.
func instant[T any](get func(*T) time.Time) fieldOf[T] {
	return leaf(func(b *bytes.Buffer, v *T) bool { return writeTime(b, get(v)) })
}

// optInstant is a nullable DateTime; gqlgen writes the zero time as null.
func optInstant[T any](get func(*T) *time.Time) fieldOf[T] {
	return nullable(get, func(b *bytes.Buffer, t time.Time) {
		if !writeTime(b, t) {
			b.WriteString("null")
		}
	})
}

// The scalars as gqlgen writes them (graphql.MarshalString, MarshalInt,
// MarshalBoolean, MarshalTime), without a closure per value.

const hexDigits = "0123456789ABCDEF"

func writeString(b *bytes.Buffer, s string) {
	b.WriteByte('"')
	start := 0
	for i, c := range s {
		if c >= 0x20 && c != '\\' && c != '"' {
			continue
		}
		b.WriteString(s[start:i])
		switch c {
		case '\t':
			b.WriteString(`\t`)
		case '\r':
			b.WriteString(`\r`)
		case '\n':
			b.WriteString(`\n`)
		case '\\':
			b.WriteString(`\\`)
		case '"':
			b.WriteString(`\"`)
		default:
			b.WriteString(`\u00`)
			b.WriteByte(hexDigits[c>>4])
			b.WriteByte(hexDigits[c&0xf])
		}
		start = i + 1
	}
	b.WriteString(s[start:])
	b.WriteByte('"')
}

func writeInt(b *bytes.Buffer, n int) {
	var d [20]byte
	b.Write(strconv.AppendInt(d[:0], int64(n), 10))
}

func writeBool(b *bytes.Buffer, f bool) {
	if f {
		b.WriteString("true")
	} else {
		b.WriteString("false")
	}
}

func writeTime(b *bytes.Buffer, t time.Time) bool {
	if t.IsZero() {
		return false
	}
	// RFC 3339 is ASCII without quotes or backslashes: quoting it is
	// enclosing it in quotes.
	var d [40]byte
	b.WriteByte('"')
	b.Write(t.AppendFormat(d[:0], time.RFC3339Nano))
	b.WriteByte('"')
	return true
}

// marshaled is a leaf whose Go type writes itself: enums, dates.
func marshaled[T any, M graphql.Marshaler](get func(*T) M) fieldOf[T] {
	return leaf(func(b *bytes.Buffer, v *T) bool { get(v).MarshalGQL(b); return true })
}

// resolved is a leaf its resolver computes (a permission-dependent contact
// field); an error is for gqlgen to report.
func resolved[T any](get func(ctx context.Context, r *Resolver, v *T) (*string, error)) fieldOf[T] {
	return func(ctx context.Context, r *Resolver, _ graphql.CollectedField) (emit[T], bool) {
		return func(b *bytes.Buffer, v *T) bool {
			s, err := get(ctx, r, v)
			if err != nil {
				return false
			}
			if s != nil {
				writeString(b, *s)
			} else {
				b.WriteString("null")
			}
			return true
		}, true
	}
}

// -------------------------------------------------------------- objects

// one is a non-null object field whose value v holds.
func one[T, C any](get func(*T) *C, s *shape[C]) fieldOf[T] {
	return loadedObject(func(_ context.Context, _ *Resolver, v *T) (*C, error) { return get(v), nil }, s, true)
}

// list is a non-null list of non-null objects that v holds.
func list[T, C any](get func(*T) []*C, s *shape[C]) fieldOf[T] {
	return loadedList(func(_ context.Context, _ *Resolver, v *T) ([]*C, error) { return get(v), nil }, s)
}

// loadedList is a non-null list of non-null objects its resolver loads.
func loadedList[T, C any](load func(ctx context.Context, r *Resolver, v *T) ([]*C, error), s *shape[C]) fieldOf[T] {
	return func(ctx context.Context, r *Resolver, f graphql.CollectedField) (emit[T], bool) {
		e, ok := s.compile(ctx, r, f.Selections)
		return func(b *bytes.Buffer, v *T) bool {
			cs, err := load(ctx, r, v)
			if err != nil {
				return false
			}
			b.WriteByte('[')
			for i, c := range cs {
				if i > 0 {
					b.WriteByte(',')
				}
				if c == nil || !e(b, c) {
					return false
				}
			}
			b.WriteByte(']')
			return true
		}, ok
	}
}

// loadedObject is an object field its resolver loads: a to-one reference, a
// cache hit when the plan read the level. nil is null where the schema
// allows it; where it does not, the field is for gqlgen to report.
func loadedObject[T, C any](load func(ctx context.Context, r *Resolver, v *T) (*C, error), s *shape[C], nonNull bool) fieldOf[T] {
	return func(ctx context.Context, r *Resolver, f graphql.CollectedField) (emit[T], bool) {
		e, ok := s.compile(ctx, r, f.Selections)
		return func(b *bytes.Buffer, v *T) bool {
			c, err := load(ctx, r, v)
			switch {
			case err != nil:
				return false
			case c == nil && nonNull:
				return false
			case c == nil:
				b.WriteString("null")
				return true
			}
			return e(b, c)
		}, ok
	}
}

// connection is a nested list field: its resolver, called with the
// field's arguments, reads the page through the loaders (a cache hit when
// the plan read the level).
func connection[T, C any](load func(ctx context.Context, r *Resolver, v *T, a listArgs) (*C, error), s *shape[C]) fieldOf[T] {
	return func(ctx context.Context, r *Resolver, f graphql.CollectedField) (emit[T], bool) {
		a := listArgsOf(graphql.GetFieldContext(ctx).Args)
		return loadedObject(func(ctx context.Context, r *Resolver, v *T) (*C, error) { return load(ctx, r, v, a) }, s, true)(ctx, r, f)
	}
}

// count is a connection's totalCount, read through the loaders.
func count[T any](get func(*T) *model.Conn) fieldOf[T] {
	return func(ctx context.Context, _ *Resolver, _ graphql.CollectedField) (emit[T], bool) {
		return func(b *bytes.Buffer, v *T) bool {
			n, err := get(v).TotalCount(ctx)
			if err != nil {
				return false
			}
			writeInt(b, n)
			return true
		}, true
	}
}
