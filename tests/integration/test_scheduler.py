"""The scheduler service: run-now queue, leases, heartbeat, recovery and shutdown."""

from __future__ import annotations

import itertools
import os
import signal
import threading
import time
from datetime import timedelta

import pytest
from sqlalchemy import insert, literal, select

from sync.engine.runner import Runner
from sync.runs import utcnow
from sync.service.scheduler import SchedulerService
from sync.storage.schema import scheduler_heartbeat, sync_locks, sync_log, sync_requests
from sync.storage.sql.queue import request_sync
from tests.conftest import SIM_TOKEN, backend_env
from tests.support.compare import diff_all
from tests.support.processes import start, stop_process, sync_env, wait_for
from tests.support.scheduler import FAST, scheduler_thread


def requests_by_status(engine) -> dict[str, int]:
    with engine.connect() as conn:
        rows = conn.execute(select(sync_requests.c.status)).scalars().all()
    return {s: rows.count(s) for s in set(rows)}


@pytest.fixture
def db_url(every_db_url):
    """Every test here runs on SQLite, Postgres and the Supabase REST backend."""
    return every_db_url


@pytest.fixture
def store(every_store):
    return every_store


@pytest.fixture
def service(store, simulator, settings_for, db_url):
    """An in-process scheduler on a thread; stopped at the end of the test."""
    settings = settings_for(db_url, simulator.api_url, **FAST, SYNC_ON_START="false")
    with scheduler_thread(settings, store) as service:
        yield service


def test_a_queued_request_is_run_within_five_seconds(service, store, simulator):
    queued_at = time.monotonic()
    enqueued = store.request_sync("products", requested_by="cfo", reason="test", now=utcnow())
    wait_for(lambda: requests_by_status(store.engine) == {"done": 1}, 15, "the request to finish")
    with store.engine.connect() as conn:
        request = conn.execute(select(sync_requests)).one()
        runs = conn.execute(select(sync_log).where(sync_log.c.run_id == request.run_id)).all()
    assert request.id == enqueued.id
    assert (request.started_at - request.requested_at) < timedelta(seconds=5)
    assert [(r.entity_type, r.trigger, r.triggered_by, r.status) for r in runs] == [
        ("products", "manual", "cfo", "success")
    ]
    assert time.monotonic() - queued_at < 15


def test_a_queued_backfill_runs_as_a_backfill_and_keeps_the_cursor(service, store):
    from datetime import date

    Runner(service.settings, store).run(entities=["sales"])
    cursor = store.cursor("sales")
    queued = store.request_sync(
        "sales",
        requested_by="cfo",
        reason="repair",
        now=utcnow(),
        action="backfill",
        date_from=date(2025, 9, 1),
        date_to=date(2025, 11, 25),
    )
    again = store.request_sync(
        "sales",
        requested_by="cfo",
        reason=None,
        now=utcnow(),
        action="backfill",
        date_from=date(2025, 9, 1),
        date_to=date(2025, 11, 25),
    )
    assert again.merged and again.id == queued.id
    wait_for(lambda: requests_by_status(store.engine) == {"done": 1}, 20, "the backfill")
    with store.engine.connect() as conn:
        run_id = conn.scalar(select(sync_requests.c.run_id))
        runs = conn.execute(select(sync_log).where(sync_log.c.run_id == run_id)).all()
    assert {(r.entity_type, r.action, r.status) for r in runs} == {
        ("sales", "backfill", "success"),
        ("sale_line_items", "backfill", "success"),
    }
    assert runs[0].records_upserted > 0
    assert store.cursor("sales") == cursor


def test_a_second_request_for_the_same_entity_is_merged(store):
    first = store.request_sync("sales", requested_by="a", reason=None, now=utcnow())
    again = store.request_sync("sales", requested_by="b", reason=None, now=utcnow())
    covered = store.request_sync("all", requested_by="c", reason=None, now=utcnow())
    inside_all = store.request_sync("outlets", requested_by="d", reason=None, now=utcnow())
    assert not first.merged and again.merged and again.id == first.id
    assert not covered.merged
    assert inside_all.merged and inside_all.id == covered.id


