from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from sync.health import Colour, Overall, Thresholds, entity_health, format_age, overall

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("age", "colour"),
    [
        (timedelta(minutes=1), Colour.GREEN),
        (timedelta(hours=2) - timedelta(seconds=1), Colour.GREEN),
        (timedelta(hours=2), Colour.YELLOW),
        (timedelta(hours=12), Colour.YELLOW),
        (timedelta(hours=12, seconds=1), Colour.RED),
    ],
)
def test_colour_follows_the_age_of_the_last_success(age, colour):
    assert entity_health(NOW - age, "success", NOW).colour is colour


def test_never_synced_is_red():
    assert entity_health(None, "never", NOW).colour is Colour.RED


def test_failed_latest_run_is_red_even_when_recent():
    assert entity_health(NOW - timedelta(minutes=5), "failed", NOW).colour is Colour.RED


def test_thresholds_are_configurable():
    thresholds = Thresholds(green=timedelta(minutes=10), yellow=timedelta(minutes=30))
    assert entity_health(NOW - timedelta(minutes=15), "success", NOW, thresholds).colour is (
        Colour.YELLOW
    )


def test_overall_verdict():
    assert overall([Colour.GREEN, Colour.GREEN]) is Overall.HEALTHY
    assert overall([Colour.GREEN, Colour.YELLOW]) is Overall.WARNING
    assert overall([Colour.YELLOW, Colour.RED]) is Overall.CRITICAL
    assert overall([]) is Overall.CRITICAL


def test_format_age():
    assert format_age(timedelta(seconds=42)) == "42 s"
    assert format_age(timedelta(minutes=3)) == "3 min"
    assert format_age(timedelta(hours=2, minutes=5)) == "2 h 5 min"
    assert format_age(timedelta(days=3, hours=4)) == "3 d 4 h"
