"""Sales by date through /search, split so that no query needs a deep offset.

Each UTC day is one query; a day whose first page is full is read again hour by hour.
Rows are handed on once per id over the whole range (offsets shift while sales are
written), and a window ends on an empty page or on a page that brings no new id.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Hashable, Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from sync.lightspeed.client import LightspeedClient
from sync.lightspeed.paging import SearchOffsets


@dataclass(frozen=True)
class SearchPage:
    """Rows of one /search page not handed on before, and where they came from."""

    rows: list[Any]
    at: str


def search_sales(
    client: LightspeedClient,
    date_from: date,
    date_to: date,
    stop: threading.Event | None = None,
    fetching: Callable[[str], None] | None = None,
) -> Iterator[SearchPage]:
    """Every sale with a sale_date in [date_from, date_to] (UTC days), page by page.

    `fetching(at)` is told which page is asked for next (for error messages).
    """
    tell = fetching or (lambda _at: None)
    seen: set[Hashable] = set()
    size = client.search_page_size
    day = date_from
    while day <= date_to and not (stop and stop.is_set()):
        start, end = f"{day}T00:00:00Z", f"{day}T23:59:59Z"
        at = f"search page at offset 0 of {day}"
        tell(at)
        first = client.search_sales_page(start, end, 0)
        if len(first.rows) < size:
            fresh = SearchOffsets(seen=seen).advance(first)
            if fresh:
                yield SearchPage(fresh, at)
        else:
            for hour in range(24):
                yield from _window(client, f"{day}T{hour:02d}", seen, stop, tell)
        day += timedelta(days=1)


def _window(
    client: LightspeedClient,
    hour: str,
    seen: set[Hashable],
    stop: threading.Event | None,
    tell: Callable[[str], None],
) -> Iterator[SearchPage]:
    offsets = SearchOffsets(seen=seen)
    while not (stop and stop.is_set()):
        at = f"search page at offset {offsets.offset} of {hour}h"
        tell(at)
        page = client.search_sales_page(f"{hour}:00:00Z", f"{hour}:59:59Z", offsets.offset)
        fresh = offsets.advance(page)
        if fresh:
            yield SearchPage(fresh, at)
        if offsets.finished or len(page.rows) < client.search_page_size:
            return  # a short page is the last one of an offset listing
