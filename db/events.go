package db

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	neturl "net/url"
	"strings"
	"sync"
	"time"

	"github.com/lib/pq"
)

// EventChannel is the notification channel that the triggers of migration
// 0006 announce committed changes on.
const EventChannel = "catalogue_events"

// The entities and operations the triggers name.
const (
	EntityArtist     = "artist"
	EntityLabel      = "label"
	EntityRelease    = "release"
	EntityTrack      = "track"
	EntityMembership = "membership"

	OpInsert = "INSERT"
	OpUpdate = "UPDATE"
	OpDelete = "DELETE"
)

// Event is one committed change as its trigger announced it: which row of
// which tenant, never the row's content. OldStatus and NewStatus are set
// when an update changed a release's or membership's status.
type Event struct {
	TenantID  string `json:"tenant_id"`
	Entity    string `json:"entity"`
	Op        string `json:"op"`
	ID        string `json:"id"`
	OldStatus string `json:"old_status,omitempty"`
	NewStatus string `json:"new_status,omitempty"`
}

// Why a subscription ends before its subscriber closes it. Every one of
// them means that the subscriber may have missed events.
var (
	// ErrSubscriberTooSlow: events arrived faster than the subscriber read
	// them and its buffer was full.
	ErrSubscriberTooSlow = errors.New("events arrived faster than this subscription read them, so it was ended; reload what you show and subscribe again")
	// ErrEventsMissed: the listening connection to PostgreSQL was lost;
	// what was committed until it was back was not heard.
	ErrEventsMissed = errors.New("the server lost its connection to the database's change events for a moment, so events may have been missed; reload what you show and subscribe again")
	// ErrEventsClosed: the server is shutting down.
	ErrEventsClosed = errors.New("the server is shutting down; subscribe again")
	// ErrEventsUnavailable: no subscription can start while the listening
	// connection is down.
	ErrEventsUnavailable = errors.New("the server is reconnecting to the database's change events; subscribe again in a moment")
)

// EventsConfig tunes Events; zero values take the defaults.
type EventsConfig struct {
	// Buffer is how many events a subscriber may fall behind before it is
	// ended with ErrSubscriberTooSlow (default 64).
	Buffer int
	// MinReconnect and MaxReconnect bound the wait between attempts to
	// reconnect the listening connection (default 1s and 30s).
	MinReconnect, MaxReconnect time.Duration
	// PingInterval is how often the listening connection is checked, so
	// that a connection that died silently is noticed (default 30s).
	PingInterval time.Duration
	Log          *slog.Logger
}

// Events is a server process's one listening connection to PostgreSQL and
// the fan-out of what it hears to the subscribers of that process. The
// fan-out never waits for a subscriber: one whose buffer is full is ended.
type Events struct {
	listener *pq.Listener
	log      *slog.Logger
	buffer   int
	ping     time.Duration

	mu     sync.Mutex
	subs   map[*EventSubscription]struct{}
	live   bool // the listening connection is up
	closed bool

	done      chan struct{}
	closeOnce sync.Once
}

// ListenEvents opens the listening connection to the database at dsn and
// returns once it listens, so that every change committed afterwards is
// heard. ctx bounds the wait for the first connection.
func ListenEvents(ctx context.Context, dsn string, cfg EventsConfig) (*Events, error) {
	if cfg.Buffer <= 0 {
		cfg.Buffer = 64
	}
	if cfg.MinReconnect <= 0 {
		cfg.MinReconnect = time.Second
	}
	if cfg.MaxReconnect < cfg.MinReconnect {
		cfg.MaxReconnect = max(30*time.Second, cfg.MinReconnect)
	}
	if cfg.PingInterval <= 0 {
		cfg.PingInterval = 30 * time.Second
	}
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	e := &Events{
		log: cfg.Log, buffer: cfg.Buffer, ping: cfg.PingInterval,
		subs: map[*EventSubscription]struct{}{}, done: make(chan struct{}),
	}
	e.listener = pq.NewListener(withApplicationName(dsn, "catalogue-events"), cfg.MinReconnect, cfg.MaxReconnect, e.connectionEvent)
	listening := make(chan error, 1)
	go func() { listening <- e.listener.Listen(EventChannel) }()
	select {
	case err := <-listening:
		if err != nil {
			_ = e.listener.Close()
			return nil, fmt.Errorf("listen for change events: %w", err)
		}
	case <-ctx.Done():
		_ = e.listener.Close()
		return nil, fmt.Errorf("listen for change events: %w", ctx.Err())
	}
	e.mu.Lock()
	e.live = true
	e.mu.Unlock()
	go e.run()
	return e, nil
}

