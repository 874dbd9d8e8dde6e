"""Alerts page: open incidents with acknowledge/snooze, incident history, notifications."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import insert, select

from sync.alerts import AlertService, get_incident, open_incidents
from sync.config import load_settings
from sync.storage.schema import alert_incidents, alert_notifications
from tests.app.conftest import add_run, log_in, texts


def open_alerts(framed_app):
    at = log_in(framed_app().run())
    at.switch_page("pages/alerts.py").run()
    assert not at.exception
    return at


def failing_sales(store) -> list:
    """Failed sales runs, then the real alert evaluation (no channels configured)."""
    now = datetime.now(UTC)
    for minutes in (30, 20, 10):
        add_run(
            store,
            "sales",
            "failed",
            now - timedelta(minutes=minutes),
            error_type="NETWORK",
            error_details="Connection reset",
        )
    settings = load_settings({"DATABASE_URL": str(store.engine.url)}, env_file=None)
    AlertService(settings, store).evaluate()
    incidents = open_incidents(store.engine, store.prefix)
    assert incidents, "the failed runs should open an incident"
    return incidents


def old_incident(store, **values) -> int:
    now = datetime.now(UTC)
    row = {
        "rule": "stale",
        "entity": "products",
        "status": "resolved",
        "severity": "warning",
        "title": "Products: data is stale",
        "message": "<b>not html</b> products are 3 h old",
        "since": now - timedelta(days=2),
        "opened_at": now - timedelta(days=2),
        "last_seen_at": now - timedelta(days=2),
        "resolved_at": now - timedelta(days=1),
        "occurrences": 1,
        **values,
    }
    with store.engine.begin() as conn:
        return int(
            conn.execute(
                insert(alert_incidents).values(store="default", **row)
            ).inserted_primary_key[0]
        )


def test_open_incidents_are_listed_with_their_details(app_db, framed_app):
    [incident, *_] = failing_sales(app_db)
    at = open_alerts(framed_app)
    shown = texts(at)
    assert f"Open incidents ({len(open_incidents(app_db.engine, app_db.prefix))})" in shown
    assert "sync failed" in shown and "Sales" in shown
    plain = "\n".join(t.value for t in at.text)
    assert f"Last message: {incident.message}" in plain
    assert "Not acknowledged" in plain
    assert at.button(key=f"ack-{incident.id}")
    assert at.button(key=f"snooze-{incident.id}")


def test_acknowledge_records_the_user_and_note(app_db, framed_app):
    [incident, *_] = failing_sales(app_db)
    at = open_alerts(framed_app)
    at.text_input(key=f"ack-note-{incident.id}").input("looking into it")
    at.button(key=f"ack-{incident.id}").click().run()
    assert not at.exception
    after = get_incident(app_db.engine, app_db.prefix, incident.id)
    assert after.acknowledged_by == "cfo" and after.ack_note == "looking into it"
    assert after.acknowledged_at is not None
    assert any("Acknowledged by cfo" in t.value for t in at.text)
    assert at.button(key=f"ack-{incident.id}").disabled


def test_snooze_for_four_hours(app_db, framed_app):
    [incident, *_] = failing_sales(app_db)
    at = open_alerts(framed_app)
    at.selectbox(key=f"snooze-until-{incident.id}").select("4 hours")
    before = datetime.now(UTC)
    at.button(key=f"snooze-{incident.id}").click().run()
    assert not at.exception
    after = get_incident(app_db.engine, app_db.prefix, incident.id)
    assert after.snoozed_by == "cfo"
    assert before + timedelta(hours=4) - timedelta(minutes=1) < after.snoozed_until
    assert after.snoozed_until < before + timedelta(hours=4, minutes=1)
    assert any("Snoozed until" in t.value for t in at.text)


def test_history_filters_and_notifications(app_db, framed_app):
    failing_sales(app_db)
    old = old_incident(app_db)
    ancient = old_incident(app_db, opened_at=datetime.now(UTC) - timedelta(days=30))
    with app_db.engine.begin() as conn:
        conn.execute(
            insert(alert_notifications).values(
                incident_id=old,
                kind="open",
                severity="warning",
                channel="json://127.0.0.1:8766/wh0okT0ken9876543",  # stored before 0007
                status="failed",
                error="connection refused",
                title="Products: data is stale",
                attempted_at=datetime.now(UTC) - timedelta(days=2),
            )
        )
    at = open_alerts(framed_app)
    history = at.dataframe[0].value
    assert old in list(history["#"]) and ancient not in list(history["#"])
    assert "<b>not html</b> products are 3 h old" in list(history["Message"])
    sent = at.dataframe[1].value
    assert list(sent["Channel"]) == ["json://127.0.0.1:8766/***"]
    assert list(sent["Error"]) == ["connection refused"]

    at.multiselect(key="alerts-status").select("resolved").run()
    assert list(at.dataframe[0].value["#"]) == [old]
    at.multiselect(key="alerts-severity").select("critical").run()
    assert "No incidents match these filters." in texts(at)


def test_no_open_incidents(app_db, framed_app):
    at = open_alerts(framed_app)
    assert "No open incidents" in texts(at)
    with app_db.engine.connect() as conn:
        assert conn.execute(select(alert_incidents)).all() == []


def test_status_page_counts_open_alerts(app_db, framed_app):
    failing_sales(app_db)
    old_incident(app_db)  # resolved: not counted
    count = len(open_incidents(app_db.engine, app_db.prefix))
    at = log_in(framed_app().run())
    assert not at.exception
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Open alerts"] == str(count)
    assert f"{count} open alerts" in texts(at)
