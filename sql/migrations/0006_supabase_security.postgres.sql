-- Migration 0006: row-level security and roles for a Supabase project, and the function
-- the Supabase REST backend writes a page through.
--
-- On Supabase every new table in `public` is granted to `anon` and `authenticated` (the
-- publishable key) by default: without this migration anyone holding that key could read
-- the copy through the REST API. Here:
--   * RLS is on for every table of ours; `anon` and `authenticated` get no policy and no
--     privilege at all.
--   * `dashboard_reader` may read everything, insert queued rows into sync_requests
--     ("Sync now") and acknowledge/snooze alerts (column grants from 0004).
--   * `service_role` (the writer's key; BYPASSRLS on Supabase) gets every privilege.
-- On plain Postgres the Supabase roles may not exist: each step runs only for the roles
-- present. No percent signs in this file: the driver would take them for placeholders.

CREATE OR REPLACE FUNCTION sync_secure_tables() RETURNS void
LANGUAGE plpgsql AS $fn$
DECLARE
    tables text[] := ARRAY[
        'alert_incidents', 'alert_notifications', 'lightspeed_customers',
        'lightspeed_inventory', 'lightspeed_outlets', 'lightspeed_products',
        'lightspeed_sale_line_items', 'lightspeed_sales', 'reconciliations',
        'scheduler_heartbeat', 'schema_migrations', 'sync_locks', 'sync_log',
        'sync_rejects', 'sync_requests', 'sync_state'];
    t text;
    api_role text;
    seq text;
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
        IF has_reader THEN
            EXECUTE 'GRANT SELECT ON public.' || quote_ident(t) || ' TO dashboard_reader';
            EXECUTE 'DROP POLICY IF EXISTS dashboard_reader_select ON public.' || quote_ident(t);
            EXECUTE 'CREATE POLICY dashboard_reader_select ON public.' || quote_ident(t)
                || ' FOR SELECT TO dashboard_reader USING (true)';
        END IF;
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
        -- "Sync now": the dashboard may queue a request, nothing else.
        DROP POLICY IF EXISTS dashboard_reader_request ON public.sync_requests;
        CREATE POLICY dashboard_reader_request ON public.sync_requests
            FOR INSERT TO dashboard_reader
            WITH CHECK (status = 'queued' AND started_at IS NULL AND finished_at IS NULL
                        AND claimed_by IS NULL AND run_id IS NULL AND error IS NULL);
        -- Acknowledge / snooze: the column grants of 0004 limit what can change.
        DROP POLICY IF EXISTS dashboard_reader_acknowledge ON public.alert_incidents;
        CREATE POLICY dashboard_reader_acknowledge ON public.alert_incidents
            FOR UPDATE TO dashboard_reader USING (true) WITH CHECK (true);
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

SELECT sync_secure_tables();


-- One page of the sync in one transaction, for the REST backend (the SQL backend does the
-- same in sync/store.py): rows not older than what is stored are upserted, the line items
-- of those rows replaced, rejects recorded, the cursor moved forward (never back) and the
-- run's sync_log rows brought up to date. A crash or a lost response can only make the
-- next run send the page again, never skip it. Rows travel as JSON text, not jsonb, so
-- that money keeps every digit (the client's JSON encoder has no exact decimals).
CREATE OR REPLACE FUNCTION sync_apply_page(
    p_table text,
    p_rows text,
    p_child_table text DEFAULT NULL,
    p_parent_column text DEFAULT NULL,
    p_children text DEFAULT NULL,
    p_rejects text DEFAULT NULL,
    p_state_names text[] DEFAULT NULL,
    p_cursor bigint DEFAULT NULL,
    p_log_id bigint DEFAULT NULL,
    p_child_log_id bigint DEFAULT NULL,
    p_api_calls integer DEFAULT NULL,
    p_now timestamptz DEFAULT now()
) RETURNS jsonb
LANGUAGE plpgsql
SET search_path = public, pg_temp
AS $fn$
DECLARE
    target text;
    child text;
    assignments text;
    written_ids text[];
    written integer := 0;
    deleted integer := 0;
    children integer := 0;
    rejected integer := coalesce(jsonb_array_length(p_rejects::jsonb), 0);
BEGIN
    IF left(p_table, 11) <> 'lightspeed_' OR to_regclass('public.' || quote_ident(p_table)) IS NULL
    THEN
        RAISE EXCEPTION USING ERRCODE = '22023',
            MESSAGE = 'sync_apply_page: unknown table ' || quote_literal(p_table);
    END IF;
    target := 'public.' || quote_ident(p_table);

    SELECT string_agg(quote_ident(attname) || ' = EXCLUDED.' || quote_ident(attname), ', ')
      INTO assignments
      FROM pg_attribute
     WHERE attrelid = target::regclass AND attnum > 0 AND NOT attisdropped AND attname <> 'id';

    EXECUTE
        'WITH incoming AS (SELECT * FROM jsonb_populate_recordset(NULL::' || target || ', $1)), '
        || 'fresh AS (SELECT i.* FROM incoming i LEFT JOIN ' || target || ' s ON s.id = i.id '
        || '          WHERE s.id IS NULL OR s.version <= i.version), '
        || 'written AS (INSERT INTO ' || target || ' SELECT * FROM fresh '
        || '          ON CONFLICT (id) DO UPDATE SET ' || assignments
        || '          RETURNING id, deleted_at) '
        || 'SELECT coalesce(array_agg(id), ARRAY[]::text[]), count(*)::int, '
        || '       (count(*) FILTER (WHERE deleted_at IS NOT NULL))::int FROM written'
        INTO written_ids, written, deleted
        USING coalesce(p_rows::jsonb, '[]'::jsonb);

    IF p_child_table IS NOT NULL THEN
        IF left(p_child_table, 11) <> 'lightspeed_'
           OR to_regclass('public.' || quote_ident(p_child_table)) IS NULL THEN
            RAISE EXCEPTION USING ERRCODE = '22023',
                MESSAGE = 'sync_apply_page: unknown table ' || quote_literal(p_child_table);
        END IF;
        child := 'public.' || quote_ident(p_child_table);
        EXECUTE 'DELETE FROM ' || child || ' WHERE ' || quote_ident(p_parent_column)
            || ' = ANY($1)' USING written_ids;
        EXECUTE 'INSERT INTO ' || child || ' SELECT * FROM jsonb_populate_recordset(NULL::'
            || child || ', $1) WHERE ' || quote_ident(p_parent_column) || ' = ANY($2)'
            USING coalesce(p_children::jsonb, '[]'::jsonb), written_ids;
        GET DIAGNOSTICS children = ROW_COUNT;
    END IF;

    IF rejected > 0 THEN
        INSERT INTO sync_rejects (run_id, entity_type, source_id, reason, raw, rejected_at)
        SELECT r.run_id, r.entity_type, r.source_id, r.reason, r.raw, r.rejected_at
          FROM jsonb_populate_recordset(NULL::sync_rejects, p_rejects::jsonb) AS r;
    END IF;

    IF p_cursor IS NOT NULL THEN
        UPDATE sync_state
           SET cursor_version = GREATEST(coalesce(cursor_version, 0), p_cursor),
               updated_at = p_now
         WHERE entity_type = ANY(p_state_names);
    END IF;

    UPDATE sync_log
       SET records_upserted = coalesce(records_upserted, 0) + written,
           records_deleted = coalesce(records_deleted, 0) + deleted,
           records_rejected = coalesce(records_rejected, 0) + rejected,
           pages = coalesce(pages, 0) + 1,
           api_calls = coalesce(p_api_calls, api_calls),
           version_to = coalesce(p_cursor, version_to)
     WHERE id = p_log_id;
    UPDATE sync_log
       SET records_upserted = coalesce(records_upserted, 0) + children,
           pages = coalesce(pages, 0) + 1,
           version_to = coalesce(p_cursor, version_to)
     WHERE id = p_child_log_id;

    RETURN jsonb_build_object(
        'written', written, 'deleted', deleted, 'children', children, 'rejected', rejected);
END
$fn$;

-- Only the writer calls it (it runs with the caller's rights, so nobody else could write
-- through it anyway).
REVOKE ALL ON FUNCTION sync_apply_page(text, text, text, text, text, text, text[], bigint,
    bigint, bigint, integer, timestamptz) FROM PUBLIC;
DO $$
DECLARE
    api_role text;
BEGIN
    FOREACH api_role IN ARRAY ARRAY['anon', 'authenticated'] LOOP
        IF EXISTS (SELECT FROM pg_roles WHERE rolname = api_role) THEN
            EXECUTE 'REVOKE ALL ON FUNCTION sync_apply_page(text, text, text, text, text, '
                || 'text, text[], bigint, bigint, bigint, integer, timestamptz) FROM '
                || api_role;
            EXECUTE 'REVOKE ALL ON FUNCTION sync_secure_tables() FROM ' || api_role;
        END IF;
    END LOOP;
    IF EXISTS (SELECT FROM pg_roles WHERE rolname = 'service_role') THEN
        GRANT EXECUTE ON FUNCTION sync_apply_page(text, text, text, text, text, text,
            text[], bigint, bigint, bigint, integer, timestamptz) TO service_role;
    END IF;
END
$$;
