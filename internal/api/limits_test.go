package api_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"catalogue/db/model"
	"catalogue/internal/api"
)

// introspectionQuery is graphql-js's getIntrospectionQuery() with its
// default options, what GraphiQL and most tools send.
const introspectionQuery = `query IntrospectionQuery {
  __schema {
    queryType { name } mutationType { name } subscriptionType { name }
    types { ...FullType }
    directives { name description locations args { ...InputValue } }
  }
}
fragment FullType on __Type {
  kind name description
  fields(includeDeprecated: true) { name description args { ...InputValue } type { ...TypeRef } isDeprecated deprecationReason }
  inputFields { ...InputValue }
  interfaces { ...TypeRef }
  enumValues(includeDeprecated: true) { name description isDeprecated deprecationReason }
  possibleTypes { ...TypeRef }
}
fragment InputValue on __InputValue { name description type { ...TypeRef } defaultValue }
fragment TypeRef on __Type {
  kind name
  ofType { kind name ofType { kind name ofType { kind name ofType { kind name ofType { kind name ofType { kind name ofType { kind name } } } } } } }
}`

// Tools' introspection passes the limits; a hostile deep introspection
// does not, and neither does a document of too many tokens.
func TestIntrospectionWithinLimitsAndHostileOnesRefused(t *testing.T) {
	r := gql(t, introspectionQuery, nil)
	if len(r.Errors) > 0 {
		t.Fatalf("standard introspection refused: %s", r.describe())
	}
	var schema struct {
		Schema struct {
			Types []struct{ Name string } `json:"types"`
		} `json:"__schema"`
	}
	mustData(t, r, &schema)
	if len(schema.Schema.Types) < 20 {
		t.Fatalf("introspection returned %d types", len(schema.Schema.Types))
	}

	// The introspection depth limit refuses it before validation.
	deep := "{ __schema { types { " + strings.Repeat("fields { type { ", 12) + "name" + strings.Repeat(" } }", 12) + " } } }"
	r = gql(t, deep, nil)
	if len(r.Errors) == 0 || r.Errors[0].code() != api.CodeBadRequest {
		t.Fatalf("deep introspection not refused as a client error: %s", r.describe())
	}

	huge := "{ " + strings.Repeat("__typename ", 25_000) + "}"
	r = gql(t, huge, nil)
	if len(r.Errors) == 0 || !strings.Contains(r.Errors[0].Message, "token limit") {
		t.Fatalf("a 25,000-token document was not refused for its size: %s", r.describe())
	}
}

// TestCostIsReportedAndCannotOverflow: every response carries the cost the
// server estimated and the limit; a query whose estimate exceeds what an
// integer holds is refused, not wrapped around to a small or negative cost
// that the limit would let through.
func TestCostIsReportedAndCannotOverflow(t *testing.T) {
	r := gql(t, `{ tenants(first: 3) { edges { node { slug } } } }`, nil)
	var ext struct {
		Extensions struct {
			Cost *struct {
				Requested int `json:"requested"`
				Limit     int `json:"limit"`
			} `json:"cost"`
		} `json:"extensions"`
	}
	if err := json.Unmarshal(r.Body, &ext); err != nil || ext.Extensions.Cost == nil {
		t.Fatalf("no extensions.cost\n%s", r.describe())
	}
	small := ext.Extensions.Cost.Requested
	if small <= 0 || small > ext.Extensions.Cost.Limit {
		t.Errorf("cost %d should be positive and within the limit %d", small, ext.Extensions.Cost.Limit)
	}
	r = gql(t, `{ tenants(first: 30) { edges { node { slug } } } }`, nil)
	if err := json.Unmarshal(r.Body, &ext); err != nil || ext.Extensions.Cost == nil {
		t.Fatalf("no extensions.cost\n%s", r.describe())
	}
	if ext.Extensions.Cost.Requested <= small {
		t.Errorf("a ten times larger page costs %d, not more than %d", ext.Extensions.Cost.Requested, small)
	}

	// A fragment that never matches keeps the page sizes from being
	// validated by any resolver; only the cost limit stands in the way.
	// 197 × (2^31 − 1)^3 is past the range of int64.
	ids := make([]string, 197)
	for i := range ids {
		ids[i] = fmt.Sprintf("%q", gid(model.TypeTenant, "00000000-0000-0000-0000-000000000000"))
	}
	r = gql(t, `{ nodes(ids: [`+strings.Join(ids, ",")+`]) { ... on Track {
		artists(first: 2147483647) { edges { node { releases(first: 2147483647) { edges { node {
		tracks(first: 2147483647) { edges { node { id } } } } } } } } } } } }`, nil)
	e := wantErrorCode(t, r, api.CodeBadUserInput)
	if !strings.Contains(e.Message, "more than the limit") {
		t.Errorf("want the cost limit's refusal, got %q", e.Message)
	}
	if cost, _ := e.Extensions["cost"].(float64); cost <= 0 {
		t.Errorf("the refused cost is %v: it must not wrap around", e.Extensions["cost"])
	}
}

