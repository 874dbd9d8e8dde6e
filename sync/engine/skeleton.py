"""One run skeleton for every run of one entity: incremental, full pass and backfill.

The skeleton owns what all runs share (lease, start row, trackers, classified outcome,
finish row); each kind of run passes in only its walk over the pages.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from sync.engine.context import RunContext
from sync.engine.run_metrics import MetricsMark
from sync.entities import EntitySpec
from sync.entities.screen import clean_text
from sync.errors import ErrorKind, SyncError, redact
from sync.lightspeed.classify import MalformedResponse
from sync.lightspeed.transport import LightspeedClient
from sync.runs import SKIPPED, RunStatus
from sync.storage.position import PagePosition
from sync.storage.runlog import Outcome, Progress, RunInfo

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class EntityResult:
    """What one entity's run did; `error` is set when it failed."""

    entity: str
    run_id: str
    status: RunStatus | str  # or SKIPPED (another process holds the lease)
    upserted: int = 0
    deleted: int = 0
    rejected: int = 0
    children_upserted: int = 0
    api_calls: int = 0
    pages: int = 0
    version_from: int = 0
    version_to: int | None = None
    seconds: float = 0.0
    error: SyncError | None = None
    note: str | None = None
    busy: bool = False  # skipped because another process holds the entity's lease


@dataclass(frozen=True)
class RunTrackers:
    """The progress trackers of one entity's run: its own, and its line items' (sales)."""

    parent: Progress
    lines: Progress | None = None

    @classmethod
    def of(cls, trackers: Sequence[Progress]) -> RunTrackers:
        """Name the trackers `start_run` returned (in `spec.state_names` order)."""
        parent, *children = trackers
        return cls(parent, children[0] if children else None)

    @property
    def all(self) -> list[Progress]:
        """The trackers in the order the store takes them."""
        return [self.parent] if self.lines is None else [self.parent, self.lines]

    @property
    def lines_upserted(self) -> int:
        """Line items written so far (0 for entities without any)."""
        return self.lines.upserted if self.lines is not None else 0


@dataclass
class EntityRun:
    """One entity's run as its walk sees it; `at` names the page being fetched."""

    context: RunContext
    spec: EntitySpec
    client: LightspeedClient
    info: RunInfo
    trackers: RunTrackers
    version_from: int
    t0: float
    calls_before: int
    at: str = ""

    def position(self, cursor: int | None) -> PagePosition:
        """Where the page being written goes: `cursor` (None: leave it), this run, now."""
        return PagePosition(
            cursor,
            self.info.run_id,
            self.trackers.all,
            self.context.clock(),
            store=self.context.store_prefix,
        )

    def page_written(self) -> None:
        """After each page: keep the lease, count the API calls, report progress."""
        self.context.lease.renew(self.spec.name)
        self.trackers.parent.api_calls = self.client.api_calls - self.calls_before
        if self.context.on_page:
            self.context.on_page(self.spec.name, self.trackers.parent, time.monotonic() - self.t0)


Walk = Callable[[EntityRun], None]


def run_skeleton(
    context: RunContext,
    spec: EntitySpec,
    client: LightspeedClient,
    info: RunInfo,
    walk: Walk,
    *,
    version_from: int | None = None,
    is_sync: bool = True,
    label: str | None = None,
) -> EntityResult:
    """Run `walk` for one entity under its lease, between a start row and a finish row.

    `version_from=None` starts from the stored cursor. A run that is not a sync
    (`is_sync=False`, a backfill) leaves the cursor and the entity's sync status alone.
    A busy lease gives a `skipped` result; every failure, expected or not, a classified one.
    """
    lease = context.lease
    try:
        holder = lease.acquire(spec.name)
    except SyncError as exc:
        log.error("%s: could not take the lease: %s", spec.name, exc)
        return not_started(spec, info.run_id, exc)
    if holder is not None:
        note = f"already being synced by {holder.describe()}"
        log.info("%s: skipped, %s", spec.name, note)
        return EntityResult(
            entity=spec.name, run_id=info.run_id, status=SKIPPED, note=note, busy=True
        )
    try:
        done = context.done_elsewhere(spec.name) if context.done_elsewhere else None
    except SyncError as exc:
        lease.release(spec.name)
        log.error("%s: could not read when it last ran: %s", spec.name, exc)
        return not_started(spec, info.run_id, exc)
    if done is not None:
        lease.release(spec.name)
        log.info("%s: skipped, %s", spec.name, done)
        return EntityResult(entity=spec.name, run_id=info.run_id, status=SKIPPED, note=done)
    try:
        return _run(context, spec, client, info, walk, version_from, is_sync, label or spec.name)
    finally:
        lease.release(spec.name)


