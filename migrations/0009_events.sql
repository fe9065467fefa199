-- Change events for GraphQL subscriptions. A trigger on each table that
-- subscriptions report announces every row a request writes with
-- pg_notify on the channel catalogue_events. PostgreSQL delivers a
-- notification only when its transaction commits (and never when it rolls
-- back), so a listener in any server process hears exactly the committed
-- changes of every process.
--
-- The payload names the row and never carries its content: the tenant, the
-- entity, the operation, the id and, for a status change, the old and new
-- status. Each subscriber reads the row itself, under its own tenant scope.
--
-- Only changes made by requests are announced: their transactions set
-- app.all_tenants (db/session.go), which stays visible in the SECURITY
-- DEFINER functions they call (answer_invitation) and the cascades they
-- cause. Migrations and bulk seeding set nothing, and would otherwise
-- queue millions of notifications in one transaction.

CREATE FUNCTION catalogue_notify_change() RETURNS trigger
    LANGUAGE plpgsql AS $$
DECLARE
    payload jsonb;
BEGIN
    IF coalesce(current_setting('app.all_tenants', true), '') = '' THEN
        RETURN NULL;
    END IF;
    IF TG_OP = 'DELETE' THEN
        payload := jsonb_build_object('tenant_id', OLD.tenant_id, 'entity', TG_ARGV[0], 'op', TG_OP, 'id', OLD.id);
    ELSE
        payload := jsonb_build_object('tenant_id', NEW.tenant_id, 'entity', TG_ARGV[0], 'op', TG_OP, 'id', NEW.id);
    END IF;
    -- Nested, so that tables without a status column never evaluate it.
    IF TG_OP = 'UPDATE' AND TG_ARGV[0] IN ('release', 'membership') THEN
        IF OLD.status IS DISTINCT FROM NEW.status THEN
            payload := payload || jsonb_build_object('old_status', OLD.status, 'new_status', NEW.status);
        END IF;
    END IF;
    PERFORM pg_notify('catalogue_events', payload::text);
    RETURN NULL;
END
$$;

CREATE TRIGGER artists_notify AFTER INSERT OR UPDATE OR DELETE ON artists
    FOR EACH ROW EXECUTE FUNCTION catalogue_notify_change('artist');
CREATE TRIGGER labels_notify AFTER INSERT OR UPDATE OR DELETE ON labels
    FOR EACH ROW EXECUTE FUNCTION catalogue_notify_change('label');
CREATE TRIGGER releases_notify AFTER INSERT OR UPDATE OR DELETE ON releases
    FOR EACH ROW EXECUTE FUNCTION catalogue_notify_change('release');
CREATE TRIGGER tracks_notify AFTER INSERT OR UPDATE OR DELETE ON tracks
    FOR EACH ROW EXECUTE FUNCTION catalogue_notify_change('track');

-- Memberships: new ones (invitations), changes of role or status, and
-- deleted ones (declined invitations). Other updates (the copied
-- user_deleted flag, a last-seen time) are not news to anyone.
CREATE TRIGGER memberships_notify_insert AFTER INSERT OR DELETE ON memberships
    FOR EACH ROW EXECUTE FUNCTION catalogue_notify_change('membership');
CREATE TRIGGER memberships_notify_update AFTER UPDATE ON memberships
    FOR EACH ROW WHEN (OLD.role IS DISTINCT FROM NEW.role OR OLD.status IS DISTINCT FROM NEW.status)
    EXECUTE FUNCTION catalogue_notify_change('membership');
