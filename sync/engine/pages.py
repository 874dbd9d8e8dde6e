"""One page from the API into the store: the fast way when the store maps the JSON itself.

`fetch_page` runs where the page is fetched (the prefetch thread): the request, the parse
and the plain check. `write_page` writes it in one transaction: from its source JSON when
the store maps it (Postgres, SQLite) and every record is plain, else mapped in Python with
per-record isolation.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import TYPE_CHECKING

from sync.engine.isolation import write_isolated
from sync.entities import EntitySpec, map_page
from sync.entities.plain import plain_records
from sync.lightspeed.client import LightspeedClient, exact_rows
from sync.lightspeed.paging import Page
from sync.storage.runlog import Progress

if TYPE_CHECKING:
    from sync.storage.protocols import PageWriter


def fetch_page(
    client: LightspeedClient,
    spec: EntitySpec,
    after: int,
    *,
    keep_source: bool,
    prove_keys: bool = False,
) -> Page:
    """The page after version `after`; it keeps its source only when all records are plain.

    `prove_keys`: also find out whether any object repeats a key (`Page.keys_distinct`).
    """
    page = client.list_page(
        spec.path,
        after,
        deleted=spec.send_deleted,
        keep_source=keep_source,
        prove_keys=prove_keys,
    )
    if page.source is not None and not plain_records(spec, page.rows):
        page = dataclasses.replace(page, rows=exact_rows(page), source=None)
    return page


def write_page(
    store: PageWriter,
    spec: EntitySpec,
    page: Page,
    *,
    cursor: int | None,
    run_id: str,
    trackers: Sequence[Progress],
    clock: Callable[[], datetime],
) -> bool:
    """Write `page` and advance the cursor in one transaction; True if the store mapped it."""
    if page.source is not None and store.write_source_page(
        spec,
        page.source,
        cursor=cursor,
        run_id=run_id,
        trackers=trackers,
        now=clock(),
        keys_distinct=page.keys_distinct,
    ):
        return True
    # Python mapping: the page was not plain, or the database refused it (then parsed
    # again, exactly, to find the refused record).
    mapped = map_page(spec, exact_rows(page), clock())
    write_isolated(
        store, spec, mapped, cursor=cursor, run_id=run_id, trackers=trackers, now=clock()
    )
    return False
