"""Two processes starting at once (two `run`s on a fresh database) both create the state rows."""

from __future__ import annotations

import threading

from sqlalchemy import delete, func, select

from sync.entities import STATE_ENTITIES
from sync.storage.schema import sync_state
from sync.storage.sql.db import create_db_engine, migrate
from sync.storage.sql.store import Store


def test_writers_starting_at_once_both_create_the_missing_state_rows(db_url):
    engine = create_db_engine(db_url)
    migrate(engine)
    errors: list[Exception] = []
    for _ in range(5):
        with engine.begin() as conn:
            conn.execute(delete(sync_state))
        stores = [Store(create_db_engine(db_url)) for _ in range(3)]
        start = threading.Barrier(len(stores))

        def ensure(store: Store, start: threading.Barrier = start) -> None:
            start.wait()
            try:
                store.ensure_state_rows()
            except Exception as exc:
                errors.append(exc)

        threads = [threading.Thread(target=ensure, args=(s,)) for s in stores]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=30)
        for store in stores:
            store.engine.dispose()
    assert errors == []
    with engine.connect() as conn:
        assert conn.scalar(select(func.count()).select_from(sync_state)) == len(STATE_ENTITIES)
    engine.dispose()
