package graph

import (
	"context"
	"fmt"
	"slices"
	"strconv"

	"catalogue/db"
	"catalogue/db/model"
	"catalogue/graph/loader"
	"catalogue/internal/auth"
)

// MaxTracks bounds the track list of one release.
const MaxTracks = 200

// saveRelease creates a release or updates a DRAFT or REJECTED one with
// its ordered artists and complete track list, all or nothing.
func saveRelease(ctx context.Context, store *db.Store, in model.SaveReleaseInput) (*model.Release, userErrs, error) {
	var out *model.Release
	errs, err := mutate(ctx, store, "", func(w *writer) error {
		var existing *model.Release
		tenantID := ""
		if in.ID != nil {
			id, ok := w.decodeRef(model.TypeRelease, *in.ID, "input", "id")
			if !ok {
				return w.check()
			}
			r, err := exists(w, db.ReleaseNode, id, "input", "id")
			if err != nil || r == nil {
				return err
			}
			if err := w.requireBrand(r.BrandID); err != nil {
				return err
			}
			if r.Status != model.ReleaseStatusDraft && r.Status != model.ReleaseStatusRejected {
				return w.reject(model.UserErrorCodeIllegalTransition,
					fmt.Sprintf("a release can be edited only while DRAFT or REJECTED; it is %s", r.Status), "input", "id")
			}
			existing, tenantID = r, r.TenantID
		} else {
			t, err := w.tenant()
			if err != nil {
				return err
			}
			tenantID = t
		}
		v := w.releaseValues(in, tenantID)
		artists := w.artistIDs(in.ArtistIds, tenantID, "input", "artistIds")
		if len(in.ArtistIds) == 0 {
			w.errs.add(model.UserErrorCodeRequired, "a release needs at least one primary artist", "input", "artistIds")
		}
		tracks := w.trackInputs(in.Tracks, tenantID, existing)
		if err := w.check(); err != nil {
			return err
		}
		if err := w.requireBrand(brandOf(v)); err != nil {
			return err
		}
		write := func() (string, error) {
			id, err := w.writeRelease(existing, tenantID, in.ExpectedVersion, v)
			if err != nil {
				return "", err
			}
			if err := db.ReplaceReleaseCredits(w.ctx, w.s, id, artists); err != nil {
				return "", err
			}
			if err := w.writeTracks(id, tenantID, existing != nil, artists, tracks); err != nil {
				return "", err
			}
			action := "release.create"
			if existing != nil {
				action = "release.update"
			}
			return id, w.audit(tenantID, action, id, map[string]any{"title": v["title"], "tracks": len(tracks)})
		}
		var id string
		var err error
		if existing == nil {
			id, err = w.idempotent(tenantID, in.IdempotencyKey, "saveRelease", in, write)
		} else {
			id, err = write()
		}
		if err != nil {
			return err
		}
		out, err = load(w, db.ReleaseNode, id)
		return err
	})
	return out, errs, err
}

// releaseValues checks the release's own fields.
func (w *writer) releaseValues(in model.SaveReleaseInput, tenantID string) db.Values {
	v := db.Values{"type": string(in.Type)}
	if t, msg, code := text(500)(in.Title); msg != "" {
		w.errs.add(code, msg, "input", "title")
	} else {
		v["title"] = t
	}
	opt := func(field, col string, val *string, c check) {
		if val == nil {
			v[col] = nil
			return
		}
		if x, msg, code := c(*val); msg != "" {
			w.errs.add(code, msg, "input", field)
		} else {
			v[col] = x
		}
	}
	opt("upc", "upc", in.Upc, checkUPC)
	opt("catalogNumber", "catalog_number", in.CatalogNumber, text(100))
	opt("genre", "genre", in.Genre, text(100))
	opt("artworkUrl", "artwork_url", in.ArtworkURL, checkURL)
	v["release_date"] = nil
	if in.ReleaseDate != nil {
		v["release_date"] = in.ReleaseDate.Format("2006-01-02")
	}
	ref := func(field, col string, typ model.NodeType, gid *string, tenantOf func(id string) (string, bool)) {
		v[col] = nil
		if gid == nil {
			return
		}
		id, ok := w.decodeRef(typ, *gid, "input", field)
		if !ok {
			return
		}
		if t, found := tenantOf(id); !found || t != tenantID {
			w.errs.add(model.UserErrorCodeNotFound, fmt.Sprintf("no %s with this ID in the release's tenant", typ), "input", field)
			return
		}
		v[col] = id
	}
	ref("labelId", "label_id", model.TypeLabel, in.LabelID, func(id string) (string, bool) {
		l, err := load(w, db.LabelNode, id)
		if err != nil || l == nil {
			return "", false
		}
		return l.TenantID, true
	})
	ref("brandId", "brand_id", model.TypeBrand, in.BrandID, func(id string) (string, bool) {
		b, err := load(w, db.BrandNode, id)
		if err != nil || b == nil {
			return "", false
		}
		return b.TenantID, true
	})
	return v
}

