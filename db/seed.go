package db

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"
)

// SeedConfig sizes the generated data set. Zero values take DemoSeed's, so
// callers only name the dimensions they want to grow (a load test raises
// Users and leaves the rest alone).
type SeedConfig struct {
	// Tenants is the number of top-level tenants. Every 4th top-level tenant
	// (the 1st, 5th, 9th, ...) gets one subsidiary so that the graph has
	// parent/subsidiary pairs; the tenants table therefore holds
	// Tenants + ceil(Tenants/4) rows.
	Tenants int
	// Users is the number of users. Each has exactly one membership, spread
	// over all tenants including subsidiaries, and about 5% have a second
	// membership in another tenant.
	Users int
	// Artists is the number of artists, spread over all tenants.
	Artists int
	// Releases is the number of releases, spread over all tenants.
	Releases int
	// TracksPerRelease is the average track count; a release gets between 1
	// and 2*TracksPerRelease-1 tracks, chosen deterministically.
	TracksPerRelease int
}

// DemoSeed is small enough to load in a second or two when `make run` starts
// on an empty database, yet large enough that every list pages and every
// nullable column holds both values.
var DemoSeed = SeedConfig{Tenants: 3, Users: 2000, Artists: 200, Releases: 600, TracksPerRelease: 8}

// IsEmpty reports whether the database holds no tenants. Start-up seeds only
// an empty database, so that demo data never mixes with real data. It runs
// as the schema's owner, which row-level security may bind: the check looks
// at every tenant.
func IsEmpty(ctx context.Context, x *sqlx.DB) (bool, error) {
	tx, err := x.BeginTxx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return false, fmt.Errorf("check for tenants: %w", err)
	}
	defer func() { _ = tx.Rollback() }()
	var exists bool
	if _, err := tx.ExecContext(ctx, allTenantsSetting); err != nil {
		return false, fmt.Errorf("check for tenants: %w", err)
	}
	if err := tx.GetContext(ctx, &exists, `SELECT EXISTS (SELECT 1 FROM tenants)`); err != nil {
		return false, fmt.Errorf("check for tenants: %w", err)
	}
	return !exists, nil
}

// Seed loads deterministic demo data into an empty, migrated database, in
// one transaction so that a failure leaves the database empty.
//
// Every value is derived from the row's ordinal: ids are md5 hashes of
// "<entity>:<n>", choices come from hashtext of a keyed string rather than
// random(), and timestamps step from fixed instants. The same config
// therefore yields byte-identical rows on every run, which makes cursors and
// test expectations reproducible. Some rows deliberately share created_at
// with their predecessor so that ordering must break ties by id.
//
// All statements are set-based (INSERT ... SELECT over generate_series), so
// a million users load in minutes rather than hours. Secondary indexes are
// dropped for the load and rebuilt before commit, so Seed must run as the
// tables' owner (the role that migrated) on a database nobody is using yet.
// Two processes seeding at once are serialised by a table lock; the later
// one returns ErrSeedNotEmpty.
func Seed(ctx context.Context, x *sqlx.DB, cfg SeedConfig) error {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return err
	}
	tx, err := x.BeginTxx(ctx, nil)
	if err != nil {
		return fmt.Errorf("seed: begin: %w", err)
	}
	// After Commit this is a no-op; on any early return it undoes the seed.
	defer func() { _ = tx.Rollback() }()
	if _, err := tx.ExecContext(ctx, allTenantsSetting); err != nil {
		return fmt.Errorf("seed: %w", err)
	}
	// SHARE ROW EXCLUSIVE conflicts with itself but not with readers, so a
	// concurrent seeder waits here and then sees our tenants.
	if _, err := tx.ExecContext(ctx, `LOCK TABLE tenants IN SHARE ROW EXCLUSIVE MODE`); err != nil {
		return fmt.Errorf("seed: lock tenants: %w", err)
	}
	var exists bool
	if err := tx.GetContext(ctx, &exists, `SELECT EXISTS (SELECT 1 FROM tenants)`); err != nil {
		return fmt.Errorf("seed: check for tenants: %w", err)
	}
	if exists {
		return ErrSeedNotEmpty
	}
	indexes, err := seedDropIndexes(ctx, tx)
	if err != nil {
		return err
	}
	for _, st := range seedSteps(cfg) {
		if _, err := tx.ExecContext(ctx, st.sql, st.args...); err != nil {
			return fmt.Errorf("seed: %s: %w", st.name, err)
		}
	}
	// Sort memory for the index builds; LOCAL ends with the transaction.
	if _, err := tx.ExecContext(ctx, `SET LOCAL maintenance_work_mem = '256MB'`); err != nil {
		return fmt.Errorf("seed: maintenance_work_mem: %w", err)
	}
	for _, ix := range indexes {
		if _, err := tx.ExecContext(ctx, ix.Def); err != nil {
			return fmt.Errorf("seed: rebuild index %s: %w", ix.Name, err)
		}
	}
	if _, err := tx.ExecContext(ctx, `ANALYZE `+strings.Join(seedTables, ", ")); err != nil {
		return fmt.Errorf("seed: analyze: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("seed: commit: %w", err)
	}
	return nil
}

// ErrSeedNotEmpty is returned by Seed when the database already holds
// tenants: demo rows must never mix with real data, and a start-up that lost
// a seeding race can treat it as success.
var ErrSeedNotEmpty = errors.New("seed: database already holds tenants")

// withDefaults fills zero fields from DemoSeed and rejects negative sizes.
func (c SeedConfig) withDefaults() (SeedConfig, error) {
	fields := []struct {
		name string
		v    *int
		def  int
	}{
		{"Tenants", &c.Tenants, DemoSeed.Tenants},
		{"Users", &c.Users, DemoSeed.Users},
		{"Artists", &c.Artists, DemoSeed.Artists},
		{"Releases", &c.Releases, DemoSeed.Releases},
		{"TracksPerRelease", &c.TracksPerRelease, DemoSeed.TracksPerRelease},
	}
	for _, f := range fields {
		if *f.v < 0 {
			return c, fmt.Errorf("seed: %s must not be negative, got %d", f.name, *f.v)
		}
		if *f.v == 0 {
			*f.v = f.def
		}
	}
	return c, nil
}

// seedStep is one statement of the seed with its bind arguments.
type seedStep struct {
	name string
	sql  string
	args []any
}

