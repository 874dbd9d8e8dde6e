"""History page: default range, filters (server-side), error details, CSV."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from sync import dashboard
from tests.app.conftest import add_run, log_in

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)


@pytest.fixture
def history(app_db, framed_app, monkeypatch):
    monkeypatch.setattr(dashboard.runtime, "clock", lambda: NOW)
    for day in range(10):  # 10 days x 2 entities; every third day failed
        for entity in ("sales", "products"):
            failed = day % 3 == 0
            add_run(
                app_db,
                entity,
                "failed" if failed else "success",
                NOW - timedelta(days=day, hours=1),
                error_type="RATE_LIMIT" if failed else None,
                error_details="429 from the API <b>twice</b> — Wait." if failed else None,
            )
    at = log_in(framed_app().run())
    at.switch_page("pages/history.py").run()
    assert not at.exception
    return at


def runs(at) -> int:
    return len(at.dataframe[0].value)


def test_it_shows_the_last_seven_days_by_default(history):
    at = history
    assert at.date_input(key="hist-dates").value == (
        (NOW - timedelta(days=6)).date(),
        NOW.date(),
    )
    assert runs(at) == 14
    assert {m.label: m.value for m in at.metric}["Runs in range"] == "14"
    columns = list(at.dataframe[0].value.columns)
    assert columns == [
        "Started",
        "Status",  # next to the time: on a phone it is on screen without scrolling
        "Entity",
        "Action",
        "Records",
        "Deleted",
        "Duration (s)",
        "Trigger / by",
        "API calls",
        "Error class",
        "Reason",
    ]
    assert len(at.get("vega_lite_chart")) == 3


def test_entity_status_and_date_filters_narrow_the_rows(history):
    at = history
    at.multiselect(key="hist-entities").select("sales").run()
    assert runs(at) == 7 and set(at.dataframe[0].value["Entity"]) == {"Sales"}
    at.multiselect(key="hist-status").select("failed").run()
    assert runs(at) == 3  # days 0, 3 and 6
    at.date_input(key="hist-dates").set_value(((NOW - timedelta(days=9)).date(), NOW.date()))
    at.run()
    assert runs(at) == 4  # days 0, 3, 6, 9


def test_failed_runs_have_expandable_details_rendered_as_text(history):
    at = history
    assert len(at.expander) == 6  # the failed runs of days 0 and 3 and 6, both entities
    assert "Products" in at.expander[0].label and "RATE" in at.expander[0].label
    details = [t.value for t in at.expander[0].text]
    assert details == ["429 from the API <b>twice</b> — Wait."]


def test_the_csv_holds_every_filtered_row(history):
    flt = dashboard.HistoryFilter(NOW - timedelta(days=4), NOW, ("products",), ("failed",))
    lines = dashboard.history_csv(flt).decode().splitlines()
    assert lines[0].startswith("Started (UTC),Entity,Action,")
    assert len(lines) == 1 + 2 and all(",Products," in line for line in lines[1:])
    assert at_least_one_button(history, "Download CSV")


def test_csv_cells_a_spreadsheet_would_run_are_prefixed(app_db, history):
    for evil in ('=HYPERLINK("http://x")', "+1+1", "-2+3", "@SUM(A1)"):
        add_run(app_db, "sales", "failed", NOW - timedelta(minutes=5), error_details=evil)
    flt = dashboard.HistoryFilter(NOW - timedelta(hours=1), NOW, ("sales",), ("failed",))
    text = dashboard.history_csv(flt).decode()
    import csv
    import io

    rows = list(csv.DictReader(io.StringIO(text)))
    cells = {row["Error details"] for row in rows}
    assert {'\'=HYPERLINK("http://x")', "'+1+1", "'-2+3", "'@SUM(A1)"} <= cells
    assert "429 from the API <b>twice</b> — Wait." in cells  # other text is untouched
    assert all(not row["Started (UTC)"].startswith("'") for row in rows)


def test_an_empty_range_says_so(history):
    at = history
    at.multiselect(key="hist-status").select("interrupted").run()
    assert "No runs match these filters." in [i.value for i in at.info]


def at_least_one_button(at, label: str) -> bool:
    return any(getattr(b, "label", "") == label for b in at.get("download_button"))
