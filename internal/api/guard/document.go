package guard

import (
	"fmt"

	"github.com/vektah/gqlparser/v2/ast"
)

// DocumentLimits bound the shape of a query document. They are measured in
// one walk over the parsed document before gqlparser validates it: its
// check that fields can be merged (OverlappingFieldsCanBeMerged) compares
// the fields of a selection set in pairs, so that one field repeated 19,000
// times took 15 s of CPU, while parsing and this walk take linear time.
// Zero takes the default (see Defaults).
type DocumentLimits struct {
	MaxFields              int // field selections in the document, fragments included
	MaxSelectionFields     int // fields of one selection set, with those its fragments bring in (for each spread)
	MaxAliases             int // fields under an alias
	MaxFieldDirectives     int // directives on one field, fragment, variable or operation
	MaxDirectives          int // directives in the document
	MaxFragmentSpreads     int // ...Name spreads in the document
	MaxIntrospectionFields int // __schema and __type fields
	MaxIntrospectionDepth  int // levels from __schema or __type down, through fragments
}

// Defaults sets the limits left at zero to their defaults. Real documents
// stay well within them (GraphiQL's introspection query has 44 fields, 8
// spreads and 13 levels). Within them, the most expensive documents found
// take about 0.1 s to validate: several hundred fields under one name, each
// with a few dozen fields, make gqlparser compare every pair; MaxFields is
// what bounds that.
func (l *DocumentLimits) Defaults() {
	set := func(v *int, def int) {
		if *v <= 0 {
			*v = def
		}
	}
	set(&l.MaxFields, 1_000)
	set(&l.MaxSelectionFields, 200)
	set(&l.MaxAliases, 200)
	set(&l.MaxFieldDirectives, 10)
	set(&l.MaxDirectives, 200)
	set(&l.MaxFragmentSpreads, 500)
	set(&l.MaxIntrospectionFields, 3)
	set(&l.MaxIntrospectionDepth, 20)
}

// Shape is what DocumentLimits bound, as measured in a document.
type Shape struct {
	Fields, SelectionFields, Aliases, FieldDirectives, Directives int
	FragmentSpreads, IntrospectionFields, IntrospectionDepth      int
}

// LimitError is a document past one of the limits: Measure (the name of
// the measured value, e.g. "fields") is Value, more than Limit (e.g.
// "maxFields") allows, which is Max.
type LimitError struct {
	Measure, Limit string
	Value, Max     int
	Msg            string
}

func (e *LimitError) Error() string { return e.Msg }

// Check returns the first limit the shape exceeds, or nil.
func (l DocumentLimits) Check(s Shape) *LimitError {
	for _, c := range []struct {
		value, max     int
		measure, limit string
		format         string // of value and max
	}{
		{s.IntrospectionFields, l.MaxIntrospectionFields, "introspectionFields", "maxIntrospectionFields",
			"the document has %d introspection fields (__schema, __type), more than the limit of %d"},
		{s.IntrospectionDepth, l.MaxIntrospectionDepth, "introspectionDepth", "maxIntrospectionDepth",
			"introspection is nested %d levels deep, more than the limit of %d"},
		{s.SelectionFields, l.MaxSelectionFields, "selectionFields", "maxSelectionFields",
			"a selection set has %d fields, more than the limit of %d"},
		{s.Fields, l.MaxFields, "fields", "maxFields",
			"the document has %d fields, more than the limit of %d"},
		{s.Aliases, l.MaxAliases, "aliases", "maxAliases",
			"the document has %d aliases, more than the limit of %d"},
		{s.FieldDirectives, l.MaxFieldDirectives, "fieldDirectives", "maxFieldDirectives",
			"a field or fragment has %d directives, more than the limit of %d"},
		{s.Directives, l.MaxDirectives, "directives", "maxDirectives",
			"the document has %d directives, more than the limit of %d"},
		{s.FragmentSpreads, l.MaxFragmentSpreads, "fragmentSpreads", "maxFragmentSpreads",
			"the document has %d fragment spreads, more than the limit of %d"},
	} {
		if c.max > 0 && c.value > c.max {
			return &LimitError{Measure: c.measure, Limit: c.limit, Value: c.value, Max: c.max,
				Msg: fmt.Sprintf(c.format, c.value, c.max)}
		}
	}
	return nil
}

// Measure walks a parsed, unvalidated document once. Fragments count where
// they are defined, not where they are spread, except for the
// introspection depth, which follows spreads with each fragment's depth
// computed once.
func Measure(doc *ast.QueryDocument) Shape {
	w := shapeWalker{doc: doc, depths: map[string]int{}, fields: map[string]int{}}
	for _, op := range doc.Operations {
		w.directives(op.Directives)
		for _, v := range op.VariableDefinitions {
			w.directives(v.Directives)
		}
		w.s.SelectionFields = max(w.s.SelectionFields, w.set(op.SelectionSet))
	}
	for _, f := range doc.Fragments {
		w.directives(f.Directives)
		w.s.SelectionFields = max(w.s.SelectionFields, w.set(f.SelectionSet))
	}
	return w.s
}

