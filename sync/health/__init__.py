"""The health model, pure (no I/O): colours, freshness SLAs, counts, score, verdict, data ready.

Modules: `colour` (the SPEC's green/yellow/red), `freshness` (SLA tiers), `counts`,
`score` (0-100, formula in its docstring), `overall` (HEALTHY/WARNING/CRITICAL),
`readiness` (data ready and its reasons), `stats` (success rate, streaks, MTTR, error
rates), `scheduler` (liveness, next run), `facts` (the loader's input) and `summary`
(all of them applied at once). The names below are the package's public surface.
"""

from __future__ import annotations

from sync.health.ages import format_age
from sync.health.colour import Colour, EntityHealth, Thresholds, entity_health
from sync.health.counts import StatusCounts, status_counts
from sync.health.facts import (
    HEALTH_ENTITIES,
    READY_ENTITIES,
    EntityReading,
    HealthFacts,
    ReconciliationReading,
    SchedulerReading,
)
from sync.health.freshness import Freshness, freshness_severity, tier_thresholds
from sync.health.overall import Overall, Verdict, overall, overall_verdict
from sync.health.readiness import BlockReason, Readiness, data_ready
from sync.health.scheduler import next_run_for, scheduler_alive, scheduler_liveness
from sync.health.score import Deduction, ScoreInputs, health_score, score_deductions
from sync.health.stats import consecutive_failures, error_rates, mttr, split_error, success_rate
from sync.health.summary import EntitySummary, HealthSummary, build_summary, sla_for, thresholds_of

__all__ = [
    "HEALTH_ENTITIES",
    "READY_ENTITIES",
    "BlockReason",
    "Colour",
    "Deduction",
    "EntityHealth",
    "EntityReading",
    "EntitySummary",
    "Freshness",
    "HealthFacts",
    "HealthSummary",
    "Overall",
    "Readiness",
    "ReconciliationReading",
    "SchedulerReading",
    "ScoreInputs",
    "StatusCounts",
    "Thresholds",
    "Verdict",
    "build_summary",
    "consecutive_failures",
    "data_ready",
    "entity_health",
    "error_rates",
    "format_age",
    "freshness_severity",
    "health_score",
    "mttr",
    "next_run_for",
    "overall",
    "overall_verdict",
    "scheduler_alive",
    "scheduler_liveness",
    "score_deductions",
    "sla_for",
    "split_error",
    "status_counts",
    "success_rate",
    "thresholds_of",
    "tier_thresholds",
]
