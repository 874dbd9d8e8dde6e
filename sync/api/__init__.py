"""The health API (`python -m sync api`): JSON under /api/sync-health/, /metrics, probes.

- `app`: the FastAPI factory (`create_app`), error handlers, the probes /livez and /readyz
- `auth`: the bearer-key dependencies (read and admin)
- `routes_health`, `routes_actions`: the /api/sync-health/ endpoints
- `history`: performance history in time buckets (SQL)
- `metrics`: the Prometheus collector read at scrape time
- `server`: uvicorn
"""

from __future__ import annotations

from sync.api.app import create_app
from sync.api.context import ApiContext
from sync.api.server import serve

__all__ = ["ApiContext", "create_app", "serve"]
