package db

import (
	"context"

	"github.com/lib/pq"

	"catalogue/db/model"
)

// Writes of releases: the release row, its credits, its track list and its
// store deliveries. The functions take the Tx of Store.InTx: row-level
// security checks every row they read or write against its scope.

var (
	releasesTable = newTable("releases", "type", "title", "upc", "catalog_number", "genre", "artwork_url",
		"release_date", "label_id", "brand_id", "status", "rejection_reason")
	tracksTable = newTable("tracks", "position", "title", "isrc", "duration_seconds", "explicit")
)

// CreateRelease adds a release with the columns of v to the tenant and
// returns its ID. v may set type, title, upc, catalog_number, genre,
// artwork_url, release_date, label_id, brand_id, status and
// rejection_reason.
func CreateRelease(ctx context.Context, tx *Tx, tenantID string, actor *string, v Values) (string, error) {
	row, err := releasesTable.checked(v)
	if err != nil {
		return "", err
	}
	row["tenant_id"], row["created_by"], row["updated_by"] = tenantID, actor, actor
	return insertRow(ctx, tx, releasesTable, row)
}

// UpdateRelease sets the columns of v (those CreateRelease accepts) on a
// release and bumps its version, checking expectedVersion when given:
// ErrStale on a mismatch, ErrNotFound for a release outside the scope.
func UpdateRelease(ctx context.Context, tx *Tx, id string, expectedVersion *int, actor *string, v Values) error {
	row, err := releasesTable.checked(v)
	if err != nil {
		return err
	}
	return updateRow(ctx, tx, releasesTable, id, expectedVersion, actor, row)
}

// SetReleaseRejectionReason records why QC rejected a release. It leaves
// the version alone: the status change that goes with it bumps it.
func SetReleaseRejectionReason(ctx context.Context, tx *Tx, id, reason string) error {
	return execute(ctx, tx, `UPDATE releases SET rejection_reason = ? WHERE id = ?`, reason, id)
}

// ReplaceReleaseCredits makes artistIDs the release's primary artists, at
// positions 1..n in the order given.
func ReplaceReleaseCredits(ctx context.Context, tx *Tx, releaseID string, artistIDs []string) error {
	if err := execute(ctx, tx, `DELETE FROM release_artists WHERE release_id = ?`, releaseID); err != nil {
		return err
	}
	return execute(ctx, tx, `INSERT INTO release_artists (tenant_id, release_id, artist_id, position)
		SELECT (SELECT tenant_id FROM releases WHERE id = ?), ?, a, n FROM unnest(?::uuid[]) WITH ORDINALITY AS x(a, n)`,
		releaseID, releaseID, pq.Array(artistIDs))
}

// TrackIDsOfRelease lists the IDs of the release's tracks.
func TrackIDsOfRelease(ctx context.Context, tx *Tx, releaseID string) ([]string, error) {
	var ids []string
	err := selectRows(ctx, tx, &ids, `SELECT id::text FROM tracks WHERE release_id = ?`, releaseID)
	return ids, err
}

// PruneReleaseTracks deletes the release's tracks that keep does not name,
// and defers the check that positions are unique to the commit, so that
// the tracks kept can then be renumbered one by one in any order.
func PruneReleaseTracks(ctx context.Context, tx *Tx, releaseID string, keep []string) error {
	if keep == nil {
		keep = []string{} // NOT (id = ANY(NULL)) would keep every track
	}
	if err := execute(ctx, tx, `DELETE FROM tracks WHERE release_id = ? AND NOT (id = ANY(?::uuid[]))`, releaseID, pq.Array(keep)); err != nil {
		return err
	}
	return execute(ctx, tx, `SET CONSTRAINTS tracks_release_id_position_key DEFERRED`)
}

// CreateTrack adds a track with the columns of v to a release of the
// tenant and returns its ID. v may set position, title, isrc,
// duration_seconds and explicit.
func CreateTrack(ctx context.Context, tx *Tx, tenantID, releaseID string, actor *string, v Values) (string, error) {
	row, err := tracksTable.checked(v)
	if err != nil {
		return "", err
	}
	row["tenant_id"], row["release_id"], row["created_by"], row["updated_by"] = tenantID, releaseID, actor, actor
	return insertRow(ctx, tx, tracksTable, row)
}

