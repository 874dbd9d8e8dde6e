"""Rate limiting and injected faults for /api/2.0 requests (never for /_sim/ control calls)."""

from __future__ import annotations

import datetime as dt
import math
import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from email.utils import format_datetime
from typing import Any

from .config import SimulatorConfig

ERROR_BODIES = {
    400: b'{"error":"Please try again later."}',
    401: b'{"error":"Access token is not valid"}',
    403: b'{"error":"permission denied"}',
    404: b'{"error":"Not found"}',
    429: b'{"error":"Too Many Requests","message":"Rate limiting enforced"}',
    500: b'{"error":"Internal Server Error"}',
    502: b'{"error":"Bad Gateway"}',
    503: b'{"error":"Service Unavailable"}',
    504: b'{"error":"Gateway Timeout"}',
}


def http_date(epoch: float) -> str:
    """Epoch seconds (rounded up) as an HTTP date: ``Wed, 15 Jul 2020 15:04:05 GMT``."""
    return format_datetime(dt.datetime.fromtimestamp(math.ceil(epoch), dt.UTC), usegmt=True)


def error_body(status: int) -> bytes:
    """The JSON error body used for an injected status."""
    return ERROR_BODIES.get(status, b'{"error":"Simulated error %d"}' % status)


@dataclass
class Decision:
    """What to do with one API request."""

    status: int | None = None  # set: answer with this error instead of serving
    body: bytes = b""
    headers: list[tuple[str, str]] = field(default_factory=list)
    delay: float = 0.0
    malformed: bool = False
    trickle: float = 0.0  # > 0: send the body a few bytes at a time, this many s apart


class FaultEngine:
    """Decides per request: fail_next, auth, rate-limit window, 429 bursts, random faults."""

    def __init__(self, config: SimulatorConfig) -> None:
        """Start with a fresh window and an RNG seeded from ``config.fault_seed``."""
        self.config = config
        self.lock = threading.Lock()
        self.accept_token: Callable[[str], bool] | None = None  # OAuth mode's access tokens
        self.reset()

    def reset(self) -> None:
        """Reseed the RNG and restart the request counter and the rate-limit window."""
        with self.lock:
            self._reset()

    def reconfigure(self, changes: dict[str, Any]) -> dict[str, Any]:
        """Validate and apply config changes (ValueError if invalid), then reset; full config."""
        with self.lock:
            self.config.update(changes)
            self._reset()
            return self.config.to_dict()

    def _reset(self) -> None:
        self.rng = random.Random(self.config.fault_seed)
        self.request_no = 0
        self.burst_left = 0
        self.window_start: float | None = None
        self.window_count = 0

    def decide(self, authorization: str | None, path: str = "/") -> Decision:
        """Account for one /api/2.0 request (`path` below /api/2.0) and return how to answer it."""
        cfg = self.config
        with self.lock:
            now = time.time()
            self.request_no += 1
            u_error, u_timeout, u_malformed, u_pick = (self.rng.random() for _ in range(4))
            if self.window_start is None or now >= self.window_start + cfg.rate_window:
                self.window_start, self.window_count = now, 0
            window_end = self.window_start + cfg.rate_window
            decision = self._gate(cfg, authorization, path, now, window_end)
            if decision.status is None:
                if u_error < cfg.error_rate:
                    decision.status = (500, 502, 503)[int(u_pick * 3)]
                if u_timeout < cfg.timeout_rate:
                    decision.delay = cfg.timeout_delay
                decision.malformed = u_malformed < cfg.malformed_rate
                # Drawn only when on, so other seeded fault sequences stay as they were.
                if cfg.trickle_rate and self.rng.random() < cfg.trickle_rate:
                    decision.trickle = cfg.trickle_delay
            remaining = max(0, cfg.rate_limit - self.window_count)
            decision.headers[:0] = [
                ("X-RateLimit-Limit", str(cfg.rate_limit)),
                ("X-RateLimit-Remaining", str(remaining)),
            ]
            if cfg.rate_limit_reset_header:
                decision.headers.append(("X-RateLimit-Reset", str(math.ceil(window_end))))
        if decision.status is not None and not decision.body:
            decision.body = error_body(decision.status)
        return decision

    def _app_token_ok(self, authorization: str | None) -> bool:
        if self.accept_token is None or not authorization:
            return False
        scheme, _, token = authorization.strip().partition(" ")
        return scheme.lower() == "bearer" and self.accept_token(token.strip())

    def _gate(
        self,
        cfg: SimulatorConfig,
        authorization: str | None,
        path: str,
        now: float,
        window_end: float,
    ) -> Decision:
        """Deterministic refusals, in order: fail_next, auth, forbidden, quota, 429 burst."""
        if cfg.fail_next:
            status = cfg.fail_next.pop(0)
            headers = (
                [("Retry-After", http_date(now + cfg.retry_after_seconds))] if status == 429 else []
            )
            return Decision(status=status, headers=headers)
        if cfg.auth_fail or not (
            _token_ok(cfg.token, authorization) or self._app_token_ok(authorization)
        ):
            return Decision(status=401)
        if cfg.forbidden or path.rstrip("/") in cfg.forbidden_paths:
            # A token without the scope of this endpoint (e.g. no inventory:read).
            return Decision(status=403)
        if self.window_count >= cfg.rate_limit:
            return Decision(status=429, headers=[("Retry-After", http_date(window_end))])
        self.window_count += 1
        in_burst = self.burst_left > 0
        if in_burst:
            self.burst_left -= 1
        elif cfg.burst_429_every and self.request_no % cfg.burst_429_every == 0:
            self.burst_left = cfg.burst_429_length - 1
            in_burst = True
        if in_burst:
            retry = http_date(now + cfg.retry_after_seconds)
            return Decision(status=429, headers=[("Retry-After", retry)])
        return Decision()


def _token_ok(expected: str | None, authorization: str | None) -> bool:
    if not authorization:
        return False
    scheme, _, token = authorization.strip().partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token:
        return False
    return not expected or token == expected
