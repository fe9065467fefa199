-- Trigram searches under row-level security. PostgreSQL evaluates a
-- query's non-leakproof conditions (LIKE, ILIKE) only after a table's
-- policy, so with row-level security on it cannot use a trigram index for
-- them and scans the table. These functions run the indexed match as the
-- owner and return only row IDs; the query then joins those IDs through
-- its own policies, so nothing outside the caller's tenants comes back.
-- Each takes a LIKE pattern that the caller has already escaped.

CREATE FUNCTION users_search_ids(pattern text) RETURNS SETOF uuid
    LANGUAGE sql STABLE SECURITY DEFINER PARALLEL SAFE ROWS 1000 SET search_path = public
    AS $$ SELECT id FROM users WHERE search_text LIKE pattern $$;

CREATE FUNCTION users_email_ids(pattern text) RETURNS SETOF uuid
    LANGUAGE sql STABLE SECURITY DEFINER PARALLEL SAFE ROWS 1000 SET search_path = public
    AS $$ SELECT id FROM users WHERE email ILIKE pattern $$;

CREATE FUNCTION artists_search_ids(pattern text) RETURNS SETOF uuid
    LANGUAGE sql STABLE SECURITY DEFINER PARALLEL SAFE ROWS 1000 SET search_path = public
    AS $$ SELECT id FROM artists WHERE search_text LIKE pattern $$;

CREATE FUNCTION releases_search_ids(pattern text) RETURNS SETOF uuid
    LANGUAGE sql STABLE SECURITY DEFINER PARALLEL SAFE ROWS 1000 SET search_path = public
    AS $$ SELECT id FROM releases WHERE search_text LIKE pattern $$;

CREATE FUNCTION tracks_search_ids(pattern text) RETURNS SETOF uuid
    LANGUAGE sql STABLE SECURITY DEFINER PARALLEL SAFE ROWS 1000 SET search_path = public
    AS $$ SELECT id FROM tracks WHERE search_text LIKE pattern $$;

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
