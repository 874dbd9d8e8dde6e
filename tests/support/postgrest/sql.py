"""The PostgREST stand-in's SQL side: the SQL PostgREST generates for a parsed request
(`SqlExecutor`), run in one transaction as the API key's role on a small connection pool, so
grants and row-level security are Postgres's own, and the JSON comes out of Postgres.
"""

from __future__ import annotations

import json
import queue
import threading
from dataclasses import dataclass
from typing import Any

import psycopg
from psycopg import sql

from tests.support.postgrest.parser import (
    _PG_STATUS_EXACT,
    _PG_STATUS_PREFIX,
    COMPARISON,
    IS_VALUES,
    JSON_TYPES,
    OBJECT_MT,
    _Fail,
    _Logic,
    _Node,
    _Order,
    _parse_filter,
    _Reply,
    _Request,
    _unsupported,
)


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


class SqlExecutor:
    """Execution of a parsed request (mixed into the server)."""

    conninfo: str
    schema: str
    _lock: threading.Lock
    _pool: queue.LifoQueue[psycopg.Connection[Any]]
    _all_conns: list[psycopg.Connection[Any]]
    _pool_slots: threading.BoundedSemaphore

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
        with self._lock:
            # Not in the list: the server was detached from its database meanwhile.
            keep = not broken and not conn.closed and conn in self._all_conns
            if not keep and conn in self._all_conns:
                self._all_conns.remove(conn)
        if keep:
            self._pool.put(conn)
        else:
            conn.close()
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
