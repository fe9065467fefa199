package graph

import (
	"context"

	"catalogue/db"
	"catalogue/db/model"
	"catalogue/internal/auth"
)

// named is a kind of row that is just a name in a tenant: brands and labels.
type named[T any] struct {
	typ              model.NodeType
	node             *db.Node[T]
	created, updated string // audit actions; created also keys idempotency
	create           func(ctx context.Context, tx *db.Tx, tenantID, name string, actor *string) (string, error)
	update           func(ctx context.Context, tx *db.Tx, id string, expectedVersion *int, actor, name *string) error
	tenantOf         func(ctx context.Context, tx *db.Tx, id string) (string, error)
}

var (
	brandKind = named[model.Brand]{
		typ: model.TypeBrand, node: db.BrandNode, created: "brand.create", updated: "brand.update",
		create: db.CreateBrand, update: db.UpdateBrand, tenantOf: db.BrandTenantID,
	}
	labelKind = named[model.Label]{
		typ: model.TypeLabel, node: db.LabelNode, created: "label.create", updated: "label.update",
		create: db.CreateLabel, update: db.UpdateLabel, tenantOf: db.LabelTenantID,
	}
)

// createNamed creates a brand or label: a row with a name in the caller's
// tenant. input is the mutation's whole input, which an idempotency key
// remembers.
func createNamed[T any](ctx context.Context, store *db.Store, kind named[T], input any, name string, key *string) (*T, userErrs, error) {
	var out *T
	errs, err := mutate(ctx, store, auth.PermManageCatalog, func(w *writer) error {
		tenantID, err := w.tenant()
		if err != nil {
			return err
		}
		v, msg, code := text(200)(name)
		if msg != "" {
			return w.reject(code, msg, "input", "name")
		}
		id, err := w.idempotent(tenantID, key, kind.created, input, func() (string, error) {
			id, err := kind.create(ctx, w.s, tenantID, v.(string), w.actor())
			if err != nil {
				return "", w.dbError(err, "input")
			}
			return id, w.audit(tenantID, kind.created, id, map[string]any{"name": v})
		})
		if err != nil {
			return err
		}
		out, err = load(w, kind.node, id)
		return err
	})
	return out, errs, err
}

// updateNamed renames a brand or label.
func updateNamed[T any](ctx context.Context, store *db.Store, kind named[T], gid string, expected *int, name *string) (*T, userErrs, error) {
	var out *T
	errs, err := mutate(ctx, store, auth.PermManageCatalog, func(w *writer) error {
		id, ok := w.decodeRef(kind.typ, gid, "input", "id")
		if !ok {
			return w.check()
		}
		var newName *string
		if name != nil {
			n, msg, code := text(200)(*name)
			if msg != "" {
				return w.reject(code, msg, "input", "name")
			}
			s := n.(string)
			newName = &s
		}
		if err := w.dbError(kind.update(ctx, w.s, id, expected, w.actor(), newName), "input"); err != nil {
			return err
		}
		tenant, err := kind.tenantOf(ctx, w.s, id)
		if err != nil {
			return err
		}
		if err := w.audit(tenant, kind.updated, id, map[string]any{"name": newName}); err != nil {
			return err
		}
		out, err = load(w, kind.node, id)
		return err
	})
	return out, errs, err
}

// artistRules are the writable fields of an artist and who may set them.
// brandId and userId are references, read by artistRefs.
var artistRules = []rule{
	{"name", "name", text(300), true, writers},
	{"brandId", "brand_id", nil, false, brandWriters},
	{"userId", "user_id", nil, false, writers},
	{"genre", "genre", text(100), false, writers},
	{"country", "country", checkCountry, false, writers},
	{"biography", "biography", text(5000), false, writers},
	{"imageUrl", "image_url", checkURL, false, writers},
	{"spotifyId", "spotify_id", text(200), false, writers},
	{"appleMusicId", "apple_music_id", text(200), false, writers},
	{"soundCloudId", "soundcloud_id", text(200), false, writers},
}

