"""What backfill and reconciliation read of the copy, over SQL or REST (one protocol, twins).

The twins are sync.storage.sql.copy_reads and sync.storage.rest.copy_reads;
sync.storage.copy_source picks one for a store. The rules that use these facts (what a
backfill costs, which sale is closed) stay in sync.engine.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from sync.days import StoreDays


@dataclass(frozen=True)
class CopySale:
    """A live sale of the copy as reconciliation compares it: its total and its source JSON."""

    id: str
    outlet_id: str | None
    total_price: Decimal | None
    raw: Any


class CopyReads(Protocol):
    """Reads of the copy for backfill estimates and reconciliation, and its one write."""

    def store_days(self, store_time_zone: str | None) -> StoreDays:
        """The store's days: STORE_TIME_ZONE, else the zone most outlets in the copy share."""
        ...

    def sale_times(self, start: datetime, end: datetime) -> list[datetime]:
        """The sale_date of every stored sale with start <= sale_date <= end, sorted, in UTC."""
        ...

    def records_total(self, entity: str) -> int:
        """The row count sync_state keeps for `entity` (0 when unknown)."""
        ...

    def run_cost(self, entity: str) -> tuple[int, int]:
        """(milliseconds, API calls) summed over `entity`'s successful runs that called the API."""
        ...

    def stored_versions(self, entity: str, ids: Sequence[str]) -> dict[str, int]:
        """The stored version of each of `ids` that the copy holds."""
        ...

    def live_count(self, entity: str) -> int:
        """How many rows of `entity` are not marked deleted."""
        ...

    def sale_outlets(self) -> list[str]:
        """Every outlet id the copy's sales name."""
        ...

    def live_sales(self, outlet_id: str, start: datetime, end: datetime) -> list[CopySale]:
        """The outlet's live sales with start <= sale_date < end."""
        ...

    def line_totals(self, sale_ids: Sequence[str]) -> list[tuple[str, Decimal | None]]:
        """(sale id, price_total) of every line item of these sales."""
        ...

    def record_reconciliation(self, rows: list[dict[str, Any]]) -> None:
        """Insert reconciliation rows (one per check or error) in one transaction."""
        ...
