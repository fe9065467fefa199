package api_test

import (
	"strings"
	"testing"
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