// viewers returns n aliased viewer fields, each spreading a fragment of its
// own with body: many fields, aliases or directives in a document without
// many in one selection set.
func viewers(prefix string, n int, body string) (fields, defs string) {
	var f, d strings.Builder
	for i := range n {
		fmt.Fprintf(&f, " %s%d: viewer { ...%s%d }", strings.ToLower(prefix), i, prefix, i)
		fmt.Fprintf(&d, "\nfragment %s%d on Viewer { %s }", prefix, i, body)
	}
	return f.String(), d.String()
}

// aliased repeats field n times, each under its own alias.
func aliased(field string, n int) string {
	var b strings.Builder
	for i := range n {
		fmt.Fprintf(&b, " a%d: %s", i, field)
	}
	return b.String()
}

// TestDocumentLimitsRefuseBeforeValidation: each limit on the shape of a
// document refuses a document just past it, as a BAD_REQUEST that reports
// the measured value and the limit, before any SQL.
func TestDocumentLimitsRefuseBeforeValidation(t *testing.T) {
	manyFields, manyFieldDefs := viewers("F", 7, strings.Repeat("role ", 150))
	manyAliases, aliasDefs := viewers("A", 3, aliased("role", 70))
	manyDirectives, directiveDefs := viewers("D", 3, strings.Repeat("role @skip(if: false) ", 70))
	cases := []struct {
		name, query, measure, limit string
	}{
		{"fields in the document", "{" + manyFields + " }" + manyFieldDefs, "fields", "maxFields"},
		{"fields in one selection set", "{ viewer { " + strings.Repeat("role ", 201) + "} }", "selectionFields", "maxSelectionFields"},
		{"fields in one selection set through inline fragments", "{ viewer { " + strings.Repeat("... on Viewer { role role role } ", 67) + "} }", "selectionFields", "maxSelectionFields"},
		{"fields in one selection set through fragment spreads", "{ viewer { ...S0 ...S1 ...S2 } }" +
			" fragment S0 on Viewer { role ...S1 } fragment S1 on Viewer { " + strings.Repeat("role ", 100) + "} fragment S2 on Viewer { " + strings.Repeat("role ", 100) + "}",
			"selectionFields", "maxSelectionFields"},
		{"aliases", "{" + manyAliases + " }" + aliasDefs, "aliases", "maxAliases"},
		{"directives on one field", "{ __typename" + strings.Repeat(" @include(if: true)", 11) + " }", "fieldDirectives", "maxFieldDirectives"},
		{"directives in the document", "{" + manyDirectives + " }" + directiveDefs, "directives", "maxDirectives"},
		{"fragment spreads", "{ viewer { " + strings.Repeat("...R ", 501) + "} } fragment R on Viewer { role }", "fragmentSpreads", "maxFragmentSpreads"},
		{"introspection fields", "{" + aliased("__schema { queryType { name } }", 4) + " }", "introspectionFields", "maxIntrospectionFields"},
		{"introspection depth", `{ __type(name: "Query") { ` + strings.Repeat("ofType { ", 20) + "name" + strings.Repeat(" }", 20) + " } }", "introspectionDepth", "maxIntrospectionDepth"},
		{"introspection depth through fragments", `{ __type(name: "Query") { ...T0 } }` + typeRefChain(21), "introspectionDepth", "maxIntrospectionDepth"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := gql(t, c.query, nil)
			if r.Status != http.StatusBadRequest {
				t.Errorf("HTTP %d, want 400\n%s", r.Status, r.describe())
			}
			e := wantErrorCode(t, r, api.CodeBadRequest)
			measured, _ := e.Extensions[c.measure].(float64)
			limit, _ := e.Extensions[c.limit].(float64)
			if limit <= 0 || measured <= limit {
				t.Errorf("extensions %v: want %s greater than %s", e.Extensions, c.measure, c.limit)
			}
			if n := serverLog.accessLogStatements(t, r.RequestID); n != 0 {
				t.Errorf("a refused document ran %d SQL statements", n)
			}
			wantQuietRefusal(t, r, "")
		})
	}
}