// seedSteps lists the statements in dependency order. nt is the number of
// tenants including subsidiaries: several statements spread rows over it.
func seedSteps(c SeedConfig) []seedStep {
	nt := c.Tenants + (c.Tenants+3)/4
	return []seedStep{
		// Generous sort memory for the window functions over a million rows;
		// LOCAL ends with the transaction.
		{"work_mem", `SET LOCAL work_mem = '64MB'`, nil},
		{"languages", seedLanguagesSQL, nil},
		{"tenant plan", seedTenantPlanSQL, nil},
		{"top-level tenants", seedTopTenantsSQL, []any{c.Tenants}},
		{"subsidiaries", seedSubsidiariesSQL, []any{c.Tenants}},
		{"tenants", seedTenantsSQL, nil},
		{"brands", seedBrandsSQL, nil},
		{"labels", seedLabelsSQL, nil},
		{"groups", seedGroupsSQL, nil},
		{"users", seedUsersSQL, []any{c.Users, nt}},
		{"memberships", seedMembershipsSQL, []any{c.Users, nt}},
		{"membership groups", seedMembershipGroupsSQL, nil},
		{"brand access", seedBrandAccessSQL, nil},
		{"member counts", seedMemberCountsSQL, nil},
		{"artists", seedArtistsSQL, []any{c.Artists, nt}},
		{"artist plan", seedArtistPlanSQL, nil},
		{"artist plan key", `ALTER TABLE seed_artist ADD PRIMARY KEY (tenant_n, k)`, nil},
		{"artist counts", seedArtistCountsSQL, nil},
		{"release plan", seedReleasePlanSQL, []any{c.Releases, nt, c.TracksPerRelease}},
		{"analyze plans", `ANALYZE seed_tenant, seed_artist, seed_release`, nil},
		{"releases", seedReleasesSQL, nil},
		{"release artists", seedReleaseArtistsSQL, nil},
		{"tracks", seedTracksSQL, nil},
		{"primary track artists", seedPrimaryTrackArtistsSQL, nil},
		{"featured track artists", seedFeaturedTrackArtistsSQL, nil},
	}
}

// seedTables are the tables Seed fills.
var seedTables = []string{
	"languages", "tenants", "brands", "users", "memberships", "groups",
	"membership_groups", "brand_access", "artists", "labels", "releases",
	"release_artists", "tracks", "track_artists",
}

// seedIndex is a secondary index that Seed drops for the load and builds
// again afterwards.
type seedIndex struct {
	Name string `db:"name"`
	Def  string `db:"def"`
}

// seedDropIndexes drops the indexes of the seeded tables that no constraint
// depends on, and returns their definitions. Building an index once over
// loaded rows is much cheaper than maintaining it row by row: the two
// trigram GIN indexes alone made inserting a million users 1.6 times slower.
// Indexes a constraint depends on (primary keys, unique constraints,
// foreign-key targets) stay, so the load is still checked as it goes; a
// dropped unique index checks the rows again when it is rebuilt, before
// commit. Reading the definitions from the catalogue keeps this in step
// with later migrations.
func seedDropIndexes(ctx context.Context, tx *sqlx.Tx) ([]seedIndex, error) {
	var indexes []seedIndex
	if err := tx.SelectContext(ctx, &indexes, `
		SELECT format('%I.%I', n.nspname, c.relname) AS name, pg_get_indexdef(i.indexrelid) AS def
		FROM pg_index AS i
		JOIN pg_class AS c ON c.oid = i.indexrelid
		JOIN pg_namespace AS n ON n.oid = c.relnamespace
		WHERE i.indrelid = ANY ($1::regclass[])
		  AND NOT EXISTS (SELECT 1 FROM pg_constraint AS k WHERE k.conindid = i.indexrelid)
		ORDER BY c.relname`, pq.Array(seedTables)); err != nil {
		return nil, fmt.Errorf("seed: list indexes: %w", err)
	}
	for _, ix := range indexes {
		if _, err := tx.ExecContext(ctx, `DROP INDEX `+ix.Name); err != nil {
			return nil, fmt.Errorf("seed: drop index %s: %w", ix.Name, err)
		}
	}
	return indexes, nil
}

