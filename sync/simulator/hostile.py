"""Bad and hostile records (``bad_record`` mutations): broken shapes, and well-formed JSON
that a database may refuse.

Two hostile kinds are valid Lightspeed data a copy must keep (text holding a NUL character or a
lone UTF-16 surrogate): they are appended as normal records and are part of the dump.
The others are broken beyond keeping and are appended as bad records.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .data import BAD, NORMAL
from .formats import encode, uuid_random
from .store import Store

HOSTILE_KINDS = (
    "nul_in_text",
    "lone_surrogate",
    "nul_in_id",
    "huge_number",
    "huge_version",
    "version_object",
    "oversize_id",
    "timestamp_overflow",
    "id_object",
)
BAD_KINDS = ("missing_id", "bad_number", "bad_timestamp", "missing_version", *HOSTILE_KINDS)
#: Kinds that are valid source data: listed, dumped and expected in the copy (sanitised).
KEPT_KINDS = frozenset({"nul_in_text", "lone_surrogate"})

# A free-text field of each entity (inventory has none: an extra key, kept in raw only).
TEXT_FIELD = {
    "customers": "first_name",
    "products": "name",
    "sales": "note",
    "outlets": "name",
    "inventory": "note",
}
MONEY_FIELD = {
    "customers": "balance",
    "products": "price_including_tax",
    "sales": "total_price",
    "inventory": "inventory_level",
    "outlets": "currency",
}
# json cannot write a lone surrogate as UTF-8: it goes in as this marker, then as its escape.
_SURROGATE_MARK = "@@lone-surrogate@@"
_SURROGATE_ESCAPE = b"\\ud83d"


def make_hostile(rec: dict[str, Any], entity: str, kind: str) -> None:
    """Turn ``rec`` (a copy with a fresh id and version) into a hostile record of ``kind``."""
    if kind == "nul_in_text":
        rec[TEXT_FIELD[entity]] = "Pasted\u0000note \u0000end"
        rec["nested"] = {"key\u0000with nul": ["a\u0000b"]}
    elif kind == "lone_surrogate":
        rec[TEXT_FIELD[entity]] = f"broken emoji {_SURROGATE_MARK}"
    elif kind == "nul_in_id":
        rec["id"] = rec["id"][:8] + "\u0000" + rec["id"][8:]
    elif kind == "huge_number":
        rec[MONEY_FIELD[entity]] = "HUGE"
    elif kind == "huge_version":
        rec["version"] = 2**70
    elif kind == "version_object":
        rec["version"] = {"value": rec["version"]}
    elif kind == "oversize_id":
        rec["id"] = "x" * 9000
    elif kind == "id_object":
        rec["id"] = {"value": rec["id"]}
    elif kind == "timestamp_overflow":
        rec["deleted_at"] = "0001-01-01T00:00:00+05:00"


def finish_blob(blob: bytes, kind: str) -> bytes:
    """Apply what JSON encoding cannot express directly (a lone surrogate, a huge number)."""
    if kind == "lone_surrogate":
        return blob.replace(_SURROGATE_MARK.encode(), _SURROGATE_ESCAPE)
    if kind == "huge_number":
        return blob.replace(b'"HUGE"', b"1E+200000")
    return blob


BAD_NUMBER_FIELD = {
    "customers": "balance",
    "products": "price_including_tax",
    "sales": "total_price",
    "inventory": "inventory_level",
    "outlets": "version",
}
TIMESTAMP_FIELDS = ("sale_date", "created_at", "updated_at", "deleted_at")
# A valid row after these, so the page's version.max moves past the broken one.
_NEEDS_FOLLOWER = frozenset({"missing_version", "version_object", "huge_version"})


def bad_record(
    store: Store,
    entity: str,
    kind: str,
    touch: Callable[[str, str], None],
    note: Callable[[str, str], None],
) -> dict[str, Any]:
    """Append a broken copy of a random record with a fresh version and id.

    ``touch(entity, id)`` rewrites a valid record (a follower); ``note`` records a change.
    """
    stream = store.streams[entity]
    picked = store.pick(entity, 1)
    template = picked[0] if picked else next(iter(stream.index), None)
    if template is None:
        raise ValueError(f"no {entity} record to copy for a bad record")
    rec = store.record(entity, template)
    rid: str | None = uuid_random(store.rng)
    rec["id"] = rid
    version = store.next_version()
    rec["version"] = version
    if kind == "missing_id":
        del rec["id"]
        rid = None
    elif kind == "bad_number":
        rec[BAD_NUMBER_FIELD[entity]] = "12,50abc"
    elif kind == "bad_timestamp":
        for key in TIMESTAMP_FIELDS:
            if key in rec:
                rec[key] = "not-a-date"
    elif kind in HOSTILE_KINDS:
        make_hostile(rec, entity, kind)
        rid = rec["id"] if isinstance(rec["id"], str) else None
    else:
        del rec["version"]
    kept = kind in KEPT_KINDS
    stream.append(version, rid, finish_blob(encode(rec), kind), NORMAL if kept else BAD)
    if kept and rid is not None:
        note(entity, rid)
    if kind in _NEEDS_FOLLOWER or (kind == "bad_number" and entity == "outlets"):
        follower = store.pick(entity, 1)
        if follower:
            touch(entity, follower[0])
    return {"entity": entity, "kind": kind, "id": rid, "version": version}
