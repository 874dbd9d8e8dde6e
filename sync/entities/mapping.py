"""From source records to rows: typed columns, child rows, and rejects with their reason."""

from __future__ import annotations

import functools
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from sync.entities.screen import check_bigint, screen_record, storable_reject
from sync.entities.specs import ChildSpec, EntitySpec, Field, Kind
from sync.entities.values import CONVERTERS, InvalidValue, to_int, to_timestamp


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


def _identity(record: Any, default_versions: Mapping[str, int]) -> tuple[str, int]:
    if not isinstance(record, dict):
        raise InvalidValue(f"expected a JSON object, got {type(record).__name__}")
    source_id = record.get("id")
    if not isinstance(source_id, str) or not source_id.strip():
        raise InvalidValue("missing or empty 'id'")
    if record.get("version") is None:
        if source_id in default_versions:
            return source_id, default_versions[source_id]
        raise InvalidValue("missing 'version'")
    try:
        version = check_bigint(to_int(record["version"]), "field 'version'")
    except InvalidValue as exc:
        message = str(exc)
        raise InvalidValue(
            message if message.startswith("field") else f"field 'version': {message}"
        ) from None
    return source_id, version


def map_record(
    spec: EntitySpec,
    record: Any,
    synced_at: datetime,
    default_versions: Mapping[str, int] | None = None,
) -> tuple[dict, list[dict]]:
    """Map one source record to its row (and child rows); raises InvalidValue.

    The row's `raw` is the record as screened (NULs removed, see `screen_record`). A
    record without `version` takes `default_versions[id]` when given (a /search row).
    """
    source_id, version = _identity(record, default_versions or {})
    record = screen_record(record)
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


def map_page(
    spec: EntitySpec,
    records: Iterable[Any],
    synced_at: datetime,
    *,
    default_versions: Mapping[str, int] | None = None,
) -> MappedPage:
    """Map a page; bad records become Rejects, repeats of an id keep the highest version."""
    page = MappedPage()
    by_id: dict[str, tuple[dict, list[dict]]] = {}
    for record in records:
        try:
            row, children = map_record(spec, record, synced_at, default_versions)
        except Exception as exc:  # noqa: BLE001 - any record-level defect rejects only it
            reason = str(exc) if isinstance(exc, InvalidValue) else f"{type(exc).__name__}: {exc}"
            source_id = record.get("id") if isinstance(record, dict) else None
            stored_id, raw = storable_reject(source_id, record)
            page.rejects.append(Reject(stored_id, reason, raw))
            continue
        previous = by_id.get(row["id"])
        if previous is None or previous[0]["version"] <= row["version"]:
            by_id[row["id"]] = (row, children)
    for row, children in by_id.values():
        page.rows.append(row)
        page.children.extend(children)
    return page
