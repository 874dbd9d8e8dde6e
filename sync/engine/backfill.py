"""Backfill: re-fetch a date range of sales through /search, without touching the cursor.

Other entities have no date filter in the API: their backfill is a full pass.
"""

from __future__ import annotations

import math
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any

from sync.config import Settings
from sync.engine.connection import open_client
from sync.engine.context import PageCallback, RunContext
from sync.engine.isolation import write_isolated
from sync.engine.runner import Runner
from sync.engine.search import planned_calls, search_sales
from sync.engine.skeleton import EntityResult, EntityRun, Walk, run_skeleton
from sync.entities import ENTITY_BY_NAME, SALES, map_page
from sync.errors import ErrorKind, SyncError
from sync.lightspeed.transport import SEARCH_PAGE_SIZE, LightspeedClient
from sync.runs import Action, Trigger, utcnow
from sync.storage.copy_reads import CopyReads
from sync.storage.copy_source import copy_reads
from sync.storage.runlog import RunInfo

if TYPE_CHECKING:
    from sync.storage.copy_source import CopySource
    from sync.storage.protocols import SyncStore

# The documented minimum quota (one register): 300 x 1 + 50 requests per 300 s.
ASSUMED_QUOTA = (350, 300.0)
DEFAULT_SECONDS_PER_CALL = 0.5


@dataclass(frozen=True)
class Estimate:
    """What a backfill will cost, computed without calling Lightspeed."""

    entity: str
    records: int
    api_calls: int
    seconds: float
    basis: str
    zone: str = "UTC"  # the zone of the store days estimated

    def describe(self) -> str:
        minutes = self.seconds / 60
        took = f"{minutes:.0f} min" if minutes >= 1 else f"{self.seconds:.0f} s"
        return (
            f"{self.entity}: about {self.records:,} records, {self.api_calls:,} API calls, "
            f"~{took} ({self.basis})"
        )


def check_range(date_from: date, date_to: date, max_days: int | None = None) -> None:
    """Reject an inverted or (for the dashboard) too long range with one sentence."""
    if date_to < date_from:
        raise SyncError(
            ErrorKind.CONFIG,
            f"The range ends ({date_to}) before it starts ({date_from}).",
            recovery="Give --from the earlier date and --to the later one.",
        )
    if max_days is not None and (date_to - date_from).days + 1 > max_days:
        raise SyncError(
            ErrorKind.CONFIG,
            f"The range covers {(date_to - date_from).days + 1} days; at most {max_days} "
            "are allowed here.",
            recovery="Split it into shorter ranges.",
        )


def _seconds_per_call(reads: CopyReads, entity: str) -> float:
    millis, calls = reads.run_cost(entity)
    if not millis or not calls:
        return DEFAULT_SECONDS_PER_CALL
    return max(0.05, millis / 1000 / calls)


def estimate(
    settings: Settings,
    source: CopySource,
    entity: str,
    date_from: date,
    date_to: date,
    *,
    store: str | None = None,
    zone: str | None = None,
) -> Estimate:
    """Records, API calls and time for a backfill of store days, from the copy and past runs.

    Never calls Lightspeed: the sales in the copy on those days give the records and the
    exact /search windows the backfill will ask (see `sync.engine.search`). `source`: the
    store, or a SQL engine (of `store`'s rows; default: the configured store). `zone`: the
    zone setting of that store's days (`sync.storage.stores.zone_setting`).
    """
    spec = ENTITY_BY_NAME[entity]
    reads = copy_reads(source, store or settings.store_prefix)
    days = reads.store_days(zone)
    if spec is SALES:
        start, end = days.bounds(date_from, date_to)
        # The windows' queries take their boundary second: a second either side counts.
        second = timedelta(seconds=1)
        times = reads.sale_times(start - second, end + second)
        records = sum(1 for t in times if start <= t < end)
        page = min(settings.sync_page_size, SEARCH_PAGE_SIZE)
        calls = planned_calls(times, start, end, page)
    else:
        records = reads.records_total(entity)
        page = settings.sync_page_size
        calls = math.ceil(records / page) + 1  # paging ends on an empty page
    per_call = _seconds_per_call(reads, entity)
    quota, window = ASSUMED_QUOTA
    seconds = calls * per_call + max(0, calls - quota) * window / quota
    basis = f"from the copy, {per_call:.2f} s per call measured"
    if spec is SALES:
        basis = (
            f"store days in {days.describe()}, {basis}; days missing from the copy are not counted"
        )
    return Estimate(entity, records, calls, seconds, basis, days.name)


def backfill(
    settings: Settings,
    store: SyncStore,
    entity: str,
    date_from: date,
    date_to: date,
    *,
    trigger: Trigger = Trigger.CLI,
    triggered_by: str | None = None,
    run_id: str | None = None,
    stop: threading.Event | None = None,
    on_page: PageCallback | None = None,
    client_factory: Callable[[], LightspeedClient] | None = None,
) -> EntityResult:
    """Backfill `entity`: sales of the store days `date_from`..`date_to` through /search.

    Other entities have no date filter in the API: their backfill is a full pass.
    """
    check_range(date_from, date_to)
    run_id = run_id or str(uuid.uuid4())
    stop = stop or threading.Event()
    if entity != SALES.name:
        runner = Runner(
            settings,
            store,
            on_page=on_page,
            stop=stop,
            lock_wait_seconds=settings.lock_ttl_seconds,
            client_factory=client_factory,
        )
        return runner.run(
            [entity], full=True, trigger=trigger, triggered_by=triggered_by, run_id=run_id
        )[0]
    reads = copy_reads(store)
    start, end = reads.store_days(settings.store_time_zone).bounds(date_from, date_to)
    info = RunInfo(run_id, Action.BACKFILL, trigger, triggered_by)
    context = RunContext.of(
        settings,
        store,
        clock=utcnow,
        stop=stop,
        on_page=on_page,
        lock_wait_seconds=settings.lock_ttl_seconds,
    )
    client = client_factory() if client_factory else open_client(settings, store)
    try:
        return run_skeleton(
            context,
            SALES,
            client,
            info,
            _search_walk(start, end, reads),
            is_sync=False,
            label=f"sales backfill {date_from}..{date_to}",
        )
    finally:
        client.close()


def _search_walk(start: datetime, end: datetime, reads: CopyReads) -> Walk:
    """The walk of a sales backfill: /search over [start, end), written without the cursor.

    A search row without `version` is kept: it takes the version already stored (0 when
    new), so it repairs the copy and a later sync with a real version still wins.
    """

    def walk(run: EntityRun) -> None:
        context = run.context

        def fetching(at: str) -> None:
            run.at = at

        for page in search_sales(run.client, start, end, stop=context.stop, fetching=fetching):
            run.at = page.at
            position = run.position(None)
            versions = _stored_versions(reads, page.rows)
            mapped = map_page(SALES, page.rows, position.now, default_versions=versions)
            write_isolated(context.store, SALES, mapped, position)
            run.page_written()

    return walk


def _stored_versions(reads: CopyReads, rows: list[Any]) -> dict[str, int]:
    """The stored version of each row that came without one (0 when not stored)."""
    ids = [
        r["id"]
        for r in rows
        if isinstance(r, dict) and isinstance(r.get("id"), str) and r.get("version") is None
    ]
    if not ids:
        return {}
    stored = reads.stored_versions("sales", ids)
    return {source_id: stored.get(source_id, 0) for source_id in ids}
