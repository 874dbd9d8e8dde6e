-- Migration 0016: several stores in one database (sqlite); see the Postgres script.
-- `python -m sync migrate` puts the first store (LIGHTSPEED_DOMAIN_PREFIX) into the TEMP
-- table migrate_first_store in the same transaction: the rows already here move to it.
-- Tables whose key changes are rebuilt (SQLite cannot change a primary key); the others
-- get a `store` column, kept NOT NULL by a pair of triggers (SQLite cannot add a
-- constraint to a table; as migration 0012 does).

CREATE TABLE IF NOT EXISTS lightspeed_stores (
	prefix TEXT NOT NULL, 
	name TEXT NOT NULL, 
	time_zone TEXT, 
	connection TEXT DEFAULT 'token' NOT NULL, 
	added_at DATETIME NOT NULL, 
	enabled BOOLEAN DEFAULT 1 NOT NULL, 
	PRIMARY KEY (prefix), 
	CONSTRAINT ck_lightspeed_stores_connection CHECK (connection IN ('token', 'app'))
);

INSERT OR IGNORE INTO lightspeed_stores (prefix, name, connection, added_at)
SELECT prefix, prefix, 'token', strftime('%Y-%m-%d %H:%M:%f000', 'now')
  FROM temp.migrate_first_store;

-- The app's tokens: one row per store connected as an app (0008's single row, id 1, holds
-- the first store's tokens; an empty one is dropped: a row appears when a store connects).
CREATE TABLE _new_lightspeed_app_tokens (
	store TEXT NOT NULL, 
	domain_prefix TEXT, 
	access_token TEXT, 
	refresh_token TEXT, 
	expires_at BIGINT, 
	scope TEXT, 
	refreshed_at BIGINT, 
	connected_at DATETIME, 
	PRIMARY KEY (store)
);

INSERT INTO _new_lightspeed_app_tokens (store, domain_prefix, access_token, refresh_token,
    expires_at, scope, refreshed_at, connected_at)
SELECT (SELECT prefix FROM temp.migrate_first_store), domain_prefix, access_token,
       refresh_token, expires_at, scope, refreshed_at, connected_at
  FROM lightspeed_app_tokens WHERE refresh_token IS NOT NULL;

DROP TABLE lightspeed_app_tokens;

ALTER TABLE _new_lightspeed_app_tokens RENAME TO lightspeed_app_tokens;

-- 0009's counters name sync_run_totals, which is rebuilt below: dropped, then recreated.
DROP TRIGGER IF EXISTS sync_log_count_finished;

DROP TRIGGER IF EXISTS sync_log_count_inserted;

CREATE TABLE _new_lightspeed_outlets (
	store TEXT NOT NULL, 
	id TEXT NOT NULL, 
	version BIGINT NOT NULL, 
	name TEXT, 
	time_zone TEXT, 
	currency TEXT, 
	currency_symbol TEXT, 
	display_prices TEXT, 
	email TEXT, 
	physical_city TEXT, 
	physical_country_id TEXT, 
	deleted_at DATETIME, 
	raw JSON NOT NULL, 
	synced_at DATETIME NOT NULL, 
	PRIMARY KEY (store, id)
);

INSERT INTO _new_lightspeed_outlets (store, id, version, name, time_zone, currency, currency_symbol, display_prices, email, physical_city, physical_country_id, deleted_at, raw, synced_at)
SELECT (SELECT prefix FROM temp.migrate_first_store), id, version, name, time_zone, currency, currency_symbol, display_prices, email, physical_city, physical_country_id, deleted_at, raw, synced_at FROM lightspeed_outlets;

DROP TABLE lightspeed_outlets;

ALTER TABLE _new_lightspeed_outlets RENAME TO lightspeed_outlets;

CREATE TABLE _new_lightspeed_customers (
	store TEXT NOT NULL, 
	id TEXT NOT NULL, 
	version BIGINT NOT NULL, 
	customer_code TEXT, 
	customer_group_id TEXT, 
	name TEXT, 
	first_name TEXT, 
	last_name TEXT, 
	company_name TEXT, 
	email TEXT, 
	phone TEXT, 
	mobile TEXT, 
	date_of_birth TEXT, 
	balance TEXT, 
	year_to_date TEXT, 
	loyalty_balance TEXT, 
	on_account_limit TEXT, 
	enable_loyalty BOOLEAN, 
	do_not_email BOOLEAN, 
	created_at DATETIME, 
	updated_at DATETIME, 
	deleted_at DATETIME, 
	raw JSON NOT NULL, 
	synced_at DATETIME NOT NULL, 
	PRIMARY KEY (store, id)
);

