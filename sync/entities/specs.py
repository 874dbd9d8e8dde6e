"""Declarative description of each synced entity and the row mapping it implies.

Adding a field is one line in a spec below; the schema, the upsert and the tests follow.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from typing import Any


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
STATE_ENTITIES: tuple[str, ...] = (
    "customers",
    "outlets",
    "products",
    "sales",
    "sale_line_items",
    "inventory",
)


class InvalidValue(ValueError):
    """A source value that does not fit its column."""


def to_text(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, bool) or not isinstance(value, int | Decimal):
        raise InvalidValue(f"expected text, got {type(value).__name__}")
    return str(value)


def to_int(value: Any) -> int:
    if isinstance(value, bool):
        raise InvalidValue("expected a whole number, got a boolean")
    if isinstance(value, int):
        return value
    if isinstance(value, Decimal) and value.is_finite() and value == value.to_integral_value():
        return int(value)
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        return int(value)
    raise InvalidValue(f"expected a whole number, got {value!r:.40}")


def to_number(value: Any) -> Decimal:
    if isinstance(value, Decimal):
        number = value
    elif isinstance(value, int) and not isinstance(value, bool):
        return Decimal(value)
    elif isinstance(value, str):
        try:
            number = Decimal(value.strip())
        except InvalidOperation:
            raise InvalidValue(f"expected a number, got {value!r:.40}") from None
    else:
        raise InvalidValue(f"expected a number, got {type(value).__name__}")
    if not number.is_finite():
        raise InvalidValue(f"expected a finite number, got {value!r:.40}")
    return number


def to_bool(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if value in (0, 1):
        return bool(value)
    if isinstance(value, str) and value.lower() in ("true", "false"):
        return value.lower() == "true"
    raise InvalidValue(f"expected true/false, got {value!r:.40}")


def to_timestamp(value: Any) -> datetime:
    if not isinstance(value, str):
        raise InvalidValue(f"expected a timestamp, got {type(value).__name__}")
    try:
        parsed = datetime.fromisoformat(value.strip())
    except ValueError:
        raise InvalidValue(f"expected an ISO-8601 timestamp, got {value!r:.40}") from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)  # Lightspeed timestamps are UTC
    return parsed.astimezone(UTC)


def to_date(value: Any) -> date:
    text = to_text(value)
    if "T" in text:
        return to_timestamp(text).date()
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise InvalidValue(f"expected a YYYY-MM-DD date, got {text!r:.40}") from None


CONVERTERS: dict[Kind, Callable[[Any], Any]] = {
    Kind.TEXT: to_text,
    Kind.INT: to_int,
    Kind.NUMBER: to_number,
    Kind.BOOL: to_bool,
    Kind.TIMESTAMP: to_timestamp,
    Kind.DATE: to_date,
}


@dataclass(frozen=True)
class Reject:
    """A record that could not be mapped, kept with the reason in sync_rejects."""

    source_id: str | None
    reason: str
    raw: Any


@dataclass
class MappedPage:
    """A page's rows ready for the database."""

    rows: list[dict[str, Any]] = field(default_factory=list)
    children: list[dict[str, Any]] = field(default_factory=list)
    rejects: list[Reject] = field(default_factory=list)

    @property
    def deleted(self) -> int:
        return sum(1 for row in self.rows if row["deleted_at"] is not None)


# Values that already have the column's Python type pass through without a converter call:
# this loop runs for every field of every record of a full import.
_NATIVE: dict[Kind, type] = {Kind.TEXT: str, Kind.BOOL: bool, Kind.INT: int}


@functools.cache
def _plan(fields: tuple[Field, ...]) -> tuple[tuple[str, str, Kind, type | None, Any], ...]:
    return tuple((f.name, f.key, f.kind, _NATIVE.get(f.kind), CONVERTERS[f.kind]) for f in fields)