def test_a_request_is_claimed_by_exactly_one_scheduler(store):
    for entity in ("sales", "sales", "products"):
        with store.engine.begin() as conn:
            conn.execute(
                insert(sync_requests).values(
                    store="default", entity_type=entity, requested_at=utcnow()
                )
            )
    first = store.claim_request("a", utcnow())
    second = store.claim_request("b", utcnow())
    assert first.entity == "sales" and len(first.ids) == 2  # the queued twin rides along
    assert second.entity == "products"
    assert store.claim_request("c", utcnow()) is None


def test_a_run_is_skipped_while_another_process_holds_the_entity(
    store, simulator, settings_for, db_url
):
    settings = settings_for(db_url, simulator.api_url)
    with store.engine.begin() as conn:
        conn.execute(
            insert(sync_locks).values(
                store="default",
                entity_type="products",
                holder="other-host:1:abc",
                host="other-host",
                pid=1,
                acquired_at=utcnow(),
                expires_at=utcnow() + timedelta(minutes=5),
            )
        )
    results = Runner(settings, store).run(entities=["products", "outlets"])
    assert [(r.entity, r.status) for r in results] == [
        ("products", "skipped"),
        ("outlets", "success"),
    ]
    assert "other-host" in results[0].note


def test_an_expired_lease_is_taken_over(store):
    with store.engine.begin() as conn:
        conn.execute(
            insert(sync_locks).values(
                store="default",
                entity_type="sales",
                holder="gone:1:x",
                host="gone",
                pid=1,
                acquired_at=utcnow() - timedelta(hours=1),
                expires_at=utcnow() - timedelta(seconds=1),
            )
        )
    assert store.leases(300).acquire("sales", utcnow()) is None


def test_heartbeat_reports_alive_then_stopped(store, simulator, settings_for, db_url):
    settings = settings_for(db_url, simulator.api_url, **FAST, SYNC_ON_START="false")
    service = SchedulerService(settings, store)
    thread = threading.Thread(target=service.run_forever, daemon=True)
    thread.start()
    try:
        wait_for(lambda: _beat(store) is not None, 10, "a heartbeat")
        beat = _beat(store)
        assert beat.pid == os.getpid() and beat.next_run_at is not None
        assert {j["name"] for j in beat.activity["jobs"]} == {"incremental: all"}
    finally:
        service.stop.set()
        thread.join(timeout=15)
    assert _beat(store).activity["state"] == "stopped"


def _beat(store):
    with store.engine.connect() as conn:
        return conn.execute(select(scheduler_heartbeat)).first()


# -- the scheduler as a real service (subprocesses) -------------------------------------


@pytest.fixture
def small_simulator():
    from sync.simulator import SimulatorConfig, SimulatorServer

    with SimulatorServer(SimulatorConfig(seed=3, scale="small", token=SIM_TOKEN)) as sim:
        yield sim


def _running_pages(store) -> int:
    with store.engine.connect() as conn:
        return (
            conn.scalar(select(sync_log.c.pages).where(sync_log.c.status == "running").limit(1))
            or 0
        )


