"""Health alerts: pure rules → incidents in the database → notifications through apprise.

Import direction: runner → alerts → scheduler → cli. The dashboard calls `acknowledge`,
`snooze`, `open_incidents` and `get_incident`; names load lazily, so importing those does
not pull in the sync engine (runner, Lightspeed client) or apprise.
"""

from __future__ import annotations

import importlib
from typing import Any

_EXPORTS = {
    "AlertService": "sync.alerts.service",
    "Evaluation": "sync.alerts.service",
    "Finding": "sync.alerts.rules",
    "Rule": "sync.alerts.rules",
    "Incident": "sync.alerts.incidents",
    "acknowledge": "sync.alerts.incidents",
    "get_incident": "sync.alerts.incidents",
    "open_incidents": "sync.alerts.incidents",
    "snooze": "sync.alerts.incidents",
}
__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    if name not in _EXPORTS:
        raise AttributeError(f"module 'sync.alerts' has no attribute {name!r}")
    return getattr(importlib.import_module(_EXPORTS[name]), name)
