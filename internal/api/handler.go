// Package api assembles the HTTP side of the server: the GraphQL endpoint
// with its transports, limits and error presenter, the playground, health
// checks and the middleware every request passes through.
package api

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/handler"
	"github.com/99designs/gqlgen/graphql/handler/extension"
	"github.com/99designs/gqlgen/graphql/handler/lru"
	"github.com/99designs/gqlgen/graphql/handler/transport"
	"github.com/99designs/gqlgen/graphql/playground"
	"github.com/vektah/gqlparser/v2/ast"

	"catalogue/db"
	"catalogue/graph"
	"catalogue/graph/generated"
	"catalogue/graph/loader"
	"catalogue/internal/auth"
)

// Config tunes the handler; zero values take the defaults in the README.
type Config struct {
	RequestTimeout time.Duration // whole-request deadline, passed to every SQL statement
	MaxDepth       int
	MaxCost        int
	MaxBodyBytes   int64
	SQLStats       bool // report statements and database time in each response's extensions
	Playground     bool
	LoaderWait     time.Duration
	// Auth checks every /graphql request's credentials.
	Auth *auth.Authenticator
	// PlaygroundHeaders are sent by the playground with every request: a
	// development credential, so that the demo works without a login.
	PlaygroundHeaders map[string]string
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
}

// New returns the server's HTTP handler.
func New(store *db.Store, log *slog.Logger, cfg Config) http.Handler {
	cfg.defaults()
	srv := handler.New(generated.NewExecutableSchema(generated.Config{
		Resolvers: &graph.Resolver{Store: store},
	}))
	srv.AddTransport(transport.Options{})
	// @defer answers stream as multipart/mixed to clients that accept it;
	// it must come before POST, which would take the same requests.
	srv.AddTransport(transport.MultipartMixed{DeliveryTimeout: 5 * time.Millisecond})
	srv.AddTransport(transport.GET{UseGrapQLResponseJsonByDefault: true})
	srv.AddTransport(transport.POST{UseGrapQLResponseJsonByDefault: true})
	srv.SetQueryCache(lru.New[*ast.QueryDocument](1000))
	// A query of more tokens than this is refused before it is parsed
	// further; real queries, GraphiQL's introspection included, use a few
	// thousand at most.
	srv.SetParserTokenLimit(20_000)
	srv.Use(extension.Introspection{})
	srv.Use(extension.AutomaticPersistedQuery{Cache: lru.New[string](1000)})
	srv.Use(Limits{MaxDepth: cfg.MaxDepth, MaxCost: cfg.MaxCost})
	srv.Use(deferNeedsStreaming{})
	srv.SetErrorPresenter(presentError(log))
	srv.SetRecoverFunc(recoverPanic(log))
	srv.AroundResponses(endReads(cfg))
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
	gql := auth.Middleware(cfg.Auth, log, loader.Middleware(store, loader.Options{Wait: cfg.LoaderWait}, scopeOf, srv))
	gql = withTrail(gql)

	mux := http.NewServeMux()
	mux.Handle("/graphql", methods(gql))
	mux.HandleFunc("GET /healthz", health(store))
	if cfg.Playground {
		var opts []playground.GraphiqlConfigOption
		if len(cfg.PlaygroundHeaders) > 0 {
			opts = append(opts, playground.WithGraphiqlFetcherHeaders(cfg.PlaygroundHeaders))
		}
		mux.Handle("GET /{$}", playground.Handler("Catalogue graph", "/graphql", opts...))
	}
	return requestContext(log, cfg, mux)
}

// methods answers 405 for methods GraphQL-over-HTTP does not use, and for
// a mutation sent by GET (gqlgen says 406; the spec says 405).
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
		if r.Method == http.MethodGet {
			w = &getStatus{ResponseWriter: w}
		}
		next.ServeHTTP(w, r)
	})
}

// getStatus turns gqlgen's 406 for a mutation over GET into 405.
type getStatus struct{ http.ResponseWriter }

func (g *getStatus) WriteHeader(code int) {
	if code == http.StatusNotAcceptable {
		g.Header().Set("Allow", "POST")
		code = http.StatusMethodNotAllowed
	}
	g.ResponseWriter.WriteHeader(code)
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
		if n := costFrom(ctx); n != nil {
			resp.Extensions["cost"] = map[string]any{"requested": n.requested, "limit": cfg.MaxCost}
		}
		if st := db.StatsFrom(ctx); cfg.SQLStats && st != nil {
			resp.Extensions["sql"] = map[string]any{
				"statements":         st.Statements(),
				"overheadStatements": st.Overhead(),
				"durationMs":         float64(st.Duration().Microseconds()) / 1000,
			}
		}
		return resp
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
