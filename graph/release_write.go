package graph

import (
	"context"
	"fmt"
	"slices"
	"strconv"

	"github.com/lib/pq"

	"catalogue/db"
	"catalogue/graph/loader"
	"catalogue/graph/model"
	"catalogue/internal/auth"
)

// MaxTracks bounds the track list of one release.
const MaxTracks = 200

// saveRelease creates a release or updates a DRAFT or REJECTED one with
// its ordered artists and complete track list, all or nothing.
func saveRelease(ctx context.Context, in model.SaveReleaseInput) (*model.Release, userErrs, error) {
	var out *model.Release
	errs, err := mutate(ctx, "", func(w *writer) error {
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
			if err := w.writeCredits(id, artists); err != nil {
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
			id, err = w.idempotent(tenantID, in.IdempotencyKey, "saveRelease", write)
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
	var found []string
	if err := db.Select(w.ctx, w.s, &found, `SELECT id::text FROM artists WHERE id = ANY(?::uuid[]) AND tenant_id = ?`, pq.Array(ids), tenantID); err != nil {
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
		if err := db.Select(w.ctx, w.s, &own, `SELECT id::text FROM tracks WHERE release_id = ?`, existing.ID); err != nil {
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
		v["tenant_id"], v["status"], v["created_by"], v["updated_by"] = tenantID, "DRAFT", w.actor(), w.actor()
		id, err := db.Insert(w.ctx, w.s, "releases", v)
		return id, w.dbError(err, "input")
	}
	// Editing a rejected release makes it a draft again.
	v["status"], v["rejection_reason"] = "DRAFT", nil
	return existing.ID, w.dbError(db.Update(w.ctx, w.s, "releases", existing.ID, expected, w.actor(), v), "input")
}

// writeCredits replaces the release's primary artists, in order.
func (w *writer) writeCredits(releaseID string, artists []string) error {
	if err := db.Exec(w.ctx, w.s, `DELETE FROM release_artists WHERE release_id = ?`, releaseID); err != nil {
		return err
	}
	return db.Exec(w.ctx, w.s, `INSERT INTO release_artists (release_id, artist_id, position)
		SELECT ?, a, n FROM unnest(?::uuid[]) WITH ORDINALITY AS x(a, n)`, releaseID, pq.Array(artists))
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
		if err := db.Exec(w.ctx, w.s, `DELETE FROM tracks WHERE release_id = ? AND NOT (id = ANY(?::uuid[]))`, releaseID, pq.Array(keep)); err != nil {
			return err
		}
		// Positions move in one go; uniqueness is checked at commit.
		if err := db.Exec(w.ctx, w.s, `SET CONSTRAINTS tracks_release_id_position_key DEFERRED`); err != nil {
			return err
		}
	}
	for _, t := range tracks {
		id := t.id
		if id == "" {
			t.values["tenant_id"], t.values["release_id"], t.values["created_by"], t.values["updated_by"] = tenantID, releaseID, w.actor(), w.actor()
			var err error
			if id, err = db.Insert(w.ctx, w.s, "tracks", t.values); err != nil {
				return w.dbError(err, "input", "tracks")
			}
		} else if err := w.dbError(db.Update(w.ctx, w.s, "tracks", id, nil, w.actor(), t.values), "input", "tracks"); err != nil {
			return err
		}
		primary := t.primary
		if primary == nil {
			primary = releaseArtists
		}
		if err := db.Exec(w.ctx, w.s, `DELETE FROM track_artists WHERE track_id = ?`, id); err != nil {
			return err
		}
		featured := slices.DeleteFunc(slices.Clone(t.featured), func(a string) bool { return slices.Contains(primary, a) })
		if err := db.Exec(w.ctx, w.s, `INSERT INTO track_artists (track_id, artist_id, role, position)
			SELECT ?, a, CASE WHEN n <= ? THEN 'PRIMARY' ELSE 'FEATURED' END, n
			FROM unnest(?::uuid[]) WITH ORDINALITY AS x(a, n)`, id, len(primary), pq.Array(append(slices.Clone(primary), featured...))); err != nil {
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
func transition(ctx context.Context, step, gid string, expected *int, stepFn func(w *writer, r *model.Release) error) (*model.Release, userErrs, error) {
	t := transitions[step]
	var out *model.Release
	errs, err := mutate(ctx, t.perm, func(w *writer) error {
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
		if err := w.dbError(db.Update(ctx, w.s, "releases", id, &r.Version, w.actor(), v), "input"); err != nil {
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
	var tracks []struct {
		Position int     `db:"position"`
		Isrc     *string `db:"isrc"`
		Duration *int    `db:"duration_seconds"`
	}
	if err := db.Select(w.ctx, w.s, &tracks, `SELECT position, isrc, duration_seconds FROM tracks WHERE release_id = ? ORDER BY position`, r.ID); err != nil {
		return err
	}
	if len(tracks) == 0 {
		w.errs.add(model.UserErrorCodeRequired, "a release needs at least one track", "release", "tracks")
	}
	for _, t := range tracks {
		p := []string{"release", "tracks", strconv.Itoa(t.Position - 1)}
		if t.Isrc == nil {
			w.errs.add(model.UserErrorCodeRequired, fmt.Sprintf("track %d needs an ISRC", t.Position), append(p, "isrc")...)
		}
		if t.Duration == nil {
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
		names := make([]string, len(stores))
		for i, s := range stores {
			names[i] = string(s)
		}
		var err error
		if remove {
			err = db.Exec(w.ctx, w.s, `UPDATE release_deliveries SET removed_at = now() WHERE release_id = ? AND store = ANY(?::text[]) AND removed_at IS NULL`, r.ID, pq.Array(names))
		} else {
			err = db.Exec(w.ctx, w.s, `INSERT INTO release_deliveries (release_id, tenant_id, store) SELECT ?, ?, s FROM unnest(?::text[]) s
				ON CONFLICT (release_id, store) DO UPDATE SET removed_at = NULL, added_at = CASE WHEN release_deliveries.removed_at IS NULL THEN release_deliveries.added_at ELSE now() END`,
				r.ID, r.TenantID, pq.Array(names))
		}
		if err != nil {
			return err
		}
		var left int
		if err := db.Get(w.ctx, w.s, &left, `SELECT count(*) FROM release_deliveries WHERE release_id = ? AND removed_at IS NULL`, r.ID); err != nil {
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
	return db.Exec(w.ctx, w.s, `UPDATE release_deliveries SET removed_at = now() WHERE release_id = ? AND removed_at IS NULL`, r.ID)
}

// rejectWith records the QC reason.
func rejectWith(reason string) func(w *writer, r *model.Release) error {
	return func(w *writer, r *model.Release) error {
		why, msg, code := text(2000)(reason)
		if msg != "" {
			return w.reject(code, msg, "input", "reason")
		}
		return db.Exec(w.ctx, w.s, `UPDATE releases SET rejection_reason = ? WHERE id = ?`, why, r.ID)
	}
}

// deliveryStoresRead reads the current stores of many releases.
var deliveryStoresRead = &loader.KeyedRead[[]string]{Fetch: db.DeliveryStoresByRelease}

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
