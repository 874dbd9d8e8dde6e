-- Migration 0019: API keys limited to some stores (see the Postgres script; SQLite has no
-- roles). A key with no row here sees every store.

CREATE TABLE IF NOT EXISTS api_key_stores (
	key_id BIGINT NOT NULL, 
	store TEXT NOT NULL, 
	PRIMARY KEY (key_id, store)
);
