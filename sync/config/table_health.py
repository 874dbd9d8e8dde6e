"""The settings of health colours and alerts (part of sync.config.table, in its order)."""

from __future__ import annotations

from typing import Any

from sync.config import parsers as p
from sync.config.settings import ALERT_RULES, ALERT_SEVERITIES, HEALTH_ENTITIES
from sync.config.spec import Family, Lookup, Setting
from sync.runs import SYNCED_ENTITIES


def _yellow_not_below_green(name: str, raw: str | None, value: Any, get: Lookup) -> None:
    if name == "HEALTH_YELLOW_HOURS":
        green = get("HEALTH_GREEN_HOURS")
        if value < green:
            expected = f"a number of hours ≥ HEALTH_GREEN_HOURS ({green:g})"
            raise p.bad(name, str(value), expected)
    elif name.startswith("HEALTH_YELLOW_HOURS_"):
        green_name = name.replace("YELLOW", "GREEN")
        green = get(green_name) or get("HEALTH_GREEN_HOURS")
        if value < green:
            raise p.bad(name, raw or "", f"a number of hours ≥ {green_name} ({green:g})")


def _health_entry(entity: str, get: Lookup) -> tuple[str, float, float]:
    green = get(f"HEALTH_GREEN_HOURS_{entity.upper()}") or get("HEALTH_GREEN_HOURS")
    yellow = get(f"HEALTH_YELLOW_HOURS_{entity.upper()}") or max(get("HEALTH_YELLOW_HOURS"), green)
    return entity, green, yellow


def _per_entity_limit(prefix: str, parse: p.Parser, example: str) -> Family:
    tag = prefix.removeprefix("ALERT_").lower()  # the Settings field is alert_<tag>
    return Family((prefix,), SYNCED_ENTITIES, parse, "alert_overrides", (example,), tag=tag)


_FAILURES = p.limit(1000, "a whole number of runs from 1 to 1000", whole_number=True)
_SLOW = p.limit(1e6, "a positive number of minutes")
_RATE = p.limit(100, "a percentage from 1 to 100")
_MAIL = "mailto://user:app-password@smtp.example.com:587?to=cfo@example.com"

HEALTH = (
    Setting(
        "HEALTH_GREEN_HOURS",
        p.positive("hours"),
        "An entity is green while its last success is younger than this many hours.",
    ),
    Setting(
        "HEALTH_YELLOW_HOURS",
        p.positive("hours"),
        "Then yellow up to this many hours (not less than HEALTH_GREEN_HOURS), then red.",
        check=_yellow_not_below_green,
    ),
    Family(
        ("HEALTH_GREEN_HOURS", "HEALTH_YELLOW_HOURS"),
        HEALTH_ENTITIES,
        p.positive("hours"),
        "health_overrides",
        ("HEALTH_GREEN_HOURS_INVENTORY=24", "HEALTH_YELLOW_HOURS_INVENTORY=48"),
        check=_yellow_not_below_green,
        entry=_health_entry,
    ),
    Setting(
        "FRESHNESS_SLA_HOURS",
        p.positive("hours"),
        "Freshness SLA: past it an entity is late (warning), past 2x high, past 4x critical "
        "(then dashboards are blocked when it is sales or their line items).",
    ),
    Family(
        ("FRESHNESS_SLA_HOURS",),
        HEALTH_ENTITIES,
        p.positive("hours"),
        "freshness_sla_overrides",
        ("FRESHNESS_SLA_HOURS_INVENTORY=6",),
    ),
)
ALERTS = (
    Setting(
        "ALERT_URLS",
        p.alert_urls,
        "Apprise URLs, space-separated: mailto://..., slack://..., json://... "
        f"(secrets masked in logs), e.g.\n  {_MAIL}\n"
        "  slack://TokenA/TokenB/TokenC/#alerts      json://hooks.example.com/lightspeed\n"
        "Test them with `python -m sync alerts test`.",
        secret=True,
        mask=p.mask_alert_urls,
    ),
    Family(
        ("ALERT_URLS",),
        ALERT_SEVERITIES,
        p.alert_urls,
        "alert_routes",
        (
            f"ALERT_URLS_WARNING={_MAIL}",
            "ALERT_URLS_ERROR=",
            "ALERT_URLS_CRITICAL=mailto://... slack://TokenA/TokenB/TokenC/#alerts",
        ),
        kind="severity",
        help="`off` sends nothing for that severity.",
        secret=True,
        mask=p.mask_alert_urls,
    ),
    Setting(
        "ALERT_COOLDOWN_MINUTES",
        p.whole(10080),
        "Minutes before an unacknowledged open incident is announced again "
        "(a rise in severity: at once).",
    ),
    Setting(
        "ALERT_DIGEST_TIME",
        p.clock_time("08:00"),
        "A daily summary of open and resolved incidents at this time on the store's clock "
        "(STORE_TIME_ZONE, else the outlets' zone); unset or off: none.",
        example="08:00",
    ),
    Setting(
        "ALERT_TRADING_HOURS",
        p.opening_hours,
        'Store opening hours (local time) for the "sales synced 0 records" check; unset: '
        "history decides (that weekday and hour had sales in 3 of the last 4 weeks).",
        example="09:00-21:00",
    ),
    Setting(
        "ALERT_DISABLED",
        p.rule_names,
        f"Rules to switch off: {' '.join(ALERT_RULES)}, or rule:entity "
        "(e.g. empty_success:sales slow_run:inventory).",
    ),
    Setting(
        "ALERT_CONSECUTIVE_FAILURES",
        p.as_int(_FAILURES),
        "Failed runs in a row that make a failure critical.",
    ),
    _per_entity_limit(
        "ALERT_CONSECUTIVE_FAILURES", _FAILURES, "ALERT_CONSECUTIVE_FAILURES_SALES=5"
    ),
    Setting(
        "ALERT_SLOW_RUN_MINUTES",
        _SLOW,
        "A run's fixed time limit in minutes (the limit is the larger of this and 3x the "
        "entity's median run).",
    ),
    _per_entity_limit("ALERT_SLOW_RUN_MINUTES", _SLOW, "ALERT_SLOW_RUN_MINUTES_INVENTORY=90"),
    Setting(
        "ALERT_SUCCESS_RATE_PERCENT",
        _RATE,
        "The lowest acceptable success rate over 24 hours, in percent.",
    ),
    _per_entity_limit("ALERT_SUCCESS_RATE_PERCENT", _RATE, "ALERT_SUCCESS_RATE_PERCENT_SALES=90"),
    Setting(
        "ALERT_MEMORY_MB",
        p.limit(1e6, "a positive number of megabytes"),
        "A run whose process peaked above this many MB of memory (RSS) raises a warning; "
        "a scheduler syncing several stores at once is allowed this much per store.",
    ),
)
