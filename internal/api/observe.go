package api

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/gqlerror"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"
	"go.opentelemetry.io/otel/trace/noop"

	"catalogue/db"
	"catalogue/internal/metrics"
)

// How a request is observed. observe, around everything but CORS, starts
// the request's span (continuing the caller's trace from its traceparent
// header) and gives the request a note. observeOperation, around each
// GraphQL operation (every operation of a batch), starts the operation's
// span, a child of the request's, and records the operation's metrics when
// it has been answered. operationObserver, inside gqlgen, fills in what
// only the executor knows: the operation's name, its type and the code of
// its first error. The notes are what the access log and every other log
// line of the request read (see requestAttrs).

// The instrumentation name of the API's spans.
const tracerName = "catalogue/api"

// propagator reads the W3C trace context (traceparent, tracestate) and
// baggage of incoming requests.
var propagator = propagation.NewCompositeTextMapPropagator(propagation.TraceContext{}, propagation.Baggage{})

// requestNote lists the operations of one HTTP request, in order.
type requestNote struct {
	mu  sync.Mutex
	ops []*operationNote
}

func (n *requestNote) add(op *operationNote) {
	n.mu.Lock()
	n.ops = append(n.ops, op)
	n.mu.Unlock()
}

func (n *requestNote) operations() []*operationNote {
	n.mu.Lock()
	defer n.mu.Unlock()
	return append([]*operationNote(nil), n.ops...)
}

// operationNote is what is known of one GraphQL operation.
type operationNote struct {
	mu   sync.Mutex
	name string // "" for an anonymous operation or one refused before it was parsed
	typ  string // query, mutation, subscription; "" when not known
	code string // the first error's extensions.code
	done bool   // answered: code is final ("OK" for no error)
}

func (n *operationNote) get() (name, typ, code string, done bool) {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.name, n.typ, n.code, n.done
}

type (
	requestNoteKey   struct{}
	operationNoteKey struct{}
)

func requestNoteFrom(ctx context.Context) *requestNote {
	n, _ := ctx.Value(requestNoteKey{}).(*requestNote)
	return n
}

func operationNoteFrom(ctx context.Context) *operationNote {
	n, _ := ctx.Value(operationNoteKey{}).(*operationNote)
	return n
}

// tracerProvider is tp, or one that makes nothing.
func tracerProvider(tp trace.TracerProvider) trace.TracerProvider {
	if tp == nil {
		return noop.NewTracerProvider()
	}
	return tp
}

// observe starts the span of every request but health checks and metric
// scrapes, and counts the requests to /graphql that were refused before
// any operation ran (a body too large, a malformed batch, a method GraphQL
// does not use) as one anonymous operation.
func observe(m *metrics.Metrics, tp trace.TracerProvider, next http.Handler) http.Handler {
	tracer := tp.Tracer(tracerName)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		note := &requestNote{}
		ctx := context.WithValue(r.Context(), requestNoteKey{}, note)
		route := routeOf(r.URL.Path)
		if route == "/healthz" || route == "/metrics" {
			next.ServeHTTP(w, r.WithContext(ctx))
			return
		}
		ctx = propagator.Extract(ctx, propagation.HeaderCarrier(r.Header))
		name := r.Method
		if route != "" {
			name += " " + route
		}
		ctx, span := tracer.Start(ctx, name,
			trace.WithSpanKind(trace.SpanKindServer),
			trace.WithAttributes(
				attribute.String("http.request.method", r.Method),
				attribute.String("http.route", route),
				attribute.String("url.path", r.URL.Path),
				attribute.String("user_agent.original", r.UserAgent()),
			))
		defer span.End()
		rec := &outcomeRecorder{ResponseWriter: w}
		next.ServeHTTP(rec, r.WithContext(ctx))

		status := cmp.Or(rec.status, http.StatusOK)
		span.SetAttributes(
			attribute.Int("http.response.status_code", status),
			attribute.String("catalogue.request_id", w.Header().Get("X-Request-Id")),
		)
		if status >= 500 {
			span.SetStatus(codes.Error, http.StatusText(status))
		}
		if route != "/graphql" || r.Method == http.MethodOptions {
			return
		}
		switch ops := note.operations(); len(ops) {
		case 0:
			m.ObserveOperation(metrics.Operation{Code: rec.code(status), Duration: time.Since(start)})
		case 1:
			// One operation: the request is that operation.
			name, typ, _, _ := ops[0].get()
			span.SetAttributes(attribute.String("graphql.operation.name", name), attribute.String("graphql.operation.type", typ))
		}
	})
}

// routeOf names the route of a path for span names: the paths the server
// serves, "" for any other (whose text could be anything).
func routeOf(path string) string {
	switch path {
	case "/graphql", "/healthz", "/metrics", "/schema.graphql", "/":
		return path
	}
	if strings.HasPrefix(path, "/playground/") {
		return "/playground/{name}"
	}
	return ""
}

