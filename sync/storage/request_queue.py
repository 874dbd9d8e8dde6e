"""The run-now queue both stores share: merges, claims and orphans decided once.

The queue itself is the `sync_requests` table. `RequestQueue` decides everything;
sync.storage.sql.queue.SqlQueue and sync.storage.rest.queue.RestQueue only read and write
the rows.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sync.runs import Action, RequestStatus
from sync.storage.queueing import (
    ALL,
    MAX_REQUESTED_BY,
    ORPHAN_REQUEST_ERROR,
    Claim,
    Enqueued,
    holder_alive,
    open_backfill_refusal,
    validate_request,
)

# The open requests a store reads at once, oldest first. The per-requester cap keeps the
# queue far below this; past it, a new request may not merge (it is satisfied at claim).
OPEN_READ_LIMIT = 1000


@dataclass(frozen=True)
class OpenRequest:
    """A queued or running row of `sync_requests`, as both stores read it."""

    id: int
    entity: str
    status: str
    action: str
    date_from: date | None
    date_to: date | None
    requested_at: datetime
    requested_by: str | None = None
    reason: str | None = None
    claimed_by: str | None = None

    def claim(self, ids: Sequence[int]) -> Claim:
        """The claim of this request together with `ids` (this one first)."""
        return Claim(
            ids=tuple(ids),
            entity=self.entity,
            requested_by=self.requested_by,
            reason=self.reason,
            action=self.action,
            date_from=self.date_from,
            date_to=self.date_to,
        )


def _oldest(requests: Iterable[OpenRequest]) -> OpenRequest | None:
    return min(requests, key=lambda r: (r.requested_at, r.id), default=None)


def merge_target(
    open_requests: Iterable[OpenRequest],
    entity: str,
    action: str,
    date_from: date | None,
    date_to: date | None,
) -> OpenRequest | None:
    """The open request a new one merges into (the oldest), or None.

    The same entity, action and range, queued or running; for a sync of one entity, also a
    queued sync of 'all' (it covers every entity). Never a backfill into anything else.
    """

    def same(r: OpenRequest) -> bool:
        return (r.entity, r.action, r.date_from, r.date_to) == (entity, action, date_from, date_to)

    def covering(r: OpenRequest) -> bool:
        return action == Action.INCREMENTAL and (r.entity, r.action, r.status) == (
            ALL,
            Action.INCREMENTAL,
            RequestStatus.QUEUED,
        )

    return _oldest(r for r in open_requests if same(r) or covering(r))


def backfill_open(open_requests: Iterable[OpenRequest], entity: str) -> bool:
    """Whether a backfill of `entity` is already queued or running (one at a time)."""
    return any(r.action == Action.BACKFILL and r.entity == entity for r in open_requests)


def next_claim(
    open_requests: Sequence[OpenRequest],
    *,
    action: str | None = None,
    entities: Collection[str] | None = None,
) -> OpenRequest | None:
    """The request a scheduler takes next, or None.

    Run-now syncs come before backfills, then the oldest first. One backfill runs at a
    time: the next waits until the running one ends. `action` and `entities` narrow what
    may be taken (a request for 'all' concerns every entity).
    """
    backfill_running = any(
        r.action == Action.BACKFILL and r.status == RequestStatus.RUNNING for r in open_requests
    )
    wanted = None if entities is None else {*entities, ALL}
    candidates = [
        r
        for r in open_requests
        if r.status == RequestStatus.QUEUED
        and (action is None or r.action == action)
        and (wanted is None or r.entity in wanted)
        and not (r.action == Action.BACKFILL and backfill_running)
    ]
    return min(
        candidates,
        key=lambda r: (r.action == Action.BACKFILL, r.requested_at, r.id),
        default=None,
    )


def satisfied_by(first: OpenRequest, open_requests: Iterable[OpenRequest]) -> list[OpenRequest]:
    """The other queued requests that the run of `first` carries out too.

    The same action; a backfill the same entity and range; a sync of one entity that
    entity (a sync of 'all' satisfies every queued sync).
    """

    def satisfied(r: OpenRequest) -> bool:
        if r.id == first.id or r.status != RequestStatus.QUEUED or r.action != first.action:
            return False
        if first.action != Action.INCREMENTAL:
            return (r.entity, r.date_from, r.date_to) == (
                first.entity,
                first.date_from,
                first.date_to,
            )
        return first.entity == ALL or r.entity == first.entity

    return sorted((r for r in open_requests if satisfied(r)), key=lambda r: r.id)


def orphaned(open_requests: Iterable[OpenRequest], fresh_instances: set[str]) -> list[int]:
    """Running requests whose scheduler is gone (see `holder_alive`)."""
    return [
        r.id
        for r in open_requests
        if r.status == RequestStatus.RUNNING and not holder_alive(r.claimed_by, fresh_instances)
    ]


class RequestQueue(ABC):
    """The run-now queue's protocol (sync.storage.protocols.RunQueue) over these rules.

    Each store supplies only the I/O: reading the open requests, inserting one, taking one
    if still queued and failing orphans here; attaching runs and closing requests
    (`set_request_run`, `finish_requests`) in its own class.
    """

    @abstractmethod
    def _open_requests(self) -> list[OpenRequest]:
        """The queued and running requests, oldest first (at most OPEN_READ_LIMIT)."""

    @abstractmethod
    def _insert_request(self, values: dict[str, Any], now: datetime) -> int:
        """Insert a queued request; its id. Raises the rule's refusal sentences."""

    @abstractmethod
    def _take(self, request_id: int, holder: str, now: datetime) -> bool:
        """Mark a request running for `holder` only if still queued; whether it was."""

    @abstractmethod
    def _fresh_instances(self, since: datetime) -> set[str]:
        """Schedulers with a heartbeat since `since`."""

    @abstractmethod
    def _fail_running(self, ids: Sequence[int], now: datetime, error: str) -> None:
        """Mark these requests failed, if still running."""

    def request_sync(
        self,
        entity: str,
        *,
        requested_by: str | None,
        reason: str | None,
        now: datetime,
        action: str = Action.INCREMENTAL,
        date_from: date | None = None,
        date_to: date | None = None,
    ) -> Enqueued:
        """Queue a sync of `entity` (or 'all'), merged into an equivalent open one.

        `action="backfill"` with a date range queues a backfill instead (merged only with
        the same entity and range).
        """
        reason = validate_request(entity, action, date_from, date_to, reason, now.date())
        open_requests = self._open_requests()
        target = merge_target(open_requests, entity, action, date_from, date_to)
        if target is not None:
            return Enqueued(id=target.id, merged=True, status=target.status)
        if action == Action.BACKFILL and backfill_open(open_requests, entity):
            raise open_backfill_refusal(entity)
        values = {
            "entity_type": entity,
            "requested_by": requested_by[:MAX_REQUESTED_BY] if requested_by else None,
            "reason": reason,
            "action": action,
            "date_from": date_from,
            "date_to": date_to,
        }
        new_id = self._insert_request(values, now)
        return Enqueued(id=new_id, merged=False, status=RequestStatus.QUEUED)

    def claim_request(
        self,
        holder: str,
        now: datetime,
        *,
        action: str | None = None,
        entities: Collection[str] | None = None,
    ) -> Claim | None:
        """Take the next queued request (and the queued ones it satisfies) for `holder`.

        The conditional update ("only if still queued") makes a request go to exactly one
        scheduler even when several poll the same database.
        """
        for _ in range(5):
            open_requests = self._open_requests()
            first = next_claim(open_requests, action=action, entities=entities)
            if first is None:
                return None
            if not self._take(first.id, holder, now):
                continue  # another scheduler won this one; look again
            ids = [first.id]
            ids += [
                r.id for r in satisfied_by(first, open_requests) if self._take(r.id, holder, now)
            ]
            return first.claim(ids)
        return None

    def fail_orphan_requests(self, now: datetime, stale_after: timedelta) -> int:
        """Requests left running by a scheduler that is gone are marked failed; how many."""
        running = [r for r in self._open_requests() if r.status == RequestStatus.RUNNING]
        if not running:
            return 0
        orphans = orphaned(running, self._fresh_instances(now - stale_after))
        if orphans:
            self._fail_running(orphans, now, ORPHAN_REQUEST_ERROR)
        return len(orphans)
