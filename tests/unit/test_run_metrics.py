"""Run metrics: response-time statistics, marks per run, the process's peak memory."""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest

from sync.engine.run_metrics import peak_rss_bytes, reset_peak_rss
from sync.lightspeed.timings import RequestTimings, mean_and_p95
from sync.storage.runlog import Outcome, Progress, RunMetrics, run_end_values

NOW = datetime(2026, 11, 23, tzinfo=UTC)


def test_mean_and_p95_of_response_times():
    assert mean_and_p95([]) == (None, None)
    assert mean_and_p95([40.0]) == (40.0, 40.0)
    mean, p95 = mean_and_p95([float(ms) for ms in range(1, 101)])
    assert mean == pytest.approx(50.5)
    assert p95 == pytest.approx(95.05)


def test_a_run_reads_only_the_requests_after_its_mark():
    timings = RequestTimings(kept=3)
    timings.record(10.0)
    mark = timings.mark()
    assert timings.since(mark) == []
    for ms in (20.0, 30.0, 40.0):
        timings.record(ms)
    assert timings.since(mark) == [20.0, 30.0, 40.0]
    timings.record(50.0)  # the oldest falls out of the kept window
    assert timings.since(mark) == [30.0, 40.0, 50.0]


REPO = Path(__file__).resolve().parents[2]
CHILD = "from sync.engine.run_metrics import peak_rss_bytes as p; print(p())"


def test_peak_rss_is_in_bytes_and_each_run_starts_a_new_window():
    assert 10 * 2**20 < peak_rss_bytes() < 64 * 2**30
    big = bytearray(300 * 2**20)
    big[:: 2**12] = b"x" * len(big[:: 2**12])  # touch every page so it is resident
    during = peak_rss_bytes()
    del big
    assert during > 300 * 2**20
    if not reset_peak_rss():
        pytest.skip("this kernel keeps one peak per process")
    assert peak_rss_bytes() < during - 200 * 2**20


def test_a_process_does_not_report_the_peak_of_the_one_that_started_it():
    """exec carries the parent's ru_maxrss over; the child's own peak is what counts."""
    big = bytearray(300 * 2**20)
    big[:: 2**12] = b"x" * len(big[:: 2**12])  # resident in this (the starting) process
    child = subprocess.run(
        [
            sys.executable,
            "-c",
            "from sync.engine.run_metrics import peak_rss_bytes as p; print(p())",
        ],
        capture_output=True,
        text=True,
        check=True,
        cwd=REPO,
    )
    del big
    assert 5 * 2**20 < int(child.stdout) < 200 * 2**20


def test_the_metrics_close_the_run_row_only_when_measured():
    closing = run_end_values(Outcome("success"), Progress(log_id=1), 5, NOW)
    assert "peak_rss_bytes" not in closing
    metrics = RunMetrics(peak_rss_bytes=1, api_ms_mean=2.0, api_ms_p95=3.0, api_retries=4)
    closing = run_end_values(Outcome("success"), Progress(log_id=1), 5, NOW, metrics)
    assert closing["peak_rss_bytes"] == 1 and closing["api_retries"] == 4
    assert closing["api_ms_mean"] == 2.0 and closing["api_ms_p95"] == 3.0
