package db

import (
	"context"
	"errors"
	"strings"
	"testing"
)

// The package's TestMain loads DemoSeed into testStore's database; these
// tests check that what it loaded is a well-formed catalogue.

// TestSeedInvariants states the tenant-scoping and ordering promises the
// rest of the code relies on. Each query counts violations.
func TestSeedInvariants(t *testing.T) {
	checks := []struct {
		name, sql string
	}{
		{"brand access brand in the access's tenant", `
			SELECT count(*) FROM brand_access x JOIN brands b ON b.id = x.brand_id
			WHERE b.tenant_id <> x.tenant_id`},
		{"brand access only for members", `
			SELECT count(*) FROM brand_access x
			WHERE NOT EXISTS (SELECT 1 FROM memberships m WHERE m.tenant_id = x.tenant_id AND m.user_id = x.user_id)`},
		{"membership groups in the membership's tenant", `
			SELECT count(*) FROM membership_groups x
			JOIN memberships m ON m.id = x.membership_id JOIN groups g ON g.id = x.group_id
			WHERE g.tenant_id <> m.tenant_id`},
		{"artist brand in the artist's tenant", `
			SELECT count(*) FROM artists a JOIN brands b ON b.id = a.brand_id WHERE b.tenant_id <> a.tenant_id`},
		{"artist user is a member of the artist's tenant", `
			SELECT count(*) FROM artists a
			WHERE a.user_id IS NOT NULL
			  AND NOT EXISTS (SELECT 1 FROM memberships m WHERE m.tenant_id = a.tenant_id AND m.user_id = a.user_id)`},
		{"release brand in the release's tenant", `
			SELECT count(*) FROM releases r JOIN brands b ON b.id = r.brand_id WHERE b.tenant_id <> r.tenant_id`},
		{"release label in the release's tenant", `
			SELECT count(*) FROM releases r JOIN labels l ON l.id = r.label_id WHERE l.tenant_id <> r.tenant_id`},
		{"release artists in the release's tenant", `
			SELECT count(*) FROM release_artists ra
			JOIN releases r ON r.id = ra.release_id JOIN artists a ON a.id = ra.artist_id
			WHERE a.tenant_id <> r.tenant_id`},
		{"track in its release's tenant", `
			SELECT count(*) FROM tracks t JOIN releases r ON r.id = t.release_id WHERE r.tenant_id <> t.tenant_id`},
		{"track artists in the track's tenant", `
			SELECT count(*) FROM track_artists ta
			JOIN tracks t ON t.id = ta.track_id JOIN artists a ON a.id = ta.artist_id
			WHERE a.tenant_id <> t.tenant_id`},
		{"every release has artists and tracks", `
			SELECT count(*) FROM releases r
			WHERE NOT EXISTS (SELECT 1 FROM release_artists ra WHERE ra.release_id = r.id)
			   OR NOT EXISTS (SELECT 1 FROM tracks t WHERE t.release_id = r.id)`},
		{"every artist is credited on a release", `
			SELECT count(*) FROM artists a
			WHERE NOT EXISTS (SELECT 1 FROM release_artists ra WHERE ra.artist_id = a.id)`},
		{"positions run 1..n", `
			SELECT (SELECT count(*) FROM (SELECT max(position) <> count(*) AS bad FROM release_artists GROUP BY release_id) s WHERE bad)
			     + (SELECT count(*) FROM (SELECT max(position) <> count(*) AS bad FROM tracks GROUP BY release_id) s WHERE bad)
			     + (SELECT count(*) FROM (SELECT max(position) <> count(*) AS bad FROM track_artists GROUP BY track_id) s WHERE bad)`},
		{"every user has one or two memberships", `
			SELECT count(*) FROM users u
			WHERE (SELECT count(*) FROM memberships m WHERE m.user_id = u.id) NOT IN (1, 2)`},
		{"each tenant's first member is its only OWNER", `
			SELECT count(*) FROM tenants t
			WHERE (SELECT role FROM memberships m WHERE m.tenant_id = t.id ORDER BY created_at, id LIMIT 1) IS DISTINCT FROM 'OWNER'
			   OR (SELECT count(*) FROM memberships m WHERE m.tenant_id = t.id AND role = 'OWNER') <> 1`},
		{"created_by and updated_by are earlier users", `
			SELECT count(*) FROM users u JOIN users c ON c.id IN (u.created_by, u.updated_by)
			WHERE c.created_at > u.created_at`},
		{"updated_at not before created_at", `
			SELECT (SELECT count(*) FROM users WHERE updated_at < created_at)
			     + (SELECT count(*) FROM memberships WHERE updated_at < created_at)
			     + (SELECT count(*) FROM releases WHERE updated_at < created_at)
			     + (SELECT count(*) FROM tracks WHERE updated_at < created_at)`},
		{"ISRCs are well formed and unique", `
			SELECT count(*) - count(DISTINCT isrc)
			     + count(*) FILTER (WHERE isrc !~ '^[A-Z]{2}[A-Z0-9]{3}[0-9]{7}$')
			FROM tracks WHERE isrc IS NOT NULL`},
	}
	ctx := context.Background()
	for _, c := range checks {
		t.Run(c.name, func(t *testing.T) {
			var n int
			if err := testStore.DB().GetContext(ctx, &n, c.sql); err != nil {
				t.Fatal(err)
			}
			if n != 0 {
				t.Errorf("%d violations", n)
			}
		})
	}
}

