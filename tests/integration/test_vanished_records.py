"""Records the source stops listing (no `deleted` flag) are marked deleted by a full pass."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from sync.engine.reconcile import Reconciler
from sync.engine.runner import Runner
from sync.storage.schema import ENTITY_TABLES, sync_log
from tests.support.compare import diff_all


@pytest.fixture
def db_url(every_db_url):
    """Every test here runs on SQLite, Postgres and the Supabase REST backend."""
    return every_db_url


@pytest.fixture
def store(every_store):
    return every_store


def deleted_ids(engine, entity: str) -> set[str]:
    table = ENTITY_TABLES[entity]
    with engine.connect() as conn:
        return set(conn.scalars(select(table.c.id).where(table.c.deleted_at.is_not(None))))


def test_a_full_pass_marks_inventory_the_source_no_longer_lists(
    store, simulator, settings_for, db_url
):
    settings = settings_for(db_url, simulator.api_url)
    Runner(settings, store).run()
    before = deleted_ids(store.engine, "inventory")
    changed = simulator.mutate(vanish_inventory=3, remove_outlets=1)["changed"]
    gone = set(changed["vanished_inventory"])
    assert len(gone) > 3

    Runner(settings, store).run()  # incremental: must not guess
    assert deleted_ids(store.engine, "inventory") == before

    [result] = Runner(settings, store).run(entities=["inventory"], full=True)
    assert result.status == "success" and result.deleted >= len(gone)
    assert deleted_ids(store.engine, "inventory") == before | gone
    assert diff_all(store.engine, simulator) == []
    with store.engine.connect() as conn:
        log = conn.execute(select(sync_log).where(sync_log.c.run_id == result.run_id)).one()
    assert log.records_deleted == result.deleted


def test_reconciliation_counts_agree_after_inventory_vanishes(
    store, simulator, settings_for, db_url
):
    if store.sql is None:
        pytest.skip("reconciliation needs SQL")
    settings = settings_for(db_url, simulator.api_url)
    Runner(settings, store).run()
    simulator.mutate(vanish_inventory=2)
    report = Reconciler(settings, store).run()
    assert report.errors == [] and report.mismatches == []
