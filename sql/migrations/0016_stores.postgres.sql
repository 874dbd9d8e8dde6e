-- Migration 0016: several stores in one database (issue 27). A table of stores, and every
-- row of store data knows its store (the Lightspeed domain prefix): the copy's keys become
-- (store, id), and sync_state, sync_log, sync_requests, sync_rejects, sync_locks,
-- reconciliations, alert_incidents and sync_run_totals are per store, and the app's OAuth
-- tokens are kept per store.
--
-- Rows already here belong to the first store: `python -m sync migrate` tells this script
-- which one (the configured LIGHTSPEED_DOMAIN_PREFIX) through the transaction-local setting
-- lightspeed.first_store, and writes that store's row from the settings in the same
-- transaction. In the Supabase SQL editor, on a project that already holds data, run
--   SELECT set_config('lightspeed.first_store', 'yourprefix', false);
-- before sql/supabase/setup.sql; without it the script stops and says so. The new columns
-- get the first store as a default only while the rows are moved (no rewrite of big
-- tables), then none: every write names its store.

CREATE TABLE IF NOT EXISTS lightspeed_stores (
	prefix TEXT NOT NULL, 
	name TEXT NOT NULL, 
	time_zone TEXT, 
	connection TEXT DEFAULT 'token' NOT NULL, 
	added_at TIMESTAMP WITH TIME ZONE NOT NULL, 
	enabled BOOLEAN DEFAULT true NOT NULL, 
	PRIMARY KEY (prefix), 
	CONSTRAINT ck_lightspeed_stores_connection CHECK (connection IN ('token', 'app'))
);

DO $$
DECLARE
    first_store text := nullif(current_setting('lightspeed.first_store', true), '');
    t text;
    has_rows boolean;
BEGIN
    FOREACH t IN ARRAY ARRAY[
        'lightspeed_customers', 'lightspeed_outlets', 'lightspeed_products',
        'lightspeed_sales', 'lightspeed_sale_line_items', 'lightspeed_inventory',
        'sync_state', 'sync_log', 'sync_requests', 'sync_rejects', 'sync_locks',
        'reconciliations', 'alert_incidents', 'sync_run_totals'] LOOP
        IF first_store IS NULL THEN
            EXECUTE 'SELECT EXISTS (SELECT FROM ' || quote_ident(t) || ')' INTO has_rows;
            IF has_rows THEN
                RAISE EXCEPTION USING ERRCODE = '22023',
                    MESSAGE = 'This database holds the data of one store (table ' || t
                        || '), and this migration must know which store it is.',
                    HINT = 'Run `python -m sync migrate` with LIGHTSPEED_DOMAIN_PREFIX set, or in '
                        || 'the SQL editor first: SELECT set_config(''lightspeed.first_store'', '
                        || '''yourprefix'', false);';
            END IF;
            EXECUTE 'ALTER TABLE ' || quote_ident(t) || ' ADD COLUMN store text NOT NULL';
        ELSE
            EXECUTE 'ALTER TABLE ' || quote_ident(t) || ' ADD COLUMN store text NOT NULL DEFAULT '
                || quote_literal(first_store);
            EXECUTE 'ALTER TABLE ' || quote_ident(t) || ' ALTER COLUMN store DROP DEFAULT';
        END IF;
    END LOOP;
    IF first_store IS NOT NULL THEN
        INSERT INTO lightspeed_stores (prefix, name, connection, added_at)
        VALUES (first_store, first_store, 'token', now())
        ON CONFLICT (prefix) DO NOTHING;
    END IF;
END
$$;

-- The app's tokens: one row per store connected as an app (0008's single row, id 1, holds
-- the first store's tokens; an empty one is dropped: a row appears when a store connects).
DO $$
DECLARE
    first_store text := nullif(current_setting('lightspeed.first_store', true), '');
BEGIN
    IF first_store IS NULL
       AND EXISTS (SELECT FROM lightspeed_app_tokens WHERE refresh_token IS NOT NULL) THEN
        RAISE EXCEPTION USING ERRCODE = '22023',
            MESSAGE = 'This database holds the app tokens of one store (table '
                || 'lightspeed_app_tokens), and this migration must know which store it is.',
            HINT = 'Run `python -m sync migrate` with LIGHTSPEED_DOMAIN_PREFIX set, or in '
                || 'the SQL editor first: SELECT set_config(''lightspeed.first_store'', '
                || '''yourprefix'', false);';
    END IF;
    DELETE FROM lightspeed_app_tokens WHERE refresh_token IS NULL;
    ALTER TABLE lightspeed_app_tokens ADD COLUMN store text;
    UPDATE lightspeed_app_tokens SET store = first_store;
    ALTER TABLE lightspeed_app_tokens DROP CONSTRAINT lightspeed_app_tokens_pkey;
    ALTER TABLE lightspeed_app_tokens DROP COLUMN id;
    ALTER TABLE lightspeed_app_tokens ALTER COLUMN store SET NOT NULL;
    ALTER TABLE lightspeed_app_tokens
        ADD CONSTRAINT lightspeed_app_tokens_pkey PRIMARY KEY (store);
END
$$;

