"""The read model of many stores in one go (sync.storage.sql.group_reads) reads exactly
what the one-store read model reads, store by store, on Postgres and SQLite."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import insert, update

from sync.config import load_settings
from sync.engine.runner import Runner
from sync.runs import utcnow
from sync.storage.backend import open_store
from sync.storage.schema import alert_incidents, reconciliations, sync_log
from sync.storage.sql.db import create_db_engine, migrate
from sync.storage.sql.group_reads import read_snapshots
from sync.storage.sql.reads import read_snapshot
from sync.storage.stores import StoreInfo
from tests.integration.test_store_readers import add_facts

STORES = ("acme", "beta", "gamma")


@pytest.fixture
def three_synced(db_url: str) -> Iterator[Any]:
    """Three stores synced from the simulator into one database, with the facts a sync alone
    leaves out: requests, reconciliations (one of yesterday's sales), open and resolved
    alerts, rejects, leases, heartbeats; beta's latest sales runs failed."""
    from sync.simulator import SimulatorConfig, SimulatorServer

    engine = create_db_engine(db_url)
    migrate(engine, StoreInfo("acme", "acme", "token", None))
    config = SimulatorConfig(seed=5, scale="tiny", token="dev-token-{prefix}")
    with SimulatorServer(config, stores=list(STORES)) as sim:
        for prefix in STORES:
            env = {
                "DATABASE_URL": db_url,
                "LIGHTSPEED_BASE_URL": sim.api_url,
                "LIGHTSPEED_DOMAIN_PREFIX": prefix,
                "LIGHTSPEED_TOKEN": f"dev-token-{prefix}",
                "LIGHTSPEED_TIMEOUT_SECONDS": "5",
            }
            settings = load_settings(env, env_file=None)
            store = open_store(settings)
            store.ensure_state_rows()
            for _ in range(2):
                assert all(r.status == "success" for r in Runner(settings, store).run())
    now = utcnow()
    if engine.dialect.name == "postgresql":  # (it leans on Postgres' column defaults)
        for prefix in STORES:
            add_facts(engine, prefix)
    with engine.begin() as conn:
        # More past runs than the model reads (its latest 50, its baselines' 20).
        conn.execute(
            insert(sync_log),
            [
                {
                    "store": prefix, "run_id": f"past-{prefix}-{n}", "entity_type": "customers",
                    "action": "incremental", "trigger": "schedule", "status": "success",
                    "started_at": now - timedelta(hours=n + 1),
                    "finished_at": now - timedelta(hours=n + 1) + timedelta(seconds=n % 7),
                    "duration_ms": 1000 * (n % 7) + i, "records_upserted": n,
                }
                for i, prefix in enumerate(STORES)
                for n in range(70)
            ],
        )  # fmt: skip
        conn.execute(
            update(sync_log)
            .where(sync_log.c.store == "beta", sync_log.c.entity_type == "sales")
            .values(status="failed", error_type="NETWORK")
        )
        conn.execute(
            insert(reconciliations).values(
                store="gamma", checked_at=now, entity_type="sales",
                scope=f"{(now - timedelta(days=1)).date()} outlet o1", run_id="rec-sales",
                status="mismatch", measure="records", source_value=10, db_value=9, difference=1,
            )
        )  # fmt: skip
        conn.execute(
            insert(alert_incidents).values(
                store="gamma", opened_at=now - timedelta(hours=2), last_seen_at=now,
                since=now - timedelta(hours=2), severity="warning", title="t", message="m",
                rule="sync_failed", entity="sales", status="resolved",
                resolved_at=now - timedelta(hours=1),
            )
        )  # fmt: skip
    yield engine
    engine.dispose()


def test_many_stores_read_in_one_go_equal_each_store_read_alone(three_synced):
    engine = three_synced
    zones = {"acme": None, "beta": "Pacific/Auckland", "gamma": "America/New_York"}
    now = utcnow()
    together = read_snapshots(engine, zones, now)
    assert list(together) == list(STORES)
    for prefix, zone in zones.items():
        alone = read_snapshot(engine, prefix, now, zone=zone)
        assert together[prefix] == alone, prefix
    # The facts differ between the stores, so equal snapshots are not all empty ones.
    beta, gamma = together["beta"], together["gamma"]
    assert beta.streaks["sales"].failed >= 2 and gamma.streaks["sales"].failed == 0
    assert gamma.resolved_30d == 1 and beta.resolved_30d == 0
    assert beta.zone == "Pacific/Auckland" and gamma.zone == "America/New_York"
    assert all(len(together[s].runs["customers"]) == 50 for s in STORES)
    assert all(len(together[s].baselines["customers"]) == 20 for s in STORES)
