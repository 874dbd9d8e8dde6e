"""The long-running service of one store: scheduled syncs, the run-now queue, heartbeat,
clean shutdown. Modelled on healthchecks' sendalerts loop: signals only set a flag; each step
does one unit of work and says whether it found any, so the loop drains the queue, then
sleeps until the next job or queue poll. Every job is wrapped so no failure ends the loop."""

from __future__ import annotations

import contextlib
import logging
import threading
import time
import uuid
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

import schedule

from sync.alerts import AlertService
from sync.config import Settings
from sync.days import NO_OUTLETS
from sync.engine.runner import EntityResult, Runner
from sync.entities import ENTITIES
from sync.errors import ErrorKind, SyncError
from sync.runs import Action, utcnow
from sync.service.busy import BusyRetry
from sync.service.due import done_elsewhere
from sync.service.heartbeat import Heartbeat
from sync.service.maintenance import NightlyPrune, reconcile_yesterday
from sync.service.plan import JobSpec, aware_utc, plan_jobs
from sync.service.requests import RequestWorker
from sync.service.signals import stop_on_signals
from sync.service.slots import StoreSlots
from sync.storage.leasing import PROCESS_HOLDER
from sync.storage.queueing import Claim
from sync.storage.sql.outlets import load_store_days

if TYPE_CHECKING:
    from sync.storage.protocols import SyncStore

log = logging.getLogger(__name__)

MAX_BACKOFF_SECONDS = 60.0
RECOVERY_EVERY_SECONDS = 60.0
ALERTS_EVERY_SECONDS = 60.0


