"""No-change run: wall time of the whole `python -m sync run` process when nothing changed.

Syncs a copy (SQLite, and Postgres with --backends sqlite,postgres) against the simulator
once, then times --runs (default 15) more `python -m sync run` processes that find nothing
new, and reports the median (the machine is noisy: 2 shared cores). For scale it also times
a bare interpreter and one that only imports SQLAlchemy and requests (the two libraries the
run cannot do without), counts the HTTP requests (from the simulator) and the SQL statements
of one no-change run, and lists what `-X importtime` shows: the heaviest packages, and any
module of the forbidden list. Target: median <= 0.4 s. Prints a table and writes
benchmarks/results/startup.json.

With PYTHONDONTWRITEBYTECODE set (as in the development environment) every process compiles
the project's modules again; `--bytecode` lets the warm-up runs write .pyc files to a
temporary PYTHONPYCACHEPREFIX, as an install that compiled its files would have them.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from sync.simulator import SimulatorConfig, SimulatorServer  # noqa: E402

TOKEN = "startup-bench-token"
PG_ADMIN = "postgresql://postgres@127.0.0.1:5432/postgres"
# Never on the path of `run` (tests/integration/test_startup_imports.py checks the same list).
FORBIDDEN = (
    "pandas",
    "streamlit",
    "apprise",
    "supabase",
    "fastapi",
    "uvicorn",
    "prometheus_client",
    "bcrypt",
)
COUNT_STATEMENTS = """
import json, sys
from sqlalchemy import event
from sqlalchemy.engine import Engine
seen = []
event.listen(Engine, "before_cursor_execute", lambda *a: seen.append(a[2].split()[0].upper()))
from sync.cli import main
code = main(["run"])
sys.stderr.write("STATEMENTS " + json.dumps(seen) + "\\n")
sys.exit(code)
"""


def timed(argv: list[str], env: dict[str, str], runs: int) -> list[float]:
    """Wall seconds of `runs` executions of `argv` (each must succeed)."""
    walls = []
    for _ in range(runs):
        started = time.perf_counter()
        subprocess.run(argv, env=env, check=True, capture_output=True)
        walls.append(time.perf_counter() - started)
    return walls


def summary(walls: list[float]) -> dict[str, float]:
    ordered = sorted(walls)
    return {
        "median_s": round(statistics.median(ordered), 3),
        "min_s": round(ordered[0], 3),
        "p90_s": round(ordered[int(0.9 * (len(ordered) - 1))], 3),
    }


def import_profile(env: dict[str, str]) -> dict[str, Any]:
    """One no-change run under -X importtime: heaviest top-level packages, forbidden ones."""
    done = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "sync", "run"],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    own: Counter[str] = Counter()
    modules = []
    for line in done.stderr.splitlines():
        match = re.match(r"import time:\s+(\d+) \|\s+\d+ \|\s*(\S+)", line)
        if match:
            name = match.group(2)
            modules.append(name)
            top = name.split(".")[0]
            if top == "sqlalchemy" and ".dialects." in name:
                top = ".".join(name.split(".")[:3])
            own[top] += int(match.group(1))
    return {
        "modules": len(modules),
        "self_ms_total": round(sum(own.values()) / 1000, 1),
        "heaviest_ms": {k: round(v / 1000, 1) for k, v in own.most_common(8)},
        "forbidden_imported": sorted({m.split(".")[0] for m in modules} & set(FORBIDDEN)),
        "postgres_dialect_imported": "sqlalchemy.dialects.postgresql" in modules,
    }


def statements(env: dict[str, str]) -> dict[str, int]:
    """SQL statements of one no-change run, by first keyword, and BEGINs (transactions)."""
    done = subprocess.run(
        [sys.executable, "-c", COUNT_STATEMENTS], env=env, capture_output=True, text=True
    )
    line = next(x for x in done.stderr.splitlines() if x.startswith("STATEMENTS "))
    kinds = Counter(json.loads(line.split(" ", 1)[1]))
    return {"total": sum(kinds.values()), **dict(kinds.most_common())}


def with_bytecode(env: dict[str, str], pycache: Path | None) -> dict[str, str]:
    """`env` writing and reading .pyc files under `pycache` (unchanged when None)."""
    if pycache is None:
        return env
    env = {k: v for k, v in env.items() if k != "PYTHONDONTWRITEBYTECODE"}
    return {**env, "PYTHONPYCACHEPREFIX": str(pycache)}


def measure(
    backend: str, sim: SimulatorServer, workdir: Path, runs: int, pycache: Path | None = None
) -> dict[str, Any]:
    """Sync once, then time no-change runs of `backend`."""
    drop = None
    if backend == "sqlite":
        url = f"sqlite:///{workdir}/startup.db"
    else:
        import psycopg

        name = f"lsync_startup_{uuid.uuid4().hex[:8]}"
        with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        url = f"postgresql://postgres@127.0.0.1:5432/{name}"

        def drop() -> None:
            with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
                conn.execute(f'DROP DATABASE "{name}" WITH (FORCE)')

    env = with_bytecode(os.environ.copy(), pycache)
    env = {
        **env,
        "PYTHONPATH": str(REPO),
        "DATABASE_URL": url,
        "LIGHTSPEED_BASE_URL": sim.api_url,
        "LIGHTSPEED_TOKEN": TOKEN,
        "LOG_DIR": str(workdir / "logs"),
    }
    try:
        sync = [sys.executable, "-m", "sync"]
        subprocess.run([*sync, "migrate"], env=env, check=True, capture_output=True)
        subprocess.run([*sync, "run"], env=env, check=True, capture_output=True)
        timed([*sync, "run"], env, 2)  # warm the page cache and the .pyc files
        sim.reset_stats()
        walls = timed([*sync, "run"], env, runs)
        requests_per_run = sim.stats()["total"] / runs
        result: dict[str, Any] = {"runs": runs, **summary(walls), "walls": walls}
        result["http_requests_per_run"] = requests_per_run
        result["sql_statements"] = statements(env)
        result["imports"] = import_profile(env)
        return result
    finally:
        if drop is not None:
            drop()


def measure_all(backends: list[str], runs: int, pycache: Path | None) -> dict[str, Any]:
    """The floors, then the no-change runs of every backend."""
    bare = with_bytecode({**os.environ, "PYTHONPATH": str(REPO)}, pycache)
    if pycache is not None:
        timed([sys.executable, "-c", "import sqlalchemy, requests"], bare, 1)  # write .pyc
    floors = {
        "python_start": summary(timed([sys.executable, "-c", "pass"], bare, runs)),
        "import_sqlalchemy_requests": summary(
            timed([sys.executable, "-c", "import sqlalchemy, requests"], bare, runs)
        ),
    }
    results: dict[str, Any] = {
        "floors": floors,
        "target_median_s": 0.4,
        "bytecode": pycache is not None,
    }
    config = SimulatorConfig(seed=42, scale="small", token=TOKEN)
    with SimulatorServer(config) as sim:
        for backend in backends:
            with tempfile.TemporaryDirectory(prefix="lsync-startup-") as tmp:
                results[backend] = measure(backend, sim, Path(tmp), runs, pycache)
    return results


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--backends", default="sqlite")
    parser.add_argument(
        "--bytecode", action="store_true", help="let the runs keep .pyc files (temporary dir)"
    )
    args = parser.parse_args()
    with contextlib.ExitStack() as stack:
        pycache = None
        if args.bytecode:
            pycache = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="lsync-pyc-")))
        results = measure_all(args.backends.split(","), args.runs, pycache)
    if args.bytecode:
        mode = ".pyc files kept"
    elif os.environ.get("PYTHONDONTWRITEBYTECODE"):
        mode = "PYTHONDONTWRITEBYTECODE: our modules compiled in every run"
    else:
        mode = ".pyc files as Python keeps them"
    floors = results["floors"]
    print(f"No-change `python -m sync run`, median of {args.runs} ({mode}; target <= 0.4 s)")
    print(f"{'what':<28} {'median s':>9} {'min s':>7} {'p90 s':>7} {'HTTP':>5} {'SQL':>5}")
    for name, floor in floors.items():
        print(f"{name:<28} {floor['median_s']:>9.3f} {floor['min_s']:>7.3f} {floor['p90_s']:>7.3f}")
    for backend in args.backends.split(","):
        r = results[backend]
        print(
            f"{'run (' + backend + ')':<28} {r['median_s']:>9.3f} {r['min_s']:>7.3f} "
            f"{r['p90_s']:>7.3f} {r['http_requests_per_run']:>5.0f} "
            f"{r['sql_statements']['total']:>5}"
        )
        imports = r["imports"]
        print(
            f"  imports: {imports['modules']} modules; forbidden: "
            f"{imports['forbidden_imported'] or 'none'}; Postgres dialect: "
            f"{'yes' if imports['postgres_dialect_imported'] else 'no'}; heaviest (ms, "
            f"-X importtime): {imports['heaviest_ms']}"
        )
    out = REPO / "benchmarks" / "results"
    out.mkdir(parents=True, exist_ok=True)
    (out / "startup.json").write_text(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
