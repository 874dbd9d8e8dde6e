"""kill -9 at random moments, then a rerun: the copy is exact, nothing is doubled.

The small form: 4 trials per backend (full runs and an incremental one after changes). The
long form, 20 trials per backend at small and medium scale, is `make bench`
(`benchmarks/bench.py --crash-trials 20`).
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time

import pytest
from sqlalchemy import func, select

from sync.storage.schema import ENTITY_TABLES, sync_log
from tests.conftest import SIM_TOKEN, backend_env
from tests.support.compare import diff_all
from tests.support.processes import sync_env

TRIALS = 4


def last_log_id(store) -> int:
    with store.engine.connect() as conn:
        return conn.scalar(select(func.coalesce(func.max(sync_log.c.id), 0)))


def pages_since(store, log_id: int) -> int:
    with store.engine.connect() as conn:
        return conn.scalar(
            select(func.coalesce(func.sum(sync_log.c.pages), 0)).where(sync_log.c.id > log_id)
        )


@pytest.fixture
def db_url(every_db_url):
    """Runs on SQLite, Postgres and the Supabase REST backend."""
    return every_db_url


@pytest.fixture
def store(every_store):
    return every_store


@pytest.fixture
def small_simulator():
    """The small scale (2,000 sales): a run lasts a few seconds, long enough to be killed."""
    from sync.simulator import SimulatorConfig, SimulatorServer

    with SimulatorServer(SimulatorConfig(seed=11, scale="small", token=SIM_TOKEN)) as sim:
        yield sim


def test_kill_9_at_random_moments_then_rerun_is_exact(
    store, small_simulator, db_url, tmp_path, every_backend, request
):
    simulator = small_simulator
    env = sync_env(
        db_url,
        simulator.api_url,
        tmp_path / "logs",
        SIM_TOKEN,
        SYNC_PAGE_SIZE="20",
        **backend_env(every_backend, request),
    )
    rng = random.Random(20261123)
    killed = 0
    for trial in range(TRIALS):
        if trial % 3 == 1:
            simulator.mutate(new_sales=5, update_products=2, stock_changes=4, remove_line_items=1)
        log_mark = last_log_id(store)
        args = [sys.executable, "-m", "sync", "run"] + ([] if trial % 3 == 1 else ["--full"])
        process = subprocess.Popen(
            args,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            cwd=tmp_path,
        )
        # Kill after a random number of committed pages plus a random slice of the next
        # page, so the kills land at different points of the page cycle.
        target = rng.randint(1, 120)
        deadline = time.monotonic() + 60
        while process.poll() is None and time.monotonic() < deadline:
            if pages_since(store, log_mark) >= target:
                time.sleep(rng.uniform(0, 0.08))
                break
            time.sleep(0.005)
        if process.poll() is None:
            os.kill(process.pid, signal.SIGKILL)
            killed += 1
        output, _ = process.communicate(timeout=30)
        assert process.returncode in (0, -signal.SIGKILL), output
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
