-- Migration 0009: run metrics in sync_log, and sync_run_totals, counted by a trigger when
-- a sync_log row leaves `running`, so that pruning never lowers it (see the Postgres script).

ALTER TABLE sync_log ADD COLUMN peak_rss_bytes BIGINT;

ALTER TABLE sync_log ADD COLUMN api_ms_mean REAL;

ALTER TABLE sync_log ADD COLUMN api_ms_p95 REAL;

ALTER TABLE sync_log ADD COLUMN api_retries INTEGER;

CREATE INDEX IF NOT EXISTS ix_sync_log_entity_status_started ON sync_log (entity_type, status, started_at);

CREATE TABLE IF NOT EXISTS sync_run_totals (
	entity_type TEXT NOT NULL, 
	status TEXT NOT NULL, 
	runs BIGINT DEFAULT '0' NOT NULL, 
	PRIMARY KEY (entity_type, status)
);

INSERT OR IGNORE INTO sync_run_totals (entity_type, status, runs)
SELECT entity_type, status, count(*) FROM sync_log WHERE status <> 'running'
 GROUP BY entity_type, status;

CREATE TRIGGER IF NOT EXISTS sync_log_count_finished AFTER UPDATE OF status ON sync_log
WHEN OLD.status = 'running' AND NEW.status <> 'running'
BEGIN
    INSERT OR IGNORE INTO sync_run_totals (entity_type, status, runs)
    VALUES (NEW.entity_type, NEW.status, 0);
    UPDATE sync_run_totals SET runs = runs + 1
     WHERE entity_type = NEW.entity_type AND status = NEW.status;
END;

CREATE TRIGGER IF NOT EXISTS sync_log_count_inserted AFTER INSERT ON sync_log
WHEN NEW.status <> 'running'
BEGIN
    INSERT OR IGNORE INTO sync_run_totals (entity_type, status, runs)
    VALUES (NEW.entity_type, NEW.status, 0);
    UPDATE sync_run_totals SET runs = runs + 1
     WHERE entity_type = NEW.entity_type AND status = NEW.status;
END;
