"""A short version of the idle benchmark: an idle scheduler costs little CPU and memory."""

from __future__ import annotations

from benchmarks.scheduler_idle import measure


def test_an_idle_scheduler_is_cheap():
    result = measure(seconds=12, settle=6)
    assert result["exit_code"] == 0
    assert result["cpu_percent"] < 3.0, result  # target < 1 %; margin for a busy CI machine
    assert result["peak_rss_mb"] < 120, result