// Word lists. Accented and lower-case-first names are there on purpose:
// they exercise collation in sorting and search.
var (
	seedFirstNames = []string{
		"Jane", "John", "Zoë", "José", "Émilie", "François", "Chloé", "Søren",
		"Björn", "Ana", "Lucía", "Mateo", "Noah", "Emma", "Olivia", "Liam",
		"Léa", "Hugo", "Inès", "Lukas", "Mia", "Jonas", "Sofia", "Elias",
		"Maja", "Oscar", "Camille", "Louis", "Amélie", "Nils", "Astrid",
		"Pedro", "João", "Beatriz", "Tomás", "Aaliyah", "Kenji", "Yuki",
		"Fatima", "Omar",
	}
	// seedFirstASCII spells seedFirstNames, index for index, for emails.
	seedFirstASCII = []string{
		"jane", "john", "zoe", "jose", "emilie", "francois", "chloe", "soren",
		"bjorn", "ana", "lucia", "mateo", "noah", "emma", "olivia", "liam",
		"lea", "hugo", "ines", "lukas", "mia", "jonas", "sofia", "elias",
		"maja", "oscar", "camille", "louis", "amelie", "nils", "astrid",
		"pedro", "joao", "beatriz", "tomas", "aaliyah", "kenji", "yuki",
		"fatima", "omar",
	}
	seedLastNames = []string{
		"Doe", "Smith", "Müller", "García", "Núñez", "Dupont", "Lefèvre",
		"Johansson", "Andersson", "Schmidt", "Rossi", "Silva", "Santos",
		"Martin", "Bernard", "Dubois", "Jensen", "Nielsen", "Öberg",
		"Østergaard", "Brown", "Wilson", "Taylor", "Fernández", "López",
		"Weiß", "Schäfer", "Moreau", "Girard", "Costa", "Pereira", "Kowalski",
		"Nowak", "de la Cruz", "O'Brien", "van Dijk", "Lindqvist", "Åkesson",
		"Ibáñez", "Kim",
	}
	// seedLastASCII spells seedLastNames, index for index, for emails.
	seedLastASCII = []string{
		"doe", "smith", "muller", "garcia", "nunez", "dupont", "lefevre",
		"johansson", "andersson", "schmidt", "rossi", "silva", "santos",
		"martin", "bernard", "dubois", "jensen", "nielsen", "oberg",
		"ostergaard", "brown", "wilson", "taylor", "fernandez", "lopez",
		"weiss", "schafer", "moreau", "girard", "costa", "pereira", "kowalski",
		"nowak", "delacruz", "obrien", "vandijk", "lindqvist", "akesson",
		"ibanez", "kim",
	}
	seedNicknames = []string{
		"Johnny", "J", "Zee", "Kat", "Lil Mo", "Big Sam", "Mimi", "Kiki",
		"Ace", "Nova", "Blaze", "Echo", "Lulu", "Rocco", "Sunny", "Dee",
	}
	seedRoles  = []string{"Producer", "Singer", "Songwriter", "DJ", "Engineer", "Manager"}
	seedGenres = []string{"Pop", "R&B", "Hip-Hop", "Rock", "Electronic", "Jazz", "Classical", "Latin"}
	seedCities = []string{
		"Paris", "Lyon", "Marseille", "London", "Manchester", "Berlin", "Köln",
		"Stockholm", "Göteborg", "Madrid", "Barcelona", "Lisbon", "São Paulo",
		"New York", "Los Angeles", "Nashville", "Atlanta", "Montréal",
	}
	seedCompanies = []string{
		"Sunset Management", "Northern Lights Ltd", "Studio Bleu SARL",
		"Klangwerk GmbH", "Ritmo Latino SL", "Harbor Publishing",
		"Midnight Rights Co", "Éditions Lumière",
	}
	seedPhonePrefixes = []string{"+336", "+337", "+447", "+4915", "+4670", "+3460", "+5511", "+1415"}
	// Weighted towards English and French, like the platform's audience.
	seedLanguageCodes = []string{"en", "en", "en", "en", "fr", "fr", "fr", "de", "es", "pt", "sv"}
	seedCountries     = []string{"US", "FR", "GB", "DE", "SE", "BR"}
	seedAdjectives    = []string{
		"Midnight", "Golden", "Velvet", "Neon", "Silver", "Electric", "Crimson",
		"Northern", "Wild", "Quiet", "Broken", "Endless", "Hidden", "Blue",
		"Summer", "Lunar", "Paper", "Bright", "Lost", "Sacred",
	}
	seedNouns = []string{
		"Echo", "Harbor", "Tide", "Fox", "River", "Signal", "Garden", "Mirror",
		"Horizon", "Ember", "Canyon", "Orbit", "Parade", "Lantern", "Meadow",
		"Avenue", "Storm", "Atlas", "Circus", "Wave",
	}
	seedBandNouns = []string{
		"Foxes", "Echoes", "Rivers", "Signals", "Lanterns", "Horizons",
		"Embers", "Satellites", "Wolves", "Tides", "Parades", "Mirrors",
	}
	seedTitleNouns = []string{
		"Dreams", "City Lights", "Heartbeat", "Fire", "Rain", "Highway",
		"Café Noir", "Canción", "Été Indien", "Gravity", "Daylight", "Shadows",
		"Paradise", "Frequencies", "Wildflowers", "Satellites", "Tomorrow",
		"Ocean Drive", "Sugar", "Ghosts",
	}
	seedTenantKinds   = []string{"Music", "Records", "Entertainment", "Audio", "Media Group"}
	seedBrandSuffixes = []string{"Records", "Classics", "Urban", "Digital"}
	seedLabelSuffixes = []string{"Recordings", "Sound", "Collective", "Editions", "Works"}
	seedGroupNames    = []string{"Admins", "A&R", "Marketing"}
	seedTrackSuffixes = []string{" (Remix)", " (Acoustic)", " - Radio Edit", " (Live)"}
)

// seedArray renders a word list as a SQL array literal. The words are this
// file's constants, never input, so quoting them here is safe.
func seedArray(words []string) string {
	q := make([]string, len(words))
	for i, w := range words {
		q[i] = "'" + strings.ReplaceAll(w, "'", "''") + "'"
	}
	return "ARRAY[" + strings.Join(q, ", ") + "]"
}

// seedHash renders a deterministic pseudo-random number in [0, n) keyed by
// the SQL text expression key. hashtext gives the same value on every run;
// the bigint cast keeps abs() from overflowing on the minimum int4.
func seedHash(key, n string) string {
	return "mod(abs(hashtext(" + key + ")::bigint), " + n + ")"
}

// seedPick renders a deterministic choice from words keyed by key.
func seedPick(words []string, key string) string {
	return "(" + seedArray(words) + ")[1 + " + seedHash(key, strconv.Itoa(len(words))) + "]"
}

// seedPct renders a condition true for about pct percent of keys.
func seedPct(key string, pct int) string {
	return seedHash(key, "100") + " < " + strconv.Itoa(pct)
}

const seedLanguagesSQL = `
INSERT INTO languages (code, name) VALUES
    ('en', 'English'), ('fr', 'French'), ('de', 'German'),
    ('es', 'Spanish'), ('pt', 'Portuguese'), ('sv', 'Swedish')
ON CONFLICT (code) DO NOTHING`

// seed_tenant numbers the tenants 1..nt (top-level first, then
// subsidiaries) and records per-tenant sizes, so later statements can
// compute a child's id from (tenant number, ordinal) instead of looking it
// up. It and the other seed_* tables vanish at commit.
const seedTenantPlanSQL = `
CREATE TEMP TABLE seed_tenant (
    n          int PRIMARY KEY,
    id         uuid NOT NULL,
    parent_n   int,
    slug       text NOT NULL,
    name       text NOT NULL,
    stem       text NOT NULL,
    code       text NOT NULL,
    country    text NOT NULL,
    registrant text NOT NULL,
    created_at timestamptz NOT NULL,
    nbrands    int NOT NULL,
    nlabels    int NOT NULL,
    ngroups    int NOT NULL,
    nmembers   int NOT NULL DEFAULT 0,
    nartists   int NOT NULL DEFAULT 0
) ON COMMIT DROP`

