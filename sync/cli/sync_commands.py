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
    for_each_store,
    for_store,
    log,
    require_schema,
    store_zone,
    whoami,
    writer_store,
)
from sync.cli.output import ProgressDisplay, print_results
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
    """Sync now (`--entity` to pick, `--full` to ignore the cursor); Ctrl-C stops cleanly.
    `--store PREFIX`: that store; `--all-stores`: each enabled store in turn."""
    return for_each_store(settings, args, lambda each: _run_one(each, args))


def _run_one(settings: Settings, args: argparse.Namespace) -> int:
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
    settings = for_store(settings, args.store)
    store = require_schema(settings)
    from sync.storage.status_report import status_report  # not needed to sync

    report = status_report(store, utcnow(), settings)
    connection = describe(settings, store)
    problems = settings.least_privilege_problems
    if args.json:
        extra = {"connection": connection, "least_privilege": not problems}
        stores = _store_count(store)
        extra |= {"store": store.prefix, "stores": stores}
        print(json.dumps({**report.as_json(), **extra}, indent=2))
        return EXIT_OK
    from sync.cli.status_text import status_lines

    lines = status_lines(
        report,
        store_zone(settings, store),
        connection=connection_line(connection),
        problems=problems,
        colour=sys.stdout.isatty(),
        verbose=bool(args.verbose),
    )
    stores = _store_count(store)
    if stores > 1:
        lines.insert(0, f"Store {store.prefix} (one of {stores} stores; --store PREFIX picks one).")
    print("\n".join(lines))
    return EXIT_OK


def _store_count(store: Any) -> int:
    """How many stores the database holds (1 over REST: it reads the configured one)."""
    if store.sql is None:
        return 1
    from sync.storage.sql.store_admin import list_stores

    return len(list_stores(store.sql))


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
    from sync.service.fleet import StoreFleet, enabled_store_settings
    from sync.service.scheduler import SchedulerService

    store = writer_store(settings)
    if set(enabled_store_settings(settings, store)) != {settings.store_prefix}:
        fleet = StoreFleet(settings, store)  # several stores: one thread each
        fleet.install_signal_handlers()
        return fleet.run_forever()
    require_credentials(settings)  # fail on missing Lightspeed settings before serving
    service = SchedulerService(settings, store)
    service.install_signal_handlers()
    return service.run_forever()


def cmd_request(settings: Settings, args: argparse.Namespace) -> int:
    """Queue a run-now request for the scheduler; warn when no scheduler is alive.
    `--store PREFIX`: for that store; `--all-stores`: for each enabled store."""
    return for_each_store(settings, args, lambda each: _request_one(each, args))


def _request_one(settings: Settings, args: argparse.Namespace) -> int:
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
