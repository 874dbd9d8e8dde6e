"""In-memory state of the stand-in: pre-serialized records, version index, paging and search.

Every record is kept as ready JSON bytes; a page is built by joining bytes. A record that
changes is re-serialized once, gets a new store-wide version and moves to the end of its
entity's list, so each list stays ascending by version and ``after`` is a bisect.
"""

from __future__ import annotations

import random
import threading
import time
from bisect import bisect_left, bisect_right, insort
from collections.abc import Callable, Iterable, Sequence
from itertools import islice
from typing import Any

from .catalog import ProductRef
from .data import BAD, DELETED, ENTITIES, NORMAL, EntityData, generate
from .formats import decode, encode
from .sales import SaleMeta

# Entities whose list endpoint has a ``deleted`` switch; the others always list deleted rows.
DELETED_FILTER = frozenset({"customers", "outlets", "products"})


class Stream:
    """One entity's records, ascending by version, plus an id -> version index."""

    def __init__(self, name: str, data: EntityData) -> None:
        """Adopt generated parallel lists (no copies)."""
        self.name = name
        self.versions = data.versions
        self.ids = data.ids
        self.blobs = data.blobs
        self.kinds = data.kinds
        self.index: dict[str, int] = {
            rid: v
            for rid, v, k in zip(self.ids, self.versions, self.kinds, strict=True)
            if rid is not None and k != BAD
        }
        self.hidden = sum(1 for k in self.kinds if k == DELETED)

    def __len__(self) -> int:
        """Number of rows in the stream (bad rows included)."""
        return len(self.versions)

    def position(self, rid: str) -> int:
        """Current list position of a valid record; KeyError if unknown."""
        return bisect_left(self.versions, self.index[rid])

    def append(self, version: int, rid: str | None, blob: bytes, kind: int) -> None:
        """Add a new record at the end (``version`` is the newest of the store)."""
        self.versions.append(version)
        self.ids.append(rid)
        self.blobs.append(blob)
        self.kinds.append(kind)
        if kind == DELETED:
            self.hidden += 1
        if rid is not None and kind != BAD:
            self.index[rid] = version

    def replace(self, rid: str, version: int, blob: bytes, kind: int) -> None:
        """Replace a record: drop its old position, append it with its new version."""
        pos = self.position(rid)
        if self.kinds[pos] == DELETED:
            self.hidden -= 1
        del self.versions[pos], self.ids[pos], self.blobs[pos], self.kinds[pos]
        self.append(version, rid, blob, kind)

    def page(
        self, after: int, before: int | None, size: int, with_deleted: bool
    ) -> tuple[list[bytes], int | None, int | None]:
        """Rows with after < version (< before), at most ``size``; returns (rows, min, max)."""
        versions = self.versions
        start = bisect_right(versions, after)
        stop = len(versions) if before is None else bisect_left(versions, before, start)
        if with_deleted or self.hidden == 0:
            end = min(stop, start + size)
            if end <= start:
                return [], None, None
            return self.blobs[start:end], versions[start], versions[end - 1]
        rows: list[bytes] = []
        first = last = None
        kinds, blobs = self.kinds, self.blobs
        for pos in range(start, stop):
            if kinds[pos] == DELETED:
                continue
            rows.append(blobs[pos])
            if first is None:
                first = versions[pos]
            last = versions[pos]
            if len(rows) >= size:
                break
        return rows, first, last


