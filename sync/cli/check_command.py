"""`python -m sync check`: is this installation ready? One line per check, ✓ / ✗ / a dash.

It reads the settings itself (like `settings`), so that invalid values are shown as ✗ lines
while everything they do not touch is still checked. It never writes data (an app's expired
access token is renewed, as any run would) and makes at most one request per Lightspeed
endpoint. `--service` is what the systemd unit runs before
starting the scheduler: only what the scheduler needs, and only a broken setting fails it
(an outage of the network, Lightspeed or the database does not: the scheduler retries).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from dataclasses import asdict
from typing import TextIO

from sync.cli import checks
from sync.config import Reading, Settings, alert_url_secrets, read_settings
from sync.config.loader import build_settings
from sync.engine.connection import app_token_store
from sync.errors import ErrorKind, SyncError, redact
from sync.lightspeed.identity import missing_scopes, scope_list
from sync.lightspeed.probe import Finding, probe_store
from sync.lightspeed.tokens import AppTokens
from sync.logs import setup_logging
from sync.runs import utcnow
from sync.storage.protocols import SyncStore
from sync.storage.status_report import status_report

EXIT_OK, EXIT_FAILED = 0, 1
DASH = "\u2013"  # an en dash: information, or not checked
MARKS = {"pass": "✓", "fail": "✗", "info": DASH, "skip": DASH}
ASCII_MARKS = {"pass": "ok", "fail": "FAIL", "info": "-", "skip": "-"}
# Which checks read which variables: a check is skipped while one of them does not parse.
LIGHTSPEED_VARIABLES = ("LIGHTSPEED_", "SYNC_PAGE_SIZE")
DATABASE_VARIABLES = ("DATABASE_URL", "SUPABASE_")


def cmd_check(args: argparse.Namespace, out: TextIO | None = None) -> int:
    """Run every check, print one line each; exit 0 only when everything needed passes."""
    out = out or sys.stdout
    readings = read_settings(env_file=args.env_file)
    secrets = secrets_of(readings)
    setup_logging(None, secrets, verbose=args.verbose)
    findings = run_checks(readings, secrets, send=args.send, service=args.service)
    failed = [f for f in findings if f.status == "fail" and (f.blocking or not args.service)]
    if args.json:
        rows = [asdict(f) for f in findings]
        text = json.dumps({"ok": not failed, "checks": rows}, indent=2) + "\n"
    else:
        text = render(findings, marks_for(out)) + summary(findings, failed, args.service) + "\n"
    out.write(redact(text, *secrets))
    return EXIT_FAILED if failed else EXIT_OK


def run_checks(
    readings: list[Reading], secrets: tuple[str, ...], *, send: bool, service: bool
) -> list[Finding]:
    """Every check in the order they are shown; `service` keeps the scheduler's only."""
    bad = {r.name for r in readings if r.error}
    settings = build_settings([r for r in readings if not r.error])
    found = checks.settings_findings(readings)
    store = None
    if _touches(bad, DATABASE_VARIABLES):
        found.append(_skipped("database", bad, DATABASE_VARIABLES))
    else:
        database, store = checks.database_findings(settings)
        found += database
    if _touches(bad, LIGHTSPEED_VARIABLES):
        found.append(_skipped("Lightspeed", bad, LIGHTSPEED_VARIABLES))
    else:
        found += probe_store(settings, token=_app_token(settings, store))
        if settings.uses_app and store is not None:
            found.append(_app_scopes(settings, store))
    # Alert URLs are settings too: one apprise cannot read stops the scheduler at start-up.
    found += checks.alert_findings(
        readings, secrets, send=send and not service, store_name=settings.display_name
    )
    if service:
        return found
    found += checks.dashboard_login_findings(settings)
    if _touches(bad, ("DASHBOARD_DATABASE_URL", *DATABASE_VARIABLES)):
        found.append(_skipped("dashboard database", bad, ("DASHBOARD_DATABASE_URL",)))
    else:
        found.append(checks.dashboard_database_finding(settings))
    if store is None:
        found.append(Finding("scheduler", "skip", "not checked: the database is not ready"))
        return found
    report = status_report(store, utcnow(), settings)
    found.append(checks.scheduler_finding(report))
    found += checks.last_run_findings(report)
    return found


