package graph

import (
	"context"
	"errors"
	"slices"

	"github.com/99designs/gqlgen/graphql"

	"catalogue/db"
	"catalogue/db/model"
	"catalogue/graph/loader"
	"catalogue/internal/auth"
)

// MaxNodes bounds the IDs of one nodes() call.
const MaxNodes = 500

// nodeRead reads the rows of one Node type by ID.
type nodeRead interface {
	// prime reads the rows with the given IDs in one statement and
	// caches them.
	prime(ctx context.Context, ids []string)
	// load starts loading a row and returns a function that waits for it.
	load(ctx context.Context, id string) func() (model.Node, error)
}

type rowsOf[T any, PT interface {
	*T
	model.Node
}] struct{ n *db.Node[T] }

func (r rowsOf[T, PT]) prime(ctx context.Context, ids []string) {
	loader.PrimeNodes(ctx, r.n, nodeCols(ctx, r.n), ids)
}

// load keeps a missing row a nil interface rather than a typed nil pointer.
func (r rowsOf[T, PT]) load(ctx context.Context, id string) func() (model.Node, error) {
	wait := loader.NodeThunk(ctx, r.n, nodeCols(ctx, r.n), id)
	return func() (model.Node, error) {
		row, err := wait()
		if err != nil || row == nil {
			return nil, err
		}
		return PT(row), nil
	}
}

// nodeReads are the readers of the types a global ID may name.
var nodeReads = map[model.NodeType]nodeRead{
	model.TypeTenant:      rowsOf[model.Tenant, *model.Tenant]{db.TenantNode},
	model.TypeBrand:       rowsOf[model.Brand, *model.Brand]{db.BrandNode},
	model.TypeGroup:       rowsOf[model.Group, *model.Group]{db.GroupNode},
	model.TypeUser:        rowsOf[model.User, *model.User]{db.UserNode},
	model.TypeMembership:  rowsOf[model.Membership, *model.Membership]{db.MembershipNode},
	model.TypeBrandAccess: rowsOf[model.BrandAccess, *model.BrandAccess]{db.BrandAccessNode},
	model.TypeArtist:      rowsOf[model.Artist, *model.Artist]{db.ArtistNode},
	model.TypeLabel:       rowsOf[model.Label, *model.Label]{db.LabelNode},
	model.TypeRelease:     rowsOf[model.Release, *model.Release]{db.ReleaseNode},
	model.TypeTrack:       rowsOf[model.Track, *model.Track]{db.TrackNode},
	model.TypeAPIKey:      rowsOf[model.APIKey, *model.APIKey]{db.APIKeyNode},

	model.TypeAuditLogEntry: rowsOf[model.AuditLogEntry, *model.AuditLogEntry]{db.AuditLogNode},
}

// guarded are the node types only callers with a permission may read by
// global ID; to anyone else their IDs name nothing.
var guarded = map[model.NodeType]auth.Permission{
	model.TypeAPIKey:        auth.PermManageAPIKeys,
	model.TypeAuditLogEntry: auth.PermReadAudit,
}

// readerOf is the reader of a global ID's type for the caller; API keys
// exist only for those who manage them, audit entries for their readers.
func readerOf(ctx context.Context, typ model.NodeType) (nodeRead, bool) {
	if perm, ok := guarded[typ]; ok {
		if p, err := auth.From(ctx); err != nil || !p.Can(perm) {
			return nil, false
		}
	}
	r, ok := nodeReads[typ]
	return r, ok
}

// loadNode starts loading the object behind a global ID and returns a
// function that waits for it. A well-formed ID of nothing visible is null.
func loadNode(ctx context.Context, gid string) func() (model.Node, error) {
	typ, id, err := model.DecodeID(gid)
	if err != nil {
		return func() (model.Node, error) { return nil, err }
	}
	r, ok := readerOf(ctx, typ)
	if !ok {
		return func() (model.Node, error) { return nil, nil } // as if it did not exist
	}
	return r.load(ctx, id)
}

// soleRootField reports whether the current field is the only one the
// operation selects at its root. Its loads then have nothing to be batched
// with: waiting for more keys (LoaderWait) would only delay them.
func soleRootField(ctx context.Context) bool {
	oc := graphql.GetOperationContext(ctx)
	if oc == nil || oc.Operation == nil {
		return false
	}
	return len(graphql.CollectFields(oc, oc.Operation.SelectionSet, []string{"Query"})) == 1
}

// loadNodes resolves many IDs in the order given. The IDs of each type are
// read in one statement before any is awaited: one statement per type,
// whatever the number of IDs. A malformed ID fails the whole call: it is a
// client bug, not a missing object.
func loadNodes(ctx context.Context, ids []string) ([]model.Node, error) {
	if len(ids) > MaxNodes {
		return nil, &model.InputError{Arg: "ids", Msg: "at most 500 IDs per call"}
	}
	byType := map[model.NodeType][]string{}
	var types []model.NodeType
	for _, gid := range ids {
		typ, id, err := model.DecodeID(gid)
		if err != nil {
			return nil, err
		}
		if _, ok := byType[typ]; !ok {
			types = append(types, typ)
		}
		byType[typ] = append(byType[typ], id)
	}
	for _, typ := range types {
		if r, ok := readerOf(ctx, typ); ok {
			r.prime(ctx, byType[typ])
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

// loadEntities resolves the representations of one entity type that a
// router sends to _entities (Apollo Federation), as nodes() resolves IDs:
// their key is the global ID, the rows are read in one statement within the
// request's scope, whatever the number of representations, and an object of
// another tenant answers null exactly like one that does not exist. A
// malformed ID, or the ID of another type, fails only its own
// representation (BAD_USER_INPUT at _entities[i]); the others resolve.
func loadEntities[T, R any](ctx context.Context, typ model.NodeType, reps []*R, key func(*R) *string) ([]*T, error) {
	out := make([]*T, len(reps))
	ids := make([]string, len(reps)) // "" where errs has the reason
	errs := make([]error, len(reps))
	failed := false
	for i, rep := range reps {
		var gid string
		if k := key(rep); k != nil {
			gid = *k
		}
		if ids[i], errs[i] = model.DecodeIDOf(typ, gid); errs[i] != nil {
			failed = true
		}
	}
	if r, ok := readerOf(ctx, typ); ok {
		r.prime(ctx, slices.DeleteFunc(slices.Clone(ids), func(id string) bool { return id == "" }))
		thunks := make([]func() (model.Node, error), len(reps))
		for i, id := range ids {
			if id != "" {
				thunks[i] = r.load(ctx, id)
			}
		}
		for i, wait := range thunks {
			if wait == nil {
				continue
			}
			n, err := wait()
			if err != nil {
				return nil, err // the read failed, for every representation
			}
			out[i], _ = any(n).(*T)
		}
	}
	if failed {
		return out, graphql.BatchErrorList(errs)
	}
	return out, nil
}

// tenantBySlug returns nil for an unknown slug, as a lookup by key should,
// and plans what the query selects below the tenant.
func tenantBySlug(ctx context.Context, slug string) (*model.Tenant, error) {
	l := loader.For(ctx)
	t, err := db.TenantBySlug(ctx, l.Session(), l.Scope(), slug)
	if errors.Is(err, db.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return planRoot(ctx, tenantPlan, t), nil
}
