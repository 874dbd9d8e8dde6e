"""Single benchmark passes, each run as its own process by bench.py.

fetch:   page through every entity with the product's client, discarding rows.
load:    pre-fetch every page into memory (not timed), then time mapping + page writes.
compare: exit 0 when the database equals the simulator's ground truth.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from sync.config import load_settings  # noqa: E402
from sync.entities import ENTITIES, STATE_ENTITIES, map_page  # noqa: E402
from sync.lightspeed.client import LightspeedClient  # noqa: E402
from sync.lightspeed.paging import Page, next_cursor  # noqa: E402
from sync.runs import utcnow  # noqa: E402
from sync.storage.runlog import RunInfo  # noqa: E402
from sync.storage.sql.db import create_db_engine, migrate  # noqa: E402
from sync.storage.sql.store import Store  # noqa: E402


def pages_of(client: LightspeedClient, spec, keep: bool) -> tuple[list[tuple[Page, int]], int]:
    """All pages of one entity (kept only when `keep`), and how many records."""
    pages: list[tuple[Page, int]] = []
    cursor, records = 0, 0
    while True:
        page = client.list_page(spec.path, cursor, deleted=spec.send_deleted)
        new = next_cursor(page, cursor, spec.path)
        if new is None:
            return pages, records
        records += len(page.rows)
        if keep:
            pages.append((page, new))
        cursor = new


def client_for(api_url: str, token: str) -> LightspeedClient:
    settings = load_settings(
        {"LIGHTSPEED_BASE_URL": api_url, "LIGHTSPEED_TOKEN": token}, env_file=None
    )
    return LightspeedClient(settings)


def fetch(args: argparse.Namespace) -> None:
    client = client_for(args.api_url, args.token)
    start = time.perf_counter()
    total = sum(pages_of(client, spec, keep=False)[1] for spec in ENTITIES)
    print(f"records={total} calls={client.api_calls} seconds={time.perf_counter() - start:.3f}")


def load(args: argparse.Namespace) -> None:
    client = client_for(args.api_url, args.token)
    prefetched = {spec.name: pages_of(client, spec, keep=True)[0] for spec in ENTITIES}
    engine = create_db_engine(args.db_url)
    migrate(engine)
    store = Store(engine, pg_method=args.pg_method)
    store.ensure_state_rows()
    start = time.perf_counter()
    for spec in ENTITIES:
        trackers = store.start_run(
            RunInfo("load-only", "full", "cli", "bench"),
            entities=spec.state_names,
            version_from=0,
            now=utcnow(),
        )
        for page, cursor in prefetched[spec.name]:
            mapped = map_page(spec, page.rows, utcnow())
            store.write_page(
                spec, mapped, cursor=cursor, run_id="load-only", trackers=trackers, now=utcnow()
            )
    print(f"seconds={time.perf_counter() - start:.3f}")


def compare(args: argparse.Namespace) -> int:
    import json
    import urllib.request
    from decimal import Decimal

    from tests.support.compare import diff_all

    class Dump:
        def dump(self, entity: str) -> list[dict]:
            with urllib.request.urlopen(f"{args.sim_url}/_sim/dump/{entity}") as response:
                return json.loads(response.read(), parse_float=Decimal)["data"]

    problems = diff_all(create_db_engine(args.db_url), Dump())
    print("\n".join(problems[:20]) or f"exact ({len(STATE_ENTITIES)} tables)")
    return 1 if problems else 0


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("mode", choices=["fetch", "load", "compare"])
    parser.add_argument("--api-url")
    parser.add_argument("--sim-url")
    parser.add_argument("--token")
    parser.add_argument("--db-url")
    parser.add_argument("--pg-method", default="copy")
    args = parser.parse_args()
    if args.mode == "fetch":
        fetch(args)
    elif args.mode == "load":
        load(args)
    else:
        return compare(args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
