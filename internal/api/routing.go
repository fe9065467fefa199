package api

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"

	"catalogue/db"
	"catalogue/graph/loader"
)

// MinLSNHeader is the request header by which a client asks to see its own
// writes: the extensions.commitLsn of a write's response. A standby serves
// the request only if it has replayed that far; else the primary does.
const MinLSNHeader = "X-Min-LSN"

// withTrail gives every request a db.Trail, which records where its reads
// ran and the commit position of its writes, and the position the client
// asked to see in MinLSNHeader. A malformed position is refused rather than
// ignored: ignoring it would quietly serve stale reads.
func withTrail(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var min db.LSN
		if v := strings.TrimSpace(r.Header.Get(MinLSNHeader)); v != "" {
			var err error
			if min, err = db.ParseLSN(v); err != nil {
				w.Header().Set("Content-Type", "application/graphql-response+json")
				w.WriteHeader(http.StatusBadRequest)
				_ = json.NewEncoder(w).Encode(map[string]any{
					"errors": []map[string]any{{"message": MinLSNHeader + ": " + err.Error(), "extensions": map[string]any{"code": CodeBadRequest}}},
				})
				return
			}
		}
		ctx, _ := db.WithTrail(r.Context(), min)
		next.ServeHTTP(w, r.WithContext(ctx))
	})
}

// readRouting lets a standby serve the reads of query operations (mutations
// read on the primary, where they write), and runs a query again on the
// primary if its standby failed under it, so that losing a standby fails no
// read and the answer still comes from one snapshot. The final response
// says which pool served it (extensions.readFrom) and, after a write, the
// commit position to send back in MinLSNHeader (extensions.commitLsn). It
// does nothing for a store without standbys.
type readRouting struct{ store *db.Store }

var (
	_ graphql.HandlerExtension     = readRouting{}
	_ graphql.OperationInterceptor = readRouting{}
	_ graphql.ResponseInterceptor  = readRouting{}
)

func (readRouting) ExtensionName() string { return "ReadRouting" }

func (readRouting) Validate(graphql.ExecutableSchema) error { return nil }

func (rr readRouting) InterceptOperation(ctx context.Context, next graphql.OperationHandler) graphql.ResponseHandler {
	oc := graphql.GetOperationContext(ctx)
	if !rr.store.HasStandbys() || oc.Operation == nil || oc.Operation.Operation != ast.Query {
		return next(ctx)
	}
	reads := loader.For(ctx)
	var min db.LSN
	if t := db.TrailFrom(ctx); t != nil {
		min = t.MinLSN()
	}
	reads.ReadFrom(ctx, db.FromStandby(min))
	opCtx := ctx
	respond := next(ctx)
	first := true
	return func(ctx context.Context) *graphql.Response {
		resp := respond(ctx)
		if !first {
			return resp
		}
		first = false
		// An answer streamed in parts cannot be taken back once its first
		// part is out; one in a single part can be computed again.
		if resp != nil && (resp.HasNext == nil || !*resp.HasNext) && reads.StandbyLost() {
			rr.store.CountRerun()
			// The failed attempt's errors are not the answer's: it must not
			// be marked unavailable (503) for them.
			if n := noteFrom(ctx); n != nil {
				n.unavailable.Store(false)
			}
			reads.ReadFrom(ctx, db.FromPrimary)
			respond = next(opCtx)
			resp = respond(ctx)
		}
		return resp
	}
}

func (rr readRouting) InterceptResponse(ctx context.Context, next graphql.ResponseHandler) *graphql.Response {
	resp := next(ctx)
	t := db.TrailFrom(ctx)
	if resp == nil || t == nil || !rr.store.HasStandbys() || resp.HasNext != nil && *resp.HasNext {
		return resp
	}
	if resp.Extensions == nil {
		resp.Extensions = map[string]any{}
	}
	if by := t.ServedBy(); by != "" {
		resp.Extensions["readFrom"] = by
	}
	if at := t.Commit(); at != 0 {
		resp.Extensions["commitLsn"] = at.String()
	}
	return resp
}
