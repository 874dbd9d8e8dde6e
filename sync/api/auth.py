"""Bearer keys: every /api/... and /metrics call names a live key; POSTs need an admin key."""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Annotated

from fastapi import Depends
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from sync.api.context import ApiContext, context
from sync.api.errors import ApiProblem
from sync.errors import SyncError
from sync.storage.sql.api_keys import ApiKey, check_key, key_hash, stamp_used

log = logging.getLogger(__name__)

_bearer = HTTPBearer(
    auto_error=False, description="A key from `python -m sync api-key create NAME`."
)
_CHALLENGE = {"WWW-Authenticate": "Bearer"}
# While the database is down, a key it confirmed this recently is still accepted, so that a
# monitor keeps reading `lightspeed_sync_db_up 0` instead of 503s.
OUTAGE_GRACE_SECONDS = 600.0


def _lookup(ctx: ApiContext, presented: str) -> ApiKey | None:
    digest = key_hash(presented)
    try:
        key = check_key(ctx.engine, presented)
    except SyncError:
        known = ctx.verified.get(digest)
        if known is not None and time.monotonic() - known[1] < OUTAGE_GRACE_SECONDS:
            return known[0]
        raise
    if key is None:
        ctx.verified.pop(digest, None)
    else:
        ctx.verified[digest] = (key, time.monotonic())
        try:
            stamp_used(ctx.engine, key, ctx.now())
        except SyncError as exc:  # a missed stamp must not refuse a valid key
            log.warning("Could not record the use of key %s: %s", key.name, exc.message)
    return key


async def require_key(
    ctx: Annotated[ApiContext, Depends(context)],
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> ApiKey:
    """The caller's key; 401 without one or with a wrong or revoked one."""
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise ApiProblem(
            401,
            "An API key is required: send the header 'Authorization: Bearer <key>' "
            "(create one with `python -m sync api-key create NAME`).",
            _CHALLENGE,
        )
    key = await asyncio.to_thread(_lookup, ctx, credentials.credentials)
    if key is None:
        raise ApiProblem(401, "This API key is not valid (wrong or revoked).", _CHALLENGE)
    return key


async def require_admin(
    ctx: Annotated[ApiContext, Depends(context)], key: Annotated[ApiKey, Depends(require_key)]
) -> ApiKey:
    """The caller's key when it may change things; 403 for a read key, 429 past its rate."""
    if not key.admin:
        raise ApiProblem(
            403,
            f"The key {key.name!r} may only read: create an admin key with "
            "`python -m sync api-key create NAME --admin` to change things.",
        )
    wait = ctx.posts.wait_for(key.name)
    if wait:
        raise ApiProblem(
            429,
            f"Too many changes with the key {key.name!r} (at most {ctx.posts.limit} a minute): "
            f"wait {wait} s, then try again.",
            {"Retry-After": str(wait)},
        )
    return key


ReadKey = Annotated[ApiKey, Depends(require_key)]
AdminKey = Annotated[ApiKey, Depends(require_admin)]
