"""A PostgREST (v12, as run by Supabase) stand-in for tests, backed by a real Postgres.

supabase-py is pointed at `PostgrestStandIn.url`. Every request is recorded and checked
against PostgREST's documented protocol; anything the real server would reject or that
this stand-in cannot reproduce faithfully is appended to `violations` (tests assert it
stays empty). Legal requests are answered as PostgREST answers them: the SQL mirrors the
SQL PostgREST generates and runs in one transaction as the API key's role
(`SET LOCAL ROLE`, `request.jwt.claims`), so grants and Row-Level Security are enforced by
Postgres itself, and the JSON comes out of Postgres (`json_agg`) byte for byte.
"""

from __future__ import annotations

import json
import queue
import re
import threading
from dataclasses import dataclass, field
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import psycopg
from psycopg import sql

REST_PREFIX = "/rest/v1/"
JSON_CT = "application/json; charset=utf-8"
OBJECT_MT = "application/vnd.pgrst.object+json"
ARRAY_MT = "application/vnd.pgrst.array+json"

SUPPORTED_OPS = {"eq", "neq", "gt", "gte", "lt", "lte", "like", "ilike", "is", "in"}
# Legal PostgREST operators this stand-in does not implement (a request using one is
# recorded as a violation so a test never silently relies on an approximation).
UNSUPPORTED_OPS = {
    "match", "imatch", "isdistinct", "cs", "cd", "ov", "sl", "sr", "nxr", "nxl", "adj",
    "fts", "plfts", "phfts", "wfts",
}  # fmt: skip
COMPARISON = {"eq": "=", "neq": "<>", "gt": ">", "gte": ">=", "lt": "<", "lte": "<="}
IS_VALUES = {
    "null": "IS NULL",
    "not_null": "IS NOT NULL",
    "true": "IS TRUE",
    "false": "IS FALSE",
    "unknown": "IS UNKNOWN",
}
PREFER_TOKENS = {
    "return": {"representation", "minimal", "headers-only"},
    "resolution": {"merge-duplicates", "ignore-duplicates"},
    "count": {"exact", "planned", "estimated"},
    "missing": {"default", "null"},
    "tx": {"commit", "rollback"},
    "handling": {"lenient", "strict"},
    "params": {"single-object"},
}
RESERVED_PARAMS = {"select", "order", "limit", "offset", "on_conflict", "columns"}
LOGIC_KEYS = {"or", "and", "not.or", "not.and"}
BARE_NAME = re.compile(r"^[\w$]+$")
FILTER_VALUE = re.compile(r"^(not\.)?([a-z_]+)(\([a-z0-9_ ]*\))?\.(.*)$", re.DOTALL)
JSON_TYPES = {"json", "jsonb"}

# Status of each Postgres error class, as PostgREST maps them (docs: "HTTP status codes").
_PG_STATUS_EXACT = {
    "23503": 409,
    "23505": 409,
    "25006": 405,
    "53400": 500,
    "57P01": 503,
    "P0001": 400,
    "42883": 404,
    "42P01": 404,
    "42P17": 500,
}
_PG_STATUS_PREFIX = {
    "08": 503, "09": 500, "0L": 403, "0P": 403, "25": 500, "28": 403, "2D": 500, "38": 500,
    "39": 500, "3B": 500, "40": 500, "53": 503, "54": 500, "55": 500, "57": 500, "58": 500,
    "F0": 500, "HV": 500, "P0": 500, "XX": 500,
}  # fmt: skip


@dataclass
class RecordedRequest:
    """One HTTP request as the stand-in received it, with the status it answered."""

    method: str
    path: str
    query: list[tuple[str, str]]
    headers: dict[str, str]
    body: bytes
    status: int = 0


@dataclass
class _Reply:
    status: int
    body: bytes = b""
    headers: list[tuple[str, str]] = field(default_factory=list)


