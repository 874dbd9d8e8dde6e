"""The scheduler's plan: which jobs the settings ask for (pure, tested without a clock)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from sync.config import Settings
from sync.entities import ENTITIES


@dataclass(frozen=True)
class JobSpec:
    """One scheduled job: every `minutes`, or daily `at` local time."""

    name: str
    entities: tuple[str, ...]
    full: bool = False
    minutes: int | None = None
    at: str | None = None
    maintenance: bool = False  # reconcile yesterday + prune old history, not a sync


def plan_jobs(settings: Settings) -> list[JobSpec]:
    """The jobs the settings ask for (pure: tested without a clock)."""
    all_names = [spec.name for spec in ENTITIES]
    overridden = dict(settings.sync_interval_overrides)
    jobs = []
    default = tuple(n for n in all_names if n not in overridden)
    if default:
        label = "all" if len(default) == len(all_names) else ", ".join(default)
        jobs.append(
            JobSpec(f"incremental: {label}", default, minutes=settings.sync_interval_minutes)
        )
    for entity, minutes in settings.sync_interval_overrides:
        jobs.append(JobSpec(f"incremental: {entity}", (entity,), minutes=minutes))
    if settings.nightly_full_time and settings.nightly_full_entities:
        names = ", ".join(settings.nightly_full_entities)
        jobs.append(
            JobSpec(
                f"nightly full: {names}",
                settings.nightly_full_entities,
                full=True,
                at=settings.nightly_full_time,
            )
        )
    if settings.nightly_full_time:
        # Registered after the full pass: schedule runs jobs due together in order.
        jobs.append(
            JobSpec(
                "nightly reconcile + prune", (), at=settings.nightly_full_time, maintenance=True
            )
        )
    return jobs


def aware_utc(naive_local: datetime | None) -> datetime | None:
    """A time of the `schedule` library (naive, this host's local time) in UTC."""
    return None if naive_local is None else naive_local.astimezone().astimezone(UTC)
