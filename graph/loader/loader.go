// Package loader batches the reads of one GraphQL request. A fresh Loaders
// is made for every request by Middleware: dataloader v7 runs a batch with
// the context of its first caller, so a loader shared between requests
// would mix their tenant scopes.
package loader

import (
	"context"
	"net/http"
	"sync"
	"time"

	"github.com/graph-gophers/dataloader/v7"

	"catalogue/db"
)

// Options tune batching.
type Options struct {
	// Wait is how long a loader collects keys before it runs a batch.
	Wait time.Duration
	// MaxBatch caps the keys of one statement.
	MaxBatch int
}

// Loaders holds the request's loaders, created on first use, and the read
// session they read through.
type Loaders struct {
	store *db.Store
	scope db.Scope
	opts  Options

	mu      sync.Mutex
	hint    db.ReadHint // where the next read session may run
	session *db.Session
	pages   map[*db.ListSpec]any
	aggs    map[*db.ListSpec]*dataloader.Loader[aggKey, []db.Bucket]
	nodes   map[any]any
	memo    map[any]memoEntry
	once    map[any]*sync.Once
}

type memoEntry struct {
	v   any
	err error
}

// New makes the loaders of one request, reading from store within scope.
func New(store *db.Store, scope db.Scope, opts Options) *Loaders {
	if opts.Wait <= 0 {
		opts.Wait = 2 * time.Millisecond
	}
	if opts.MaxBatch <= 0 {
		opts.MaxBatch = 1000
	}
	l := &Loaders{store: store, scope: scope, opts: opts}
	l.reset()
	return l
}

// reset starts a new read session and forgets every cached read and plan;
// the caller holds mu or has the only reference.
func (l *Loaders) reset() {
	l.session = l.store.Session(l.scope, l.hint)
	l.pages = map[*db.ListSpec]any{}
	l.aggs = map[*db.ListSpec]*dataloader.Loader[aggKey, []db.Bucket]{}
	l.nodes = map[any]any{}
	l.memo = map[any]memoEntry{}
	l.once = map[any]*sync.Once{}
}

// Scope is the tenant scope the loaders read within.
func (l *Loaders) Scope() db.Scope { return l.scope }

// Session is the request's current read session; top-level reads that
// need no batching go straight through it.
func (l *Loaders) Session() *db.Session {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.session
}

// Renew ends the current read session, giving its connection back, and
// forgets every cached read, so that what is read next sees the database
// as it is now. A mutation calls it before it writes: its payload, and the
// next mutation's, then read what was committed, on the primary.
func (l *Loaders) Renew(ctx context.Context) {
	l.ReadFrom(ctx, db.FromPrimary)
}

// ReadFrom says where the request's reads may run from now on (the
// loaders start on the primary; a query operation may let a standby serve
// it). Like Renew, it ends the current read session and forgets what it
// read, so call it before the first read or to start over.
func (l *Loaders) ReadFrom(ctx context.Context, hint db.ReadHint) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.session.End(ctx)
	l.hint = hint
	l.reset()
}

// StandbyLost reports whether the standby serving the current read session
// failed under it: the operation's reads would succeed on the primary.
func (l *Loaders) StandbyLost() bool { return l.Session().StandbyLost() }

// End ends the current read session. The response is complete: no more
// reads will come.
func (l *Loaders) End(ctx context.Context) {
	l.Session().End(ctx)
}

// Memo returns the value make computed for key earlier in the request, or
// computes and keeps it: work that depends only on the query, such as a
// list field's compiled filter, is done once however many parents ask.
// Callers that race on a key all get the value kept first, so a value can
// serve as part of a cache key.
func (l *Loaders) Memo(key any, make func() (any, error)) (any, error) {
	l.mu.Lock()
	e, ok := l.memo[key]
	l.mu.Unlock()
	if ok {
		return e.v, e.err
	}
	v, err := make()
	l.mu.Lock()
	defer l.mu.Unlock()
	if e, ok := l.memo[key]; ok {
		return e.v, e.err
	}
	l.memo[key] = memoEntry{v, err}
	return v, err
}

// Once runs f the first time it is called with key in the request; later
// callers with the same key wait until that call has returned.
func (l *Loaders) Once(key any, f func()) {
	l.mu.Lock()
	o, ok := l.once[key]
	if !ok {
		o = new(sync.Once)
		l.once[key] = o
	}
	l.mu.Unlock()
	o.Do(f)
}

type ctxKey struct{}

// With returns ctx carrying l.
func With(ctx context.Context, l *Loaders) context.Context {
	return context.WithValue(ctx, ctxKey{}, l)
}

// For returns the loaders of the request. Middleware always installs them;
// a missing set is a wiring bug, so it panics (and the panic is recovered
// into an internal error).
func For(ctx context.Context) *Loaders {
	l, ok := ctx.Value(ctxKey{}).(*Loaders)
	if !ok {
		panic("loader: no loaders in context; is loader.Middleware installed?")
	}
	return l
}

// Middleware gives every request new loaders reading within the scope that
// scopeOf derives from the request. The executor ends their read session as
// soon as the response is complete; ending it here as well makes sure a
// request that stopped early (an error, a client gone) gives it back.
func Middleware(store *db.Store, opts Options, scopeOf func(*http.Request) db.Scope, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		l := New(store, scopeOf(r), opts)
		defer l.End(r.Context())
		next.ServeHTTP(w, r.WithContext(With(r.Context(), l)))
	})
}

func options[K comparable, V any](o Options) []dataloader.Option[K, V] {
	return []dataloader.Option[K, V]{
		dataloader.WithWait[K, V](o.Wait),
		dataloader.WithBatchCapacity[K, V](o.MaxBatch),
		// Each request has its own loaders, so caching for the request's
		// life is both safe and what dedupes repeated keys.
	}
}
