// Package api assembles the HTTP side of the server: the GraphQL endpoint
// with its transports, limits and error presenter, the playground, health
// checks and the middleware every request passes through.
package api

import (
	"context"
	"encoding/json"
	"log/slog"
	"mime"
	"net/http"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/handler"
	"github.com/99designs/gqlgen/graphql/handler/extension"
	"github.com/99designs/gqlgen/graphql/handler/lru"
	"github.com/99designs/gqlgen/graphql/handler/transport"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"
	"go.opentelemetry.io/otel/trace"

	"catalogue/db"
	"catalogue/graph"
	"catalogue/graph/generated"
	"catalogue/graph/loader"
	"catalogue/internal/auth"
	"catalogue/internal/metrics"
)

// Config tunes the handler; zero values take the defaults in the README.
type Config struct {
	RequestTimeout time.Duration // whole-request deadline, passed to every SQL statement
	MaxDepth       int
	MaxCost        int
	MaxBodyBytes   int64
	// MaxTokens bounds the tokens of a document, counted as it is parsed.
	MaxTokens int
	// MaxResponseBytes bounds the JSON of one response's data.
	MaxResponseBytes int
	// DocumentLimits bound the shape of a document before it is validated.
	DocumentLimits
	SQLStats bool // report statements and database time in each response's extensions
	// ExecutorOnly leaves every field to gqlgen's executor instead of
	// writing the subtrees graph.Render covers in one pass; the output is
	// the same (tests compare the two).
	ExecutorOnly bool
	Playground   bool
	LoaderWait   time.Duration
	// Auth checks every /graphql request's credentials.
	Auth *auth.Authenticator
	// PlaygroundCredentials, when set, gives the playground a development
	// credential so that the demo works without a login: it is called for
	// each playground page served to a client on this machine (see
	// localClient), and the page sends its headers with every request.
	// Other clients get the playground without credentials.
	PlaygroundCredentials func() (map[string]string, error)
	// CORSOrigins may call the API from web pages of other origins (see
	// withCORS); none: browsers keep to the same-origin policy.
	CORSOrigins []string
	CORSMaxAge  time.Duration // how long a browser may reuse a preflight answer
	MaxBatch    int           // most operations in one batched POST; DefaultMaxBatch if 0
	// TenantMaxConns is how many pool connections the requests of one
	// tenant may hold at once (platform administrators without a tenant
	// share one bound); others wait for a slot of their tenant within
	// their deadline. 0: a quarter of the pool's MaxOpenConns, at least 1
	// (no bound for a pool without a maximum); negative: no bound.
	TenantMaxConns int
	// MaxSearchTerms is the most search words one filter or query
	// argument may hold; DefaultMaxSearchTerms if 0.
	MaxSearchTerms int
	// Events feeds the subscriptions (nil: subscriptions answer an error).
	Events *db.Events
	// Metrics records every GraphQL operation and the connection pool and
	// is served at GET /metrics; nil: no metrics.
	Metrics *metrics.Metrics
	// Tracing makes the spans of requests, operations, read-plan steps,
	// loader batches and SQL statements; nil: none (an incoming
	// traceparent is still logged as trace_id).
	Tracing trace.TracerProvider
}

func (c *Config) defaults() {
	if c.RequestTimeout <= 0 {
		c.RequestTimeout = 15 * time.Second
	}
	if c.MaxDepth <= 0 {
		c.MaxDepth = 20
	}
	if c.MaxCost <= 0 {
		c.MaxCost = 250_000
	}
	if c.MaxBodyBytes <= 0 {
		c.MaxBodyBytes = 1 << 20
	}
	if c.MaxBatch <= 0 {
		c.MaxBatch = DefaultMaxBatch
	}
	if c.MaxTokens <= 0 {
		// Real queries, GraphiQL's introspection included, use a few
		// thousand at most.
		c.MaxTokens = 20_000
	}
	if c.MaxResponseBytes <= 0 {
		c.MaxResponseBytes = 16 << 20
	}
	c.DocumentLimits.Defaults()
	if c.MaxSearchTerms <= 0 {
		c.MaxSearchTerms = DefaultMaxSearchTerms
	}
}

