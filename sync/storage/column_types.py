"""Column types both backends share: exact money, UTC timestamps, JSON documents, ids."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    DateTime,
    Dialect,
    Integer,
    Numeric,
    Text,
    TypeDecorator,
)
from sqlalchemy.types import TypeEngine

from sync.entities import Kind


class ExactNumber(TypeDecorator[Decimal]):
    """`numeric` on Postgres; on SQLite, text, because SQLite would round through a float."""

    impl = Numeric
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        if dialect.name == "sqlite":
            return dialect.type_descriptor(Text())
        return dialect.type_descriptor(Numeric(asdecimal=True))

    def process_bind_param(self, value: Any, dialect: Dialect) -> Any:
        if value is None or dialect.name != "sqlite":
            return value
        return str(value)

    def process_result_value(self, value: Any, dialect: Dialect) -> Decimal | None:
        if value is None:
            return None
        return value if isinstance(value, Decimal) else Decimal(str(value))


class UtcDateTime(TypeDecorator[datetime]):
    """`timestamptz` on Postgres; UTC text on SQLite. Always returns aware UTC datetimes."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Dialect) -> Any:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class JsonDocument(TypeDecorator[Any]):
    """`jsonb` on Postgres, JSON elsewhere; the Postgres dialect is imported only when used."""

    impl = JSON
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        if dialect.name == "postgresql":
            from sqlalchemy.dialects.postgresql import JSONB

            return dialect.type_descriptor(JSONB())
        return dialect.type_descriptor(JSON())


BigId = BigInteger().with_variant(Integer(), "sqlite")  # SQLite autoincrements INTEGER only

# The column type of each kind of entity field.
SQL_TYPES: dict[Kind, Any] = {
    Kind.TEXT: Text,
    Kind.INT: BigInteger,
    Kind.NUMBER: ExactNumber,
    Kind.BOOL: Boolean,
    Kind.TIMESTAMP: UtcDateTime,
    Kind.DATE: Date,
}
