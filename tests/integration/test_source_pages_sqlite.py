"""SQLite maps plain pages itself: exactly what the Python mapping stores, and it is used."""

from __future__ import annotations

import itertools
import json
import re
import sqlite3
from collections.abc import Iterator
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import orjson
import pytest
from sqlalchemy.dialects.sqlite import DATETIME
from sqlalchemy.dialects.sqlite import dialect as sqlite_dialect

from sync.engine.decode import Decoding, Page, decode_list
from sync.entities import CUSTOMERS, SALES, EntitySpec, map_page
from sync.entities.values import to_timestamp
from sync.lightspeed.transport import RawPage
from sync.storage.position import PagePosition
from sync.storage.runlog import RunInfo
from sync.storage.sql.db import create_db_engine, migrate
from sync.storage.sql.sourcepage_sqlite import _number, _timestamp, mappable
from sync.storage.sql.store import Store
from tests.integration.test_source_pages import import_without_python_mapping

NOW = datetime(2026, 1, 2, 3, 4, 5, 678901, tzinfo=UTC)


class D(str):
    """A JSON number written exactly as given ('12.50', '1e5', '0.0000001')."""


def _literal(value: Any) -> orjson.Fragment:
    if isinstance(value, D):
        return orjson.Fragment(str(value))
    raise TypeError(type(value).__name__)


def _sale(sale_id: str, version: int, **extra: Any) -> dict[str, Any]:
    return {
        "id": sale_id,
        "version": version,
        "outlet_id": "o-1",
        "sale_date": "2024-10-22T07:00:37+00:00",
        "total_price": D("12.50"),
        "total_tax": D("5.9000"),
        "total_price_incl": 0,
        "line_items": [
            {"id": f"{sale_id}-a", "quantity": D("2.00000"), "price": D("7.4380200000")},
            {"id": f"{sale_id}-b", "quantity": -1, "price": "", "is_return": None, "note": "ü"},
            {"id": f"{sale_id}-c", "discount": D("0.0000000000"), "tax": D("0.0000001")},
        ],
        **extra,
    }


# Every value kind at the edges of a plain page: money with trailing zeros, zero, -0.0,
# below 1E-6 (str(Decimal) writes '1E-7', '0E-10'), integers; timestamps naive, Z and
# offsets, fractions of 1 to 6 digits; "" for null; deleted records; repeated ids;
# unicode, escapes and quotes in text.
FIRST = [
    _sale("s-1", 10, note='quote " back \\ slash / tab \t newline \n'),
    _sale("s-2", 11, sale_date="2024-10-22T07:00:37", created_at="2024-01-01T00:00:00.5Z"),
    _sale("s-3", 12, sale_date="2024-10-22T23:30:00.123456+05:30", total_tax=""),
    _sale("s-4", 13, deleted_at="2025-01-01T00:00:00Z", line_items=None, total_price=D("-0.0")),
    _sale("s-5", 14, deleted_at="", note="", return_for=None, total_price=123456789012345678),
    _sale("s-1", 9, total_price=D("1.0")),  # an older repeat: the version 10 above wins
    _sale("s-6", 15, line_items=[], updated_at="2024-02-29T21:30:00.12-03:00"),
    _sale("s-7", 16, total_price=D("0.000001"), total_tax=D("-0.00000012300"), note="Zoë 😀"),
    _sale("s-8", 17, updated_at="2024-12-31T23:59:59.999999-00:30", total_price_incl=D("-0")),
    _sale("s-9", 18, sale_date="8999-12-31T23:59:59.9", created_at="1000-01-01T00:00:00.123"),
    _sale("s-9", 18, sale_date="2024-01-01T00:00:00.1234", note="the later repeat wins"),
    _sale("s-10", 19, total_price=D("-12345678901234567890.123456789"), extra={"n": D("1e5")}),
]
# Line items added and removed, a deletion, and a backfill row older than the stored one.
SECOND = [
    _sale("s-1", 20, line_items=[{"id": "s-1-z", "price": 3}]),
    _sale("s-2", 5, note="older than stored: left out, line items too", line_items=[]),
    _sale("s-3", 21, deleted_at="2025-06-01T12:00:00.000001+01:00"),
    _sale("s-6", 22),
    _sale("s-11", 23),
]
CUSTOMERS_PAGE = [
    {"id": "c-1", "version": 1, "enable_loyalty": True, "do_not_email": "", "balance": 0},
    {"id": "c-2", "version": 2, "enable_loyalty": False, "year_to_date": D("0.0015")},
    {"id": "c-3", "version": 3, "updated_at": "2024-02-29T12:00:00-08:00", "name": "Zoë"},
    {"id": "c-4", "version": 4, "balance": D("-0.0"), "loyalty_balance": D("100.10")},
]


