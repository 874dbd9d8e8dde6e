-- Migration 0001: initial schema (sqlite). Generated from sync/schema.py; the
-- schema_migrations table itself is created by `python -m sync migrate`.

CREATE TABLE IF NOT EXISTS lightspeed_customers (
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
	PRIMARY KEY (id)
);

CREATE INDEX IF NOT EXISTS ix_lightspeed_customers_customer_code ON lightspeed_customers (customer_code);

CREATE INDEX IF NOT EXISTS ix_lightspeed_customers_email ON lightspeed_customers (email);

CREATE TABLE IF NOT EXISTS lightspeed_inventory (
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
	PRIMARY KEY (id)
);

CREATE INDEX IF NOT EXISTS ix_lightspeed_inventory_outlet_id ON lightspeed_inventory (outlet_id);

CREATE INDEX IF NOT EXISTS ix_lightspeed_inventory_product_id_outlet_id ON lightspeed_inventory (product_id, outlet_id);

CREATE TABLE IF NOT EXISTS lightspeed_outlets (
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
	PRIMARY KEY (id)
);

CREATE TABLE IF NOT EXISTS lightspeed_products (
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
	PRIMARY KEY (id)
);

CREATE INDEX IF NOT EXISTS ix_lightspeed_products_handle ON lightspeed_products (handle);

CREATE INDEX IF NOT EXISTS ix_lightspeed_products_sku ON lightspeed_products (sku);

CREATE TABLE IF NOT EXISTS lightspeed_sale_line_items (
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
	CONSTRAINT pk_lightspeed_sale_line_items PRIMARY KEY (sale_id, id)
);

CREATE INDEX IF NOT EXISTS ix_lightspeed_sale_line_items_product_id ON lightspeed_sale_line_items (product_id);

CREATE TABLE IF NOT EXISTS lightspeed_sales (
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
	PRIMARY KEY (id)
);

CREATE INDEX IF NOT EXISTS ix_lightspeed_sales_customer_id ON lightspeed_sales (customer_id);

CREATE INDEX IF NOT EXISTS ix_lightspeed_sales_outlet_id_sale_date ON lightspeed_sales (outlet_id, sale_date);

CREATE INDEX IF NOT EXISTS ix_lightspeed_sales_sale_date ON lightspeed_sales (sale_date);

CREATE TABLE IF NOT EXISTS scheduler_heartbeat (
	instance_id TEXT NOT NULL, 
	host TEXT NOT NULL, 
	pid INTEGER NOT NULL, 
	started_at DATETIME NOT NULL, 
	last_beat_at DATETIME NOT NULL, 
	next_run_at DATETIME, 
	activity JSON, 
	PRIMARY KEY (instance_id)
);

CREATE TABLE IF NOT EXISTS sync_log (
	id INTEGER NOT NULL, 
	run_id TEXT NOT NULL, 
	entity_type TEXT NOT NULL, 
	action TEXT NOT NULL, 
	"trigger" TEXT NOT NULL, 
	triggered_by TEXT, 
	status TEXT NOT NULL, 
	started_at DATETIME NOT NULL, 
	finished_at DATETIME, 
	duration_ms BIGINT, 
	records_upserted BIGINT DEFAULT '0' NOT NULL, 
	records_deleted BIGINT DEFAULT '0' NOT NULL, 
	records_rejected BIGINT DEFAULT '0' NOT NULL, 
	api_calls INTEGER DEFAULT '0' NOT NULL, 
	pages INTEGER DEFAULT '0' NOT NULL, 
	version_from BIGINT, 
	version_to BIGINT, 
	error_type TEXT, 
	error_details TEXT, 
	host TEXT, 
	pid INTEGER, 
	PRIMARY KEY (id)
);

CREATE INDEX IF NOT EXISTS ix_sync_log_entity_started ON sync_log (entity_type, started_at);

CREATE INDEX IF NOT EXISTS ix_sync_log_run_id ON sync_log (run_id);

CREATE INDEX IF NOT EXISTS ix_sync_log_started ON sync_log (started_at);

CREATE INDEX IF NOT EXISTS ix_sync_log_status ON sync_log (status);

CREATE TABLE IF NOT EXISTS sync_rejects (
	id INTEGER NOT NULL, 
	run_id TEXT NOT NULL, 
	entity_type TEXT NOT NULL, 
	source_id TEXT, 
	reason TEXT NOT NULL, 
	raw JSON, 
	rejected_at DATETIME NOT NULL, 
	PRIMARY KEY (id)
);

CREATE INDEX IF NOT EXISTS ix_sync_rejects_entity ON sync_rejects (entity_type, rejected_at);

CREATE TABLE IF NOT EXISTS sync_requests (
	id INTEGER NOT NULL, 
	entity_type TEXT NOT NULL, 
	requested_by TEXT, 
	reason TEXT, 
	requested_at DATETIME NOT NULL, 
	status TEXT DEFAULT 'queued' NOT NULL, 
	started_at DATETIME, 
	finished_at DATETIME, 
	run_id TEXT, 
	error TEXT, 
	PRIMARY KEY (id)
);

CREATE INDEX IF NOT EXISTS ix_sync_requests_status_requested ON sync_requests (status, requested_at);

CREATE TABLE IF NOT EXISTS sync_state (
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
	PRIMARY KEY (entity_type)
);