class Store:
    """The whole simulated store; every public method is safe to call from many threads."""

    def __init__(
        self,
        seed: int,
        scale: str,
        anchor: str = "2025-11-25",
        zones: Sequence[str] = (),
        wall_clock: bool = False,
        sales: int | None = None,
    ) -> None:
        """Generate the store for ``seed``/``scale`` (deterministic); outlets in ``zones``."""
        gen = generate(seed, scale, anchor, zones, sales)
        self.seed, self.scale = seed, scale
        self.catalog = gen.catalog
        self.streams = {name: Stream(name, gen.entities[name]) for name in ENTITIES}
        self.sale_meta: dict[str, SaleMeta] = gen.sale_meta
        self.by_date: list[tuple[int, str]] = sorted(
            (m.sale_ts, sid) for sid, m in gen.sale_meta.items()
        )
        sales = self.streams["sales"]
        self.deleted_sales: set[str] = {
            rid
            for rid, k in zip(sales.ids, sales.kinds, strict=True)
            if k == DELETED and rid is not None
        }
        self.version = gen.version
        self.clock = gen.now
        self.wall_clock = wall_clock
        self.rng = random.Random(f"lightspeed-dev-stand-in:mutations:{seed}:{scale}")
        self.lock = threading.RLock()
        self.mutation_count = 0
        self._products: dict[str, ProductRef] | None = None

    # --- reads --------------------------------------------------------------------------------

    def counts(self) -> dict[str, int]:
        """Number of current records per entity (bad rows excluded)."""
        with self.lock:
            return {name: len(s.index) for name, s in self.streams.items()}

    def page(
        self, entity: str, after: int, before: int | None, size: int, with_deleted: bool
    ) -> tuple[list[bytes], int | None, int | None]:
        """One list page (see :meth:`Stream.page`); deleted rows always kept for sales/inventory."""
        with self.lock:
            keep = with_deleted or entity not in DELETED_FILTER
            return self.streams[entity].page(after, before, size, keep)

    def search_sales(
        self,
        date_from: int | None,
        date_to: int | None,
        outlet_id: str | None,
        statuses: Iterable[str],
        with_deleted: bool,
        offset: int,
        size: int,
        order: str = "date",
    ) -> list[bytes]:
        """Sales with sale_date in [date_from, date_to], offset paging.

        ``order``: "date" (sale_date, id), "date_desc" (the reverse) or "id".
        """
        wanted = set(statuses)
        with self.lock:
            pos = 0 if date_from is None else bisect_left(self.by_date, (date_from, ""))
            found: list[str] = []
            skipped = 0
            ordered = order == "date"
            for ts, sid in islice(self.by_date, pos, None):
                if date_to is not None and ts > date_to:
                    break
                meta = self.sale_meta[sid]
                if outlet_id is not None and meta.outlet_id != outlet_id:
                    continue
                if wanted and meta.status not in wanted:
                    continue
                if not with_deleted and sid in self.deleted_sales:
                    continue
                if ordered and skipped < offset:
                    skipped += 1
                    continue
                found.append(sid)
                if ordered and len(found) >= size:
                    break
            if order == "date_desc":
                found = found[::-1][offset : offset + size]
            elif order == "id":
                found = sorted(found)[offset : offset + size]
            sales = self.streams["sales"]
            return [sales.blobs[sales.position(sid)] for sid in found]

    def dump(self, entity: str) -> bytes:
        """``{"data": [every valid record], "bad": [injected bad records]}`` as JSON bytes."""
        with self.lock:
            stream = self.streams[entity]
            good = [b for b, k in zip(stream.blobs, stream.kinds, strict=True) if k != BAD]
            bad = [b for b, k in zip(stream.blobs, stream.kinds, strict=True) if k == BAD]
        return b'{"data":[' + b",".join(good) + b'],"bad":[' + b",".join(bad) + b"]}"

    def record(self, entity: str, rid: str) -> dict[str, Any]:
        """The current record with id ``rid`` as a dict (numbers exact)."""
        with self.lock:
            stream = self.streams[entity]
            return decode(stream.blobs[stream.position(rid)])

    # --- writes (used by mutations) -----------------------------------------------------------

    def next_version(self) -> int:
        """Take the next store-wide version (random gap of 1..50)."""
        self.version += self.rng.randint(1, 50)
        return self.version

    def tick(self) -> int:
        """Advance the simulated clock a little and return it (epoch seconds).

        With ``wall_clock`` (the demo) it follows the real time instead.
        """
        step = self.rng.randint(1, 90)
        self.clock = max(self.clock + 1, int(time.time())) if self.wall_clock else self.clock + step
        return self.clock

    def product_ref(self, pid: str) -> ProductRef | None:
        """Catalog entry of a product id."""
        if self._products is None or len(self._products) != len(self.catalog.products):
            self._products = {p.id: p for p in self.catalog.products}
        return self._products.get(pid)

    def rewrite(self, entity: str, rid: str, change: Callable[[dict[str, Any]], int | None]) -> int:
        """Decode a record, let ``change`` edit it (may return a new kind), re-version, store."""
        stream = self.streams[entity]
        pos = stream.position(rid)
        rec = decode(stream.blobs[pos])
        kind = change(rec)
        if kind is None:
            kind = stream.kinds[pos]
        version = self.next_version()
        rec["version"] = version
        stream.replace(rid, version, encode(rec), kind)
        if entity == "sales" and kind == DELETED:
            self.deleted_sales.add(rid)
        return version

    def add_sale(self, rid: str, blob: bytes, meta: SaleMeta, version: int) -> None:
        """Append a new sale and index it for search."""
        self.streams["sales"].append(version, rid, blob, NORMAL)
        self.sale_meta[rid] = meta
        insort(self.by_date, (meta.sale_ts, rid))

    def pick(self, entity: str, n: int, accept: Callable[[int], bool] | None = None) -> list[str]:
        """Choose up to ``n`` distinct current (not deleted, not bad) records, deterministically."""
        stream = self.streams[entity]
        size = len(stream)
        chosen: list[str] = []
        seen: set[str] = set()

        def consider(pos: int) -> None:
            rid = stream.ids[pos]
            if rid is None or stream.kinds[pos] != NORMAL or rid in seen:
                return
            seen.add(rid)
            if accept is None or accept(pos):
                chosen.append(rid)

        for _ in range(min(n * 20 + 50, 4 * size) if size else 0):
            if len(chosen) >= n:
                return chosen
            consider(self.rng.randrange(size))
        for pos in range(size):
            if len(chosen) >= n:
                break
            consider(pos)
        return chosen
