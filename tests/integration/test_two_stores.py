"""Two stores' copies in one database: each exact, each store's reads see only its rows.

The product still syncs one store per configuration (LIGHTSPEED_DOMAIN_PREFIX); here it runs
once per store of a several-store simulator, into one database, on SQLite, Postgres and the
Supabase REST backend.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

from sync.config import Settings, load_settings
from sync.engine.reconcile import Reconciler
from sync.engine.runner import Runner
from sync.entities import ENTITIES, STATE_ENTITIES
from sync.runs import utcnow
from sync.storage.backend import open_store
from sync.storage.protocols import SyncStore
from sync.storage.schema import ENTITY_TABLES, lightspeed_stores, sync_log, sync_state
from sync.storage.sql.db import create_db_engine, migrate
from sync.storage.stores import configured_store
from tests.conftest import backend_env
from tests.support.compare import diff_all

STORES = ("acme", "beta")


@pytest.fixture
def two_store_simulator() -> Iterator[Any]:
    from sync.simulator import SimulatorConfig, SimulatorServer

    config = SimulatorConfig(seed=11, scale="tiny", token="dev-token-{prefix}")
    with SimulatorServer(config, stores=list(STORES)) as sim:
        yield sim


def settings_of(prefix: str, db_url: str, sim: Any, extra: dict[str, str]) -> Settings:
    env = {
        "DATABASE_URL": db_url,
        "LIGHTSPEED_BASE_URL": sim.api_url,  # http://127.0.0.1:PORT/{prefix}/api/2.0
        "LIGHTSPEED_DOMAIN_PREFIX": prefix,
        "LIGHTSPEED_TOKEN": f"dev-token-{prefix}",
        "LIGHTSPEED_TIMEOUT_SECONDS": "5",
        **extra,
    }
    return load_settings(env, env_file=None)


@pytest.fixture
def both(every_backend: str, every_db_url: str, two_store_simulator: Any, request) -> Any:
    """Per store: its settings and its store handle, all on one database."""
    sim = two_store_simulator
    extra = backend_env(every_backend, request)
    if every_backend != "supabase-rest":
        engine = create_db_engine(every_db_url)
        migrate(engine, configured_store(settings_of(STORES[0], every_db_url, sim, extra)))
        engine.dispose()
    opened: dict[str, tuple[Settings, SyncStore]] = {}
    for prefix in STORES:
        settings = settings_of(prefix, every_db_url, sim, extra)
        store = open_store(settings)
        store.ensure_state_rows()
        opened[prefix] = (settings, store)
    yield opened
    for _, store in opened.values():
        engine = store.sql
        if engine is not None:
            engine.dispose()
        else:
            store.close()  # type: ignore[attr-defined]


def test_two_stores_in_one_database_are_each_exact_and_see_only_their_own_rows(
    both, two_store_simulator, every_db_url
):
    sim = two_store_simulator
    for settings, store in both.values():
        results = Runner(settings, store).run()
        assert [r.status for r in results] == ["success"] * len(ENTITIES)
    engine = create_db_engine(every_db_url)
    try:
        for prefix in STORES:
            assert diff_all(engine, sim.site(prefix), store=prefix) == [], prefix
        ids = {p: {s["id"] for s in sim.site(p).dump("sales")} for p in STORES}
        assert ids["acme"] and ids["beta"] and not ids["acme"] & ids["beta"]
        with engine.connect() as conn:
            assert set(conn.scalars(select(lightspeed_stores.c.prefix))) == set(STORES)
            for table in (sync_state, sync_log):
                stores = select(table.c.store).distinct()
                assert set(conn.scalars(stores)) == set(STORES), table.name

        # Each store's status: its own counts and runs, never the other's.
        now = utcnow()
        for prefix, (_, store) in both.items():
            snapshot = store.read_snapshot(now)
            totals = {s.entity_type: s.records_total for s in snapshot.states}
            site = sim.site(prefix)
            assert totals["sales"] == len(site.dump("sales")), prefix
            assert totals["customers"] == len(site.dump("customers")), prefix
            with engine.connect() as conn:
                mine = select(sync_log.c.run_id).where(sync_log.c.store == prefix).distinct()
                run_ids = set(conn.scalars(mine))
            for entity in STATE_ENTITIES:
                assert snapshot.runs[entity], (prefix, entity)
                assert {r.run_id for r in snapshot.runs[entity]} <= run_ids, (prefix, entity)
            assert {e for e, _, _ in snapshot.run_totals} == set(STATE_ENTITIES)
            assert sum(n for _, _, n in snapshot.run_totals) == len(STATE_ENTITIES), prefix

        # A second round of changes: each store's incremental run stays exact.
        for prefix in STORES:
            sim.site(prefix).mutate(new_sales=3, update_products=2, remove_line_items=1)
        for settings, store in both.values():
            Runner(settings, store).run()
        for prefix in STORES:
            assert diff_all(engine, sim.site(prefix), store=prefix) == [], prefix
    finally:
        engine.dispose()


def test_each_stores_reconciliation_counts_only_its_own_copy(both, two_store_simulator):
    sim = two_store_simulator
    for settings, store in both.values():
        if store.sql is None:
            pytest.skip("reconciliation needs SQL (not offered over REST)")
        Runner(settings, store).run()
    for prefix, (settings, store) in both.items():
        sales = sim.site(prefix).dump("sales")
        days = Counter(datetime.fromisoformat(s["sale_date"]).astimezone(UTC).date() for s in sales)
        day = days.most_common(1)[0][0]
        report = Reconciler(settings, store).run(day)
        assert report.errors == [] and report.mismatches == [], prefix
        records = {c.entity: c for c in report.checks if c.measure == "records"}
        customers = sim.site(prefix).dump("customers")
        live = [c for c in customers if not c.get("deleted_at")]
        assert records["customers"].db_value == len(live), prefix
        day_checks = [c for c in report.checks if c.measure == "closed_sales"]
        assert day_checks and sum(c.db_value for c in day_checks) > 0, prefix
        snapshot = store.read_snapshot(utcnow())
        assert snapshot.reconciliation and {c.run_id for c in snapshot.reconciliation} == {
            report.run_id
        }, prefix


def test_the_same_record_id_in_two_stores_is_two_rows(db_url):
    from sync.entities import ENTITY_BY_NAME, map_page
    from sync.storage.position import PagePosition
    from sync.storage.runlog import RunInfo
    from sync.storage.sql.store import Store

    engine = create_db_engine(db_url)
    migrate(engine)
    spec = ENTITY_BY_NAME["sales"]
    now = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
    item = {"id": "line-1", "product_id": "p", "quantity": 1, "price_total": "2.00"}
    for prefix, total in (("acme", "10.00"), ("beta", "20.00")):
        store = Store(engine, prefix=prefix)
        store.ensure_state_rows()
        info = RunInfo(f"run-{prefix}", "incremental", "cli", "test")
        trackers = store.start_run(info, entities=spec.state_names, version_from=0, now=now)
        record = {
            "id": "same-id",
            "version": 5,
            "outlet_id": "o",
            "total_price": total,
            "sale_date": "2026-12-01T10:00:00Z",
            "line_items": [item],
        }
        page = map_page(spec, [record], now)
        store.write_page(spec, page, PagePosition(5, info.run_id, trackers, now, store=prefix))
    sales, lines = ENTITY_TABLES["sales"], ENTITY_TABLES["sale_line_items"]
    with engine.connect() as conn:
        rows = conn.execute(select(sales.c.store, sales.c.total_price).order_by(sales.c.store))
        assert [(s, str(t)) for s, t in rows] == [("acme", "10.00"), ("beta", "20.00")]
        assert conn.scalar(select(func.count()).select_from(lines)) == 2
        cursors = conn.execute(
            select(sync_state.c.store, sync_state.c.cursor_version).where(
                sync_state.c.entity_type == "sales"
            )
        ).all()
    assert sorted(cursors) == [("acme", 5), ("beta", 5)]
    engine.dispose()


def test_a_reader_without_a_store_prefix_shows_the_first_store(both, two_store_simulator):
    """A dashboard or API host needs no Lightspeed settings: it reads the first store."""
    from sync.api.context import ApiContext
    from sync.api.summary import load_snapshot

    sim = two_store_simulator
    for settings, store in both.values():
        if store.sql is None:
            pytest.skip("the API and the dashboard read through SQL")
        Runner(settings, store).run()
    settings, store = both["acme"]
    reader = load_settings({"DATABASE_URL": settings.database_url}, env_file=None)
    assert reader.lightspeed_domain_prefix is None
    ctx = ApiContext(reader, store.sql)
    assert ctx.store == "acme"
    totals = {s.entity_type: s.records_total for s in load_snapshot(ctx, ctx.store).states}
    assert totals["sales"] == len(sim.site("acme").dump("sales"))
    named = ApiContext(both["beta"][0], store.sql)
    assert named.store == "beta"
    totals = {s.entity_type: s.records_total for s in load_snapshot(named, named.store).states}
    assert totals["sales"] == len(sim.site("beta").dump("sales"))


def test_each_store_s_status_shows_its_own_scheduler_loop(both):
    """A scheduler process beats once per store loop: a store's snapshot (what Status, the
    API summary and the alerts read) holds its own loop's activity and next run only."""
    now = utcnow()
    (acme, (_, acme_store)), (beta, (_, beta_store)) = both.items()
    for prefix, store, entity in ((acme, acme_store, "sales"), (beta, beta_store, "customers")):
        store.write_heartbeat(
            f"host:1/{prefix}",
            {
                "host": "host",
                "pid": 1,
                "started_at": now,
                "last_beat_at": now,
                "next_run_at": now + timedelta(minutes=5 if prefix == acme else 45),
                "activity": {"state": "syncing", "entity": entity, "records": 7},
            },
        )
    for prefix, store, entity, minutes in (
        (acme, acme_store, "sales", 5),
        (beta, beta_store, "customers", 45),
    ):
        beats = store.read_snapshot(utcnow()).beats
        assert [b.activity["entity"] for b in beats] == [entity], prefix
        assert beats[0].next_run_at == now + timedelta(minutes=minutes)
