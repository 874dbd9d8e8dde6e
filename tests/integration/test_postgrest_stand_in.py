"""The PostgREST stand-in, driven through the real supabase-py client."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import httpx
import psycopg
import pytest
from postgrest.exceptions import APIError
from supabase import Client, create_client

from tests.conftest import create_pg_database
from tests.support.postgrest import PostgrestStandIn
from tests.support.supabase_roles import apply_supabase_defaults, ensure_cluster_roles

pytestmark = pytest.mark.postgres

SERVICE_KEY = "sb_secret_stand_in_service"
READER_KEY = "sb_publishable_stand_in_reader"
ANON_KEY = "sb_publishable_stand_in_anon"
READER_ROLE = "pgrst_stand_in_reader"

SCHEMA = f"""
CREATE TABLE items (
    sku text PRIMARY KEY,
    price numeric(20, 5),
    sold_at timestamptz,
    meta jsonb,
    active boolean DEFAULT true,
    note text
);
INSERT INTO items VALUES
    ('A1', 10.5, '2024-01-01 10:00:00+00', '{{"a": 1}}', true, 'red, big'),
    ('A2', 12345678.12345, '2024-02-01 00:00:00+00', NULL, false, NULL),
    ('B1', 0.00001, '2024-03-01 12:30:00+00', '[1, 2]', true, 'blue'),
    ('B2', -5, NULL, '{{}}', NULL, 'x"y');
CREATE TABLE stock (
    sku text PRIMARY KEY,
    qty integer NOT NULL DEFAULT 0,
    price numeric(20, 5),
    updated_at timestamptz DEFAULT now()
);
CREATE TABLE events (id serial PRIMARY KEY, kind text NOT NULL UNIQUE, qty integer DEFAULT 1);
CREATE TABLE secrets (id integer PRIMARY KEY, owner text NOT NULL);
INSERT INTO secrets VALUES (1, 'cfo'), (2, 'ops');
ALTER TABLE secrets ENABLE ROW LEVEL SECURITY;
CREATE POLICY reader_reads ON secrets FOR SELECT TO {READER_ROLE} USING (true);
GRANT SELECT ON items, secrets TO {READER_ROLE};

CREATE FUNCTION add_them(a integer, b integer) RETURNS integer
    LANGUAGE sql AS 'SELECT a + b';
CREATE FUNCTION reprice(p_sku text, p_price numeric) RETURNS jsonb LANGUAGE plpgsql AS $$
DECLARE result jsonb;
BEGIN
    UPDATE stock SET price = p_price WHERE sku = p_sku
        RETURNING jsonb_build_object('sku', sku, 'price', price) INTO result;
    RETURN result;
END $$;
CREATE FUNCTION log_event(p_kind text) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO events (kind) VALUES (p_kind);
END $$;
CREATE FUNCTION upsert_stock(p_rows jsonb) RETURNS integer LANGUAGE plpgsql AS $$
DECLARE n integer;
BEGIN
    INSERT INTO stock (sku, qty, price)
    SELECT r.sku, r.qty, r.price
    FROM jsonb_to_recordset(p_rows) AS r(sku text, qty int, price numeric)
    ON CONFLICT (sku) DO UPDATE SET qty = EXCLUDED.qty, price = EXCLUDED.price;
    GET DIAGNOSTICS n = ROW_COUNT;
    RETURN n;
END $$;
CREATE FUNCTION cheap_items(max_price numeric) RETURNS SETOF items
    LANGUAGE sql STABLE AS 'SELECT * FROM items WHERE price <= max_price';
