package graph

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"

	"catalogue/db"
	"catalogue/db/model"
	"catalogue/graph/loader"
	"catalogue/internal/auth"
)

// Subscriptions. A subscription registers the caller's tenant scope and a
// filter with the process's db.Events, which hears every committed change
// from PostgreSQL and hands on those of the caller's tenants. Each event
// becomes a payload of IDs; the transport side (internal/api) gives every
// event fresh loaders with the subscriber's scope, so the objects of the
// payload are read when it is delivered, in a read session of its own.

// ErrNoSubscriptions is the answer of a server built without db.Events.
var ErrNoSubscriptions = errors.New("this server does not serve subscriptions")

// StreamEnd carries why a subscription's stream ended before its client
// stopped it, from the resolver to the transport side, which sends it as
// the stream's last response: the channel of events can only close.
type StreamEnd struct {
	mu  sync.Mutex
	err error
}

type streamEndKey struct{}

// WithStreamEnd returns ctx carrying a new StreamEnd for one operation.
func WithStreamEnd(ctx context.Context) (context.Context, *StreamEnd) {
	s := &StreamEnd{}
	return context.WithValue(ctx, streamEndKey{}, s), s
}

// StreamEndFrom returns the StreamEnd of the operation in ctx, or nil.
func StreamEndFrom(ctx context.Context) *StreamEnd {
	s, _ := ctx.Value(streamEndKey{}).(*StreamEnd)
	return s
}

// Take returns why the stream ended early, once: nil while it runs, after
// its client stopped it, and on later calls.
func (s *StreamEnd) Take() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	err := s.err
	s.err = nil
	return err
}

func endStream(ctx context.Context, err error) {
	if s := StreamEndFrom(ctx); s != nil {
		s.mu.Lock()
		s.err = err
		s.mu.Unlock()
	}
}

// subscribe starts a subscription of the caller to the events of its
// tenant scope that match, each turned into a payload by payload (nil to
// pass an event over). The channel closes when ctx ends or when the
// subscription is ended by the server (a slow client, a lost database
// connection, shutdown), which is then recorded for the transport.
func subscribe[T any](ctx context.Context, events *db.Events, match func(db.Event) bool, payload func(db.Event) *T) (<-chan *T, error) {
	p, err := require(ctx, auth.PermRead)
	if err != nil {
		return nil, err
	}
	if events == nil {
		return nil, ErrNoSubscriptions
	}
	sub, err := events.Subscribe(p.Scope(), match)
	if err != nil {
		return nil, err
	}
	// Unbuffered: the subscriber's bounded buffer is sub's, so a client
	// that reads too slowly is ended there rather than piling up here.
	out := make(chan *T)
	go func() {
		defer close(out)
		defer sub.Close()
		for {
			select {
			case <-ctx.Done():
				return
			case ev, ok := <-sub.Events():
				if !ok {
					endStream(ctx, sub.Err())
					return
				}
				v := payload(ev)
				if v == nil {
					continue
				}
				select {
				case out <- v:
				case <-ctx.Done():
					return
				}
			}
		}
	}()
	return out, nil
}

// eventFilter is what a subscription's arguments keep, besides the
// subscriber's scope that db.Events applies to every event.
type eventFilter struct {
	entities map[string]bool // nil: any
	id       string          // "": any
	tenants  map[string]bool // nil: any tenant of the scope
}

func (f eventFilter) match(ev db.Event) bool {
	return (f.entities == nil || f.entities[ev.Entity]) &&
		(f.id == "" || f.id == ev.ID) &&
		(f.tenants == nil || f.tenants[ev.TenantID])
}

// tenantTree resolves a subscription's tenant argument to the tenant and
// its subsidiaries; the tenant must lie in the caller's scope, and one
// outside it is answered as if it did not exist.
func tenantTree(ctx context.Context, store *db.Store, slug *string) (map[string]bool, error) {
	if slug == nil {
		return nil, nil
	}
	p, err := auth.From(ctx)
	if err != nil {
		return nil, err
	}
	t, err := db.TenantAuthBySlug(ctx, store, *slug)
	if errors.Is(err, db.ErrNotFound) || (err == nil && !p.Scope().Contains(t.ID)) {
		return nil, &model.InputError{Arg: "tenant", Msg: fmt.Sprintf("no tenant %q in your tenant tree", *slug)}
	}
	if err != nil {
		return nil, err
	}
	tree := make(map[string]bool, len(t.Tree))
	for _, id := range t.Tree {
		tree[id] = true
	}
	return tree, nil
}