// Every 10th top-level tenant shares created_at with its predecessor.
var seedTopTenantsSQL = `
INSERT INTO seed_tenant (n, id, parent_n, slug, name, stem, code, country, registrant,
                         created_at, nbrands, nlabels, ngroups)
SELECT i, md5('tenant:' || i)::uuid, NULL,
       CASE i WHEN 1 THEN 'acme-music' WHEN 2 THEN 'nordic-sound' WHEN 3 THEN 'blue-label-group'
              ELSE 'tenant-' || lpad(i::text, 3, '0') END,
       CASE i WHEN 1 THEN 'Acme Music' WHEN 2 THEN 'Nordic Sound' WHEN 3 THEN 'Blue Label Group'
              ELSE g.stem || ' ' || g.kind END,
       CASE i WHEN 1 THEN 'Acme' WHEN 2 THEN 'Nordic' WHEN 3 THEN 'Blue Label' ELSE g.stem END,
       CASE i WHEN 1 THEN 'ACM' WHEN 2 THEN 'NRD' WHEN 3 THEN 'BLG' ELSE 'T' || lpad(i::text, 2, '0') END,
       CASE i WHEN 1 THEN 'US' WHEN 2 THEN 'SE' WHEN 3 THEN 'GB'
              ELSE ` + seedPick(seedCountries, "'tc:' || i") + ` END,
       upper(substr(md5('registrant:' || i), 1, 3)),
       timestamptz '2019-01-07 09:00:00+00'
           + ((CASE WHEN i % 10 = 0 THEN i - 1 ELSE i END) - 1) * interval '41 days 3 hours',
       2 + ` + seedHash("'tb:' || i", "3") + `,
       2 + ` + seedHash("'tl:' || i", "4") + `,
       2 + ` + seedHash("'tg:' || i", "2") + `
FROM generate_series(1, $1::int) AS i
CROSS JOIN LATERAL (SELECT ` + seedPick(seedAdjectives, "'ta:' || i") + ` || ' ' || ` +
	seedPick(seedNouns, "'tn:' || i") + ` AS stem,
                           ` + seedPick(seedTenantKinds, "'tk:' || i") + ` AS kind) AS g`

// The subsidiary of top-level tenant p (p = 1, 5, 9, ...) is numbered
// Tenants + (p-1)/4 + 1; the first is Acme Music France.
var seedSubsidiariesSQL = `
INSERT INTO seed_tenant (n, id, parent_n, slug, name, stem, code, country, registrant,
                         created_at, nbrands, nlabels, ngroups)
SELECT s.n, md5('tenant:' || s.n)::uuid, p.n,
       p.slug || '-' || c.suffix, p.name || ' ' || c.country_name, p.stem || ' ' || c.country_name,
       left(p.code, 2) || upper(left(c.suffix, 1)), c.iso,
       upper(substr(md5('registrant:' || s.n), 1, 3)),
       p.created_at + interval '200 days',
       2 + ` + seedHash("'tb:' || s.n", "3") + `,
       2 + ` + seedHash("'tl:' || s.n", "4") + `,
       2 + ` + seedHash("'tg:' || s.n", "2") + `
FROM seed_tenant AS p
CROSS JOIN LATERAL (SELECT $1::int + (p.n - 1) / 4 + 1 AS n, (p.n - 1) / 4 % 6 + 1 AS k) AS s
CROSS JOIN LATERAL (SELECT (ARRAY['fr', 'de', 'es', 'br', 'se', 'uk'])[s.k] AS suffix,
                           (ARRAY['France', 'Germany', 'Spain', 'Brazil', 'Sweden', 'UK'])[s.k] AS country_name,
                           (ARRAY['FR', 'DE', 'ES', 'BR', 'SE', 'GB'])[s.k] AS iso) AS c
WHERE (p.n - 1) % 4 = 0`

const seedTenantsSQL = `
INSERT INTO tenants (id, slug, name, parent_id, created_at, updated_at)
SELECT t.id, t.slug, t.name, p.id, t.created_at, t.created_at + interval '3 days 4 hours'
FROM seed_tenant AS t
LEFT JOIN seed_tenant AS p ON p.n = t.parent_n
ORDER BY t.n`

var seedBrandsSQL = `
INSERT INTO brands (id, tenant_id, name, created_at, updated_at)
SELECT md5('brand:' || t.n || ':' || k)::uuid, t.id,
       t.stem || ' ' || (` + seedArray(seedBrandSuffixes) + `)[k],
       t.created_at + k * interval '1 day',
       t.created_at + k * interval '1 day' + interval '6 hours'
FROM seed_tenant AS t
CROSS JOIN generate_series(1, t.nbrands) AS k
ORDER BY t.n, k`

var seedLabelsSQL = `
INSERT INTO labels (id, tenant_id, name, created_at, updated_at)
SELECT md5('label:' || t.n || ':' || k)::uuid, t.id,
       t.stem || ' ' || (` + seedArray(seedLabelSuffixes) + `)[k],
       t.created_at + k * interval '2 days',
       t.created_at + k * interval '2 days'
FROM seed_tenant AS t
CROSS JOIN generate_series(1, t.nlabels) AS k
ORDER BY t.n, k`

var seedGroupsSQL = `
INSERT INTO groups (id, tenant_id, name, is_admin, created_at, updated_at)
SELECT md5('group:' || t.n || ':' || k)::uuid, t.id,
       (` + seedArray(seedGroupNames) + `)[k], k = 1,
       t.created_at + k * interval '1 hour',
       t.created_at + k * interval '1 hour'
FROM seed_tenant AS t
CROSS JOIN generate_series(1, t.ngroups) AS k
ORDER BY t.n, k`

// seedUserTenant is user i's home tenant ($2 = tenant count). User i <= $2
// is the first member, and so the OWNER, of tenant i; the others spread by
// hash. Users and memberships both use it, so it is written once.
const seedUserTenant = `(CASE WHEN i <= $2::int THEN i ELSE 1 + mod(abs(hashtext('ut:' || i)::bigint), $2::int) END)`

// seedPlatformAdmin holds for the two users after the tenants' owners: the
// platform administrators (SUPER_ADMIN), each an ordinary member of one
// tenant, never terminated nor expired. No tenant's owner is a platform
// administrator, so the development token of a demo tenant's owner is an
// ordinary tenant credential.
const seedPlatformAdmin = `(i - $2::int BETWEEN 1 AND 2)`

// seedUserCreated is user i's created_at: 37 seconds apart, except that
// every 50th user shares its predecessor's instant.
const seedUserCreated = `(timestamptz '2023-01-01 00:00:00+00' + (CASE WHEN i % 50 = 0 THEN i - 1 ELSE i END) * interval '37 seconds')`

