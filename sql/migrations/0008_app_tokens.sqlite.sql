-- Migration 0008: the Lightspeed app's OAuth tokens (`python -m sync connect`).
-- One row, id 1, present from the start so that a refresh can always lock it.

CREATE TABLE IF NOT EXISTS lightspeed_app_tokens (
	id INTEGER NOT NULL, 
	domain_prefix TEXT, 
	access_token TEXT, 
	refresh_token TEXT, 
	expires_at BIGINT, 
	scope TEXT, 
	refreshed_at BIGINT, 
	connected_at DATETIME, 
	PRIMARY KEY (id)
);

INSERT OR IGNORE INTO lightspeed_app_tokens (id) VALUES (1);