// tenantGates bounds the connections of each tenant (Config.TenantMaxConns).
func tenantGates(store *db.Store, n int) *db.Gates {
	if n == 0 {
		if pool := store.DB().Stats().MaxOpenConnections; pool > 0 {
			n = max(1, pool/4)
		}
	}
	return db.NewGates(n)
}

// withTenantGate makes the request's transactions take a connection slot
// of the principal's tenant (see db.Gates): one tenant's load waits for
// that tenant's own connections and leaves the rest of the pool to others.
func withTenantGate(gates *db.Gates, next http.Handler) http.Handler {
	if gates == nil {
		return next
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		key := ""
		if p, err := auth.From(r.Context()); err == nil {
			key = p.TenantID
		}
		next.ServeHTTP(w, r.WithContext(db.WithGate(r.Context(), gates, key)))
	})
}

// New returns the server's HTTP handler.
func New(store *db.Store, log *slog.Logger, cfg Config) http.Handler {
	cfg.defaults()
	log = withRequestAttrs(log)
	tp := tracerProvider(cfg.Tracing)
	resolver := &graph.Resolver{Store: store, Events: cfg.Events}
	es := generated.NewExecutableSchema(generated.Config{Resolvers: resolver})
	srv := handler.New(es)
	// Subscriptions: websocket and SSE first, as POST would take SSE requests.
	streams := addStreams(srv, store, log, cfg)
	srv.AddTransport(transport.Options{})
	// @defer answers stream as multipart/mixed to clients that accept it;
	// it must come before POST, which would take the same requests.
	srv.AddTransport(transport.MultipartMixed{DeliveryTimeout: 5 * time.Millisecond})
	srv.AddTransport(transport.GET{UseGrapQLResponseJsonByDefault: true})
	srv.AddTransport(transport.POST{UseGrapQLResponseJsonByDefault: true})
	queries := lru.New[*ast.QueryDocument](1000)
	srv.SetQueryCache(queries)
	// A query of more tokens than this is refused before it is parsed
	// further.
	srv.SetParserTokenLimit(cfg.MaxTokens)
	srv.Use(extension.Introspection{})
	// Operation parameter mutators run in this order, before gqlgen parses:
	// the document a persisted-query hash stands for is checked too.
	srv.Use(persistedQueries{extension.AutomaticPersistedQuery{Cache: lru.New[string](1000)}})
	srv.Use(documentGate{limits: cfg.DocumentLimits, tokens: cfg.MaxTokens, cache: queries})
	srv.Use(inputValues{schema: es.Schema()})
	schemaCost, typeCost := introspectionCosts(es.Schema())
	srv.Use(Limits{MaxDepth: cfg.MaxDepth, MaxCost: cfg.MaxCost, SchemaCost: schemaCost, TypeCost: typeCost})
	srv.Use(SearchLimit{Max: cfg.MaxSearchTerms})
	srv.Use(deferNeedsStreaming{})
	srv.Use(operationObserver{})
	srv.SetErrorPresenter(presentError(log))
	srv.SetRecoverFunc(recoverPanic(log))
	srv.AroundResponses(logRefusals(log))
	srv.AroundResponses(limitResponse(cfg.MaxResponseBytes))
	srv.AroundResponses(endReads(cfg))
	srv.AroundRootFields(forgetCredentials(cfg.Auth))
	srv.AroundFields(countFields)
	if !cfg.ExecutorOnly {
		srv.AroundFields(resolver.Render)
	}
	srv.Use(readRouting{store: store})

	// Every request needs credentials; its principal's tenant subtree is the
	// scope of its database session.
	scopeOf := func(r *http.Request) db.Scope {
		p, err := auth.From(r.Context())
		if err != nil {
			return db.TenantScope() // no tenants: sees nothing
		}
		return p.Scope()
	}
	// Its log lines carry the request ID; lookups that fail because the
	// client hung up are not errors.
	authLog := slog.New(requestLog{log.Handler()})
	gql := auth.Middleware(cfg.Auth, authLog, withTenantGate(tenantGates(store, cfg.TenantMaxConns),
		loader.Middleware(store, loader.Options{Wait: cfg.LoaderWait}, scopeOf, srv)))
	gql = withTrail(gql)

	mux := http.NewServeMux()
	// A batch is split first; each of its operations, like a single one,
	// is then checked for malformed input before anything else.
	mux.Handle("/graphql", methods(withCacheHeaders(withBatching(log, cfg.MaxBatch, observeOperation(cfg.Metrics, tp, refuseMalformed(log, gql))))))
	mux.HandleFunc("GET /healthz", health(store))
	if cfg.Metrics != nil {
		cfg.Metrics.WatchPool("primary", store.DB().DB)
		mux.Handle("GET /metrics", cfg.Metrics.Handler())
	}
	mux.Handle("GET /schema.graphql", auth.Middleware(cfg.Auth, log, serveSchema()))
	if cfg.Playground {
		mux.Handle("GET /{$}", playgroundPage(log, cfg.PlaygroundCredentials))
		mux.HandleFunc("GET /playground/{name}", servePlaygroundAsset)
	}
	// CORS covers the streams too: a page of an allowed origin may read
	// server-sent events, and open websockets (see allowedOrigin).
	return withCORS(cfg.CORSOrigins, cfg.CORSMaxAge,
		observe(cfg.Metrics, tp, streams.route(srv, gql, requestContext(log, cfg, withCompression(mux)))))
}

