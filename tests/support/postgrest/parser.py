"""The PostgREST stand-in's request side: the protocol's constants and types, the query
grammar (filters, logic trees, select, order, Prefer, Accept) and `RequestParser`, which turns
one HTTP request into a checked `_Request` (or a `_Fail`, recorded as a violation when the
real PostgREST would refuse it too or the stand-in cannot answer it faithfully).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

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


class RequestParser:
    """Validation of one request against PostgREST's protocol (mixed into the server)."""

    keys: dict[str, str]
    schema: str

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