// typeRefChain is fragments T0…T(n-1) on __Type, each asking for ofType
// through the next: n levels below __type without a deep literal nesting.
func typeRefChain(n int) string {
	var b strings.Builder
	for i := range n {
		if i == n-1 {
			fmt.Fprintf(&b, "\nfragment T%d on __Type { name }", i)
			continue
		}
		fmt.Fprintf(&b, "\nfragment T%d on __Type { name ofType { ...T%d } }", i, i+1)
	}
	return b.String()
}

// TestRepeatedFieldIsRefusedQuickly: one field 19,000 times is under the
// token and body limits, and gqlparser's check that fields can be merged
// takes time quadratic in their number (15 s of CPU); the document limits
// refuse it first, in linear time.
func TestRepeatedFieldIsRefusedQuickly(t *testing.T) {
	start := time.Now()
	r := gql(t, "{ "+strings.Repeat("__typename ", 19_000)+"}", nil)
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("refusing took %v", d)
	}
	e := wantErrorCode(t, r, api.CodeBadRequest)
	if _, ok := e.Extensions["maxSelectionFields"]; !ok {
		if _, ok := e.Extensions["maxFields"]; !ok {
			t.Errorf("want a field limit's refusal, got %q %v", e.Message, e.Extensions)
		}
	}
}

// TestFragmentFanOutIsCheap: 40 fragments that each spread the next twice
// stand for 2^40 paths; measuring the operation must not walk them all.
func TestFragmentFanOutIsCheap(t *testing.T) {
	var b strings.Builder
	b.WriteString("{ viewer { ...G0 } }")
	for i := range 40 {
		fmt.Fprintf(&b, "\nfragment G%d on Viewer { ...G%d ...G%d }", i, i+1, i+1)
	}
	b.WriteString("\nfragment G40 on Viewer { role }")
	start := time.Now()
	r := gql(t, b.String(), nil)
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("answering took %v", d)
	}
	mustData(t, r, nil)
}

// TestIntrospectionIsCounted: introspection is free to ask for once, but
// not a thousand times: 1,000 aliases of __schema in a 24 KB request once
// made a 101 MB answer. Introspection fields count against a limit of
// their own and in the cost.
func TestIntrospectionIsCounted(t *testing.T) {
	q := "{" + aliased("__schema{types{name}}", 1000) + "}"
	if len(q) > 30_000 {
		t.Fatalf("the request is %d bytes", len(q))
	}
	start := time.Now()
	r := gql(t, q, nil)
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("refusing took %v", d)
	}
	wantErrorCode(t, r, api.CodeBadRequest)
	if len(r.Body) > 10_000 {
		t.Errorf("the refusal is %d bytes", len(r.Body))
	}

	r = gql(t, `{ __schema { types { name } } }`, nil)
	var ext struct {
		Extensions struct {
			Cost struct{ Requested int } `json:"cost"`
		} `json:"extensions"`
	}
	var data struct {
		Schema struct{ Types []any } `json:"__schema"`
	}
	mustData(t, r, &data)
	if err := json.Unmarshal(r.Body, &ext); err != nil {
		t.Fatal(err)
	}
	if ext.Extensions.Cost.Requested < len(data.Schema.Types) {
		t.Errorf("__schema costs %d, less than the %d types it returns", ext.Extensions.Cost.Requested, len(data.Schema.Types))
	}
}

// TestResponseSizeIsBounded: an answer larger than MaxResponseBytes is
// replaced by an error saying so.
func TestResponseSizeIsBounded(t *testing.T) {
	srv := newServer(t, env.DB, api.Config{MaxResponseBytes: 20_000})
	r := credPost(t, srv.URL, credBearer(bearer), introspectionQuery, nil)
	e := wantErrorCode(t, r, api.CodeBadUserInput)
	size, _ := e.Extensions["responseBytes"].(float64)
	limit, _ := e.Extensions["maxResponseBytes"].(float64)
	if limit != 20_000 || size <= limit {
		t.Errorf("extensions %v: want responseBytes over maxResponseBytes 20000", e.Extensions)
	}
	if len(r.Body) > 2_000 {
		t.Errorf("the refusal is %d bytes", len(r.Body))
	}
	if len(r.Data) > 0 && string(r.Data) != "null" {
		t.Errorf("a refused answer has no data, got %s", truncate(string(r.Data), 200))
	}
	credOK(t, credPost(t, srv.URL, credBearer(bearer), `{ viewer { role } }`, nil), nil)
}
