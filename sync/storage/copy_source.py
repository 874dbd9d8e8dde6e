"""Which twin of `CopyReads` serves a store: SQL (a store with an engine, or an engine) or REST."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sqlalchemy import Engine

    from sync.storage.copy_reads import CopyReads
    from sync.storage.protocols import SqlAccess

    CopySource = SqlAccess | Engine


def copy_reads(source: CopySource) -> CopyReads:
    """The twin for `source`: a store (SQL or REST, see SqlAccess) or a SQLAlchemy engine.

    The twins load lazily: a run that never reads them imports neither.
    """
    engine = getattr(source, "sql", source)
    if engine is None:
        from sync.storage.rest.copy_reads import RestCopyReads

        return RestCopyReads(source)  # type: ignore[arg-type]
    from sync.storage.sql.copy_reads import SqlCopyReads

    return SqlCopyReads(engine)
