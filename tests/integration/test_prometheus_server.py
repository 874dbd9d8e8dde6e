"""deploy/prometheus-alerts.yml in a real Prometheus server that scrapes the real API.

Debian's `prometheus` scrapes `/metrics` with a read key (the README's scrape config, at a
1-s interval) and evaluates the shipped rules every second. Only the rules' `for:` waits are
set to 0 here: they are time, which `promtool test rules` checks on a simulated clock
(tests/unit/test_prometheus_rules.py). Each alert must fire in the situation it names, on a
copy that Postgres holds behind a cuttable proxy, starting with a scheduler that has never
started and sales that were never synced: series that do not exist yet.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from datetime import timedelta
from pathlib import Path

import pytest
import requests
import yaml
from sqlalchemy import insert

from sync.engine.runner import Runner
from sync.runs import Action, RunStatus, Trigger, utcnow
from sync.storage.backend import open_store
from sync.storage.schema import lightspeed_stores, sync_log
from sync.storage.sql.db import create_db_engine, migrate
from sync.storage.stores import configured_store
from tests.integration.test_api_health import live_scheduler, move_back
from tests.integration.test_two_stores import STORES, settings_of, two_store_simulator
from tests.support.api_server import RunningApi, running_api
from tests.support.receivers import free_port
from tests.support.tcp_proxy import store_behind_proxy

__all__ = ["two_store_simulator"]  # the fixture, used by name below

RULES = Path(__file__).resolve().parents[2] / "deploy" / "prometheus-alerts.yml"
PROMETHEUS = shutil.which("prometheus")
pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(
        PROMETHEUS is None and not os.environ.get("CI"), reason="apt-get install prometheus"
    ),
]
# Long enough for several scrapes and evaluations on a busy 2-core machine.
SETTLE_SECONDS = 30


class Prometheus:
    """A Prometheus server's alerts API."""

    def __init__(self, url: str) -> None:
        self.url = url

    def alerts(self) -> dict[str, str]:
        """Alert name → state ('pending' or 'firing'), for every active alert."""
        body = requests.get(f"{self.url}/api/v1/alerts", timeout=5).json()
        return {a["labels"]["alertname"]: a["state"] for a in body["data"]["alerts"]}

    def firing(self) -> set[str]:
        return {name for name, state in self.alerts().items() if state == "firing"}

    def wait_for(self, expected: set[str]) -> set[str]:
        """Wait until every `expected` alert fires; the alerts firing then."""
        deadline = time.monotonic() + SETTLE_SECONDS
        while True:
            firing = self.firing()
            if expected <= firing:
                return firing
            if time.monotonic() > deadline:
                raise AssertionError(f"firing {sorted(firing)}; expected {sorted(expected)}")
            time.sleep(0.25)

    def wait_quiet(self) -> None:
        """Wait until no alert is active (firing or pending)."""
        deadline = time.monotonic() + SETTLE_SECONDS
        while active := self.alerts():
            if time.monotonic() > deadline:
                raise AssertionError(f"still active: {active}")
            time.sleep(0.25)

    def labels(self, name: str | None = None) -> list[dict[str, str]]:
        """The labels of each active alert called `name` (default: of every active alert)."""
        body = requests.get(f"{self.url}/api/v1/alerts", timeout=5).json()
        found = [a["labels"] for a in body["data"]["alerts"]]
        return [a for a in found if name is None or a["alertname"] == name]

    def wait_series(self, expr: str) -> None:
        """Wait until a query has an answer (the first scrapes have been stored)."""
        deadline = time.monotonic() + SETTLE_SECONDS
        while not self.query(expr):
            if time.monotonic() > deadline:
                raise AssertionError(f"no series for {expr}")
            time.sleep(0.25)

    def query(self, expr: str) -> list[dict]:
        """The series a query answers."""
        body = requests.get(f"{self.url}/api/v1/query", params={"query": expr}, timeout=5)
        return body.json()["data"]["result"]

    def value(self, expr: str) -> float:
        """The value of a query that has exactly one series."""
        body = requests.get(f"{self.url}/api/v1/query", params={"query": expr}, timeout=5)
        [result] = body.json()["data"]["result"]
        return float(result["value"][1])


