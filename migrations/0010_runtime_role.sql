-- The server connects as a role of its own that owns nothing and cannot
-- bypass row-level security; the tables belong to the role that runs the
-- migrations (README, "Database roles"). Requests still switch to
-- catalogue_app in their transactions, but the wall no longer depends on
-- it: a statement sent without the switch, or without tenant settings,
-- sees nothing either.

-- FORCE makes the policies bind the tables' owner as well, so that a
-- server that connects as the owner still sees only what the transaction
-- settings name. (Superusers and BYPASSRLS roles are never bound; the
-- server refuses to serve as one.)
DO $$
DECLARE
    t regclass;
BEGIN
    FOR t IN SELECT c.oid::regclass FROM pg_class c
             WHERE c.relnamespace = 'public'::regnamespace AND c.relkind IN ('r', 'p') AND c.relrowsecurity
             ORDER BY c.relname LOOP
        EXECUTE format('ALTER TABLE %s FORCE ROW LEVEL SECURITY', t);
    END LOOP;
END
$$;

-- Some SECURITY DEFINER functions answer across tenants by design. Running
-- as the owner is enough where the owner bypasses row-level security (a
-- BYPASSRLS owner, as `make run` makes, or a superuser); for an owner that
-- FORCE binds they open every tenant themselves, for the duration of the
-- call only: they turn app.all_tenants on and restore the caller's value
-- before returning. (A SET clause would say it more simply, but only a
-- superuser may attach a custom setting to a function.) If the body fails,
-- the statement fails and its transaction, or subtransaction, reverts the
-- setting with everything else.

-- Authentication reads a credential before the request's tenants are
-- known, outside any request transaction. These functions return exactly
-- what authenticating needs, for the one key, user or tenant the
-- credential names, nothing else. They replace the caller-rights versions
-- of 0008 and keep what those were for: the subtree is walked inline, so
-- that PL/pgSQL keeps one plan per connection instead of planning
-- tenant_subtree() on every call; and a user's PENDING memberships (0007)
-- give no access, so they are left out.
DROP FUNCTION auth_api_key(text);
DROP FUNCTION auth_user(uuid);
DROP FUNCTION auth_tenant(text);

-- An API key by its public ID, with its tenant's slug and subtree.
CREATE FUNCTION auth_api_key(public_id text)
    RETURNS TABLE (id uuid, tenant_id uuid, slug text, role text, secret_hash bytea, revoked_at timestamptz, tree uuid[])
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp
    AS $$
DECLARE
    prev text := current_setting('app.all_tenants', true);
BEGIN
    PERFORM set_config('app.all_tenants', 'on', true);
    RETURN QUERY
        SELECT k.id, k.tenant_id, t.slug, k.role, k.secret_hash, k.revoked_at,
               ARRAY(WITH RECURSIVE s(id) AS (
                   SELECT k.tenant_id UNION SELECT c.id FROM tenants c JOIN s ON c.parent_id = s.id)
                   SELECT s.id FROM s)
        FROM api_keys k JOIN tenants t ON t.id = k.tenant_id
        WHERE k.key_id = public_id;
    PERFORM set_config('app.all_tenants', coalesce(prev, ''), true);
END
$$;

-- A user's account state and memberships, one row per membership (one row
-- with empty membership columns for a user without any), oldest first.
CREATE FUNCTION auth_user(user_uuid uuid)
    RETURNS TABLE (id uuid, is_deleted boolean, expires_at timestamptz, admin_roles text[],
                   tenant_id uuid, slug text, role text, status text, tree uuid[])
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp
    AS $$
DECLARE
    prev text := current_setting('app.all_tenants', true);
BEGIN
    PERFORM set_config('app.all_tenants', 'on', true);
    RETURN QUERY
        SELECT u.id, u.is_deleted, u.expires_at, u.admin_roles::text[],
               m.tenant_id, t.slug, m.role, m.status,
               CASE WHEN m.tenant_id IS NOT NULL THEN ARRAY(WITH RECURSIVE s(id) AS (
                   SELECT m.tenant_id UNION SELECT c.id FROM tenants c JOIN s ON c.parent_id = s.id)
                   SELECT s.id FROM s) END
        FROM users u LEFT JOIN memberships m ON m.user_id = u.id AND m.status <> 'PENDING'
        LEFT JOIN tenants t ON t.id = m.tenant_id
        WHERE u.id = user_uuid
        ORDER BY m.created_at, m.id;
    PERFORM set_config('app.all_tenants', coalesce(prev, ''), true);
END
$$;

-- A tenant and its subtree by slug, for platform administrators who pick
-- one with X-Tenant.
CREATE FUNCTION auth_tenant(tenant_slug text)
    RETURNS TABLE (id uuid, slug text, tree uuid[])
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp
    AS $$
DECLARE
    prev text := current_setting('app.all_tenants', true);
BEGIN
    PERFORM set_config('app.all_tenants', 'on', true);
    RETURN QUERY SELECT t.id, t.slug, ARRAY(WITH RECURSIVE s(id) AS (
                   SELECT t.id UNION SELECT c.id FROM tenants c JOIN s ON c.parent_id = s.id)
                   SELECT s.id FROM s)
        FROM tenants t WHERE t.slug = tenant_slug;
    PERFORM set_config('app.all_tenants', coalesce(prev, ''), true);
END
$$;

