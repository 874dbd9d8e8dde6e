"""Records that just stop being listed (API 2.0 has no `deleted` flag on /inventory).

Inventory of a deleted product, or of a removed outlet, most likely disappears from the
list without a new version: only a full pass of the copy can notice.
"""

from __future__ import annotations

from typing import Any

from .data import DELETED
from .formats import decode, ts_iso
from .store import Store

Changed = dict[str, list[str]]


def _vanish(store: Store, entity: str, rid: str, changed: Changed) -> None:
    stream = store.streams[entity]
    pos = stream.position(rid)
    if stream.kinds[pos] == DELETED:
        stream.hidden -= 1
    del stream.versions[pos], stream.ids[pos], stream.blobs[pos], stream.kinds[pos]
    del stream.index[rid]
    changed.setdefault(f"vanished_{entity}", []).append(rid)


def vanish_inventory(store: Store, n: int, changed: Changed) -> None:
    """``n`` inventory records stop being listed (no new version, no deleted_at)."""
    for rid in store.pick("inventory", n):
        _vanish(store, "inventory", rid, changed)


def remove_outlets(store: Store, n: int, changed: Changed) -> None:
    """Soft-delete ``n`` outlets; their inventory stops being listed."""
    stream = store.streams["inventory"]
    for outlet in store.pick("outlets", n):

        def edit(rec: dict[str, Any]) -> int:
            rec["deleted_at"] = ts_iso(store.tick())
            return DELETED

        store.rewrite("outlets", outlet, edit)
        changed.setdefault("outlets", []).append(outlet)
        held = [
            rid
            for rid, blob in zip(stream.ids, stream.blobs, strict=True)
            if rid is not None and rid in stream.index and decode(blob).get("outlet_id") == outlet
        ]
        for rid in held:
            _vanish(store, "inventory", rid, changed)
