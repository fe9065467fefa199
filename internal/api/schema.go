package api

import (
	"crypto/sha256"
	"encoding/base64"
	"maps"
	"net/http"
	"slices"
	"strings"
	"sync"

	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/formatter"

	"catalogue/graph/generated"
)

// SchemaSDL is the API's schema in the GraphQL schema language, printed
// from the executable schema (so it is what the server serves, whatever
// the layout of schema/*.graphqls), types in name order, built-in types
// and directives left out. `catalogue schema` prints it; GET
// /schema.graphql serves it.
//
// It is the schema of the API's clients, not of a federation router: the
// federation directives (@link, @key, @shareable), whose definitions are
// built in, are left out like those definitions, so that any GraphQL tool
// loads it. A router reads the subgraph schema from Query._service.sdl.
var SchemaSDL = sync.OnceValue(func() string {
	s := generated.NewExecutableSchema(generated.Config{}).Schema()
	// The formatter prints definitions without a line between them; one
	// definition at a time, they get one.
	parts := []*ast.Schema{{Query: s.Query, Mutation: s.Mutation, Subscription: s.Subscription, SchemaDirectives: withoutFederation(s, s.SchemaDirectives)}}
	for _, name := range slices.Sorted(maps.Keys(s.Directives)) {
		parts = append(parts, &ast.Schema{Directives: map[string]*ast.DirectiveDefinition{name: s.Directives[name]}})
	}
	for _, name := range slices.Sorted(maps.Keys(s.Types)) {
		parts = append(parts, &ast.Schema{Types: map[string]*ast.Definition{name: clientType(s, s.Types[name])}})
	}
	var out []string
	for _, part := range parts {
		var b strings.Builder
		formatter.NewFormatter(&b, formatter.WithIndent("  ")).FormatSchema(part)
		if b.Len() > 0 { // built-in definitions print nothing
			out = append(out, b.String())
		}
	}
	return strings.Join(out, "\n")
})

// clientType is def without federation directives, on the type and on its
// fields.
func clientType(s *ast.Schema, def *ast.Definition) *ast.Definition {
	out := *def
	out.Directives = withoutFederation(s, def.Directives)
	out.Fields = make(ast.FieldList, len(def.Fields))
	for i, f := range def.Fields {
		field := *f
		field.Directives = withoutFederation(s, f.Directives)
		out.Fields[i] = &field
	}
	return &out
}

// withoutFederation drops the uses of the directives that gqlgen's
// federation plugin defines.
func withoutFederation(s *ast.Schema, list ast.DirectiveList) ast.DirectiveList {
	return slices.DeleteFunc(slices.Clone(list), func(d *ast.Directive) bool {
		def := s.Directives[d.Name]
		return def != nil && def.Position != nil && def.Position.Src != nil &&
			def.Position.Src.BuiltIn && strings.HasSuffix(def.Position.Src.Name, "federation/directives.graphql")
	})
}

// serveSchema answers GET /schema.graphql with SchemaSDL, for code
// generators and editors. It sits behind the same authentication as
// /graphql: the schema is what introspection tells, and introspection
// needs credentials too. `catalogue schema` prints it without a server.
func serveSchema() http.HandlerFunc {
	sdl := []byte(SchemaSDL())
	sum := sha256.Sum256(sdl)
	etag := `"` + base64.RawURLEncoding.EncodeToString(sum[:18]) + `"`
	return func(w http.ResponseWriter, r *http.Request) {
		serveBytes(w, r, "text/plain; charset=utf-8", etag, "private, no-cache", sdl)
	}
}
