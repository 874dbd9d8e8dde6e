"""A loopback TCP proxy the tests can cut and restore: a database outage we control."""

from __future__ import annotations

import contextlib
import socket
import threading

from sync.storage.sql.db import create_db_engine, migrate
from sync.storage.sql.store import Store


class TcpProxy:
    """Forwards 127.0.0.1:<port> to a target; `stop()` drops every connection."""

    def __init__(self, target_port: int, listen_port: int = 0) -> None:
        self.target_port = target_port
        self.port = listen_port
        self._sockets: list[socket.socket] = []
        self._lock = threading.Lock()
        self._listener: socket.socket | None = None

    def start(self) -> TcpProxy:
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen(32)
        self.port = listener.getsockname()[1]
        self._listener = listener
        threading.Thread(target=self._accept, args=(listener,), daemon=True).start()
        return self

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return
            try:
                upstream = socket.create_connection(("127.0.0.1", self.target_port))
            except OSError:
                client.close()
                continue
            with self._lock:
                self._sockets += [client, upstream]
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pipe, args=(a, b), daemon=True).start()

    @staticmethod
    def _pipe(source: socket.socket, sink: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                sink.sendall(data)
        except OSError:
            pass
        finally:
            with contextlib.suppress(OSError):
                sink.shutdown(socket.SHUT_RDWR)

    def stop(self) -> None:
        if self._listener is not None:
            # close() alone does not wake a thread blocked in accept(); shutdown() does.
            with contextlib.suppress(OSError):
                self._listener.shutdown(socket.SHUT_RDWR)
            self._listener.close()
            self._listener = None
        with self._lock:
            for sock in self._sockets:
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)
                sock.close()
            self._sockets.clear()


def store_behind_proxy(pg_url: str, password: str | None = None) -> tuple[TcpProxy, str, Store]:
    """A migrated store on `pg_url`'s database, reached through a proxy the test can cut.

    Returns the proxy, the URL through it and the store (its engine: `store.engine`).
    `password` goes into the URL (trust auth ignores it) to prove it never reaches a message.
    """
    proxy = TcpProxy(5432).start()
    login = f"postgres:{password}" if password else "postgres"
    url = pg_url.replace("postgres@127.0.0.1:5432", f"{login}@127.0.0.1:{proxy.port}")
    engine = create_db_engine(url)
    migrate(engine)
    store = Store(engine)
    store.ensure_state_rows()
    return proxy, url, store
