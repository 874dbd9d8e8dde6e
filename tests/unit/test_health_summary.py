"""Run statistics for the Status page: success rate, streaks, liveness, error text."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from sync.health import consecutive_failures, scheduler_alive, split_error, success_rate

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)


def test_success_rate_counts_partial_as_success_and_ignores_running():
    assert success_rate({"success": 6, "partial": 2, "failed": 1, "interrupted": 1}) == 0.8
    assert success_rate({"running": 3}) is None
    assert success_rate({}) is None


@pytest.mark.parametrize(
    ("statuses", "streak"),
    [
        ([], 0),
        (["success", "failed"], 0),
        (["failed", "failed", "success", "failed"], 2),
        # An interrupted run says nothing about the sync (the alert rules agree).
        (["running", "failed", "interrupted", "failed"], 2),
        (["failed", "partial", "failed"], 1),
    ],
)
def test_consecutive_failures_counts_from_the_newest(statuses, streak):
    assert consecutive_failures(statuses) == streak


@pytest.mark.parametrize(
    ("age", "state", "alive"),
    [
        (timedelta(seconds=10), "idle", True),
        (timedelta(seconds=90), "syncing", True),
        (timedelta(seconds=91), "idle", False),
        (timedelta(seconds=5), "stopped", False),
    ],
)
def test_scheduler_is_alive_within_three_heartbeats_unless_stopped(age, state, alive):
    assert scheduler_alive(NOW - age, state, NOW, heartbeat_seconds=30) is alive


def test_a_scheduler_never_seen_is_not_alive():
    assert scheduler_alive(None, None, NOW, heartbeat_seconds=30) is False


def test_split_error_separates_message_and_recovery():
    assert split_error("NETWORK", "Connection refused — Check the network.") == (
        "Connection refused",
        "Check the network.",
    )
    message, recovery = split_error("AUTH", "401 from Lightspeed")
    assert message == "401 from Lightspeed" and "LIGHTSPEED_TOKEN" in recovery
    assert split_error("SOMETHING_NEW", "odd") == ("odd", None)
    assert split_error(None, None) == ("", None)
