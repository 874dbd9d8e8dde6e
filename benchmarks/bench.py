"""Sync benchmark: full import, no-change run, fetch-only and load-only passes.

Runs the simulator in its own process and every measured pass as a child process, so
peak RSS (ru_maxrss of the child) is the sync's own. Prints a table and writes JSON to
benchmarks/results/. Usage: python benchmarks/bench.py [--scales small,medium]
[--backends sqlite,postgres] [--crash-trials N]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import re
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import psycopg

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from sqlalchemy import func, select  # noqa: E402

from sync.db import create_db_engine  # noqa: E402
from sync.schema import sync_log  # noqa: E402

PG_ADMIN = "postgresql://postgres@127.0.0.1:5432/postgres"
TOKEN = "bench-token"
RESULTS = REPO / "benchmarks" / "results"


def start_simulator(scale: str, seed: int = 42) -> tuple[subprocess.Popen[str], str]:
    """Start the simulator process; returns it and its API URL."""
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "sync.simulator",
            "--port",
            "0",
            "--scale",
            scale,
            "--seed",
            str(seed),
            "--token",
            TOKEN,
        ],
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    assert process.stdout is not None
    line = process.stdout.readline()
    match = re.search(r"(http://127\.0\.0\.1:\d+/api/2\.0)", line)
    if not match:
        process.kill()
        raise RuntimeError(f"simulator did not start: {line!r}")
    return process, match.group(1)


def timed_child(args: list[str], env: dict[str, str]) -> dict[str, Any]:
    """Run a child to completion; wall seconds, peak RSS (MB) and exit code."""
    start = time.perf_counter()
    process = subprocess.Popen(
        args, cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    _, status, usage = os.wait4(process.pid, 0)
    seconds = time.perf_counter() - start
    output = process.stdout.read() if process.stdout else ""
    code = os.waitstatus_to_exitcode(status)
    if code != 0:
        print(output, file=sys.stderr)
    return {
        "seconds": seconds,
        "peak_rss_mb": usage.ru_maxrss / 1024,
        "exit": code,
        "output": output,
    }


def new_database(backend: str, workdir: Path) -> tuple[str, Any]:
    if backend == "sqlite":
        return f"sqlite:///{workdir / f'bench-{uuid.uuid4().hex[:8]}.db'}", lambda: None
    name = f"lsync_bench_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')

    def drop() -> None:
        with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    return f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}", drop


def run_stats(db_url: str, run_id_after: int) -> dict[str, int]:
    engine = create_db_engine(db_url)
    with engine.connect() as conn:
        row = conn.execute(
            select(
                func.sum(sync_log.c.records_upserted), func.sum(sync_log.c.api_calls), func.count()
            ).where(sync_log.c.id > run_id_after)
        ).one()
        last_id = conn.scalar(select(func.max(sync_log.c.id))) or 0
    engine.dispose()
    return {"records": int(row[0] or 0), "api_calls": int(row[1] or 0), "last_id": int(last_id)}


def bench_backend(backend: str, scale: str, api_url: str, workdir: Path) -> dict[str, Any]:
    db_url, drop = new_database(backend, workdir)
    env = {
        **os.environ,
        "DATABASE_URL": db_url,
        "LIGHTSPEED_BASE_URL": api_url,
        "LIGHTSPEED_TOKEN": TOKEN,
        "LOG_DIR": str(workdir / "logs"),
    }
    try:
        subprocess.run(
            [sys.executable, "-m", "sync", "migrate"],
            cwd=REPO,
            env=env,
            check=True,
            capture_output=True,
        )
        full = timed_child([sys.executable, "-m", "sync", "run"], env)
        stats = run_stats(db_url, 0)
        again = timed_child([sys.executable, "-m", "sync", "run"], env)
        nochange = run_stats(db_url, stats["last_id"])
        # The no-change figure that matters is the sync itself, not interpreter start-up:
        # read it from sync_log's durations.
        engine = create_db_engine(db_url)
        with engine.connect() as conn:
            first, last = conn.execute(
                select(func.min(sync_log.c.started_at), func.max(sync_log.c.finished_at)).where(
                    sync_log.c.id > stats["last_id"]
                )
            ).one()
        engine.dispose()
        # SQLite returns text for aggregates of timestamps; parse both the same way.
        nochange_seconds = (_as_time(last) - _as_time(first)).total_seconds()
        load = {}
        for method in ["copy", "values"] if backend == "postgres" else ["values"]:
            load_db, load_drop = new_database(backend, workdir)
            try:
                load[method] = timed_child(
                    [
                        sys.executable,
                        str(REPO / "benchmarks" / "passes.py"),
                        "load",
                        "--api-url",
                        api_url,
                        "--token",
                        TOKEN,
                        "--db-url",
                        load_db,
                        "--pg-method",
                        method,
                    ],
                    env,
                )
                load[method]["seconds"] = _reported_seconds(load[method])
            finally:
                load_drop()
        return {
            "backend": backend,
            "scale": scale,
            "full_seconds": full["seconds"],
            "full_exit": full["exit"],
            "records": stats["records"],
            "records_per_s": stats["records"] / full["seconds"],
            "peak_rss_mb": full["peak_rss_mb"],
            "full_api_calls": stats["api_calls"],
            "nochange_process_seconds": again["seconds"],
            "nochange_sync_seconds": nochange_seconds,
            "nochange_api_calls": nochange["api_calls"],
            "load_only_seconds": {k: v["seconds"] for k, v in load.items()},
        }
    finally:
        drop()


def _as_time(value: Any) -> datetime:
    if isinstance(value, datetime):
        return value
    return datetime.fromisoformat(str(value))


def _reported_seconds(result: dict[str, Any]) -> float:
    """passes.py prints 'seconds=<float>' for the timed part (pre-loading excluded)."""
    match = re.search(r"seconds=([\d.]+)", result["output"])
    return float(match.group(1)) if match else result["seconds"]


def crash_trials(backend: str, api_url: str, sim_url: str, trials: int, workdir: Path) -> dict:
    """kill -9 the sync at random moments, rerun, compare with the source."""
    db_url, drop = new_database(backend, workdir)
    env = {
        **os.environ,
        "DATABASE_URL": db_url,
        "LIGHTSPEED_BASE_URL": api_url,
        "LIGHTSPEED_TOKEN": TOKEN,
        "LOG_DIR": str(workdir / "logs"),
        "SYNC_PAGE_SIZE": "200",
    }
    rng = random.Random(7)
    killed = 0
    try:
        subprocess.run(
            [sys.executable, "-m", "sync", "migrate"],
            cwd=REPO,
            env=env,
            check=True,
            capture_output=True,
        )
        for _ in range(trials):
            process = subprocess.Popen(
                [sys.executable, "-m", "sync", "run", "--full"],
                cwd=REPO,
                env=env,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            time.sleep(rng.uniform(0.5, 6.0))
            if process.poll() is None:
                process.send_signal(signal.SIGKILL)
                killed += 1
            process.wait()
        final = subprocess.run(
            [sys.executable, "-m", "sync", "run"], cwd=REPO, env=env, capture_output=True, text=True
        )
        check = subprocess.run(
            [
                sys.executable,
                str(REPO / "benchmarks" / "passes.py"),
                "compare",
                "--sim-url",
                sim_url,
                "--db-url",
                db_url,
            ],
            cwd=REPO,
            env=env,
            capture_output=True,
            text=True,
        )
        return {
            "backend": backend,
            "trials": trials,
            "killed": killed,
            "final_exit": final.returncode,
            "exact": check.returncode == 0,
            "differences": check.stdout.strip()[:500],
        }
    finally:
        drop()


def print_table(rows: list[dict[str, Any]], passes: dict[str, dict[str, Any]]) -> None:
    header = (
        f"{'backend':<9} {'scale':<7} {'records':>9} {'full s':>8} {'rec/s':>8} "
        f"{'RSS MB':>7} {'fetch s':>8} {'load s':>14} {'ratio':>6} {'no-chg s':>9} "
        f"{'calls':>5}"
    )
    print(header)
    print("-" * len(header))
    for r in rows:
        fetch = passes[r["scale"]]["seconds"]
        loads = r["load_only_seconds"]
        best_load = min(loads.values())
        ratio = r["full_seconds"] / max(fetch, best_load)
        load_text = "/".join(f"{v:.1f}" for v in loads.values())
        nochange = r["nochange_sync_seconds"]
        print(
            f"{r['backend']:<9} {r['scale']:<7} {r['records']:>9,} {r['full_seconds']:>8.1f} "
            f"{r['records_per_s']:>8,.0f} {r['peak_rss_mb']:>7.0f} {fetch:>8.1f} "
            f"{load_text:>14} {ratio:>6.2f} "
            f"{(nochange if nochange is not None else float('nan')):>9.3f} "
            f"{r['nochange_api_calls']:>5}"
        )
        r["ratio_full_to_max_pass"] = ratio
    print(
        "load s: copy/values on Postgres, executemany on SQLite. ratio = full / max(fetch, "
        "load). no-chg s: the sync itself (from sync_log), without interpreter start-up."
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--scales", default="small,medium")
    parser.add_argument("--backends", default="sqlite,postgres")
    parser.add_argument("--crash-trials", type=int, default=0)
    args = parser.parse_args()
    results: dict[str, Any] = {
        "started_at": datetime.now(UTC).isoformat(),
        "machine": {"python": platform.python_version(), "cpus": os.cpu_count()},
        "runs": [],
        "fetch_only": {},
        "crash": [],
    }
    with tempfile.TemporaryDirectory(prefix="lsync-bench-") as tmp:
        workdir = Path(tmp)
        for scale in args.scales.split(","):
            sim, api_url = start_simulator(scale)
            try:
                fetch = timed_child(
                    [
                        sys.executable,
                        str(REPO / "benchmarks" / "passes.py"),
                        "fetch",
                        "--api-url",
                        api_url,
                        "--token",
                        TOKEN,
                    ],
                    os.environ.copy(),
                )
                fetch["seconds"] = _reported_seconds(fetch)
                results["fetch_only"][scale] = {k: fetch[k] for k in ("seconds", "peak_rss_mb")}
                for backend in args.backends.split(","):
                    print(f"[{scale}/{backend}] full import ...", file=sys.stderr, flush=True)
                    results["runs"].append(bench_backend(backend, scale, api_url, workdir))
                if args.crash_trials and scale == args.scales.split(",")[-1]:
                    sim_url = api_url.rsplit("/api/2.0", 1)[0]
                    for backend in args.backends.split(","):
                        print(f"[{scale}/{backend}] crash trials ...", file=sys.stderr, flush=True)
                        results["crash"].append(
                            crash_trials(backend, api_url, sim_url, args.crash_trials, workdir)
                        )
            finally:
                sim.terminate()
                sim.wait(timeout=30)
    print_table(results["runs"], results["fetch_only"])
    for crash in results["crash"]:
        print(
            f"crash trials {crash['backend']}: {crash['killed']}/{crash['trials']} killed, "
            f"final run exit {crash['final_exit']}, exact copy: {crash['exact']}"
        )
    RESULTS.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    for path in (RESULTS / f"bench-{stamp}.json", RESULTS / "latest.json"):
        path.write_text(json.dumps(results, indent=2, default=str))
    print(f"JSON: {RESULTS / 'latest.json'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
