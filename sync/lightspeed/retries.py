"""Retries in our words: one plain line per retry; no retries for a name that does not exist.

urllib3 logs each retry itself (with the Retry object's repr); `sync.logs` keeps those lines in
the log file and out of the console, and this module says the same thing the way a person would:
"outlets: Lightspeed did not answer (503), retrying in 4 s (2/6)".
"""

from __future__ import annotations

import logging
import re
import socket
import threading
import time
from typing import Any
from urllib.parse import urlsplit

from urllib3.exceptions import (
    ConnectTimeoutError,
    InvalidHeader,
    MaxRetryError,
    NameResolutionError,
    NewConnectionError,
    ProtocolError,
    ReadTimeoutError,
)
from urllib3.util.retry import Retry

from sync.lightspeed.pacing import RatePacer

log = logging.getLogger("sync.lightspeed.transport")

# A temporary lookup failure (EAI_AGAIN) may pass: retried this often, not more.
NAME_LOOKUP_RETRIES = 2
_UNKNOWN_NAME = {getattr(socket, n) for n in ("EAI_NONAME", "EAI_NODATA") if hasattr(socket, n)}


class QuietRetry(Retry):
    """urllib3 Retry that logs one line per retry and never retries an unknown host name."""

    def increment(
        self,
        method: str | None = None,
        url: str | None = None,
        response: Any = None,
        error: Exception | None = None,
        _pool: Any = None,
        _stacktrace: Any = None,
    ) -> Retry:
        if isinstance(error, NameResolutionError) and self._give_up_on_name(error):
            raise MaxRetryError(_pool, url or "", error) from error
        retry = super().increment(method, url, response, error, _pool, _stacktrace)
        log.info(
            "%s: %s, retrying in %s (%d/%d)",
            request_label(url),
            what_failed(response, error),
            _seconds(_delay(retry, response)),
            len(retry.history),
            len(retry.history) + (retry.total if isinstance(retry.total, int) else 0),
        )
        return retry

    def _give_up_on_name(self, error: NameResolutionError) -> bool:
        cause = error.__cause__
        if isinstance(cause, socket.gaierror) and cause.errno in _UNKNOWN_NAME:
            return True  # the name does not exist: asking again in 30 s will not create it
        earlier = sum(isinstance(h.error, NameResolutionError) for h in self.history)
        return earlier >= NAME_LOOKUP_RETRIES


class CountingRetry(QuietRetry):
    """A QuietRetry that counts every failed attempt, caps a long Retry-After and tells the
    pacer of a 429."""

    attempts: list[int]
    max_retry_after: float
    pacer: RatePacer | None = None
    # When each thread's latest wait between attempts ended (time.monotonic()).
    resumed: dict[int, float]

    def new(self, **kw: Any) -> CountingRetry:
        retry = super().new(**kw)
        retry.attempts = self.attempts
        retry.max_retry_after = self.max_retry_after
        retry.pacer = self.pacer
        retry.resumed = self.resumed
        return retry

    def sleep(self, response: Any = None) -> None:
        super().sleep(response)
        # The next attempt starts now: a reply's deadline counts from here, not from before
        # a Retry-After wait (a 2-s wait used up a 2-s deadline: "sent too slowly").
        self.resumed[threading.get_ident()] = time.monotonic()

    def increment(self, *args: Any, **kwargs: Any) -> Retry:
        self.attempts[0] += 1
        response = kwargs.get("response", args[2] if len(args) > 2 else None)
        if response is not None and response.status == 429 and self.pacer is not None:
            # Our count was wrong (another host, a lost claim): every caller waits as well.
            try:
                seconds = self.get_retry_after(response)
            except InvalidHeader:
                seconds = None
            self.pacer.hold_for(seconds)
        return super().increment(*args, **kwargs)

    def get_retry_after(self, response: Any) -> float | None:
        seconds = super().get_retry_after(response)
        return None if seconds is None else min(seconds, self.max_retry_after)


def request_label(url: str | None) -> str:
    """`/api/2.0/outlets?after=0` → `outlets` (the endpoint, no parameters)."""
    path = urlsplit(url or "").path.rstrip("/")
    return path.rsplit("/", 1)[-1] or "request"


def what_failed(response: Any, error: Exception | None) -> str:
    """A short, secret-free description of one failed attempt."""
    if response is not None and getattr(response, "status", None):
        if response.status == 429:
            return "Lightspeed's rate limit was reached (429)"
        return f"Lightspeed did not answer ({response.status})"
    if isinstance(error, NameResolutionError):
        return "the Lightspeed host name could not be looked up"
    if isinstance(error, NewConnectionError):
        return f"could not connect to Lightspeed ({_errno_text(error)})"
    if isinstance(error, ConnectTimeoutError):
        return "could not connect to Lightspeed in time"
    if isinstance(error, ReadTimeoutError):
        return "Lightspeed did not answer in time"
    if isinstance(error, ProtocolError):
        return "the connection to Lightspeed broke"
    return f"the request failed ({type(error).__name__})"


def _errno_text(error: Exception) -> str:
    match = re.search(r"\[Errno -?\d+\] ([^'\"]+)", str(error))
    return match.group(1).strip().lower() if match else type(error).__name__


def _delay(retry: Retry, response: Any) -> float:
    """What urllib3 is about to sleep: Retry-After if the answer has one, else the back-off."""
    if response is not None and retry.respect_retry_after_header:
        try:
            after = retry.get_retry_after(response)
        except InvalidHeader:
            after = None
        if after:
            return after
    return retry.get_backoff_time()


def _seconds(value: float) -> str:
    return f"{value:.0f} s" if value >= 1 else f"{value:.1f} s"