// observeOperation starts the span of one GraphQL operation and, once it
// has been answered, records its outcome, duration and SQL statements.
// Batched operations pass through it one by one.
func observeOperation(m *metrics.Metrics, tp trace.TracerProvider, next http.Handler) http.Handler {
	tracer := tp.Tracer(tracerName)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodOptions {
			next.ServeHTTP(w, r)
			return
		}
		start := time.Now()
		note := &operationNote{}
		ctx := context.WithValue(r.Context(), operationNoteKey{}, note)
		if rn := requestNoteFrom(ctx); rn != nil {
			rn.add(note)
		}
		ctx, span := tracer.Start(ctx, "graphql")
		defer span.End()
		rec := &outcomeRecorder{ResponseWriter: w}
		next.ServeHTTP(rec, r.WithContext(ctx))

		status := cmp.Or(rec.status, http.StatusOK)
		note.mu.Lock()
		if note.code == "" {
			// Refused before the executor (credentials, limits of other
			// middleware): the answer says why.
			note.code = rec.code(status)
		}
		note.done = true
		name, typ, code := note.name, note.typ, note.code
		note.mu.Unlock()

		var statements int64
		if st := db.StatsFrom(ctx); st != nil {
			statements = st.Statements()
		}
		span.SetName(spanName(name, typ))
		span.SetAttributes(
			attribute.String("graphql.operation.name", name),
			attribute.String("graphql.operation.type", typ),
			attribute.String("graphql.response.code", code),
			attribute.Int64("catalogue.sql.statements", statements),
		)
		if serverFault(code) {
			span.SetStatus(codes.Error, code)
		}
		m.ObserveOperation(metrics.Operation{
			Name: name, Type: typ, Code: code, Duration: time.Since(start), Statements: statements,
		})
	})
}

// spanName follows the OpenTelemetry convention for GraphQL spans: the
// operation type and name ("query Members"), the type alone for an
// anonymous operation.
func spanName(name, typ string) string {
	switch {
	case typ == "":
		return "graphql"
	case name == "":
		return typ
	}
	return typ + " " + name
}

// serverFault reports whether a code means the server failed, rather than
// the client asked for something it may not have.
func serverFault(code string) bool {
	switch code {
	case CodeInternal, CodeTimeout, CodeUnavailable:
		return true
	}
	return false
}

// operationObserver is the gqlgen extension that notes the name, type and
// outcome of each operation for observeOperation, and names its span.
type operationObserver struct{}

var _ interface {
	graphql.HandlerExtension
	graphql.ResponseInterceptor
} = operationObserver{}

// ExtensionName names the extension in gqlgen's registry.
func (operationObserver) ExtensionName() string { return "OperationObserver" }

// Validate accepts every schema.
func (operationObserver) Validate(graphql.ExecutableSchema) error { return nil }

// InterceptResponse notes the operation once its first response part is
// ready: its name and type when it was parsed, and the code of the first
// error of any part ("OK" while there is none).
func (operationObserver) InterceptResponse(ctx context.Context, next graphql.ResponseHandler) *graphql.Response {
	resp := next(ctx)
	note := operationNoteFrom(ctx)
	if note == nil {
		return resp
	}
	note.mu.Lock()
	defer note.mu.Unlock()
	if graphql.HasOperationContext(ctx) {
		if op := graphql.GetOperationContext(ctx).Operation; op != nil {
			note.name, note.typ = op.Name, string(op.Operation)
		}
	}
	if resp != nil && (note.code == "" || note.code == "OK") {
		note.code = firstCode(resp.Errors)
	}
	return resp
}

// firstCode is the extensions.code of the first error, "OK" for none.
func firstCode(errs gqlerror.List) string {
	for _, e := range errs {
		if e == nil {
			continue
		}
		if c, ok := e.Extensions["code"].(string); ok && c != "" {
			return c
		}
		return CodeInternal // every error the server makes has a code
	}
	return "OK"
}

// outcomeRecorder remembers the status a handler wrote and, for an error
// status, the start of the uncompressed body, whose first error's code is
// the outcome of a request the executor never saw.
type outcomeRecorder struct {
	http.ResponseWriter
	status int
	body   []byte
}

// maxOutcomeBody is how much of an error answer is kept to read its code.
const maxOutcomeBody = 4 << 10

func (o *outcomeRecorder) WriteHeader(code int) {
	if o.status == 0 {
		o.status = code
	}
	o.ResponseWriter.WriteHeader(code)
}

func (o *outcomeRecorder) Write(b []byte) (int, error) {
	if o.status == 0 {
		o.status = http.StatusOK
	}
	if o.status >= 400 && len(o.body) < maxOutcomeBody && o.Header().Get("Content-Encoding") == "" {
		o.body = append(o.body, b[:min(len(b), maxOutcomeBody-len(o.body))]...)
	}
	return o.ResponseWriter.Write(b)
}

// Flush lets streamed answers (multipart/mixed) through the recorder.
func (o *outcomeRecorder) Flush() {
	if f, ok := o.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

// Unwrap gives http.ResponseController the writer underneath.
func (o *outcomeRecorder) Unwrap() http.ResponseWriter { return o.ResponseWriter }

// code is the outcome of an answer that did not go through the executor:
// the first error's extensions.code in its body, else one implied by the
// status.
func (o *outcomeRecorder) code(status int) string {
	if status < 400 {
		return "OK"
	}
	var body struct {
		Errors []struct {
			Extensions map[string]any `json:"extensions"`
		} `json:"errors"`
	}
	if json.Unmarshal(bytes.TrimSpace(o.body), &body) == nil && len(body.Errors) > 0 {
		if c, ok := body.Errors[0].Extensions["code"].(string); ok && c != "" {
			return c
		}
	}
	return codeOfStatus(status)
}

// codeOfStatus is the extensions.code the server uses with an HTTP status.
func codeOfStatus(status int) string {
	switch {
	case status < 400:
		return "OK"
	case status == http.StatusUnauthorized:
		return CodeUnauthenticated
	case status == http.StatusForbidden:
		return CodeForbidden
	case status == http.StatusNotFound:
		return CodeNotFound
	case status == http.StatusRequestEntityTooLarge:
		return CodeBadUserInput
	case status == http.StatusTooManyRequests:
		return "THROTTLED"
	case status == http.StatusServiceUnavailable:
		return CodeUnavailable
	case status == http.StatusGatewayTimeout:
		return CodeTimeout
	case status >= 500:
		return CodeInternal
	}
	return CodeBadRequest
}
