"""Lightspeed as an OAuth app: the authorize URL, the token endpoint, and the token store protocol.

The tokens live in the database, which this layer may not import: `TokenStore` is the
small protocol it needs, implemented by `sync.storage.sql.tokens`.
"""

from __future__ import annotations

import ipaddress
import re
import time
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from typing import Any, Protocol
from urllib.parse import quote, urlencode, urlsplit

import requests

from sync.config import Settings
from sync.errors import ErrorKind, SyncError, redact
from sync.lightspeed.diagnosis import STORE_DOMAIN
from sync.lightspeed.identity import USER_AGENT


def reconnect(command: str = "python -m sync connect") -> str:
    """What to do when Lightspeed refuses the app's tokens; `command`: the store's own
    `connect` (Settings.connect_command)."""
    return f"Lightspeed no longer accepts this app's authorization: run `{command}` again."


RECONNECT = reconnect()


NOT_CONNECTED = "The app is not connected to a store yet: run `python -m sync connect` once."


@dataclass(frozen=True)
class TokenSet:
    """What the token endpoint gave us (secrets out of repr)."""

    access_token: str = field(repr=False)
    refresh_token: str = field(repr=False)
    expires_at: int  # epoch seconds (Lightspeed's `expires`)
    refreshed_at: int
    domain_prefix: str | None = None
    scope: str | None = None

    def needs_refresh(self, now: float) -> bool:
        """True about 2 minutes before expiry (half the lifetime for very short tokens)."""
        margin = min(120.0, max(0.0, (self.expires_at - self.refreshed_at) / 2))
        return now >= self.expires_at - margin


class TokenRow(Protocol):
    """The token row, locked for the duration of a `TokenStore.locked()` block."""

    def read(self) -> TokenSet | None:
        """The stored tokens, or None when no app is connected."""
        ...

    def write(self, tokens: TokenSet) -> None:
        """Replace the stored tokens (committed when the block ends without error)."""
        ...


class TokenStore(Protocol):
    """Where the app's tokens live: one row, lockable across processes."""

    def load(self) -> TokenSet | None:
        """The stored tokens without locking."""
        ...

    def locked(self) -> AbstractContextManager[TokenRow]:
        """A transaction holding the row lock (FOR UPDATE / BEGIN IMMEDIATE)."""
        ...


class TokenSource(Protocol):
    """What the client asks for bearer tokens (implemented by sync.lightspeed.tokens.AppTokens)."""

    def current(self) -> str:
        """A usable access token (refreshed shortly before it expires)."""
        ...

    def renew(self, rejected: str) -> str:
        """A new access token after Lightspeed refused `rejected`."""
        ...


class InvalidGrant(SyncError):
    """The token endpoint refused the code or refresh token (revoked, used, expired)."""

    def __init__(self, refresh_token: str | None = None) -> None:
        super().__init__(ErrorKind.AUTH, RECONNECT, recovery="Run `python -m sync connect` again.")
        self.refresh_token = refresh_token  # which one was refused (never shown)


def reconnect_error() -> SyncError:
    """The final AUTH failure of an app whose authorization is gone."""
    return SyncError(ErrorKind.AUTH, RECONNECT, recovery="Run `python -m sync connect` again.")


# A store prefix as Lightspeed issues them: the same rule as LIGHTSPEED_DOMAIN_PREFIX.
_PREFIX_RE = re.compile(r"^[a-z0-9][a-z0-9-]{0,62}$")
_LOOPBACK_NAMES = ("localhost",)


def valid_prefix(value: str | None) -> str | None:
    """`value` lower-cased when it is a store prefix (letters, digits, hyphens), else None.

    The callback's `domain_prefix` is whatever the address bar held: it decides where the
    client secret is sent, so nothing else may pass.
    """
    if not value:
        return None
    prefix = value.lower()
    return prefix if _PREFIX_RE.fullmatch(prefix) else None


def authorize_url(settings: Settings, redirect_uri: str, state: str) -> str:
    """The page the store owner opens to grant the app access (scopes required since 2026-06)."""
    query = urlencode(
        {
            "response_type": "code",
            "client_id": settings.lightspeed_client_id or "",
            "redirect_uri": redirect_uri,
            "state": state,
            "scope": " ".join(settings.lightspeed_scopes),
        },
        quote_via=quote,  # scopes separated by %20, not '+'
    )
    return f"{settings.lightspeed_authorize_url}?{query}"


