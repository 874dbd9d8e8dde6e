"""Converters from a source JSON value to a column's Python type, with one error type."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from sync.entities.specs import Kind


class InvalidValue(ValueError):
    """A source value that does not fit its column."""


def to_text(value: Any) -> str:
    """Text as is; an integer or exact number as its digits (booleans refused)."""
    if isinstance(value, str):
        return value
    if isinstance(value, bool) or not isinstance(value, int | Decimal):
        raise InvalidValue(f"expected text, got {type(value).__name__}")
    return str(value)


def to_int(value: Any) -> int:
    """A whole number, also from a whole Decimal or a digit string (booleans refused)."""
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
    """An exact, finite Decimal from a number or numeric text (never through float)."""
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
    """A boolean from true/false, 0/1 or the text "true"/"false" (any case)."""
    if isinstance(value, bool):
        return value
    if value in (0, 1):
        return bool(value)
    if isinstance(value, str) and value.lower() in ("true", "false"):
        return value.lower() == "true"
    raise InvalidValue(f"expected true/false, got {value!r:.40}")


def to_timestamp(value: Any) -> datetime:
    """A UTC datetime from ISO 8601 text (a naive one is taken as UTC, as Lightspeed sends)."""
    if not isinstance(value, str):
        raise InvalidValue(f"expected a timestamp, got {type(value).__name__}")
    try:
        parsed = datetime.fromisoformat(value.strip())
    except ValueError:
        raise InvalidValue(f"expected an ISO-8601 timestamp, got {value!r:.40}") from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)  # Lightspeed timestamps are UTC
    try:
        return parsed.astimezone(UTC)
    except OverflowError:
        raise InvalidValue(f"timestamp {value!r:.40} is out of range once in UTC") from None


def to_date(value: Any) -> date:
    """A date from YYYY-MM-DD text, or the UTC date of an ISO 8601 timestamp."""
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
