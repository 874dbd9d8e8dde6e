"""A settable clock for tests: code under test takes a `clock` callable instead of now()."""

from __future__ import annotations

from datetime import datetime, timedelta


class Clock:
    """Returns `now`; `advance(minutes=5)` moves it forward."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)
