package graph

import (
	"slices"
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
	unplanned := map[string]string{
		"Viewer.impersonator": "the caller's own identity, read outside the request's scope by its resolver",
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
			if reads && !slices.Contains(steps, f.Name) && unplanned[name+"."+f.Name] == "" {
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
