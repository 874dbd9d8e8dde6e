"""Status over REST: the scheduler's heartbeat row (the reads are sync.storage.rest.reads)."""

from __future__ import annotations

from typing import Any

from postgrest.types import ReturnMethod

from sync.storage.rest.db import RestBase


def write_heartbeat(rest: RestBase, instance_id: str, values: dict[str, Any]) -> None:
    """Insert or refresh the scheduler_heartbeat row of `instance_id`."""
    rest.execute(
        rest.table("scheduler_heartbeat").upsert(
            {"instance_id": instance_id, **values},
            on_conflict="instance_id",
            returning=ReturnMethod.minimal,
        )
    )
