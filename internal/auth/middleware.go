package auth

import (
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"strings"

	"catalogue/db"
)

// Middleware authenticates every request and puts its principal in the
// context. A request that fails gets HTTP 401 (or 403) with a GraphQL
// error body whose extensions.code says why, before any GraphQL work.
func Middleware(a *Authenticator, log *slog.Logger, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodOptions {
			next.ServeHTTP(w, r)
			return
		}
		p, err := a.Authenticate(r.Context(), r)
		if err != nil {
			var ae *Error
			switch {
			case errors.As(err, &ae):
			case errors.Is(err, db.ErrUnavailable):
				log.WarnContext(r.Context(), "credentials not checked: database unavailable", "err", err)
				ae = &Error{Code: CodeUnavailable, Msg: "the database is unavailable; try again shortly"}
			default:
				log.ErrorContext(r.Context(), "authentication failed", "err", err)
				ae = &Error{Code: "INTERNAL", Msg: "internal error"}
			}
			writeError(w, r, ae)
			return
		}
		next.ServeHTTP(w, r.WithContext(With(r.Context(), p)))
	})
}

func writeError(w http.ResponseWriter, r *http.Request, e *Error) {
	status := http.StatusUnauthorized
	switch e.Code {
	case CodeForbidden:
		status = http.StatusForbidden
	case CodeBadUserInput:
		status = http.StatusBadRequest
	case CodeUnavailable:
		status = http.StatusServiceUnavailable
		w.Header().Set("Retry-After", "1")
	case "INTERNAL":
		status = http.StatusInternalServerError
	}
	if status == http.StatusUnauthorized {
		w.Header().Set("WWW-Authenticate", `Bearer realm="catalogue"`)
	}
	ct := "application/graphql-response+json"
	if accept := r.Header.Get("Accept"); accept != "" && !acceptsGraphQLResponse(accept) {
		ct = "application/json"
	}
	w.Header().Set("Content-Type", ct)
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]any{
		"errors": []map[string]any{{"message": e.Msg, "extensions": map[string]any{"code": e.Code}}},
	})
}

func acceptsGraphQLResponse(accept string) bool {
	for _, s := range []string{"application/graphql-response+json", "*/*", "application/*"} {
		if strings.Contains(accept, s) {
			return true
		}
	}
	return false
}