// methods answers 405 for methods GraphQL-over-HTTP does not use, and
// corrects gqlgen's status codes (specStatus).
func methods(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.Method {
		case http.MethodGet, http.MethodPost, http.MethodOptions:
		default:
			w.Header().Set("Allow", "GET, POST, OPTIONS")
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusMethodNotAllowed)
			_, _ = w.Write([]byte(`{"errors":[{"message":"use GET for queries or POST for any operation","extensions":{"code":"BAD_REQUEST"}}]}`))
			return
		}
		next.ServeHTTP(&specStatus{ResponseWriter: w, get: r.Method == http.MethodGet}, r)
	})
}

// specStatus turns two of gqlgen's status codes into what the
// GraphQL-over-HTTP spec says:
//   - a request error (parse, validation, a limit) answered as
//     application/json is 200, not 422: with that media type every answer
//     to a well-formed request is 200 and the errors are in the body;
//   - a mutation sent by GET is 405, not 406.
type specStatus struct {
	http.ResponseWriter
	get bool
}

func (s *specStatus) WriteHeader(code int) {
	switch {
	case code == http.StatusNotAcceptable && s.get:
		s.Header().Set("Allow", "POST")
		code = http.StatusMethodNotAllowed
	case code == http.StatusUnprocessableEntity:
		if mt, _, _ := mime.ParseMediaType(s.Header().Get("Content-Type")); mt == "application/json" {
			code = http.StatusOK
		}
	}
	s.ResponseWriter.WriteHeader(code)
}

