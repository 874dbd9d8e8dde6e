"""Plain records: values already of their column's JSON type, which a database may map itself.

A page whose records are all plain can be mapped by SQL casts (sync.storage.sql.sourcepage)
with the very result of `map_page`: text is a string, a number a JSON number, a boolean
a JSON boolean, a timestamp strict ISO 8601 (years 1000-8999, no leap second, no 24:00);
"" stands for null in a non-text column, as `map_page` takes it. Ids are printable ASCII
(a Lightspeed UUID); line items a list of objects with distinct ids. The check is
stricter than `map_page`, never looser: anything else goes through `map_page` (which also
finds the rejects). It reads rows as orjson parses them (fractions as floats: only their
type matters here, the database reads the numbers from the source text).
"""

from __future__ import annotations

import functools
import re
from typing import Any

from sync.entities.specs import EntitySpec, Field, Kind

_ID = re.compile(r"[!-~]{1,255}\Z")
_TIMESTAMP = re.compile(
    r"[1-8][0-9]{3}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])"
    r"T([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9](\.[0-9]{1,6})?"
    r"(Z|[+-]([01][0-9]|2[0-3]):[0-5][0-9])?\Z"
)
_DATE = re.compile(r"[1-8][0-9]{3}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])\Z")
_MAX_WHOLE = 10**18

# One check per kind: (key, kind code); codes keep the per-value loop free of calls.
_TEXT, _NUMBER, _BOOL, _INT, _TIMESTAMP_CODE, _DATE_CODE = range(6)
_CODES = {
    Kind.TEXT: _TEXT,
    Kind.NUMBER: _NUMBER,
    Kind.BOOL: _BOOL,
    Kind.INT: _INT,
    Kind.TIMESTAMP: _TIMESTAMP_CODE,
    Kind.DATE: _DATE_CODE,
}


@functools.cache
def _plan(fields: tuple[Field, ...]) -> tuple[tuple[str, int], ...]:
    return tuple((f.key, _CODES[f.kind]) for f in fields)


def _plain_values(record: dict[str, Any], plan: tuple[tuple[str, int], ...]) -> bool:
    get = record.get
    for key, code in plan:
        value = get(key)
        if value is None:
            continue
        kind = type(value)
        if kind is str:
            if code is _TEXT or value == "":
                continue
            if code is _TIMESTAMP_CODE and _TIMESTAMP.match(value):
                continue
            if code is _DATE_CODE and _DATE.match(value):
                continue
            return False
        if code is _NUMBER:
            if kind is not float and kind is not int:
                return False
        elif code is _BOOL:
            if kind is not bool:
                return False
        elif code is _INT:
            if kind is not int or not -_MAX_WHOLE < value < _MAX_WHOLE:
                return False
        else:
            return False
    return True


def plain_records(spec: EntitySpec, rows: list[Any]) -> bool:
    """True when every record of the page is plain (see the module's docstring)."""
    plan = _plan(spec.fields)
    child = spec.child
    child_plan = _plan(child.fields) if child is not None else ()
    for record in rows:
        if type(record) is not dict:
            return False
        source_id, version = record.get("id"), record.get("version")
        if type(source_id) is not str or not _ID.match(source_id):
            return False
        if type(version) is not int or not 0 <= version < _MAX_WHOLE:
            return False
        deleted_at = record.get("deleted_at")
        if deleted_at is not None and not (
            type(deleted_at) is str and (deleted_at == "" or _TIMESTAMP.match(deleted_at))
        ):
            return False
        if not _plain_values(record, plan):
            return False
        if child is not None and not _plain_items(record.get(child.source_key), child_plan):
            return False
    return True


def _plain_items(items: Any, plan: tuple[tuple[str, int], ...]) -> bool:
    if items is None:
        return True
    if type(items) is not list:
        return False
    seen: set[str] = set()
    for item in items:
        if type(item) is not dict:
            return False
        item_id = item.get("id")
        if type(item_id) is not str or not _ID.match(item_id) or item_id in seen:
            return False
        seen.add(item_id)
        if not _plain_values(item, plan):
            return False
    return True