@contextmanager
def prometheus_scraping(api: RunningApi, folder: Path) -> Iterator[Prometheus]:
    """A Prometheus server scraping `api` with its read key, the shipped rules loaded."""
    rules = yaml.safe_load(RULES.read_text())
    for group in rules["groups"]:
        group["interval"] = "1s"
        for rule in group["rules"]:
            rule["for"] = "0s"
    (folder / "rules.yml").write_text(yaml.safe_dump(rules))
    (folder / "read.key").write_text(api.read_key)
    target = api.url.removeprefix("http://")
    config = {
        "global": {"scrape_interval": "1s", "evaluation_interval": "1s"},
        "scrape_configs": [
            {
                "job_name": "lightspeed-sync",
                "scrape_interval": "1s",
                "scrape_timeout": "1s",
                "authorization": {"type": "Bearer", "credentials_file": str(folder / "read.key")},
                "static_configs": [{"targets": [target]}],
            }
        ],
        "rule_files": [str(folder / "rules.yml")],
    }
    (folder / "prometheus.yml").write_text(yaml.safe_dump(config))
    port = free_port()
    log = (folder / "prometheus.log").open("w")
    process = subprocess.Popen(
        [
            str(PROMETHEUS),
            f"--config.file={folder / 'prometheus.yml'}",
            f"--storage.tsdb.path={folder / 'data'}",
            f"--web.listen-address=127.0.0.1:{port}",
            "--log.level=warn",
        ],
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    server = Prometheus(f"http://127.0.0.1:{port}")
    try:
        deadline = time.monotonic() + SETTLE_SECONDS
        while True:
            try:
                if requests.get(f"{server.url}/-/ready", timeout=2).status_code == 200:
                    break
            except requests.ConnectionError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError((folder / "prometheus.log").read_text()[-2000:])
            time.sleep(0.1)
        yield server
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()


def failed_runs(engine, entity: str, count: int, store: str = "default") -> None:
    """`count` failed runs of `store`'s `entity`, after every run so far, as the runner
    records them."""
    now = utcnow()
    with engine.begin() as conn:
        for n in range(count):
            started = now + timedelta(milliseconds=n)
            conn.execute(
                insert(sync_log).values(
                    store=store,
                    run_id=f"failed-{store}-{n}",
                    entity_type=entity,
                    action=Action.INCREMENTAL,
                    trigger=Trigger.SCHEDULE,
                    status=RunStatus.FAILED,
                    started_at=started,
                    finished_at=started,
                    duration_ms=0,
                    error_type="NETWORK",
                )
            )


def test_each_shipped_alert_fires_in_a_real_prometheus(pg_url, simulator, settings_for, tmp_path):
    proxy, url, store = store_behind_proxy(pg_url)
    engine = store.engine
    settings = settings_for(url, simulator.api_url)
    try:
        with ExitStack() as running:
            serving = ExitStack()
            running.callback(serving.close)
            api = serving.enter_context(running_api(settings, engine))
            prom = running.enter_context(prometheus_scraping(api, tmp_path))

            # Never synced, no scheduler ever: the series the rules compare do not exist.
            never = prom.wait_for({"LightspeedSchedulerDown", "LightspeedSalesStale"})
            assert never == {
                "LightspeedSchedulerDown",
                "LightspeedSalesStale",
                "LightspeedSalesLate",
                "LightspeedDataNotReady",
                "LightspeedHealthScoreLow",
            }
            assert prom.value('up{job="lightspeed-sync"}') == 1

            # A clean sync and a live scheduler: nothing fires, nothing is pending.
            Runner(settings, store).run(trigger="schedule", triggered_by="scheduler")
            live_scheduler(store, settings)
            prom.wait_quiet()
            assert prom.value("lightspeed_sync_health_score") >= 60

            # Three failures in a row: the failing rule names the entity.
            failed_runs(engine, "customers", 3)
            assert prom.wait_for({"LightspeedSyncFailing"}) == {"LightspeedSyncFailing"}
            [failing] = prom.labels("LightspeedSyncFailing")
            assert failing["entity"] == "customers" and failing["severity"] == "warning"

            # Sales three days old: past 4x their SLA (critical), past the SLA, not ready.
            stale = {"LightspeedSalesStale", "LightspeedSalesLate", "LightspeedDataNotReady"}
            move_back(engine, ["sales"], timedelta(days=3))
            firing = prom.wait_for(stale)
            low = prom.value("lightspeed_sync_health_score") < 60
            assert firing - stale == {"LightspeedSyncFailing"} | (
                {"LightspeedHealthScoreLow"} if low else set()
            )

            # The database goes away: the API still answers, with db_up 0, and only the
            # database alert fires (the others' series are gone, not healthy).
            proxy.stop()
            engine.dispose()
            prom.wait_for({"LightspeedSyncDatabaseDown"})
            assert prom.value("lightspeed_sync_db_up") == 0

            # The API stops answering scrapes: up == 0, while Prometheus goes on.
            serving.close()
            prom.wait_for({"LightspeedSyncApiDown"})
            assert prom.value('up{job="lightspeed-sync"}') == 0
    finally:
        proxy.stop()
        engine.dispose()


def test_with_two_stores_only_the_failing_store_fires(pg_url, two_store_simulator, tmp_path):
    acme, beta = STORES
    settings = {p: settings_of(p, pg_url, two_store_simulator, {}) for p in STORES}
    engine = create_db_engine(pg_url)
    migrate(engine, configured_store(settings[acme]))
    with engine.begin() as conn:  # the second store, as `store add` records it
        conn.execute(
            insert(lightspeed_stores).values(
                prefix=beta, name="Beta Ltd", connection="token", added_at=utcnow()
            )
        )
    try:
        for prefix in STORES:
            store = open_store(settings[prefix])
            store.ensure_state_rows()
            assert {r.status for r in Runner(settings[prefix], store).run()} == {"success"}
        live_scheduler(open_store(settings[acme]), settings[acme])
        with (
            running_api(settings[acme], engine) as api,
            prometheus_scraping(api, tmp_path) as prom,
        ):
            both = f'lightspeed_sync_health_score{{store=~"{acme}|{beta}"}}'
            prom.wait_series(f"count({both}) == 2")
            prom.wait_quiet()
            assert prom.value(f"min({both})") >= 60

            failed_runs(engine, "customers", 3, store=beta)
            assert prom.wait_for({"LightspeedSyncFailing"}) == {"LightspeedSyncFailing"}
            [failing] = prom.labels("LightspeedSyncFailing")
            assert failing["store"] == beta and failing["entity"] == "customers"
            assert all(labels.get("store") != acme for labels in prom.labels())
            assert (
                prom.value(
                    f'lightspeed_sync_consecutive_failures{{store="{acme}", entity="customers"}}'
                )
                == 0
            )
    finally:
        engine.dispose()
