"""A record the database refuses never fails its page, on SQLite, Postgres and REST."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine, select

from sync.engine.runner import Runner
from sync.storage.schema import ENTITY_TABLES, sync_log, sync_rejects
from tests.support.compare import diff_all

# Kinds the simulator appends as broken (rejected); nul_in_text and lone_surrogate are kept.
REJECTED_KINDS = (
    "nul_in_id",
    "huge_number",
    "huge_version",
    "version_object",
    "oversize_id",
    "timestamp_overflow",
)
KEPT_KINDS = ("nul_in_text", "lone_surrogate")


@pytest.fixture
def db_url(every_db_url):
    """Every test here runs on SQLite, Postgres and the Supabase REST backend."""
    return every_db_url


@pytest.fixture
def store(every_store):
    return every_store


def rejects_of(engine: Engine, entity: str) -> list:
    with engine.connect() as conn:
        return conn.execute(select(sync_rejects).where(sync_rejects.c.entity_type == entity)).all()


def refuse_id(engine: Engine, table: str, source_id: str) -> None:
    """Make the database itself refuse one id: a check nobody in the sync foresaw."""
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            conn.exec_driver_sql(
                f"ALTER TABLE {table} ADD CONSTRAINT test_refuse CHECK (id <> '{source_id}')"
            )
        else:
            for event in ("INSERT", "UPDATE"):
                conn.exec_driver_sql(
                    f"CREATE TRIGGER test_refuse_{event.lower()} BEFORE {event} ON {table} "
                    f"WHEN NEW.id = '{source_id}' "
                    "BEGIN SELECT RAISE(ABORT, 'refused by a test trigger'); END"
                )


def test_a_page_with_every_hostile_record_lands_everything_else(
    store, simulator, settings_for, db_url
):
    settings = settings_for(db_url, simulator.api_url)
    kinds = REJECTED_KINDS + KEPT_KINDS
    simulator.mutate(bad_record=[{"entity": "customers", "kind": k} for k in kinds])
    simulator.mutate(
        bad_record=[
            {"entity": "sales", "kind": k}
            for k in ("nul_in_text", "huge_number", "timestamp_overflow")
        ]
    )
    results = {r.entity: r for r in Runner(settings, store).run()}
    assert results["customers"].status == "partial"
    assert results["customers"].rejected == len(REJECTED_KINDS)
    assert results["sales"].status == "partial" and results["sales"].rejected == 2
    assert results["products"].status == "success"
    assert diff_all(store.engine, simulator) == []
    assert len(rejects_of(store.engine, "customers")) == len(REJECTED_KINDS)
    assert store.cursor("customers") == max(r["version"] for r in simulator.dump("customers"))


def test_it_stores_a_nul_in_text_removed_and_a_lone_surrogate_replaced(
    store, simulator, settings_for, db_url
):
    settings = settings_for(db_url, simulator.api_url)
    added = simulator.mutate(bad_record=[{"entity": "customers", "kind": k} for k in KEPT_KINDS])
    Runner(settings, store).run(entities=["customers"])
    ids = [b["id"] for b in added["bad"]]
    table = ENTITY_TABLES["customers"]
    with store.engine.connect() as conn:
        rows = {r.id: r for r in conn.execute(select(table).where(table.c.id.in_(ids)))}
    nul, surrogate = rows[ids[0]], rows[ids[1]]
    assert nul.first_name == "Pastednote end" and nul.raw["first_name"] == "Pastednote end"
    assert nul.raw["nested"] == {"keywith nul": ["ab"]}
    assert surrogate.first_name == "broken emoji \ufffd"


@pytest.mark.parametrize(
    ("kind", "reason"),
    [
        ("nul_in_id", "NUL"),
        ("huge_number", "out of range"),
        ("huge_version", "out of range"),
        ("version_object", "version"),
        ("oversize_id", "characters"),
        ("timestamp_overflow", "deleted_at"),
    ],
)
def test_it_rejects_a_record_the_database_could_not_hold_with_the_reason(
    store, simulator, settings_for, db_url, kind, reason
):
    settings = settings_for(db_url, simulator.api_url)
    added = simulator.mutate(bad_record={"entity": "customers", "kind": kind})
    [result] = Runner(settings, store).run(entities=["customers"])
    assert result.status == "partial" and result.rejected == 1
    [reject] = rejects_of(store.engine, "customers")
    assert reason in reject.reason and reject.raw is not None and reject.run_id
    versions = [r["version"] for r in simulator.dump("customers")] + [added["bad"][0]["version"]]
    assert store.cursor("customers") == max(versions)


def test_a_record_the_database_refuses_for_an_unforeseen_reason_is_found_and_rejected(
    store, simulator, settings_for, db_url
):
    settings = settings_for(db_url, simulator.api_url)
    customers = simulator.dump("customers")
    victim = customers[len(customers) // 2]["id"]
    refuse_id(store.engine, "lightspeed_customers", victim)
    [result] = Runner(settings, store).run(entities=["customers"])
    assert result.status == "partial" and result.rejected == 1
    [reject] = rejects_of(store.engine, "customers")
    assert reject.source_id == victim and "refused" in reject.reason
    table = ENTITY_TABLES["customers"]
    with store.engine.connect() as conn:
        stored = set(conn.scalars(select(table.c.id)))
        log = conn.execute(select(sync_log).where(sync_log.c.run_id == result.run_id)).one()
    assert stored == {c["id"] for c in customers} - {victim}
    assert log.status == "partial" and log.records_upserted == len(customers) - 1
    assert log.records_rejected == 1
    assert store.cursor("customers") == max(c["version"] for c in customers)
