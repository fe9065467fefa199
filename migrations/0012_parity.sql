-- Parity with the original endpoints: names that sort as people read them,
-- idempotency keys that remember their input, seed 003's account fields,
-- a tenant's tracks, and the audit log read by subject.

-- Names, titles and labels sort with a linguistic collation: `Åkesson`
-- among the A's, `van Dijk` among the V's, case second. The order keys
-- (db/fields.go) and the cursors compare with COLLATE catalogue_name, so
-- keyset paging and the indexes below use the same order. ICU's root
-- locale where PostgreSQL has ICU; otherwise the first linguistic libc
-- locale the server knows; byte order ("C") only as the last resort. Every
-- choice is deterministic (equal only when the bytes are), so a key and an
-- id still order rows totally.
DO $$
DECLARE
    libc text;
BEGIN
    IF EXISTS (SELECT 1 FROM pg_collation WHERE collprovider = 'i') THEN
        CREATE COLLATION catalogue_name (provider = icu, locale = 'und');
        RETURN;
    END IF;
    SELECT collname INTO libc FROM pg_collation
    WHERE collprovider = 'c' AND collencoding IN (-1, pg_char_to_encoding(current_setting('server_encoding')))
      AND collname IN ('en_US.utf8', 'en_US.UTF-8', 'en_GB.utf8', 'en_GB.UTF-8')
    ORDER BY collname LIMIT 1;
    IF libc IS NOT NULL THEN
        EXECUTE format('CREATE COLLATION catalogue_name FROM %I', libc);
    ELSE
        RAISE NOTICE 'no ICU and no linguistic libc locale: names sort in byte order';
        CREATE COLLATION catalogue_name FROM "C";
    END IF;
END
$$;

CREATE INDEX users_first_name_idx ON users (first_name COLLATE catalogue_name, id);
CREATE INDEX users_last_name_idx ON users (last_name COLLATE catalogue_name, id);
CREATE INDEX users_nickname_idx ON users (nickname COLLATE catalogue_name, id);
CREATE INDEX artists_tenant_name_idx ON artists (tenant_id, name COLLATE catalogue_name, id);
CREATE INDEX releases_tenant_title_idx ON releases (tenant_id, title COLLATE catalogue_name, id);
CREATE INDEX labels_tenant_name_idx ON labels (tenant_id, name COLLATE catalogue_name, id);
CREATE INDEX brands_tenant_name_idx ON brands (tenant_id, name COLLATE catalogue_name, id);
CREATE INDEX groups_tenant_name_idx ON groups (tenant_id, name COLLATE catalogue_name, id);

-- Tenant.tracks: newest first, or by title.
CREATE INDEX tracks_tenant_idx ON tracks (tenant_id, created_at, id);
CREATE INDEX tracks_tenant_title_idx ON tracks (tenant_id, title COLLATE catalogue_name, id);

-- A key sent again with another input is a conflict, not a retry: the key
-- keeps a SHA-256 of the canonical input of the request that claimed it.
-- Keys claimed before this column existed have none and are not checked.
ALTER TABLE idempotency_keys ADD COLUMN input_hash bytea;

-- Seed 003's DTO_standard_filter `channel` and `include_imported`: how an
-- account came to the platform. Accounts a tenant member created are
-- INVITATION; an API key acting as nobody, API; bulk loads, IMPORT; the
-- rest registered themselves (SIGNUP).
ALTER TABLE users ADD COLUMN channel text NOT NULL DEFAULT 'SIGNUP'
    CHECK (channel IN ('SIGNUP', 'INVITATION', 'API', 'IMPORT'));
UPDATE users SET channel = 'INVITATION' WHERE created_by IS NOT NULL;

-- Seed 003's DTO_user `display_absolute_time`: the user prefers absolute
-- times ("2025-03-10 12:34") to relative ones ("3 days ago").
ALTER TABLE users ADD COLUMN display_absolute_time boolean NOT NULL DEFAULT false;

-- Seed 003's DTO_translation_language `icon` and `icon_sqare`: reference
-- data like the names, an image URL or an emoji.
ALTER TABLE languages ADD COLUMN icon text, ADD COLUMN square_icon text;

-- The audit log of one object, newest first.
CREATE INDEX audit_log_subject_idx ON audit_log (subject_id, created_at, id) WHERE subject_id IS NOT NULL;
