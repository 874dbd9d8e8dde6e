"""A day is the outlet's own calendar day: reconcile and backfill for a store in Auckland.

The simulator sells between 07:00 and 20:00 UTC, which is 20:00 to 09:00 in Auckland: a
UTC day cuts every Auckland trading day in two, so only local days give these figures.
"""

from __future__ import annotations

import functools
from collections import Counter, defaultdict
from datetime import date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import delete

from sync.days import day_bounds
from sync.engine.backfill import backfill
from sync.engine.reconcile import Reconciler, is_closed
from sync.engine.runner import Runner
from sync.storage.schema import ENTITY_TABLES
from tests.conftest import SIM_TOKEN
from tests.support.compare import diff_all

AUCKLAND = ZoneInfo("Pacific/Auckland")
NEW_YORK = ZoneInfo("America/New_York")
DST_STARTS = date(2025, 9, 28)  # 02:00 → 03:00 NZ: a 23-hour day
DST_ENDS = date(2025, 4, 6)  # 03:00 → 02:00 NZ: a 25-hour day


def simulator_in(*zones: str):
    from sync.simulator import SimulatorConfig, SimulatorServer

    config = SimulatorConfig(seed=5, scale="small", token=SIM_TOKEN, outlet_time_zones=list(zones))
    return SimulatorServer(config)


@pytest.fixture(scope="module")
def auckland():
    with simulator_in("Pacific/Auckland") as sim:
        yield sim


@pytest.fixture(scope="module")
def two_zones():
    with simulator_in("Pacific/Auckland", "America/New_York") as sim:
        yield sim


@functools.cache
def records_of(sim, entity: str) -> list[dict]:
    """`sim.dump(entity)`, once per simulator: no test of this module changes its data."""
    return sim.dump(entity)


def local_day(sale: dict, zone: ZoneInfo) -> date:
    return datetime.fromisoformat(sale["sale_date"]).astimezone(zone).date()


def zones_of(sim) -> dict[str, ZoneInfo]:
    return {o["id"]: ZoneInfo(o["time_zone"]) for o in records_of(sim, "outlets")}


def expected_figures(sim, day: date) -> dict[tuple[str, str], Decimal]:
    """Per outlet: closed live sales whose local date (the outlet's zone) is `day`."""
    zones = zones_of(sim)
    figures: dict[tuple[str, str], Decimal] = defaultdict(Decimal)
    for sale in records_of(sim, "sales"):
        outlet = sale["outlet_id"]
        if sale.get("deleted_at") or not is_closed(sale):
            continue
        if local_day(sale, zones[outlet]) != day:
            continue
        figures[(outlet, "closed_sales")] += 1
        figures[(outlet, "sales_total")] += Decimal(str(sale["total_price"]))
    return dict(figures)


def measured_figures(report) -> dict[tuple[str, str], Decimal]:
    found = {}
    for check in report.checks:
        if check.entity == "sales" and check.measure in ("closed_sales", "sales_total"):
            outlet = check.scope.split(" outlet ", 1)[1]
            if check.source_value:
                found[(outlet, check.measure)] = check.source_value
    return found


def forget(store, ids: list[str]) -> None:
    sales, lines = ENTITY_TABLES["sales"], ENTITY_TABLES["sale_line_items"]
    with store.engine.begin() as conn:
        conn.execute(delete(lines).where(lines.c.sale_id.in_(ids)))
        conn.execute(delete(sales).where(sales.c.id.in_(ids)))


def crossing_midnight(sim, day: date, zone: ZoneInfo) -> list[dict]:
    """Sales of local `day` whose UTC date is another day: what a UTC day gets wrong."""
    return [
        s
        for s in records_of(sim, "sales")
        if local_day(s, zone) == day and local_day(s, ZoneInfo("UTC")) != day
    ]


def busiest_local_day(sim, zone: ZoneInfo) -> date:
    days = Counter(local_day(s, zone) for s in records_of(sim, "sales"))
    return max(days, key=lambda d: (days[d], d))


@pytest.mark.parametrize("which", ["busiest", "dst_starts", "dst_ends"])
def test_reconcile_counts_each_outlets_own_day_in_auckland(
    store, auckland, settings_for, db_url, which
):
    settings = settings_for(db_url, auckland.api_url)
    Runner(settings, store).run()
    day = {"busiest": busiest_local_day(auckland, AUCKLAND), "dst_starts": DST_STARTS}.get(
        which, DST_ENDS
    )
    start, end = day_bounds(day, AUCKLAND)
    hours = {"dst_starts": 23, "dst_ends": 25}.get(which, 24)
    assert (end - start).total_seconds() == hours * 3600
    expected = expected_figures(auckland, day)
    assert expected, f"the simulator sold nothing on {day}"
    report = Reconciler(settings, store).run(day)
    assert report.errors == [] and report.mismatches == []
    assert measured_figures(report) == expected
    assert report.repair_days == (day, day)


def test_a_sale_a_utc_day_would_misplace_is_missed_and_repaired_by_a_store_day_backfill(
    store, auckland, settings_for, db_url
):
    settings = settings_for(db_url, auckland.api_url)
    Runner(settings, store).run()
    day = busiest_local_day(auckland, AUCKLAND)
    moved = [
        s
        for s in crossing_midnight(auckland, day, AUCKLAND)
        if is_closed(s) and not s.get("deleted_at")
    ]
    assert moved, "no sale of that Auckland day falls on another UTC day"
    forget(store, [moved[0]["id"]])
    report = Reconciler(settings, store).run(day)
    missing = [c for c in report.mismatches if c.measure == "closed_sales"]
    assert [(c.scope, c.difference) for c in missing] == [
        (f"{day} outlet {moved[0]['outlet_id']}", 1)
    ]
    assert report.repairs() == [f"python -m sync backfill --entity sales --from {day} --to {day}"]

    result = backfill(settings, store, "sales", day, day)
    of_the_day = [s for s in records_of(auckland, "sales") if local_day(s, AUCKLAND) == day]
    assert result.status == "success" and result.upserted == len(of_the_day)
    assert Reconciler(settings, store).run(day).mismatches == []
    assert diff_all(store.engine, auckland) == []


def test_two_outlets_in_different_zones_each_count_their_own_day(
    store, two_zones, settings_for, db_url
):
    settings = settings_for(db_url, two_zones.api_url)
    Runner(settings, store).run()
    zones = set(zones_of(two_zones).values())
    assert zones == {AUCKLAND, NEW_YORK}
    day = busiest_local_day(two_zones, AUCKLAND)
    expected = expected_figures(two_zones, day)
    assert {zones_of(two_zones)[outlet] for outlet, _ in expected} == {AUCKLAND, NEW_YORK}
    report = Reconciler(settings, store).run(day)
    assert report.errors == [] and report.mismatches == []
    assert measured_figures(report) == expected
    # The store keeps Auckland's day (two of three live outlets); New York's day of the same
    # date ends 17 hours later, so a repair spans the next Auckland day too.
    assert report.repair_days == (day, day + timedelta(days=1))


def test_store_time_zone_sets_the_store_day_of_a_backfill(store, two_zones, settings_for, db_url):
    settings = settings_for(db_url, two_zones.api_url, STORE_TIME_ZONE="America/New_York")
    Runner(settings, store).run()
    day = busiest_local_day(two_zones, NEW_YORK)
    result = backfill(settings, store, "sales", day, day)
    of_the_day = [s for s in records_of(two_zones, "sales") if local_day(s, NEW_YORK) == day]
    assert result.status == "success" and result.upserted == len(of_the_day)
