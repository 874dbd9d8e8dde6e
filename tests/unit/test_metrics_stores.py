"""/metrics over several stores, from literal snapshots: every series about a store's copy
names it in `store`, even with one store; the build, the database and the scheduler's
heartbeat are reported once, without it; series grow with stores x entities only."""

from __future__ import annotations

from datetime import timedelta

from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.parser import text_string_to_metric_families
from prometheus_client.registry import Collector

from sync.api.metrics import FAMILIES, GLOBAL_FAMILIES, families
from sync.health.snapshot import Streak
from tests.unit.test_read_model_views import NOW, SETTINGS, SIX, healthy, run


class _Fixed(Collector):
    def __init__(self, snaps) -> None:
        self.snaps = snaps

    def collect(self):
        yield from families(self.snaps, SETTINGS)


def scrape(snaps) -> dict[str, list]:
    """The families as Prometheus reads the exposition text (counters lose _total)."""
    registry = CollectorRegistry(auto_describe=False)
    registry.register(_Fixed(snaps))
    text = generate_latest(registry).decode()
    return {f.name: f.samples for f in text_string_to_metric_families(text)}


def failing(entity: str, times: int):
    """A snapshot whose `entity` failed `times` runs in a row after one success."""
    runs = tuple(run(10 + n, entity, "failed", timedelta(minutes=n + 1)) for n in range(times))
    ok = run(9, entity, "success", timedelta(hours=1))
    base = healthy()
    return healthy(
        runs={**base.runs, entity: (*runs, ok)},
        streaks={entity: Streak(times, NOW - timedelta(minutes=times))},
    )


def test_every_series_about_a_store_names_it_and_the_rest_do_not():
    found = scrape({"acme": healthy(), "beta": failing("customers", 3)})
    for name, samples in found.items():
        full = name + "_total" if name == "lightspeed_sync_runs" else name
        assert full in FAMILIES, name
        for sample in samples:
            if full in GLOBAL_FAMILIES or name == "lightspeed_sync_build_info":
                assert "store" not in sample.labels, sample
            else:
                assert sample.labels["store"] in {"acme", "beta"}, sample


def test_each_store_has_its_own_values():
    found = scrape({"acme": healthy(), "beta": failing("customers", 3)})

    def value(name: str, **labels: str) -> float:
        [hit] = [s for s in found[name] if all(s.labels.get(k) == v for k, v in labels.items())]
        return hit.value

    failures = "lightspeed_sync_consecutive_failures"
    assert value(failures, store="beta", entity="customers") == 3
    assert value(failures, store="acme", entity="customers") == 0
    scores = {s.labels["store"]: s.value for s in found["lightspeed_sync_health_score"]}
    assert scores["beta"] < scores["acme"]
    # One heartbeat table for every store: one series, no store label.
    assert len(found["lightspeed_sync_scheduler_last_heartbeat_timestamp_seconds"]) == 1


def test_one_store_still_carries_the_label():
    found = scrape({"default": healthy()})
    assert {s.labels["store"] for s in found["lightspeed_sync_entity_stale"]} == {"default"}
    assert [s.labels for s in found["lightspeed_sync_health_score"]] == [{"store": "default"}]


def test_series_grow_with_stores_times_entities():
    def count(n: int) -> int:
        found = scrape({f"s{i}": healthy() for i in range(n)})
        return sum(len(samples) for samples in found.values())

    one, fifty = count(1), count(50)
    global_series = 1  # the heartbeat
    assert fifty - global_series == 50 * (one - global_series)
    stale = scrape({f"s{i}": healthy() for i in range(50)})["lightspeed_sync_entity_stale"]
    assert len(stale) == 50 * len(SIX)
