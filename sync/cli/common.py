"""What the commands share: exit codes, the handler type, the store a command opens, who asks."""

from __future__ import annotations

import argparse
import getpass
import logging
from collections.abc import Callable
from datetime import UTC, tzinfo
from typing import Any, cast

from sync.config import Settings
from sync.days import zone_named
from sync.errors import ErrorKind, SyncError
from sync.storage.backend import open_store, uses_supabase_rest
from sync.storage.protocols import SyncStore
from sync.storage.sql.store import Store

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2
log = logging.getLogger("sync")

CommandHandler = Callable[[Settings, argparse.Namespace], int]
"""A command: takes the settings and the parsed arguments, returns the exit code."""


NOT_CONFIGURED = "Not configured: run `make demo` or set DATABASE_URL."


def require_database(settings: Settings) -> None:
    """Refuse, creating nothing, when the SQLite file the settings name does not exist.

    Only `migrate` (and `demo`) may create a database; every other command would otherwise
    leave an empty data/lightspeed.db behind in whatever folder it ran in.
    """
    if uses_supabase_rest(settings) or (settings.supabase_url and not settings.database_url_set):
        return  # a Supabase project: open_store says what is missing there
    from sync.storage.sql.db import missing_sqlite_file

    path = missing_sqlite_file(settings.database_url)
    if path is None:
        return
    if not settings.database_url_set:
        raise SyncError(
            ErrorKind.CONFIG,
            NOT_CONFIGURED,
            recovery="`make demo` writes .demo/.env: add `--env-file .demo/.env` to the "
            "command. For your own store, set DATABASE_URL in .env, then run "
            "`python -m sync migrate`.",
        )
    raise SyncError(
        ErrorKind.CONFIG,
        f"The SQLite file {path} does not exist yet.",
        recovery="Check DATABASE_URL, or run `python -m sync migrate` to create it.",
    )


def require_schema(settings: Settings) -> SyncStore:
    """The configured store, refusing a missing database or one whose schema is behind."""
    require_database(settings)
    return open_store(settings)


def writer_store(settings: Settings) -> SyncStore:
    """The store for a command that writes: schema checked, sync_state rows present."""
    # A project set up through the SQL editor has no sync_state rows until a writer adds them.
    store = require_schema(settings)
    store.ensure_state_rows()
    return store


def require_sql(settings: Settings, what: str) -> Store:
    """The SQL store; one sentence when only the Supabase REST backend is configured."""
    store = require_schema(settings)
    if store.sql is None:
        raise SyncError(
            ErrorKind.CONFIG,
            f"{what} needs a direct database connection; the Supabase REST backend cannot run it.",
            recovery="Set DATABASE_URL to the project's Postgres connection string (it wins "
            "over SUPABASE_URL) and run the command again.",
        )
    return cast(Store, store)  # the one store with SQL access


def for_store(settings: Settings, prefix: str | None) -> Settings:
    """The settings of `--store PREFIX` (None or the configured store: `settings` as given)."""
    if prefix is None or prefix == settings.store_prefix:
        return settings
    from sync.engine.connection import store_settings
    from sync.storage.sql.store_admin import find_store, store_token

    engine = require_sql(settings, "Choosing a store with --store").engine
    try:
        row = find_store(engine, prefix)
        if row is None:
            raise SyncError(
                ErrorKind.CONFIG,
                f"This database holds no store {prefix}.",
                recovery="See `python -m sync store list`, or add it with "
                "`python -m sync store add PREFIX --token-stdin`.",
            )
        return store_settings(settings, row, store_token(engine, prefix))
    finally:
        engine.dispose()


def enabled_stores(settings: Settings) -> list[Settings]:
    """The settings of every enabled store (over REST: the configured store alone)."""
    from sync.service.fleet import enabled_store_settings

    store = require_schema(settings)
    try:
        return list(enabled_store_settings(settings, store).values())
    finally:
        if store.sql is not None:
            store.sql.dispose()


def for_each_store(
    settings: Settings, args: argparse.Namespace, command: Callable[[Settings], int]
) -> int:
    """Run `command` for `--store PREFIX` (default: the configured store), or with
    `--all-stores` for each enabled store in turn under a "Store X:" line; the worst exit
    code."""
    if not getattr(args, "all_stores", False):
        return command(for_store(settings, getattr(args, "store", None)))
    worst = EXIT_OK
    for each in enabled_stores(settings):
        print(f"Store {each.store_prefix}:")
        worst = max(worst, command(each))
    return worst


def whoami() -> str:
    """The OS user, recorded as who asked for a run."""
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "cli"


def store_zone(settings: Settings, store: Any) -> tzinfo:
    """The store's zone for the times `status` and `alerts check` print: STORE_TIME_ZONE
    (another store: the zone recorded with it), else the zone its outlets share."""
    if store.sql is None:
        return zone_named(settings.store_time_zone) or UTC
    from sync.storage.sql.outlets import load_store_days

    return load_store_days(store.sql, store.prefix, settings.store_time_zone).zone
