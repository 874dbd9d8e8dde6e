"""Reconciliation, backfill and retention on real SQLite and Postgres against the simulator."""

from __future__ import annotations

import time
from collections import Counter
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import delete, func, insert, literal, select, update

from sync.engine.backfill import backfill, check_range, estimate
from sync.engine.reconcile import Reconciler
from sync.engine.runner import Runner
from sync.errors import SyncError
from sync.runs import utcnow
from sync.storage.schema import ENTITY_TABLES, reconciliations, sync_log, sync_requests
from sync.storage.sql.retention import months_before, prune
from tests.conftest import SIM_TOKEN
from tests.support.compare import diff_all, diff_entity


@pytest.fixture
def small_simulator():
    from sync.simulator import SimulatorConfig, SimulatorServer

    with SimulatorServer(SimulatorConfig(seed=5, scale="small", token=SIM_TOKEN)) as sim:
        yield sim


def busiest_days(sales: list[dict], how_many: int) -> list[date]:
    days = Counter(datetime.fromisoformat(s["sale_date"]).astimezone(UTC).date() for s in sales)
    return [d for d, _ in days.most_common(how_many)]


def test_reconciliation_matches_then_finds_and_repairs_exact_mismatches(
    store, small_simulator, settings_for, db_url
):
    sim = small_simulator
    settings = settings_for(db_url, sim.api_url)
    Runner(settings, store).run()
    truth = sim.dump("sales")
    day = busiest_days(truth, 1)[0]
    report = Reconciler(settings, store).run(day)
    assert report.errors == [] and report.mismatches == []
    assert {c.measure for c in report.checks} >= {
        "records",
        "closed_sales",
        "sales_total",
        "line_total",
    }

    # Corrupt the copy: delete a closed sale of that day, change a line total, drop a product.
    sales, lines, products = (ENTITY_TABLES[n] for n in ("sales", "sale_line_items", "products"))
    closed = [
        s
        for s in truth
        if datetime.fromisoformat(s["sale_date"]).astimezone(UTC).date() == day
        and s.get("state") == "closed"
        and not s.get("deleted_at")
        and len(s["line_items"]) >= 1
    ]
    victim, changed = closed[0], closed[1]
    product = next(p for p in sim.dump("products") if not p.get("deleted_at"))
    with store.engine.begin() as conn:
        conn.execute(delete(lines).where(lines.c.sale_id == victim["id"]))
        conn.execute(delete(sales).where(sales.c.id == victim["id"]))
        line_id = changed["line_items"][0]["id"]
        conn.execute(
            update(lines)
            .where(lines.c.sale_id == changed["id"], lines.c.id == line_id)
            .values(price_total=lines.c.price_total + 1)
        )
        conn.execute(delete(products).where(products.c.id == product["id"]))

    report = Reconciler(settings, store).run(day)
    found = {(c.entity, c.measure): c for c in report.mismatches}
    assert found[("products", "records")].difference == 1
    assert found[("sales", "closed_sales")].difference == 1
    assert found[("sales", "sales_total")].difference != 0
    assert len({c.scope for c in report.mismatches if c.entity == "sales"}) <= 2
    assert any("backfill --entity sales" in r for r in report.repairs())
    with store.engine.connect() as conn:
        stored = conn.execute(
            select(reconciliations).where(reconciliations.c.run_id == report.run_id)
        ).all()
    assert {r.status for r in stored} == {"matched", "mismatch"}
    # A mismatch opens an incident; the matched reconciliation after the repair resolves it.
    from sync.alerts import AlertService, open_incidents

    AlertService(settings, store).evaluate()
    opened = {(i.rule, i.entity) for i in open_incidents(store.engine, store.prefix)}
    assert {("reconciliation_mismatch", "sales"), ("reconciliation_mismatch", "products")} <= opened

    # The repairs the report offers bring it back to matched.
    backfill(settings, store, "sales", day, day)
    backfill(settings, store, "products", day, day)
    assert Reconciler(settings, store).run(day).mismatches == []
    AlertService(settings, store).evaluate()
    assert not [
        i for i in open_incidents(store.engine, store.prefix) if i.rule == "reconciliation_mismatch"
    ]
    assert diff_all(store.engine, sim) == []


