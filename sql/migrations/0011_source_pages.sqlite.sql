-- Migration 0011: on Postgres, lz4 compression of `raw` and sync_apply_source_page() for
-- the REST backend. SQLite compresses nothing and has no functions: nothing changes here.

SELECT 1;
