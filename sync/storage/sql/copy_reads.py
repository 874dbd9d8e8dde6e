"""The copy's reads for backfill and reconciliation over SQL (see sync.storage.copy_reads)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Engine, func, insert, literal, select

from sync.days import StoreDays
from sync.runs import RunStatus
from sync.storage.copy_reads import CopySale
from sync.storage.schema import ENTITY_TABLES, reconciliations, sync_log, sync_state
from sync.storage.sql.db import database_errors
from sync.storage.sql.outlets import load_store_days

# Bound parameters per IN (...) list: far below SQLite's and Postgres' limits.
_CHUNK = 900


class SqlCopyReads:
    """`CopyReads` of one store (`prefix`) over one SQLAlchemy engine."""

    def __init__(self, engine: Engine, prefix: str) -> None:
        self.engine = engine
        self.prefix = prefix
        self.url = str(engine.url)

    def store_days(self, store_time_zone: str | None) -> StoreDays:
        """The store's days: STORE_TIME_ZONE, else the zone most outlets in the copy share."""
        return load_store_days(self.engine, self.prefix, store_time_zone)

    def sale_times(self, start: datetime, end: datetime) -> list[datetime]:
        """The sale_date of every stored sale with start <= sale_date <= end, sorted, in UTC."""
        table = ENTITY_TABLES["sales"]
        query = (
            select(table.c.sale_date)
            .where(table.c.store == self.prefix)
            .where(table.c.sale_date >= start, table.c.sale_date <= end)
            .order_by(table.c.sale_date)
        )
        with database_errors(self.url), self.engine.connect() as conn:
            return [moment.astimezone(UTC) for moment in conn.scalars(query)]

    def records_total(self, entity: str) -> int:
        """The row count sync_state keeps for `entity` (0 when unknown)."""
        query = select(sync_state.c.records_total).where(
            sync_state.c.store == self.prefix, sync_state.c.entity_type == entity
        )
        with database_errors(self.url), self.engine.connect() as conn:
            return int(conn.scalar(query) or 0)

    def run_cost(self, entity: str) -> tuple[int, int]:
        """(milliseconds, API calls) summed over `entity`'s successful runs that called the API."""
        query = select(func.sum(sync_log.c.duration_ms), func.sum(sync_log.c.api_calls)).where(
            sync_log.c.store == self.prefix,
            sync_log.c.entity_type == entity,
            sync_log.c.status == RunStatus.SUCCESS,
            sync_log.c.api_calls > 0,
        )
        with database_errors(self.url), self.engine.connect() as conn:
            millis, calls = conn.execute(query).one()
        return int(millis or 0), int(calls or 0)

    def stored_versions(self, entity: str, ids: Sequence[str]) -> dict[str, int]:
        """The stored version of each of `ids` that the copy holds."""
        table = ENTITY_TABLES[entity]
        stored: dict[str, int] = {}
        with database_errors(self.url), self.engine.connect() as conn:
            for start in range(0, len(ids), _CHUNK):
                query = select(table.c.id, table.c.version).where(
                    table.c.store == self.prefix, table.c.id.in_(ids[start : start + _CHUNK])
                )
                stored.update(
                    {source_id: int(version) for source_id, version in conn.execute(query)}
                )
        return stored

    def live_count(self, entity: str) -> int:
        """How many rows of `entity` are not marked deleted."""
        table = ENTITY_TABLES[entity]
        query = (
            select(func.count())
            .select_from(table)
            .where(table.c.store == self.prefix, table.c.deleted_at.is_(None))
        )
        with database_errors(self.url), self.engine.connect() as conn:
            return int(conn.scalar(query) or 0)

    def sale_outlets(self) -> list[str]:
        """Every outlet id the copy's sales name."""
        sales = ENTITY_TABLES["sales"]
        query = (
            select(sales.c.outlet_id)
            .where(sales.c.store == self.prefix, sales.c.outlet_id.is_not(None))
            .distinct()
        )
        with database_errors(self.url), self.engine.connect() as conn:
            return [str(outlet) for outlet in conn.scalars(query)]

    def live_sales(self, outlet_id: str, start: datetime, end: datetime) -> list[CopySale]:
        """The outlet's live sales with start <= sale_date < end."""
        sales = ENTITY_TABLES["sales"]
        query = select(sales.c.id, sales.c.outlet_id, sales.c.total_price, sales.c.raw).where(
            sales.c.store == self.prefix,
            sales.c.outlet_id == outlet_id,
            sales.c.sale_date >= start,
            sales.c.sale_date < end,
            sales.c.deleted_at.is_(None),
        )
        with database_errors(self.url), self.engine.connect() as conn:
            return [CopySale(*row) for row in conn.execute(query)]

    def line_totals(self, sale_ids: Sequence[str]) -> list[tuple[str, Decimal | None]]:
        """(sale id, price_total) of every line item of these sales."""
        lines = ENTITY_TABLES["sale_line_items"]
        found: list[tuple[str, Decimal | None]] = []
        with database_errors(self.url), self.engine.connect() as conn:
            for start in range(0, len(sale_ids), _CHUNK):
                query = select(lines.c.sale_id, lines.c.price_total).where(
                    lines.c.store == self.prefix,
                    lines.c.sale_id.in_(sale_ids[start : start + _CHUNK]),
                )
                found += [(sale_id, total) for sale_id, total in conn.execute(query)]
        return found

    def record_reconciliation(self, rows: list[dict[str, Any]]) -> None:
        """Insert reconciliation rows (one per check or error) in one transaction."""
        with database_errors(self.url), self.engine.begin() as conn:
            conn.execute(insert(reconciliations).values(store=literal(self.prefix)), rows)
