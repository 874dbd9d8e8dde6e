"""kill -9 at random moments, then a rerun: the copy is exact, nothing is doubled."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time

from sqlalchemy import func, select

from sync.schema import ENTITY_TABLES
from tests.conftest import SIM_TOKEN
from tests.support.compare import diff_all

TRIALS = 10


def sync_env(db_url: str, api_url: str, tmp_path) -> dict[str, str]:
    return {
        **os.environ,
        "DATABASE_URL": db_url,
        "LIGHTSPEED_BASE_URL": api_url,
        "LIGHTSPEED_TOKEN": SIM_TOKEN,
        "SYNC_PAGE_SIZE": "7",
        "LOG_DIR": str(tmp_path / "logs"),
    }


def test_kill_9_at_random_moments_then_rerun_is_exact(store, simulator, db_url, tmp_path):
    env = sync_env(db_url, simulator.api_url, tmp_path)
    rng = random.Random(20261123)
    killed = 0
    for trial in range(TRIALS):
        if trial % 3 == 1:
            simulator.mutate(new_sales=5, update_products=2, stock_changes=4, remove_line_items=1)
        args = [sys.executable, "-m", "sync", "run"] + (["--full"] if trial % 4 == 3 else [])
        process = subprocess.Popen(
            args,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            cwd=tmp_path,
        )
        time.sleep(rng.uniform(0.4, 1.6))
        if process.poll() is None:
            os.kill(process.pid, signal.SIGKILL)
            killed += 1
        process.wait(timeout=30)
    assert killed >= TRIALS // 2, "most trials must interrupt a running sync"
    final = subprocess.run(
        [sys.executable, "-m", "sync", "run"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        cwd=tmp_path,
    )
    assert final.returncode == 0, final.stdout + final.stderr
    assert diff_all(store.engine, simulator) == []
    with store.engine.connect() as conn:
        lines = ENTITY_TABLES["sale_line_items"]
        duplicates = conn.execute(
            select(lines.c.sale_id, lines.c.id, func.count())
            .group_by(lines.c.sale_id, lines.c.id)
            .having(func.count() > 1)
        ).all()
    assert duplicates == []
