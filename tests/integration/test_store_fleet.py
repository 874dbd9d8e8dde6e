"""Several stores under one scheduler (issue 27 §3): every enabled store synced in
parallel (SYNC_MAX_PARALLEL_STORES), each exact and in its own rows; a disabled store is
not synced; two scheduler processes share a cycle, each (store, entity) run exactly once."""

from __future__ import annotations

import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from sync.config import load_settings
from sync.entities import ENTITIES, STATE_ENTITIES
from sync.runs import SUCCEEDED
from sync.service.fleet import StoreFleet, shared_pool_size
from sync.storage.backend import open_store
from sync.storage.schema import sync_log, sync_state
from sync.storage.sql.db import create_db_engine
from tests.support.cli import run_cli
from tests.support.compare import diff_all
from tests.support.processes import REPO

FIRST, ADDED = "acme", ("beta", "gamma", "delta")
DELAY = 0.04  # every answer waits this long: a store's sync takes a measurable time


@pytest.fixture
def sim() -> Iterator[Any]:
    from sync.simulator import SimulatorConfig, SimulatorServer

    config = SimulatorConfig(
        seed=9, scale="tiny", token="dev-token-{prefix}", timeout_rate=1.0, timeout_delay=DELAY
    )
    with SimulatorServer(config, stores=[FIRST, *ADDED]) as server:
        yield server


def stores_added(db_url: str, sim: Any, tmp_path: Path) -> dict[str, str]:
    """Migrate, add three stores with `store add` (token on stdin), disable the first."""
    env = {
        "DATABASE_URL": db_url,
        "LIGHTSPEED_BASE_URL": sim.api_url,
        "LIGHTSPEED_DOMAIN_PREFIX": FIRST,
        "LIGHTSPEED_TOKEN": f"dev-token-{FIRST}",
        "LIGHTSPEED_TIMEOUT_SECONDS": "5",
        "SYNC_MAX_PARALLEL_STORES": "3",
        "SCHEDULER_POLL_SECONDS": "0.2",
        "HEARTBEAT_SECONDS": "1",
        "NIGHTLY_FULL_TIME": "off",
        "LOG_DIR": str(tmp_path / "logs"),
    }
    assert run_cli("migrate", env=env, cwd=tmp_path).returncode == 0
    for prefix in ADDED:
        added = run_cli(
            "store",
            "add",
            prefix,
            "--token-stdin",
            env=env,
            cwd=tmp_path,
            input=f"dev-token-{prefix}\n",
        )
        assert added.returncode == 0, added.stderr
    assert run_cli("store", "disable", FIRST, env=env, cwd=tmp_path).returncode == 0
    return env


def all_synced(engine: Any, stores: tuple[str, ...]) -> bool:
    with engine.connect() as conn:
        rows = conn.execute(select(sync_state.c.store, sync_state.c.status)).all()
    done = Counter(store for store, status in rows if status in SUCCEEDED)
    return all(done[s] == len(STATE_ENTITIES) for s in stores)


def wait_for(check: Any, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while not check():
        assert time.monotonic() < deadline, "the stores were not synced in time"
        time.sleep(0.1)


def test_three_added_stores_sync_in_parallel_each_exact_and_a_disabled_store_not_at_all(
    db_url, sim, tmp_path
):
    env = stores_added(db_url, sim, tmp_path)
    settings = load_settings(env, env_file=None)
    engine = create_db_engine(db_url)
    try:
        fleet = StoreFleet(settings, open_store(settings), sync_on_start=True, rescan_seconds=0.2)
        thread = threading.Thread(target=fleet.run_forever)
        thread.start()
        try:
            wait_for(lambda: all_synced(engine, ADDED), 60)
            # The added stores share one engine, its pool sized for 3 stores at once: the
            # connections grow with SYNC_MAX_PARALLEL_STORES, not with the stores.
            engines = {running.handle.sql for running in fleet.running.values()}
        finally:
            fleet.stop.set()
            thread.join(30)
        assert not thread.is_alive()
        [shared] = engines
        if shared.dialect.name == "postgresql":
            assert (shared.pool.size(), shared.pool._max_overflow) == shared_pool_size(3)
        # In parallel, not one after another: the three stores' cycles share a moment
        # (read from the run log, so a loaded machine cannot make this flaky; the
        # benchmark measures the wall time).
        with engine.connect() as conn:
            spans = conn.execute(
                select(
                    sync_log.c.store,
                    func.min(sync_log.c.started_at),
                    func.max(sync_log.c.finished_at),
                ).group_by(sync_log.c.store)
            ).all()
        assert len(spans) == len(ADDED)
        assert max(start for _, start, _ in spans) < min(end for _, _, end in spans), spans
        # ... and each run says how many stores shared the process's memory meanwhile.
        with engine.connect() as conn:
            at_once = set(conn.scalars(select(sync_log.c.stores_at_once)))
        assert None not in at_once and max(at_once) >= 2 and at_once <= {1, 2, 3}, at_once
        for prefix in ADDED:
            assert diff_all(engine, sim.site(prefix), store=prefix) == [], prefix
        with engine.connect() as conn:
            runs = conn.execute(select(sync_log.c.store, sync_log.c.run_id)).all()
        assert {store for store, _ in runs} == set(ADDED)  # the disabled store: no run
        run_ids = {store: {r for s, r in runs if s == store} for store in ADDED}
        assert not set.intersection(*run_ids.values())  # each store's runs in its own rows
        assert "dev-token" not in "".join(p.read_text() for p in (tmp_path / "logs").glob("*.log*"))
    finally:
        engine.dispose()


def start_scheduler(env: dict[str, str], log: Path) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "sync", "scheduler"],
        env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(REPO), "SYNC_ON_START": "true", **env},
        cwd=log.parent,
        stdout=log.open("w"),
        stderr=subprocess.STDOUT,
    )


@pytest.mark.postgres
def test_two_scheduler_processes_share_a_cycle_each_store_entity_run_exactly_once(
    pg_url, sim, tmp_path
):
    env = stores_added(pg_url, sim, tmp_path)
    engine = create_db_engine(pg_url)
    processes = [start_scheduler(env, tmp_path / f"scheduler-{i}.out") for i in range(2)]
    try:
        wait_for(lambda: all_synced(engine, ADDED), 90)
        time.sleep(1.0)  # the slower process has looked at every entity by now
    finally:
        for process in processes:
            process.send_signal(signal.SIGTERM)
        for process in processes:
            assert process.wait(30) == 0
    try:
        with engine.connect() as conn:
            runs = conn.execute(
                select(sync_log.c.store, sync_log.c.entity_type, sync_log.c.status)
            ).all()
        per_pair = Counter((store, entity) for store, entity, _ in runs)
        logged = {entity for _, entity, _ in runs}  # the entities and sales' line items
        assert logged >= {spec.name for spec in ENTITIES}
        assert set(per_pair) == {(store, entity) for store in ADDED for entity in logged}
        assert set(per_pair.values()) == {1}, per_pair
        assert {status for _, _, status in runs} == {"success"}
        for prefix in ADDED:
            assert diff_all(engine, sim.site(prefix), store=prefix) == [], prefix
        written = [p.read_text() for p in tmp_path.glob("**/*") if p.is_file() and ".log" in p.name]
        written += [p.read_text() for p in tmp_path.glob("scheduler-*.out")]
        assert written and not any("dev-token-" in text for text in written)
    finally:
        engine.dispose()
