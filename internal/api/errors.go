package api

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/errcode"
	"github.com/99designs/gqlgen/graphql/handler/extension"
	"github.com/lib/pq"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"catalogue/db"
	"catalogue/db/model"
	"catalogue/internal/api/guard"
	"catalogue/internal/auth"
	"catalogue/internal/filter"
)

// The extensions.code values of the API's errors.
const (
	CodeBadRequest      = "BAD_REQUEST"
	CodeBadUserInput    = "BAD_USER_INPUT"
	CodeUnauthenticated = "UNAUTHENTICATED"
	CodeForbidden       = "FORBIDDEN"
	CodeNotFound        = "NOT_FOUND"
	CodeInternal        = "INTERNAL"
	CodeTimeout         = "TIMEOUT"
	CodeUnavailable     = "SERVICE_UNAVAILABLE"
	// CodeThrottled: the tenant already had as much database work running
	// as it may; a query is answered 429 with Retry-After.
	CodeThrottled = "THROTTLED"
	// CodeEventsLost ends a subscription that may have missed events.
	CodeEventsLost = "EVENTS_LOST"
	// CodeCancelled is an answer nobody reads: the client hung up.
	CodeCancelled = "CANCELLED"
)

func init() {
	// An operation refused with one of these codes before it runs is a
	// request error, like a parse or validation error: gqlgen then answers
	// 400 as application/graphql-response+json (and 422 as
	// application/json, which specStatus turns into 200). Errors with these
	// codes during execution are field errors; the status stays 200.
	errcode.RegisterErrorType(CodeBadRequest, errcode.KindProtocol)
	errcode.RegisterErrorType(CodeBadUserInput, errcode.KindProtocol)
}

// presentError maps the errors resolvers return to GraphQL errors with an
// extensions.code. Anything unknown is logged with the request ID and shown
// only as "internal error": database text never reaches a client.
func presentError(log *slog.Logger) graphql.ErrorPresenterFunc {
	return func(ctx context.Context, err error) *gqlerror.Error {
		gqlErr := graphql.DefaultErrorPresenter(ctx, err)
		if gqlErr.Extensions != nil && gqlErr.Extensions["code"] != nil {
			return gqlErr // gqlgen's own parse and validation errors
		}
		var inputErr *model.InputError
		var idErr *model.InvalidIDError
		var forbiddenErr *model.ForbiddenError
		var authErr *auth.Error
		var filterErr *filter.InputError
		var syntaxErr *filter.SyntaxError
		var commitErr *db.CommitError
		switch {
		case errors.As(err, &filterErr):
			gqlErr.Message = filterErr.Error()
			setCode(gqlErr, CodeBadUserInput, "argument", filterErr.Path)
		case errors.As(err, &syntaxErr):
			gqlErr.Message = "query: " + syntaxErr.Error()
			setCode(gqlErr, CodeBadUserInput, "argument", "query")
			gqlErr.Extensions["position"] = syntaxErr.Pos
		case errors.As(err, &inputErr):
			gqlErr.Message = inputErr.Error()
			setCode(gqlErr, CodeBadUserInput, "argument", inputErr.Arg)
		case errors.As(err, &forbiddenErr):
			gqlErr.Message = forbiddenErr.Error()
			setCode(gqlErr, CodeForbidden)
		case errors.As(err, &authErr):
			gqlErr.Message = authErr.Error()
			setCode(gqlErr, authErr.Code)
		case errors.As(err, &idErr):
			gqlErr.Message = idErr.Error()
			setCode(gqlErr, CodeBadUserInput)
		case errors.As(err, &commitErr):
			// The write was refused or lost at COMMIT: nothing is stored.
			var ce *db.ConstraintError
			if errors.As(err, &ce) {
				gqlErr.Message = "the change was refused when it was committed (" + ce.Error() + "); nothing was stored"
				setCode(gqlErr, CodeBadUserInput)
				break
			}
			log.WarnContext(ctx, "commit failed", "request_id", RequestID(ctx), "path", gqlErr.Path.String(), "err", err)
			gqlErr.Message = "the change could not be committed; nothing was stored and it is safe to retry"
			setCode(gqlErr, CodeUnavailable, "requestId", RequestID(ctx))
		case errors.Is(err, db.ErrUnavailable):
			// PostgreSQL is down or restarting: nothing was read or written
			// by this field, and a read may be retried as it is.
			log.WarnContext(ctx, "database unavailable", "request_id", RequestID(ctx), "path", gqlErr.Path.String(), "err", err)
			gqlErr.Message = "the database is unavailable; try again shortly"
			setCode(gqlErr, CodeUnavailable, "requestId", RequestID(ctx))
			if op := graphql.GetOperationContext(ctx); op != nil && op.Operation != nil && op.Operation.Operation == ast.Query {
				unavailableFrom(ctx)
			}
		case errors.Is(err, db.ErrThrottled):
			gqlErr.Message = "too many requests of this tenant are using the database at once; try again shortly"
			setCode(gqlErr, CodeThrottled)
			if op := graphql.GetOperationContext(ctx); op != nil && op.Operation != nil && op.Operation.Operation == ast.Query {
				throttledFrom(ctx)
			}
		case errors.Is(err, db.ErrTimeout):
			gqlErr.Message = "the request took too long and was stopped"
			setCode(gqlErr, CodeTimeout)
		case eventsError(err) != nil:
			e := eventsError(err)
			gqlErr.Message = e.Error()
			setCode(gqlErr, eventsErrorCodes[e])
		case errors.Is(err, db.ErrNotFound):
			gqlErr.Message = "not found"
			setCode(gqlErr, CodeNotFound)
		case stopped(err) || ctx.Err() != nil:
			// Whatever failed once the request's context ended failed
			// because it ended.
			if clientGone(ctx) {
				// Nobody reads this answer; the access log says the client left.
				gqlErr.Message = "the request was cancelled"
				setCode(gqlErr, CodeCancelled)
				break
			}
			// The request's deadline, or PostgreSQL's statement_timeout or
			// lock_timeout.
			if n := noteFrom(ctx); n == nil || n.timeoutLogged.CompareAndSwap(false, true) {
				log.WarnContext(ctx, "request timed out", "request_id", RequestID(ctx), "path", gqlErr.Path.String(), "err", err)
			}
			gqlErr.Message = "the request took too long and was stopped"
			setCode(gqlErr, CodeTimeout)
		case badValue(err):
			// A value that should have been refused before it reached the
			// database: the client's mistake, and a check to add.
			log.WarnContext(ctx, "value refused by the database", "request_id", RequestID(ctx), "path", gqlErr.Path.String(), "err", err)
			gqlErr.Message = "a value of the request is out of range or not valid for the database"
			setCode(gqlErr, CodeBadUserInput)
		default:
			log.ErrorContext(ctx, "resolver error", "request_id", RequestID(ctx), "path", gqlErr.Path.String(), "err", err)
			gqlErr.Message = "internal error"
			setCode(gqlErr, CodeInternal, "requestId", RequestID(ctx))
		}
		return gqlErr
	}
}

