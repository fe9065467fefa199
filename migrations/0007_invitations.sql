-- Invitations (SPEC §3). Inviting an account that already exists makes a
-- PENDING membership, which the invited user accepts or declines. Until
-- then it gives no access (authentication ignores it) and it does not make
-- the account visible to the inviting tenant: the inviter learns nothing
-- of a profile its owner has not agreed to share.

ALTER TABLE memberships DROP CONSTRAINT memberships_status_check;
ALTER TABLE memberships ADD CONSTRAINT memberships_status_check
    CHECK (status IN ('PENDING', 'ACTIVE', 'DEACTIVATED'));

-- A user is visible through a membership in scope that is not a pending
-- invitation. The policy keeps its name and its all-tenants branch.
ALTER POLICY tenant_isolation ON users
    USING ((SELECT app_all_tenants()) OR EXISTS (
        SELECT 1 FROM memberships m WHERE m.user_id = users.id AND m.status <> 'PENDING'
          AND m.tenant_id = ANY ((SELECT app_tenant_ids())::uuid[])));

-- An invitation the user has not accepted does not make the account belong
-- to the inviting tenant, so it does not make it shared either: otherwise
-- any tenant could lock an account's own administrators out of it.
CREATE OR REPLACE FUNCTION user_has_foreign_memberships(uid uuid, tenants uuid[]) RETURNS boolean
    LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public
    AS $$ SELECT EXISTS (SELECT 1 FROM memberships
                         WHERE user_id = uid AND status <> 'PENDING' AND NOT (tenant_id = ANY (tenants))) $$;

-- The invitations addressed to a user lie in tenants outside the user's
-- scope, so these functions run as the owner. They answer, and act on,
-- only the PENDING memberships of the user they are given, whom the
-- application takes from the request's credentials, never from its input.

-- pending_invitations lists the user's invitations, newest first.
CREATE FUNCTION pending_invitations(uid uuid)
    RETURNS TABLE (id uuid, tenant_id uuid, tenant_slug text, tenant_name text, role text, created_at timestamptz)
    LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public
    AS $$
        SELECT m.id, t.id, t.slug, t.name, m.role, m.created_at
        FROM memberships m JOIN tenants t ON t.id = m.tenant_id
        WHERE m.user_id = uid AND m.status = 'PENDING'
        ORDER BY m.created_at DESC, m.id DESC
    $$;

-- answer_invitation accepts (the membership becomes ACTIVE) or declines
-- (the membership is deleted, so that the tenant may invite again) one of
-- the user's invitations, records the answer in the inviting tenant's
-- audit log, and returns the invitation as it was; no row when the user
-- has no pending invitation with that ID.
CREATE FUNCTION answer_invitation(mid uuid, uid uuid, accept boolean)
    RETURNS TABLE (id uuid, tenant_id uuid, tenant_slug text, tenant_name text, role text, created_at timestamptz)
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = public
    AS $$
    DECLARE
        inv record;
    BEGIN
        SELECT m.id, t.id AS tenant_id, t.slug, t.name, m.role, m.created_at INTO inv
        FROM memberships m JOIN tenants t ON t.id = m.tenant_id
        WHERE m.id = mid AND m.user_id = uid AND m.status = 'PENDING'
        FOR UPDATE OF m;
        IF NOT FOUND THEN
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
        RETURN QUERY SELECT inv.id, inv.tenant_id, inv.slug, inv.name, inv.role, inv.created_at;
    END
    $$;

DO $$
DECLARE
    f text;
BEGIN
    FOREACH f IN ARRAY ARRAY['pending_invitations(uuid)', 'answer_invitation(uuid, uuid, boolean)'] LOOP
        EXECUTE 'REVOKE ALL ON FUNCTION ' || f || ' FROM PUBLIC';
        EXECUTE 'GRANT EXECUTE ON FUNCTION ' || f || ' TO catalogue_app';
    END LOOP;
END
$$;

-- A tenant's pending invitations, for its administrators.
CREATE INDEX memberships_pending_idx ON memberships (tenant_id, created_at, id) WHERE status = 'PENDING';

-- member_counts (0006) counts the rows of a tenant's member list, which
-- leaves invitations out: a PENDING membership is not counted until it is
-- accepted (an UPDATE to ACTIVE, which the update trigger adds).
CREATE OR REPLACE FUNCTION member_counts_track() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = public AS $$
DECLARE
    d record;
BEGIN
    IF TG_OP = 'INSERT' THEN
        FOR d IN SELECT tenant_id, count(*) AS n FROM new_rows WHERE NOT user_deleted AND status <> 'PENDING' GROUP BY 1 ORDER BY 1 LOOP
            INSERT INTO member_counts AS c (tenant_id, members) VALUES (d.tenant_id, d.n)
                ON CONFLICT (tenant_id) DO UPDATE SET members = c.members + EXCLUDED.members;
        END LOOP;
    ELSIF TG_OP = 'TRUNCATE' THEN
        UPDATE member_counts SET members = 0;
    ELSIF TG_OP = 'DELETE' THEN
        FOR d IN SELECT tenant_id, count(*) AS n FROM old_rows WHERE NOT user_deleted AND status <> 'PENDING' GROUP BY 1 ORDER BY 1 LOOP
            UPDATE member_counts SET members = members - d.n WHERE tenant_id = d.tenant_id;
        END LOOP;
    ELSE
        FOR d IN
            SELECT tenant_id, sum(n) AS n FROM (
                SELECT tenant_id, 1 AS n FROM new_rows WHERE NOT user_deleted AND status <> 'PENDING'
                UNION ALL
                SELECT tenant_id, -1 FROM old_rows WHERE NOT user_deleted AND status <> 'PENDING') c
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

LOCK TABLE memberships IN SHARE ROW EXCLUSIVE MODE;
UPDATE member_counts c SET members = (SELECT count(*) FROM memberships m
    WHERE m.tenant_id = c.tenant_id AND NOT m.user_deleted AND m.status <> 'PENDING');