// Users: $1 users, $2 tenants. created_by points at the owner of the user's
// home tenant (an earlier user); updated_by sometimes at another earlier
// user. Accounts with a creator came by invitation, or about one in ten by
// a bulk import; the tenants' owners registered themselves. The referral code is unique by construction: its last 8 hex digits
// are i times an odd constant modulo 2^32, a bijection for i < 2^32.
var seedUsersSQL = `
INSERT INTO users (id, email, first_name, last_name, nickname, phone, language_code,
                   picture_url, banner_url, website_url, twitter_url, instagram_url,
                   spotify_profile, sound_cloud_profile, apple_music_profile, location,
                   role, genre, biography, company_name, company_logo_url, company_ip_rights,
                   dsp_plan_subscribed, referral_code, admin_roles, permissions,
                   created_at, updated_at, created_by, updated_by, last_login_at, expires_at,
                   is_deleted, channel, display_absolute_time)
SELECT md5('user:' || i)::uuid,
       CASE WHEN i % 20 = 7 THEN initcap(n.local) ELSE n.local END || '@' || n.domain,
       n.first_name, n.last_name,
       CASE WHEN ` + seedPct("'nn:' || i", 45) + ` THEN ` + seedPick(seedNicknames, "'nk:' || i") + ` END,
       CASE WHEN ` + seedPct("'ph:' || i", 55) + ` THEN ` + seedPick(seedPhonePrefixes, "'pp:' || i") + `
            || lpad(` + seedHash("'pn:' || i", "100000000") + `::text, 8, '0') END,
       CASE WHEN n.domain = 'company.fr' THEN 'fr'
            WHEN ` + seedPct("'lg:' || i", 85) + ` THEN ` + seedPick(seedLanguageCodes, "'lc:' || i") + ` END,
       CASE WHEN ` + seedPct("'pic:' || i", 70) + ` THEN 'https://cdn.example.com/users/' || md5('user:' || i) || '/avatar.jpg' END,
       CASE WHEN ` + seedPct("'ban:' || i", 30) + ` THEN 'https://cdn.example.com/users/' || md5('user:' || i) || '/banner.jpg' END,
       CASE WHEN ` + seedPct("'web:' || i", 20) + ` THEN 'https://' || n.handle || '.example.net' END,
       CASE WHEN ` + seedPct("'tw:' || i", 25) + ` THEN 'https://twitter.com/' || replace(n.handle, '-', '_') END,
       CASE WHEN ` + seedPct("'ig:' || i", 30) + ` THEN 'https://instagram.com/' || replace(n.handle, '-', '.') END,
       CASE WHEN ` + seedPct("'sp:' || i", 15) + ` THEN 'spotify:artist:' || substr(md5('spotify:' || i), 1, 22) END,
       CASE WHEN ` + seedPct("'sc:' || i", 10) + ` THEN n.handle END,
       CASE WHEN ` + seedPct("'am:' || i", 10) + ` THEN (1000000000 + ` + seedHash("'ami:' || i", "900000000") + `)::text END,
       v.location, v.role, v.genre,
       CASE WHEN ` + seedPct("'bio:' || i", 20) + `
            THEN coalesce(n.first_name, 'This artist') || ' is a '
                 || CASE WHEN v.genre IS NULL AND v.role IS NULL THEN 'music maker'
                         ELSE 'leading ' || concat_ws(' ', v.genre, coalesce(v.role, 'artist')) END
                 || coalesce(' based in ' || v.location, '') || '.' END,
       v.company,
       CASE WHEN v.company IS NOT NULL AND ` + seedPct("'cl:' || i", 50) + `
            THEN 'https://cdn.example.com/companies/' || md5(v.company) || '.png' END,
       CASE WHEN v.company IS NOT NULL THEN ` + seedHash("'ip:' || i", "2") + ` = 0 END,
       ` + seedPct("'dsp:' || i", 20) + `,
       substr(md5('ref:' || i), 1, 2) || lpad(to_hex((i::bigint * 2654435761) & 4294967295), 8, '0'),
       CASE WHEN ` + seedPlatformAdmin + ` THEN ARRAY['SUPER_ADMIN']
            WHEN i % 997 = 0 THEN ARRAY['SUPPORT']
            WHEN i % 1999 = 0 THEN ARRAY['FINANCE', 'SUPPORT']
            ELSE '{}'::text[] END,
       CASE WHEN ` + seedPlatformAdmin + ` THEN '{}'::text[]
            WHEN i % 997 = 0 THEN ARRAY['users:read', 'catalogue:read']
            WHEN i % 1999 = 0 THEN ARRAY['royalties:read', 'users:read']
            ELSE '{}'::text[] END,
       v.created_at,
       v.created_at + CASE WHEN ` + seedPct("'upd:' || i", 60) + ` THEN interval '0'
                           ELSE ` + seedHash("'updh:' || i", "8760") + ` * interval '1 hour' END,
       v.created_by,
       CASE WHEN v.created_by IS NULL THEN NULL
            WHEN ` + seedPct("'ub:' || i", 20) + ` THEN md5('user:' || (1 + ` + seedHash("'ubu:' || i", "(i - 1)") + `))::uuid
            ELSE v.created_by END,
       CASE WHEN ` + seedPct("'ll:' || i", 75) + ` THEN v.created_at + ` + seedHash("'llh:' || i", "17520") + ` * interval '1 hour' END,
       CASE WHEN ` + seedPlatformAdmin + ` THEN NULL
            WHEN ` + seedPct("'ex:' || i", 8) + ` THEN timestamptz '2050-12-25 00:00:00+00' + ` + seedHash("'exh:' || i", "48") + ` * interval '1 hour'
            WHEN ` + seedPct("'ex:' || i", 10) + ` THEN v.created_at + interval '1 year' END,
       i > $2::int AND NOT ` + seedPlatformAdmin + ` AND ` + seedHash("'del:' || i", "50") + ` = 0,
        CASE WHEN v.created_by IS NULL THEN 'SIGNUP'
             WHEN ` + seedPct("'imp:' || i", 10) + ` THEN 'IMPORT'
             ELSE 'INVITATION' END,
        ` + seedPct("'abs:' || i", 15) + `
FROM generate_series(1, $1::int) AS i
CROSS JOIN LATERAL (
    SELECT ` + seedUserCreated + ` AS created_at,
           CASE WHEN i > $2::int THEN md5('user:' || ` + seedUserTenant + `)::uuid END AS created_by,
           CASE WHEN ` + seedPct("'fnn:' || i", 99) + ` THEN 1 + ` + seedHash("'fn:' || i", strconv.Itoa(len(seedFirstNames))) + ` END AS fi,
           CASE WHEN ` + seedPct("'lnn:' || i", 92) + ` THEN 1 + ` + seedHash("'ln:' || i", strconv.Itoa(len(seedLastNames))) + ` END AS li,
           CASE WHEN ` + seedPct("'dom:' || i", 12) + ` THEN 'company.fr' ELSE 'example.com' END AS domain,
           CASE WHEN ` + seedPct("'loc:' || i", 50) + ` THEN ` + seedPick(seedCities, "'lo:' || i") + ` END AS location,
           CASE WHEN ` + seedPct("'ro:' || i", 40) + ` THEN ` + seedPick(seedRoles, "'rol:' || i") + ` END AS role,
           CASE WHEN ` + seedPct("'ge:' || i", 40) + ` THEN ` + seedPick(seedGenres, "'gen:' || i") + ` END AS genre,
           CASE WHEN ` + seedPct("'co:' || i", 15) + ` THEN ` + seedPick(seedCompanies, "'com:' || i") + ` END AS company
) AS v
CROSS JOIN LATERAL (
    SELECT (` + seedArray(seedFirstNames) + `)[v.fi] AS first_name,
           (` + seedArray(seedLastNames) + `)[v.li] AS last_name,
           v.domain,
           concat_ws('.', coalesce((` + seedArray(seedFirstASCII) + `)[v.fi], 'user'),
                     (` + seedArray(seedLastASCII) + `)[v.li], i) AS local,
           concat_ws('-', coalesce((` + seedArray(seedFirstASCII) + `)[v.fi], 'user'), i) AS handle
) AS n`

