-- The search functions of 0005 returned matches from every tenant, which
-- the query then checked against its policies one by one. They now keep
-- only rows of the request's own tenants (the same transaction settings
-- the policies read), so a rare fragment costs what its matches in the
-- caller's tenants cost.

CREATE OR REPLACE FUNCTION users_search_ids(pattern text) RETURNS SETOF uuid
    LANGUAGE sql STABLE SECURITY DEFINER PARALLEL SAFE ROWS 1000 SET search_path = public
    AS $$
        SELECT u.id FROM users u
        WHERE u.search_text LIKE pattern
          AND (app_all_tenants() OR EXISTS (
              SELECT 1 FROM memberships m WHERE m.user_id = u.id AND m.tenant_id = ANY (app_tenant_ids())))
    $$;

CREATE OR REPLACE FUNCTION users_email_ids(pattern text) RETURNS SETOF uuid
    LANGUAGE sql STABLE SECURITY DEFINER PARALLEL SAFE ROWS 1000 SET search_path = public
    AS $$
        SELECT u.id FROM users u
        WHERE u.email ILIKE pattern
          AND (app_all_tenants() OR EXISTS (
              SELECT 1 FROM memberships m WHERE m.user_id = u.id AND m.tenant_id = ANY (app_tenant_ids())))
    $$;

CREATE OR REPLACE FUNCTION artists_search_ids(pattern text) RETURNS SETOF uuid
    LANGUAGE sql STABLE SECURITY DEFINER PARALLEL SAFE ROWS 1000 SET search_path = public
    AS $$ SELECT id FROM artists WHERE search_text LIKE pattern AND (app_all_tenants() OR tenant_id = ANY (app_tenant_ids())) $$;

CREATE OR REPLACE FUNCTION releases_search_ids(pattern text) RETURNS SETOF uuid
    LANGUAGE sql STABLE SECURITY DEFINER PARALLEL SAFE ROWS 1000 SET search_path = public
    AS $$ SELECT id FROM releases WHERE search_text LIKE pattern AND (app_all_tenants() OR tenant_id = ANY (app_tenant_ids())) $$;

CREATE OR REPLACE FUNCTION tracks_search_ids(pattern text) RETURNS SETOF uuid
    LANGUAGE sql STABLE SECURITY DEFINER PARALLEL SAFE ROWS 1000 SET search_path = public
    AS $$ SELECT id FROM tracks WHERE search_text LIKE pattern AND (app_all_tenants() OR tenant_id = ANY (app_tenant_ids())) $$;
