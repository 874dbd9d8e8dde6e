"""What a scheduled sync left to another process, asked again a few seconds later.

Several schedulers share a store's cycle through the leases. When an entity of a store is
leased by another process and every entity before it was synced elsewhere this cycle (or is
leased too), that process has begun the store's cycle: this one leaves the store to it (its
slot of SYNC_MAX_PARALLEL_STORES goes to a store nobody syncs) and asks again shortly. By
then the entities were synced (the due check skips them), or the other process died and its
dead leases are taken over: within seconds, not at the next interval.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from sync.engine.runner import EntityResult

RETRY_SECONDS = 5.0


@dataclass
class BusyRetry:
    """The entities of one scheduled job still to ask for, and when."""

    entities: list[str] = field(default_factory=list)
    by: str = ""
    every: int | None = None
    due: float = 0.0

    def note(
        self,
        asked: Sequence[str],
        results: Sequence[EntityResult],
        *,
        by: str,
        every: int,
        now: float,
    ) -> None:
        """After a scheduled sync of `asked`: keep those leased elsewhere, and those left
        unattempted when the store was yielded; nothing when no lease was busy."""
        busy = {r.entity for r in results if r.busy}
        attempted = {r.entity for r in results}
        self.entities = [e for e in asked if e in busy or e not in attempted] if busy else []
        self.by, self.every, self.due = by, every, now + RETRY_SECONDS

    def take(self, now: float) -> BusyRetry | None:
        """The retry once it is due (then forgotten: the sync notes what is left again)."""
        if not self.entities or now < self.due:
            return None
        due = BusyRetry(self.entities, self.by, self.every, self.due)
        self.entities = []
        return due

    def run_due(self, now: float, sync: Callable[..., None]) -> bool:
        """Ask again through `sync` (the scheduled sync) once due; True when it did."""
        due = self.take(now)
        if due is None:
            return False
        sync(due.entities, full=False, by=due.by, every=due.every)
        return True

    def seconds_left(self, now: float) -> float | None:
        """Seconds until the retry is due; None when there is none."""
        return max(0.0, self.due - now) if self.entities else None
