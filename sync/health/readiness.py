"""Data ready (the seeds' dashboard blocking): may reports use the sales figures now?

Not ready when sales or their line items are empty, critically stale (over 4x their SLA)
or failing on AUTH, or when the latest reconciliation of yesterday's sales is a mismatch.
Every reason names its entity, since when it holds, and the next step.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sync.errors import ErrorKind, SyncError
from sync.health.ages import format_age
from sync.health.facts import READY_ENTITIES, EntityReading, ReconciliationReading
from sync.health.freshness import TIER_FACTORS, Freshness, freshness_severity
from sync.runs import RunStatus

RUN_NOW = "`python -m sync run --entity sales` syncs now"
EMPTY_STEP = f"Run the first sync ({RUN_NOW}) or start the scheduler (`python -m sync scheduler`)."
STALE_STEP = (
    f"Check that the scheduler runs (`python -m sync status`) and read logs/sync.log; {RUN_NOW}."
)
MISMATCH_STEP = "Run `python -m sync reconcile --repair`, then reconcile again."


@dataclass(frozen=True)
class BlockReason:
    """Why the data is not ready: which entity, since when, what to do."""

    entity: str
    reason: str
    since: datetime | None
    next_step: str

    def as_json(self) -> dict[str, Any]:
        """{entity, reason, since (ISO or null), next_step}."""
        return {
            "entity": self.entity,
            "reason": self.reason,
            "since": self.since.isoformat() if self.since else None,
            "next_step": self.next_step,
        }


@dataclass(frozen=True)
class Readiness:
    ready: bool
    reasons: tuple[BlockReason, ...]


def _auth_step() -> str:
    return SyncError(ErrorKind.AUTH, "x").recovery


def entity_reasons(reading: EntityReading, now: datetime, sla: timedelta) -> list[BlockReason]:
    """The reasons one entity blocks the data (none when it is usable)."""
    name = reading.entity
    found = []
    if reading.records_total <= 0:
        found.append(
            BlockReason(name, f"the copy holds no {name} yet", reading.last_run_at, EMPTY_STEP)
        )
    if reading.status == RunStatus.FAILED and reading.error_type == ErrorKind.AUTH:
        found.append(
            BlockReason(
                name,
                f"the sync of {name} fails: Lightspeed refuses the credentials (AUTH)",
                reading.failing_since or reading.last_run_at,
                _auth_step(),
            )
        )
    if reading.records_total > 0 and (
        freshness_severity(reading.last_success, now, sla) is Freshness.CRITICAL
    ):
        limit = sla * TIER_FACTORS[Freshness.CRITICAL]
        if reading.last_success is None:
            why, since = f"{name} were never synced successfully", None
        else:
            age = format_age(now - reading.last_success)
            why = f"{name} are critically stale: last success {age} ago (over {format_age(limit)})"
            since = reading.last_success + limit
        found.append(BlockReason(name, why, since, STALE_STEP))
    return found


def reconciliation_reason(check: ReconciliationReading | None) -> BlockReason | None:
    """A reason when the latest reconciliation of yesterday's sales found a mismatch."""
    if check is None or check.status != "mismatch":
        return None
    shown = "; ".join(check.mismatches[:3]) or "the totals differ"
    step = f"Repair with: {check.repair}; then reconcile again." if check.repair else MISMATCH_STEP
    return BlockReason(
        "sales",
        f"yesterday's sales do not match Lightspeed: {shown}",
        check.checked_at,
        step,
    )


def data_ready(
    readings: dict[str, EntityReading],
    sales_check: ReconciliationReading | None,
    now: datetime,
    sla_for: Callable[[str], timedelta],
) -> Readiness:
    """Whether the sales figures may be used, with every reason they may not."""
    reasons: list[BlockReason] = []
    for name in READY_ENTITIES:
        reading = readings.get(name) or EntityReading(name)
        reasons += entity_reasons(reading, now, sla_for(name))
    if (mismatch := reconciliation_reason(sales_check)) is not None:
        reasons.append(mismatch)
    return Readiness(ready=not reasons, reasons=tuple(reasons))
