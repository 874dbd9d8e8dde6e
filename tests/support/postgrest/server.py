"""The PostgREST stand-in's HTTP server: lifecycle, recorded requests, injected faults.

`PostgrestStandIn(database_url, keys)` serves one database; a session-scoped server can be
pointed at each test's database with `attach(database_url, keys)` (tests/conftest.py).
"""

from __future__ import annotations

import json
import queue
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import psycopg

from tests.support.postgrest.parser import (
    JSON_CT,
    RecordedRequest,
    RequestParser,
    _Fail,
    _Reply,
    _Request,
)
from tests.support.postgrest.sql import SqlExecutor


class PostgrestStandIn(RequestParser, SqlExecutor):
    """A local HTTP server speaking PostgREST v12 to supabase-py, over a real Postgres."""

    def __init__(self, database_url: str, keys: dict[str, str], *, schema: str = "public") -> None:
        self.conninfo = database_url.replace("postgresql+psycopg://", "postgresql://", 1)
        self.keys = dict(keys)
        self.schema = schema
        self.requests: list[RecordedRequest] = []
        self.violations: list[str] = []
        self.url = ""
        self._lock = threading.Lock()
        self._fail_next = 0
        self._fail_next_status = 503
        self._fail_after: int | None = None
        self._fail_after_status = 503
        self._pool: queue.LifoQueue[psycopg.Connection[Any]] = queue.LifoQueue()
        self._all_conns: list[psycopg.Connection[Any]] = []
        self._pool_size = 8
        self._pool_slots = threading.BoundedSemaphore(self._pool_size)
        self._closed = False
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # ----------------------------------------------------------------- lifecycle / test API

    def __enter__(self) -> PostgrestStandIn:
        stand_in = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            timeout = 120
            disable_nagle_algorithm = True  # headers and body go out in separate writes

            def log_message(self, format: str, *args: Any) -> None:
                pass

            def _serve(self) -> None:
                stand_in._serve(self)

            do_GET = do_HEAD = do_POST = do_PATCH = do_DELETE = _serve
            do_PUT = do_OPTIONS = do_TRACE = do_CONNECT = _serve

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.05},
            name="postgrest-stand-in",
            daemon=True,
        )
        self._thread.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._closed = True
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        with self._lock:
            conns, self._all_conns = self._all_conns, []
        for conn in conns:
            conn.close()

    def count(self, method: str | None = None, path_prefix: str | None = None) -> int:
        """How many recorded requests match the method and path prefix."""
        with self._lock:
            return sum(
                1
                for r in self.requests
                if (method is None or r.method == method.upper())
                and (path_prefix is None or r.path.startswith(path_prefix))
            )

    def fail_requests(self, n: int, status: int = 503) -> None:
        """The next `n` requests get `status` and are not executed."""
        with self._lock:
            self._fail_next = n
            self._fail_next_status = status

    def fail_after(self, n: int, status: int = 503) -> None:
        """After the next `n` requests, every request fails until `clear_faults()`."""
        with self._lock:
            self._fail_after = n
            self._fail_after_status = status

    def clear_faults(self) -> None:
        """Stop injecting failures."""
        with self._lock:
            self._fail_next = 0
            self._fail_after = None

    def attach(self, database_url: str, keys: dict[str, str]) -> None:
        """Serve another database from now on (a session-scoped server, one database per test).

        The previous database's requests, violations, faults and connections are forgotten.
        """
        self.detach()
        with self._lock:
            self.conninfo = database_url.replace("postgresql+psycopg://", "postgresql://", 1)
            self.keys = dict(keys)
            self.requests.clear()
            self.violations.clear()
            self._fail_next = 0
            self._fail_after = None
            self._closed = False

    def detach(self) -> None:
        """Stop serving the current database: later requests get 503, its connections close.

        A connection still in use by a request in flight is closed when it comes back
        (`_release`: it is no longer in `_all_conns`).
        """
        with self._lock:
            self._closed = True
            conns, self._all_conns = self._all_conns, []
        while True:
            try:
                self._pool.get_nowait()
            except queue.Empty:
                break
        for conn in conns:
            conn.close()

    def reset(self) -> None:
        """Forget recorded requests and violations."""
        with self._lock:
            self.requests.clear()
            self.violations.clear()

    # ----------------------------------------------------------------- HTTP plumbing

    def _serve(self, handler: BaseHTTPRequestHandler) -> None:
        method = handler.command
        body = self._read_body(handler)
        if body is None:
            handler.close_connection = True
            return
        split = urlsplit(handler.path)
        query = parse_qsl(split.query, keep_blank_values=True)
        headers: dict[str, str] = {}
        for name, value in handler.headers.items():
            key = name.lower()
            headers[key] = f"{headers[key]}, {value}" if key in headers else value
        record = RecordedRequest(method, split.path, query, headers, body)
        with self._lock:
            self.requests.append(record)
        reply = self._handle(method, split.path, query, headers, body)
        record.status = reply.status
        self._write(handler, method, reply)

    @staticmethod
    def _read_body(handler: BaseHTTPRequestHandler) -> bytes | None:
        if handler.headers.get("Transfer-Encoding", "").lower() == "chunked":
            chunks = []
            while True:
                line = handler.rfile.readline()
                if not line:
                    return None
                size = int(line.split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while handler.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass
                    return b"".join(chunks)
                chunks.append(handler.rfile.read(size))
                handler.rfile.readline()
        length = int(handler.headers.get("Content-Length") or 0)
        return handler.rfile.read(length) if length else b""

    @staticmethod
    def _write(handler: BaseHTTPRequestHandler, method: str, reply: _Reply) -> None:
        try:
            handler.send_response(reply.status)
            for name, value in reply.headers:
                handler.send_header(name, value)
            if reply.status != 204:
                handler.send_header("Content-Length", str(len(reply.body)))
            handler.end_headers()
            if method != "HEAD" and reply.status != 204 and reply.body:
                handler.wfile.write(reply.body)
            handler.wfile.flush()
        except OSError:
            handler.close_connection = True

    # ----------------------------------------------------------------- request handling

    def _handle(
        self,
        method: str,
        path: str,
        query: list[tuple[str, str]],
        headers: dict[str, str],
        body: bytes,
    ) -> _Reply:
        try:
            req: _Request | None = self._parse(method, path, query, headers, body)
            failure: _Fail | None = None
        except _Fail as fail:
            req, failure = None, fail
            if fail.violation:
                self._add_violation(f"{method} {path}: {fail.violation}")
        fault = self._take_fault()
        if fault is not None:
            return self._fault_reply(fault)
        if failure is not None:
            return self._error_reply(failure)
        assert req is not None
        if self._closed:
            return self._error_reply(_Fail(503, "PGRST001", "stand-in is shut down"))
        try:
            return self._execute(req)
        except _Fail as fail:
            if fail.violation:
                self._add_violation(f"{method} {path}: {fail.violation}")
            return self._error_reply(fail)
        except Exception as exc:  # a stand-in bug must fail the test, not hang it
            self._add_violation(f"{method} {path}: stand-in internal error {exc!r}")
            return self._error_reply(_Fail(500, "XX000", f"stand-in internal error: {exc!r}"))

    def _add_violation(self, text: str) -> None:
        with self._lock:
            self.violations.append(text)

    def _take_fault(self) -> int | None:
        with self._lock:
            if self._fail_next > 0:
                self._fail_next -= 1
                return self._fail_next_status
            if self._fail_after is not None:
                if self._fail_after > 0:
                    self._fail_after -= 1
                    return None
                return self._fail_after_status
        return None

    @staticmethod
    def _fault_reply(status: int) -> _Reply:
        code, message = {
            503: ("PGRST001", "Database client error. Retrying the connection."),
            504: ("PGRST003", "Timed out acquiring connection from connection pool."),
        }.get(status, ("XX000" if status >= 500 else str(status), "Injected fault"))
        payload = {
            "code": code,
            "details": "injected by PostgrestStandIn",
            "hint": None,
            "message": message,
        }
        return _Reply(status, json.dumps(payload).encode(), [("Content-Type", JSON_CT)])

    @staticmethod
    def _error_reply(fail: _Fail) -> _Reply:
        headers = [("Content-Type", JSON_CT), *fail.headers]
        return _Reply(fail.status, json.dumps(fail.payload).encode(), headers)

    # ----------------------------------------------------------------- validation