ALTER TABLE lightspeed_customers DROP CONSTRAINT lightspeed_customers_pkey;
ALTER TABLE lightspeed_customers ADD CONSTRAINT lightspeed_customers_pkey PRIMARY KEY (store, id);
ALTER TABLE lightspeed_outlets DROP CONSTRAINT lightspeed_outlets_pkey;
ALTER TABLE lightspeed_outlets ADD CONSTRAINT lightspeed_outlets_pkey PRIMARY KEY (store, id);
ALTER TABLE lightspeed_products DROP CONSTRAINT lightspeed_products_pkey;
ALTER TABLE lightspeed_products ADD CONSTRAINT lightspeed_products_pkey PRIMARY KEY (store, id);
ALTER TABLE lightspeed_sales DROP CONSTRAINT lightspeed_sales_pkey;
ALTER TABLE lightspeed_sales ADD CONSTRAINT lightspeed_sales_pkey PRIMARY KEY (store, id);
ALTER TABLE lightspeed_inventory DROP CONSTRAINT lightspeed_inventory_pkey;
ALTER TABLE lightspeed_inventory ADD CONSTRAINT lightspeed_inventory_pkey PRIMARY KEY (store, id);
ALTER TABLE lightspeed_sale_line_items DROP CONSTRAINT pk_lightspeed_sale_line_items;
ALTER TABLE lightspeed_sale_line_items
    ADD CONSTRAINT pk_lightspeed_sale_line_items PRIMARY KEY (store, sale_id, id);
ALTER TABLE sync_state DROP CONSTRAINT sync_state_pkey;
ALTER TABLE sync_state ADD CONSTRAINT sync_state_pkey PRIMARY KEY (store, entity_type);
ALTER TABLE sync_locks DROP CONSTRAINT sync_locks_pkey;
ALTER TABLE sync_locks ADD CONSTRAINT sync_locks_pkey PRIMARY KEY (store, entity_type);
ALTER TABLE sync_run_totals DROP CONSTRAINT sync_run_totals_pkey;
ALTER TABLE sync_run_totals
    ADD CONSTRAINT sync_run_totals_pkey PRIMARY KEY (store, entity_type, status);

-- The read model's "latest runs of an entity" and "latest success before a streak" are
-- index ranges within one store.
DROP INDEX IF EXISTS ix_sync_log_entity_started;
DROP INDEX IF EXISTS ix_sync_log_entity_status_started;
CREATE INDEX IF NOT EXISTS ix_sync_log_store_entity_started
    ON sync_log (store, entity_type, started_at);
CREATE INDEX IF NOT EXISTS ix_sync_log_store_entity_status_started
    ON sync_log (store, entity_type, status, started_at);
DROP INDEX IF EXISTS ix_reconciliations_entity;
CREATE INDEX IF NOT EXISTS ix_reconciliations_store_entity
    ON reconciliations (store, entity_type, checked_at);
-- One open backfill per store and entity; one open incident per store, rule and entity.
DROP INDEX IF EXISTS ux_sync_requests_open_backfill;
CREATE UNIQUE INDEX IF NOT EXISTS ux_sync_requests_open_backfill ON sync_requests (store, entity_type) WHERE action = 'backfill' AND status IN ('queued', 'running');
DROP INDEX IF EXISTS ux_alert_incidents_open;
CREATE UNIQUE INDEX IF NOT EXISTS ux_alert_incidents_open ON alert_incidents (store, rule, entity) WHERE status = 'open';

-- sync_run_totals counts per store (0009's triggers, with the store).
CREATE OR REPLACE FUNCTION sync_log_count_inserted() RETURNS trigger
LANGUAGE plpgsql
SET search_path = public, pg_temp
AS $fn$
BEGIN
    INSERT INTO sync_run_totals (store, entity_type, status, runs)
    SELECT store, entity_type, status, count(*) FROM added
     WHERE status <> 'running'
     GROUP BY store, entity_type, status
    ON CONFLICT (store, entity_type, status)
    DO UPDATE SET runs = sync_run_totals.runs + EXCLUDED.runs;
    RETURN NULL;
END
$fn$;

CREATE OR REPLACE FUNCTION sync_log_count_finished() RETURNS trigger
LANGUAGE plpgsql
SET search_path = public, pg_temp
AS $fn$
BEGIN
    INSERT INTO sync_run_totals (store, entity_type, status, runs)
    SELECT after_row.store, after_row.entity_type, after_row.status, count(*)
      FROM changed AS after_row JOIN previous AS before_row ON before_row.id = after_row.id
     WHERE before_row.status = 'running' AND after_row.status <> 'running'
     GROUP BY after_row.store, after_row.entity_type, after_row.status
    ON CONFLICT (store, entity_type, status)
    DO UPDATE SET runs = sync_run_totals.runs + EXCLUDED.runs;
    RETURN NULL;
END
$fn$;

-- The stores table: readable by the dashboard (no secret in it), written by the writer.
ALTER TABLE lightspeed_stores ENABLE ROW LEVEL SECURITY;
DO $$
DECLARE
    api_role text;
BEGIN
    FOREACH api_role IN ARRAY ARRAY['anon', 'authenticated'] LOOP
        IF EXISTS (SELECT FROM pg_roles WHERE rolname = api_role) THEN
            EXECUTE 'REVOKE ALL ON public.lightspeed_stores FROM ' || api_role;
        END IF;
    END LOOP;
    IF EXISTS (SELECT FROM pg_roles WHERE rolname = 'service_role') THEN
        GRANT ALL ON public.lightspeed_stores TO service_role;
    END IF;
    IF EXISTS (SELECT FROM pg_roles WHERE rolname = 'dashboard_reader') THEN
        GRANT SELECT ON public.lightspeed_stores TO dashboard_reader;
        DROP POLICY IF EXISTS dashboard_reader_select ON public.lightspeed_stores;
        CREATE POLICY dashboard_reader_select ON public.lightspeed_stores
            FOR SELECT TO dashboard_reader USING (true);
        -- "Sync now" names the store it asks for.
        GRANT INSERT (store) ON public.sync_requests TO dashboard_reader;
    END IF;
END
$$;


-- The REST backend's functions take the store (p_store, the last argument: every call
-- names its arguments) and touch only its rows. The old signatures are dropped.
DROP FUNCTION IF EXISTS sync_apply_page(text, text, text, text, text, text, text[], bigint, bigint, bigint, integer, timestamptz);
DROP FUNCTION IF EXISTS sync_apply_source_page(text, text, text[], bigint, bigint, bigint, integer, timestamptz);
DROP FUNCTION IF EXISTS sync_read_model(timestamptz, text[], integer, integer, integer, text[], text[], text[]);

