"""Shared fixtures: throwaway databases (SQLite and Postgres), the simulator, settings."""

from __future__ import annotations

import contextlib
import gc
import logging
import os
import shutil
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg
import pytest
import streamlit.logger

from sync.config import Settings, load_settings
from sync.storage.sql.db import create_db_engine, migrate
from sync.storage.sql.store import Store
from tests.support.api_login import ensure_api_login
from tests.support.dashboard_login import ensure_dashboard_login
from tests.support.pg_pool import DatabasePool
from tests.support.roles import roles_in_use

# Importing the dashboard outside `streamlit run` (unit tests, AppTest) makes Streamlit warn
# "missing ScriptRunContext" and "No runtime found": expected there, and noise in the output.
# Setting the level is not enough: Streamlit sets it again from its `logger.level` option
# whenever it parses its config (lazily, on the first option read; in-process it ignores
# the environment variable, which only child `streamlit run` processes read). A filter on
# the two loggers survives every re-parse.
os.environ.setdefault("STREAMLIT_LOGGER_LEVEL", "error")
streamlit.logger.set_log_level("error")


class _BareModeChatter(logging.Filter):
    """Drops Streamlit's bare-mode warnings; errors still pass."""

    def filter(self, record: logging.LogRecord) -> bool:
        return record.levelno >= logging.ERROR


for _name in (
    "streamlit.runtime.scriptrunner_utils.script_run_context",
    "streamlit.runtime.caching.cache_data_api",
):
    logging.getLogger(_name).addFilter(_BareModeChatter())

PG_ADMIN = "postgresql://postgres@127.0.0.1:5432/postgres"
SIM_TOKEN = "sim-token-0123456789"


@pytest.fixture(autouse=True)
def _root_logging_left_as_found() -> Iterator[None]:
    """A handler a test leaves on the root logger (a console handler on that test's captured
    stderr, closed once it ends) would make every later log line of the worker print a
    "Logging error" traceback: take it off after each test. pytest's own handlers stay."""
    root = logging.getLogger()
    before = set(root.handlers)
    yield
    for handler in root.handlers[:]:
        if handler not in before and not type(handler).__module__.startswith("_pytest"):
            root.removeHandler(handler)


@pytest.fixture
def reader_logins(postgres_server: str) -> Iterator[None]:
    """The API's and the dashboard's logins, made as the tests need them, and kept so (the
    role lock held shared) while the test reads through them."""
    ensure_api_login(postgres_server)
    ensure_dashboard_login(postgres_server)
    with roles_in_use(postgres_server):
        yield


def pg_database_url(name: str) -> str:
    """The SQLAlchemy URL of database `name` on the local server."""
    return f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}"


def _postgres_available() -> str | None:
    try:
        with psycopg.connect(PG_ADMIN, connect_timeout=3):
            return None
    except psycopg.Error as exc:
        return str(exc).strip().splitlines()[0]


@pytest.fixture(scope="session")
def postgres_server() -> str:
    """The admin URL of the local Postgres; skips (or fails with REQUIRE_POSTGRES=1)."""
    problem = _postgres_available()
    if problem:
        if os.environ.get("REQUIRE_POSTGRES") == "1":
            pytest.fail(f"Postgres is required (REQUIRE_POSTGRES=1) but unreachable: {problem}")
        pytest.skip(f"Postgres unreachable: {problem}")
    return PG_ADMIN


