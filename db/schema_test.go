package db

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	"testing"
)

// The tenant rules of the schema (docs/SHARDING.md), read from the catalog
// of the migrated test database, so that a new table or key that breaks
// them fails here rather than on the day the tables are distributed.

// globalTables are the tables that belong to no tenant: they would be
// reference tables (copied to every node). Any other table is tenant-owned.
var globalTables = map[string]string{
	"tenants":           "the tenants themselves; every tenant row points at one, and subtrees are walked across them",
	"users":             "a person has one account across tenants, who belongs to them through memberships",
	"languages":         "a fixed list every user may point at",
	"schema_migrations": "the migration runner's record",
}

// crossTenantReferences are the foreign keys between tenant-owned tables
// that may point at a row of another tenant, each with the reason. A tree's
// tenants are co-located (docs/SHARDING.md), so such a reference must stay
// within a tenant tree.
var crossTenantReferences = map[string]string{
	"audit_log_api_key_id_fkey": "an ancestor tenant's API key may act in a subsidiary, whose audit log names the key",
}

// uniqueKeysWithoutTenant are the unique keys of tenant-owned tables,
// other than a primary key on id alone, that do not include tenant_id yet.
// Distribution needs every unique key to include the distribution column;
// docs/SHARDING.md says what becomes of each. A new unique key must include
// tenant_id.
var uniqueKeysWithoutTenant = []string{
	"api_keys_key_id_key",                      // global lookup of a key at authentication
	"brand_access_brand_id_user_id_key",        // becomes (tenant_id, brand_id, user_id)
	"membership_groups_pkey",                   // becomes (tenant_id, membership_id, group_id)
	"release_artists_release_id_artist_id_key", // becomes (tenant_id, release_id, artist_id)
	"release_artists_release_id_position_key",  // becomes (tenant_id, release_id, position)
	"release_deliveries_pkey",                  // becomes (tenant_id, release_id, store)
	"track_artists_track_id_artist_id_key",     // becomes (tenant_id, track_id, artist_id)
	"track_artists_track_id_position_key",      // becomes (tenant_id, track_id, position)
	"tracks_release_id_position_key",           // becomes (tenant_id, release_id, position)
}

// schemaTable is a table of the public schema with what the rules need.
type schemaTable struct {
	Name        string `db:"name"`
	TenantCol   bool   `db:"tenant_col"`   // has tenant_id uuid NOT NULL
	TenantFK    bool   `db:"tenant_fk"`    // tenant_id references tenants (id)
	RowSecurity bool   `db:"row_security"` // row-level security on, with a policy
}

// schemaFK is a foreign key with its column pairs.
type schemaFK struct {
	Name   string `db:"name"`
	From   string `db:"from_table"`
	To     string `db:"to_table"`
	Pairs  string `db:"pairs"` // "child_col=parent_col,..." in key order
	Tenant bool   `db:"tenant"`
}