// artistIDs decodes a credit list: distinct artists of the tenant.
func (w *writer) artistIDs(gids []string, tenantID string, path ...string) []string {
	var ids []string
	index := map[string]int{} // artist → its position in the input, for error paths
	for i, gid := range gids {
		p := append(append([]string(nil), path...), strconv.Itoa(i))
		id, ok := w.decodeRef(model.TypeArtist, gid, p...)
		if !ok {
			continue
		}
		if slices.Contains(ids, id) {
			w.errs.add(model.UserErrorCodeInvalid, "the artist is listed twice", p...)
			continue
		}
		ids = append(ids, id)
		index[id] = i
	}
	if len(ids) == 0 {
		return ids
	}
	found, err := db.ArtistIDsOfTenant(w.ctx, w.s, tenantID, ids)
	if err != nil {
		w.errs.add(model.UserErrorCodeNotFound, "the artists could not be checked", path...)
		return nil
	}
	for _, id := range ids {
		if !slices.Contains(found, id) {
			w.errs.add(model.UserErrorCodeNotFound, "no artist with this ID in the release's tenant", append(append([]string(nil), path...), strconv.Itoa(index[id]))...)
		}
	}
	return ids
}

// trackInput is a checked track of the new track list.
type trackInput struct {
	id       string // existing track, or ""
	values   db.Values
	primary  []string // nil: the release's artists
	featured []string
}

func (w *writer) trackInputs(in []*model.SaveTrackInput, tenantID string, existing *model.Release) []trackInput {
	if len(in) > MaxTracks {
		w.errs.add(model.UserErrorCodeInvalid, fmt.Sprintf("at most %d tracks", MaxTracks), "input", "tracks")
		return nil
	}
	var own []string
	if existing != nil {
		var err error
		if own, err = db.TrackIDsOfRelease(w.ctx, w.s, existing.ID); err != nil {
			w.errs.add(model.UserErrorCodeNotFound, "the tracks could not be read", "input", "tracks")
		}
	}
	out := make([]trackInput, 0, len(in))
	seen := map[string]bool{}
	for i, t := range in {
		p := func(f string) []string { return []string{"input", "tracks", strconv.Itoa(i), f} }
		ti := trackInput{values: db.Values{"position": i + 1}}
		if t.ID != nil {
			if id, ok := w.decodeRef(model.TypeTrack, *t.ID, p("id")...); ok {
				if !slices.Contains(own, id) || seen[id] {
					w.errs.add(model.UserErrorCodeNotFound, "no such track on this release (or listed twice)", p("id")...)
				}
				seen[id], ti.id = true, id
			}
		}
		if title, msg, code := text(500)(t.Title); msg != "" {
			w.errs.add(code, msg, p("title")...)
		} else {
			ti.values["title"] = title
		}
		ti.values["isrc"] = nil
		if t.Isrc != nil {
			if isrc, msg, code := checkISRC(*t.Isrc); msg != "" {
				w.errs.add(code, msg, p("isrc")...)
			} else {
				ti.values["isrc"] = isrc
			}
		}
		ti.values["duration_seconds"] = nil
		if t.DurationSeconds != nil {
			if d := *t.DurationSeconds; d < 1 || d > 24*3600 {
				w.errs.add(model.UserErrorCodeInvalid, "must be between 1 and 86400 seconds", p("durationSeconds")...)
			} else {
				ti.values["duration_seconds"] = d
			}
		}
		ti.values["explicit"] = t.Explicit != nil && *t.Explicit
		if t.ArtistIds != nil {
			ti.primary = w.artistIDs(t.ArtistIds, tenantID, p("artistIds")...)
		}
		ti.featured = w.artistIDs(t.FeaturedArtistIds, tenantID, p("featuredArtistIds")...)
		out = append(out, ti)
	}
	return out
}

