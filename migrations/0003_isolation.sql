-- Tenant isolation in PostgreSQL itself. Requests run as catalogue_app
-- (SET LOCAL ROLE in their transaction), which owns nothing and cannot
-- bypass row-level security. The policies let it see only rows of the
-- tenants named in the transaction setting app.tenant_ids, or every row
-- when app.all_tenants is on (platform administrators). A request whose
-- transaction set neither sees nothing.

DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'catalogue_app') THEN
        CREATE ROLE catalogue_app NOLOGIN NOSUPERUSER NOBYPASSRLS NOINHERIT;
    END IF;
END
$$;

-- The role that runs the server must be able to switch to catalogue_app.
DO $$
BEGIN
    IF NOT (SELECT rolsuper FROM pg_roles WHERE rolname = current_user) THEN
        EXECUTE format('GRANT catalogue_app TO %I', current_user);
    END IF;
END
$$;

CREATE FUNCTION app_tenant_ids() RETURNS uuid[]
    LANGUAGE sql STABLE PARALLEL SAFE
    AS $$ SELECT string_to_array(nullif(current_setting('app.tenant_ids', true), ''), ',')::uuid[] $$;

CREATE FUNCTION app_all_tenants() RETURNS boolean
    LANGUAGE sql STABLE PARALLEL SAFE
    AS $$ SELECT coalesce(current_setting('app.all_tenants', true), '') = 'on' $$;

-- API keys of tenants (seed 000 `Authorization: <API_KEY>:<API_SECRET>`).
-- Only a SHA-256 of the secret is kept: secrets are 256-bit random values,
-- so a fast hash is enough and lookups stay cheap.
CREATE TABLE api_keys (
    id           uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    tenant_id    uuid NOT NULL REFERENCES tenants (id),
    name         text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    key_id       text NOT NULL UNIQUE,
    secret_hash  bytea NOT NULL,
    role         text NOT NULL CHECK (role IN ('OWNER', 'ADMIN', 'USER')),
    created_by   uuid REFERENCES users (id),
    created_at   timestamptz NOT NULL DEFAULT now(),
    last_used_at timestamptz,
    revoked_at   timestamptz
);
CREATE INDEX api_keys_tenant_idx ON api_keys (tenant_id, created_at, id);

-- Who did what, acting as whom.
CREATE TABLE audit_log (
    id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    tenant_id   uuid NOT NULL REFERENCES tenants (id),
    actor_id    uuid REFERENCES users (id),
    api_key_id  uuid REFERENCES api_keys (id),
    acting_as   uuid REFERENCES users (id),
    action      text NOT NULL,
    subject_id  uuid,
    detail      jsonb NOT NULL DEFAULT '{}',
    created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX audit_log_tenant_idx ON audit_log (tenant_id, created_at, id);

GRANT USAGE ON SCHEMA public TO catalogue_app;
GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO catalogue_app;
ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO catalogue_app;
REVOKE INSERT, UPDATE, DELETE ON schema_migrations, languages FROM catalogue_app;

-- The (SELECT ...) wrappers make PostgreSQL evaluate the settings once per
-- statement (an InitPlan) instead of once per row.
DO $$
DECLARE
    t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['brands', 'groups', 'memberships', 'brand_access', 'artists', 'labels',
                             'releases', 'tracks', 'api_keys', 'audit_log'] LOOP
        EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
        EXECUTE format('CREATE POLICY tenant_isolation ON %I USING ((SELECT app_all_tenants()) OR tenant_id = ANY ((SELECT app_tenant_ids())::uuid[]))', t);
    END LOOP;
END
$$;

ALTER TABLE tenants ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON tenants
    USING ((SELECT app_all_tenants()) OR id = ANY ((SELECT app_tenant_ids())::uuid[]));

-- Users are global; a user is visible through a membership in scope.
ALTER TABLE users ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON users
    USING ((SELECT app_all_tenants()) OR EXISTS (
        SELECT 1 FROM memberships m WHERE m.user_id = users.id AND m.tenant_id = ANY ((SELECT app_tenant_ids())::uuid[])));

ALTER TABLE membership_groups ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON membership_groups
    USING ((SELECT app_all_tenants()) OR EXISTS (SELECT 1 FROM memberships m WHERE m.id = membership_id));

ALTER TABLE release_artists ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON release_artists
    USING ((SELECT app_all_tenants()) OR EXISTS (SELECT 1 FROM releases r WHERE r.id = release_id));

ALTER TABLE track_artists ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON track_artists
    USING ((SELECT app_all_tenants()) OR EXISTS (SELECT 1 FROM tracks t WHERE t.id = track_id));
