"""Which twin of `CopyReads` serves a store: SQL (a store with an engine, or an engine) or REST."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sqlalchemy import Engine

    from sync.storage.copy_reads import CopyReads
    from sync.storage.protocols import SqlAccess

    CopySource = SqlAccess | Engine


def copy_reads(source: CopySource, prefix: str | None = None) -> CopyReads:
    """The twin for `source`: a store (SQL or REST, see SqlAccess; its own store's rows) or
    a SQLAlchemy engine (the rows of store `prefix`).

    The twins load lazily: a run that never reads them imports neither.
    """
    prefix = getattr(source, "prefix", prefix)
    if prefix is None:
        raise ValueError("copy_reads of an engine needs the store's prefix")
    engine = getattr(source, "sql", source)
    if engine is None:
        from sync.storage.rest.copy_reads import RestCopyReads

        return RestCopyReads(source)  # type: ignore[arg-type]
    from sync.storage.sql.copy_reads import SqlCopyReads

    return SqlCopyReads(engine, prefix)