def create_pg_database(
    admin_url: str, template: str | None = None, prefix: str = "lsync_test"
) -> tuple[str, Callable[[], None]]:
    """Create a throwaway database (a copy of `template` if given); returns its SQLAlchemy URL
    and a drop function. Names are unique: other suites share this server."""
    name = f"{prefix}_{uuid.uuid4().hex[:12]}"
    copy = f' TEMPLATE "{template}"' if template else ""
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"{copy}')

    def drop() -> None:
        with psycopg.connect(admin_url, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    return pg_database_url(name), drop


def _db_name(url: str) -> str:
    return url.rsplit("/", 1)[1]


@contextlib.contextmanager
def migrated_template(admin_url: str, prepare: Callable[[str], None]) -> Iterator[str]:
    """A database prepared once (`prepare(url)`), for `CREATE DATABASE ... TEMPLATE`; dropped
    at the end. Its name carries this process's id (each xdist worker has its own)."""
    url, drop = create_pg_database(admin_url, prefix=f"lsync_tpl_{os.getpid()}")
    try:
        prepare(url)  # must leave no connection open: a template in use cannot be copied
        yield _db_name(url)
    finally:
        drop()


def _migrate_url(url: str) -> None:
    engine = create_db_engine(url)
    try:
        migrate(engine)
    finally:
        engine.dispose()


@pytest.fixture(scope="session")
def pg_template(postgres_server: str) -> Iterator[str]:
    """Our migrations, applied once per session: the databases of `store` tests copy it."""
    with migrated_template(postgres_server, _migrate_url) as name:
        yield name


# Fixtures that migrate the test's database themselves: their tests get a copy of the
# migrated template instead of an empty database (the migrations then find nothing to do),
# which is the state they would have reached anyway, in a fraction of the time.
MIGRATING_FIXTURES = frozenset({"store", "every_store", "any_store", "sql_mapping_store"})


def _migrates(request: pytest.FixtureRequest) -> bool:
    return not MIGRATING_FIXTURES.isdisjoint(request.fixturenames)


def _pool(admin_url: str, template: str | None) -> Iterator[DatabasePool]:
    pool = DatabasePool(admin_url, template, prefix="lsync_test")
    try:
        yield pool
    finally:
        pool.close()


@pytest.fixture(scope="session")
def empty_db_pool(postgres_server: str) -> Iterator[DatabasePool]:
    """Empty databases, made ahead."""
    yield from _pool(postgres_server, None)


@pytest.fixture(scope="session")
def migrated_db_pool(postgres_server: str, pg_template: str) -> Iterator[DatabasePool]:
    """Copies of the migrated template, made ahead (closed before the template is dropped)."""
    yield from _pool(postgres_server, pg_template)


@pytest.fixture
def pg_url(request: pytest.FixtureRequest) -> Iterator[str]:
    """An empty database, or a migrated one for the tests of MIGRATING_FIXTURES."""
    pool = request.getfixturevalue("migrated_db_pool" if _migrates(request) else "empty_db_pool")
    name = pool.take()
    yield pg_database_url(name)
    pool.drop_later(name)


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite file migrated once per session (checkpointed and closed: one file to copy)."""
    path = tmp_path_factory.mktemp("sqlite-template") / "template.db"
    _migrate_url(f"sqlite:///{path}")
    return path


@pytest.fixture
def sqlite_url(tmp_path: Path, request: pytest.FixtureRequest) -> str:
    """An empty SQLite file, or a copy of the migrated one for MIGRATING_FIXTURES' tests."""
    path = tmp_path / "copy.db"
    if _migrates(request):
        shutil.copy2(request.getfixturevalue("sqlite_template"), path)  # mode 0600 kept
    return f"sqlite:///{path}"


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def db_url(request) -> str:
    """Each test using this runs once on SQLite and once on Postgres."""
    if request.param == "sqlite":
        return request.getfixturevalue("sqlite_url")
    return request.getfixturevalue("pg_url")


@pytest.fixture
def store(db_url: str) -> Iterator[Store]:
    engine = create_db_engine(db_url)
    migrate(engine)
    store = Store(engine)
    store.ensure_state_rows()
    yield store
    engine.dispose()


@pytest.fixture
def simulator() -> Iterator[Any]:
    """A tiny-scale simulator on a free port."""
    from sync.simulator import SimulatorConfig, SimulatorServer

    with SimulatorServer(SimulatorConfig(seed=7, scale="tiny", token=SIM_TOKEN)) as sim:
        yield sim


def make_settings(db_url: str, api_url: str, **extra: str) -> Settings:
    env = {
        "DATABASE_URL": db_url,
        "LIGHTSPEED_BASE_URL": api_url,
        "LIGHTSPEED_TOKEN": SIM_TOKEN,
        "LIGHTSPEED_TIMEOUT_SECONDS": "5",
        **extra,
    }
    return load_settings(env, env_file=None)


@pytest.fixture
def settings_for() -> Callable[..., Settings]:
    return make_settings


@pytest.fixture
def smtp() -> Iterator[Any]:
    """A real SMTP server (aiosmtpd) on a free loopback port."""
    from tests.support.receivers import SmtpReceiver

    with SmtpReceiver() as receiver:
        yield receiver


@pytest.fixture
def webhook() -> Iterator[Any]:
    """A real HTTP server on loopback that records JSON POSTs."""
    from tests.support.receivers import WebhookReceiver

    with WebhookReceiver() as receiver:
        yield receiver


# -- Supabase: a Postgres database with Supabase's roles behind a PostgREST stand-in --------

# Key-shaped strings (long, JWT-like) so that masking tests are meaningful.
SERVICE_KEY = "eyJhbGciOiJIUzI1NiJ9.c2VydmljZV9yb2xlLXRlc3Qta2V5.U2VjcmV0U2VydmljZUtleTAxMjM0"
READER_KEY = "eyJhbGciOiJIUzI1NiJ9.ZGFzaGJvYXJkX3JlYWRlci10ZXN0.UmVhZGVyS2V5U2lnbmF0dXJlNTY3"
ANON_KEY = "eyJhbGciOiJIUzI1NiJ9.YW5vbi10ZXN0LWtleS1wdWJsaWM.QW5vbktleVNpZ25hdHVyZTg5MDEy"


@dataclass
class SupabaseProject:
    """A local stand-in for a Supabase project: REST URL, keys, and the database behind it."""

    url: str
    db_url: str
    server: Any
    engine: Any
    service_key: str = SERVICE_KEY
    reader_key: str = READER_KEY
    anon_key: str = ANON_KEY


@pytest.fixture(scope="session")
def supabase_template(postgres_server: str) -> Iterator[str]:
    """Supabase's roles and default grants, then our migrations, once per session."""
    from tests.support.supabase_roles import apply_supabase_defaults, ensure_cluster_roles

    def prepare(url: str) -> None:
        ensure_cluster_roles(postgres_server)
        apply_supabase_defaults(url)
        _migrate_url(url)

    with migrated_template(postgres_server, prepare) as name:
        yield name


@pytest.fixture(scope="session")
def supabase_db_pool(postgres_server: str, supabase_template: str) -> Iterator[DatabasePool]:
    """Copies of the Supabase-like template, made ahead."""
    yield from _pool(postgres_server, supabase_template)


@pytest.fixture(scope="session")
def postgrest_server() -> Iterator[Any]:
    """One PostgREST stand-in for the session; each `supabase_project` attaches its database."""
    from tests.support.postgrest import PostgrestStandIn

    with PostgrestStandIn("postgresql://unused", {}) as server:
        server.detach()
        yield server


@pytest.fixture
def supabase_project(
    postgres_server: str, supabase_db_pool: DatabasePool, postgrest_server: Any
) -> Iterator[SupabaseProject]:
    """A database with Supabase's roles and default grants and our migrations (a copy of the
    session's template), behind the session's PostgREST stand-in."""
    from tests.support.supabase_roles import ensure_cluster_roles

    ensure_cluster_roles(postgres_server)  # cluster-wide: cheap to check, never assumed
    name = supabase_db_pool.take()
    db_url = pg_database_url(name)
    engine = create_db_engine(db_url)
    keys = {SERVICE_KEY: "service_role", READER_KEY: "dashboard_reader", ANON_KEY: "anon"}
    postgrest_server.attach(db_url, keys)
    try:
        yield SupabaseProject(
            url=postgrest_server.url, db_url=db_url, server=postgrest_server, engine=engine
        )
        violations = list(postgrest_server.violations)
    finally:
        postgrest_server.detach()
        engine.dispose()
        supabase_db_pool.drop_later(name)
    assert violations == [], "requests outside PostgREST's protocol"


def open_rest_store(project: SupabaseProject) -> Any:
    """A RestStore on the stand-in; `.engine` reaches the database behind it (for asserts)."""
    from sync.storage.rest.store import RestStore

    store = RestStore(project.url, project.service_key, timeout_seconds=10)
    store.engine = project.engine  # type: ignore[attr-defined]
    return store


BACKENDS = [
    "sqlite",
    pytest.param("postgres", marks=pytest.mark.postgres),
    pytest.param("supabase-rest", marks=pytest.mark.postgres),
]


@pytest.fixture(params=BACKENDS)
def every_backend(request) -> str:
    """Each behavioural test using this runs on SQLite, Postgres and the Supabase REST API."""
    return request.param


@pytest.fixture
def every_db_url(every_backend: str, request) -> str:
    """The database URL of the backend (for REST: the database behind the stand-in)."""
    if every_backend == "sqlite":
        return request.getfixturevalue("sqlite_url")
    if every_backend == "postgres":
        return request.getfixturevalue("pg_url")
    return request.getfixturevalue("supabase_project").db_url


@pytest.fixture
def every_store(every_backend: str, every_db_url: str, request) -> Iterator[Any]:
    """The store of the backend, migrated, with its sync_state rows."""
    if every_backend == "supabase-rest":
        store = open_rest_store(request.getfixturevalue("supabase_project"))
        store.ensure_state_rows()
        yield store
        store.close()
        return
    engine = create_db_engine(every_db_url)
    migrate(engine)
    sql_store = Store(engine)
    sql_store.ensure_state_rows()
    yield sql_store
    engine.dispose()


def backend_env(every_backend: str, request) -> dict[str, str]:
    """Environment that points a child `python -m sync` at the backend."""
    if every_backend != "supabase-rest":
        return {}
    project = request.getfixturevalue("supabase_project")
    return {
        "DATABASE_URL": "",
        "SUPABASE_URL": project.url,
        "SUPABASE_SERVICE_ROLE_KEY": project.service_key,
    }


# -- Several processes (make test: pytest-xdist, -n 4 --dist loadgroup) ---------------------

# Two serial groups, each run one test after the other on one worker while the other workers
# run the rest: the browser tests (tests/e2e/), so that two browsers and Streamlit servers
# never compete for the two cores, and the tests whose assertions hold a wall-clock bound, so
# that two of those never do. The groups run side by side: one browser test waits mostly on
# its page, and the browser group alone is most of the suite's time. A module is listed whole.
BROWSER_GROUP = "browsers"
CLOCK_GROUP = "clock"
CLOCK_MODULES = frozenset(
    {
        "tests/integration/test_api_timeouts.py",
        "tests/integration/test_cli_check.py",
        "tests/integration/test_cli_unreachable.py",
        "tests/integration/test_rate_budget.py",
        "tests/integration/test_scheduler_idle.py",
        "tests/integration/test_store_fleet.py",
        "tests/integration/test_trickle.py",
        "tests/security/test_big_body.py",
        "tests/unit/test_client.py",
        "tests/unit/test_client_retries.py",
    }
)


def serial_group(nodeid: str) -> str | None:
    """The serial group of a test (its node id), or None: a unit of its own."""
    module = nodeid.split("::", 1)[0]
    if module.startswith("tests/e2e/"):
        return BROWSER_GROUP
    return CLOCK_GROUP if module in CLOCK_MODULES else None


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Mark the serial groups' tests `xdist_group(name)` (for `-m`, and for xdist itself
    once it can rename pytest 9's node ids again: see pytest_xdist_make_scheduler)."""
    for item in items:
        group = serial_group(item.nodeid)
        if group is not None:
            item.add_marker(pytest.mark.xdist_group(group))


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_make_scheduler(config: pytest.Config, log: Any) -> Any:
    """`--dist loadgroup` that works on pytest 9.2.

    xdist 3.8's loadgroup reads a test's group from a "@group" suffix it adds to the node id
    by setting `item._nodeid`, which pytest 9.2 no longer reads (it keeps `item._id`): every
    test ended up in no group, and the browser tests ran on both workers at once. This
    scheduler is xdist's own (LoadScopeScheduling, as loadgroup is) with the group decided
    from the node id: each serial group one unit, every other test a unit of its own.
    """
    if config.getvalue("dist") != "loadgroup":
        return None
    from xdist.scheduler import LoadScopeScheduling

    class SerialGroupScheduling(LoadScopeScheduling):
        def _split_scope(self, nodeid: str) -> str:
            return serial_group(nodeid) or nodeid

    return SerialGroupScheduling(config, log)


def pytest_collection_finish(session: pytest.Session) -> None:
    """Less garbage-collector work in each test process: what the imports and the collection
    made lives to the end (frozen, so full collections no longer walk it), and a collection
    starts after 50,000 new container objects instead of 700. Reference counting frees the
    rest as before. Measured on five app and integration modules under coverage: 43.6 CPU
    seconds against 47.3-49.7 without this."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(50_000, 20, 20)
