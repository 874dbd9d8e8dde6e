"""Incidents on SQLite, Postgres and the Supabase REST API: open, count, escalate, repeat,
acknowledge, snooze, resolve. Rows are arranged and checked through the database itself."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import insert, select, update

from sync.alerts import AlertService, acknowledge, get_incident, open_incidents, snooze
from sync.config import load_settings
from sync.storage.schema import (
    ENTITY_TABLES,
    alert_notifications,
    scheduler_heartbeat,
    sync_log,
    sync_state,
)
from tests.support.clock import Clock

START = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)


@pytest.fixture
def clock() -> Clock:
    return Clock(START)


@pytest.fixture
def store(every_store):
    """Every backend's store (`.engine` reaches the database, also behind REST)."""
    return every_store


@pytest.fixture
def db_url(every_db_url):
    return every_db_url


@pytest.fixture
def alerts(store, db_url, webhook, clock):
    """An AlertService sending every severity to the webhook receiver."""

    def make(**env: str) -> AlertService:
        settings = load_settings(
            {"DATABASE_URL": db_url, "ALERT_URLS": webhook.url(), **env}, env_file=None
        )
        return AlertService(settings, store, clock=clock)

    return make


def log_run(engine, clock, entity="sales", status="failed", kind="NETWORK", **extra) -> None:
    """A finished run in sync_log (and sync_state on success), as the runner writes them."""
    values = {
        "run_id": f"run-{clock.now.isoformat()}",
        "entity_type": entity,
        "action": "incremental",
        "trigger": "schedule",
        "status": status,
        "started_at": clock.now - timedelta(seconds=20),
        "finished_at": clock.now,
        "duration_ms": 20_000,
        "records_upserted": 5,
        "version_from": 100,
        "error_type": kind if status == "failed" else None,
        "error_details": "Connection reset — Check the network." if status == "failed" else None,
        **extra,
    }
    with engine.begin() as conn:
        conn.execute(insert(sync_log).values(store="default", **values))
        if status == "success":
            conn.execute(
                update(sync_state)
                .where(sync_state.c.entity_type == entity)
                .values(status="success", last_sync_time=clock.now)
            )


def healthy(engine, clock) -> None:
    for entity in ("customers", "outlets", "products", "sales", "inventory"):
        log_run(engine, clock, entity, "success")


def titles(webhook) -> list[str]:
    return [body["title"] for _, body, _ in webhook.posts]


def test_it_opens_one_incident_and_counts_each_new_failure_once(store, alerts, clock, webhook):
    service = alerts()
    healthy(store.engine, clock)
    log_run(store.engine, clock)
    service.evaluate()
    service.evaluate()
    clock.advance(minutes=5)
    log_run(store.engine, clock)
    service.evaluate()
    [incident] = open_incidents(store.engine, store.prefix)
    assert (incident.rule, incident.entity, incident.severity) == (
        "sync_failed",
        "sales",
        "warning",
    )
    assert incident.occurrences == 2 and incident.error_type == "NETWORK"
    assert incident.recovery == "Check the network."
    assert titles(webhook) == ["[WARNING] sales: sync failed (NETWORK) · Lightspeed store"]


def test_it_escalates_at_once_when_failures_reach_the_limit(store, alerts, clock, webhook):
    service = alerts()
    healthy(store.engine, clock)
    for _ in range(3):
        clock.advance(minutes=1)
        log_run(store.engine, clock)
        service.evaluate()
    assert [t.split(" · ")[0] for t in titles(webhook)] == [
        "[WARNING] sales: sync failed (NETWORK)",
        "[CRITICAL] worse now: sales: sync failed (NETWORK)",
    ]
    assert "3 failed runs in a row" in webhook.posts[1][1]["message"]
    assert open_incidents(store.engine, store.prefix)[0].severity == "critical"