class SchedulerService:
    """The scheduler process. `stop` ends it after the current page."""

    def __init__(
        self,
        settings: Settings,
        store: SyncStore,
        *,
        clock: Callable[[], datetime] = utcnow,
        stop: threading.Event | None = None,
        sync_on_start: bool | None = None,
        gate: StoreSlots | None = None,
        instance_id: str = PROCESS_HOLDER,
        pruning: NightlyPrune | None = None,
    ) -> None:
        self.settings = settings
        self.store = store
        self.clock = clock
        self.stop = stop or threading.Event()
        self.sync_on_start = settings.sync_on_start if sync_on_start is None else sync_on_start
        self.holder = PROCESS_HOLDER
        self.gate = gate  # shared by the stores of one process: SYNC_MAX_PARALLEL_STORES
        self.pruning = pruning or NightlyPrune()  # shared too: the history is every store's
        self.heartbeat = Heartbeat(
            store, period_seconds=settings.heartbeat_seconds, clock=clock, instance_id=instance_id
        )
        self.leases = store.leases(settings.lock_ttl_seconds)
        self.jobs = schedule.Scheduler()
        self._backoff = 0.0
        self._alerts: AlertService | None = None
        self._next_alerts = 0.0
        self._sql_only_logged: set[str] = set()
        self._plan_zone: str | None = None  # the zone daily jobs were planned in
        self._just_served: set[str] = set()  # synced by this step's run-now (see step)
        self.busy = BusyRetry()  # what a scheduled sync left to another process
        self.requests = RequestWorker(
            settings,
            store,
            holder=self.holder,
            clock=clock,
            heartbeat=self.heartbeat,
            stop=self.stop,
            sync=self._sync,
            announce=self._announce_backfill,
            reconcile=self.reconcile,
        )

    # -- wiring ---------------------------------------------------------------------------

    def install_signal_handlers(self) -> None:
        """SIGTERM / SIGINT finish the current page, then the loop exits."""
        stop_on_signals(self.stop, "the current page")

    def _runner(self, lock_wait_seconds: float = 0.0, every: int | None = None) -> Runner:
        """`every`: a job's minutes; an entity another scheduler ran this cycle is skipped."""
        return Runner(
            self.settings,
            self.store,
            on_page=self.heartbeat.on_page,
            stop=self.stop,
            leases=self.leases,
            lock_wait_seconds=lock_wait_seconds,
            done_elsewhere=done_elsewhere(self.store, self.clock, every) if every else None,
            yield_busy_store=bool(every),
            stores_at_once=self.gate.busy if self.gate is not None else None,
        )

    def schedule_jobs(self) -> None:
        """Register every planned job on this service's own schedule.Scheduler.

        Daily jobs run at their time on the store's clock (STORE_TIME_ZONE, else the zone
        most outlets share); before any outlet is synced, on this host's clock.
        """
        self.jobs.clear()
        for job in plan_jobs(self.settings):
            if job.minutes is not None:
                self.jobs.every(job.minutes).minutes.do(self.run_job, job).tag(job.name)
        self._plan_daily()

    def _plan_daily(self) -> None:
        """(Re)register the daily jobs in the store's zone; the interval jobs keep their rhythm."""
        for old in [j for j in self.jobs.get_jobs() if "daily" in j.tags]:
            self.jobs.cancel_job(old)
        self._plan_zone = self._store_zone()
        for job in plan_jobs(self.settings):
            if job.minutes is None:
                builder = self.jobs.every().day.at(job.at or "02:00", self._plan_zone)
                builder.do(self.run_job, job).tag(job.name, "daily")
        self._publish_plan()

    def _store_zone(self) -> str | None:
        """The store's zone name for daily jobs; None (this host's clock) while unknown."""
        if self.settings.store_time_zone:
            return self.settings.store_time_zone
        if self.store.sql is None:
            return None
        try:
            days = load_store_days(self.store.sql, self.store.prefix, None)
        except SyncError as exc:
            log.warning("Could not read the outlets' time zones: %s", exc)
            return None
        return None if days.source == NO_OUTLETS else days.name

    def _publish_plan(self) -> None:
        plan = []
        for job in self.jobs.get_jobs():
            when = aware_utc(job.next_run)
            plan.append(
                {"name": min(job.tags - {"daily"}), "next_run": when.isoformat() if when else ""}
            )
        self.heartbeat.set_plan(plan, aware_utc(self.jobs.get_next_run()))

    # -- units of work --------------------------------------------------------------------

    def run_job(self, job: JobSpec) -> None:
        """A scheduled job; never raises (schedule would stop the loop)."""
        if job.maintenance:
            self.run_maintenance()
            return
        self._scheduled_sync(list(job.entities), full=job.full, by=job.name, every=job.minutes)

    def _scheduled_sync(
        self, entities: list[str], *, full: bool, by: str, every: int | None = None
    ) -> None:
        """A scheduled sync that never starts while a run-now of its entities is queued.

        Those requests run first; an incremental job then leaves out what they just
        synced (a full pass still runs: it re-reads what an incremental cannot see).
        """
        served = set(self._just_served)
        for _ in range(len(entities) + 1):  # each claim serves at least one entity
            try:
                claimed = self.process_request(action=Action.INCREMENTAL, entities=entities)
            except SyncError as exc:
                log.error("Could not read the run-now queue: %s", exc)
                break
            if claimed is None:
                break
            served.update(claimed.entities or entities)
        if not full:
            entities = [e for e in entities if e not in served]
        if entities:
            self._sync(entities, full=full, trigger="schedule", by=by, every=every)
        else:
            log.info("%s: skipped, a run-now request just synced its entities.", by)

    def run_maintenance(self) -> None:
        """Nightly: reconcile yesterday against Lightspeed, then prune old history."""
        engine = self.store.sql
        if engine is None:
            self._sql_only("Nightly reconciliation and pruning")
            return
        self.reconcile()
        self.pruning.run(engine, self.clock(), self.settings.retention_months)

    def reconcile(self) -> str | None:
        """Reconcile the store's yesterday (nightly, or queued from the dashboard); never
        raises. Returns one sentence when it could not finish."""
        if self.store.sql is None:
            self._sql_only("Reconciliation")
            return "Reconciliation needs a direct database connection (set DATABASE_URL)."
        self.heartbeat.set_activity(state="reconciling")
        try:
            return reconcile_yesterday(
                self.settings, self.store, self._runner(self.settings.lock_ttl_seconds)
            )
        finally:
            self.heartbeat.set_activity(state="idle")

    def _sync(
        self,
        entities: Sequence[str] | None,
        *,
        full: bool,
        trigger: str,
        by: str | None,
        run_id: str | None = None,
        lock_wait_seconds: float = 0.0,
        every: int | None = None,
    ) -> list[EntityResult]:
        run_id = run_id or str(uuid.uuid4())
        results: list[EntityResult] = []
        try:
            with self.gate or contextlib.nullcontext():
                self.heartbeat.set_activity(state="syncing", run_id=run_id, trigger=trigger)
                results = self._runner(lock_wait_seconds, every).run(
                    entities, full=full, trigger=trigger, triggered_by=by, run_id=run_id
                )
            if every:
                asked = entities or [spec.name for spec in ENTITIES]
                self.busy.note(asked, results, by=by or "", every=every, now=time.monotonic())
        except Exception:  # a bug in one run must not end the service
            log.exception("Sync run %s failed unexpectedly", run_id)
        finally:
            self.heartbeat.set_activity(
                state="idle", entity=None, run_id=None, trigger=None, pages=0, records=0
            )
            self.heartbeat.beat()
        daily = any("daily" in j.tags for j in self.jobs.get_jobs())
        if daily and self._plan_zone is None and self._store_zone() is not None:
            self._plan_daily()  # the first outlets arrived: daily jobs move to their clock
        self.evaluate_alerts(results)
        return results

    def evaluate_alerts(self, results: list[EntityResult] | None = None) -> None:
        """Alert rules after a run and once a minute; never raises (alerts must not stop us)."""
        self._next_alerts = time.monotonic() + ALERTS_EVERY_SECONDS
        try:
            if results is None:
                self._alert_service().evaluate()
            else:
                self._alert_service().after_run(results)
        except SyncError as exc:
            log.error("Alert evaluation failed: %s", exc)
        except Exception:
            log.exception("Alert evaluation failed unexpectedly")

    def _alert_service(self) -> AlertService:
        if self._alerts is None:
            self._alerts = AlertService(self.settings, self.store, clock=self.clock)
        return self._alerts

    def _sql_only(self, what: str) -> None:
        if what not in self._sql_only_logged:
            self._sql_only_logged.add(what)
            log.warning(
                "%s needs a direct database connection: it is off with the Supabase REST "
                "backend. Set DATABASE_URL to the project's Postgres connection string to turn "
                "it on.",
                what,
            )

    def process_request(
        self, *, action: str | None = None, entities: Sequence[str] | None = None
    ) -> Claim | None:
        """Run the next queued request (run-now syncs before backfills); the one it ran."""
        return self.requests.process(action=action, entities=entities)

    def _announce_backfill(
        self, claim: Claim, results: list[EntityResult], error: str | None
    ) -> None:
        """Alert channels hear when a queued backfill ends; never raises."""
        assert claim.date_from is not None and claim.date_to is not None
        try:
            self._alert_service().backfill_finished(
                claim.entity, claim.date_from, claim.date_to, claim.requested_by, results, error
            )
        except SyncError as exc:
            log.error("Could not announce the end of backfill request %s: %s", claim.ids, exc)
        except Exception:
            log.exception("Could not announce the end of backfill request %s", claim.ids)

    def recover(self) -> None:
        """Mark runs and requests left behind by a dead process."""
        self.requests.settle_unsettled()
        now = self.clock()
        orphans = self.store.mark_orphans(now)
        requests = self.store.fail_orphan_requests(
            now, timedelta(seconds=3 * self.settings.heartbeat_seconds)
        )
        if orphans or requests:
            log.warning(
                "Recovered after an unclean stop: %d run(s) marked interrupted, %d request(s) "
                "failed.",
                orphans,
                requests,
            )

    # -- the loop -------------------------------------------------------------------------

    def step(self) -> bool:
        """One unit of work: a queued run-now first, then due jobs, then a backfill.

        True if a request ran. A run-now sync goes before scheduled ones; due scheduled
        syncs still run in every step, so a long queue (of backfills, say) never stops
        the schedule's rhythm.
        """
        manual = self.process_request(action=Action.INCREMENTAL)
        if manual is not None:
            self._just_served = set(manual.entities or (spec.name for spec in ENTITIES))
        try:
            self.jobs.run_pending()
        finally:
            self._just_served = set()
        self._publish_plan()
        if manual is not None:
            return True
        return self.process_request() is not None

    def run_forever(self) -> int:
        """Serve until stopped; returns the exit code (0 after a clean shutdown)."""
        log.info(
            "Scheduler %s starting: incremental every %d min, polling requests every %g s.",
            self.holder,
            self.settings.sync_interval_minutes,
            self.settings.scheduler_poll_seconds,
        )
        self.schedule_jobs()
        self.heartbeat.set_activity(state="idle")
        self.heartbeat.start()
        pending_start = self.sync_on_start
        next_recovery = 0.0
        while not self.stop.is_set():
            try:
                # Also catches CLI runs killed while this scheduler was alive.
                if time.monotonic() >= next_recovery:
                    self.recover()
                    next_recovery = time.monotonic() + RECOVERY_EVERY_SECONDS
                if pending_start:
                    pending_start = False
                    names = [spec.name for spec in ENTITIES]
                    every = self.settings.sync_interval_minutes
                    self._scheduled_sync(names, full=False, by="scheduler start", every=every)
                    continue
                if self.busy.run_due(time.monotonic(), self._scheduled_sync):
                    continue  # what it left to another process a few seconds ago
                if time.monotonic() >= self._next_alerts:
                    self.evaluate_alerts()
                if self.step():
                    continue
                self._backoff = 0.0
            except SyncError as exc:
                self._on_loop_error(exc)
                continue
            except Exception:  # keep serving; the next loop retries
                log.exception("Scheduler loop error")
                self._on_loop_error(None)
                continue
            wait = self.settings.scheduler_poll_seconds
            for due in (self.jobs.idle_seconds, self.busy.seconds_left(time.monotonic())):
                if due is not None:
                    wait = max(0.05, min(wait, due))
            self.stop.wait(wait)
        self.heartbeat.stop()
        log.info("Scheduler stopped cleanly.")
        return 0

    def _on_loop_error(self, exc: SyncError | None) -> None:
        self._backoff = min(MAX_BACKOFF_SECONDS, max(1.0, self._backoff * 2))
        if exc is not None and exc.kind is ErrorKind.DATABASE:
            log.error("DATABASE: %s — retrying in %.0f s.", exc.message, self._backoff)
            self.heartbeat.set_activity(state="database_error")
        elif exc is not None:
            log.error("%s — retrying in %.0f s.", exc, self._backoff)
        self.stop.wait(self._backoff)
