"""Status counts: how many entities are healthy (green), delayed (yellow) or in error (red)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict, dataclass

from sync.health.colour import Colour


@dataclass(frozen=True)
class StatusCounts:
    healthy: int = 0
    delayed: int = 0
    error: int = 0

    def as_json(self) -> dict[str, int]:
        """{"healthy": n, "delayed": n, "error": n}."""
        return asdict(self)


def status_counts(colours: Iterable[Colour]) -> StatusCounts:
    """Green is healthy, yellow delayed, red (failed, never synced or too old) an error."""
    seen = list(colours)
    return StatusCounts(
        healthy=seen.count(Colour.GREEN),
        delayed=seen.count(Colour.YELLOW),
        error=seen.count(Colour.RED),
    )