// Memberships: $1 users, $2 tenants. The home membership is created with
// the user; about 5% of users (never a tenant's owner) also joined another
// tenant up to 90 days later, so every tenant's first member stays its
// OWNER.
var seedMembershipsSQL = `
INSERT INTO memberships (id, tenant_id, user_id, role, status, last_seen_at, created_at, updated_at)
SELECT md5('membership:' || i)::uuid,
       md5('tenant:' || ` + seedUserTenant + `)::uuid,
       md5('user:' || i)::uuid,
       CASE WHEN i <= $2::int THEN 'OWNER'
            WHEN ` + seedPct("'mr:' || i", 5) + ` THEN 'ADMIN' ELSE 'USER' END,
       CASE WHEN i > $2::int AND ` + seedPct("'ms:' || i", 7) + ` THEN 'DEACTIVATED' ELSE 'ACTIVE' END,
       CASE WHEN ` + seedPct("'mls:' || i", 80) + ` THEN ` + seedUserCreated + ` + ` + seedHash("'mlh:' || i", "17520") + ` * interval '1 hour' END,
       ` + seedUserCreated + `,
       ` + seedUserCreated + ` + ` + seedHash("'mu:' || i", "500") + ` * interval '1 hour'
FROM generate_series(1, $1::int) AS i
UNION ALL
SELECT md5('membership2:' || i)::uuid,
       md5('tenant:' || (1 + mod(` + seedUserTenant + ` + ` + seedHash("'m2t:' || i", "greatest($2::int - 1, 1)") + `, $2::int)))::uuid,
       md5('user:' || i)::uuid,
       CASE WHEN ` + seedPct("'m2r:' || i", 5) + ` THEN 'ADMIN' ELSE 'USER' END,
       CASE WHEN ` + seedPct("'m2s:' || i", 7) + ` THEN 'DEACTIVATED' ELSE 'ACTIVE' END,
       CASE WHEN ` + seedPct("'m2l:' || i", 70) + ` THEN ` + seedUserCreated + ` + interval '91 days' + ` + seedHash("'m2lh:' || i", "8760") + ` * interval '1 hour' END,
       ` + seedUserCreated + ` + (1 + ` + seedHash("'m2d:' || i", "90") + `) * interval '1 day',
       ` + seedUserCreated + ` + (1 + ` + seedHash("'m2d:' || i", "90") + `) * interval '1 day'
FROM generate_series(1, $1::int) AS i
WHERE i > $2::int AND $2::int > 1 AND ` + seedPct("'m2:' || i", 5)

// Owners and admins sit in the Admins group; about 10% of members each in
// A&R and (where the tenant has it) Marketing.
var seedMembershipGroupsSQL = `
INSERT INTO membership_groups (tenant_id, membership_id, group_id, created_at)
SELECT m.tenant_id, m.id, md5('group:' || t.n || ':' || g.k)::uuid, m.created_at + interval '1 hour'
FROM memberships AS m
JOIN seed_tenant AS t ON t.id = m.tenant_id
CROSS JOIN (VALUES (1), (2), (3)) AS g (k)
WHERE g.k <= t.ngroups
  AND CASE g.k WHEN 1 THEN m.role IN ('OWNER', 'ADMIN')
               WHEN 2 THEN ` + seedPct("'g2:' || m.id", 10) + `
               ELSE ` + seedPct("'g3:' || m.id", 10) + ` END`

// About 30% of memberships get explicit access to one brand of the
// membership's own tenant.
var seedBrandAccessSQL = `
INSERT INTO brand_access (id, tenant_id, brand_id, user_id, role, created_at, updated_at)
SELECT md5('brand_access:' || m.id)::uuid, m.tenant_id,
       md5('brand:' || t.n || ':' || (1 + ` + seedHash("'bab:' || m.id", "t.nbrands") + `))::uuid,
       m.user_id,
       CASE WHEN ` + seedPct("'bar:' || m.id", 30) + ` THEN 'READ_ONLY' ELSE 'USER' END,
       m.created_at + interval '1 day',
       m.created_at + interval '1 day'
FROM memberships AS m
JOIN seed_tenant AS t ON t.id = m.tenant_id
WHERE ` + seedPct("'ba:' || m.id", 30)

const seedMemberCountsSQL = `
UPDATE seed_tenant AS t SET nmembers = c.n
FROM (SELECT tenant_id, count(*)::int AS n FROM memberships GROUP BY tenant_id) AS c
WHERE c.tenant_id = t.id`