type shapeWalker struct {
	doc    *ast.QueryDocument
	s      Shape
	depths map[string]int // fragment name → depth of its selection set; -1 while it is walked
	fields map[string]int // fragment name → fields it brings into a selection set; -1 while it is counted
	// inIntrospection counts the introspection fields around the one
	// walked: the depth of an outer one includes those inside it, and
	// measuring each again would take quadratic time.
	inIntrospection int
}

func (w *shapeWalker) directives(ds ast.DirectiveList) {
	w.s.Directives += len(ds)
	w.s.FieldDirectives = max(w.s.FieldDirectives, len(ds))
}

// set walks a selection set and returns its field count for the selection
// set it belongs to: its own fields and those its inline fragments and
// fragment spreads bring in, which gqlparser compares with one another.
func (w *shapeWalker) set(set ast.SelectionSet) (fields int) {
	var spread map[string]bool
	for _, sel := range set {
		switch s := sel.(type) {
		case *ast.Field:
			fields = satAdd(fields, 1)
			w.s.Fields++
			if s.Alias != "" && s.Alias != s.Name {
				w.s.Aliases++
			}
			w.directives(s.Directives)
			introspection := s.Name == "__schema" || s.Name == "__type"
			if introspection {
				w.s.IntrospectionFields++
				if w.inIntrospection == 0 {
					w.s.IntrospectionDepth = max(w.s.IntrospectionDepth, 1+w.depth(s.SelectionSet))
				}
				w.inIntrospection++
			}
			if len(s.SelectionSet) > 0 {
				w.s.SelectionFields = max(w.s.SelectionFields, w.set(s.SelectionSet))
			}
			if introspection {
				w.inIntrospection--
			}
		case *ast.InlineFragment:
			w.directives(s.Directives)
			fields = satAdd(fields, w.set(s.SelectionSet))
		case *ast.FragmentSpread:
			w.s.FragmentSpreads++
			w.directives(s.Directives)
			if !spread[s.Name] {
				if spread == nil {
					spread = map[string]bool{}
				}
				spread[s.Name] = true
				fields = satAdd(fields, w.fragmentFields(s.Name))
			}
		}
	}
	return fields
}

// fragmentFields is what a fragment brings into a selection set: its
// fields, those of its inline fragments and of the fragments it spreads. A
// fragment that two others spread counts in both: an upper bound, computed
// once per fragment, without walking anything else (the fragment's
// definition is walked by Measure).
func (w *shapeWalker) fragmentFields(name string) int {
	if n, ok := w.fields[name]; ok {
		return max(n, 0)
	}
	w.fields[name] = -1
	n := 0
	if f := w.doc.Fragments.ForName(name); f != nil {
		n = w.topFields(f.SelectionSet, map[string]bool{})
	}
	w.fields[name] = n
	return n
}

// topFields counts the fields of a selection set as set does, without
// measuring anything below them.
func (w *shapeWalker) topFields(set ast.SelectionSet, spread map[string]bool) (fields int) {
	for _, sel := range set {
		switch s := sel.(type) {
		case *ast.Field:
			fields = satAdd(fields, 1)
		case *ast.InlineFragment:
			fields = satAdd(fields, w.topFields(s.SelectionSet, spread))
		case *ast.FragmentSpread:
			if !spread[s.Name] {
				spread[s.Name] = true
				fields = satAdd(fields, w.fragmentFields(s.Name))
			}
		}
	}
	return fields
}

// satAdd adds without wrapping around: fragments that spread others can
// bring in more fields than an int holds.
func satAdd(a, b int) int { return min(a+b, 1<<40) }

// depth is the nesting depth of a selection set through fragment spreads.
// An unknown fragment, or one spread inside itself, adds nothing here:
// validation refuses both.
func (w *shapeWalker) depth(set ast.SelectionSet) int {
	d := 0
	for _, sel := range set {
		switch s := sel.(type) {
		case *ast.Field:
			d = max(d, 1+w.depth(s.SelectionSet))
		case *ast.InlineFragment:
			d = max(d, w.depth(s.SelectionSet))
		case *ast.FragmentSpread:
			fd, ok := w.depths[s.Name]
			if !ok {
				w.depths[s.Name] = -1
				if f := w.doc.Fragments.ForName(s.Name); f != nil {
					fd = w.depth(f.SelectionSet)
				}
				w.depths[s.Name] = fd
			}
			d = max(d, fd)
		}
	}
	return d
}
