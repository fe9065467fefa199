package api

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/handler"
	"github.com/99designs/gqlgen/graphql/handler/transport"
	coderws "github.com/coder/websocket"
	"github.com/rs/cors"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"catalogue/db"
	"catalogue/graph"
	"catalogue/graph/loader"
	"catalogue/internal/auth"
)

// Subscriptions and the other long-lived answers of /graphql: websockets
// (graphql-transport-ws and the legacy graphql-ws) and server-sent events.
// They bypass the per-request deadline and the server's read and write
// timeouts, which are meant for plain requests. A websocket authenticates
// with its connection_init payload; SSE with the request's headers.
//
// Reads: every operation on a stream gets loaders of its own (several may
// share one websocket), and every event of a subscription gets fresh ones,
// so that the event's objects are read in a read session of their own,
// under the subscriber's scope, that ends as soon as the event is written.

// How often a stream proves it is alive: graphql-ws "ka" messages,
// graphql-transport-ws pings (a client that does not answer two in a row is
// dropped), and SSE comments.
const (
	keepAlive         = 15 * time.Second
	connectionTimeout = 10 * time.Second // to send connection_init
)

// streams serves the long-lived answers of /graphql.
type streams struct {
	store   *db.Store
	log     *slog.Logger
	cfg     Config
	origins *cors.Cors // the origins of withCORS; nil for none
}

// addStreams adds the websocket and SSE transports, and the extensions of
// operations on them, to srv. It must run before the POST transport is
// added, which would take SSE requests too.
func addStreams(srv *handler.Server, store *db.Store, log *slog.Logger, cfg Config) *streams {
	s := &streams{store: store, log: log, cfg: cfg}
	if len(cfg.CORSOrigins) > 0 { // rs/cors allows every origin when given none
		s.origins = cors.New(cors.Options{AllowedOrigins: cfg.CORSOrigins})
	}
	srv.AddTransport(transport.Websocket{
		// The origin was checked before the upgrade (allowedOrigin), with
		// the origins of CORS; coder/websocket would allow same-origin only.
		Implementation:        transport.CoderWebsocketImplementation{AcceptOptions: coderws.AcceptOptions{InsecureSkipVerify: true}},
		InitFunc:              s.initConnection,
		InitTimeout:           connectionTimeout,
		KeepAlivePingInterval: keepAlive,
		PingPongInterval:      keepAlive,
		ErrorFunc: func(ctx context.Context, err error) {
			log.DebugContext(ctx, "websocket", "request_id", RequestID(ctx), "err", err)
		},
	})
	srv.AddTransport(transport.SSE{KeepAlivePingInterval: keepAlive})
	srv.Use(subscriptionsNeedStreams{})
	srv.AroundOperations(s.operationReads)
	srv.AroundResponses(s.eventReads)
	return s
}

type streamKey struct{}

// onStream reports whether ctx is that of a websocket or SSE request.
func onStream(ctx context.Context) bool { return ctx.Value(streamKey{}) != nil }

// route sends websocket upgrades and SSE requests to /graphql around the
// plain request chain rest: websockets straight to the GraphQL server srv
// (they authenticate in connection_init), SSE through gql, which
// authenticates the request and gives it loaders.
func (s *streams) route(srv, gql, rest http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch {
		case r.URL.Path != "/graphql":
			rest.ServeHTTP(w, r)
		case strings.EqualFold(r.Header.Get("Upgrade"), "websocket"):
			s.serve(w, r, srv, "websocket")
		case transport.SSE{}.Supports(r):
			s.serve(w, r, gql, "sse")
		default:
			rest.ServeHTTP(w, r)
		}
	})
}

// serve runs one stream: a request ID, no deadline, an access-log line
// when it ends.
func (s *streams) serve(w http.ResponseWriter, r *http.Request, next http.Handler, kind string) {
	start := time.Now()
	ctx, id := withRequestID(w, r)
	log := s.log.With(slog.String("request_id", id), slog.String("transport", kind))
	if kind == "websocket" {
		if origin := r.Header.Get("Origin"); !allowedOrigin(r, origin, s.origins) {
			log.InfoContext(ctx, "websocket origin refused", "origin", origin)
			writeError(w, r, http.StatusForbidden, CodeForbidden, fmt.Sprintf("websocket connections from origin %q are not allowed", origin))
			return
		}
		ctx = context.WithValue(ctx, upgradeHeadersKey{}, r.Header.Clone())
	} else if e := tooLarge(r, s.cfg.MaxBodyBytes); e != nil {
		refuse(w, r.WithContext(ctx), log, e)
		return
	}
	// A stream outlives the server's read and write timeouts; a hijacked
	// websocket connection keeps the deadlines set on it before.
	rc := http.NewResponseController(w)
	_ = rc.SetReadDeadline(time.Time{})
	_ = rc.SetWriteDeadline(time.Time{})
	ctx = context.WithValue(ctx, streamKey{}, kind)
	ctx = withNote(ctx)
	next.ServeHTTP(w, r.WithContext(ctx))
	log.InfoContext(ctx, "stream", "path", r.URL.Path, "duration", time.Since(start))
}

