"""The record screen: what a database cannot hold is sanitised or refused before any write.

The policy (README, "Records the database cannot hold"): NUL characters are removed and
lone UTF-16 surrogates replaced by U+FFFD, in every string of the record (keys included);
an id or version no column can hold, a number beyond what `numeric` stores and an
oversize id are refused with the reason. Every backend applies the same screen.
"""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

import orjson

from sync.entities.values import InvalidValue

#: bigint's range: every version and whole-number column.
MAX_BIGINT = 2**63 - 1
MIN_BIGINT = -(2**63)
#: Lightspeed ids are 36 characters; a key far longer would not fit a database index.
MAX_ID_LENGTH = 255
# Postgres `numeric` (and jsonb numbers): at most 131072 digits before the point and
# 16383 after it.
_MAX_ADJUSTED = 131_071
_MIN_EXPONENT = -16_383

NUL = "\x00"
REPLACEMENT = "\ufffd"


def clean_text(value: str) -> str:
    """`value` without NUL characters and with lone surrogates replaced by U+FFFD."""
    if NUL in value:
        value = value.replace(NUL, "")
    if not value.isascii():
        # json.loads joins an escaped surrogate pair into one character: what is left is alone.
        value = "".join(REPLACEMENT if 0xD800 <= ord(c) <= 0xDFFF else c for c in value)
    return value


def _dirty(value: str) -> bool:
    if NUL in value:
        return True
    if value.isascii():
        return False
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def clean_value(value: Any, where: str = "value", *, strict: bool = True) -> Any:
    """A sanitised copy of a JSON value; the same object when nothing needed cleaning.

    A number out of `numeric`'s range raises InvalidValue (`where` names the field), or,
    with `strict=False` (a rejected record's raw), becomes its text.
    """
    kind = type(value)
    if kind is str:
        return clean_text(value) if _dirty(value) else value
    if kind is Decimal:
        if value.is_finite() and (
            value.adjusted() > _MAX_ADJUSTED or value.as_tuple().exponent < _MIN_EXPONENT
        ):
            if not strict:
                return str(value)
            raise InvalidValue(f"{where}: the number {value!s:.30} is out of range")
        return value
    if kind is dict:
        changed = False
        out: dict[Any, Any] = {}
        for key, item in value.items():
            new_key = clean_text(key) if isinstance(key, str) and _dirty(key) else key
            field = f"field '{key}'" if where == "record" else where
            new_item = clean_value(item, field, strict=strict)
            if new_key is not key or new_item is not item:
                changed = True
            if new_key in out and strict:
                raise InvalidValue(f"key {new_key!r:.40} appears twice once NULs are removed")
            out[new_key] = new_item
        return out if changed else value
    if kind is list:
        items = [clean_value(item, where, strict=strict) for item in value]
        if any(new is not old for new, old in zip(items, value, strict=True)):
            return items
        return value
    return value


def _decimal_literal(value: Any) -> orjson.Fragment:
    if type(value) is Decimal:
        return orjson.Fragment(str(value))
    raise TypeError(type(value).__name__)


# A Decimal with a five-digit exponent, as str() writes it ('E+'/'E-', upper case).
_HUGE_EXPONENT = re.compile(rb"E[+-]\d{5}")
_SUSPECT_SIZE = 100_000


def _suspect(record: dict[str, Any]) -> bool:
    """Cheap pre-check (orjson in C): False only when the record certainly needs nothing."""
    try:
        text = orjson.dumps(record, default=_decimal_literal)
    except (TypeError, orjson.JSONEncodeError):
        return True  # a lone surrogate, an integer beyond 64 bits, ...
    return (
        len(text) > _SUSPECT_SIZE or b"\\u0000" in text or _HUGE_EXPONENT.search(text) is not None
    )


def screen_record(record: dict[str, Any]) -> dict[str, Any]:
    """The record as it may be stored (sanitised); raises InvalidValue when it must be refused."""
    source_id = record.get("id")
    if isinstance(source_id, str):
        if NUL in source_id:
            raise InvalidValue("'id' contains a NUL character")
        if len(source_id) > MAX_ID_LENGTH:
            raise InvalidValue(
                f"'id' is {len(source_id):,} characters long (at most {MAX_ID_LENGTH})"
            )
    if not _suspect(record):
        return record
    return clean_value(record, "record")


def check_bigint(value: int, where: str) -> int:
    """`value` if a bigint column holds it; else InvalidValue naming `where`."""
    if not MIN_BIGINT <= value <= MAX_BIGINT:
        raise InvalidValue(f"{where}: {value} is out of range for a 64-bit integer")
    return value


def storable_reject(source_id: Any, record: Any) -> tuple[str | None, Any]:
    """A rejected record's source id and raw as sync_rejects can hold them (sanitised)."""
    source_id = clean_text(source_id)[:MAX_ID_LENGTH] if isinstance(source_id, str) else None
    return source_id, clean_value(record, strict=False)
