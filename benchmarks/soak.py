"""Soak: the scheduler against a misbehaving live simulator, then an exactness check.

For `--seconds`, the scheduler (a child process) serves a live simulator that answers
with 500/503/429 and slow (timed-out) replies, while run-now requests arrive every few
seconds. On the way: hostile records appear, the scheduler is killed with SIGKILL and
restarted, the database connection is cut (Postgres, through a TCP proxy) and the
scheduler gets a SIGTERM and is restarted. At the end every request must be done or
failed, no run left `running`, and after a final sync the copy must equal the source.

    .venv/bin/python benchmarks/soak.py --backends sqlite,postgres --seconds 300
"""

from __future__ import annotations

import argparse
import json
import os
import random
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from sqlalchemy import select  # noqa: E402

from sync.config import load_settings  # noqa: E402
from sync.engine.runner import Runner  # noqa: E402
from sync.runs import utcnow  # noqa: E402
from sync.simulator import SimulatorConfig, SimulatorServer  # noqa: E402
from sync.storage.schema import sync_log, sync_requests  # noqa: E402
from sync.storage.sql.db import create_db_engine, migrate  # noqa: E402
from sync.storage.sql.store import Store  # noqa: E402
from tests.support.compare import diff_all  # noqa: E402
from tests.support.tcp_proxy import TcpProxy  # noqa: E402

TOKEN = "soak-token-0123456789"
RESULTS = REPO / "benchmarks" / "results"
REQUESTABLE = ("all", "customers", "products", "sales", "inventory", "outlets")
FAULTS = {
    "error_rate": 0.05,
    "timeout_rate": 0.02,
    "timeout_delay": 2.5,
    "burst_429_every": 40,
    "burst_429_length": 2,
    "retry_after_seconds": 1,
}
HOSTILE = ["nul_in_text", "lone_surrogate", "nul_in_id", "huge_number", "timestamp_overflow"]
SCHEDULER_ENV = {
    "SCHEDULER_POLL_SECONDS": "0.5",
    "HEARTBEAT_SECONDS": "1",
    "SYNC_INTERVAL_MINUTES": "1",
    "NIGHTLY_FULL_TIME": "off",
    "SYNC_PAGE_SIZE": "50",
    "LIGHTSPEED_TIMEOUT_SECONDS": "1",
    "LIGHTSPEED_MAX_RETRIES": "4",
    "LOCK_TTL_SECONDS": "30",
}


class Scheduler:
    """The scheduler child process, restartable; its output goes to one log file."""

    def __init__(self, env: dict[str, str], workdir: Path) -> None:
        self.env, self.workdir = env, workdir
        self.log = (workdir / "scheduler.log").open("ab")
        self.process: subprocess.Popen[bytes] | None = None
        self.starts = 0

    def start(self) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "sync", "scheduler"],
            env=self.env,
            cwd=REPO,
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )
        self.starts += 1

    def kill9(self) -> None:
        assert self.process is not None
        os.kill(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=10)

    def sigterm(self, timeout: float = 20) -> tuple[int | None, float]:
        """SIGTERM; returns the exit code (None if it had to be killed) and the seconds taken."""
        assert self.process is not None
        started = time.monotonic()
        self.process.send_signal(signal.SIGTERM)
        try:
            code: int | None = self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=5)
            code = None
        return code, time.monotonic() - started


def _by_status(engine: Any, column: Any) -> dict[str, int]:
    with engine.connect() as conn:
        return dict(Counter(conn.execute(select(column)).scalars().all()))


def _wait(condition: Any, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.5)
    return False


