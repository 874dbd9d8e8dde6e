"""One sync cycle of many stores by scheduler processes: the single-store floor, the full
cycle shared by two schedulers, and a scheduler killed (SIGKILL) in the middle of it.

Each phase syncs into its own throwaway Postgres database from nothing (SYNC_ON_START) and
ends when every (store, entity) has a delivered run in sync_log. Between phases the rate
windows of the stores run out, so no phase starts on a budget another one used.
"""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path
from typing import Any

import psycopg

from benchmarks.proc import cpu_seconds
from benchmarks.stores_setup import (
    Database,
    Simulator,
    start_scheduler,
    stop,
    store_database,
    sync_env,
    wait_for,
)
from sync.entities import STATE_ENTITIES
from sync.runs import utcnow
from sync.storage.sql.db import create_db_engine
from tests.support.compare import diff_all

DELIVERED = ("success", "partial")
# Connections to the database other than the benchmark's own polling one.
CONNECTIONS = "SELECT count(*) - 1 FROM pg_stat_activity WHERE datname = %s"
PAIRS = """
SELECT store, entity_type, pid, status, started_at, finished_at, peak_rss_bytes,
       stores_at_once FROM sync_log
 WHERE trigger = 'schedule' ORDER BY started_at
"""


def runs(db: Database) -> list[dict[str, Any]]:
    """Every scheduled run so far, oldest first."""
    with psycopg.connect(db.dsn) as conn:
        cur = conn.execute(PAIRS)
        names = [c.name for c in cur.description or ()]
        return [dict(zip(names, row, strict=True)) for row in cur]


def delivered(db: Database) -> set[tuple[str, str]]:
    """The (store, entity) pairs with a delivered scheduled run."""
    return {(r["store"], r["entity_type"]) for r in runs(db) if r["status"] in DELIVERED}


def complete(db: Database) -> bool:
    """True once every store's every entity has a delivered run; notes the connections the
    schedulers hold on the way (db.peak_connections)."""
    with psycopg.connect(db.dsn) as conn:
        held = conn.execute(CONNECTIONS, (db.name,)).fetchone()
    db.peak_connections = max(db.peak_connections, int(held[0]) if held else 0)
    return len(delivered(db)) == len(db.prefixes) * len(STATE_ENTITIES)


def exact(db: Database, sim: Simulator) -> dict[str, list[str]]:
    """The stores whose tables differ from the simulator's data, with their first problems."""
    engine = create_db_engine(db.url)
    try:
        found = {p: diff_all(engine, sim.site(p), store=p)[:3] for p in db.prefixes}
    finally:
        engine.dispose()
    return {p: problems for p, problems in found.items() if problems}


def _span(rows: list[dict[str, Any]]) -> float:
    """Seconds from the first run's start to the last run's end."""
    ends = [r["finished_at"] for r in rows if r["finished_at"] is not None]
    return (max(ends) - min(r["started_at"] for r in rows)).total_seconds() if ends else 0.0


def _env(sim: Simulator, prefixes: list[str], cfg: Any, **extra: str) -> dict[str, str]:
    return sync_env(
        sim.api_url,
        "",
        prefixes[0],
        LIGHTSPEED_RATE_WINDOW_SECONDS=str(cfg.window),
        SYNC_MAX_PARALLEL_STORES=str(cfg.parallel),
        SYNC_ON_START="true",
        HEARTBEAT_SECONDS="5",
        **extra,
    )


def _rest(cfg: Any) -> None:
    time.sleep(cfg.window + 1)  # every store's rate window runs out


def floor(sim: Simulator, prefix: str, cfg: Any, logs: Path) -> dict[str, Any]:
    """One store alone: one scheduler, nothing else running; launch to the last run's end."""
    _rest(cfg)
    sim.reset_stats()
    env = _env(sim, [prefix], cfg, SYNC_INTERVAL_MINUTES="60")
    with store_database("floor", env, [prefix]) as db:
        env["DATABASE_URL"] = db.url
        started = time.monotonic()
        process = start_scheduler(env, logs / f"floor-{prefix}")
        try:
            wait_for(lambda: complete(db), started + cfg.timeout, f"store {prefix} alone")
            wall = time.monotonic() - started
            cpu = cpu_seconds(process.pid)
        finally:
            stop(process)
        return {
            "store": prefix,
            "wall_s": wall,
            "span_s": _span(runs(db)),
            "scheduler_cpu_s": cpu,
            "peak_connections": db.peak_connections,
            "requests": sim.requests(),
            "http_429": sim.too_many(),
        }


