"""What the commands share: exit codes, the handler type, the store a command opens, who asks."""

from __future__ import annotations

import argparse
import getpass
import logging
from collections.abc import Callable

from sync.config import Settings
from sync.errors import ErrorKind, SyncError
from sync.storage.backend import SyncStore, open_store
from sync.storage.sql.store import Store

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2
log = logging.getLogger("sync")

CommandHandler = Callable[[Settings, argparse.Namespace], int]
"""A command: takes the settings and the parsed arguments, returns the exit code."""


def _require_schema(settings: Settings) -> SyncStore:
    return open_store(settings)


def _writer_store(settings: Settings) -> SyncStore:
    # A project set up through the SQL editor has no sync_state rows until a writer adds them.
    store = _require_schema(settings)
    store.ensure_state_rows()
    return store


def _require_sql(settings: Settings, what: str) -> Store:
    store = _require_schema(settings)
    if not isinstance(store, Store):
        raise SyncError(
            ErrorKind.CONFIG,
            f"{what} needs a direct database connection; the Supabase REST backend cannot run it.",
            recovery="Set DATABASE_URL to the project's Postgres connection string (it wins "
            "over SUPABASE_URL) and run the command again.",
        )
    return store


def _whoami() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "cli"