INSERT INTO _new_lightspeed_customers (store, id, version, customer_code, customer_group_id, name, first_name, last_name, company_name, email, phone, mobile, date_of_birth, balance, year_to_date, loyalty_balance, on_account_limit, enable_loyalty, do_not_email, created_at, updated_at, deleted_at, raw, synced_at)
SELECT (SELECT prefix FROM temp.migrate_first_store), id, version, customer_code, customer_group_id, name, first_name, last_name, company_name, email, phone, mobile, date_of_birth, balance, year_to_date, loyalty_balance, on_account_limit, enable_loyalty, do_not_email, created_at, updated_at, deleted_at, raw, synced_at FROM lightspeed_customers;

DROP TABLE lightspeed_customers;

ALTER TABLE _new_lightspeed_customers RENAME TO lightspeed_customers;

CREATE INDEX IF NOT EXISTS ix_lightspeed_customers_customer_code ON lightspeed_customers (customer_code);

CREATE INDEX IF NOT EXISTS ix_lightspeed_customers_email ON lightspeed_customers (email);

CREATE TABLE _new_lightspeed_products (
	store TEXT NOT NULL, 
	id TEXT NOT NULL, 
	version BIGINT NOT NULL, 
	name TEXT, 
	variant_name TEXT, 
	handle TEXT, 
	sku TEXT, 
	variant_parent_id TEXT, 
	family_id TEXT, 
	active BOOLEAN, 
	is_active BOOLEAN, 
	has_inventory BOOLEAN, 
	is_composite BOOLEAN, 
	has_variants BOOLEAN, 
	price_including_tax TEXT, 
	price_excluding_tax TEXT, 
	supply_price TEXT, 
	supplier_id TEXT, 
	brand_id TEXT, 
	product_type_id TEXT, 
	source TEXT, 
	created_at DATETIME, 
	updated_at DATETIME, 
	deleted_at DATETIME, 
	raw JSON NOT NULL, 
	synced_at DATETIME NOT NULL, 
	PRIMARY KEY (store, id)
);

INSERT INTO _new_lightspeed_products (store, id, version, name, variant_name, handle, sku, variant_parent_id, family_id, active, is_active, has_inventory, is_composite, has_variants, price_including_tax, price_excluding_tax, supply_price, supplier_id, brand_id, product_type_id, source, created_at, updated_at, deleted_at, raw, synced_at)
SELECT (SELECT prefix FROM temp.migrate_first_store), id, version, name, variant_name, handle, sku, variant_parent_id, family_id, active, is_active, has_inventory, is_composite, has_variants, price_including_tax, price_excluding_tax, supply_price, supplier_id, brand_id, product_type_id, source, created_at, updated_at, deleted_at, raw, synced_at FROM lightspeed_products;

DROP TABLE lightspeed_products;

ALTER TABLE _new_lightspeed_products RENAME TO lightspeed_products;

CREATE INDEX IF NOT EXISTS ix_lightspeed_products_handle ON lightspeed_products (handle);

CREATE INDEX IF NOT EXISTS ix_lightspeed_products_sku ON lightspeed_products (sku);

CREATE TABLE _new_lightspeed_inventory (
	store TEXT NOT NULL, 
	id TEXT NOT NULL, 
	version BIGINT NOT NULL, 
	product_id TEXT, 
	outlet_id TEXT, 
	inventory_level TEXT, 
	current_amount TEXT, 
	reorder_point TEXT, 
	reorder_amount TEXT, 
	average_cost TEXT, 
	deleted_at DATETIME, 
	raw JSON NOT NULL, 
	synced_at DATETIME NOT NULL, 
	PRIMARY KEY (store, id)
);

INSERT INTO _new_lightspeed_inventory (store, id, version, product_id, outlet_id, inventory_level, current_amount, reorder_point, reorder_amount, average_cost, deleted_at, raw, synced_at)
SELECT (SELECT prefix FROM temp.migrate_first_store), id, version, product_id, outlet_id, inventory_level, current_amount, reorder_point, reorder_amount, average_cost, deleted_at, raw, synced_at FROM lightspeed_inventory;

