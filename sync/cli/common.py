"""What the commands share: exit codes, the handler type, the store a command opens, who asks."""

from __future__ import annotations

import argparse
import getpass
import logging
from collections.abc import Callable
from typing import cast

from sync.config import Settings
from sync.errors import ErrorKind, SyncError
from sync.storage.backend import open_store
from sync.storage.protocols import SyncStore
from sync.storage.sql.store import Store

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2
log = logging.getLogger("sync")

CommandHandler = Callable[[Settings, argparse.Namespace], int]
"""A command: takes the settings and the parsed arguments, returns the exit code."""


def require_schema(settings: Settings) -> SyncStore:
    """The configured store, refusing one whose schema is behind."""
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


def whoami() -> str:
    """The OS user, recorded as who asked for a run."""
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "cli"
