"""Backfills, sync requests and acknowledgements through the API: the dashboard's rules.

A queued backfill is run by the real scheduler, and the alert channel hears when it ends.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from sync.engine.runner import Runner
from sync.service.scheduler import SchedulerService
from sync.storage.schema import alert_incidents, alert_notifications, sync_requests
from sync.storage.sql.api_keys import check_key
from tests.support.api_server import running_api

TODAY = datetime.now(UTC).date()


@pytest.fixture
def api(store, simulator, settings_for, db_url):
    settings = settings_for(db_url, simulator.api_url)
    with running_api(settings, store.engine) as served:
        yield served


def test_a_backfill_over_90_days_is_refused_and_nothing_is_queued(api, store):
    body = {"from": str(TODAY - timedelta(days=90)), "to": str(TODAY)}
    refused = api.post("/api/sync-health/entities/sales/backfill", api.admin_key, json=body)
    assert refused.status_code == 400
    assert "91 days" in refused.json()["error"] and "at most 90" in refused.json()["error"]
    estimate = api.get(
        "/api/sync-health/entities/sales/backfill/estimate",
        api.read_key,
        params={"from": body["from"], "to": body["to"]},
    )
    assert estimate.status_code == 400
    with store.engine.connect() as conn:
        assert conn.execute(select(sync_requests)).all() == []


def test_a_second_open_backfill_of_an_entity_is_refused(api, store):
    path = "/api/sync-health/entities/sales/backfill"
    first = {"from": str(TODAY - timedelta(days=10)), "to": str(TODAY - timedelta(days=5))}
    queued = api.post(path, api.admin_key, json=first)
    assert queued.status_code == 202, queued.text
    assert queued.json()["merged"] is False
    same = api.post(path, api.admin_key, json=first)
    assert same.status_code == 202 and same.json()["request_id"] == queued.json()["request_id"]
    other = {"from": str(TODAY - timedelta(days=3)), "to": str(TODAY)}
    refused = api.post(path, api.admin_key, json=other)
    assert refused.status_code == 409 and "already queued or running" in refused.json()["error"]
    assert api.post(path, api.read_key, json=other).status_code == 403
    with store.engine.connect() as conn:
        rows = conn.execute(select(sync_requests)).all()
    assert len(rows) == 1
    admin = check_key(store.engine, api.admin_key)
    assert rows[0].requested_by == admin.name and rows[0].action == "backfill"
    status = api.get("/api/sync-health/entities/sales/backfill/status", api.read_key).json()
    assert status["backfill"]["status"] == "queued"
    assert status["backfill"]["requested_by"] == admin.name


def test_unknown_entities_and_bad_input_get_one_sentence(api):
    for path in (
        "/api/sync-health/entities/payroll/backfill/status",
        "/api/sync-health/entities/payroll/backfill/estimate?from=2026-01-01&to=2026-01-02",
    ):
        answer = api.get(path, api.read_key)
        assert answer.status_code == 404 and "payroll" in answer.json()["error"]
    bad = api.post(
        "/api/sync-health/entities/sales/backfill", api.admin_key, json={"from": "yesterday"}
    )
    assert bad.status_code == 422 and bad.json()["error"].startswith("Bad request")
    assert "Traceback" not in bad.text
    unknown = api.post("/api/sync-health/sync-requests", api.admin_key, json={"entity": "payroll"})
    assert unknown.status_code == 400 and "payroll" in unknown.json()["error"]


def test_an_estimate_comes_from_the_copy(api, store, simulator, settings_for, db_url):
    Runner(settings_for(db_url, simulator.api_url), store).run(entities=["sales"])
    sales = simulator.dump("sales")
    days = sorted(datetime.fromisoformat(s["sale_date"]).astimezone(UTC).date() for s in sales)
    answer = api.get(
        "/api/sync-health/entities/sales/backfill/estimate",
        api.read_key,
        params={"from": str(days[0]), "to": str(days[0] + timedelta(days=30))},
    )
    assert answer.status_code == 200, answer.text
    body = answer.json()
    expected = sum(1 for d in days if d <= days[0] + timedelta(days=30))
    assert body["records"] == expected and body["api_calls"] >= 31
    assert body["summary"].startswith("sales: about")


def test_a_backfill_queued_through_the_api_runs_and_the_channel_hears_it_ended(
    store, simulator, settings_for, db_url, webhook
):
    settings = settings_for(db_url, simulator.api_url, ALERT_URLS=webhook.url())
    Runner(settings, store).run()
    first = min(datetime.fromisoformat(s["sale_date"]).date() for s in simulator.dump("sales"))
    with running_api(settings, store.engine) as api:
        queued = api.post(
            "/api/sync-health/entities/sales/backfill",
            api.admin_key,
            json={"from": str(first), "to": str(first + timedelta(days=2))},
        )
        assert queued.status_code == 202, queued.text
        name = check_key(store.engine, api.admin_key).name
        scheduler = SchedulerService(settings, store, sync_on_start=False)
        assert scheduler.process_request()
        status = api.get("/api/sync-health/entities/sales/backfill/status", api.read_key)
    backfill = status.json()["backfill"]
    assert backfill["status"] == "done" and backfill["requested_by"] == name
    assert {r["entity"] for r in backfill["runs"]} >= {"sales"}
    ended = [body for _, body, _ in webhook.posts if "Backfill" in body["title"]]
    assert len(ended) == 1 and ended[0]["type"] == "success"
    assert "sales" in ended[0]["title"] and name in ended[0]["message"]
    with store.engine.connect() as conn:
        kinds = conn.scalars(select(alert_notifications.c.kind)).all()
    assert "backfill" in kinds


def test_an_admin_key_acknowledges_an_open_incident(api, store):
    # An incident as the alert service opens one (sync.alerts.incidents).
    with store.engine.begin() as conn:
        now = datetime.now(UTC)
        incident_id = conn.execute(
            alert_incidents.insert()
            .values(
                store="default",
                rule="sync_failed",
                entity="sales",
                status="open",
                severity="error",
                title="Sales sync failed",
                message="The latest run failed.",
                since=now,
                opened_at=now,
                last_seen_at=now,
            )
            .returning(alert_incidents.c.id)
        ).scalar_one()
    listed = api.get("/api/sync-health/incidents", api.read_key).json()
    assert [i["id"] for i in listed["incidents"]] == [incident_id]
    path = f"/api/sync-health/incidents/{incident_id}/acknowledge"
    assert api.post(path, api.read_key).status_code == 403
    done = api.post(path, api.admin_key, json={"note": "on it"})
    assert done.status_code == 200, done.text
    name = check_key(store.engine, api.admin_key).name
    with store.engine.connect() as conn:
        row = conn.execute(select(alert_incidents)).one()
    assert row.acknowledged_by == name and row.ack_note == "on it"
    assert (
        api.post("/api/sync-health/incidents/999999/acknowledge", api.admin_key).status_code == 404
    )
