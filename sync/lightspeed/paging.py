"""Paging rules of the API: a page, and the cursor a version-feed page advances to."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any


@dataclass(frozen=True)
class Page:
    """One page of a list endpoint: its rows and the cursor it advances to."""

    rows: list[dict[str, Any]]
    version_max: int | None
    api_calls: int


def page_cursor(body: Mapping[str, Any], rows: list[Any]) -> int | None:
    """The largest version in a page: `version.max` if usable, else the largest row version."""
    best: int | None = None
    block = body.get("version")
    if isinstance(block, Mapping):
        best = _as_int(block.get("max"))
    for row in rows:
        if isinstance(row, Mapping):
            value = _as_int(row.get("version"))
            if value is not None and (best is None or value > best):
                best = value
    return best


def _as_int(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, Decimal) and value == value.to_integral_value():
        return int(value)
    if isinstance(value, str) and value.isdigit():
        return int(value)
    return None