// Artists: $1 artists, $2 tenants. Artist a <= $2 belongs to tenant a so
// every tenant has one; about 20% are linked to a member of their own
// tenant, picked by rank among that tenant's memberships, and take the
// member's name.
var seedArtistsSQL = `
WITH member AS (
    SELECT tenant_id, user_id,
           row_number() OVER (PARTITION BY tenant_id ORDER BY created_at, id) AS rn
    FROM memberships
), a AS (
    SELECT g.a, CASE WHEN g.a <= $2::int THEN g.a ELSE 1 + ` + seedHash("'at:' || g.a", "$2::int") + ` END AS tn
    FROM generate_series(1, $1::int) AS g (a)
)
INSERT INTO artists (id, tenant_id, brand_id, user_id, name, genre, country, biography,
                     image_url, spotify_id, apple_music_id, soundcloud_id, created_at, updated_at)
SELECT md5('artist:' || a.a)::uuid, t.id,
       CASE WHEN ` + seedPct("'abn:' || a.a", 80) + `
            THEN md5('brand:' || t.n || ':' || (1 + ` + seedHash("'ab:' || a.a", "t.nbrands") + `))::uuid END,
       m.user_id,
       coalesce(u.nickname, nullif(concat_ws(' ', u.first_name, u.last_name), ''), g.name),
       g.genre, g.country,
       CASE WHEN ` + seedPct("'abi:' || a.a", 50) + `
            THEN coalesce(u.nickname, nullif(concat_ws(' ', u.first_name, u.last_name), ''), g.name)
                 || ' makes ' || coalesce(g.genre, 'genre-defying') || ' music'
                 || coalesce(' out of ' || g.country, '') || '.' END,
       CASE WHEN ` + seedPct("'aim:' || a.a", 70) + ` THEN 'https://cdn.example.com/artists/' || md5('artist:' || a.a) || '.jpg' END,
       CASE WHEN ` + seedPct("'asp:' || a.a", 60) + ` THEN substr(md5('spotify-artist:' || a.a), 1, 22) END,
       CASE WHEN ` + seedPct("'aam:' || a.a", 40) + ` THEN (100000000 + ` + seedHash("'aami:' || a.a", "900000000") + `)::text END,
       CASE WHEN ` + seedPct("'asc:' || a.a", 30) + ` THEN 'artist-' || a.a END,
       g.created_at,
       g.created_at + ` + seedHash("'aup:' || a.a", "2000") + ` * interval '1 hour'
FROM a
JOIN seed_tenant AS t ON t.n = a.tn
CROSS JOIN LATERAL (
    SELECT CASE ` + seedHash("'ap:' || a.a", "4") + `
               WHEN 0 THEN ` + seedPick(seedFirstNames, "'afn:' || a.a") + ` || ' ' || ` + seedPick(seedLastNames, "'aln:' || a.a") + `
               WHEN 1 THEN 'The ' || ` + seedPick(seedAdjectives, "'aad:' || a.a") + ` || ' ' || ` + seedPick(seedBandNouns, "'abd:' || a.a") + `
               WHEN 2 THEN 'DJ ' || ` + seedPick(seedFirstNames, "'afn:' || a.a") + `
               ELSE ` + seedPick(seedAdjectives, "'aad:' || a.a") + ` || ' ' || ` + seedPick(seedNouns, "'ano:' || a.a") + `
           END AS name,
           CASE WHEN ` + seedPct("'agn:' || a.a", 90) + ` THEN ` + seedPick(seedGenres, "'ag:' || a.a") + ` END AS genre,
           CASE WHEN ` + seedPct("'acn:' || a.a", 90) + ` THEN ` + seedPick(seedCountries, "'ac:' || a.a") + ` END AS country,
           timestamptz '2023-01-02 00:00:00+00'
               + (CASE WHEN a.a % 40 = 0 THEN a.a - 1 ELSE a.a END) * interval '613 seconds' AS created_at
) AS g
LEFT JOIN member AS m
       ON m.tenant_id = t.id
      AND t.nmembers > 0
      AND ` + seedPct("'au:' || a.a", 20) + `
      AND m.rn = 1 + ` + seedHash("'aun:' || a.a", "greatest(t.nmembers, 1)") + `
LEFT JOIN users AS u ON u.id = m.user_id
ORDER BY a.a`

// seed_artist ranks each tenant's artists 0..nartists-1 so releases can
// address "the k-th artist of tenant n" with a join, not a subquery.
const seedArtistPlanSQL = `
CREATE TEMP TABLE seed_artist ON COMMIT DROP AS
SELECT t.n AS tenant_n,
       (row_number() OVER (PARTITION BY t.n ORDER BY a.created_at, a.id) - 1)::int AS k,
       a.id
FROM artists AS a
JOIN seed_tenant AS t ON t.id = a.tenant_id`

const seedArtistCountsSQL = `
UPDATE seed_tenant AS t SET nartists = c.n
FROM (SELECT tenant_n, count(*)::int AS n FROM seed_artist GROUP BY tenant_n) AS c
WHERE c.tenant_n = t.n`

// seed_release plans the releases: $1 releases, $2 tenants, $3 average
// tracks. s is the release's rank within its tenant (its artists start at
// artist s mod nartists, so every artist of a tenant with at least as many
// releases as artists is credited); nart is the number of primary artists,
// never more than the tenant has; track_base numbers tracks globally for
// ids and ISRCs.
var seedReleasePlanSQL = `
CREATE TEMP TABLE seed_release ON COMMIT DROP AS
SELECT x.r, x.tn, md5('release:' || x.r)::uuid AS id, x.ntracks,
       least(x.nart, t.nartists) AS nart,
       (row_number() OVER (PARTITION BY x.tn ORDER BY x.r) - 1)::int AS s,
       (sum(x.ntracks) OVER (ORDER BY x.r) - x.ntracks)::bigint AS track_base,
       timestamptz '2023-01-03 00:00:00+00'
           + (CASE WHEN x.r % 50 = 0 THEN x.r - 1 ELSE x.r END) * interval '97 seconds' AS created_at
FROM (
    SELECT r,
           CASE WHEN r <= $2::int THEN r ELSE 1 + ` + seedHash("'rt:' || r", "$2::int") + ` END AS tn,
           1 + ` + seedHash("'rn:' || r", "(2 * $3::int - 1)") + ` AS ntracks,
           CASE WHEN ` + seedPct("'ra:' || r", 70) + ` THEN 1 WHEN ` + seedPct("'ra:' || r", 90) + ` THEN 2 ELSE 3 END AS nart
    FROM generate_series(1, $1::int) AS r
) AS x
JOIN seed_tenant AS t ON t.n = x.tn`

