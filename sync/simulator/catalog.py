"""Reference data of the simulated store (taxes, outlets, staff, price list) and word lists."""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cached_property

from .formats import div_half_up, uuid_random, uuid_v4, uuid_vend

FIRST_NAMES = (
    "Anna", "Bram", "Chloé", "Daan", "Emma", "Finn", "Gwen", "Hugo", "Isabel", "Jan", "Katrien",
    "Lars", "Mila", "Noah", "Olivia", "Pieter", "Quinn", "Ruth", "Sem", "Tess", "Umar", "Vera",
    "Wout", "Xander", "Yara", "Zoë", "Seán", "María", "Jürgen", "Aoife",
)  # fmt: skip
LAST_NAMES = (
    "de Vries", "Jansen", "Bakker", "Visser", "Smit", "Meijer", "de Boer", "Mulder", "Bos",
    "Vos", "Peters", "Hendriks", "van Dijk", "O'Brien", "Müller", "Dubois", "Rossi", "García",
    "Nguyen", "Kowalski", "Smith", "Brown", "Jones", "van der Berg", "Dekker",
)  # fmt: skip
ADJECTIVES = (
    "Classic", "Linen", "Organic", "Vintage", "Everyday", "Premium", "Wool", "Canvas", "Denim",
    "Soft", "Urban", "Coastal", "Alpine", "Rustic", "Bold",
)  # fmt: skip
NOUNS = (
    "Tee", "Shirt", "Hoodie", "Scarf", "Beanie", "Tote Bag", "Mug", "Candle", "Notebook",
    "Socks", "Jacket", "Cap", "Water Bottle", "Apron", "Blanket", "Poster", "Coffee Beans",
)  # fmt: skip
OPTION_SETS = (
    ("Size", ("S", "M", "L", "XL", "XXL")),
    ("Colour", ("Black", "White", "Navy", "Olive", "Rust")),
    ("Volume", ("250 ml", "500 ml", "1 l")),
)
CITIES = (
    ("Amsterdam", "1011 AB"), ("Rotterdam", "3011 AA"), ("Utrecht", "3511 AX"),
    ("Den Haag", "2511 BT"), ("Haarlem", "2011 RV"), ("Leiden", "2311 EZ"),
)  # fmt: skip
STREETS = ("Prinsengracht", "Hoofdstraat", "Kerkstraat", "Stationsweg", "Marktplein", "Dorpsweg")
NOTES = (
    "",
    "Gift wrap please",
    'Customer asked for a "no plastic" bag',
    "Paid partly by voucher",
    "Exchange - see previous receipt",
    "Deliver after 17:00",
)
OUTLET_SPECS = (
    ("Main Street", "Europe/Amsterdam"),
    ("Harbour", "Europe/Amsterdam"),
    ("Station", "Europe/Brussels"),
    ("Airport", "Europe/Amsterdam"),
    ("Old Town", "Europe/Berlin"),
    ("Mall", "Europe/Amsterdam"),
    ("Beach", "Europe/Brussels"),
    ("University", "Europe/Amsterdam"),
    ("Market Hall", "Europe/Berlin"),
)
PAYMENT_TYPES = (("1", "Cash"), ("3", "Card"), ("7", "Gift Card"), ("5", "Store Credit"))
PRICE_CENTS = (0, 0, 0, 50, 90, 95, 99, 45)


@dataclass
class Tax:
    """A sales tax (id, display name, rate in percent, component rate id)."""

    id: str
    name: str
    rate: int
    rate_id: str


@dataclass
class OutletRef:
    """What sales and inventory need to know about an outlet."""

    id: str
    name: str
    time_zone: str
    registers: list[str]
    deleted: bool = False


@dataclass(slots=True)
class ProductRef:
    """Sellable facts of a product: ids and current prices in integer units."""

    id: str
    tax: int
    cents: int | None
    ex5: int
    tax5: int
    supply5: int
    has_inventory: bool
    system: bool = False
    deleted: bool = False


@dataclass
class Catalog:
    """All reference data records are generated from; mutations extend it."""

    taxes: list[Tax]
    outlets: list[OutletRef]
    users: list[str]
    customer_groups: list[str]
    payment_types: list[tuple[str, str, str]]
    suppliers: list[tuple[str, str]]
    brands: list[tuple[str, str]]
    types: list[tuple[str, str]]
    products: list[ProductRef] = field(default_factory=list)
    sellable: list[ProductRef] = field(default_factory=list)
    customer_ids: list[str] = field(default_factory=list)
    customers_made: int = 0
    products_made: int = 0
    families_made: int = 0
    invoices_made: int = 0

    @cached_property
    def active_outlets(self) -> list[OutletRef]:
        """Outlets that trade (not deleted)."""
        return [o for o in self.outlets if not o.deleted]

    @property
    def discount(self) -> ProductRef:
        """The system discount product (always the first product)."""
        return self.products[0]

    def add_product(self, ref: ProductRef) -> None:
        """Register a product; sales only sell live, non-system products."""
        self.products.append(ref)
        if not ref.system and not ref.deleted:
            self.sellable.append(ref)


def price_parts(cents: int, rate: int) -> tuple[int, int]:
    """Tax-inclusive cents -> (excluding-tax, tax) per unit in 1e-5 units (5-dp precision)."""
    ex5 = div_half_up(cents * 1000 * 100, 100 + rate)
    return ex5, cents * 1000 - ex5


def random_price_cents(rng: random.Random) -> int:
    """A shelf price such as 40, 25.90 or 24.95 (in cents)."""
    euros = rng.choice((rng.randint(2, 30), rng.randint(2, 30), rng.randint(30, 150)))
    return euros * 100 + rng.choice(PRICE_CENTS) - (5 if rng.random() < 0.1 else 0)


def build_catalog(rng: random.Random, outlets: int, zones: Sequence[str] = ()) -> Catalog:
    """Create the store's fixed reference data (plus one closed, soft-deleted outlet).

    ``zones``: the outlets' time zones in turn, instead of the built-in ones.
    """
    taxes = [
        Tax(uuid_vend(rng), "BTW hoog", 21, uuid_vend(rng)),
        Tax(uuid_vend(rng), "BTW laag", 9, uuid_vend(rng)),
    ]
    refs: list[OutletRef] = []
    for i in range(outlets + 1):
        name, zone = OUTLET_SPECS[i % len(OUTLET_SPECS)]
        zone = zones[i % len(zones)] if zones else zone
        registers = [uuid_vend(rng) for _ in range(1 + (i % 2))]
        deleted = i == outlets
        if deleted:
            name = "Pop-up (closed)"
        refs.append(OutletRef(uuid_random(rng), name, zone, registers, deleted))
    return Catalog(
        taxes=taxes,
        outlets=refs,
        users=[uuid_vend(rng) for _ in range(3 + outlets)],
        customer_groups=[uuid_v4(rng) for _ in range(3)],
        payment_types=[(uuid_vend(rng), code, name) for code, name in PAYMENT_TYPES],
        suppliers=[(uuid_v4(rng), f"{n} Supplies B.V.") for n in ("Noord", "Zuid", "Oost")],
        brands=[(uuid_v4(rng), n) for n in ("Hollands Glorie", "Dutch Basics", "Tulp & Co")],
        types=[(uuid_v4(rng), n) for n in ("Apparel", "Homeware", "Food & Drink")],
    )
