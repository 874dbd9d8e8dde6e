"""The deploy samples (alert rules, Grafana dashboard) use only metrics the API exports."""

from __future__ import annotations

import json
import re
from pathlib import Path

import yaml

from sync.api.metrics import FAMILIES

DEPLOY = Path(__file__).resolve().parents[2] / "deploy"
METRIC = re.compile(r"\blightspeed_sync_[a-z_]+")


def test_the_alert_rules_parse_and_name_only_exported_metrics():
    rules = yaml.safe_load((DEPLOY / "prometheus-alerts.yml").read_text())
    exprs = [r["expr"] for g in rules["groups"] for r in g["rules"]]
    names = {n for e in exprs for n in METRIC.findall(e)}
    assert names and names <= set(FAMILIES), names - set(FAMILIES)
    alerts = {r["alert"] for g in rules["groups"] for r in g["rules"]}
    for wanted in ("SalesStale", "SchedulerDown", "DatabaseDown", "ScoreLow", "NotReady"):
        assert any(wanted in a for a in alerts), wanted


def test_the_grafana_dashboard_is_importable_and_names_only_exported_metrics():
    board = json.loads((DEPLOY / "grafana-dashboard.json").read_text())
    assert board["__inputs"][0]["pluginId"] == "prometheus"
    exprs = [t["expr"] for p in board["panels"] for t in p["targets"]]
    names = {n for e in exprs for n in METRIC.findall(e)}
    assert names <= set(FAMILIES), names - set(FAMILIES)
    titles = " ".join(p["title"].lower() for p in board["panels"])
    for wanted in ("score", "freshness", "runs", "memory", "incidents"):
        assert wanted in titles
    assert len({p["id"] for p in board["panels"]}) == len(board["panels"])


def test_the_api_unit_starts_the_api_on_loopback():
    unit = (DEPLOY / "lightspeed-sync-api.service").read_text()
    start = "-m sync --env-file /opt/lightspeed-sync/api.env api --host 127.0.0.1 --port 8502"
    assert start in unit
    assert "EnvironmentFile=/opt/lightspeed-sync/api.env" in unit
