"""/search as documented: explicit order, shallow offsets, no loop, rows without version kept."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import delete, select

from sync.engine.backfill import backfill
from sync.engine.decode import decode_search
from sync.engine.runner import Runner
from sync.lightspeed.transport import LightspeedClient
from sync.storage.schema import ENTITY_TABLES
from sync.storage.sql.db import create_db_engine, migrate
from sync.storage.sql.store import Store
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


def forty_days(truth: list[dict]) -> tuple[date, date]:
    last = max(sale_day(s) for s in truth)
    return last - timedelta(days=39), last


@pytest.mark.parametrize(
    "faults",
    [
        {"search_max_offset": 40},
        {"search_order_by": "refuse", "search_unordered": True},
        {"search_order_by": "ignore", "search_unordered": True, "search_max_offset": 40},
    ],
    ids=["deep-offsets-refused", "order-by-refused", "order-by-ignored"],
)
def test_a_forty_day_backfill_from_the_command_line_stays_exact(
    sqlite_url, small_simulator, settings_for, tmp_path, faults
):
    """Proportions of a real store: offsets refused past two pages, 40 days of sales."""
    from tests.integration.test_cli import base_env
    from tests.support.cli import run_cli_process

    sim = small_simulator
    env = base_env(sqlite_url, sim.api_url, tmp_path) | {"DATABASE_URL": sqlite_url}
    env |= {"SYNC_PAGE_SIZE": "20"}
    engine = create_db_engine(sqlite_url)
    migrate(engine)
    store = Store(engine)
    Runner(settings_for(sqlite_url, sim.api_url), store).run()
    start, end = forty_days(sim.dump("sales"))
    in_range = [s for s in sim.dump("sales") if start <= sale_day(s) <= end]
    assert len(in_range) > 3 * 20, "the range holds more sales than the deepest offset allowed"
    forget(store, in_range[::4])
    sim.set_faults(**faults)
    sim.reset_stats()
    args = ("backfill", "--entity", "sales", "--from", str(start), "--to", str(end))
    # A real process: the backfill's work is heavy, and in this process it would share
    # the GIL with the simulator's threads (and run under the coverage tracer).
    done = run_cli_process(*args, env=env, cwd=tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Estimate: sales" in done.stdout and "success" in done.stdout
    assert diff_all(engine, sim) == []
    refused = sim.stats()["by_status"].get("400", 0)
    assert refused == (1 if faults.get("search_order_by") == "refuse" else 0)
    engine.dispose()


def test_a_refused_order_is_asked_again_without_it_and_not_asked_for_again():
    refusal = {"error": "order_by must be one of date_from, date_to, status, outlet_id"}
    replies = [Reply(400, refusal), Reply(body={"data": [{"id": "a"}]}), Reply(body={"data": []})]
    with ScriptedServer(replies).running() as server:
        env = {"LIGHTSPEED_BASE_URL": server.url, "LIGHTSPEED_TOKEN": "tok-123456789"}
        from sync.config import load_settings

        client = LightspeedClient(load_settings(env, env_file=None))
        page = decode_search(
            client.search_sales_page("2025-11-24T00:00:00Z", "2025-11-25T00:00:00Z", 0)
        )
        client.search_sales_page("2025-11-24T00:00:00Z", "2025-11-25T00:00:00Z", 1)
        client.close()
    assert [row["id"] for row in page.rows] == ["a"] and page.api_calls == 2
    paths = [seen.path for seen in server.seen]
    assert len(paths) == 3, "a refusal about the order does not try smaller pages"
    assert "order_by=sale_date" in paths[0]
    assert all("order_by" not in path for path in paths[1:])
