"""Retention: delete bookkeeping rows older than RETENTION_MONTHS, in short batches.

Only the product's own history tables are pruned; `lightspeed_*` data is never touched.
"""

from __future__ import annotations

import calendar
import logging
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Engine, Table, delete, select

from sync.storage.schema import metadata
from sync.storage.sql.db import database_errors

log = logging.getLogger(__name__)

# table -> the column that dates a row. Tables added by later migrations (alerts,
# reconciliations) are pruned when they exist in the schema.
PRUNED_TABLES: dict[str, str] = {
    "sync_log": "started_at",
    "sync_requests": "requested_at",
    "sync_rejects": "rejected_at",
    "alert_notifications": "attempted_at",
    "reconciliations": "checked_at",
    "login_attempts": "attempted_at",
}
BATCH_ROWS = 5000


def months_before(moment: datetime, months: int) -> datetime:
    """The same day and time `months` calendar months earlier (clamped to month end)."""
    index = moment.year * 12 + (moment.month - 1) - months
    year, month = divmod(index, 12)
    day = min(moment.day, calendar.monthrange(year, month + 1)[1])
    return moment.replace(year=year, month=month + 1, day=day)


@dataclass(frozen=True)
class PruneResult:
    """What a prune removed: rows older than `horizon`, by table."""

    horizon: datetime
    removed: dict[str, int]

    @property
    def total(self) -> int:
        """Rows removed from all tables."""
        return sum(self.removed.values())


def _prune_table(engine: Engine, table: Table, column: str, horizon: datetime, batch: int) -> int:
    stamp = table.c[column]
    key = next(iter(table.primary_key.columns))
    removed = 0
    while True:
        # One short transaction per batch: writers are never blocked for long.
        with engine.begin() as conn:
            ids = select(key).where(stamp < horizon).order_by(key).limit(batch)
            count = conn.execute(delete(table).where(key.in_(ids.scalar_subquery()))).rowcount
        removed += count
        if count < batch:
            return removed


def prune(engine: Engine, now: datetime, months: int, batch: int = BATCH_ROWS) -> PruneResult:
    """Delete rows older than `months` months from the history tables; returns counts."""
    horizon = months_before(now, months)
    removed: dict[str, int] = {}
    with database_errors(str(engine.url)):
        for name, column in PRUNED_TABLES.items():
            table = metadata.tables.get(name)
            if table is None or column not in table.c:
                continue
            removed[name] = _prune_table(engine, table, column, horizon, batch)
    result = PruneResult(horizon=horizon, removed=removed)
    log.info(
        "Retention: removed %d row(s) older than %s (%s).",
        result.total,
        f"{horizon:%Y-%m-%d}",
        ", ".join(f"{k} {v}" for k, v in removed.items()),
    )
    return result
