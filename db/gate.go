package db

import (
	"context"
	"errors"
	"sync"
	"time"
)

// ErrThrottled means a request waited for one of its tenant's connection
// slots (see Gates) until its deadline and got none: its tenant already
// had as much database work running as it may.
var ErrThrottled = errors.New("too much concurrent database work for this tenant")

// throttledError is ErrThrottled with the context error that ended the wait.
type throttledError struct{ cause error }

func (e *throttledError) Error() string { return ErrThrottled.Error() + ": " + e.cause.Error() }

func (e *throttledError) Unwrap() []error { return []error{ErrThrottled, e.cause} }

// Gates bounds the pool connections one key (a tenant) may hold at once, so
// that one tenant's requests cannot take every connection of the pool and
// make the others wait. A request over the bound waits for a slot of its
// own key; it never takes another key's.
type Gates struct {
	max   int
	mu    sync.Mutex
	slots map[string]*gateSlots
}

type gateSlots struct {
	ch    chan struct{}
	users int // requests holding or waiting for a slot; 0: forgotten
}

// NewGates bounds every key to max concurrent connections; max < 1 means
// no bound (nil).
func NewGates(max int) *Gates {
	if max < 1 {
		return nil
	}
	return &Gates{max: max, slots: map[string]*gateSlots{}}
}

// Max is the bound per key.
func (g *Gates) Max() int { return g.max }

func (g *Gates) join(key string) *gateSlots {
	g.mu.Lock()
	defer g.mu.Unlock()
	s := g.slots[key]
	if s == nil {
		s = &gateSlots{ch: make(chan struct{}, g.max)}
		g.slots[key] = s
	}
	s.users++
	return s
}

func (g *Gates) leave(key string, s *gateSlots) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if s.users--; s.users == 0 {
		delete(g.slots, key)
	}
}

// gate is one request's pass through Gates: the request's transactions
// share one slot, so that a request that opens a second transaction while
// it holds one (a read during a write) never waits for itself.
type gate struct {
	gates *Gates
	key   string

	mu    sync.Mutex
	held  int
	slots *gateSlots
}

type gateKey struct{}

// WithGate makes the transactions opened with ctx (and contexts derived
// from it) take a slot of key in gates first. A nil gates means no bound.
func WithGate(ctx context.Context, gates *Gates, key string) context.Context {
	if gates == nil {
		return ctx
	}
	return context.WithValue(ctx, gateKey{}, &gate{gates: gates, key: key})
}

// enter takes the request's slot, waiting for one to be free (at most half
// the time ctx has left); the returned function gives it back.
func enter(ctx context.Context) (func(), error) {
	g, _ := ctx.Value(gateKey{}).(*gate)
	if g == nil {
		return func() {}, nil
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.held == 0 {
		// A request waits for a slot at most half the time it has left,
		// so that it still has time for its work once it gets one; then
		// it is refused as throttled, which a client may retry later.
		wctx := ctx
		if d, ok := ctx.Deadline(); ok {
			var cancel context.CancelFunc
			wctx, cancel = context.WithDeadline(ctx, time.Now().Add(time.Until(d)/2))
			defer cancel()
		}
		s := g.gates.join(g.key)
		select {
		case s.ch <- struct{}{}:
		default:
			select {
			case s.ch <- struct{}{}:
			case <-wctx.Done():
				g.gates.leave(g.key, s)
				return nil, &throttledError{cause: wctx.Err()}
			}
		}
		g.slots = s
	}
	g.held++
	var once sync.Once
	return func() { once.Do(g.exit) }, nil
}

func (g *gate) exit() {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.held--; g.held == 0 {
		<-g.slots.ch
		g.gates.leave(g.key, g.slots)
		g.slots = nil
	}
}
