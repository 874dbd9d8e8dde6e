-- Migration 0011: the write path at the floor (issue 16). First: the copied records'
-- `raw` documents are compressed with lz4 instead of pglz (Postgres 14+). A full import
-- writes every record's JSON once more into `raw`; with pglz that compression was a third
-- of a page's write time, lz4 is several times faster for a similar size. Only values
-- written from now on use it (existing ones stay readable as they are). Skipped on a
-- server built without lz4.

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


-- The same for the REST backend (Supabase): one plain page, sent once as its source JSON,
-- mapped and written by the statement the SQL backend runs (sync/storage/sql/sourcepage.py,
-- `rpc_statement`; a unit test checks that these texts are current), then the cursor and
-- the run's sync_log rows, as sync_apply_page does. Only for pages whose records are all
-- plain (sync/entities/plain.py); any other page still goes through sync_apply_page.
CREATE OR REPLACE FUNCTION sync_apply_source_page(
    p_entity text,
    p_body text,
    p_state_names text[],
    p_cursor bigint DEFAULT NULL,
    p_log_id bigint DEFAULT NULL,
    p_child_log_id bigint DEFAULT NULL,
    p_api_calls integer DEFAULT NULL,
    p_now timestamptz DEFAULT now()
) RETURNS jsonb
LANGUAGE plpgsql
SET search_path = public, pg_temp
SET TimeZone = 'UTC'
SET work_mem = '64MB'
AS $fn$
DECLARE
    statement text;
    written integer := 0;
    deleted integer := 0;
    children integer := 0;
