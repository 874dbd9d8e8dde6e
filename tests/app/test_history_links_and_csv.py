"""History: filters in the URL, the CSV as the table shows it, first imports named so."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import insert

from sync import dashboard
from sync.storage.schema import sync_requests
from tests.app.conftest import add_run, log_in

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)


@pytest.fixture
def runs(app_db, monkeypatch):
    monkeypatch.setattr(dashboard.runtime, "clock", lambda: NOW)
    monkeypatch.setenv("STORE_TIME_ZONE", "Europe/Paris")
    add_run(
        app_db,
        "sales",
        "success",
        NOW - timedelta(days=3),
        run_id="first",
        version_from=0,
        records_upserted=2000,
        records_deleted=19,
        duration_ms=1234.5678,
    )
    add_run(
        app_db,
        "sales",
        "failed",
        NOW - timedelta(hours=2),
        run_id="asked",
        version_from=1234,
        error_type="NETWORK",
        error_details="Connection refused",
    )
    with app_db.engine.begin() as conn:
        conn.execute(
            insert(sync_requests).values(
                store="default",
                entity_type="sales",
                requested_by="cfo",
                reason="month-end close",
                requested_at=NOW - timedelta(hours=2),
                status="failed",
                action="incremental",
                run_id="asked",
            )
        )
    return app_db


def test_the_filters_come_from_the_url_and_go_back_into_it(runs, framed_app):
    at = framed_app()
    at.query_params["from"] = "2026-11-19"
    at.query_params["to"] = "2026-11-21"
    at.query_params["status"] = "success"
    at = log_in(at.run())
    at.switch_page("pages/history.py").run()
    assert at.date_input(key="hist-dates").value == (
        datetime(2026, 11, 19).date(),
        datetime(2026, 11, 21).date(),
    )
    assert at.multiselect(key="hist-status").value == ["success"]
    assert len(at.dataframe[0].value) == 1
    at.multiselect(key="hist-entities").select("sales").run()
    query = {k: v if isinstance(v, list) else [v] for k, v in at.query_params.items()}
    assert query == {
        "from": ["2026-11-19"],
        "to": ["2026-11-21"],
        "entity": ["sales"],
        "status": ["success"],
    }


def test_a_first_import_is_named_so_and_the_reason_is_shown(runs, framed_app):
    at = log_in(framed_app().run())
    at.switch_page("pages/history.py").run()
    table = at.dataframe[0].value
    assert list(table["Action"]) == ["incremental", "first import"]
    assert list(table["Reason"]) == ["month-end close", ""]
    assert list(table["Deleted"]) == [0, 19]


def test_the_csv_is_the_table_in_its_units_with_the_reason(runs):
    flt = dashboard.HistoryFilter(NOW - timedelta(days=7), NOW, (), ())
    rows = list(csv.DictReader(io.StringIO(dashboard.history_csv(flt).decode())))
    newest, first = rows
    assert newest["Started (CET)"] == "2026-11-23 11:00:00"
    assert newest["Reason"] == "month-end close" and newest["Error details"] == "Connection refused"
    assert first["Action"] == "first import" and first["Duration (s)"] == "1.23"
    assert (first["Records"], first["Deleted"], first["Status"]) == ("2000", "19", "success")
    assert "api_ms_mean" not in newest and "peak_rss_bytes" not in newest


def test_the_csv_file_is_named_after_the_filters_store_days(runs):
    paris = dashboard.store_tz()
    start = datetime(2026, 11, 29, tzinfo=paris).astimezone(UTC)
    end = datetime(2026, 12, 6, tzinfo=paris).astimezone(UTC)  # the day after the last one
    name = dashboard.csv_name(start, end, paris)
    assert name == "sync-history-2026-11-29-to-2026-12-05.csv"
