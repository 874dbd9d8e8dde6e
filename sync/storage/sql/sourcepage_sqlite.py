"""SQLite maps a plain page itself: the body goes over once, typed columns come from JSON1.

The SQLite twin of `sourcepage` (Postgres), for pages whose records are all plain
(`sync.entities.plain.plain_records`, checked by the caller). SQLite has no
data-modifying CTEs, so a page is a few statements in its transaction: json_each over the
body into a TEMP stage table (repeats of an id: the highest version, the later one on a
tie; rows older than the stored ones left out; every column mapped as `map_page` and
SQLAlchemy store it), the upsert from the stage, then the line items of the staged
parents replaced from json_each over each record.

What SQL cannot map exactly is left to the Python mapping: a body with an escaped NUL
or surrogate, an escape in a key or a number the screen refuses (`mappable`); a record
with a repeated key (unless the fetching thread proved the page free of them:
`sync.engine.jsonkeys`), a typed number in exponent form or an impossible date
(`_unmappable`).
"""

from __future__ import annotations

import functools
import re
import sqlite3
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import Connection

from sync.entities import ChildSpec, EntitySpec, Field, Kind
from sync.storage.position import PagePosition
from sync.storage.schema import ENTITY_TABLES

#: The `->` and `->>` operators came with SQLite 3.38 (MATERIALIZED with 3.35); an older
#: library maps every page in Python.
SUPPORTED = sqlite3.sqlite_version_info >= (3, 38, 0)

# A body with any of these goes to the Python mapping (a false positive only costs speed).
# Escapes: a NUL or a surrogate (the record screen removes or replaces them), an escape
# in a key (SQLite's JSON paths match keys as written, Python decodes them first).
_ESCAPES = re.compile(rb'\\u0000|\\u[dD][89abAB]|\\[^"]*"\s*:')
# Numbers the record screen refuses (adjusted exponent above 131071 or exponent below
# -16383) that orjson still reads (as 0.0): an exponent of 4+ digits or a fraction of
# 10000+ digits, more than needed. Separate searches, each with a literal start: one
# pattern with alternatives is ten times slower on a 3 MB page.
_EXTREMES = (
    re.compile(rb"e[-+]?[0-9]{4,}[,}\]\s]"),
    re.compile(rb"E[-+]?[0-9]{4,}[,}\]\s]"),
    re.compile(rb"\.[0-9]{10000}"),
)


def mappable(body: bytes) -> bool:
    """False when the body holds something SQL would map unlike `map_page` (see above).

    Also a body that may hold "data" twice: orjson reads the last, SQLite the first.
    """
    if body.count(b'"data"') > 1:
        return False
    if b"\\" in body and _ESCAPES.search(body):
        return False
    return not any(pattern.search(body) for pattern in _EXTREMES)


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _member(key: str) -> str:
    """The JSON path step of one key: '."key"' (quoted: keys may hold dots)."""
    return '."' + key.replace('"', '\\"') + '"'


def _path(key: str) -> str:
    """A JSON path literal for one key of the top object."""
    return _literal("$" + _member(key))


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _extract(alias: str, f: Field, path: str | None = None) -> str:
    """The value of `f` in the JSON `alias`, at `path` (an SQL text expression) if given.

    Numbers as their source text (->): SQLite keeps every digit; the rest as SQL values.
    """
    arrow = "->" if f.kind is Kind.NUMBER else "->>"
    return f"{alias} {arrow} {path or _path(f.key)}"


def _number(v: str) -> str:
    """str(Decimal(json literal)) of a number without exponent; "" and null give NULL.

    Decimal writes a value below 1E-6 (six zeros after the point) in exponent form, zero
    included ('0.0000000000' is '0E-10'); the integer -0 is read as 0. Exponent forms
    are left to Python (`_unmappable`).
    """
    lead = f"substr(ltrim({v}, '-'), 3)"  # the digits after '0.'
    digits = f"ltrim({lead}, '0')"
    sign = f"CASE WHEN substr({v}, 1, 1) = '-' THEN '-' ELSE '' END"
    zeros = f"(length({lead}) - length({digits}))"
    return (
        f"CASE WHEN {v} IS NULL OR {v} IN ('null', '\"\"') THEN NULL "
        f"WHEN {v} = '-0' THEN '0' "
        f"WHEN instr({v}, '0.000000') = 0 OR substr(ltrim({v}, '-'), 1, 2) <> '0.' THEN {v} "
        f"WHEN {digits} = '' THEN "
        f"CASE WHEN length({lead}) <= 6 THEN {v} ELSE {sign} || '0E-' || length({lead}) END "
        f"ELSE {sign} || substr({digits}, 1, 1) "
        f"|| CASE WHEN length({digits}) > 1 THEN '.' || substr({digits}, 2) ELSE '' END "
        f"|| 'E-' || ({zeros} + 1) END"
    )