-- 0006's page function: the rows take the store from a base record (no JSON rewriting),
-- stored rows are matched on (store, id), line items replaced within the store.
CREATE OR REPLACE FUNCTION sync_apply_page(
    p_table text,
    p_rows text,
    p_child_table text DEFAULT NULL,
    p_parent_column text DEFAULT NULL,
    p_children text DEFAULT NULL,
    p_rejects text DEFAULT NULL,
    p_state_names text[] DEFAULT NULL,
    p_cursor bigint DEFAULT NULL,
    p_log_id bigint DEFAULT NULL,
    p_child_log_id bigint DEFAULT NULL,
    p_api_calls integer DEFAULT NULL,
    p_now timestamptz DEFAULT now(),
    p_store text DEFAULT NULL
) RETURNS jsonb
LANGUAGE plpgsql
SET search_path = public, pg_temp
AS $fn$
DECLARE
    target text;
    child text;
    assignments text;
    written_ids text[];
    written integer := 0;
    deleted integer := 0;
    children integer := 0;
    rejected integer := coalesce(jsonb_array_length(p_rejects::jsonb), 0);
    base jsonb := jsonb_build_object('store', p_store);
BEGIN
    IF p_store IS NULL THEN
        RAISE EXCEPTION USING ERRCODE = '22023', MESSAGE = 'sync_apply_page: no store given';
    END IF;
    IF left(p_table, 11) <> 'lightspeed_' OR to_regclass('public.' || quote_ident(p_table)) IS NULL
    THEN
        RAISE EXCEPTION USING ERRCODE = '22023',
            MESSAGE = 'sync_apply_page: unknown table ' || quote_literal(p_table);
    END IF;
    target := 'public.' || quote_ident(p_table);

    SELECT string_agg(quote_ident(attname) || ' = EXCLUDED.' || quote_ident(attname), ', ')
      INTO assignments
      FROM pg_attribute
     WHERE attrelid = target::regclass AND attnum > 0 AND NOT attisdropped
       AND attname NOT IN ('store', 'id');

    EXECUTE
        'WITH incoming AS (SELECT * FROM jsonb_populate_recordset('
        || 'jsonb_populate_record(NULL::' || target || ', $2), $1)), '
        || 'fresh AS (SELECT i.* FROM incoming i LEFT JOIN ' || target || ' s '
        || '          ON s.store = i.store AND s.id = i.id '
        || '          WHERE s.id IS NULL OR s.version <= i.version), '
        || 'written AS (INSERT INTO ' || target || ' SELECT * FROM fresh '
        || '          ON CONFLICT (store, id) DO UPDATE SET ' || assignments
        || '          RETURNING id, deleted_at) '
        || 'SELECT coalesce(array_agg(id), ARRAY[]::text[]), count(*)::int, '
        || '       (count(*) FILTER (WHERE deleted_at IS NOT NULL))::int FROM written'
        INTO written_ids, written, deleted
        USING coalesce(p_rows::jsonb, '[]'::jsonb), base;

    IF p_child_table IS NOT NULL THEN
        IF left(p_child_table, 11) <> 'lightspeed_'
           OR to_regclass('public.' || quote_ident(p_child_table)) IS NULL THEN
            RAISE EXCEPTION USING ERRCODE = '22023',
                MESSAGE = 'sync_apply_page: unknown table ' || quote_literal(p_child_table);
        END IF;
        child := 'public.' || quote_ident(p_child_table);
        EXECUTE 'DELETE FROM ' || child || ' WHERE store = $2 AND '
            || quote_ident(p_parent_column) || ' = ANY($1)' USING written_ids, p_store;
        EXECUTE 'INSERT INTO ' || child || ' SELECT * FROM jsonb_populate_recordset('
            || 'jsonb_populate_record(NULL::' || child || ', $3), $1) WHERE '
            || quote_ident(p_parent_column) || ' = ANY($2)'
            USING coalesce(p_children::jsonb, '[]'::jsonb), written_ids, base;
        GET DIAGNOSTICS children = ROW_COUNT;
    END IF;

    IF rejected > 0 THEN
        INSERT INTO sync_rejects (run_id, store, entity_type, source_id, reason, raw, rejected_at)
        SELECT r.run_id, p_store, r.entity_type, r.source_id, r.reason, r.raw, r.rejected_at
          FROM jsonb_populate_recordset(NULL::sync_rejects, p_rejects::jsonb) AS r;
    END IF;

    IF p_cursor IS NOT NULL THEN
        UPDATE sync_state
           SET cursor_version = GREATEST(coalesce(cursor_version, 0), p_cursor),
               updated_at = p_now
         WHERE store = p_store AND entity_type = ANY(p_state_names);
    END IF;

    UPDATE sync_log
       SET records_upserted = coalesce(records_upserted, 0) + written,
           records_deleted = coalesce(records_deleted, 0) + deleted,
           records_rejected = coalesce(records_rejected, 0) + rejected,
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
        'written', written, 'deleted', deleted, 'children', children, 'rejected', rejected);