def test_two_schedulers_fifty_requests_and_cli_runs_never_overlap(
    store, simulator, db_url, tmp_path, every_backend, request
):
    env = sync_env(
        db_url,
        simulator.api_url,
        tmp_path / "logs",
        SIM_TOKEN,
        **FAST,
        SYNC_PAGE_SIZE="10",
        **backend_env(every_backend, request),
    )
    entities = ["customers", "outlets", "products", "sales", "inventory", "all"]
    with store.engine.begin() as conn:
        conn.execute(
            insert(sync_requests).values(store=literal("default")),
            [
                {
                    "entity_type": entities[i % len(entities)],
                    "requested_by": f"user{i}",
                    "requested_at": utcnow() + timedelta(milliseconds=i),
                }
                for i in range(50)
            ],
        )
    schedulers = [start(["scheduler"], env, tmp_path, tmp_path / f"sched{i}.log") for i in (1, 2)]
    cli_runs = [start(["run"], env, tmp_path, tmp_path / f"cli{i}.log") for i in (1, 2)]
    try:
        for process in cli_runs:
            assert process.wait(timeout=120) == 0, (tmp_path / "cli1.log").read_text()
        wait_for(lambda: requests_by_status(store.engine) == {"done": 50}, 120, "all requests done")
        simulator.mutate(new_sales=3, update_products=2)
        assert start(["run"], env, tmp_path, tmp_path / "cli3.log").wait(timeout=60) == 0
    finally:
        codes = [stop_process(p) for p in schedulers]
    assert codes == [0, 0]
    with store.engine.connect() as conn:
        requests = conn.execute(select(sync_requests)).all()
        runs = conn.execute(select(sync_log).order_by(sync_log.c.started_at)).all()
    manual_runs = {r.run_id for r in runs if r.trigger == "manual"}
    assert {r.run_id for r in requests} <= manual_runs, "every request points at its run"
    assert all(r.claimed_by for r in requests)
    by_entity: dict[str, list] = {}
    for run in runs:
        assert run.status in ("success", "partial"), (
            run.entity_type,
            run.status,
            run.error_details,
        )
        by_entity.setdefault(run.entity_type, []).append(run)
    for entity, entity_runs in by_entity.items():
        for earlier, later in itertools.pairwise(entity_runs):
            assert earlier.finished_at <= later.started_at, f"{entity} runs overlap"
    assert diff_all(store.engine, simulator) == []


def test_kill_9_of_the_scheduler_mid_run_is_recovered(
    store, small_simulator, db_url, tmp_path, every_backend, request
):
    env = sync_env(
        db_url,
        small_simulator.api_url,
        tmp_path / "logs",
        SIM_TOKEN,
        **FAST,
        SYNC_PAGE_SIZE="10",
        **backend_env(every_backend, request),
    )
    first = start(["scheduler"], env, tmp_path, tmp_path / "first.log")
    wait_for(lambda: _running_pages(store) >= 5, 60, "a run in progress")
    os.kill(first.pid, signal.SIGKILL)
    first.wait(timeout=10)
    with store.engine.connect() as conn:
        orphan = conn.execute(select(sync_log).where(sync_log.c.status == "running")).first()
        lease = conn.execute(select(sync_locks)).first()
    assert orphan is not None and lease is not None and lease.pid == first.pid

    # Pages of 10 make the first run long enough to be killed; the recovery may take 100s.
    recovering = {**env, "SYNC_PAGE_SIZE": "100"}
    second = start(["scheduler"], recovering, tmp_path, tmp_path / "second.log")
    try:

        def recovered_and_synced() -> bool:
            with store.engine.connect() as conn:
                status = conn.scalar(select(sync_log.c.status).where(sync_log.c.id == orphan.id))
                synced = conn.execute(
                    select(sync_log.c.entity_type, sync_log.c.id).where(
                        sync_log.c.status == "success"
                    )
                ).all()
            # The cut entity is synced again; an entity the first scheduler finished before
            # the kill is skipped this cycle ("already synced"): its success may come first.
            again = {entity for entity, log_id in synced if log_id > orphan.id}
            done = {entity for entity, _ in synced}
            return (
                status == "interrupted"
                and orphan.entity_type in again
                and {"sales", "inventory", "customers"} <= done
            )

        wait_for(recovered_and_synced, 120, "recovery and a complete run")
    finally:
        assert stop_process(second) == 0
    assert diff_all(store.engine, small_simulator) == []


