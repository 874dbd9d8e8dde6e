"""`connect`: authorize this install as a Lightspeed app (OAuth) and keep its tokens in the DB."""

from __future__ import annotations

import argparse
import dataclasses
import os
import secrets
import sys
import threading
import time
import unicodedata
import webbrowser
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

from sync.cli.common import EXIT_FAILED, EXIT_OK, require_schema
from sync.config import Settings
from sync.engine.connection import app_token_store
from sync.errors import ErrorKind, SyncError
from sync.lightspeed.identity import missing_scopes, scope_list
from sync.lightspeed.oauth import TokenEndpoint, TokenSet, authorize_url, valid_prefix
from sync.runs import utcnow

REFUSED = "Refused a callback whose state does not match this connect (its code was not used)."
BAD_PREFIX = (
    "Refused the callback: its domain_prefix is not a Lightspeed store prefix (letters, digits "
    "and hyphens only), so its code was not used and nothing was sent. Run connect again."
)
# A client that connects and sends nothing must not hold the listener (or a thread) for long.
CALLBACK_SOCKET_SECONDS = 5.0


class _Callback(ThreadingHTTPServer):
    """One-shot listener for the redirect back from Lightspeed (a thread per connection)."""

    daemon_threads = True

    def __init__(self, port: int, state: str) -> None:
        self.state = state
        self.result: dict[str, str] | None = None
        self.claimed = threading.Lock()  # taken by the first callback with the right state
        super().__init__(("127.0.0.1", port), _Handler)


