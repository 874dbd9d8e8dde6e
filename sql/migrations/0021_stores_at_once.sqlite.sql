-- Migration 0021: how many stores synced at once in a run's scheduler process (see the
-- Postgres script). Null: one store (every earlier run).

ALTER TABLE sync_log ADD COLUMN stores_at_once INTEGER;