def _timestamp(t: str) -> str:
    """SQLAlchemy's SQLite DATETIME text in UTC of a strict ISO timestamp ("" gives NULL).

    SQLite's date functions keep milliseconds only: the fraction is taken from the text,
    only the seconds and the offset go through strftime.
    """
    zone = (
        f"(CASE WHEN substr({t}, -1) = 'Z' THEN 'Z' "
        f"WHEN substr({t}, -6, 1) IN ('+', '-') THEN substr({t}, -6) ELSE '' END)"
    )
    fraction = (
        f"CASE WHEN substr({t}, 20, 1) = '.' "
        f"THEN substr({t}, 21, length({t}) - 20 - length({zone})) ELSE '' END"
    )
    return (
        f"CASE WHEN {t} IS NULL OR {t} = '' THEN NULL ELSE "
        f"strftime('%Y-%m-%d %H:%M:%S', substr({t}, 1, 19) || {zone}) || '.' "
        f"|| substr({fraction} || '000000', 1, 6) END"
    )


def _impossible_date(t: str) -> str:
    """True for a date the regex of plain.py lets through but Python refuses (2024-02-30).

    date() alone passes such a date on unchanged; through julianday it becomes another.
    """
    day = f"substr({t}, 1, 10)"
    return f"({t} IS NOT NULL AND {t} <> '' AND date(julianday({day})) IS NOT {day})"


def _map(column: str, kind: Kind) -> str:
    if kind is Kind.NUMBER:
        return _number(column)
    if kind is Kind.TIMESTAMP:
        return _timestamp(column)
    if kind is Kind.TEXT:
        return column
    return f"NULLIF({column}, '')"  # bool (1/0), int, date: "" stands for null


def _unmappable(
    record: str, fields: tuple[Field, ...], position: dict[str, str], *, check_keys: bool
) -> list[str]:
    """Conditions under which SQL would map a record unlike Python: then it is left to Python.

    A key twice (SQLite reads the first, Python keeps the last; unless the page was
    proved free of repeats, `check_keys` False), a number in exponent form
    (str(Decimal) rewrites it: '1E+5'), a date the regex of plain.py lets through but
    Python refuses (2024-02-30).
    """
    checks = []
    if check_keys:
        checks.append(f"(SELECT count(*) <> count(DISTINCT key) FROM json_each({record}))")
    for f in fields:
        column = position[f.name]
        if f.kind is Kind.NUMBER:
            checks.append(f"{column} GLOB '*[eE]*'")
        elif f.kind in (Kind.TIMESTAMP, Kind.DATE):
            checks.append(_impossible_date(column))
    return checks


@dataclass(frozen=True)
class Statements:
    """The statements that write one page of an entity (see the module's docstring)."""

    create_stage: str
    stage: str
    bad: str
    upsert: str
    delete_children: str | None
    insert_children: str | None
    clear: str


@functools.cache
def statements(spec: EntitySpec, *, check_keys: bool = True) -> Statements:
    """The page statements of `spec`, built once for each `check_keys` (see `_unmappable`)."""
    table = ENTITY_TABLES[spec.name]
    names = [c.name for c in table.columns]
    stage = f"temp._source_{table.name}"
    fields = {f.name: f for f in spec.fields}
    extracted = ", ".join(
        ["r", "id", "version", f"r ->> {_path('deleted_at')} AS d"]
        + [f"{_extract('r', f)} AS f{i}" for i, f in enumerate(spec.fields)]
    )
    position = {f.name: f"f{i}" for i, f in enumerate(spec.fields)}
    mapped = {
        "store": "?4",
        "id": "id",
        "version": "version",
        "deleted_at": _timestamp("d"),
        "raw": "r",
        "synced_at": "?3",
        **{n: _map(position[n], f.kind) for n, f in fields.items()},
    }
    bad = " OR ".join(
        [*_unmappable("r", spec.fields, position, check_keys=check_keys), _impossible_date("d")]
    )
    column_list = ", ".join(map(_quote, names))
    staged = (
        # Repeats of an id: the highest version wins, the later one on a tie. A backfill
        # must never undo a newer sync: rows older than the stored ones stay out.
        f"WITH page AS MATERIALIZED (SELECT {extracted} FROM ("
        "SELECT e.value AS r, e.id, e.version, row_number() OVER "
        "(PARTITION BY e.id ORDER BY e.version DESC, e.ord DESC) AS rn FROM ("
        f"SELECT key AS ord, value, value ->> '$.id' AS id, value ->> '$.version' AS version "
        "FROM json_each(?1, ?2)) AS e) AS w "
        f"WHERE rn = 1 AND NOT EXISTS (SELECT 1 FROM main.{table.name} AS t "
        "WHERE t.store = ?4 AND t.id = w.id AND t.version > w.version)) "
        f"INSERT INTO {stage} ({column_list}, bad) "
        f"SELECT {', '.join(mapped[n] for n in names)}, {bad} FROM page"
    )
    updates = ", ".join(
        f"{_quote(n)} = excluded.{_quote(n)}" for n in names if n not in ("store", "id")
    )
    delete_children = insert_children = None
    if spec.child is not None:
        delete_children, insert_children = _child_statements(spec.child, stage, check_keys)
    return Statements(
        create_stage=f"CREATE TEMP TABLE IF NOT EXISTS _source_{table.name} ({column_list}, bad)",
        stage=staged,
        bad=f"SELECT EXISTS (SELECT 1 FROM {stage} WHERE bad)",
        upsert=f"INSERT INTO main.{table.name} ({column_list}) SELECT {column_list} "
        f"FROM {stage} WHERE true ON CONFLICT (store, id) DO UPDATE SET {updates}",
        delete_children=delete_children,
        insert_children=insert_children,
        clear=f"DELETE FROM {stage}",
    )


