-- Migration 0011: the copied records' `raw` documents are compressed with lz4 instead of
-- pglz (Postgres 14+). A full import writes every record's JSON once more into `raw`;
-- with pglz that compression was a third of a page's write time, lz4 is several times
-- faster for a similar size. Only values written from now on use it (existing ones stay
-- readable as they are). Skipped on a server built without lz4.

DO $$
BEGIN
	IF EXISTS (
		SELECT FROM pg_settings
		WHERE name = 'default_toast_compression' AND 'lz4' = ANY (enumvals)
	) THEN
		ALTER TABLE lightspeed_customers ALTER COLUMN raw SET COMPRESSION lz4;
		ALTER TABLE lightspeed_outlets ALTER COLUMN raw SET COMPRESSION lz4;
		ALTER TABLE lightspeed_products ALTER COLUMN raw SET COMPRESSION lz4;
		ALTER TABLE lightspeed_sales ALTER COLUMN raw SET COMPRESSION lz4;
		ALTER TABLE lightspeed_sale_line_items ALTER COLUMN raw SET COMPRESSION lz4;
		ALTER TABLE lightspeed_inventory ALTER COLUMN raw SET COMPRESSION lz4;
	END IF;
END
$$;
