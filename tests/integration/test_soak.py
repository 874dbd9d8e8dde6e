"""A short soak: faults, run-now requests, kill -9, a database cut and SIGTERM, then exact.

Ten seconds per backend with a 2-s database cut: every event of the long form happens
once (hostile records, kill -9, the cut on Postgres, SIGTERM, each followed by a restart)
under the same faults, and every check is the long form's. The long form is
`benchmarks/soak.py` (make bench), 300 s per backend with a 5-s cut.
"""

from __future__ import annotations

from benchmarks.soak import soak


def test_a_short_soak_leaves_nothing_stuck_and_the_copy_exact(db_url, tmp_path):
    result = soak(db_url, 10, tmp_path, cut_seconds=2)
    assert result["checks"] == {
        "queue drained": True,
        "no request stuck": True,
        "no run left running": True,
        "clean SIGTERM exits": True,
        "copy exact after a final sync": True,
    }, result
    assert result["events"]["hostile records"] > 0
    assert result["events"]["kill -9 + restart"] == 1
    assert result["events"]["SIGTERM + restart"] == 1
    assert result["events"]["run-now requests"] > 0
    if result["backend"] == "postgres":
        assert result["events"]["database cut (2 s)"] == 1
    assert sum(result["faults_injected"].values()) > 0
