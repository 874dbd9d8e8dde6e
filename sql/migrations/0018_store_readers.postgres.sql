-- Migration 0018: a read-only database role may be limited to some stores (issue 27), by
-- row-level security, on Postgres and on Supabase.
--
--  * store_readers(role, store): the stores a role may read (`python -m sync store grant`).
--    A role listed there, or any role that is a member of one listed (a login created
--    IN ROLE it, or PostgREST's SET ROLE to it), sees only the rows of those stores; a
--    login limited through several roles sees the union. A role that appears nowhere keeps
--    today's access: one store, or dashboard_reader itself, notice nothing.
--  * Membership is checked for current_user (PostgREST logs in as `authenticator` and
--    switches to the key's role with SET ROLE) and for the login itself when it inherits
--    the role (so that SET ROLE to a wider role keeps the limit): sync_reads_as().
--  * The policies read the caller's stores once per statement (an InitPlan over
--    sync_reader_stores()), not once per row.
--  * The writer owns the tables and is never limited (RLS is not forced on the owner);
--    Supabase's service_role bypasses RLS.
--  * Every reader policy on a table with a `store` column becomes store-aware: SELECT, the
--    "Sync now" INSERT into sync_requests and the acknowledge UPDATE of alert_incidents;
--    lightspeed_stores by its prefix; alert_notifications through its incident.
-- sync_secure_tables() is redefined so that running it again keeps the limits.
-- No percent signs in this file: the driver would take them for placeholders.

CREATE TABLE IF NOT EXISTS store_readers (
	role TEXT NOT NULL, 
	store TEXT NOT NULL, 
	PRIMARY KEY (role, store), 
	CONSTRAINT fk_store_readers_store FOREIGN KEY(store) REFERENCES lightspeed_stores (prefix)
);

-- Whether the caller reads as the role `role_id`: the current role is a member of it (a
-- login IN ROLE it, or PostgREST's SET ROLE to it), or the login itself inherits it, so
-- that a limited login cannot shed its limit with SET ROLE dashboard_reader (it is a member
-- of dashboard_reader too). A superuser's session, and a NOINHERIT login that only switches
-- roles (PostgREST's `authenticator`), count only for the role they switch to. A NULL oid
-- (a role since dropped) matches nobody.
CREATE OR REPLACE FUNCTION sync_reads_as(role_id oid) RETURNS boolean
LANGUAGE sql
STABLE
SET search_path = pg_catalog, pg_temp
AS $fn$
SELECT coalesce(
    pg_has_role(current_user, role_id, 'MEMBER')
    OR (pg_has_role(session_user, role_id, 'USAGE')
        AND NOT (SELECT u.rolsuper FROM pg_roles u WHERE u.rolname = session_user)),
    false)
$fn$;

-- The stores the caller may read, or NULL when it is not limited. It runs with the
-- caller's rights: the caller reads only its own rows of store_readers (the policy below),
-- so nothing leaks about other roles.
CREATE OR REPLACE FUNCTION sync_reader_stores() RETURNS text[]
LANGUAGE sql
STABLE
SET search_path = public, pg_temp
AS $fn$
SELECT array_agg(DISTINCT s.store)
  FROM store_readers s
 WHERE sync_reads_as((SELECT r.oid FROM pg_roles r WHERE r.rolname = s.role))
$fn$;

-- The row filter of one table: `col` holds the store. Each sub-select is an InitPlan,
-- evaluated once per statement.
CREATE OR REPLACE FUNCTION sync_store_filter(col text) RETURNS text
LANGUAGE sql
IMMUTABLE
AS $fn$
SELECT '((SELECT public.sync_reader_stores()) IS NULL OR ' || quote_ident(col)
    || ' = ANY ((SELECT public.sync_reader_stores())::text[]))'
$fn$;

CREATE OR REPLACE FUNCTION sync_secure_tables() RETURNS void
LANGUAGE plpgsql AS $fn$
DECLARE
    tables text[] := ARRAY[
        'alert_incidents', 'alert_notifications', 'lightspeed_customers',
        'lightspeed_inventory', 'lightspeed_outlets', 'lightspeed_products',
        'lightspeed_sale_line_items', 'lightspeed_sales', 'lightspeed_stores',
        'reconciliations', 'scheduler_heartbeat', 'schema_migrations', 'store_readers',
        'sync_locks', 'sync_log', 'sync_rejects', 'sync_requests', 'sync_run_totals',
        'sync_state'];
    t text;
    api_role text;
    seq text;
    visible text;
    has_reader boolean := EXISTS (SELECT FROM pg_roles WHERE rolname = 'dashboard_reader');
BEGIN
    FOREACH t IN ARRAY tables LOOP
        CONTINUE WHEN to_regclass('public.' || quote_ident(t)) IS NULL;
        EXECUTE 'ALTER TABLE public.' || quote_ident(t) || ' ENABLE ROW LEVEL SECURITY';
        FOREACH api_role IN ARRAY ARRAY['anon', 'authenticated'] LOOP
            IF EXISTS (SELECT FROM pg_roles WHERE rolname = api_role) THEN
                EXECUTE 'REVOKE ALL ON public.' || quote_ident(t) || ' FROM ' || api_role;
            END IF;
        END LOOP;
        IF EXISTS (SELECT FROM pg_roles WHERE rolname = 'service_role') THEN
            EXECUTE 'GRANT ALL ON public.' || quote_ident(t) || ' TO service_role';
        END IF;
        CONTINUE WHEN NOT has_reader;
        visible := CASE
            WHEN t = 'store_readers' THEN
                'public.sync_reads_as((SELECT r.oid FROM pg_roles r '
                || 'WHERE r.rolname = store_readers.role))'
            WHEN t = 'lightspeed_stores' THEN sync_store_filter('prefix')
            WHEN t = 'alert_notifications' THEN
                '((SELECT public.sync_reader_stores()) IS NULL OR incident_id IN '
                || '(SELECT i.id FROM public.alert_incidents i))'
            WHEN EXISTS (SELECT FROM pg_attribute
                          WHERE attrelid = ('public.' || quote_ident(t))::regclass
                            AND attname = 'store' AND NOT attisdropped)
                THEN sync_store_filter('store')
            ELSE 'true'
        END;
        EXECUTE 'GRANT SELECT ON public.' || quote_ident(t) || ' TO dashboard_reader';
        EXECUTE 'DROP POLICY IF EXISTS dashboard_reader_select ON public.' || quote_ident(t);
        EXECUTE 'CREATE POLICY dashboard_reader_select ON public.' || quote_ident(t)
            || ' FOR SELECT TO dashboard_reader USING (' || visible || ')';
    END LOOP;

    -- Sequences behind the identity columns.
    FOR seq IN
        SELECT pg_get_serial_sequence('public.' || quote_ident(a.attrelid::regclass::text),
                                      a.attname)
          FROM pg_attribute a
         WHERE a.attrelid IN (SELECT to_regclass('public.' || quote_ident(n))
                                FROM unnest(tables) AS n)
           AND a.attname = 'id' AND NOT a.attisdropped
    LOOP
        CONTINUE WHEN seq IS NULL;
        FOREACH api_role IN ARRAY ARRAY['anon', 'authenticated'] LOOP
            IF EXISTS (SELECT FROM pg_roles WHERE rolname = api_role) THEN
                EXECUTE 'REVOKE ALL ON SEQUENCE ' || seq || ' FROM ' || api_role;
            END IF;
        END LOOP;
        IF EXISTS (SELECT FROM pg_roles WHERE rolname = 'service_role') THEN
            EXECUTE 'GRANT ALL ON SEQUENCE ' || seq || ' TO service_role';
        END IF;
    END LOOP;

    IF has_reader THEN
        -- "Sync now": the dashboard may queue a request for a store it may read, nothing else.
        DROP POLICY IF EXISTS dashboard_reader_request ON public.sync_requests;
        EXECUTE 'CREATE POLICY dashboard_reader_request ON public.sync_requests '
            || 'FOR INSERT TO dashboard_reader WITH CHECK (status = ''queued'' '
            || 'AND started_at IS NULL AND finished_at IS NULL AND claimed_by IS NULL '
            || 'AND run_id IS NULL AND error IS NULL AND ' || sync_store_filter('store') || ')';
        -- Acknowledge / snooze the alerts of its stores: the column grants of 0004 limit
        -- what can change.
        DROP POLICY IF EXISTS dashboard_reader_acknowledge ON public.alert_incidents;
        EXECUTE 'CREATE POLICY dashboard_reader_acknowledge ON public.alert_incidents '
            || 'FOR UPDATE TO dashboard_reader USING (' || sync_store_filter('store')
            || ') WITH CHECK (' || sync_store_filter('store') || ')';
        -- PostgREST logs in as `authenticator` and switches to the key's role.
        IF EXISTS (SELECT FROM pg_roles WHERE rolname = 'authenticator') THEN
            BEGIN
                GRANT dashboard_reader TO authenticator;
            EXCEPTION
                -- Another database of this cluster granted it at the same moment.
                WHEN unique_violation THEN NULL;
            END;
        END IF;
    END IF;
END
$fn$;

REVOKE ALL ON FUNCTION sync_secure_tables() FROM PUBLIC;

DO $$
DECLARE
    api_role text;
BEGIN
    FOREACH api_role IN ARRAY ARRAY['anon', 'authenticated'] LOOP
        IF EXISTS (SELECT FROM pg_roles WHERE rolname = api_role) THEN
            EXECUTE 'REVOKE ALL ON FUNCTION sync_secure_tables() FROM ' || api_role;
            EXECUTE 'REVOKE ALL ON FUNCTION sync_store_filter(text) FROM ' || api_role;
        END IF;
    END LOOP;
    PERFORM sync_secure_tables();
END
$$;
