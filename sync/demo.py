"""`python -m sync demo`: simulator + SQLite + first sync + status, all on this machine."""

from __future__ import annotations

import argparse
import dataclasses
import os
from pathlib import Path

from sync.config import Settings
from sync.db import create_db_engine, migrate
from sync.queries import status_report
from sync.runner import Runner
from sync.store import Store, utcnow

DEMO_DIR = Path(".demo")
DEMO_TOKEN = "demo-token"  # noqa: S105 - accepted only by the local simulator


def demo_settings(settings: Settings, api_url: str) -> Settings:
    """The user's settings pointed at the demo database and the local simulator."""
    return dataclasses.replace(
        settings,
        database_url=f"sqlite:///{DEMO_DIR / 'lightspeed.db'}",
        lightspeed_base_url=api_url,
        lightspeed_token=DEMO_TOKEN,
        log_dir=DEMO_DIR / "logs",
    )


def run_demo(settings: Settings, _args: argparse.Namespace) -> int:
    """Start the simulator, migrate the demo SQLite database, sync once, print the status."""
    from sync.cli import print_results
    from sync.simulator import SimulatorConfig, SimulatorServer

    scale = os.environ.get("DEMO_SCALE", "small")
    DEMO_DIR.mkdir(exist_ok=True)
    with SimulatorServer(SimulatorConfig(seed=42, scale=scale, token=DEMO_TOKEN)) as sim:
        print(f"Simulator (development stand-in, not Lightspeed): {sim.api_url}")
        demo = demo_settings(settings, sim.api_url)
        engine = create_db_engine(demo.database_url)
        migrate(engine)
        store = Store(engine)
        store.ensure_state_rows()
        print(f"Database: {demo.database_url}")
        results = Runner(demo, store).run(trigger="cli", triggered_by="demo")
        print_results(results)
        report = status_report(engine, utcnow(), demo)
        print(f"\nOverall: {report.overall.value}")
        for e in report.entities:
            print(f"  {e.entity:<16} {e.colour.value:<7} {e.records_total:>8} rows")
    return 0 if all(r.status != "failed" for r in results) else 1
