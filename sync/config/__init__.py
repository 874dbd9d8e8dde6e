"""Settings read once from the environment and `.env`; bad values fail with one clear sentence.

`table` declares every variable (NAME, parser, secret, help); `Settings` holds the typed
values and defaults; `loader` reads, checks and builds; `example` renders .env.example.
"""

from __future__ import annotations

from sync.config.loader import DEFAULT, ENV_FILE, ENVIRONMENT, Reading, load_settings, read_settings
from sync.config.parsers import alert_url_secrets
from sync.config.settings import (
    ALERT_RULES,
    ALERT_SEVERITIES,
    DEFAULT_DATABASE_URL,
    DEFAULT_PAGE_SIZE,
    HEALTH_ENTITIES,
    SYNC_SCOPES,
    Settings,
)
from sync.config.spec import Family, Setting, format_value
from sync.config.table import TABLE
from sync.runs import SYNCED_ENTITIES

__all__ = [
    "ALERT_RULES",
    "ALERT_SEVERITIES",
    "DEFAULT",
    "DEFAULT_DATABASE_URL",
    "DEFAULT_PAGE_SIZE",
    "ENVIRONMENT",
    "ENV_FILE",
    "HEALTH_ENTITIES",
    "SYNCED_ENTITIES",
    "SYNC_SCOPES",
    "TABLE",
    "Family",
    "Reading",
    "Setting",
    "Settings",
    "alert_url_secrets",
    "format_value",
    "load_settings",
    "read_settings",
]