def store_timeline(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """When each store's runs began and ended, in seconds from the cycle's first run: the
    latest first start and the spread of the stores' own spans show whether stores waited
    for a slot or each took longer than alone."""
    zero = min(r["started_at"] for r in rows)
    spans = {}
    for store in sorted({r["store"] for r in rows}):
        mine = [r for r in rows if r["store"] == store]
        ends = [r["finished_at"] for r in mine if r["finished_at"] is not None]
        start = (min(r["started_at"] for r in mine) - zero).total_seconds()
        end = (max(ends) - zero).total_seconds() if ends else None
        spans[store] = {"start_s": round(start, 2), "end_s": end and round(end, 2)}
    starts = sorted(v["start_s"] for v in spans.values())
    own = sorted(v["end_s"] - v["start_s"] for v in spans.values() if v["end_s"] is not None)
    return {
        "latest_first_start_s": starts[-1],
        "median_first_start_s": starts[len(starts) // 2],
        "store_span_s": {"min": own[0], "median": own[len(own) // 2], "max": own[-1]},
        "stores": spans,
    }


def _per_pair(rows: list[dict[str, Any]]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for r in rows:
        key = f"{r['store']}/{r['entity_type']}"
        counts[key] = counts.get(key, 0) + 1
    return counts


def _split(rows: list[dict[str, Any]], pids: dict[int, str]) -> dict[str, dict[str, Any]]:
    """Runs and stores per scheduler process (sync_log.pid names the process that ran it),
    with the highest peak memory its runs recorded and the most stores they saw at once."""
    split: dict[str, dict[str, Any]] = {}
    for r in rows:
        name = pids.get(r["pid"], f"pid {r['pid']}")
        entry = split.setdefault(name, {"runs": 0, "stores": set(), "peak": 0, "at_once": 0})
        entry["runs"] += 1
        entry["stores"].add(r["store"])
        entry["peak"] = max(entry["peak"], r["peak_rss_bytes"] or 0)
        entry["at_once"] = max(entry["at_once"], r["stores_at_once"] or 0)
    return {
        k: {
            "runs": v["runs"],
            "stores": len(v["stores"]),
            "peak_rss_mb": round(v["peak"] / 2**20),
            "most_stores_at_once": v["at_once"],
        }
        for k, v in sorted(split.items())
    }


def full_cycle(sim: Simulator, cfg: Any, logs: Path) -> dict[str, Any]:
    """Every store, two scheduler processes sharing the work through the leases."""
    _rest(cfg)
    sim.reset_stats()
    env = _env(sim, sim.prefixes, cfg, SYNC_INTERVAL_MINUTES="60")
    with store_database("cycle", env, sim.prefixes) as db:
        env["DATABASE_URL"] = db.url
        started = time.monotonic()
        sim_cpu = cpu_seconds(sim.process.pid)
        procs = {
            "scheduler A": start_scheduler(env, logs / "cycle-A"),
            "scheduler B": start_scheduler(env, logs / "cycle-B"),
        }
        try:
            wait_for(lambda: complete(db), started + cfg.timeout, "the full cycle")
            wall = time.monotonic() - started
            cpu = {name: cpu_seconds(p.pid) for name, p in procs.items()}
            cpu["simulator"] = cpu_seconds(sim.process.pid) - sim_cpu
            time.sleep(2)  # a late duplicate would show up now
            rows = runs(db)
        finally:
            for process in procs.values():
                stop(process)
        counts = _per_pair(rows)
        pids = {p.pid: name for name, p in procs.items()}
        return {
            "wall_s": wall,
            "span_s": _span(rows),
            "peak_connections": db.peak_connections,
            "requests": sim.requests(),
            "http_429": sim.too_many(),
            "pairs": len(counts),
            "runs_per_pair": {"min": min(counts.values()), "max": max(counts.values())},
            "pairs_not_once": {k: v for k, v in counts.items() if v != 1},
            "split": _split(rows, pids),
            "scheduler_cpu_s": cpu,
            "timeline": store_timeline(rows),
            "not_exact": exact(db, sim),
        }


def kill_trial(sim: Simulator, cfg: Any, logs: Path) -> dict[str, Any]:
    """Two schedulers; one gets SIGKILL once some of its runs started; the other finishes."""
    _rest(cfg)
    sim.reset_stats()
    env = _env(sim, sim.prefixes, cfg, SYNC_INTERVAL_MINUTES="1", LOCK_TTL_SECONDS="10")
    with store_database("kill", env, sim.prefixes) as db:
        env["DATABASE_URL"] = db.url
        started = time.monotonic()
        victim = start_scheduler(env, logs / "kill-A")
        survivor = start_scheduler(env, logs / "kill-B")
        try:

            def victim_mid_run() -> bool:
                mine = [r for r in runs(db) if r["pid"] == victim.pid]
                return len(mine) >= cfg.kill_after and any(r["status"] == "running" for r in mine)

            wait_for(victim_mid_run, started + cfg.timeout, "the victim's runs", every=0.05)
            os.kill(victim.pid, signal.SIGKILL)
            killed_at, killed_clock = time.monotonic(), utcnow()
            victim.wait(timeout=10)
            cut = [r for r in runs(db) if r["pid"] == victim.pid]
            left = {(r["store"], r["entity_type"]) for r in cut if r["status"] == "running"}
            wait_for(lambda: complete(db), killed_at + cfg.timeout, "the survivor to finish")
            recovered = time.monotonic() - killed_at
            rows = runs(db)
        finally:
            stop(victim)
            stop(survivor)
        taken_over = {
            (r["store"], r["entity_type"]): r["finished_at"]
            for r in rows
            if r["pid"] == survivor.pid and r["status"] in DELIVERED
        }
        redone = [taken_over[pair] for pair in left if pair in taken_over]
        return {
            "killed_after_s": killed_at - started,
            "victim_runs_at_kill": len(cut),
            "victim_runs_cut": len(left),
            "cut_runs_finished_by_survivor": len(redone),
            "cut_runs_redone_s": (max(redone) - killed_clock).total_seconds() if redone else None,
            "recovery_s": recovered,
            "peak_connections": db.peak_connections,
            "http_429": sim.too_many(),
            "not_exact": exact(db, sim),
        }
