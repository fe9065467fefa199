-- Credential lookups as PL/pgSQL functions. A request whose principal is
-- not in the server's cache reads its credentials first, on the pool, before
-- it has a tenant scope. As plain statements these lookups were planned
-- again on every request (lib/pq sends unnamed statements), and each
-- membership called tenant_subtree(), a SQL function whose recursive query
-- is planned again on every call: planning was most of what they cost.
-- PL/pgSQL keeps the plan of each of its statements for the life of the
-- database connection, so a lookup is planned on its first calls on a
-- connection and afterwards only executed. Nothing of this is visible to
-- the client: behind a transaction-pooling proxy a connection that has not
-- run a function yet plans it, as every call did before. The subtree is the
-- recursive walk of tenant_subtree(), written inline to be part of the
-- cached plan.
--
-- They read across tenants by design (credentials come before a scope),
-- with the rights of their caller: the server's own role, never
-- catalogue_app.

-- A user's account and memberships, each with its tenant's subtree; one
-- row with null membership columns for a user without memberships, none
-- for a user that does not exist. A PENDING membership (an invitation not
-- accepted yet, 0007) gives no access and is left out.
CREATE FUNCTION auth_user(uid uuid)
    RETURNS TABLE (id uuid, is_deleted boolean, expires_at timestamptz, admin_roles text[],
                   tenant_id uuid, slug text, role text, status text, tree text[])
    LANGUAGE plpgsql STABLE
    AS $$
#variable_conflict use_column
BEGIN
    RETURN QUERY
    SELECT u.id, u.is_deleted, u.expires_at, u.admin_roles, m.tenant_id, t.slug, m.role, m.status,
           CASE WHEN m.tenant_id IS NOT NULL THEN ARRAY(
               WITH RECURSIVE s(id) AS (
                   SELECT m.tenant_id
                   UNION
                   SELECT c.id FROM tenants c JOIN s ON c.parent_id = s.id)
               SELECT s.id::text FROM s) END
    FROM users u
    LEFT JOIN memberships m ON m.user_id = u.id AND m.status <> 'PENDING'
    LEFT JOIN tenants t ON t.id = m.tenant_id
    WHERE u.id = uid
    ORDER BY m.created_at, m.id;
END
$$;

-- An API key by its public key ID, with its tenant's subtree.
CREATE FUNCTION auth_api_key(public_id text)
    RETURNS TABLE (id uuid, tenant_id uuid, slug text, role text, secret_hash bytea,
                   revoked_at timestamptz, tree text[])
    LANGUAGE plpgsql STABLE
    AS $$
#variable_conflict use_column
BEGIN
    RETURN QUERY
    SELECT k.id, k.tenant_id, t.slug, k.role, k.secret_hash, k.revoked_at, ARRAY(
               WITH RECURSIVE s(id) AS (
                   SELECT k.tenant_id
                   UNION
                   SELECT c.id FROM tenants c JOIN s ON c.parent_id = s.id)
               SELECT s.id::text FROM s)
    FROM api_keys k
    JOIN tenants t ON t.id = k.tenant_id
    WHERE k.key_id = public_id;
END
$$;

-- A tenant by slug with its subtree, for a platform administrator who
-- picks a tenant.
CREATE FUNCTION auth_tenant(tenant_slug text)
    RETURNS TABLE (id uuid, slug text, tree text[])
    LANGUAGE plpgsql STABLE
    AS $$
#variable_conflict use_column
BEGIN
    RETURN QUERY
    SELECT t.id, t.slug, ARRAY(
               WITH RECURSIVE s(id) AS (
                   SELECT t.id
                   UNION
                   SELECT c.id FROM tenants c JOIN s ON c.parent_id = s.id)
               SELECT s.id::text FROM s)
    FROM tenants t
    WHERE t.slug = tenant_slug;
END
$$;

REVOKE ALL ON FUNCTION auth_user(uuid), auth_api_key(text), auth_tenant(text) FROM PUBLIC;