def not_started(spec: EntitySpec, run_id: str, exc: SyncError) -> EntityResult:
    """The result of a run that failed before it had a sync_log row."""
    return EntityResult(entity=spec.name, run_id=run_id, status=RunStatus.FAILED, error=exc)


def _run(
    context: RunContext,
    spec: EntitySpec,
    client: LightspeedClient,
    info: RunInfo,
    walk: Walk,
    version_from: int | None,
    is_sync: bool,
    label: str,
) -> EntityResult:
    store = context.store
    started, t0 = context.clock(), time.monotonic()
    try:
        cursor = store.cursor(spec.name) if version_from is None else version_from
        trackers = RunTrackers.of(
            store.start_run(info, entities=spec.state_names, version_from=cursor, now=started)
        )
    except SyncError as exc:
        log.error("%s: could not start: %s", label, exc)
        return not_started(spec, info.run_id, exc)
    run = EntityRun(context, spec, client, info, trackers, cursor, t0, client.api_calls)
    mark = MetricsMark(client, context.stores_at_once)
    status, error = _walk_classified(run, walk)
    main = trackers.parent
    main.api_calls = client.api_calls - run.calls_before
    if status == RunStatus.SUCCESS and main.rejected:
        status = RunStatus.PARTIAL
    outcome = _outcome(status, error, main)
    try:
        store.finish_run(
            spec,
            trackers.all,
            outcome,
            started_at=started,
            now=context.clock(),
            is_sync=is_sync,
            metrics=mark.metrics(),
        )
    except SyncError as exc:
        log.error("%s: could not record the outcome: %s", label, exc)
        error = error or exc
        status = RunStatus.FAILED
    seconds = time.monotonic() - t0
    _log_result(label, status, trackers, seconds, error)
    return EntityResult(
        entity=spec.name,
        run_id=info.run_id,
        status=status,
        upserted=main.upserted,
        deleted=main.deleted,
        rejected=main.rejected,
        children_upserted=trackers.lines_upserted,
        api_calls=main.api_calls,
        pages=main.pages,
        version_from=cursor,
        version_to=main.version_to if is_sync else cursor,
        seconds=seconds,
        error=error,
    )


def _walk_classified(run: EntityRun, walk: Walk) -> tuple[RunStatus, SyncError | None]:
    """Run the walk; any exception becomes a classified failure."""
    try:
        walk(run)
    except SyncError as exc:
        if isinstance(exc, MalformedResponse):
            _record_malformed(run, exc)
        return RunStatus.FAILED, exc
    except Exception as exc:  # a bug must not stop the other entities
        log.exception("%s: unexpected failure", run.spec.name)
        return RunStatus.FAILED, SyncError(
            ErrorKind.API,
            f"Unexpected {type(exc).__name__} while syncing {run.spec.name}: "
            f"{redact(str(exc)[:200], *run.context.secrets)}",
        )
    return (RunStatus.INTERRUPTED if run.context.stopping else RunStatus.SUCCESS), None


def _outcome(status: RunStatus, error: SyncError | None, main: Progress) -> Outcome:
    if error is not None:
        return Outcome(status, error.kind.value, error.details())
    if status == RunStatus.PARTIAL:
        return Outcome(
            status,
            ErrorKind.VALIDATION.value,
            f"{main.rejected} record(s) did not match the expected shape; see sync_rejects.",
        )
    return Outcome(status)


def _record_malformed(run: EntityRun, exc: MalformedResponse) -> None:
    try:
        run.context.store.record_reject(
            run.info.run_id,
            run.spec.name,
            f"{exc.message} ({run.at})",
            {"excerpt": clean_text(exc.excerpt)},
            run.context.clock(),
        )
    except SyncError as db_exc:
        log.error("%s: could not record the malformed page: %s", run.spec.name, db_exc)


def _log_result(
    label: str,
    status: RunStatus,
    trackers: RunTrackers,
    seconds: float,
    error: SyncError | None,
) -> None:
    main = trackers.parent
    rate = main.upserted / seconds if seconds > 0 else 0.0
    more = f" (+{trackers.lines_upserted:,} line items)" if trackers.lines_upserted else ""
    message = (
        f"{label}: {status} — {main.upserted - main.deleted:,} new or changed, "
        f"{main.deleted:,} deleted{more}, "
        f"{main.rejected} rejected, {main.pages} pages, {main.api_calls} API calls, "
        f"{seconds:.1f} s ({rate:,.0f} records/s)"
    )
    if error:
        log.error("%s; %s", message, error.details())
    else:
        log.info(message)