class _Handler(BaseHTTPRequestHandler):
    server: _Callback
    timeout = CALLBACK_SOCKET_SECONDS

    def log_message(self, format: str, *args: Any) -> None:
        """No access log: the query holds the code."""

    def do_GET(self) -> None:
        parts = urlsplit(self.path)
        params = _params(parts.query)
        if parts.path.rstrip("/") != "/callback":
            self._answer(404, "Not the callback.")
        elif not state_matches(params, self.server.state):
            print(REFUSED, file=sys.stderr, flush=True)
            self._answer(400, REFUSED)
        elif self.server.claimed.acquire(blocking=False):
            # Answer first: once `result` is set, connect may finish and exit.
            self._answer(200, "Received. The terminal says whether the store is connected.")
            self.server.result = params
        else:
            self._answer(409, "A callback was already received.")

    def _answer(self, status: int, text: str) -> None:
        body = text.encode()
        self.send_response(status)
        self.send_header("Content-Type", "text/plain; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


def _params(query: str) -> dict[str, str]:
    return {k: v[-1] for k, v in parse_qs(query, keep_blank_values=True).items()}


def state_matches(params: dict[str, str], state: str) -> bool:
    """The callback's `state` is the one this connect sent (compared in constant time).

    Compared as UTF-8 bytes: `compare_digest` refuses non-ASCII text with a TypeError.
    """
    given = params.get("state", "").encode("utf-8", "surrogateescape")
    return secrets.compare_digest(given, state.encode())


def printable(text: str, limit: int = 120) -> str:
    """`text` without control characters (no terminal escapes), cut to `limit` characters."""
    kept = "".join(ch for ch in text if not unicodedata.category(ch).startswith("C"))
    return kept[:limit] + ("…" if len(kept) > limit else "")


def refusal(params: dict[str, str], settings: Settings) -> str:
    """The sentence for a callback that carries no code (the owner declined, or scopes)."""
    error = printable(params.get("error", "")) or "no code"
    if params.get("error") == "access_denied":
        return (
            "Lightspeed refused the authorization (access_denied): either the store owner "
            "declined, or the app does not declare every scope this connect asked for ("
            f"{' '.join(settings.lightspeed_scopes)}). Declare them for the app in the "
            "Lightspeed developer portal (or set LIGHTSPEED_SCOPES to what it declares), then "
            "run connect again."
        )
    return f"Lightspeed did not authorize the app ({error}); run connect again."


def scope_problem(tokens: TokenSet) -> str | None:
    """The sentence naming the scopes the sync needs that the grant lacks (None: all there)."""
    if tokens.scope is None:
        return None
    missing = missing_scopes(tokens.scope)
    if not missing:
        return None
    granted = " ".join(scope_list(tokens.scope)) or "none"
    return (
        f"Lightspeed granted the scopes {granted}, but the sync also needs "
        f"{' '.join(missing)}: those entities will fail with 403. Declare them for the app in "
        "the developer portal, put them in LIGHTSPEED_SCOPES (or leave it unset), and run "
        "connect again."
    )


def _wait(server: _Callback, timeout: float) -> dict[str, str] | None:
    server.timeout = 0.5
    deadline = time.monotonic() + timeout
    while server.result is None and time.monotonic() < deadline:
        server.handle_request()
    return server.result


def _has_browser() -> bool:
    return sys.platform == "darwin" or bool(
        os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")
    )


def cmd_connect(settings: Settings, args: argparse.Namespace) -> int:
    """Authorize the app, exchange the code, store the tokens, say which store is connected."""
    if not (settings.lightspeed_client_id and settings.lightspeed_client_secret):
        raise SyncError(
            ErrorKind.CONFIG,
            "connect needs the app's LIGHTSPEED_CLIENT_ID and LIGHTSPEED_CLIENT_SECRET.",
            recovery="Create an app in the Lightspeed developer portal, register the redirect "
            "URI http://127.0.0.1:8765/callback, and put its id and secret in .env.",
        )
    if args.store:
        settings = _for_store(settings, args.store)
    tokens_store = app_token_store(settings, require_schema(settings))
    state = secrets.token_urlsafe(24)
    if args.print_url:
        redirect = settings.lightspeed_redirect_uri or f"http://127.0.0.1:{args.port}/callback"
        print(authorize_url(settings, redirect, state), flush=True)
        print("Open that URL, approve, then paste the address your browser was sent back to:")
        params = _params(urlsplit(sys.stdin.readline().strip()).query)
        if not state_matches(params, state):
            print(REFUSED, file=sys.stderr)
            return EXIT_FAILED
    else:
        server = _Callback(args.port, state)
        try:
            redirect = settings.lightspeed_redirect_uri or (
                f"http://127.0.0.1:{server.server_address[1]}/callback"
            )
            url = authorize_url(settings, redirect, state)
            print(f"Open this URL and approve the app:\n{url}", flush=True)
            if not args.no_browser and _has_browser():
                webbrowser.open(url)
            params = _wait(server, args.timeout)
        finally:
            server.server_close()
        if params is None:
            print(f"No callback arrived within {args.timeout:g} s; run connect again.")
            return EXIT_FAILED
    if "error" in params or not params.get("code"):
        print(refusal(params, settings))
        return EXIT_FAILED
    raw_prefix = params.get("domain_prefix")
    prefix = valid_prefix(raw_prefix)
    if raw_prefix and prefix is None:
        print(BAD_PREFIX, file=sys.stderr)
        return EXIT_FAILED
    configured = None if settings.lightspeed_base_url else settings.lightspeed_domain_prefix
    if prefix and configured and prefix != configured:
        print(
            f"The app was authorized for store {prefix}, but LIGHTSPEED_DOMAIN_PREFIX is "
            f"{configured}: fix one of them and run connect again (nothing was stored)."
        )
        return EXIT_FAILED
    if prefix and not settings.lightspeed_base_url and not configured:
        settings = dataclasses.replace(settings, lightspeed_domain_prefix=prefix)
        print(f"Put LIGHTSPEED_DOMAIN_PREFIX={prefix} in .env: syncs read that store.")
    tokens = TokenEndpoint(settings).exchange_code(params["code"], redirect)
    tokens_store.connect(tokens, utcnow())
    if args.store:
        _register_app_store(tokens_store.engine, args.store)
    expires = datetime.fromtimestamp(tokens.expires_at, UTC)
    store = valid_prefix(tokens.domain_prefix) or prefix or "(unnamed)"
    print(
        f"Connected to store {store} as an app; the access token expires at "
        f"{expires:%Y-%m-%d %H:%M:%S} UTC and is renewed automatically."
    )
    if settings.lightspeed_token:
        print("LIGHTSPEED_TOKEN is set and still wins: remove it from .env to sync as the app.")
    if tokens.scope is None:
        print("Lightspeed did not say which scopes it granted: `python -m sync check` tries each.")
    problem = scope_problem(tokens)
    if problem:
        print(problem)
        return EXIT_FAILED
    return EXIT_OK


def _for_store(settings: Settings, raw: str) -> Settings:
    """The settings of `connect --store PREFIX`: that store, reached as the app."""
    prefix = valid_prefix(raw)
    if prefix is None:
        raise SyncError(
            ErrorKind.CONFIG,
            f"{raw!r} is not a Lightspeed store prefix.",
            recovery="Use the 'mystore' of mystore.retail.lightspeed.app (letters, digits and "
            "hyphens).",
        )
    return dataclasses.replace(settings, lightspeed_domain_prefix=prefix, lightspeed_token=None)


def _register_app_store(engine: Any, prefix: str) -> None:
    """The connected store is in lightspeed_stores, reached as an app (its name is kept)."""
    from sync.storage.sql.store_admin import add_store, find_store
    from sync.storage.stores import StoreInfo

    row = find_store(engine, prefix)
    info = StoreInfo(prefix, row.name if row else prefix, "app", row.time_zone if row else None)
    add_store(engine, info, None, now=utcnow())