DROP TABLE lightspeed_inventory;

ALTER TABLE _new_lightspeed_inventory RENAME TO lightspeed_inventory;

CREATE INDEX IF NOT EXISTS ix_lightspeed_inventory_outlet_id ON lightspeed_inventory (outlet_id);

CREATE INDEX IF NOT EXISTS ix_lightspeed_inventory_product_id_outlet_id ON lightspeed_inventory (product_id, outlet_id);

CREATE TABLE _new_lightspeed_sales (
	store TEXT NOT NULL, 
	id TEXT NOT NULL, 
	version BIGINT NOT NULL, 
	outlet_id TEXT, 
	register_id TEXT, 
	user_id TEXT, 
	customer_id TEXT, 
	invoice_number TEXT, 
	receipt_number TEXT, 
	status TEXT, 
	state TEXT, 
	sale_date DATETIME, 
	total_price TEXT, 
	total_tax TEXT, 
	total_price_incl TEXT, 
	total_loyalty TEXT, 
	return_for TEXT, 
	note TEXT, 
	created_at DATETIME, 
	updated_at DATETIME, 
	deleted_at DATETIME, 
	raw JSON NOT NULL, 
	synced_at DATETIME NOT NULL, 
	PRIMARY KEY (store, id)
);

INSERT INTO _new_lightspeed_sales (store, id, version, outlet_id, register_id, user_id, customer_id, invoice_number, receipt_number, status, state, sale_date, total_price, total_tax, total_price_incl, total_loyalty, return_for, note, created_at, updated_at, deleted_at, raw, synced_at)
SELECT (SELECT prefix FROM temp.migrate_first_store), id, version, outlet_id, register_id, user_id, customer_id, invoice_number, receipt_number, status, state, sale_date, total_price, total_tax, total_price_incl, total_loyalty, return_for, note, created_at, updated_at, deleted_at, raw, synced_at FROM lightspeed_sales;

DROP TABLE lightspeed_sales;

ALTER TABLE _new_lightspeed_sales RENAME TO lightspeed_sales;

CREATE INDEX IF NOT EXISTS ix_lightspeed_sales_customer_id ON lightspeed_sales (customer_id);

CREATE INDEX IF NOT EXISTS ix_lightspeed_sales_outlet_id_sale_date ON lightspeed_sales (outlet_id, sale_date);

CREATE INDEX IF NOT EXISTS ix_lightspeed_sales_sale_date ON lightspeed_sales (sale_date);

CREATE TABLE _new_lightspeed_sale_line_items (
	store TEXT NOT NULL, 
	sale_id TEXT NOT NULL, 
	id TEXT NOT NULL, 
	version BIGINT NOT NULL, 
	product_id TEXT, 
	tax_id TEXT, 
	salesperson_id TEXT, 
	sequence TEXT, 
	status TEXT, 
	quantity TEXT, 
	price TEXT, 
	tax TEXT, 
	discount TEXT, 
	price_total TEXT, 
	tax_total TEXT, 
	discount_total TEXT, 
	cost_total TEXT, 
	loyalty_value TEXT, 
	is_return BOOLEAN, 
	note TEXT, 
	deleted_at DATETIME, 
	raw JSON NOT NULL, 
	synced_at DATETIME NOT NULL, 
	CONSTRAINT pk_lightspeed_sale_line_items PRIMARY KEY (store, sale_id, id)
);

INSERT INTO _new_lightspeed_sale_line_items (store, sale_id, id, version, product_id, tax_id, salesperson_id, sequence, status, quantity, price, tax, discount, price_total, tax_total, discount_total, cost_total, loyalty_value, is_return, note, deleted_at, raw, synced_at)
SELECT (SELECT prefix FROM temp.migrate_first_store), sale_id, id, version, product_id, tax_id, salesperson_id, sequence, status, quantity, price, tax, discount, price_total, tax_total, discount_total, cost_total, loyalty_value, is_return, note, deleted_at, raw, synced_at FROM lightspeed_sale_line_items;

DROP TABLE lightspeed_sale_line_items;

