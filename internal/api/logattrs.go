package api

import (
	"context"
	"log/slog"
	"strings"

	"github.com/99designs/gqlgen/graphql"
	"go.opentelemetry.io/otel/trace"
)

// withRequestAttrs makes every line logged with a request's context say
// which request and operation it belongs to, whoever logs it (the access
// log, the error presenter, the authenticator): see requestAttrs.
func withRequestAttrs(log *slog.Logger) *slog.Logger {
	if _, ok := log.Handler().(requestAttrs); ok {
		return log
	}
	return slog.New(requestAttrs{Handler: log.Handler()})
}

// requestAttrs is a slog.Handler that adds to a record what its context
// knows of the request:
//
//   - request_id, unless the record or the logger already has one;
//   - operation and operation_type: the GraphQL operation being executed,
//     or, on a line about the whole request such as the access log, its
//     operations (comma-separated for a batch; "" for an anonymous one);
//   - code: the operation's outcome once it has been answered, the first
//     error's extensions.code or OK (comma-separated for a batch). The
//     access-log line of a request without operations (refused before
//     any ran, or not to /graphql) has operation "" and the code implied
//     by its status, as the metrics read it;
//   - trace_id, when the request is part of a trace.
type requestAttrs struct {
	slog.Handler
	hasRequestID bool // the logger's own attributes carry request_id
}

// Handle adds the request's attributes and passes the record on.
func (h requestAttrs) Handle(ctx context.Context, r slog.Record) error {
	if ctx == nil {
		return h.Handler.Handle(ctx, r)
	}
	var add []slog.Attr
	if id := RequestID(ctx); id != "" && !h.hasRequestID && !hasAttr(r, "request_id") {
		add = append(add, slog.String("request_id", id))
	}
	add = append(add, operationAttrs(ctx, r)...)
	if sc := trace.SpanContextFromContext(ctx); sc.HasTraceID() {
		add = append(add, slog.String("trace_id", sc.TraceID().String()))
	}
	if len(add) == 0 {
		return h.Handler.Handle(ctx, r)
	}
	r = r.Clone()
	r.AddAttrs(add...)
	return h.Handler.Handle(ctx, r)
}

// WithAttrs remembers whether the logger names the request itself.
func (h requestAttrs) WithAttrs(as []slog.Attr) slog.Handler {
	has := h.hasRequestID
	for _, a := range as {
		has = has || a.Key == "request_id"
	}
	return requestAttrs{Handler: h.Handler.WithAttrs(as), hasRequestID: has}
}

// WithGroup keeps adding the request's attributes, inside the group.
func (h requestAttrs) WithGroup(name string) slog.Handler {
	return requestAttrs{Handler: h.Handler.WithGroup(name), hasRequestID: h.hasRequestID}
}

// operationAttrs are the operation, operation_type and code attributes of
// a record logged with ctx; none outside GraphQL requests.
func operationAttrs(ctx context.Context, r slog.Record) []slog.Attr {
	// While the executor runs, it knows the operation before any note does.
	if graphql.HasOperationContext(ctx) {
		if op := graphql.GetOperationContext(ctx).Operation; op != nil {
			return []slog.Attr{slog.String("operation", op.Name), slog.String("operation_type", string(op.Operation))}
		}
	}
	var ops []*operationNote
	if n := operationNoteFrom(ctx); n != nil {
		ops = []*operationNote{n}
	} else if n := requestNoteFrom(ctx); n != nil {
		ops = n.operations()
	}
	if len(ops) == 0 {
		if status, ok := intAttr(r, "status"); ok && requestNoteFrom(ctx) != nil {
			return []slog.Attr{slog.String("operation", ""), slog.String("operation_type", ""), slog.String("code", codeOfStatus(status))}
		}
		return nil
	}
	names := make([]string, len(ops))
	types := make([]string, len(ops))
	outcomes := make([]string, 0, len(ops))
	for i, op := range ops {
		var code string
		var done bool
		names[i], types[i], code, done = op.get()
		if done {
			outcomes = append(outcomes, code)
		}
	}
	attrs := []slog.Attr{
		slog.String("operation", strings.Join(names, ",")),
		slog.String("operation_type", strings.Join(types, ",")),
	}
	if len(outcomes) == len(ops) {
		attrs = append(attrs, slog.String("code", strings.Join(outcomes, ",")))
	}
	return attrs
}

func hasAttr(r slog.Record, key string) bool {
	found := false
	r.Attrs(func(a slog.Attr) bool {
		found = a.Key == key
		return !found
	})
	return found
}

func intAttr(r slog.Record, key string) (int, bool) {
	var n int
	found := false
	r.Attrs(func(a slog.Attr) bool {
		if a.Key != key {
			return true
		}
		if a.Value.Kind() == slog.KindInt64 {
			n, found = int(a.Value.Int64()), true
		}
		return false
	})
	return n, found
}
