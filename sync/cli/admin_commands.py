"""Admin commands: `migrate` (schema), `set-password` (dashboard login), `alerts` (test, check)."""

from __future__ import annotations

import argparse
import getpass
import secrets as secrets_module
import sys
from datetime import datetime
from pathlib import Path

from sync.cli.common import (
    EXIT_FAILED,
    EXIT_OK,
    EXIT_USAGE,
    for_each_store,
    require_schema,
    require_sql,
    store_zone,
)
from sync.config import Settings
from sync.days import clock_label
from sync.errors import ErrorKind, SyncError
from sync.runs import utcnow
from sync.storage.backend import uses_supabase_rest
from sync.storage.sql.db import (
    create_db_engine,
    migrate,
    safe_url,
    schema_version,
    supabase_setup_sql,
)
from sync.storage.sql.store import Store
from sync.storage.stores import configured_store


def cmd_migrate(settings: Settings, args: argparse.Namespace) -> int:
    """Create or upgrade all tables; `--sql` prints the Supabase setup script instead."""
    if args.sql:
        print(supabase_setup_sql(), end="")
        return EXIT_OK
    if uses_supabase_rest(settings):
        raise SyncError(
            ErrorKind.CONFIG,
            "Migrations cannot run through the Supabase REST API: they need the project's "
            "Postgres connection.",
            recovery="Set DATABASE_URL to the project's connection string for this one command "
            "(DATABASE_URL=postgresql://... python -m sync migrate), or paste "
            "sql/supabase/setup.sql into the Supabase SQL editor.",
        )
    engine = create_db_engine(settings.database_url)
    applied = migrate(engine, configured_store(settings))
    Store(engine, prefix=settings.store_prefix).ensure_state_rows()
    version = schema_version(engine)
    done = f"applied {', '.join(map(str, applied))}" if applied else "already up to date"
    print(f"Database {safe_url(settings.database_url)}: schema version {version} ({done}).")
    return EXIT_OK


def new_password_hash(from_stdin: bool, prompt: str) -> str | None:
    """Read a new password (twice at a prompt, once from stdin) and return its bcrypt hash;
    None, with the reason printed, when the two differ or the password breaks a rule."""
    import bcrypt

    from sync.auth import password_problem

    if from_stdin:
        password = sys.stdin.readline().rstrip("\n")
        confirm = password
    else:
        password = getpass.getpass(prompt)
        confirm = getpass.getpass("Repeat it: ")
    if password != confirm:
        print("The two passwords differ; nothing was changed.", file=sys.stderr)
        return None
    problem = password_problem(password)
    if problem:
        print(problem, file=sys.stderr)
        return None
    return bcrypt.hashpw(password.encode(), bcrypt.gensalt()).decode()


def cmd_set_password(_settings: Settings, args: argparse.Namespace) -> int:
    """Prompt twice (or read stdin); write the password's bcrypt hash and a new cookie key."""
    from dotenv import set_key

    hashed = new_password_hash(args.password_stdin, "New dashboard password: ")
    if hashed is None:
        return EXIT_USAGE
    env_path = Path(args.env_file)
    env_path.touch(mode=0o600, exist_ok=True)
    # Before the secrets go in: an existing .env may have been created 0644 by an editor.
    env_path.chmod(0o600)
    set_key(str(env_path), "DASHBOARD_PASSWORD_HASH", hashed)
    # A new key makes every existing login cookie invalid: a stolen cookie dies with the
    # old password.
    set_key(str(env_path), "DASHBOARD_COOKIE_KEY", secrets_module.token_urlsafe(48))
    print(
        f"Dashboard password set (bcrypt hash and a new cookie key written to {env_path}); "
        "restart the dashboard: every browser has to log in again."
    )
    return EXIT_OK


def cmd_unlock(settings: Settings, args: argparse.Namespace) -> int:
    """Lift every login pause of one dashboard user (with the writer's login)."""
    from sync.auth import throttle_key
    from sync.storage.sql.login_attempts import unlock

    engine = require_sql(settings, "Unlocking a dashboard login").engine
    lifted = unlock(engine, args.username, utcnow())
    print(
        f"Login pauses of {throttle_key(args.username)!r} lifted: {lifted} failed attempt(s) of "
        "the last 24 hours no longer count, from any address."
    )
    return EXIT_OK


def cmd_alerts(settings: Settings, args: argparse.Namespace) -> int:
    """`alerts test` messages every channel; `alerts check` evaluates the rules once (for
    `--store PREFIX`, or each enabled store with `--all-stores`)."""
    if args.alerts_command == "check":
        return for_each_store(settings, args, _check_alerts)
    from sync.alerts import AlertService

    if not settings.all_alert_urls:
        print("No alert channels: set ALERT_URLS in .env (see .env.example).", file=sys.stderr)
        return EXIT_USAGE
    deliveries = AlertService(settings, require_schema(settings)).send_test()
    for d in deliveries:
        print(
            f"{'sent' if d.ok else 'FAILED':<7} {d.channel}" + (f": {d.error}" if d.error else "")
        )
    return EXIT_FAILED if any(not d.ok for d in deliveries) else EXIT_OK


def _check_alerts(settings: Settings) -> int:
    """Evaluate one store's alert rules once and print its open incidents."""
    from sync.alerts import AlertService

    store = require_schema(settings)
    service = AlertService(settings, store)
    zone = store_zone(settings, store)  # the times in the store's own clock

    def when(moment: datetime, fmt: str = "%Y-%m-%d %H:%M") -> str:
        return clock_label(moment, zone, fmt)

    evaluation = service.evaluate()
    if evaluation.skipped:
        print("Another process is evaluating alerts right now; showing its latest state.")
    changes = evaluation.changes
    failed = sum(1 for d in evaluation.deliveries if not d.ok)
    print(
        f"Checked at {when(evaluation.checked_at, '%Y-%m-%d %H:%M:%S')}: "
        f"{len(changes.opened)} opened, {len(changes.resolved)} resolved; "
        f"{len(evaluation.deliveries) - failed} message(s) sent, {failed} failed."
    )
    incidents = service.book.open_incidents()
    print(f"Open incidents: {len(incidents)}" + ("" if incidents else " (all clear)"))
    for i in incidents:
        notes = []
        if i.acknowledged_at:
            notes.append(f"acknowledged by {i.acknowledged_by}")
        if i.snoozed_until and i.snoozed_until > evaluation.checked_at:
            notes.append(f"snoozed until {when(i.snoozed_until)}")
        extra = f" [{'; '.join(notes)}]" if notes else ""
        print(
            f"#{i.id} [{i.severity}] {i.title} since {when(i.since)}, "
            f"{i.occurrences} occurrence(s){extra}"
        )
        print(f"  {i.message}")
        print(f"  what to do: {i.recovery}")
    if failed:
        # A non-zero exit lets cron mail this output: a second way to hear about it.
        print(
            f"{failed} message(s) could not be sent (see alert_notifications); they are retried "
            "at the next check.",
            file=sys.stderr,
        )
        return EXIT_FAILED
    return EXIT_OK
