package api

import (
	"bytes"
	"cmp"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"strings"

	"catalogue/db"
	"catalogue/internal/api/guard"
)

// DefaultMaxBatch is the most operations one batched POST may carry when
// Config.MaxBatch is not set.
const DefaultMaxBatch = 10

// withBatching answers a POST whose JSON body is an array of operations
// ({query, variables, operationName}, as Apollo's BatchHttpLink sends)
// with an array of their results, in the same order.
//
// The batch is split at the HTTP level: each operation goes through next —
// authentication, loaders, limits, the read snapshot and the error
// presenter — as if it had been posted alone with the same headers, so
// nothing a single operation gets is lost or shared by accident. They run
// one after another: mutations keep their order, and a request still
// holds at most one pool connection at a time. Each operation's result
// has its own errors and extensions (cost, and SQL statements when
// SQLStats is on); the request's access log counts them all.
//
// Anything that is not a JSON array goes to next untouched. A batch that
// is not an array of objects, an empty one, or one of more than limit
// operations is refused as a whole with HTTP 400 and BAD_REQUEST before
// any operation runs.
func withBatching(log *slog.Logger, limit int, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost || r.Body == nil {
			next.ServeHTTP(w, r)
			return
		}
		// The body is already in memory (requestContext bounds it).
		body, err := io.ReadAll(r.Body)
		if err != nil {
			refuse(w, r, log, &guard.Error{Status: http.StatusBadRequest, Msg: "could not read the request body"})
			return
		}
		// A batch refused as a whole is logged and answered like any
		// request refused before GraphQL.
		refuseBatch := func(msg string) {
			refuse(w, r, log, &guard.Error{Status: http.StatusBadRequest, Msg: msg, Excerpt: guard.Excerpt(body)})
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
		if trimmed := bytes.TrimLeft(body, " \t\r\n"); len(trimmed) == 0 || trimmed[0] != '[' || !isJSON(r) {
			next.ServeHTTP(w, r)
			return
		}
		var ops []json.RawMessage
		if err := json.Unmarshal(body, &ops); err != nil {
			refuseBatch("the body is not a JSON array of operations: " + err.Error())
			return
		}
		switch {
		case len(ops) == 0:
			refuseBatch("the batch is empty: send at least one operation")
			return
		case len(ops) > limit:
			refuseBatch(fmt.Sprintf("a batch of %d operations is more than the limit of %d; send fewer or split it", len(ops), limit))
			return
		}
		for i, op := range ops {
			if trimmed := bytes.TrimLeft(op, " \t\r\n"); len(trimmed) == 0 || trimmed[0] != '{' {
				refuseBatch(fmt.Sprintf("operation %d of the batch is not a JSON object {query, variables, operationName}", i))
				return
			}
		}

		accept := withoutMultipart(r.Header.Get("Accept"))
		results := make([][]byte, len(ops))
		var contentType string
		status := 0
		for i, op := range ops {
			ctx, _ := db.WithStats(withNote(r.Context()))
			sub := r.Clone(ctx)
			sub.Body = io.NopCloser(bytes.NewReader(op))
			sub.ContentLength = int64(len(op))
			// A batch answers one JSON document: no operation may stream.
			if accept == "" {
				sub.Header.Del("Accept")
			} else {
				sub.Header.Set("Accept", accept)
			}
			rec := &bufferedAnswer{header: http.Header{}}
			next.ServeHTTP(rec, sub)

			results[i] = operationResult(rec)
			if contentType == "" {
				contentType = rec.header.Get("Content-Type")
			}
			// One status for the whole batch: the operations' own when they
			// agree (all 401 for bad credentials, say), else 200 with each
			// result saying what went wrong.
			code := cmp.Or(rec.status, http.StatusOK)
			if i == 0 {
				status = code
			} else if code != status {
				status = http.StatusOK
			}
			if auth := rec.header.Values("WWW-Authenticate"); len(auth) > 0 {
				w.Header()["WWW-Authenticate"] = auth
			}
		}
		if mt, _, _ := mime.ParseMediaType(contentType); !strings.HasSuffix(mt, "json") {
			contentType = "application/json"
		}
		w.Header().Set("Content-Type", contentType)
		w.WriteHeader(status)
		_, _ = w.Write([]byte{'['})
		for i, res := range results {
			if i > 0 {
				_, _ = w.Write([]byte{','})
			}
			_, _ = w.Write(res)
		}
		_, _ = w.Write([]byte("]\n"))
	})
}

// operationResult is the JSON result an operation answered, or an error
// result if its answer was not JSON.
func operationResult(rec *bufferedAnswer) []byte {
	res := bytes.TrimSpace(rec.body.Bytes())
	if json.Valid(res) && len(res) > 0 && res[0] == '{' {
		return res
	}
	b, _ := json.Marshal(map[string]any{"errors": []map[string]any{{
		"message":    fmt.Sprintf("the operation could not be answered (HTTP %d)", rec.status),
		"extensions": map[string]any{"code": CodeBadRequest},
	}}})
	return b
}

// isJSON reports whether the request says its body is JSON.
func isJSON(r *http.Request) bool {
	mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	return err == nil && mt == "application/json"
}

// withoutMultipart drops multipart/mixed from an Accept header.
func withoutMultipart(accept string) string {
	var keep []string
	for _, part := range strings.Split(accept, ",") {
		if p := strings.TrimSpace(part); p != "" && !strings.HasPrefix(strings.ToLower(p), "multipart/") {
			keep = append(keep, p)
		}
	}
	return strings.Join(keep, ", ")
}