def _child_statements(child: ChildSpec, stage: str, check_keys: bool) -> tuple[str, str]:
    """The line items of the staged parents replace their old ones.

    An item SQL cannot map exactly (`_unmappable`) gets a NULL `raw`: the insert fails
    (NOT NULL) and the page goes to the Python mapping.
    """
    table = ENTITY_TABLES[child.name]
    names = [c.name for c in table.columns]
    position = {f.name: f"f{i}" for i, f in enumerate(child.fields)}

    # The fields are read from the parent's JSON by the item's full path: SQLite parses
    # the parent once for all its items, where `i.value` (new text) is parsed per field.
    def at(key: str) -> str:
        return f"i.fullkey || {_literal(_member(key))}"

    extracted = ", ".join(
        ["s.store", "s.id AS parent", "s.version", "s.deleted_at", "s.synced_at", "i.value AS item"]
        + [f"s.raw ->> ({at('id')}) AS id"]
        + [f"{_extract('s.raw', f, f'({at(f.key)})')} AS f{i}" for i, f in enumerate(child.fields)]
    )
    bad = " OR ".join(_unmappable("item", child.fields, position, check_keys=check_keys)) or "false"
    mapped = {
        "store": "store",
        "id": "id",
        child.parent_column: "parent",
        "version": "version",
        "deleted_at": "deleted_at",
        "raw": f"CASE WHEN {bad} THEN NULL ELSE item END",  # NOT NULL: raises, see above
        "synced_at": "synced_at",
        **{f.name: _map(position[f.name], f.kind) for f in child.fields},
    }
    delete = (
        f"DELETE FROM main.{child.table} WHERE store = ? AND {_quote(child.parent_column)} "
        f"IN (SELECT id FROM {stage})"
    )
    # json_each over a null gives one row of type 'null': only objects are items.
    insert = (
        f"WITH items AS MATERIALIZED (SELECT {extracted} FROM {stage} AS s, "
        f"json_each(s.raw, {_path(child.source_key)}) AS i WHERE i.type = 'object') "
        f"INSERT INTO main.{child.table} ({', '.join(map(_quote, names))}) "
        f"SELECT {', '.join(mapped[n] for n in names)} FROM items"
    )
    return delete, insert


class Unmappable(Exception):
    """A record SQL would map unlike `map_page`: the page goes to the Python mapping."""


def _synced_at(now: datetime) -> str:
    # As SQLAlchemy's SQLite DATETIME stores a UTC datetime.
    return now.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")


def write_source_page(
    conn: Connection,
    spec: EntitySpec,
    body: bytes,
    at: PagePosition,
    *,
    keys_distinct: bool = False,
) -> tuple[int, int, int]:
    """Write one page body of plain records (checked `mappable`) in the open transaction.

    Returns (rows written, of them deleted, child rows written); raises Unmappable for a
    record only the Python mapping maps exactly (the caller rolls back). `keys_distinct`:
    the body is proved to hold no object with a key twice (no need to look for one).
    """
    sql = statements(spec, check_keys=not keys_distinct)
    driver = conn.connection.driver_connection
    assert isinstance(driver, sqlite3.Connection)
    cursor = driver.cursor()
    try:
        cursor.execute(sql.create_stage)
        path = "$" if body.lstrip()[:1] == b"[" else "$.data"
        cursor.execute(sql.stage, (body.decode(), path, _synced_at(at.now), at.store))
        if cursor.execute(sql.bad).fetchone()[0]:
            raise Unmappable("a record only Python maps exactly")
        cursor.execute(sql.upsert)
        children = 0
        if sql.delete_children is not None and sql.insert_children is not None:
            cursor.execute(sql.delete_children, (at.store,))
            try:
                cursor.execute(sql.insert_children)
            except sqlite3.IntegrityError:
                raise Unmappable("a line item only Python maps exactly") from None
            children = cursor.execute("SELECT changes()").fetchone()[0]
        written, deleted = cursor.execute(
            f"SELECT count(*), count(deleted_at) FROM temp._source_{spec.table}"
        ).fetchone()
        cursor.execute(sql.clear)
    finally:
        cursor.close()
    return int(written), int(deleted), int(children)