// allowedOrigin decides whether a websocket may be opened from a page of
// origin: always without an Origin header (not a browser, which always
// sends one), from the server's own host, and from the origins CORS
// allows (cors, nil when it allows none). Browsers let any page open a
// websocket to any host, so without this check another site's page could
// subscribe with what a user's browser holds.
func allowedOrigin(r *http.Request, origin string, cors *cors.Cors) bool {
	if origin == "" {
		return true
	}
	if u, err := url.Parse(origin); err == nil && u.Host != "" && strings.EqualFold(u.Host, r.Host) {
		return true
	}
	return cors != nil && cors.OriginAllowed(r)
}

type upgradeHeadersKey struct{}

// websocketCloseCodes close a websocket whose credentials were refused,
// after the graphql-transport-ws convention (4401, 4403).
var websocketCloseCodes = map[string]int{
	CodeUnauthenticated: 4401, CodeForbidden: 4403, CodeBadUserInput: 4400, CodeInternal: 4500,
}

// initConnection authenticates a websocket from its connection_init
// payload, with the upgrade request's headers for any credential the
// payload lacks, through the same Authenticator as plain requests. A
// refused connection is closed with a 44xx code and the reason.
func (s *streams) initConnection(ctx context.Context, payload transport.InitPayload) (context.Context, *transport.InitPayload, error) {
	upgrade, _ := ctx.Value(upgradeHeadersKey{}).(http.Header)
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "/graphql", nil)
	if err != nil {
		return ctx, nil, err
	}
	for _, name := range credentialHeaders {
		v := initValue(payload, name)
		if v == "" {
			v = upgrade.Get(name)
		}
		if v != "" {
			req.Header.Set(name, v)
		}
	}
	actx, cancel := context.WithTimeout(ctx, s.cfg.RequestTimeout)
	defer cancel()
	var p *auth.Principal
	if s.cfg.Auth == nil {
		err = errors.New("no authenticator configured")
	} else {
		p, err = s.cfg.Auth.Authenticate(actx, req)
	}
	if err != nil {
		var ae *auth.Error
		if !errors.As(err, &ae) {
			s.log.ErrorContext(ctx, "websocket authentication failed", "request_id", RequestID(ctx), "err", err)
			ae = &auth.Error{Code: CodeInternal, Msg: "internal error"}
		}
		reason := closeReason(ae.Code + ": " + ae.Msg)
		ctx = transport.WithWebsocketCloseCode(transport.AppendCloseReason(ctx, reason), websocketCloseCodes[ae.Code])
		return ctx, nil, ae
	}
	ctx = auth.With(ctx, p)
	// Errors answered before any operation runs end the read session of
	// the request's loaders: the connection has loaders of its own.
	ctx = loader.With(ctx, loader.New(s.store, p.Scope(), loader.Options{Wait: s.cfg.LoaderWait}))
	return ctx, nil, nil
}

// initValue reads a credential from a connection_init payload: at its top
// level or under "headers" (as some clients send it), by header name in
// any case.
func initValue(payload transport.InitPayload, name string) string {
	for _, m := range []map[string]any{payload, nested(payload, "headers")} {
		for k, v := range m {
			if s, ok := v.(string); ok && strings.EqualFold(k, name) {
				return strings.TrimSpace(s)
			}
		}
	}
	return ""
}

func nested(m map[string]any, key string) map[string]any {
	for k, v := range m {
		if sub, ok := v.(map[string]any); ok && strings.EqualFold(k, key) {
			return sub
		}
	}
	return nil
}

// closeReason fits a reason into a websocket close frame (123 bytes).
func closeReason(s string) string {
	const limit = 123
	if len(s) <= limit {
		return s
	}
	s = s[:limit-len("…")]
	for !utf8.ValidString(s) {
		s = s[:len(s)-1]
	}
	return s + "…"
}

