"""The access token of a connected app, refreshed single-flight across processes.

To refresh: lock the token row, re-read it, refresh only if still needed, and store the new
refresh token before the new access token is used. A refused refresh (`invalid_grant`) is
tried once more from a fresh read, since another process may have rotated it meanwhile.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from sync.config import Settings
from sync.errors import ErrorKind, SyncError
from sync.lightspeed.oauth import (
    NOT_CONNECTED,
    InvalidGrant,
    TokenEndpoint,
    TokenSet,
    TokenStore,
    reconnect_error,
)


class AppTokens:
    """A `TokenSource` for the client: `current()` before a request, `renew()` after a 401."""

    def __init__(
        self,
        settings: Settings,
        store: TokenStore,
        endpoint: TokenEndpoint | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.store = store
        self.endpoint = endpoint or TokenEndpoint(settings, clock=clock)
        self.clock = clock
        self.bootstrap = settings.lightspeed_refresh_token
        self._tokens: TokenSet | None = None
        self._lock = threading.Lock()

    def current(self) -> str:
        """A usable access token, refreshed about 2 minutes before it expires."""
        with self._lock:
            tokens = self._tokens or self.store.load()
            if tokens is None or tokens.needs_refresh(self.clock()):
                tokens = self._refresh(rejected=None)
            self._tokens = tokens
            return tokens.access_token

    def renew(self, rejected: str) -> str:
        """A new access token after Lightspeed refused `rejected` (401)."""
        with self._lock:
            self._tokens = self._refresh(rejected=rejected)
            return self._tokens.access_token

    def _refresh(self, rejected: str | None) -> TokenSet:
        try:
            return self._refresh_locked(rejected, refused=None)
        except InvalidGrant as exc:
            return self._refresh_locked(rejected, refused=exc.refresh_token)

    def _refresh_locked(self, rejected: str | None, refused: str | None) -> TokenSet:
        with self.store.locked() as row:
            stored = row.read()
            if stored is None:
                if not self.bootstrap:
                    raise SyncError(ErrorKind.AUTH, NOT_CONNECTED, recovery=NOT_CONNECTED)
                # LIGHTSPEED_REFRESH_TOKEN: used once, to fill the empty row.
                stored = TokenSet("", self.bootstrap, expires_at=0, refreshed_at=0)
            if refused is not None and stored.refresh_token == refused:
                raise reconnect_error()
            usable = stored.access_token and stored.access_token != rejected
            if usable and not stored.needs_refresh(self.clock()):
                return stored  # another process refreshed it meanwhile
            try:
                fresh = self.endpoint.refresh(stored)
            except InvalidGrant:
                raise InvalidGrant(stored.refresh_token) from None
            row.write(fresh)
            return fresh