// Flush lets streamed answers (multipart/mixed) through.
func (s *specStatus) Flush() {
	if f, ok := s.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

// Unwrap gives http.ResponseController the writer underneath.
func (s *specStatus) Unwrap() http.ResponseWriter { return s.ResponseWriter }

// limitResponse replaces the data of an answer larger than max bytes by an
// error saying so (logRefusals logs it). The data is built in memory before
// this sees it: what keeps that memory bounded is the cost and document
// limits; this keeps the bytes sent bounded. With @defer it applies to each
// part.
func limitResponse(max int) graphql.ResponseMiddleware {
	return func(ctx context.Context, next graphql.ResponseHandler) *graphql.Response {
		resp := next(ctx)
		if resp == nil || len(resp.Data) <= max {
			return resp
		}
		n := len(resp.Data)
		err := gqlerror.Errorf("the answer would be %d bytes, more than the limit of %d; ask for fewer fields or smaller pages", n, max)
		err.Extensions = map[string]any{"code": CodeBadUserInput, "responseBytes": n, "maxResponseBytes": max}
		resp.Data = nil
		resp.Errors = gqlerror.List{err}
		return resp
	}
}

// endReads ends the request's read snapshot as soon as its last response
// is complete, before the response is written (with @defer, once the last
// deferred part is). That response's extensions then carry the request's
// cost and, with SQLStats, its statement count and database time.
func endReads(cfg Config) func(ctx context.Context, next graphql.ResponseHandler) *graphql.Response {
	return func(ctx context.Context, next graphql.ResponseHandler) *graphql.Response {
		resp := next(ctx)
		touchStream(ctx)
		if resp != nil && resp.HasNext != nil && *resp.HasNext {
			return resp
		}
		loader.For(ctx).End(ctx)
		if resp == nil {
			return nil
		}
		if resp.Extensions == nil {
			resp.Extensions = map[string]any{}
		}
		if n := noteFrom(ctx); n != nil {
			resp.Extensions["cost"] = map[string]any{"requested": n.cost, "limit": cfg.MaxCost}
		}
		if st := db.StatsFrom(ctx); cfg.SQLStats && st != nil {
			resp.Extensions["sql"] = map[string]any{
				"statements":         st.Statements(),
				"overheadStatements": st.Overhead(),
				// Part of the overhead: 0 when the principal was cached.
				"credentialStatements": st.Credentials(),
				"durationMs":           float64(st.Duration().Microseconds()) / 1000,
			}
		}
		return resp
	}
}

// keepCredentials are the mutations that write only catalogue rows and
// brand access, none of what a principal is made of (users, memberships,
// API keys, tenants). Every other mutation, including any added later,
// drops the cached principals.
var keepCredentials = map[string]bool{
	"createBrand": true, "updateBrand": true, "createLabel": true, "updateLabel": true,
	"createArtist": true, "updateArtist": true, "saveRelease": true, "submitRelease": true,
	"approveRelease": true, "rejectRelease": true, "queueRelease": true, "addDeliveryStores": true,
	"removeDeliveryStores": true, "markReleaseDelivered": true, "takeDownRelease": true,
	"grantBrandAccess": true, "revokeBrandAccess": true,
}

// countFields counts the fields the executor resolves, for the access log.
func countFields(ctx context.Context, next graphql.Resolver) (any, error) {
	if n := noteFrom(ctx); n != nil {
		n.fields.Add(1)
	}
	return next(ctx)
}

// forgetCredentials drops the principals authn has cached once a mutation
// field that may change credentials has run (it has committed by then),
// before the response is written: a revoked key, a terminated account or a
// deactivated membership is refused from the next request on.
func forgetCredentials(authn *auth.Authenticator) graphql.RootFieldMiddleware {
	return func(ctx context.Context, next graphql.RootResolver) graphql.Marshaler {
		res := next(ctx)
		if graphql.GetOperationContext(ctx).Operation.Operation == ast.Mutation &&
			!keepCredentials[graphql.GetRootFieldContext(ctx).Field.Name] {
			authn.Forget()
		}
		return res
	}
}

// health answers 200 when the database answers, 503 otherwise. With
// standbys, the answer also reports their state and where reads went.
func health(store *db.Store) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
		defer cancel()
		w.Header().Set("Content-Type", "application/json")
		if err := store.DB().PingContext(ctx); err != nil {
			w.WriteHeader(http.StatusServiceUnavailable)
			_, _ = w.Write([]byte(`{"status":"unavailable"}`))
			return
		}
		if rep := store.Routing(); rep != nil {
			_ = json.NewEncoder(w).Encode(map[string]any{"status": "ok", "reads": rep})
			return
		}
		_, _ = w.Write([]byte(`{"status":"ok"}`))
	}
}
