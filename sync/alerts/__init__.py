"""Health alerts: pure rules → incidents in the database → notifications through apprise.

Import direction: runner → alerts → scheduler → cli. The dashboard calls
`acknowledge`, `snooze` and `open_incidents`.
"""

from __future__ import annotations

from sync.alerts.incidents import Incident, acknowledge, get_incident, open_incidents, snooze
from sync.alerts.rules import Finding, Rule
from sync.alerts.service import AlertService, Evaluation

__all__ = [
    "AlertService",
    "Evaluation",
    "Finding",
    "Incident",
    "Rule",
    "acknowledge",
    "get_incident",
    "open_incidents",
    "snooze",
]
