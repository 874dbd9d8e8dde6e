"""Lightspeed's answers into pages: the one place that parses their JSON and says "plain".

A page's records (`Page.rows`) always hold exact numbers: ints and Decimals, never floats.
A **plain** page (see `plain_body`) is one whose body a store that maps JSON itself may
write as received: orjson parses it, it is a `data` list (or a bare list) whose every
record is plain for its entity (sync.entities.plain), and its `version.max`, if any, is
an integer. For such a store (`Decoding.keep_source`) the page keeps its body as `source`
and parses the records exactly only if someone asks for them (a page the store refused).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Any, TypeVar

import orjson

from sync.engine.jsonkeys import keys_all_distinct
from sync.entities import EntitySpec
from sync.entities.plain import plain_records
from sync.lightspeed.classify import MalformedResponse
from sync.lightspeed.paging import page_cursor
from sync.lightspeed.transport import RawPage

if TYPE_CHECKING:
    from sync.storage.protocols import PageWriter

log = logging.getLogger(__name__)

# A body that is not JSON (cut, garbled) is asked for this many times in all.
MALFORMED_ATTEMPTS = 3

T = TypeVar("T")


@dataclass(frozen=True)
class Decoding:
    """How one run decodes list pages, decided once from its store.

    `keep_source`: the store maps plain pages from their JSON (`maps_source_pages`);
    `prove_keys`: it also needs to know whether an object repeats a key
    (`checks_repeated_keys`), worked out here, where the page is fetched.
    """

    keep_source: bool = False
    prove_keys: bool = False

    @classmethod
    def for_store(cls, store: PageWriter) -> Decoding:
        """What `store` wants of a page."""
        keep = store.maps_source_pages
        return cls(keep_source=keep, prove_keys=keep and store.checks_repeated_keys)


class Page:
    """One decoded page of a list endpoint: its records and the cursor it advances to.

    `rows`: the records, numbers exact. `source`: the body as received, set only on a
    plain page decoded for a store that maps it (`keys_distinct`: proved to hold no
    object with a key twice). `size`, `versions()` and `ids()` never parse the source.
    """

    __slots__ = ("_outline", "_rows", "api_calls", "keys_distinct", "source", "version_max")

    def __init__(
        self,
        rows: list[Any] | None,
        version_max: int | None,
        api_calls: int = 1,
        *,
        source: bytes | None = None,
        keys_distinct: bool = False,
        outline: list[Any] | None = None,
    ) -> None:
        if rows is None and (source is None or outline is None):
            raise ValueError("a page needs its rows, or its source and outline")
        self._rows = rows
        # The records as the fast parse saw them: read for their count, ids and versions only.
        self._outline: list[Any] = rows if outline is None else outline
        self.version_max = version_max
        self.api_calls = api_calls
        self.source = source
        self.keys_distinct = keys_distinct

    @property
    def rows(self) -> list[Any]:
        """The page's records with exact numbers (parsed from `source` on first use)."""
        if self._rows is None:
            assert self.source is not None
            self._rows = _data(json.loads(self.source, parse_float=Decimal))
        return self._rows

    @property
    def size(self) -> int:
        """How many records the page holds."""
        return len(self._outline)

    def versions(self) -> list[int]:
        """The records' integer versions."""
        return [
            v
            for r in self._outline
            if type(r) is dict and type(v := r.get("version")) is int  # bools are not versions
        ]

    def ids(self) -> list[str]:
        """The records' text ids (rejected records included: they are still listed)."""
        return [r["id"] for r in self._outline if type(r) is dict and type(r.get("id")) is str]


def plain_body(content: bytes, spec: EntitySpec) -> tuple[Any, list[Any]] | None:
    """The body and its records, parsed by orjson, when the page is plain; else None.

    Plain: valid JSON for orjson (no NaN, no integer beyond 64 bits), a `data` list or a
    bare list of plain records (`plain_records`: objects with an integer `version`, each
    value of its column's JSON type), and an integer `version.max` if the block is there.
    Fractions come as floats: only their types are read, never their values.
    """
    try:
        body = orjson.loads(content)
    except orjson.JSONDecodeError:
        return None
    if type(body) is list:
        rows = body
    elif type(body) is dict:
        rows = body.get("data")
        block = body.get("version")
        if block is not None and not (
            type(block) is dict and type(block.get("max")) in (int, type(None))
        ):
            return None
    else:
        return None
    if type(rows) is not list or not plain_records(spec, rows):
        return None
    return body, rows


def decode_list(raw: RawPage, spec: EntitySpec, decoding: Decoding | None = None) -> Page:
    """The page of a list endpoint in `raw`; it keeps its source only when plain."""
    if decoding is not None and decoding.keep_source:
        plain = plain_body(raw.content, spec)
        if plain is not None:
            body, rows = plain
            distinct = decoding.prove_keys and keys_all_distinct(raw.content, body)
            return Page(
                None,
                page_cursor(body if type(body) is dict else {}, rows),
                raw.api_calls,
                source=raw.content,
                keys_distinct=distinct,
                outline=rows,
            )
    body = exact_body(raw)
    rows = body.get("data")
    if rows is None:
        rows = []
    if not isinstance(rows, list):
        raise MalformedResponse(
            f"Lightspeed's answer for {raw.path} has no 'data' list.", raw.excerpt()
        )
    return Page(rows, page_cursor(body, rows), raw.api_calls)


def decode_search(raw: RawPage) -> Page:
    """A /search page in `raw` (offset paging: no cursor)."""
    rows = exact_body(raw).get("data") or []
    if not isinstance(rows, list):
        raise MalformedResponse("Lightspeed's search answer has no 'data' list.", raw.excerpt())
    return Page(rows, None, raw.api_calls)


def exact_body(raw: RawPage) -> dict[str, Any]:
    """The JSON object in `raw`, numbers exact (a bare list becomes its `data`)."""
    try:
        body = json.loads(raw.content, parse_float=Decimal)
    except ValueError:
        raise MalformedResponse(
            f"Lightspeed sent malformed JSON for {raw.path} ({len(raw.content)} bytes).",
            raw.excerpt(),
            unparsable=True,
        ) from None
    if isinstance(body, list):
        # Some newer endpoints answer with a bare array instead of the envelope.
        return {"data": body}
    if not isinstance(body, dict):
        raise MalformedResponse(
            f"Lightspeed sent a JSON {type(body).__name__} for {raw.path}, expected an object.",
            raw.excerpt(),
        )
    return body


def fetch_decoded(ask: Callable[[], RawPage], decode: Callable[[RawPage], T]) -> T:
    """`decode(ask())`; a body that does not parse is asked again (MALFORMED_ATTEMPTS in all)."""
    for attempt in range(1, MALFORMED_ATTEMPTS + 1):
        try:
            return decode(ask())
        except MalformedResponse as exc:
            if not exc.unparsable:
                raise
            log.warning("%s Retrying.", exc.message)
            if attempt == MALFORMED_ATTEMPTS:
                raise
    raise AssertionError("unreachable")


def _data(body: Any) -> list[Any]:
    return body if isinstance(body, list) else body["data"]
