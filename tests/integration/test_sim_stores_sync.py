"""The product picks one store of a several-store simulator through LIGHTSPEED_BASE_URL={prefix}."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import select

from sync.config import load_settings
from sync.engine.runner import Runner
from sync.storage.schema import ENTITY_TABLES
from sync.storage.sql.db import create_db_engine, migrate
from sync.storage.sql.store import Store
from tests.support.compare import diff_all


@pytest.fixture
def two_stores() -> Iterator[Any]:
    from sync.simulator import SimulatorConfig, SimulatorServer

    config = SimulatorConfig(seed=9, scale="tiny", token="tok-{prefix}")
    with SimulatorServer(config, stores=["acme", "beta"]) as sim:
        yield sim


def test_a_sync_copies_exactly_the_store_its_domain_prefix_names(two_stores, sqlite_url):
    sim = two_stores
    env = {
        "DATABASE_URL": sqlite_url,
        "LIGHTSPEED_BASE_URL": sim.api_url,  # http://127.0.0.1:PORT/{prefix}/api/2.0
        "LIGHTSPEED_DOMAIN_PREFIX": "beta",
        "LIGHTSPEED_TOKEN": "tok-beta",
        "LIGHTSPEED_TIMEOUT_SECONDS": "5",
    }
    engine = create_db_engine(sqlite_url)
    migrate(engine)
    store = Store(engine, prefix="beta")
    store.ensure_state_rows()
    Runner(load_settings(env, env_file=None), store).run()
    assert diff_all(engine, sim.site("beta"), store="beta") == []
    sales = ENTITY_TABLES["sales"]
    with engine.connect() as conn:
        copied = set(conn.execute(select(sales.c.id)).scalars())
    assert copied and not copied & {s["id"] for s in sim.site("acme").dump("sales")}
    assert sim.site("acme").stats()["total"] == 0
    engine.dispose()