END
$fn$;

REVOKE ALL ON FUNCTION sync_apply_page(text, text, text, text, text, text, text[], bigint, bigint, bigint, integer, timestamptz, text) FROM PUBLIC;
DO $$
DECLARE
    api_role text;
BEGIN
    FOREACH api_role IN ARRAY ARRAY['anon', 'authenticated'] LOOP
        IF EXISTS (SELECT FROM pg_roles WHERE rolname = api_role) THEN
            EXECUTE 'REVOKE ALL ON FUNCTION sync_apply_page(text, text, text, text, text, text, text[], bigint, bigint, bigint, integer, timestamptz, text) FROM ' || api_role;
        END IF;
    END LOOP;
    IF EXISTS (SELECT FROM pg_roles WHERE rolname = 'service_role') THEN
        GRANT EXECUTE ON FUNCTION sync_apply_page(text, text, text, text, text, text, text[], bigint, bigint, bigint, integer, timestamptz, text) TO service_role;
    END IF;
END
$$;

-- 0011's source-page function with the store ($3 in sourcepage.rpc_statement; a unit test
-- checks that these texts are current).
CREATE OR REPLACE FUNCTION sync_apply_source_page(
    p_entity text,
    p_body text,
    p_state_names text[],
    p_cursor bigint DEFAULT NULL,
    p_log_id bigint DEFAULT NULL,
    p_child_log_id bigint DEFAULT NULL,
    p_api_calls integer DEFAULT NULL,
    p_now timestamptz DEFAULT now(),
    p_store text DEFAULT NULL
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
    IF p_store IS NULL THEN
        RAISE EXCEPTION USING ERRCODE = '22023', MESSAGE = 'sync_apply_source_page: no store given';
    END IF;
    statement := CASE p_entity
        WHEN 'outlets' THEN $q$WITH page AS MATERIALIZED (SELECT DISTINCT ON (x.id) p.ord, p.r, x.* FROM jsonb_array_elements((SELECT CASE jsonb_typeof(b) WHEN 'array' THEN b ELSE b->'data' END FROM (SELECT $1::jsonb AS b) AS body)) WITH ORDINALITY AS p(r, ord), jsonb_to_record(p.r) AS x("id" text, "version" bigint, "deleted_at" text, "name" text, "time_zone" text, "currency" text, "currency_symbol" text, "display_prices" text, "email" text, "physical_city" text, "physical_country_id" text) ORDER BY x.id, x.version DESC, p.ord DESC), fresh AS MATERIALIZED (SELECT * FROM page AS x WHERE NOT EXISTS (SELECT FROM lightspeed_outlets AS t WHERE t.store = $3 AND t.id = x.id AND t.version > x.version)), up AS (INSERT INTO lightspeed_outlets ("store", "id", "version", "name", "time_zone", "currency", "currency_symbol", "display_prices", "email", "physical_city", "physical_country_id", "deleted_at", "raw", "synced_at") SELECT $3, x.id, x.version, x."name", x."time_zone", x."currency", x."currency_symbol", x."display_prices", x."email", x."physical_city", x."physical_country_id", NULLIF(x.deleted_at, '')::timestamptz, x.r, $2 FROM fresh AS x ON CONFLICT (store, id) DO UPDATE SET "version" = EXCLUDED."version", "name" = EXCLUDED."name", "time_zone" = EXCLUDED."time_zone", "currency" = EXCLUDED."currency", "currency_symbol" = EXCLUDED."currency_symbol", "display_prices" = EXCLUDED."display_prices", "email" = EXCLUDED."email", "physical_city" = EXCLUDED."physical_city", "physical_country_id" = EXCLUDED."physical_country_id", "deleted_at" = EXCLUDED."deleted_at", "raw" = EXCLUDED."raw", "synced_at" = EXCLUDED."synced_at" RETURNING deleted_at IS NOT NULL AS gone) SELECT (SELECT count(*) FROM up), (SELECT count(*) FROM up WHERE gone), 0$q$
        WHEN 'customers' THEN $q$WITH page AS MATERIALIZED (SELECT DISTINCT ON (x.id) p.ord, p.r, x.* FROM jsonb_array_elements((SELECT CASE jsonb_typeof(b) WHEN 'array' THEN b ELSE b->'data' END FROM (SELECT $1::jsonb AS b) AS body)) WITH ORDINALITY AS p(r, ord), jsonb_to_record(p.r) AS x("id" text, "version" bigint, "deleted_at" text, "customer_code" text, "customer_group_id" text, "name" text, "first_name" text, "last_name" text, "company_name" text, "email" text, "phone" text, "mobile" text, "date_of_birth" text, "balance" text, "year_to_date" text, "loyalty_balance" text, "on_account_limit" text, "enable_loyalty" text, "do_not_email" text, "created_at" text, "updated_at" text) ORDER BY x.id, x.version DESC, p.ord DESC), fresh AS MATERIALIZED (SELECT * FROM page AS x WHERE NOT EXISTS (SELECT FROM lightspeed_customers AS t WHERE t.store = $3 AND t.id = x.id AND t.version > x.version)), up AS (INSERT INTO lightspeed_customers ("store", "id", "version", "customer_code", "customer_group_id", "name", "first_name", "last_name", "company_name", "email", "phone", "mobile", "date_of_birth", "balance", "year_to_date", "loyalty_balance", "on_account_limit", "enable_loyalty", "do_not_email", "created_at", "updated_at", "deleted_at", "raw", "synced_at") SELECT $3, x.id, x.version, x."customer_code", x."customer_group_id", x."name", x."first_name", x."last_name", x."company_name", x."email", x."phone", x."mobile", x."date_of_birth", NULLIF(x."balance", '')::numeric, NULLIF(x."year_to_date", '')::numeric, NULLIF(x."loyalty_balance", '')::numeric, NULLIF(x."on_account_limit", '')::numeric, NULLIF(x."enable_loyalty", '')::boolean, NULLIF(x."do_not_email", '')::boolean, NULLIF(x."created_at", '')::timestamptz, NULLIF(x."updated_at", '')::timestamptz, NULLIF(x.deleted_at, '')::timestamptz, x.r, $2 FROM fresh AS x ON CONFLICT (store, id) DO UPDATE SET "version" = EXCLUDED."version", "customer_code" = EXCLUDED."customer_code", "customer_group_id" = EXCLUDED."customer_group_id", "name" = EXCLUDED."name", "first_name" = EXCLUDED."first_name", "last_name" = EXCLUDED."last_name", "company_name" = EXCLUDED."company_name", "email" = EXCLUDED."email", "phone" = EXCLUDED."phone", "mobile" = EXCLUDED."mobile", "date_of_birth" = EXCLUDED."date_of_birth", "balance" = EXCLUDED."balance", "year_to_date" = EXCLUDED."year_to_date", "loyalty_balance" = EXCLUDED."loyalty_balance", "on_account_limit" = EXCLUDED."on_account_limit", "enable_loyalty" = EXCLUDED."enable_loyalty", "do_not_email" = EXCLUDED."do_not_email", "created_at" = EXCLUDED."created_at", "updated_at" = EXCLUDED."updated_at", "deleted_at" = EXCLUDED."deleted_at", "raw" = EXCLUDED."raw", "synced_at" = EXCLUDED."synced_at" RETURNING deleted_at IS NOT NULL AS gone) SELECT (SELECT count(*) FROM up), (SELECT count(*) FROM up WHERE gone), 0$q$
        WHEN 'products' THEN $q$WITH page AS MATERIALIZED (SELECT DISTINCT ON (x.id) p.ord, p.r, x.* FROM jsonb_array_elements((SELECT CASE jsonb_typeof(b) WHEN 'array' THEN b ELSE b->'data' END FROM (SELECT $1::jsonb AS b) AS body)) WITH ORDINALITY AS p(r, ord), jsonb_to_record(p.r) AS x("id" text, "version" bigint, "deleted_at" text, "name" text, "variant_name" text, "handle" text, "sku" text, "variant_parent_id" text, "family_id" text, "active" text, "is_active" text, "has_inventory" text, "is_composite" text, "has_variants" text, "price_including_tax" text, "price_excluding_tax" text, "supply_price" text, "supplier_id" text, "brand_id" text, "product_type_id" text, "source" text, "created_at" text, "updated_at" text) ORDER BY x.id, x.version DESC, p.ord DESC), fresh AS MATERIALIZED (SELECT * FROM page AS x WHERE NOT EXISTS (SELECT FROM lightspeed_products AS t WHERE t.store = $3 AND t.id = x.id AND t.version > x.version)), up AS (INSERT INTO lightspeed_products ("store", "id", "version", "name", "variant_name", "handle", "sku", "variant_parent_id", "family_id", "active", "is_active", "has_inventory", "is_composite", "has_variants", "price_including_tax", "price_excluding_tax", "supply_price", "supplier_id", "brand_id", "product_type_id", "source", "created_at", "updated_at", "deleted_at", "raw", "synced_at") SELECT $3, x.id, x.version, x."name", x."variant_name", x."handle", x."sku", x."variant_parent_id", x."family_id", NULLIF(x."active", '')::boolean, NULLIF(x."is_active", '')::boolean, NULLIF(x."has_inventory", '')::boolean, NULLIF(x."is_composite", '')::boolean, NULLIF(x."has_variants", '')::boolean, NULLIF(x."price_including_tax", '')::numeric, NULLIF(x."price_excluding_tax", '')::numeric, NULLIF(x."supply_price", '')::numeric, x."supplier_id", x."brand_id", x."product_type_id", x."source", NULLIF(x."created_at", '')::timestamptz, NULLIF(x."updated_at", '')::timestamptz, NULLIF(x.deleted_at, '')::timestamptz, x.r, $2 FROM fresh AS x ON CONFLICT (store, id) DO UPDATE SET "version" = EXCLUDED."version", "name" = EXCLUDED."name", "variant_name" = EXCLUDED."variant_name", "handle" = EXCLUDED."handle", "sku" = EXCLUDED."sku", "variant_parent_id" = EXCLUDED."variant_parent_id", "family_id" = EXCLUDED."family_id", "active" = EXCLUDED."active", "is_active" = EXCLUDED."is_active", "has_inventory" = EXCLUDED."has_inventory", "is_composite" = EXCLUDED."is_composite", "has_variants" = EXCLUDED."has_variants", "price_including_tax" = EXCLUDED."price_including_tax", "price_excluding_tax" = EXCLUDED."price_excluding_tax", "supply_price" = EXCLUDED."supply_price", "supplier_id" = EXCLUDED."supplier_id", "brand_id" = EXCLUDED."brand_id", "product_type_id" = EXCLUDED."product_type_id", "source" = EXCLUDED."source", "created_at" = EXCLUDED."created_at", "updated_at" = EXCLUDED."updated_at", "deleted_at" = EXCLUDED."deleted_at", "raw" = EXCLUDED."raw", "synced_at" = EXCLUDED."synced_at" RETURNING deleted_at IS NOT NULL AS gone) SELECT (SELECT count(*) FROM up), (SELECT count(*) FROM up WHERE gone), 0$q$
        WHEN 'inventory' THEN $q$WITH page AS MATERIALIZED (SELECT DISTINCT ON (x.id) p.ord, p.r, x.* FROM jsonb_array_elements((SELECT CASE jsonb_typeof(b) WHEN 'array' THEN b ELSE b->'data' END FROM (SELECT $1::jsonb AS b) AS body)) WITH ORDINALITY AS p(r, ord), jsonb_to_record(p.r) AS x("id" text, "version" bigint, "deleted_at" text, "product_id" text, "outlet_id" text, "inventory_level" text, "current_amount" text, "reorder_point" text, "reorder_amount" text, "average_cost" text) ORDER BY x.id, x.version DESC, p.ord DESC), fresh AS MATERIALIZED (SELECT * FROM page AS x WHERE NOT EXISTS (SELECT FROM lightspeed_inventory AS t WHERE t.store = $3 AND t.id = x.id AND t.version > x.version)), up AS (INSERT INTO lightspeed_inventory ("store", "id", "version", "product_id", "outlet_id", "inventory_level", "current_amount", "reorder_point", "reorder_amount", "average_cost", "deleted_at", "raw", "synced_at") SELECT $3, x.id, x.version, x."product_id", x."outlet_id", NULLIF(x."inventory_level", '')::numeric, NULLIF(x."current_amount", '')::numeric, NULLIF(x."reorder_point", '')::numeric, NULLIF(x."reorder_amount", '')::numeric, NULLIF(x."average_cost", '')::numeric, NULLIF(x.deleted_at, '')::timestamptz, x.r, $2 FROM fresh AS x ON CONFLICT (store, id) DO UPDATE SET "version" = EXCLUDED."version", "product_id" = EXCLUDED."product_id", "outlet_id" = EXCLUDED."outlet_id", "inventory_level" = EXCLUDED."inventory_level", "current_amount" = EXCLUDED."current_amount", "reorder_point" = EXCLUDED."reorder_point", "reorder_amount" = EXCLUDED."reorder_amount", "average_cost" = EXCLUDED."average_cost", "deleted_at" = EXCLUDED."deleted_at", "raw" = EXCLUDED."raw", "synced_at" = EXCLUDED."synced_at" RETURNING deleted_at IS NOT NULL AS gone) SELECT (SELECT count(*) FROM up), (SELECT count(*) FROM up WHERE gone), 0$q$
        WHEN 'sales' THEN $q$WITH page AS MATERIALIZED (SELECT DISTINCT ON (x.id) p.ord, p.r, x.* FROM jsonb_array_elements((SELECT CASE jsonb_typeof(b) WHEN 'array' THEN b ELSE b->'data' END FROM (SELECT $1::jsonb AS b) AS body)) WITH ORDINALITY AS p(r, ord), jsonb_to_record(p.r) AS x("id" text, "version" bigint, "deleted_at" text, "outlet_id" text, "register_id" text, "user_id" text, "customer_id" text, "invoice_number" text, "receipt_number" text, "status" text, "state" text, "sale_date" text, "total_price" text, "total_tax" text, "total_price_incl" text, "total_loyalty" text, "return_for" text, "note" text, "created_at" text, "updated_at" text, "line_items" jsonb) ORDER BY x.id, x.version DESC, p.ord DESC), fresh AS MATERIALIZED (SELECT * FROM page AS x WHERE NOT EXISTS (SELECT FROM lightspeed_sales AS t WHERE t.store = $3 AND t.id = x.id AND t.version > x.version)), up AS (INSERT INTO lightspeed_sales ("store", "id", "version", "outlet_id", "register_id", "user_id", "customer_id", "invoice_number", "receipt_number", "status", "state", "sale_date", "total_price", "total_tax", "total_price_incl", "total_loyalty", "return_for", "note", "created_at", "updated_at", "deleted_at", "raw", "synced_at") SELECT $3, x.id, x.version, x."outlet_id", x."register_id", x."user_id", x."customer_id", x."invoice_number", x."receipt_number", x."status", x."state", NULLIF(x."sale_date", '')::timestamptz, NULLIF(x."total_price", '')::numeric, NULLIF(x."total_tax", '')::numeric, NULLIF(x."total_price_incl", '')::numeric, NULLIF(x."total_loyalty", '')::numeric, x."return_for", x."note", NULLIF(x."created_at", '')::timestamptz, NULLIF(x."updated_at", '')::timestamptz, NULLIF(x.deleted_at, '')::timestamptz, x.r, $2 FROM fresh AS x ON CONFLICT (store, id) DO UPDATE SET "version" = EXCLUDED."version", "outlet_id" = EXCLUDED."outlet_id", "register_id" = EXCLUDED."register_id", "user_id" = EXCLUDED."user_id", "customer_id" = EXCLUDED."customer_id", "invoice_number" = EXCLUDED."invoice_number", "receipt_number" = EXCLUDED."receipt_number", "status" = EXCLUDED."status", "state" = EXCLUDED."state", "sale_date" = EXCLUDED."sale_date", "total_price" = EXCLUDED."total_price", "total_tax" = EXCLUDED."total_tax", "total_price_incl" = EXCLUDED."total_price_incl", "total_loyalty" = EXCLUDED."total_loyalty", "return_for" = EXCLUDED."return_for", "note" = EXCLUDED."note", "created_at" = EXCLUDED."created_at", "updated_at" = EXCLUDED."updated_at", "deleted_at" = EXCLUDED."deleted_at", "raw" = EXCLUDED."raw", "synced_at" = EXCLUDED."synced_at" RETURNING deleted_at IS NOT NULL AS gone), items_gone AS (DELETE FROM lightspeed_sale_line_items WHERE store = $3 AND "sale_id" = ANY(ARRAY(SELECT id FROM fresh)) RETURNING 1), items_written AS (INSERT INTO lightspeed_sale_line_items ("store", "sale_id", "id", "version", "product_id", "tax_id", "salesperson_id", "sequence", "status", "quantity", "price", "tax", "discount", "price_total", "tax_total", "discount_total", "cost_total", "loyalty_value", "is_return", "note", "deleted_at", "raw", "synced_at") SELECT $3, x.id, y.id, x.version, y."product_id", y."tax_id", y."salesperson_id", NULLIF(y."sequence", '')::numeric, y."status", NULLIF(y."quantity", '')::numeric, NULLIF(y."price", '')::numeric, NULLIF(y."tax", '')::numeric, NULLIF(y."discount", '')::numeric, NULLIF(y."price_total", '')::numeric, NULLIF(y."tax_total", '')::numeric, NULLIF(y."discount_total", '')::numeric, NULLIF(y."cost_total", '')::numeric, NULLIF(y."loyalty_value", '')::numeric, NULLIF(y."is_return", '')::boolean, y."note", NULLIF(x.deleted_at, '')::timestamptz, i.item, $2 FROM fresh AS x CROSS JOIN LATERAL jsonb_array_elements(coalesce(x."line_items", '[]')) AS i(item) CROSS JOIN LATERAL jsonb_to_record(i.item) AS y("id" text, "product_id" text, "tax_id" text, "salesperson_id" text, "sequence" text, "status" text, "quantity" text, "price" text, "tax" text, "discount" text, "price_total" text, "tax_total" text, "discount_total" text, "cost_total" text, "loyalty_value" text, "is_return" text, "note" text) WHERE (SELECT count(*) FROM items_gone) >= 0 RETURNING 1) SELECT (SELECT count(*) FROM up), (SELECT count(*) FROM up WHERE gone), (SELECT count(*) FROM items_written)$q$
    END;
    IF statement IS NULL THEN
        RAISE EXCEPTION USING ERRCODE = '22023',
            MESSAGE = 'sync_apply_source_page: unknown entity ' || quote_literal(p_entity);
    END IF;
    EXECUTE statement INTO written, deleted, children USING p_body, p_now, p_store;

    IF p_cursor IS NOT NULL THEN
        UPDATE sync_state
           SET cursor_version = GREATEST(coalesce(cursor_version, 0), p_cursor),
               updated_at = p_now
         WHERE store = p_store AND entity_type = ANY(p_state_names);
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

REVOKE ALL ON FUNCTION sync_apply_source_page(text, text, text[], bigint, bigint, bigint, integer, timestamptz, text) FROM PUBLIC;
DO $$
DECLARE
    api_role text;
BEGIN
    FOREACH api_role IN ARRAY ARRAY['anon', 'authenticated'] LOOP
        IF EXISTS (SELECT FROM pg_roles WHERE rolname = api_role) THEN
            EXECUTE 'REVOKE ALL ON FUNCTION sync_apply_source_page(text, text, text[], bigint, bigint, bigint, integer, timestamptz, text) FROM ' || api_role;
        END IF;
    END LOOP;
    IF EXISTS (SELECT FROM pg_roles WHERE rolname = 'service_role') THEN
        GRANT EXECUTE ON FUNCTION sync_apply_source_page(text, text, text[], bigint, bigint, bigint, integer, timestamptz, text) TO service_role;
    END IF;
END
$$;

-- 0014's read model of one store.
CREATE OR REPLACE FUNCTION sync_read_model(
    p_now timestamptz,
    p_entities text[],
    p_recent integer,
    p_baseline integer,
    p_weeks integer,
    p_days text[],
    p_succeeded text[],
    p_completed text[],
    p_store text
) RETURNS jsonb
LANGUAGE sql
STABLE
SET search_path = public, pg_temp
AS $fn$
SELECT jsonb_build_object(
    'outlets', (
        SELECT coalesce(jsonb_agg(jsonb_build_object(
            'id', o.id, 'time_zone', o.time_zone, 'deleted_at', o.deleted_at)), '[]'::jsonb)
        FROM lightspeed_outlets o WHERE o.store = p_store
    ),
    'states', (SELECT coalesce(jsonb_agg(to_jsonb(s)), '[]'::jsonb) FROM sync_state s WHERE s.store = p_store),
    'runs', (
        SELECT coalesce(jsonb_object_agg(e.entity, e.rows), '{}'::jsonb)
        FROM (
            SELECT ent AS entity, (
                SELECT coalesce(jsonb_agg(to_jsonb(l) ORDER BY l.started_at DESC, l.id DESC), '[]'::jsonb)
                FROM (
                    SELECT * FROM sync_log
                    WHERE store = p_store AND entity_type = ent
                    ORDER BY started_at DESC, id DESC
                    LIMIT p_recent
                ) l
            ) AS rows
            FROM unnest(p_entities) AS ent
        ) e
    ),
    'streaks', (
        SELECT coalesce(jsonb_object_agg(k.entity, jsonb_build_object('n', k.n, 'first', k.first)), '{}'::jsonb)
        FROM (
            SELECT ent AS entity, f.n, f.first
            FROM unnest(p_entities) AS ent
            CROSS JOIN LATERAL (
                SELECT max(started_at) AS last_ok FROM sync_log
                WHERE store = p_store AND entity_type = ent AND status = ANY (p_succeeded)
            ) ok
            CROSS JOIN LATERAL (
                SELECT count(*) AS n, min(started_at) AS first FROM sync_log
                WHERE store = p_store AND entity_type = ent AND status = 'failed'
                  AND (ok.last_ok IS NULL OR started_at > ok.last_ok)
            ) f
        ) k
    ),
    'baselines', (
        SELECT coalesce(jsonb_agg(jsonb_build_object(
            'entity_type', b.entity_type, 'action', b.action,
            'started_at', b.started_at, 'duration_ms', b.duration_ms)), '[]'::jsonb)
        FROM unnest(p_entities) AS ent
        CROSS JOIN unnest(ARRAY['incremental', 'full', 'backfill']) AS act
        CROSS JOIN LATERAL (
            SELECT entity_type, action, started_at, duration_ms FROM sync_log
            WHERE store = p_store AND entity_type = ent AND action = act AND status = ANY (p_succeeded)
              AND duration_ms IS NOT NULL
            ORDER BY started_at DESC
            LIMIT p_baseline
        ) b
    ),
    'sales_hours', (
        SELECT jsonb_build_object(
            'anchor_started_at', a.started_at,
            'counts', (
                SELECT jsonb_agg(c.n ORDER BY c.k)
                FROM generate_series(0, p_weeks) AS k
                CROSS JOIN LATERAL (
                    SELECT k, count(*) AS n FROM lightspeed_sales
                    WHERE store = p_store AND sale_date >= a.started_at - make_interval(weeks => k) - interval '1 hour'
                      AND sale_date < a.started_at - make_interval(weeks => k)
                ) c
            )
        )
        FROM (
            SELECT r.started_at FROM (
                SELECT started_at, id, status FROM sync_log
                WHERE store = p_store AND entity_type = 'sales'
                ORDER BY started_at DESC, id DESC
                LIMIT p_recent
            ) r
            WHERE r.status = ANY (p_completed)
            ORDER BY r.started_at DESC, r.id DESC
            LIMIT 1
        ) a
    ),
    'day', (
        SELECT coalesce(jsonb_agg(jsonb_build_object(
            'entity_type', d.entity_type, 'status', d.status, 'error_type', d.error_type,
            'duration_ms', d.duration_ms, 'records_upserted', d.records_upserted,
            'started_at', d.started_at)), '[]'::jsonb)
        FROM sync_log d
        WHERE d.store = p_store AND d.started_at >= p_now - interval '24 hours'
    ),
    'beats', (
        SELECT coalesce(jsonb_agg(jsonb_build_object(
            'last_beat_at', h.last_beat_at, 'activity', h.activity, 'next_run_at', h.next_run_at)
            ORDER BY h.last_beat_at DESC), '[]'::jsonb)
        FROM scheduler_heartbeat h
    ),
    'open_incidents', (
        SELECT coalesce(jsonb_object_agg(i.severity, i.n), '{}'::jsonb)
        FROM (
            SELECT severity, count(*) AS n FROM alert_incidents
            WHERE store = p_store AND status = 'open' GROUP BY severity
        ) i
    ),
    'resolved', (
        SELECT jsonb_build_object(
            'n', count(*),
            'seconds', sum(extract(epoch FROM resolved_at - opened_at)))
        FROM alert_incidents
        WHERE store = p_store AND resolved_at >= p_now - interval '30 days'
    ),
    'queue_depth', (
        SELECT count(*) FROM sync_requests WHERE store = p_store AND status = 'queued'),
    'totals', (
        SELECT coalesce(jsonb_agg(jsonb_build_object(
            'entity_type', t.entity_type, 'status', t.status, 'runs', t.runs)), '[]'::jsonb)
        FROM sync_run_totals t WHERE t.store = p_store
    ),
    'checks', (
        SELECT coalesce(jsonb_agg(to_jsonb(c)), '[]'::jsonb)
        FROM reconciliations c
        WHERE c.store = p_store AND c.run_id = (
            SELECT run_id FROM reconciliations WHERE store = p_store
            ORDER BY checked_at DESC LIMIT 1)
    ),
    'sales_checks', (
        SELECT coalesce(jsonb_object_agg(s.day, s.rows), '{}'::jsonb)
        FROM (
            SELECT day, (
                SELECT coalesce(jsonb_agg(to_jsonb(c)), '[]'::jsonb)
                FROM reconciliations c
                WHERE c.store = p_store AND c.entity_type = 'sales'
                  AND starts_with(c.scope, day)
                  AND c.run_id = (
                      SELECT run_id FROM reconciliations
                      WHERE store = p_store AND entity_type = 'sales'
                        AND starts_with(scope, day)
                      ORDER BY checked_at DESC LIMIT 1)
            ) AS rows
            FROM unnest(p_days) AS day
        ) s
    )
)
$fn$;

REVOKE ALL ON FUNCTION sync_read_model(timestamptz, text[], integer, integer, integer, text[], text[], text[], text) FROM PUBLIC;
DO $$
DECLARE
    api_role text;
BEGIN
    FOREACH api_role IN ARRAY ARRAY['anon', 'authenticated'] LOOP
        IF EXISTS (SELECT FROM pg_roles WHERE rolname = api_role) THEN
            EXECUTE 'REVOKE ALL ON FUNCTION sync_read_model(timestamptz, text[], integer, integer, integer, text[], text[], text[], text) FROM ' || api_role;
        END IF;
    END LOOP;
    IF EXISTS (SELECT FROM pg_roles WHERE rolname = 'service_role') THEN
        GRANT EXECUTE ON FUNCTION sync_read_model(timestamptz, text[], integer, integer, integer, text[], text[], text[], text) TO service_role;
    END IF;
END
$$;