def test_sigterm_during_a_long_run_exits_cleanly_within_ten_seconds(
    store, small_simulator, db_url, tmp_path, every_backend, request
):
    env = sync_env(
        db_url,
        small_simulator.api_url,
        tmp_path / "logs",
        SIM_TOKEN,
        **FAST,
        SYNC_PAGE_SIZE="10",
        **backend_env(every_backend, request),
    )
    process = start(["scheduler"], env, tmp_path, tmp_path / "sched.log")
    wait_for(lambda: _running_pages(store) >= 3, 60, "a run in progress")
    sent = time.monotonic()
    process.send_signal(signal.SIGTERM)
    assert process.wait(timeout=10) == 0
    assert time.monotonic() - sent < 10
    with store.engine.connect() as conn:
        statuses = conn.execute(select(sync_log.c.entity_type, sync_log.c.status)).all()
        leases = conn.execute(select(sync_locks)).all()
    assert "running" not in {s for _, s in statuses}
    assert any(s == "interrupted" for _, s in statuses)
    assert leases == []
    # Nothing half-written: what is stored is exactly the source up to each cursor.
    for entity in ("customers", "products", "inventory", "sales", "outlets"):
        cursor = store.cursor(entity)
        truth = [r for r in small_simulator.dump(entity) if r["version"] <= cursor]
        from sync.entities import ENTITY_BY_NAME
        from tests.support.compare import diff_entity

        assert diff_entity(store.engine, ENTITY_BY_NAME[entity], truth) == []
    assert _beat(store).activity["state"] == "stopped"


@pytest.mark.postgres
def test_the_scheduler_survives_a_database_outage_and_resumes(pg_url, simulator, tmp_path):
    from sync.storage.sql.db import create_db_engine, migrate
    from tests.support.tcp_proxy import TcpProxy

    direct = create_db_engine(pg_url)
    migrate(direct)
    proxy = TcpProxy(5432).start()
    url = pg_url.replace("127.0.0.1:5432", f"127.0.0.1:{proxy.port}")
    env = sync_env(url, simulator.api_url, tmp_path / "logs", SIM_TOKEN, **FAST)
    log_file = tmp_path / "sched.log"
    process = start(["scheduler"], env, tmp_path, log_file)
    try:
        wait_for(lambda: requests_by_status(direct) == {} and _synced(direct), 60, "first sync")
        proxy.stop()

        def failures() -> int:
            return log_file.read_text().count("DATABASE")

        wait_for(lambda: failures() > 0, 30, "the scheduler to meet the outage")
        request_sync(
            direct, "default", "all", requested_by="cfo", reason="during outage", now=utcnow()
        )
        seen = failures()
        wait_for(lambda: failures() > seen, 30, "the scheduler to try again during the outage")
        assert process.poll() is None, "the scheduler must keep running"
        proxy.start()
        wait_for(
            lambda: requests_by_status(direct) == {"done": 1}, 90, "the request after recovery"
        )
        with direct.connect() as conn:
            beat = conn.scalar(select(scheduler_heartbeat.c.last_beat_at))
        assert utcnow() - beat < timedelta(seconds=10)
    finally:
        assert stop_process(process) == 0
        proxy.stop()
        direct.dispose()


def _synced(engine) -> bool:
    with engine.connect() as conn:
        return (
            conn.scalar(
                select(sync_log.c.id).where(
                    sync_log.c.entity_type == "sales", sync_log.c.status == "success"
                )
            )
            is not None
        )


def test_nightly_maintenance_reconciles_and_prunes(store, simulator, settings_for, db_url):
    from sync.storage.schema import reconciliations

    settings = settings_for(db_url, simulator.api_url, **FAST, SYNC_ON_START="false")
    service = SchedulerService(settings, store)
    with store.engine.begin() as conn:
        conn.execute(
            insert(sync_log).values(
                store="default",
                run_id="ancient",
                entity_type="sales",
                action="incremental",
                trigger="schedule",
                status="success",
                started_at=utcnow() - timedelta(days=800),
            )
        )
    service.run_maintenance()
    with store.engine.connect() as conn:
        if store.sql is None:
            # Over the REST API maintenance is off (and says so in the log): nothing changes.
            assert conn.execute(select(reconciliations.c.status)).all() == []
            assert conn.execute(select(sync_log).where(sync_log.c.run_id == "ancient")).all()
            return
        checks = conn.execute(select(reconciliations.c.status)).scalars().all()
        ancient = conn.execute(select(sync_log).where(sync_log.c.run_id == "ancient")).all()
    assert checks and set(checks) == {"matched"}
    assert ancient == []


