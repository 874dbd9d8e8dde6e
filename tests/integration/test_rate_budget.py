"""The rate limit used to the last request: a fixed window on the stand-in, one or three processes.

Small versions of benchmarks/rate_bench.py (`make bench`: 10 requests per 10-s window, a full
import and a run with a backfill at once): a 1-s window, a few dozen requests. The pacer's own
arithmetic is tested with an injected clock in tests/unit/test_pacing.py. Zero 429s is
exact; the time bound is loose (the paced floor plus a margin) so a busy 2-core machine does
not make it flake, while the old pacer (1.8x the floor) or no shared budget (429s) still fail.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

from sync.engine.runner import Runner
from sync.lightspeed.budget import forget_budget
from sync.storage.sql.db import create_db_engine, migrate
from sync.storage.sql.store import Store
from tests.conftest import SIM_TOKEN
from tests.integration.test_cli import base_env, cli
from tests.support.processes import REPO, start

LIMIT, WINDOW = 6, 1.0
WINDOW_SETTING = f"{WINDOW:g}"


def paced_floor(requests: int) -> float:
    """Seconds `requests` need at the allowed pace (requests x window / limit)."""
    return requests * WINDOW / LIMIT


def test_a_full_import_uses_the_window_without_a_429(simulator, settings_for, sqlite_url):
    forget_budget(simulator.api_url)
    migrate(create_db_engine(sqlite_url))
    store = Store(create_db_engine(sqlite_url))
    simulator.set_faults(rate_limit=LIMIT, rate_window=WINDOW)
    settings = settings_for(
        sqlite_url,
        simulator.api_url,
        SYNC_PAGE_SIZE="10",
        LIGHTSPEED_RATE_WINDOW_SECONDS=WINDOW_SETTING,
    )
    started = time.monotonic()
    results = Runner(settings, store).run()
    elapsed = time.monotonic() - started
    stats = simulator.stats()
    assert all(r.status == "success" for r in results)
    assert stats["by_status"].get("429", 0) == 0
    assert stats["total"] > 3 * LIMIT, "the import must span several windows"
    floor = paced_floor(stats["total"])
    assert elapsed <= 1.1 * floor + 1.5, f"{elapsed:.1f} s against a paced floor of {floor:.1f} s"


def test_two_runs_and_a_reconcile_at_once_share_one_budget(simulator, tmp_path: Path):
    forget_budget(simulator.api_url)
    first = base_env(f"sqlite:///{tmp_path}/a.db", simulator.api_url, tmp_path / "a")
    second = base_env(f"sqlite:///{tmp_path}/b.db", simulator.api_url, tmp_path / "b")
    for env in (first, second):
        assert cli("migrate", env=env, cwd=tmp_path).returncode == 0
    assert cli("run", env=first, cwd=tmp_path).returncode == 0  # something to reconcile

    simulator.set_faults(rate_limit=LIMIT, rate_window=WINDOW)
    paced = {
        "SYNC_PAGE_SIZE": "10",
        "LIGHTSPEED_RATE_WINDOW_SECONDS": WINDOW_SETTING,
        "PYTHONPATH": str(REPO),
    }
    commands = [
        (["run", "--full"], first),
        (["run"], second),
        (["reconcile", "--date", "2025-11-20"], first),
    ]
    started = time.monotonic()
    processes = [
        start(args, {**env, **paced}, tmp_path, tmp_path / f"out-{n}.log")
        for n, (args, env) in enumerate(commands)
    ]
    try:
        codes = [p.wait(timeout=180) for p in processes]
    finally:
        for p in processes:
            if p.poll() is None:
                p.kill()
    elapsed = time.monotonic() - started
    logs = [(tmp_path / f"out-{n}.log").read_text() for n in range(len(commands))]
    stats = simulator.stats()
    assert stats["by_status"].get("429", 0) == 0, logs
    assert codes == [0, 0, 0], logs
    assert "Verified: the copy matches Lightspeed." in logs[2]
    assert stats["total"] > 3 * LIMIT
    # Three processes starting up on two cores add their start-up to the floor.
    floor = paced_floor(stats["total"])
    assert elapsed <= 1.1 * floor + 4.0, f"{elapsed:.1f} s against a paced floor of {floor:.1f} s"


def test_without_the_shared_file_each_process_would_trip_the_limit(simulator, tmp_path: Path):
    """The control: a process that cannot see the others' claims meets 429s in this setup."""
    forget_budget(simulator.api_url)
    simulator.set_faults(rate_limit=LIMIT, rate_window=WINDOW, retry_after_seconds=0.2)
    script = (
        "import sys\n"
        "from sync.config import load_settings\n"
        "from sync.lightspeed.transport import LightspeedClient\n"
        "from sync.lightspeed.pacing import RatePacer\n"
        "s = load_settings({'LIGHTSPEED_BASE_URL': sys.argv[1], 'LIGHTSPEED_TOKEN': sys.argv[3],\n"
        "    'LIGHTSPEED_RATE_WINDOW_SECONDS': sys.argv[4]}, env_file=None)\n"
        "pacer = RatePacer(float(sys.argv[4])) if sys.argv[2] == 'alone' else None\n"
        "c = LightspeedClient(s, pacer=pacer)\n"
        "for _ in range(8):\n"
        "    c.list_page('/outlets', 0)\n"
    )
    counts = {}
    for mode in ("alone", "shared"):
        simulator.reset_stats()
        forget_budget(simulator.api_url)
        time.sleep(WINDOW)  # a fresh window
        env = {"PYTHONPATH": str(REPO)}
        processes = [
            subprocess.Popen(
                [sys.executable, "-c", script, simulator.api_url, mode, SIM_TOKEN, WINDOW_SETTING],
                env={**os.environ, **env},
                cwd=tmp_path,
            )
            for _ in range(2)
        ]
        assert [p.wait(timeout=120) for p in processes] == [0, 0]
        counts[mode] = simulator.stats()["by_status"].get("429", 0)
    assert counts["alone"] > 0, "the control must meet the limit, or the test proves nothing"
    assert counts["shared"] == 0
