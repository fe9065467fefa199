package api

import (
	"context"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"
)

// deferNeedsStreaming refuses an operation that uses @defer when the
// client did not ask for a multipart/mixed answer: deferred parts can only
// be delivered as increments, and a plain JSON answer would leave them
// null. The client is told how to ask (as Apollo Server does).
type deferNeedsStreaming struct{}

var _ interface {
	graphql.HandlerExtension
	graphql.OperationContextMutator
} = deferNeedsStreaming{}

func (deferNeedsStreaming) ExtensionName() string { return "DeferNeedsStreaming" }

func (deferNeedsStreaming) Validate(graphql.ExecutableSchema) error { return nil }

func (deferNeedsStreaming) MutateOperationContext(_ context.Context, op *graphql.OperationContext) *gqlerror.Error {
	if op.Operation == nil || !usesDefer(op.Operation.SelectionSet, map[string]bool{}) {
		return nil
	}
	if strings.Contains(op.Headers.Get("Accept"), "multipart/mixed") {
		return nil
	}
	err := gqlerror.Errorf("the operation uses @defer, which is delivered in parts: send it by POST with the header Accept: multipart/mixed;deferSpec=20220824, application/json")
	err.Extensions = map[string]any{"code": CodeBadRequest}
	return err
}

// usesDefer reports whether a selection set has a fragment with @defer;
// seen stops at fragments already walked.
func usesDefer(set ast.SelectionSet, seen map[string]bool) bool {
	for _, sel := range set {
		switch s := sel.(type) {
		case *ast.Field:
			if usesDefer(s.SelectionSet, seen) {
				return true
			}
		case *ast.InlineFragment:
			if s.Directives.ForName("defer") != nil || usesDefer(s.SelectionSet, seen) {
				return true
			}
		case *ast.FragmentSpread:
			if s.Directives.ForName("defer") != nil {
				return true
			}
			if s.Definition != nil && !seen[s.Name] {
				seen[s.Name] = true
				if usesDefer(s.Definition.SelectionSet, seen) {
					return true
				}
			}
		}
	}
	return false
}

// streamed reports whether the client asked for an incremental
// (multipart/mixed) answer, which the MultipartMixed transport serves.
func streamed(r *http.Request) bool {
	return r.Method == http.MethodPost && strings.Contains(r.Header.Get("Accept"), "multipart/mixed")
}

// idleDeadline cancels a streamed request that produced no part for d, and
// keeps the connection's write deadline d (plus a grace for the last
// write) past the latest part: a healthy stream is never cut short, a
// stalled one still ends.
type idleDeadline struct {
	d      time.Duration
	rc     *http.ResponseController
	mu     sync.Mutex
	timer  *time.Timer
	cancel context.CancelCauseFunc
}

type idleKey struct{}

func withIdleDeadline(ctx context.Context, w http.ResponseWriter, d time.Duration) (context.Context, context.CancelFunc) {
	ctx, cancel := context.WithCancelCause(ctx)
	id := &idleDeadline{d: d, rc: http.NewResponseController(w), cancel: cancel}
	id.timer = time.AfterFunc(d, func() { cancel(context.DeadlineExceeded) })
	id.extendWrite()
	return context.WithValue(ctx, idleKey{}, id), func() {
		id.timer.Stop()
		cancel(context.Canceled)
	}
}

// touchStream records that the request in ctx produced a part; it does
// nothing for a request that is not streamed.
func touchStream(ctx context.Context) {
	id, ok := ctx.Value(idleKey{}).(*idleDeadline)
	if !ok {
		return
	}
	id.mu.Lock()
	defer id.mu.Unlock()
	id.timer.Reset(id.d)
	id.extendWrite()
}

func (id *idleDeadline) extendWrite() {
	// Not every ResponseWriter supports deadlines (tests' recorders);
	// then the server's own WriteTimeout is all there is.
	_ = id.rc.SetWriteDeadline(time.Now().Add(id.d + 5*time.Second))
}
