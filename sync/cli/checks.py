"""The checks of `python -m sync check` beyond the store itself (that one is
`sync.lightspeed.probe`): settings, database, dashboard login and database, alert channels,
the scheduler's heartbeat and the last run of each entity. Each reads; none writes.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from sync.auth import MIN_COOKIE_KEY_LENGTH, is_bcrypt_hash
from sync.config import Reading, Settings, alert_url_secrets
from sync.errors import ErrorKind, SyncError
from sync.lightspeed.probe import Finding
from sync.runs import NEVER
from sync.storage.backend import open_store, uses_supabase_rest
from sync.storage.migrations import migration_scripts
from sync.storage.protocols import SyncStore
from sync.storage.sql.db import safe_url, sqlite_file
from sync.storage.sql.privileges import copy_writers, read_only_problem
from sync.storage.status_report import StatusReport

SET_PASSWORD = "`python -m sync set-password`"  # noqa: S105 - a command, not a password
READER_ROLE_HINT = (
    "Give the dashboard a read-only login: CREATE ROLE dashboard LOGIN PASSWORD '...' IN ROLE "
    "dashboard_reader; then set DASHBOARD_DATABASE_URL to it."
)


def is_alert_setting(name: str) -> bool:
    """ALERT_URLS and its per-severity routes (checked as alert channels, not as settings)."""
    return name == "ALERT_URLS" or name.startswith("ALERT_URLS_")


def settings_findings(readings: Sequence[Reading]) -> list[Finding]:
    """One ✗ per variable that does not parse (alert URLs: see `alert_findings`), else one ✓."""
    bad = [r for r in readings if r.error and not is_alert_setting(r.name)]
    found = [Finding(f"setting {r.name}", "fail", r.error.message) for r in bad if r.error]
    if found:
        return found
    others = " other" if any(r.error for r in readings) else ""
    return [Finding("settings", "pass", f"every{others} setting parses")]


def database_findings(settings: Settings) -> tuple[list[Finding], SyncStore | None]:
    """Reachable and migrated? Returns the store for the checks that read it (None if not)."""
    if uses_supabase_rest(settings):
        where = f"The Supabase project {settings.supabase_url}"
        migrate_how = "Paste sql/supabase/setup.sql into the Supabase SQL editor (or run migrate)."
    else:
        where = f"The database {safe_url(settings.database_url)}"
        migrate_how = "Run `python -m sync migrate` (the service unit runs it before starting)."
        path = sqlite_file(settings.database_url)
        if path is not None and not path.is_file():
            missing = f"The SQLite file {path} does not exist yet."
            return [Finding("database", "fail", missing, migrate_how, blocking=False)], None
    try:
        store = open_store(settings, check_schema=False)
        pending = store.pending_migrations()
    except SyncError as exc:
        blocking = exc.kind is ErrorKind.CONFIG
        return [Finding("database", "fail", exc.message, exc.recovery, blocking)], None
    shipped = len(migration_scripts("sqlite" if sqlite_file(store.url) else "postgres"))
    if pending:
        summary = (
            f"{where} answers but is not migrated: {len(pending)} of {shipped} migrations "
            "are missing."
        )
        return [Finding("database", "fail", summary, migrate_how, blocking=False)], None
    return [
        Finding("database", "pass", f"{where} answers; all {shipped} migrations applied")
    ], store


def dashboard_login_findings(settings: Settings) -> list[Finding]:
    """The dashboard password hash and cookie key: set, well-formed, long enough."""
    hashed, key = settings.dashboard_password_hash, settings.dashboard_cookie_key
    if not hashed:
        password = Finding(
            "dashboard password",
            "fail",
            "DASHBOARD_PASSWORD_HASH is not set: nobody can log in to the dashboard.",
            f"Run {SET_PASSWORD}.",
            blocking=False,
        )
    elif not is_bcrypt_hash(hashed):
        password = Finding(
            "dashboard password",
            "fail",
            "DASHBOARD_PASSWORD_HASH is not a bcrypt hash.",
            f"Run {SET_PASSWORD} again to replace it.",
            blocking=False,
        )
    else:
        password = Finding("dashboard password", "pass", "set (bcrypt hash)")
    new_key = "python -c 'import secrets; print(secrets.token_urlsafe(32))'"
    if not key:
        cookie = Finding(
            "dashboard cookie key",
            "fail",
            "DASHBOARD_COOKIE_KEY is not set: the dashboard cannot sign its login cookie.",
            f"Run {SET_PASSWORD} (it writes one), or put the output of {new_key} there.",
            blocking=False,
        )
    elif len(key) < MIN_COOKIE_KEY_LENGTH:
        cookie = Finding(
            "dashboard cookie key",
            "fail",
            f"DASHBOARD_COOKIE_KEY has only {len(key)} characters; it needs at least "
            f"{MIN_COOKIE_KEY_LENGTH} so that nobody can forge a login cookie.",
            f"Replace it with a long random string, e.g. the output of {new_key}.",
            blocking=False,
        )
    else:
        cookie = Finding("dashboard cookie key", "pass", f"set ({len(key)} characters)")
    return [password, cookie]


def dashboard_database_finding(settings: Settings) -> Finding:
    """Can the dashboard's database login change the copy? (It must not.)"""
    name = "dashboard database"
    if uses_supabase_rest(settings) and not settings.dashboard_database_url:
        return Finding(
            name,
            "fail",
            "DASHBOARD_DATABASE_URL is not set: the dashboard reads through SQL, not REST.",
            READER_ROLE_HINT,
            blocking=False,
        )
    url = settings.reader_database_url
    path = sqlite_file(url)
    if path is not None:
        return _sqlite_reader(name, path)
    try:
        user, writable = copy_writers(url)
    except SyncError as exc:
        fix = "Check DASHBOARD_DATABASE_URL (unset: DATABASE_URL)."
        return Finding(name, "fail", exc.message, fix, blocking=False)
    if writable:
        shown = ", ".join(writable[:3]) + (f" and {len(writable) - 3} more" if writable[3:] else "")
        summary = (
            f"The dashboard's login {user!r} can change the copy ({shown}): whoever gets the "
            "dashboard could alter the data."
        )
        return Finding(name, "fail", summary, READER_ROLE_HINT, blocking=False)
    return Finding(name, "pass", f"login {user!r} can read the copy but not change it")


