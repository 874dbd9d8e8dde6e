"""The settings table: one declaration per environment variable, loaded and documented from here.

Order matters: values are checked in this order (the first bad one is the one named),
and `.env.example` lists them in it. Defaults and types live on the `Settings` fields.
"""

from __future__ import annotations

from sync.config import parsers as p
from sync.config.settings import SYNC_SCOPES
from sync.config.spec import Family, Item, Setting
from sync.config.table_health import ALERTS, HEALTH
from sync.runs import SYNCED_ENTITIES

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
        "SYNC_MAX_PARALLEL_STORES",
        p.whole(256),
        "How many stores one scheduler syncs at once (each with its own rate budget).",
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
    Setting("DASHBOARD_USERNAME", p.text, "The login name (it sees every store)."),
    Setting(
        "DASHBOARD_USERS_FILE",
        p.path,
        "More dashboard logins, each limited to some stores (bcrypt hashes, mode 0600), "
        "written only by `python -m sync user add|remove|stores`.",
    ),
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
