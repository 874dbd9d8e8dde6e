"""Where a page goes in the run log: the cursor it advances to, its run, trackers and time."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime

from sync.storage.runlog import Progress


@dataclass(frozen=True)
class PagePosition:
    """One page's place in its run, the same for every write of that page.

    `store`: the store (domain prefix) the page belongs to. `cursor`: the version the
    page advances the entity to (None: leave the cursor alone, as a backfill and the
    pieces of a bisected page do). `trackers`: the run's
    progress rows (in `spec.state_names` order), counted once the page commits.
    """

    cursor: int | None
    run_id: str
    trackers: Sequence[Progress]
    now: datetime
    store: str = field(kw_only=True)

    def without_cursor(self) -> PagePosition:
        """The same position, leaving the cursor where it is."""
        return replace(self, cursor=None)
