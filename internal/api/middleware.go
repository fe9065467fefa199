package api

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"regexp"
	"sync/atomic"
	"time"

	"catalogue/db"
	"catalogue/internal/api/guard"
)

type requestIDKey struct{}

// note is what the layers handling one request tell each other and the
// response: each field is written once, by whoever measures it, before it
// is read.
type note struct {
	cost  int    // objects the operation could return, measured by Limits
	query string // the document as received (APQ resolved), for log excerpts
	// timeoutLogged is set by the first TIMEOUT error the presenter logs,
	// so that a request whose every field timed out makes one WARN line.
	timeoutLogged atomic.Bool
	// unavailable is set when a query found the database down: its
	// answer is HTTP 503 with Retry-After.
	unavailable atomic.Bool
	// throttled is set when a query waited in vain for a connection slot
	// of its tenant: its answer is HTTP 429 with Retry-After.
	throttled atomic.Bool
	// fields counts the fields gqlgen's executor resolved one by one (a
	// subtree graph.Render writes counts as its one field).
	fields atomic.Int64
}

type noteKey struct{}

func withNote(ctx context.Context) context.Context {
	return context.WithValue(ctx, noteKey{}, &note{})
}

// noteFrom is the request's note; nil outside requestContext.
func noteFrom(ctx context.Context) *note {
	n, _ := ctx.Value(noteKey{}).(*note)
	return n
}

// RequestID is the ID of the request in ctx, as logged and returned in the
// X-Request-Id header.
func RequestID(ctx context.Context) string {
	id, _ := ctx.Value(requestIDKey{}).(string)
	return id
}

var validRequestID = regexp.MustCompile(`^[A-Za-z0-9._-]{1,64}$`)

// withRequestID takes the client's X-Request-Id when it is well formed,
// or makes one, answers it in the X-Request-Id header and puts it in the
// request's context.
func withRequestID(w http.ResponseWriter, r *http.Request) (context.Context, string) {
	id := r.Header.Get("X-Request-Id")
	if !validRequestID.MatchString(id) {
		id = newRequestID()
	}
	w.Header().Set("X-Request-Id", id)
	return context.WithValue(r.Context(), requestIDKey{}, id), id
}

