-- Migration 0007: at most one open backfill per entity, and the login throttle's table
-- (see the Postgres script; SQLite has no roles, so the request limits are checked by the
-- code that queues and claims requests).

CREATE TABLE IF NOT EXISTS login_attempts (
	id INTEGER NOT NULL, 
	username TEXT NOT NULL, 
	client TEXT NOT NULL, 
	outcome TEXT NOT NULL, 
	attempted_at DATETIME NOT NULL, 
	PRIMARY KEY (id)
);

CREATE INDEX IF NOT EXISTS ix_login_attempts_client ON login_attempts (client, attempted_at);

CREATE INDEX IF NOT EXISTS ix_login_attempts_username ON login_attempts (username, attempted_at);

UPDATE sync_requests
   SET status = 'failed', finished_at = CURRENT_TIMESTAMP,
       error = 'Another backfill of this entity was already queued; queue this one again later.'
 WHERE action = 'backfill' AND status = 'queued'
   AND EXISTS (SELECT 1 FROM sync_requests AS o
                WHERE o.entity_type = sync_requests.entity_type AND o.action = 'backfill'
                  AND o.status IN ('queued', 'running') AND o.id <> sync_requests.id
                  AND (o.status = 'running' OR o.id < sync_requests.id));

CREATE UNIQUE INDEX IF NOT EXISTS ux_sync_requests_open_backfill ON sync_requests (entity_type) WHERE action = 'backfill' AND status IN ('queued', 'running');
