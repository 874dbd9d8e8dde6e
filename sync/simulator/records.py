"""JSON templates for customers, outlets, products and inventory rows (§3 field shapes).

Each function draws from the given RNG in a fixed order and returns ready JSON bytes, so the
same seed always gives the same bytes. Keys that are sometimes absent (contact fields of a
customer) are left out of the text rather than written as null.
"""

from __future__ import annotations

import random
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass

from .catalog import (
    ADJECTIVES,
    CITIES,
    FIRST_NAMES,
    LAST_NAMES,
    NOUNS,
    OPTION_SETS,
    STREETS,
    Catalog,
    OutletRef,
    ProductRef,
    price_parts,
    random_price_cents,
)
from .formats import (
    date_only,
    div_half_up,
    fmt5,
    fmt10,
    fmt_short,
    jstr,
    ts_iso,
    ts_z,
    uuid_random,
    uuid_v4,
    uuid_vend,
)


def _slug(text: str) -> str:
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return "".join(ch for ch in plain.lower() if ch.isalnum())


_SLUGS = {name: _slug(name) for name in FIRST_NAMES + LAST_NAMES}
_Q = {name: jstr(name) for name in FIRST_NAMES + LAST_NAMES}


def _ts_fraction(epoch: int) -> str:
    """``...Z`` shape with milliseconds derived from the second (monotonic, deterministic)."""
    return ts_z(epoch, epoch * 7919 % 1000)


def _ts_maker(z_shape: bool) -> Callable[[int], str]:
    return _ts_fraction if z_shape else ts_iso


def _opt_ts(fmt: Callable[[int], str], epoch: int | None) -> str:
    return "null" if epoch is None else f'"{fmt(epoch)}"'


def _amount(rng: random.Random, max_cents: int) -> str:
    """A money value in one of the three real shapes: 0, short (25.9) or 10-dp."""
    r = rng.random()
    if r < 0.4:
        return "0"
    cents = rng.randint(1, max_cents)
    return fmt_short(cents) if r < 0.7 else fmt10(cents * 1000)


def customer(
    rng: random.Random, cat: Catalog, created: int, updated: int, deleted: int | None, version: int
) -> tuple[str, bytes]:
    """One customer record; ~15% have no contact keys at all, ~10% use ``...Z`` timestamps."""
    n = cat.customers_made
    cat.customers_made += 1
    cid = uuid_v4(rng)
    first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
    fmt = _ts_maker(rng.random() < 0.1)
    company = rng.random() < 0.08
    first_q, last_q = ("null", "null") if company and rng.random() < 0.5 else (_Q[first], _Q[last])
    name = f"{last} Trading" if company else f"{first} {last}"
    company_q = jstr(f"{last} Trading") if company else "null"
    contact = ""
    if rng.random() >= 0.15:
        email = (
            f'"{_SLUGS[first]}.{_SLUGS[last]}{n}@example.com"' if rng.random() < 0.85 else "null"
        )
        phone = f'"+31 20 {rng.randint(1000000, 9999999)}"' if rng.random() < 0.5 else "null"
        mobile = f'"+31 6 {rng.randint(10000000, 99999999)}"' if rng.random() < 0.6 else "null"
        contact = f'"email":{email},"phone":{phone},"mobile":{mobile},"fax":null,'
    city, postcode = rng.choice(CITIES)
    street = jstr(f"{rng.choice(STREETS)} {rng.randint(1, 250)}")
    has_address = rng.random() < 0.6
    addr = street if has_address else "null"
    city_q = f'"{city}"' if has_address else "null"
    pc_q = f'"{postcode}"' if has_address else "null"
    country_q = '"NL"' if has_address else "null"
    dob = (
        f'"{date_only(created - rng.randint(18, 80) * 31_557_600)}"'
        if rng.random() < 0.3
        else "null"
    )
    gender = rng.choice(('"F"', '"M"', '"X"', "null", "null"))
    on_account = rng.random() < 0.05
    limit = fmt_short(rng.choice((25000, 50000, 100000))) if on_account else "null"
    balance = fmt_short(-rng.randint(100, 20000)) if on_account and rng.random() < 0.5 else "0"
    loyalty = fmt5(rng.randint(0, 5000) * 1000) if rng.random() < 0.3 else "0"
    text = (
        f'{{"id":"{cid}","customer_code":"{_SLUGS[first][:6].upper()}-{n:05d}","name":{jstr(name)},'
        f'"first_name":{first_q},"last_name":{last_q},"company_name":{company_q},{contact}'
        f'"balance":{balance},"year_to_date":{_amount(rng, 250000)},"loyalty_balance":{loyalty},'
        f'"on_account_limit":{limit},"enable_loyalty":{"true" if rng.random() < 0.4 else "false"},'
        f'"do_not_email":{"true" if rng.random() < 0.2 else "false"},'
        f'"customer_group_id":"{rng.choice(cat.customer_groups)}","date_of_birth":{dob},'
        f'"gender":{gender},"note":null,"tax_id":null,"physical_address_1":{addr},'
        f'"physical_address_2":null,"physical_suburb":null,"physical_city":{city_q},'
        f'"physical_postcode":{pc_q},"physical_state":null,'
        f'"physical_country_id":{country_q},"postal_address_1":null,'
        f'"postal_address_2":null,"postal_suburb":null,"postal_city":null,"postal_postcode":null,'
        f'"postal_state":null,"postal_country_id":null,"custom_field_1":null,'
        f'"custom_field_2":null,"custom_field_3":null,"custom_field_4":null,"twitter":null,'
        f'"website":null,"created_at":"{fmt(created)}","updated_at":"{fmt(updated)}",'
        f'"deleted_at":{_opt_ts(fmt, deleted)},"version":{version}}}'
    )
    return cid, text.encode()


