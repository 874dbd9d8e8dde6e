"""The copy's reads for backfill and reconciliation: the REST twin answers as the SQL one."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from sync.engine.backfill import estimate
from sync.engine.reconcile import Reconciler, is_closed
from sync.engine.runner import Runner
from sync.storage.copy_reads import CopySale
from sync.storage.copy_source import copy_reads
from sync.storage.rest.copy_reads import RestCopyReads
from sync.storage.schema import reconciliations
from sync.storage.sql.copy_reads import SqlCopyReads
from tests.conftest import open_rest_store

pytestmark = pytest.mark.postgres

WIDE = (datetime(2000, 1, 1, tzinfo=UTC), datetime(2100, 1, 1, tzinfo=UTC))


@pytest.fixture
def synced(supabase_project, simulator, settings_for):
    """A copy synced through the REST API, and the settings that synced it."""
    store = open_rest_store(supabase_project)
    store.ensure_state_rows()
    settings = settings_for(supabase_project.db_url, simulator.api_url)
    assert all(r.status == "success" for r in Runner(settings, store).run())
    yield store, settings
    store.close()


def _figures(sales: list[CopySale]) -> list[tuple[str, str | None, Decimal | None, bool]]:
    """What reconciliation reads of each sale (its raw JSON only for `is_closed`)."""
    return sorted((s.id, s.outlet_id, s.total_price, is_closed(s.raw)) for s in sales)


def test_a_store_gets_its_own_twin_and_an_engine_the_sql_one(synced, supabase_project):
    store, _ = synced
    assert isinstance(copy_reads(store), RestCopyReads)
    assert isinstance(copy_reads(supabase_project.engine, store.prefix), SqlCopyReads)


def test_the_rest_twin_reads_what_the_sql_twin_reads(synced, supabase_project):
    store, _ = synced
    rest, sql = copy_reads(store), SqlCopyReads(supabase_project.engine, store.prefix)
    assert rest.store_days(None).name == sql.store_days(None).name
    times = sql.sale_times(*WIDE)
    assert times and rest.sale_times(*WIDE) == times
    middle = times[len(times) // 2]
    assert rest.sale_times(middle, middle + timedelta(days=1)) == sql.sale_times(
        middle, middle + timedelta(days=1)
    )
    for entity in ("customers", "products", "inventory", "outlets", "sales"):
        assert rest.live_count(entity) == sql.live_count(entity) > 0
        assert rest.records_total(entity) == sql.records_total(entity)
        assert rest.run_cost(entity) == sql.run_cost(entity)
    assert sorted(rest.sale_outlets()) == sorted(sql.sale_outlets())
    outlet = sql.sale_outlets()[0]
    sales = sorted(sql.live_sales(outlet, *WIDE), key=lambda s: s.id)
    assert sales and _figures(rest.live_sales(outlet, *WIDE)) == _figures(sales)
    ids = [s.id for s in sales]
    assert Counter(rest.line_totals(ids)) == Counter(sql.line_totals(ids))
    assert rest.stored_versions("sales", [*ids[:5], "no-such-id"]) == sql.stored_versions(
        "sales", [*ids[:5], "no-such-id"]
    )


def test_reconciliation_and_estimates_work_over_rest_as_over_sql(
    synced, supabase_project, simulator
):
    store, settings = synced
    day = copy_reads(store).sale_times(*WIDE)[0].date()
    report = Reconciler(settings, store).run(day)
    assert report.errors == [] and report.checks and report.mismatches == []
    with supabase_project.engine.connect() as conn:
        recorded = conn.scalar(select(func.count()).select_from(reconciliations))
    assert recorded == len(report.checks)
    over_rest = estimate(settings, store, "sales", day, day, zone=settings.store_time_zone)
    over_sql = estimate(
        settings, supabase_project.engine, "sales", day, day, zone=settings.store_time_zone
    )
    assert (over_rest.records, over_rest.api_calls) == (over_sql.records, over_sql.api_calls)
