package api

import (
	"net/http"
	"time"

	"github.com/rs/cors"
)

// corsHeaders are the request headers a browser may send cross-origin:
// the credentials (Authorization, or enterprise-id on top of them), the
// tenant choice, the body's type, the caller's request ID and its W3C
// trace context (a page traced with OpenTelemetry sends traceparent).
var corsHeaders = []string{"Authorization", "Content-Type", "Accept", "X-Tenant", "enterprise-id", "X-Request-Id", "traceparent", "tracestate"}

// withCORS lets single-page apps served from the allowed origins call the
// API. Credentials travel in headers, never in cookies, so
// Access-Control-Allow-Credentials is not needed and not sent. An origin
// that is not allowed gets no Access-Control-Allow-* header (its preflight
// still answers 204, which the browser treats as a refusal); every answer
// says Vary: Origin. With no allowed origins there is no CORS at all and
// browsers keep to the same-origin policy.
//
// rs/cors does the parts that are easy to get subtly wrong: telling a
// preflight from a plain OPTIONS, matching one wildcard per origin,
// checking the requested method and headers, and the Vary lists.
func withCORS(origins []string, maxAge time.Duration, next http.Handler) http.Handler {
	if len(origins) == 0 {
		return next
	}
	return cors.New(cors.Options{
		AllowedOrigins: origins,
		AllowedMethods: []string{http.MethodGet, http.MethodPost, http.MethodOptions},
		AllowedHeaders: corsHeaders,
		ExposedHeaders: []string{"X-Request-Id"},
		// 0 sends no Access-Control-Max-Age: browsers then keep a
		// preflight answer for 5 seconds.
		MaxAge: int(maxAge / time.Second),
	}).Handler(next)
}
