"""Sales by time range through /search, in windows small enough that no offset gets deep.

A range [start, end) in UTC (a store's or an outlet's days) is read one day-long window
at a time. A window whose first page is full is split (hours, then ten minutes, then
minutes) and read again; only a one-minute window that still fills a page is paged by
offset. So the deepest offset asked is within one minute of sales, and nothing assumes
how deep Lightspeed lets offsets go, nor that it honours `order_by`.

Each query asks its window's bounds inclusively, at second precision; a row is handed on
only when its sale_date lies in [start, end) of the whole range and once per id over the
range (offsets shift while sales are written; windows share their boundary second).
"""

from __future__ import annotations

import threading
from bisect import bisect_left
from collections.abc import Callable, Hashable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sync.days import parse_instant
from sync.engine.decode import Page, decode_search, fetch_decoded
from sync.lightspeed.paging import SearchOffsets
from sync.lightspeed.transport import LightspeedClient

DAY = timedelta(days=1)
# How a full window is split, from the coarsest step to the finest.
STEPS = (timedelta(hours=1), timedelta(minutes=10), timedelta(minutes=1))


@dataclass(frozen=True)
class SearchPage:
    """Rows of one /search page not handed on before, and where they came from."""

    rows: list[Any]
    at: str


@dataclass(frozen=True)
class Window:
    """A half-open UTC interval [start, end)."""

    start: datetime
    end: datetime

    def split(self) -> list[Window] | None:
        """Smaller windows covering this one (None: it is as small as they get)."""
        length = self.end - self.start
        step = next((s for s in STEPS if s < length), None)
        if step is None:
            return None
        parts, at = [], self.start
        while at < self.end:
            parts.append(Window(at, min(at + step, self.end)))
            at += step
        return parts

    @property
    def query(self) -> tuple[str, str]:
        """(date_from, date_to) as /search takes them: inclusive, whole seconds, UTC."""
        last = self.end if self.end.microsecond == 0 else self.end + timedelta(seconds=1)
        return _z(self.start), _z(last)


def _z(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def day_windows(start: datetime, end: datetime) -> list[Window]:
    """[start, end) cut into windows of at most one day, from `start`."""
    windows, at = [], start
    while at < end:
        windows.append(Window(at, min(at + DAY, end)))
        at += DAY
    return windows


def search_sales(
    client: LightspeedClient,
    start: datetime,
    end: datetime,
    *,
    outlet_id: str | None = None,
    stop: threading.Event | None = None,
    fetching: Callable[[str], None] | None = None,
) -> Iterator[SearchPage]:
    """Every sale with start <= sale_date < end (of one outlet, if given), page by page.

    `fetching(at)` is told which page is asked for next (for error messages).
    """
    reader = _Reader(client, start, end, outlet_id, stop, fetching or (lambda _at: None))
    for window in day_windows(start, end):
        if reader.stopped:
            return
        yield from reader.read(window)


class _Reader:
    """One range's walk: the ids handed on so far and the filters every page goes through."""

    def __init__(
        self,
        client: LightspeedClient,
        start: datetime,
        end: datetime,
        outlet_id: str | None,
        stop: threading.Event | None,
        tell: Callable[[str], None],
    ) -> None:
        self.client, self.start, self.end = client, start, end
        self.outlet_id, self.stop, self.tell = outlet_id, stop, tell
        self.seen: set[Hashable] = set()

    @property
    def stopped(self) -> bool:
        return bool(self.stop and self.stop.is_set())

    def read(self, window: Window) -> Iterator[SearchPage]:
        size = self.client.search_page_size
        first = self._page(window, 0)
        parts = window.split() if first.size >= size else None
        if parts is not None:
            for part in parts:
                if self.stopped:
                    return
                yield from self.read(part)
            return
        offsets = SearchOffsets(seen=self.seen)
        page = first
        while True:
            fresh = self._keep(offsets.advance(page))
            if fresh:
                yield SearchPage(fresh, self._at(window, offsets.offset))
            if offsets.finished or page.size < size or self.stopped:
                return  # a short page is the last one of an offset listing
            page = self._page(window, offsets.offset)

    def _page(self, window: Window, offset: int) -> Page:
        self.tell(self._at(window, offset))
        date_from, date_to = window.query
        return fetch_decoded(
            lambda: self.client.search_sales_page(
                date_from, date_to, offset, outlet_id=self.outlet_id
            ),
            decode_search,
        )

    def _at(self, window: Window, offset: int) -> str:
        return f"search page at offset {offset} of {_z(window.start)}..{_z(window.end)}"

    def _keep(self, rows: list[Any]) -> list[Any]:
        """Rows of this range (and outlet); a row whose sale_date does not parse is kept."""
        kept = []
        for row in rows:
            if isinstance(row, dict):
                if self.outlet_id is not None and row.get("outlet_id") != self.outlet_id:
                    continue
                when = parse_instant(row.get("sale_date"))
                if when is not None and not self.start <= when < self.end:
                    continue
            kept.append(row)
        return kept


def planned_calls(times: Sequence[datetime], start: datetime, end: datetime, size: int) -> int:
    """The /search calls `search_sales` makes over [start, end) for sales at sorted `times`."""
    return sum(_calls(times, window, size) for window in day_windows(start, end))


def _calls(times: Sequence[datetime], window: Window, size: int) -> int:
    # A window's query takes its boundary second too: count what the API would answer.
    date_from, date_to = window.query
    low = bisect_left(times, datetime.fromisoformat(date_from))
    high = bisect_left(times, datetime.fromisoformat(date_to) + timedelta(seconds=1))
    found = high - low
    parts = window.split() if found >= size else None
    if parts is None:
        return 1 + found // size
    return 1 + sum(_calls(times, part, size) for part in parts)