// stopped reports whether err says that a statement or the request was
// stopped before it finished: the request's context ended, or PostgreSQL
// cancelled the statement (57014: on that context's cancellation, or at its
// statement_timeout) or gave up waiting for a lock (55P03: lock_timeout).
func stopped(err error) bool {
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) {
		return true
	}
	var pqErr *pq.Error
	return errors.As(err, &pqErr) && (pqErr.Code == "57014" || pqErr.Code == "55P03")
}

// badValue reports whether PostgreSQL refused a value the request carried:
// a number out of range, a date or time out of range or malformed, text
// that is not valid UTF-8 or holds a NUL, or text too long for its column.
func badValue(err error) bool {
	var pqErr *pq.Error
	if !errors.As(err, &pqErr) {
		return false
	}
	switch pqErr.Code {
	case "22001", "22003", "22007", "22008", "22021", "22P02", "22P05":
		return true
	}
	return false
}

func setCode(e *gqlerror.Error, code string, kv ...string) {
	if e.Extensions == nil {
		e.Extensions = map[string]any{}
	}
	e.Extensions["code"] = code
	for i := 0; i+1 < len(kv); i += 2 {
		e.Extensions[kv[i]] = kv[i+1]
	}
}

// recoverPanic turns a resolver panic into an internal error and logs the
// panic with the request ID; the client never sees a stack.
func recoverPanic(log *slog.Logger) graphql.RecoverFunc {
	return func(ctx context.Context, p any) error {
		log.ErrorContext(ctx, "panic in resolver", "request_id", RequestID(ctx), "panic", fmt.Sprint(p))
		err := gqlerror.Errorf("internal error")
		setCode(err, CodeInternal, "requestId", RequestID(ctx))
		return err
	}
}

// persistedQueries is gqlgen's automatic persisted queries, with a code on
// the errors it leaves without one (a hash that does not match the query,
// an unknown version, malformed extension data): the client's mistakes,
// which the presenter would otherwise call INTERNAL.
type persistedQueries struct {
	extension.AutomaticPersistedQuery
}

func (p persistedQueries) MutateOperationParameters(ctx context.Context, params *graphql.RawParams) *gqlerror.Error {
	err := p.AutomaticPersistedQuery.MutateOperationParameters(ctx, params)
	if err != nil && err.Extensions["code"] == nil {
		errcode.Set(err, CodeBadRequest)
	}
	return err
}

// logRefusals writes one WARN line for an operation refused before it ran
// (a parse or validation error, a limit, a bad value): the answer then has
// errors and no data. The line quotes the start of the document.
func logRefusals(log *slog.Logger) graphql.ResponseMiddleware {
	return func(ctx context.Context, next graphql.ResponseHandler) *graphql.Response {
		resp := next(ctx)
		if resp == nil || resp.Data != nil || len(resp.Errors) == 0 {
			return resp
		}
		code, _ := resp.Errors[0].Extensions["code"].(string)
		if code == "PERSISTED_QUERY_NOT_FOUND" {
			return resp // the first step of the persisted-query protocol
		}
		var query string
		if n := noteFrom(ctx); n != nil {
			query = n.query
		}
		msg := resp.Errors[0].Message
		if len(msg) > 2*guard.MaxExcerpt {
			msg = strings.ToValidUTF8(msg[:2*guard.MaxExcerpt], "") + "…"
		}
		log.LogAttrs(ctx, slog.LevelWarn, "operation refused",
			slog.String("request_id", RequestID(ctx)),
			slog.String("code", code),
			slog.String("error", msg),
			slog.Int("errors", len(resp.Errors)),
			slog.String("query", guard.Excerpt([]byte(query))),
		)
		return resp
	}
}
