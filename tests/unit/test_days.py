"""Days on the store's clocks: local midnights as UTC bounds, and which zone the store keeps."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from sync.days import (
    FROM_OUTLETS,
    FROM_SETTING,
    NO_OUTLETS,
    clock_label,
    day_bounds,
    fixed_offset,
    parse_instant,
    store_days,
    utc_offsets,
)
from sync.engine.search import Window, day_windows, planned_calls

AUCKLAND = ZoneInfo("Pacific/Auckland")


@pytest.mark.parametrize(
    ("day", "hours", "start"),
    [
        (date(2025, 12, 5), 24, "2025-12-04T11:00:00+00:00"),  # NZDT, UTC+13
        (date(2025, 9, 28), 23, "2025-09-27T12:00:00+00:00"),  # clocks go forward
        (date(2025, 4, 6), 25, "2025-04-05T11:00:00+00:00"),  # clocks go back
    ],
)
def test_an_auckland_day_is_its_local_midnight_to_midnight_in_utc(day, hours, start):
    first, end = day_bounds(day, AUCKLAND)
    assert first.isoformat() == start
    assert end - first == timedelta(hours=hours)


def test_the_store_keeps_the_setting_else_the_zone_most_live_outlets_share():
    outlets = [
        ("a", "Pacific/Auckland", False),
        ("b", "Europe/Amsterdam", False),
        ("c", "Pacific/Auckland", False),
        ("d", "Europe/Amsterdam", True),
        ("e", "Europe/Amsterdam", True),
        ("f", None, False),
    ]
    chosen = store_days(None, outlets)
    assert (chosen.name, chosen.source) == ("Pacific/Auckland", FROM_OUTLETS)
    assert chosen.outlet_zone("b") == ZoneInfo("Europe/Amsterdam")
    assert chosen.outlet_zone("f") == AUCKLAND, "an outlet without a zone follows the store"
    assert store_days("Asia/Tokyo", outlets).source == FROM_SETTING
    assert store_days(None, []).source == NO_OUTLETS
    tie = store_days(None, [("a", "Europe/Paris", False), ("b", "Europe/Berlin", False)])
    assert tie.name == "Europe/Berlin"


def test_yesterday_is_the_stores_yesterday_not_utcs():
    days = store_days("Pacific/Auckland")
    now = datetime(2025, 12, 5, 12, 30, tzinfo=UTC)  # 01:30 on 6 December in Auckland
    assert days.yesterday(now) == date(2025, 12, 5)


def test_times_shown_to_people_carry_the_zone():
    moment = datetime(2025, 12, 5, 1, 5, tzinfo=UTC)
    assert clock_label(moment, AUCKLAND) == "14:05 NZDT"
    assert clock_label(moment, ZoneInfo("Europe/Amsterdam"), "%d %b %H:%M") == "05 Dec 02:05 CET"


def test_timestamps_parse_with_offsets_z_or_none():
    assert parse_instant("2025-11-25T13:44:45+00:00") == datetime(
        2025, 11, 25, 13, 44, 45, tzinfo=UTC
    )
    assert parse_instant("2025-11-25T13:44:45.5Z").microsecond == 500000
    assert parse_instant("2025-11-25T13:44:45") == datetime(2025, 11, 25, 13, 44, 45, tzinfo=UTC)
    assert parse_instant("yesterday") is None and parse_instant(None) is None


def test_a_full_window_splits_into_hours_then_ten_minutes_then_minutes():
    start = datetime(2025, 9, 27, 12, tzinfo=UTC)
    day = Window(start, start + timedelta(hours=23))
    hours = day.split()
    assert len(hours) == 23 and hours[-1].end == day.end
    assert len(hours[0].split()) == 6 and len(hours[0].split()[0].split()) == 10
    assert hours[0].split()[0].split()[0].split() is None
    assert Window(start, start + timedelta(seconds=59, microseconds=1)).query == (
        "2025-09-27T12:00:00Z",
        "2025-09-27T12:01:00Z",
    )


def test_planned_calls_follow_the_windows_the_search_asks():
    start = datetime(2025, 1, 1, tzinfo=UTC)
    end = start + timedelta(days=3)
    assert len(day_windows(start, end)) == 3
    quiet = [start + timedelta(hours=h) for h in range(10)]
    assert planned_calls(quiet, start, end, 1000) == 3
    busy = sorted(start + timedelta(minutes=m) for m in range(0, 24 * 60, 2))  # 720 on day 1
    assert planned_calls(busy, start, end, 100) == 3 + 24  # day 1 splits into 24 hours


def test_the_read_models_today_and_yesterday_are_the_stores():
    from sync.storage.reads import store_clock

    now = datetime(2025, 12, 5, 12, 30, tzinfo=UTC)  # 01:30 on 6 December in Auckland
    start, yesterday, _ = store_clock(now, None, [("a", "Pacific/Auckland", False)])
    assert start == datetime(2025, 12, 5, 11, 0, tzinfo=UTC) and yesterday == "2025-12-05"
    start, yesterday, _ = store_clock(now, "America/New_York", [("a", "Pacific/Auckland", False)])
    assert start == datetime(2025, 12, 5, 5, 0, tzinfo=UTC) and yesterday == "2025-12-04"


def test_utc_offsets_name_each_daylight_saving_change_to_the_second():
    start, end = datetime(2026, 1, 1, tzinfo=UTC), datetime(2027, 1, 1, tzinfo=UTC)
    assert utc_offsets(ZoneInfo("Pacific/Auckland"), start, end) == (
        (None, 780),
        (datetime(2026, 4, 4, 14, tzinfo=UTC), 720),
        (datetime(2026, 9, 26, 14, tzinfo=UTC), 780),
    )
    # Lord Howe moves its clocks by half an hour.
    assert utc_offsets(ZoneInfo("Australia/Lord_Howe"), start, end) == (
        (None, 660),
        (datetime(2026, 4, 4, 15, tzinfo=UTC), 630),
        (datetime(2026, 10, 3, 15, 30, tzinfo=UTC), 660),
    )


def test_utc_offsets_of_a_span_without_a_change_is_one_offset():
    winter = (datetime(2026, 11, 1, tzinfo=UTC), datetime(2026, 12, 6, tzinfo=UTC))
    assert utc_offsets(ZoneInfo("Europe/Amsterdam"), *winter) == fixed_offset(60)
    assert utc_offsets(UTC, *winter) == fixed_offset(0)
    assert utc_offsets(ZoneInfo("Asia/Kolkata"), *winter) == fixed_offset(330)
    # A change exactly at the span's end belongs to the next span.
    change = datetime(2026, 10, 25, 1, tzinfo=UTC)
    amsterdam = ZoneInfo("Europe/Amsterdam")
    assert utc_offsets(amsterdam, change - timedelta(days=1), change) == fixed_offset(120)
    assert utc_offsets(amsterdam, change, change + timedelta(days=1)) == fixed_offset(60)
