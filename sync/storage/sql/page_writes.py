"""Writes to the copy over SQL: one transaction per page (rows, line items, rejects,
cursor, progress), from mapped rows or from the page's source JSON."""

from __future__ import annotations

import dataclasses
import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager, nullcontext
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Engine, Table, case, delete, insert, literal, select, update

from sync.entities import EntitySpec, MappedPage
from sync.errors import SyncError
from sync.storage.position import PagePosition
from sync.storage.refusal import RecordRefused
from sync.storage.runlog import Progress
from sync.storage.schema import ENTITY_TABLES, sync_log, sync_rejects, sync_state
from sync.storage.sql import sourcepage, sourcepage_sqlite
from sync.storage.sql.bulk import copy_rows, copy_upsert
from sync.storage.sql.checkpointer import WalCheckpointer
from sync.storage.sql.db import (
    database_error,
    database_errors,
    dialect_insert,
    is_data_refusal,
    sqlite_file_path,
)

# Bound parameters per IN (...) list: far below SQLite's and Postgres' limits.
_CHUNK = 900


def _chunks(items: Sequence[Any], size: int = _CHUNK) -> Iterator[Sequence[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


class SqlPageWrites:
    """Page writes of the SQL store. `pg_method` picks the Postgres bulk path."""

    engine: Engine
    url: str
    is_postgres: bool
    pg_method: str
    prefix: str

    def mark_missing_deleted(
        self, spec: EntitySpec, seen: set[str], *, trackers: Sequence[Progress], now: datetime
    ) -> int:
        """After a complete full pass: mark live rows whose id was not `seen` deleted."""
        table = ENTITY_TABLES[spec.name]
        child = ENTITY_TABLES[spec.child.name] if spec.child else None
        after = [dataclasses.replace(t) for t in trackers]
        store = self.prefix
        with database_errors(self.url), self.engine.begin() as conn:
            live = conn.scalars(
                select(table.c.id).where(table.c.store == store, table.c.deleted_at.is_(None))
            ).all()
            gone = [source_id for source_id in live if source_id not in seen]
            for chunk in _chunks(gone):
                conn.execute(
                    update(table)
                    .where(table.c.store == store, table.c.id.in_(chunk))
                    .values(deleted_at=now, synced_at=now)
                )
                if child is not None and spec.child is not None:
                    parent = child.c[spec.child.parent_column]
                    conn.execute(
                        update(child)
                        .where(child.c.store == store, parent.in_(chunk))
                        .values(deleted_at=now, synced_at=now)
                    )
            # Marking a record deleted writes it: deletions are a part of what was written.
            after[0].upserted += len(gone)
            after[0].deleted += len(gone)
            conn.execute(
                update(sync_log).where(sync_log.c.id == after[0].log_id).values(**after[0].values())
            )
        _settle(trackers, after)
        return len(gone)

    def bulk_writes(self) -> AbstractContextManager[object]:
        """Around a run's page writes: a SQLite file's WAL is checkpointed in the background."""
        path = None if self.is_postgres else sqlite_file_path(self.engine.url.database)
        return nullcontext() if path is None else WalCheckpointer(path)

    def write_page(self, spec: EntitySpec, page: MappedPage, at: PagePosition) -> None:
        """Write one page and advance the cursor, all in one transaction.

        The cursor never moves backwards (a full pass restarts from 0); `cursor=None`
        (a backfill) leaves it alone.
        """
        trackers = at.trackers
        table = ENTITY_TABLES[spec.name]
        # The totals are worked out on copies and handed to the trackers only after COMMIT:
        # a page that is rolled back must not be counted.
        after = [dataclasses.replace(t) for t in trackers]
        try:
            with database_errors(self.url), self.engine.begin() as conn:
                self._page_commit(conn)
                self._write(conn, spec, table, page, at, after)
        except SyncError as exc:
            cause = exc.__context__
            if cause is not None and is_data_refusal(cause):
                raise RecordRefused(exc.message) from None
            raise
        except (ValueError, OverflowError, TypeError) as exc:
            # Raised by the driver while binding a value (SQLite: an integer beyond 64 bits).
            raise RecordRefused(database_error(exc, self.url).message) from None
        _settle(trackers, after)

    @property
    def maps_source_pages(self) -> bool:
        """SQLite (3.38+: `->`), and Postgres with the COPY method, map a page's JSON."""
        if self.is_postgres:
            return self.pg_method == "copy"
        return sourcepage_sqlite.SUPPORTED

    @property
    def checks_repeated_keys(self) -> bool:
        """SQLite: its JSON functions read the first of two values, Python the last."""
        return not self.is_postgres

    def write_source_page(
        self, spec: EntitySpec, body: bytes, at: PagePosition, *, keys_distinct: bool = False
    ) -> bool:
        """Write a page from its source JSON, mapped by the database, like `write_page`.

        The caller has checked that every record is plain (`plain_records`). False
        (nothing written) when this store does not map pages itself (the VALUES method),
        the page holds what only the Python mapping maps exactly (SQLite), or the database
        refused the data: then the caller maps the page in Python and calls `write_page`,
        which finds and rejects the refused record(s).
        """
        if not self.maps_source_pages:
            return False
        trackers = at.trackers
        if not self.is_postgres and not sourcepage_sqlite.mappable(body):
            return False
        after = [dataclasses.replace(t) for t in trackers]
        try:
            with database_errors(self.url), self.engine.begin() as conn:
                self._page_commit(conn)
                if self.is_postgres:
                    counts = sourcepage.write_source_page(conn, spec, body.decode(), at)
                else:
                    counts = sourcepage_sqlite.write_source_page(
                        conn, spec, body, at, keys_distinct=keys_distinct
                    )
                written, deleted, children = counts
                after[0].upserted += written
                after[0].deleted += deleted
                if len(after) > 1:
                    after[1].upserted += children
                self._advance(conn, spec, at, after)
        except sourcepage_sqlite.Unmappable:
            return False
        except SyncError as exc:
            cause = exc.__context__
            if cause is not None and (is_data_refusal(cause) or _sqlite_refusal(cause)):
                return False
            raise
        _settle(trackers, after)
        return True

    def _page_commit(self, conn: Connection) -> None:
        """A page's COMMIT returns before its WAL reaches the disk (Postgres).

        Safe because a page is one transaction with its cursor: a crash of the server
        loses at most the pages of its last moments (three times wal_writer_delay), each
        whole, with its cursor and progress, and the next run fetches them again.
        `finish_run` commits synchronously: its flush covers every page before it, so a
        run recorded as finished is durable. A crash of the sync process loses nothing.
        """
        if self.is_postgres:
            conn.exec_driver_sql("SET LOCAL synchronous_commit = off")

    def _write(
        self,
        conn: Connection,
        spec: EntitySpec,
        table: Table,
        page: MappedPage,
        at: PagePosition,
        trackers: Sequence[Progress],
    ) -> None:
        rows = self._newer_rows(conn, table, at.store, page.rows)
        self._upsert(conn, table, at.store, rows)
        written_children = 0
        if spec.child is not None:
            written_children = self._replace_children(conn, spec, at.store, rows, page.children)
        if page.rejects:
            conn.execute(
                insert(sync_rejects),
                [
                    {
                        "run_id": at.run_id,
                        "store": at.store,
                        "entity_type": spec.name,
                        "source_id": r.source_id,
                        "reason": r.reason,
                        "raw": r.raw,
                        "rejected_at": at.now,
                    }
                    for r in page.rejects
                ],
            )
        main = trackers[0]
        main.upserted += len(rows)
        main.deleted += sum(1 for r in rows if r["deleted_at"] is not None)
        main.rejected += len(page.rejects)
        if len(trackers) > 1:
            trackers[1].upserted += written_children
        self._advance(conn, spec, at, trackers)

    def _advance(
        self, conn: Connection, spec: EntitySpec, at: PagePosition, trackers: Sequence[Progress]
    ) -> None:
        """The cursor and the run's sync_log rows, in the page's transaction."""
        cursor = at.cursor
        if cursor is not None:
            current = sync_state.c.cursor_version
            conn.execute(
                update(sync_state)
                .where(
                    sync_state.c.store == at.store, sync_state.c.entity_type.in_(spec.state_names)
                )
                .values(
                    cursor_version=case((current < cursor, cursor), else_=current),
                    updated_at=at.now,
                )
            )
        for tracker in trackers:
            tracker.pages += 1
            if cursor is not None:
                tracker.version_to = cursor
            conn.execute(
                update(sync_log).where(sync_log.c.id == tracker.log_id).values(**tracker.values())
            )

    def _newer_rows(
        self, conn: Connection, table: Table, store: str, rows: list[dict[str, Any]]
    ) -> list[dict[str, Any]]:
        """Drop rows older than what is stored (a backfill must never undo a newer sync)."""
        stored: dict[str, int] = {}
        for chunk in _chunks([r["id"] for r in rows]):
            query = select(table.c.id, table.c.version).where(
                table.c.store == store, table.c.id.in_(chunk)
            )
            stored.update({source_id: version for source_id, version in conn.execute(query)})
        return [r for r in rows if stored.get(r["id"], -1) <= r["version"]]

    def _replace_children(
        self,
        conn: Connection,
        spec: EntitySpec,
        store: str,
        parents: list[dict[str, Any]],
        children: list[dict[str, Any]],
    ) -> int:
        assert spec.child is not None
        child_table = ENTITY_TABLES[spec.child.name]
        parent_col = spec.child.parent_column
        parent_ids = [p["id"] for p in parents]
        for chunk in _chunks(parent_ids):
            conn.execute(
                delete(child_table).where(
                    child_table.c.store == store, child_table.c[parent_col].in_(chunk)
                )
            )
        keep = set(parent_ids)
        rows = [c for c in children if c[parent_col] in keep]
        self._insert(conn, child_table, store, rows)
        return len(rows)

    def _upsert(
        self, conn: Connection, table: Table, store: str, rows: list[dict[str, Any]]
    ) -> None:
        if not rows:
            return
        if self.is_postgres and self.pg_method == "copy":
            copy_upsert(conn, table, store, rows)
            return
        make = dialect_insert(self.is_postgres)
        # The store is one constant of the statement, not a value of every row.
        statement = make(table).values(store=literal(store))
        columns = [c.name for c in table.columns if not c.primary_key]
        statement = statement.on_conflict_do_update(
            index_elements=[c.name for c in table.primary_key.columns],
            set_={name: statement.excluded[name] for name in columns},
        )
        conn.execute(statement, rows)

    def _insert(
        self, conn: Connection, table: Table, store: str, rows: list[dict[str, Any]]
    ) -> None:
        if not rows:
            return
        if self.is_postgres and self.pg_method == "copy":
            copy_rows(conn, table.name, table, store, rows)
            return
        conn.execute(insert(table).values(store=literal(store)), rows)


def _sqlite_refusal(exc: BaseException) -> bool:
    """SQLite (raw driver calls) refusing a value, or its JSON functions refusing the body."""
    if isinstance(exc, sqlite3.IntegrityError | sqlite3.DataError):
        return True
    return isinstance(exc, sqlite3.OperationalError) and "JSON" in str(exc)


def _settle(trackers: Sequence[Progress], after: Sequence[Progress]) -> None:
    """Hand the totals worked out on copies to the run's trackers, once COMMIT succeeded."""
    for tracker, done in zip(trackers, after, strict=True):
        for field in dataclasses.fields(done):
            setattr(tracker, field.name, getattr(done, field.name))
