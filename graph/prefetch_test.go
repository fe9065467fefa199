package graph

import (
	"slices"
	"strings"
	"testing"

	"github.com/vektah/gqlparser/v2/ast"

	"catalogue/db/model"
	"catalogue/graph/generated"
)

// The plan must know every field that reads, or the field is read by the
// loaders one batch per wait window, and the statement count of a request
// depends on scheduling again. The schema and the plan's objects must
// therefore agree: every object-valued field of a described type has a
// step (except values built in memory), every step names a field of its
// type, and every Node type can be read by global ID and planned below
// node and nodes.
func TestPlanDescribesEveryFieldThatReads(t *testing.T) {
	schema := generated.NewExecutableSchema(generated.Config{Resolvers: &Resolver{}}).Schema()
	// Values that never need a read of their own.
	inMemory := map[string]bool{"PageInfo": true, "Language": true, "UserError": true}
	// Fields the plan reads one level up, with the pages of their list,
	// because they need the list's parent.
	plannedAbove := map[string]string{
		"TenantMemberEdge.memberships": "read with the pages of Tenant.members (edgeMemberships)",
	}
	unplanned := map[string]string{
		"Viewer.impersonator": "the caller's own identity, read with the credentials",
		"Viewer.invitations":  "the caller's own invitations: one read for the one viewer of a request",
	}
	described := map[string]bool{}
	for _, o := range objects {
		name := o.typeName()
		described[name] = true
		def := schema.Types[name]
		if def == nil || def.Kind != ast.Object {
			t.Errorf("the plan describes %s, which is not an object type of the schema", name)
			continue
		}
		if o.isNode() != slices.Contains(def.Interfaces, "Node") {
			t.Errorf("%s: the plan says node=%t, the schema says otherwise", name, o.isNode())
		}
		steps := o.fieldNames()
		for _, f := range steps {
			if def.Fields.ForName(f) == nil {
				t.Errorf("the plan has a step for %s.%s, which the schema does not have", name, f)
			}
		}
		for _, f := range def.Fields {
			typ := schema.Types[f.Type.Name()]
			reads := typ != nil && typ.Kind == ast.Object && !inMemory[typ.Name]
			if f.Name == "deliveryStores" {
				reads = true // a list of enums, read per release
			}
			if reads && !slices.Contains(steps, f.Name) && unplanned[name+"."+f.Name] == "" && plannedAbove[name+"."+f.Name] == "" {
				t.Errorf("%s.%s reads, but the plan has no step for it", name, f.Name)
			}
		}
	}
	// The connections and edges below the described types.
	for _, o := range objects {
		for _, f := range schema.Types[o.typeName()].Fields {
			conn := schema.Types[f.Type.Name()]
			if conn == nil || conn.Fields.ForName("edges") == nil {
				continue
			}
			for _, cf := range conn.Fields {
				switch cf.Name {
				case "edges", "totalCount", "facets", "pageInfo":
				default:
					t.Errorf("%s.%s: the plan does not know connection field %s", conn.Name, cf.Name, cf.Name)
				}
			}
			if edge := conn.Fields.ForName("edges").Type.Name(); !described[edge] {
				t.Errorf("%s.%s: edge type %s is not described", o.typeName(), f.Name, edge)
			}
		}
	}
	for _, def := range schema.GetPossibleTypes(schema.Types["Node"]) {
		if _, ok := nodeObjects[def.Name]; !ok {
			t.Errorf("Node type %s has no object in the plan", def.Name)
		}
		if _, ok := nodeReads[model.NodeType(def.Name)]; !ok {
			t.Errorf("Node type %s cannot be read by global ID", def.Name)
		}
	}
}

// TestListArgumentsMatchTheirDescriptions: the filter inputs, orderBy enums
// and facets the schema offers on a list are exactly the fields the list's
// description in db knows, so that a field cannot be half-wired (in the
// schema but refused at run time, or the other way round).
func TestListArgumentsMatchTheirDescriptions(t *testing.T) {
	schema := generated.NewExecutableSchema(generated.Config{Resolvers: &Resolver{}}).Schema()
	// Input fields of every filter that are not fields of the list.
	combinators := map[string]bool{"and": true, "or": true, "not": true, "search": true}
	checked := map[string]bool{}
	for _, def := range schema.Types {
		if def.Kind != ast.Object || strings.HasPrefix(def.Name, "__") {
			continue
		}
		for _, f := range def.Fields {
			filterArg, orderArg := f.Arguments.ForName("filter"), f.Arguments.ForName("orderBy")
			conn := schema.Types[f.Type.Name()]
			var facets *ast.FieldDefinition
			if conn != nil {
				facets = conn.Fields.ForName("facets")
			}
			if filterArg == nil && orderArg == nil && facets == nil {
				continue
			}
			name := def.Name + "." + f.Name
			spec := lists[name]
			if spec == nil {
				t.Errorf("%s takes filter/orderBy/facets but the plan has no list for it", name)
				continue
			}
			if spec.Fields == nil {
				t.Errorf("%s takes filter/orderBy/facets but its list %s has no fields", name, spec.Name)
				continue
			}
			checked[name] = true
			if filterArg != nil {
				var got []string
				for _, in := range schema.Types[filterArg.Type.Name()].Fields {
					if !combinators[in.Name] {
						got = append(got, in.Name)
					}
				}
				slices.Sort(got)
				if want := spec.Fields.FilterNames(); !slices.Equal(got, want) {
					t.Errorf("%s: filter %s has %v, the list filters on %v", name, filterArg.Type.Name(), got, want)
				}
			}
			if orderArg != nil {
				order := schema.Types[orderArg.Type.Name()]
				enum := schema.Types[order.Fields.ForName("field").Type.Name()]
				var got []string
				for _, v := range enum.EnumValues {
					got = append(got, v.Name)
				}
				slices.Sort(got)
				if want := spec.Fields.SortNames(); !slices.Equal(got, want) {
					t.Errorf("%s: %s has %v, the list sorts by %v", name, enum.Name, got, want)
				}
			}
			if facets != nil {
				var got []string
				for _, ff := range schema.Types[facets.Type.Name()].Fields {
					got = append(got, ff.Name)
				}
				slices.Sort(got)
				if want := spec.Fields.FacetNames(); !slices.Equal(got, want) {
					t.Errorf("%s: %s has %v, the list counts %v", name, facets.Type.Name(), got, want)
				}
			}
		}
	}
	// And the other way: every list with fields is offered with them.
	for name, spec := range lists {
		if spec.Fields != nil && !checked[name] {
			t.Errorf("list %s has filter fields but no schema field offers them", name)
		}
	}
	if len(checked) == 0 {
		t.Fatal("no list was checked")
	}
}
