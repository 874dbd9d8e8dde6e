-- Migration 0014: on Postgres, sync_read_model() serves the REST backend's read model in
-- one request. SQLite has no functions and no REST backend: nothing changes here.

SELECT 1;