// TestSeedCreatedAtTies makes sure keyset pagination is exercised by rows
// that tie on created_at, so that ordering must fall back to id.
func TestSeedCreatedAtTies(t *testing.T) {
	for _, table := range []string{"users", "artists", "releases"} {
		var ties int
		if err := testStore.DB().GetContext(context.Background(), &ties,
			`SELECT count(*) FROM (SELECT 1 FROM `+table+` GROUP BY created_at HAVING count(*) > 1) s`); err != nil {
			t.Fatal(err)
		}
		if ties == 0 {
			t.Errorf("no two %s share created_at", table)
		}
	}
}

// TestSeedRefusesNonEmptyDatabase keeps demo rows from mixing with data
// already there, and IsEmpty agrees with it.
func TestSeedRefusesNonEmptyDatabase(t *testing.T) {
	ctx := context.Background()
	empty, err := IsEmpty(ctx, testStore.DB())
	if err != nil || empty {
		t.Fatalf("IsEmpty = %v, %v; want false on the seeded database", empty, err)
	}
	if err := Seed(ctx, testStore.DB(), DemoSeed); !errors.Is(err, ErrSeedNotEmpty) {
		t.Fatalf("Seed on a seeded database: %v, want ErrSeedNotEmpty", err)
	}
}

// TestSeedDeterministicIDs pins the id scheme that makes the data set
// reproducible: ids are md5 of "<entity>:<ordinal>".
func TestSeedDeterministicIDs(t *testing.T) {
	var slug string
	if err := testStore.DB().GetContext(context.Background(), &slug,
		`SELECT slug FROM tenants WHERE id = md5('tenant:1')::uuid`); err != nil {
		t.Fatal(err)
	}
	if slug != "acme-music" {
		t.Errorf("tenant 1 is %q, want acme-music", slug)
	}
}

// TestSeedConfigDefaults lets callers size only the dimensions they care
// about, and rejects nonsense.
func TestSeedConfigDefaults(t *testing.T) {
	got, err := SeedConfig{Users: 10}.withDefaults()
	if err != nil {
		t.Fatal(err)
	}
	want := DemoSeed
	want.Users = 10
	if got != want {
		t.Errorf("withDefaults = %+v, want %+v", got, want)
	}
	if _, err := (SeedConfig{Artists: -1}).withDefaults(); err == nil {
		t.Error("negative Artists accepted")
	}
}

// TestSeedWordLists guards the parallel display/ASCII name lists: a
// missing entry would pair names with the wrong email.
func TestSeedWordLists(t *testing.T) {
	if len(seedFirstNames) != len(seedFirstASCII) || len(seedLastNames) != len(seedLastASCII) {
		t.Fatalf("name lists differ in length: %d/%d first, %d/%d last",
			len(seedFirstNames), len(seedFirstASCII), len(seedLastNames), len(seedLastASCII))
	}
	for _, l := range [][]string{seedFirstASCII, seedLastASCII} {
		for _, w := range l {
			if strings.Trim(w, "abcdefghijklmnopqrstuvwxyz") != "" {
				t.Errorf("%q is not lower-case ASCII", w)
			}
		}
	}
	if got := seedArray([]string{"O'Brien"}); got != "ARRAY['O''Brien']" {
		t.Errorf("seedArray quoting: %s", got)
	}
}
