-- Migration 0012: vocabulary CHECK constraints (sqlite). Generated from sync/runs.py
-- by sync.storage.checks.render; do not edit by hand.

CREATE TRIGGER IF NOT EXISTS ck_sync_log_status_insert BEFORE INSERT ON sync_log
WHEN NEW.status NOT IN ('running', 'success', 'partial', 'failed', 'interrupted')
BEGIN
    SELECT RAISE(ABORT, 'CHECK constraint failed: ck_sync_log_status');
END;

CREATE TRIGGER IF NOT EXISTS ck_sync_log_status_update BEFORE UPDATE OF status ON sync_log
WHEN NEW.status NOT IN ('running', 'success', 'partial', 'failed', 'interrupted')
BEGIN
    SELECT RAISE(ABORT, 'CHECK constraint failed: ck_sync_log_status');
END;

CREATE TRIGGER IF NOT EXISTS ck_sync_log_action_insert BEFORE INSERT ON sync_log
WHEN NEW.action NOT IN ('incremental', 'full', 'backfill')
BEGIN
    SELECT RAISE(ABORT, 'CHECK constraint failed: ck_sync_log_action');
END;

CREATE TRIGGER IF NOT EXISTS ck_sync_log_action_update BEFORE UPDATE OF action ON sync_log
WHEN NEW.action NOT IN ('incremental', 'full', 'backfill')
BEGIN
    SELECT RAISE(ABORT, 'CHECK constraint failed: ck_sync_log_action');
END;

CREATE TRIGGER IF NOT EXISTS ck_sync_log_trigger_insert BEFORE INSERT ON sync_log
WHEN NEW.trigger NOT IN ('schedule', 'manual', 'cli')
BEGIN
    SELECT RAISE(ABORT, 'CHECK constraint failed: ck_sync_log_trigger');
END;

CREATE TRIGGER IF NOT EXISTS ck_sync_log_trigger_update BEFORE UPDATE OF trigger ON sync_log
WHEN NEW.trigger NOT IN ('schedule', 'manual', 'cli')
BEGIN
    SELECT RAISE(ABORT, 'CHECK constraint failed: ck_sync_log_trigger');
END;

CREATE TRIGGER IF NOT EXISTS ck_sync_requests_status_insert BEFORE INSERT ON sync_requests
WHEN NEW.status NOT IN ('queued', 'running', 'done', 'failed')
BEGIN
    SELECT RAISE(ABORT, 'CHECK constraint failed: ck_sync_requests_status');
END;

CREATE TRIGGER IF NOT EXISTS ck_sync_requests_status_update BEFORE UPDATE OF status ON sync_requests
WHEN NEW.status NOT IN ('queued', 'running', 'done', 'failed')
BEGIN
    SELECT RAISE(ABORT, 'CHECK constraint failed: ck_sync_requests_status');
END;

CREATE TRIGGER IF NOT EXISTS ck_alert_incidents_rule_insert BEFORE INSERT ON alert_incidents
WHEN NEW.rule NOT IN ('sync_failed', 'stale', 'scheduler_down', 'slow_run', 'empty_success', 'success_rate', 'reconciliation_mismatch', 'memory')
BEGIN
    SELECT RAISE(ABORT, 'CHECK constraint failed: ck_alert_incidents_rule');
END;

CREATE TRIGGER IF NOT EXISTS ck_alert_incidents_rule_update BEFORE UPDATE OF rule ON alert_incidents
WHEN NEW.rule NOT IN ('sync_failed', 'stale', 'scheduler_down', 'slow_run', 'empty_success', 'success_rate', 'reconciliation_mismatch', 'memory')
BEGIN
    SELECT RAISE(ABORT, 'CHECK constraint failed: ck_alert_incidents_rule');
END;

CREATE TRIGGER IF NOT EXISTS ck_alert_incidents_severity_insert BEFORE INSERT ON alert_incidents
WHEN NEW.severity NOT IN ('warning', 'error', 'critical')
BEGIN
    SELECT RAISE(ABORT, 'CHECK constraint failed: ck_alert_incidents_severity');
END;

CREATE TRIGGER IF NOT EXISTS ck_alert_incidents_severity_update BEFORE UPDATE OF severity ON alert_incidents
WHEN NEW.severity NOT IN ('warning', 'error', 'critical')
BEGIN
    SELECT RAISE(ABORT, 'CHECK constraint failed: ck_alert_incidents_severity');
END;
