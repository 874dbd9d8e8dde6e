"""/metrics with many stores: 50 stores x 6 entities on Postgres, with a year of runs.

Every store gets its state rows and `--rows` sync_log rows in all (spread over the stores
and the six entities, one in 50 failed), a fresh heartbeat, and the API runs as its own
process (`python -m sync api`), as deployed. Prints the median and p95 time of a scrape and
its size, and writes benchmarks/results/metrics_stores_bench.json.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
import uuid
from pathlib import Path

import psycopg
import requests

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from benchmarks.api_bench import FRESH_STATE, HEARTBEAT, PG_ADMIN, TOTALS, p95, start_api  # noqa: E402
from sync.runs import utcnow  # noqa: E402
from sync.storage.sql.api_keys import create_key  # noqa: E402
from sync.storage.sql.db import create_db_engine, migrate  # noqa: E402
from sync.storage.sql.store import Store  # noqa: E402
from sync.storage.stores import StoreInfo  # noqa: E402

# Runs spread evenly over the last year: store g % stores, the six entities in turn.
FILL = """
INSERT INTO sync_log (store, run_id, entity_type, action, trigger, status, started_at, finished_at,
                      duration_ms, records_upserted, api_calls, pages, error_type,
                      peak_rss_bytes, api_ms_mean, api_ms_p95, api_retries)
SELECT 'store' || lpad((g %% {stores})::text, 2, '0'), 'bench-' || g,
       (ARRAY['customers','outlets','products','sales','sale_line_items','inventory'])
         [1 + (g / {stores}) %% 6],
       'incremental', 'schedule',
       CASE WHEN g %% 50 = 0 THEN 'failed' ELSE 'success' END,
       now() - ({rows} - g) * interval '31 seconds' - interval '1 minute',
       now() - ({rows} - g) * interval '31 seconds' - interval '1 minute' + interval '2 seconds',
       1500 + g %% 900, g %% 400, 3, 2,
       CASE WHEN g %% 50 = 0 THEN 'NETWORK' END,
       90000000 + g %% 5000000, 120.5, 310.0, g %% 3
FROM generate_series(1, {rows}) AS g
"""
STORE_ROWS = """
INSERT INTO lightspeed_stores (prefix, name, connection, added_at, enabled)
SELECT 'store' || lpad(g::text, 2, '0'), 'Store ' || g, 'token', now(), true
FROM generate_series(1, {last}) AS g
"""


def prefix(n: int) -> str:
    return f"store{n:02d}"


def run(stores: int, rows: int, calls: int) -> dict[str, object]:
    name = f"lsync_metricsbench_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    url = f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}"
    engine = create_db_engine(url)
    api = None
    try:
        migrate(engine, StoreInfo(prefix(0), "Store 0", "token", None))
        with engine.begin() as conn:
            conn.exec_driver_sql(STORE_ROWS.format(last=stores - 1))
        for n in range(stores):
            Store(engine, prefix=prefix(n)).ensure_state_rows()
        started = time.perf_counter()
        with engine.begin() as conn:
            conn.exec_driver_sql("ALTER TABLE sync_log DISABLE TRIGGER sync_log_count_inserted")
            conn.exec_driver_sql(FILL.format(rows=rows, stores=stores))
            conn.exec_driver_sql(TOTALS)
            conn.exec_driver_sql("ALTER TABLE sync_log ENABLE TRIGGER sync_log_count_inserted")
            conn.exec_driver_sql(FRESH_STATE)
            conn.exec_driver_sql(HEARTBEAT)
        with engine.begin() as conn:
            conn.exec_driver_sql("ANALYZE")
        fill_seconds = time.perf_counter() - started
        _, key = create_key(engine, "bench", admin=False, now=utcnow())
        api, base = start_api(url)
        headers = {"Authorization": f"Bearer {key}"}
        took: list[float] = []
        with requests.Session() as session:
            for n in range(calls + 3):  # 3 warm-up calls: connections, plans, caches
                begun = time.perf_counter()
                answer = session.get(base + "/metrics", headers=headers, timeout=60)
                answer.raise_for_status()
                if n >= 3:
                    took.append((time.perf_counter() - begun) * 1000)
        text = answer.text
        series = sum(1 for line in text.splitlines() if line and not line.startswith("#"))
        return {
            "stores": stores,
            "rows": rows,
            "fill_seconds": fill_seconds,
            "median_ms": statistics.median(took),
            "p95_ms": p95(took),
            "max_ms": max(took),
            "bytes": len(answer.content),
            "series": series,
            "calls": calls,
        }
    finally:
        if api is not None:
            api.terminate()
            api.wait(timeout=15)
        engine.dispose()
        with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--stores", type=int, default=50)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--calls", type=int, default=20)
    args = parser.parse_args()
    result = run(args.stores, args.rows, args.calls)
    print(
        f"Postgres, {result['stores']} stores x 6 entities, {result['rows']:,} sync_log rows "
        f"(filled in {result['fill_seconds']:.0f} s)"
    )
    print(
        f"/metrics: median {result['median_ms']:.0f} ms, p95 {result['p95_ms']:.0f} ms, "
        f"max {result['max_ms']:.0f} ms; {result['bytes']:,} bytes, {result['series']:,} series"
    )
    out = REPO / "benchmarks" / "results"
    out.mkdir(parents=True, exist_ok=True)
    (out / "metrics_stores_bench.json").write_text(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