REVOKE ALL ON FUNCTION auth_api_key(text), auth_user(uuid), auth_tenant(text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION auth_api_key(text), auth_user(uuid), auth_tenant(text) TO catalogue_app;

-- The functions of migration 0004, the same way: same signatures, answers
-- and grants, now also for an owner that row-level security binds.
CREATE OR REPLACE FUNCTION user_id_by_email(addr text) RETURNS uuid
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp
    AS $$
DECLARE
    prev text := current_setting('app.all_tenants', true);
    answer uuid;
BEGIN
    PERFORM set_config('app.all_tenants', 'on', true);
    SELECT u.id INTO answer FROM users u WHERE lower(u.email) = lower(addr);
    PERFORM set_config('app.all_tenants', coalesce(prev, ''), true);
    RETURN answer;
END
$$;

CREATE OR REPLACE FUNCTION user_has_foreign_memberships(uid uuid, tenants uuid[]) RETURNS boolean
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp
    AS $$
DECLARE
    prev text := current_setting('app.all_tenants', true);
    answer boolean;
BEGIN
    PERFORM set_config('app.all_tenants', 'on', true);
    -- An invitation not accepted yet (0007) does not make an account shared.
    answer := EXISTS (SELECT 1 FROM memberships m
                      WHERE m.user_id = uid AND m.status <> 'PENDING' AND NOT (m.tenant_id = ANY (tenants)));
    PERFORM set_config('app.all_tenants', coalesce(prev, ''), true);
    RETURN answer;
END
$$;

CREATE OR REPLACE FUNCTION memberships_copy_user_deleted() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
    prev text := current_setting('app.all_tenants', true);
BEGIN
    PERFORM set_config('app.all_tenants', 'on', true);
    NEW.user_deleted := coalesce((SELECT u.is_deleted FROM users u WHERE u.id = NEW.user_id), false);
    PERFORM set_config('app.all_tenants', coalesce(prev, ''), true);
    RETURN NEW;
END
$$;

CREATE OR REPLACE FUNCTION users_propagate_deleted() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
    prev text := current_setting('app.all_tenants', true);
BEGIN
    PERFORM set_config('app.all_tenants', 'on', true);
    UPDATE memberships SET user_deleted = NEW.is_deleted WHERE user_id = NEW.id;
    PERFORM set_config('app.all_tenants', coalesce(prev, ''), true);
    RETURN NEW;
END
$$;

-- The trigram searches read with the request's own settings and need no
-- more. Like every SECURITY DEFINER function, they now look in pg_temp
-- last, so that a temporary table of the caller cannot stand in for ours.
ALTER FUNCTION users_search_ids(text) SET search_path = public, pg_temp;
ALTER FUNCTION users_email_ids(text) SET search_path = public, pg_temp;
ALTER FUNCTION artists_search_ids(text) SET search_path = public, pg_temp;
ALTER FUNCTION releases_search_ids(text) SET search_path = public, pg_temp;
ALTER FUNCTION tracks_search_ids(text) SET search_path = public, pg_temp;

-- Migration 0003 made catalogue_app's privileges the default for tables
-- its migrating role creates; say so again for the role migrating now,
-- which differs where an older database was handed to a new owner.
ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO catalogue_app;

-- The invitation functions of 0007 read and answer invitations in tenants
-- outside the invited user's scope; like the functions above, they open
-- every tenant for the duration of the call, for an owner that FORCE binds.
CREATE OR REPLACE FUNCTION pending_invitations(uid uuid)
    RETURNS TABLE (id uuid, tenant_id uuid, tenant_slug text, tenant_name text, role text, created_at timestamptz)
    LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = public, pg_temp
    AS $$
DECLARE
    prev text := current_setting('app.all_tenants', true);
BEGIN
    PERFORM set_config('app.all_tenants', 'on', true);
    RETURN QUERY
        SELECT m.id, t.id, t.slug, t.name, m.role, m.created_at
        FROM memberships m JOIN tenants t ON t.id = m.tenant_id
        WHERE m.user_id = uid AND m.status = 'PENDING'
        ORDER BY m.created_at DESC, m.id DESC;
    PERFORM set_config('app.all_tenants', coalesce(prev, ''), true);
END
$$;

CREATE OR REPLACE FUNCTION answer_invitation(mid uuid, uid uuid, accept boolean)
    RETURNS TABLE (id uuid, tenant_id uuid, tenant_slug text, tenant_name text, role text, created_at timestamptz)
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = public, pg_temp
    AS $$
DECLARE
    prev text := current_setting('app.all_tenants', true);
    inv record;
BEGIN
    PERFORM set_config('app.all_tenants', 'on', true);
    SELECT m.id, t.id AS tenant_id, t.slug, t.name, m.role, m.created_at INTO inv
    FROM memberships m JOIN tenants t ON t.id = m.tenant_id
    WHERE m.id = mid AND m.user_id = uid AND m.status = 'PENDING'
    FOR UPDATE OF m;
    IF NOT FOUND THEN
        PERFORM set_config('app.all_tenants', coalesce(prev, ''), true);
        RETURN;
    END IF;
    IF accept THEN
        UPDATE memberships SET status = 'ACTIVE', updated_at = now(), updated_by = uid, version = version + 1
        WHERE memberships.id = mid;
    ELSE
        DELETE FROM memberships WHERE memberships.id = mid;
    END IF;
    INSERT INTO audit_log (tenant_id, actor_id, action, subject_id)
    VALUES (inv.tenant_id, uid, CASE WHEN accept THEN 'invitation.accept' ELSE 'invitation.decline' END, mid);
    PERFORM set_config('app.all_tenants', coalesce(prev, ''), true);
    RETURN QUERY SELECT inv.id, inv.tenant_id, inv.slug, inv.name, inv.role, inv.created_at;
END
$$;
