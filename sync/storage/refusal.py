"""A page the database refused because of its data (not because it could not be reached)."""

from __future__ import annotations

from sync.errors import ErrorKind, SyncError

# SQLSTATE classes of a refusal caused by the data itself: data exception (22), integrity
# constraint violation (23), program limit exceeded (54, e.g. an index row too large).
REFUSAL_CLASSES = frozenset({"22", "23", "54"})


class RecordRefused(SyncError):
    """The database refused a page for something in its records; nothing of it was kept.

    The engine answers by finding the refused records (bisecting the page) and rejecting
    only those. Any other database failure stays a plain DATABASE SyncError.
    """

    def __init__(self, message: str) -> None:
        super().__init__(
            ErrorKind.DATABASE,
            message,
            recovery="The refused records are in sync_rejects with the reason; the rest of "
            "the page was kept.",
        )


def is_refusal_code(sqlstate: str | None) -> bool:
    """True for a SQLSTATE that blames the data rather than the connection or the server."""
    return bool(sqlstate) and str(sqlstate)[:2] in REFUSAL_CLASSES
