"""Reads of alert incidents, notifications and reconciliation checks (the Alerts and data
trust pages, the API's incident list). Bounded: a range or the latest run, and a limit."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Engine, func, or_, select

from sync.storage.schema import alert_incidents, alert_notifications, reconciliations
from sync.storage.sql.db import database_errors


def _dicts(engine: Engine, query: Any) -> list[dict[str, Any]]:
    with database_errors(str(engine.url)), engine.connect() as conn:
        return [dict(r._mapping) for r in conn.execute(query)]


def open_incident_count(engine: Engine, store: str) -> int:
    """How many incidents of `store` are open right now."""
    with database_errors(str(engine.url)), engine.connect() as conn:
        return int(
            conn.execute(
                select(func.count())
                .select_from(alert_incidents)
                .where(alert_incidents.c.store == store, alert_incidents.c.status == "open")
            ).scalar()
            or 0
        )


def recent_incidents(engine: Engine, store: str, limit: int) -> list[dict[str, Any]]:
    """The latest `limit` incidents of `store`, open or not, newest first."""
    c = alert_incidents.c
    query = (
        select(alert_incidents)
        .where(c.store == store)
        .order_by(c.opened_at.desc(), c.id.desc())
        .limit(limit)
    )
    return _dicts(engine, query)


def incident_rows(
    engine: Engine,
    store: str,
    columns: Sequence[str],
    start: datetime,
    end: datetime,
    statuses: Sequence[str],
    severities: Sequence[str],
    limit: int,
) -> list[dict[str, Any]]:
    """Incidents opened in [start, end), newest first, filtered by status and severity."""
    c = alert_incidents.c
    query = (
        select(*(c[name] for name in columns))
        .where(
            c.store == store,
            c.opened_at >= start,
            c.opened_at < end,
            c.status.in_(tuple(statuses)),
            c.severity.in_(tuple(severities)),
        )
        .order_by(c.opened_at.desc(), c.id.desc())
        .limit(limit)
    )
    return _dicts(engine, query)


def notification_rows(
    engine: Engine,
    store: str,
    columns: Sequence[str],
    start: datetime,
    end: datetime,
    limit: int,
) -> list[dict[str, Any]]:
    """Messages attempted in [start, end) about `store`'s incidents (and digests and tests,
    which belong to no incident), newest first."""
    c = alert_notifications.c
    mine = select(alert_incidents.c.id).where(alert_incidents.c.store == store)
    query = (
        select(*(c[name] for name in columns))
        .where(c.attempted_at >= start, c.attempted_at < end)
        .where(or_(c.incident_id.is_(None), c.incident_id.in_(mine)))
        .order_by(c.attempted_at.desc(), c.id.desc())
        .limit(limit)
    )
    return _dicts(engine, query)


def latest_checks(engine: Engine, store: str, columns: Sequence[str]) -> list[dict[str, Any]]:
    """Every check of `store`'s latest reconciliation run, in the order they were made."""
    r = reconciliations.c
    with database_errors(str(engine.url)), engine.connect() as conn:
        last = conn.execute(
            select(r.run_id)
            .where(r.store == store)
            .order_by(r.checked_at.desc(), r.id.desc())
            .limit(1)
        ).scalar()
        if last is None:
            return []
        query = (
            select(*(r[c] for c in columns))
            .where(r.store == store, r.run_id == last)
            .order_by(r.id)
        )
        return [dict(row._mapping) for row in conn.execute(query)]


def check_rows(
    engine: Engine,
    store: str,
    columns: Sequence[str],
    start: datetime,
    end: datetime,
    entities: Sequence[str],
    statuses: Sequence[str],
    limit: int,
) -> list[dict[str, Any]]:
    """Checks made in [start, end) of `entities` (and run errors, entity 'all'), newest first."""
    r = reconciliations.c
    query = (
        select(*(r[c] for c in columns))
        .where(
            r.store == store,
            r.checked_at >= start,
            r.checked_at < end,
            r.entity_type.in_((*entities, "all")),
            r.status.in_(tuple(statuses)),
        )
        .order_by(r.checked_at.desc(), r.id)
        .limit(limit)
    )
    return _dicts(engine, query)
