"""Sync now's backfill form: estimate first, 90-day limit, a backfill request row."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sync import dashboard
from sync.config import load_settings
from sync.engine.backfill import estimate
from tests.app.conftest import open_sync_now, requests, texts


def test_the_estimate_is_shown_then_a_backfill_is_queued(app_db, framed_app):
    at = open_sync_now(framed_app)
    assert at.selectbox(key="backfill-entity").value == "sales"
    today = datetime.now().astimezone().date()
    first, last = today - timedelta(days=29), today - timedelta(days=1)
    at.date_input(key="backfill-dates").set_value((first, last)).run()
    assert not at.exception
    settings = load_settings({"DATABASE_URL": str(app_db.engine.url)}, env_file=None)
    found = estimate(settings, app_db.engine, "sales", first, last, zone=settings.store_time_zone)
    expected = dashboard.estimate_words("sales", found.records, found.seconds)
    shown = texts(at)
    assert "Estimate:" in shown and "API calls" not in shown and "quota" not in shown
    assert requests(app_db) == []

    at.button(key="backfill-queue").click().run()
    assert not at.exception
    [row] = requests(app_db)
    assert (row["entity_type"], row["action"], row["date_from"], row["date_to"]) == (
        "sales",
        "backfill",
        first,
        last,
    )
    assert row["requested_by"] == "cfo" and row["status"] == "queued"
    assert f"Request #{row['id']} (sync sales) is queued" in texts(at)
    assert list(at.dataframe[-1].value["Action"]) == [f"backfill {first} → {last}"]
    assert expected in shown.replace("\\", "")


def test_a_range_over_90_days_is_refused_in_one_sentence(app_db, framed_app):
    at = open_sync_now(framed_app)
    today = datetime.now(UTC).date()
    at.date_input(key="backfill-dates").set_value((today - timedelta(days=120), today)).run()
    assert not at.exception
    assert [e.value for e in at.error] == [
        "The range covers 121 days; at most 90 are allowed here."
    ]
    assert not [b for b in at.button if b.key == "backfill-queue"]
    assert requests(app_db) == []