def is_loopback(url: str | None) -> bool:
    """True for an http(s) URL whose host is this machine (the simulator, tests)."""
    if not url:
        return False
    host = urlsplit(url).hostname or ""
    if host in _LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def checked_token_url(settings: Settings) -> str:
    """The token endpoint, refused unless it is the store's own host (or a local simulator).

    The client secret is posted there: its host must be exactly
    `{LIGHTSPEED_DOMAIN_PREFIX}.retail.lightspeed.app` over https, except for a simulator
    on loopback (LIGHTSPEED_BASE_URL pointing at this machine).
    """
    url = settings.token_url
    parts = urlsplit(url)
    prefix = valid_prefix(settings.lightspeed_domain_prefix)
    store_host = prefix is not None and parts.hostname == f"{prefix}.{STORE_DOMAIN}"
    plain = parts.port in (None, 443) and not parts.username and not parts.password
    if store_host and parts.scheme == "https" and plain:
        return url
    if is_loopback(settings.lightspeed_base_url) and is_loopback(url):
        return url
    raise SyncError(
        ErrorKind.CONFIG,
        "Refused to send the app's secret to a token endpoint that is not the store's own "
        f"https://<prefix>.{STORE_DOMAIN}.",
        recovery="Set LIGHTSPEED_DOMAIN_PREFIX to your store's prefix and leave "
        "LIGHTSPEED_TOKEN_URL unset (it is for a local simulator only).",
    )


class TokenEndpoint:
    """POSTs form-encoded grants to the token URL (never query parameters)."""

    def __init__(
        self,
        settings: Settings,
        session: requests.Session | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.url = checked_token_url(settings)
        self.client_id = settings.lightspeed_client_id or ""
        self.client_secret = settings.lightspeed_client_secret or ""
        self.timeout = settings.http_timeout_seconds
        self.session = session or requests.Session()
        self.clock = clock

    def exchange_code(self, code: str, redirect_uri: str) -> TokenSet:
        """Trade an authorization code for tokens."""
        form = {"grant_type": "authorization_code", "code": code, "redirect_uri": redirect_uri}
        return self._post(form, previous=None)

    def refresh(self, tokens: TokenSet) -> TokenSet:
        """New tokens for `tokens.refresh_token`; keeps it when the answer has none."""
        form = {"grant_type": "refresh_token", "refresh_token": tokens.refresh_token}
        return self._post(form, previous=tokens)

    def _post(self, form: dict[str, str], previous: TokenSet | None) -> TokenSet:
        form = {**form, "client_id": self.client_id, "client_secret": self.client_secret}
        secrets = (self.client_secret, *form.values())
        try:
            response = self.session.post(
                self.url,
                data=form,
                timeout=self.timeout,
                headers={"Accept": "application/json", "User-Agent": USER_AGENT},
            )
        except requests.RequestException as exc:
            raise SyncError(
                ErrorKind.NETWORK,
                f"Could not reach the Lightspeed token endpoint ({type(exc).__name__}).",
            ) from None
        body = _json(response)
        if response.status_code == 400 and body.get("error") == "invalid_grant":
            raise InvalidGrant()
        if response.status_code in (400, 401) and body.get("error") == "invalid_client":
            raise SyncError(
                ErrorKind.CONFIG,
                "Lightspeed refused the app's credentials (invalid_client).",
                recovery="Check LIGHTSPEED_CLIENT_ID and LIGHTSPEED_CLIENT_SECRET.",
            )
        if response.status_code >= 400 or not body.get("access_token"):
            text = redact(" ".join(str(body.get("error") or response.text).split())[:200], *secrets)
            raise SyncError(
                ErrorKind.AUTH if response.status_code in (400, 401, 403) else ErrorKind.API,
                f"The Lightspeed token endpoint answered {response.status_code} {text}".strip()
                + ".",
            )
        return _token_set(body, previous, now=self.clock())


def _json(response: requests.Response) -> dict[str, Any]:
    try:
        body = response.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


def _token_set(body: dict[str, Any], previous: TokenSet | None, now: float) -> TokenSet:
    expires = body.get("expires")
    if expires is None:
        expires = now + float(body.get("expires_in") or 0)
    refresh = body.get("refresh_token") or (previous.refresh_token if previous else None)
    if not refresh:
        raise SyncError(ErrorKind.AUTH, "Lightspeed's token answer carried no refresh token.")
    tokens = TokenSet(
        access_token=str(body["access_token"]),
        refresh_token=str(refresh),
        expires_at=int(expires),
        refreshed_at=int(now),
        domain_prefix=body.get("domain_prefix") or (previous.domain_prefix if previous else None),
        scope=body.get("scope") or (previous.scope if previous else None),
    )
    return tokens