// releaseStatusChanges subscribes to the status changes of releases.
func releaseStatusChanges(ctx context.Context, store *db.Store, events *db.Events, releaseID, tenant *string) (<-chan *model.ReleaseStatusChange, error) {
	f := eventFilter{entities: map[string]bool{db.EntityRelease: true}}
	if releaseID != nil {
		id, err := model.DecodeIDOf(model.TypeRelease, *releaseID)
		if err != nil {
			return nil, err
		}
		f.id = id
	}
	var err error
	if f.tenants, err = tenantTree(ctx, store, tenant); err != nil {
		return nil, err
	}
	match := func(ev db.Event) bool { return ev.Op == db.OpUpdate && ev.NewStatus != "" && f.match(ev) }
	return subscribe(ctx, events, match, func(ev db.Event) *model.ReleaseStatusChange {
		from, to := model.ReleaseStatus(ev.OldStatus), model.ReleaseStatus(ev.NewStatus)
		if !from.IsValid() || !to.IsValid() {
			return nil // a status this build does not know
		}
		return &model.ReleaseStatusChange{RowID: ev.ID, From: from, To: to}
	})
}

// membershipChanges subscribes to new, changed and deleted memberships.
func membershipChanges(ctx context.Context, store *db.Store, events *db.Events, tenant *string) (<-chan *model.MembershipChange, error) {
	f := eventFilter{entities: map[string]bool{db.EntityMembership: true}}
	var err error
	if f.tenants, err = tenantTree(ctx, store, tenant); err != nil {
		return nil, err
	}
	return subscribe(ctx, events, f.match, func(ev db.Event) *model.MembershipChange {
		kind, ok := changeKinds[ev.Op]
		if !ok {
			return nil
		}
		return &model.MembershipChange{RowID: ev.ID, Kind: kind}
	})
}

// catalogueTypes are the catalogue types by the entity names of events.
var catalogueTypes = map[string]model.CatalogueType{
	db.EntityArtist: model.CatalogueTypeArtist, db.EntityLabel: model.CatalogueTypeLabel,
	db.EntityRelease: model.CatalogueTypeRelease, db.EntityTrack: model.CatalogueTypeTrack,
}

// changeKinds are the change kinds by the operations of events.
var changeKinds = map[string]model.ChangeKind{
	db.OpInsert: model.ChangeKindCreated, db.OpUpdate: model.ChangeKindUpdated, db.OpDelete: model.ChangeKindDeleted,
}

// catalogueChanges subscribes to the changes of artists, labels, releases
// and tracks, of the given types (all when none).
func catalogueChanges(ctx context.Context, store *db.Store, events *db.Events, tenant *string, types []model.CatalogueType) (<-chan *model.CatalogueChange, error) {
	f := eventFilter{entities: map[string]bool{}}
	for entity, typ := range catalogueTypes {
		if len(types) == 0 || slices.Contains(types, typ) {
			f.entities[entity] = true
		}
	}
	var err error
	if f.tenants, err = tenantTree(ctx, store, tenant); err != nil {
		return nil, err
	}
	return subscribe(ctx, events, f.match, func(ev db.Event) *model.CatalogueChange {
		kind, ok := changeKinds[ev.Op]
		if !ok {
			return nil
		}
		return &model.CatalogueChange{RowID: ev.ID, Kind: kind, Type: catalogueTypes[ev.Entity]}
	})
}

// eventRow reads the row of an event when the event is delivered, through
// the event's own loaders (see internal/api), and plans what the
// subscription selects below it; nil when it no longer exists.
func eventRow[T any](ctx context.Context, n *db.Node[T], o *object[T], id string) (*T, error) {
	row, err := loader.Node(ctx, n, nodeCols(ctx, n), id)
	if err != nil {
		return nil, err
	}
	return planRoot(ctx, o, row), nil
}

// changedNodes read the object of a catalogue change by its type.
var changedNodes = map[model.CatalogueType]func(ctx context.Context, id string) (model.Node, error){
	model.CatalogueTypeArtist:  changedNode(db.ArtistNode, artistPlan),
	model.CatalogueTypeLabel:   changedNode(db.LabelNode, labelPlan),
	model.CatalogueTypeRelease: changedNode(db.ReleaseNode, releasePlan),
	model.CatalogueTypeTrack:   changedNode(db.TrackNode, trackPlan),
}

func changedNode[T any, PT interface {
	*T
	model.Node
}](n *db.Node[T], o *object[T]) func(context.Context, string) (model.Node, error) {
	return func(ctx context.Context, id string) (model.Node, error) {
		row, err := eventRow(ctx, n, o, id)
		if err != nil || row == nil {
			return nil, err // a missing row is a nil interface, not a typed nil
		}
		return PT(row), nil
	}
}

// changedObject is the object of a catalogue change; a deleted one is not
// read.
func changedObject(ctx context.Context, c *model.CatalogueChange) (model.Node, error) {
	read, ok := changedNodes[c.Type]
	if !ok || c.Kind == model.ChangeKindDeleted {
		return nil, nil
	}
	return read(ctx, c.RowID)
}
