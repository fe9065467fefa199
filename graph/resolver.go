// Package graph holds the GraphQL resolvers. Resolvers are a few lines each:
// validate arguments, then one loader or store call. The generated executor
// lives in graph/generated and the bound types in db/model.
package graph

import "catalogue/db"

// Resolver is the only place dependencies are injected; server.go builds it.
type Resolver struct {
	Store *db.Store
	// Events feeds the subscriptions; nil on a server that serves none.
	Events *db.Events
}
