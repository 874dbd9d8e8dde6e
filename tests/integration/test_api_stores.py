"""The health API over two stores in one database: `?store=` on every endpoint and
GET /api/sync-health/stores, on SQLite and Postgres."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import insert, select, update

from sync.engine.runner import Runner
from sync.runs import utcnow
from sync.storage.backend import open_store
from sync.storage.schema import lightspeed_stores, sync_log, sync_requests, sync_state
from sync.storage.sql.db import create_db_engine, migrate
from sync.storage.stores import configured_store
from tests.integration.test_api_health import live_scheduler
from tests.integration.test_two_stores import STORES, settings_of, two_store_simulator
from tests.support.api_server import running_api

__all__ = ["two_store_simulator"]  # the fixture, used by name below

ACME, BETA = STORES


def make_stale(engine, store: str, entity: str, by: timedelta) -> None:
    """Move one store's entity back in time (its state and its runs)."""
    with engine.begin() as conn:
        state = conn.execute(
            select(sync_state).where(
                sync_state.c.store == store, sync_state.c.entity_type == entity
            )
        ).one()
        conn.execute(
            update(sync_state)
            .where(sync_state.c.store == store, sync_state.c.entity_type == entity)
            .values(
                last_sync_time=state.last_sync_time - by, last_attempt_at=state.last_attempt_at - by
            )
        )
        for row in conn.execute(
            select(sync_log).where(sync_log.c.store == store, sync_log.c.entity_type == entity)
        ):
            conn.execute(
                update(sync_log)
                .where(sync_log.c.id == row.id)
                .values(started_at=row.started_at - by, finished_at=row.finished_at - by)
            )


@pytest.fixture
def api(db_url: str, two_store_simulator: Any) -> Any:
    """Both stores synced into one database (beta's sales 3 days old); the API of acme's host."""
    sim = two_store_simulator
    settings = {p: settings_of(p, db_url, sim, {}) for p in STORES}
    engine = create_db_engine(db_url)
    migrate(engine, configured_store(settings[ACME]))
    with engine.begin() as conn:  # the second store, as `store add` records it
        conn.execute(
            insert(lightspeed_stores).values(
                prefix=BETA, name="Beta Ltd", connection="token", added_at=utcnow()
            )
        )
    for prefix in STORES:
        store = open_store(settings[prefix])
        store.ensure_state_rows()
        results = Runner(settings[prefix], store).run()
        assert {r.status for r in results} == {"success"}
    live_scheduler(open_store(settings[ACME]), settings[ACME])
    make_stale(engine, BETA, "sales", timedelta(days=3))
    with running_api(settings[ACME], engine) as running:
        yield running, engine, sim
    engine.dispose()


def test_every_read_takes_the_store_and_defaults_to_the_hosts(api):
    running, _, sim = api
    mine = running.get("/api/sync-health/summary", running.read_key).json()
    beta = running.get("/api/sync-health/summary", running.read_key, params={"store": BETA}).json()
    assert mine["overall_status"] == "HEALTHY" and mine["data_ready"] is True
    assert beta["overall_status"] == "CRITICAL" and beta["data_ready"] is False
    for prefix, body in ((ACME, mine), (BETA, beta)):
        sales = body["entities"]["sales"]
        assert sales["records_total"] == len(sim.site(prefix).dump("sales")), prefix
    block = running.get(
        "/api/sync-health/dashboard-block", running.read_key, params={"store": BETA}
    ).json()
    assert block["blocked"] is True and [r["entity"] for r in block["reasons"]] == ["sales"]
    entity = running.get(
        "/api/sync-health/entities/customers", running.read_key, params={"store": BETA}
    ).json()
    assert entity["records_total"] == len(sim.site(BETA).dump("customers"))
    history = running.get(
        "/api/sync-health/performance-history", running.read_key, params={"store": BETA}
    ).json()
    # Beta's sales runs are three days back: its last 24 h hold the other five entities.
    assert sum(b["runs"] for b in history["buckets"]) == 5


def test_an_unknown_store_is_404_and_a_missing_key_still_401(api):
    running, _, _ = api
    answer = running.get("/api/sync-health/summary", running.read_key, params={"store": "gamma"})
    assert answer.status_code == 404
    assert answer.json() == {"error": "Unknown store 'gamma': use one of acme, beta."}
    assert running.get("/api/sync-health/summary", params={"store": "gamma"}).status_code == 401


def test_the_stores_endpoint_rolls_the_group_up(api):
    running, engine, _ = api
    body = running.get("/api/sync-health/stores", running.read_key).json()
    assert [s["store"] for s in body["stores"]] == [ACME, BETA]
    acme, beta = body["stores"]
    assert beta["name"] == "Beta Ltd" and beta["enabled"] is True
    assert acme["overall_status"] == "HEALTHY" and beta["overall_status"] == "CRITICAL"
    assert beta["freshness_severity"] == "critical" and acme["freshness_severity"] == "ok"
    assert body["overall_status"] == "CRITICAL" and body["blocked_by"] == [BETA]
    assert body["lowest_score"] == beta["health_score"] < acme["health_score"]
    with engine.begin() as conn:
        conn.execute(
            update(lightspeed_stores)
            .where(lightspeed_stores.c.prefix == BETA)
            .values(enabled=False)
        )
    quiet = running.get("/api/sync-health/stores", running.read_key).json()
    assert quiet["overall_status"] == "HEALTHY" and quiet["blocked_by"] == []
    assert quiet["stores"][1] == {"store": BETA, "name": "Beta Ltd", "enabled": False}


def test_a_sync_request_and_a_backfill_are_queued_for_the_store_named(api):
    running, engine, _ = api
    queued = running.post(
        "/api/sync-health/sync-requests",
        running.admin_key,
        params={"store": BETA},
        json={"entity": "sales", "reason": "month end"},
    )
    assert queued.status_code == 202
    today = utcnow().date()
    backfill = running.post(
        "/api/sync-health/entities/sales/backfill",
        running.admin_key,
        params={"store": BETA},
        json={"from": str(today - timedelta(days=3)), "to": str(today - timedelta(days=1))},
    )
    assert backfill.status_code == 202, backfill.text
    with engine.connect() as conn:
        rows = conn.execute(select(sync_requests.c.store, sync_requests.c.entity_type)).all()
    assert sorted(rows) == [(BETA, "sales"), (BETA, "sales")]
    status = running.get(
        "/api/sync-health/entities/sales/backfill/status",
        running.read_key,
        params={"store": BETA},
    ).json()
    assert status["backfill"] is not None
    mine = running.get("/api/sync-health/entities/sales/backfill/status", running.read_key)
    assert mine.json()["backfill"] is None


def test_each_store_s_days_follow_its_own_zone(api):
    """STORE_TIME_ZONE is the API host's store's; another store's days follow the zone
    recorded with it, for a backfill's estimate as for its summary."""
    running, engine, _ = api
    with engine.begin() as conn:
        conn.execute(
            update(lightspeed_stores)
            .where(lightspeed_stores.c.prefix == BETA)
            .values(time_zone="Pacific/Kiritimati")
        )
    day = str(utcnow().date() - timedelta(days=2))

    def estimate_zone(**params: str) -> str:
        answer = running.get(
            "/api/sync-health/entities/sales/backfill/estimate",
            running.read_key,
            params={"from": day, "to": day, **params},
        )
        assert answer.status_code == 200, answer.text
        return answer.json()["time_zone"]

    assert estimate_zone(store=BETA) == "Pacific/Kiritimati"
    assert estimate_zone() != "Pacific/Kiritimati"
