-- Migration 0021: how many stores synced at once in a run's scheduler process. The stores of
-- one process share its memory, so a run's peak_rss_bytes is the whole process's: the memory
-- alert allows ALERT_MEMORY_MB per store at once. Null: one store (every earlier run).

ALTER TABLE sync_log ADD COLUMN IF NOT EXISTS stores_at_once INTEGER;
