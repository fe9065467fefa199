package api

import (
	"bytes"
	"encoding/json"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"strings"

	"catalogue/internal/api/guard"
	"catalogue/internal/auth"
)

// credentialHeaders are the headers that make a principal: checked to be
// UTF-8 (they travel to PostgreSQL as an API key ID, a tenant slug, a user
// ID), and read from the connection_init payload of a websocket.
var credentialHeaders = []string{"Authorization", auth.HeaderTenant, auth.HeaderImpersonation}

// refuseMalformed refuses malformed requests before authentication and
// before gqlgen sees them. gqlgen's transports answer such requests with an
// uncoded error that quotes the whole body, which the error presenter
// could only call INTERNAL; here each gets a 4xx status, a message saying
// what is wrong and one WARN line. A body it lets through, gqlgen's
// transport decodes again and cannot fail on (guard.DecodePOST).
func refuseMalformed(log *slog.Logger, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		err := guard.CheckHeaders(r.Header, credentialHeaders...)
		if err == nil {
			switch r.Method {
			case http.MethodPost:
				err = checkPOST(r)
			case http.MethodGet:
				_, err = guard.DecodeGET(r.URL.RawQuery)
			}
		}
		if err != nil {
			refuse(w, r, log, err)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// checkPOST checks the media type and the body of a POST. The body is in
// memory already (requestContext read it under the size limit); it is put
// back for the transport.
func checkPOST(r *http.Request) *guard.Error {
	ct := r.Header.Get("Content-Type")
	if mt, _, err := mime.ParseMediaType(ct); err != nil || mt != "application/json" {
		return &guard.Error{Status: http.StatusUnsupportedMediaType, Excerpt: "Content-Type: " + guard.Excerpt([]byte(ct)),
			Msg: "send the request body as JSON with the header Content-Type: application/json"}
	}
	var body []byte
	if r.Body != nil {
		var err error
		if body, err = io.ReadAll(r.Body); err != nil {
			return &guard.Error{Status: http.StatusBadRequest, Msg: "could not read the request body", Excerpt: err.Error()}
		}
		_ = r.Body.Close()
		r.Body = io.NopCloser(bytes.NewReader(body))
	}
	_, err := guard.DecodePOST(body)
	return err
}

// refuse answers a request refused before GraphQL and logs it once at WARN
// (at DEBUG when the client hung up while sending it).
func refuse(w http.ResponseWriter, r *http.Request, log *slog.Logger, e *guard.Error) {
	level := slog.LevelWarn
	if clientGone(r.Context()) {
		level = slog.LevelDebug
	}
	log.LogAttrs(r.Context(), level, "request refused",
		slog.String("request_id", RequestID(r.Context())),
		slog.Int("status", e.Status),
		slog.String("reason", e.Msg),
		slog.String("excerpt", e.Excerpt),
	)
	writeError(w, r, e.Status, CodeBadRequest, e.Msg)
}

// writeError answers one GraphQL error outside gqlgen, in the media type
// the client asked for.
func writeError(w http.ResponseWriter, r *http.Request, status int, code, msg string) {
	w.Header().Set("Content-Type", responseMediaType(r.Header.Get("Accept")))
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]any{
		"errors": []map[string]any{{"message": msg, "extensions": map[string]any{"code": code}}},
	})
}

// responseMediaType picks the media type of an answer from Accept as
// gqlgen's transports do: application/json when the client names it first,
// application/graphql-response+json otherwise.
func responseMediaType(accept string) string {
	for part := range strings.SplitSeq(accept, ",") {
		mt, _, err := mime.ParseMediaType(strings.TrimSpace(part))
		if err != nil {
			continue
		}
		switch mt {
		case "application/json":
			return "application/json"
		case "application/graphql-response+json", "application/*", "*/*":
			return "application/graphql-response+json"
		}
	}
	return "application/graphql-response+json"
}