class _Fail(Exception):
    """An error answer (PostgREST-style JSON body), optionally a protocol violation."""

    def __init__(
        self,
        status: int,
        code: str | None,
        message: str,
        details: str | None = None,
        hint: str | None = None,
        *,
        violation: str | None = None,
        headers: list[tuple[str, str]] | None = None,
        body: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.payload = body or {"code": code, "details": details, "hint": hint, "message": message}
        self.violation = violation
        self.headers = headers or []


def _violation(message: str, *, status: int = 400, code: str = "PGRST100") -> _Fail:
    return _Fail(status, code, message, violation=message)


def _unsupported(what: str) -> _Fail:
    message = f"not supported by the PostgREST stand-in: {what}"
    return _Fail(400, "PGRST100", message, violation=message)


# --------------------------------------------------------------------------- query grammar


@dataclass
class _Cond:
    column: str
    negate: bool
    op: str
    value: str | list[str]


@dataclass
class _Logic:
    op: str  # "or" | "and"
    negate: bool
    children: list[_Cond | _Logic]


_Node = _Cond | _Logic


@dataclass
class _Order:
    column: str
    desc: bool
    nulls: str | None  # "first" | "last"


def _split_top(text: str, sep: str = ",") -> list[str]:
    """Split on `sep` outside double quotes and parentheses."""
    parts: list[str] = []
    current: list[str] = []
    depth = 0
    quoted = False
    escaped = False
    for char in text:
        if escaped:
            escaped = False
        elif quoted and char == "\\":
            escaped = True
        elif char == '"':
            quoted = not quoted
        elif not quoted and char == "(":
            depth += 1
        elif not quoted and char == ")":
            depth -= 1
        elif not quoted and depth == 0 and char == sep:
            parts.append("".join(current))
            current = []
            continue
        current.append(char)
    parts.append("".join(current))
    return parts


def _unquote_name(text: str) -> str | None:
    """A column name, bare or double-quoted; None when it is not a plain name."""
    if len(text) >= 2 and text[0] == text[-1] == '"':
        return re.sub(r"\\(.)", r"\1", text[1:-1])
    if BARE_NAME.match(text):
        return text
    return None


def _describe_field(text: str) -> str:
    if "->" in text:
        return f"JSON path {text!r}"
    if text.startswith("..."):
        return f"spread {text!r}"
    if "(" in text:
        return f"embedding or aggregate {text!r}"
    if "::" in text:
        return f"cast {text!r}"
    if ":" in text:
        return f"alias {text!r}"
    return f"field {text!r}"


def _parse_names(value: str, param: str) -> list[str]:
    names = []
    for item in _split_top(value):
        name = _unquote_name(item.strip())
        if name is None:
            raise _violation(f"{param}={value!r}: {_describe_field(item)} is not a column name")
        names.append(name)
    return names


def _parse_select(value: str) -> list[str] | None:
    """None means `*`."""
    items = _split_top(value)
    if items == ["*"] or value == "":
        return None
    names = []
    for item in items:
        if item == "*":
            raise _unsupported("`*` mixed with other select items")
        name = _unquote_name(item)
        if name is None:
            if any(mark in item for mark in ("->", "(", ":", "...", "!")):
                raise _unsupported(f"select item {_describe_field(item)}")
            raise _violation(f"select={value!r}: cannot parse {item!r}")
        names.append(name)
    return names


def _parse_order(value: str) -> list[_Order]:
    orders = []
    for item in _split_top(value):
        if item.startswith('"'):
            end = item.find('"', 1)
            while end > 0 and item[end - 1] == "\\":
                end = item.find('"', end + 1)
            if end < 0:
                raise _violation(f"order={value!r}: unterminated quote")
            name: str | None = _unquote_name(item[: end + 1])
            mods = [m for m in item[end + 1 :].split(".") if m != ""]
            if item[end + 1 :] and not item[end + 1 :].startswith("."):
                raise _violation(f"order={value!r}: cannot parse {item!r}")
        else:
            head, *mods = item.split(".")
            name = _unquote_name(head)
            if name is None:
                if "->" in head or "(" in head:
                    raise _unsupported(f"order item {_describe_field(head)}")
                raise _violation(f"order={value!r}: cannot parse {item!r}")
        assert name is not None
        desc = False
        nulls = None
        if mods and mods[0] in ("asc", "desc"):
            desc = mods.pop(0) == "desc"
        if mods and mods[0] in ("nullsfirst", "nullslast"):
            nulls = mods.pop(0)[5:]
        if mods:
            raise _violation(f"order={value!r}: unknown modifier {'.'.join(mods)!r}")
        orders.append(_Order(name, desc, nulls))
    return orders


def _parse_list(text: str, where: str) -> list[str]:
    """`(a,b,"c,d")` → ["a", "b", "c,d"] (PostgREST's in-list quoting)."""
    if len(text) < 2 or text[0] != "(" or text[-1] != ")":
        raise _violation(f"{where}: an in list must look like (a,b,...), got {text!r}")
    inner = text[1:-1]
    if inner == "":
        return []
    values = []
    for item in _split_top(inner):
        if len(item) >= 2 and item[0] == item[-1] == '"':
            values.append(re.sub(r"\\(.)", r"\1", item[1:-1]))
        elif '"' in item:
            raise _violation(f"{where}: badly quoted list element {item!r}")
        else:
            values.append(item)
    return values


def _make_cond(column: str, negate: bool, op: str, modifier: str | None, raw: Any) -> _Cond:
    where = f"{column}={'not.' if negate else ''}{op}"
    if modifier:
        raise _unsupported(f"operator modifier {op}{modifier}")
    if op in UNSUPPORTED_OPS:
        raise _unsupported(f"operator {op!r}")
    if op not in SUPPORTED_OPS:
        raise _violation(f'"failed to parse filter ({op}.{raw})": unknown operator {op!r}')
    if op == "is":
        if not isinstance(raw, str) or raw.lower() not in IS_VALUES:
            raise _violation(f"{where}: is only takes null, not_null, true, false or unknown")
        return _Cond(column, negate, op, raw.lower())
    if op == "in":
        values = raw if isinstance(raw, list) else _parse_list(raw, where)
        return _Cond(column, negate, op, values)
    if not isinstance(raw, str):
        raise _violation(f"{where}: a list is only valid with the in operator")
    return _Cond(column, negate, op, raw)


def _parse_filter(key: str, value: str) -> _Cond:
    column = _unquote_name(key)
    if column is None:
        if "." in key or "->" in key:
            raise _unsupported(f"filter key {_describe_field(key)} (embedded/JSON filters)")
        raise _violation(f"filter key {key!r} is not a column name")
    match = FILTER_VALUE.match(value)
    if not match:
        raise _violation(f'"failed to parse filter ({value})": expected <operator>.<value>')
    negate, op, modifier, raw = match.groups()
    return _make_cond(column, bool(negate), op, modifier, raw)


class _LogicParser:
    """Parses PostgREST's `or=(...)` / `and=(...)` trees."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.pos = 0

    def fail(self, why: str) -> _Fail:
        return _violation(f'"failed to parse logic tree ({self.text})" at {self.pos}: {why}')

    def parse(self) -> list[_Node]:
        nodes = self.group()
        if self.pos != len(self.text):
            raise self.fail("trailing characters")
        return nodes

    def peek(self, token: str) -> bool:
        return self.text.startswith(token, self.pos)

    def expect(self, token: str) -> None:
        if not self.peek(token):
            raise self.fail(f"expected {token!r}")
        self.pos += len(token)

    def group(self) -> list[_Node]:
        self.expect("(")
        nodes = [self.item()]
        while self.peek(","):
            self.pos += 1
            nodes.append(self.item())
        self.expect(")")
        return nodes

    def item(self) -> _Node:
        for prefix, op, negate in (
            ("not.or(", "or", True),
            ("not.and(", "and", True),
            ("or(", "or", False),
            ("and(", "and", False),
        ):
            if self.peek(prefix):
                self.pos += len(prefix) - 1
                return _Logic(op, negate, self.group())
        column = self.field()
        self.expect(".")
        negate = False
        if self.peek("not."):
            negate = True
            self.pos += 4
        match = re.compile(r"([a-z_]+)(\([a-z0-9_ ]*\))?\.").match(self.text, self.pos)
        if not match:
            raise self.fail("expected <operator>.")
        op, modifier = match.group(1), match.group(2)
        self.pos = match.end()
        raw: str | list[str] = self.list_value() if op == "in" else self.value()
        return _make_cond(column, negate, op, modifier, raw)

    def field(self) -> str:
        if self.peek('"'):
            value = self.quoted()
            return value
        match = re.compile(r"[\w$]+").match(self.text, self.pos)
        if not match:
            raise self.fail("expected a column name")
        self.pos = match.end()
        if self.peek("->") or self.peek("("):
            raise _unsupported(f"JSON path or embedding inside logic tree {self.text!r}")
        return match.group(0)

    def quoted(self) -> str:
        self.expect('"')
        out: list[str] = []
        while self.pos < len(self.text):
            char = self.text[self.pos]
            self.pos += 1
            if char == "\\" and self.pos < len(self.text):
                out.append(self.text[self.pos])
                self.pos += 1
            elif char == '"':
                return "".join(out)
            else:
                out.append(char)
        raise self.fail("unterminated quote")

    def value(self) -> str:
        if self.peek('"'):
            return self.quoted()
        start = self.pos
        if self.peek("{"):
            end = self.text.find("}", self.pos)
            if end < 0:
                raise self.fail("unterminated {")
            self.pos = end + 1
            return self.text[start : self.pos]
        while self.pos < len(self.text) and self.text[self.pos] not in ",)":
            self.pos += 1
        return self.text[start : self.pos]

    def list_value(self) -> list[str]:
        self.expect("(")
        values: list[str] = []
        if self.peek(")"):
            self.pos += 1
            return values
        while True:
            if self.peek('"'):
                values.append(self.quoted())
            else:
                start = self.pos
                while self.pos < len(self.text) and self.text[self.pos] not in ",)":
                    self.pos += 1
                values.append(self.text[start : self.pos])
            if self.peek(","):
                self.pos += 1
                continue
            self.expect(")")
            return values


# --------------------------------------------------------------------------- parsed request


@dataclass
class _Prefs:
    ret: str | None = None
    resolution: str | None = None
    count: str | None = None
    missing: str | None = None
    tx: str | None = None
    handling: str | None = None
    params: str | None = None
    max_affected: int | None = None
    invalid: list[str] = field(default_factory=list)

    def applied(self, *names: str) -> list[tuple[str, str]]:
        values = []
        for name in ("resolution", "missing", "ret", "params", "count", "tx", "handling"):
            value = getattr(self, name)
            if name in names and value is not None:
                values.append(f"{'return' if name == 'ret' else name}={value}")
        if "max_affected" in names and self.handling == "strict" and self.max_affected is not None:
            values.append(f"max-affected={self.max_affected}")
        return [("Preference-Applied", ", ".join(values))] if values else []


@dataclass
class _Request:
    method: str
    kind: str  # "table" | "rpc"
    name: str
    role: str
    prefs: _Prefs
    profile_given: bool
    single: bool = False
    strip_nulls: bool = False
    select: list[str] | None = None
    filters: list[_Node] = field(default_factory=list)
    raw_filters: list[tuple[str, str]] = field(default_factory=list)
    order: list[_Order] = field(default_factory=list)
    limit: int | None = None
    offset: int = 0
    on_conflict: list[str] | None = None
    columns: list[str] | None = None
    body: Any = None
    body_text: str = ""


def _parse_prefer(header: str | None) -> _Prefs:
    prefs = _Prefs()
    if not header:
        return prefs
    for token in (t.strip() for t in header.split(",")):
        if not token:
            continue
        name, _, value = token.partition("=")
        attr = "ret" if name == "return" else name
        if name == "max-affected":
            if value.isdigit():
                if prefs.max_affected is None:
                    prefs.max_affected = int(value)
                continue
        elif value in PREFER_TOKENS.get(name, ()):
            if getattr(prefs, attr) is None:  # the first occurrence wins
                setattr(prefs, attr, value)
            continue
        prefs.invalid.append(token)
    return prefs


def _parse_int(key: str, value: str) -> int:
    if not value.isdigit():
        raise _violation(f"{key}={value!r} is not a non-negative integer")
    return int(value)


def _load_json(body: bytes) -> Any:
    try:
        return json.loads(body.decode("utf-8"), parse_float=Decimal)
    except (UnicodeDecodeError, ValueError) as exc:
        raise _Fail(
            400, "PGRST102", "Empty or invalid json", violation=f"body is not valid JSON: {exc}"
        ) from exc


def _is_json_content_type(value: str | None) -> bool:
    return (value or "").split(";")[0].strip().lower() == "application/json"


def _negotiate_accept(accept: str | None) -> tuple[bool, bool]:
    """(single object?, strip nulls?) from the Accept header."""
    if not accept:
        return False, False
    for item in accept.split(","):
        media, *params = (p.strip().lower() for p in item.split(";"))
        stripped = "nulls=stripped" in params
        if media in ("application/json", "*/*", "application/*"):
            return False, False
        if media == OBJECT_MT:
            return True, stripped
        if media == ARRAY_MT:
            return False, stripped
    message = f"None of these media types are available: {accept}"
    raise _Fail(
        406, "PGRST107", message, violation=f"Accept {accept!r} is not supported by the stand-in"
    )


# --------------------------------------------------------------------------- SQL building


def _lit(value: str) -> sql.Composable:
    return sql.Literal(value)


# Where an RPC's request body goes in its query: replaced by a bound parameter.
_BODY_MARK = "pgrst_request_body_parameter"


def _execute_with_body(
    cur: psycopg.Cursor[Any], query: sql.Composable, body_text: str
) -> psycopg.Cursor[Any]:
    """Run `query` with the request body bound at its mark (when it has one).

    The rest of the query is composed text with quoted literals: its `%` are doubled so
    that only the mark becomes a placeholder.
    """
    text = query.as_string(cur)
    if _BODY_MARK not in text:
        return cur.execute(text.encode())
    text = text.replace("%", "%%").replace(_BODY_MARK, "%s")
    return cur.execute(text.encode(), [body_text])


def _cond_sql(node: _Node, qual: str) -> sql.Composable:
    if isinstance(node, _Logic):
        joiner = sql.SQL(" OR " if node.op == "or" else " AND ")
        inner = sql.SQL("({})").format(joiner.join(_cond_sql(c, qual) for c in node.children))
        return sql.SQL("NOT {}").format(inner) if node.negate else inner
    col = sql.Identifier(qual, node.column)
    if node.op in COMPARISON:
        assert isinstance(node.value, str)
        expr = sql.SQL("{} {} {}").format(col, sql.SQL(COMPARISON[node.op]), _lit(node.value))
    elif node.op in ("like", "ilike"):
        assert isinstance(node.value, str)
        pattern = node.value.replace("*", "%")
        expr = sql.SQL("{} {} {}").format(col, sql.SQL(node.op.upper()), _lit(pattern))
    elif node.op == "is":
        assert isinstance(node.value, str)
        expr = sql.SQL("{} {}").format(col, sql.SQL(IS_VALUES[node.value]))
    else:  # in
        assert isinstance(node.value, list)
        if node.value:
            values = sql.SQL(", ").join(_lit(v) for v in node.value)
            expr = sql.SQL("{} IN ({})").format(col, values)
        else:
            expr = sql.SQL("{} = ANY('{{}}')").format(col)
    return sql.SQL("NOT ({})").format(expr) if node.negate else expr


def _where_sql(filters: list[_Node], qual: str) -> sql.Composable:
    if not filters:
        return sql.SQL("")
    return sql.SQL(" WHERE ") + sql.SQL(" AND ").join(_cond_sql(f, qual) for f in filters)


def _order_sql(orders: list[_Order], qual: str) -> sql.Composable:
    if not orders:
        return sql.SQL("")
    items = []
    for order in orders:
        text = " DESC" if order.desc else " ASC"
        if order.nulls:
            text += f" NULLS {order.nulls.upper()}"
        items.append(sql.Identifier(qual, order.column) + sql.SQL(text))
    return sql.SQL(" ORDER BY ") + sql.SQL(", ").join(items)


def _range_sql(limit: int | None, offset: int) -> sql.Composable:
    out = sql.SQL("")
    if limit is not None:
        out += sql.SQL(" LIMIT {}").format(sql.Literal(limit))
    if offset:
        out += sql.SQL(" OFFSET {}").format(sql.Literal(offset))
    return out


def _agg_sql(req: _Request, source: str = "_postgrest_t") -> sql.Composable:
    row = sql.Identifier(source)
    if req.strip_nulls:
        row = sql.SQL("json_strip_nulls(row_to_json({}))").format(row)
    if req.single:
        return sql.SQL("coalesce((json_agg({})->0)::text, 'null')").format(row)
    return sql.SQL("coalesce(json_agg({}), '[]')::text").format(row)


def _content_range(lower: int, upper: int, total: int | None) -> tuple[str, str]:
    range_part = f"{lower}-{upper}" if total != 0 and lower <= upper else "*"
    return "Content-Range", f"{range_part}/{'*' if total is None else total}"


@dataclass
class _Table:
    columns: list[str]
    defaults: dict[str, str]
    pk: list[str]


@dataclass
class _Function:
    name: str
    retset: bool
    void: bool
    composite: bool
    arg_names: list[str]
    arg_types: list[str]
    required: int


# --------------------------------------------------------------------------- the server


class PostgrestStandIn:
    """A local HTTP server speaking PostgREST v12 to supabase-py, over a real Postgres."""

    def __init__(self, database_url: str, keys: dict[str, str], *, schema: str = "public") -> None:
        self.conninfo = database_url.replace("postgresql+psycopg://", "postgresql://", 1)
        self.keys = dict(keys)
        self.schema = schema
        self.requests: list[RecordedRequest] = []
        self.violations: list[str] = []
        self.url = ""
        self._lock = threading.Lock()
        self._fail_next = 0
        self._fail_next_status = 503
        self._fail_after: int | None = None
        self._fail_after_status = 503
        self._pool: queue.LifoQueue[psycopg.Connection[Any]] = queue.LifoQueue()
        self._all_conns: list[psycopg.Connection[Any]] = []
        self._pool_size = 8
        self._pool_slots = threading.BoundedSemaphore(self._pool_size)
        self._closed = False
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # ----------------------------------------------------------------- lifecycle / test API

    def __enter__(self) -> PostgrestStandIn:
        stand_in = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            timeout = 120
            disable_nagle_algorithm = True  # headers and body go out in separate writes

            def log_message(self, format: str, *args: Any) -> None:
                pass

            def _serve(self) -> None:
                stand_in._serve(self)

            do_GET = do_HEAD = do_POST = do_PATCH = do_DELETE = _serve
            do_PUT = do_OPTIONS = do_TRACE = do_CONNECT = _serve

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        self._thread = threading.Thread(
            target=self._server.serve_forever, name="postgrest-stand-in", daemon=True
        )
        self._thread.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._closed = True
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        with self._lock:
            conns, self._all_conns = self._all_conns, []
        for conn in conns:
            conn.close()

    def count(self, method: str | None = None, path_prefix: str | None = None) -> int:
        """How many recorded requests match the method and path prefix."""
        with self._lock:
            return sum(
                1
                for r in self.requests
                if (method is None or r.method == method.upper())
                and (path_prefix is None or r.path.startswith(path_prefix))
            )

    def fail_requests(self, n: int, status: int = 503) -> None:
        """The next `n` requests get `status` and are not executed."""
        with self._lock:
            self._fail_next = n
            self._fail_next_status = status

    def fail_after(self, n: int, status: int = 503) -> None:
        """After the next `n` requests, every request fails until `clear_faults()`."""
        with self._lock:
            self._fail_after = n
            self._fail_after_status = status

    def clear_faults(self) -> None:
        """Stop injecting failures."""
        with self._lock:
            self._fail_next = 0
            self._fail_after = None

    def reset(self) -> None:
        """Forget recorded requests and violations."""
        with self._lock:
            self.requests.clear()
            self.violations.clear()

    # ----------------------------------------------------------------- HTTP plumbing

    def _serve(self, handler: BaseHTTPRequestHandler) -> None:
        method = handler.command
        body = self._read_body(handler)
        if body is None:
            handler.close_connection = True
            return
        split = urlsplit(handler.path)
        query = parse_qsl(split.query, keep_blank_values=True)
        headers: dict[str, str] = {}
        for name, value in handler.headers.items():
            key = name.lower()
            headers[key] = f"{headers[key]}, {value}" if key in headers else value
        record = RecordedRequest(method, split.path, query, headers, body)
        with self._lock:
            self.requests.append(record)
        reply = self._handle(method, split.path, query, headers, body)
        record.status = reply.status
        self._write(handler, method, reply)

    @staticmethod
    def _read_body(handler: BaseHTTPRequestHandler) -> bytes | None:
        if handler.headers.get("Transfer-Encoding", "").lower() == "chunked":
            chunks = []
            while True:
                line = handler.rfile.readline()
                if not line:
                    return None
                size = int(line.split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while handler.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass
                    return b"".join(chunks)
                chunks.append(handler.rfile.read(size))
                handler.rfile.readline()
        length = int(handler.headers.get("Content-Length") or 0)
        return handler.rfile.read(length) if length else b""

    @staticmethod
    def _write(handler: BaseHTTPRequestHandler, method: str, reply: _Reply) -> None:
        try:
            handler.send_response(reply.status)
            for name, value in reply.headers:
                handler.send_header(name, value)
            if reply.status != 204:
                handler.send_header("Content-Length", str(len(reply.body)))
            handler.end_headers()
            if method != "HEAD" and reply.status != 204 and reply.body:
                handler.wfile.write(reply.body)
            handler.wfile.flush()
        except OSError:
            handler.close_connection = True

    # ----------------------------------------------------------------- request handling

    def _handle(
        self,
        method: str,
        path: str,
        query: list[tuple[str, str]],
        headers: dict[str, str],
        body: bytes,
    ) -> _Reply:
        try:
            req: _Request | None = self._parse(method, path, query, headers, body)
            failure: _Fail | None = None
        except _Fail as fail:
            req, failure = None, fail
            if fail.violation:
                self._add_violation(f"{method} {path}: {fail.violation}")
        fault = self._take_fault()
        if fault is not None:
            return self._fault_reply(fault)
        if failure is not None:
            return self._error_reply(failure)
        assert req is not None
        if self._closed:
            return self._error_reply(_Fail(503, "PGRST001", "stand-in is shut down"))
        try:
            return self._execute(req)
        except _Fail as fail:
            if fail.violation:
                self._add_violation(f"{method} {path}: {fail.violation}")
            return self._error_reply(fail)
        except Exception as exc:  # a stand-in bug must fail the test, not hang it
            self._add_violation(f"{method} {path}: stand-in internal error {exc!r}")
            return self._error_reply(_Fail(500, "XX000", f"stand-in internal error: {exc!r}"))

    def _add_violation(self, text: str) -> None:
        with self._lock:
            self.violations.append(text)

    def _take_fault(self) -> int | None:
        with self._lock:
            if self._fail_next > 0:
                self._fail_next -= 1
                return self._fail_next_status
            if self._fail_after is not None:
                if self._fail_after > 0:
                    self._fail_after -= 1
                    return None
                return self._fail_after_status
        return None

    @staticmethod
    def _fault_reply(status: int) -> _Reply:
        code, message = {
            503: ("PGRST001", "Database client error. Retrying the connection."),
            504: ("PGRST003", "Timed out acquiring connection from connection pool."),
        }.get(status, ("XX000" if status >= 500 else str(status), "Injected fault"))
        payload = {
            "code": code,
            "details": "injected by PostgrestStandIn",
            "hint": None,
            "message": message,
        }
        return _Reply(status, json.dumps(payload).encode(), [("Content-Type", JSON_CT)])

    @staticmethod
    def _error_reply(fail: _Fail) -> _Reply:
        headers = [("Content-Type", JSON_CT), *fail.headers]
        return _Reply(fail.status, json.dumps(fail.payload).encode(), headers)

    # ----------------------------------------------------------------- validation

    def _parse(
        self,
        method: str,
        path: str,
        query: list[tuple[str, str]],
        headers: dict[str, str],
        body: bytes,
    ) -> _Request:
        if not path.startswith(REST_PREFIX):
            raise _violation(f"path {path!r} is not under {REST_PREFIX}", status=404)
        rest = path[len(REST_PREFIX) :]
        if rest.startswith("rpc/"):
            kind, name = "rpc", rest[4:]
        else:
            kind, name = "table", rest
        if not name or "/" in name:
            raise _violation(f"path {path!r} does not name a table or function", status=404)
        if method not in ("GET", "HEAD", "POST", "PATCH", "DELETE"):
            raise _Fail(
                405,
                "PGRST117",
                f"Unsupported HTTP method: {method}",
                violation=f"method {method} is not supported by the stand-in",
            )
        if kind == "rpc" and method not in ("GET", "HEAD", "POST"):
            raise _Fail(
                405,
                "PGRST101",
                "Only GET, HEAD and POST are allowed for functions",
                violation=f"{method} on a function",
            )
        role = self._authenticate(headers)
        profile_header = "accept-profile" if method in ("GET", "HEAD") else "content-profile"
        profile = headers.get(profile_header)
        if profile is not None and profile != self.schema:
            raise _Fail(
                406,
                "PGRST106",
                f"The schema must be one of the following: {self.schema}",
                violation=f"{profile_header}: {profile!r} is not the exposed schema",
            )
        prefs = _parse_prefer(headers.get("prefer"))
        if prefs.invalid:
            invalid = ", ".join(prefs.invalid)
            self._add_violation(f"{method} {path}: unknown Prefer token(s): {invalid}")
            if prefs.handling == "strict":
                raise _Fail(
                    400,
                    "PGRST122",
                    "Invalid preferences given with handling=strict",
                    f"Invalid preferences: {invalid}",
                )
        if prefs.tx is not None:  # Supabase runs db-tx-end=commit: tx= is not applied
            self._add_violation(f"{method} {path}: Prefer tx={prefs.tx} is ignored by Supabase")
            prefs.tx = None
        single, strip_nulls = _negotiate_accept(headers.get("accept"))
        req = _Request(
            method,
            kind,
            name,
            role,
            prefs,
            profile is not None,
            single=single,
            strip_nulls=strip_nulls,
        )
        self._check_prefs(req)
        self._parse_query(req, query)
        self._parse_body(req, headers, body)
        return req

    def _authenticate(self, headers: dict[str, str]) -> str:
        apikey = headers.get("apikey")
        authorization = headers.get("authorization")
        if apikey is None:
            raise _Fail(
                401,
                None,
                "No API key found in request",
                violation="no apikey header",
                body={
                    "message": "No API key found in request",
                    "hint": "No `apikey` request header or url param was found.",
                },
            )
        if apikey not in self.keys:
            raise _Fail(
                401,
                None,
                "Invalid API key",
                body={
                    "message": "Invalid API key",
                    "hint": "Double check your Supabase `anon` or `service_role` API key.",
                },
            )
        if authorization is None:
            raise _Fail(
                401,
                "PGRST301",
                "No Authorization header",
                violation="apikey without Authorization: Bearer <key>",
            )
        if authorization != f"Bearer {apikey}":
            raise _Fail(
                401,
                "PGRST301",
                "JWT is invalid",
                violation="Authorization is not 'Bearer ' + the apikey",
            )
        return self.keys[apikey]

    @staticmethod
    def _check_prefs(req: _Request) -> None:
        prefs = req.prefs
        is_insert = req.kind == "table" and req.method == "POST"
        if prefs.resolution and not is_insert:
            raise _violation(f"Prefer resolution={prefs.resolution} on {req.method} {req.kind}")
        if prefs.missing and not (is_insert or (req.kind == "table" and req.method == "PATCH")):
            raise _violation(f"Prefer missing={prefs.missing} on {req.method} {req.kind}")
        if prefs.params and req.kind != "rpc":
            raise _violation("Prefer params=single-object outside rpc")
        if prefs.max_affected is not None and req.method not in ("PATCH", "DELETE"):
            raise _violation(f"Prefer max-affected on {req.method}")
        if prefs.ret == "headers-only" and not is_insert:
            raise _violation("Prefer return=headers-only is only meaningful on POST")

    def _parse_query(self, req: _Request, query: list[tuple[str, str]]) -> None:
        seen: set[str] = set()
        for key, value in query:
            if key in RESERVED_PARAMS:
                if key in seen and key != "select":
                    raise _violation(f"query parameter {key!r} given twice")
                seen.add(key)
            if key == "select":
                req.select = _parse_select(value)
            elif key == "order":
                req.order = _parse_order(value)
            elif key == "limit":
                req.limit = _parse_int(key, value)
            elif key == "offset":
                req.offset = _parse_int(key, value)
            elif key == "on_conflict":
                if not (req.kind == "table" and req.method == "POST"):
                    raise _violation(f"on_conflict on {req.method} {req.kind}")
                req.on_conflict = _parse_names(value, key)
            elif key == "columns":
                if not (req.kind == "table" and req.method == "POST"):
                    raise _violation(f"columns on {req.method} {req.kind}")
                req.columns = _parse_names(value, key)
            elif key in LOGIC_KEYS:
                negate = key.startswith("not.")
                op = key.removeprefix("not.")
                req.filters.append(_Logic(op, negate, _LogicParser(value).parse()))
            elif key.endswith((".or", ".and", ".order", ".limit", ".offset", ".select")):
                raise _unsupported(f"embedded resource parameter {key!r}")
            elif req.kind == "rpc" and req.method in ("GET", "HEAD"):
                req.raw_filters.append((key, value))  # split into args/filters later
            else:
                req.filters.append(_parse_filter(key, value))
        is_insert = req.kind == "table" and req.method == "POST"
        if is_insert and (req.filters or req.order or req.limit is not None or req.offset):
            raise _violation("filters, order, limit or offset on an insert")
        if req.method in ("PATCH", "DELETE") and (req.order or req.limit is not None or req.offset):
            raise _unsupported("limited PATCH/DELETE (order/limit/offset)")

    def _parse_body(self, req: _Request, headers: dict[str, str], body: bytes) -> None:
        if req.method in ("GET", "HEAD"):
            if body:
                raise _violation(f"{req.method} with a body")
            return
        if req.method == "DELETE":
            if body.strip() not in (b"", b"{}"):
                raise _violation("DELETE with a non-empty body")
            return
        if not _is_json_content_type(headers.get("content-type")):
            raise _Fail(
                415,
                "PGRST107",
                f"None of these media types are available: {headers.get('content-type')}",
                violation=f"Content-Type {headers.get('content-type')!r} is not application/json",
            )
        if req.kind == "rpc" and body.strip() == b"":
            req.body, req.body_text = {}, "{}"
            return
        req.body = _load_json(body)
        req.body_text = body.decode("utf-8")
        if req.kind == "rpc":
            if not isinstance(req.body, dict) and req.prefs.params != "single-object":
                raise _Fail(
                    400,
                    "PGRST102",
                    "Expected a JSON object of named arguments",
                    violation="rpc body is not a JSON object",
                )
        elif req.method == "PATCH":
            if not isinstance(req.body, dict):
                raise _Fail(
                    400,
                    "PGRST102",
                    "Expected a JSON object",
                    violation="PATCH body is not a JSON object",
                )
        else:
            rows = req.body if isinstance(req.body, list) else [req.body]
            if not all(isinstance(row, dict) for row in rows):
                raise _Fail(
                    400,
                    "PGRST102",
                    "Expected a JSON object or an array of JSON objects",
                    violation="POST body is not an object or an array of objects",
                )
            if req.columns is not None:
                extra = sorted({k for row in rows for k in row} - set(req.columns))
                if extra:
                    self._add_violation(
                        f"POST /{req.name}: body keys {extra} are not in columns= "
                        "(PostgREST silently ignores them)"
                    )
            elif isinstance(req.body, list) and req.body:
                first = set(req.body[0])
                if any(set(row) != first for row in req.body):
                    raise _Fail(
                        400,
                        "PGRST102",
                        "All object keys must match",
                        violation="array body without columns= whose objects have different keys",
                    )

    # ----------------------------------------------------------------- execution

    def _connection(self) -> psycopg.Connection[Any]:
        self._pool_slots.acquire()
        try:
            return self._pool.get_nowait()
        except queue.Empty:
            try:
                conn = psycopg.connect(self.conninfo, autocommit=True)
            except BaseException:
                self._pool_slots.release()
                raise
            with self._lock:
                self._all_conns.append(conn)
            return conn

    def _release(self, conn: psycopg.Connection[Any], broken: bool) -> None:
        if broken or conn.closed:
            with self._lock:
                if conn in self._all_conns:
                    self._all_conns.remove(conn)
            conn.close()
        else:
            self._pool.put(conn)
        self._pool_slots.release()

    def _execute(self, req: _Request) -> _Reply:
        try:
            conn = self._connection()
        except psycopg.OperationalError as exc:
            raise _Fail(503, "PGRST000", "Could not connect with the database", str(exc)) from exc
        broken = False
        try:
            with conn.cursor() as cur:
                reply = self._run(cur, req)
            conn.execute("ROLLBACK" if reply.status >= 400 else "COMMIT")
            return reply
        except BaseException as exc:
            broken = conn.closed or conn.broken
            if not broken:
                conn.execute("ROLLBACK")
            if isinstance(exc, psycopg.Error):
                raise self._pg_error(exc, req.role) from exc
            raise
        finally:
            self._release(conn, broken)

    @staticmethod
    def _pg_error(exc: psycopg.Error, role: str) -> _Fail:
        code = exc.sqlstate or "XX000"
        diag = exc.diag
        message = diag.message_primary or str(exc)
        if code in _PG_STATUS_EXACT:
            status = _PG_STATUS_EXACT[code]
        elif code == "42501":
            status = 401 if role == "anon" else 403
        elif code.startswith("PT") and code[2:].isdigit():  # RAISE ... USING ERRCODE 'PTxxx'
            status = int(code[2:])
        elif code == "21000":
            status = 400 if message.endswith("requires a WHERE clause") else 500
        else:
            status = _PG_STATUS_PREFIX.get(code[:2], 400)
        headers = [("WWW-Authenticate", "Bearer")] if status == 401 else []
        return _Fail(status, code, message, diag.message_detail, diag.message_hint, headers=headers)

    def _begin(
        self, cur: psycopg.Cursor[Any], req: _Request, catalog: sql.Composable
    ) -> list[tuple[Any, ...]]:
        """Open the transaction as the key's role (as PostgREST does) and read the catalog.

        One round trip: BEGIN, SET LOCAL ROLE, the request GUCs and the catalog query.
        """
        claims = json.dumps({"role": req.role})
        prelude = sql.SQL(
            "BEGIN{read_only}; SET LOCAL ROLE {role};"
            " SELECT set_config('request.jwt.claims', {claims}, true),"
            " set_config('request.method', {method}, true),"
            " set_config('request.path', {path}, true),"
            " set_config('search_path', {search_path}, true);"
            " {catalog}"
        ).format(
            read_only=sql.SQL(" READ ONLY" if req.method in ("GET", "HEAD") else ""),
            role=sql.Identifier(req.role),
            claims=_lit(claims),
            method=_lit(req.method),
            path=_lit(f"/{'rpc/' if req.kind == 'rpc' else ''}{req.name}"),
            search_path=sql.Literal(sql.Identifier(self.schema).as_string(cur.connection)),
            catalog=catalog,
        )
        cur.execute(prelude)
        while cur.nextset():
            pass
        return cur.fetchall()

    def _run(self, cur: psycopg.Cursor[Any], req: _Request) -> _Reply:
        if req.kind == "rpc":
            return self._call(cur, req)
        table = self._table(cur, req)
        if req.method in ("GET", "HEAD"):
            return self._read(cur, req)
        if req.method == "POST":
            return self._insert(cur, req, table)
        if req.method == "PATCH":
            return self._update(cur, req, table)
        return self._delete(cur, req, table)

    def _table(self, cur: psycopg.Cursor[Any], req: _Request) -> _Table:
        catalog = sql.SQL(
            "SELECT a.attname, pg_get_expr(d.adbin, d.adrelid),"
            " coalesce(a.attnum = ANY(i.indkey), false)"
            " FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
            " JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0"
            "  AND NOT a.attisdropped"
            " LEFT JOIN pg_attrdef d ON d.adrelid = c.oid AND d.adnum = a.attnum"
            " LEFT JOIN pg_index i ON i.indrelid = c.oid AND i.indisprimary"
            " WHERE n.nspname = {} AND c.relname = {}"
            "  AND c.relkind IN ('r', 'v', 'm', 'f', 'p')"
            " ORDER BY a.attnum"
        ).format(_lit(self.schema), _lit(req.name))
        rows = self._begin(cur, req, catalog)
        if not rows:
            raise _Fail(
                404,
                "PGRST205",
                f"Could not find the table '{self.schema}.{req.name}' in the schema cache",
            )
        return _Table(
            [r[0] for r in rows],
            {r[0]: r[1] for r in rows if r[1] is not None},
            [r[0] for r in rows if r[2]],
        )

    def _qt(self, name: str) -> sql.Composable:
        return sql.Identifier(self.schema, name)

    def _select_list(self, req: _Request, qual: str) -> sql.Composable:
        if req.select is None:
            return sql.SQL("{}.*").format(sql.Identifier(qual))
        return sql.SQL(", ").join(sql.Identifier(qual, c) for c in req.select)

    def _read(self, cur: psycopg.Cursor[Any], req: _Request) -> _Reply:
        qual = req.name
        where = _where_sql(req.filters, qual)
        count = (
            sql.SQL("(SELECT pg_catalog.count(*) FROM {}{})").format(self._qt(req.name), where)
            if req.prefs.count
            else sql.SQL("NULL::bigint")
        )
        query = sql.SQL(
            "SELECT {count}, pg_catalog.count(_postgrest_t), {agg}"
            " FROM (SELECT {cols} FROM {table}{where}{order}{range}) _postgrest_t"
        ).format(
            count=count,
            agg=_agg_sql(req),
            cols=self._select_list(req, qual),
            table=self._qt(req.name),
            where=where,
            order=_order_sql(req.order, qual),
            range=_range_sql(req.limit, req.offset),
        )
        total, page, body = cur.execute(query).fetchone() or (None, 0, "[]")
        return self._read_reply(req, total, page, body)

    def _read_reply(self, req: _Request, total: int | None, page: int, body: str) -> _Reply:
        lower = req.offset
        upper = lower + page - 1
        headers = [_content_range(lower, upper, total)]
        status = 200
        if total is not None:
            if lower > total:
                raise _Fail(
                    416,
                    "PGRST103",
                    "Requested range not satisfiable",
                    f"An offset of {lower} was requested, but there are only {total} rows.",
                    headers=headers,
                )
            if page < total:
                status = 206
        if req.single and page != 1:
            raise self._singular_error(page)
        headers += self._content_headers(req)
        headers += req.prefs.applied("count", "handling")
        return _Reply(status, body.encode(), headers)

    @staticmethod
    def _singular_error(rows: int) -> _Fail:
        return _Fail(
            406,
            "PGRST116",
            "Cannot coerce the result to a single JSON object",
            f"The result contains {rows} rows",
        )

    def _content_headers(self, req: _Request) -> list[tuple[str, str]]:
        media = OBJECT_MT if req.single else "application/json"
        headers = [("Content-Type", f"{media}; charset=utf-8")]
        if req.profile_given:
            headers.append(("Content-Profile", self.schema))
        return headers

    def _check_columns(self, req: _Request, table: _Table, names: list[str]) -> None:
        for name in names:
            if name not in table.columns:
                raise _Fail(
                    400,
                    "PGRST204",
                    f"Could not find the '{name}' column of '{req.name}' in the schema cache",
                )

    def _returning(self, req: _Request, *, inserted: bool = False) -> sql.Composable:
        if req.prefs.ret != "representation":
            return sql.SQL(" RETURNING 1 AS pgrst_one")
        flag = sql.SQL("")
        if inserted:  # xmax = 0 tells an inserted row from one updated by ON CONFLICT
            flag = sql.SQL(", ({}.xmax = 0) AS pgrst_inserted").format(sql.Identifier(req.name))
        return sql.SQL(" RETURNING {}{}").format(self._select_list(req, req.name), flag)

    def _mutation_result(
        self,
        cur: psycopg.Cursor[Any],
        req: _Request,
        table: _Table,
        statement: sql.Composable,
        *,
        inserted: bool = False,
    ) -> tuple[int, str | None, int | None]:
        """(affected rows, JSON body or None, inserted rows when asked and known)."""
        if req.prefs.ret == "representation":
            cols = req.select if req.select is not None else table.columns
            outer = sql.SQL(", ").join(sql.Identifier("pgrst_source", c) for c in cols)
            query = sql.SQL(
                "WITH pgrst_source AS ({stmt}) SELECT (SELECT pg_catalog.count(*) FROM"
                " pgrst_source), {agg}{inserted} FROM (SELECT {outer} FROM pgrst_source)"
                " _postgrest_t"
            ).format(
                stmt=statement,
                agg=_agg_sql(req),
                inserted=sql.SQL(
                    ", (SELECT pg_catalog.count(*) FROM pgrst_source WHERE pgrst_inserted)"
                    if inserted
                    else ", NULL"
                ),
                outer=outer,
            )
        else:
            query = sql.SQL(
                "WITH pgrst_source AS ({stmt})"
                " SELECT pg_catalog.count(*), NULL, NULL FROM pgrst_source"
            ).format(stmt=statement)
        affected, body, n_inserted = cur.execute(query).fetchone() or (0, None, None)
        if req.single and affected != 1:
            raise self._singular_error(affected)
        max_affected = req.prefs.max_affected
        if req.prefs.handling == "strict" and max_affected is not None and affected > max_affected:
            raise _Fail(
                400,
                "PGRST124",
                "Query result exceeds max-affected preference constraint",
                f"The query affects {affected} rows",
            )
        return affected, body, n_inserted

    def _insert(self, cur: psycopg.Cursor[Any], req: _Request, table: _Table) -> _Reply:
        rows = req.body if isinstance(req.body, list) else [req.body]
        cols = req.columns if req.columns is not None else (list(rows[0]) if rows else [])
        self._check_columns(req, table, cols)
        if req.on_conflict:
            self._check_columns(req, table, req.on_conflict)
        text = req.body_text if isinstance(req.body, list) else f"[{req.body_text}]"
        payload: sql.Composable = sql.SQL("{}::json").format(_lit(text))
        defaults = [c for c in cols if c in table.defaults]
        if req.prefs.missing == "default" and defaults:
            build = sql.SQL(", ").join(
                sql.SQL("{}, {}").format(_lit(c), sql.SQL(table.defaults[c])) for c in defaults
            )
            payload = sql.SQL(
                "(SELECT coalesce(jsonb_agg(jsonb_build_object({build}) || pgrst_elem), '[]')"
                " FROM jsonb_array_elements({payload}::jsonb) pgrst_elem)::json"
            ).format(build=build, payload=payload)
        conflict = sql.SQL("")
        target = req.on_conflict or table.pk
        merge = bool(target) and req.prefs.resolution == "merge-duplicates" and bool(cols)
        if req.prefs.resolution and target:
            target_sql = sql.SQL(", ").join(sql.Identifier(c) for c in target)
            if req.prefs.resolution == "ignore-duplicates" or not cols:
                conflict = sql.SQL(" ON CONFLICT ({}) DO NOTHING").format(target_sql)
            else:
                sets = sql.SQL(", ").join(
                    sql.SQL("{0} = EXCLUDED.{0}").format(sql.Identifier(c)) for c in cols
                )
                conflict = sql.SQL(" ON CONFLICT ({}) DO UPDATE SET {}").format(target_sql, sets)
        col_list = sql.SQL(", ").join(sql.Identifier(c) for c in cols)
        body_cols = sql.SQL(", ").join(sql.Identifier("pgrst_body", c) for c in cols)
        statement = sql.SQL(
            "INSERT INTO {table}{paren_cols} SELECT {body_cols}"
            " FROM json_populate_recordset(NULL::{table}, {payload}) pgrst_body{conflict}{ret}"
        ).format(
            table=self._qt(req.name),
            paren_cols=sql.SQL("({})").format(col_list) if cols else sql.SQL(""),
            body_cols=body_cols,
            payload=payload,
            conflict=conflict,
            ret=self._returning(req, inserted=merge),
        )
        n_inserted: int | None = None
        if not rows:
            affected, body = 0, "[]"
        else:
            affected, body, n_inserted = self._mutation_result(
                cur, req, table, statement, inserted=merge
            )
        headers = [_content_range(1, 0, affected if req.prefs.count else None)]
        applied = ["missing", "ret", "count", "handling"]
        if req.prefs.resolution and target:
            applied.append("resolution")
        headers += req.prefs.applied(*applied)
        if req.prefs.ret == "representation":
            headers += self._content_headers(req)
            status = 200 if merge and n_inserted == 0 else 201  # PostgREST: nothing inserted
            return _Reply(status, (body or "[]").encode(), headers)
        return _Reply(201, b"", headers)

    def _require_filters(self, req: _Request, verb: str) -> None:
        if not req.filters:
            raise _Fail(400, "21000", f"{verb} requires a WHERE clause")

    def _update(self, cur: psycopg.Cursor[Any], req: _Request, table: _Table) -> _Reply:
        assert isinstance(req.body, dict)
        cols = list(req.body)
        self._check_columns(req, table, cols)
        self._require_filters(req, "UPDATE")
        if cols:
            sets = sql.SQL(", ").join(
                sql.SQL("{} = pgrst_body.{}").format(sql.Identifier(c), sql.Identifier(c))
                for c in cols
            )
            statement = sql.SQL(
                "UPDATE {table} SET {sets} FROM (SELECT * FROM json_populate_record("
                "NULL::{table}, {body}::json)) pgrst_body{where}{ret}"
            ).format(
                table=self._qt(req.name),
                sets=sets,
                body=_lit(req.body_text),
                where=_where_sql(req.filters, req.name),
                ret=self._returning(req),
            )
            affected, body, _ = self._mutation_result(cur, req, table, statement)
        else:
            affected, body = 0, "[]"
        headers = [_content_range(0, affected - 1, affected if req.prefs.count else None)]
        headers += req.prefs.applied("ret", "count", "handling", "max_affected")
        if req.prefs.ret == "representation":
            headers += self._content_headers(req)
            return _Reply(200, (body or "[]").encode(), headers)
        return _Reply(204, b"", headers)

    def _delete(self, cur: psycopg.Cursor[Any], req: _Request, table: _Table) -> _Reply:
        self._require_filters(req, "DELETE")
        statement = sql.SQL("DELETE FROM {table}{where}{ret}").format(
            table=self._qt(req.name),
            where=_where_sql(req.filters, req.name),
            ret=self._returning(req),
        )
        affected, body, _ = self._mutation_result(cur, req, table, statement)
        headers = [_content_range(1, 0, affected if req.prefs.count else None)]
        headers += req.prefs.applied("ret", "count", "handling", "max_affected")
        if req.prefs.ret == "representation":
            headers += self._content_headers(req)
            return _Reply(200, (body or "[]").encode(), headers)
        return _Reply(204, b"", headers)

    # ----------------------------------------------------------------- rpc

    def _functions(self, cur: psycopg.Cursor[Any], req: _Request) -> list[_Function]:
        name = req.name
        catalog = sql.SQL(
            "SELECT p.proretset, p.prorettype = 'void'::regtype,"
            " (t.typtype = 'c' OR p.prorettype = 'record'::regtype),"
            " p.pronargs, p.pronargdefaults,"
            " coalesce(p.proargnames, '{{}}'::text[]),"
            " coalesce(p.proargmodes::text[], '{{}}'::text[]),"
            " ARRAY(SELECT format_type(u.x, NULL)"
            "       FROM unnest(p.proargtypes::oid[]) WITH ORDINALITY u(x, o) ORDER BY u.o)"
            " FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace"
            " JOIN pg_type t ON t.oid = p.prorettype"
            " WHERE n.nspname = {} AND p.proname = {} AND p.prokind = 'f'"
        ).format(_lit(self.schema), _lit(name))
        rows = self._begin(cur, req, catalog)
        functions = []
        for retset, void, composite, nargs, ndefaults, names, modes, types in rows:
            if modes:
                in_names = [n for n, m in zip(names, modes, strict=False) if m in ("i", "b", "v")]
            else:
                in_names = list(names[:nargs]) + [""] * (nargs - len(names))
            functions.append(
                _Function(name, retset, void, composite, in_names, list(types), nargs - ndefaults)
            )
        return functions

    def _pick_function(
        self, req: _Request, functions: list[_Function], keys: set[str]
    ) -> tuple[_Function, bool]:
        """The function to call and whether the whole body is its single json argument."""
        matches: list[tuple[_Function, bool]] = []
        for fn in functions:
            single_json = len(fn.arg_types) == 1 and fn.arg_types[0] in JSON_TYPES
            if req.prefs.params == "single-object":
                if single_json:
                    matches.append((fn, True))
                continue
            if single_json and fn.arg_names == [""]:
                matches.append((fn, True))
                continue
            names = set(fn.arg_names)
            if keys <= names and set(fn.arg_names[: fn.required]) <= keys:
                matches.append((fn, False))
        if len(matches) == 1:
            return matches[0]
        qualified = f"{self.schema}.{req.name}"
        if not matches:
            args = ", ".join(sorted(keys))
            raise _Fail(
                404,
                "PGRST202",
                f"Could not find the function {qualified}({args}) in the schema cache",
                f"Searched for the function {qualified} with parameters {args} or with a "
                "single unnamed json/jsonb parameter, but no matches were found in the "
                "schema cache.",
            )
        raise _Fail(
            300,
            "PGRST203",
            f"Could not choose the best candidate function between: {qualified}",
            violation=f"ambiguous overloaded function {qualified}",
        )

    def _call(self, cur: psycopg.Cursor[Any], req: _Request) -> _Reply:
        functions = self._functions(cur, req)
        if req.method in ("GET", "HEAD"):
            all_names = {n for fn in functions for n in fn.arg_names}
            args = {k: v for k, v in req.raw_filters if k in all_names}
            for key, value in req.raw_filters:
                if key not in all_names:
                    req.filters.append(_parse_filter(key, value))
            body_text = json.dumps(args)
            keys = set(args)
        else:
            body_text = req.body_text or "{}"
            keys = set(req.body) if isinstance(req.body, dict) else set()
        fn, whole_body = self._pick_function(req, functions, keys)
        fn_sql = self._qt(fn.name)
        # As PostgREST does, the request body goes to Postgres as one bound parameter.
        body_param = sql.SQL(_BODY_MARK)
        if whole_body:
            call = sql.SQL("{}({}::{})").format(fn_sql, body_param, sql.SQL(fn.arg_types[0]))
            source = sql.SQL("")
        elif keys:
            used = [(n, t) for n, t in zip(fn.arg_names, fn.arg_types, strict=True) if n in keys]
            defs = sql.SQL(", ").join(
                sql.SQL("{} {}").format(sql.Identifier(n), sql.SQL(t)) for n, t in used
            )
            call = sql.SQL("{}({})").format(
                fn_sql,
                sql.SQL(", ").join(
                    sql.SQL("{} := pgrst_args.{}").format(sql.Identifier(n), sql.Identifier(n))
                    for n, _ in used
                ),
            )
            source = sql.SQL("json_to_record({}::json) AS pgrst_args({}), ").format(
                body_param, defs
            )
        else:
            call = sql.SQL("{}()").format(fn_sql)
            source = sql.SQL("")
        is_set_of_rows = fn.composite
        if not is_set_of_rows and (req.filters or req.order or req.select is not None):
            raise _unsupported("filters/order/select on a function returning a scalar")
        if fn.void:
            _execute_with_body(
                cur,
                sql.SQL("SELECT {call} FROM {source}(SELECT 1) pgrst_one").format(
                    call=call, source=source
                ),
                body_text,
            )
            cur.fetchall()
            headers = [_content_range(0, 0, None), *req.prefs.applied("count", "handling")]
            return _Reply(204, b"", headers)
        alias = sql.SQL("pgrst_call" if fn.composite else "pgrst_call(pgrst_scalar)")
        where = _where_sql(req.filters, "pgrst_call")
        count = (
            sql.SQL("(SELECT pg_catalog.count(*) FROM pgrst_source pgrst_call{})").format(where)
            if req.prefs.count
            else sql.SQL("NULL::bigint")
        )
        if fn.composite:
            cols = self._select_list(req, "pgrst_call")
            single_fn = not fn.retset
            agg = _agg_sql(req)
            if single_fn and not req.single:
                agg = sql.SQL("coalesce((json_agg(_postgrest_t)->0)::text, 'null')")
        else:
            cols = sql.SQL("pgrst_call.pgrst_scalar")
            single_fn = not fn.retset
            if single_fn:
                agg = sql.SQL("coalesce((json_agg(_postgrest_t.pgrst_scalar)->0)::text, 'null')")
            else:
                agg = sql.SQL("coalesce(json_agg(_postgrest_t.pgrst_scalar), '[]')::text")
        query = sql.SQL(
            "WITH pgrst_source AS (SELECT pgrst_call.* FROM {source}{call} {alias})"
            " SELECT {count}, pg_catalog.count(_postgrest_t), {agg}"
            " FROM (SELECT {cols} FROM pgrst_source pgrst_call{where}{order}{range}) _postgrest_t"
        ).format(
            source=source,
            call=call,
            alias=alias,
            count=count,
            agg=agg,
            cols=cols,
            where=where,
            order=_order_sql(req.order, "pgrst_call"),
            range=_range_sql(req.limit, req.offset),
        )
        total, page, body = _execute_with_body(cur, query, body_text).fetchone() or (
            None,
            0,
            "null",
        )
        if single_fn and not req.single:
            headers = [_content_range(0, page - 1, total), *self._content_headers(req)]
            return _Reply(200, body.encode(), headers)
        reply = self._read_reply(req, total, page, body)
        if req.method == "HEAD":
            reply.body = b""
        return reply
