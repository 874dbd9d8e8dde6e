"""JSON text for stored values: Decimals stay exact both ways (never through a float)."""

from __future__ import annotations

import functools
import json
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import orjson
import simplejson


def _iso(value: Any) -> str:
    if isinstance(value, date | datetime):
        return value.isoformat()  # as orjson writes them
    raise TypeError(f"not JSON serializable: {type(value).__name__}")


_dumps_slow = functools.partial(
    simplejson.dumps, use_decimal=True, separators=(",", ":"), default=_iso
)
loads_json = functools.partial(json.loads, parse_float=Decimal)


def _decimal_literal(value: Any) -> orjson.Fragment:
    if type(value) is Decimal:
        return orjson.Fragment(str(value))
    raise TypeError(f"not JSON serializable: {type(value).__name__}")


def dumps_json(value: Any) -> str:
    """JSON text with Decimals written as exact number literals (never via float)."""
    try:
        return orjson.dumps(value, default=_decimal_literal).decode()
    except (TypeError, orjson.JSONEncodeError):
        # orjson refuses integers beyond 64 bits and non-string keys; simplejson does not.
        return _dumps_slow(value)
