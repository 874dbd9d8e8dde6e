-- Migration 0005: reconciliation results; backfill requests in the run-now queue.

CREATE TABLE IF NOT EXISTS reconciliations (
	id INTEGER NOT NULL, 
	run_id TEXT NOT NULL, 
	entity_type TEXT NOT NULL, 
	scope TEXT NOT NULL, 
	measure TEXT NOT NULL, 
	source_value TEXT, 
	db_value TEXT, 
	difference TEXT, 
	status TEXT NOT NULL, 
	details TEXT, 
	checked_at DATETIME NOT NULL, 
	PRIMARY KEY (id)
);

CREATE INDEX IF NOT EXISTS ix_reconciliations_checked ON reconciliations (checked_at);

CREATE INDEX IF NOT EXISTS ix_reconciliations_entity ON reconciliations (entity_type, checked_at);

ALTER TABLE sync_requests ADD COLUMN action TEXT DEFAULT 'incremental' NOT NULL;

ALTER TABLE sync_requests ADD COLUMN date_from DATE;

ALTER TABLE sync_requests ADD COLUMN date_to DATE;
