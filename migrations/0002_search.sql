-- Free-text search and pattern filters: accent- and case-folded search
-- columns with trigram indexes, so that `search` and `contains` filters use
-- an index instead of scanning a tenant's rows.

CREATE EXTENSION IF NOT EXISTS pg_trgm;
CREATE EXTENSION IF NOT EXISTS unaccent;

-- unaccent() is STABLE because its dictionary could change; generated
-- columns and indexes need IMMUTABLE. Naming the dictionary pins it, which
-- is the documented way to make a folding function indexable.
CREATE FUNCTION catalogue_fold(text) RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT
    AS $$ SELECT lower(unaccent('unaccent'::regdictionary, $1)) $$;

ALTER TABLE users ADD COLUMN search_text text GENERATED ALWAYS AS (catalogue_fold(
    coalesce(first_name, '') || ' ' || coalesce(last_name, '') || ' ' ||
    coalesce(nickname, '') || ' ' || email)) STORED;
CREATE INDEX users_search_trgm ON users USING gin (search_text gin_trgm_ops);
CREATE INDEX users_email_trgm ON users USING gin (email gin_trgm_ops);

ALTER TABLE artists ADD COLUMN search_text text GENERATED ALWAYS AS (catalogue_fold(name)) STORED;
CREATE INDEX artists_search_trgm ON artists USING gin (search_text gin_trgm_ops);

ALTER TABLE releases ADD COLUMN search_text text GENERATED ALWAYS AS (catalogue_fold(
    title || ' ' || coalesce(upc, '') || ' ' || coalesce(catalog_number, ''))) STORED;
CREATE INDEX releases_search_trgm ON releases USING gin (search_text gin_trgm_ops);

ALTER TABLE tracks ADD COLUMN search_text text GENERATED ALWAYS AS (catalogue_fold(
    title || ' ' || coalesce(isrc, ''))) STORED;
CREATE INDEX tracks_search_trgm ON tracks USING gin (search_text gin_trgm_ops);

-- Filters by membership role and status within a tenant.
CREATE INDEX memberships_tenant_role_idx ON memberships (tenant_id, role, created_at, id);

-- The tenant and all its subsidiaries, at any depth: the rows of a
-- tenant's lists with includeSubsidiaries.
CREATE FUNCTION tenant_subtree(root uuid) RETURNS uuid[]
    LANGUAGE sql STABLE PARALLEL SAFE STRICT
    AS $$
        WITH RECURSIVE t(id) AS (
            SELECT root
            UNION
            SELECT c.id FROM tenants c JOIN t ON c.parent_id = t.id
        )
        SELECT array_agg(id) FROM t
    $$;
