-- Migration 0014: the read model in one request for the REST backend (issue 25). Over
-- PostgREST a RunLogSnapshot took about 25 requests; sync_read_model() returns what those
-- requests read, as one jsonb document, and sync/storage/rest/reads.py builds the same
-- snapshot from it with the rules the SQL store uses (sync/storage/reads.py). It reads
-- only; it decides nothing the Python side does not check:
--   * runs: the latest p_recent sync_log rows of each entity;
--   * streaks: failed runs since the latest successful one, over the whole log;
--   * baselines: the latest p_baseline successful, timed runs of each (entity, action),
--     among which Python takes those before its anchor run;
--   * sales_hours: sales counted in the hour before the start of the latest completed
--     sales run among its latest p_recent, and the same hour 1..p_weeks weeks earlier
--     (Python uses them only when that run is the anchor it computes itself);
--   * the raw sync_log rows of the last 24 hours (grouped by Python by the store's day);
--   * the latest reconciliation, and the latest sales reconciliation of each day in p_days.
-- Each part is an index range or a few rows, as the SQL store's reads.

CREATE OR REPLACE FUNCTION sync_read_model(
    p_now timestamptz,
    p_entities text[],
    p_recent integer,
    p_baseline integer,
    p_weeks integer,
    p_days text[],
    p_succeeded text[],
    p_completed text[]
) RETURNS jsonb
LANGUAGE sql
STABLE
SET search_path = public, pg_temp
AS $fn$
SELECT jsonb_build_object(
    'outlets', (
        SELECT coalesce(jsonb_agg(jsonb_build_object(
            'id', o.id, 'time_zone', o.time_zone, 'deleted_at', o.deleted_at)), '[]'::jsonb)
        FROM lightspeed_outlets o
    ),
    'states', (SELECT coalesce(jsonb_agg(to_jsonb(s)), '[]'::jsonb) FROM sync_state s),
    'runs', (
        SELECT coalesce(jsonb_object_agg(e.entity, e.rows), '{}'::jsonb)
        FROM (
            SELECT ent AS entity, (
                SELECT coalesce(jsonb_agg(to_jsonb(l) ORDER BY l.started_at DESC, l.id DESC), '[]'::jsonb)
                FROM (
                    SELECT * FROM sync_log
                    WHERE entity_type = ent
                    ORDER BY started_at DESC, id DESC
                    LIMIT p_recent
                ) l
            ) AS rows
            FROM unnest(p_entities) AS ent
        ) e
    ),
    'streaks', (
        SELECT coalesce(jsonb_object_agg(k.entity, jsonb_build_object('n', k.n, 'first', k.first)), '{}'::jsonb)
        FROM (
            SELECT ent AS entity, f.n, f.first
            FROM unnest(p_entities) AS ent
            CROSS JOIN LATERAL (
                SELECT max(started_at) AS last_ok FROM sync_log
                WHERE entity_type = ent AND status = ANY (p_succeeded)
            ) ok
            CROSS JOIN LATERAL (
                SELECT count(*) AS n, min(started_at) AS first FROM sync_log
                WHERE entity_type = ent AND status = 'failed'
                  AND (ok.last_ok IS NULL OR started_at > ok.last_ok)
            ) f
        ) k
    ),
    'baselines', (
        SELECT coalesce(jsonb_agg(jsonb_build_object(
            'entity_type', b.entity_type, 'action', b.action,
            'started_at', b.started_at, 'duration_ms', b.duration_ms)), '[]'::jsonb)
        FROM unnest(p_entities) AS ent
        CROSS JOIN unnest(ARRAY['incremental', 'full', 'backfill']) AS act
        CROSS JOIN LATERAL (
            SELECT entity_type, action, started_at, duration_ms FROM sync_log
            WHERE entity_type = ent AND action = act AND status = ANY (p_succeeded)
              AND duration_ms IS NOT NULL
            ORDER BY started_at DESC
            LIMIT p_baseline
        ) b
    ),
    'sales_hours', (
        SELECT jsonb_build_object(
            'anchor_started_at', a.started_at,
            'counts', (
                SELECT jsonb_agg(c.n ORDER BY c.k)
                FROM generate_series(0, p_weeks) AS k
                CROSS JOIN LATERAL (
                    SELECT k, count(*) AS n FROM lightspeed_sales
                    WHERE sale_date >= a.started_at - make_interval(weeks => k) - interval '1 hour'
                      AND sale_date < a.started_at - make_interval(weeks => k)
                ) c
            )
        )
        FROM (
            SELECT r.started_at FROM (
                SELECT started_at, id, status FROM sync_log
                WHERE entity_type = 'sales'
                ORDER BY started_at DESC, id DESC
                LIMIT p_recent
            ) r
            WHERE r.status = ANY (p_completed)
            ORDER BY r.started_at DESC, r.id DESC
            LIMIT 1
        ) a
    ),
    'day', (
        SELECT coalesce(jsonb_agg(jsonb_build_object(
            'entity_type', d.entity_type, 'status', d.status, 'error_type', d.error_type,
            'duration_ms', d.duration_ms, 'records_upserted', d.records_upserted,
            'started_at', d.started_at)), '[]'::jsonb)
        FROM sync_log d
        WHERE d.started_at >= p_now - interval '24 hours'
    ),
    'beats', (
        SELECT coalesce(jsonb_agg(jsonb_build_object(
            'last_beat_at', h.last_beat_at, 'activity', h.activity, 'next_run_at', h.next_run_at)
            ORDER BY h.last_beat_at DESC), '[]'::jsonb)
        FROM scheduler_heartbeat h
    ),
    'open_incidents', (
        SELECT coalesce(jsonb_object_agg(i.severity, i.n), '{}'::jsonb)
        FROM (
            SELECT severity, count(*) AS n FROM alert_incidents
            WHERE status = 'open' GROUP BY severity
        ) i
    ),
    'resolved', (
        SELECT jsonb_build_object(
            'n', count(*),
            'seconds', sum(extract(epoch FROM resolved_at - opened_at)))
        FROM alert_incidents
        WHERE resolved_at >= p_now - interval '30 days'
    ),
    'queue_depth', (SELECT count(*) FROM sync_requests WHERE status = 'queued'),
    'totals', (
        SELECT coalesce(jsonb_agg(jsonb_build_object(
            'entity_type', t.entity_type, 'status', t.status, 'runs', t.runs)), '[]'::jsonb)
        FROM sync_run_totals t
    ),
    'checks', (
        SELECT coalesce(jsonb_agg(to_jsonb(c)), '[]'::jsonb)
        FROM reconciliations c
        WHERE c.run_id = (
            SELECT run_id FROM reconciliations ORDER BY checked_at DESC LIMIT 1)
    ),
    'sales_checks', (
        SELECT coalesce(jsonb_object_agg(s.day, s.rows), '{}'::jsonb)
        FROM (
            SELECT day, (
                SELECT coalesce(jsonb_agg(to_jsonb(c)), '[]'::jsonb)
                FROM reconciliations c
                WHERE c.entity_type = 'sales' AND starts_with(c.scope, day)
                  AND c.run_id = (
                      SELECT run_id FROM reconciliations
                      WHERE entity_type = 'sales' AND starts_with(scope, day)
                      ORDER BY checked_at DESC LIMIT 1)
            ) AS rows
            FROM unnest(p_days) AS day
        ) s
    )
)
$fn$;

-- The scheduler, `status` and the alerts call it over REST as service_role.
REVOKE ALL ON FUNCTION sync_read_model(timestamptz, text[], integer, integer, integer, text[], text[], text[]) FROM PUBLIC;
DO $$
DECLARE
    api_role text;
BEGIN
    FOREACH api_role IN ARRAY ARRAY['anon', 'authenticated'] LOOP
        IF EXISTS (SELECT FROM pg_roles WHERE rolname = api_role) THEN
            EXECUTE 'REVOKE ALL ON FUNCTION sync_read_model(timestamptz, text[], integer, integer, integer, text[], text[], text[]) FROM ' || api_role;
        END IF;
    END LOOP;
    IF EXISTS (SELECT FROM pg_roles WHERE rolname = 'service_role') THEN
        GRANT EXECUTE ON FUNCTION sync_read_model(timestamptz, text[], integer, integer, integer, text[], text[], text[]) TO service_role;
    END IF;
END
$$;
