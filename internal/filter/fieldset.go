package filter

import (
	"fmt"
	"slices"
	"strings"
)

// FieldSet is the table of fields a list can be filtered on. The query
// syntax is typed by people and passed along by BFFs that still speak the
// seeds' names (created_at, given_name, firstname), so a field is found by
// its canonical name or any alias, ignoring case.
type FieldSet struct {
	fields []Field
	byName map[string]int // lower-cased name or alias → index in fields
	names  []string       // canonical names, sorted
}

// NewFieldSet indexes fields by name and alias. It panics when a name is
// empty or two fields claim the same name (ignoring case): field sets are
// declared once per list at start-up, and an ambiguous name is a
// programming error that must not be resolved by chance at query time.
func NewFieldSet(fields ...Field) *FieldSet {
	s := &FieldSet{
		fields: slices.Clone(fields),
		byName: make(map[string]int, len(fields)),
	}
	for i, f := range s.fields {
		for _, name := range append([]string{f.Name}, f.Aliases...) {
			if name == "" {
				panic(fmt.Sprintf("filter: field %q has an empty name or alias", f.Name))
			}
			key := strings.ToLower(name)
			if j, dup := s.byName[key]; dup && j != i {
				panic(fmt.Sprintf("filter: name %q is claimed by fields %q and %q", name, s.fields[j].Name, f.Name))
			}
			s.byName[key] = i
		}
		s.names = append(s.names, f.Name)
	}
	slices.Sort(s.names)
	return s
}

// Lookup finds a field by canonical name or alias, ignoring case. A nil
// FieldSet has no fields, so a list without filters still parses free text.
func (s *FieldSet) Lookup(name string) (Field, bool) {
	if s == nil {
		return Field{}, false
	}
	i, ok := s.byName[strings.ToLower(name)]
	if !ok {
		return Field{}, false
	}
	return s.fields[i], true
}

// Names returns the canonical field names, sorted, so that an error about
// an unknown field can tell the user what would have worked.
func (s *FieldSet) Names() []string {
	if s == nil {
		return nil
	}
	return slices.Clone(s.names)
}
