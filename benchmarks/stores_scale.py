"""The "All stores" reads at scale: 50 stores and 1,000,000 sync_log rows on Postgres.

Times what the dashboard's Stores page computes (every store's read model, its summary and
the group's verdict; data.store_group without Streamlit's cache) in this process, and the
health API's `/api/sync-health/summary?store=X` and `/api/sync-health/stores` through
`python -m sync api` with a read key. Median of 5 warm calls each (target <= 300 ms).
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from typing import Any

import requests

from benchmarks.api_bench import FRESH_STATE, HEARTBEAT, TOTALS, start_api
from benchmarks.stores_setup import stop, throwaway_database
from sync.config import load_settings
from sync.health.reading import summarize
from sync.health.stores import StoreHealth, group_verdict
from sync.runs import utcnow
from sync.storage.sql.api_keys import create_key
from sync.storage.sql.db import create_db_engine, migrate
from sync.storage.sql.group_reads import read_snapshots
from sync.storage.sql.store import Store
from sync.storage.sql.store_admin import add_store
from sync.storage.sql.stores import list_stores
from sync.storage.stores import StoreInfo

TARGET_MS = 300.0
CALLS = 5
ENTITIES = "ARRAY['customers','outlets','products','sales','sale_line_items','inventory']"
# Runs spread evenly over the last 90 days, the stores and six entities in turn; about one in
# 47 failed, one in 199 partial (primes: the failures fall on every store, not on one).
FILL = f"""
INSERT INTO sync_log (store, run_id, entity_type, action, trigger, status, started_at,
                      finished_at, duration_ms, records_upserted, api_calls, pages, error_type)
SELECT 'store' || (1 + g %% {{stores}}), 'bench-' || g,
       ({ENTITIES})[1 + (g / {{stores}}) %% 6], 'incremental', 'schedule',
       CASE WHEN g %% 47 = 0 THEN 'failed' WHEN g %% 199 = 1 THEN 'partial' ELSE 'success' END,
       now() - ({{rows}} - g) * (interval '90 days' / {{rows}}) - interval '1 minute',
       now() - ({{rows}} - g) * (interval '90 days' / {{rows}}) - interval '1 minute'
             + (1 + g %% 40) * interval '1 second',
       1000 + g %% 39000, g %% 400, 3, 2,
       CASE WHEN g %% 47 = 0 THEN 'NETWORK' END
FROM generate_series(1, {{rows}}) AS g
"""


def median_ms(call: Callable[[], Any], warm: int = 2) -> dict[str, float]:
    """Median, and max, of CALLS timed calls after `warm` untimed ones."""
    for _ in range(warm):
        call()
    took = []
    for _ in range(CALLS):
        started = time.perf_counter()
        call()
        took.append((time.perf_counter() - started) * 1000)
    return {"median_ms": statistics.median(took), "max_ms": max(took)}


def all_stores_view(engine: Any, settings: Any) -> dict[str, Any]:
    """What the Stores page computes (sync.dashboard.data.store_group): every enabled
    store's summary, read together, and the group verdict."""
    entries = list_stores(engine)
    zones = {e.prefix: e.time_zone for e in entries if e.enabled}
    snaps = read_snapshots(engine, zones, utcnow())
    group = [
        StoreHealth(
            e.prefix, e.name, e.enabled, summarize(snaps[e.prefix], settings) if e.enabled else None
        )
        for e in entries
    ]
    return group_verdict(group)


def _fill(url: str, stores: int, rows: int) -> float:
    engine = create_db_engine(url)
    started = time.perf_counter()
    try:
        first = StoreInfo("store1", "Store 1", "token", None)
        migrate(engine, first)
        for n in range(2, stores + 1):
            info = StoreInfo(f"store{n}", f"Store {n}", "token", None)
            add_store(engine, info, f"dev-token-store{n}", now=utcnow())
        for n in range(1, stores + 1):
            Store(engine, prefix=f"store{n}").ensure_state_rows()
        with engine.begin() as conn:
            # The run-totals trigger would update the same rows a million times in one
            # transaction: fill without it and count once, as migration 0009 does.
            conn.exec_driver_sql("ALTER TABLE sync_log DISABLE TRIGGER sync_log_count_inserted")
            conn.exec_driver_sql(FILL.format(stores=stores, rows=rows))
            conn.exec_driver_sql(TOTALS)
            conn.exec_driver_sql("ALTER TABLE sync_log ENABLE TRIGGER sync_log_count_inserted")
            conn.exec_driver_sql(FRESH_STATE)
            conn.exec_driver_sql(HEARTBEAT)
        with engine.begin() as conn:  # committed: a rolled-back ANALYZE keeps no statistics
            conn.exec_driver_sql("ANALYZE")
    finally:
        engine.dispose()
    return time.perf_counter() - started


def run(stores: int = 50, rows: int = 1_000_000) -> dict[str, Any]:
    """Fill a throwaway database, time the three reads, drop it."""
    with throwaway_database("scale") as url:
        fill_s = _fill(url, stores, rows)
        settings = load_settings({"DATABASE_URL": url}, env_file=None)
        engine = create_db_engine(url, readonly=True)
        api = None
        try:
            results = {
                "dashboard all stores (store_group + verdict)": median_ms(
                    lambda: all_stores_view(engine, settings)
                )
            }
            writer = create_db_engine(url)
            _, key = create_key(writer, "bench", admin=False, now=utcnow())
            writer.dispose()
            api, base = start_api(url)
            headers = {"Authorization": f"Bearer {key}"}
            with requests.Session() as session:
                for path in (
                    f"/api/sync-health/summary?store=store{stores // 2}",
                    "/api/sync-health/stores",
                ):

                    def get(path: str = path) -> None:
                        answer = session.get(base + path, headers=headers, timeout=60)
                        answer.raise_for_status()

                    results[path] = median_ms(get)
        finally:
            if api is not None:
                stop(api)
            engine.dispose()
    return {
        "stores": stores,
        "sync_log_rows": rows,
        "fill_s": fill_s,
        "target_ms": TARGET_MS,
        "reads": results,
        "target_met": all(r["median_ms"] <= TARGET_MS for r in results.values()),
    }
