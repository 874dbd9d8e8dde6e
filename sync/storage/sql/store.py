"""The SQL store: the run log, page writes and the run-now queue of one database, with
its leases, heartbeat, read model and incidents."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import Engine

from sync.config.settings import DEFAULT_STORE
from sync.storage.sql import leases as entity_leases
from sync.storage.sql.db import pending_migrations
from sync.storage.sql.page_writes import SqlPageWrites
from sync.storage.sql.queue import SqlQueue
from sync.storage.sql.run_log import SqlRunLog

if TYPE_CHECKING:
    from sync.health.snapshot import RunLogSnapshot
    from sync.storage.sql.incidents import SqlIncidents


class Store(SqlRunLog, SqlPageWrites, SqlQueue):
    """The sync's view of a SQL database (sync.storage.protocols.SyncStore).

    The Supabase REST store (sync.storage.rest.store) offers the same methods.
    `pg_method` picks the Postgres bulk path ("copy" or "values"); `prefix` is the store
    (domain prefix) whose rows it writes and reads.
    """

    def __init__(
        self, engine: Engine, *, pg_method: str = "copy", prefix: str = DEFAULT_STORE
    ) -> None:
        self.engine = engine
        self.prefix = prefix
        self.url = str(engine.url)
        self.is_postgres = engine.dialect.name == "postgresql"
        self.pg_method = pg_method

    @property
    def sql(self) -> Engine:
        """The engine: the SQL store runs everything that needs SQL (see SqlAccess)."""
        return self.engine

    def leases(self, ttl_seconds: float) -> entity_leases.Leases:
        """This process's entity leases."""
        return entity_leases.Leases(self.engine, ttl_seconds, store=self.prefix)

    def mark_orphans(self, now: datetime) -> int:
        """Mark runs left `running` by a dead process as interrupted."""
        return entity_leases.mark_orphans(self.engine, now)

    def write_heartbeat(self, instance_id: str, values: dict[str, Any]) -> None:
        """Insert or refresh the scheduler_heartbeat row of `instance_id`."""
        from sync.storage.sql import status as status_board  # not needed to sync

        status_board.write_heartbeat(self.engine, instance_id, {**values, "store": self.prefix})

    def read_snapshot(
        self, now: datetime, zone: str | None = None, *, day_start: datetime | None = None
    ) -> RunLogSnapshot:
        """Everything the views show about the run log, in one read (store days in `zone`)."""
        from sync.storage.sql.reads import read_snapshot  # not needed to sync

        return read_snapshot(self.engine, self.prefix, now, day_start, zone=zone)

    def incidents(self) -> SqlIncidents:
        """The alert incidents of this database."""
        from sync.storage.sql.incidents import SqlIncidents

        return SqlIncidents(self.engine, store=self.prefix)

    def store_count(self) -> int:
        """How many stores the database holds."""
        from sync.storage.sql.stores import store_count

        return store_count(self.engine)

    def pending_migrations(self) -> list[int]:
        """Shipped migrations this database has not applied."""
        return pending_migrations(self.engine)