def soak(
    db_url: str, seconds: float, workdir: Path, *, seed: int = 7, cut_seconds: float = 5.0
) -> dict[str, Any]:
    """One soak on `db_url` (SQLite or Postgres); returns its figures and checks. The
    database (Postgres) is cut for `cut_seconds`."""
    rng = random.Random(seed)
    engine = create_db_engine(db_url)
    migrate(engine)
    store = Store(engine)
    store.ensure_state_rows()
    postgres = engine.dialect.name == "postgresql"
    proxy = TcpProxy(5432).start() if postgres else None
    child_url = db_url.replace(":5432/", f":{proxy.port}/") if proxy else db_url
    config = SimulatorConfig(seed=seed, scale="small", token=TOKEN, live_interval=2.0)
    events: Counter[str] = Counter()
    sigterm_exit: list[tuple[int | None, float]] = []
    with SimulatorServer(config) as sim:
        sim.set_faults(**FAULTS)
        env = {
            **os.environ,
            "PYTHONPATH": str(REPO),
            "DATABASE_URL": child_url,
            "LIGHTSPEED_BASE_URL": sim.api_url,
            "LIGHTSPEED_TOKEN": TOKEN,
            "LOG_DIR": str(workdir / "logs"),
            **SCHEDULER_ENV,
        }
        scheduler = Scheduler(env, workdir)
        scheduler.start()
        # (fraction of the soak, event): each happens once.
        plan = [(0.25, "hostile"), (0.35, "kill9"), (0.5, "db_cut"), (0.7, "sigterm")]
        t0 = time.monotonic()
        next_request = t0
        while (elapsed := time.monotonic() - t0) < seconds:
            if plan and elapsed >= plan[0][0] * seconds:
                event = plan.pop(0)[1]
                if event == "hostile":
                    kinds = [
                        {"entity": e, "kind": k} for e in ("customers", "sales") for k in HOSTILE
                    ]
                    sim.mutate(bad_record=kinds)
                    events["hostile records"] += len(kinds)
                elif event == "kill9":
                    scheduler.kill9()
                    scheduler.start()
                    events["kill -9 + restart"] += 1
                elif event == "db_cut" and proxy is not None:
                    proxy.stop()
                    time.sleep(cut_seconds)
                    proxy = TcpProxy(5432, listen_port=proxy.port).start()
                    events[f"database cut ({cut_seconds:g} s)"] += 1
                elif event == "sigterm":
                    sigterm_exit.append(scheduler.sigterm())
                    scheduler.start()
                    events["SIGTERM + restart"] += 1
            if time.monotonic() >= next_request:
                entity = rng.choice(REQUESTABLE)
                store.request_sync(entity, requested_by="soak", reason="soak", now=utcnow())
                events["run-now requests"] += 1
                next_request += rng.uniform(1.0, 4.0)
            time.sleep(0.2)
        # Calm down: no faults, no more changes; let the queue drain, then stop cleanly.
        sim.set_faults(error_rate=0, timeout_rate=0, burst_429_every=0, live_interval=None)

        def queue_empty() -> bool:
            statuses = _by_status(engine, sync_requests.c.status)
            return not statuses.get("queued") and not statuses.get("running")

        drained = _wait(queue_empty, 120)
        final_exit = scheduler.sigterm()
        faults = {k: v for k, v in sim.stats()["by_status"].items() if k != "200"}
        settings = load_settings(
            {"DATABASE_URL": db_url, "LIGHTSPEED_BASE_URL": sim.api_url, "LIGHTSPEED_TOKEN": TOKEN},
            env_file=None,
        )
        final = Runner(settings, store).run(triggered_by="soak final sync")
        differences = diff_all(engine, sim)
    requests = _by_status(engine, sync_requests.c.status)
    runs = _by_status(engine, sync_log.c.status)
    if proxy is not None:
        proxy.stop()
    result = {
        "backend": "postgres" if postgres else "sqlite",
        "seconds": round(seconds),
        "faults_injected": faults,
        "events": dict(events),
        "requests_by_status": requests,
        "runs_by_status": runs,
        "recoveries": {
            "scheduler restarts": scheduler.starts - 1,
            "runs marked interrupted": runs.get("interrupted", 0),
            "database errors survived": _log_count(workdir, "DATABASE"),
            "requests failed by recovery": _failed_by_recovery(engine),
        },
        "sigterm_exit": [
            {"code": c, "seconds": round(s, 1)} for c, s in [*sigterm_exit, final_exit]
        ],
        "final_sync": {r.entity: str(r.status) for r in final},
        "checks": {
            "queue drained": drained,
            "no request stuck": not requests.get("queued") and not requests.get("running"),
            "no run left running": not runs.get("running"),
            "clean SIGTERM exits": all(c == 0 for c, _ in [*sigterm_exit, final_exit]),
            "copy exact after a final sync": differences == [],
        },
        "differences": differences[:5],
    }
    result["passed"] = all(result["checks"].values())
    engine.dispose()
    return result


def _log_count(workdir: Path, word: str) -> int:
    path = workdir / "scheduler.log"
    return sum(word in line for line in path.read_text(errors="replace").splitlines())


def _failed_by_recovery(engine: Any) -> int:
    with engine.connect() as conn:
        errors = conn.execute(
            select(sync_requests.c.error).where(sync_requests.c.status == "failed")
        ).scalars()
        return sum(1 for e in errors if e)


def print_table(results: list[dict[str, Any]]) -> None:
    """One column per backend, one row per figure."""
    rows = [
        ("duration (s)", lambda r: r["seconds"]),
        ("faults injected (HTTP status: n)", lambda r: _fmt(r["faults_injected"])),
        ("events", lambda r: _fmt(r["events"])),
        ("requests by status", lambda r: _fmt(r["requests_by_status"])),
        ("runs by status", lambda r: _fmt(r["runs_by_status"])),
        ("recoveries", lambda r: _fmt(r["recoveries"])),
        (
            "SIGTERM exits (code, s)",
            lambda r: ", ".join(f"{e['code']} in {e['seconds']}" for e in r["sigterm_exit"]),
        ),
        ("passed", lambda r: "yes" if r["passed"] else f"NO {_fmt(r['checks'])}"),
    ]
    print("| figure | " + " | ".join(r["backend"] for r in results) + " |")
    print("|---|" + "---|" * len(results))
    for label, value in rows:
        print(f"| {label} | " + " | ".join(str(value(r)) for r in results) + " |")


def _fmt(values: dict[str, Any]) -> str:
    return ", ".join(f"{k}: {v}" for k, v in sorted(values.items())) or "none"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--backends", default="sqlite,postgres")
    parser.add_argument("--seconds", type=float, default=300)
    args = parser.parse_args()
    import psycopg

    results = []
    for backend in args.backends.split(","):
        with tempfile.TemporaryDirectory(prefix="soak-") as tmp:
            workdir = Path(tmp)
            if backend == "sqlite":
                results.append(soak(f"sqlite:///{workdir / 'soak.db'}", args.seconds, workdir))
                continue
            name = f"lsync_soak_{os.getpid()}"
            admin = "postgresql://postgres@127.0.0.1:5432/postgres"
            with psycopg.connect(admin, autocommit=True) as conn:
                conn.execute(f'CREATE DATABASE "{name}"')
            try:
                url = f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}"
                results.append(soak(url, args.seconds, workdir))
            finally:
                with psycopg.connect(admin, autocommit=True) as conn:
                    conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    print_table(results)
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "soak.json").write_text(json.dumps(results, indent=2, default=str))
    print(f"JSON: {RESULTS / 'soak.json'}")
    return 0 if all(r["passed"] for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
