package graph

import (
	"context"
	"errors"

	"catalogue/db"
	"catalogue/graph/loader"
	"catalogue/graph/model"
	"catalogue/internal/auth"
)

// MaxNodes bounds the IDs of one nodes() call.
const MaxNodes = 500

// loadNode starts loading the object behind a global ID and returns a
// function that waits for it. A well-formed ID of nothing visible is null.
func loadNode(ctx context.Context, gid string) func() (model.Node, error) {
	typ, id, err := model.DecodeID(gid)
	if err != nil {
		return func() (model.Node, error) { return nil, err }
	}
	switch typ {
	case model.TypeTenant:
		return thunk(loader.NodeThunk(ctx, db.TenantNode, id))
	case model.TypeBrand:
		return thunk(loader.NodeThunk(ctx, db.BrandNode, id))
	case model.TypeGroup:
		return thunk(loader.NodeThunk(ctx, db.GroupNode, id))
	case model.TypeUser:
		return thunk(loader.NodeThunk(ctx, db.UserNode, id))
	case model.TypeMembership:
		return thunk(loader.NodeThunk(ctx, db.MembershipNode, id))
	case model.TypeBrandAccess:
		return thunk(loader.NodeThunk(ctx, db.BrandAccessNode, id))
	case model.TypeArtist:
		return thunk(loader.NodeThunk(ctx, db.ArtistNode, id))
	case model.TypeLabel:
		return thunk(loader.NodeThunk(ctx, db.LabelNode, id))
	case model.TypeRelease:
		return thunk(loader.NodeThunk(ctx, db.ReleaseNode, id))
	case model.TypeTrack:
		return thunk(loader.NodeThunk(ctx, db.TrackNode, id))
	case model.TypeAPIKey:
		if p, err := auth.From(ctx); err != nil || !p.Can(auth.PermManageAPIKeys) {
			return func() (model.Node, error) { return nil, nil } // as if it did not exist
		}
		return thunk(loader.NodeThunk(ctx, db.APIKeyNode, id))
	}
	return func() (model.Node, error) { return nil, &model.InvalidIDError{Value: gid, Reason: "unknown type"} }
}

// thunk adapts a typed load to a Node, keeping a missing row a nil
// interface rather than a typed nil pointer.
func thunk[T any, PT interface {
	*T
	model.Node
}](load func() (*T, error)) func() (model.Node, error) {
	return func() (model.Node, error) {
		row, err := load()
		if err != nil || row == nil {
			return nil, err
		}
		return PT(row), nil
	}
}

// loadNodes resolves many IDs in the order given; every lookup is started
// before any is awaited so that each type costs one statement. A malformed
// ID fails the whole call: it is a client bug, not a missing object.
func loadNodes(ctx context.Context, ids []string) ([]model.Node, error) {
	if len(ids) > MaxNodes {
		return nil, &model.InputError{Arg: "ids", Msg: "at most 500 IDs per call"}
	}
	for _, gid := range ids {
		if _, _, err := model.DecodeID(gid); err != nil {
			return nil, err
		}
	}
	thunks := make([]func() (model.Node, error), len(ids))
	for i, gid := range ids {
		thunks[i] = loadNode(ctx, gid)
	}
	out := make([]model.Node, len(ids))
	for i, t := range thunks {
		n, err := t()
		if err != nil {
			return nil, err
		}
		out[i] = n
	}
	return out, nil
}

// tenantBySlug returns nil for an unknown slug, as a lookup by key should.
func tenantBySlug(ctx context.Context, slug string) (*model.Tenant, error) {
	l := loader.For(ctx)
	t, err := db.TenantBySlug(ctx, l.Session(), l.Scope(), slug)
	if errors.Is(err, db.ErrNotFound) {
		return nil, nil
	}
	return t, err
}
