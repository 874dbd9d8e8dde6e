"""Retention benchmark: prune 1M old sync_log rows on SQLite and Postgres (target < 30 s).

Prints a table and writes benchmarks/results/retention.json.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
import uuid
from pathlib import Path

import psycopg

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from sqlalchemy import func, select  # noqa: E402

from sync.runs import utcnow  # noqa: E402
from sync.storage.schema import sync_log  # noqa: E402
from sync.storage.sql.db import create_db_engine, migrate  # noqa: E402
from sync.storage.sql.retention import prune  # noqa: E402

PG_ADMIN = "postgresql://postgres@127.0.0.1:5432/postgres"

FILL_POSTGRES = """
INSERT INTO sync_log (store, run_id, entity_type, action, trigger, status, started_at)
SELECT 'default', 'r' || g, 'sales', 'incremental', 'schedule', 'success',
       now() - interval '3 years' + (g || ' seconds')::interval
FROM generate_series(1, {old}) AS g
UNION ALL
SELECT 'n' || g, 'sales', 'incremental', 'schedule', 'success', now() - (g || ' minutes')::interval
FROM generate_series(1, {recent}) AS g
"""
FILL_SQLITE = """
WITH RECURSIVE n(g) AS (SELECT 1 UNION ALL SELECT g + 1 FROM n WHERE g < {total})
INSERT INTO sync_log (store, run_id, entity_type, action, "trigger", status, started_at)
SELECT 'default', 'r' || g, 'sales', 'incremental', 'schedule', 'success',
       CASE WHEN g <= {old} THEN '2023-01-01 00:00:00.000000'
            ELSE strftime('%Y-%m-%d %H:%M:%f', 'now') END
FROM n
"""


def run(backend: str, old: int, recent: int, workdir: Path) -> dict[str, float]:
    if backend == "sqlite":
        url, drop = f"sqlite:///{workdir / 'retention.db'}", None
    else:
        name = f"lsync_ret_{uuid.uuid4().hex[:8]}"
        with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        url, drop = f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}", name
    engine = create_db_engine(url)
    try:
        migrate(engine)
        fill = FILL_POSTGRES if backend == "postgres" else FILL_SQLITE
        with engine.begin() as conn:
            conn.exec_driver_sql(fill.format(old=old, recent=recent, total=old + recent))
        started = time.perf_counter()
        result = prune(engine, utcnow(), 13)
        seconds = time.perf_counter() - started
        with engine.connect() as conn:
            left = conn.scalar(select(func.count()).select_from(sync_log))
        return {"removed": result.removed["sync_log"], "left": left, "seconds": seconds}
    finally:
        engine.dispose()
        if drop:
            with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{drop}" WITH (FORCE)')


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=1_000_000)
    args = parser.parse_args()
    results = {}
    with tempfile.TemporaryDirectory(prefix="lsync-retention-") as tmp:
        for backend in ("sqlite", "postgres"):
            results[backend] = run(backend, args.rows, 1000, Path(tmp))
    print(f"{'backend':<9} {'removed':>9} {'kept':>6} {'seconds':>8}")
    for backend, r in results.items():
        print(f"{backend:<9} {r['removed']:>9,} {r['left']:>6} {r['seconds']:>8.1f}")
    out = REPO / "benchmarks" / "results"
    out.mkdir(parents=True, exist_ok=True)
    (out / "retention.json").write_text(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
