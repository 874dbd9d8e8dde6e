"""A short version of the idle benchmark: an idle scheduler costs little CPU and memory.

The scheduler starts without its start-up sync (the long form, `make bench`, syncs first
and measures 5 minutes after it): 3 s to start, then 6 s of idle, three of its 2-s queue
polls and its heartbeats. CPU share does not depend on the window's length: a loop that
does not sleep burns most of a core in any window, an idle one wakes a few times.
"""

from __future__ import annotations

from benchmarks.scheduler_idle import measure


def test_an_idle_scheduler_is_cheap():
    result = measure(seconds=6, settle=3, sync_on_start=False)
    assert result["exit_code"] == 0
    # The target (< 1 % over 5 minutes) is `make bench`'s. Here 6 s only, on a VM where a
    # thread waking from a sleep costs 10-25 ms of CPU time (measured on the 2-core CI
    # machine; 1 ms when warm) and the scheduler wakes every 2 s to poll its queue: idle
    # measured 2-4 % there (0.2 % on a quiet machine; a 50 ms poll 3 %, too close to tell
    # apart here: that is the 5-minute benchmark's job). A loop that does not sleep costs
    # far more than 8 %.
    assert result["cpu_percent"] < 8.0, result
    assert result["peak_rss_mb"] < 120, result
