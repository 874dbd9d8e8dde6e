"""What the commands print: errors, run results, reconciliation reports, live progress."""

from __future__ import annotations

import sys
import time
from collections.abc import Sequence
from typing import TYPE_CHECKING, TextIO

from sync.cli.common import log
from sync.engine.runner import EntityResult
from sync.errors import SyncError
from sync.storage.runlog import Progress

if TYPE_CHECKING:
    from sync.engine.reconcile import Report

COLOUR_CODES = {"green": "\033[32m", "yellow": "\033[33m", "red": "\033[31m"}


def print_error(exc: SyncError, stream: TextIO | None = None) -> None:
    """Print a SyncError as its kind and message, then what to do about it."""
    stream = stream or sys.stderr  # the current one, not the one at import
    print(f"error: {exc.kind.value}: {exc.message}", file=stream)
    print(f"  what to do: {exc.recovery}", file=stream)


class ProgressDisplay:
    """A live one-line display on a terminal; a log line every few seconds otherwise."""

    def __init__(self, stream: TextIO | None = None, every_seconds: float = 5.0) -> None:
        self.stream = stream = stream or sys.stderr
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
        """Clear the live line (on a terminal) before the results are printed."""
        if self.tty:
            self.stream.write("\r\033[K")
            self.stream.flush()


def print_results(results: Sequence[EntityResult], stream: TextIO | None = None) -> None:
    """Print one table row per entity run, then each error, note or reject count."""
    stream = stream or sys.stdout
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


def print_reconciliation(report: Report, stream: TextIO | None = None) -> None:
    """Print each check of a reconciliation, then the repairs to run or the all-clear."""
    stream = stream or sys.stdout
    print(
        f"Reconciliation of {report.day}, each outlet's own calendar day "
        f"(run {report.run_id[:8]}):",
        file=stream,
    )
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
