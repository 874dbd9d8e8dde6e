"""Sync benchmark: full import against its floors, no-change run, kill -9 trials.

Runs the simulator in its own process and every measured pass as a child process, so
peak RSS (ru_maxrss of the child) is the sync's own. Each figure is the median of
`--repeats` runs (default 3; see benchmarks/floors.py for the ratios and targets).
Prints a table and writes JSON to benchmarks/results/. Usage: python benchmarks/bench.py
[--scales small,medium] [--backends sqlite,postgres,supabase-rest] [--crash-trials N]
[--repeats N] [--profile]. `--profile` prints, per entity, where the time goes instead.

`supabase-rest` syncs through the Supabase REST API: a fresh Postgres database prepared
like a Supabase project, served by the PostgREST stand-in in its own process
(`bench.py --serve-stand-in DB_URL KEY`), which also counts the REST requests.
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
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import psycopg

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from sqlalchemy import func, select  # noqa: E402

from benchmarks.floors import median, print_table  # noqa: E402
from benchmarks.proc import cpu_seconds, machine_busy_seconds  # noqa: E402
from sync.storage.schema import sync_log  # noqa: E402
from sync.storage.sql.db import create_db_engine, migrate  # noqa: E402

PG_ADMIN = "postgresql://postgres@127.0.0.1:5432/postgres"
TOKEN = "bench-token"
RESULTS = REPO / "benchmarks" / "results"
REST = "supabase-rest"
# Shaped like a Supabase key (supabase-py checks the shape); the stand-in maps it to
# service_role.
SERVICE_KEY = "eyJhbGciOiJIUzI1NiJ9.YmVuY2gtc2VydmljZS1yb2xl.QmVuY2hTZXJ2aWNlS2V5MDEyMzQ1"


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
    """Run a child to completion; wall seconds, peak RSS (MB), exit code, the child's own CPU
    seconds and the whole machine's (every process: the simulator, the database server)."""
    busy = machine_busy_seconds()
    start = time.perf_counter()
    process = subprocess.Popen(
        args, cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    _, status, usage = os.wait4(process.pid, 0)
    seconds = time.perf_counter() - start
    machine_cpu = machine_busy_seconds() - busy
    output = process.stdout.read() if process.stdout else ""
    code = os.waitstatus_to_exitcode(status)
    if code != 0:
        print(output, file=sys.stderr)
    return {
        "seconds": seconds,
        "peak_rss_mb": usage.ru_maxrss / 1024,
        "exit": code,
        "output": output,
        "cpu_seconds": usage.ru_utime + usage.ru_stime,
        "machine_cpu_seconds": machine_cpu,
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


class _RequestTally(list):
    """Stands in for PostgrestStandIn.requests: counts requests instead of keeping them."""

    def __init__(self) -> None:
        super().__init__()
        self.by_path: Counter[str] = Counter()

    def append(self, record: Any) -> None:
        self.by_path[record.path] += 1


def serve_stand_in(db_url: str, key: str) -> int:
    """Launcher mode: serve the stand-in on `db_url`, print its URL, then answer stats.

    Each line read on stdin is answered by one JSON line (requests so far, per path, and
    protocol violations); end of stdin stops the server.
    """
    from tests.support.postgrest import PostgrestStandIn

    with PostgrestStandIn(db_url, {key: "service_role"}) as server:
        tally = _RequestTally()
        server.requests = tally  # before any request arrives: the URL is not out yet
        print(server.url, flush=True)
        for _ in sys.stdin:
            with server._lock:
                stats = {
                    "requests": sum(tally.by_path.values()),
                    "by_path": dict(tally.by_path),
                    "violations": list(server.violations),
                }
            print(json.dumps(stats), flush=True)
    return 0


class StandInProcess:
    """The PostgREST stand-in running in its own process (its CPU is not the sync's)."""

    def __init__(self, db_url: str, key: str) -> None:
        self.process = subprocess.Popen(
            [sys.executable, str(Path(__file__).resolve()), "--serve-stand-in", db_url, key],
            cwd=REPO,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self.process.stdout is not None
        self.url = self.process.stdout.readline().strip()
        if not self.url.startswith("http://"):
            self.process.kill()
            raise RuntimeError(f"stand-in did not start: {self.url!r}")

    def stats(self) -> dict[str, Any]:
        """Requests served so far and protocol violations."""
        assert self.process.stdin is not None and self.process.stdout is not None
        self.process.stdin.write("stats\n")
        self.process.stdin.flush()
        return json.loads(self.process.stdout.readline())

    def close(self) -> None:
        """Stop the server (end of its stdin) and wait for it."""
        if self.process.stdin is not None:
            self.process.stdin.close()
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


@dataclass
class Target:
    """Where a child sync writes: its environment, the SQL database behind it, the stand-in."""

    env: dict[str, str]
    db_url: str
    stand_in: StandInProcess | None = None

    def rest_requests(self) -> int | None:
        """REST requests the stand-in has served so far (None for SQL backends)."""
        return self.stand_in.stats()["requests"] if self.stand_in else None


@contextmanager
def backend_target(
    backend: str, api_url: str, workdir: Path, extra_env: dict[str, str] | None = None
) -> Iterator[Target]:
    """A fresh, migrated database for `backend` and the env pointing `python -m sync` at it.

    For supabase-rest: a Postgres database with Supabase's roles and default grants, our
    migrations, and the stand-in serving it; on exit the stand-in must report no
    protocol violations.
    """
    db_url, drop = new_database("postgres" if backend == REST else backend, workdir)
    env = {
        **os.environ,
        "DATABASE_URL": db_url,
        "LIGHTSPEED_BASE_URL": api_url,
        "LIGHTSPEED_TOKEN": TOKEN,
        "LOG_DIR": str(workdir / "logs"),
        **(extra_env or {}),
    }
    stand_in: StandInProcess | None = None
    try:
        if backend == REST:
            from tests.support.supabase_roles import apply_supabase_defaults, ensure_cluster_roles

            ensure_cluster_roles(PG_ADMIN)
            apply_supabase_defaults(db_url)
            engine = create_db_engine(db_url)
            migrate(engine)
            engine.dispose()
            stand_in = StandInProcess(db_url, SERVICE_KEY)
            env.update(
                {
                    "DATABASE_URL": "",
                    "SUPABASE_URL": stand_in.url,
                    "SUPABASE_SERVICE_ROLE_KEY": SERVICE_KEY,
                }
            )
        else:
            subprocess.run(
                [sys.executable, "-m", "sync", "migrate"],
                cwd=REPO,
                env=env,
                check=True,
                capture_output=True,
            )
        target = Target(env, db_url, stand_in)
        yield target
        if stand_in is not None:
            violations = stand_in.stats()["violations"]
            if violations:
                raise RuntimeError(f"requests outside PostgREST's protocol: {violations[:5]}")
    finally:
        if stand_in is not None:
            stand_in.close()
        drop()


def compare_with_source(api_url: str, db_url: str, env: dict[str, str]) -> dict[str, Any]:
    """passes.py compare: is the database an exact copy of the simulator's data?"""
    check = subprocess.run(
        [
            sys.executable,
            str(REPO / "benchmarks" / "passes.py"),
            "compare",
            "--sim-url",
            api_url.rsplit("/api/2.0", 1)[0],
            "--db-url",
            db_url,
        ],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
    )
    return {"exact": check.returncode == 0, "differences": check.stdout.strip()[:500]}


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


def bench_backend(
    backend: str,
    scale: str,
    api_url: str,
    workdir: Path,
    repeats: int,
    exact: bool = True,
    simulator_pid: int | None = None,
) -> dict[str, Any]:
    """`repeats` full imports and their same-output floors (medians); exact-copy check and
    no-change run."""
    fulls, floors = [], []
    for repeat in range(repeats):
        print(f"[{scale}/{backend}] full import {repeat + 1}/{repeats} ...", file=sys.stderr)
        with backend_target(backend, api_url, workdir) as target:
            simulator_cpu = cpu_seconds(simulator_pid) if simulator_pid else 0.0
            full = timed_child([sys.executable, "-m", "sync", "run"], target.env)
            if simulator_pid:
                full["simulator_cpu_seconds"] = cpu_seconds(simulator_pid) - simulator_cpu
            full["records"] = run_stats(target.db_url, 0)["records"]
            full["sync_seconds"] = sync_seconds(target.db_url, 0)
            if repeat == 0:
                first = _check_and_rerun(target, api_url, scale, backend, exact)
            fulls.append(full)
            if backend != REST:
                floors.append(same_output_floor(backend, target.db_url, workdir))
    return {
        "backend": backend,
        "scale": scale,
        "repeats": repeats,
        "full_seconds": median([f["seconds"] for f in fulls]),
        "full_seconds_each": [f["seconds"] for f in fulls],
        "full_exit": max(f["exit"] for f in fulls),
        # CPU seconds of the import: its own process, and every process of the machine (the
        # simulator and the database server too) while it ran. On a machine with N cores the
        # import cannot take less than the latter / N.
        "full_cpu_seconds": median([f["cpu_seconds"] for f in fulls]),
        "full_machine_cpu_seconds": median([f["machine_cpu_seconds"] for f in fulls]),
        "full_simulator_cpu_seconds": (
            median([f["simulator_cpu_seconds"] for f in fulls]) if simulator_pid else None
        ),
        # The import's own work (sync_log: first start to last finish), no interpreter start-up.
        "sync_seconds": median([f["sync_seconds"] for f in fulls]),
        "records": fulls[0]["records"],
        "records_per_s": fulls[0]["records"] / median([f["seconds"] for f in fulls]),
        "peak_rss_mb": max(f["peak_rss_mb"] for f in fulls),
        "floor_seconds": median(floors) if floors else None,
        "floor_seconds_each": floors,
        **first,
    }


def _check_and_rerun(
    target: Target, api_url: str, scale: str, backend: str, exact: bool
) -> dict[str, Any]:
    """After a full import: the exact-copy check (unless not `exact`), then a no-change run."""
    env, db_url = target.env, target.db_url
    stats = run_stats(db_url, 0)
    # The check holds the whole copy and the source in memory (≈ 9 GB at medium scale).
    check = (
        compare_with_source(api_url, db_url, env)
        if exact
        else {"exact": None, "differences": "not checked (--skip-exact)"}
    )
    if check["exact"] is False:
        print(f"[{scale}/{backend}] NOT an exact copy:\n{check['differences']}", file=sys.stderr)
    rest_mid = target.rest_requests()
    again = timed_child([sys.executable, "-m", "sync", "run"], env)
    rest_again = target.rest_requests()
    nochange = run_stats(db_url, stats["last_id"])
    return {
        "full_api_calls": stats["api_calls"],
        # REST requests of the import: all the stand-in served before the no-change run.
        "full_rest_requests": rest_mid,
        "exact_copy": check["exact"],
        "differences": check["differences"],
        "nochange_process_seconds": again["seconds"],
        # The no-change figure that matters is the sync itself, not interpreter start-up.
        "nochange_sync_seconds": sync_seconds(db_url, stats["last_id"]),
        "nochange_api_calls": nochange["api_calls"],
        "nochange_rest_requests": _delta(rest_mid, rest_again),
    }


def sync_seconds(db_url: str, run_id_after: int) -> float:
    """The sync's own time from sync_log: first start to last finish after `run_id_after`."""
    engine = create_db_engine(db_url)
    with engine.connect() as conn:
        first, last = conn.execute(
            select(func.min(sync_log.c.started_at), func.max(sync_log.c.finished_at)).where(
                sync_log.c.id > run_id_after
            )
        ).one()
    engine.dispose()
    # SQLite returns text for aggregates of timestamps; parse both the same way.
    return (_as_time(last) - _as_time(first)).total_seconds()


def passes_child(mode: str, api_url: str, db_url: str | None = None) -> dict[str, Any]:
    """Run one passes.py mode as a child; its own timing ('seconds=') as `seconds`."""
    args = [sys.executable, str(REPO / "benchmarks" / "passes.py"), mode, "--api-url", api_url]
    args += ["--token", TOKEN] + (["--db-url", db_url] if db_url else [])
    result = timed_child(args, os.environ.copy())
    if result["exit"] != 0:
        raise RuntimeError(f"passes.py {mode} failed:\n{result['output'][-2000:]}")
    result["seconds"] = _reported_seconds(result)
    return result


def same_output_floor(backend: str, source_db_url: str, workdir: Path) -> float:
    """Seconds of the same-output floor (benchmarks/same_output.py): the rows the import
    stored in `source_db_url`, written into a fresh database."""
    db_url, drop = new_database(backend, workdir)
    try:
        args = [sys.executable, str(REPO / "benchmarks" / "passes.py"), "same"]
        args += ["--source-db-url", source_db_url, "--db-url", db_url]
        result = timed_child(args, os.environ.copy())
        if result["exit"] != 0:
            raise RuntimeError(f"passes.py same failed:\n{result['output'][-2000:]}")
        return _reported_seconds(result)
    finally:
        drop()


def profile_backend(backend: str, scale: str, api_url: str, workdir: Path) -> list[Any]:
    """passes.py profile on a fresh database: prints its table, returns its rows."""
    db_url, drop = new_database(backend, workdir)
    try:
        output = passes_child("profile", api_url, db_url)["output"]
    finally:
        drop()
    print(f"[{scale}] " + "\n".join(x for x in output.splitlines() if not x.startswith("JSON ")))
    return json.loads(output.rsplit("JSON ", 1)[1])


def _delta(before: int | None, after: int | None) -> int | None:
    return None if before is None or after is None else after - before


def _as_time(value: Any) -> datetime:
    if isinstance(value, datetime):
        return value
    return datetime.fromisoformat(str(value))


def _reported_seconds(result: dict[str, Any]) -> float:
    """passes.py prints 'seconds=<float>' for the timed part (pre-loading excluded)."""
    match = re.search(r"seconds=([\d.]+)", result["output"])
    return float(match.group(1)) if match else result["seconds"]


def crash_trials(backend: str, api_url: str, trials: int, workdir: Path) -> dict:
    """kill -9 the sync at random moments, rerun, compare with the source."""
    rng = random.Random(7)
    killed = 0
    with backend_target(backend, api_url, workdir, {"SYNC_PAGE_SIZE": "200"}) as target:
        env = target.env
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
        check = compare_with_source(api_url, target.db_url, env)
    return {
        "backend": backend,
        "trials": trials,
        "killed": killed,
        "final_exit": final.returncode,
        **check,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--scales", default="small,medium")
    parser.add_argument("--backends", default="sqlite,postgres")
    parser.add_argument("--crash-trials", type=int, default=0)
    parser.add_argument(
        "--repeats", type=int, default=3, help="runs of each measured pass; medians are kept"
    )
    parser.add_argument(
        "--skip-exact",
        action="store_true",
        help="no exact-copy check (it needs ≈ 9 GB of memory at medium scale, 30 at large)",
    )
    parser.add_argument(
        "--profile",
        action="store_true",
        help="instead: per entity where the time goes (fetch, parse, map, write, commit)",
    )
    parser.add_argument(
        "--serve-stand-in", nargs=2, metavar=("DB_URL", "KEY"), help=argparse.SUPPRESS
    )
    args = parser.parse_args()
    if args.serve_stand_in:
        return serve_stand_in(*args.serve_stand_in)
    results: dict[str, Any] = {
        "started_at": datetime.now(UTC).isoformat(),
        "machine": {"python": platform.python_version(), "cpus": os.cpu_count()},
        "runs": [],
        "fetch_only": {},
        "crash": [],
        "profile": [],
    }
    with tempfile.TemporaryDirectory(prefix="lsync-bench-") as tmp:
        workdir = Path(tmp)
        for scale in args.scales.split(","):
            sim, api_url = start_simulator(scale)
            try:
                if args.profile:
                    for backend in args.backends.split(","):
                        if backend != REST:
                            results["profile"].append(
                                {
                                    "backend": backend,
                                    "scale": scale,
                                    "entities": profile_backend(backend, scale, api_url, workdir),
                                }
                            )
                    continue
                fetches = [passes_child("fetch", api_url) for _ in range(args.repeats)]
                results["fetch_only"][scale] = {
                    "seconds": median([f["seconds"] for f in fetches]),
                    "seconds_each": [f["seconds"] for f in fetches],
                    "peak_rss_mb": max(f["peak_rss_mb"] for f in fetches),
                }
                for backend in args.backends.split(","):
                    results["runs"].append(
                        bench_backend(
                            backend,
                            scale,
                            api_url,
                            workdir,
                            args.repeats,
                            not args.skip_exact,
                            sim.pid,
                        )
                    )
                if args.skip_exact and args.crash_trials:
                    print("crash trials need the exact-copy check: skipped", file=sys.stderr)
                elif args.crash_trials and scale == args.scales.split(",")[-1]:
                    for backend in args.backends.split(","):
                        print(f"[{scale}/{backend}] crash trials ...", file=sys.stderr, flush=True)
                        results["crash"].append(
                            crash_trials(backend, api_url, args.crash_trials, workdir)
                        )
            finally:
                sim.terminate()
                sim.wait(timeout=30)
    if results["runs"]:
        fetch = {scale: f["seconds"] for scale, f in results["fetch_only"].items()}
        print_table(results["runs"], fetch, args.repeats)
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
