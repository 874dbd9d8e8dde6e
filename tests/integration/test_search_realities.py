"""/search as documented: explicit order, shallow offsets, no loop, rows without version kept."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, date, datetime

import pytest
from sqlalchemy import delete, select

from sync.engine.backfill import backfill
from sync.engine.runner import Runner
from sync.lightspeed.client import LightspeedClient
from sync.storage.schema import ENTITY_TABLES
from tests.conftest import SIM_TOKEN
from tests.support.compare import diff_all
from tests.support.scripted_server import Reply, ScriptedServer


@pytest.fixture
def small_simulator():
    from sync.simulator import SimulatorConfig, SimulatorServer

    with SimulatorServer(SimulatorConfig(seed=5, scale="small", token=SIM_TOKEN)) as sim:
        yield sim


def sale_day(sale: dict) -> date:
    return datetime.fromisoformat(sale["sale_date"]).astimezone(UTC).date()


def busy_range(truth: list[dict], page: int) -> tuple[date, date, list[dict]]:
    """The busiest day (more sales than a page) and its neighbours: several pages in all."""
    days = Counter(sale_day(s) for s in truth)
    busiest = max(days, key=days.__getitem__)
    assert days[busiest] > page
    ordered = sorted(days)
    i = ordered.index(busiest)
    start, end = ordered[max(0, i - 3)], ordered[min(len(ordered) - 1, i + 3)]
    return start, end, [s for s in truth if start <= sale_day(s) <= end]


def forget(store, sales: list[dict]) -> None:
    table, lines = ENTITY_TABLES["sales"], ENTITY_TABLES["sale_line_items"]
    ids = [s["id"] for s in sales]
    with store.engine.begin() as conn:
        conn.execute(delete(lines).where(lines.c.sale_id.in_(ids)))
        conn.execute(delete(table).where(table.c.id.in_(ids)))


def test_a_backfill_never_needs_a_deep_offset(store, small_simulator, settings_for, db_url):
    sim = small_simulator
    Runner(settings_for(db_url, sim.api_url), store).run()
    settings = settings_for(db_url, sim.api_url, SYNC_PAGE_SIZE="5")
    start, end, in_range = busy_range(sim.dump("sales"), 5)
    assert len(in_range) > 30
    forget(store, in_range[::3])
    sim.set_faults(search_max_offset=10)  # deeper offsets are refused (400)
    result = backfill(settings, store, "sales", start, end)
    assert result.status == "success", result.error
    assert diff_all(store.engine, sim) == []


def test_an_api_that_ignores_offset_ends_the_backfill_instead_of_looping(
    store, small_simulator, settings_for, db_url
):
    sim = small_simulator
    Runner(settings_for(db_url, sim.api_url), store).run()
    settings = settings_for(db_url, sim.api_url, SYNC_PAGE_SIZE="5")
    start, end, _ = busy_range(sim.dump("sales"), 5)
    sim.set_faults(search_ignore_offset=True)
    sim.reset_stats()
    result = backfill(settings, store, "sales", start, end)
    assert result.status == "success"
    days = (end - start).days + 1
    assert sim.stats()["total"] <= days * 24 * 2


def test_search_rows_without_version_are_kept(store, small_simulator, settings_for, db_url):
    sim = small_simulator
    settings = settings_for(db_url, sim.api_url)
    Runner(settings, store).run()
    start, end, in_range = busy_range(sim.dump("sales"), 5)
    lost, kept = in_range[:5], in_range[5]
    forget(store, lost)
    sim.set_faults(search_without_version=True)
    result = backfill(settings, store, "sales", start, end)
    assert result.status == "success" and result.rejected == 0
    table = ENTITY_TABLES["sales"]
    with store.engine.connect() as conn:
        versions = {i: v for i, v in conn.execute(select(table.c.id, table.c.version))}
    assert all(versions[s["id"]] == 0 for s in lost), "new rows take version 0"
    assert versions[kept["id"]] == kept["version"], "a stored version is kept"
    assert store.cursor("sales") == max(s["version"] for s in sim.dump("sales"))


def test_search_sends_an_explicit_order():
    with ScriptedServer([Reply(body={"data": []})]).running() as server:
        env = {"LIGHTSPEED_BASE_URL": server.url, "LIGHTSPEED_TOKEN": "tok-123456789"}
        from sync.config import load_settings

        client = LightspeedClient(load_settings(env, env_file=None))
        client.search_sales_page("2025-11-24T00:00:00Z", "2025-11-24T23:59:59Z", 0)
        client.close()
    assert "order_by=sale_date" in server.seen[0].path
    assert "order_direction=asc" in server.seen[0].path
