"""The /api/2.0 endpoints: version-paged lists and the sales search (bodies as bytes)."""

from __future__ import annotations

from urllib.parse import parse_qs

from .config import SimulatorConfig
from .formats import decode, encode, parse_epoch
from .store import DELETED_FILTER, Store

LIST_PATHS = {
    "/customers": "customers",
    "/outlets": "outlets",
    "/products": "products",
    "/sales": "sales",
    "/inventory": "inventory",
}
DEFAULT_PAGE_SIZE = 100
SEARCH_MAX_PAGE_SIZE = 1000
NOT_FOUND = b'{"error":"Not found"}'


class ApiError(Exception):
    """A client error answered with ``{"error": message}``."""

    def __init__(self, status: int, message: str) -> None:
        """Keep the HTTP status with the message."""
        super().__init__(message)
        self.status = status
        self.message = message


def handle(store: Store, cfg: SimulatorConfig, path: str, query: str) -> tuple[int, bytes]:
    """Answer ``GET /api/2.0{path}?{query}``; returns (status, JSON bytes)."""
    params = parse_qs(query, keep_blank_values=True)
    entity = LIST_PATHS.get(path.rstrip("/") or "/")
    if entity is not None:
        return 200, list_page(store, cfg, entity, params)
    if path.rstrip("/") == "/search":
        return 200, search(store, params, cfg)
    return 404, NOT_FOUND


def _one(params: dict[str, list[str]], name: str) -> str | None:
    values = params.get(name)
    return values[-1] if values else None


def _int(params: dict[str, list[str]], name: str, default: int | None) -> int | None:
    raw = _one(params, name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw.strip())
    except ValueError:
        raise ApiError(400, f"{name} must be an integer") from None
    if value < 0:
        raise ApiError(400, f"{name} must not be negative")
    return value


def _flag(params: dict[str, list[str]], name: str) -> bool:
    return (_one(params, name) or "").strip().lower() in ("true", "1", "yes")


def page_size(params: dict[str, list[str]], cfg: SimulatorConfig) -> int:
    """``page_size`` after the configured oversize policy (clamp or reject)."""
    limit = cfg.max_page_size
    message = f"page_size must be between 1 and {limit}"
    raw = _one(params, "page_size")
    if raw is None or raw == "":
        return min(DEFAULT_PAGE_SIZE, limit)
    try:
        size = int(raw.strip())
    except ValueError:
        raise ApiError(400, message) from None
    if size < 1:
        raise ApiError(400, message)
    if size > limit:
        if cfg.page_size_policy == "reject":
            raise ApiError(400, message)
        return limit
    return size


def list_page(
    store: Store, cfg: SimulatorConfig, entity: str, params: dict[str, list[str]]
) -> bytes:
    """One page of ``entity`` with the ``{"data": [...], "version": {...}}`` envelope."""
    after = _int(params, "after", 0) or 0
    before = _int(params, "before", None)
    size = page_size(params, cfg)
    with_deleted = entity in DELETED_FILTER and _flag(params, "deleted")
    rows, low, high = store.page(entity, after, before, size, with_deleted)
    if rows:
        tail = b'],"version":{"max":%d,"min":%d}}' % (high, low)
        return b'{"data":[' + b",".join(rows) + tail
    if cfg.empty_version == "absent":
        return b'{"data":[]}'
    return b'{"data":[],"version":{"min":null,"max":null}}'


def _when(params: dict[str, list[str]], name: str) -> int | None:
    raw = _one(params, name)
    if raw is None or raw == "":
        return None
    try:
        return parse_epoch(raw)
    except ValueError:
        raise ApiError(400, f"{name} must look like 2026-01-31T23:59:59Z") from None


def search(store: Store, params: dict[str, list[str]], cfg: SimulatorConfig) -> bytes:
    """``/search?type=sales``: sales by sale_date range (inclusive), offset paging.

    Switches: ``search_max_offset`` refuses deeper offsets (400), ``search_ignore_offset``
    answers every offset with the first page, ``search_without_version`` drops ``version``,
    ``search_order_by`` accepts, refuses or ignores an ``order_by`` that is not a documented
    sort field (sale_date), ``search_unordered`` answers without an honoured order in id order.
    """
    kind = _one(params, "type")
    if kind != "sales":
        raise ApiError(400, "type must be sales (the development stand-in searches sales only)")
    raw_size = _one(params, "page_size")
    size = DEFAULT_PAGE_SIZE if not raw_size else (_int(params, "page_size", None) or 0)
    if size < 1:
        raise ApiError(400, f"page_size must be between 1 and {SEARCH_MAX_PAGE_SIZE}")
    direction = _one(params, "order_direction") or "asc"
    if direction not in ("asc", "desc"):
        raise ApiError(400, "order_direction must be asc or desc")
    order = _search_order(_one(params, "order_by"), direction, cfg)
    offset = _int(params, "offset", 0) or 0
    if cfg.search_max_offset and offset > cfg.search_max_offset:
        raise ApiError(400, f"offset must be at most {cfg.search_max_offset}")
    rows = store.search_sales(
        date_from=_when(params, "date_from"),
        date_to=_when(params, "date_to"),
        outlet_id=_one(params, "outlet_id") or None,
        statuses=[s for s in params.get("status", []) if s],
        with_deleted=_flag(params, "deleted"),
        offset=0 if cfg.search_ignore_offset else offset,
        size=min(size, SEARCH_MAX_PAGE_SIZE),
        order=order,
    )
    if cfg.search_without_version:
        rows = [_without_version(row) for row in rows]
    return b'{"data":[' + b",".join(rows) + b"]}"


# The sort fields the spec documents for /search?type=sales: its filter attributes.
SEARCH_SORT_FIELDS = (
    "date_from",
    "date_to",
    "status",
    "invoice_number",
    "customer_id",
    "user_id",
    "outlet_id",
)


def _search_order(order_by: str | None, direction: str, cfg: SimulatorConfig) -> str:
    """The store order of a search answer: "date", "date_desc" or "id" (see ``search``)."""
    unordered = "id" if cfg.search_unordered else "date"
    if not order_by or cfg.search_order_by == "ignore":
        return unordered
    if order_by not in SEARCH_SORT_FIELDS and cfg.search_order_by == "refuse":
        raise ApiError(
            400, f"order_by must be one of {', '.join(SEARCH_SORT_FIELDS)} (got {order_by})"
        )
    if order_by in ("sale_date", "date_from", "date_to"):
        return "date" if direction == "asc" else "date_desc"
    return unordered


def _without_version(blob: bytes) -> bytes:
    record = decode(blob)
    record.pop("version", None)
    return encode(record)
