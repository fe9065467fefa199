-- Writing the graph: who changed a row and which version it is at (for
-- updates that must not overwrite a change they did not see), the release
-- workflow's deliveries, and idempotency keys for retried creates.

ALTER TABLE users ADD COLUMN version integer NOT NULL DEFAULT 1;

DO $$
DECLARE
    t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['brands', 'labels', 'artists', 'releases', 'tracks', 'memberships', 'brand_access'] LOOP
        EXECUTE format('ALTER TABLE %I ADD COLUMN created_by uuid REFERENCES users (id)', t);
        EXECUTE format('ALTER TABLE %I ADD COLUMN updated_by uuid REFERENCES users (id)', t);
        EXECUTE format('ALTER TABLE %I ADD COLUMN version integer NOT NULL DEFAULT 1', t);
    END LOOP;
END
$$;

ALTER TABLE releases ADD COLUMN rejection_reason text;

-- Stores a release is (or was) delivered to.
CREATE TABLE release_deliveries (
    release_id uuid NOT NULL REFERENCES releases (id) ON DELETE CASCADE,
    tenant_id  uuid NOT NULL REFERENCES tenants (id),
    store      text NOT NULL CHECK (store ~ '^[A-Z][A-Z0-9_]*$'),
    added_at   timestamptz NOT NULL DEFAULT now(),
    removed_at timestamptz,
    PRIMARY KEY (release_id, store)
);
ALTER TABLE release_deliveries ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON release_deliveries
    USING ((SELECT app_all_tenants()) OR tenant_id = ANY ((SELECT app_tenant_ids())::uuid[]));

-- A create sent again with the same key returns what the first one made.
CREATE TABLE idempotency_keys (
    tenant_id  uuid NOT NULL REFERENCES tenants (id),
    key        text NOT NULL CHECK (length(key) BETWEEN 1 AND 200),
    mutation   text NOT NULL,
    subject_id uuid,
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, key)
);
ALTER TABLE idempotency_keys ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON idempotency_keys
    USING ((SELECT app_all_tenants()) OR tenant_id = ANY ((SELECT app_tenant_ids())::uuid[]));

GRANT SELECT, INSERT, UPDATE, DELETE ON release_deliveries, idempotency_keys TO catalogue_app;

-- New users are invisible until a membership in scope names them, so the
-- read policy cannot also be the insert check: any session may add a user
-- row; it becomes visible with the membership created beside it.
CREATE POLICY users_insert ON users FOR INSERT WITH CHECK (true);

-- Inviting by email must find an account that exists in another tenant.
-- This function answers only "which id has this email", nothing else.
CREATE FUNCTION user_id_by_email(addr text) RETURNS uuid
    LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public
    AS $$ SELECT id FROM users WHERE lower(email) = lower(addr) $$;
REVOKE ALL ON FUNCTION user_id_by_email(text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION user_id_by_email(text) TO catalogue_app;

-- Terminating an account must not reach into tenants the caller cannot
-- see: this tells whether the user belongs to any tenant outside the
-- given ones, and nothing more.
CREATE FUNCTION user_has_foreign_memberships(uid uuid, tenants uuid[]) RETURNS boolean
    LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public
    AS $$ SELECT EXISTS (SELECT 1 FROM memberships WHERE user_id = uid AND NOT (tenant_id = ANY (tenants))) $$;
REVOKE ALL ON FUNCTION user_has_foreign_memberships(uuid, uuid[]) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION user_has_foreign_memberships(uuid, uuid[]) TO catalogue_app;

-- Terminated (soft-deleted) users leave member lists unless a filter asks
-- for them. The flag is copied onto their memberships so that a member
-- list and its count need not join users to leave them out.
ALTER TABLE memberships ADD COLUMN user_deleted boolean NOT NULL DEFAULT false;
UPDATE memberships m SET user_deleted = true FROM users u WHERE u.id = m.user_id AND u.is_deleted;
DROP INDEX memberships_tenant_idx;
CREATE INDEX memberships_tenant_idx ON memberships (tenant_id, created_at, id) WHERE NOT user_deleted;
CREATE INDEX memberships_tenant_all_idx ON memberships (tenant_id, created_at, id);

-- Both triggers keep a copy consistent whatever the writer may see, so they
-- run as the owner (row-level security would hide the user row being read).
CREATE FUNCTION memberships_copy_user_deleted() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = public AS $$
BEGIN
    NEW.user_deleted := coalesce((SELECT is_deleted FROM users WHERE id = NEW.user_id), false);
    RETURN NEW;
END
$$;
CREATE TRIGGER memberships_user_deleted BEFORE INSERT ON memberships
    FOR EACH ROW EXECUTE FUNCTION memberships_copy_user_deleted();

CREATE FUNCTION users_propagate_deleted() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = public AS $$
BEGIN
    UPDATE memberships SET user_deleted = NEW.is_deleted WHERE user_id = NEW.id;
    RETURN NEW;
END
$$;
CREATE TRIGGER users_deleted AFTER UPDATE OF is_deleted ON users
    FOR EACH ROW WHEN (OLD.is_deleted IS DISTINCT FROM NEW.is_deleted)
    EXECUTE FUNCTION users_propagate_deleted();