def _sqlite_reader(name: str, path: Path) -> Finding:
    if not path.is_file():
        return Finding(name, "skip", f"not checked: {path} does not exist yet")
    problem = read_only_problem(path)
    if problem is not None:
        return Finding(
            name, "fail", f"{path} cannot be opened read-only: {problem}.", blocking=False
        )
    return Finding(
        name,
        "pass",
        f"{path} opens read-only (SQLite has no logins; the dashboard writes only Sync-now "
        "requests and alert acknowledgements)",
    )


def alert_urls(readings: Sequence[Reading]) -> list[tuple[str, int, str]]:
    """(variable, entry number, URL) of every configured alert URL, parsed or not."""
    found = []
    for r in readings:
        if is_alert_setting(r.name) and r.raw and r.raw.lower() not in ("off", "none"):
            found += [(r.name, n, url) for n, url in enumerate(r.raw.split(), 1)]
    return found


def alert_findings(
    readings: Sequence[Reading], secrets: Sequence[str], *, send: bool, store_name: str
) -> list[Finding]:
    """Each alert URL apprise can read (✓) or not (✗); `send` also sends a test message."""
    from sync.alerts.messages import compose_test
    from sync.alerts.notify import Channel, Notifier, mask_url
    from sync.runs import utcnow

    entries = alert_urls(readings)
    if not entries:
        return [
            Finding(
                "alert channels",
                "info",
                "none: nobody is told when a sync fails.",
                "Set ALERT_URLS (see .env.example), then run `python -m sync check --send`.",
                blocking=False,
            )
        ]
    found, seen = [], set()
    notifier = Notifier(secrets)
    for variable, number, url in entries:
        if url in seen:
            continue
        seen.add(url)
        if alert_url_secrets(url) is None:
            scheme = url.split("://", 1)[0] if "://" in url else "?"
            found.append(
                Finding(
                    f"alert channel {variable} #{number}",
                    "fail",
                    f"apprise cannot read {variable} entry #{number} ({scheme}://...).",
                    "Use a URL apprise understands, e.g. mailto://user:pass@smtp.example.com?"
                    "to=you@example.com, slack://TokenA/TokenB/TokenC or json://host/path "
                    "(see .env.example).",
                )
            )
            continue
        label = mask_url(url, secrets)
        if not send:
            found.append(Finding(f"alert channel {label}", "pass", "apprise reads it"))
            continue
        delivery = notifier.send(Channel(url, label), compose_test(store_name, label, utcnow()))
        if delivery.ok:
            found.append(Finding(f"alert channel {label}", "pass", "test message sent"))
        else:
            found.append(
                Finding(
                    f"alert channel {label}",
                    "fail",
                    f"the test message could not be sent: {delivery.error}",
                    "Check the address, password and that this host may reach the service.",
                    blocking=False,
                )
            )
    return found


def scheduler_finding(report: StatusReport) -> Finding:
    """The heartbeat: fresh (✓), or not running, which is information, not a failure."""
    if report.scheduler == "alive":
        when = f"; next run {report.next_run_at:%H:%M} UTC" if report.next_run_at else ""
        return Finding("scheduler", "pass", f"running (heartbeat fresh{when})")
    return Finding(
        "scheduler",
        "info",
        f"not running ({report.scheduler}).",
        "Start it: `systemctl start lightspeed-sync` (or `python -m sync scheduler`).",
        blocking=False,
    )


def last_run_findings(report: StatusReport) -> list[Finding]:
    """The last run of each entity, as information (history is not configuration)."""
    found = []
    for e in report.entities:
        name = f"last run {e.entity}"
        if e.status == NEVER:
            fix = (
                "Run `python -m sync run` (the first run imports everything), or start the "
                "scheduler."
            )
            found.append(Finding(name, "info", "never synced.", fix, blocking=False))
        elif e.error_type and e.status == "failed":
            summary = f"failed: {e.error_type}: {e.error_message}"
            found.append(Finding(name, "info", summary, blocking=False))
        elif e.colour == "green":
            found.append(Finding(name, "pass", f"{e.status}, {e.reason}, {e.records_total:,} rows"))
        else:
            summary = f"{e.status}, {e.reason} ({e.colour.value})."
            fix = "The scheduler keeps every entity fresh: is it running?"
            found.append(Finding(name, "info", summary, fix, blocking=False))
    return found
