package api_test

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

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

	// gqlparser's own introspection depth rule or our depth limit refuses it.
	deep := "{ __schema { types { " + strings.Repeat("fields { type { ", 12) + "name" + strings.Repeat(" } }", 12) + " } } }"
	r = gql(t, deep, nil)
	if len(r.Errors) == 0 || (r.Errors[0].code() != "BAD_USER_INPUT" && r.Errors[0].code() != "GRAPHQL_VALIDATION_FAILED") {
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