def _body(records: list[dict[str, Any]], *, ascii_only: bool = False, bare: bool = False) -> bytes:
    """The page as Lightspeed would send it, numbers written exactly as given."""
    payload: Any = records if bare else {"data": records, "version": {"max": 99}}
    text = orjson.dumps(payload, default=_literal, option=orjson.OPT_PASSTHROUGH_SUBCLASS)
    if ascii_only:  # every non-ASCII character as a \uXXXX escape
        return re.sub(rb"[^\x00-\x7f]+", lambda m: json.dumps(m[0].decode())[1:-1].encode(), text)
    return text


@pytest.fixture
def two_stores(tmp_path: Path) -> Iterator[tuple[Store, Store]]:
    """Two SQLite copies: pages go to the first in SQL, to the second in Python."""
    stores = []
    for name in ("sql", "python"):
        engine = create_db_engine(f"sqlite:///{tmp_path / name}.db")
        migrate(engine)
        store = Store(engine)
        store.ensure_state_rows()
        stores.append(store)
    yield stores[0], stores[1]
    for store in stores:
        store.engine.dispose()


def _stored(store: Store, spec: EntitySpec) -> dict[str, list[tuple[Any, ...]]]:
    """Every column of every row of the store as SQLite holds it (value and storage class),
    the store itself left out; raw parsed."""
    tables: dict[str, list[tuple[Any, ...]]] = {}
    with store.engine.connect() as conn:
        for table in spec.tables:
            every = [r[1] for r in conn.exec_driver_sql(f"PRAGMA table_info({table})")]
            names = [n for n in every if n != "store"]
            kinds = ", ".join(f"typeof({n})" for n in names)
            result = conn.exec_driver_sql(
                f"SELECT {', '.join(names)}, {kinds} FROM {table} WHERE store = ? ORDER BY 1, 2",
                (store.prefix,),
            )
            rows = []
            for row in result:
                values = list(row)
                raw = names.index("raw")
                values[raw] = json.loads(values[raw], parse_float=Decimal)
                rows.append(tuple(values))
            tables[table] = rows
    return tables


def _decoded(spec: EntitySpec, body: bytes) -> Page:
    """The page as the engine decodes it for SQLite (keys proved where the count can)."""
    return decode_list(RawPage(spec.path, body), spec, Decoding(keep_source=True, prove_keys=True))


def _write_both(
    in_sql: Store, in_python: Store, spec: EntitySpec, body: bytes, *, cursor: int | None
) -> bool:
    """The page into both stores; True when the SQL store mapped it itself.

    As the engine does: the page's keys proved distinct where the count proves it.
    """
    page = _decoded(spec, body)
    assert page.source == body, "not plain"
    info = RunInfo("r", "full", "cli", "test")
    trackers = {}
    for store in (in_sql, in_python):
        trackers[store] = store.start_run(info, entities=spec.state_names, version_from=0, now=NOW)
    at = {
        store: PagePosition(cursor, "r", trackers[store], NOW, store=store.prefix)
        for store in trackers
    }
    mapped = in_sql.write_source_page(
        spec, page.source, at[in_sql], keys_distinct=page.keys_distinct
    )
    if not mapped:  # as the engine does (sync.engine.pages.write_page)
        in_sql.write_page(spec, map_page(spec, page.rows, NOW), at[in_sql])
    in_python.write_page(spec, map_page(spec, page.rows, NOW), at[in_python])
    totals = [[(t.upserted, t.deleted, t.pages) for t in trackers[s]] for s in (in_sql, in_python)]
    assert totals[0] == totals[1]
    return mapped


def test_sql_mapping_stores_exactly_what_the_python_mapping_stores(two_stores):
    in_sql, in_python = two_stores
    pages = [
        (SALES, _body(FIRST), 99),
        (SALES, _body(SECOND, ascii_only=True, bare=True), None),  # a backfill page
        (CUSTOMERS, _body(CUSTOMERS_PAGE), 4),
    ]
    # Keys proved distinct: the SQL looks for no repeats (the other case is below).
    assert all(_decoded(spec, b).keys_distinct for spec, b, _ in pages)
    for spec, body, cursor in pages:
        assert mappable(body)
        assert _write_both(in_sql, in_python, spec, body, cursor=cursor), body[:80]
        expected = _stored(in_python, spec)
        assert all(expected.values())
        assert _stored(in_sql, spec) == expected
        assert in_sql.cursor(spec.name) == in_python.cursor(spec.name)
    stored = {row[0]: row for row in _stored(in_sql, SALES)["lightspeed_sales"]}
    # The figures these rules give, read back as stored (raw text, UTC with 6 digits).
    assert stored["s-7"][11:13] == ("0.000001", "-1.2300E-7")
    assert stored["s-9"][10] == "2024-01-01 00:00:00.123400"
    assert stored["s-8"][18] == "2025-01-01 00:29:59.999999"
    assert stored["s-1"][1] == 20 and stored["s-2"][1] == 11


