"""Profile of a full import per entity: where the time goes, next to the raw floor.

Stages run one after the other (no prefetch overlap), so each is measured alone:
fetch (HTTP, body read), parse (JSON; where the database maps pages, also the plain
check), map (Python mapping: only pages not mapped by the database), write (the page's
statements), commit.
`floor` writes the same records raw (benchmarks/floor.py). Run by passes.py `profile`.
"""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Engine, event

from benchmarks import floor
from sync.engine.decode import Decoding, Page, decode_list
from sync.engine.isolation import write_isolated
from sync.entities import ENTITIES, EntitySpec, map_page
from sync.lightspeed.transport import LightspeedClient, RawPage
from sync.runs import utcnow
from sync.storage.position import PagePosition
from sync.storage.runlog import RunInfo
from sync.storage.sql.store import Store

STAGES = ("fetch", "parse", "map", "write", "commit")


class CommitClock:
    """When the current transaction's COMMIT began (SQLAlchemy's commit event)."""

    def __init__(self, engine: Engine) -> None:
        self.at = 0.0
        event.listen(engine, "commit", self._mark)

    def _mark(self, conn: Any) -> None:
        self.at = time.perf_counter()


@contextmanager
def timed(times: dict[str, float], stage: str) -> Iterator[None]:
    start = time.perf_counter()
    yield
    times[stage] += time.perf_counter() - start


def _parse(store: Store, spec: EntitySpec, content: bytes) -> Page:
    """The engine's decoding: plain (orjson + plain check) where the store maps JSON, else exact."""
    return decode_list(RawPage(spec.path, content), spec, Decoding.for_store(store))


def profile_entity(
    client: LightspeedClient, store: Store, spec: EntitySpec, clock: CommitClock
) -> dict[str, Any]:
    """Every stage of one entity's full import, and the raw floor of the same pages."""
    times: dict[str, float] = defaultdict(float)
    trackers = store.start_run(
        RunInfo("profile", "full", "cli", "bench"),
        entities=spec.state_names,
        version_from=0,
        now=utcnow(),
    )
    raw_pages, cursor, pages, records, in_sql = [], 0, 0, 0, 0
    while True:
        params: dict[str, Any] = {"after": cursor, "page_size": client.page_size}
        if spec.send_deleted:
            params["deleted"] = "true"
        with timed(times, "fetch"):
            content = client._send(spec.path, params).content  # the request alone
        with timed(times, "parse"):
            page = _parse(store, spec, content)
        if not page.size or page.version_max is None or page.version_max <= cursor:
            break
        cursor = page.version_max
        pages += 1
        records += page.size
        raw_pages.append(floor.raw_rows(page))
        written = False
        if page.source is not None:
            start = time.perf_counter()
            written = store.write_source_page(
                spec,
                page.source,
                PagePosition(cursor, "profile", trackers, utcnow(), store=store.prefix),
                keys_distinct=page.keys_distinct,
            )
            if written:
                in_sql += 1
                _split(times, start, clock.at)
        if not written:
            with timed(times, "map"):
                mapped = map_page(spec, page.rows, utcnow())
            start = time.perf_counter()
            write_isolated(
                store,
                spec,
                mapped,
                PagePosition(cursor, "profile", trackers, utcnow(), store=store.prefix),
            )
            _split(times, start, clock.at)
    floor.prepare(store.engine)
    floor_seconds = floor.write(store.engine, raw_pages)
    product = sum(times[s] for s in STAGES if s != "fetch")
    return {
        "entity": spec.name,
        "pages": pages,
        "pages_mapped_by_db": in_sql,
        "records": records,
        **{s: times[s] for s in STAGES},
        "product_write_path": product,
        "floor_write": floor_seconds,
    }


def _split(times: dict[str, float], start: float, commit_at: float) -> None:
    end = time.perf_counter()
    commit_at = min(max(commit_at, start), end)
    times["write"] += commit_at - start
    times["commit"] += end - commit_at


def profile(client: LightspeedClient, store: Store) -> list[dict[str, Any]]:
    """The profile of every entity, in sync order."""
    clock = CommitClock(store.engine)
    store.ensure_state_rows()
    return [profile_entity(client, store, spec, clock) for spec in ENTITIES]


def print_profile(rows: list[dict[str, Any]], backend: str) -> None:
    """The table: stages per entity, the product's write path next to the raw floor."""
    print(f"profile ({backend}; stages one after the other, seconds)")
    header = (
        f"{'entity':<11} {'pages':>5} {'in SQL':>6} {'records':>8} {'fetch':>7} {'parse':>7} "
        f"{'map':>7} {'write':>7} {'commit':>7} {'path':>7} {'floor':>7} {'gap':>5}"
    )
    print(header)
    print("-" * len(header))
    total: dict[str, float] = defaultdict(float)
    for r in [*rows, None]:
        if r is None:
            r = {"entity": "total", **total}
        else:
            for key, value in r.items():
                if key != "entity":
                    total[key] += value
        gap = r["product_write_path"] / r["floor_write"] if r["floor_write"] else 0.0
        print(
            f"{r['entity']:<11} {int(r['pages']):>5} {int(r['pages_mapped_by_db']):>6} "
            f"{int(r['records']):>8,} "
            + " ".join(f"{r[s]:>7.2f}" for s in STAGES)
            + f" {r['product_write_path']:>7.2f} {r['floor_write']:>7.2f} {gap:>5.2f}"
        )
    print(
        "path = parse + map + write + commit (the sync's own work on a page); floor = the "
        "same records as (id, version, raw) into a plain table; gap = path / floor. "
        "in SQL: pages the database mapped itself. A full import overlaps fetch with the rest."
    )