BEGIN
    statement := CASE p_entity
        WHEN 'outlets' THEN $q$WITH page AS MATERIALIZED (SELECT DISTINCT ON (x.id) p.ord, p.r, x.* FROM jsonb_array_elements((SELECT CASE jsonb_typeof(b) WHEN 'array' THEN b ELSE b->'data' END FROM (SELECT $1::jsonb AS b) AS body)) WITH ORDINALITY AS p(r, ord), jsonb_to_record(p.r) AS x("id" text, "version" bigint, "deleted_at" text, "name" text, "time_zone" text, "currency" text, "currency_symbol" text, "display_prices" text, "email" text, "physical_city" text, "physical_country_id" text) ORDER BY x.id, x.version DESC, p.ord DESC), fresh AS MATERIALIZED (SELECT * FROM page AS x WHERE NOT EXISTS (SELECT FROM lightspeed_outlets AS t WHERE t.id = x.id AND t.version > x.version)), up AS (INSERT INTO lightspeed_outlets ("id", "version", "name", "time_zone", "currency", "currency_symbol", "display_prices", "email", "physical_city", "physical_country_id", "deleted_at", "raw", "synced_at") SELECT x.id, x.version, x."name", x."time_zone", x."currency", x."currency_symbol", x."display_prices", x."email", x."physical_city", x."physical_country_id", NULLIF(x.deleted_at, '')::timestamptz, x.r, $2 FROM fresh AS x ON CONFLICT (id) DO UPDATE SET "version" = EXCLUDED."version", "name" = EXCLUDED."name", "time_zone" = EXCLUDED."time_zone", "currency" = EXCLUDED."currency", "currency_symbol" = EXCLUDED."currency_symbol", "display_prices" = EXCLUDED."display_prices", "email" = EXCLUDED."email", "physical_city" = EXCLUDED."physical_city", "physical_country_id" = EXCLUDED."physical_country_id", "deleted_at" = EXCLUDED."deleted_at", "raw" = EXCLUDED."raw", "synced_at" = EXCLUDED."synced_at" RETURNING deleted_at IS NOT NULL AS gone) SELECT (SELECT count(*) FROM up), (SELECT count(*) FROM up WHERE gone), 0$q$
        WHEN 'customers' THEN $q$WITH page AS MATERIALIZED (SELECT DISTINCT ON (x.id) p.ord, p.r, x.* FROM jsonb_array_elements((SELECT CASE jsonb_typeof(b) WHEN 'array' THEN b ELSE b->'data' END FROM (SELECT $1::jsonb AS b) AS body)) WITH ORDINALITY AS p(r, ord), jsonb_to_record(p.r) AS x("id" text, "version" bigint, "deleted_at" text, "customer_code" text, "customer_group_id" text, "name" text, "first_name" text, "last_name" text, "company_name" text, "email" text, "phone" text, "mobile" text, "date_of_birth" text, "balance" text, "year_to_date" text, "loyalty_balance" text, "on_account_limit" text, "enable_loyalty" text, "do_not_email" text, "created_at" text, "updated_at" text) ORDER BY x.id, x.version DESC, p.ord DESC), fresh AS MATERIALIZED (SELECT * FROM page AS x WHERE NOT EXISTS (SELECT FROM lightspeed_customers AS t WHERE t.id = x.id AND t.version > x.version)), up AS (INSERT INTO lightspeed_customers ("id", "version", "customer_code", "customer_group_id", "name", "first_name", "last_name", "company_name", "email", "phone", "mobile", "date_of_birth", "balance", "year_to_date", "loyalty_balance", "on_account_limit", "enable_loyalty", "do_not_email", "created_at", "updated_at", "deleted_at", "raw", "synced_at") SELECT x.id, x.version, x."customer_code", x."customer_group_id", x."name", x."first_name", x."last_name", x."company_name", x."email", x."phone", x."mobile", x."date_of_birth", NULLIF(x."balance", '')::numeric, NULLIF(x."year_to_date", '')::numeric, NULLIF(x."loyalty_balance", '')::numeric, NULLIF(x."on_account_limit", '')::numeric, NULLIF(x."enable_loyalty", '')::boolean, NULLIF(x."do_not_email", '')::boolean, NULLIF(x."created_at", '')::timestamptz, NULLIF(x."updated_at", '')::timestamptz, NULLIF(x.deleted_at, '')::timestamptz, x.r, $2 FROM fresh AS x ON CONFLICT (id) DO UPDATE SET "version" = EXCLUDED."version", "customer_code" = EXCLUDED."customer_code", "customer_group_id" = EXCLUDED."customer_group_id", "name" = EXCLUDED."name", "first_name" = EXCLUDED."first_name", "last_name" = EXCLUDED."last_name", "company_name" = EXCLUDED."company_name", "email" = EXCLUDED."email", "phone" = EXCLUDED."phone", "mobile" = EXCLUDED."mobile", "date_of_birth" = EXCLUDED."date_of_birth", "balance" = EXCLUDED."balance", "year_to_date" = EXCLUDED."year_to_date", "loyalty_balance" = EXCLUDED."loyalty_balance", "on_account_limit" = EXCLUDED."on_account_limit", "enable_loyalty" = EXCLUDED."enable_loyalty", "do_not_email" = EXCLUDED."do_not_email", "created_at" = EXCLUDED."created_at", "updated_at" = EXCLUDED."updated_at", "deleted_at" = EXCLUDED."deleted_at", "raw" = EXCLUDED."raw", "synced_at" = EXCLUDED."synced_at" RETURNING deleted_at IS NOT NULL AS gone) SELECT (SELECT count(*) FROM up), (SELECT count(*) FROM up WHERE gone), 0$q$
        WHEN 'products' THEN $q$WITH page AS MATERIALIZED (SELECT DISTINCT ON (x.id) p.ord, p.r, x.* FROM jsonb_array_elements((SELECT CASE jsonb_typeof(b) WHEN 'array' THEN b ELSE b->'data' END FROM (SELECT $1::jsonb AS b) AS body)) WITH ORDINALITY AS p(r, ord), jsonb_to_record(p.r) AS x("id" text, "version" bigint, "deleted_at" text, "name" text, "variant_name" text, "handle" text, "sku" text, "variant_parent_id" text, "family_id" text, "active" text, "is_active" text, "has_inventory" text, "is_composite" text, "has_variants" text, "price_including_tax" text, "price_excluding_tax" text, "supply_price" text, "supplier_id" text, "brand_id" text, "product_type_id" text, "source" text, "created_at" text, "updated_at" text) ORDER BY x.id, x.version DESC, p.ord DESC), fresh AS MATERIALIZED (SELECT * FROM page AS x WHERE NOT EXISTS (SELECT FROM lightspeed_products AS t WHERE t.id = x.id AND t.version > x.version)), up AS (INSERT INTO lightspeed_products ("id", "version", "name", "variant_name", "handle", "sku", "variant_parent_id", "family_id", "active", "is_active", "has_inventory", "is_composite", "has_variants", "price_including_tax", "price_excluding_tax", "supply_price", "supplier_id", "brand_id", "product_type_id", "source", "created_at", "updated_at", "deleted_at", "raw", "synced_at") SELECT x.id, x.version, x."name", x."variant_name", x."handle", x."sku", x."variant_parent_id", x."family_id", NULLIF(x."active", '')::boolean, NULLIF(x."is_active", '')::boolean, NULLIF(x."has_inventory", '')::boolean, NULLIF(x."is_composite", '')::boolean, NULLIF(x."has_variants", '')::boolean, NULLIF(x."price_including_tax", '')::numeric, NULLIF(x."price_excluding_tax", '')::numeric, NULLIF(x."supply_price", '')::numeric, x."supplier_id", x."brand_id", x."product_type_id", x."source", NULLIF(x."created_at", '')::timestamptz, NULLIF(x."updated_at", '')::timestamptz, NULLIF(x.deleted_at, '')::timestamptz, x.r, $2 FROM fresh AS x ON CONFLICT (id) DO UPDATE SET "version" = EXCLUDED."version", "name" = EXCLUDED."name", "variant_name" = EXCLUDED."variant_name", "handle" = EXCLUDED."handle", "sku" = EXCLUDED."sku", "variant_parent_id" = EXCLUDED."variant_parent_id", "family_id" = EXCLUDED."family_id", "active" = EXCLUDED."active", "is_active" = EXCLUDED."is_active", "has_inventory" = EXCLUDED."has_inventory", "is_composite" = EXCLUDED."is_composite", "has_variants" = EXCLUDED."has_variants", "price_including_tax" = EXCLUDED."price_including_tax", "price_excluding_tax" = EXCLUDED."price_excluding_tax", "supply_price" = EXCLUDED."supply_price", "supplier_id" = EXCLUDED."supplier_id", "brand_id" = EXCLUDED."brand_id", "product_type_id" = EXCLUDED."product_type_id", "source" = EXCLUDED."source", "created_at" = EXCLUDED."created_at", "updated_at" = EXCLUDED."updated_at", "deleted_at" = EXCLUDED."deleted_at", "raw" = EXCLUDED."raw", "synced_at" = EXCLUDED."synced_at" RETURNING deleted_at IS NOT NULL AS gone) SELECT (SELECT count(*) FROM up), (SELECT count(*) FROM up WHERE gone), 0$q$
        WHEN 'inventory' THEN $q$WITH page AS MATERIALIZED (SELECT DISTINCT ON (x.id) p.ord, p.r, x.* FROM jsonb_array_elements((SELECT CASE jsonb_typeof(b) WHEN 'array' THEN b ELSE b->'data' END FROM (SELECT $1::jsonb AS b) AS body)) WITH ORDINALITY AS p(r, ord), jsonb_to_record(p.r) AS x("id" text, "version" bigint, "deleted_at" text, "product_id" text, "outlet_id" text, "inventory_level" text, "current_amount" text, "reorder_point" text, "reorder_amount" text, "average_cost" text) ORDER BY x.id, x.version DESC, p.ord DESC), fresh AS MATERIALIZED (SELECT * FROM page AS x WHERE NOT EXISTS (SELECT FROM lightspeed_inventory AS t WHERE t.id = x.id AND t.version > x.version)), up AS (INSERT INTO lightspeed_inventory ("id", "version", "product_id", "outlet_id", "inventory_level", "current_amount", "reorder_point", "reorder_amount", "average_cost", "deleted_at", "raw", "synced_at") SELECT x.id, x.version, x."product_id", x."outlet_id", NULLIF(x."inventory_level", '')::numeric, NULLIF(x."current_amount", '')::numeric, NULLIF(x."reorder_point", '')::numeric, NULLIF(x."reorder_amount", '')::numeric, NULLIF(x."average_cost", '')::numeric, NULLIF(x.deleted_at, '')::timestamptz, x.r, $2 FROM fresh AS x ON CONFLICT (id) DO UPDATE SET "version" = EXCLUDED."version", "product_id" = EXCLUDED."product_id", "outlet_id" = EXCLUDED."outlet_id", "inventory_level" = EXCLUDED."inventory_level", "current_amount" = EXCLUDED."current_amount", "reorder_point" = EXCLUDED."reorder_point", "reorder_amount" = EXCLUDED."reorder_amount", "average_cost" = EXCLUDED."average_cost", "deleted_at" = EXCLUDED."deleted_at", "raw" = EXCLUDED."raw", "synced_at" = EXCLUDED."synced_at" RETURNING deleted_at IS NOT NULL AS gone) SELECT (SELECT count(*) FROM up), (SELECT count(*) FROM up WHERE gone), 0$q$
        WHEN 'sales' THEN $q$WITH page AS MATERIALIZED (SELECT DISTINCT ON (x.id) p.ord, p.r, x.* FROM jsonb_array_elements((SELECT CASE jsonb_typeof(b) WHEN 'array' THEN b ELSE b->'data' END FROM (SELECT $1::jsonb AS b) AS body)) WITH ORDINALITY AS p(r, ord), jsonb_to_record(p.r) AS x("id" text, "version" bigint, "deleted_at" text, "outlet_id" text, "register_id" text, "user_id" text, "customer_id" text, "invoice_number" text, "receipt_number" text, "status" text, "state" text, "sale_date" text, "total_price" text, "total_tax" text, "total_price_incl" text, "total_loyalty" text, "return_for" text, "note" text, "created_at" text, "updated_at" text, "line_items" jsonb) ORDER BY x.id, x.version DESC, p.ord DESC), fresh AS MATERIALIZED (SELECT * FROM page AS x WHERE NOT EXISTS (SELECT FROM lightspeed_sales AS t WHERE t.id = x.id AND t.version > x.version)), up AS (INSERT INTO lightspeed_sales ("id", "version", "outlet_id", "register_id", "user_id", "customer_id", "invoice_number", "receipt_number", "status", "state", "sale_date", "total_price", "total_tax", "total_price_incl", "total_loyalty", "return_for", "note", "created_at", "updated_at", "deleted_at", "raw", "synced_at") SELECT x.id, x.version, x."outlet_id", x."register_id", x."user_id", x."customer_id", x."invoice_number", x."receipt_number", x."status", x."state", NULLIF(x."sale_date", '')::timestamptz, NULLIF(x."total_price", '')::numeric, NULLIF(x."total_tax", '')::numeric, NULLIF(x."total_price_incl", '')::numeric, NULLIF(x."total_loyalty", '')::numeric, x."return_for", x."note", NULLIF(x."created_at", '')::timestamptz, NULLIF(x."updated_at", '')::timestamptz, NULLIF(x.deleted_at, '')::timestamptz, x.r, $2 FROM fresh AS x ON CONFLICT (id) DO UPDATE SET "version" = EXCLUDED."version", "outlet_id" = EXCLUDED."outlet_id", "register_id" = EXCLUDED."register_id", "user_id" = EXCLUDED."user_id", "customer_id" = EXCLUDED."customer_id", "invoice_number" = EXCLUDED."invoice_number", "receipt_number" = EXCLUDED."receipt_number", "status" = EXCLUDED."status", "state" = EXCLUDED."state", "sale_date" = EXCLUDED."sale_date", "total_price" = EXCLUDED."total_price", "total_tax" = EXCLUDED."total_tax", "total_price_incl" = EXCLUDED."total_price_incl", "total_loyalty" = EXCLUDED."total_loyalty", "return_for" = EXCLUDED."return_for", "note" = EXCLUDED."note", "created_at" = EXCLUDED."created_at", "updated_at" = EXCLUDED."updated_at", "deleted_at" = EXCLUDED."deleted_at", "raw" = EXCLUDED."raw", "synced_at" = EXCLUDED."synced_at" RETURNING deleted_at IS NOT NULL AS gone), items_gone AS (DELETE FROM lightspeed_sale_line_items WHERE "sale_id" = ANY(ARRAY(SELECT id FROM fresh)) RETURNING 1), items_written AS (INSERT INTO lightspeed_sale_line_items ("sale_id", "id", "version", "product_id", "tax_id", "salesperson_id", "sequence", "status", "quantity", "price", "tax", "discount", "price_total", "tax_total", "discount_total", "cost_total", "loyalty_value", "is_return", "note", "deleted_at", "raw", "synced_at") SELECT x.id, y.id, x.version, y."product_id", y."tax_id", y."salesperson_id", NULLIF(y."sequence", '')::numeric, y."status", NULLIF(y."quantity", '')::numeric, NULLIF(y."price", '')::numeric, NULLIF(y."tax", '')::numeric, NULLIF(y."discount", '')::numeric, NULLIF(y."price_total", '')::numeric, NULLIF(y."tax_total", '')::numeric, NULLIF(y."discount_total", '')::numeric, NULLIF(y."cost_total", '')::numeric, NULLIF(y."loyalty_value", '')::numeric, NULLIF(y."is_return", '')::boolean, y."note", NULLIF(x.deleted_at, '')::timestamptz, i.item, $2 FROM fresh AS x CROSS JOIN LATERAL jsonb_array_elements(coalesce(x."line_items", '[]')) AS i(item) CROSS JOIN LATERAL jsonb_to_record(i.item) AS y("id" text, "product_id" text, "tax_id" text, "salesperson_id" text, "sequence" text, "status" text, "quantity" text, "price" text, "tax" text, "discount" text, "price_total" text, "tax_total" text, "discount_total" text, "cost_total" text, "loyalty_value" text, "is_return" text, "note" text) WHERE (SELECT count(*) FROM items_gone) >= 0 RETURNING 1) SELECT (SELECT count(*) FROM up), (SELECT count(*) FROM up WHERE gone), (SELECT count(*) FROM items_written)$q$
    END;
    IF statement IS NULL THEN
        RAISE EXCEPTION USING ERRCODE = '22023',
            MESSAGE = 'sync_apply_source_page: unknown entity ' || quote_literal(p_entity);
    END IF;
    EXECUTE statement INTO written, deleted, children USING p_body, p_now;

    IF p_cursor IS NOT NULL THEN
        UPDATE sync_state
           SET cursor_version = GREATEST(coalesce(cursor_version, 0), p_cursor),
               updated_at = p_now
         WHERE entity_type = ANY(p_state_names);
    END IF;

    UPDATE sync_log
       SET records_upserted = coalesce(records_upserted, 0) + written,
           records_deleted = coalesce(records_deleted, 0) + deleted,
           pages = coalesce(pages, 0) + 1,
           api_calls = coalesce(p_api_calls, api_calls),
           version_to = coalesce(p_cursor, version_to)
     WHERE id = p_log_id;
    UPDATE sync_log
       SET records_upserted = coalesce(records_upserted, 0) + children,
           pages = coalesce(pages, 0) + 1,
           version_to = coalesce(p_cursor, version_to)
     WHERE id = p_child_log_id;

    RETURN jsonb_build_object(
        'written', written, 'deleted', deleted, 'children', children, 'rejected', 0);
END
$fn$;

-- Only the writer calls it (with the caller's rights, as sync_apply_page).
REVOKE ALL ON FUNCTION sync_apply_source_page(text, text, text[], bigint, bigint, bigint, integer, timestamptz) FROM PUBLIC;
DO $$
DECLARE
    api_role text;
BEGIN
    FOREACH api_role IN ARRAY ARRAY['anon', 'authenticated'] LOOP
        IF EXISTS (SELECT FROM pg_roles WHERE rolname = api_role) THEN
            EXECUTE 'REVOKE ALL ON FUNCTION sync_apply_source_page(text, text, text[], bigint, bigint, bigint, integer, timestamptz) FROM ' || api_role;
        END IF;
    END LOOP;
    IF EXISTS (SELECT FROM pg_roles WHERE rolname = 'service_role') THEN
        GRANT EXECUTE ON FUNCTION sync_apply_source_page(text, text, text[], bigint, bigint, bigint, integer, timestamptz) TO service_role;
    END IF;
END
$$;