def test_the_stores_of_one_process_prune_the_shared_history_once_a_night(
    store, simulator, settings_for, db_url
):
    """Each store's loop runs its nightly job, but the history tables hold every store's
    rows: the first loop's pass prunes them, the next loops' the same night do not repeat it."""
    from sync.service.maintenance import NightlyPrune

    if store.sql is None:
        pytest.skip("maintenance needs a direct database connection")
    settings = settings_for(db_url, simulator.api_url, **FAST, SYNC_ON_START="false")
    shared = NightlyPrune()
    first, second = (SchedulerService(settings, store, pruning=shared) for _ in range(2))

    def ancient(run_id: str) -> list:
        with store.engine.connect() as conn:
            return conn.execute(select(sync_log.c.id).where(sync_log.c.run_id == run_id)).all()

    def add_ancient(run_id: str) -> None:
        with store.engine.begin() as conn:
            conn.execute(
                insert(sync_log).values(
                    store="default",
                    run_id=run_id,
                    entity_type="sales",
                    action="incremental",
                    trigger="schedule",
                    status="success",
                    started_at=utcnow() - timedelta(days=800),
                )
            )

    add_ancient("before-the-first")
    first.pruning.run(store.engine, utcnow(), settings.retention_months)
    assert ancient("before-the-first") == []
    add_ancient("between")
    second.pruning.run(store.engine, utcnow(), settings.retention_months)
    assert ancient("between"), "the second loop pruned again the same night"
    alone = SchedulerService(settings, store)  # a process of its own prunes for itself
    alone.pruning.run(store.engine, utcnow(), settings.retention_months)
    assert ancient("between") == []
    tomorrow = utcnow() + timedelta(hours=13)
    add_ancient("next-night")
    second.pruning.run(store.engine, tomorrow, settings.retention_months)
    assert ancient("next-night") == []


def test_nightly_jobs_run_at_their_time_on_the_stores_clock(store, simulator, settings_for, db_url):
    from zoneinfo import ZoneInfo

    base = {**FAST, "NIGHTLY_FULL_TIME": "02:00", "SYNC_ON_START": "false"}
    settings = settings_for(db_url, simulator.api_url, **base, STORE_TIME_ZONE="Pacific/Auckland")
    service = SchedulerService(settings, store)
    service.schedule_jobs()
    nightly = [j for j in service.jobs.get_jobs() if j.at_time is not None]
    assert nightly
    for job in nightly:
        when = job.next_run.astimezone().astimezone(ZoneInfo("Pacific/Auckland"))
        assert (when.hour, when.minute) == (2, 0)

    # Without the setting the outlets decide: before the first sync, this host's clock;
    # after it, the zone most outlets share (the simulator's are in Europe/Amsterdam).
    if store.sql is None:
        return
    plain = SchedulerService(settings_for(db_url, simulator.api_url, **base), store)
    plain.schedule_jobs()
    assert plain._plan_zone is None
    intervals = [j for j in plain.jobs.get_jobs() if j.at_time is None]
    plain._sync(["outlets"], full=False, trigger="cli", by="test")
    assert plain._plan_zone == "Europe/Amsterdam"
    assert [j for j in plain.jobs.get_jobs() if j.at_time is None] == intervals, "kept rhythm"
    for job in (j for j in plain.jobs.get_jobs() if j.at_time is not None):
        when = job.next_run.astimezone().astimezone(ZoneInfo("Europe/Amsterdam"))
        assert (when.hour, when.minute) == (2, 0)
