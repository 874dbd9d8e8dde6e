"""The login throttle's rows: a slot is taken before each password check and closed after.

Taking the slot, counting what is inside the window and refusing happen in one
serialised transaction (an advisory lock on Postgres, the write lock on SQLite), so
bursts from many browsers never get more checks than sync.auth allows. The rows live in
the database: a restart of the dashboard keeps a pause in force.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, Engine, insert, select, text, update

from sync.auth import WINDOW, Lockout, lockout_for, throttle_key
from sync.storage.schema import login_attempts as la
from sync.storage.sql.db import database_errors

# Any fixed number: every dashboard process of this database takes the same lock.
_THROTTLE_LOCK_KEY = 7_357_014
_COUNTED = ("checking", "failed")


@dataclass(frozen=True)
class Slot:
    """One password check that may go ahead."""

    id: int
    username: str


def take_slot(engine: Engine, username: str, client: str, now: datetime) -> Slot | Lockout:
    """Claim one password check for `username` from `client`, or the lockout refusing it."""
    key = throttle_key(username)
    with database_errors(str(engine.url)), engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _THROTTLE_LOCK_KEY})
        # Writing first takes SQLite's write lock before anything is counted.
        slot_id = conn.scalar(
            insert(la)
            .values(username=key, client=client[:100], outcome="checking", attempted_at=now)
            .returning(la.c.id)
        )
        lock = lockout_for(
            key,
            _recent(conn, la.c.username == key, slot_id, now),
            _recent(conn, la.c.client == client[:100], slot_id, now),
            now,
        )
        if lock is not None:
            conn.execute(update(la).where(la.c.id == slot_id).values(outcome="refused"))
            return lock
    return Slot(int(slot_id), key)


def close_slot(engine: Engine, slot: Slot, *, ok: bool, now: datetime) -> None:
    """Record the check's result; a right password clears the user's recent failures."""
    with database_errors(str(engine.url)), engine.begin() as conn:
        conn.execute(
            update(la).where(la.c.id == slot.id).values(outcome="succeeded" if ok else "failed")
        )
        if ok:
            conn.execute(
                update(la)
                .where(la.c.username == slot.username, la.c.outcome == "failed")
                .where(la.c.attempted_at > now - WINDOW)
                .values(outcome="cleared")
            )


def standing(
    engine: Engine, username: str, client: str, now: datetime
) -> tuple[int, Lockout | None]:
    """(checks of `username` inside the window, the lockout the next attempt would meet)."""
    key = throttle_key(username)
    with database_errors(str(engine.url)), engine.connect() as conn:
        mine = _recent(conn, la.c.username == key, None, now)
        theirs = _recent(conn, la.c.client == client[:100], None, now)
    return len(mine), lockout_for(key, mine, theirs, now)


def _recent(conn: Connection, who: object, exclude: int | None, now: datetime) -> list[datetime]:
    query = select(la.c.attempted_at).where(
        who, la.c.outcome.in_(_COUNTED), la.c.attempted_at > now - WINDOW
    )
    if exclude is not None:
        query = query.where(la.c.id != exclude)
    return list(conn.scalars(query))
