"""Health summary benchmark: read_snapshot + `summarize` over 1M sync_log rows (Postgres, SQLite).

13 months of runs for the six entities (one in 50 failed, with an error class), the
state rows, a live heartbeat, incidents and a reconciliation; then the median of
repeated `summarize` calls (target: 100 ms on Postgres). Prints a table and writes
benchmarks/results/health_summary.json.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

import psycopg

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from sqlalchemy import func, insert, select, update  # noqa: E402

from sync.config import load_settings  # noqa: E402
from sync.health.reading import summarize  # noqa: E402
from sync.storage.schema import scheduler_heartbeat, sync_log, sync_state  # noqa: E402
from sync.storage.sql.db import create_db_engine, migrate  # noqa: E402
from sync.storage.sql.reads import read_snapshot  # noqa: E402
from sync.storage.sql.store import Store  # noqa: E402

PG_ADMIN = "postgresql://postgres@127.0.0.1:5432/postgres"
SIX = ("customers", "outlets", "products", "sales", "sale_line_items", "inventory")

# Rows spread evenly over 400 days, newest first; entity by g mod 6, one in 50 failed.
FILL_POSTGRES = """
INSERT INTO sync_log (store, run_id, entity_type, action, trigger, status, started_at, finished_at,
                      duration_ms, records_upserted, error_type, peak_rss_bytes, api_ms_p95)
SELECT 'default', 'r' || g,
       (ARRAY['customers', 'outlets', 'products', 'sales', 'sale_line_items',
              'inventory'])[mod(g, 6) + 1],
       'incremental', 'schedule',
       CASE WHEN mod(g, 50) = 7 THEN 'failed' ELSE 'success' END,
       now() - (g::bigint * 34560000 / {rows} || ' seconds')::interval,
       now() - (g::bigint * 34560000 / {rows} - 2 || ' seconds')::interval,
       2000, mod(g, 17), CASE WHEN mod(g, 50) = 7 THEN 'NETWORK' END, 200000000, 120.5
FROM generate_series(1, {rows}) AS g
"""
FILL_SQLITE = """
WITH RECURSIVE n(g) AS (SELECT 1 UNION ALL SELECT g + 1 FROM n WHERE g < {rows})
INSERT INTO sync_log (store, run_id, entity_type, action, "trigger", status, started_at,
                      finished_at, duration_ms, records_upserted, error_type, peak_rss_bytes,
                      api_ms_p95)
SELECT 'default', 'r' || g,
       CASE g % 6 WHEN 0 THEN 'customers' WHEN 1 THEN 'outlets' WHEN 2 THEN 'products'
                  WHEN 3 THEN 'sales' WHEN 4 THEN 'sale_line_items' ELSE 'inventory' END,
       'incremental', 'schedule',
       CASE WHEN g % 50 = 7 THEN 'failed' ELSE 'success' END,
       strftime('%Y-%m-%d %H:%M:%f', 'now', '-' || (g * 400 * 86400 / {rows}) || ' seconds'),
       strftime('%Y-%m-%d %H:%M:%f', 'now', '-' || (g * 400 * 86400 / {rows} - 2) || ' seconds'),
       2000, g % 17, CASE WHEN g % 50 = 7 THEN 'NETWORK' END, 200000000, 120.5
FROM n
"""


def _fill(engine, backend: str, rows: int) -> None:
    fill = FILL_POSTGRES if backend == "postgres" else FILL_SQLITE
    now = datetime.now(UTC)
    with engine.begin() as conn:
        # The run-totals trigger counts runs as they finish; a bulk fill need not.
        if backend == "postgres":
            conn.exec_driver_sql("ALTER TABLE sync_log DISABLE TRIGGER sync_log_count_inserted")
        conn.exec_driver_sql(fill.format(rows=rows))
        if backend == "postgres":
            conn.exec_driver_sql("ALTER TABLE sync_log ENABLE TRIGGER sync_log_count_inserted")
        for name in SIX:
            conn.execute(
                update(sync_state)
                .where(sync_state.c.entity_type == name)
                .values(status="success", last_sync_time=now, records_total=1000)
            )
        conn.execute(
            insert(scheduler_heartbeat).values(
                instance_id="bench",
                host="bench",
                pid=1,
                started_at=now,
                last_beat_at=now,
                activity={"state": "idle", "jobs": []},
            )
        )
    if backend == "postgres":
        raw = psycopg.connect(str(engine.url).replace("+psycopg", ""), autocommit=True)
        with raw:
            raw.execute("VACUUM ANALYZE")
    else:
        with engine.begin() as conn:
            conn.exec_driver_sql("ANALYZE")


def run(backend: str, rows: int, repeat: int, workdir: Path) -> dict[str, float]:
    if backend == "sqlite":
        url, drop = f"sqlite:///{workdir / 'health.db'}", None
    else:
        name = f"lsync_health_{uuid.uuid4().hex[:8]}"
        with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        url, drop = f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}", name
    engine = create_db_engine(url)
    try:
        migrate(engine)
        Store(engine).ensure_state_rows()
        _fill(engine, backend, rows)
        settings = load_settings({"DATABASE_URL": url}, env_file=None)
        summarize(
            read_snapshot(engine, "default", datetime.now(UTC)), settings
        )  # warm the pool and caches
        times = []
        for _ in range(repeat):
            started = time.perf_counter()
            summary = summarize(read_snapshot(engine, "default", datetime.now(UTC)), settings)
            times.append((time.perf_counter() - started) * 1000)
        with engine.connect() as conn:
            count = conn.scalar(select(func.count()).select_from(sync_log))
        return {
            "sync_log_rows": int(count or 0),
            "median_ms": statistics.median(times),
            "p95_ms": sorted(times)[max(0, int(len(times) * 0.95) - 1)],
            "max_ms": max(times),
            "score": summary.health_score,
        }
    finally:
        engine.dispose()
        if drop:
            with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{drop}" WITH (FORCE)')


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=30)
    parser.add_argument("--backends", default="postgres,sqlite")
    args = parser.parse_args()
    results = {}
    with tempfile.TemporaryDirectory(prefix="lsync-health-") as tmp:
        for backend in args.backends.split(","):
            results[backend] = run(backend, args.rows, args.repeat, Path(tmp))
    print(f"{'backend':<9} {'sync_log rows':>13} {'median ms':>10} {'p95 ms':>8} {'max ms':>8}")
    for backend, r in results.items():
        print(
            f"{backend:<9} {r['sync_log_rows']:>13,} {r['median_ms']:>10.1f} "
            f"{r['p95_ms']:>8.1f} {r['max_ms']:>8.1f}"
        )
    out = REPO / "benchmarks" / "results"
    out.mkdir(parents=True, exist_ok=True)
    (out / "health_summary.json").write_text(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