// withApplicationName names the listening connection, so that it is easy
// to find among the server's connections in pg_stat_activity.
func withApplicationName(dsn, name string) string {
	if strings.Contains(dsn, "application_name") {
		return dsn
	}
	if u, err := neturl.Parse(dsn); err == nil && (u.Scheme == "postgres" || u.Scheme == "postgresql") {
		q := u.Query()
		q.Set("application_name", name)
		u.RawQuery = q.Encode()
		return u.String()
	}
	return dsn + " application_name=" + name
}

// connectionEvent is called by the listener when its connection changes.
// A lost connection ends every subscription: what was committed while it
// was down was not heard, and saying nothing would let subscribers believe
// they are up to date.
func (e *Events) connectionEvent(ev pq.ListenerEventType, err error) {
	switch ev {
	case pq.ListenerEventConnected:
		e.log.Debug("change events: listening", "channel", EventChannel)
	case pq.ListenerEventDisconnected:
		e.mu.Lock()
		n := len(e.subs)
		e.live = false
		e.endAll(ErrEventsMissed)
		e.mu.Unlock()
		e.log.Warn("change events: lost the listening connection; events committed until it is back are missed, so its subscriptions were ended",
			"subscriptions", n, "err", err)
	case pq.ListenerEventReconnected:
		e.mu.Lock()
		e.live = true
		e.mu.Unlock()
		e.log.Info("change events: listening again")
	case pq.ListenerEventConnectionAttemptFailed:
		e.log.Warn("change events: cannot reach the database", "err", err)
	}
}

// run fans out what the listener hears until Close.
func (e *Events) run() {
	ping := time.NewTicker(e.ping)
	defer ping.Stop()
	for {
		select {
		case <-e.done:
			return
		case n := <-e.listener.Notify:
			if n == nil {
				continue // reconnected: connectionEvent has dealt with it
			}
			var ev Event
			if err := json.Unmarshal([]byte(n.Extra), &ev); err != nil || ev.TenantID == "" || ev.ID == "" {
				e.log.Warn("change events: malformed notification", "payload", n.Extra, "err", err)
				continue
			}
			e.publish(ev)
		case <-ping.C:
			// Not here: the listener waits for this loop to read its
			// notifications while a ping waits for its answer.
			go func() { _ = e.listener.Ping() }()
		}
	}
}

// publish hands ev to every subscriber whose scope holds its tenant and
// whose filter wants it, without ever waiting: a subscriber with a full
// buffer is ended instead.
func (e *Events) publish(ev Event) {
	e.mu.Lock()
	defer e.mu.Unlock()
	for s := range e.subs {
		if !s.scope.Contains(ev.TenantID) || (s.match != nil && !s.match(ev)) {
			continue
		}
		select {
		case s.c <- ev:
		default:
			e.end(s, ErrSubscriberTooSlow)
		}
	}
}

// Subscribe starts receiving the events of the tenants in scope for which
// match (nil for all) returns true. match runs in the fan-out, so it must
// be quick and must not call Events.
func (e *Events) Subscribe(scope Scope, match func(Event) bool) (*EventSubscription, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	switch {
	case e.closed:
		return nil, ErrEventsClosed
	case !e.live:
		return nil, ErrEventsUnavailable
	}
	s := &EventSubscription{events: e, scope: scope, match: match, c: make(chan Event, e.buffer)}
	e.subs[s] = struct{}{}
	return s, nil
}

// Subscribers is the number of subscriptions running.
func (e *Events) Subscribers() int {
	e.mu.Lock()
	defer e.mu.Unlock()
	return len(e.subs)
}

// Close ends every subscription with ErrEventsClosed and closes the
// listening connection.
func (e *Events) Close() {
	e.closeOnce.Do(func() {
		e.mu.Lock()
		e.closed = true
		e.endAll(ErrEventsClosed)
		e.mu.Unlock()
		close(e.done)
		_ = e.listener.Close()
	})
}

// end removes s and closes its channel; the caller holds mu.
func (e *Events) end(s *EventSubscription, err error) {
	if _, ok := e.subs[s]; !ok {
		return
	}
	delete(e.subs, s)
	s.err = err
	close(s.c)
}

// endAll ends every subscription; the caller holds mu.
func (e *Events) endAll(err error) {
	for s := range e.subs {
		e.end(s, err)
	}
}

// EventSubscription receives the events of one subscriber.
type EventSubscription struct {
	events *Events
	scope  Scope
	match  func(Event) bool
	c      chan Event
	err    error // why it ended, guarded by events.mu
}

// Events delivers the subscriber's events in commit order; it is closed
// when the subscription ends.
func (s *EventSubscription) Events() <-chan Event { return s.c }

// Err says why the subscription ended: nil when its subscriber closed it.
func (s *EventSubscription) Err() error {
	s.events.mu.Lock()
	defer s.events.mu.Unlock()
	return s.err
}

// Close ends the subscription; it is safe to call more than once.
func (s *EventSubscription) Close() {
	s.events.mu.Lock()
	defer s.events.mu.Unlock()
	s.events.end(s, nil)
}
