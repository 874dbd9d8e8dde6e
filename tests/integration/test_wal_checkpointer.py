"""SQLite's WAL is checkpointed in the background while a run writes, and at its end."""

from __future__ import annotations

import os
import sqlite3
import time

from sync.engine.runner import Runner
from sync.storage.sql.checkpointer import WalCheckpointer
from sync.storage.sql.db import create_db_engine, migrate
from sync.storage.sql.store import Store

ROW = "x" * 4000


def _write_rows(engine, count: int) -> None:
    with engine.begin() as conn:
        conn.exec_driver_sql("CREATE TABLE IF NOT EXISTS filler (n integer, body text)")
        conn.exec_driver_sql("INSERT INTO filler VALUES (?, ?)", [(n, ROW) for n in range(count)])


def test_committed_pages_reach_the_database_file_while_the_writer_goes_on(tmp_path):
    path = tmp_path / "copy.db"
    engine = create_db_engine(f"sqlite:///{path}")
    migrate(engine)
    _write_rows(engine, 1)  # the writer's own checkpoint would wait for 160 MB of WAL
    before = os.path.getsize(path)
    with WalCheckpointer(str(path), threshold_bytes=256 * 1024) as checkpointer:
        _write_rows(engine, 500)  # about 2 MB, committed to the WAL
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and (
            checkpointer.checkpoints == 0 or os.path.getsize(path) < before + 1_500_000
        ):
            time.sleep(0.05)
        copied_while_open = os.path.getsize(path) - before
        assert checkpointer.checkpoints >= 1
    assert copied_while_open >= 1_500_000
    engine.dispose()


def _checkpoint_now(path) -> None:
    connection = sqlite3.connect(path)
    try:
        connection.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
    finally:
        connection.close()


def _rows_in_file(path, table: str) -> int:
    """Rows of `table` in the database file alone: `immutable` reads no WAL."""
    connection = sqlite3.connect(f"file:{path}?immutable=1", uri=True)
    try:
        return connection.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
    finally:
        connection.close()


def test_the_last_pages_are_checkpointed_when_the_run_ends(tmp_path):
    path = tmp_path / "copy.db"
    engine = create_db_engine(f"sqlite:///{path}")
    migrate(engine)
    _write_rows(engine, 1)
    _checkpoint_now(path)
    assert _rows_in_file(path, "filler") == 1
    with WalCheckpointer(str(path)) as checkpointer:  # below the 8 MB threshold: no checkpoint
        _write_rows(engine, 100)
        assert _rows_in_file(path, "filler") == 1  # the new rows are still only in the WAL
    assert checkpointer.checkpoints == 1  # the one at the end
    assert _rows_in_file(path, "filler") == 101
    engine.dispose()


def test_a_sync_run_on_sqlite_leaves_its_pages_in_the_database_file(
    tmp_path, simulator, settings_for
):
    path = tmp_path / "copy.db"
    url = f"sqlite:///{path}"
    engine = create_db_engine(url)
    migrate(engine)
    store = Store(engine)
    store.ensure_state_rows()
    results = Runner(settings_for(url, simulator.api_url), store).run()
    assert results and all(r.status == "success" for r in results)
    with engine.connect() as conn:
        sales = conn.exec_driver_sql("SELECT count(*) FROM lightspeed_sales").scalar()
        items = conn.exec_driver_sql("SELECT count(*) FROM lightspeed_sale_line_items").scalar()
    assert sales > 0 and items > 0
    # Without the run's last checkpoint these rows would still be in the WAL only.
    assert _rows_in_file(path, "lightspeed_sales") == sales
    assert _rows_in_file(path, "lightspeed_sale_line_items") == items
    engine.dispose()


def test_an_in_memory_store_has_nothing_to_checkpoint():
    store = Store(create_db_engine("sqlite://"))
    with store.bulk_writes() as handle:
        assert not isinstance(handle, WalCheckpointer)


def test_a_uri_database_is_left_to_sqlite_and_no_stray_file_appears(tmp_path, monkeypatch):
    # A `file:` URI is no path: a checkpointer would open (create) a file by that name.
    monkeypatch.chdir(tmp_path)
    store = Store(create_db_engine("sqlite:///file:copy?mode=memory&cache=shared&uri=true"))
    with store.bulk_writes() as handle:
        assert not isinstance(handle, WalCheckpointer)
    assert list(tmp_path.iterdir()) == []