// subscriptionsNeedStreams refuses a subscription sent as a plain request,
// which could answer at most one event, and says how to subscribe.
type subscriptionsNeedStreams struct{}

var _ interface {
	graphql.HandlerExtension
	graphql.OperationContextMutator
} = subscriptionsNeedStreams{}

func (subscriptionsNeedStreams) ExtensionName() string { return "SubscriptionsNeedStreams" }

func (subscriptionsNeedStreams) Validate(graphql.ExecutableSchema) error { return nil }

func (subscriptionsNeedStreams) MutateOperationContext(ctx context.Context, op *graphql.OperationContext) *gqlerror.Error {
	if op.Operation == nil || op.Operation.Operation != ast.Subscription || onStream(ctx) {
		return nil
	}
	err := gqlerror.Errorf("a subscription is delivered as a stream: open a websocket to /graphql (graphql-transport-ws), or POST it with the header Accept: text/event-stream")
	err.Extensions = map[string]any{"code": CodeBadRequest}
	return err
}

// operationReads gives every operation on a stream loaders of its own,
// whose read session ends with the operation at the latest, and a query or
// mutation the request deadline that a stream does not have.
func (s *streams) operationReads(ctx context.Context, next graphql.OperationHandler) graphql.ResponseHandler {
	if !onStream(ctx) {
		return next(ctx)
	}
	l := loader.New(s.store, scopeIn(ctx), loader.Options{Wait: s.cfg.LoaderWait})
	ctx = loader.With(ctx, l)
	context.AfterFunc(ctx, func() { l.End(context.WithoutCancel(ctx)) })
	if op := graphql.GetOperationContext(ctx); op.Operation != nil && op.Operation.Operation == ast.Subscription {
		ctx, _ = graph.WithStreamEnd(ctx)
		return next(ctx)
	}
	ctx, cancel := context.WithTimeout(ctx, s.cfg.RequestTimeout)
	responses := next(ctx)
	return func(ctx context.Context) *graphql.Response {
		resp := responses(ctx)
		if resp == nil || resp.HasNext == nil || !*resp.HasNext {
			cancel()
		}
		return resp
	}
}

// eventReads gives each event of a subscription fresh loaders and
// statement counts, with the subscriber's scope: the event's objects are
// read when it is delivered, in a read session that endReads ends as soon
// as the event's response is complete. When the server ended the
// subscription, the client is told why in one last response.
func (s *streams) eventReads(ctx context.Context, next graphql.ResponseHandler) *graphql.Response {
	if !graphql.HasOperationContext(ctx) {
		return next(ctx)
	}
	op := graphql.GetOperationContext(ctx)
	if op.Operation == nil || op.Operation.Operation != ast.Subscription {
		return next(ctx)
	}
	// The session begins at the event's first statement: waiting for the
	// event holds no connection.
	l := loader.New(s.store, scopeIn(ctx), loader.Options{Wait: s.cfg.LoaderWait})
	ctx = loader.With(ctx, l)
	ctx, _ = db.WithStats(ctx)
	defer l.End(context.WithoutCancel(ctx))
	resp := next(ctx)
	if resp != nil {
		return resp
	}
	if end := graph.StreamEndFrom(ctx); end != nil {
		if err := end.Take(); err != nil {
			graphql.AddError(ctx, err)
			return &graphql.Response{Errors: graphql.GetErrors(ctx)}
		}
	}
	return nil
}

// eventsErrorCodes are the codes of the reasons a subscription could not
// start or was ended by the server: EVENTS_LOST when the client may have
// missed events and should reload, SERVICE_UNAVAILABLE otherwise.
var eventsErrorCodes = map[error]string{
	db.ErrSubscriberTooSlow:  CodeEventsLost,
	db.ErrEventsMissed:       CodeEventsLost,
	db.ErrEventsClosed:       CodeUnavailable,
	db.ErrEventsUnavailable:  CodeUnavailable,
	graph.ErrNoSubscriptions: CodeUnavailable,
}

// eventsError is the reason of eventsErrorCodes that err is, or nil.
func eventsError(err error) error {
	for reason := range eventsErrorCodes {
		if errors.Is(err, reason) {
			return reason
		}
	}
	return nil
}

// scopeIn is the tenant scope of the principal in ctx; none without one.
func scopeIn(ctx context.Context) db.Scope {
	p, err := auth.From(ctx)
	if err != nil {
		return db.TenantScope()
	}
	return p.Scope()
}