def test_a_backfill_over_three_pages_is_exact_and_leaves_the_cursor(
    store, small_simulator, settings_for, db_url
):
    sim = small_simulator
    settings = settings_for(db_url, sim.api_url, SYNC_PAGE_SIZE="200")
    Runner(settings, store).run()
    truth = sim.dump("sales")
    days = sorted(busiest_days(truth, 400))
    # A range holding between 401 and 600 sales gives 3 search pages of 200.
    by_day = Counter(datetime.fromisoformat(s["sale_date"]).astimezone(UTC).date() for s in truth)
    start = days[0]
    end, total = start, 0
    for d in days:
        total += by_day[d]
        end = d
        if total > 400:
            break
    assert 400 < total <= 600
    in_range = [
        s
        for s in truth
        if start <= datetime.fromisoformat(s["sale_date"]).astimezone(UTC).date() <= end
    ]
    sales, lines = ENTITY_TABLES["sales"], ENTITY_TABLES["sale_line_items"]
    ids = [s["id"] for s in in_range[:50]]
    with store.engine.begin() as conn:  # lose part of the range
        conn.execute(delete(lines).where(lines.c.sale_id.in_(ids)))
        conn.execute(delete(sales).where(sales.c.id.in_(ids)))
    cursor = store.cursor("sales")
    guess = estimate(settings, store.engine, "sales", start, end, zone=settings.store_time_zone)
    sim.reset_stats()
    result = backfill(settings, store, "sales", start, end)
    calls = sim.stats()["total"]
    assert result.status == "success" and result.pages >= 3
    assert abs(guess.api_calls - calls) <= 0.1 * calls
    assert store.cursor("sales") == cursor
    assert diff_entity(store.engine, result_spec(), truth) == []
    with store.engine.connect() as conn:
        run = conn.execute(select(sync_log).where(sync_log.c.run_id == result.run_id)).first()
    assert run.action == "backfill" and run.api_calls == calls


def result_spec():
    from sync.entities import SALES

    return SALES


def test_backfill_never_overwrites_newer_data(store, simulator, settings_for, db_url):
    settings = settings_for(db_url, simulator.api_url)
    Runner(settings, store).run()
    changed = simulator.mutate(update_sales=3)["changed"]["sales"]
    Runner(settings, store).run(entities=["sales"])
    days = [datetime.fromisoformat(s["sale_date"]).date() for s in simulator.dump("sales")]
    # Every sale's day, the changed ones included (each day is at least one request).
    backfill(settings, store, "sales", min(days) - timedelta(days=1), max(days) + timedelta(days=1))
    sales = ENTITY_TABLES["sales"]
    with store.engine.connect() as conn:
        versions = dict(conn.execute(select(sales.c.id, sales.c.version)).all())
    truth = {s["id"]: s["version"] for s in simulator.dump("sales")}
    assert all(versions[i] == truth[i] for i in changed)


def test_a_reversed_or_too_long_range_is_refused():
    with pytest.raises(SyncError, match="before it starts"):
        check_range(date(2026, 2, 1), date(2026, 1, 1))
    with pytest.raises(SyncError, match="at most 90"):
        check_range(date(2026, 1, 1), date(2026, 6, 1), max_days=90)


def test_months_before_clamps_to_the_month_end():
    assert months_before(datetime(2026, 3, 31, tzinfo=UTC), 1) == datetime(2026, 2, 28, tzinfo=UTC)
    assert months_before(datetime(2026, 11, 23, tzinfo=UTC), 13) == datetime(
        2025, 10, 23, tzinfo=UTC
    )


def test_retention_removes_only_rows_past_the_horizon(store):
    now = utcnow()
    horizon = months_before(now, 13)
    old, recent = horizon - timedelta(seconds=1), horizon + timedelta(seconds=1)
    with store.engine.begin() as conn:
        conn.execute(
            insert(sync_log).values(store=literal("default")),
            [
                {
                    "run_id": f"r{i}",
                    "entity_type": "sales",
                    "action": "incremental",
                    "trigger": "schedule",
                    "status": "success",
                    "started_at": when,
                }
                for i, when in enumerate([old] * 1200 + [recent] * 7)
            ],
        )
        conn.execute(
            insert(sync_requests).values(store=literal("default")),
            [{"entity_type": "all", "requested_at": when} for when in (old, recent)],
        )
    result = prune(store.engine, now, 13, batch=500)
    assert result.removed["sync_log"] == 1200 and result.removed["sync_requests"] == 1
    with store.engine.connect() as conn:
        assert conn.scalar(select(func.count()).select_from(sync_log)) == 7
        assert conn.scalar(select(func.min(sync_log.c.started_at))) == recent
    started = time.monotonic()
    assert prune(store.engine, now, 13).total == 0
    assert time.monotonic() - started < 5
