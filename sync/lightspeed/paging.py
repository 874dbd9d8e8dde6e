"""Paging of the API, without HTTP: the `after=<version>` feed and the /search offsets.

Each style is one small paginator (after meltano's `BaseAPIPaginator`): where to ask
next, `advance(page)`, `finished`, and a guard that raises instead of looping.
"""

from __future__ import annotations

import logging
from collections.abc import Hashable, Mapping
from decimal import Decimal
from typing import Any, Protocol

from sync.errors import ErrorKind, SyncError

log = logging.getLogger(__name__)


class ListedPage(Protocol):
    """What the version feed reads of a page (sync.engine.decode.Page is one)."""

    @property
    def version_max(self) -> int | None:
        """The cursor the page advances to (None: its rows carry no version)."""
        ...

    @property
    def size(self) -> int:
        """How many records the page holds."""
        ...

    def versions(self) -> list[int]:
        """The records' integer versions."""
        ...


class SearchedPage(Protocol):
    """What the /search offsets read of a page: its records."""

    @property
    def rows(self) -> list[Any]:
        """The page's records."""
        ...


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


# A version beyond bigint belongs to a broken row (rejected), never to the cursor.
_MAX_VERSION = 2**63 - 1


def _as_int(value: Any) -> int | None:
    number = _whole(value)
    return number if number is not None and 0 <= number <= _MAX_VERSION else None


def _whole(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, Decimal) and value.is_finite() and value == value.to_integral_value():
        return int(value)
    if isinstance(value, str) and value.isdigit():
        return int(value)
    return None


class VersionFeed:
    """The version feed of a list endpoint: ask `after=cursor` until a page is empty.

    An API whose `after` turns out inclusive repeats the last row: a page holding only
    the cursor's own version is the end too. Any other page that does not move the
    cursor forward is a loop, and `advance` raises.
    """

    def __init__(self, path: str, start: int = 0) -> None:
        self.path = path
        self.start = start
        self.cursor = start
        self.finished = False

    def advance(self, page: ListedPage) -> None:
        """Move the cursor past `page`, or mark the walk finished."""
        if not page.size:
            self.finished = True
            return
        new = page.version_max
        if new is None:
            raise SyncError(
                ErrorKind.API,
                f"Lightspeed's page of {self.path} after version {self.cursor} carries no "
                "version numbers.",
            )
        if new > self.cursor:
            self.cursor = new
            return
        if all(v == self.cursor for v in page.versions()):
            self.finished = True
            return
        raise SyncError(
            ErrorKind.API,
            f"Lightspeed returned {self.path} rows at or below version {self.cursor} for "
            f"after={self.cursor}: paging made no progress, stopped to avoid a loop.",
        )


def next_cursor(page: ListedPage, cursor: int, path: str) -> int | None:
    """The cursor after `page` (see `VersionFeed`), or None when the walk is over."""
    feed = VersionFeed(path, cursor)
    feed.advance(page)
    return None if feed.finished else feed.cursor


class SearchOffsets:
    """Offset paging of /search: ask `offset=n` until a page is empty or brings no new id.

    Offsets shift while sales are written, so a row can come twice: `advance` hands on
    only the first copy of each id (`seen` may be shared by several windows of one range).
    A page that brings no new id means the offset is not moving the answer (an API that
    ignores it, or the end of an unstable listing): the walk ends there instead of looping.
    """

    def __init__(self, path: str = "/search", start: int = 0, seen: set[Hashable] | None = None):
        self.path = path
        self.offset = start
        self.finished = False
        self._seen: set[Hashable] = set() if seen is None else seen

    def advance(self, page: SearchedPage) -> list[Any]:
        """Move the offset past `page` and return its rows not seen before.

        Rows without an id always count as new, so that they reach the rejects; they do
        not count as progress.
        """
        if not page.rows:
            self.finished = True
            return []
        fresh = [row for row in page.rows if not self._known(row)]
        new_ids = {key for key in map(_row_id, fresh) if key is not None}
        if not new_ids:
            self.finished = True
            if len(fresh) < len(page.rows):
                log.warning(
                    "%s sent %d rows at offset %d that it had all sent before: stopped there.",
                    self.path,
                    len(page.rows),
                    self.offset,
                )
            return fresh
        self._seen.update(new_ids)
        self.offset += len(page.rows)
        return fresh

    def _known(self, row: Any) -> bool:
        key = _row_id(row)
        return key is not None and key in self._seen


def _row_id(row: Any) -> Hashable | None:
    value = row.get("id") if isinstance(row, dict) else None
    return value if isinstance(value, Hashable) else None
