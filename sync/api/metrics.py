"""/metrics: a Prometheus collector that reads the database at scrape time.

It lives in a private registry (no process or Python metrics of this process), and a
database that does not answer gives `lightspeed_sync_db_up 0` instead of an error.
Labels are store, entity, status, severity and version only: never run ids or error texts.
Every series about a store's copy carries `store` (its domain prefix), even with one store,
so alert rules join on (store, entity); the database, the build and the scheduler's
heartbeat (one table for every store) carry none. Series: stores x entities x statuses.
"""

from __future__ import annotations

import logging
from collections.abc import Collection, Iterator, Mapping
from datetime import datetime

from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import (
    CounterMetricFamily,
    GaugeMetricFamily,
    InfoMetricFamily,
    Metric,
)
from prometheus_client.registry import Collector

from sync import __version__
from sync.api.context import ApiContext
from sync.api.summary import load_snapshots
from sync.config import Settings
from sync.errors import SyncError
from sync.health import Freshness, tier_thresholds
from sync.health.reading import summarize
from sync.health.snapshot import RunLogSnapshot
from sync.runs import FINISHED
from sync.storage.sql.stores import list_stores

log = logging.getLogger(__name__)
NS = "lightspeed_sync"
# Every family a scrape carries (the names Prometheus shows; counters gain _total).
FAMILIES = (
    f"{NS}_build_info",
    f"{NS}_db_up",
    f"{NS}_last_success_timestamp_seconds",
    f"{NS}_last_run_duration_seconds",
    f"{NS}_last_run_records",
    f"{NS}_consecutive_failures",
    f"{NS}_run_peak_memory_bytes",
    f"{NS}_freshness_threshold_seconds",
    f"{NS}_entity_stale",
    f"{NS}_runs_total",
    f"{NS}_alert_incidents_open",
    f"{NS}_health_score",
    f"{NS}_data_ready",
    f"{NS}_scheduler_last_heartbeat_timestamp_seconds",
)
# The families without a `store` label: about the API, its database or every store at once.
GLOBAL_FAMILIES = frozenset(
    {
        f"{NS}_build_info",
        f"{NS}_db_up",
        f"{NS}_scheduler_last_heartbeat_timestamp_seconds",
    }
)


def scraped_stores(ctx: ApiContext, only: Collection[str] | None = None) -> dict[str, str | None]:
    """Prefix -> recorded time zone of each store a scrape reports: the enabled stores of
    the database (and the API host's store before it has a row), limited to `only`.

    A disabled store is not synced, so its series go away rather than turn stale.
    """
    rows = list_stores(ctx.engine)
    found: dict[str, str | None] = {}
    if all(row.prefix != ctx.store for row in rows):
        found[ctx.store] = None
    for row in rows:
        if row.enabled:
            found[row.prefix] = row.time_zone
    if only is not None:
        found = {prefix: zone for prefix, zone in found.items() if prefix in only}
    return found


class HealthCollector(Collector):
    """Yields every lightspeed_sync_* family from one read of each store's run log."""

    def __init__(self, ctx: ApiContext, stores: Collection[str] | None = None) -> None:
        self.ctx = ctx
        self.stores = stores

    def collect(self) -> Iterator[Metric]:
        info = InfoMetricFamily(f"{NS}_build", "Version of Lightspeed Sync & Health.")
        info.add_metric([], {"version": __version__})
        yield info
        up = GaugeMetricFamily(f"{NS}_db_up", "1 when the database answered this scrape.")
        try:
            snaps = load_snapshots(self.ctx, scraped_stores(self.ctx, self.stores))
        except SyncError as exc:
            log.warning("Metrics scrape could not read the database: %s", exc.message)
            up.add_metric([], 0)
            yield up
            return
        up.add_metric([], 1)
        yield up
        yield from families(snaps, self.ctx.settings)


