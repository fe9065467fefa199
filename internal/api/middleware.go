package api

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"regexp"
	"sync/atomic"
	"time"

	"catalogue/db"
)

type requestIDKey struct{}

// RequestID is the ID of the request in ctx, as logged and returned in the
// X-Request-Id header.
func RequestID(ctx context.Context) string {
	id, _ := ctx.Value(requestIDKey{}).(string)
	return id
}

var validRequestID = regexp.MustCompile(`^[A-Za-z0-9._-]{1,64}$`)

func newRequestID() string {
	var b [8]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// statusRecorder remembers the status a handler wrote, for the access log.
type statusRecorder struct {
	http.ResponseWriter
	status      int
	unavailable *atomic.Bool // set when a query found the database down
	throttled   *atomic.Bool // set when a query waited in vain for its tenant's slot
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
		if s.unavailable != nil && s.unavailable.Load() {
			// A query that found the database down is answered 503 with
			// Retry-After, so that clients and load balancers retry it.
			s.Header().Set("Retry-After", "1")
			s.WriteHeader(http.StatusServiceUnavailable)
		} else if s.throttled != nil && s.throttled.Load() {
			s.Header().Set("Retry-After", "1")
			s.WriteHeader(http.StatusTooManyRequests)
		} else {
			s.status = http.StatusOK
		}
	}
	return s.ResponseWriter.Write(b)
}

type unavailableKey struct{}

type throttledKey struct{}

// throttledFrom records that the query of the request in ctx got no
// connection slot of its tenant, for the status of its answer.
func throttledFrom(ctx context.Context) {
	if b, ok := ctx.Value(throttledKey{}).(*atomic.Bool); ok {
		b.Store(true)
	}
}

// unavailableFrom records that the query of the request in ctx found the
// database unavailable, for the status of its answer.
func unavailableFrom(ctx context.Context) {
	if b, ok := ctx.Value(unavailableKey{}).(*atomic.Bool); ok {
		b.Store(true)
	}
}

// requestContext gives every request an ID, a deadline, a body size limit
// and a statement counter, and writes one structured access-log line.
func requestContext(log *slog.Logger, cfg Config, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		id := r.Header.Get("X-Request-Id")
		if !validRequestID.MatchString(id) {
			id = newRequestID()
		}
		w.Header().Set("X-Request-Id", id)
		ctx := context.WithValue(r.Context(), requestIDKey{}, id)
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
		ctx = withCostNote(ctx)
		down := new(atomic.Bool)
		ctx = context.WithValue(ctx, unavailableKey{}, down)
		throttled := new(atomic.Bool)
		ctx = context.WithValue(ctx, throttledKey{}, throttled)
		rec := &statusRecorder{ResponseWriter: w, unavailable: down, throttled: throttled}
		if tooLarge(rec, r, cfg.MaxBodyBytes) {
			log.LogAttrs(ctx, slog.LevelInfo, "request body too large", slog.String("request_id", id))
			return
		}
		next.ServeHTTP(rec, r.WithContext(ctx))

		log.LogAttrs(ctx, slog.LevelInfo, "request",
			slog.String("request_id", id),
			slog.String("method", r.Method),
			slog.String("path", r.URL.Path),
			slog.Int("status", rec.status),
			slog.Duration("duration", time.Since(start)),
			slog.Int64("sql_statements", stats.Statements()),
			slog.Int64("sql_overhead", stats.Overhead()),
			slog.Int64("sql_credentials", stats.Credentials()),
			slog.Duration("sql_duration", stats.Duration()),
		)
	})
}

// tooLarge reads a request body of at most limit bytes into memory, so
// that no handler meets a half-read body, and answers 413 with a GraphQL
// error for a larger one.
func tooLarge(w http.ResponseWriter, r *http.Request, limit int64) bool {
	if r.Body == nil || r.Body == http.NoBody {
		return false
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, limit+1))
	_ = r.Body.Close()
	if err == nil && int64(len(body)) <= limit {
		r.Body = io.NopCloser(bytes.NewReader(body))
		return false
	}
	msg := fmt.Sprintf("request body larger than %d bytes", limit)
	status := http.StatusRequestEntityTooLarge
	if err != nil && int64(len(body)) <= limit {
		msg, status = "could not read the request body", http.StatusBadRequest
	}
	w.Header().Set("Content-Type", "application/graphql-response+json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]any{
		"errors": []map[string]any{{"message": msg, "extensions": map[string]any{"code": CodeBadUserInput}}},
	})
	return true
}
