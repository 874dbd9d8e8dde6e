"""API keys limited to some stores (issue 27 §4): a key limited to beta cannot see acme's
rows, counts, health or alerts by any route, and cannot tell that acme exists; a key made
without --store still sees both. On SQLite and Postgres."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import insert, select

from sync.runs import utcnow
from sync.storage.schema import alert_incidents, sync_requests
from sync.storage.sql.api_keys import create_key
from tests.integration.test_api_stores import ACME, BETA, api
from tests.integration.test_two_stores import two_store_simulator

__all__ = ["api", "two_store_simulator"]  # the fixtures, used by name below

# Every GET that reads one store's data (path, extra query).
READS = (
    ("/api/sync-health/summary", {}),
    ("/api/sync-health/entities/customers", {}),
    ("/api/sync-health/dashboard-block", {}),
    ("/api/sync-health/incidents", {"status": "all"}),
    ("/api/sync-health/performance-history", {}),
    ("/api/sync-health/entities/sales/backfill/status", {}),
)


def open_incident(engine: Any, store: str) -> int:
    """One open alert incident of `store`, as the alert service writes it; its id."""
    now = utcnow()
    with engine.begin() as conn:
        return conn.execute(
            insert(alert_incidents)
            .values(
                store=store,
                rule="stale",
                entity="sales",
                status="open",
                severity="warning",
                title=f"Sales of {store} are stale",
                message="Last success 3 h ago.",
                since=now,
                opened_at=now,
                last_seen_at=now,
            )
            .returning(alert_incidents.c.id)
        ).scalar_one()


@pytest.fixture
def limited(api: Any) -> Any:
    """The API over acme and beta, an open incident in acme, and keys limited to beta."""
    running, engine, sim = api
    now = utcnow()
    _, read = create_key(engine, "beta-reader", admin=False, now=now, stores=[BETA])
    _, admin = create_key(engine, "beta-admin", admin=True, now=now, stores=[BETA])
    return running, engine, sim, read, admin, open_incident(engine, ACME)


def test_a_limited_key_reads_its_own_store_by_default(limited):
    running, _, sim, read, _, _ = limited
    body = running.get("/api/sync-health/summary", read).json()
    beta = running.get("/api/sync-health/summary", running.read_key, params={"store": BETA})
    assert body["health_score"] == beta.json()["health_score"]
    sales = body["entities"]["sales"]["records_total"]
    assert sales == len(sim.site(BETA).dump("sales"))
    assert body["overall_status"] == "CRITICAL"  # beta's sales are stale; acme is healthy
    assert running.get("/api/sync-health/incidents", read).json()["count"] == 0


def test_another_store_answers_exactly_like_an_unknown_store(limited):
    running, _, _, read, _, _ = limited
    for path, query in READS:
        hidden = running.get(path, read, params={**query, "store": ACME})
        unknown = running.get(path, read, params={**query, "store": "gamma"})
        assert hidden.status_code == unknown.status_code == 404, path
        assert hidden.json() == {"error": f"Unknown store {ACME!r}: use one of {BETA}."}, path
        assert unknown.json() == {"error": "Unknown store 'gamma': use one of beta."}, path
        assert ACME not in unknown.text
        mine = running.get(path, read, params={**query, "store": BETA})
        assert mine.status_code == 200, path
    estimate = running.get(
        "/api/sync-health/entities/sales/backfill/estimate",
        read,
        params={"store": ACME, "from": "2026-11-01", "to": "2026-11-02"},
    )
    assert estimate.status_code == 404


def test_the_stores_endpoint_lists_and_rolls_up_only_the_keys_stores(limited):
    running, engine, _, read, _, _ = limited
    body = running.get("/api/sync-health/stores", read).json()
    assert [s["store"] for s in body["stores"]] == [BETA]
    assert body["store_count"] == 1 and body["blocked_by"] == [BETA]
    assert ACME not in running.get("/api/sync-health/stores", read).text
    _, acme_only = create_key(engine, "acme-reader", admin=False, now=utcnow(), stores=[ACME])
    acme = running.get("/api/sync-health/stores", acme_only).json()
    assert [s["store"] for s in acme["stores"]] == [ACME]
    assert acme["overall_status"] == "HEALTHY" and acme["blocked_by"] == []
    everyone = running.get("/api/sync-health/stores", running.read_key).json()
    assert [s["store"] for s in everyone["stores"]] == [ACME, BETA]
    assert everyone["overall_status"] == "CRITICAL"


def test_a_limited_admin_key_changes_only_its_stores(limited):
    running, engine, _, _, admin, incident = limited
    refused = running.post(
        "/api/sync-health/sync-requests", admin, params={"store": ACME}, json={"entity": "all"}
    )
    assert refused.status_code == 404
    backfill = running.post(
        "/api/sync-health/entities/sales/backfill",
        admin,
        params={"store": ACME},
        json={"from": str(utcnow().date() - timedelta(days=2)), "to": str(utcnow().date())},
    )
    assert backfill.status_code == 404
    for query in ({"store": ACME}, {}):
        ack = running.post(
            f"/api/sync-health/incidents/{incident}/acknowledge", admin, params=query
        )
        assert ack.status_code == 404, query
    queued = running.post("/api/sync-health/sync-requests", admin, json={"entity": "all"})
    assert queued.status_code == 202
    with engine.connect() as conn:
        assert conn.execute(select(sync_requests.c.store)).scalars().all() == [BETA]
        acked = conn.scalar(
            select(alert_incidents.c.acknowledged_at).where(alert_incidents.c.id == incident)
        )
    assert acked is None
    # The unlimited admin key still reaches acme.
    ack = running.post(f"/api/sync-health/incidents/{incident}/acknowledge", running.admin_key)
    assert ack.status_code == 200


def test_metrics_serve_a_limited_key_only_its_stores_series(limited):
    running, _, _, read, _, _ = limited
    mine = running.get("/metrics", read)
    assert mine.status_code == 200
    assert f'store="{BETA}"' in mine.text and f'store="{ACME}"' not in mine.text
    everything = running.get("/metrics", running.read_key).text
    assert f'store="{BETA}"' in everything and f'store="{ACME}"' in everything


def test_a_key_limited_to_a_store_the_database_no_longer_holds_sees_nothing(api):
    running, engine, _ = api
    _, gone = create_key(engine, "gone", admin=False, now=utcnow(), stores=[BETA])
    from sqlalchemy import delete

    from sync.storage.schema import lightspeed_stores

    with engine.begin() as conn:
        conn.execute(delete(lightspeed_stores).where(lightspeed_stores.c.prefix == BETA))
    answer = running.get("/api/sync-health/summary", gone)
    assert answer.status_code == 403 and ACME not in answer.text
    assert running.get("/api/sync-health/stores", gone).json()["stores"] == []