def outlet(
    rng: random.Random, cat: Catalog, ref: OutletRef, deleted: int | None, version: int
) -> bytes:
    """One outlet record (no created/updated timestamps in the 2.0 schema)."""
    city, postcode = rng.choice(CITIES)
    slug = _slug(ref.name) or "outlet"
    return (
        f'{{"id":"{ref.id}","name":{jstr(ref.name)},"time_zone":"{ref.time_zone}",'
        f'"currency":"EUR","currency_symbol":"€","display_prices":"inclusive",'
        f'"default_tax_id":"{cat.taxes[0].id}","email":"{slug}@example-store.nl",'
        f'"physical_address_1":{jstr(f"{rng.choice(STREETS)} {rng.randint(1, 99)}")},'
        f'"physical_address_2":null,"physical_suburb":null,"physical_city":"{city}",'
        f'"physical_postcode":"{postcode}","physical_state":null,"physical_country_id":"NL",'
        f'"attributes":[{{"key":"registers","value":"{len(ref.registers)}"}}],'
        f'"receipt_template_id":"{uuid_vend(rng)}","deleted_at":{_opt_ts(ts_iso, deleted)},'
        f'"version":{version}}}'
    ).encode()


@dataclass
class Family:
    """Shared facts of a product and its variants (same ``handle`` and ``family_id``)."""

    handle: str
    name: str
    family_id: str
    size: int
    options: tuple[str, tuple[str, ...]] | None
    tax: int
    cents: int
    supplier: tuple[str, str] | None
    brand: tuple[str, str] | None
    ptype: tuple[str, str] | None
    has_inventory: bool
    composite: bool
    parent_id: str | None = None


def new_family(rng: random.Random, cat: Catalog) -> Family:
    """Plan a product family: 70% single products, otherwise 2-5 variants."""
    cat.families_made += 1
    name = f"{rng.choice(ADJECTIVES)} {rng.choice(NOUNS)}"
    size = 1 if rng.random() < 0.7 else rng.randint(2, 5)
    options = rng.choice(OPTION_SETS) if size > 1 else None
    r = rng.random()
    return Family(
        handle=f"{_slug(name.replace(' ', '-'))}{cat.families_made}",
        name=name,
        family_id=uuid_vend(rng),
        size=size,
        options=options,
        tax=0 if rng.random() < 0.8 else 1,
        cents=random_price_cents(rng),
        supplier=rng.choice(cat.suppliers) if rng.random() < 0.7 else None,
        brand=rng.choice(cat.brands) if rng.random() < 0.5 else None,
        ptype=rng.choice(cat.types) if rng.random() < 0.8 else None,
        has_inventory=r >= 0.06,
        composite=r < 0.01,
    )


def _obj(pair: tuple[str, str] | None) -> tuple[str, str]:
    if pair is None:
        return "null", "null"
    return f'"{pair[0]}"', f'{{"id":"{pair[0]}","name":{jstr(pair[1])}}}'


