-- Migration 0017: the personal token of each store added with `python -m sync store add`.

CREATE TABLE IF NOT EXISTS lightspeed_store_tokens (
	store TEXT NOT NULL, 
	token TEXT NOT NULL, 
	saved_at DATETIME NOT NULL, 
	PRIMARY KEY (store)
);
