"""The database disappears mid-run: DATABASE error, nothing half-written, next run resumes."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from sync.engine.runner import Runner
from sync.errors import ErrorKind
from sync.storage.schema import ENTITY_TABLES, sync_state
from sync.storage.sql.db import create_db_engine
from tests.support.compare import diff_all
from tests.support.tcp_proxy import store_behind_proxy


@pytest.mark.postgres
def test_database_outage_mid_run_fails_cleanly_and_the_next_run_resumes(
    pg_url, simulator, settings_for
):
    proxy, url, store = store_behind_proxy(pg_url, password="s3cretpw")
    engine = store.engine
    settings = settings_for(url, simulator.api_url, SYNC_PAGE_SIZE="10")
    pages_seen = []

    def cut_after_three_sales_pages(entity, progress, elapsed):
        pages_seen.append(entity)
        if entity == "sales" and progress.pages == 3:
            proxy.stop()

    results = {
        r.entity: r for r in Runner(settings, store, on_page=cut_after_three_sales_pages).run()
    }
    assert results["sales"].status == "failed"
    assert results["sales"].error.kind is ErrorKind.DATABASE
    assert "s3cretpw" not in results["sales"].error.details()

    proxy.start()  # the database is back, on the same port
    direct = create_db_engine(pg_url)
    sales, lines = ENTITY_TABLES["sales"], ENTITY_TABLES["sale_line_items"]
    with direct.connect() as conn:
        cursor = conn.scalar(
            select(sync_state.c.cursor_version).where(sync_state.c.entity_type == "sales")
        )
        stored = conn.scalar(select(func.count()).select_from(sales))
        newest = conn.scalar(select(func.max(sales.c.version)))
        orphan_lines = conn.scalar(
            select(func.count())
            .select_from(lines)
            .where(lines.c.sale_id.not_in(select(sales.c.id)))
        )
    truth = simulator.dump("sales")
    assert stored == 30, "exactly the three committed pages are kept"
    assert newest <= cursor
    assert stored == sum(1 for s in truth if s["version"] <= cursor)
    assert orphan_lines == 0

    results = Runner(settings, store).run()
    assert all(r.status == "success" for r in results)
    assert diff_all(direct, simulator) == []
    proxy.stop()
    engine.dispose()
    direct.dispose()
