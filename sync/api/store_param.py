"""`?store=` on every endpoint: which store a request is about (default: the API's store).

A key limited to some stores sees only those: a store outside its list is answered exactly
like a store the database does not hold, so a key cannot learn that another store exists.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Query

from sync.api.auth import ReadKey
from sync.api.context import ApiContext, context
from sync.api.errors import ApiProblem
from sync.storage.sql.api_keys import ApiKey
from sync.storage.sql.stores import list_stores
from sync.storage.stores import StoreRow, may_see, visible_stores

STORE_HELP = "The store's domain prefix (default: LIGHTSPEED_DOMAIN_PREFIX, else the first store)"


def key_stores(ctx: ApiContext, key: ApiKey) -> list[StoreRow]:
    """The database's stores that `key` may see, in the order they were added."""
    return visible_stores(list_stores(ctx.engine), key.stores)


def requested_store(
    ctx: Annotated[ApiContext, Depends(context)],
    key: ReadKey,
    store: Annotated[str | None, Query(description=STORE_HELP, max_length=100)] = None,
) -> str:
    """The store named by `?store=`, checked against the stores the key may see; 404 if
    unknown (or hidden from the key). Without `?store=`: the API's store when the key may
    see it, else the first store it may see."""
    if key.stores is None and (store is None or store == ctx.store):
        return ctx.store
    known = [s.prefix for s in key_stores(ctx, key)]
    if not known and key.stores is not None:
        raise ApiProblem(
            403,
            f"The key {key.name!r} is limited to stores this database does not hold: create "
            "a key for its stores with `python -m sync api-key create NAME --store PREFIX`.",
        )
    if store is None:
        return ctx.store if may_see(key.stores, ctx.store) and ctx.store in known else known[0]
    if store not in known:
        raise ApiProblem(404, f"Unknown store {store!r}: use one of {', '.join(known)}.")
    return store


StoreParam = Annotated[str, Depends(requested_store)]
