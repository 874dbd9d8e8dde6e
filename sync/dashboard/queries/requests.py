"""The Sync now page's reads: the run-now queue, one request, one run's progress."""

from __future__ import annotations

from typing import Any

import pandas as pd
from sqlalchemy import Engine, select

from sync.dashboard.queries.history import LOG_COLUMNS
from sync.storage.schema import sync_log, sync_requests
from sync.storage.sql.db import database_errors

_REQUEST_COLUMNS = tuple(c.name for c in sync_requests.c if c.name != "claimed_by")


def recent_requests(engine: Engine, limit: int = 15) -> pd.DataFrame:
    """Open requests first, then the latest finished ones."""
    cols = [sync_requests.c[c] for c in _REQUEST_COLUMNS]
    open_first = sync_requests.c.status.in_(("queued", "running"))
    with database_errors(str(engine.url)), engine.connect() as conn:
        active = conn.execute(
            select(*cols).where(open_first).order_by(sync_requests.c.requested_at)
        ).all()
        done = conn.execute(
            select(*cols)
            .where(~open_first)
            .order_by(sync_requests.c.requested_at.desc())
            .limit(limit)
        ).all()
    return pd.DataFrame([dict(r._mapping) for r in (*active, *done)], columns=_REQUEST_COLUMNS)


def request_info(engine: Engine, request_id: int) -> dict[str, Any] | None:
    """One request row as a dict, or None."""
    with database_errors(str(engine.url)), engine.connect() as conn:
        row = conn.execute(
            select(*(sync_requests.c[c] for c in _REQUEST_COLUMNS)).where(
                sync_requests.c.id == request_id
            )
        ).first()
    return dict(row._mapping) if row else None


def run_progress(engine: Engine, run_id: str) -> list[dict[str, Any]]:
    """The sync_log rows of one run (updated by the runner after every page)."""
    with database_errors(str(engine.url)), engine.connect() as conn:
        rows = conn.execute(
            select(*(sync_log.c[c] for c in LOG_COLUMNS))
            .where(sync_log.c.run_id == run_id)
            .order_by(sync_log.c.id)
        ).all()
    return [dict(r._mapping) for r in rows]
