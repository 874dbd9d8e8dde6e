"""Property test of the health API's query and path parameters: whatever a caller puts in
them, the answer is never a 500, and never a 503 while the database is up."""

from __future__ import annotations

import string
from datetime import date, timedelta
from urllib.parse import quote

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from sync.api.limits import PostLimiter
from tests.conftest import make_settings
from tests.support.api_server import RunningApi, running_api

NO_LIGHTSPEED = "http://127.0.0.1:9/api/2.0"
PREFIX = "/api/sync-health"
# Edge cases every generator mixes in: NUL, huge numbers, dates in odd shapes, entities.
SPECIAL = st.sampled_from(
    [
        "\x00",
        "sales",
        "all",
        "9" * 30,
        str(2**63),
        "-1",
        "0001-01-01",
        "9999-12-31",
        "2026-02-30",
        "%00",
        "../",
        "null",
        "",
    ]
)
TEXT = st.one_of(SPECIAL, st.text(max_size=40), st.text(string.digits + "-", max_size=12))
NUMBER = st.one_of(st.integers(), st.integers(-(2**70), 2**70).map(str), TEXT)
DAY = st.one_of(st.dates().map(str), TEXT)
SPAN = timedelta(days=1)
# A short range anywhere in date's span, so the checks after the range rules are reached.
RANGE = st.one_of(
    st.tuples(st.dates(max_value=date.max - 5 * SPAN), st.integers(0, 5)).map(
        lambda p: (str(p[0]), str(p[0] + SPAN * p[1]))
    ),
    st.tuples(DAY, DAY),
)
EXAMPLES = settings(
    max_examples=60,
    deadline=None,
    derandomize=True,  # the same examples on every run: a failure here is never luck
    # One server serves every example: that is the point, not an accident.
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)


@pytest.fixture
def api(store, db_url):
    settings_ = make_settings(db_url, NO_LIGHTSPEED)
    # The per-key POST limit is tested elsewhere; here it would only hide the answers.
    with running_api(settings_, store.engine, posts=PostLimiter(limit=10**6)) as served:
        yield served


def segment(value: str) -> str:
    return quote(value, safe="")


def fine(answer, what: str) -> None:
    assert answer.status_code not in (500, 503), (what, answer.status_code, answer.text)
    if answer.status_code >= 400:
        body = answer.json()
        assert set(body) == {"error"} and "Traceback" not in body["error"], (what, body)


@EXAMPLES
@given(entity=TEXT, days=RANGE)
@example(entity="sales", days=("0200-01-01", "0200-01-02"))  # the review's 500
@example(entity="sales", days=(str(date.max - SPAN), str(date.max)))
def test_entity_and_backfill_parameters(api: RunningApi, entity, days):
    date_from, date_to = days
    e = segment(entity)
    for path in (f"/entities/{e}", f"/entities/{e}/backfill/status"):
        fine(api.get(PREFIX + path, api.read_key), path)
    params = {"from": date_from, "to": date_to}
    fine(api.get(f"{PREFIX}/entities/{e}/backfill/estimate", api.read_key, params=params), "est")
    fine(api.post(f"{PREFIX}/entities/{e}/backfill", api.admin_key, json=params), "backfill")


@EXAMPLES
@given(incident=NUMBER, status=TEXT, limit=NUMBER, note=st.one_of(st.none(), TEXT))
@example(incident=2**63, status="all", limit=2**63, note=None)  # the review's 503
@example(incident=-(2**70), status="open", limit=-1, note="\x00")
def test_incident_parameters(api: RunningApi, incident, status, limit, note):
    path = f"{PREFIX}/incidents/{segment(str(incident))}/acknowledge"
    fine(api.post(path, api.admin_key, json={"note": note}), path)
    params = {"status": status, "limit": str(limit)}
    fine(api.get(f"{PREFIX}/incidents", api.read_key, params=params), "incidents")


@EXAMPLES
@given(period=TEXT, entity=TEXT, reason=st.one_of(st.none(), TEXT))
def test_history_and_sync_request_parameters(api: RunningApi, period, entity, reason):
    params = {"period": period, "entity": entity}
    fine(api.get(f"{PREFIX}/performance-history", api.read_key, params=params), "history")
    body = {"entity": entity, "reason": reason}
    fine(api.post(f"{PREFIX}/sync-requests", api.admin_key, json=body), "sync-requests")
