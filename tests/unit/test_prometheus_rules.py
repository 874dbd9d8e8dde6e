"""deploy/prometheus-alerts.yml evaluated by Prometheus' own rule engine (`promtool test
rules`): each alert fires in the situation it names, including series that never existed
(a scheduler that never started, sales never synced), and none fires on a healthy copy."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

RULES = Path(__file__).resolve().parents[2] / "deploy" / "prometheus-alerts.yml"
PROMTOOL = shutil.which("promtool")
pytestmark = pytest.mark.skipif(
    PROMTOOL is None and not os.environ.get("CI"), reason="apt-get install prometheus"
)
JOB = {"job": "lightspeed-sync"}


def rule(name: str) -> dict:
    groups = yaml.safe_load(RULES.read_text())["groups"]
    return next(r for g in groups for r in g["rules"] if r["alert"] == name)


def fires(name: str, value: str = "", **labels: str) -> dict:
    """An expected alert: its labels (the series' and the rule's) and its annotations, with
    `{{ $labels.x }}` and `{{ $value }}` filled in as Prometheus fills them."""
    found = rule(name)
    annotations = {}
    for key, text in found.get("annotations", {}).items():
        for label, filled in labels.items():
            text = text.replace(f"{{{{ $labels.{label} }}}}", filled)
        annotations[key] = text.replace("{{ $value }}", value)
    return {"exp_labels": {**labels, **found["labels"]}, "exp_annotations": annotations}


def series(name: str, values: str, **labels: str) -> dict:
    text = ",".join(f'{k}="{v}"' for k, v in {**JOB, **labels}.items())
    return {"series": f"{name}{{{text}}}", "values": values}


# The API exports these on every scrape of a healthy copy (values are per minute; a
# timestamp that grows 60 a minute is "now").
NOW = "0+60x30"


def thresholds(store: str) -> list[dict]:
    """The sales freshness tiers of `store` (2 h SLA: warning at 2 h, critical at 8 h)."""
    name = "lightspeed_sync_freshness_threshold_seconds"
    return [
        series(name, "7200x30", store=store, entity="sales", severity="warning"),
        series(name, "28800x30", store=store, entity="sales", severity="critical"),
    ]


def healthy_store(store: str) -> list[dict]:
    """The series of one store's healthy copy (each carries `store`)."""
    return [
        series("lightspeed_sync_last_success_timestamp_seconds", NOW, store=store, entity="sales"),
        series("lightspeed_sync_entity_stale", "0x30", store=store, entity="sales"),
        series("lightspeed_sync_health_score", "100x30", store=store),
        series("lightspeed_sync_data_ready", "1x30", store=store),
        series("lightspeed_sync_consecutive_failures", "0x30", store=store, entity="sales"),
        *thresholds(store),
    ]


# The API, its database and the scheduler: one series each, whatever the stores.
GLOBAL = [
    series("lightspeed_sync_db_up", "1x30"),
    series("up", "1x30"),
    series("lightspeed_sync_scheduler_last_heartbeat_timestamp_seconds", NOW),
]
HEALTHY = [*GLOBAL, *healthy_store("default")]
ALERTS = [r["alert"] for g in yaml.safe_load(RULES.read_text())["groups"] for r in g["rules"]]


