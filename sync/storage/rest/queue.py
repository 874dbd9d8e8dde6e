"""The run-now queue in `sync_requests` over REST: only reads and writes of its rows.

What is merged, claimed or orphaned is decided by sync.storage.request_queue. Where the
SQL store relies on a transaction, these rely on conditional updates ("only if still
queued"), which PostgREST runs atomically.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from postgrest.types import ReturnMethod

from sync.errors import SyncError
from sync.runs import OPEN_REQUESTS, RequestStatus
from sync.storage.queueing import RATE_CAP_MARK, rate_cap_refusal
from sync.storage.request_queue import OPEN_READ_LIMIT, OpenRequest, RequestQueue
from sync.storage.rest.db import RestBase, parse_time

_OPEN_COLUMNS = (
    "id,entity_type,status,action,date_from,date_to,requested_at,requested_by,reason,claimed_by"
)


def _date(value: Any) -> date | None:
    return date.fromisoformat(value) if isinstance(value, str) else value


def _time(value: Any) -> datetime:
    stamp = parse_time(value)
    if stamp is None:  # NOT NULL in the schema
        raise ValueError("sync_requests.requested_at is empty")
    return stamp


def _open_request(row: dict[str, Any]) -> OpenRequest:
    return OpenRequest(
        id=int(row["id"]),
        entity=row["entity_type"],
        status=row["status"],
        action=row["action"],
        date_from=_date(row["date_from"]),
        date_to=_date(row["date_to"]),
        requested_at=_time(row["requested_at"]),
        requested_by=row["requested_by"],
        reason=row["reason"],
        claimed_by=row["claimed_by"],
    )


class RestQueue(RestBase, RequestQueue):
    """The run-now queue of one store in a Supabase project (the REST store is one)."""

    def _open_requests(self) -> list[OpenRequest]:
        query = (
            self.table("sync_requests")
            .select(_OPEN_COLUMNS)
            .eq("store", self.prefix)
            .in_("status", list(OPEN_REQUESTS))
            .order("requested_at")
            .order("id")
            .limit(OPEN_READ_LIMIT)
        )
        return [_open_request(row) for row in self.execute(query).data]

    def _insert_request(self, values: dict[str, Any], now: datetime) -> int:
        row = {
            **values,
            "store": self.prefix,
            "requested_at": now.isoformat(),
            "status": RequestStatus.QUEUED,
            "date_from": values["date_from"].isoformat() if values["date_from"] else None,
            "date_to": values["date_to"].isoformat() if values["date_to"] else None,
        }
        try:
            inserted = self.execute(self.table("sync_requests").insert(row)).data
        except SyncError as exc:
            if RATE_CAP_MARK in exc.message:  # the database's cap per requester (migration 0013)
                raise rate_cap_refusal() from None
            raise
        return int(inserted[0]["id"])

    def _take(self, request_id: int, holder: str, now: datetime) -> bool:
        taken = self.execute(
            self.table("sync_requests")
            .update(
                {
                    "status": RequestStatus.RUNNING,
                    "started_at": now.isoformat(),
                    "claimed_by": holder,
                }
            )
            .eq("id", request_id)
            .eq("status", RequestStatus.QUEUED)
        ).data
        return len(taken) == 1

    def _fresh_instances(self, since: datetime) -> set[str]:
        query = (
            self.table("scheduler_heartbeat")
            .select("instance_id")
            .gte("last_beat_at", since.isoformat())
        )
        return {row["instance_id"] for row in self.execute(query).data}

    def _fail_running(self, ids: Sequence[int], now: datetime, error: str) -> None:
        values = {"status": RequestStatus.FAILED, "finished_at": now.isoformat(), "error": error}
        self.execute(
            self.table("sync_requests")
            .update(values, returning=ReturnMethod.minimal)
            .in_("id", list(ids))
            .eq("status", RequestStatus.RUNNING)
        )

    def set_request_run(self, ids: Sequence[int], run_id: str) -> None:
        """Attach the run to its requests as soon as it starts (the dashboard follows it)."""
        self.execute(
            self.table("sync_requests")
            .update({"run_id": run_id}, returning=ReturnMethod.minimal)
            .in_("id", list(ids))
        )

    def finish_requests(
        self,
        ids: Sequence[int],
        *,
        run_id: str | None,
        failed: bool,
        error: str | None,
        now: datetime,
    ) -> None:
        """Close claimed requests as done or failed."""
        values = {
            "status": RequestStatus.FAILED if failed else RequestStatus.DONE,
            "finished_at": now.isoformat(),
            "run_id": run_id,
            "error": error,
        }
        self.execute(
            self.table("sync_requests")
            .update(values, returning=ReturnMethod.minimal)
            .in_("id", list(ids))
        )
