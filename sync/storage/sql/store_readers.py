"""Database roles limited to some stores (issue 27, migration 0018): the rows of
store_readers, which row-level security reads on Postgres and Supabase."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import Engine, delete, select, text

from sync.errors import ErrorKind, SyncError
from sync.storage.schema import lightspeed_stores, store_readers
from sync.storage.sql.db import database_errors, dialect_insert


def _refuse(message: str, recovery: str) -> SyncError:
    return SyncError(ErrorKind.CONFIG, message, recovery=recovery)


def require_roles(engine: Engine) -> None:
    """Refuse on SQLite, which has no roles to limit."""
    if engine.dialect.name != "postgresql":
        raise _refuse(
            "Limiting a database role to some stores needs Postgres or Supabase: SQLite has "
            "no roles.",
            "Move the copy to Postgres (DATABASE_URL=postgresql+psycopg://...) to give "
            "each reader its own login.",
        )


def _check_role(engine: Engine, role: str) -> None:
    query = text(
        "SELECT r.rolsuper OR r.rolbypassrls AS bypasses, "
        "       EXISTS (SELECT FROM pg_tables t WHERE t.tablename = 'sync_log' "
        "                  AND t.schemaname = 'public' AND t.tableowner = r.rolname) AS owns "
        "  FROM pg_roles r WHERE r.rolname = :role"
    )
    with database_errors(str(engine.url)), engine.connect() as conn:
        found = conn.execute(query, {"role": role}).first()
    if found is None:
        raise _refuse(
            f"There is no database role {role!r}.",
            f"Create it first, e.g. CREATE ROLE {role} NOLOGIN IN ROLE dashboard_reader; "
            "then grant it stores.",
        )
    if found.bypasses or found.owns:
        why = "owns the tables (the writer)" if found.owns else "bypasses row-level security"
        raise _refuse(
            f"Role {role!r} {why}, so no store limit could apply to it.",
            "Limit a read-only role instead: CREATE ROLE name LOGIN PASSWORD '...' "
            "IN ROLE dashboard_reader;",
        )


def _check_stores(engine: Engine, prefixes: Sequence[str]) -> None:
    query = select(lightspeed_stores.c.prefix).where(lightspeed_stores.c.prefix.in_(prefixes))
    with database_errors(str(engine.url)), engine.connect() as conn:
        known = set(conn.scalars(query))
    unknown = [p for p in prefixes if p not in known]
    if unknown:
        raise _refuse(
            f"No store {', '.join(unknown)} in this database.",
            "See `python -m sync store list`, or add it with `python -m sync store add`.",
        )


def grant_stores(engine: Engine, role: str, prefixes: Sequence[str]) -> list[str]:
    """Limit `role` to `prefixes` (added to the stores it may already read); returns the
    stores it may read now."""
    require_roles(engine)
    _check_role(engine, role)
    _check_stores(engine, prefixes)
    insert = dialect_insert(True)(store_readers)
    with database_errors(str(engine.url)), engine.begin() as conn:
        for prefix in dict.fromkeys(prefixes):
            conn.execute(insert.values(role=role, store=prefix).on_conflict_do_nothing())
    return readers(engine).get(role, [])


def revoke_stores(engine: Engine, role: str, prefixes: Sequence[str] | None) -> list[str]:
    """Take `prefixes` from what `role` may read, or with None lift its limit altogether.
    Returns the stores it keeps (none: it is no longer limited).

    Taking its last stores one by one is refused: a role with no row reads every store."""
    require_roles(engine)
    held = readers(engine).get(role, [])
    if not held:
        raise _refuse(
            f"Role {role!r} is not limited to any store.",
            "See `python -m sync store readers` for the roles that are.",
        )
    if prefixes is not None:
        missing = [p for p in prefixes if p not in held]
        if missing:
            raise _refuse(
                f"Role {role!r} is not limited to {', '.join(missing)}; it may read "
                f"{', '.join(held)}.",
                f"Revoke only those, or run `python -m sync store revoke {role}` to lift its "
                "limit.",
            )
        if set(held) <= set(prefixes):
            raise _refuse(
                f"Taking {', '.join(held)} from role {role!r} would leave it no store, and a "
                "role with none reads every store.",
                f"Grant it another store first, or lift its limit on purpose: "
                f"`python -m sync store revoke {role}`.",
            )
    statement = delete(store_readers).where(store_readers.c.role == role)
    if prefixes is not None:
        statement = statement.where(store_readers.c.store.in_(prefixes))
    with database_errors(str(engine.url)), engine.begin() as conn:
        conn.execute(statement)
    return readers(engine).get(role, [])


def readers(engine: Engine) -> dict[str, list[str]]:
    """Each limited role and the stores it may read (empty on SQLite)."""
    if engine.dialect.name != "postgresql":
        return {}
    query = select(store_readers).order_by(store_readers.c.role, store_readers.c.store)
    found: dict[str, list[str]] = {}
    with database_errors(str(engine.url)), engine.connect() as conn:
        for row in conn.execute(query):
            found.setdefault(row.role, []).append(row.store)
    return found


def roles_limited_to(engine: Engine, prefix: str) -> list[str]:
    """The roles that may read the store `prefix` (it cannot be removed while they do)."""
    query = select(store_readers.c.role).where(store_readers.c.store == prefix)
    with database_errors(str(engine.url)), engine.connect() as conn:
        return sorted(conn.scalars(query))
