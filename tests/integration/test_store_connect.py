"""`connect --store PREFIX`: a second store of the database connected as an app (issue 27)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import requests

from sync.storage.sql.db import create_db_engine, migrate
from sync.storage.sql.store_admin import find_store
from sync.storage.sql.tokens import SqlTokenStore
from sync.storage.stores import StoreInfo
from tests.integration.test_cli_connect import approve, authorize_url, start_connect
from tests.support.oauth_app import CLIENT_ID, CLIENT_SECRET, app_env


@pytest.fixture
def two_store_app_sim() -> Iterator[Any]:
    from sync.simulator import SimulatorConfig, SimulatorServer

    config = SimulatorConfig(
        seed=3,
        scale="tiny",
        token="dev-token-{prefix}",
        oauth_client_id=CLIENT_ID,
        oauth_client_secret=CLIENT_SECRET,
    )
    with SimulatorServer(config, stores=["acme", "beta"]) as sim:
        yield sim


def test_connect_store_keeps_that_stores_app_tokens_and_marks_it_an_app(
    sqlite_url, two_store_app_sim
):
    sim = two_store_app_sim
    engine = create_db_engine(sqlite_url)
    migrate(engine, StoreInfo("acme", "Acme", "token", None))
    env = app_env(
        sqlite_url,
        sim,
        LIGHTSPEED_DOMAIN_PREFIX="acme",
        LIGHTSPEED_AUTHORIZE_URL=f"{sim.url}/beta/connect",
    )
    process = start_connect(env, "--port", "0", "--store", "beta")
    assert requests.get(approve(authorize_url(process)), timeout=5).status_code == 200
    out, err = process.communicate(timeout=20)
    try:
        assert process.returncode == 0, out + err
        assert "Connected to store beta as an app" in out
        assert SqlTokenStore(engine, store="beta").load() is not None
        assert SqlTokenStore(engine, store="acme").load() is None
        row = find_store(engine, "beta")
        assert row is not None and row.connection == "app" and row.enabled
    finally:
        engine.dispose()