ALTER TABLE _new_lightspeed_sale_line_items RENAME TO lightspeed_sale_line_items;

CREATE INDEX IF NOT EXISTS ix_lightspeed_sale_line_items_product_id ON lightspeed_sale_line_items (product_id);

CREATE TABLE _new_sync_state (
	store TEXT NOT NULL, 
	entity_type TEXT NOT NULL, 
	last_sync_time DATETIME, 
	last_attempt_at DATETIME, 
	status TEXT DEFAULT 'never' NOT NULL, 
	error_type TEXT, 
	error_message TEXT, 
	cursor_version BIGINT DEFAULT '0' NOT NULL, 
	last_run_id TEXT, 
	records_total BIGINT DEFAULT '0' NOT NULL, 
	updated_at DATETIME, 
	PRIMARY KEY (store, entity_type)
);

INSERT INTO _new_sync_state (store, entity_type, last_sync_time, last_attempt_at, status, error_type, error_message, cursor_version, last_run_id, records_total, updated_at)
SELECT (SELECT prefix FROM temp.migrate_first_store), entity_type, last_sync_time, last_attempt_at, status, error_type, error_message, cursor_version, last_run_id, records_total, updated_at FROM sync_state;

DROP TABLE sync_state;

ALTER TABLE _new_sync_state RENAME TO sync_state;

CREATE TABLE _new_sync_locks (
	store TEXT NOT NULL, 
	entity_type TEXT NOT NULL, 
	holder TEXT NOT NULL, 
	host TEXT NOT NULL, 
	pid INTEGER NOT NULL, 
	acquired_at DATETIME NOT NULL, 
	expires_at DATETIME NOT NULL, 
	PRIMARY KEY (store, entity_type)
);

INSERT INTO _new_sync_locks (store, entity_type, holder, host, pid, acquired_at, expires_at)
SELECT (SELECT prefix FROM temp.migrate_first_store), entity_type, holder, host, pid, acquired_at, expires_at FROM sync_locks;

DROP TABLE sync_locks;

ALTER TABLE _new_sync_locks RENAME TO sync_locks;

CREATE TABLE _new_sync_run_totals (
	store TEXT NOT NULL, 
	entity_type TEXT NOT NULL, 
	status TEXT NOT NULL, 
	runs BIGINT DEFAULT '0' NOT NULL, 
	PRIMARY KEY (store, entity_type, status)
);

INSERT INTO _new_sync_run_totals (store, entity_type, status, runs)
SELECT (SELECT prefix FROM temp.migrate_first_store), entity_type, status, runs FROM sync_run_totals;

DROP TABLE sync_run_totals;

ALTER TABLE _new_sync_run_totals RENAME TO sync_run_totals;

ALTER TABLE sync_log ADD COLUMN store TEXT;

UPDATE sync_log SET store = (SELECT prefix FROM temp.migrate_first_store);

CREATE TRIGGER IF NOT EXISTS nn_sync_log_store_insert BEFORE INSERT ON sync_log
WHEN NEW.store IS NULL
BEGIN
    SELECT RAISE(ABORT, 'NOT NULL constraint failed: sync_log.store');
END;

CREATE TRIGGER IF NOT EXISTS nn_sync_log_store_update BEFORE UPDATE OF store ON sync_log
WHEN NEW.store IS NULL
BEGIN
    SELECT RAISE(ABORT, 'NOT NULL constraint failed: sync_log.store');
END;

ALTER TABLE sync_requests ADD COLUMN store TEXT;

UPDATE sync_requests SET store = (SELECT prefix FROM temp.migrate_first_store);

CREATE TRIGGER IF NOT EXISTS nn_sync_requests_store_insert BEFORE INSERT ON sync_requests
WHEN NEW.store IS NULL
BEGIN
    SELECT RAISE(ABORT, 'NOT NULL constraint failed: sync_requests.store');
END;

CREATE TRIGGER IF NOT EXISTS nn_sync_requests_store_update BEFORE UPDATE OF store ON sync_requests
WHEN NEW.store IS NULL
BEGIN
    SELECT RAISE(ABORT, 'NOT NULL constraint failed: sync_requests.store');
END;

ALTER TABLE sync_rejects ADD COLUMN store TEXT;

UPDATE sync_rejects SET store = (SELECT prefix FROM temp.migrate_first_store);

