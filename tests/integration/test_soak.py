"""A short soak: faults, run-now requests, kill -9, a database cut and SIGTERM, then exact.

The full version is `benchmarks/soak.py` (make bench), several minutes per backend.
"""

from __future__ import annotations

from benchmarks.soak import soak


def test_a_short_soak_leaves_nothing_stuck_and_the_copy_exact(db_url, tmp_path):
    result = soak(db_url, 20, tmp_path)
    assert result["checks"] == {
        "queue drained": True,
        "no request stuck": True,
        "no run left running": True,
        "clean SIGTERM exits": True,
        "copy exact after a final sync": True,
    }, result
    assert result["events"]["kill -9 + restart"] == 1
    assert result["events"]["SIGTERM + restart"] == 1
    assert sum(result["faults_injected"].values()) > 0
