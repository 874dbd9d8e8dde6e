"""The synced entities: declarative specs (`specs`), value converters (`values`) and the
mapping of source records to rows (`mapping`)."""

from sync.entities.mapping import MappedPage, Reject, map_page, map_record
from sync.entities.specs import (
    CUSTOMERS,
    ENTITIES,
    ENTITY_BY_NAME,
    INVENTORY,
    OUTLETS,
    PRODUCTS,
    SALE_LINE_ITEMS,
    SALES,
    STATE_ENTITIES,
    ChildSpec,
    EntitySpec,
    Field,
    Kind,
)
from sync.entities.values import CONVERTERS, InvalidValue

__all__ = [
    "CONVERTERS",
    "CUSTOMERS",
    "ENTITIES",
    "ENTITY_BY_NAME",
    "INVENTORY",
    "OUTLETS",
    "PRODUCTS",
    "SALES",
    "SALE_LINE_ITEMS",
    "STATE_ENTITIES",
    "ChildSpec",
    "EntitySpec",
    "Field",
    "InvalidValue",
    "Kind",
    "MappedPage",
    "Reject",
    "map_page",
    "map_record",
]
