"""One page from the API into the store: the fast way when the store maps the JSON itself.

`fetch_page` runs where the page is fetched (the prefetch thread): the request and the
decoding (sync.engine.decode: parse, plain check, key proof). `write_page` writes it in
one transaction: from its source JSON when the page kept it and the store takes it, else
mapped in Python with per-record isolation.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sync.engine.decode import Decoding, Page, decode_list, fetch_decoded
from sync.engine.isolation import write_isolated
from sync.entities import EntitySpec, map_page
from sync.lightspeed.transport import LightspeedClient
from sync.storage.position import PagePosition

if TYPE_CHECKING:
    from sync.storage.protocols import PageWriter


def fetch_page(
    client: LightspeedClient, spec: EntitySpec, after: int, decoding: Decoding | None = None
) -> Page:
    """The page of `spec` after version `after`, decoded for a store that wants `decoding`."""
    return fetch_decoded(
        lambda: client.list_page(spec.path, after, deleted=spec.send_deleted),
        lambda raw: decode_list(raw, spec, decoding),
    )


def write_page(store: PageWriter, spec: EntitySpec, page: Page, position: PagePosition) -> bool:
    """Write `page` and advance the cursor in one transaction; True if the store mapped it."""
    if page.source is not None and store.write_source_page(
        spec, page.source, position, keys_distinct=page.keys_distinct
    ):
        return True
    # Python mapping: the page was not plain, or the database refused it (then its rows
    # are parsed from the source, exactly, to find the refused record).
    write_isolated(store, spec, map_page(spec, page.rows, position.now), position)
    return False
