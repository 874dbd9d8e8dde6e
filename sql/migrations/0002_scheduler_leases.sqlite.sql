-- Migration 0002: per-entity leases, so two processes never sync one entity at once,
-- and which scheduler process claimed a run-now request.

CREATE TABLE IF NOT EXISTS sync_locks (
	entity_type TEXT NOT NULL, 
	holder TEXT NOT NULL, 
	host TEXT NOT NULL, 
	pid INTEGER NOT NULL, 
	acquired_at DATETIME NOT NULL, 
	expires_at DATETIME NOT NULL, 
	PRIMARY KEY (entity_type)
);

ALTER TABLE sync_requests ADD COLUMN claimed_by TEXT;
