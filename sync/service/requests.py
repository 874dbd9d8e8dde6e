"""Queued requests, carried out for one scheduler: claim, run, settle, announce."""

from __future__ import annotations

import logging
import threading
import uuid
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Protocol

from sync.config import Settings
from sync.engine.runner import EntityResult
from sync.errors import SyncError
from sync.runs import SUCCEEDED, Action
from sync.service.heartbeat import Heartbeat
from sync.storage.queueing import Claim, request_problem

if TYPE_CHECKING:
    from sync.storage.protocols import SyncStore

log = logging.getLogger(__name__)

CLAIM_FAILED = (
    "The scheduler failed while running this request (see its log); press Sync now again."
)


class SyncRun(Protocol):
    """The scheduler's own sync of `entities` (heartbeat, alerts and all)."""

    def __call__(
        self,
        entities: Sequence[str] | None,
        *,
        full: bool,
        trigger: str,
        by: str | None,
        run_id: str | None = None,
        lock_wait_seconds: float = 0.0,
    ) -> list[EntityResult]: ...


class RequestWorker:
    """Runs the requests one scheduler claims and settles each, whatever happens."""

    def __init__(
        self,
        settings: Settings,
        store: SyncStore,
        *,
        holder: str,
        clock: Callable[[], datetime],
        heartbeat: Heartbeat,
        stop: threading.Event,
        sync: SyncRun,
        announce: Callable[[Claim, list[EntityResult], str | None], None],
    ) -> None:
        self.settings = settings
        self.store = store
        self.holder = holder
        self.clock = clock
        self.heartbeat = heartbeat
        self.stop = stop
        self.sync = sync
        self.announce = announce
        self.unsettled: list[Claim] = []  # claims a failure left `running` (see recover)

    def settle_unsettled(self) -> None:
        """Mark failed the claims an earlier database failure left `running`."""
        self.unsettled = [c for c in self.unsettled if not self._fail_claim(c)]

    def process(
        self, *, action: str | None = None, entities: Sequence[str] | None = None
    ) -> Claim | None:
        """Run the next queued request (run-now syncs before backfills); the one it ran.

        `action` and `entities` narrow which requests may be taken.
        """
        claim = self.store.claim_request(
            self.holder, self.clock(), action=action, entities=entities
        )
        if claim is None:
            return None
        try:
            self._run_claim(claim)
        except BaseException:
            # As healthchecks does: settle the item before re-raising, or the request stays
            # `running` under this live process and every later Sync now merges into it.
            self._fail_claim(claim)
            raise
        return claim

    def _fail_claim(self, claim: Claim) -> bool:
        try:
            self.store.finish_requests(
                claim.ids, run_id=None, failed=True, error=CLAIM_FAILED, now=self.clock()
            )
        except Exception:  # the database may be the reason: recover() tries again
            log.exception("Could not mark run-now request(s) %s failed", claim.ids)
            if claim not in self.unsettled:
                self.unsettled.append(claim)
            return False
        return True

    def _run_claim(self, claim: Claim) -> None:
        # The database refuses such rows too; this also covers SQLite and older rows.
        problem = request_problem(
            claim.entity, claim.action, claim.date_from, claim.date_to, self.clock().date()
        )
        if problem:
            log.warning("Run-now request %s refused: %s", ",".join(map(str, claim.ids)), problem)
            self.store.finish_requests(
                claim.ids, run_id=None, failed=True, error=problem, now=self.clock()
            )
            return
        run_id = str(uuid.uuid4())
        log.info(
            "Run-now request %s for %s by %s",
            ",".join(map(str, claim.ids)),
            claim.entity,
            claim.requested_by or "unknown",
        )
        self.store.set_request_run(claim.ids, run_id)
        if claim.action == Action.BACKFILL and claim.date_from and claim.date_to:
            results = self._backfill(claim, run_id)
        else:
            results = self.sync(
                claim.entities,
                full=False,
                trigger="manual",
                by=claim.requested_by,
                run_id=run_id,
                lock_wait_seconds=self.settings.lock_ttl_seconds,
            )
        failed = [r for r in results if r.status not in SUCCEEDED]
        error = None
        if not results:
            error = "The run could not start; see the scheduler log."
        elif failed:
            error = "; ".join(
                f"{r.entity}: {r.error.kind.value if r.error else r.status}" for r in failed
            )
        self.store.finish_requests(
            claim.ids,
            run_id=run_id,
            failed=bool(error),
            error=error,
            now=self.clock(),
        )
        if claim.action == Action.BACKFILL and claim.date_from and claim.date_to:
            self.announce(claim, results, error)

    def _backfill(self, claim: Claim, run_id: str) -> list[EntityResult]:
        from sync.engine.backfill import backfill

        assert claim.date_from is not None and claim.date_to is not None
        self.heartbeat.set_activity(state="syncing", run_id=run_id, trigger="manual")
        try:
            return [
                backfill(
                    self.settings,
                    self.store,
                    claim.entity,
                    claim.date_from,
                    claim.date_to,
                    trigger="manual",
                    triggered_by=claim.requested_by,
                    run_id=run_id,
                    stop=self.stop,
                    on_page=self.heartbeat.on_page,
                )
            ]
        except SyncError as exc:
            log.error("Backfill request failed: %s", exc)
            return []
        finally:
            self.heartbeat.set_activity(state="idle", entity=None, run_id=None, trigger=None)
