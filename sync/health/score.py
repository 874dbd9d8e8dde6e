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


def _parts(inputs: ScoreInputs) -> dict[str, float]:
    return {
        "scheduler": 1.0 if inputs.scheduler_alive else 0.0,
        "freshness": _mean([FRESHNESS_CREDIT[f] for f in inputs.freshness]),
        "reliability": _mean([max(0.0, 1 - n / FAILURES_TO_ZERO) for n in inputs.failure_streaks]),
        "verification": VERIFICATION_CREDIT.get(inputs.reconciliation, 0.25),
    }


def health_score(inputs: ScoreInputs) -> int:
    """The score of the module docstring."""
    if not inputs.anything_synced:
        return 0
    parts = _parts(inputs)
    score = math.floor(sum(WEIGHTS[k] * v for k, v in parts.items()) + 1e-9)
    if Freshness.CRITICAL in inputs.freshness:
        score = min(score, CRITICAL_CAP)
    return max(0, min(100, score))


@dataclass(frozen=True)
class Deduction:
    """Points the score lost, and why (`part`: scheduler, freshness, reliability,
    verification, critical or nothing)."""

    points: int
    part: str
    reconciliation: str | None = None


def score_deductions(inputs: ScoreInputs) -> tuple[Deduction, ...]:
    """What keeps the score under 100, largest first; the points add up to 100 - score."""
    if not inputs.anything_synced:
        return (Deduction(100, "nothing"),)
    lost = {k: WEIGHTS[k] * (1 - v) for k, v in _parts(inputs).items()}
    missing = 100 - health_score(inputs)
    whole = {k: math.floor(v) for k, v in lost.items()}
    # Hand out the points the floors dropped to the largest remainders first.
    capped = Freshness.CRITICAL in inputs.freshness
    spare = min(missing, math.ceil(sum(lost.values()) - 1e-9)) - sum(whole.values())
    for key in sorted(lost, key=lambda k: lost[k] - whole[k], reverse=True):
        if spare <= 0:
            break
        if lost[key] - whole[key] > 1e-9:
            whole[key] += 1
            spare -= 1
    found = [
        Deduction(n, k, inputs.reconciliation if k == "verification" else None)
        for k, n in whole.items()
        if n > 0
    ]
    rest = missing - sum(d.points for d in found)
    if capped and rest > 0:
        found.append(Deduction(rest, "critical"))
    return tuple(sorted(found, key=lambda d: -d.points))
