"""Sync commands: `run` (one sync now), `status`, `request` (run-now queue), `scheduler`, `demo`."""

from __future__ import annotations

import argparse
import json
import signal
import sys
import threading
from types import FrameType
from typing import Any

from sync.cli.common import (
    EXIT_FAILED,
    EXIT_OK,
    log,
    require_schema,
    whoami,
    writer_store,
)
from sync.cli.output import COLOUR_CODES, ProgressDisplay, print_results
from sync.config import Settings
from sync.engine.connection import describe, require_credentials
from sync.engine.runner import Runner
from sync.runs import utcnow


def _install_stop_handler(stop: threading.Event) -> None:
    def handle(signum: int, _frame: FrameType | None) -> None:
        if stop.is_set():
            raise KeyboardInterrupt
        stop.set()
        log.warning("Stopping after the current page (press Ctrl-C again to abort).")

    signal.signal(signal.SIGINT, handle)
    signal.signal(signal.SIGTERM, handle)


def cmd_run(settings: Settings, args: argparse.Namespace) -> int:
    """Sync now (`--entity` to pick, `--full` to ignore the cursor); Ctrl-C stops cleanly."""
    store = writer_store(settings)
    require_credentials(settings)  # fail on missing Lightspeed settings before any work
    display = ProgressDisplay()
    stop = threading.Event()
    _install_stop_handler(stop)
    runner = Runner(
        settings, store, on_page=display, stop=stop, lock_wait_seconds=settings.lock_ttl_seconds
    )
    results = runner.run(args.entity, full=args.full, trigger="cli", triggered_by=whoami())
    display.done()
    print_results(results)
    return EXIT_FAILED if any(r.status == "failed" for r in results) else EXIT_OK


def cmd_status(settings: Settings, args: argparse.Namespace) -> int:
    """Print health per entity, as a table or (`--json`) as JSON."""
    store = require_schema(settings)
    from sync.storage.status_report import status_report  # not needed to sync

    report = status_report(store, utcnow(), settings)
    connection = describe(settings, store)
    problems = settings.least_privilege_problems
    if args.json:
        extra = {"connection": connection, "least_privilege": not problems}
        print(json.dumps({**report.as_json(), **extra}, indent=2))
        return EXIT_OK
    colour = sys.stdout.isatty()
    health = report.health
    next_run = f" · next run {report.next_run_at:%H:%M} UTC" if report.next_run_at else ""
    counts = health.counts
    print(health.overall_text)
    for problem in problems:  # a banner: readers holding the writer's login
        print(f"WARNING (not least privilege): {problem}")
    print(
        f"Health score {health.health_score}/100 · {counts.healthy} healthy, "
        f"{counts.delayed} delayed, {counts.error} error · "
        f"data {'ready' if health.data_ready else 'NOT READY'} · "
        f"scheduler: {report.scheduler}{next_run}"
    )
    for reason in health.reasons:
        since = f" (since {reason.since:%Y-%m-%d %H:%M} UTC)" if reason.since else ""
        print(f"  Blocked: {reason.entity}: {reason.reason}{since}. Next: {reason.next_step}")
    print(f"Lightspeed: {connection_line(connection)}")
    print(
        f"{'entity':<16} {'health':<7} {'freshness':<9} {'last success':<22} {'last run':<12} "
        f"{'cursor':>12} {'rows':>9}"
    )
    for e in report.entities:
        health_colour = e.colour.value
        shown = (
            f"{COLOUR_CODES[health_colour]}{health_colour:<7}\033[0m"
            if colour
            else f"{health_colour:<7}"
        )
        last = f"{e.last_success:%Y-%m-%d %H:%M:%S}" if e.last_success else "never"
        print(
            f"{e.entity:<16} {shown} {e.freshness.value:<9} {last:<22} {e.status:<12} "
            f"{e.cursor_version:>12} {e.records_total:>9}"
        )
        if e.error_type:
            print(f"{'':<16} {e.error_type}: {e.error_message}")
    return EXIT_OK


def connection_line(connection: dict[str, Any]) -> str:
    """How the store is connected, in one line."""
    if connection["method"] != "app":
        return str(connection["method"])
    if not connection.get("connected"):
        return connection.get("note") or "app, not connected yet: run `python -m sync connect`"
    expires = connection["access_token_expires_at"].replace("T", " ")[:19]
    return f"app connected to store {connection['store']} · access token expires {expires} UTC"


def cmd_scheduler(settings: Settings, _args: argparse.Namespace) -> int:
    """Run the long-running service (scheduled syncs and run-now requests) until stopped."""
    from sync.service.scheduler import SchedulerService

    store = writer_store(settings)
    require_credentials(settings)  # fail on missing Lightspeed settings before serving
    service = SchedulerService(settings, store)
    service.install_signal_handlers()
    return service.run_forever()


def cmd_request(settings: Settings, args: argparse.Namespace) -> int:
    """Queue a run-now request for the scheduler; warn when no scheduler is alive."""
    store = require_schema(settings)
    result = store.request_sync(
        args.entity, requested_by=whoami(), reason=args.reason, now=utcnow()
    )
    if result.merged:
        print(f"Merged into request #{result.id} ({result.status}) for the same entity.")
    else:
        print(f"Queued request #{result.id}: sync {args.entity}; the scheduler picks it up.")
    from sync.storage.status_report import status_report  # not needed to sync

    report = status_report(store, utcnow(), settings)
    if report.scheduler != "alive":
        print(f"Warning: scheduler {report.scheduler}; the request waits until one runs.")
    return EXIT_OK


def cmd_demo(settings: Settings, args: argparse.Namespace) -> int:
    """Simulator + SQLite + scheduler + dashboard on this machine (see sync/cli/demo.py)."""
    from sync.cli.demo import run_demo

    return run_demo(settings, args)
