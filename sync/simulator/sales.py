"""JSON template for a sale with its line items, payments and taxes.

Money is computed in integer 1e-5 units (unit prices have 5-dp precision, written with 10
dp like the recordings: ``20.6611600000``); sale totals are the line sums rounded to 2 dp
and written in their shortest form (``40``, ``25.9``, ``20.66``).
"""

from __future__ import annotations

import random
import string
from collections.abc import Sequence
from typing import NamedTuple, TypeVar

from .catalog import NOTES, Catalog, price_parts
from .formats import div_half_up, fmt5, fmt10, fmt_short, jstr, ts_iso, ts_z, uuid_vend


class SaleMeta(NamedTuple):
    """What the search endpoint filters on."""

    sale_ts: int
    outlet_id: str
    status: str


# (weight cut-off, code, status, state, attributes, line status, payment mode)
KINDS = (
    (0.80, "closed", "CLOSED", "closed", "[]", "CONFIRMED", "full"),
    (0.83, "refund", "CLOSED", "closed", "[]", "CONFIRMED", "full"),
    (0.87, "parked", "SAVED", "parked", "[]", "SAVED", "none"),
    (0.89, "layby", "LAYBY", "pending", '["layby"]', "CONFIRMED", "partial"),
    (0.91, "layby_closed", "LAYBY_CLOSED", "closed", '["layby"]', "CONFIRMED", "split"),
    (0.94, "onaccount", "ONACCOUNT", "pending", '["onaccount"]', "CONFIRMED", "none"),
    (0.97, "onaccount_closed", "ONACCOUNT_CLOSED", "closed", '["onaccount"]', "CONFIRMED", "full"),
    (1.01, "voided", "VOIDED", "voided", "[]", "VOIDED", "none"),
)
LINE_COUNTS = (1, 1, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 5, 5, 6)
_CODE_CHARS = string.ascii_lowercase + string.digits
_NOTES_Q = tuple(jstr(n) for n in NOTES)
T = TypeVar("T")

_EMPTY_NOTE = '""'


def _pick(rng: random.Random, seq: Sequence[T]) -> T:
    """Fast uniform choice (``rng.choice`` costs several times more on the hot path)."""
    return seq[int(rng.random() * len(seq))]


def pick_kind(rng: random.Random) -> tuple[str, str, str, str, str, str]:
    """Draw a sale kind: mostly CLOSED, some refunds, parked, layby, on-account, voided."""
    r = rng.random()
    for cut, *rest in KINDS:
        if r < cut:
            return tuple(rest)  # type: ignore[return-value]
    raise AssertionError("unreachable")


def _payment(rng: random.Random, cat: Catalog, register: str, cents: int, when: int) -> str:
    ptype_id, code, name = rng.choice(cat.payment_types)
    return (
        f'{{"id":"{uuid_vend(rng)}","register_id":"{register}",'
        f'"retailer_payment_type_id":"{ptype_id}","payment_type_id":"{code}","name":"{name}",'
        f'"amount":{fmt_short(cents)},"payment_date":"{ts_z(when, rng.randrange(1000))}",'
        f'"deleted_at":null}}'
    )


def _payments(
    rng: random.Random, cat: Catalog, mode: str, register: str, incl: int, when: int
) -> str:
    if mode == "none" or (mode == "full" and rng.random() < 0.02):
        return "[]"
    if mode == "partial":
        return f"[{_payment(rng, cat, register, div_half_up(incl * 3, 10), when)}]"
    if mode == "split" or (incl > 2000 and rng.random() < 0.05):
        first = div_half_up(incl, 2)
        return (
            f"[{_payment(rng, cat, register, first, when - 60)},"
            f"{_payment(rng, cat, register, incl - first, when)}]"
        )
    return f"[{_payment(rng, cat, register, incl, when)}]"


