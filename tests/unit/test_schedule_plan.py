from __future__ import annotations

import configparser
from pathlib import Path

from sync.config import load_settings
from sync.service.plan import JobSpec, plan_jobs

ALL = ("outlets", "customers", "products", "inventory", "sales")


def test_default_plan_is_hourly_incremental_plus_nightly_full_inventory():
    jobs = plan_jobs(load_settings({}, env_file=None))
    assert jobs == [
        JobSpec("incremental: all", ALL, minutes=60),
        JobSpec("nightly full: inventory", ("inventory",), full=True, at="02:00"),
        JobSpec("nightly reconcile + prune", (), at="02:00", maintenance=True),
    ]


def test_per_entity_intervals_get_their_own_job():
    settings = load_settings(
        {
            "SYNC_INTERVAL_MINUTES": "30",
            "SYNC_INTERVAL_MINUTES_SALES": "10",
            "NIGHTLY_FULL_TIME": "off",
        },
        env_file=None,
    )
    assert plan_jobs(settings) == [
        JobSpec(
            "incremental: outlets, customers, products, inventory",
            ("outlets", "customers", "products", "inventory"),
            minutes=30,
        ),
        JobSpec("incremental: sales", ("sales",), minutes=10),
    ]


def test_nightly_full_time_and_entities_are_configurable():
    settings = load_settings(
        {"NIGHTLY_FULL_TIME": "3:15", "NIGHTLY_FULL_ENTITIES": "inventory,products"},
        env_file=None,
    )
    nightly = plan_jobs(settings)[-2]
    assert nightly.at == "03:15" and nightly.entities == ("inventory", "products")


def test_the_systemd_unit_runs_the_scheduler_as_a_non_root_user_with_restarts():
    unit = configparser.ConfigParser(strict=False, interpolation=None)
    unit.read(Path(__file__).resolve().parents[2] / "deploy" / "lightspeed-sync.service")
    service = unit["Service"]
    assert service["ExecStart"].endswith("-m sync scheduler")
    assert service["User"] not in ("", "root")
    assert service["Restart"] == "always"
    assert service["KillSignal"] == "SIGTERM"
    assert "EnvironmentFile" in service
