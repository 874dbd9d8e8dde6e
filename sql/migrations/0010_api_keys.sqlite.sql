-- Migration 0010: keys for the health API (see the Postgres script; SQLite has no roles).

CREATE TABLE IF NOT EXISTS api_keys (
	id INTEGER NOT NULL, 
	name TEXT NOT NULL, 
	prefix TEXT NOT NULL, 
	key_hash TEXT NOT NULL, 
	scope TEXT NOT NULL, 
	created_at DATETIME NOT NULL, 
	last_used_at DATETIME, 
	revoked_at DATETIME, 
	PRIMARY KEY (id), 
	CONSTRAINT ck_api_keys_scope CHECK (scope IN ('read', 'admin'))
);

CREATE UNIQUE INDEX IF NOT EXISTS ux_api_keys_name ON api_keys (name);

CREATE INDEX IF NOT EXISTS ix_api_keys_prefix ON api_keys (prefix);
