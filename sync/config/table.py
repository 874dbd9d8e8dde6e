"""The settings table: one declaration per environment variable, loaded and documented from here.

Order matters: values are checked in this order (the first bad one is the one named),
and `.env.example` lists them in it. Defaults and types live on the `Settings` fields.
"""

from __future__ import annotations

from typing import Any

from sync.config import parsers as p
from sync.config.settings import ALERT_RULES, ALERT_SEVERITIES, HEALTH_ENTITIES, SYNC_SCOPES
from sync.config.spec import Family, Item, Lookup, Setting
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

LIGHTSPEED = (
    Setting(
        "LIGHTSPEED_DOMAIN_PREFIX",
        p.domain_prefix,
        'Your store prefix: the "mystore" in https://mystore.retail.lightspeed.app (no URL).',
        fill_in=True,
    ),
    Setting(
        "LIGHTSPEED_TOKEN",
        p.text,
        "A personal token (Setup > Personal tokens) or an OAuth access token with the read "
        "scopes customers:read outlets:read products:read sales:read inventory:read. "
        "Never logged.",
        secret=True,
        fill_in=True,
    ),
    Setting(
        "LIGHTSPEED_BASE_URL",
        p.base_url,
        "Overrides the URL built from the prefix (simulator, tests; unset for a store). "
        "{prefix} in it becomes LIGHTSPEED_DOMAIN_PREFIX (http://127.0.0.1:8765/{prefix}/api/2.0).",
        example="http://127.0.0.1:8765/api/2.0",
    ),
)
LIGHTSPEED_APP = (
    Setting("LIGHTSPEED_CLIENT_ID", p.text, "The app's client id (Lightspeed developer portal)."),
    Setting(
        "LIGHTSPEED_CLIENT_SECRET",
        p.text,
        "The app's client secret. Never logged or shown.",
        secret=True,
    ),
    Setting(
        "LIGHTSPEED_REDIRECT_URI",
        p.http_url,
        "The redirect URI registered for the app. Unset: http://127.0.0.1:PORT/callback "
        "of `connect --port` (8765).",
    ),
    Setting(
        "LIGHTSPEED_REFRESH_TOKEN",
        p.text,
        "Headless bootstrap: a refresh token used once when the database holds none yet "
        "(it rotates at once; remove it afterwards).",
        secret=True,
    ),
    Setting(
        "LIGHTSPEED_TOKEN_URL",
        p.http_url,
        "Overrides the token endpoint (default: the API's origin + /api/1.0/token).",
    ),
    Setting(
        "LIGHTSPEED_AUTHORIZE_URL",
        p.http_url,
        "Overrides the authorize page (the local simulator's is http://127.0.0.1:PORT/connect).",
        example="https://secure.retail.lightspeed.app/connect",
    ),
    Setting(
        "LIGHTSPEED_SCOPES",
        p.scopes,
        "The scopes `connect` asks for (Lightspeed refuses an authorization without them); "
        "the app must declare the same ones in the developer portal. Default: the five read "
        "scopes the sync needs.",
        example=" ".join(SYNC_SCOPES),
    ),
)
DATABASE = (
    Setting(
        "DATABASE_URL",
        p.database_url,
        "Where the copy lives. SQLite needs no setup; Postgres or Supabase (direct or pooler "
        "connection) e.g. postgresql://user:password@db.example.com:5432/postgres. "
        "When set, it wins over SUPABASE_URL.",
    ),
    Setting(
        "DASHBOARD_DATABASE_URL",
        p.database_url,
        "Read-only URL for the dashboard (a role with SELECT only). Unset: DATABASE_URL.",
    ),
    Setting(
        "API_DATABASE_URL",
        p.database_url,
        "URL for the health API (`python -m sync api`): on Postgres a login in role sync_api "
        '(README "Health API"). Unset: DASHBOARD_DATABASE_URL, then DATABASE_URL.',
    ),
)
SYNC = (
    Setting(
        "SYNC_INTERVAL_MINUTES",
        p.whole(10080),
        "Minutes between incremental syncs of every entity (the scheduler).",
    ),
    Setting(
        "SYNC_PAGE_SIZE",
        p.whole(10000),
        "Records per API page; the client steps down to 200/100 if the store refuses.",
    ),
)
SUPABASE = (
    Setting("SUPABASE_URL", p.http_url, "The project URL.", example="https://abc.supabase.co"),
    Setting(
        "SUPABASE_SERVICE_ROLE_KEY",
        p.text,
        "The service_role (secret) key. It bypasses row-level security: keep it on the "
        "scheduler host only, never on the dashboard host or in a browser.",
        secret=True,
    ),
)
REQUESTS = (
    Setting(
        "LIGHTSPEED_TIMEOUT_SECONDS",
        p.positive("seconds"),
        "Seconds to wait for one Lightspeed response.",
        field="http_timeout_seconds",
    ),
    Setting(
        "LIGHTSPEED_MAX_RETRIES",
        p.whole(20),
        "How often a failed request is retried.",
        field="http_max_retries",
    ),
    Setting(
        "LIGHTSPEED_RETRY_AFTER_MAX_SECONDS",
        p.positive("seconds"),
        "The longest Retry-After honoured, in seconds.",
        field="retry_after_max_seconds",
    ),
    Setting(
        "LIGHTSPEED_RATE_WINDOW_SECONDS",
        p.positive("seconds"),
        "The rate-limit window Lightspeed uses, in seconds; requests are paced within it.",
        field="rate_window_seconds",
    ),
)
SCHEDULER = (
    Family(
        ("SYNC_INTERVAL_MINUTES",),
        SYNCED_ENTITIES,
        p.whole(10080),
        "sync_interval_overrides",
        ("SYNC_INTERVAL_MINUTES_SALES=15",),
    ),
    Setting(
        "NIGHTLY_FULL_TIME",
        p.clock_time("02:00", off=("off", "none", "disabled")),
        "Time of day on the store's clock (STORE_TIME_ZONE) of the nightly full pass, "
        "reconciliation of the store's yesterday, and prune; off: none of them.",
    ),
    Setting(
        "NIGHTLY_FULL_ENTITIES",
        p.entity_names,
        f"Entities re-read in full every night, from: {' '.join(SYNCED_ENTITIES)}.",
    ),
    Setting(
        "RETENTION_MONTHS",
        p.whole(1200),
        "History (sync_log, sync_requests, sync_rejects, notifications, reconciliations) "
        "older than this many months is pruned.",
    ),
    Setting(
        "SYNC_ON_START",
        p.boolean,
        "Sync every entity when the scheduler starts (true or false).",
    ),
    Setting(
        "SCHEDULER_POLL_SECONDS",
        p.positive("seconds"),
        "How often the scheduler looks at the run-now queue, in seconds.",
    ),
    Setting(
        "HEARTBEAT_SECONDS",
        p.positive("seconds"),
        "Seconds between scheduler heartbeats; three missed beats count as down.",
    ),
    Setting(
        "LOCK_TTL_SECONDS",
        p.positive("seconds"),
        "Seconds after which a sync lease left by a process on another host is taken over.",
    ),
)
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
        "A daily summary of open and resolved incidents at this local time; unset or off: none.",
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
        "A run whose process peaked above this many MB of memory (RSS) raises a warning.",
    ),
)
DASHBOARD = (
    Setting(
        "DASHBOARD_PASSWORD_HASH",
        p.text,
        "bcrypt hash of the dashboard password, written by `python -m sync set-password`. "
        "Without it nobody can log in.",
        secret=True,
    ),
    Setting(
        "DASHBOARD_COOKIE_KEY",
        p.text,
        "Secret that signs the login cookie: a random string of at least 32 characters. "
        "set-password writes a new one each time (which signs everyone out).",
        secret=True,
    ),
    Setting(
        "DASHBOARD_COOKIE_DAYS",
        p.positive("days"),
        "How long the login cookie keeps a browser signed in, in days (0.5 = 12 hours).",
    ),
    Setting(
        "DASHBOARD_ADDRESS",
        p.text,
        "The address `python -m sync dashboard` listens on. Keep 127.0.0.1 "
        "and put a TLS reverse proxy in front (docs/tls.md); 0.0.0.0 listens on every "
        "interface.",
    ),
    Setting("DASHBOARD_USERNAME", p.text, "The login name."),
    Setting(
        "STORE_NAME",
        p.text,
        "The store's name on the dashboard and in alerts. Unset: the domain prefix.",
    ),
    Setting(
        "STORE_TIME_ZONE",
        p.time_zone,
        "The zone of the store's business day (headline figures, backfill dates, the "
        "nightly reconciliation's yesterday) and of the times the dashboard shows. Unset: "
        "the zone most outlets share. Each outlet's own figures always use its own zone.",
        example="Pacific/Auckland",
    ),
)
LOGS = (Setting("LOG_DIR", p.path, "Rotating log files (10 MB x 5) are written here."),)
HEALTH_API = (
    Setting(
        "API_DOCS",
        p.boolean,
        "Serve the interactive API page at /docs (true or false). It loads Swagger UI from a "
        "CDN, so the browser opening it needs internet access; the schema is at "
        "/openapi.json either way.",
    ),
)

# (heading, introduction, items) in checking order.
SECTIONS: tuple[tuple[str, str, tuple[Item, ...]], ...] = (
    ("Lightspeed", "", LIGHTSPEED),
    (
        "Lightspeed app (OAuth) instead of a personal token",
        "Set both, leave LIGHTSPEED_TOKEN unset and run `python -m sync connect` once.",
        LIGHTSPEED_APP,
    ),
    ("Database", "", DATABASE),
    ("Sync", "", SYNC),
    (
        "Supabase over HTTPS (hosts that cannot reach Postgres)",
        "With both set and DATABASE_URL unset, the sync writes through the project's REST "
        'API. See README "Use with Supabase".',
        SUPABASE,
    ),
    ("Lightspeed requests", "", REQUESTS),
    ("Scheduler", "", SCHEDULER),
    ("Health colours", "", HEALTH),
    ("Alerts", "", ALERTS),
    ("Dashboard login", "", DASHBOARD),
    ("Health API", "", HEALTH_API),
    ("Logs", "", LOGS),
)
TABLE: tuple[Item, ...] = tuple(item for _, _, items in SECTIONS for item in items)
