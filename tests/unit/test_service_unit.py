"""The systemd unit checks the installation before it starts the scheduler."""

from __future__ import annotations

import configparser
from pathlib import Path

UNIT = Path(__file__).resolve().parents[2] / "deploy" / "lightspeed-sync.service"


def test_it_runs_check_before_the_scheduler_without_a_restart_loop():
    unit = configparser.ConfigParser(strict=False, interpolation=None)
    unit.read(UNIT)
    service = unit["Service"]
    # ExecCondition: a failure leaves the unit stopped (reported once), where a failing
    # ExecStartPre would be restarted by Restart=always.
    assert service["ExecCondition"].endswith("-m sync check --service")
    assert service["ExecStartPre"].endswith("-m sync migrate")
    assert service["ExecStart"].endswith("-m sync scheduler")
