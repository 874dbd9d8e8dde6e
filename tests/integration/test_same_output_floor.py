"""The benchmark's same-output floor (benchmarks/same_output.py) writes back every row the
product stored, line items included: a floor that leaves rows out flatters nothing but
itself (on SQLite it once matched line items to the parent's store instead of its id and
wrote none)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from benchmarks import same_output
from sync.engine.runner import Runner
from sync.storage.sql.db import create_db_engine, migrate
from tests.conftest import pg_database_url


@pytest.fixture
def floor_url(db_url: str, tmp_path: Path, request: pytest.FixtureRequest) -> Any:
    if db_url.startswith("sqlite"):
        yield f"sqlite:///{tmp_path / 'floor.db'}"
        return
    pool = request.getfixturevalue("empty_db_pool")
    name = pool.take()
    yield pg_database_url(name)
    pool.drop_later(name)


def test_the_floor_writes_back_every_stored_row(store, simulator, settings_for, db_url, floor_url):
    Runner(settings_for(db_url, simulator.api_url), store).run()
    stored = same_output.row_counts(store.engine)
    assert stored["lightspeed_sale_line_items"] > 0
    pages = same_output.stored_pages(store.engine, page_size=7)
    floor = create_db_engine(floor_url)
    try:
        migrate(floor)
        assert same_output.records(pages) == sum(stored.values())
        same_output.write_pages(floor, pages)
        assert same_output.row_counts(floor) == stored
    finally:
        floor.dispose()
