"""The pieces of the several-store benchmark: the simulator as its own process (`python -m sync
simulator --stores N`), throwaway Postgres databases holding stores, and scheduler processes.

Everything listens on 127.0.0.1; every process started here is stopped here, by its id.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.request
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

import psycopg

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from benchmarks.api_bench import free_port  # noqa: E402
from sync.config import load_settings  # noqa: E402
from sync.runs import utcnow  # noqa: E402
from sync.storage.sql.db import create_db_engine, migrate  # noqa: E402
from sync.storage.sql.store_admin import add_store  # noqa: E402
from sync.storage.stores import StoreInfo, configured_store  # noqa: E402

PG_ADMIN = "postgresql://postgres@127.0.0.1:5432/postgres"
TOKEN = "dev-token-{prefix}"  # the simulator's public per-store tokens
# Settings a scheduler child must not inherit from the shell that started the benchmark.
INHERITED = ("DATABASE_URL", "API_DATABASE_URL", "DASHBOARD_DATABASE_URL", "SUPABASE_URL")


def stop(process: subprocess.Popen, timeout: float = 30.0) -> None:
    """SIGTERM, then SIGKILL after `timeout` (only this process, by its id)."""
    if process.poll() is not None:
        return
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=10)


@dataclass
class Simulator:
    """`python -m sync simulator --stores N --sales S` with a per-store fixed-window limit."""

    url: str
    prefixes: list[str]
    process: subprocess.Popen

    @property
    def api_url(self) -> str:
        """LIGHTSPEED_BASE_URL for every store: the prefix goes where {prefix} is."""
        return f"{self.url}/{{prefix}}/api/2.0"

    def _get(self, prefix: str, path: str) -> Any:
        with urllib.request.urlopen(f"{self.url}/{prefix}/_sim/{path}", timeout=60) as answer:
            return json.loads(answer.read(), parse_float=Decimal)

    def stats(self, prefix: str) -> dict[str, Any]:
        """The store's request counters: total, by_path, by_status."""
        return self._get(prefix, "stats")

    def too_many(self) -> int:
        """429 answers over every store since the last reset."""
        return sum(int(self.stats(p)["by_status"].get("429", 0)) for p in self.prefixes)

    def requests(self) -> int:
        """API requests over every store since the last reset."""
        return sum(int(self.stats(p)["total"]) for p in self.prefixes)

    def reset_stats(self) -> None:
        """Zero every store's counters."""
        for prefix in self.prefixes:
            request = urllib.request.Request(
                f"{self.url}/{prefix}/_sim/stats/reset", data=b"", method="POST"
            )
            urllib.request.urlopen(request, timeout=30).close()

    def site(self, prefix: str) -> Any:
        """An object with `dump(entity)`, as tests/support/compare.diff_all takes."""
        sim = self

        class Dump:
            def dump(self, entity: str) -> list[dict[str, Any]]:
                return sim._get(prefix, f"dump/{entity}")["data"]

        return Dump()


@contextmanager
def simulator(stores: int, sales: int, limit: int, window: float) -> Iterator[Simulator]:
    """The simulator serving store1..storeN, each with `sales` sales and `limit` requests
    per `window` seconds of its own."""
    port = free_port()
    command = [
        sys.executable, "-m", "sync", "simulator", "--port", str(port),
        "--stores", str(stores), "--sales", str(sales),
        "--rate-limit", str(limit), "--rate-window", str(window),
    ]  # fmt: skip
    process = subprocess.Popen(
        command,
        cwd=REPO,
        env={**os.environ, "PYTHONPATH": str(REPO)},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    prefixes = [f"store{n}" for n in range(1, stores + 1)]
    try:
        assert process.stdout is not None
        for line in process.stdout:  # the banner lists every store once they are generated
            if line.strip().startswith(f"store {prefixes[-1]}:"):
                break
        else:
            raise RuntimeError("the simulator stopped before serving")
        yield Simulator(f"http://127.0.0.1:{port}", prefixes, process)
    finally:
        stop(process)


@dataclass
class Database:
    """A throwaway Postgres database holding some of the simulator's stores."""

    url: str
    name: str
    first: str
    prefixes: list[str] = field(default_factory=list)
    peak_connections: int = 0  # the most connections seen at once (other than the poller's)

    @property
    def dsn(self) -> str:
        """The psycopg form of the URL."""
        return f"postgresql://postgres@127.0.0.1:5432/{self.name}"


@contextmanager
def throwaway_database(label: str) -> Iterator[str]:
    """CREATE DATABASE, yield its SQLAlchemy URL, DROP it (even on failure)."""
    name = f"lsync_{label}_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}"
    finally:
        with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def sync_env(sim_api_url: str, db_url: str, first: str, **settings: str) -> dict[str, str]:
    """The environment of a `python -m sync` child: the first store configured, the others
    read from lightspeed_stores."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("LIGHTSPEED_")}
    for name in INHERITED:
        env.pop(name, None)
    return {
        **env,
        "PYTHONPATH": str(REPO),
        "DATABASE_URL": db_url,
        "LIGHTSPEED_BASE_URL": sim_api_url,
        "LIGHTSPEED_DOMAIN_PREFIX": first,
        "LIGHTSPEED_TOKEN": TOKEN.replace("{prefix}", first),
        **settings,
    }


@contextmanager
def store_database(label: str, env: dict[str, str], prefixes: list[str]) -> Iterator[Database]:
    """A migrated throwaway database whose stores are `prefixes` (the first one configured
    by the settings, the others added as `store add` does, with their own tokens)."""
    with throwaway_database(label) as url:
        env = {**env, "DATABASE_URL": url}
        settings = load_settings(env, env_file=None)
        engine = create_db_engine(url)
        try:
            migrate(engine, configured_store(settings))
            for n, prefix in enumerate(prefixes[1:], start=2):
                info = StoreInfo(prefix, f"Store {n}", "token", None)
                add_store(engine, info, TOKEN.replace("{prefix}", prefix), now=utcnow())
        finally:
            engine.dispose()
        name = url.rsplit("/", 1)[-1]
        yield Database(url, name, prefixes[0], list(prefixes))


def start_scheduler(env: dict[str, str], log_dir: Path) -> subprocess.Popen:
    """`python -m sync scheduler` with its own LOG_DIR (its console goes to console.log)."""
    log_dir.mkdir(parents=True, exist_ok=True)
    console = (log_dir / "console.log").open("ab")
    return subprocess.Popen(
        [sys.executable, "-m", "sync", "--env-file", os.devnull, "scheduler"],
        cwd=REPO,
        env={**env, "LOG_DIR": str(log_dir)},
        stdout=console,
        stderr=subprocess.STDOUT,
    )


def wait_for(check: Any, deadline: float, what: str, every: float = 0.2) -> Any:
    """Poll `check()` until it returns something true; RuntimeError after `deadline`."""
    while True:
        found = check()
        if found:
            return found
        if time.monotonic() > deadline:
            raise RuntimeError(f"timed out waiting for {what}")
        time.sleep(every)
