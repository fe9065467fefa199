package guard

// The fuzz target of the request decoder and the document limits: what a
// client sends, as a POST body or a GET query string, up to the point
// where gqlgen would validate it. `go test` runs the seeds and
// testdata/fuzz; `make fuzz-short` fuzzes it briefly.

import (
	"bytes"
	"encoding/json"
	"net/url"
	"reflect"
	"strings"
	"testing"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/parser"
)

// FuzzDecodeRequest: decoding never panics; a refusal is a 4xx with a short
// message and a bounded log excerpt; what is accepted, gqlgen's transport
// decodes to the same parameters (so it cannot fail there and be called
// INTERNAL), and encoding it again decodes to the same parameters; a
// document that parses is measured without panicking, and a refusal names
// a limit that the measured value exceeds.
func FuzzDecodeRequest(f *testing.F) {
	for _, body := range []string{
		`{"query": "{ __typename }"}`,
		`{"query": "query($n: Int) { tenants(first: $n) { totalCount } }", "variables": {"n": 3}, "operationName": null}`,
		`{"extensions": {"persistedQuery": {"version": 1, "sha256Hash": "abc"}}}`,
		`{"query": "{ a: __schema { types { name } } b: __schema { types { name } } c: __type(name: \"Query\") { name } d: __schema { queryType { name } } }"}`,
		`{"query": "{ viewer { ...F ...F } } fragment F on Viewer { role @include(if: true) @skip(if: false) }"}`,
		`{"query": "{ __type(name: \"Query\") { ...T } } fragment T on __Type { ofType { ...T } }"}`,
		`[{"query": "{ __typename }"}]`, `{"query": 42}`, `{"query": "{ __typename }"} x`, `{"variables": []}`,
		"{\"query\": \"\xff\"}", ``, `null`, `"{ __typename }"`, `{"query": "{ tenants { "`,
	} {
		f.Add(false, []byte(body))
	}
	for _, q := range []string{
		"query=%7B+__typename+%7D", "query=%7B%7D&variables=%7B%22n%22%3A1%7D", "query=x&variables=%5B1%5D",
		"query=%FF", "query=%zz", "extensions=%7B", "query=" + url.QueryEscape("{ "+strings.Repeat("__typename ", 300)+"}"),
	} {
		f.Add(true, []byte(q))
	}
	var limits DocumentLimits
	limits.Defaults()
	f.Fuzz(func(t *testing.T, get bool, data []byte) {
		var p *graphql.RawParams
		var e *Error
		if get {
			p, e = DecodeGET(string(data))
		} else {
			p, e = DecodePOST(data)
		}
		if e != nil {
			if e.Status < 400 || e.Status > 499 || e.Msg == "" || len(e.Msg) > 400 || len(e.Excerpt) > 600 {
				t.Fatalf("%q: refused with %d %q (excerpt of %d bytes)", data, e.Status, e.Msg, len(e.Excerpt))
			}
			return
		}
		var want graphql.RawParams
		var again *graphql.RawParams
		if get {
			want = gqlgenGET(t, string(data))
			v := url.Values{"query": {p.Query}, "operationName": {p.OperationName}}
			for name, m := range map[string]map[string]any{"variables": p.Variables, "extensions": p.Extensions} {
				if m != nil {
					b, _ := json.Marshal(m)
					v.Set(name, string(b))
				}
			}
			again, e = DecodeGET(v.Encode())
		} else {
			dec := json.NewDecoder(bytes.NewReader(data))
			dec.UseNumber()
			if err := dec.Decode(&want); err != nil {
				t.Fatalf("%q: accepted, but gqlgen's POST transport fails: %v", data, err)
			}
			b, err := json.Marshal(p)
			if err != nil {
				t.Fatal(err)
			}
			again, e = DecodePOST(b)
		}
		if !sameParams(*p, want) {
			t.Fatalf("%q: decoded as %+v, gqlgen decodes %+v", data, *p, want)
		}
		if e != nil || !sameParams(*p, *again) {
			t.Fatalf("%q: decoded as %+v, encoded again %+v (%v)", data, *p, again, e)
		}
		doc, err := parser.ParseQueryWithTokenLimit(&ast.Source{Input: p.Query}, 20_000)
		if err != nil {
			return
		}
		// (SelectionFields may exceed Fields: a fragment counts for every
		// spread that brings it into a selection set.)
		shape := Measure(doc)
		if shape.Fields < shape.Aliases || shape.Fields < shape.IntrospectionFields ||
			shape.Directives < shape.FieldDirectives || (shape.IntrospectionFields > 0) != (shape.IntrospectionDepth > 0) {
			t.Fatalf("%q: inconsistent shape %+v", p.Query, shape)
		}
		if le := limits.Check(shape); le != nil && (le.Value <= le.Max || le.Max <= 0 || le.Msg == "") {
			t.Fatalf("%q: refused with %+v", p.Query, le)
		}
	})
}

// gqlgenGET decodes a query string as gqlgen's GET transport does.
func gqlgenGET(t *testing.T, raw string) graphql.RawParams {
	q, err := url.ParseQuery(raw)
	if err != nil {
		t.Fatalf("%q: accepted, but gqlgen's GET transport fails: %v", raw, err)
	}
	p := graphql.RawParams{Query: q.Get("query"), OperationName: q.Get("operationName")}
	for name, dst := range map[string]*map[string]any{"variables": &p.Variables, "extensions": &p.Extensions} {
		if v := q.Get(name); v != "" {
			dec := json.NewDecoder(strings.NewReader(v))
			dec.UseNumber()
			if err := dec.Decode(dst); err != nil {
				t.Fatalf("%q: accepted, but gqlgen's GET transport fails on %s: %v", raw, name, err)
			}
		}
	}
	return p
}

func sameParams(a, b graphql.RawParams) bool {
	return a.Query == b.Query && a.OperationName == b.OperationName &&
		reflect.DeepEqual(a.Variables, b.Variables) && reflect.DeepEqual(a.Extensions, b.Extensions)
}
