"""Throwaway Postgres databases made ahead of need, on a background thread.

`CREATE DATABASE ... TEMPLATE` takes a third of a second here (it writes and syncs the
copy), and a suite makes hundreds: made while the previous test runs, that time is hidden.
Each pool copies one template (or makes empty databases) and keeps `depth` ready; dropping
happens on the same thread. Names are unique: other suites share this server.
"""

from __future__ import annotations

import queue
import threading
import uuid

import psycopg

READY_TIMEOUT_SECONDS = 120.0


class DatabasePool:
    """Databases of one template (None: empty), `depth` of them made ahead."""

    def __init__(self, admin_url: str, template: str | None, *, prefix: str, depth: int = 1):
        self.admin_url = admin_url
        self.template = template
        self.prefix = prefix
        self.depth = depth
        self._ready: queue.Queue[str | BaseException] = queue.Queue()
        self._drops: queue.Queue[str] = queue.Queue()
        self._wanted = threading.Semaphore(depth)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._work, name="pg-pool", daemon=True)
        self._thread.start()

    def _create(self, conn: psycopg.Connection) -> str:
        name = f"{self.prefix}_{uuid.uuid4().hex[:12]}"
        copy = f' TEMPLATE "{self.template}"' if self.template else ""
        conn.execute(f'CREATE DATABASE "{name}"{copy}')
        return name

    def _drop_pending(self, conn: psycopg.Connection) -> None:
        while True:
            try:
                name = self._drops.get_nowait()
            except queue.Empty:
                return
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    def _work(self) -> None:
        try:
            self._serve()
        except psycopg.Error as exc:  # the server went away: every later take() says so
            self._ready.put(exc)
            while not self._stop.is_set():
                if self._wanted.acquire(timeout=0.05):
                    self._ready.put(exc)

    def _serve(self) -> None:
        with psycopg.connect(self.admin_url, autocommit=True) as conn:
            while not self._stop.is_set():
                self._drop_pending(conn)
                if not self._wanted.acquire(timeout=0.05):
                    continue
                if self._stop.is_set():
                    break
                try:
                    self._ready.put(self._create(conn))
                except psycopg.Error as exc:  # handed to the test that takes it
                    self._ready.put(exc)
            self._drop_pending(conn)

    def take(self) -> str:
        """A fresh database's name (made ahead, or made now)."""
        got = self._ready.get(timeout=READY_TIMEOUT_SECONDS)
        self._wanted.release()
        if isinstance(got, BaseException):
            raise got
        return got

    def drop_later(self, name: str) -> None:
        """Drop `name` on the pool's thread."""
        self._drops.put(name)

    def close(self) -> None:
        """Stop making databases; drop the ready ones and any still to drop."""
        self._stop.set()
        self._thread.join(timeout=60)
        with psycopg.connect(self.admin_url, autocommit=True) as conn:
            while True:
                try:
                    got = self._ready.get_nowait()
                except queue.Empty:
                    break
                if isinstance(got, str):
                    conn.execute(f'DROP DATABASE IF EXISTS "{got}" WITH (FORCE)')
            self._drop_pending(conn)
