"""Per-record isolation: a page the database refuses is bisected down to the refused records.

The refused records go to sync_rejects with the database's reason; every other record of
the page, and then the cursor, still commit. Only a refusal caused by the data
(`RecordRefused`) is bisected: an outage fails the run as before, nothing rejected.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from sync.entities import EntitySpec, MappedPage, Reject
from sync.entities.screen import clean_text
from sync.storage.position import PagePosition
from sync.storage.refusal import RecordRefused

if TYPE_CHECKING:
    from sync.storage.protocols import PageWriter

log = logging.getLogger(__name__)


def write_isolated(
    store: PageWriter, spec: EntitySpec, page: MappedPage, position: PagePosition
) -> None:
    """`store.write_page`, except that records the database refuses are rejected, not fatal."""
    try:
        store.write_page(spec, page, position)
        return
    except RecordRefused as exc:
        log.warning("%s: the database refused a page (%s); finding the record(s)", spec.name, exc)
    trackers = position.trackers
    pages = [t.pages for t in trackers]
    refused: list[Reject] = []
    _bisect(store, spec, page, page.rows, refused, position.without_cursor())
    for tracker, count in zip(trackers, pages, strict=True):
        tracker.pages = count  # the pieces count as the one page they came from
    rejects = [*page.rejects, *refused]
    try:
        store.write_page(spec, MappedPage(rejects=rejects), position)
    except RecordRefused:
        # The rejects themselves could not be stored as received: keep reason and id only.
        bare = [Reject(r.source_id, r.reason, {"raw": "not storable"}) for r in rejects]
        store.write_page(spec, MappedPage(rejects=bare), position)


def _bisect(
    store: PageWriter,
    spec: EntitySpec,
    page: MappedPage,
    rows: list[dict],
    refused: list[Reject],
    piece: PagePosition,
) -> None:
    if not rows:
        return
    part = _part(spec, page, rows)
    try:
        store.write_page(spec, part, piece)
        return
    except RecordRefused as exc:
        if len(rows) == 1:
            row = rows[0]
            reason = clean_text(f"The database refused the record: {exc.message}")[:1000]
            refused.append(Reject(row["id"], reason, row["raw"]))
            log.warning("%s %s: rejected, %s", spec.name, row["id"], exc.message)
            return
    middle = len(rows) // 2
    _bisect(store, spec, page, rows[:middle], refused, piece)
    _bisect(store, spec, page, rows[middle:], refused, piece)


def _part(spec: EntitySpec, page: MappedPage, rows: list[dict]) -> MappedPage:
    """The rows given, with their own child rows (a sale and its line items stay together)."""
    if spec.child is None:
        return MappedPage(rows=rows)
    ids = {row["id"] for row in rows}
    parent = spec.child.parent_column
    return MappedPage(rows=rows, children=[c for c in page.children if c[parent] in ids])