// writeRelease inserts or updates the release row.
func (w *writer) writeRelease(existing *model.Release, tenantID string, expected *int, v db.Values) (string, error) {
	if existing == nil {
		v["status"] = "DRAFT"
		id, err := db.CreateRelease(w.ctx, w.s, tenantID, w.actor(), v)
		return id, w.dbError(err, "input")
	}
	// Editing a rejected release makes it a draft again.
	v["status"], v["rejection_reason"] = "DRAFT", nil
	return existing.ID, w.dbError(db.UpdateRelease(w.ctx, w.s, existing.ID, expected, w.actor(), v), "input")
}

// writeTracks makes the release's tracks exactly the given list.
func (w *writer) writeTracks(releaseID, tenantID string, update bool, releaseArtists []string, tracks []trackInput) error {
	if update {
		keep := []string{}
		for _, t := range tracks {
			if t.id != "" {
				keep = append(keep, t.id)
			}
		}
		// Positions move in one go; uniqueness is checked at commit.
		if err := db.PruneReleaseTracks(w.ctx, w.s, releaseID, keep); err != nil {
			return err
		}
	}
	for _, t := range tracks {
		id := t.id
		if id == "" {
			var err error
			if id, err = db.CreateTrack(w.ctx, w.s, tenantID, releaseID, w.actor(), t.values); err != nil {
				return w.dbError(err, "input", "tracks")
			}
		} else if err := w.dbError(db.UpdateTrack(w.ctx, w.s, id, w.actor(), t.values), "input", "tracks"); err != nil {
			return err
		}
		primary := t.primary
		if primary == nil {
			primary = releaseArtists
		}
		featured := slices.DeleteFunc(slices.Clone(t.featured), func(a string) bool { return slices.Contains(primary, a) })
		if err := db.ReplaceTrackCredits(w.ctx, w.s, id, primary, featured); err != nil {
			return err
		}
	}
	return nil
}

// transitions of the release workflow: the statuses each step starts from.
var transitions = map[string]struct {
	from []model.ReleaseStatus
	to   model.ReleaseStatus
	perm auth.Permission // beyond brand write access
}{
	"submit":     {[]model.ReleaseStatus{model.ReleaseStatusDraft, model.ReleaseStatusRejected}, model.ReleaseStatusSubmitted, ""},
	"approve":    {[]model.ReleaseStatus{model.ReleaseStatusSubmitted}, model.ReleaseStatusApproved, auth.PermManageCatalog},
	"reject":     {[]model.ReleaseStatus{model.ReleaseStatusSubmitted}, model.ReleaseStatusRejected, auth.PermManageCatalog},
	"queue":      {[]model.ReleaseStatus{model.ReleaseStatusApproved, model.ReleaseStatusTakenDown}, model.ReleaseStatusQueued, ""},
	"addStores":  {[]model.ReleaseStatus{model.ReleaseStatusQueued, model.ReleaseStatusDelivered}, "", ""},
	"dropStores": {[]model.ReleaseStatus{model.ReleaseStatusQueued, model.ReleaseStatusDelivered}, "", ""},
	"delivered":  {[]model.ReleaseStatus{model.ReleaseStatusQueued}, model.ReleaseStatusDelivered, ""},
	"takeDown":   {[]model.ReleaseStatus{model.ReleaseStatusQueued, model.ReleaseStatusDelivered}, model.ReleaseStatusTakenDown, ""},
}

// transition runs one workflow step on a release: it checks access and the
// current status, then lets step write, then moves the status.
func transition(ctx context.Context, store *db.Store, step, gid string, expected *int, stepFn func(w *writer, r *model.Release) error) (*model.Release, userErrs, error) {
	t := transitions[step]
	var out *model.Release
	errs, err := mutate(ctx, store, t.perm, func(w *writer) error {
		id, ok := w.decodeRef(model.TypeRelease, gid, "input", "id")
		if !ok {
			return w.check()
		}
		r, err := exists(w, db.ReleaseNode, id, "input", "id")
		if err != nil || r == nil {
			return w.check()
		}
		if err := w.requireBrand(r.BrandID); err != nil {
			return err
		}
		if expected != nil && *expected != r.Version {
			return w.reject(model.UserErrorCodeStale, "it was changed by someone else since the version you read; load it again", "input", "expectedVersion")
		}
		if !slices.Contains(t.from, r.Status) {
			return w.reject(model.UserErrorCodeIllegalTransition,
				fmt.Sprintf("cannot %s a release that is %s (allowed from %v)", step, r.Status, t.from), "input", "id")
		}
		if stepFn != nil {
			if err := stepFn(w, r); err != nil {
				return err
			}
		}
		v := db.Values{}
		if t.to != "" {
			v["status"] = string(t.to)
		}
		if err := w.dbError(db.UpdateRelease(ctx, w.s, id, &r.Version, w.actor(), v), "input"); err != nil {
			return err
		}
		if err := w.audit(r.TenantID, "release."+step, id, map[string]any{"from": r.Status, "to": t.to}); err != nil {
			return err
		}
		out, err = load(w, db.ReleaseNode, id)
		return err
	})
	return out, errs, err
}