def test_it_repeats_after_the_cooldown_unless_acknowledged(store, alerts, clock, webhook):
    service = alerts(ALERT_COOLDOWN_MINUTES="60", ALERT_DISABLED="stale")
    log_run(store.engine, clock, "outlets", "success")
    log_run(store.engine, clock, kind="API")
    service.evaluate()
    clock.advance(minutes=59)
    service.evaluate()
    assert len(webhook.posts) == 1
    clock.advance(minutes=1)
    service.evaluate()
    assert titles(webhook)[1].startswith("[ERROR] still open: sales: sync failed (API)")

    [incident] = [i for i in open_incidents(store.engine, store.prefix) if i.rule == "sync_failed"]
    assert acknowledge(
        store.engine, store.prefix, incident.id, "cfo", "token renewed tomorrow", clock.now
    )
    clock.advance(hours=5)
    service.evaluate()
    assert len(webhook.posts) == 2
    acked = get_incident(store.engine, store.prefix, incident.id)
    assert (acked.acknowledged_by, acked.ack_note) == ("cfo", "token renewed tomorrow")


def test_a_snoozed_incident_is_silent_until_the_snooze_ends(store, alerts, clock, webhook):
    service = alerts(ALERT_COOLDOWN_MINUTES="30", ALERT_DISABLED="stale")
    healthy(store.engine, clock)
    log_run(store.engine, clock)
    service.evaluate()
    [incident] = open_incidents(store.engine, store.prefix)
    assert snooze(
        store.engine, store.prefix, incident.id, clock.now + timedelta(hours=2), "cfo", clock.now
    )
    for _ in range(3):  # the streak escalates, and the cooldown passes: still silent
        clock.advance(minutes=35)
        log_run(store.engine, clock)
        service.evaluate()
    assert len(webhook.posts) == 1
    clock.advance(minutes=20)
    service.evaluate()
    assert titles(webhook)[1].startswith("[CRITICAL] worse now:")
    with pytest.raises(ValueError):
        snooze(store.engine, store.prefix, incident.id, clock.now, "cfo", clock.now)


def test_it_resolves_with_one_message_saying_how_long_it_lasted(store, alerts, clock, webhook):
    service = alerts()
    healthy(store.engine, clock)
    log_run(store.engine, clock, kind="TIMEOUT")
    service.evaluate()
    clock.advance(minutes=75)
    log_run(store.engine, clock, "sales", "success")
    service.evaluate()
    service.evaluate()
    assert len(webhook.posts) == 2
    body = webhook.posts[1][1]
    assert body["type"] == "success" and body["title"].startswith("[RESOLVED]")
    assert "lasted 1 h 15 min" in body["message"]
    assert open_incidents(store.engine, store.prefix) == []
    assert not acknowledge(
        store.engine, store.prefix, 1, "cfo", None, clock.now
    )  # closed: nothing to ack


def test_warnings_go_to_email_only_and_critical_to_email_and_webhook(
    store, alerts, clock, webhook, smtp
):
    service = alerts(ALERT_URLS=smtp.url(), ALERT_URLS_CRITICAL=f"{smtp.url()} {webhook.url()}")
    healthy(store.engine, clock)
    log_run(store.engine, clock, "products", kind="RATE_LIMIT")
    service.evaluate()
    assert len(smtp.messages) == 1 and webhook.posts == []
    log_run(store.engine, clock, "inventory", kind="AUTH")
    service.evaluate()
    assert len(smtp.messages) == 2 and len(webhook.posts) == 1
    assert (
        "inventory" in webhook.posts[0][1]["title"]
        and "products" not in webhook.posts[0][1]["title"]
    )


