"""Response times of a client's requests, so that each run can report its own mean and p95."""

from __future__ import annotations

import threading
from collections import deque

#: Kept per client; a run with more requests reports on its latest ones.
KEPT = 50_000


class RequestTimings:
    """Every request's time in ms, numbered; a run reads the ones after its mark."""

    def __init__(self, kept: int = KEPT) -> None:
        self._times: deque[tuple[int, float]] = deque(maxlen=kept)
        self._count = 0
        self._lock = threading.Lock()

    def record(self, ms: float) -> None:
        """Note one request's time."""
        with self._lock:
            self._times.append((self._count, ms))
            self._count += 1

    def mark(self) -> int:
        """A mark for `since`: requests recorded after it belong to the caller's run."""
        with self._lock:
            return self._count

    def since(self, mark: int) -> list[float]:
        """The times recorded after `mark`."""
        with self._lock:
            return [ms for n, ms in self._times if n >= mark]


def mean_and_p95(times: list[float]) -> tuple[float | None, float | None]:
    """(mean, 95th percentile) in ms; (None, None) without any request."""
    if not times:
        return None, None
    if len(times) == 1:
        return times[0], times[0]
    import statistics  # pulls in fractions and decimal: only a run with 2+ requests needs it

    p95 = statistics.quantiles(times, n=20, method="inclusive")[-1]
    return statistics.fmean(times), p95
