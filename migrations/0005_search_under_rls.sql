-- Trigram searches under row-level security. PostgreSQL evaluates a
-- query's non-leakproof conditions (LIKE, ILIKE) only after a table's
-- policy, so with row-level security on it cannot use a trigram index for
-- them and scans the table. These functions run the indexed match as the
-- owner and return only the IDs of matching rows of the request's own
-- tenants (the transaction settings the policies read); the query then
-- joins those IDs through its own policies. Each takes a LIKE pattern the
-- caller has already escaped.

CREATE FUNCTION users_search_ids(pattern text) RETURNS SETOF uuid
    LANGUAGE sql STABLE SECURITY DEFINER PARALLEL SAFE ROWS 1000 SET search_path = public
    AS $$
        SELECT u.id FROM users u
        WHERE u.search_text LIKE pattern
          AND (app_all_tenants() OR EXISTS (
              SELECT 1 FROM memberships m WHERE m.user_id = u.id AND m.tenant_id = ANY (app_tenant_ids())))
    $$;

CREATE FUNCTION users_email_ids(pattern text) RETURNS SETOF uuid
    LANGUAGE sql STABLE SECURITY DEFINER PARALLEL SAFE ROWS 1000 SET search_path = public
    AS $$
        SELECT u.id FROM users u
        WHERE u.email ILIKE pattern
          AND (app_all_tenants() OR EXISTS (
              SELECT 1 FROM memberships m WHERE m.user_id = u.id AND m.tenant_id = ANY (app_tenant_ids())))
    $$;

CREATE FUNCTION artists_search_ids(pattern text) RETURNS SETOF uuid
    LANGUAGE sql STABLE SECURITY DEFINER PARALLEL SAFE ROWS 1000 SET search_path = public
    AS $$ SELECT id FROM artists WHERE search_text LIKE pattern AND (app_all_tenants() OR tenant_id = ANY (app_tenant_ids())) $$;

CREATE FUNCTION releases_search_ids(pattern text) RETURNS SETOF uuid
    LANGUAGE sql STABLE SECURITY DEFINER PARALLEL SAFE ROWS 1000 SET search_path = public
    AS $$ SELECT id FROM releases WHERE search_text LIKE pattern AND (app_all_tenants() OR tenant_id = ANY (app_tenant_ids())) $$;

CREATE FUNCTION tracks_search_ids(pattern text) RETURNS SETOF uuid
    LANGUAGE sql STABLE SECURITY DEFINER PARALLEL SAFE ROWS 1000 SET search_path = public
    AS $$ SELECT id FROM tracks WHERE search_text LIKE pattern AND (app_all_tenants() OR tenant_id = ANY (app_tenant_ids())) $$;

DO $$
DECLARE
    f text;
BEGIN
    FOREACH f IN ARRAY ARRAY['users_search_ids', 'users_email_ids', 'artists_search_ids', 'releases_search_ids', 'tracks_search_ids'] LOOP
        EXECUTE format('REVOKE ALL ON FUNCTION %I(text) FROM PUBLIC', f);
        EXECUTE format('GRANT EXECUTE ON FUNCTION %I(text) TO catalogue_app', f);
    END LOOP;
END
$$;