def test_stale_data_and_a_dead_scheduler_are_found_from_the_database(store, alerts, clock):
    service = alerts(HEARTBEAT_SECONDS="30")
    healthy(store.engine, clock)
    with store.engine.begin() as conn:
        conn.execute(
            insert(scheduler_heartbeat).values(
                instance_id="h:1:x",
                host="h",
                pid=1,
                started_at=clock.now,
                last_beat_at=clock.now,
                activity={"state": "idle"},
            )
        )
    clock.advance(seconds=90)
    service.evaluate()
    assert open_incidents(store.engine, store.prefix) == []
    clock.advance(hours=3)
    service.evaluate()
    found = {(i.rule, i.entity, i.severity) for i in open_incidents(store.engine, store.prefix)}
    assert ("scheduler_down", "scheduler", "critical") in found
    assert ("stale", "sales", "warning") in found and len(found) == 6


def test_slow_runs_and_empty_sales_hours_are_found_from_the_database(store, alerts, clock):
    service = alerts()
    sales = ENTITY_TABLES["sales"]
    with store.engine.begin() as conn:
        for week in (1, 2, 3):  # the same weekday and hour sold in 3 of the last 4 weeks
            conn.execute(
                insert(sales).values(
                    store=store.prefix,
                    id=f"s{week}",
                    version=week,
                    sale_date=clock.now - timedelta(weeks=week, minutes=30),
                    raw={},
                    synced_at=clock.now,
                )
            )
    for _ in range(20):
        clock.advance(minutes=1)
        healthy(store.engine, clock)
    clock.advance(minutes=5)
    log_run(store.engine, clock, "products", "success", duration_ms=31 * 60_000)
    log_run(store.engine, clock, "sales", "success", records_upserted=0)
    service.evaluate()
    found = {(i.rule, i.entity) for i in open_incidents(store.engine, store.prefix)}
    assert found == {("slow_run", "products"), ("empty_success", "sales")}


def test_a_daily_digest_is_sent_once_at_its_time(store, alerts, clock, webhook):
    local = clock.now.astimezone()
    service = alerts(ALERT_DIGEST_TIME=f"{local:%H:%M}")
    healthy(store.engine, clock)
    clock.advance(minutes=1)
    service.evaluate()
    clock.advance(minutes=1)
    service.evaluate()
    assert titles(webhook) == [
        "Daily alert digest · Lightspeed store: 0 open incident(s), 0 resolved in 24 h"
    ]
    with store.engine.connect() as conn:
        kinds = conn.execute(select(alert_notifications.c.kind, alert_notifications.c.status)).all()
    assert kinds == [("digest", "sent")]


def test_the_digest_runs_on_the_store_clock_and_says_its_zone(store, alerts, clock, webhook):
    """08:00 means 08:00 at the store (Auckland, UTC+13 in November), not on the server."""
    auckland = clock.now.astimezone(ZoneInfo("Pacific/Auckland"))
    service = alerts(ALERT_DIGEST_TIME=f"{auckland:%H:%M}", STORE_TIME_ZONE="Pacific/Auckland")
    healthy(store.engine, clock)
    clock.advance(minutes=1)
    service.evaluate()
    [(_, body, _)] = webhook.posts
    assert body["title"].startswith("Daily alert digest")
    sent = auckland + timedelta(minutes=1)
    assert f"Daily digest at {sent:%Y-%m-%d %H:%M} NZDT." in body["message"]


def test_a_run_above_the_memory_limit_opens_a_memory_warning(store, alerts, clock, webhook):
    service = alerts(ALERT_MEMORY_MB="256")
    healthy(store.engine, clock)
    clock.advance(minutes=1)
    log_run(store.engine, clock, "inventory", "success", peak_rss_bytes=300 * 2**20)
    service.evaluate()
    [incident] = open_incidents(store.engine, store.prefix)
    assert (incident.rule, incident.entity, incident.severity) == ("memory", "inventory", "warning")
    assert "300 MB" in incident.message and "limit 256 MB" in incident.message
    assert titles(webhook) == ["[WARNING] inventory: sync used too much memory · Lightspeed store"]
    clock.advance(minutes=1)
    log_run(store.engine, clock, "inventory", "success", peak_rss_bytes=100 * 2**20)
    service.evaluate()
    assert open_incidents(store.engine, store.prefix) == []
