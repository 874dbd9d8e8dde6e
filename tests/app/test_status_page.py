"""Status page: tile colours at the thresholds, failures explained, summary, scheduler."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from sync import dashboard
from tests.app.conftest import add_run, heartbeat, log_in, set_state, texts

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
BADGE = {"green": ":green-badge[", "yellow": ":orange-badge[", "red": ":red-badge["}


@pytest.fixture
def pinned(monkeypatch):
    monkeypatch.setattr(dashboard.runtime, "clock", lambda: NOW)
    return NOW


def tile_colours(at) -> dict[str, str]:
    """Entity heading → the colour word of the badge drawn right after it."""
    out, heading = {}, None
    for element in at.main.markdown:
        value = element.value
        if value.startswith("#### "):
            heading = value[5:]
        elif heading and "-badge[" in value:
            out[heading] = next(c for c, prefix in BADGE.items() if value.startswith(prefix))
            heading = None
    return out


def test_tiles_change_colour_exactly_at_the_thresholds(app_db, framed_app, pinned):
    ages = {
        "customers": timedelta(hours=2) - timedelta(seconds=1),  # green
        "outlets": timedelta(hours=2),  # yellow from 2 h
        "products": timedelta(hours=12),  # still yellow at 12 h
        "sales": timedelta(hours=12, seconds=1),  # red after 12 h
    }
    for entity, age in ages.items():
        set_state(app_db, entity, status="success", last_sync_time=NOW - age)
    set_state(
        app_db,
        "sale_line_items",
        status="failed",
        last_sync_time=NOW - timedelta(minutes=5),
        error_type="NETWORK",
        error_message="Connection refused by api — Check this host's internet connection.",
    )
    at = log_in(framed_app().run())
    assert not at.exception
    assert tile_colours(at) == {
        "Customers": "green",
        "Outlets": "yellow",
        "Products": "yellow",
        "Sales": "red",
        "Sale line items": "red",  # failed, although the last success is recent
        "Inventory": "red",  # never synced
    }
    shown = texts(at)
    assert "CRITICAL" in shown and "Needs attention: Sales, Sale line items, Inventory" in shown
    assert "**NETWORK** · the latest run failed" in shown
    plain = [t.value for t in at.main.text]
    assert "Connection refused by api" in plain
    assert "What to do: Check this host's internet connection." in plain


def test_thresholds_come_from_the_settings(app_db, framed_app, pinned, monkeypatch):
    monkeypatch.setenv("HEALTH_GREEN_HOURS_INVENTORY", "0.5")
    monkeypatch.setenv("HEALTH_YELLOW_HOURS_INVENTORY", "1")
    for entity in dashboard.ENTITY_LABELS:
        set_state(
            app_db,
            entity,
            status="success",
            last_sync_time=NOW - timedelta(minutes=45),
            records_total=10,
        )
    heartbeat(app_db, NOW - timedelta(seconds=20))
    at = log_in(framed_app().run())
    colours = tile_colours(at)
    assert colours.pop("Inventory") == "yellow"
    assert set(colours.values()) == {"green"}
    assert "**WARNING** — 1 of 6 entities behind" in at.main.warning[0].value


def test_last_success_is_relative_with_the_exact_time_on_hover(app_db, framed_app, pinned):
    set_state(app_db, "customers", status="success", last_sync_time=NOW - timedelta(minutes=3))
    add_run(
        app_db,
        "customers",
        "success",
        NOW - timedelta(minutes=3),
        records_upserted=42,  # written, the 3 deletions included
        records_deleted=3,
    )
    at = log_in(framed_app().run())
    first = next(m for m in at.metric if m.label == "Last success")
    assert first.value == "3 min ago"
    assert "2026-11-23" in first.proto.help and ":57:00" in first.proto.help
    assert "took 1.5 s  \n39 new or changed, 3 deleted" in texts(at)


def test_summary_numbers_and_an_alive_scheduler(app_db, framed_app, pinned):
    for minutes, status in ((50, "success"), (40, "failed"), (30, "failed"), (20, "partial")):
        add_run(app_db, "products", status, NOW - timedelta(minutes=minutes))
    add_run(app_db, "sales", "failed", NOW - timedelta(minutes=10))
    add_run(app_db, "sales", "failed", NOW - timedelta(minutes=5))
    heartbeat(app_db, NOW - timedelta(seconds=20), next_run_at=NOW + timedelta(minutes=40))
    at = log_in(framed_app().run())
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Success rate, 24 h"] == "33%"
    assert metrics["Failures in a row"] == "2"
    assert metrics["Avg run time, 24 h"] == "1.5 s"
    assert metrics["Records synced today"] == "60"
    assert metrics["Scheduler"] == "Alive"
    assert not [e for e in at.main.error if "scheduler is not running" in e.value]
    assert "Next scheduled sync at" in texts(at)


@pytest.mark.parametrize(
    ("beat_age", "state", "words"),
    [(None, "idle", "never seen"), (timedelta(minutes=5), "idle", "stale since")],
)
def test_a_missing_or_stale_scheduler_shows_a_red_banner(
    app_db, framed_app, pinned, beat_age, state, words
):
    if beat_age is not None:
        heartbeat(app_db, NOW - beat_age, state=state)
    at = log_in(framed_app().run())
    banner = [e.value for e in at.main.error if "scheduler is not running" in e.value]
    assert banner and words in banner[0]
    assert "python -m sync scheduler" in banner[0]


@pytest.mark.postgres
def test_it_tells_the_admin_when_the_dashboard_reads_with_the_writers_login(
    app_db, framed_app, pg_url, monkeypatch
):
    from sync.storage.sql.db import create_db_engine, migrate

    engine = create_db_engine(pg_url)
    migrate(engine)
    engine.dispose()
    monkeypatch.setenv("DATABASE_URL", pg_url)
    at = log_in(framed_app().run())
    assert not at.exception
    warnings = [w.value.replace("\\", "") for w in at.warning]  # Markdown-escaped
    assert any("writer's login" in w and "dashboard_reader" in w for w in warnings), warnings

    from tests.support.dashboard_login import dashboard_url, ensure_dashboard_login

    ensure_dashboard_login("postgresql://postgres@127.0.0.1:5432/postgres")
    monkeypatch.setenv("DASHBOARD_DATABASE_URL", dashboard_url(pg_url))
    at = log_in(framed_app().run())
    assert not at.exception and "Status" in [t.value for t in at.title]
    assert not any("writer's login" in w.value for w in at.warning)


def fresh_copy(store, age: timedelta = timedelta(minutes=10)) -> None:
    for entity in dashboard.ENTITY_LABELS:
        set_state(store, entity, status="success", last_sync_time=NOW - age, records_total=100)
        add_run(store, entity, "success", NOW - age)


def test_score_counts_and_no_block_when_all_is_well(app_db, framed_app, pinned):
    fresh_copy(app_db)
    heartbeat(app_db, NOW - timedelta(seconds=20), next_run_at=NOW + timedelta(minutes=40))
    at = log_in(framed_app().run())
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Health score"] == "92/100"  # no reconciliation yet: 7.5 of 15
    assert metrics["Healthy · delayed · error"] == "6 · 0 · 0"
    assert metrics["Data for reports"] == "Ready"
    assert "**HEALTHY**" in at.main.success[0].value
    assert not at.main.error
    assert texts(at).count("Freshness: **on time**") == 6


def test_a_stopped_scheduler_is_a_warning_above_its_banner(app_db, framed_app, pinned):
    fresh_copy(app_db)
    heartbeat(app_db, NOW - timedelta(minutes=1), state="stopped")
    at = log_in(framed_app().run())
    assert not at.main.success  # never "HEALTHY" above "The scheduler is not running"
    assert "**WARNING** — the scheduler is not running" in at.main.warning[0].value
    assert any("scheduler is not running" in e.value for e in at.main.error)
    assert {m.label: m.value for m in at.metric}["Health score"] == "72/100"


def test_stale_sales_block_the_data_with_reasons_and_next_steps(app_db, framed_app, pinned):
    fresh_copy(app_db)
    for entity in ("sales", "sale_line_items"):
        set_state(app_db, entity, last_sync_time=NOW - timedelta(days=3))
    heartbeat(app_db, NOW - timedelta(seconds=20))
    at = log_in(framed_app().run())
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Data for reports"] == "Blocked"
    assert int(metrics["Health score"].split("/")[0]) < 60
    assert metrics["Healthy · delayed · error"] == "4 · 0 · 2"
    [block] = [e.value for e in at.main.error if "Reports are blocked" in e.value]
    assert "**sales**: sales are critically stale" in block.replace("\\", "")
    assert "**sale\\_line\\_items**" in block or "**sale_line_items**" in block
    assert block.count("Next step:") == 2 and "(`python -m sync status`)" in block
    assert texts(at).count("Freshness: **critical**") == 2


def add_outlet(store, outlet_id: str, zone: str) -> None:
    from sqlalchemy import insert

    from sync.storage.schema import ENTITY_TABLES

    row = {"id": outlet_id, "version": 1, "time_zone": zone, "raw": {}, "synced_at": NOW}
    with store.engine.begin() as conn:
        conn.execute(insert(ENTITY_TABLES["outlets"]).values(store="default", **row))


def test_times_are_on_the_stores_clock_with_its_zone(app_db, framed_app, pinned):
    add_outlet(app_db, "o1", "Pacific/Auckland")
    add_outlet(app_db, "o2", "Pacific/Auckland")
    add_outlet(app_db, "o3", "Europe/Amsterdam")
    heartbeat(app_db, NOW - timedelta(seconds=20), next_run_at=NOW + timedelta(minutes=40))
    at = log_in(framed_app().run())
    assert not at.exception
    # 12:40 UTC on 23 November is 01:40 on the 24th in Auckland (NZDT, UTC+13).
    assert "Next scheduled sync at **01:40 NZDT** (24 Nov)." in texts(at)


def test_store_time_zone_wins_over_the_outlets(app_db, framed_app, pinned, monkeypatch):
    add_outlet(app_db, "o1", "Pacific/Auckland")
    monkeypatch.setenv("STORE_TIME_ZONE", "America/New_York")
    heartbeat(app_db, NOW - timedelta(seconds=20), next_run_at=NOW + timedelta(minutes=40))
    at = log_in(framed_app().run())
    assert "Next scheduled sync at **07:40 EST** (23 Nov)." in texts(at)
