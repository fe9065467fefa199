-- The size of every tenant's own member list, kept by triggers, so that the
-- unfiltered totalCount of Tenant.members reads one row instead of counting
-- the tenant's memberships on every request.
--
-- members is the number of the tenant's memberships whose user is not
-- terminated (NOT user_deleted): the rows of the tenant's own member list
-- without a filter. Memberships are unique per (tenant, user), so it is
-- also its number of users. A list with subsidiaries counts a user once
-- across the tree, which per-tenant numbers cannot give where a user
-- belongs to several of its tenants, so the server reads this table for
-- such a list only where the tree is the tenant alone, and counts rows
-- otherwise.
--
-- The trigger is statement-level with transition tables, so a bulk insert
-- (the seed) changes each tenant's row once. It changes the rows in tenant
-- order (no deadlock between two writers of the same tenants) by adding
-- the statement's change to the stored number; the row lock it takes
-- serialises concurrent writers of one tenant until they commit. At READ
-- COMMITTED (the server's writes) the later writer adds to the committed
-- number, so no change is lost; at a stricter isolation level the later
-- writer fails with a serialization error instead.

CREATE TABLE member_counts (
    tenant_id uuid PRIMARY KEY REFERENCES tenants (id),
    members   bigint NOT NULL CHECK (members >= 0)
);

ALTER TABLE member_counts ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON member_counts
    USING ((SELECT app_all_tenants()) OR tenant_id = ANY ((SELECT app_tenant_ids())::uuid[]));
-- Requests read the numbers; only the trigger, as the owner, writes them.
REVOKE INSERT, UPDATE, DELETE ON member_counts FROM catalogue_app;
GRANT SELECT ON member_counts TO catalogue_app;

CREATE FUNCTION member_counts_track() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = public AS $$
DECLARE
    d record;
BEGIN
    -- Each branch reads only the transition tables its trigger declares.
    IF TG_OP = 'INSERT' THEN
        FOR d IN SELECT tenant_id, count(*) AS n FROM new_rows WHERE NOT user_deleted GROUP BY 1 ORDER BY 1 LOOP
            INSERT INTO member_counts AS c (tenant_id, members) VALUES (d.tenant_id, d.n)
                ON CONFLICT (tenant_id) DO UPDATE SET members = c.members + EXCLUDED.members;
        END LOOP;
    ELSIF TG_OP = 'TRUNCATE' THEN
        UPDATE member_counts SET members = 0;
    ELSIF TG_OP = 'DELETE' THEN
        FOR d IN SELECT tenant_id, count(*) AS n FROM old_rows WHERE NOT user_deleted GROUP BY 1 ORDER BY 1 LOOP
            UPDATE member_counts SET members = members - d.n WHERE tenant_id = d.tenant_id;
        END LOOP;
    ELSE
        -- Terminating a user (user_deleted) or moving a membership.
        FOR d IN
            SELECT tenant_id, sum(n) AS n FROM (
                SELECT tenant_id, 1 AS n FROM new_rows WHERE NOT user_deleted
                UNION ALL
                SELECT tenant_id, -1 FROM old_rows WHERE NOT user_deleted) c
            GROUP BY 1 HAVING sum(n) <> 0 ORDER BY 1
        LOOP
            IF d.n > 0 THEN
                INSERT INTO member_counts AS c (tenant_id, members) VALUES (d.tenant_id, d.n)
                    ON CONFLICT (tenant_id) DO UPDATE SET members = c.members + EXCLUDED.members;
            ELSE
                UPDATE member_counts SET members = members + d.n WHERE tenant_id = d.tenant_id;
            END IF;
        END LOOP;
    END IF;
    RETURN NULL;
END
$$;

-- No write may slip between the first count and the triggers.
LOCK TABLE memberships IN SHARE ROW EXCLUSIVE MODE;

CREATE TRIGGER member_counts_insert AFTER INSERT ON memberships
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION member_counts_track();
CREATE TRIGGER member_counts_delete AFTER DELETE ON memberships
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION member_counts_track();
CREATE TRIGGER member_counts_update AFTER UPDATE ON memberships
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION member_counts_track();
CREATE TRIGGER member_counts_truncate AFTER TRUNCATE ON memberships
    FOR EACH STATEMENT EXECUTE FUNCTION member_counts_track();

INSERT INTO member_counts (tenant_id, members)
SELECT tenant_id, count(*) FROM memberships WHERE NOT user_deleted GROUP BY tenant_id;