// checkSubmittable lists everything that keeps a release from QC.
func checkSubmittable(w *writer, r *model.Release) error {
	if r.Upc == nil {
		w.errs.add(model.UserErrorCodeRequired, "a UPC is needed before submission", "release", "upc")
	}
	if r.ArtworkURL == nil {
		w.errs.add(model.UserErrorCodeRequired, "artwork is needed before submission", "release", "artworkUrl")
	}
	if r.ReleaseDate == nil {
		w.errs.add(model.UserErrorCodeRequired, "a release date is needed before submission", "release", "releaseDate")
	}
	tracks, err := db.TrackSummariesOfRelease(w.ctx, w.s, r.ID)
	if err != nil {
		return err
	}
	if len(tracks) == 0 {
		w.errs.add(model.UserErrorCodeRequired, "a release needs at least one track", "release", "tracks")
	}
	for _, t := range tracks {
		p := []string{"release", "tracks", strconv.Itoa(t.Position - 1)}
		if t.ISRC == nil {
			w.errs.add(model.UserErrorCodeRequired, fmt.Sprintf("track %d needs an ISRC", t.Position), append(p, "isrc")...)
		}
		if t.DurationSeconds == nil {
			w.errs.add(model.UserErrorCodeRequired, fmt.Sprintf("track %d needs a duration", t.Position), append(p, "durationSeconds")...)
		}
	}
	return w.check()
}

// setStores adds (or with remove, removes) stores of a release's delivery.
func setStores(stores []model.Store, remove bool) func(w *writer, r *model.Release) error {
	return func(w *writer, r *model.Release) error {
		if len(stores) == 0 {
			return w.reject(model.UserErrorCodeRequired, "name at least one store", "input", "stores")
		}
		var err error
		if remove {
			err = db.RemoveReleaseStores(w.ctx, w.s, r.ID, stores)
		} else {
			err = db.AddReleaseStores(w.ctx, w.s, r.ID, r.TenantID, stores)
		}
		if err != nil {
			return err
		}
		left, err := db.ReleaseStoreCount(w.ctx, w.s, r.ID)
		if err != nil {
			return err
		}
		if left == 0 {
			return w.reject(model.UserErrorCodeInvalid, "a delivery keeps at least one store; take the release down instead", "input", "stores")
		}
		return nil
	}
}

// takeDown ends every store delivery.
func takeDown(w *writer, r *model.Release) error {
	return db.RemoveAllReleaseStores(w.ctx, w.s, r.ID)
}

// rejectWith records the QC reason.
func rejectWith(reason string) func(w *writer, r *model.Release) error {
	return func(w *writer, r *model.Release) error {
		why, msg, code := text(2000)(reason)
		if msg != "" {
			return w.reject(code, msg, "input", "reason")
		}
		return db.SetReleaseRejectionReason(w.ctx, w.s, r.ID, why.(string))
	}
}

// deliveryStoresRead reads the current stores of many releases.
var deliveryStoresRead = &loader.KeyedRead[[]string]{Fetch: db.DeliveryStoresByRelease, Name: "Release.deliveryStores"}

// deliveryStores lists a release's current stores, read for the whole
// level by the plan.
func deliveryStores(ctx context.Context, releaseID string) ([]model.Store, error) {
	planUnderNode(ctx)
	names, err := loader.Keyed(ctx, deliveryStoresRead, releaseID)
	out := make([]model.Store, len(names))
	for i, n := range names {
		out[i] = model.Store(n)
	}
	return out, err
}