@pytest.mark.parametrize(
    "odd",
    [
        {"total_price": D("1e5")},  # str(Decimal) writes 1E+5
        {"sale_date": "2024-02-30T00:00:00Z"},  # Python refuses the date: a reject
        {"line_items": [{"id": "i-1", "price": D("1.5E-3")}]},
        {"note": "a\u0000b"},  # the screen removes the NUL
    ],
)
def test_a_page_sql_would_map_differently_is_mapped_in_python(two_stores, odd):
    in_sql, in_python = two_stores
    body = _body([_sale("s-1", 1), _sale("s-2", 2, **odd)], ascii_only=True)
    assert not _write_both(in_sql, in_python, SALES, body, cursor=2)
    assert _stored(in_sql, SALES) == _stored(in_python, SALES)


def test_a_repeated_key_is_read_as_python_reads_it(two_stores):
    in_sql, in_python = two_stores
    for body in (
        b'[{"id":"c-1","version":1,"name":"first","name":"last"}]',
        b'[{"id":"s-1","version":1,"line_items":[{"id":"i","price":1,"price":2}]}]',
    ):
        spec = CUSTOMERS if b"c-1" in body else SALES
        assert mappable(body)
        assert not _write_both(in_sql, in_python, spec, body, cursor=1)
        assert _stored(in_sql, spec) == _stored(in_python, spec)


def test_a_page_the_key_count_cannot_clear_is_checked_in_sql_and_still_mapped_there(two_stores):
    in_sql, in_python = two_stores
    body = b'[{"id" : "c-1", "version" : 1, "name" : "x", "email" : "a@b.c"}]'
    page = _decoded(CUSTOMERS, body)
    assert page.source == body and not page.keys_distinct  # a space before a colon
    assert _write_both(in_sql, in_python, CUSTOMERS, body, cursor=1)
    assert _stored(in_sql, CUSTOMERS) == _stored(in_python, CUSTOMERS)


def test_an_escape_in_a_key_a_number_the_screen_refuses_or_data_twice_keep_the_body_out():
    assert not mappable(b'[{"id":"c-1","version":1,"n\\u0061me":"x"}]')
    assert not mappable(b'[{"id":"c-1","version":1,"x":1e-20000}]')
    assert not mappable(b'[{"id":"c-1","version":1,"x":0.' + b"1" * 16_384 + b"}]")
    assert mappable(b'[{"id":"c-1","version":1,"note":"a \\"quoted\\" \\n","x":1e-5}]')
    assert not mappable(b'{"data":[{"id":"c-1","version":1}],"data":[]}')


def test_an_import_maps_every_plain_page_in_sql(tmp_path, simulator, settings_for, monkeypatch):
    """Full and incremental runs never call the Python mapping, and the copy is exact."""
    url = f"sqlite:///{tmp_path / 'copy.db'}"
    engine = create_db_engine(url)
    migrate(engine)
    settings = settings_for(url, simulator.api_url, SYNC_PAGE_SIZE="40")
    import_without_python_mapping(Store(engine), settings, simulator, monkeypatch)
    engine.dispose()


def test_numbers_are_written_as_str_of_their_decimal():
    """Every form of a JSON number without exponent, against str(Decimal) (json's parse)."""
    literals = ["0", "-0", "7", "-12", "123456789012345678901234567890"]
    for whole in ("0", "1", "10", "-0", "-3"):
        for fraction in ("0", "5", "50", "000001", "0000001", "00000012300", "0000000000"):
            literals.append(f"{whole}.{fraction}")
    connection = sqlite3.connect(":memory:")
    query = f"SELECT {_number('v')} FROM (SELECT ? AS v)"
    for literal in literals:
        expected = str(json.loads(literal, parse_float=Decimal))
        if "." not in literal:
            expected = str(Decimal(json.loads(literal)))
        assert connection.execute(query, (literal,)).fetchone()[0] == expected, literal
    assert connection.execute(query, ('""',)).fetchone()[0] is None
    assert connection.execute(query, ("null",)).fetchone()[0] is None


def test_timestamps_are_written_as_sqlalchemy_writes_their_utc_datetime():
    """Offsets, Z, naive, fractions of 1-6 digits, across day, month and year ends."""
    days = ["2024-02-29", "2023-12-31", "2024-01-01", "1000-01-01", "8999-12-31"]
    times = ["00:00:00", "23:59:59", "12:30:05"]
    fractions = ["", ".5", ".05", ".999", ".0001", ".12345", ".999999", ".000001"]
    zones = ["", "Z", "+00:00", "+05:30", "-03:00", "+14:00", "-12:00", "-00:30"]
    as_stored = DATETIME().bind_processor(sqlite_dialect())  # what SQLAlchemy writes
    connection = sqlite3.connect(":memory:")
    query = f"SELECT {_timestamp('t')} FROM (SELECT ? AS t)"
    for day, time, fraction, zone in itertools.product(days, times, fractions, zones):
        text = f"{day}T{time}{fraction}{zone}"
        expected = as_stored(to_timestamp(text).replace(tzinfo=None))
        assert connection.execute(query, (text,)).fetchone()[0] == expected, text
    assert connection.execute(query, ("",)).fetchone()[0] is None