func newRequestID() string {
	var b [8]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// statusRecorder remembers the status a handler wrote, for the access log.
type statusRecorder struct {
	http.ResponseWriter
	status int
	note   *note
}

func (s *statusRecorder) WriteHeader(code int) {
	if s.status == 0 {
		s.status = code
	}
	s.ResponseWriter.WriteHeader(code)
}

// Flush lets streamed answers (multipart/mixed) through the recorder.
func (s *statusRecorder) Flush() {
	if f, ok := s.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

// Unwrap gives http.ResponseController the writer underneath.
func (s *statusRecorder) Unwrap() http.ResponseWriter { return s.ResponseWriter }

func (s *statusRecorder) Write(b []byte) (int, error) {
	if s.status == 0 {
		if s.note != nil && s.note.unavailable.Load() {
			// A query that found the database down is answered 503 with
			// Retry-After, so that clients and load balancers retry it.
			s.Header().Set("Retry-After", "1")
			s.WriteHeader(http.StatusServiceUnavailable)
		} else if s.note != nil && s.note.throttled.Load() {
			s.Header().Set("Retry-After", "1")
			s.WriteHeader(http.StatusTooManyRequests)
		} else {
			s.status = http.StatusOK
		}
	}
	return s.ResponseWriter.Write(b)
}

// throttledFrom records that the query of the request in ctx got no
// connection slot of its tenant, for the status of its answer.
func throttledFrom(ctx context.Context) {
	if n := noteFrom(ctx); n != nil {
		n.throttled.Store(true)
	}
}

// unavailableFrom records that the query of the request in ctx found the
// database unavailable, for the status of its answer.
func unavailableFrom(ctx context.Context) {
	if n := noteFrom(ctx); n != nil {
		n.unavailable.Store(true)
	}
}

// requestContext gives every request an ID, a deadline, a body size limit
// and a statement counter, and writes one structured access-log line.
func requestContext(log *slog.Logger, cfg Config, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		ctx, id := withRequestID(w, r)
		var cancel context.CancelFunc
		if streamed(r) {
			// A streamed answer may take longer than one request may in
			// all: its deadline is for the wait between two parts.
			ctx, cancel = withIdleDeadline(ctx, w, cfg.RequestTimeout)
		} else {
			ctx, cancel = context.WithTimeout(ctx, cfg.RequestTimeout)
		}
		defer cancel()
		ctx, stats := db.WithStats(ctx)
		ctx = withNote(ctx)
		rec := &statusRecorder{ResponseWriter: w, note: noteFrom(ctx)}
		if e := tooLarge(r, cfg.MaxBodyBytes); e != nil {
			refuse(rec, r.WithContext(ctx), log, e)
		} else {
			next.ServeHTTP(rec, r.WithContext(ctx))
		}

		attrs := []slog.Attr{
			slog.String("request_id", id),
			slog.String("method", r.Method),
			slog.String("path", r.URL.Path),
			slog.Int("status", rec.status),
			slog.Duration("duration", time.Since(start)),
			slog.Int64("sql_statements", stats.Statements()),
			slog.Int64("sql_overhead", stats.Overhead()),
			slog.Int64("sql_credentials", stats.Credentials()),
			slog.Duration("sql_duration", stats.Duration()),
			slog.Int64("graphql_fields", noteFrom(ctx).fields.Load()),
		}
		if r.Context().Err() != nil {
			// The client hung up: this line is all the log says of it.
			attrs = append(attrs, slog.Bool("client_gone", true))
		}
		log.LogAttrs(ctx, slog.LevelInfo, "request", attrs...)
	})
}

// clientGone reports whether the client of the request in ctx hung up (as
// opposed to the request running out of time).
func clientGone(ctx context.Context) bool {
	return errors.Is(ctx.Err(), context.Canceled)
}

// requestLog is the log handler of code outside this package that logs
// with a request's context but knows nothing of this package, such as the
// authentication middleware. Its records get the request's ID, and those of
// a request whose client has hung up are logged at DEBUG: whatever fails
// then (a cancelled lookup) fails because the client left, and the access
// log already says so; such code would log it at ERROR.
type requestLog struct{ slog.Handler }

func (h requestLog) Handle(ctx context.Context, r slog.Record) error {
	if ctx == nil {
		return h.Handler.Handle(ctx, r)
	}
	if id := RequestID(ctx); id != "" {
		r.AddAttrs(slog.String("request_id", id))
	}
	if r.Level > slog.LevelDebug && clientGone(ctx) {
		if !h.Handler.Enabled(ctx, slog.LevelDebug) {
			return nil
		}
		r.Level = slog.LevelDebug
	}
	return h.Handler.Handle(ctx, r)
}

func (h requestLog) WithAttrs(as []slog.Attr) slog.Handler {
	return requestLog{h.Handler.WithAttrs(as)}
}

func (h requestLog) WithGroup(name string) slog.Handler {
	return requestLog{h.Handler.WithGroup(name)}
}

// tooLarge reads a request body of at most limit bytes into memory, so
// that no handler meets a half-read body, and refuses a larger one (413).
func tooLarge(r *http.Request, limit int64) *guard.Error {
	if r.Body == nil || r.Body == http.NoBody {
		return nil
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, limit+1))
	_ = r.Body.Close()
	switch {
	case err != nil && int64(len(body)) <= limit:
		return &guard.Error{Status: http.StatusBadRequest, Msg: "could not read the request body", Excerpt: err.Error()}
	case int64(len(body)) > limit:
		return &guard.Error{Status: http.StatusRequestEntityTooLarge, Excerpt: guard.Excerpt(body),
			Msg: fmt.Sprintf("request body larger than %d bytes", limit)}
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	return nil
}
