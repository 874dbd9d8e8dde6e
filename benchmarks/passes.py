"""Single benchmark passes, each run as its own process by bench.py.

fetch:   page through every entity with the product's client (its fastest parse),
         discarding rows.
load:    pre-fetch every page into memory (not timed), then time the product's page writes
         (the plain check, then Postgres maps the JSON, or the Python mapping).
floor:   the raw floor: pre-fetch every page and prepare (id, version, raw JSON text) of each
         record (not timed), then time writing them into a plain table with no index, one
         transaction per page: COPY on Postgres, executemany on SQLite.
same:    the same-output floor (benchmarks/same_output.py): the rows the product stored in
         --source-db-url, read back in its pages (not timed), then timed into the freshly
         migrated --db-url, one transaction per page (COPY binary / executemany).
profile: per entity, where the time goes (fetch, parse, map, write, commit), one stage
         after the other (no overlap), next to the raw floor of the same pages.
compare: exit 0 when the database equals the simulator's ground truth.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

import orjson  # noqa: E402

from benchmarks import floor  # noqa: E402
from sync.config import load_settings  # noqa: E402
from sync.engine.decode import Decoding, Page  # noqa: E402
from sync.engine.pages import fetch_page, write_page  # noqa: E402
from sync.entities import ENTITIES, STATE_ENTITIES  # noqa: E402
from sync.lightspeed.paging import next_cursor, page_cursor  # noqa: E402
from sync.lightspeed.transport import LightspeedClient  # noqa: E402
from sync.runs import utcnow  # noqa: E402
from sync.storage.position import PagePosition  # noqa: E402
from sync.storage.runlog import RunInfo  # noqa: E402
from sync.storage.sql.db import create_db_engine, migrate  # noqa: E402
from sync.storage.sql.store import Store  # noqa: E402


def pages_of(
    client: LightspeedClient, spec, keep: bool, decoding: Decoding | None = None
) -> tuple[list[tuple[Page, int]], int]:
    """All pages of one entity (kept only when `keep`), and how many records."""
    pages: list[tuple[Page, int]] = []
    cursor, records = 0, 0
    while True:
        page = fetch_page(client, spec, cursor, decoding)
        new = next_cursor(page, cursor, spec.path)
        if new is None:
            return pages, records
        records += page.size
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
    total = 0
    for spec in ENTITIES:  # the fastest parse there is: orjson, no plain check
        cursor = 0
        while True:
            raw = client.list_page(spec.path, cursor, deleted=spec.send_deleted)
            body = orjson.loads(raw.content)
            rows = body if isinstance(body, list) else body.get("data") or []
            page = Page(rows, page_cursor({} if isinstance(body, list) else body, rows))
            new = next_cursor(page, cursor, spec.path)
            if new is None:
                break
            total, cursor = total + page.size, new
    print(f"records={total} calls={client.api_calls} seconds={time.perf_counter() - start:.3f}")


def load(args: argparse.Namespace) -> None:
    client = client_for(args.api_url, args.token)
    engine = create_db_engine(args.db_url)
    migrate(engine)
    store = Store(engine, pg_method=args.pg_method)
    decoding = Decoding.for_store(store)
    prefetched = {
        spec.name: pages_of(client, spec, keep=True, decoding=decoding)[0] for spec in ENTITIES
    }
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
            write_page(
                store,
                spec,
                page,
                PagePosition(cursor, "load-only", trackers, utcnow(), store=store.prefix),
            )
    print(f"seconds={time.perf_counter() - start:.3f}")


def raw_floor(args: argparse.Namespace) -> None:
    client = client_for(args.api_url, args.token)
    pages = [
        floor.raw_rows(page)
        for spec in ENTITIES
        for page, _ in pages_of(client, spec, keep=True, decoding=Decoding(keep_source=True))[0]
    ]
    engine = create_db_engine(args.db_url)
    floor.prepare(engine, args.compression)
    print(f"records={sum(map(len, pages))} seconds={floor.write(engine, pages):.3f}")


def same_output(args: argparse.Namespace) -> None:
    from benchmarks import same_output as floor_of_output

    source = create_db_engine(args.source_db_url)
    pages = floor_of_output.stored_pages(source, args.page_size)
    stored = floor_of_output.row_counts(source)
    source.dispose()
    engine = create_db_engine(args.db_url)
    migrate(engine)
    records = floor_of_output.records(pages)
    seconds = floor_of_output.write_pages(engine, pages)
    written = floor_of_output.row_counts(engine)
    engine.dispose()
    if written != stored:
        raise SystemExit(f"The floor wrote {written}, not the product's rows {stored}.")
    print(f"records={records} pages={len(pages)} seconds={seconds:.3f}")


def profile(args: argparse.Namespace) -> None:
    from benchmarks.stages import print_profile
    from benchmarks.stages import profile as run_profile

    engine = create_db_engine(args.db_url)
    migrate(engine)
    rows = run_profile(client_for(args.api_url, args.token), Store(engine))
    print_profile(rows, engine.dialect.name)
    print("JSON " + json.dumps(rows))


def compare(args: argparse.Namespace) -> int:
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
    parser.add_argument("mode", choices=["fetch", "load", "floor", "same", "profile", "compare"])
    parser.add_argument("--api-url")
    parser.add_argument("--sim-url")
    parser.add_argument("--token")
    parser.add_argument("--db-url")
    parser.add_argument("--source-db-url", help="same: the product's database after an import")
    parser.add_argument("--page-size", type=int, default=1000, help="same: records per page")
    parser.add_argument("--pg-method", default="copy")
    parser.add_argument("--compression", help="floor: compression of raw (Postgres: lz4)")
    args = parser.parse_args()
    if args.mode == "fetch":
        fetch(args)
    elif args.mode == "load":
        load(args)
    elif args.mode == "floor":
        raw_floor(args)
    elif args.mode == "same":
        same_output(args)
    elif args.mode == "profile":
        profile(args)
    else:
        return compare(args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