def run_promtool(tmp_path: Path, tests: list[dict]) -> None:
    spec = {"rule_files": [str(RULES)], "evaluation_interval": "1m", "tests": tests}
    path = tmp_path / "rules_test.yml"
    path.write_text(yaml.safe_dump(spec, sort_keys=False))
    done = subprocess.run(
        [PROMTOOL, "test", "rules", str(path)], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stdout + done.stderr


def test_no_alert_fires_on_a_healthy_copy(tmp_path):
    checks = [{"eval_time": "20m", "alertname": a, "exp_alerts": []} for a in ALERTS]
    run_promtool(tmp_path, [{"interval": "1m", "input_series": HEALTHY, "alert_rule_test": checks}])


def test_a_scheduler_that_never_started_and_sales_never_synced_fire(tmp_path):
    # The API answers and reads the database, but no heartbeat and no sales success exist.
    started_never = [
        series("lightspeed_sync_db_up", "1x30"),
        series("lightspeed_sync_entity_stale", "1x30", store="default", entity="sales"),
        *thresholds("default"),
    ]
    checks = [
        {
            "eval_time": "5m",
            "alertname": "LightspeedSchedulerDown",
            "exp_alerts": [fires("LightspeedSchedulerDown", **JOB)],
        },
        {
            "eval_time": "10m",
            "alertname": "LightspeedSalesStale",
            "exp_alerts": [fires("LightspeedSalesStale", **JOB, store="default", entity="sales")],
        },
        {
            "eval_time": "20m",
            "alertname": "LightspeedSalesLate",
            "exp_alerts": [fires("LightspeedSalesLate", **JOB, store="default", entity="sales")],
        },
    ]
    run_promtool(
        tmp_path, [{"interval": "1m", "input_series": started_never, "alert_rule_test": checks}]
    )


def test_a_scheduler_that_stops_beating_fires_after_three_missed_beats(tmp_path):
    stopped = [s for s in HEALTHY if "heartbeat" not in s["series"]]
    stopped.append(
        series("lightspeed_sync_scheduler_last_heartbeat_timestamp_seconds", "0+60x5 300x25")
    )
    checks = [
        {"eval_time": "6m", "alertname": "LightspeedSchedulerDown", "exp_alerts": []},
        {
            "eval_time": "12m",
            "alertname": "LightspeedSchedulerDown",
            "exp_alerts": [fires("LightspeedSchedulerDown", **JOB)],
        },
    ]
    run_promtool(tmp_path, [{"interval": "1m", "input_series": stopped, "alert_rule_test": checks}])


def test_with_two_stores_a_failing_store_fires_for_itself_only(tmp_path):
    # Store "b": sales never synced (no timestamp series at all), three failures in a row,
    # a low score and data not ready; store "a" is healthy the whole time.
    failing = [
        series("lightspeed_sync_entity_stale", "1x30", store="b", entity="sales"),
        series("lightspeed_sync_health_score", "40x30", store="b"),
        series("lightspeed_sync_data_ready", "0x30", store="b"),
        series("lightspeed_sync_consecutive_failures", "0 1 2 3x27", store="b", entity="sales"),
        *thresholds("b"),
    ]
    b = {**JOB, "store": "b"}
    checks = [
        {
            "eval_time": "20m",
            "alertname": "LightspeedSalesStale",
            "exp_alerts": [fires("LightspeedSalesStale", **b, entity="sales")],
        },
        {
            "eval_time": "20m",
            "alertname": "LightspeedSalesLate",
            "exp_alerts": [fires("LightspeedSalesLate", **b, entity="sales")],
        },
        {
            "eval_time": "20m",
            "alertname": "LightspeedSyncFailing",
            "exp_alerts": [fires("LightspeedSyncFailing", "3", **b, entity="sales")],
        },
        {
            "eval_time": "20m",
            "alertname": "LightspeedHealthScoreLow",
            "exp_alerts": [fires("LightspeedHealthScoreLow", "40", **b)],
        },
        {
            "eval_time": "20m",
            "alertname": "LightspeedDataNotReady",
            "exp_alerts": [fires("LightspeedDataNotReady", **b)],
        },
        *(
            {"eval_time": "20m", "alertname": name, "exp_alerts": []}
            for name in ("LightspeedSchedulerDown", "LightspeedSyncDatabaseDown")
        ),
    ]
    run_promtool(
        tmp_path,
        [
            {
                "interval": "1m",
                "input_series": [*GLOBAL, *healthy_store("a"), *failing],
                "alert_rule_test": checks,
            }
        ],
    )


def test_one_stale_store_fires_for_itself_only(tmp_path):
    # Both stores synced; store "b" last synced at minute 0 and stopped (9 h later: critical).
    stale_b = [
        s
        for s in healthy_store("b")
        if "last_success" not in s["series"] and "stale" not in s["series"]
    ]
    stale_b += [
        series(
            "lightspeed_sync_last_success_timestamp_seconds", "0x600", store="b", entity="sales"
        ),
        series("lightspeed_sync_entity_stale", "1x600", store="b", entity="sales"),
    ]
    healthy_a = [
        series(
            "lightspeed_sync_last_success_timestamp_seconds", "0+60x600", store="a", entity="sales"
        ),
        series("lightspeed_sync_entity_stale", "0x600", store="a", entity="sales"),
        *(
            {**s, "values": s["values"].replace("x30", "x600")}
            for s in thresholds("a") + thresholds("b")
        ),
    ]
    checks = [
        {
            "eval_time": "540m",
            "alertname": "LightspeedSalesStale",
            # The join keeps only its own labels (store, entity): no job.
            "exp_alerts": [fires("LightspeedSalesStale", store="b", entity="sales")],
        }
    ]
    run_promtool(
        tmp_path,
        [
            {
                "interval": "1m",
                "input_series": [series("lightspeed_sync_db_up", "1x600"), *stale_b, *healthy_a],
                "alert_rule_test": checks,
            }
        ],
    )
