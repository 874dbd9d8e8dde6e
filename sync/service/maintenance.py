"""The reconciliation the scheduler runs: nightly, and when the dashboard queues one."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from sync.config import Settings
from sync.engine.runner import Runner
from sync.errors import SyncError

if TYPE_CHECKING:
    from sync.storage.protocols import SyncStore

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
