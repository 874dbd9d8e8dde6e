"""What went wrong with a request to Lightspeed, as one `SyncError` whose text says what to do.

Statuses map to kinds (401/403 AUTH, 404 CONFIG, 429 RATE_LIMIT, others API), failures
of the connection to NETWORK or TIMEOUT; a 200 whose body is not the JSON we expect is a
`MalformedResponse`. Messages name header and parameter names only, never a secret.
"""

from __future__ import annotations

from dataclasses import dataclass

import requests
from urllib3.exceptions import (
    ConnectTimeoutError,
    MaxRetryError,
    NameResolutionError,
    NewConnectionError,
    ProtocolError,
    ReadTimeoutError,
)

from sync.config import SYNC_SCOPES
from sync.errors import ErrorKind, SyncError, redact
from sync.lightspeed.diagnosis import scope_for_path, unresolved_host_error
from sync.lightspeed.oauth import reconnect

# Statuses urllib3 retries before the client sees them.
RETRY_STATUSES = (429, 500, 502, 503, 504)


class MalformedResponse(SyncError):
    """A 200 response whose body is not the JSON we expect; keeps an excerpt for sync_rejects."""

    def __init__(self, message: str, excerpt: str, *, unparsable: bool = False) -> None:
        super().__init__(ErrorKind.API, message)
        self.excerpt = excerpt
        # Not JSON at all (a cut or garbled body): asking again may well succeed.
        self.unparsable = unparsable


@dataclass(frozen=True)
class Classifier:
    """Turns failed requests of one client into `SyncError`s (see the module docstring)."""

    base_url: str
    token: str
    app: bool  # an OAuth app (tokens renewable) rather than a personal token
    new_token_step: str  # Settings.new_token_step: where a new personal token goes
    connect_command: str  # Settings.connect_command: how the app is authorised again
    max_retries: int
    timeout: float

    @property
    def safe_base(self) -> str:
        """The API base URL without any secret."""
        return redact(self.base_url, self.token)

    def status_error(self, path: str, response: requests.Response) -> SyncError:
        """The error for an answer with status >= 400 (after retries, if any)."""
        status = response.status_code
        reason = error_text(response, self.token)
        if status == 401:
            return SyncError(
                ErrorKind.AUTH,
                f"Lightspeed refused the access token (401{reason}) on {path}.",
                recovery=(
                    reconnect(self.connect_command)
                    if self.app
                    else "The Lightspeed token was refused: create a new personal token with "
                    f"read scopes and {self.new_token_step}."
                ),
                status=status,
            )
        if status == 403:
            scope = scope_for_path(path)
            return SyncError(
                ErrorKind.AUTH,
                f"The access token may not read {path} (403{reason}): it lacks the scope {scope}.",
                recovery=(
                    f"Declare the scope {scope} for the app in the Lightspeed developer portal, "
                    f"then run `{self.connect_command}` again."
                    if self.app
                    else f"Give the token the scope {scope} (the sync needs all five: "
                    f"{' '.join(SYNC_SCOPES)}), then {self.new_token_step}."
                ),
                status=status,
            )
        if status == 404:
            return SyncError(
                ErrorKind.CONFIG,
                f"Lightspeed has no {path} at {self.safe_base} (404{reason}).",
                recovery="Check LIGHTSPEED_DOMAIN_PREFIX (or LIGHTSPEED_BASE_URL): it must name "
                "your store.",
                status=status,
            )
        if status == 429:
            return SyncError(
                ErrorKind.RATE_LIMIT,
                f"Lightspeed kept answering 429 Too Many Requests on {path} after "
                f"{self.max_retries} waits.",
                status=status,
            )
        return SyncError(
            ErrorKind.API,
            f"Lightspeed answered {status}{reason} on {path}"
            + (" after retries." if status in RETRY_STATUSES else "."),
            status=status,
        )

    def exception_error(self, path: str, exc: requests.RequestException) -> SyncError:
        """The error for a request that got no answer (name, connection, timeout)."""
        reason: BaseException | None = exc
        if exc.args and isinstance(exc.args[0], MaxRetryError):
            reason = exc.args[0].reason
        host = self.safe_base
        if isinstance(reason, NameResolutionError):
            return unresolved_host_error(self.base_url)
        # urllib3's NewConnectionError subclasses ConnectTimeoutError: test it first.
        if isinstance(reason, NewConnectionError):
            return SyncError(
                ErrorKind.NETWORK, f"Could not connect to {host} ({type(reason).__name__})."
            )
        if isinstance(exc, requests.Timeout) or isinstance(
            reason, ReadTimeoutError | ConnectTimeoutError
        ):
            return SyncError(
                ErrorKind.TIMEOUT,
                f"Lightspeed did not answer {path} within {self.timeout:g} s "
                f"({self.max_retries} retries).",
            )
        if isinstance(reason, ProtocolError) or isinstance(exc, requests.ConnectionError):
            return SyncError(
                ErrorKind.NETWORK,
                f"Could not connect to {host} ({type(reason).__name__}).",
            )
        return SyncError(
            ErrorKind.NETWORK, f"Request to {host}{path} failed ({type(exc).__name__})."
        )


def names_order(text: str) -> bool:
    """Does an error text speak of the answer's order (order_by, sort, sale_date)?"""
    lowered = text.lower()
    return any(word in lowered for word in ("order_by", "order by", "sort", "sale_date"))


def error_text(response: requests.Response, token: str) -> str:
    """A short, secret-free rendering of an error body: ' Access token is not valid'."""
    try:
        body = response.json()
    except ValueError:
        body = None
    text = ""
    if isinstance(body, dict):
        text = str(body.get("message") or body.get("error") or "")
    elif response.text:
        text = response.text
    text = " ".join(text.split())[:200]
    return f" {redact(text, token)}" if text else ""
