"""Changes to the simulated store (POST /_sim/mutate, live mode).

Every changed record takes a new store-wide version and moves to the end of its list.
Choices come from the store's seeded RNG, so the same sequence of calls on the same seed
gives the same result.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

from .catalog import price_parts
from .data import DELETED, ENTITIES
from .formats import (
    Money,
    as_decimal,
    fmt5,
    fmt10,
    fmt_short,
    money_short,
    ts_iso,
    ts_z,
    uuid_vend,
)
from .hostile import BAD_KINDS, bad_record
from .records import customer, inventory, new_family, product
from .sales import SaleMeta, sale
from .store import Store
from .vanish import remove_outlets, vanish_inventory

COUNT_KEYS = (
    "new_customers",
    "update_customers",
    "delete_customers",
    "new_products",
    "update_products",
    "delete_products",
    "stock_changes",
    "new_sales",
    "update_sales",
    "remove_line_items",
    "delete_sales",
    "vanish_inventory",
    "remove_outlets",
)
MAX_COUNT = 100_000
# status -> (new status, state, attributes) when a pending sale is completed
COMPLETIONS = {
    "SAVED": ("CLOSED", "closed", []),
    "LAYBY": ("LAYBY_CLOSED", "closed", ["layby"]),
    "ONACCOUNT": ("ONACCOUNT_CLOSED", "closed", ["onaccount"]),
}

Changed = dict[str, list[str]]


def apply(store: Store, spec: dict[str, Any]) -> dict[str, Any]:
    """Apply a mutation request; ValueError (nothing changed) on bad input."""
    if not isinstance(spec, dict):
        raise ValueError("mutation request must be a JSON object")
    unknown = sorted(set(spec) - set(COUNT_KEYS) - {"bad_record"})
    if unknown:
        raise ValueError(f"unknown mutation(s): {', '.join(unknown)}")
    counts = {key: _count(key, spec[key]) for key in COUNT_KEYS if key in spec}
    bad_specs = _bad_specs(spec.get("bad_record"))
    changed: Changed = {}
    bad: list[dict[str, Any]] = []
    with store.lock:
        store.mutation_count += 1
        for key, n in counts.items():
            if n:
                HANDLERS[key](store, n, changed)
        for entity, kind in bad_specs:
            bad.append(
                bad_record(
                    store,
                    entity,
                    kind,
                    lambda e, r: _touch(store, e, r, changed, lambda rec: None),
                    lambda e, r: _note(changed, e, r),
                )
            )
    # a record changed twice in one call (updated, then deleted) is listed once
    out: dict[str, Any] = {"changed": {e: list(dict.fromkeys(ids)) for e, ids in changed.items()}}
    if bad:
        out["bad"] = bad
    return out


def live_tick(store: Store) -> dict[str, Any]:
    """One live-mode step: 1-3 new sales, one updated sale, stock changes on a few rows."""
    with store.lock:
        spec = {
            "new_sales": store.rng.randint(1, 3),
            "update_sales": 1,
            "stock_changes": store.rng.randint(1, 4),
        }
        return apply(store, spec)


def _count(key: str, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_COUNT:
        raise ValueError(f"{key} must be an integer between 0 and {MAX_COUNT}")
    return value


def _bad_specs(value: Any) -> list[tuple[str, str]]:
    if value is None:
        return []
    items = value if isinstance(value, list) else [value]
    out: list[tuple[str, str]] = []
    for item in items:
        if not isinstance(item, dict) or item.get("entity") not in ENTITIES:
            raise ValueError(f"bad_record needs an entity: one of {', '.join(ENTITIES)}")
        if item.get("kind") not in BAD_KINDS:
            raise ValueError(f"bad_record kind must be one of {', '.join(BAD_KINDS)}")
        out.append((item["entity"], item["kind"]))
    return out


def _note(changed: Changed, entity: str, rid: str) -> None:
    changed.setdefault(entity, []).append(rid)


def _touch(
    store: Store, entity: str, rid: str, changed: Changed, edit: Callable[[dict], Any]
) -> None:
    """Rewrite one record with ``edit`` (which may return a new kind) and note it."""
    store.rewrite(entity, rid, edit)
    _note(changed, entity, rid)


def _now(store: Store) -> str:
    return ts_iso(store.tick())


# --- customers ----------------------------------------------------------------------------------


def new_customers(store: Store, n: int, changed: Changed) -> None:
    """Create ``n`` customers."""
    for _ in range(n):
        now = store.tick()
        cid, blob = customer(store.rng, store.catalog, now, now, None, store.next_version())
        store.catalog.customer_ids.append(cid)
        store.streams["customers"].append(store.version, cid, blob, 0)
        _note(changed, "customers", cid)


def update_customers(store: Store, n: int, changed: Changed) -> None:
    """Change contact details and year-to-date spend of ``n`` customers."""
    for cid in store.pick("customers", n):
        now, k = _now(store), store.rng.randint(1, 99999)

        def edit(rec: dict[str, Any], now: str = now, k: int = k) -> None:
            rec["email"] = f"updated.{k}@example.com"
            rec["year_to_date"] = money_short(as_decimal(rec.get("year_to_date", 0)) + k % 5000)
            rec["updated_at"] = now

        _touch(store, "customers", cid, changed, edit)


def _soft_delete(store: Store, entity: str, n: int, changed: Changed) -> list[str]:
    picked = store.pick(entity, n)
    for rid in picked:
        now = _now(store)

        def edit(rec: dict[str, Any], now: str = now) -> int:
            rec["deleted_at"] = now
            if "updated_at" in rec:
                rec["updated_at"] = now
            if "active" in rec:
                rec["active"] = rec["is_active"] = False
            return DELETED

        _touch(store, entity, rid, changed, edit)
    return picked


def delete_customers(store: Store, n: int, changed: Changed) -> None:
    """Soft-delete ``n`` customers."""
    _soft_delete(store, "customers", n, changed)


# --- products and inventory ---------------------------------------------------------------------


def new_products(store: Store, n: int, changed: Changed) -> None:
    """Create ``n`` products, each with an inventory row per trading outlet if stocked."""
    cat = store.catalog
    for _ in range(n):
        fam = new_family(store.rng, cat)
        now = store.tick()
        ref, blob = product(store.rng, cat, fam, 0, (now, now, None), store.next_version())
        store.streams["products"].append(store.version, ref.id, blob, 0)
        _note(changed, "products", ref.id)
        if ref.has_inventory:
            for out in cat.active_outlets:
                iid, row = inventory(store.rng, ref, out, None, store.next_version())
                store.streams["inventory"].append(store.version, iid, row, 0)
                _note(changed, "inventory", iid)


def update_products(store: Store, n: int, changed: Changed) -> None:
    """Change the price of ``n`` priced products (catalog follows, so new sales use it)."""
    cat = store.catalog

    def priced(pos: int) -> bool:
        ref = store.product_ref(store.streams["products"].ids[pos] or "")
        return ref is not None and ref.cents is not None

    for pid in store.pick("products", n, priced):
        ref = store.product_ref(pid)
        assert ref is not None and ref.cents is not None
        ref.cents = max(100, ref.cents + store.rng.choice((-200, -100, -50, 50, 100, 250, 500)))
        ref.ex5, ref.tax5 = price_parts(ref.cents, cat.taxes[ref.tax].rate)
        now = _now(store)

        def edit(
            rec: dict[str, Any], now: str = now, cents: int = ref.cents, ex5: int = ref.ex5
        ) -> None:
            rec["price_including_tax"] = Money(fmt_short(cents))
            rec["price_excluding_tax"] = Money(fmt10(ex5))
            rec["updated_at"] = now

        _touch(store, "products", pid, changed, edit)


def delete_products(store: Store, n: int, changed: Changed) -> None:
    """Soft-delete ``n`` products (they stop being sold)."""
    for pid in _soft_delete(store, "products", n, changed):
        ref = store.product_ref(pid)
        if ref is not None:
            ref.deleted = True
            if ref in store.catalog.sellable and len(store.catalog.sellable) > 1:
                store.catalog.sellable.remove(ref)


def stock_changes(store: Store, n: int, changed: Changed) -> None:
    """Change inventory_level (and the equal current_amount) of ``n`` inventory rows."""
    for iid in store.pick("inventory", n):
        delta = store.rng.choice((-3, -2, -1, -1, 1, 2, 5, 12, 24))

        def edit(rec: dict[str, Any], delta: int = delta) -> None:
            old = rec["inventory_level"]
            new: int | Money = (
                old + delta if isinstance(old, int) else Money(fmt5(int((old + delta) * 100_000)))
            )
            rec["inventory_level"] = rec["current_amount"] = new

        _touch(store, "inventory", iid, changed, edit)


# --- sales --------------------------------------------------------------------------------------


def new_sales(store: Store, n: int, changed: Changed) -> None:
    """Create ``n`` sales dated at the simulated clock."""
    for _ in range(n):
        now = store.tick()
        sid, blob, meta = sale(store.rng, store.catalog, (now, now, None), store.next_version())
        store.add_sale(sid, blob, meta, store.version)
        _note(changed, "sales", sid)


def _payment(store: Store, rec: dict[str, Any], amount: Decimal, when: int) -> dict[str, Any]:
    ptype_id, code, name = store.rng.choice(store.catalog.payment_types)
    return {
        "id": uuid_vend(store.rng),
        "register_id": rec.get("register_id"),
        "retailer_payment_type_id": ptype_id,
        "payment_type_id": code,
        "name": name,
        "amount": money_short(amount),
        "payment_date": ts_z(when, store.rng.randrange(1000)),
        "deleted_at": None,
    }


def update_sales(store: Store, n: int, changed: Changed) -> None:
    """Change the note of ``n`` sales; parked, layby and on-account sales get completed."""
    for sid in store.pick("sales", n):
        when = store.tick()
        k = store.mutation_count

        def edit(rec: dict[str, Any], when: int = when, k: int = k) -> None:
            rec["note"] = f"Updated by the stand-in (change {k})"
            rec["updated_at"] = ts_iso(when)
            done = COMPLETIONS.get(rec.get("status", ""))
            if done is None:
                return
            rec["status"], rec["state"], rec["attributes"] = done[0], done[1], list(done[2])
            for line in rec.get("line_items", []):
                line["status"] = "CONFIRMED"
            paid = sum((as_decimal(p["amount"]) for p in rec.get("payments", [])), Decimal(0))
            rest = as_decimal(rec["total_price_incl"]) - paid
            if rest != 0:
                rec.setdefault("payments", []).append(_payment(store, rec, rest, when))

        _touch(store, "sales", sid, changed, edit)
        meta = store.sale_meta[sid]
        status = store.record("sales", sid)["status"]
        store.sale_meta[sid] = SaleMeta(meta.sale_ts, meta.outlet_id, status)


def recompute_totals(rec: dict[str, Any]) -> None:
    """Sale totals, taxes and the closing payment from the line items (2-dp sums)."""
    lines = rec["line_items"]
    total = money_short(sum((as_decimal(li["price_total"]) for li in lines), Decimal(0)))
    tax = money_short(sum((as_decimal(li["tax_total"]) for li in lines), Decimal(0)))
    incl = money_short(total + tax)
    rec["total_price"], rec["total_tax"], rec["total_price_incl"] = total, tax, incl
    by_tax: dict[str, Decimal] = {}
    for li in lines:
        by_tax[li["tax_id"]] = by_tax.get(li["tax_id"], Decimal(0)) + as_decimal(li["tax_total"])
    rec["taxes"] = [{"id": tid, "amount": money_short(v)} for tid, v in by_tax.items()]
    payments = rec.get("payments") or []
    if payments and rec.get("state") == "closed":
        others = sum((as_decimal(p["amount"]) for p in payments[:-1]), Decimal(0))
        payments[-1]["amount"] = money_short(incl - others)


def remove_line_items(store: Store, n: int, changed: Changed) -> None:
    """Remove one line item from ``n`` sales that have at least two; totals follow."""
    blobs = store.streams["sales"].blobs

    def two_lines(pos: int) -> bool:
        return blobs[pos].count(b'"sequence":') >= 2

    for sid in store.pick("sales", n, two_lines):
        now = _now(store)
        drop = store.rng.random()

        def edit(rec: dict[str, Any], now: str = now, drop: float = drop) -> None:
            lines = rec["line_items"]
            del lines[int(drop * len(lines))]
            recompute_totals(rec)
            rec["updated_at"] = now

        _touch(store, "sales", sid, changed, edit)


def delete_sales(store: Store, n: int, changed: Changed) -> None:
    """Set deleted_at on ``n`` sales (they stay listed by /sales)."""
    _soft_delete(store, "sales", n, changed)


# --- bad records --------------------------------------------------------------------------------


HANDLERS: dict[str, Callable[[Store, int, Changed], None]] = {
    "new_customers": new_customers,
    "update_customers": update_customers,
    "delete_customers": delete_customers,
    "new_products": new_products,
    "update_products": update_products,
    "delete_products": delete_products,
    "stock_changes": stock_changes,
    "new_sales": new_sales,
    "update_sales": update_sales,
    "remove_line_items": remove_line_items,
    "delete_sales": delete_sales,
    "vanish_inventory": vanish_inventory,
    "remove_outlets": remove_outlets,
}
