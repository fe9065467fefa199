package db

import (
	"context"
	"errors"
	"slices"
	"testing"
)

// errUndo ends a test transaction without storing anything, so that the
// demo data stays as the other tests expect it.
var errUndo = errors.New("undo")

// inUndoneTx runs fn in a write transaction of scope and rolls it back.
func inUndoneTx(t *testing.T, scope Scope, fn func(ctx context.Context, tx *Tx)) {
	t.Helper()
	ctx := context.Background()
	err := testStore.InTx(ctx, scope, func(tx *Tx) error {
		fn(ctx, tx)
		return errUndo
	})
	if !errors.Is(err, errUndo) {
		t.Fatalf("transaction: %v", err)
	}
}

// releaseWithArtists picks a release whose tenant has at least three
// artists, reading over the pool (no row-level security).
func releaseWithArtists(t *testing.T) (releaseID, tenantID string, version int, artists []string) {
	t.Helper()
	var r struct {
		ID      string `db:"id"`
		Tenant  string `db:"tenant_id"`
		Version int    `db:"version"`
	}
	if err := testStore.x.Get(&r, `SELECT r.id::text AS id, r.tenant_id::text AS tenant_id, r.version FROM releases r
		WHERE (SELECT count(*) FROM artists a WHERE a.tenant_id = r.tenant_id) >= 3 ORDER BY r.id LIMIT 1`); err != nil {
		t.Fatal(err)
	}
	if err := testStore.x.Select(&artists, `SELECT id::text FROM artists WHERE tenant_id = $1 ORDER BY id LIMIT 3`, r.Tenant); err != nil {
		t.Fatal(err)
	}
	return r.ID, r.Tenant, r.Version, artists
}

func releaseVersion(t *testing.T, ctx context.Context, q Querier, id string) int {
	t.Helper()
	var v int
	if err := getRow(ctx, q, &v, `SELECT version FROM releases WHERE id = ?`, id); err != nil {
		t.Fatal(err)
	}
	return v
}

// An update names the version it read: a stale one changes nothing and
// says so, the current one bumps it, and a release outside the scope is
// not found even with the right version. Columns the caller does not own
// are refused before anything is sent.
func TestUpdateReleaseChecksVersionAndScope(t *testing.T) {
	id, tenant, version, _ := releaseWithArtists(t)
	inUndoneTx(t, TenantScope(tenant), func(ctx context.Context, tx *Tx) {
		stale := version - 1
		if err := UpdateRelease(ctx, tx, id, &stale, nil, Values{"title": "Stale"}); !errors.Is(err, ErrStale) {
			t.Errorf("update at version %d of a release at %d: %v, want ErrStale", stale, version, err)
		}
		if got := releaseVersion(t, ctx, tx, id); got != version {
			t.Errorf("a stale update moved the version to %d", got)
		}
		if err := UpdateRelease(ctx, tx, id, &version, nil, Values{"title": "Current"}); err != nil {
			t.Errorf("update at the current version: %v", err)
		}
		if got := releaseVersion(t, ctx, tx, id); got != version+1 {
			t.Errorf("version after an update is %d, want %d", got, version+1)
		}
		if err := UpdateRelease(ctx, tx, id, nil, nil, Values{"tenant_id": tenant}); err == nil || errors.Is(err, ErrStale) || errors.Is(err, ErrNotFound) {
			t.Errorf("setting tenant_id through Values: %v, want a refusal", err)
		}
	})
	var other string
	if err := testStore.x.Get(&other, `SELECT id::text FROM tenants WHERE id <> $1 ORDER BY id LIMIT 1`, tenant); err != nil {
		t.Fatal(err)
	}
	inUndoneTx(t, TenantScope(other), func(ctx context.Context, tx *Tx) {
		if err := UpdateRelease(ctx, tx, id, &version, nil, Values{"title": "Foreign"}); !errors.Is(err, ErrNotFound) {
			t.Errorf("update of a release outside the scope: %v, want ErrNotFound", err)
		}
	})
}

// Credits come back in the order they were given, positions 1..n, and a
// second replacement leaves nothing of the first.
func TestReplaceReleaseCreditsKeepsTheOrderGiven(t *testing.T) {
	id, tenant, _, a := releaseWithArtists(t)
	credits := func(ctx context.Context, tx *Tx) []string {
		var rows []struct {
			Artist   string `db:"artist_id"`
			Position int    `db:"position"`
		}
		if err := selectRows(ctx, tx, &rows, `SELECT artist_id::text AS artist_id, position FROM release_artists WHERE release_id = ? ORDER BY position`, id); err != nil {
			t.Fatal(err)
		}
		out := make([]string, len(rows))
		for i, r := range rows {
			if r.Position != i+1 {
				t.Errorf("credit %d is at position %d", i+1, r.Position)
			}
			out[i] = r.Artist
		}
		return out
	}
	inUndoneTx(t, TenantScope(tenant), func(ctx context.Context, tx *Tx) {
		for _, want := range [][]string{{a[2], a[0], a[1]}, {a[1]}, {a[0], a[2]}} {
			if err := ReplaceReleaseCredits(ctx, tx, id, want); err != nil {
				t.Fatal(err)
			}
			if got := credits(ctx, tx); !slices.Equal(got, want) {
				t.Errorf("credits %v, want %v", got, want)
			}
		}
	})
}

// A track's primary artists come first, then the featured ones, each with
// its role.
func TestReplaceTrackCreditsRolesAndOrder(t *testing.T) {
	releaseID, tenant, _, a := releaseWithArtists(t)
	inUndoneTx(t, TenantScope(tenant), func(ctx context.Context, tx *Tx) {
		tracks, err := TrackIDsOfRelease(ctx, tx, releaseID)
		if err != nil || len(tracks) == 0 {
			t.Fatalf("tracks of the release: %v, %v", tracks, err)
		}
		if err := ReplaceTrackCredits(ctx, tx, tracks[0], []string{a[1], a[0]}, []string{a[2]}); err != nil {
			t.Fatal(err)
		}
		var got []string
		if err := selectRows(ctx, tx, &got, `SELECT artist_id::text || ' ' || role || ' ' || position FROM track_artists
			WHERE track_id = ? ORDER BY position`, tracks[0]); err != nil {
			t.Fatal(err)
		}
		want := []string{a[1] + " PRIMARY 1", a[0] + " PRIMARY 2", a[2] + " FEATURED 3"}
		if !slices.Equal(got, want) {
			t.Errorf("track credits %v, want %v", got, want)
		}
	})
}
