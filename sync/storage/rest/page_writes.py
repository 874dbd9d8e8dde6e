"""Writes to the copy over REST: a page in one call to `sync_apply_page` (or
`sync_apply_source_page`), so rows, line items, rejects, cursor and progress commit together."""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import AbstractContextManager, nullcontext
from datetime import datetime
from typing import Any

from postgrest.exceptions import APIError
from postgrest.types import ReturnMethod

from sync.entities import EntitySpec, MappedPage
from sync.errors import SyncError
from sync.storage.jsoncodec import dumps_json
from sync.storage.position import PagePosition
from sync.storage.refusal import RecordRefused, is_refusal_code
from sync.storage.rest.db import RestBase
from sync.storage.runlog import Progress
from sync.storage.schema import ENTITY_TABLES


class RestPageWrites(RestBase):
    """Page writes of the REST store."""

    def mark_missing_deleted(
        self, spec: EntitySpec, seen: set[str], *, trackers: Sequence[Progress], now: datetime
    ) -> int:
        """After a complete full pass: mark live rows whose id was not `seen` deleted."""
        name = ENTITY_TABLES[spec.name].name
        live: list[str] = []
        while True:
            query = (
                self.table(name)
                .select("id")
                .eq("store", self.prefix)
                .is_("deleted_at", "null")
                .order("id")
            )
            batch = self.execute(query.range(len(live), len(live) + 999)).data
            live += [row["id"] for row in batch]
            if len(batch) < 1000:
                break
        gone = [source_id for source_id in live if source_id not in seen]
        stamp = {"deleted_at": now.isoformat(), "synced_at": now.isoformat()}
        for start in range(0, len(gone), 100):
            chunk = gone[start : start + 100]
            self.execute(
                self.table(name)
                .update(stamp, returning=ReturnMethod.minimal)
                .eq("store", self.prefix)
                .in_("id", chunk)
            )
            if spec.child is not None:
                child = ENTITY_TABLES[spec.child.name].name
                self.execute(
                    self.table(child)
                    .update(stamp, returning=ReturnMethod.minimal)
                    .eq("store", self.prefix)
                    .in_(spec.child.parent_column, chunk)
                )
        if gone:
            trackers[0].upserted += len(gone)  # deletions are a part of what was written
            trackers[0].deleted += len(gone)
            self.execute(
                self.table("sync_log")
                .update(trackers[0].values(), returning=ReturnMethod.minimal)
                .eq("id", trackers[0].log_id)
            )
        return len(gone)

    def bulk_writes(self) -> AbstractContextManager[object]:
        """Nothing to do around a run's page writes behind the API."""
        return nullcontext()

    @property
    def maps_source_pages(self) -> bool:
        """Postgres behind the API maps plain pages itself (sync_apply_source_page)."""
        return True

    @property
    def checks_repeated_keys(self) -> bool:
        """No: jsonb keeps the last of two values, as the Python mapping does."""
        return False

    def write_source_page(
        self, spec: EntitySpec, body: bytes, at: PagePosition, *, keys_distinct: bool = False
    ) -> bool:
        """Write a page of plain records from its source JSON in one RPC, like `write_page`.

        False (nothing written) when the database refused the data: the caller then maps
        the page in Python and calls `write_page`, which finds the refused record(s).
        """
        params = {"p_entity": spec.name, "p_body": body.decode()}
        try:
            self._apply_page("sync_apply_source_page", params, spec, at)
        except RecordRefused:
            return False
        return True

    def write_page(self, spec: EntitySpec, page: MappedPage, at: PagePosition) -> None:
        """Write one page and advance the cursor in one transaction (one RPC call)."""
        run_id, now = at.run_id, at.now
        child = ENTITY_TABLES[spec.child.name].name if spec.child else None
        rejects = [
            {
                "run_id": run_id,
                "entity_type": spec.name,
                "source_id": r.source_id,
                "reason": r.reason,
                "raw": r.raw,
                "rejected_at": now,
            }
            for r in page.rejects
        ]
        params = {
            "p_table": ENTITY_TABLES[spec.name].name,
            "p_rows": dumps_json(page.rows),
            "p_child_table": child,
            "p_parent_column": spec.child.parent_column if spec.child else None,
            "p_children": dumps_json(page.children) if spec.child else None,
            "p_rejects": dumps_json(rejects) if rejects else None,
        }
        self._apply_page("sync_apply_page", params, spec, at)

    def _apply_page(
        self,
        function: str,
        params: dict[str, Any],
        spec: EntitySpec,
        at: PagePosition,
    ) -> None:
        """Call a page RPC with the run's progress; RecordRefused when the data is refused."""
        cursor, trackers = at.cursor, at.trackers
        params = {
            **params,
            "p_store": at.store,
            "p_state_names": list(spec.state_names),
            "p_cursor": cursor,
            "p_log_id": trackers[0].log_id,
            "p_child_log_id": trackers[1].log_id if len(trackers) > 1 else None,
            "p_api_calls": trackers[0].api_calls,
            "p_now": at.now.isoformat(),
        }
        try:
            result = self.execute(self.rest.rpc(function, params)).data
        except SyncError as exc:
            cause = exc.__context__
            if isinstance(cause, APIError) and is_refusal_code(cause.code):
                raise RecordRefused(exc.message) from None
            raise
        _count(trackers, result, cursor)


def _count(trackers: Sequence[Progress], result: dict[str, Any], cursor: int | None) -> None:
    """The totals of one committed page (the RPC's answer) onto the run's trackers."""
    main = trackers[0]
    main.upserted += int(result["written"])
    main.deleted += int(result["deleted"])
    main.rejected += int(result["rejected"])
    if len(trackers) > 1:
        trackers[1].upserted += int(result["children"])
    for tracker in trackers:
        tracker.pages += 1
        if cursor is not None:
            tracker.version_to = cursor
