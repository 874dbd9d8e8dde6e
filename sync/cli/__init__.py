"""`python -m sync <command>`: argparse subcommands with exit codes 0 / 1 / 2."""

from __future__ import annotations

import argparse
import getpass
import json
import logging
import secrets as secrets_module
import signal
import sys
import threading
import time
from collections.abc import Sequence
from datetime import date
from pathlib import Path
from types import FrameType
from typing import Any, TextIO

from sync.cli.settings_command import add_settings_parser, cmd_settings
from sync.config import Settings, load_settings
from sync.engine.runner import EntityResult, Runner
from sync.entities import ENTITY_BY_NAME
from sync.errors import ErrorKind, SyncError
from sync.logs import setup_logging
from sync.runs import utcnow
from sync.storage.backend import SyncStore, open_store, uses_supabase_rest
from sync.storage.sql.db import (
    create_db_engine,
    migrate,
    safe_url,
    schema_version,
    supabase_setup_sql,
)
from sync.storage.sql.queue import REQUESTABLE
from sync.storage.sql.store import Progress, Store

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2
log = logging.getLogger("sync")

LOGGED_COMMANDS = (
    "run",
    "migrate",
    "demo",
    "scheduler",
    "backfill",
    "reconcile",
    "prune",
    "alerts",
)
COLOUR_CODES = {"green": "\033[32m", "yellow": "\033[33m", "red": "\033[31m"}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m sync",
        description="Lightspeed Sync & Health: keep an exact copy of a Lightspeed X-Series store.",
    )
    parser.add_argument("--env-file", default=".env", help="settings file (default .env)")
    parser.add_argument("-v", "--verbose", action="store_true", help="debug logging")
    sub = parser.add_subparsers(dest="command", required=True, metavar="command")
    migrate_cmd = sub.add_parser("migrate", help="create or upgrade all tables (idempotent)")
    migrate_cmd.add_argument(
        "--sql",
        action="store_true",
        help="print the setup script for the Supabase SQL editor instead of running it",
    )
    run = sub.add_parser("run", help="sync now")
    run.add_argument(
        "--entity", action="append", choices=sorted(ENTITY_BY_NAME), help="only this entity"
    )
    run.add_argument("--full", action="store_true", help="ignore the cursor, re-read everything")
    status = sub.add_parser("status", help="health per entity")
    status.add_argument("--json", action="store_true", help="machine-readable output")
    sub.add_parser(
        "simulator", help="local Lightspeed API 2.0 development stand-in", add_help=False
    )
    pw = sub.add_parser("set-password", help="set the dashboard password (bcrypt hash in .env)")
    pw.add_argument(
        "--password-stdin", action="store_true", help="read the password from stdin (scripts)"
    )
    sub.add_parser("scheduler", help="the long-running service: scheduled syncs and run-now")
    req = sub.add_parser("request", help="ask the scheduler for a sync now (run-now queue)")
    req.add_argument("--entity", choices=sorted(REQUESTABLE), default="all")
    req.add_argument("--reason", default=None)
    back = sub.add_parser("backfill", help="re-fetch a date range (sales) or a full pass (others)")
    back.add_argument("--entity", choices=sorted(ENTITY_BY_NAME), default="sales")
    back.add_argument(
        "--from", dest="date_from", type=_date_arg, required=True, metavar="YYYY-MM-DD"
    )
    back.add_argument("--to", dest="date_to", type=_date_arg, required=True, metavar="YYYY-MM-DD")
    back.add_argument("--dry-run", action="store_true", help="print the estimate, write nothing")
    rec = sub.add_parser("reconcile", help="compare the copy with Lightspeed (counts, day totals)")
    rec.add_argument(
        "--date",
        type=_date_arg,
        default=None,
        metavar="YYYY-MM-DD",
        help="the day whose sales are checked (default yesterday, UTC)",
    )
    rec.add_argument("--repair", action="store_true", help="run the offered repairs, check again")
    sub.add_parser("prune", help="delete history rows older than RETENTION_MONTHS")
    alerts = sub.add_parser("alerts", help="alert channels and incidents")
    alerts_sub = alerts.add_subparsers(dest="alerts_command", required=True, metavar="action")
    alerts_sub.add_parser("test", help="send a test message to every configured channel")
    alerts_sub.add_parser(
        "check", help="evaluate the alert rules once (cron) and print the open incidents"
    )
    sub.add_parser("demo", help="simulator + scheduler + dashboard on SQLite, on this machine")
    add_settings_parser(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point; returns the process exit code."""
    args_list = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser()
    if "simulator" in args_list:
        index = args_list.index("simulator")
        from sync.simulator import main as simulator_main

        return simulator_main(args_list[index + 1 :])
    args = parser.parse_args(args_list)
    if args.command == "settings":  # reads the settings itself, to show the bad ones
        return cmd_settings(args)
    try:
        settings = load_settings(env_file=args.env_file)
        setup_logging(
            settings.log_dir if args.command in LOGGED_COMMANDS else None,
            settings.secrets,
            verbose=args.verbose,
        )
        handler = COMMANDS[args.command]
        return handler(settings, args)
    except SyncError as exc:
        print_error(exc)
        return EXIT_USAGE if exc.kind is ErrorKind.CONFIG else EXIT_FAILED
    except KeyboardInterrupt:
        print("Interrupted.", file=sys.stderr)
        return EXIT_FAILED


def print_error(exc: SyncError, stream: TextIO = sys.stderr) -> None:
    print(f"error: {exc.kind.value}: {exc.message}", file=stream)
    print(f"  what to do: {exc.recovery}", file=stream)


def cmd_migrate(settings: Settings, args: argparse.Namespace) -> int:
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
    applied = migrate(engine)
    Store(engine).ensure_state_rows()
    version = schema_version(engine)
    done = f"applied {', '.join(map(str, applied))}" if applied else "already up to date"
    print(f"Database {safe_url(settings.database_url)}: schema version {version} ({done}).")
    return EXIT_OK


def _require_schema(settings: Settings) -> SyncStore:
    return open_store(settings)


def _writer_store(settings: Settings) -> SyncStore:
    # A project set up through the SQL editor has no sync_state rows until a writer adds them.
    store = _require_schema(settings)
    store.ensure_state_rows()
    return store


def _require_sql(settings: Settings, what: str) -> Store:
    store = _require_schema(settings)
    if not isinstance(store, Store):
        raise SyncError(
            ErrorKind.CONFIG,
            f"{what} needs a direct database connection; the Supabase REST backend cannot run it.",
            recovery="Set DATABASE_URL to the project's Postgres connection string (it wins "
            "over SUPABASE_URL) and run the command again.",
        )
    return store


class ProgressDisplay:
    """A live one-line display on a terminal; a log line every few seconds otherwise."""

    def __init__(self, stream: TextIO = sys.stderr, every_seconds: float = 5.0) -> None:
        self.stream = stream
        self.tty = stream.isatty()
        self.every = every_seconds
        self._last = 0.0

    def __call__(self, entity: str, progress: Progress, elapsed: float) -> None:
        rate = progress.upserted / elapsed if elapsed > 0 else 0.0
        text = (
            f"{entity}: page {progress.pages} · {progress.upserted:,} records · "
            f"{rate:,.0f} records/s · {progress.api_calls} API calls"
        )
        if self.tty:
            self.stream.write("\r\033[K" + text)
            self.stream.flush()
        elif time.monotonic() - self._last >= self.every:
            self._last = time.monotonic()
            log.info(text)

    def done(self) -> None:
        if self.tty:
            self.stream.write("\r\033[K")
            self.stream.flush()


def _install_stop_handler(stop: threading.Event) -> None:
    def handle(signum: int, _frame: FrameType | None) -> None:
        if stop.is_set():
            raise KeyboardInterrupt
        stop.set()
        log.warning("Stopping after the current page (press Ctrl-C again to abort).")

    signal.signal(signal.SIGINT, handle)
    signal.signal(signal.SIGTERM, handle)


def cmd_run(settings: Settings, args: argparse.Namespace) -> int:
    store = _writer_store(settings)
    settings.api_base_url  # noqa: B018 - fail on missing Lightspeed settings before any work
    settings.token  # noqa: B018
    display = ProgressDisplay()
    stop = threading.Event()
    _install_stop_handler(stop)
    runner = Runner(
        settings, store, on_page=display, stop=stop, lock_wait_seconds=settings.lock_ttl_seconds
    )
    results = runner.run(args.entity, full=args.full, trigger="cli", triggered_by=_whoami())
    display.done()
    print_results(results)
    return EXIT_FAILED if any(r.status == "failed" for r in results) else EXIT_OK


def _whoami() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "cli"


def print_results(results: Sequence[EntityResult], stream: TextIO = sys.stdout) -> None:
    print(
        f"{'entity':<12} {'status':<12} {'upserted':>9} {'deleted':>8} {'rejected':>8} "
        f"{'pages':>6} {'calls':>6} {'seconds':>8}",
        file=stream,
    )
    for r in results:
        upserted = f"{r.upserted}" + (f"+{r.children_upserted}" if r.children_upserted else "")
        print(
            f"{r.entity:<12} {r.status:<12} {upserted:>9} {r.deleted:>8} {r.rejected:>8} "
            f"{r.pages:>6} {r.api_calls:>6} {r.seconds:>8.1f}",
            file=stream,
        )
    for r in results:
        if r.error is not None:
            print(f"{r.entity}: {r.error.kind.value}: {r.error.message}", file=stream)
            print(f"  what to do: {r.error.recovery}", file=stream)
        elif r.note:
            print(f"{r.entity}: {r.status}, {r.note}.", file=stream)
        elif r.status == "partial":
            print(
                f"{r.entity}: {r.rejected} record(s) rejected; see the sync_rejects table.",
                file=stream,
            )


def cmd_status(settings: Settings, args: argparse.Namespace) -> int:
    store = _require_schema(settings)
    report = store.status_report(utcnow(), settings)
    if args.json:
        print(json.dumps(report.as_json(), indent=2))
        return EXIT_OK
    colour = sys.stdout.isatty()
    next_run = f" · next run {report.next_run_at:%H:%M} UTC" if report.next_run_at else ""
    print(f"Overall: {report.overall.value} · scheduler: {report.scheduler}{next_run}")
    print(
        f"{'entity':<16} {'health':<7} {'last success':<22} {'last run':<12} "
        f"{'cursor':>12} {'rows':>9}"
    )
    for e in report.entities:
        health = e.colour.value
        shown = f"{COLOUR_CODES[health]}{health:<7}\033[0m" if colour else f"{health:<7}"
        last = f"{e.last_success:%Y-%m-%d %H:%M:%S}" if e.last_success else "never"
        print(
            f"{e.entity:<16} {shown} {last:<22} {e.status:<12} {e.cursor_version:>12} "
            f"{e.records_total:>9}"
        )
        if e.error_type:
            print(f"{'':<16} {e.error_type}: {e.error_message}")
    return EXIT_OK


def cmd_set_password(settings: Settings, args: argparse.Namespace) -> int:
    import bcrypt
    from dotenv import set_key

    if args.password_stdin:
        password = sys.stdin.readline().rstrip("\n")
        confirm = password
    else:
        password = getpass.getpass("New dashboard password: ")
        confirm = getpass.getpass("Repeat it: ")
    if password != confirm:
        print("The two passwords differ; nothing was changed.", file=sys.stderr)
        return EXIT_USAGE
    if len(password) < 10:
        print("Use at least 10 characters; nothing was changed.", file=sys.stderr)
        return EXIT_USAGE
    hashed = bcrypt.hashpw(password.encode(), bcrypt.gensalt()).decode()
    env_path = Path(args.env_file)
    env_path.touch(mode=0o600, exist_ok=True)
    set_key(str(env_path), "DASHBOARD_PASSWORD_HASH", hashed)
    if not settings.dashboard_cookie_key:
        set_key(str(env_path), "DASHBOARD_COOKIE_KEY", secrets_module.token_urlsafe(32))
    print(f"Dashboard password set (bcrypt hash written to {env_path}).")
    return EXIT_OK


def cmd_scheduler(settings: Settings, _args: argparse.Namespace) -> int:
    from sync.service.scheduler import SchedulerService

    store = _writer_store(settings)
    settings.api_base_url  # noqa: B018 - fail on missing Lightspeed settings before serving
    settings.token  # noqa: B018
    service = SchedulerService(settings, store)
    service.install_signal_handlers()
    return service.run_forever()


def cmd_request(settings: Settings, args: argparse.Namespace) -> int:
    store = _require_schema(settings)
    result = store.request_sync(
        args.entity, requested_by=_whoami(), reason=args.reason, now=utcnow()
    )
    if result.merged:
        print(f"Merged into request #{result.id} ({result.status}) for the same entity.")
    else:
        print(f"Queued request #{result.id}: sync {args.entity}; the scheduler picks it up.")
    report = store.status_report(utcnow(), settings)
    if report.scheduler != "alive":
        print(f"Warning: scheduler {report.scheduler}; the request waits until one runs.")
    return EXIT_OK


def _date_arg(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date like 2026-01-31") from None


def cmd_backfill(settings: Settings, args: argparse.Namespace) -> int:
    from sync.engine.backfill import backfill, check_range, estimate
    from sync.lightspeed.client import LightspeedClient

    store = _require_sql(settings, "A backfill from the command line")
    check_range(args.date_from, args.date_to)
    client = LightspeedClient(settings) if args.entity == "sales" else None
    try:
        guess = estimate(settings, store.engine, args.entity, args.date_from, args.date_to, client)
    finally:
        if client is not None:
            client.close()
    print(f"Estimate: {guess.describe()}")
    if args.dry_run:
        print("Dry run: nothing was written.")
        return EXIT_OK
    display = ProgressDisplay()
    result = backfill(
        settings,
        store,
        args.entity,
        args.date_from,
        args.date_to,
        trigger="cli",
        triggered_by=_whoami(),
        on_page=display,
    )
    display.done()
    print_results([result])
    return EXIT_FAILED if result.status in ("failed", "skipped") else EXIT_OK


def cmd_reconcile(settings: Settings, args: argparse.Namespace) -> int:
    from sync.engine.backfill import backfill
    from sync.engine.reconcile import Reconciler

    store = _require_sql(settings, "Reconciliation")
    report = Reconciler(settings, store).run(args.date)
    print_reconciliation(report)
    if args.repair and report.mismatches:
        entities = {c.entity for c in report.mismatches}
        for entity in sorted(entities):
            print(f"Repairing {entity} ...")
            backfill(settings, store, entity, report.day, report.day, triggered_by=_whoami())
        report = Reconciler(settings, store).run(report.day)
        print_reconciliation(report)
    return EXIT_FAILED if report.mismatches or report.errors else EXIT_OK


def print_reconciliation(report: Any, stream: TextIO = sys.stdout) -> None:
    print(f"Reconciliation of {report.day} (run {report.run_id[:8]}):", file=stream)
    for c in report.checks:
        mark = "ok " if c.matched else "MISMATCH"
        print(
            f"  {mark:<8} {c.entity:<10} {c.scope:<52} {c.measure:<13} "
            f"source {c.source_value} · copy {c.db_value}",
            file=stream,
        )
    for text in report.errors:
        print(f"  error: {text}", file=stream)
    if report.mismatches:
        print("Repair with:", file=stream)
        for command in report.repairs():
            print(f"  {command}", file=stream)
    elif not report.errors:
        print("Verified: the copy matches Lightspeed.", file=stream)


def cmd_prune(settings: Settings, _args: argparse.Namespace) -> int:
    from sync.storage.sql.retention import prune

    store = _require_sql(settings, "Pruning")
    result = prune(store.engine, utcnow(), settings.retention_months)
    removed = ", ".join(f"{k}: {v}" for k, v in result.removed.items())
    print(f"Removed {result.total} row(s) older than {result.horizon:%Y-%m-%d} ({removed}).")
    return EXIT_OK


def cmd_alerts(settings: Settings, args: argparse.Namespace) -> int:
    from sync.alerts import AlertService, open_incidents

    store = _require_sql(settings, "Alert evaluation")
    service = AlertService(settings, store.engine)
    if args.alerts_command == "test":
        if not settings.all_alert_urls:
            print("No alert channels: set ALERT_URLS in .env (see .env.example).", file=sys.stderr)
            return EXIT_USAGE
        deliveries = service.send_test()
        for d in deliveries:
            print(
                f"{'sent' if d.ok else 'FAILED':<7} {d.channel}"
                + (f": {d.error}" if d.error else "")
            )
        return EXIT_FAILED if any(not d.ok for d in deliveries) else EXIT_OK
    evaluation = service.evaluate()
    if evaluation.skipped:
        print("Another process is evaluating alerts right now; showing its latest state.")
    changes = evaluation.changes
    failed = sum(1 for d in evaluation.deliveries if not d.ok)
    print(
        f"Checked at {evaluation.checked_at:%Y-%m-%d %H:%M:%S} UTC: {len(changes.opened)} opened, "
        f"{len(changes.resolved)} resolved; {len(evaluation.deliveries) - failed} message(s) "
        f"sent, {failed} failed."
    )
    incidents = open_incidents(store.engine)
    print(f"Open incidents: {len(incidents)}" + ("" if incidents else " (all clear)"))
    for i in incidents:
        notes = []
        if i.acknowledged_at:
            notes.append(f"acknowledged by {i.acknowledged_by}")
        if i.snoozed_until and i.snoozed_until > evaluation.checked_at:
            notes.append(f"snoozed until {i.snoozed_until:%Y-%m-%d %H:%M} UTC")
        extra = f" [{'; '.join(notes)}]" if notes else ""
        print(
            f"#{i.id} [{i.severity}] {i.title} since {i.since:%Y-%m-%d %H:%M} UTC, "
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


def cmd_demo(settings: Settings, args: argparse.Namespace) -> int:
    from sync.cli.demo import run_demo

    return run_demo(settings, args)


COMMANDS: dict[str, Any] = {
    "migrate": cmd_migrate,
    "run": cmd_run,
    "status": cmd_status,
    "set-password": cmd_set_password,
    "demo": cmd_demo,
    "backfill": cmd_backfill,
    "reconcile": cmd_reconcile,
    "prune": cmd_prune,
    "scheduler": cmd_scheduler,
    "request": cmd_request,
    "alerts": cmd_alerts,
}