// UpdateTrack sets the columns of v (those CreateTrack accepts) on a track
// and bumps its version; ErrNotFound for a track outside the scope.
func UpdateTrack(ctx context.Context, tx *Tx, id string, actor *string, v Values) error {
	row, err := tracksTable.checked(v)
	if err != nil {
		return err
	}
	return updateRow(ctx, tx, tracksTable, id, nil, actor, row)
}

// ReplaceTrackCredits makes primary the track's PRIMARY artists and
// featured its FEATURED ones, at positions 1..n in that order: primary
// first. An artist may appear once in all.
func ReplaceTrackCredits(ctx context.Context, tx *Tx, trackID string, primary, featured []string) error {
	if err := execute(ctx, tx, `DELETE FROM track_artists WHERE track_id = ?`, trackID); err != nil {
		return err
	}
	all := append(append(make([]string, 0, len(primary)+len(featured)), primary...), featured...)
	return execute(ctx, tx, `INSERT INTO track_artists (tenant_id, track_id, artist_id, role, position)
		SELECT (SELECT tenant_id FROM tracks WHERE id = ?), ?, a, CASE WHEN n <= ? THEN 'PRIMARY' ELSE 'FEATURED' END, n
		FROM unnest(?::uuid[]) WITH ORDINALITY AS x(a, n)`, trackID, trackID, len(primary), pq.Array(all))
}

// TrackSummary is what submitting a release checks of each track.
type TrackSummary struct {
	Position        int     `db:"position"`
	ISRC            *string `db:"isrc"`
	DurationSeconds *int    `db:"duration_seconds"`
}

// TrackSummariesOfRelease lists the release's tracks in running order.
func TrackSummariesOfRelease(ctx context.Context, tx *Tx, releaseID string) ([]TrackSummary, error) {
	var tracks []TrackSummary
	err := selectRows(ctx, tx, &tracks, `SELECT position, isrc, duration_seconds FROM tracks WHERE release_id = ? ORDER BY position`, releaseID)
	return tracks, err
}

// AddReleaseStores delivers a release of the tenant to the stores too. A
// store it is delivered to already keeps the time it was added; a store it
// was removed from is added again now.
func AddReleaseStores(ctx context.Context, tx *Tx, releaseID, tenantID string, stores []model.Store) error {
	return execute(ctx, tx, `INSERT INTO release_deliveries (release_id, tenant_id, store) SELECT ?, ?, s FROM unnest(?::text[]) s
		ON CONFLICT (release_id, store) DO UPDATE SET removed_at = NULL, added_at = CASE WHEN release_deliveries.removed_at IS NULL THEN release_deliveries.added_at ELSE now() END`,
		releaseID, tenantID, pq.Array(storeNames(stores)))
}

// RemoveReleaseStores ends the release's delivery to the stores.
func RemoveReleaseStores(ctx context.Context, tx *Tx, releaseID string, stores []model.Store) error {
	return execute(ctx, tx, `UPDATE release_deliveries SET removed_at = now() WHERE release_id = ? AND store = ANY(?::text[]) AND removed_at IS NULL`,
		releaseID, pq.Array(storeNames(stores)))
}

// RemoveAllReleaseStores ends the release's delivery to every store.
func RemoveAllReleaseStores(ctx context.Context, tx *Tx, releaseID string) error {
	return execute(ctx, tx, `UPDATE release_deliveries SET removed_at = now() WHERE release_id = ? AND removed_at IS NULL`, releaseID)
}

// ReleaseStoreCount counts the stores the release is delivered to now.
func ReleaseStoreCount(ctx context.Context, tx *Tx, releaseID string) (int, error) {
	var n int
	err := getRow(ctx, tx, &n, `SELECT count(*) FROM release_deliveries WHERE release_id = ? AND removed_at IS NULL`, releaseID)
	return n, err
}

func storeNames(stores []model.Store) []string {
	names := make([]string, len(stores))
	for i, s := range stores {
		names[i] = string(s)
	}
	return names
}
