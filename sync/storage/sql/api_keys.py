"""Health API keys in `api_keys`: create, list, revoke, and check a presented key.

A key is shown once, when created; only its SHA-256 hash and a short prefix are kept. A key
may be limited to some stores (api_key_stores); one without a list sees every store.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Connection, Engine, insert, select, update
from sqlalchemy.exc import IntegrityError

from sync.errors import ErrorKind, SyncError
from sync.storage.schema import api_key_stores, api_keys, lightspeed_stores
from sync.storage.sql.db import database_errors

KEY_MARK = "lss_"
PREFIX_LENGTH = len(KEY_MARK) + 8
SCOPES = ("read", "admin")
NAME_MAX = 64
# last_used_at is written at most this often per key: a busy scraper should not turn every
# read into a write.
STAMP_EVERY = timedelta(minutes=1)


@dataclass(frozen=True)
class ApiKey:
    """One api_keys row, without its hash."""

    id: int
    name: str
    prefix: str
    scope: str
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None
    # The stores the key may see; None: every store (sync.storage.stores.may_see decides).
    stores: frozenset[str] | None = None

    @property
    def admin(self) -> bool:
        """Whether the key may change things (POST)."""
        return self.scope == "admin"


def key_hash(key: str) -> str:
    """The stored form of a key.

    A plain SHA-256 is enough here (no salt, no slow KDF): keys are 256 random bits from
    `secrets`, not passwords, so there is no dictionary to try and brute force is hopeless.
    """
    return hashlib.sha256(key.encode()).hexdigest()


def new_key() -> str:
    """A fresh random key: 'lss_' + 43 URL-safe characters (256 bits)."""
    return KEY_MARK + secrets.token_urlsafe(32)


def _columns() -> tuple:
    c = api_keys.c
    return (c.id, c.name, c.prefix, c.scope, c.created_at, c.last_used_at, c.revoked_at)


def create_key(
    engine: Engine, name: str, *, admin: bool, now: datetime, stores: Sequence[str] = ()
) -> tuple[ApiKey, str]:
    """Store a new key named `name`, limited to `stores` when given (else it sees every
    store); returns the row and the key itself (shown once)."""
    name = name.strip()
    if not name or len(name) > NAME_MAX or not name.isprintable():
        raise SyncError(
            ErrorKind.CONFIG,
            f"A key name is 1 to {NAME_MAX} printable characters.",
            recovery="Name it after who uses it, e.g. grafana.",
        )
    key = new_key()
    values = {
        "name": name,
        "prefix": key[:PREFIX_LENGTH],
        "key_hash": key_hash(key),
        "scope": "admin" if admin else "read",
        "created_at": now,
    }
    with database_errors(str(engine.url)):
        try:
            with engine.begin() as conn:
                limit = _known_stores(conn, stores)
                row = conn.execute(insert(api_keys).values(values).returning(*_columns())).one()
                if limit:
                    conn.execute(
                        insert(api_key_stores),
                        [{"key_id": row.id, "store": s} for s in sorted(limit)],
                    )
        except IntegrityError:
            raise SyncError(
                ErrorKind.CONFIG,
                f"A key named {name!r} already exists (names stay taken after a revoke).",
                recovery="Pick another name; `python -m sync api-key list` shows the taken ones.",
            ) from None
    return ApiKey(**row._mapping, stores=limit), key


def _known_stores(conn: Connection, stores: Sequence[str]) -> frozenset[str] | None:
    """`stores` as a key's limit (None when empty); an unknown store is refused."""
    if not stores:
        return None
    known = list(
        conn.scalars(select(lightspeed_stores.c.prefix).order_by(lightspeed_stores.c.prefix))
    )
    unknown = [s for s in stores if s not in known]
    if unknown:
        raise SyncError(
            ErrorKind.CONFIG,
            f"This database holds no store {unknown[0]!r}; no key was created.",
            recovery=f"Use one of {', '.join(known)} (`python -m sync store list`).",
        )
    return frozenset(stores)


def _limits(conn: Connection, key_ids: Sequence[int]) -> dict[int, frozenset[str]]:
    """key id -> the stores it is limited to (keys without a row see every store)."""
    found: dict[int, set[str]] = {}
    query = select(api_key_stores.c.key_id, api_key_stores.c.store).where(
        api_key_stores.c.key_id.in_(list(key_ids))
    )
    for key_id, store in conn.execute(query):
        found.setdefault(key_id, set()).add(store)
    return {key_id: frozenset(stores) for key_id, stores in found.items()}


def list_keys(engine: Engine) -> list[ApiKey]:
    """Every key, oldest first (never the hash), with the stores it is limited to."""
    with database_errors(str(engine.url)), engine.connect() as conn:
        rows = conn.execute(
            select(*_columns()).order_by(api_keys.c.created_at, api_keys.c.id)
        ).all()
        limits = _limits(conn, [r.id for r in rows]) if rows else {}
        return [ApiKey(**r._mapping, stores=limits.get(r.id)) for r in rows]


def revoke_key(engine: Engine, name: str, now: datetime) -> bool:
    """Revoke the live key named `name`; False when there is none."""
    with database_errors(str(engine.url)), engine.begin() as conn:
        done = conn.execute(
            update(api_keys)
            .where(api_keys.c.name == name, api_keys.c.revoked_at.is_(None))
            .values(revoked_at=now)
        ).rowcount
    return done == 1


def check_key(engine: Engine, presented: str) -> ApiKey | None:
    """The live key matching `presented`, or None (unknown, wrong or revoked).

    The row is found by its prefix; the hashes are compared in constant time.
    """
    if not presented.startswith(KEY_MARK) or len(presented) > 200:
        return None
    wanted = key_hash(presented)
    with database_errors(str(engine.url)), engine.connect() as conn:
        rows = conn.execute(
            select(*_columns(), api_keys.c.key_hash).where(
                api_keys.c.prefix == presented[:PREFIX_LENGTH]
            )
        ).all()
        found = None
        for row in rows:
            values = dict(row._mapping)
            stored = values.pop("key_hash")
            if (
                hmac.compare_digest(stored.encode(), wanted.encode())
                and values["revoked_at"] is None
            ):
                found = values
        if found is None:
            return None
        return ApiKey(**found, stores=_limits(conn, [found["id"]]).get(found["id"]))


def stamp_used(engine: Engine, key: ApiKey, now: datetime) -> bool:
    """Set last_used_at unless it was set less than STAMP_EVERY ago; True when written."""
    if key.last_used_at is not None and now - key.last_used_at < STAMP_EVERY:
        return False
    with database_errors(str(engine.url)), engine.begin() as conn:
        done = conn.execute(
            update(api_keys)
            .where(
                api_keys.c.id == key.id,
                api_keys.c.revoked_at.is_(None),
                (api_keys.c.last_used_at.is_(None)) | (api_keys.c.last_used_at < now - STAMP_EVERY),
            )
            .values(last_used_at=now)
        ).rowcount
    return done == 1
