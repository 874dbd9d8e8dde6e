-- Migration 0018: the stores a database role may read (issue 27). SQLite has no roles, so
-- nothing here limits anything: the table only keeps the schema the same as on Postgres,
-- where row-level security reads it (`python -m sync store grant` refuses on SQLite).

CREATE TABLE IF NOT EXISTS store_readers (
	role TEXT NOT NULL, 
	store TEXT NOT NULL, 
	PRIMARY KEY (role, store), 
	CONSTRAINT fk_store_readers_store FOREIGN KEY(store) REFERENCES lightspeed_stores (prefix)
);