def _map_fields(
    record: dict[str, Any], fields: tuple[Field, ...], out: dict[str, Any]
) -> dict[str, Any]:
    get = record.get
    for name, key, kind, native, convert in _plan(fields):
        value = get(key)
        if value is None:
            out[name] = None
        elif type(value) is native or (
            type(value) is Decimal and kind is Kind.NUMBER and value.is_finite()
        ):
            out[name] = value
        elif value == "" and kind is not Kind.TEXT:
            out[name] = None
        else:
            try:
                out[name] = convert(value)
            except InvalidValue as exc:
                raise InvalidValue(f"field '{key}': {exc}") from None
    return out


def _identity(record: Any) -> tuple[str, int]:
    if not isinstance(record, dict):
        raise InvalidValue(f"expected a JSON object, got {type(record).__name__}")
    source_id = record.get("id")
    if not isinstance(source_id, str) or not source_id.strip():
        raise InvalidValue("missing or empty 'id'")
    if record.get("version") is None:
        raise InvalidValue("missing 'version'")
    try:
        version = to_int(record["version"])
    except InvalidValue as exc:
        raise InvalidValue(f"field 'version': {exc}") from None
    return source_id, version


def map_record(spec: EntitySpec, record: Any, synced_at: datetime) -> tuple[dict, list[dict]]:
    """Map one source record to its row (and child rows); raises InvalidValue."""
    source_id, version = _identity(record)
    deleted_at = record.get("deleted_at")
    row: dict[str, Any] = {
        "id": source_id,
        "version": version,
        "deleted_at": None,
        "raw": record,
        "synced_at": synced_at,
    }
    try:
        row["deleted_at"] = to_timestamp(deleted_at) if deleted_at else None
    except InvalidValue as exc:
        raise InvalidValue(f"field 'deleted_at': {exc}") from None
    _map_fields(record, spec.fields, row)
    children: list[dict[str, Any]] = []
    if spec.child is not None:
        children = _map_children(spec.child, record, row)
    return row, children


def _map_children(child: ChildSpec, record: dict, parent: dict) -> list[dict[str, Any]]:
    items = record.get(child.source_key) or []
    if not isinstance(items, list):
        raise InvalidValue(f"field '{child.source_key}': expected a list")
    rows: list[dict[str, Any]] = []
    seen: set[str] = set()
    for position, item in enumerate(items):
        if not isinstance(item, dict):
            raise InvalidValue(f"{child.source_key}[{position}]: expected a JSON object")
        item_id = item.get("id")
        if not isinstance(item_id, str) or not item_id.strip():
            raise InvalidValue(f"{child.source_key}[{position}]: missing or empty 'id'")
        if item_id in seen:
            raise InvalidValue(f"{child.source_key}[{position}]: duplicate id {item_id!r}")
        seen.add(item_id)
        row: dict[str, Any] = {
            "id": item_id,
            child.parent_column: parent["id"],
            "version": parent["version"],
            "deleted_at": parent["deleted_at"],
            "raw": item,
            "synced_at": parent["synced_at"],
        }
        try:
            _map_fields(item, child.fields, row)
        except InvalidValue as exc:
            raise InvalidValue(f"{child.source_key}[{position}] {exc}") from None
        rows.append(row)
    return rows


def map_page(spec: EntitySpec, records: Iterable[Any], synced_at: datetime) -> MappedPage:
    """Map a page; bad records become Rejects, repeats of an id keep the highest version."""
    page = MappedPage()
    by_id: dict[str, tuple[dict, list[dict]]] = {}
    for record in records:
        try:
            row, children = map_record(spec, record, synced_at)
        except InvalidValue as exc:
            source_id = record.get("id") if isinstance(record, dict) else None
            page.rejects.append(
                Reject(source_id if isinstance(source_id, str) else None, str(exc), record)
            )
            continue
        previous = by_id.get(row["id"])
        if previous is None or previous[0]["version"] <= row["version"]:
            by_id[row["id"]] = (row, children)
    for row, children in by_id.values():
        page.rows.append(row)
        page.children.extend(children)
    return page
