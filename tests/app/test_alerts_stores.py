"""The Alerts page among several stores: each incident card names the store it belongs to;
with one store the cards stay as they were."""

from __future__ import annotations

from sync import dashboard
from tests.app.conftest import log_in
from tests.app.test_alerts_page import failing_sales
from tests.app.test_store_picker import beta, pinned

__all__ = ["beta", "pinned"]  # the fixtures, used by name below


def banners(at) -> list[str]:
    """The incident cards' banners, Markdown escapes removed."""
    return [b.value.replace("\\", "") for b in (*at.error, *at.warning) if "—" in b.value]


def alerts_of(framed_app, store: str | None = None):
    at = framed_app()
    if store:
        at.query_params["store"] = store
    at = log_in(at.run())
    at.switch_page("pages/alerts.py").run()
    assert not at.exception
    return at


def test_among_several_stores_each_incident_names_its_store(app_db, beta, framed_app):
    failing_sales(beta)
    dashboard.clear_caches()
    at = alerts_of(framed_app, "beta")
    cards = banners(at)
    assert cards and all(c.endswith("· Beta Ltd (beta)") for c in cards), cards
    assert any("Sales" in c for c in cards)


def test_with_one_store_the_card_names_no_store(app_db, framed_app):
    failing_sales(app_db)
    at = alerts_of(framed_app)
    cards = banners(at)
    assert any(c.endswith("· Sales") for c in cards), cards
    assert not any("Harbour" in c or "default" in c for c in cards)
