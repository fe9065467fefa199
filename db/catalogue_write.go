package db

import (
	"context"

	"github.com/lib/pq"
)

// Writes of labels and artists. The functions take the Tx of Store.InTx:
// row-level security checks every row they read or write against the
// transaction's scope.

var (
	labelsTable  = newTable("labels")
	artistsTable = newTable("artists", "name", "genre", "country", "biography", "image_url",
		"spotify_id", "apple_music_id", "soundcloud_id", "brand_id", "user_id")
)

// CreateLabel adds a label to the tenant and returns its ID.
func CreateLabel(ctx context.Context, tx *Tx, tenantID, name string, actor *string) (string, error) {
	return insertRow(ctx, tx, labelsTable, Values{"tenant_id": tenantID, "name": name, "created_by": actor, "updated_by": actor})
}

// UpdateLabel renames a label (name nil keeps it) and bumps its version,
// checking expectedVersion when given: ErrStale on a mismatch, ErrNotFound
// for a label outside the transaction's scope.
func UpdateLabel(ctx context.Context, tx *Tx, id string, expectedVersion *int, actor, name *string) error {
	return updateRow(ctx, tx, labelsTable, id, expectedVersion, actor, namePatch(name))
}

// LabelTenantID reads the tenant of a label.
func LabelTenantID(ctx context.Context, tx *Tx, id string) (string, error) {
	return tenantOfRow(ctx, tx, labelsTable, id)
}

// CreateArtist adds an artist with the columns of v to the tenant and
// returns its ID. v may set name, genre, country, biography, image_url,
// spotify_id, apple_music_id, soundcloud_id, brand_id and user_id.
func CreateArtist(ctx context.Context, tx *Tx, tenantID string, actor *string, v Values) (string, error) {
	row, err := artistsTable.checked(v)
	if err != nil {
		return "", err
	}
	row["tenant_id"], row["created_by"], row["updated_by"] = tenantID, actor, actor
	return insertRow(ctx, tx, artistsTable, row)
}

// UpdateArtist sets the columns of v (those CreateArtist accepts) on an
// artist and bumps its version, checking expectedVersion when given:
// ErrStale on a mismatch, ErrNotFound for an artist outside the scope.
func UpdateArtist(ctx context.Context, tx *Tx, id string, expectedVersion *int, actor *string, v Values) error {
	row, err := artistsTable.checked(v)
	if err != nil {
		return err
	}
	return updateRow(ctx, tx, artistsTable, id, expectedVersion, actor, row)
}

// ArtistIDsOfTenant returns those of ids that are artists of the tenant,
// in no particular order.
func ArtistIDsOfTenant(ctx context.Context, tx *Tx, tenantID string, ids []string) ([]string, error) {
	var found []string
	err := selectRows(ctx, tx, &found, `SELECT id::text FROM artists WHERE id = ANY(?::uuid[]) AND tenant_id = ?`, pq.Array(ids), tenantID)
	return found, err
}
