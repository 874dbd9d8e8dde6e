"""Idle cost of the scheduler: CPU share and RSS of an idle `python -m sync scheduler`.

Starts a tiny simulator and a SQLite copy, lets the start-up sync finish, then samples
/proc for --seconds (default 300). Prints a table and writes benchmarks/results/idle.json.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from benchmarks.proc import cpu_seconds, memory_mb  # noqa: E402
from sync.simulator import SimulatorConfig, SimulatorServer  # noqa: E402

TOKEN = "idle-token"


def measure(seconds: float, settle: float = 8.0, sync_on_start: bool = True) -> dict[str, float]:
    """Run an idle scheduler for `seconds` and return its CPU share and memory.

    `settle` seconds pass first: start-up (and its sync, unless `sync_on_start` is off)."""
    with (
        tempfile.TemporaryDirectory(prefix="lsync-idle-") as tmp,
        SimulatorServer(SimulatorConfig(seed=1, scale="tiny", token=TOKEN)) as sim,
    ):
        env = {
            **os.environ,
            "PYTHONPATH": str(REPO),
            "DATABASE_URL": f"sqlite:///{tmp}/idle.db",
            "LIGHTSPEED_BASE_URL": sim.api_url,
            "LIGHTSPEED_TOKEN": TOKEN,
            "LOG_DIR": f"{tmp}/logs",
            "SYNC_ON_START": "true" if sync_on_start else "false",
        }
        subprocess.run(
            [sys.executable, "-m", "sync", "migrate"], env=env, check=True, capture_output=True
        )
        process = subprocess.Popen(
            [sys.executable, "-m", "sync", "scheduler"],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            time.sleep(settle)  # the start-up sync runs first; idle begins after it
            cpu_before, wall_before = cpu_seconds(process.pid), time.monotonic()
            time.sleep(seconds)
            cpu_used = cpu_seconds(process.pid) - cpu_before
            wall = time.monotonic() - wall_before
            rss, peak = memory_mb(process.pid)
        finally:
            process.terminate()
            process.wait(timeout=15)
    return {
        "idle_seconds": wall,
        "cpu_seconds": cpu_used,
        "cpu_percent": 100 * cpu_used / wall,
        "rss_mb": rss,
        "peak_rss_mb": peak,
        "exit_code": process.returncode,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=300)
    args = parser.parse_args()
    result = measure(args.seconds)
    print(f"{'idle s':>7} {'CPU s':>7} {'CPU %':>6} {'RSS MB':>7} {'peak MB':>8}")
    print(
        f"{result['idle_seconds']:>7.0f} {result['cpu_seconds']:>7.2f} "
        f"{result['cpu_percent']:>6.2f} {result['rss_mb']:>7.1f} {result['peak_rss_mb']:>8.1f}"
    )
    out = REPO / "benchmarks" / "results"
    out.mkdir(parents=True, exist_ok=True)
    (out / "idle.json").write_text(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
