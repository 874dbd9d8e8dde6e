"""Row-level security by store (migration 0018): what the policies cost on a big sync_log.

Three stores share ROWS sync_log rows. The same two queries run as the owner (whom RLS
skips), the unlimited dashboard_reader and a role limited to one store: a count(*) over the
whole table and one store's latest runs (the read model's shape). Prints the median of
--repeat runs per query and role, and whether the policy's store list is an InitPlan (once
per statement) and never a SubPlan (once per row). Writes benchmarks/results/store_readers.json.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import statistics
import sys
import uuid
from pathlib import Path

import psycopg

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from sync.storage.sql.db import create_db_engine, migrate  # noqa: E402

PG_ADMIN = "postgresql://postgres@127.0.0.1:5432/postgres"
LIMITED = "lsync_bench_limited"

FILL = """
INSERT INTO lightspeed_stores (prefix, name, added_at)
VALUES ('a', 'A', now()), ('b', 'B', now()), ('c', 'C', now());
INSERT INTO sync_log (store, run_id, entity_type, action, trigger, status, started_at)
SELECT (ARRAY['a', 'b', 'c'])[1 + g % 3], 'r' || g,
       (ARRAY['sales', 'customers', 'products'])[1 + (g / 3) % 3],
       'incremental', 'schedule', 'success', now() - (g || ' seconds')::interval
FROM generate_series(1, {rows}) AS g;
INSERT INTO store_readers VALUES ('{limited}', 'a');
ANALYZE sync_log;
"""
QUERIES = {
    "count(*)": "SELECT count(*) FROM sync_log",
    "latest 20 runs of one store": (
        "SELECT * FROM sync_log WHERE store = 'a' AND entity_type = 'sales' "
        "ORDER BY started_at DESC LIMIT 20"
    ),
}
ROLES = {"owner": None, "dashboard_reader": "dashboard_reader", "limited": LIMITED}


def _ensure_limited() -> None:
    with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
        with contextlib.suppress(psycopg.errors.DuplicateObject):
            conn.execute(f"CREATE ROLE {LIMITED} NOLOGIN")
        conn.execute(f"ALTER ROLE {LIMITED} NOLOGIN NOSUPERUSER NOBYPASSRLS INHERIT")
        conn.execute(f"GRANT dashboard_reader TO {LIMITED}")


def _timed(conn: psycopg.Connection, query: str, repeat: int) -> tuple[float, str]:
    times, plan = [], ""
    for _ in range(repeat):
        rows = conn.execute(f"EXPLAIN (ANALYZE, FORMAT JSON) {query}").fetchone()
        top = rows[0][0]
        times.append(float(top["Execution Time"]))
        plan = json.dumps(top["Plan"])
    return statistics.median(times), plan


def run(rows: int, repeat: int) -> dict[str, dict[str, float | bool]]:
    name = f"lsync_rls_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    url = f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}"
    try:
        engine = create_db_engine(url)
        migrate(engine)  # creates dashboard_reader when the cluster has none
        engine.dispose()
        _ensure_limited()
        results: dict[str, dict[str, float | bool]] = {}
        with psycopg.connect(url.replace("+psycopg", ""), autocommit=True) as conn:
            conn.execute(FILL.format(rows=rows, limited=LIMITED))
            for label, role in ROLES.items():
                conn.execute(f"SET ROLE {role}" if role else "RESET ROLE")
                for what, query in QUERIES.items():
                    ms, plan = _timed(conn, query, repeat)
                    once = role is None or ('"InitPlan"' in plan and '"SubPlan"' not in plan)
                    results[f"{label}: {what}"] = {"median_ms": round(ms, 2), "once": once}
        return results
    finally:
        with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()
    results = run(args.rows, args.repeat)
    print(f"sync_log with {args.rows:,} rows in 3 stores; median of {args.repeat} runs")
    for key, value in results.items():
        note = "" if value["once"] else "  (policy evaluated per row!)"
        print(f"  {key:<45} {value['median_ms']:>9.2f} ms{note}")
    out = REPO / "benchmarks" / "results" / "store_readers.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps({"rows": args.rows, "results": results}, indent=2) + "\n")
    return 0 if all(v["once"] for v in results.values()) else 1


if __name__ == "__main__":
    raise SystemExit(main())