func TestSchemaTenantRules(t *testing.T) {
	ctx := context.Background()
	var tables []schemaTable
	if err := testStore.x.SelectContext(ctx, &tables, `
		SELECT c.relname AS name,
		       EXISTS (SELECT 1 FROM pg_attribute a
		               WHERE a.attrelid = c.oid AND a.attname = 'tenant_id' AND NOT a.attisdropped
		                 AND a.attnotnull AND a.atttypid = 'uuid'::regtype) AS tenant_col,
		       EXISTS (SELECT 1 FROM pg_constraint k
		               WHERE k.conrelid = c.oid AND k.contype = 'f' AND k.confrelid = 'tenants'::regclass
		                 AND array_length(k.conkey, 1) = 1
		                 AND (SELECT attname FROM pg_attribute WHERE attrelid = c.oid AND attnum = k.conkey[1]) = 'tenant_id'
		                 AND (SELECT attname FROM pg_attribute WHERE attrelid = k.confrelid AND attnum = k.confkey[1]) = 'id') AS tenant_fk,
		       c.relrowsecurity AND EXISTS (SELECT 1 FROM pg_policy p WHERE p.polrelid = c.oid) AS row_security
		FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
		WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p') AND NOT c.relispartition
		ORDER BY 1`); err != nil {
		t.Fatal(err)
	}
	tenantOwned := map[string]bool{}
	for _, tb := range tables {
		if _, ok := globalTables[tb.Name]; ok {
			continue
		}
		tenantOwned[tb.Name] = true
		t.Run("owned/"+tb.Name, func(t *testing.T) {
			if !tb.TenantCol {
				t.Errorf("table %s has no tenant_id uuid NOT NULL column: add one (or list the table in globalTables with a reason, if it belongs to no tenant)", tb.Name)
			}
			if !tb.TenantFK {
				t.Errorf("table %s: tenant_id does not reference tenants (id)", tb.Name)
			}
			if !tb.RowSecurity {
				t.Errorf("table %s has no row-level security policy: requests would see every tenant's rows", tb.Name)
			}
		})
	}
	for name := range globalTables {
		if !slices.ContainsFunc(tables, func(tb schemaTable) bool { return tb.Name == name }) {
			t.Errorf("globalTables names %s, which the schema does not have", name)
		}
	}

	var fks []schemaFK
	if err := testStore.x.SelectContext(ctx, &fks, `
		SELECT k.conname AS name, k.conrelid::regclass::text AS from_table, k.confrelid::regclass::text AS to_table,
		       string_agg(ca.attname || '=' || pa.attname, ',' ORDER BY u.i) AS pairs,
		       bool_or(ca.attname = 'tenant_id' AND pa.attname = 'tenant_id') AS tenant
		FROM pg_constraint k
		JOIN pg_namespace n ON n.oid = k.connamespace
		CROSS JOIN LATERAL unnest(k.conkey, k.confkey) WITH ORDINALITY AS u(c, p, i)
		JOIN pg_attribute ca ON ca.attrelid = k.conrelid AND ca.attnum = u.c
		JOIN pg_attribute pa ON pa.attrelid = k.confrelid AND pa.attnum = u.p
		WHERE k.contype = 'f' AND n.nspname = 'public'
		GROUP BY k.oid, k.conname, k.conrelid, k.confrelid
		ORDER BY 1`); err != nil {
		t.Fatal(err)
	}
	// A reference between tenant rows keeps to one tenant when it pairs
	// tenant_id with tenant_id, or when a twin key between the same tables
	// does, over the same columns plus that pair.
	twin := map[string]bool{}
	for _, fk := range fks {
		if fk.Tenant {
			var rest []string
			for _, p := range strings.Split(fk.Pairs, ",") {
				if p != "tenant_id=tenant_id" {
					rest = append(rest, p)
				}
			}
			sort.Strings(rest)
			twin[fk.From+">"+fk.To+">"+strings.Join(rest, ",")] = true
		}
	}
	seenCross := map[string]bool{}
	for _, fk := range fks {
		if !tenantOwned[fk.From] || !tenantOwned[fk.To] || fk.Tenant {
			continue
		}
		pairs := strings.Split(fk.Pairs, ",")
		sort.Strings(pairs)
		if twin[fk.From+">"+fk.To+">"+strings.Join(pairs, ",")] {
			continue
		}
		if _, ok := crossTenantReferences[fk.Name]; ok {
			seenCross[fk.Name] = true
			continue
		}
		t.Errorf("foreign key %s (%s -> %s, %s) may point at another tenant's row: reference (tenant_id, ...) -> %s (tenant_id, ...) instead, or beside it",
			fk.Name, fk.From, fk.To, fk.Pairs, fk.To)
	}
	for name := range crossTenantReferences {
		if !seenCross[name] {
			t.Errorf("crossTenantReferences names %s, which is not a foreign key between tenant tables without a tenant-carrying twin: remove it", name)
		}
	}

	var keys []string
	if err := testStore.x.SelectContext(ctx, &keys, `
		SELECT i.relname
		FROM pg_index x
		JOIN pg_class c ON c.oid = x.indrelid
		JOIN pg_class i ON i.oid = x.indexrelid
		JOIN pg_namespace n ON n.oid = c.relnamespace
		JOIN pg_attribute ta ON ta.attrelid = c.oid AND ta.attname = 'tenant_id' AND NOT ta.attisdropped
		WHERE n.nspname = 'public' AND x.indisunique
		  AND NOT ta.attnum = ANY (x.indkey::int2[])
		  AND NOT (x.indisprimary AND x.indnatts = 1
		           AND (SELECT attname FROM pg_attribute WHERE attrelid = c.oid AND attnum = x.indkey[0]) = 'id')
		ORDER BY 1`); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(keys, uniqueKeysWithoutTenant) {
		t.Errorf("unique keys of tenant tables without tenant_id (other than a primary key on id):\n got  %s\n want %s\n"+
			"a new unique key must include tenant_id; one that now does comes off uniqueKeysWithoutTenant (and docs/SHARDING.md)",
			fmt.Sprint(keys), fmt.Sprint(uniqueKeysWithoutTenant))
	}
}

// TestLinkRowsNameTheirTenant checks that a writer that leaves tenant_id out
// of a link row (a server of the previous release) still stores the tenant
// of the row it hangs from, and that a link naming another tenant than its
// parent's is refused by the tenant-carrying keys.
func TestLinkRowsNameTheirTenant(t *testing.T) {
	ctx := context.Background()
	tx, err := testStore.x.BeginTxx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback() //nolint:errcheck
	var release, artist, tenant, other string
	if err := tx.QueryRowxContext(ctx, `
		SELECT r.id, a.id, r.tenant_id, (SELECT id FROM tenants WHERE id <> r.tenant_id LIMIT 1)
		FROM releases r JOIN artists a ON a.tenant_id = r.tenant_id
		WHERE NOT EXISTS (SELECT 1 FROM release_artists x WHERE x.release_id = r.id AND x.artist_id = a.id)
		LIMIT 1`).Scan(&release, &artist, &tenant, &other); err != nil {
		t.Fatal(err)
	}
	if _, err := tx.ExecContext(ctx, `SAVEPOINT s`); err != nil {
		t.Fatal(err)
	}
	var got string
	if err := tx.GetContext(ctx, &got, `INSERT INTO release_artists (release_id, artist_id, position)
		VALUES ($1, $2, 99) RETURNING tenant_id`, release, artist); err != nil {
		t.Fatal(err)
	}
	if got != tenant {
		t.Errorf("release_artists.tenant_id = %s, want the release's tenant %s", got, tenant)
	}
	if _, err := tx.ExecContext(ctx, `ROLLBACK TO SAVEPOINT s`); err != nil {
		t.Fatal(err)
	}
	_, err = tx.ExecContext(ctx, `INSERT INTO release_artists (tenant_id, release_id, artist_id, position)
		VALUES ($1, $2, $3, 99)`, other, release, artist)
	var ce *ConstraintError
	if err == nil {
		t.Fatal("a link row naming another tenant than its release's was stored")
	} else if !errors.As(mapError(err), &ce) || ce.Kind != "foreign_key" {
		t.Fatalf("a link row naming another tenant: %v, want a foreign key violation", err)
	}
}
