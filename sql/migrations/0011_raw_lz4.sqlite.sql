-- Migration 0011: lz4 compression of `raw` on Postgres; SQLite does not compress values,
-- nothing changes here.

SELECT 1;
