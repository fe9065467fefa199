-- Every tenant-owned row names its tenant, and every reference from one
-- tenant-owned row to another stays inside one tenant, enforced by the
-- keys: what distributing the tables by tenant (Citus) needs, and what
-- db/schema_test.go checks from the catalog so that a new table cannot
-- break it unnoticed. docs/SHARDING.md has the plan.
--
-- Numbered 0009, not 0007: other branches are adding 0007 and 0008 at the
-- same time, and migrations apply in name order, so a gap is harmless.
--
-- Additive and safe for existing rows: the new columns are filled from the
-- rows they belong to before they become NOT NULL, every new key holds for
-- the data the application writes (it already checks that references stay
-- in the tenant), and the existing single-column foreign keys stay. On a
-- large database, build the unique indexes of step 2 beforehand with
-- CREATE UNIQUE INDEX CONCURRENTLY under the same names: this migration
-- then only attaches them.

-- 1. The link tables name their tenant: that of the row they hang from.
ALTER TABLE membership_groups ADD COLUMN tenant_id uuid REFERENCES tenants (id);
ALTER TABLE release_artists ADD COLUMN tenant_id uuid REFERENCES tenants (id);
ALTER TABLE track_artists ADD COLUMN tenant_id uuid REFERENCES tenants (id);

UPDATE membership_groups AS x SET tenant_id = m.tenant_id FROM memberships AS m WHERE m.id = x.membership_id;
UPDATE release_artists AS x SET tenant_id = r.tenant_id FROM releases AS r WHERE r.id = x.release_id;
UPDATE track_artists AS x SET tenant_id = t.tenant_id FROM tracks AS t WHERE t.id = x.track_id;

ALTER TABLE membership_groups ALTER COLUMN tenant_id SET NOT NULL;
ALTER TABLE release_artists ALTER COLUMN tenant_id SET NOT NULL;
ALTER TABLE track_artists ALTER COLUMN tenant_id SET NOT NULL;

-- Writers that do not name the tenant yet (server processes of the
-- previous release during a rolling deploy) get it from the parent row,
-- read with the writer's own rights: a parent it cannot see leaves the
-- column NULL, and the insert fails as it failed before.
CREATE FUNCTION fill_link_tenant_id() RETURNS trigger
    LANGUAGE plpgsql AS $$
BEGIN
    IF TG_TABLE_NAME = 'membership_groups' THEN
        NEW.tenant_id := (SELECT tenant_id FROM memberships WHERE id = NEW.membership_id);
    ELSIF TG_TABLE_NAME = 'release_artists' THEN
        NEW.tenant_id := (SELECT tenant_id FROM releases WHERE id = NEW.release_id);
    ELSE
        NEW.tenant_id := (SELECT tenant_id FROM tracks WHERE id = NEW.track_id);
    END IF;
    RETURN NEW;
END
$$;
CREATE TRIGGER membership_groups_tenant_id BEFORE INSERT ON membership_groups
    FOR EACH ROW WHEN (NEW.tenant_id IS NULL) EXECUTE FUNCTION fill_link_tenant_id();
CREATE TRIGGER release_artists_tenant_id BEFORE INSERT ON release_artists
    FOR EACH ROW WHEN (NEW.tenant_id IS NULL) EXECUTE FUNCTION fill_link_tenant_id();
CREATE TRIGGER track_artists_tenant_id BEFORE INSERT ON track_artists
    FOR EACH ROW WHEN (NEW.tenant_id IS NULL) EXECUTE FUNCTION fill_link_tenant_id();

-- 2. The tables other tenant rows reference are keyed by (tenant_id, id)
-- as well, the key the references below point at.
DO $$
DECLARE
    t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['brands', 'labels', 'artists', 'releases', 'tracks', 'memberships', 'groups'] LOOP
        EXECUTE format('CREATE UNIQUE INDEX IF NOT EXISTS %I ON %I (tenant_id, id)', t || '_tenant_id_id_key', t);
        EXECUTE format('ALTER TABLE %I ADD CONSTRAINT %I UNIQUE USING INDEX %I',
                       t, t || '_tenant_id_id_key', t || '_tenant_id_id_key');
    END LOOP;
END
$$;

-- 3. References between tenant rows carry the tenant on both sides, so a
-- row can only point at a row of its own tenant. Each mirrors the delete
-- rule of the single-column key it doubles.
ALTER TABLE membership_groups
    ADD CONSTRAINT membership_groups_tenant_membership_fkey FOREIGN KEY (tenant_id, membership_id)
        REFERENCES memberships (tenant_id, id) ON DELETE CASCADE,
    ADD CONSTRAINT membership_groups_tenant_group_fkey FOREIGN KEY (tenant_id, group_id)
        REFERENCES groups (tenant_id, id) ON DELETE CASCADE;
ALTER TABLE brand_access
    ADD CONSTRAINT brand_access_tenant_brand_fkey FOREIGN KEY (tenant_id, brand_id)
        REFERENCES brands (tenant_id, id) ON DELETE CASCADE;
ALTER TABLE artists
    ADD CONSTRAINT artists_tenant_brand_fkey FOREIGN KEY (tenant_id, brand_id) REFERENCES brands (tenant_id, id);
ALTER TABLE releases
    ADD CONSTRAINT releases_tenant_brand_fkey FOREIGN KEY (tenant_id, brand_id) REFERENCES brands (tenant_id, id),
    ADD CONSTRAINT releases_tenant_label_fkey FOREIGN KEY (tenant_id, label_id) REFERENCES labels (tenant_id, id);
ALTER TABLE release_artists
    ADD CONSTRAINT release_artists_tenant_release_fkey FOREIGN KEY (tenant_id, release_id)
        REFERENCES releases (tenant_id, id) ON DELETE CASCADE,
    ADD CONSTRAINT release_artists_tenant_artist_fkey FOREIGN KEY (tenant_id, artist_id) REFERENCES artists (tenant_id, id);
ALTER TABLE tracks
    ADD CONSTRAINT tracks_tenant_release_fkey FOREIGN KEY (tenant_id, release_id)
        REFERENCES releases (tenant_id, id) ON DELETE CASCADE;
ALTER TABLE track_artists
    ADD CONSTRAINT track_artists_tenant_track_fkey FOREIGN KEY (tenant_id, track_id)
        REFERENCES tracks (tenant_id, id) ON DELETE CASCADE,
    ADD CONSTRAINT track_artists_tenant_artist_fkey FOREIGN KEY (tenant_id, artist_id) REFERENCES artists (tenant_id, id);
ALTER TABLE release_deliveries
    ADD CONSTRAINT release_deliveries_tenant_release_fkey FOREIGN KEY (tenant_id, release_id)
        REFERENCES releases (tenant_id, id) ON DELETE CASCADE;
