"""`make demo STORES=3`: the demo with several simulated stores in one database.

The simulator serves each store at `/{prefix}/api/2.0` with its own data, rate limit and
personal token; the first store is the configured one (LIGHTSPEED_DOMAIN_PREFIX), the others
are added to lightspeed_stores with their tokens, as `store add` does.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

from sync.config import Settings
from sync.runs import utcnow
from sync.storage.sql.db import Engine
from sync.storage.sql.store_admin import add_store
from sync.storage.stores import StoreInfo

MAX_DEMO_STORES = 20
# The simulator's token of each store: {prefix} becomes the store's domain prefix.
STORE_TOKEN = "demo-token-{prefix}"  # noqa: S105 - accepted only by the local simulator
NAMED = (
    ("harbour", "Harbour Street"),
    ("uptown", "Uptown Mall"),
    ("lakeside", "Lakeside Outlet"),
    ("station", "Station Kiosk"),
    ("airport", "Airport Shop"),
)


def demo_stores(count: int) -> list[tuple[str, str]]:
    """(domain prefix, display name) of the demo's `count` stores."""
    if not 2 <= count <= MAX_DEMO_STORES:
        raise ValueError(f"--stores takes a number from 1 to {MAX_DEMO_STORES}, not {count}")
    extra = [(f"store{n}", f"Store {n}") for n in range(len(NAMED) + 1, count + 1)]
    return [*NAMED, *extra][:count]


def store_token(prefix: str) -> str:
    """The personal token the demo's simulator accepts from `prefix`."""
    return STORE_TOKEN.replace("{prefix}", prefix)


def database_path(demo_dir: Path, count: int) -> Path:
    """A database of its own per number of stores: a one-store demo's file stays as it was."""
    return demo_dir / f"lightspeed-{count}-stores.db"


def first_store_settings(settings: Settings, stores: list[tuple[str, str]]) -> Settings:
    """The demo settings with the first store configured (prefix, token, name)."""
    prefix, name = stores[0]
    return dataclasses.replace(
        settings,
        lightspeed_domain_prefix=prefix,
        lightspeed_token=store_token(prefix),
        store_name=name,
    )


def add_other_stores(engine: Engine, stores: list[tuple[str, str]]) -> None:
    """Every store after the first, with its token, as `store add` keeps them."""
    for prefix, name in stores[1:]:
        add_store(engine, StoreInfo(prefix, name, "token", None), store_token(prefix), now=utcnow())
