"""What may be asked of the run-now queue, and the sentences of its refusals.

sync.storage.request_queue decides merges, claims and orphans with these rules.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from sync.entities import ENTITY_BY_NAME
from sync.errors import ErrorKind, SyncError
from sync.runs import Action
from sync.storage.leasing import HOST, pid_alive

ALL = "all"
REQUESTABLE = (ALL, *ENTITY_BY_NAME)
# What may be queued (a full pass is the scheduler's own, nightly).
ACTIONS = (Action.INCREMENTAL, Action.BACKFILL)
# The longest backfill anyone may queue (the CLI's own `backfill` has no limit). The same
# limits are enforced by the database (migration 0007) and at claim time.
MAX_BACKFILL_DAYS = 90

# The database caps new requests per requester (migration 0013); its refusal starts so.
MAX_REQUESTS_PER_HOUR = 30
RATE_CAP_MARK = "Too many run-now requests"
MAX_REQUESTED_BY = 100
MAX_REASON = 500

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
    action: str = Action.INCREMENTAL
    date_from: date | None = None
    date_to: date | None = None

    @property
    def entities(self) -> list[str] | None:
        """Entities to sync (None = all)."""
        return None if self.entity == ALL else [self.entity]


# No store has sales before this day; earlier dates are typing mistakes (year 0200 ...).
EARLIEST_DAY = date(2000, 1, 1)


def dates_problem(date_from: date, date_to: date, today: date) -> str | None:
    """One sentence when a day of the range is before 2000 or after tomorrow, else None.

    `today` is the store's date; tomorrow is allowed (a clock a little ahead, another zone).
    """
    for day in (date_from, date_to):
        if day < EARLIEST_DAY:
            earliest = EARLIEST_DAY.isoformat()
            return f"The date {day.isoformat()} is before {earliest}: check the year."
        if day > today + timedelta(days=1):
            return f"The date {day.isoformat()} is in the future: use dates up to today."
    return None


def request_problem(
    entity: str, action: str, date_from: date | None, date_to: date | None, today: date
) -> str | None:
    """One sentence when a request asks for something not allowed, else None.

    `today` is the UTC date; a range may end one day later (it is already tomorrow east
    of UTC).
    """
    if entity not in REQUESTABLE:
        return f"Unknown entity {entity!r}: use one of {', '.join(REQUESTABLE)}."
    if action not in ACTIONS:
        return f"Unknown action {action!r}: use {' or '.join(ACTIONS)}."
    if action == Action.INCREMENTAL:
        return "Only a backfill has a date range." if date_from or date_to else None
    if entity == ALL:
        return "Backfill one entity at a time."
    if not date_from or not date_to or date_to < date_from:
        return "A backfill needs a date range (from on or before to)."
    days = (date_to - date_from).days + 1
    if days > MAX_BACKFILL_DAYS:
        return f"A queued backfill covers at most {MAX_BACKFILL_DAYS} days; this one covers {days}."
    if date_to > today + timedelta(days=1):
        return f"A backfill cannot reach into the future (it ends {date_to})."
    return dates_problem(date_from, date_to, today)


def validate_request(
    entity: str,
    action: str,
    date_from: date | None,
    date_to: date | None,
    reason: str | None,
    today: date,
) -> str | None:
    """Refuse a request that is not allowed with one sentence; returns the tidied reason."""
    problem = request_problem(entity, action, date_from, date_to, today)
    if problem:
        raise SyncError(ErrorKind.CONFIG, problem)
    return (reason or "").strip()[:MAX_REASON] or None


def rate_cap_refusal() -> SyncError:
    """The sentence for a request past the database's cap per requester (migration 0013)."""
    return SyncError(
        ErrorKind.RATE_LIMIT,
        f"{RATE_CAP_MARK} by one requester ({MAX_REQUESTS_PER_HOUR} an hour at most): wait a "
        "while, then ask again.",
    )


def open_backfill_refusal(entity: str) -> SyncError:
    """The sentence for a second open backfill of one entity."""
    return SyncError(
        ErrorKind.CONFIG,
        f"A backfill of {entity} is already queued or running: wait until it ends, then "
        "queue the next range.",
    )


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
