"""The health score, 0 to 100.

    score = floor(20 * S + 45 * F + 20 * R + 15 * V)

* S, scheduler liveness: 1 when a scheduler beat within 3 heartbeats and did not stop, else 0.
* F, freshness: the mean over the six entities of ok 1, warning 0.5, high 0.25, critical 0.
* R, reliability: the mean over the entities of max(0, 1 - consecutive failures / 3).
* V, verification: the latest reconciliation matched 1, none yet 0.5, error 0.25, mismatch 0.

Then two caps: any entity critically stale (over 4x its SLA) keeps the score at 59 at
most, and nothing synced yet gives 0. Only a fresh, alive, failure-free and reconciled
copy reaches 100 (floor keeps 99.9 at 99).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from sync.health.freshness import Freshness

WEIGHTS = {"scheduler": 20, "freshness": 45, "reliability": 20, "verification": 15}
FRESHNESS_CREDIT = {
    Freshness.OK: 1.0,
    Freshness.WARNING: 0.5,
    Freshness.HIGH: 0.25,
    Freshness.CRITICAL: 0.0,
}
VERIFICATION_CREDIT = {"matched": 1.0, None: 0.5, "error": 0.25, "mismatch": 0.0}
FAILURES_TO_ZERO = 3
CRITICAL_CAP = 59


@dataclass(frozen=True)
class ScoreInputs:
    """What the score looks at."""

    scheduler_alive: bool
    freshness: Sequence[Freshness]
    failure_streaks: Sequence[int]
    reconciliation: str | None  # status of the latest reconciliation, None when never run
    anything_synced: bool


def _mean(values: Sequence[float]) -> float:
    return sum(values) / len(values) if values else 0.0


def health_score(inputs: ScoreInputs) -> int:
    """The score of the module docstring."""
    if not inputs.anything_synced:
        return 0
    parts = {
        "scheduler": 1.0 if inputs.scheduler_alive else 0.0,
        "freshness": _mean([FRESHNESS_CREDIT[f] for f in inputs.freshness]),
        "reliability": _mean([max(0.0, 1 - n / FAILURES_TO_ZERO) for n in inputs.failure_streaks]),
        "verification": VERIFICATION_CREDIT.get(inputs.reconciliation, 0.25),
    }
    score = math.floor(sum(WEIGHTS[k] * v for k, v in parts.items()) + 1e-9)
    if Freshness.CRITICAL in inputs.freshness:
        score = min(score, CRITICAL_CAP)
    return max(0, min(100, score))
