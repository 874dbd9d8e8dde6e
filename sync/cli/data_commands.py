"""Data commands on a direct SQL connection: `backfill`, `reconcile`, `prune`."""

from __future__ import annotations

import argparse

from sync.cli.common import EXIT_FAILED, EXIT_OK, for_store, require_sql, whoami
from sync.cli.output import ProgressDisplay, print_reconciliation, print_results
from sync.config import Settings
from sync.errors import SyncError
from sync.runs import SKIPPED, RunStatus, utcnow


def cmd_backfill(settings: Settings, args: argparse.Namespace) -> int:
    """Re-fetch store days (sales) or do a full pass (others); `--dry-run` only estimates."""
    from sync.engine.backfill import backfill, check_range, estimate

    settings = for_store(settings, args.store)
    store = require_sql(settings, "A backfill from the command line")
    check_range(args.date_from, args.date_to)
    try:
        guess = estimate(
            settings,
            store.engine,
            args.entity,
            args.date_from,
            args.date_to,
            zone=settings.store_time_zone,
        )
    except SyncError as exc:  # an estimate is advice: the backfill goes on without it
        print(f"No estimate: {exc.message}" + ("" if args.dry_run else " Backfilling anyway."))
    else:
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
        triggered_by=whoami(),
        on_page=display,
    )
    display.done()
    print_results([result])
    return EXIT_FAILED if result.status in (RunStatus.FAILED, SKIPPED) else EXIT_OK


def cmd_reconcile(settings: Settings, args: argparse.Namespace) -> int:
    """Compare the copy with Lightspeed for one day; `--repair` backfills and checks again."""
    from sync.engine.backfill import backfill
    from sync.engine.reconcile import Reconciler

    settings = for_store(settings, args.store)
    store = require_sql(settings, "Reconciliation")
    report = Reconciler(settings, store).run(args.date)
    print_reconciliation(report)
    if args.repair and report.mismatches:
        entities = {c.entity for c in report.mismatches}
        for entity in sorted(entities):
            print(f"Repairing {entity} ...")
            first, last = report.repair_days or (report.day, report.day)
            backfill(settings, store, entity, first, last, triggered_by=whoami())
        report = Reconciler(settings, store).run(report.day)
        print_reconciliation(report)
    return EXIT_FAILED if report.mismatches or report.errors else EXIT_OK


def cmd_prune(settings: Settings, _args: argparse.Namespace) -> int:
    """Delete history rows older than RETENTION_MONTHS."""
    from sync.storage.sql.retention import prune

    store = require_sql(settings, "Pruning")
    result = prune(store.engine, utcnow(), settings.retention_months)
    removed = ", ".join(f"{k}: {v}" for k, v in result.removed.items())
    print(f"Removed {result.total} row(s) older than {result.horizon:%Y-%m-%d} ({removed}).")
    return EXIT_OK
