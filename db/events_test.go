package db

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"
)

// The change events behind subscriptions: the triggers of migration 0006
// announce what requests commit, and Events hands each event to the
// subscribers whose scope holds its tenant, without ever waiting for one.

// eventsDB is a fresh copy of the database with a listening Events on it.
func eventsDB(t *testing.T, cfg EventsConfig) (*Store, *Events, string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	x, url, err := testEnv.NewDatabase(ctx)
	if err != nil {
		t.Fatal(err)
	}
	events, err := ListenEvents(ctx, url, cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(events.Close)
	return NewStore(x), events, url
}

// next waits a bounded time for the subscription's next event.
func next(t *testing.T, s *EventSubscription) Event {
	t.Helper()
	select {
	case ev, ok := <-s.Events():
		if !ok {
			t.Fatalf("the subscription ended: %v", s.Err())
		}
		return ev
	case <-time.After(5 * time.Second):
		t.Fatal("no event within 5s")
	}
	return Event{}
}

// ended waits a bounded time for the subscription to end, reading what is
// still buffered, and returns why it ended.
func ended(t *testing.T, s *EventSubscription) (read int, err error) {
	t.Helper()
	deadline := time.After(5 * time.Second)
	for {
		select {
		case _, ok := <-s.Events():
			if !ok {
				return read, s.Err()
			}
			read++
		case <-deadline:
			t.Fatal("the subscription did not end within 5s")
		}
	}
}

// notify announces an event as the triggers would.
func notify(t *testing.T, x *sqlx.DB, ev Event) {
	t.Helper()
	payload := fmt.Sprintf(`{"tenant_id":%q,"entity":%q,"op":%q,"id":%q}`, ev.TenantID, ev.Entity, ev.Op, ev.ID)
	if _, err := x.ExecContext(t.Context(), `SELECT pg_notify($1, $2)`, EventChannel, payload); err != nil {
		t.Fatal(err)
	}
}

func twoTenants(t *testing.T, s *Store) (a, b string) {
	t.Helper()
	var ids []string
	if err := s.x.SelectContext(t.Context(), &ids, `SELECT id::text FROM tenants ORDER BY slug LIMIT 2`); err != nil || len(ids) < 2 {
		t.Fatalf("two tenants: %v %v", ids, err)
	}
	return ids[0], ids[1]
}

// TestEventsReachOnlyTheirTenantsScope: a subscriber hears the events of
// the tenants of its scope and its filter, and nothing else. Events arrive
// in the order they were committed, so a subscriber whose first event is
// the second one sent never received the first.
func TestEventsReachOnlyTheirTenantsScope(t *testing.T) {
	s, events, _ := eventsDB(t, EventsConfig{})
	a, b := twoTenants(t, s)
	ofA, err := events.Subscribe(TenantScope(a), nil)
	if err != nil {
		t.Fatal(err)
	}
	ofB, _ := events.Subscribe(TenantScope(b), nil)
	all, _ := events.Subscribe(AllTenants(), nil)
	labelsOfB, _ := events.Subscribe(TenantScope(a, b), func(ev Event) bool { return ev.Entity == EntityLabel })

	first := Event{TenantID: a, Entity: EntityRelease, Op: OpUpdate, ID: "00000000-0000-0000-0000-00000000000a"}
	second := Event{TenantID: b, Entity: EntityLabel, Op: OpInsert, ID: "00000000-0000-0000-0000-00000000000b"}
	notify(t, s.x, first)
	notify(t, s.x, second)

	for name, c := range map[string]struct {
		sub  *EventSubscription
		want []Event
	}{
		"tenant a":   {ofA, []Event{first}},
		"tenant b":   {ofB, []Event{second}},
		"all":        {all, []Event{first, second}},
		"labels a+b": {labelsOfB, []Event{second}},
	} {
		for _, want := range c.want {
			if got := next(t, c.sub); got != want {
				t.Errorf("%s: got %+v, want %+v", name, got, want)
			}
		}
	}
	// The subscriber of a saw only the first: one more event of a comes
	// next, not the event of b.
	third := Event{TenantID: a, Entity: EntityArtist, Op: OpDelete, ID: "00000000-0000-0000-0000-00000000000c"}
	notify(t, s.x, third)
	if got := next(t, ofA); got != third {
		t.Errorf("tenant a after b's event: got %+v, want %+v", got, third)
	}
	ofA.Close()
	ofA.Close() // twice is fine
	if n := events.Subscribers(); n != 3 {
		t.Errorf("%d subscribers after one closed, want 3", n)
	}
}

// TestEventsEndASlowSubscriberWithoutWaiting: a subscriber that does not
// read is ended once its buffer is full, with ErrSubscriberTooSlow, and
// the others receive every event meanwhile.
func TestEventsEndASlowSubscriberWithoutWaiting(t *testing.T) {
	s, events, _ := eventsDB(t, EventsConfig{Buffer: 2})
	a, _ := twoTenants(t, s)
	slow, _ := events.Subscribe(TenantScope(a), nil)
	fast, _ := events.Subscribe(TenantScope(a), nil)
	const sent = 5
	for i := range sent {
		notify(t, s.x, Event{TenantID: a, Entity: EntityTrack, Op: OpInsert, ID: fmt.Sprintf("00000000-0000-0000-0000-%012d", i)})
		if got := next(t, fast); got.ID != fmt.Sprintf("00000000-0000-0000-0000-%012d", i) {
			t.Fatalf("fast subscriber: event %d is %+v", i, got)
		}
	}
	read, err := ended(t, slow)
	if !errors.Is(err, ErrSubscriberTooSlow) {
		t.Errorf("the slow subscriber ended with %v, want ErrSubscriberTooSlow", err)
	}
	if read != 2 {
		t.Errorf("the slow subscriber still had %d events to read, want its buffer of 2", read)
	}
	if n := events.Subscribers(); n != 1 {
		t.Errorf("%d subscribers, want 1", n)
	}
}

// TestEventsLostConnectionEndsSubscriptions: when the listening connection
// is lost, events committed meanwhile are missed, so every subscription
// ends with ErrEventsMissed; once the listener is back, new subscriptions
// hear new events.
func TestEventsLostConnectionEndsSubscriptions(t *testing.T) {
	s, events, _ := eventsDB(t, EventsConfig{MinReconnect: 20 * time.Millisecond, MaxReconnect: 100 * time.Millisecond})
	a, _ := twoTenants(t, s)
	sub, _ := events.Subscribe(TenantScope(a), nil)
	var killed int
	if err := s.x.GetContext(t.Context(), &killed, `SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity
		WHERE application_name = 'catalogue-events' AND datname = current_database()`); err != nil || killed != 1 {
		t.Fatalf("terminated %d listening connections (%v), want 1", killed, err)
	}
	if _, err := ended(t, sub); !errors.Is(err, ErrEventsMissed) {
		t.Fatalf("the subscription ended with %v, want ErrEventsMissed", err)
	}
	var again *EventSubscription
	for deadline := time.Now().Add(10 * time.Second); again == nil; {
		var err error
		switch again, err = events.Subscribe(TenantScope(a), nil); {
		case err == nil:
		case !errors.Is(err, ErrEventsUnavailable):
			t.Fatalf("subscribe while reconnecting: %v, want ErrEventsUnavailable", err)
		case time.Now().After(deadline):
			t.Fatal("the listener did not reconnect within 10s")
		default:
			time.Sleep(20 * time.Millisecond)
		}
	}
	ev := Event{TenantID: a, Entity: EntityLabel, Op: OpInsert, ID: "00000000-0000-0000-0000-0000000000aa"}
	notify(t, s.x, ev)
	if got := next(t, again); got != ev {
		t.Errorf("after reconnecting: got %+v, want %+v", got, ev)
	}
	events.Close()
	if _, err := events.Subscribe(TenantScope(a), nil); !errors.Is(err, ErrEventsClosed) {
		t.Errorf("subscribe after Close: %v, want ErrEventsClosed", err)
	}
	if _, err := ended(t, again); !errors.Is(err, ErrEventsClosed) {
		t.Errorf("Close ended the subscription with %v, want ErrEventsClosed", err)
	}
}

// TestEventTriggersAnnounceCommittedRequestWrites: the triggers announce
// what request transactions (those of db/session.go) commit, with the old
// and new status of a release; a rolled-back write and writes outside a
// request (migrations, seeds) announce nothing.
func TestEventTriggersAnnounceCommittedRequestWrites(t *testing.T) {
	s, events, _ := eventsDB(t, EventsConfig{})
	ctx := t.Context()
	var rel struct {
		ID     string `db:"id"`
		Tenant string `db:"tenant_id"`
		Status string `db:"status"`
	}
	if err := s.x.GetContext(ctx, &rel, `SELECT id::text, tenant_id::text, status FROM releases WHERE status = 'DRAFT' ORDER BY id LIMIT 1`); err != nil {
		t.Fatal(err)
	}
	sub, _ := events.Subscribe(AllTenants(), nil)
	write := func(fail bool, q string, args ...any) {
		t.Helper()
		err := s.InTx(ctx, TenantScope(rel.Tenant), func(tx *Tx) error {
			if err := execute(ctx, tx, q, args...); err != nil {
				return err
			}
			if fail {
				return errors.New("roll back")
			}
			return nil
		})
		if err != nil && !fail {
			t.Fatal(err)
		}
	}
	// Neither of these is announced...
	if _, err := s.x.ExecContext(ctx, `UPDATE releases SET genre = 'Owner' WHERE id = $1`, rel.ID); err != nil {
		t.Fatal(err)
	}
	write(true, `UPDATE releases SET status = 'REJECTED' WHERE id = ?`, rel.ID)
	// ...so the first event is this one's.
	write(false, `UPDATE releases SET status = 'SUBMITTED' WHERE id = ?`, rel.ID)
	want := Event{TenantID: rel.Tenant, Entity: EntityRelease, Op: OpUpdate, ID: rel.ID, OldStatus: "DRAFT", NewStatus: "SUBMITTED"}
	if got := next(t, sub); got != want {
		t.Errorf("status change: got %+v, want %+v", got, want)
	}
	write(false, `UPDATE releases SET genre = 'Request' WHERE id = ?`, rel.ID)
	want = Event{TenantID: rel.Tenant, Entity: EntityRelease, Op: OpUpdate, ID: rel.ID}
	if got := next(t, sub); got != want {
		t.Errorf("other change: got %+v, want %+v", got, want)
	}
	var label string
	err := s.InTx(ctx, TenantScope(rel.Tenant), func(tx *Tx) error {
		return getRow(ctx, tx, &label, `INSERT INTO labels (tenant_id, name) VALUES (?, 'Event label') RETURNING id::text`, rel.Tenant)
	})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := next(t, sub), (Event{TenantID: rel.Tenant, Entity: EntityLabel, Op: OpInsert, ID: label}); got != want {
		t.Errorf("insert: got %+v, want %+v", got, want)
	}
	write(false, `DELETE FROM labels WHERE id = ?`, label)
	if got, want := next(t, sub), (Event{TenantID: rel.Tenant, Entity: EntityLabel, Op: OpDelete, ID: label}); got != want {
		t.Errorf("delete: got %+v, want %+v", got, want)
	}
}
