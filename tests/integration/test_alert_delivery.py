"""Alerts end to end: simulator faults → scheduler runs → real SMTP and webhook receivers."""

from __future__ import annotations

import threading

from sqlalchemy import select

from sync.alerts import open_incidents
from sync.config import SYNCED_ENTITIES
from sync.runs import utcnow
from sync.service.plan import JobSpec
from sync.service.scheduler import SchedulerService
from sync.storage.schema import alert_incidents, alert_notifications
from sync.storage.sql.queue import request_sync
from tests.support.processes import wait_for

EVERY_ENTITY = JobSpec("incremental: all", SYNCED_ENTITIES, minutes=60)
QUIET = {"NIGHTLY_FULL_TIME": "off", "SYNC_INTERVAL_MINUTES": "600"}


def notifications(engine) -> list:
    with engine.connect() as conn:
        return conn.execute(select(alert_notifications).order_by(alert_notifications.c.id)).all()


def test_a_refused_token_sends_one_critical_email_and_one_webhook_then_one_resolved(
    store, simulator, settings_for, db_url, smtp, webhook
):
    settings = settings_for(
        db_url,
        simulator.api_url,
        **QUIET,
        ALERT_URLS=smtp.url(),
        ALERT_URLS_CRITICAL=f"{smtp.url()} {webhook.url()}",
    )
    service = SchedulerService(settings, store)
    simulator.set_faults(auth_fail=True)
    service.run_job(EVERY_ENTITY)

    assert len(smtp.messages) == 1 and len(webhook.posts) == 1
    subject, body = smtp.texts()[0]
    assert subject.startswith("[CRITICAL]")
    for text in (body, webhook.posts[0][1]["message"]):
        assert "Entity: customers, outlets, products, sales, inventory" in text
        assert "Error class: AUTH" in text
        assert "LIGHTSPEED_TOKEN" in text  # the recovery suggestion
    assert webhook.posts[0][0] == "/hooks/alerts" and webhook.posts[0][1]["type"] == "failure"
    opened = open_incidents(store.engine, store.prefix)
    assert {(i.rule, i.entity, i.severity) for i in opened} == {
        ("sync_failed", e, "critical") for e in SYNCED_ENTITIES
    }

    for _ in range(5):
        service.run_job(EVERY_ENTITY)
    assert len(smtp.messages) == 1 and len(webhook.posts) == 1
    assert {i.occurrences for i in open_incidents(store.engine, store.prefix)} == {6}

    simulator.set_faults(auth_fail=False)
    service.run_job(EVERY_ENTITY)
    assert len(smtp.messages) == 2 and len(webhook.posts) == 2
    subject, body = smtp.texts()[1]
    assert subject.startswith("[RESOLVED]") and "has recovered" in body and "lasted" in body
    assert webhook.posts[1][1]["type"] == "success"
    assert open_incidents(store.engine, store.prefix) == []
    kinds = [(n.kind, n.status) for n in notifications(store.engine)]
    assert kinds == [("open", "sent")] * 10 + [("resolved", "sent")] * 10


def test_a_refusing_mail_server_is_recorded_retried_and_never_stops_the_scheduler(
    store, simulator, settings_for, db_url, smtp, webhook
):
    smtp.refuse = True
    settings = settings_for(
        db_url,
        simulator.api_url,
        **QUIET,
        ALERT_URLS=f"{smtp.url()} {webhook.url()}",
        SCHEDULER_POLL_SECONDS="0.2",
        HEARTBEAT_SECONDS="1",
    )
    simulator.set_faults(auth_fail=True)
    service = SchedulerService(settings, store)
    thread = threading.Thread(target=service.run_forever, daemon=True)
    thread.start()
    try:
        wait_for(lambda: len(webhook.posts) == 1, 30, "the webhook alert")
        wait_for(
            lambda: any(n.status == "failed" for n in notifications(store.engine)), 10, "a failure"
        )
        failed = [n for n in notifications(store.engine) if n.status == "failed"]
        assert failed[0].channel.startswith("mailto://127.0.0.1") and failed[0].kind == "open"
        assert "failed" in failed[0].error

        # The next evaluation (here: after a run-now request) retries the mail only.
        smtp.refuse = False
        request_sync(
            store.engine, store.prefix, "outlets", requested_by="cfo", reason=None, now=utcnow()
        )
        wait_for(lambda: len(smtp.messages) == 1, 30, "the retried mail")
        assert len(webhook.posts) == 1
        assert "Error class: AUTH" in smtp.texts()[0][1]

        # The scheduler kept serving: a fixed token syncs and resolves everything.
        simulator.set_faults(auth_fail=False)
        request_sync(
            store.engine, store.prefix, "all", requested_by="cfo", reason=None, now=utcnow()
        )
        wait_for(lambda: len(webhook.posts) == 2, 60, "the resolved message")
    finally:
        service.stop.set()
        thread.join(timeout=15)
    assert not thread.is_alive()
    with store.engine.connect() as conn:
        assert (
            conn.scalar(select(alert_incidents.c.id).where(alert_incidents.c.status == "open"))
            is None
        )
    statuses = [(n.kind, n.status) for n in notifications(store.engine) if "mailto" in n.channel]
    assert statuses[0] == ("open", "failed") and ("open", "sent") in statuses
    assert statuses[-1] == ("resolved", "sent")
