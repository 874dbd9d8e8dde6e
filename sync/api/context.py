"""What every endpoint reads: the settings, the API's engine and the clock."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from fastapi import Request

from sync.api.limits import PostLimiter
from sync.config import Settings
from sync.runs import utcnow
from sync.storage.sql.db import Engine
from sync.storage.sql.stores import reading_store


@dataclass(frozen=True)
class ApiContext:
    """The API's settings, its engine (API_DATABASE_URL) and its clock (tests pin it)."""

    settings: Settings
    engine: Engine
    clock: Callable[[], datetime] = utcnow
    # key hash -> (key, monotonic time it was last confirmed by the database): lets a
    # known key still read /metrics (db_up 0) while the database is down.
    verified: dict[str, tuple[Any, float]] = field(default_factory=dict, repr=False)
    # POSTs per key (sync.api.limits): bounds how fast one key can queue or acknowledge.
    posts: PostLimiter = field(default_factory=PostLimiter, repr=False)
    # The store the API reports on, once found (see `store`).
    found_store: list[str] = field(default_factory=list, repr=False)

    def now(self) -> datetime:
        """Now, in UTC."""
        return self.clock()

    @property
    def store(self) -> str:
        """LIGHTSPEED_DOMAIN_PREFIX, else the database's first store (an API host needs no
        Lightspeed settings); looked up once."""
        if not self.found_store:
            self.found_store.append(
                reading_store(self.engine, self.settings.lightspeed_domain_prefix)
            )
        return self.found_store[0]


def context(request: Request) -> ApiContext:
    """FastAPI dependency: the context the app was built with."""
    return request.app.state.context
