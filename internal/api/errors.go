package api

import (
	"context"
	"errors"
	"fmt"
	"log/slog"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"catalogue/db"
	"catalogue/db/model"
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
)

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
		case errors.Is(err, context.DeadlineExceeded):
			gqlErr.Message = "the request took too long and was stopped"
			setCode(gqlErr, CodeTimeout)
		case errors.Is(err, context.Canceled):
			gqlErr.Message = "the request was cancelled"
			setCode(gqlErr, CodeInternal)
		default:
			log.ErrorContext(ctx, "resolver error", "request_id", RequestID(ctx), "path", gqlErr.Path.String(), "err", err)
			gqlErr.Message = "internal error"
			setCode(gqlErr, CodeInternal, "requestId", RequestID(ctx))
		}
		return gqlErr
	}
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
