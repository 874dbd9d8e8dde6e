"""The rules of the run-now queue both stores share: what may be asked, claims, orphans.

The queue itself is the `sync_requests` table; sync.storage.sql.queue and
sync.storage.rest.queue enqueue, claim and finish requests with these rules.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sync.entities import ENTITY_BY_NAME
from sync.errors import ErrorKind, SyncError
from sync.storage.leasing import HOST, pid_alive

ALL = "all"
REQUESTABLE = (ALL, *ENTITY_BY_NAME)

ORPHAN_REQUEST_ERROR = (
    "The scheduler running this request stopped before it finished; press Sync now again."
)


@dataclass(frozen=True)
class Enqueued:
    """The request that will carry out a run-now: a new one, or the one it merged into."""

    id: int
    merged: bool
    status: str


@dataclass(frozen=True)
class Claim:
    """Requests one scheduler took together: `ids[0]` is the oldest, all want `entity`."""

    ids: tuple[int, ...]
    entity: str
    requested_by: str | None
    reason: str | None
    action: str = "incremental"
    date_from: date | None = None
    date_to: date | None = None

    @property
    def entities(self) -> list[str] | None:
        """Entities to sync (None = all)."""
        return None if self.entity == ALL else [self.entity]


def validate_request(
    entity: str, action: str, date_from: date | None, date_to: date | None, reason: str | None
) -> str | None:
    """Refuse an impossible request with one sentence; returns the tidied reason."""
    if entity not in REQUESTABLE:
        raise SyncError(
            ErrorKind.CONFIG,
            f"Unknown entity {entity!r}: use one of {', '.join(REQUESTABLE)}.",
        )
    if action not in ("incremental", "backfill") or (action == "backfill") != bool(
        date_from and date_to
    ):
        raise SyncError(ErrorKind.CONFIG, "A backfill request needs a date range; a sync none.")
    if action == "backfill" and entity == ALL:
        raise SyncError(ErrorKind.CONFIG, "Backfill one entity at a time.")
    return (reason or "").strip()[:500] or None


def holder_alive(holder: str | None, fresh_instances: set[str]) -> bool:
    """Whether the scheduler that claimed a request still runs.

    On this host its pid tells; elsewhere a fresh heartbeat from `holder` does.
    """
    if not holder:
        return False
    host, _, rest = holder.partition(":")
    pid_text = rest.partition(":")[0]
    if host == HOST and pid_text.isdigit():
        return pid_alive(int(pid_text))
    return holder in fresh_instances