CREATE TRIGGER IF NOT EXISTS nn_sync_rejects_store_insert BEFORE INSERT ON sync_rejects
WHEN NEW.store IS NULL
BEGIN
    SELECT RAISE(ABORT, 'NOT NULL constraint failed: sync_rejects.store');
END;

CREATE TRIGGER IF NOT EXISTS nn_sync_rejects_store_update BEFORE UPDATE OF store ON sync_rejects
WHEN NEW.store IS NULL
BEGIN
    SELECT RAISE(ABORT, 'NOT NULL constraint failed: sync_rejects.store');
END;

ALTER TABLE reconciliations ADD COLUMN store TEXT;

UPDATE reconciliations SET store = (SELECT prefix FROM temp.migrate_first_store);

CREATE TRIGGER IF NOT EXISTS nn_reconciliations_store_insert BEFORE INSERT ON reconciliations
WHEN NEW.store IS NULL
BEGIN
    SELECT RAISE(ABORT, 'NOT NULL constraint failed: reconciliations.store');
END;

CREATE TRIGGER IF NOT EXISTS nn_reconciliations_store_update BEFORE UPDATE OF store ON reconciliations
WHEN NEW.store IS NULL
BEGIN
    SELECT RAISE(ABORT, 'NOT NULL constraint failed: reconciliations.store');
END;

ALTER TABLE alert_incidents ADD COLUMN store TEXT;

UPDATE alert_incidents SET store = (SELECT prefix FROM temp.migrate_first_store);

CREATE TRIGGER IF NOT EXISTS nn_alert_incidents_store_insert BEFORE INSERT ON alert_incidents
WHEN NEW.store IS NULL
BEGIN
    SELECT RAISE(ABORT, 'NOT NULL constraint failed: alert_incidents.store');
END;

CREATE TRIGGER IF NOT EXISTS nn_alert_incidents_store_update BEFORE UPDATE OF store ON alert_incidents
WHEN NEW.store IS NULL
BEGIN
    SELECT RAISE(ABORT, 'NOT NULL constraint failed: alert_incidents.store');
END;

DROP INDEX IF EXISTS ix_sync_log_entity_started;

DROP INDEX IF EXISTS ix_sync_log_entity_status_started;

CREATE INDEX IF NOT EXISTS ix_sync_log_store_entity_started ON sync_log (store, entity_type, started_at);

CREATE INDEX IF NOT EXISTS ix_sync_log_store_entity_status_started ON sync_log (store, entity_type, status, started_at);

DROP INDEX IF EXISTS ix_reconciliations_entity;

CREATE INDEX IF NOT EXISTS ix_reconciliations_store_entity ON reconciliations (store, entity_type, checked_at);

DROP INDEX IF EXISTS ux_sync_requests_open_backfill;

CREATE UNIQUE INDEX IF NOT EXISTS ux_sync_requests_open_backfill ON sync_requests (store, entity_type) WHERE action = 'backfill' AND status IN ('queued', 'running');

DROP INDEX IF EXISTS ux_alert_incidents_open;

CREATE UNIQUE INDEX IF NOT EXISTS ux_alert_incidents_open ON alert_incidents (store, rule, entity) WHERE status = 'open';

CREATE TRIGGER IF NOT EXISTS sync_log_count_finished AFTER UPDATE OF status ON sync_log
WHEN OLD.status = 'running' AND NEW.status <> 'running'
BEGIN
    INSERT OR IGNORE INTO sync_run_totals (store, entity_type, status, runs)
    VALUES (NEW.store, NEW.entity_type, NEW.status, 0);
    UPDATE sync_run_totals SET runs = runs + 1
     WHERE store = NEW.store AND entity_type = NEW.entity_type AND status = NEW.status;
END;

CREATE TRIGGER IF NOT EXISTS sync_log_count_inserted AFTER INSERT ON sync_log
WHEN NEW.status <> 'running'
BEGIN
    INSERT OR IGNORE INTO sync_run_totals (store, entity_type, status, runs)
    VALUES (NEW.store, NEW.entity_type, NEW.status, 0);
    UPDATE sync_run_totals SET runs = runs + 1
     WHERE store = NEW.store AND entity_type = NEW.entity_type AND status = NEW.status;
END;