// Releases take brand and label from their own tenant. The type follows
// the track count; the status is weighted towards delivered catalogue.
var seedReleasesSQL = `
INSERT INTO releases (id, tenant_id, brand_id, label_id, title, type, status, upc,
                      catalog_number, release_date, genre, artwork_url, created_at, updated_at)
SELECT sr.id, t.id,
       CASE WHEN ` + seedPct("'rbn:' || sr.r", 80) + `
            THEN md5('brand:' || t.n || ':' || (1 + ` + seedHash("'rb:' || sr.r", "t.nbrands") + `))::uuid END,
       CASE WHEN ` + seedPct("'rln:' || sr.r", 85) + `
            THEN md5('label:' || t.n || ':' || (1 + ` + seedHash("'rl:' || sr.r", "t.nlabels") + `))::uuid END,
       ` + seedPick(seedAdjectives, "'rta:' || sr.r") + ` || ' ' || ` + seedPick(seedTitleNouns, "'rtn:' || sr.r") + `
           || CASE WHEN sr.ntracks > 6 AND ` + seedPct("'rdx:' || sr.r", 10) + ` THEN ' (Deluxe Edition)' ELSE '' END,
       CASE WHEN sr.ntracks <= 2 THEN 'SINGLE' WHEN sr.ntracks <= 6 THEN 'EP' ELSE 'ALBUM' END,
       v.status,
       CASE WHEN v.status = 'DRAFT' AND ` + seedPct("'run:' || sr.r", 50) + ` THEN NULL
            WHEN ` + seedPct("'ru12:' || sr.r", 20) + ` THEN '8' || lpad(sr.r::text, 11, '0')
            ELSE '19' || lpad(sr.r::text, 11, '0') END,
       CASE WHEN ` + seedPct("'rcn:' || sr.r", 90) + ` THEN t.code || '-' || lpad((sr.s + 1)::text, 5, '0') END,
       CASE WHEN v.status = 'DRAFT' AND ` + seedPct("'rdn:' || sr.r", 50) + ` THEN NULL
            ELSE date '2015-01-01' + ` + seedHash("'rd:' || sr.r", "4000") + `::int END,
       CASE WHEN ` + seedPct("'rgn:' || sr.r", 90) + ` THEN ` + seedPick(seedGenres, "'rg:' || sr.r") + ` END,
       CASE WHEN ` + seedPct("'raw:' || sr.r", 85) + ` THEN 'https://cdn.example.com/artwork/' || md5('release:' || sr.r) || '.jpg' END,
       sr.created_at,
       sr.created_at + ` + seedHash("'rup:' || sr.r", "3000") + ` * interval '1 hour'
FROM seed_release AS sr
JOIN seed_tenant AS t ON t.n = sr.tn
CROSS JOIN LATERAL (
    SELECT CASE WHEN h < 40 THEN 'DELIVERED' WHEN h < 55 THEN 'APPROVED' WHEN h < 75 THEN 'DRAFT'
                WHEN h < 83 THEN 'SUBMITTED' WHEN h < 90 THEN 'QUEUED' WHEN h < 95 THEN 'REJECTED'
                ELSE 'TAKEN_DOWN' END AS status
    FROM (SELECT ` + seedHash("'rs:' || sr.r", "100") + ` AS h) AS hh
) AS v
ORDER BY sr.r`

// Release artist j (0-based) is the tenant's artist (s + j*stride) mod
// nartists. A stride of 7 spreads collaborations; it is coprime to nartists
// unless nartists is a multiple of 7, where 1 is used instead. With
// nart <= nartists and j < 3 the picks are therefore distinct.
const seedReleaseArtistsSQL = `
INSERT INTO release_artists (id, tenant_id, release_id, artist_id, position, created_at)
SELECT md5('release_artist:' || sr.r || ':' || j)::uuid, t.id, sr.id, sa.id, j + 1, sr.created_at
FROM seed_release AS sr
JOIN seed_tenant AS t ON t.n = sr.tn
CROSS JOIN LATERAL generate_series(0, sr.nart - 1) AS j
JOIN seed_artist AS sa
  ON sa.tenant_n = sr.tn
 AND sa.k = mod(sr.s + j * CASE WHEN mod(t.nartists, 7) = 0 THEN 1 ELSE 7 END, greatest(t.nartists, 1))
ORDER BY sr.r, j`

// Tracks number 1..ntracks on each release; track g (global ordinal) gets
// the ISRC <tenant country><tenant registrant><g padded to 7 digits>.
var seedTracksSQL = `
INSERT INTO tracks (id, tenant_id, release_id, position, title, isrc, duration_seconds,
                    explicit, created_at, updated_at)
SELECT md5('track:' || x.g)::uuid, t.id, sr.id, p,
       ` + seedPick(seedAdjectives, "'tta:' || x.g") + ` || ' ' || ` + seedPick(seedTitleNouns, "'ttn:' || x.g") + `
           || CASE WHEN ` + seedPct("'tts:' || x.g", 8) + ` THEN ` + seedPick(seedTrackSuffixes, "'ttx:' || x.g") + ` ELSE '' END,
       CASE WHEN ` + seedPct("'tin:' || x.g", 97) + ` THEN t.country || t.registrant || lpad(x.g::text, 7, '0') END,
       90 + ` + seedHash("'td:' || x.g", "331") + `::int,
       ` + seedPct("'tex:' || x.g", 10) + `,
       sr.created_at + p * interval '1 second',
       sr.created_at + p * interval '1 second' + ` + seedHash("'tup:' || x.g", "1000") + ` * interval '1 hour'
FROM seed_release AS sr
JOIN seed_tenant AS t ON t.n = sr.tn
CROSS JOIN LATERAL generate_series(1, sr.ntracks) AS p
CROSS JOIN LATERAL (SELECT sr.track_base + p AS g) AS x`

// Every track credits its release's primary artists, in the same order.
const seedPrimaryTrackArtistsSQL = `
INSERT INTO track_artists (id, tenant_id, track_id, artist_id, role, position, created_at)
SELECT md5('track_artist:' || tr.id || ':' || ra.position)::uuid, tr.tenant_id, tr.id, ra.artist_id,
       'PRIMARY', ra.position, tr.created_at
FROM tracks AS tr
JOIN release_artists AS ra ON ra.release_id = tr.release_id`

// About 15% of tracks feature one more artist of the tenant. A pick that
// is already a primary artist of the release is dropped rather than
// re-drawn, so slightly fewer than 15% end up with a feature.
var seedFeaturedTrackArtistsSQL = `
INSERT INTO track_artists (id, tenant_id, track_id, artist_id, role, position, created_at)
SELECT md5('track_featured:' || x.g)::uuid, t.id, md5('track:' || x.g)::uuid, sa.id,
       'FEATURED', sr.nart + 1, sr.created_at + p * interval '1 second'
FROM seed_release AS sr
JOIN seed_tenant AS t ON t.n = sr.tn
CROSS JOIN LATERAL generate_series(1, sr.ntracks) AS p
CROSS JOIN LATERAL (SELECT sr.track_base + p AS g) AS x
JOIN seed_artist AS sa
  ON sa.tenant_n = sr.tn
 AND sa.k = mod(sr.s + 1 + ` + seedHash("'fa:' || x.g", "greatest(t.nartists, 1)") + `, greatest(t.nartists, 1))
WHERE sr.nart > 0
  AND t.nartists > sr.nart
  AND ` + seedPct("'ft:' || x.g", 15) + `
  AND NOT EXISTS (SELECT 1 FROM release_artists AS ra WHERE ra.release_id = sr.id AND ra.artist_id = sa.id)`
