"""The scheduler's maintenance: the reconciliation (nightly, and when the dashboard queues
one) and the nightly pruning of old history."""

from __future__ import annotations

import logging
import threading
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from sync.config import Settings
from sync.engine.runner import Runner
from sync.errors import SyncError

if TYPE_CHECKING:
    from sync.storage.protocols import SyncStore
    from sync.storage.sql.db import Engine

log = logging.getLogger(__name__)


def reconcile_yesterday(settings: Settings, store: SyncStore, runner: Runner) -> str | None:
    """Reconcile the store's yesterday against Lightspeed and log the outcome; never raises.

    Returns one sentence when it could not finish (a mismatch is a finished check: the
    Data trust panel and the alerts show it).
    """
    from sync.engine.reconcile import Reconciler

    try:
        report = Reconciler(settings, store, runner=runner).run()
    except SyncError as exc:
        log.error("Reconciliation failed: %s", exc)
        return f"The reconciliation could not finish: {exc.message}"
    except Exception:  # never let maintenance end the service
        log.exception("Reconciliation failed unexpectedly")
        return "The reconciliation failed unexpectedly; see the scheduler log."
    if report.mismatches:
        log.error(
            "Reconciliation of %s: %d mismatch(es); repair with: %s",
            report.day,
            len(report.mismatches),
            " ; ".join(report.repairs()),
        )
    else:
        log.info("Reconciliation of %s: the copy matches Lightspeed.", report.day)
    return None


class NightlyPrune:
    """Prunes old history at most once per `every`, for every store of one process.

    The history tables hold every store's rows, and each store's loop runs its nightly job
    on its own clock: one pass a night serves them all.
    """

    def __init__(self, every: timedelta = timedelta(hours=12)) -> None:
        self.every = every
        self._lock = threading.Lock()
        self._last: datetime | None = None

    def due(self, now: datetime) -> bool:
        """True, and the pass is taken, if no pass began within `every` of `now`."""
        with self._lock:
            if self._last is not None and now - self._last < self.every:
                return False
            self._last = now
            return True

    def run(self, engine: Engine, now: datetime, months: int) -> None:
        """Prune rows older than `months` if due; logs, never raises."""
        from sync.storage.sql.retention import prune

        if not self.due(now):
            log.info("Nightly pruning: already done tonight by another store's loop.")
            return
        try:
            prune(engine, now, months)
        except SyncError as exc:
            log.error("Nightly pruning failed: %s", exc)
        except Exception:  # never let maintenance end the service
            log.exception("Nightly pruning failed unexpectedly")
