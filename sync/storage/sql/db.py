"""Database engines for SQLite and Postgres, versioned migrations from sql/, error mapping."""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, Table, create_engine, event, func, insert, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, DataError, DBAPIError, IntegrityError, SQLAlchemyError
from sqlalchemy.pool import SingletonThreadPool
from sqlalchemy.schema import CreateTable

from sync.errors import ErrorKind, SyncError, redact
from sync.storage.jsoncodec import dumps_json, loads_json
from sync.storage.migrations import migration_scripts
from sync.storage.refusal import is_refusal_code
from sync.storage.schema import ENTITY_TABLES, lightspeed_stores, schema_migrations
from sync.storage.sql.connection_setup import configure_sqlite, custom_plans
from sync.storage.stores import StoreInfo

#: The migration that makes every row know its store (it needs the first store).
STORES_MIGRATION = 16

# Any fixed number works: it only has to be the same for every process migrating this DB.
_MIGRATE_LOCK_KEY = 7_357_001


def normalize_url(url: str) -> str:
    """Use psycopg 3 for every Postgres URL (postgres://, postgresql://)."""
    for prefix in ("postgres://", "postgresql://", "postgresql+psycopg2://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def safe_url(url: str) -> str:
    """The URL with its password masked, for logs and messages."""
    try:
        return make_url(normalize_url(url)).render_as_string(hide_password=True)
    except ArgumentError:
        return redact(url)


def sqlite_file(url: str) -> Path | None:
    """The file of a SQLite URL (None for Postgres or an in-memory database)."""
    try:
        parsed = make_url(normalize_url(url))
    except ArgumentError:
        return None
    if parsed.get_backend_name() != "sqlite" or not parsed.database:
        return None
    return None if parsed.database in (":memory:",) else Path(parsed.database)


def sqlite_file_path(database: str | None) -> str | None:
    """The path of a SQLite URL's database when it is a plain file (not memory, not a URI)."""
    if not database or database == ":memory:" or database.startswith("file:"):
        return None
    return database


def missing_sqlite_file(url: str) -> str | None:
    """The path of the SQLite file `url` names when that file does not exist, else None
    (also None for Postgres, memory databases and URLs that do not parse)."""
    try:
        parsed = make_url(normalize_url(url))
    except ArgumentError:
        return None
    if parsed.get_backend_name() != "sqlite":
        return None
    path = sqlite_file_path(parsed.database)
    return path if path is not None and not Path(path).exists() else None


def create_private_file(path: Path) -> None:
    """Create an empty SQLite file only its owner can read (it holds the refresh token).

    SQLite gives the -wal and -shm files it creates next to it the same mode. A new
    parent folder is private too; an existing file keeps its mode.
    """
    if path.exists():
        return
    try:
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    except OSError as exc:
        if path.exists():  # another process created it at the same moment
            return
        raise SyncError(
            ErrorKind.CONFIG,
            f"Cannot create the SQLite database {path} ({exc.strerror or exc}): check "
            "DATABASE_URL and that this user may write to that folder.",
        ) from None


def create_db_engine(
    url: str, *, readonly: bool = False, pool_size: int = 3, max_overflow: int = 2
) -> Engine:
    """An engine for `url`. SQLite gets WAL, a busy timeout and write-locking transactions;
    Postgres a pool of `pool_size` connections (and `max_overflow` more when busy)."""
    url = normalize_url(url)
    try:
        parsed = make_url(url)
    except ArgumentError:
        raise SyncError(
            ErrorKind.CONFIG, f"DATABASE_URL {safe_url(url)!r} is not a valid URL."
        ) from None
    options: dict[str, Any] = {"json_serializer": dumps_json, "json_deserializer": loads_json}
    if parsed.get_backend_name() == "sqlite":
        database = sqlite_file_path(parsed.database)
        if database is not None:
            create_private_file(Path(database))
        if "mode=memory" in parsed.render_as_string():
            # One connection per thread holds the in-memory database (SQLAlchemy's choice for
            # such a URL today, named so that a future default cannot change it).
            options["poolclass"] = SingletonThreadPool
        engine = create_engine(url, connect_args={"timeout": 30}, **options)
        configure_sqlite(engine, readonly=readonly)
        return engine
    if parsed.get_backend_name() != "postgresql":
        raise SyncError(ErrorKind.CONFIG, "DATABASE_URL must be a sqlite:/// or postgresql:// URL.")
    engine = create_engine(
        url,
        pool_pre_ping=True,
        pool_size=pool_size,
        max_overflow=max_overflow,
        connect_args={"connect_timeout": 10, "application_name": "lightspeed-sync"},
        **options,
    )
    event.listen(engine, "connect", custom_plans)
    return engine


def database_error(exc: BaseException, url: str | None = None) -> SyncError:
    """Turn a driver/SQLAlchemy failure into a DATABASE SyncError without secrets."""
    original = exc.orig if isinstance(exc, DBAPIError) and exc.orig is not None else exc
    text = " ".join(str(original).split())[:300]
    password = None
    if url:
        try:
            password = make_url(normalize_url(url)).password
        except ArgumentError:
            password = None
    where = f" ({safe_url(url)})" if url else ""
    return SyncError(
        ErrorKind.DATABASE,
        f"Database error{where}: {redact(text, str(password) if password else None)}",
    )


def is_data_refusal(exc: BaseException) -> bool:
    """True when the database refused the data itself (a bad value), not the connection."""
    if isinstance(exc, IntegrityError | DataError):
        return True  # also SQLite's constraint and "too big" errors
    original = exc.orig if isinstance(exc, DBAPIError) else exc
    return is_refusal_code(getattr(original, "sqlstate", None))


@contextmanager
def database_errors(url: str | None = None) -> Iterator[None]:
    """Re-raise SQLAlchemy/driver errors inside the block as DATABASE SyncErrors."""
    try:
        yield
    except (SQLAlchemyError, sqlite3.Error, OSError) as exc:
        if isinstance(exc, SyncError):
            raise
        raise database_error(exc, url) from None


def _statements(script: str) -> Iterator[str]:
    """Split a SQLite script into complete statements."""
    buffer = ""
    for line in script.splitlines(keepends=True):
        buffer += line
        if sqlite3.complete_statement(buffer):
            if buffer.strip():
                yield buffer.strip()
            buffer = ""
    if buffer.strip() and not buffer.strip().startswith("--"):
        yield buffer.strip()


def migrate(
    engine: Engine, first_store: StoreInfo | None = None, *, upto: int | None = None
) -> list[int]:
    """Apply every migration not yet recorded; returns the versions applied. Idempotent.

    `first_store`: the store today's settings describe. Migration 0016 moves the rows
    already here to it, and its lightspeed_stores row is written (or brought up to date)
    in the same transaction. Without it a database holding data cannot pass 0016.
    `upto`: stop after that version (tests of upgrades build an older database with it).
    """
    dialect = "postgres" if engine.dialect.name == "postgresql" else "sqlite"
    with database_errors(str(engine.url)), engine.begin() as conn:
        if dialect == "postgres":
            conn.exec_driver_sql(f"SELECT pg_advisory_xact_lock({_MIGRATE_LOCK_KEY})")
        schema_migrations.create(conn, checkfirst=True)
        done = set(conn.scalars(select(schema_migrations.c.version)))
        pending = [
            m
            for m in migration_scripts(dialect)
            if m[0] not in done and (upto is None or m[0] <= upto)
        ]
        if any(version == STORES_MIGRATION for version, _, _ in pending):
            _hand_first_store(conn, dialect, first_store)
        applied: list[int] = []
        for version, description, path in pending:
            script = path.read_text()
            if dialect == "postgres":
                conn.exec_driver_sql(script)
            else:
                for statement in _statements(script):
                    conn.exec_driver_sql(statement)
            conn.execute(
                insert(schema_migrations).values(
                    version=version, description=description, applied_at=datetime.now(UTC)
                )
            )
            applied.append(version)
        if dialect == "sqlite":
            conn.exec_driver_sql("DROP TABLE IF EXISTS temp.migrate_first_store")
        if first_store is not None and (upto is None or upto >= STORES_MIGRATION):
            register_store(conn, first_store, now=datetime.now(UTC))
        return applied


def _hand_first_store(conn: Connection, dialect: str, first_store: StoreInfo | None) -> None:
    """Tell migration 0016 which store the rows already here belong to."""
    if first_store is None:
        holding = [t.name for t in ENTITY_TABLES.values() if _has_rows(conn, t.name)]
        if _has_rows(conn, "lightspeed_app_tokens", "refresh_token IS NOT NULL"):
            holding.append("lightspeed_app_tokens")
        if holding:
            raise SyncError(
                ErrorKind.CONFIG,
                f"This database holds one store's data ({holding[0]}) and the upgrade must "
                "know which store it is.",
                recovery="Set LIGHTSPEED_DOMAIN_PREFIX and run `python -m sync migrate` again.",
            )
    if dialect == "postgres":
        if first_store is not None:
            conn.execute(
                text("SELECT set_config('lightspeed.first_store', :prefix, true)"),
                {"prefix": first_store.prefix},
            )
        return
    conn.exec_driver_sql("CREATE TEMP TABLE IF NOT EXISTS migrate_first_store (prefix TEXT)")
    conn.exec_driver_sql("DELETE FROM temp.migrate_first_store")
    if first_store is not None:
        conn.execute(
            text("INSERT INTO temp.migrate_first_store (prefix) VALUES (:prefix)"),
            {"prefix": first_store.prefix},
        )


def _has_rows(conn: Connection, table: str, where: str = "true") -> bool:
    if not conn.dialect.has_table(conn, table):
        return False
    query = f"SELECT EXISTS (SELECT 1 FROM {table} WHERE {where})"
    return bool(conn.exec_driver_sql(query).scalar())


def register_store(conn: Connection, store: StoreInfo, *, now: datetime) -> None:
    """Insert the lightspeed_stores row of `store`, or bring its name, connection and time
    zone up to date (the settings describe the first store)."""
    statement = dialect_insert(conn.dialect.name == "postgresql")(lightspeed_stores).values(
        prefix=store.prefix,
        name=store.name,
        connection=store.connection,
        time_zone=store.time_zone,
        added_at=now,
    )
    excluded = statement.excluded
    conn.execute(
        statement.on_conflict_do_update(
            index_elements=[lightspeed_stores.c.prefix],
            set_={
                "name": excluded.name,
                "connection": excluded.connection,
                "time_zone": func.coalesce(excluded.time_zone, lightspeed_stores.c.time_zone),
            },
        )
    )


def schema_version(engine: Engine) -> int | None:
    """The highest applied migration, or None when the database was never migrated."""
    with database_errors(str(engine.url)), engine.connect() as conn:
        if not engine.dialect.has_table(conn, schema_migrations.name):
            return None
        versions = list(conn.scalars(select(schema_migrations.c.version)))
        return max(versions) if versions else None


def pending_migrations(engine: Engine) -> list[int]:
    """Shipped migrations not yet applied (a gap counts: versions can land out of order)."""
    dialect = "postgres" if engine.dialect.name == "postgresql" else "sqlite"
    shipped = [version for version, _, _ in migration_scripts(dialect)]
    with database_errors(str(engine.url)), engine.connect() as conn:
        if not engine.dialect.has_table(conn, schema_migrations.name):
            return shipped
        done = set(conn.scalars(select(schema_migrations.c.version)))
    return [v for v in shipped if v not in done]


def supabase_setup_sql() -> str:
    """Every Postgres migration as one script for the Supabase SQL editor.

    Each migration runs only when schema_migrations does not record it, and is recorded
    in the same transaction, so the script can be run again safely and `python -m sync
    migrate` agrees with it afterwards.
    """
    from sqlalchemy.dialects.postgresql import dialect as pg_dialect

    ddl = str(CreateTable(schema_migrations, if_not_exists=True).compile(dialect=pg_dialect()))
    parts = [
        "-- Lightspeed Sync & Health: database setup for a Supabase project.",
        "-- Generated by `python -m sync migrate --sql`; do not edit by hand.",
        "-- Paste it into the SQL editor and run it; running it again is harmless.",
        "",
        ddl.strip() + ";",
        "",
    ]
    for version, description, path in migration_scripts("postgres"):
        tag = f"migration_{version:04d}"
        body = path.read_text().rstrip()
        if f"${tag}$" in body:
            raise ValueError(f"{path.name} contains the quoting tag ${tag}$")
        parts += [
            f"-- {path.name}",
            "DO $do$",
            "BEGIN",
            f"    IF NOT EXISTS (SELECT FROM schema_migrations WHERE version = {version}) THEN",
            f"        EXECUTE ${tag}$",
            body,
            f"${tag}$;",
            "        INSERT INTO schema_migrations (version, description, applied_at)",
            f"        VALUES ({version}, '{description}', now());",
            "    END IF;",
            "END",
            "$do$;",
            "",
        ]
    return "\n".join(parts)


def dialect_insert(is_postgres: bool) -> Callable[[Table], Any]:
    """The INSERT … ON CONFLICT builder of the dialect in use, imported only for that dialect."""
    if is_postgres:
        from sqlalchemy.dialects.postgresql import insert as pg_insert

        return pg_insert
    from sqlalchemy.dialects.sqlite import insert as sqlite_insert

    return sqlite_insert
