"""Seeded, deterministic generation of a whole store.

Two passes: first every record gets an event time (when it was last changed), all entities
are merged by that time and numbered with one store-wide version counter (random gaps of
1..50), so versions of different entities interleave; then each entity's records are written
in version order as JSON bytes.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass, field

from .catalog import Catalog, ProductRef, build_catalog
from .config import scale_counts
from .formats import anchor_epoch, clear_caches
from .records import Family, customer, discount_product, inventory, new_family, outlet, product
from .sales import SaleMeta, sale

FIRST_VERSION = 47_538_121_342
ENTITIES = ("outlets", "products", "customers", "inventory", "sales")
DAY = 86_400
NORMAL, DELETED, BAD = 0, 1, 2


@dataclass
class EntityData:
    """Parallel lists of one entity, ascending by version."""

    versions: list[int] = field(default_factory=list)
    ids: list[str | None] = field(default_factory=list)
    blobs: list[bytes] = field(default_factory=list)
    kinds: bytearray = field(default_factory=bytearray)

    def add(self, version: int, rid: str | None, blob: bytes, kind: int) -> None:
        """Append one record (its version must exceed every earlier one)."""
        self.versions.append(version)
        self.ids.append(rid)
        self.blobs.append(blob)
        self.kinds.append(kind)


@dataclass
class Generated:
    """A freshly generated store."""

    catalog: Catalog
    entities: dict[str, EntityData]
    sale_meta: dict[str, SaleMeta]
    version: int
    now: int


Times = tuple[int, int, int | None]


def _event(times: Times) -> int:
    return times[2] if times[2] is not None else times[1]


def _plan_times(
    rng: random.Random, n: int, now: int, days: int, deleted_rate: float
) -> list[Times]:
    """(created, updated, deleted) times within ``days`` before ``now``, in event order."""
    plan: list[Times] = []
    for _ in range(n):
        created = min(now - rng.randint(1, days) * DAY + rng.randint(0, DAY - 1), now - 60)
        updated = created if rng.random() < 0.5 else rng.randint(created, now)
        deleted = rng.randint(updated, now) if rng.random() < deleted_rate else None
        plan.append((created, updated, deleted))
    plan.sort(key=_event)
    return plan


def _plan_sales(rng: random.Random, n: int, now: int) -> list[Times]:
    start_of_day = now - now % DAY
    plan: list[Times] = []
    for _ in range(n):
        ts = start_of_day - rng.randint(0, 399) * DAY + rng.randint(7 * 3600, 20 * 3600)
        ts = min(ts, now - rng.randint(60, 3600))
        updated = min(now, ts + rng.randint(0, 300))
        deleted = None
        if rng.random() < 0.01:
            deleted = min(now, ts + rng.randint(20, 40) * DAY)
            updated = deleted
        plan.append((ts, updated, deleted))
    plan.sort(key=_event)
    return plan


def _assign_versions(rng: random.Random, events: list[list[int]]) -> tuple[list[list[int]], int]:
    """Merge all entities' event times into one ascending, gapped version sequence."""
    keys: list[int] = []
    for code, times in enumerate(events):
        keys.extend(t * 8 + code for t in times)
    keys.sort()
    versions: list[list[int]] = [[] for _ in events]
    v = FIRST_VERSION - 1
    rand = rng.random
    for k in keys:
        v += 1 + int(rand() * 50)
        versions[k & 7].append(v)
    return versions, v


def generate(
    seed: int,
    scale: str,
    anchor: str = "2025-11-25",
    zones: Sequence[str] = (),
    sales: int | None = None,
) -> Generated:
    """Build the whole store for ``seed`` and ``scale`` (byte-identical for equal inputs).

    ``zones``: the outlets' time zones in turn (empty: the built-in European ones);
    ``sales``: this many sales instead of the scale's.
    """
    counts = scale_counts(scale, sales)
    salt = f":{sales}" if sales is not None else ""  # the scales' own data stay as they were
    rng = random.Random(f"lightspeed-dev-stand-in:{seed}:{scale}{salt}")
    now = anchor_epoch(anchor)
    cat = build_catalog(rng, counts["outlets"], zones)

    outlet_times = [(now - 1300 * DAY, now - 1300 * DAY, None) for _ in cat.outlets]
    outlet_times[-1] = (now - 1300 * DAY, now - 200 * DAY, now - 200 * DAY)
    families: list[tuple[Family, int]] = []
    while len(families) < counts["products"] - 1:
        fam = new_family(rng, cat)
        families.extend((fam, i) for i in range(fam.size))
    families = families[: counts["products"] - 1]
    product_times = _plan_times(rng, len(families), now, 1100, 0.02)
    customer_times = _plan_times(rng, counts["customers"], now, 1100, 0.03)
    active = cat.active_outlets
    stocked = [i for i, (fam, _) in enumerate(families) if fam.has_inventory]
    inv_plan: list[tuple[int, int, int]] = []  # (event, product plan index, outlet index)
    for pi in stocked:
        deleted = product_times[pi][2]
        for oi in range(len(active)):
            t = now - rng.randint(0, 400 * DAY)
            inv_plan.append((max(t, deleted) if deleted else t, pi, oi))
    inv_plan.sort()
    sale_times = _plan_sales(rng, counts["sales"], now)

    events = [
        [_event(t) for t in outlet_times],
        [now - 1250 * DAY] + [_event(t) for t in product_times],
        [_event(t) for t in customer_times],
        [e for e, _, _ in inv_plan],
        [_event(t) for t in sale_times],
    ]
    versions, last = _assign_versions(rng, events)
    data = {name: EntityData() for name in ENTITIES}

    for ref, times, v in zip(cat.outlets, outlet_times, versions[0], strict=True):
        kind = DELETED if times[2] is not None else NORMAL
        data["outlets"].add(v, ref.id, outlet(rng, cat, ref, times[2], v), kind)
    pv = versions[1]
    blob = discount_product(rng, cat, now - 1250 * DAY, pv[0])
    data["products"].add(pv[0], cat.products[0].id, blob, NORMAL)
    refs: list[tuple[ProductRef, int | None]] = []
    for (fam, variant), times, v in zip(families, product_times, pv[1:], strict=True):
        ref, blob = product(rng, cat, fam, variant, times, v)
        refs.append((ref, times[2]))
        data["products"].add(v, ref.id, blob, DELETED if times[2] else NORMAL)
    for times, v in zip(customer_times, versions[2], strict=True):
        cid, blob = customer(rng, cat, times[0], times[1], times[2], v)
        cat.customer_ids.append(cid)
        data["customers"].add(v, cid, blob, DELETED if times[2] else NORMAL)
    for (_, pi, oi), v in zip(inv_plan, versions[3], strict=True):
        ref, deleted = refs[pi]
        iid, blob = inventory(rng, ref, active[oi], deleted, v)
        data["inventory"].add(v, iid, blob, DELETED if deleted else NORMAL)
    meta: dict[str, SaleMeta] = {}
    for times, v in zip(sale_times, versions[4], strict=True):
        sid, blob, m = sale(rng, cat, times, v)
        meta[sid] = m
        data["sales"].add(v, sid, blob, DELETED if times[2] else NORMAL)
    clear_caches()
    return Generated(cat, data, meta, last, now)