def _app_token(settings: Settings, store: SyncStore | None) -> Callable[[], str] | None:
    """An app's access token from the database (it may be refreshed); None: personal token."""
    if not settings.uses_app:
        return None

    def current() -> str:
        if store is None:
            raise SyncError(
                ErrorKind.CONFIG, "The app's tokens live in the database, which is not ready."
            )
        return AppTokens(settings, app_token_store(settings, store)).current()

    return current


def _app_scopes(settings: Settings, store: SyncStore) -> Finding:
    """Do the scopes Lightspeed granted the app cover every entity the sync reads?"""
    name = "app scopes"
    try:
        tokens = app_token_store(settings, store).load()
    except SyncError as exc:
        return Finding(name, "skip", f"not checked: {exc.message}")
    if tokens is None:
        return Finding(name, "skip", "not checked: the app is not connected yet")
    if tokens.scope is None:
        return Finding(
            name,
            "info",
            "Lightspeed did not say which scopes it granted; the lines above try each one.",
            blocking=False,
        )
    missing = missing_scopes(tokens.scope)
    if not missing:
        return Finding(name, "pass", f"granted {' '.join(scope_list(tokens.scope))}")
    return Finding(
        name,
        "fail",
        f"Lightspeed did not grant the app {' '.join(missing)}, which the sync needs.",
        "Declare those scopes for the app in the Lightspeed developer portal, include them in "
        "LIGHTSPEED_SCOPES (or leave it unset), then run `python -m sync connect` again.",
    )


def secrets_of(readings: list[Reading]) -> tuple[str, ...]:
    """Every secret value read (masked in every line printed), alert URL parts included."""
    values = []
    for r in readings:
        if r.raw and r.item.secret and not checks.is_alert_setting(r.name):
            values.append(r.raw)
        elif checks.is_alert_setting(r.name) and r.raw:  # only the secret parts of the URLs
            values += [part for url in r.raw.split() for part in alert_url_secrets(url) or ()]
    return tuple(dict.fromkeys(v for v in values if v))


def render(findings: list[Finding], marks: dict[str, str]) -> str:
    """One line per finding: mark, name, what was found and, unless it passed, what to do."""
    lines = []
    for f in findings:
        line = f"{marks[f.status]} {f.name}: {f.summary}"
        if f.fix and f.status != "pass":
            line += f" {f.fix}"
        lines.append(line)
    return "\n".join(lines) + "\n"


def summary(findings: list[Finding], failed: list[Finding], service: bool) -> str:
    """The last line: all clear, or how many problems and what then."""
    if service:
        if failed:
            return (
                f"The scheduler was not started: {len(failed)} problem(s) above need a fix in "
                ".env; then run `systemctl restart lightspeed-sync`."
            )
        if any(f.status == "fail" for f in findings):
            return "Starting the scheduler: it retries the failures above by itself."
        return "Ready: starting the scheduler."
    if failed:
        return (
            f"{len(failed)} problem(s): fix the ✗ lines above, then run "
            "`python -m sync check` again."
        )
    return "Everything needed is ready."


def marks_for(out: TextIO) -> dict[str, str]:
    """✓ ✗ and the dash, or ASCII on a stream that cannot encode them."""
    try:
        "".join(MARKS.values()).encode(getattr(out, "encoding", None) or "utf-8")
    except (UnicodeEncodeError, LookupError):
        return ASCII_MARKS
    return MARKS


def _touches(bad: set[str], prefixes: tuple[str, ...]) -> bool:
    return any(name.startswith(prefixes) for name in bad)


def _skipped(name: str, bad: set[str], prefixes: tuple[str, ...]) -> Finding:
    names = ", ".join(sorted(n for n in bad if n.startswith(prefixes)))
    return Finding(name, "skip", f"not checked: {names} does not parse (see above)")