def product(
    rng: random.Random,
    cat: Catalog,
    fam: Family,
    variant: int,
    times: tuple[int, int, int | None],
    version: int,
) -> tuple[ProductRef, bytes]:
    """One product (variant ``variant`` of ``fam``); registers it in the catalog."""
    created, updated, deleted = times
    pid = uuid_vend(rng)
    cat.products_made += 1
    sku = f"{10000 + cat.products_made}" if rng.random() > 0.01 else None
    cents = fam.cents + (200 * variant if fam.options and rng.random() < 0.3 else 0)
    ex5, tax5 = price_parts(cents, cat.taxes[fam.tax].rate)
    supply5 = 0 if rng.random() < 0.2 else div_half_up(ex5 * rng.randint(35, 60), 100)
    supply = "0.0" if supply5 == 0 else fmt5(supply5)
    variant_name, options = fam.name, "[]"
    if fam.options:
        opt_name, values = fam.options
        value = values[variant % len(values)]
        variant_name = f"{fam.name} / {value}"
        options = f'[{{"id":"{uuid_vend(rng)}","name":"{opt_name}","value":"{value}"}}]'
    if fam.parent_id is None:
        fam.parent_id = pid
        parent = "null"
    else:
        parent = f'"{fam.parent_id}"'
    code_type = rng.choice(("CUSTOM", "custom", "CUSTOM"))
    codes = "[]"
    if sku is not None and rng.random() < 0.8:
        cid = f'"id":"{uuid_vend(rng)}",' if rng.random() < 0.7 else ""
        codes = f'[{{{cid}"type":"{code_type}","code":"{sku}"}}]'
        if rng.random() < 0.2:
            codes = codes[:-1] + f',{{"type":"EAN","code":"87{rng.randint(10**10, 10**11 - 1)}"}}]'
    supplier_id, supplier = _obj(fam.supplier)
    brand_id, brand = _obj(fam.brand)
    type_id, type_obj = _obj(fam.ptype)
    active = "false" if deleted is not None else "true"
    description = jstr(f'<p>{fam.name}: soft, "easy care" and made to last.</p>')
    text = (
        f'{{"id":"{pid}","source_id":null,"source":"USER","variant_source_id":null,'
        f'"handle":"{fam.handle}","has_variants":{"true" if fam.size > 1 else "false"},'
        f'"variant_parent_id":{parent},"family_id":"{fam.family_id}","variant_count":{fam.size},'
        f'"name":{jstr(variant_name)},"variant_name":{jstr(variant_name)},"sku":{jstr(sku)},'
        f'"supplier_code":null,"active":{active},"is_active":{active},'
        f'"has_inventory":{"true" if fam.has_inventory else "false"},'
        f'"is_composite":{"true" if fam.composite else "false"},"description":{description},'
        f'"image_url":null,"created_at":"{ts_iso(created)}","updated_at":"{ts_iso(updated)}",'
        f'"deleted_at":{_opt_ts(ts_iso, deleted)},"type":{type_obj},"product_type_id":{type_id},'
        f'"supplier_id":{supplier_id},"supplier":{supplier},"brand_id":{brand_id},"brand":{brand},'
        f'"price_including_tax":{fmt_short(cents)},"price_excluding_tax":{fmt10(ex5)},'
        f'"supply_price":{supply},"loyalty_amount":{"null" if rng.random() < 0.7 else "0.00000"},'
        f'"product_codes":{codes},"variant_options":{options},"tag_ids":[],"version":{version}}}'
    )
    ref = ProductRef(
        pid, fam.tax, cents, ex5, tax5, supply5, fam.has_inventory, False, deleted is not None
    )
    cat.add_product(ref)
    return ref, text.encode()


def discount_product(rng: random.Random, cat: Catalog, created: int, version: int) -> bytes:
    """The system "Discount" product: ``sku: vend-discount``, no inventory, null prices."""
    pid = uuid_vend(rng)
    cat.add_product(ProductRef(pid, 0, None, 0, 0, 0, False, True))
    return (
        f'{{"id":"{pid}","source_id":null,"source":"SYSTEM","variant_source_id":null,'
        f'"handle":"vend-discount","has_variants":false,"variant_parent_id":null,'
        f'"family_id":"{uuid_vend(rng)}","variant_count":1,"name":"Discount",'
        f'"variant_name":"Discount","sku":"vend-discount","supplier_code":null,"active":true,'
        f'"is_active":true,"has_inventory":false,"is_composite":false,"description":null,'
        f'"image_url":null,"created_at":"{ts_iso(created)}","updated_at":"{ts_iso(created)}",'
        f'"deleted_at":null,"type":null,"product_type_id":null,"supplier_id":null,'
        f'"supplier":null,"brand_id":null,"brand":null,"price_including_tax":null,'
        f'"price_excluding_tax":null,"supply_price":0.0,"loyalty_amount":null,'
        f'"product_codes":[],"variant_options":[],"tag_ids":[],"version":{version}}}'
    ).encode()


def inventory(
    rng: random.Random, prod: ProductRef, out: OutletRef, deleted: int | None, version: int
) -> tuple[str, bytes]:
    """One inventory row for (product, outlet); levels may be negative."""
    iid = uuid_random(rng)
    r = rng.random()
    level = rng.randint(-8, -1) if r < 0.04 else (0 if r < 0.15 else rng.randint(1, 150))
    level_s = fmt5(level * 100_000) if rng.random() < 0.2 else str(level)
    reorder = rng.random() < 0.3
    avg = fmt10(prod.supply5) if prod.supply5 and rng.random() < 0.1 else "null"
    return iid, (
        f'{{"id":"{iid}","outlet_id":"{out.id}","product_id":"{prod.id}",'
        f'"inventory_level":{level_s},"current_amount":{level_s},'
        f'"reorder_point":{rng.randint(2, 10) if reorder else "null"},'
        f'"reorder_amount":{rng.randint(10, 40) if reorder else "null"},'
        f'"average_cost":{avg},"deleted_at":{_opt_ts(ts_iso, deleted)},"version":{version}}}'
    ).encode()
