"""The rate budget: read X-RateLimit-* headers and space requests so the quota lasts."""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Mapping


class RatePacer:
    """Spreads requests so the X-RateLimit quota is never exhausted.

    Below a reserve of the quota, each request waits `time left in window / remaining`,
    so the remaining calls last until the window resets. The window end comes from
    `X-RateLimit-Reset` when sent, else the whole documented window is assumed.
    """

    def __init__(
        self,
        window_seconds: float = 300.0,
        reserve_fraction: float = 0.2,
        clock: Callable[[], float] = time.monotonic,
        wall_clock: Callable[[], float] = time.time,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.window_seconds = window_seconds
        self.reserve_fraction = reserve_fraction
        self.clock = clock
        self.wall_clock = wall_clock
        self.sleep = sleep
        self.limit: int | None = None
        self.remaining: int | None = None
        self.reset_epoch: float | None = None
        self._last_request: float | None = None
        self.waited_seconds = 0.0

    def observe(self, headers: Mapping[str, str]) -> None:
        """Read the rate-limit headers of a response."""
        self.limit = _int_header(headers, "X-RateLimit-Limit", self.limit)
        self.remaining = _int_header(headers, "X-RateLimit-Remaining", self.remaining)
        reset = _int_header(headers, "X-RateLimit-Reset", None)
        # Some APIs send seconds-until-reset, others an epoch: tell them apart by size.
        if reset is not None:
            self.reset_epoch = float(reset) if reset > 10**9 else self.wall_clock() + reset
        else:
            self.reset_epoch = None

    def delay(self) -> float:
        """Seconds to leave between the previous request and the next one."""
        if self.limit is None or self.remaining is None:
            return 0.0
        reserve = max(2, math.ceil(self.limit * self.reserve_fraction))
        if self.remaining > reserve:
            return 0.0
        if self.reset_epoch is not None:
            left = max(0.0, self.reset_epoch - self.wall_clock())
        else:
            left = self.window_seconds
        return left / max(self.remaining, 1)

    def wait(self) -> None:
        """Sleep as long as `delay` asks, counted from the previous request."""
        now = self.clock()
        if self._last_request is not None:
            pause = self.delay() - (now - self._last_request)
            if pause > 0:
                self.waited_seconds += pause
                self.sleep(pause)
        self._last_request = self.clock()


def _int_header(headers: Mapping[str, str], name: str, default: int | None) -> int | None:
    value = headers.get(name)
    if value is None:
        return default
    try:
        return int(float(value))
    except ValueError:
        return default