def sale(
    rng: random.Random,
    cat: Catalog,
    times: tuple[int, int, int | None],
    version: int,
) -> tuple[str, bytes, SaleMeta]:
    """One sale; ``times`` = (sale_date, updated_at, deleted_at or None) in epoch seconds."""
    sale_ts, updated_ts, deleted_ts = times
    _code, status, state, attributes, line_status, mode = pick_kind(rng)
    refund = _code == "refund"
    sid = uuid_vend(rng)
    out = _pick(rng, cat.active_outlets)
    register = _pick(rng, out.registers)
    user = _pick(rng, cat.users)
    with_cost = rng.random() < 0.3
    salesperson = f'"{user}"' if rng.random() < 0.2 else "null"
    lines: list[str] = []
    sum_p = sum_t = 0
    tax_sums: dict[int, int] = {}
    n_lines = _pick(rng, LINE_COUNTS)
    for seq in range(n_lines):
        prod = _pick(rng, cat.sellable)
        r = rng.random()
        q = -1 if refund else (1 if r < 0.8 else (2 if r < 0.95 else 3))
        ex5, tax5, disc5, price_set = prod.ex5, prod.tax5, 0, "false"
        if prod.cents and rng.random() < 0.08:
            ex5, tax5 = price_parts(div_half_up(prod.cents * 9, 10), cat.taxes[prod.tax].rate)
            disc5, price_set = prod.ex5 - ex5, "true"
        cost5 = prod.supply5 if with_cost else None
        unit = (ex5, tax5, disc5)
        lines.append(_line(rng, cat, prod.id, prod.tax, unit, q, seq, line_status, price_set,
                           salesperson, cost5))  # fmt: skip
        sum_p += ex5 * q
        sum_t += tax5 * q
        tax_sums[prod.tax] = tax_sums.get(prod.tax, 0) + tax5 * q
    if not refund and rng.random() < 0.03:
        ex5, tax5 = price_parts(-rng.choice((200, 500, 1000)), cat.taxes[0].rate)
        disc = cat.discount
        lines.append(_line(rng, cat, disc.id, 0, (ex5, tax5, 0), 1, n_lines, line_status,
                           "true", salesperson, 0 if with_cost else None))  # fmt: skip
        sum_p += ex5
        sum_t += tax5
        tax_sums[0] = tax_sums.get(0, 0) + tax5
    total_price, total_tax = div_half_up(sum_p, 1000), div_half_up(sum_t, 1000)
    incl = total_price + total_tax
    payments = _payments(rng, cat, mode, register, incl, updated_ts)
    taxes = ",".join(
        f'{{"id":"{cat.taxes[i].id}","amount":{fmt_short(div_half_up(v, 1000))}}}'
        for i, v in tax_sums.items()
    )
    r = rng.random()
    customer = (
        "" if r < 0.1 else ('"customer_id":null,' if r < 0.25 else
                            f'"customer_id":"{_pick(rng, cat.customer_ids)}",')
    )  # fmt: skip
    r = rng.random()
    note = "" if r < 0.5 else f'"note":{_pick(rng, _NOTES_Q) if r > 0.85 else _EMPTY_NOTE},'
    cat.invoices_made += 1
    invoice = cat.invoices_made
    short_code = "".join(rng.choices(_CODE_CHARS, k=6))
    deleted = "null" if deleted_ts is None else f'"{ts_iso(deleted_ts)}"'
    text = (
        f'{{"id":"{sid}","outlet_id":"{out.id}","register_id":"{register}","user_id":"{user}",'
        f'{customer}"invoice_number":"{invoice}","invoice_sequence":{invoice},'
        f'"receipt_number":"{invoice}","short_code":"{short_code}","source":"USER",'
        f'"source_id":null,"status":"{status}","state":"{state}","attributes":{attributes},'
        f'{note}"sale_date":"{ts_iso(sale_ts)}","created_at":"{ts_iso(sale_ts)}",'
        f'"updated_at":"{ts_iso(updated_ts)}","deleted_at":{deleted},"return_for":null,'
        f'"total_price":{fmt_short(total_price)},"total_tax":{fmt_short(total_tax)},'
        f'"total_price_incl":{fmt_short(incl)},"total_surcharge":0,"total_loyalty":0,'
        f'"line_items":[{",".join(lines)}],"payments":{payments},"taxes":[{taxes}],'
        f'"adjustments":[],"external_applications":[],"version":{version}}}'
    )
    return sid, text.encode(), SaleMeta(sale_ts, out.id, status)


def _line(
    rng: random.Random,
    cat: Catalog,
    product_id: str,
    tax_index: int,
    unit: tuple[int, int, int],
    q: int,
    seq: int,
    status: str,
    price_set: str,
    salesperson: str,
    cost5: int | None,
) -> str:
    ex5, tax5, disc5 = unit
    tax = cat.taxes[tax_index]
    cost = ""
    if cost5 is not None:
        cost = f'"cost_total":{fmt10(cost5 * q)},"cost":{fmt10(cost5)},"loyalty_value":0,'
    tt, t, pt, p, d, dt = (
        fmt10(tax5 * q),
        fmt10(tax5),
        fmt10(ex5 * q),
        fmt10(ex5),
        fmt10(disc5),
        fmt10(disc5 * q),
    )
    return (
        f'{{"id":"{uuid_vend(rng)}","product_id":"{product_id}","tax_id":"{tax.id}",'
        f'"discount_total":{dt},"discount":{d},"price_total":{pt},"price":{p},{cost}'
        f'"tax_total":{tt},"tax":{t},"quantity":{fmt5(q * 100_000)},"note":null,'
        f'"price_set":{price_set},"status":"{status}","sequence":{seq},'
        f'"tax_components":[{{"rate_id":"{tax.rate_id}","total_tax":{tt}}}],"unit_price":{p},'
        f'"unit_tax":{t},"unit_discount":{d},"total_price":{pt},"total_tax":{tt},'
        f'"total_discount":{dt},"is_return":false,"salesperson_id":{salesperson}}}'
    )
