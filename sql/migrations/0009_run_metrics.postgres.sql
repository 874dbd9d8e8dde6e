-- Migration 0009: run metrics and run totals for the health model and /metrics.
--
--  * sync_log gets each run's peak RSS (bytes), API response time (mean and p95, ms) and
--    retries, written when the run finishes.
--  * sync_run_totals counts finished runs per entity and status. Triggers on sync_log
--    add one when a row leaves `running` or arrives finished (both stores, any writer), so retention pruning,
--    which deletes sync_log rows, never lowers it (it feeds the Prometheus counter
--    lightspeed_sync_runs_total). Seeded here from the rows that already exist.
--  * An index for the health summary's per-entity, per-status aggregates (the latest
--    success before a failure streak) to stay fast on millions of rows.
--  * dashboard_reader may read sync_run_totals (RLS policy as in 0006), nobody else but
--    the writer and service_role may change it.
-- No percent signs in this file: the driver would take them for placeholders.

ALTER TABLE sync_log ADD COLUMN IF NOT EXISTS peak_rss_bytes BIGINT;

ALTER TABLE sync_log ADD COLUMN IF NOT EXISTS api_ms_mean DOUBLE PRECISION;

ALTER TABLE sync_log ADD COLUMN IF NOT EXISTS api_ms_p95 DOUBLE PRECISION;

ALTER TABLE sync_log ADD COLUMN IF NOT EXISTS api_retries INTEGER;

CREATE INDEX IF NOT EXISTS ix_sync_log_entity_status_started ON sync_log (entity_type, status, started_at);

CREATE TABLE IF NOT EXISTS sync_run_totals (
	entity_type TEXT NOT NULL, 
	status TEXT NOT NULL, 
	runs BIGINT DEFAULT '0' NOT NULL, 
	PRIMARY KEY (entity_type, status)
);

INSERT INTO sync_run_totals (entity_type, status, runs)
SELECT entity_type, status, count(*) FROM sync_log WHERE status <> 'running'
 GROUP BY entity_type, status
ON CONFLICT (entity_type, status) DO NOTHING;

-- Statement-level triggers over transition tables: one upsert per (entity, status) and
-- statement. A row-level trigger made a bulk INSERT of finished rows quadratic (every
-- upsert of the same totals row in one transaction walks all its earlier versions).
CREATE OR REPLACE FUNCTION sync_log_count_inserted() RETURNS trigger
LANGUAGE plpgsql
SET search_path = public, pg_temp
AS $fn$
BEGIN
    INSERT INTO sync_run_totals (entity_type, status, runs)
    SELECT entity_type, status, count(*) FROM added
     WHERE status <> 'running'
     GROUP BY entity_type, status
    ON CONFLICT (entity_type, status) DO UPDATE SET runs = sync_run_totals.runs + EXCLUDED.runs;
    RETURN NULL;
END
$fn$;

CREATE OR REPLACE FUNCTION sync_log_count_finished() RETURNS trigger
LANGUAGE plpgsql
SET search_path = public, pg_temp
AS $fn$
BEGIN
    INSERT INTO sync_run_totals (entity_type, status, runs)
    SELECT after_row.entity_type, after_row.status, count(*)
      FROM changed AS after_row JOIN previous AS before_row ON before_row.id = after_row.id
     WHERE before_row.status = 'running' AND after_row.status <> 'running'
     GROUP BY after_row.entity_type, after_row.status
    ON CONFLICT (entity_type, status) DO UPDATE SET runs = sync_run_totals.runs + EXCLUDED.runs;
    RETURN NULL;
END
$fn$;

DROP TRIGGER IF EXISTS sync_log_count_inserted ON sync_log;
CREATE TRIGGER sync_log_count_inserted AFTER INSERT ON sync_log
    REFERENCING NEW TABLE AS added
    FOR EACH STATEMENT EXECUTE FUNCTION sync_log_count_inserted();

DROP TRIGGER IF EXISTS sync_log_count_finished ON sync_log;
CREATE TRIGGER sync_log_count_finished AFTER UPDATE ON sync_log
    REFERENCING OLD TABLE AS previous NEW TABLE AS changed
    FOR EACH STATEMENT EXECUTE FUNCTION sync_log_count_finished();

ALTER TABLE sync_run_totals ENABLE ROW LEVEL SECURITY;

DO $$
DECLARE
    api_role text;
BEGIN
    FOREACH api_role IN ARRAY ARRAY['anon', 'authenticated'] LOOP
        IF EXISTS (SELECT FROM pg_roles WHERE rolname = api_role) THEN
            EXECUTE 'REVOKE ALL ON public.sync_run_totals FROM ' || api_role;
            EXECUTE 'REVOKE ALL ON FUNCTION sync_log_count_inserted() FROM ' || api_role;
            EXECUTE 'REVOKE ALL ON FUNCTION sync_log_count_finished() FROM ' || api_role;
        END IF;
    END LOOP;
    IF EXISTS (SELECT FROM pg_roles WHERE rolname = 'service_role') THEN
        GRANT ALL ON public.sync_run_totals TO service_role;
    END IF;
    IF EXISTS (SELECT FROM pg_roles WHERE rolname = 'dashboard_reader') THEN
        REVOKE ALL ON public.sync_run_totals FROM dashboard_reader;
        GRANT SELECT ON public.sync_run_totals TO dashboard_reader;
        DROP POLICY IF EXISTS dashboard_reader_select ON public.sync_run_totals;
        CREATE POLICY dashboard_reader_select ON public.sync_run_totals
            FOR SELECT TO dashboard_reader USING (true);
    END IF;
END
$$;
