package guard

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/parser"
)

func mustParse(t *testing.T, q string) *ast.QueryDocument {
	t.Helper()
	doc, err := parser.ParseQuery(&ast.Source{Input: q})
	if err != nil {
		t.Fatalf("%.200s: %v", q, err)
	}
	return doc
}

func TestMeasure(t *testing.T) {
	cases := []struct {
		name, query string
		want        Shape
	}{
		{"fields", `{ a b { c d } }`, Shape{Fields: 4, SelectionFields: 2}},
		{"inline fragments count in their selection set", `{ x: a y: a ... on Q { b ... { c } } }`,
			Shape{Fields: 4, SelectionFields: 4, Aliases: 2}},
		{"an alias that is the field's name is none", `{ a: a }`, Shape{Fields: 1, SelectionFields: 1}},
		{"directives", `query Q($v: Int @d) @d { a @include(if: true) @skip(if: false) ...F @d } fragment F on Q @d { b }`,
			Shape{Fields: 2, SelectionFields: 2, Directives: 6, FieldDirectives: 2, FragmentSpreads: 1}},
		{"fragments count where they are defined", `{ ...F ...F ...F } fragment F on Q { a b }`,
			Shape{Fields: 2, SelectionFields: 2, FragmentSpreads: 3}},
		{"spreads bring their fields into the selection set", `{ a ...F ... { ...G } } fragment F on Q { b c ...G } fragment G on Q { d }`,
			Shape{Fields: 4, SelectionFields: 5, FragmentSpreads: 3}},
		{"introspection depth goes through fragments", `{ __schema { types { name } } t: __type(name: "Q") { ...T } }
			fragment T on __Type { ofType { ofType { name } } }`,
			Shape{Fields: 7, SelectionFields: 2, Aliases: 1, FragmentSpreads: 1, IntrospectionFields: 2, IntrospectionDepth: 4}},
		{"a fragment cycle ends", `{ __type(name: "Q") { ...A } } fragment A on __Type { ofType { ...A } }`,
			Shape{Fields: 2, SelectionFields: 1, FragmentSpreads: 2, IntrospectionFields: 1, IntrospectionDepth: 2}},
		{"an unknown fragment adds nothing", `{ __type(name: "Q") { ...Nope } }`,
			Shape{Fields: 1, SelectionFields: 1, FragmentSpreads: 1, IntrospectionFields: 1, IntrospectionDepth: 1}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := Measure(mustParse(t, c.query)); got != c.want {
				t.Errorf("Measure(%s)\n got %+v\nwant %+v", c.query, got, c.want)
			}
		})
	}
}

// TestMeasureIsLinear: documents whose naive measurement takes exponential
// or quadratic time are measured at once.
func TestMeasureIsLinear(t *testing.T) {
	var fan strings.Builder
	fan.WriteString(`{ __type(name: "Q") { ...G0 } }`)
	for i := range 60 {
		fmt.Fprintf(&fan, "\nfragment G%d on __Type { ofType { ...G%d ...G%d } }", i, i+1, i+1)
	}
	fan.WriteString("\nfragment G60 on __Type { name }")
	// gqlparser stops at 1,000 levels of nesting.
	nested := strings.Repeat("{ __schema ", 990) + "{ a }" + strings.Repeat(" }", 990)
	for name, q := range map[string]string{"fragment fan-out": fan.String(), "nested introspection": nested} {
		doc := mustParse(t, q)
		start := time.Now()
		s := Measure(doc)
		if d := time.Since(start); d > 500*time.Millisecond {
			t.Errorf("%s: measuring took %v (%+v)", name, d, s)
		}
		if s.IntrospectionDepth == 0 {
			t.Errorf("%s: %+v", name, s)
		}
	}
}

func TestCheck(t *testing.T) {
	var l DocumentLimits
	l.Defaults()
	if e := l.Check(Shape{Fields: l.MaxFields, SelectionFields: l.MaxSelectionFields, IntrospectionFields: l.MaxIntrospectionFields}); e != nil {
		t.Errorf("a document at the limits is refused: %v", e)
	}
	e := l.Check(Shape{Fields: l.MaxFields + 1})
	if e == nil || e.Measure != "fields" || e.Limit != "maxFields" || e.Value != l.MaxFields+1 || e.Max != l.MaxFields {
		t.Errorf("one field too many: %+v", e)
	}
}
