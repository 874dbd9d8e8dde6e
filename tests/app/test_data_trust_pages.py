"""Data trust: Status shows verified/mismatch per entity; History lists reconciliations."""

from __future__ import annotations

import uuid
from collections import Counter
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from sqlalchemy import insert, literal

from sync.engine.reconcile import Reconciler
from sync.engine.runner import Runner
from sync.storage.schema import reconciliations
from tests.app.conftest import log_in, texts
from tests.conftest import make_settings


@pytest.fixture
def reconciled(app_db, simulator):
    """A real sync and reconciliation of the busiest sales day of the tiny simulator."""
    settings = make_settings(str(app_db.engine.url), simulator.api_url)
    Runner(settings, app_db).run()
    days = Counter(
        datetime.fromisoformat(s["sale_date"]).astimezone(UTC).date()
        for s in simulator.dump("sales")
    )
    report = Reconciler(settings, app_db).run(days.most_common(1)[0][0])
    assert report.errors == [] and report.mismatches == []
    return report


def mismatch(store, checked_at: datetime) -> None:
    """A later run where products differ (written the way Reconciler writes rows)."""
    run_id = str(uuid.uuid4())
    rows = [
        {
            "run_id": run_id,
            "entity_type": "customers",
            "scope": "all",
            "measure": "records",
            "source_value": Decimal(40),
            "db_value": Decimal(40),
            "difference": Decimal(0),
            "status": "matched",
            "details": None,
            "checked_at": checked_at,
        },
        {
            "run_id": run_id,
            "entity_type": "products",
            "scope": "all",
            "measure": "records",
            "source_value": Decimal(120),
            "db_value": Decimal(117),
            "difference": Decimal(3),
            "status": "mismatch",
            "details": "python -m sync run --entity products --full",
            "checked_at": checked_at,
        },
    ]
    with store.engine.begin() as conn:
        conn.execute(insert(reconciliations).values(store=literal("default")), rows)


def test_status_shows_each_entity_verified_after_a_clean_reconciliation(
    app_db, framed_app, reconciled
):
    at = log_in(framed_app().run())
    assert not at.exception
    shown = texts(at)
    for name in ("Customers", "Outlets", "Products", "Inventory", "Sales"):
        assert f"**{name}** — verified against Lightspeed at" in shown
    assert "differs from Lightspeed" not in shown


def test_status_shows_the_mismatch_and_its_repair(app_db, framed_app):
    mismatch(app_db, datetime.now(UTC))
    at = log_in(framed_app().run())
    assert not at.exception
    shown = texts(at)
    assert "**Customers** — verified against Lightspeed at" in shown
    assert "**Products** differs from Lightspeed" in shown
    plain = [t.value for t in at.text]
    assert "records · all: Lightspeed 120, copy 117, difference 3" in plain
    assert "Repair: python -m sync run --entity products --full" in plain


def test_status_without_any_reconciliation(app_db, framed_app):
    at = log_in(framed_app().run())
    assert "No reconciliation has run yet" in texts(at)


def test_history_lists_reconciliations_with_filters(app_db, framed_app, reconciled):
    mismatch(app_db, datetime.now(UTC))
    at = log_in(framed_app().run())
    at.switch_page("pages/history.py").run()
    assert not at.exception
    checks = at.dataframe[-1].value
    assert len(checks) == len(reconciled.checks) + 2
    assert set(checks["Result"]) == {"matched", "mismatch"}
    at.multiselect(key="recon-status").select("mismatch").run()
    checks = at.dataframe[-1].value
    assert list(checks["Entity"]) == ["Products"]
    assert list(checks["Repair / details"]) == ["python -m sync run --entity products --full"]
    at.multiselect(key="recon-status").unselect("mismatch").run()
    at.multiselect(key="recon-entities").select("sales").run()
    assert set(at.dataframe[-1].value["Entity"]) == {"Sales"}