// artistRefs reads brandId and userId of artist fields: the brand must be
// the tenant's, the user a member of it.
func (w *writer) artistRefs(fields map[string]any, tenantID string, v db.Values) {
	if raw, present := fields["brandId"]; present {
		if val, ok := normalized(raw); !ok {
			v["brand_id"] = nil
		} else if id, ok := w.decodeRef(model.TypeBrand, val.(string), "input", "fields", "brandId"); ok {
			if b, err := load(w, db.BrandNode, id); err != nil || b == nil || b.TenantID != tenantID {
				w.errs.add(model.UserErrorCodeNotFound, "no brand with this ID in the artist's tenant", "input", "fields", "brandId")
			} else {
				v["brand_id"] = id
			}
		}
	}
	if raw, present := fields["userId"]; present {
		if val, ok := normalized(raw); !ok {
			v["user_id"] = nil
		} else if id, ok := w.decodeRef(model.TypeUser, val.(string), "input", "fields", "userId"); ok {
			if n, err := db.MembershipCount(w.ctx, w.s, tenantID, id); err != nil || n == 0 {
				w.errs.add(model.UserErrorCodeNotFound, "the user is not a member of the artist's tenant", "input", "fields", "userId")
			} else {
				v["user_id"] = id
			}
		}
	}
}

func brandOf(v db.Values) *string {
	if b, ok := v["brand_id"].(string); ok {
		return &b
	}
	return nil
}

func createArtist(ctx context.Context, store *db.Store, in model.CreateArtistInput) (*model.Artist, userErrs, error) {
	var out *model.Artist
	errs, err := mutate(ctx, store, "", func(w *writer) error {
		tenantID, err := w.tenant()
		if err != nil {
			return err
		}
		v := db.Values(patch(in.Fields, artistRules, []string{"input", "fields"}, &w.errs))
		if _, ok := v["name"]; !ok && len(w.errs) == 0 {
			w.errs.add(model.UserErrorCodeRequired, "an artist needs a name", "input", "fields", "name")
		}
		w.artistRefs(in.Fields, tenantID, v)
		if err := w.check(); err != nil {
			return err
		}
		if err := w.requireBrand(brandOf(v)); err != nil {
			return err
		}
		id, err := w.idempotent(tenantID, in.IdempotencyKey, "createArtist", in, func() (string, error) {
			id, err := db.CreateArtist(ctx, w.s, tenantID, w.actor(), v)
			if err != nil {
				return "", w.dbError(err, "input", "fields")
			}
			return id, w.audit(tenantID, "artist.create", id, map[string]any{"name": v["name"]})
		})
		if err != nil {
			return err
		}
		out, err = load(w, db.ArtistNode, id)
		return err
	})
	return out, errs, err
}

func updateArtist(ctx context.Context, store *db.Store, in model.UpdateArtistInput) (*model.Artist, userErrs, error) {
	var out *model.Artist
	errs, err := mutate(ctx, store, "", func(w *writer) error {
		id, ok := w.decodeRef(model.TypeArtist, in.ID, "input", "id")
		if !ok {
			return w.check()
		}
		a, err := exists(w, db.ArtistNode, id, "input", "id")
		if err != nil || a == nil {
			return w.check()
		}
		if err := w.requireBrand(a.BrandID); err != nil {
			return err
		}
		v := db.Values(patch(in.Fields, artistRules, []string{"input", "fields"}, &w.errs))
		w.artistRefs(in.Fields, a.TenantID, v)
		if err := w.check(); err != nil {
			return err
		}
		// The old brand was checked above; a brand change needs the new
		// one too, and no brand (nil) needs catalogue:manage.
		if len(setBy(in.Fields, artistRules, brandWriters)) > 0 {
			if err := w.requireBrand(brandOf(v)); err != nil {
				return err
			}
		}
		if err := w.dbError(db.UpdateArtist(ctx, w.s, id, in.ExpectedVersion, w.actor(), v), "input"); err != nil {
			return err
		}
		if err := w.audit(a.TenantID, "artist.update", id, map[string]any{"fields": keys(v)}); err != nil {
			return err
		}
		out, err = load(w, db.ArtistNode, id)
		return err
	})
	return out, errs, err
}
