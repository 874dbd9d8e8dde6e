"""Status page in a CFO's words: the score's reasons, the SLA said once, a reconcile button."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from sync import dashboard
from sync.storage.schema import sync_requests
from tests.app.conftest import heartbeat, log_in, set_state, texts

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)


@pytest.fixture
def fresh(app_db, monkeypatch):
    """Every entity synced 5 minutes ago, a live scheduler, no reconciliation yet."""
    monkeypatch.setattr(dashboard.runtime, "clock", lambda: NOW)
    monkeypatch.setenv("STORE_TIME_ZONE", "Europe/Paris")
    for entity in dashboard.ENTITY_LABELS:
        set_state(app_db, entity, status="success", last_sync_time=NOW - timedelta(minutes=5))
    heartbeat(app_db, NOW - timedelta(seconds=10))
    return app_db


def test_it_says_why_the_score_is_under_100_and_when_the_nightly_check_runs(fresh, framed_app):
    at = log_in(framed_app().run())
    shown = texts(at)
    assert (
        "**Health score 92/100** · \u22128: no reconciliation yet, it runs tonight at 02:00 CET."
        in shown
    )


def test_it_says_the_freshness_sla_once_not_on_every_tile(fresh, framed_app):
    at = log_in(framed_app().run())
    captions = [c.value for c in at.main.caption]
    assert sum("SLA" in c for c in captions) == 1
    assert any(c.startswith("Freshness SLA: 2 h for every entity") for c in captions)
    assert sum(c == "Freshness: **on time**" for c in captions) == 6


def test_the_reconcile_button_queues_one_reconciliation(fresh, framed_app):
    at = log_in(framed_app().run())
    assert "runs by itself every night" in texts(at) and "tonight at 02:00 CET" in texts(at)
    assert "python -m sync reconcile" not in texts(at)
    at.button(key="reconcile-now").click().run()
    with fresh.engine.connect() as conn:
        rows = conn.execute(select(sync_requests)).all()
    assert [(r.action, r.entity_type, r.requested_by, r.status) for r in rows] == [
        ("reconcile", "all", "cfo", "queued")
    ]
    assert at.button(key="reconcile-now").disabled
    assert f"Reconciliation #{rows[0].id} is queued" in texts(at)