REVOKE EXECUTE ON FUNCTION log_event(text) FROM PUBLIC, anon, authenticated;
GRANT EXECUTE ON FUNCTION log_event(text) TO service_role;
"""


@pytest.fixture(scope="module")
def database(postgres_server: str) -> Iterator[str]:
    ensure_cluster_roles(postgres_server)
    with psycopg.connect(postgres_server, autocommit=True) as conn:
        with contextlib.suppress(psycopg.errors.DuplicateObject):
            conn.execute(f"CREATE ROLE {READER_ROLE} NOLOGIN NOINHERIT")
    url, drop = create_pg_database(postgres_server)
    apply_supabase_defaults(url)
    conninfo = url.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(conninfo, autocommit=True) as conn:
        conn.execute(f"GRANT USAGE ON SCHEMA public TO {READER_ROLE}")
        conn.execute(SCHEMA)
    yield conninfo
    drop()


@pytest.fixture(scope="module")
def stand_in(database: str) -> Iterator[PostgrestStandIn]:
    keys = {SERVICE_KEY: "service_role", READER_KEY: READER_ROLE, ANON_KEY: "anon"}
    with PostgrestStandIn(database.replace("postgresql://", "postgresql+psycopg://"), keys) as s:
        yield s


@pytest.fixture(autouse=True)
def no_violations(stand_in: PostgrestStandIn) -> Iterator[None]:
    stand_in.reset()
    stand_in.clear_faults()
    yield
    assert stand_in.violations == []


@pytest.fixture(scope="module")
def service(stand_in: PostgrestStandIn) -> Client:
    return create_client(stand_in.url, SERVICE_KEY)


@pytest.fixture(scope="module")
def reader(stand_in: PostgrestStandIn) -> Client:
    return create_client(stand_in.url, READER_KEY)


@pytest.fixture(scope="module")
def anon(stand_in: PostgrestStandIn) -> Client:
    return create_client(stand_in.url, ANON_KEY)


def skus(rows: list[Any]) -> list[str]:
    return [row["sku"] for row in rows]


def sql_rows(database: str, query: str) -> list[tuple[Any, ...]]:
    with psycopg.connect(database) as conn:
        return conn.execute(query).fetchall()


def raw(stand_in: PostgrestStandIn, method: str, path: str, **kwargs: Any) -> httpx.Response:
    headers = {
        "apikey": SERVICE_KEY,
        "Authorization": f"Bearer {SERVICE_KEY}",
        **kwargs.pop("headers", {}),
    }
    return httpx.request(method, stand_in.url + path, headers=headers, timeout=5, **kwargs)


def test_select_with_every_filter_kind(service: Client) -> None:
    items = service.table("items")
    assert skus(items.select("sku").eq("sku", "A1").execute().data) == ["A1"]
    assert skus(items.select("sku").neq("sku", "A1").order("sku").execute().data) == [
        "A2",
        "B1",
        "B2",
    ]
    assert skus(items.select("sku").gt("price", 10.5).execute().data) == ["A2"]
    assert skus(items.select("sku").gte("price", "10.5").order("sku").execute().data) == [
        "A1",
        "A2",
    ]
    assert skus(items.select("sku").lt("price", 0).execute().data) == ["B2"]
    assert skus(items.select("sku").lte("price", "0.00001").order("sku").execute().data) == [
        "B1",
        "B2",
    ]
    assert skus(items.select("sku").like("sku", "A*").order("sku").execute().data) == [
        "A1",
        "A2",
    ]
    assert skus(items.select("sku").like("sku", "B%").order("sku").execute().data) == [
        "B1",
        "B2",
    ]
    assert skus(items.select("sku").ilike("note", "RED*").execute().data) == ["A1"]
    assert skus(items.select("sku").is_("note", None).execute().data) == ["A2"]
    assert skus(items.select("sku").is_("active", False).execute().data) == ["A2"]
    assert skus(items.select("sku").is_("active", True).order("sku").execute().data) == [
        "A1",
        "B1",
    ]
    assert skus(
        items.select("sku").in_("note", ["red, big", 'x"y']).order("sku").execute().data
    ) == [
        "A1",
        "B2",
    ]
    assert skus(
        items.select("sku")
        .or_("sku.eq.A1,and(price.lt.1,note.eq.blue)")
        .order("sku")
        .execute()
        .data
    ) == ["A1", "B1"]


def test_negation_and_ordering(service: Client) -> None:
    items = service.table("items")
    rows = items.select("sku").not_.eq("sku", "A1").not_.is_("note", None).order("sku").execute()
    assert skus(rows.data) == ["B1", "B2"]
    rows = items.select("sku").order("sold_at", desc=True, nullsfirst=True).execute()
    assert skus(rows.data) == ["B2", "B1", "A2", "A1"]
    rows = items.select("sku").order("active").order("sku", desc=True).execute()
    assert skus(rows.data) == ["A2", "B1", "A1", "B2"]
    rows = items.select("sku").gte("sold_at", "2024-02-01T00:00:00+00:00").order("sku").execute()
    assert skus(rows.data) == ["A2", "B1"]


def test_limit_offset_count_and_head(service: Client, stand_in: PostgrestStandIn) -> None:
    items = service.table("items")
    page = items.select("sku", count="exact").order("sku").range(1, 2).execute()
    assert skus(page.data) == ["A2", "B1"]
    assert page.count == 4
    assert stand_in.requests[-1].status == 206
    page = items.select("sku").order("sku").limit(1).offset(3).execute()
    assert skus(page.data) == ["B2"]
    head = items.select("*", count="exact", head=True).like("sku", "A*").execute()
    assert head.data == []
    assert head.count == 2
    assert stand_in.requests[-1].method == "HEAD"
    empty = items.select("sku", count="exact").eq("sku", "nope").execute()
    assert empty.data == []
    assert empty.count == 0


def test_types_come_out_exactly_as_postgrest_emits_them(
    service: Client, stand_in: PostgrestStandIn
) -> None:
    row = service.table("items").select("*").eq("sku", "A1").single().execute().data
    assert row == {
        "sku": "A1",
        "price": 10.5,
        "sold_at": "2024-01-01T10:00:00+00:00",
        "meta": {"a": 1},
        "active": True,
        "note": "red, big",
    }
    response = raw(stand_in, "GET", "/rest/v1/items?select=price&sku=eq.A2")
    assert response.status_code == 200
    assert response.text == '[{"price":12345678.12345}]'
    assert response.headers["content-range"] == "0-0/*"
    with pytest.raises(APIError) as caught:
        service.table("items").select("sku").eq("sku", "nope").single().execute()
    assert caught.value.code == "PGRST116"


def test_insert_single_and_array(service: Client, database: str) -> None:
    stock = service.table("stock")
    created = stock.insert({"sku": "S1", "qty": 3, "price": "12345678.12345"}).execute()
    assert created.data[0]["sku"] == "S1"
    assert created.data[0]["qty"] == 3
    assert created.data[0]["updated_at"] is not None
    minimal = stock.insert(
        [{"sku": "S2", "qty": 1}, {"sku": "S3", "qty": 0, "price": "0.5"}], returning="minimal"
    ).execute()
    assert minimal.data == []
    rows = sql_rows(database, "SELECT sku, qty, price FROM stock ORDER BY sku")
    assert rows[0] == ("S1", 3, Decimal("12345678.12345"))
    assert rows[1][:2] == ("S2", 1)
    assert rows[1][2] is None
    with pytest.raises(APIError) as caught:  # missing qty becomes NULL without missing=default
        stock.insert([{"sku": "S4"}, {"sku": "S5", "qty": 2}]).execute()
    assert caught.value.code == "23502"
    stock.insert(
        [{"sku": "S4"}, {"sku": "S5", "qty": 2}], returning="minimal", default_to_null=False
    ).execute()
    assert sql_rows(database, "SELECT qty FROM stock WHERE sku IN ('S4','S5') ORDER BY sku") == [
        (0,),
        (2,),
    ]
    with pytest.raises(APIError) as caught:
        stock.insert({"sku": "S1", "qty": 9}).execute()
    assert caught.value.code == "23505"
    with pytest.raises(APIError) as caught:
        stock.insert({"sku": "S9", "colour": "red"}).execute()
    assert caught.value.code == "PGRST204"


def test_upsert_merge_and_ignore(
    service: Client, database: str, stand_in: PostgrestStandIn
) -> None:
    events = service.table("events")
    events.insert({"kind": "sync", "qty": 1}).execute()
    merged = events.upsert({"kind": "sync", "qty": 5}, on_conflict="kind").execute()
    assert merged.data[0]["qty"] == 5
    assert stand_in.requests[-1].status == 200  # PostgREST: merged, nothing inserted
    events.upsert(
        [{"kind": "sync", "qty": 7}, {"kind": "alert", "qty": 2}],
        on_conflict="kind",
        ignore_duplicates=True,
        returning="minimal",
    ).execute()
    assert sql_rows(database, "SELECT kind, qty FROM events ORDER BY kind") == [
        ("alert", 2),
        ("sync", 5),
    ]
    service.table("stock").upsert(
        [{"sku": "U1", "qty": 1, "price": "1.10000"}, {"sku": "U2", "qty": 2}],
        returning="minimal",
    ).execute()
    service.table("stock").upsert({"sku": "U1", "qty": 4}).execute()
    assert sql_rows(database, "SELECT qty, price FROM stock WHERE sku = 'U1'") == [
        (4, Decimal("1.10000"))
    ]


def test_update_and_delete_with_filters(service: Client, database: str) -> None:
    stock = service.table("stock")
    stock.insert([{"sku": f"D{i}", "qty": i} for i in range(5)], returning="minimal").execute()
    updated = stock.update({"qty": 100}).gte("qty", 3).like("sku", "D*").execute()
    assert sorted(skus(updated.data)) == ["D3", "D4"]
    minimal = stock.update({"price": "2.5"}, returning="minimal").eq("sku", "D0").execute()
    assert minimal.data == []
    deleted = stock.delete().in_("sku", ["D1", "D2"]).execute()
    assert sorted(skus(deleted.data)) == ["D1", "D2"]
    stock.delete(returning="minimal").eq("sku", "D0").execute()
    assert sql_rows(database, "SELECT sku, qty FROM stock WHERE sku LIKE 'D%' ORDER BY sku") == [
        ("D3", 100),
        ("D4", 100),
    ]


def test_update_and_delete_without_filter_are_refused(service: Client, database: str) -> None:
    before = sql_rows(database, "SELECT count(*) FROM items")
    with pytest.raises(APIError) as caught:
        service.table("items").update({"note": "all"}).execute()
    assert caught.value.code == "21000"
    assert caught.value.message == "UPDATE requires a WHERE clause"
    with pytest.raises(APIError) as caught:
        service.table("items").delete().execute()
    assert caught.value.code == "21000"
    assert sql_rows(database, "SELECT count(*) FROM items") == before


def test_rpc_scalar_jsonb_void_and_setof(service: Client, database: str) -> None:
    assert service.rpc("add_them", {"a": 2, "b": 3}).execute().data == 5
    service.table("stock").insert({"sku": "R1", "qty": 1}, returning="minimal").execute()
    result = service.rpc("reprice", {"p_sku": "R1", "p_price": "12345678.12345"}).execute()
    assert result.data == {"sku": "R1", "price": 12345678.12345}
    assert sql_rows(database, "SELECT price FROM stock WHERE sku = 'R1'") == [
        (Decimal("12345678.12345"),)
    ]
    assert service.rpc("reprice", {"p_sku": "nope", "p_price": 1}).execute().data is None
    void = service.rpc("log_event", {"p_kind": "rpc-void"}).execute()
    assert void.data == []
    assert sql_rows(database, "SELECT count(*) FROM events WHERE kind = 'rpc-void'") == [(1,)]
    rows = [{"sku": f"B{i}", "qty": i, "price": f"{i}.00001"} for i in range(50)]
    assert service.rpc("upsert_stock", {"p_rows": rows}).execute().data == 50
    cheap = service.rpc("cheap_items", {"max_price": 11}).order("sku").execute()
    assert skus(cheap.data) == ["A1", "B1", "B2"]
    with pytest.raises(APIError) as caught:
        service.rpc("no_such_function", {"x": 1}).execute()
    assert caught.value.code == "PGRST202"


def test_unknown_key_gets_401(stand_in: PostgrestStandIn) -> None:
    client = create_client(stand_in.url, "sb_secret_not_a_real_key")
    with pytest.raises(APIError) as caught:
        client.table("items").insert({"sku": "X"}).execute()
    assert caught.value.message == "Invalid API key"
    assert stand_in.requests[-1].status == 401


def test_privileges_are_enforced_by_postgres(reader: Client, anon: Client) -> None:
    with pytest.raises(APIError) as caught:
        reader.table("stock").insert({"sku": "P1", "qty": 1}).execute()
    assert caught.value.code == "42501"
    with pytest.raises(APIError) as caught:
        anon.rpc("log_event", {"p_kind": "anon"}).execute()
    assert caught.value.code == "42501"


def test_row_level_security_hides_rows(
    service: Client, reader: Client, anon: Client, stand_in: PostgrestStandIn
) -> None:
    assert [r["id"] for r in reader.table("secrets").select("id").order("id").execute().data] == [
        1,
        2,
    ]
    assert anon.table("secrets").select("*").execute().data == []
    assert len(service.table("secrets").select("*").execute().data) == 2
    assert stand_in.requests[-1].headers["apikey"] == SERVICE_KEY


def test_fail_requests_and_fail_after(service: Client, stand_in: PostgrestStandIn) -> None:
    events = service.table("events")
    stand_in.fail_requests(2)
    for _ in range(2):
        with pytest.raises(APIError) as caught:
            events.insert({"kind": "faulty"}, returning="minimal").execute()
        assert caught.value.code == "PGRST001"
    events.insert({"kind": "after-faults"}, returning="minimal").execute()
    stand_in.fail_after(1, status=500)
    service.rpc("add_them", {"a": 1, "b": 1}).execute()
    for _ in range(2):
        with pytest.raises(APIError):
            service.rpc("add_them", {"a": 1, "b": 1}).execute()
    stand_in.clear_faults()
    assert service.rpc("add_them", {"a": 1, "b": 1}).execute().data == 2
    assert stand_in.count("POST", "/rest/v1/rpc/") == 4
    assert stand_in.count("POST", "/rest/v1/events") == 3
    assert [r.status for r in stand_in.requests] == [503, 503, 201, 200, 500, 500, 200]
    assert len(events.select("id").eq("kind", "faulty").execute().data) == 0


def test_illegal_requests_are_recorded_as_violations(stand_in: PostgrestStandIn) -> None:
    response = raw(stand_in, "GET", "/rest/v1/items?select=sku", headers={"Prefer": "count=lots"})
    assert response.status_code == 200
    assert any("count=lots" in v for v in stand_in.violations)
    stand_in.reset()

    response = raw(stand_in, "GET", "/rest/v1/items?sku=equals.A1")
    assert response.status_code == 400
    assert response.json()["code"] == "PGRST100"
    assert len(stand_in.violations) == 1
    stand_in.reset()

    response = httpx.get(f"{stand_in.url}/rest/v1/items", timeout=5)
    assert response.status_code == 401
    assert stand_in.violations
    stand_in.reset()

    response = raw(stand_in, "GET", "/rest/v1/items", headers={"Accept-Profile": "private"})
    assert response.status_code == 406
    assert response.json()["code"] == "PGRST106"
    stand_in.reset()

    for method, path, kwargs in [
        ("GET", "/api/items", {}),
        ("GET", "/rest/v1/items?select=sku,stock(qty)", {}),
        ("POST", "/rest/v1/items", {"content": b"{not json", "headers": {"Content-Type": "a/b"}}),
        ("POST", "/rest/v1/items", {"content": b"{not json"}),
        ("PATCH", "/rest/v1/items?sku=eq.A1", {"json": [{"note": "x"}]}),
        ("GET", "/rest/v1/items?limit=-1", {}),
        ("GET", "/rest/v1/items?or=(sku.eq.A1", {}),
        ("PUT", "/rest/v1/items?sku=eq.A1", {"json": {"sku": "A1"}}),
    ]:
        before = len(stand_in.violations)
        response = raw(stand_in, method, path, **kwargs)
        assert response.status_code >= 400, (method, path)
        assert len(stand_in.violations) > before, (method, path)
    stand_in.reset()


def test_unknown_column_is_postgres_error(service: Client) -> None:
    with pytest.raises(APIError) as caught:
        service.table("items").select("sku,colour").execute()
    assert caught.value.code == "42703"
    with pytest.raises(APIError) as caught:
        service.table("no_such_table").select("*").execute()
    assert caught.value.code == "PGRST205"


def test_rpc_read_only_calls_counts_and_max_affected(
    service: Client, stand_in: PostgrestStandIn, database: str
) -> None:
    got = service.rpc("cheap_items", {"max_price": 11}, get=True).eq("active", True).execute()
    assert sorted(skus(got.data)) == ["A1", "B1"]
    assert stand_in.requests[-1].method == "GET"
    head = service.rpc("cheap_items", {"max_price": 11}, head=True, count="exact").execute()
    assert head.count == 3
    created = (
        service.table("events")
        .insert([{"kind": "c1"}, {"kind": "c2"}], count="exact", returning="minimal")
        .execute()
    )
    assert created.count == 2
    deleted = service.table("events").delete().like("kind", "c*").max_affected(1)
    with pytest.raises(APIError) as caught:
        deleted.execute()
    assert caught.value.code == "PGRST124"
    assert sql_rows(database, "SELECT count(*) FROM events WHERE kind LIKE 'c_'") == [(2,)]
    updated = service.table("events").update({"qty": 9}, count="exact").like("kind", "c*").execute()
    assert updated.count == 2
    assert stand_in.requests[-1].headers["prefer"] == "return=representation,count=exact"
