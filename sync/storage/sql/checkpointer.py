"""SQLite's WAL checkpointed in a background thread while a sync writes pages.

A checkpoint copies the pages written to the WAL into the database file (and syncs both):
a medium import's checkpoints took about half of its commits when the writer ran them
itself, after its COMMIT. Here a thread with its own connection runs them (PASSIVE: it
never blocks the writer or a reader, and copies only what is committed) while the writer
goes on with the next page. The writer still checkpoints itself past
`WRITER_AUTOCHECKPOINT_BYTES` (connection_setup.py), should this thread fall behind or stop.
"""

from __future__ import annotations

import logging
import os
import sqlite3
import threading
from types import TracebackType

log = logging.getLogger(__name__)

# A checkpoint runs once the WAL holds this much; a page of 1,000 sales is about 9 MB.
THRESHOLD_BYTES = 8 * 1024 * 1024
POLL_SECONDS = 0.05


class WalCheckpointer:
    """A context manager: checkpoints the WAL of the SQLite file at `path` while open.

    On exit it stops the thread and runs a last checkpoint, so the database file holds
    every committed page when the run is over.
    """

    def __init__(self, path: str, *, threshold_bytes: int = THRESHOLD_BYTES) -> None:
        self.path = path
        self.wal_path = f"{path}-wal"
        self.threshold_bytes = threshold_bytes
        self.checkpoints = 0
        self._copied: tuple[int, int] | None = None  # the WAL's (size, mtime) when last copied
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._connection: sqlite3.Connection | None = None

    def __enter__(self) -> WalCheckpointer:
        self._thread = threading.Thread(target=self._run, name="wal checkpoint", daemon=True)
        self._thread.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
        self._checkpoint()
        if self._connection is not None:
            self._connection.close()

    def _run(self) -> None:
        while not self._stop.wait(POLL_SECONDS):
            try:
                stat = os.stat(self.wal_path)
            except OSError:
                continue  # no WAL yet (or the file went away): nothing to copy
            # The file keeps its size after SQLite starts it over: a change of size or
            # mtime says a commit came since the last checkpoint.
            seen = (stat.st_size, stat.st_mtime_ns)
            if stat.st_size >= self.threshold_bytes and seen != self._copied:
                self._checkpoint()
                self._copied = seen

    def _checkpoint(self) -> None:
        # PASSIVE does what it can without waiting: a busy database is no error, and a
        # failure here only leaves the work to the writer's own checkpoint.
        try:
            if self._connection is None:
                self._connection = sqlite3.connect(
                    self.path, timeout=0, check_same_thread=False, isolation_level=None
                )
            self._connection.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
            self.checkpoints += 1
        except sqlite3.Error as exc:
            log.debug("WAL checkpoint skipped: %s", exc)