def families(snaps: Mapping[str, RunLogSnapshot], settings: Settings) -> Iterator[Metric]:
    """Every family read from the database, from one snapshot per store (pure)."""
    summaries = {store: summarize(snap, settings) for store, snap in snaps.items()}

    def gauge(name: str, doc: str, labels: tuple[str, ...] = ()) -> GaugeMetricFamily:
        return GaugeMetricFamily(f"{NS}_{name}", doc, labels=["store", *labels])

    last_success = gauge(
        "last_success_timestamp_seconds", "Unix time of the last successful sync.", ("entity",)
    )
    duration = gauge(
        "last_run_duration_seconds", "Duration of the latest finished run.", ("entity",)
    )
    records = gauge(
        "last_run_records", "Records the latest run wrote (new, changed or deleted).", ("entity",)
    )
    failures = gauge("consecutive_failures", "Failed runs in a row, latest first.", ("entity",))
    memory = gauge(
        "run_peak_memory_bytes",
        "Peak resident memory of the process during the latest run that measured it.",
        ("entity",),
    )
    thresholds = gauge(
        "freshness_threshold_seconds",
        "Age above which an entity reaches each freshness severity (multiples of its SLA).",
        ("entity", "severity"),
    )
    stale = gauge(
        "entity_stale",
        "1 while an entity is past its freshness SLA (or never synced), else 0.",
        ("entity",),
    )
    counter = CounterMetricFamily(
        f"{NS}_runs",
        "Finished runs per store, entity and status (never lowered by pruning).",
        labels=["store", "entity", "status"],
    )
    incidents = gauge("alert_incidents_open", "Open alert incidents.", ("severity",))
    score = gauge("health_score", "Health score 0-100 (README: Health score).")
    ready = gauge("data_ready", "1 when reports may use the sales figures (data ready).")
    for store, summary in summaries.items():
        for item in summary.entities:
            key = [store, item.reading.entity]
            stale.add_metric(key, 0 if item.freshness is Freshness.OK else 1)
            if item.reading.last_success is not None:
                last_success.add_metric(key, item.reading.last_success.timestamp())
            failures.add_metric(key, item.reading.consecutive_failures)
            if item.reading.peak_rss_bytes is not None:
                memory.add_metric(key, item.reading.peak_rss_bytes)
            if item.reading.last_run_duration_ms is not None:
                duration.add_metric(key, item.reading.last_run_duration_ms / 1000)
            if item.reading.last_run_records is not None:
                records.add_metric(key, item.reading.last_run_records)
            for severity, age in tier_thresholds(item.sla).items():
                thresholds.add_metric([*key, severity.value], age.total_seconds())
        # Every finished status starts at 0, so a failure-rate query answers 0, not nothing.
        totals = {(e.reading.entity, str(s)): 0 for e in summary.entities for s in FINISHED}
        for entity, status, n in snaps[store].run_totals:
            totals[(entity, status)] = n
        for (entity, status), n in sorted(totals.items()):
            counter.add_metric([store, entity, status], n)
        for severity, n in summary.active_alerts["by_severity"].items():
            incidents.add_metric([store, severity], n)
        score.add_metric([store], summary.health_score)
        ready.add_metric([store], 1 if summary.data_ready else 0)
    yield from (last_success, duration, records, failures, memory, thresholds, stale)
    yield from (counter, incidents, score, ready)

    beat = GaugeMetricFamily(
        f"{NS}_scheduler_last_heartbeat_timestamp_seconds",
        "Unix time of the latest scheduler heartbeat (of any store).",
    )
    beats = [s.scheduler.get("last_heartbeat") for s in summaries.values()]
    if last_beat := max((datetime.fromisoformat(b) for b in beats if b), default=None):
        beat.add_metric([], last_beat.timestamp())
    yield beat


def render_metrics(ctx: ApiContext, stores: Collection[str] | None = None) -> bytes:
    """The exposition text of one scrape, about `stores` (default: every enabled store)."""
    registry = CollectorRegistry(auto_describe=False)
    registry.register(HealthCollector(ctx, stores))
    return generate_latest(registry)
