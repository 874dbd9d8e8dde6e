"""`?store=` on every endpoint: which store a request is about (default: the API's store)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Query

from sync.api.context import ApiContext, context
from sync.api.errors import ApiProblem
from sync.storage.sql.stores import list_stores

STORE_HELP = "The store's domain prefix (default: LIGHTSPEED_DOMAIN_PREFIX, else the first store)"


def requested_store(
    ctx: Annotated[ApiContext, Depends(context)],
    store: Annotated[str | None, Query(description=STORE_HELP, max_length=100)] = None,
) -> str:
    """The store named by `?store=`, checked against the database's stores; 404 if unknown."""
    if store is None or store == ctx.store:
        return ctx.store
    known = [s.prefix for s in list_stores(ctx.engine)]
    if store not in known:
        raise ApiProblem(404, f"Unknown store {store!r}: use one of {', '.join(known)}.")
    return store


StoreParam = Annotated[str, Depends(requested_store)]
