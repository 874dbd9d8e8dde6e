-- Migration 0020: each scheduler heartbeat names the store its loop syncs (see the
-- Postgres script). Rows written before it have none: they count for every store.

ALTER TABLE scheduler_heartbeat ADD COLUMN store TEXT;
