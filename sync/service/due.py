"""Is a scheduled run still due? Several schedulers share a store's cycle through the
database: the one that takes an entity's lease first runs it, the others find that it
started within this cycle and skip it (asked under the lease, so two never both run it)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

from sync.runs import SUCCEEDED
from sync.storage.protocols import SyncStore

# Schedulers' clocks and cycles drift apart a little: a run this close to a full interval
# ago belongs to the previous cycle.
SLACK_FRACTION = 0.1
MAX_SLACK = timedelta(seconds=30)


def done_elsewhere(
    store: SyncStore, clock: Callable[[], datetime], minutes: int
) -> Callable[[str], str | None]:
    """The check a scheduled run of every `minutes` asks under each entity's lease."""
    interval = timedelta(minutes=minutes)
    window = interval - min(MAX_SLACK, interval * SLACK_FRACTION)

    def check(entity: str) -> str | None:
        started, status = store.last_attempt(entity)
        # Only a run that delivered counts: a failed one is retried, an interrupted one (its
        # scheduler was killed) or an orphan still marked running is recovered.
        if started is None or status not in SUCCEEDED or clock() - started >= window:
            return None
        return f"already synced this cycle (a run started at {started:%H:%M:%S} UTC)"

    return check
