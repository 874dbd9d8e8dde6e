"""The copy equals the source after full, no-change and incremental runs."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from sync.engine.runner import Runner
from sync.entities import ENTITIES, STATE_ENTITIES
from sync.storage.schema import ENTITY_TABLES, sync_log, sync_state
from tests.support.compare import diff_all


@pytest.fixture
def db_url(every_db_url):
    """Every test here runs on SQLite, Postgres and the Supabase REST backend."""
    return every_db_url


@pytest.fixture
def store(every_store):
    return every_store


def run(store, settings, **kwargs):
    return Runner(settings, store).run(**kwargs)


def test_a_full_import_equals_the_source(store, simulator, settings_for, db_url):
    settings = settings_for(db_url, simulator.api_url)
    results = run(store, settings)
    assert [r.status for r in results] == ["success"] * len(ENTITIES)
    assert diff_all(store.engine, simulator) == []
    with store.engine.connect() as conn:
        deleted = conn.scalar(
            select(func.count())
            .select_from(ENTITY_TABLES["customers"])
            .where(ENTITY_TABLES["customers"].c.deleted_at.is_not(None))
        )
        states = {r.entity_type: r for r in conn.execute(select(sync_state))}
    assert deleted > 0, "the simulator's deleted customers must be kept, marked"
    for entity in STATE_ENTITIES:
        assert states[entity].status == "success"
        assert states[entity].last_sync_time is not None
        assert states[entity].records_total > 0
    assert states["sales"].cursor_version == states["sale_line_items"].cursor_version > 0


def test_a_run_without_changes_makes_one_call_per_endpoint_and_writes_only_the_log(
    store, simulator, settings_for, db_url
):
    settings = settings_for(db_url, simulator.api_url)
    run(store, settings)
    with store.engine.connect() as conn:
        before = {
            name: conn.scalar(select(func.max(table.c.synced_at)))
            for name, table in ENTITY_TABLES.items()
        }
    simulator.reset_stats()
    results = run(store, settings)
    stats = simulator.stats()
    assert stats["total"] == len(ENTITIES)
    assert all(count == 1 for count in stats["by_path"].values())
    assert all(r.upserted == 0 and r.api_calls == 1 and r.status == "success" for r in results)
    with store.engine.connect() as conn:
        after = {
            name: conn.scalar(select(func.max(table.c.synced_at)))
            for name, table in ENTITY_TABLES.items()
        }
        runs = conn.execute(
            select(sync_log.c.run_id, sync_log.c.status, sync_log.c.api_calls).where(
                sync_log.c.run_id == results[0].run_id
            )
        ).all()
    assert after == before
    assert len(runs) == len(STATE_ENTITIES)


def test_an_incremental_run_after_changes_restores_exact_equality(
    store, simulator, settings_for, db_url
):
    settings = settings_for(db_url, simulator.api_url)
    run(store, settings)
    changed = simulator.mutate(
        new_sales=7,
        update_sales=3,
        remove_line_items=2,
        delete_sales=1,
        new_customers=2,
        update_customers=2,
        delete_customers=2,
        new_products=1,
        update_products=3,
        delete_products=1,
        stock_changes=5,
    )
    assert changed["changed"]
    assert diff_all(store.engine, simulator) != []
    simulator.reset_stats()
    results = run(store, settings)
    assert all(r.status == "success" for r in results)
    assert diff_all(store.engine, simulator) == []
    by_entity = {r.entity: r for r in results}
    assert by_entity["sales"].upserted == len(set(changed["changed"]["sales"]))
    assert by_entity["outlets"].upserted == 0


def test_a_full_run_rereads_everything_without_duplicates(store, simulator, settings_for, db_url):
    settings = settings_for(db_url, simulator.api_url, SYNC_PAGE_SIZE="37")
    run(store, settings)
    with store.engine.connect() as conn:
        counts = {
            n: conn.scalar(select(func.count()).select_from(t)) for n, t in ENTITY_TABLES.items()
        }
    results = run(store, settings, full=True)
    assert all(r.status == "success" and r.upserted > 0 for r in results)
    with store.engine.connect() as conn:
        again = {
            n: conn.scalar(select(func.count()).select_from(t)) for n, t in ENTITY_TABLES.items()
        }
    assert again == counts
    assert diff_all(store.engine, simulator) == []


def test_a_single_entity_can_be_synced(store, simulator, settings_for, db_url):
    settings = settings_for(db_url, simulator.api_url)
    results = run(store, settings, entities=["products"])
    assert [r.entity for r in results] == ["products"]
    with store.engine.connect() as conn:
        assert conn.scalar(select(func.count()).select_from(ENTITY_TABLES["sales"])) == 0
