"""Read every declared variable from `.env` and the environment, check it, build `Settings`."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sync.config.parsers import alert_url_secrets
from sync.config.settings import Settings
from sync.config.spec import Family, Item, Setting, variables
from sync.config.table import TABLE
from sync.errors import SyncError

ENVIRONMENT, ENV_FILE, DEFAULT = "environment", ".env", "default"


@dataclass(frozen=True)
class Reading:
    """One variable as read: its raw text, where it came from, its value or its error.

    Unset variables read as their default; per-entity overrides appear only when set.
    """

    name: str
    item: Item
    raw: str | None  # stripped; None when unset or blank
    source: str  # ENVIRONMENT, ENV_FILE or DEFAULT
    value: Any
    error: SyncError | None = None


def read_settings(
    environ: Mapping[str, str] | None = None, env_file: str | os.PathLike[str] | None = ".env"
) -> list[Reading]:
    """Every variable in table order, each parsed and checked; errors are kept, not raised."""
    from_file: dict[str, str] = {}
    if env_file and Path(env_file).is_file():
        from dotenv import dotenv_values  # here: without a file, start-up skips its import

        from_file = {k: v for k, v in dotenv_values(env_file).items() if v is not None}
    env = os.environ if environ is None else environ
    readings: list[Reading] = []
    seen: dict[str, Any] = {}  # NAME -> value, for checks and family entries
    for item in TABLE:
        for name in variables(item):
            # The environment wins over .env, even when it sets a variable to blank.
            source, text = (
                (ENVIRONMENT, env[name]) if name in env else (ENV_FILE, from_file.get(name))
            )
            raw = text.strip() if text and text.strip() else None
            if raw is None and isinstance(item, Family):
                continue
            reading = _read(item, name, raw, source if raw is not None else DEFAULT, seen)
            seen[name] = reading.value
            readings.append(reading)
    return readings


def _read(item: Item, name: str, raw: str | None, source: str, seen: dict[str, Any]) -> Reading:
    default = item.default if isinstance(item, Setting) else None
    try:
        value = default if raw is None else item.parse(name, raw)
        if item.check:
            item.check(name, raw, value, seen.get)
    except SyncError as exc:
        return Reading(name, item, raw, source, default, exc)
    return Reading(name, item, raw, source, value)


def load_settings(
    environ: Mapping[str, str] | None = None, env_file: str | os.PathLike[str] | None = ".env"
) -> Settings:
    """Build Settings from `.env` overlaid by the process environment (or `environ`).

    A bad value raises SyncError(CONFIG) with one sentence naming the variable.
    """
    readings = read_settings(environ, env_file)
    for reading in readings:
        if reading.error:
            raise reading.error
    return build_settings(readings)


def build_settings(readings: list[Reading]) -> Settings:
    """Settings from error-free readings, with the fields derived from several variables."""
    seen = {r.name: r.value for r in readings}
    kwargs: dict[str, Any] = {}
    for reading in readings:
        if isinstance(reading.item, Setting) and reading.raw is not None:
            kwargs[reading.item.attr] = reading.value
    for item in TABLE:
        if isinstance(item, Family):
            entries = tuple(
                item.build(member, seen.get)
                for member in item.members
                if any(name in seen for name in item.names(member))
            )
            kwargs[item.field] = kwargs.get(item.field, ()) + entries
    kwargs["database_url_set"] = "database_url" in kwargs  # then it wins over SUPABASE_URL
    routes = kwargs.get("alert_routes", ())
    urls = [*kwargs.get("alert_urls", ()), *(url for _, route in routes for url in route)]
    secrets = (part for url in urls for part in alert_url_secrets(url) or ())
    kwargs["alert_secrets"] = tuple(dict.fromkeys(secrets))
    return Settings(**kwargs)
