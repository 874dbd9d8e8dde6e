"""The copies of Lightspeed's records (one table per entity, keyed by store and id), and the
stores they belong to."""

from __future__ import annotations

from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Column,
    ForeignKey,
    Index,
    PrimaryKeyConstraint,
    Table,
    Text,
    text,
)

from sync.entities import ENTITIES, Field
from sync.storage.column_types import SQL_TYPES, JsonDocument, UtcDateTime
from sync.storage.schema.base import metadata


def _columns(fields: tuple[Field, ...]) -> list[Column[Any]]:
    return [Column(f.name, SQL_TYPES[f.kind]()) for f in fields]


def _common_tail() -> list[Column[Any]]:
    return [
        Column("deleted_at", UtcDateTime()),
        Column("raw", JsonDocument, nullable=False),
        Column("synced_at", UtcDateTime(), nullable=False),
    ]


def _entity_tables() -> dict[str, Table]:
    tables: dict[str, Table] = {}
    for spec in ENTITIES:
        table = Table(
            spec.table,
            metadata,
            Column("store", Text, nullable=False),
            Column("id", Text, nullable=False),
            Column("version", BigInteger, nullable=False),
            *_columns(spec.fields),
            *_common_tail(),
            PrimaryKeyConstraint("store", "id"),
        )
        for cols in spec.indexes:
            Index(f"ix_{spec.table}_{'_'.join(cols)}", *(table.c[c] for c in cols))
        tables[spec.name] = table
        if spec.child is not None:
            child = spec.child
            child_table = Table(
                child.table,
                metadata,
                Column("store", Text, nullable=False),
                Column(child.parent_column, Text, nullable=False),
                Column("id", Text, nullable=False),
                Column("version", BigInteger, nullable=False),
                *_columns(child.fields),
                *_common_tail(),
                PrimaryKeyConstraint("store", child.parent_column, "id", name=f"pk_{child.table}"),
            )
            Index(f"ix_{child.table}_product_id", child_table.c.product_id)
            tables[child.name] = child_table
    return tables


ENTITY_TABLES = _entity_tables()

# The Lightspeed stores this database holds (migration 0016): the domain prefix is the key
# every row of store data carries in its `store` column. No secret lives here.
lightspeed_stores = Table(
    "lightspeed_stores",
    metadata,
    Column("prefix", Text, primary_key=True),
    Column("name", Text, nullable=False),
    Column("time_zone", Text),  # null until known
    Column("connection", Text, nullable=False, server_default="token"),  # token / app
    Column("added_at", UtcDateTime(), nullable=False),
    Column("enabled", Boolean, nullable=False, server_default=text("true")),
    CheckConstraint("connection IN ('token', 'app')", name="ck_lightspeed_stores_connection"),
)

# The stores a database role may read (migration 0018): row-level security limits a role
# listed here, or a member of one, to the rows of its stores (`python -m sync store grant`).
store_readers = Table(
    "store_readers",
    metadata,
    Column("role", Text, primary_key=True),
    Column(
        "store",
        Text,
        ForeignKey("lightspeed_stores.prefix", name="fk_store_readers_store"),
        primary_key=True,
    ),
)
