"""HTTP plumbing of the development stand-in and the :class:`SimulatorServer` Python API."""

from __future__ import annotations

import contextlib
import socket
import sys
import threading
import traceback
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit

import simplejson

from . import api, control, mutations
from .config import SimulatorConfig
from .data import ENTITIES
from .faults import FaultEngine, error_body
from .formats import LABEL, SIM_HEADER
from .oauth import OAuthApp
from .store import Store

API_PREFIX = "/api/2.0"
LOOPBACK = ("127.0.0.1", "localhost")
MAX_BODY = 1 << 20
TOKEN_PATH = "/api/1.0/token"  # noqa: S105 - a path, not a secret
OAUTH_PATHS = ("/connect", TOKEN_PATH, "/_sim/oauth/revoke")


class _HTTPServer(ThreadingHTTPServer):
    """Threaded server that remembers open connections so stop() can close them."""

    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128

    def __init__(self, address: tuple[str, int], sim: SimulatorServer) -> None:
        """Bind to ``address`` and keep a reference to the owning simulator."""
        self.sim = sim
        self.connections: set[socket.socket] = set()
        self.conn_lock = threading.Lock()
        super().__init__(address, _Handler)

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


class _Handler(BaseHTTPRequestHandler):
    """Routes /api/2.0 (auth, faults, rate limits) and /_sim/ (control)."""

    protocol_version = "HTTP/1.1"
    server_version = "lightspeed-dev-stand-in"
    sys_version = ""
    disable_nagle_algorithm = True
    timeout = 120
    server: _HTTPServer

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
        path = parts.path
        body = self._read_body()
        try:
            if sim.oauth is not None and path in OAUTH_PATHS:
                self._oauth(sim.oauth, method, path, parts.query, body)
            elif path == API_PREFIX or path.startswith(API_PREFIX + "/"):
                self._api(sim, method, path[len(API_PREFIX) :] or "/", parts.query)
            elif path.startswith("/_sim/"):
                status, payload = control.handle(sim, method, path, body)
                self._send(status, payload)
            else:
                self._send(404, api.NOT_FOUND)
        except (ConnectionError, TimeoutError):
            self.close_connection = True
        except Exception as exc:  # noqa: BLE001 - answer 500 instead of dropping the client
            traceback.print_exc()
            msg = simplejson.dumps({"error": f"stand-in internal error: {exc}"}).encode()
            self._send(500, msg)

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

    def _api(self, sim: SimulatorServer, method: str, sub: str, query: str) -> None:
        decision = sim.fault_engine.decide(self.headers.get("Authorization"), sub)
        if decision.delay:
            sim.stopping.wait(decision.delay)
        status, body = decision.status, decision.body
        if status is None and any(sub.startswith(p) for p in sim.config.down_paths):
            status, body = 503, error_body(503)
        if status is None:
            if method != "GET":
                status, body = 405, b'{"error":"Method not allowed"}'
            else:
                try:
                    status, body = api.handle(sim.store, sim.config, sub, query)
                except api.ApiError as exc:
                    status, body = exc.status, simplejson.dumps({"error": exc.message}).encode()
            if decision.malformed and status == 200:
                body = body[: max(1, len(body) // 2)]
        sim.count_request(sub, status)
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
        sim: SimulatorServer = self.server.sim  # type: ignore[attr-defined]
        try:
            for start in range(0, len(body), TRICKLE_BYTES):
                self.wfile.write(body[start : start + TRICKLE_BYTES])
                self.wfile.flush()
                if sim.stopping.wait(trickle):
                    return
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True  # the client gave up on the slow answer


TRICKLE_BYTES = 16


class SimulatorServer:
    """A running Lightspeed API 2.0 development stand-in (not Lightspeed) on 127.0.0.1."""

    def __init__(
        self, config: SimulatorConfig | None = None, host: str = "127.0.0.1", port: int = 0
    ) -> None:
        """Prepare (nothing is generated or bound until :meth:`start`)."""
        if host not in LOOPBACK:
            raise ValueError("the development stand-in only binds to 127.0.0.1")
        self.config = config or SimulatorConfig()
        self.host = "127.0.0.1"
        self.port = port
        self.store: Store | None = None
        self.fault_engine = FaultEngine(self.config)
        self.oauth: OAuthApp | None = None
        if self.config.oauth_client_id:
            self.oauth = OAuthApp(
                self.config.oauth_client_id,
                self.config.oauth_client_secret,
                token_seconds=self.config.oauth_token_seconds,
                rotate=self.config.oauth_rotate,
                scopes=tuple(self.config.oauth_scopes),
            )
            self.fault_engine.accept_token = self.oauth.accepts
        self.stopping = threading.Event()
        self._stats = control.Stats()
        self._httpd: _HTTPServer | None = None
        self._thread: threading.Thread | None = None
        self._live_stop: threading.Event | None = None

    # --- lifecycle ----------------------------------------------------------------------------

    def start(self) -> SimulatorServer:
        """Generate the store (first time), bind and serve in a daemon thread."""
        if self._httpd is not None:
            return self
        if self.store is None:
            self.store = Store(
                self.config.seed,
                self.config.scale,
                self.config.anchor,
                self.config.outlet_time_zones,
                wall_clock=self.config.wall_clock,
            )
        self.stopping.clear()
        self._httpd = _HTTPServer((self.host, self.port), self)
        self.port = self._httpd.server_address[1]
        self._thread = threading.Thread(
            target=self._httpd.serve_forever,
            kwargs={"poll_interval": 0.1},
            name=f"lightspeed-stand-in:{self.port}",
            daemon=True,
        )
        self._thread.start()
        self._restart_live()
        return self

    def stop(self) -> None:
        """Stop live mode and the server, close open connections (idempotent)."""
        self.stopping.set()
        if self._live_stop is not None:
            self._live_stop.set()
            self._live_stop = None
        httpd, self._httpd = self._httpd, None
        if httpd is None:
            return
        httpd.shutdown()
        httpd.close_connections()
        httpd.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def __enter__(self) -> SimulatorServer:
        """Start serving."""
        return self.start()

    def __exit__(self, *exc: object) -> None:
        """Stop serving."""
        self.stop()

    def _restart_live(self) -> None:
        if self._live_stop is not None:
            self._live_stop.set()
            self._live_stop = None
        interval = self.config.live_interval
        if interval is None or self._httpd is None:
            return
        stop = threading.Event()
        self._live_stop = stop
        store = self._require_store()

        def loop() -> None:
            while not stop.wait(interval):
                mutations.live_tick(store)

        threading.Thread(target=loop, name="lightspeed-stand-in-live", daemon=True).start()

    # --- facts --------------------------------------------------------------------------------

    @property
    def url(self) -> str:
        """``http://127.0.0.1:PORT`` (after start)."""
        if self._httpd is None:
            raise RuntimeError("simulator not started")
        return f"http://{self.host}:{self.port}"

    @property
    def api_url(self) -> str:
        """The API base: ``url + "/api/2.0"``."""
        return self.url + API_PREFIX

    def counts(self) -> dict[str, int]:
        """Current record counts per entity."""
        return self._require_store().counts()

    def banner(self) -> str:
        """One line saying what this is, where it listens and how much data it holds."""
        counts = ", ".join(f"{n} {name}" for name, n in self.counts().items())
        return (
            f"{LABEL} (not Lightspeed) listening on {self.api_url} "
            f"(scale {self.config.scale}, seed {self.config.seed}: {counts}) "
            "- development stand-in, not Lightspeed"
            + (
                f"; OAuth app {self.oauth.client_id!r}: authorize at {self.url}/connect"
                if self.oauth is not None
                else ""
            )
        )

    # --- control (same as the /_sim/ endpoints) ----------------------------------------------

    def mutate(self, **spec: Any) -> dict[str, Any]:
        """Apply mutations (see POST /_sim/mutate); returns ``{"changed": {...}}``."""
        return mutations.apply(self._require_store(), spec)

    def set_faults(self, **changes: Any) -> dict[str, Any]:
        """Change fault/config fields (see POST /_sim/faults); returns the full config."""
        result = self.fault_engine.reconfigure(changes)
        if "live_interval" in changes:
            self._restart_live()
        return result

    def dump(self, entity: str) -> list[dict[str, Any]]:
        """Every current record of ``entity`` (deleted included), numbers as Decimal."""
        return self._dump(entity)["data"]

    def dump_bad(self, entity: str) -> list[dict[str, Any]]:
        """Records injected as bad into ``entity``'s stream."""
        return self._dump(entity)["bad"]

    def _dump(self, entity: str) -> dict[str, Any]:
        if entity not in ENTITIES:
            raise ValueError(f"unknown entity {entity!r}")
        return simplejson.loads(self._require_store().dump(entity), parse_float=Decimal)

    def stats(self) -> dict[str, Any]:
        """API request counts: total, by_path, by_status."""
        return self._stats.snapshot()

    def reset_stats(self) -> None:
        """Zero the request counts."""
        self._stats.reset()

    def count_request(self, path: str, status: int) -> None:
        """Count one answered /api/2.0 request."""
        self._stats.count(path, status)

    def _require_store(self) -> Store:
        if self.store is None:
            self.store = Store(
                self.config.seed,
                self.config.scale,
                self.config.anchor,
                self.config.outlet_time_zones,
                wall_clock=self.config.wall_clock,
            )
        return self.store
