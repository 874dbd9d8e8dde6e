"""Declarative description of each synced entity: its endpoint, columns and children.

Adding a field is one line in a spec below; the schema, the upsert and the tests follow.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from sync.runs import ENTITY_NAMES


class Kind(StrEnum):
    """Column kinds; each maps to one SQL type in schema.py and one converter here."""

    TEXT = "text"
    INT = "int"
    NUMBER = "number"  # exact decimal: money, quantities
    BOOL = "bool"
    TIMESTAMP = "timestamp"
    DATE = "date"


@dataclass(frozen=True)
class Field:
    """One typed column filled from the JSON key `source` (default: the column name)."""

    name: str
    kind: Kind = Kind.TEXT
    source: str | None = None

    @property
    def key(self) -> str:
        return self.source or self.name


@dataclass(frozen=True)
class ChildSpec:
    """Rows nested inside a parent record (sale line items inside a sale)."""

    name: str
    table: str
    source_key: str
    parent_column: str
    fields: tuple[Field, ...]


@dataclass(frozen=True)
class EntitySpec:
    """One list endpoint and the table it lands in."""

    name: str
    path: str
    table: str
    fields: tuple[Field, ...]
    send_deleted: bool
    child: ChildSpec | None = None
    indexes: tuple[tuple[str, ...], ...] = field(default=())

    @property
    def tables(self) -> tuple[str, ...]:
        return (self.table, self.child.table) if self.child else (self.table,)

    @property
    def state_names(self) -> list[str]:
        """The sync_state / sync_log entity names this spec writes (sales: + line items)."""
        return [self.name, self.child.name] if self.child else [self.name]


T, N, B, TS = Kind.TEXT, Kind.NUMBER, Kind.BOOL, Kind.TIMESTAMP

OUTLETS = EntitySpec(
    name="outlets",
    path="/outlets",
    table="lightspeed_outlets",
    send_deleted=True,
    fields=(
        Field("name"),
        Field("time_zone"),
        Field("currency"),
        Field("currency_symbol"),
        Field("display_prices"),
        Field("email"),
        Field("physical_city"),
        Field("physical_country_id"),
    ),
)

CUSTOMERS = EntitySpec(
    name="customers",
    path="/customers",
    table="lightspeed_customers",
    send_deleted=True,
    fields=(
        Field("customer_code"),
        Field("customer_group_id"),
        Field("name"),
        Field("first_name"),
        Field("last_name"),
        Field("company_name"),
        Field("email"),
        Field("phone"),
        Field("mobile"),
        Field("date_of_birth"),  # text: real stores hold odd dates; raw keeps the original
        Field("balance", N),
        Field("year_to_date", N),
        Field("loyalty_balance", N),
        Field("on_account_limit", N),
        Field("enable_loyalty", B),
        Field("do_not_email", B),
        Field("created_at", TS),
        Field("updated_at", TS),
    ),
    indexes=(("customer_code",), ("email",)),
)

PRODUCTS = EntitySpec(
    name="products",
    path="/products",
    table="lightspeed_products",
    send_deleted=True,
    fields=(
        Field("name"),
        Field("variant_name"),
        Field("handle"),
        Field("sku"),
        Field("variant_parent_id"),
        Field("family_id"),
        Field("active", B),
        Field("is_active", B),
        Field("has_inventory", B),
        Field("is_composite", B),
        Field("has_variants", B),
        Field("price_including_tax", N),
        Field("price_excluding_tax", N),
        Field("supply_price", N),
        Field("supplier_id"),
        Field("brand_id"),
        Field("product_type_id"),
        Field("source"),
        Field("created_at", TS),
        Field("updated_at", TS),
    ),
    indexes=(("sku",), ("handle",)),
)

INVENTORY = EntitySpec(
    name="inventory",
    path="/inventory",
    table="lightspeed_inventory",
    send_deleted=False,
    fields=(
        Field("product_id"),
        Field("outlet_id"),
        Field("inventory_level", N),
        Field("current_amount", N),
        Field("reorder_point", N),
        Field("reorder_amount", N),
        Field("average_cost", N),
    ),
    indexes=(("product_id", "outlet_id"), ("outlet_id",)),
)

SALE_LINE_ITEMS = ChildSpec(
    name="sale_line_items",
    table="lightspeed_sale_line_items",
    source_key="line_items",
    parent_column="sale_id",
    fields=(
        Field("product_id"),
        Field("tax_id"),
        Field("salesperson_id"),
        Field("sequence", N),
        Field("status"),
        Field("quantity", N),
        Field("price", N),
        Field("tax", N),
        Field("discount", N),
        Field("price_total", N),
        Field("tax_total", N),
        Field("discount_total", N),
        Field("cost_total", N),
        Field("loyalty_value", N),
        Field("is_return", B),
        Field("note"),
    ),
)

SALES = EntitySpec(
    name="sales",
    path="/sales",
    table="lightspeed_sales",
    send_deleted=False,
    child=SALE_LINE_ITEMS,
    fields=(
        Field("outlet_id"),
        Field("register_id"),
        Field("user_id"),
        Field("customer_id"),
        Field("invoice_number"),
        Field("receipt_number"),
        Field("status"),
        Field("state"),
        Field("sale_date", TS),
        Field("total_price", N),
        Field("total_tax", N),
        Field("total_price_incl", N),
        Field("total_loyalty", N),
        Field("return_for"),
        Field("note"),
        Field("created_at", TS),
        Field("updated_at", TS),
    ),
    indexes=(("sale_date",), ("outlet_id", "sale_date"), ("customer_id",)),
)

# Sync order: small reference data first, so a partial run still leaves usable lookups.
ENTITIES: tuple[EntitySpec, ...] = (OUTLETS, CUSTOMERS, PRODUCTS, INVENTORY, SALES)
ENTITY_BY_NAME: dict[str, EntitySpec] = {spec.name: spec for spec in ENTITIES}
# Every entity with a sync_state row (line items are synced by the sales job).
STATE_ENTITIES: tuple[str, ...] = ENTITY_NAMES
