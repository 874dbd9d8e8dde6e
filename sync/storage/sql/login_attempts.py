"""The login throttle's rows: a slot is taken before each password check and closed after.

Counting what is inside the windows and taking the slot happen in one serialised
transaction (an advisory lock on Postgres, the write lock on SQLite), so bursts from many
browsers never get more checks than sync.auth allows. The rows live in the database: a
restart of the dashboard keeps a pause in force. The database dates each row itself and
lets the dashboard's role only close its own fresh slot (migration 0013); a success or an
unlock is a row too, after which earlier failures no longer count.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, Engine, func, insert, or_, select, update

from sync.auth import MEMORY, WINDOW, Lockout, lockout_for, slowdown, throttle_key
from sync.storage.schema import login_attempts as la
from sync.storage.sql.db import database_errors

# Any fixed number: every dashboard process of this database takes the same lock.
_THROTTLE_LOCK_KEY = 7_357_014
_COUNTED = ("checking", "failed")
_CLIENT_LENGTH = 100
# The client of an `unlock` row: not an address a browser can have.
ADMIN_CLIENT = "(admin)"


@dataclass(frozen=True)
class Slot:
    """One password check that may go ahead, after waiting `delay` seconds."""

    id: int
    username: str
    delay: float = 0.0


@dataclass(frozen=True)
class _Counts:
    pair: list[datetime]
    client: list[datetime]
    user: list[datetime]


def take_slot(engine: Engine, username: str, client: str, now: datetime) -> Slot | Lockout:
    """Claim one password check for `username` from `client`, or the lockout refusing it."""
    key, client = throttle_key(username), client[:_CLIENT_LENGTH]
    with database_errors(str(engine.url)), engine.begin() as conn:
        postgres = conn.dialect.name == "postgresql"
        slot_id: int | None = None
        if postgres:
            conn.execute(select(func.pg_advisory_xact_lock(_THROTTLE_LOCK_KEY)))
        else:  # writing first takes SQLite's write lock before anything is counted
            slot_id = _insert(conn, key, client, "checking")
        counts = _counts(conn, key, client, now, exclude=slot_id)
        lock = lockout_for(key, counts.pair, counts.client, now)
        if postgres:
            # The database's own role rules allow a new row as checking or refused only.
            slot_id = _insert(conn, key, client, "refused" if lock else "checking")
        elif lock is not None:
            conn.execute(update(la).where(la.c.id == slot_id).values(outcome="refused"))
    if lock is not None:
        return lock
    return Slot(int(slot_id or 0), key, slowdown(counts.user, now))


def close_slot(engine: Engine, slot: Slot, *, ok: bool, now: datetime) -> None:
    """Record the check's result; a success makes earlier failures from its address not count."""
    with database_errors(str(engine.url)), engine.begin() as conn:
        conn.execute(
            update(la)
            .where(la.c.id == slot.id, la.c.outcome == "checking")
            .values(outcome="succeeded" if ok else "failed")
        )


def standing(
    engine: Engine, username: str, client: str, now: datetime
) -> tuple[int, Lockout | None]:
    """(failures counted for `username` from `client`, the lockout the next attempt meets)."""
    key, client = throttle_key(username), client[:_CLIENT_LENGTH]
    with database_errors(str(engine.url)), engine.connect() as conn:
        counts = _counts(conn, key, client, now, exclude=None)
    return len(counts.pair), lockout_for(key, counts.pair, counts.client, now)


def unlock(engine: Engine, username: str, now: datetime) -> int:
    """Lift every pause of `username` (the writer's `python -m sync unlock`).

    Adds an 'unlocked' row: failures before it no longer count, from any address. Returns
    how many failures of the last MEMORY stopped counting.
    """
    key = throttle_key(username)
    with database_errors(str(engine.url)), engine.begin() as conn:
        lifted = conn.scalar(
            select(func.count())
            .select_from(la)
            .where(
                la.c.username == key,
                la.c.outcome.in_(_COUNTED),
                la.c.attempted_at > now - MEMORY,
                la.c.id > _last_unlock(key),
            )
        )
        _insert(conn, key, ADMIN_CLIENT, "unlocked")
    return int(lifted or 0)


def _insert(conn: Connection, key: str, client: str, outcome: str) -> int:
    # attempted_at is the database's own clock (a trigger on both dialects, migration 0013);
    # SQLite's column still wants a value until its trigger replaces it.
    values: dict[str, object] = {"username": key, "client": client, "outcome": outcome}
    if conn.dialect.name != "postgresql":
        values["attempted_at"] = func.current_timestamp()
    return int(conn.scalar(insert(la).values(values).returning(la.c.id)))


def _last_unlock(key: str) -> object:
    return (
        select(func.coalesce(func.max(la.c.id), 0))
        .where(la.c.username == key, la.c.outcome == "unlocked")
        .scalar_subquery()
    )


def _counts(conn: Connection, key: str, client: str, now: datetime, exclude: int | None) -> _Counts:
    since_pair = (
        select(func.coalesce(func.max(la.c.id), 0))
        .where(
            la.c.username == key,
            or_(
                la.c.outcome == "unlocked",
                (la.c.outcome == "succeeded") & (la.c.client == client),
            ),
        )
        .scalar_subquery()
    )
    pair = _times(
        conn,
        exclude,
        now - MEMORY,
        la.c.username == key,
        la.c.client == client,
        la.c.id > since_pair,
    )
    return _Counts(
        pair=pair,
        client=_times(conn, exclude, now - WINDOW, la.c.client == client),
        user=_times(conn, exclude, now - WINDOW, la.c.username == key, la.c.id > _last_unlock(key)),
    )


def _times(
    conn: Connection, exclude: int | None, since: datetime, *where: object
) -> list[datetime]:
    query = select(la.c.attempted_at).where(
        *where, la.c.outcome.in_(_COUNTED), la.c.attempted_at > since
    )
    if exclude is not None:
        query = query.where(la.c.id != exclude)
    return list(conn.scalars(query))
