"""HTTP plumbing of the development stand-in: the threaded server and the request router."""

from __future__ import annotations

import contextlib
import socket
import sys
import threading
import traceback
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import simplejson

from . import api, control
from .faults import error_body
from .formats import SIM_HEADER, encode
from .multistore import RouteError, no_default
from .oauth import OAuthApp

if TYPE_CHECKING:
    from .server import SimulatorServer
    from .site import StoreSite

API_PREFIX = "/api/2.0"
MAX_BODY = 1 << 20
TOKEN_PATH = "/api/1.0/token"  # noqa: S105 - a path, not a secret
OAUTH_PATHS = ("/connect", TOKEN_PATH, "/_sim/oauth/revoke")
TRICKLE_BYTES = 16


class ThreadedServer(ThreadingHTTPServer):
    """Threaded server that remembers open connections so stop() can close them."""

    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128

    def __init__(self, address: tuple[str, int], sim: SimulatorServer) -> None:
        """Bind to ``address`` and keep a reference to the owning simulator."""
        self.sim = sim
        self.connections: set[socket.socket] = set()
        self.conn_lock = threading.Lock()
        super().__init__(address, Handler)

    def process_request(self, request: Any, client_address: Any) -> None:
        """Track the connection, then handle it in a daemon thread."""
        with self.conn_lock:
            self.connections.add(request)
        super().process_request(request, client_address)

    def shutdown_request(self, request: Any) -> None:
        """Forget the connection as it closes."""
        with self.conn_lock:
            self.connections.discard(request)
        super().shutdown_request(request)

    def close_connections(self) -> None:
        """Shut down every open (keep-alive) connection."""
        with self.conn_lock:
            open_now = list(self.connections)
        for sock in open_now:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)

    def handle_error(self, request: Any, client_address: Any) -> None:
        """Stay quiet about clients that hung up; print anything else."""
        exc = sys.exc_info()[1]
        if isinstance(exc, ConnectionError | TimeoutError | OSError):
            return
        traceback.print_exc()


class Handler(BaseHTTPRequestHandler):
    """Routes /api/2.0 (auth, faults, rate limits) and /_sim/ (control)."""

    protocol_version = "HTTP/1.1"
    server_version = "lightspeed-dev-stand-in"
    sys_version = ""
    disable_nagle_algorithm = True
    timeout = 120
    server: ThreadedServer

    def version_string(self) -> str:
        """The ``Server`` header: clearly not Lightspeed."""
        return self.server_version

    def log_message(self, format: str, *args: Any) -> None:
        """No access log (the stand-in must not slow benchmarks with console output)."""

    def do_GET(self) -> None:
        """Handle GET."""
        self._route("GET")

    def do_POST(self) -> None:
        """Handle POST."""
        self._route("POST")

    def do_PUT(self) -> None:
        """Handle PUT (always refused)."""
        self._route("PUT")

    def do_DELETE(self) -> None:
        """Handle DELETE (always refused)."""
        self._route("DELETE")

    def _route(self, method: str) -> None:
        sim = self.server.sim
        parts = urlsplit(self.path)
        body = self._read_body()
        try:
            host = self.headers.get("X-Forwarded-Host") or self.headers.get("Host")
            site, path = sim.resolve(parts.path, host)
            if site is None:
                self._unprefixed(sim, method, path)
            elif site.oauth is not None and path in OAUTH_PATHS:
                self._oauth(site.oauth, method, path, parts.query, body)
            elif path == API_PREFIX or path.startswith(API_PREFIX + "/"):
                self._api(site, method, path[len(API_PREFIX) :] or "/", parts.query)
            elif path.startswith("/_sim/"):
                status, payload = control.handle(site, method, path, body)
                self._send(status, payload)
            else:
                self._send(404, api.NOT_FOUND)
        except RouteError as exc:
            self._send(exc.status, encode({"error": exc.message}))
        except (ConnectionError, TimeoutError):
            self.close_connection = True
        except Exception as exc:  # noqa: BLE001 - answer 500 instead of dropping the client
            traceback.print_exc()
            msg = simplejson.dumps({"error": f"stand-in internal error: {exc}"}).encode()
            self._send(500, msg)

    def _unprefixed(self, sim: SimulatorServer, method: str, path: str) -> None:
        """Several stores and no prefix: only the overall health answers."""
        if method == "GET" and path.rstrip("/") == "/_sim/health":
            self._send(200, encode(control.overview(sim.sites.values())))
            return
        self._send(404, encode({"error": no_default(list(sim.sites))}))

    def _oauth(self, app: OAuthApp, method: str, path: str, query: str, body: bytes) -> None:
        if path == "/connect" and method == "GET":
            status, where = app.authorize(query)
            if status != 302:
                self._send(status, simplejson.dumps({"error": where}).encode())
                return
            self.send_response(302)
            self.send_header("Location", where)
            self.send_header("Content-Length", "0")
            self.end_headers()
        elif path == TOKEN_PATH and method == "POST":
            self._send(*app.token(query, self.headers.get("Content-Type", ""), body))
        elif path == "/_sim/oauth/revoke" and method == "POST":
            app.revoke_all()
            self._send(200, b'{"revoked":true}')
        else:
            self._send(405, b'{"error":"Method not allowed"}')

    def _api(self, site: StoreSite, method: str, sub: str, query: str) -> None:
        decision = site.fault_engine.decide(self.headers.get("Authorization"), sub)
        if decision.delay:
            site.stopping.wait(decision.delay)
        status, body = decision.status, decision.body
        if status is None and any(sub.startswith(p) for p in site.config.down_paths):
            status, body = 503, error_body(503)
        if status is None:
            if method != "GET":
                status, body = 405, b'{"error":"Method not allowed"}'
            else:
                try:
                    status, body = api.handle(site.generate(), site.config, sub, query)
                except api.ApiError as exc:
                    status, body = exc.status, simplejson.dumps({"error": exc.message}).encode()
            if decision.malformed and status == 200:
                body = body[: max(1, len(body) // 2)]
        site.count_request(sub, status)
        self._send(status, body, decision.headers, trickle=decision.trickle)

    def _read_body(self) -> bytes:
        length = int(self.headers.get("Content-Length") or 0)
        if length <= 0:
            return b""
        if length > MAX_BODY:
            self.close_connection = True
            return self.rfile.read(MAX_BODY)
        return self.rfile.read(length)

    def _send(
        self,
        status: int,
        body: bytes,
        headers: list[tuple[str, str]] | None = None,
        trickle: float = 0.0,
    ) -> None:
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.send_header(*SIM_HEADER)
        for name, value in headers or ():
            self.send_header(name, value)
        self.end_headers()
        if not trickle:
            self.wfile.write(body)
            return
        sim = self.server.sim
        try:
            for start in range(0, len(body), TRICKLE_BYTES):
                self.wfile.write(body[start : start + TRICKLE_BYTES])
                self.wfile.flush()
                if sim.stopping.wait(trickle):
                    return
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True  # the client gave up on the slow answer
