"""Health API benchmark: /metrics and /api/sync-health/summary with 1M sync_log rows on
Postgres (target: median <= 100 ms each).

The API runs as its own process (`python -m sync api`), as deployed; the rows are a year
of runs of the six entities with some failures, made with generate_series. Prints a table
and writes benchmarks/results/api_bench.json.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import statistics
import subprocess
import sys
import time
import uuid
from pathlib import Path

import psycopg
import requests

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from sync.runs import utcnow  # noqa: E402
from sync.storage.sql.api_keys import create_key  # noqa: E402
from sync.storage.sql.db import create_db_engine, migrate  # noqa: E402
from sync.storage.sql.store import Store  # noqa: E402

PG_ADMIN = "postgresql://postgres@127.0.0.1:5432/postgres"
TARGET_MS = 100.0
ENDPOINTS = (
    "/metrics",
    "/api/sync-health/summary",
    "/api/sync-health/dashboard-block",
    "/api/sync-health/performance-history?period=30d",
)

# Runs spread evenly over the last year, six entities in turn; one in 50 failed.
FILL = """
INSERT INTO sync_log (store, run_id, entity_type, action, trigger, status, started_at, finished_at,
                      duration_ms, records_upserted, api_calls, pages, error_type,
                      peak_rss_bytes, api_ms_mean, api_ms_p95, api_retries)
SELECT 'default', 'bench-' || g,
       (ARRAY['customers','outlets','products','sales','sale_line_items','inventory'])[1 + g %% 6],
       'incremental', 'schedule',
       CASE WHEN g %% 50 = 0 THEN 'failed' ELSE 'success' END,
       now() - ({rows} - g) * interval '31 seconds' - interval '1 minute',
       now() - ({rows} - g) * interval '31 seconds' - interval '1 minute' + interval '2 seconds',
       1500 + g %% 900, g %% 400, 3, 2,
       CASE WHEN g %% 50 = 0 THEN 'NETWORK' END,
       90000000 + g %% 5000000, 120.5, 310.0, g %% 3
FROM generate_series(1, {rows}) AS g
"""
TOTALS = """
INSERT INTO sync_run_totals (store, entity_type, status, runs)
SELECT store, entity_type, status, count(*) FROM sync_log WHERE status <> 'running'
 GROUP BY store, entity_type, status
"""
FRESH_STATE = """
UPDATE sync_state SET status = 'success', last_sync_time = now() - interval '5 minutes',
       last_attempt_at = now() - interval '5 minutes', records_total = 1000
"""
HEARTBEAT = """
INSERT INTO scheduler_heartbeat (instance_id, host, pid, started_at, last_beat_at, activity)
VALUES ('bench', 'bench', 1, now() - interval '1 day', now() + interval '1 hour',
        '{"state": "idle", "jobs": []}')
"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_api(url: str) -> tuple[subprocess.Popen, str]:
    """`python -m sync api` on a free port over the database `url`, once it answers
    /livez; returns the process and its base URL."""
    port = free_port()
    env = {**os.environ, "DATABASE_URL": url, "PYTHONPATH": str(REPO)}
    for var in ("API_DATABASE_URL", "DASHBOARD_DATABASE_URL", "SUPABASE_URL"):
        env.pop(var, None)
    env.pop("LIGHTSPEED_DOMAIN_PREFIX", None)  # the database's first store
    api = subprocess.Popen(
        [sys.executable, "-m", "sync", "--env-file", os.devnull, "api", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            requests.get(base + "/livez", timeout=1)
            return api, base
        except requests.ConnectionError:
            if time.monotonic() > deadline or api.poll() is not None:
                api.terminate()
                api.wait(timeout=15)
                raise RuntimeError("the health API did not start") from None
            time.sleep(0.2)


def timed(session: requests.Session, url: str, key: str, calls: int) -> list[float]:
    headers = {"Authorization": f"Bearer {key}"}
    for _ in range(3):  # warm-up: connections, plans, caches
        session.get(url, headers=headers, timeout=30).raise_for_status()
    took = []
    for _ in range(calls):
        started = time.perf_counter()
        session.get(url, headers=headers, timeout=30).raise_for_status()
        took.append((time.perf_counter() - started) * 1000)
    return took


def p95(values: list[float]) -> float:
    return statistics.quantiles(values, n=20, method="inclusive")[-1]


def run(rows: int, calls: int) -> dict[str, object]:
    name = f"lsync_apibench_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    url = f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}"
    engine = create_db_engine(url)
    api = None
    try:
        migrate(engine)
        Store(engine).ensure_state_rows()
        started = time.perf_counter()
        with engine.begin() as conn:
            # The run-totals trigger would update the same few rows a million times in one
            # transaction; fill without it and count the totals once, as migration 0009 does.
            conn.exec_driver_sql("ALTER TABLE sync_log DISABLE TRIGGER sync_log_count_inserted")
            conn.exec_driver_sql(FILL.format(rows=rows))
            conn.exec_driver_sql(TOTALS)
            conn.exec_driver_sql("ALTER TABLE sync_log ENABLE TRIGGER sync_log_count_inserted")
            conn.exec_driver_sql(FRESH_STATE)
            conn.exec_driver_sql(HEARTBEAT)
        with engine.begin() as conn:  # committed: a rolled-back ANALYZE keeps no statistics
            conn.exec_driver_sql("ANALYZE")
        fill_seconds = time.perf_counter() - started
        _, key = create_key(engine, "bench", admin=False, now=utcnow())
        api, base = start_api(url)
        results = {}
        with requests.Session() as session:
            for path in ENDPOINTS:
                took = timed(session, base + path, key, calls)
                results[path] = {
                    "median_ms": statistics.median(took),
                    "p95_ms": p95(took),
                    "max_ms": max(took),
                    "calls": calls,
                }
        return {"rows": rows, "fill_seconds": fill_seconds, "endpoints": results}
    finally:
        if api is not None:
            api.terminate()
            api.wait(timeout=15)
        engine.dispose()
        with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--calls", type=int, default=30)
    args = parser.parse_args()
    result = run(args.rows, args.calls)
    print(f"Postgres, {result['rows']:,} sync_log rows (filled in {result['fill_seconds']:.0f} s)")
    print(f"{'endpoint':<50} {'median ms':>10} {'p95 ms':>8} {'max ms':>8}  target")
    ok = True
    for path, r in result["endpoints"].items():
        gated = path in ENDPOINTS[:2]
        verdict = ("ok" if r["median_ms"] <= TARGET_MS else "MISSED") if gated else "-"
        ok = ok and (verdict != "MISSED")
        print(
            f"{path:<50} {r['median_ms']:>10.1f} {r['p95_ms']:>8.1f} {r['max_ms']:>8.1f}  {verdict}"
        )
    result["target_median_ms"] = TARGET_MS
    result["target_met"] = ok
    out = REPO / "benchmarks" / "results"
    out.mkdir(parents=True, exist_ok=True)
    (out / "api_bench.json").write_text(json.dumps(result, indent=2))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
