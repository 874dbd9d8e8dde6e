"""The copy's reads for backfill and reconciliation over REST (see sync.storage.copy_reads).

PostgREST has no aggregates or DISTINCT here: rows are read in pages of 1,000 and summed
in Python. Numbers arrive as JSON numbers (floats): money is read back through `repr`,
exact for up to 15 significant digits.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from postgrest.types import CountMethod, ReturnMethod

from sync.days import StoreDays, store_days
from sync.runs import RunStatus
from sync.storage.copy_reads import CopySale
from sync.storage.rest.db import RestBase, parse_time
from sync.storage.schema import ENTITY_TABLES

_PAGE = 1000
_IDS = 100  # ids per `in.(...)` filter: keeps the URL short
# The latest successful runs an estimate reads over REST (no SUM there).
_COST_RUNS = 1000


def _money(value: Any) -> Decimal | None:
    return None if value is None else Decimal(repr(value) if isinstance(value, float) else value)


class RestCopyReads:
    """`CopyReads` through a Supabase project's REST API."""

    def __init__(self, rest: RestBase) -> None:
        self.rest = rest

    def _all(self, build: Any) -> list[dict[str, Any]]:
        """Every row of a query, page by page (`build()` makes the query afresh)."""
        rows: list[dict[str, Any]] = []
        while True:
            batch = self.rest.execute(build().range(len(rows), len(rows) + _PAGE - 1)).data
            rows += batch
            if len(batch) < _PAGE:
                return rows

    def store_days(self, store_time_zone: str | None) -> StoreDays:
        """The store's days: STORE_TIME_ZONE, else the zone most outlets in the copy share."""
        outlets = self._all(
            lambda: (
                self.rest.table("lightspeed_outlets")
                .select("id,time_zone,deleted_at")
                .eq("store", self.rest.prefix)
                .order("id")
            )
        )
        return store_days(
            store_time_zone,
            [(o["id"], o.get("time_zone"), bool(o.get("deleted_at"))) for o in outlets],
        )

    def sale_times(self, start: datetime, end: datetime) -> list[datetime]:
        """The sale_date of every stored sale with start <= sale_date <= end, sorted, in UTC."""
        rows = self._all(
            lambda: (
                self.rest.table("lightspeed_sales")
                .select("sale_date")
                .eq("store", self.rest.prefix)
                .gte("sale_date", start.isoformat())
                .lte("sale_date", end.isoformat())
                .order("sale_date")
                .order("id")
            )
        )
        times = [parse_time(r["sale_date"]) for r in rows]
        return [t.astimezone(UTC) for t in times if t is not None]

    def records_total(self, entity: str) -> int:
        """The row count sync_state keeps for `entity` (0 when unknown)."""
        query = (
            self.rest.table("sync_state")
            .select("records_total")
            .eq("store", self.rest.prefix)
            .eq("entity_type", entity)
        )
        rows = self.rest.execute(query).data
        return int(rows[0]["records_total"] or 0) if rows else 0

    def run_cost(self, entity: str) -> tuple[int, int]:
        """(milliseconds, API calls) over `entity`'s latest successful runs that called the API."""
        query = (
            self.rest.table("sync_log")
            .select("duration_ms,api_calls")
            .eq("store", self.rest.prefix)
            .eq("entity_type", entity)
            .eq("status", RunStatus.SUCCESS.value)
            .gt("api_calls", 0)
            .order("id", desc=True)
            .limit(_COST_RUNS)
        )
        rows = self.rest.execute(query).data
        return sum(int(r["duration_ms"] or 0) for r in rows), sum(int(r["api_calls"]) for r in rows)

    def stored_versions(self, entity: str, ids: Sequence[str]) -> dict[str, int]:
        """The stored version of each of `ids` that the copy holds."""
        table = _table(entity)
        stored: dict[str, int] = {}
        for start in range(0, len(ids), _IDS):
            chunk = list(ids[start : start + _IDS])
            query = (
                self.rest.table(table)
                .select("id,version")
                .eq("store", self.rest.prefix)
                .in_("id", chunk)
            )
            stored.update({r["id"]: int(r["version"]) for r in self.rest.execute(query).data})
        return stored

    def live_count(self, entity: str) -> int:
        """How many rows of `entity` are not marked deleted."""
        query = (
            self.rest.table(_table(entity))
            .select("id", count=CountMethod.exact)
            .eq("store", self.rest.prefix)
            .is_("deleted_at", "null")
            .limit(1)
        )
        return int(self.rest.execute(query).count or 0)

    def sale_outlets(self) -> list[str]:
        """Every outlet id the copy's sales name."""
        rows = self._all(
            lambda: (
                self.rest.table("lightspeed_sales")
                .select("outlet_id")
                .eq("store", self.rest.prefix)
                .not_.is_("outlet_id", "null")
                .order("id")
            )
        )
        return sorted({str(r["outlet_id"]) for r in rows})

    def live_sales(self, outlet_id: str, start: datetime, end: datetime) -> list[CopySale]:
        """The outlet's live sales with start <= sale_date < end."""
        rows = self._all(
            lambda: (
                self.rest.table("lightspeed_sales")
                .select("id,outlet_id,total_price,raw")
                .eq("store", self.rest.prefix)
                .eq("outlet_id", outlet_id)
                .gte("sale_date", start.isoformat())
                .lt("sale_date", end.isoformat())
                .is_("deleted_at", "null")
                .order("id")
            )
        )
        return [CopySale(r["id"], r["outlet_id"], _money(r["total_price"]), r["raw"]) for r in rows]

    def line_totals(self, sale_ids: Sequence[str]) -> list[tuple[str, Decimal | None]]:
        """(sale id, price_total) of every line item of these sales."""
        found: list[tuple[str, Decimal | None]] = []
        for start in range(0, len(sale_ids), _IDS):
            chunk = list(sale_ids[start : start + _IDS])
            rows = self._all(
                lambda chunk=chunk: (
                    self.rest.table("lightspeed_sale_line_items")
                    .select("sale_id,price_total")
                    .eq("store", self.rest.prefix)
                    .in_("sale_id", chunk)
                    .order("sale_id")
                    .order("id")
                )
            )
            found += [(r["sale_id"], _money(r["price_total"])) for r in rows]
        return found

    def record_reconciliation(self, rows: list[dict[str, Any]]) -> None:
        """Insert reconciliation rows (one per check or error) in one request."""
        if not rows:
            return
        store = {"store": self.rest.prefix}
        body = [{**{k: _json_value(v) for k, v in row.items()}, **store} for row in rows]
        self.rest.execute(
            self.rest.table("reconciliations").insert(body, returning=ReturnMethod.minimal)
        )


def _table(entity: str) -> str:
    return ENTITY_TABLES[entity].name


def _json_value(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value
