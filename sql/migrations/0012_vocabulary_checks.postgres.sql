-- Migration 0012: vocabulary CHECK constraints (postgres). Generated from sync/runs.py
-- by sync.storage.checks.render; do not edit by hand.

ALTER TABLE sync_log DROP CONSTRAINT IF EXISTS ck_sync_log_status;
ALTER TABLE sync_log ADD CONSTRAINT ck_sync_log_status
    CHECK (status IN ('running', 'success', 'partial', 'failed', 'interrupted')) NOT VALID;

ALTER TABLE sync_log DROP CONSTRAINT IF EXISTS ck_sync_log_action;
ALTER TABLE sync_log ADD CONSTRAINT ck_sync_log_action
    CHECK (action IN ('incremental', 'full', 'backfill')) NOT VALID;

ALTER TABLE sync_log DROP CONSTRAINT IF EXISTS ck_sync_log_trigger;
ALTER TABLE sync_log ADD CONSTRAINT ck_sync_log_trigger
    CHECK (trigger IN ('schedule', 'manual', 'cli')) NOT VALID;

ALTER TABLE sync_requests DROP CONSTRAINT IF EXISTS ck_sync_requests_status;
ALTER TABLE sync_requests ADD CONSTRAINT ck_sync_requests_status
    CHECK (status IN ('queued', 'running', 'done', 'failed')) NOT VALID;

ALTER TABLE alert_incidents DROP CONSTRAINT IF EXISTS ck_alert_incidents_rule;
ALTER TABLE alert_incidents ADD CONSTRAINT ck_alert_incidents_rule
    CHECK (rule IN ('sync_failed', 'stale', 'scheduler_down', 'slow_run', 'empty_success', 'success_rate', 'reconciliation_mismatch', 'memory')) NOT VALID;

ALTER TABLE alert_incidents DROP CONSTRAINT IF EXISTS ck_alert_incidents_severity;
ALTER TABLE alert_incidents ADD CONSTRAINT ck_alert_incidents_severity
    CHECK (severity IN ('warning', 'error', 'critical')) NOT VALID;
