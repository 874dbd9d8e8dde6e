"""A short version of the idle benchmark: an idle scheduler costs little CPU and memory."""

from __future__ import annotations

from benchmarks.scheduler_idle import measure


def test_an_idle_scheduler_is_cheap():
    result = measure(seconds=12, settle=6)
    assert result["exit_code"] == 0
    # The target (< 1 % over 5 minutes) is `make bench`'s. Here 12 s only, on a VM where a
    # thread waking from a sleep costs 10-25 ms of CPU time (measured on the 2-core CI
    # machine; 1 ms when warm) and the scheduler wakes every 2 s to poll its queue: idle
    # measured 2-4 % there. A scheduler that does not idle (a busy loop, a 50 ms poll)
    # costs far more than 8 %.
    assert result["cpu_percent"] < 8.0, result
    assert result["peak_rss_mb"] < 120, result
