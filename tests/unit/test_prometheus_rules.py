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


def fires(name: str, **labels: str) -> dict:
    """An expected alert: its labels (the series' and the rule's) and its annotations."""
    found = rule(name)
    return {
        "exp_labels": {**labels, **found["labels"]},
        "exp_annotations": found.get("annotations", {}),
    }


def series(name: str, values: str, **labels: str) -> dict:
    text = ",".join(f'{k}="{v}"' for k, v in {**JOB, **labels}.items())
    return {"series": f"{name}{{{text}}}", "values": values}


# The API exports these on every scrape of a healthy copy (values are per minute; a
# timestamp that grows 60 a minute is "now").
NOW = "0+60x30"
THRESHOLDS = [
    series(
        "lightspeed_sync_freshness_threshold_seconds", "7200x30", entity="sales", severity="warning"
    ),
    series(
        "lightspeed_sync_freshness_threshold_seconds",
        "28800x30",
        entity="sales",
        severity="critical",
    ),
]
HEALTHY = [
    series("lightspeed_sync_db_up", "1x30"),
    series("up", "1x30"),
    series("lightspeed_sync_scheduler_last_heartbeat_timestamp_seconds", NOW),
    series("lightspeed_sync_last_success_timestamp_seconds", NOW, entity="sales"),
    series("lightspeed_sync_entity_stale", "0x30", entity="sales"),
    series("lightspeed_sync_health_score", "100x30"),
    series("lightspeed_sync_data_ready", "1x30"),
    series("lightspeed_sync_consecutive_failures", "0x30", entity="sales"),
    *THRESHOLDS,
]
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
        series("lightspeed_sync_entity_stale", "1x30", entity="sales"),
        *THRESHOLDS,
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
            "exp_alerts": [fires("LightspeedSalesStale", **JOB)],
        },
        {
            "eval_time": "20m",
            "alertname": "LightspeedSalesLate",
            "exp_alerts": [fires("LightspeedSalesLate", **JOB, entity="sales")],
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
