"""The health API's bounds: POSTs per key, dates it will estimate or queue, incident ids
beyond a bigint, the database's cap on queued requests, and /readyz telling whether the
readers have their own logins."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from sync.api.limits import MAX_POSTS, PostLimiter
from sync.runs import utcnow
from sync.storage.schema import sync_requests
from sync.storage.sql.api_keys import create_key
from tests.conftest import make_settings
from tests.support.api_server import running_api

NO_LIGHTSPEED = "http://127.0.0.1:9/api/2.0"
TODAY = datetime.now(UTC).date()
ESTIMATE = "/api/sync-health/entities/sales/backfill/estimate"


@pytest.fixture
def api(store, db_url):
    with running_api(make_settings(db_url, NO_LIGHTSPEED), store.engine) as served:
        yield served


def test_posts_are_limited_per_key(api, store):
    answers = [
        api.post("/api/sync-health/incidents/424242/acknowledge", api.admin_key).status_code
        for _ in range(MAX_POSTS + 1)
    ]
    assert answers == [404] * MAX_POSTS + [429]
    refused = api.post("/api/sync-health/incidents/424242/acknowledge", api.admin_key)
    assert refused.status_code == 429 and int(refused.headers["Retry-After"]) >= 1
    assert "at most 30 a minute" in refused.json()["error"]
    _, other = create_key(store.engine, "other-admin", admin=True, now=utcnow())
    assert api.post("/api/sync-health/incidents/424242/acknowledge", other).status_code == 404
    assert api.get("/api/sync-health/summary", api.read_key).status_code == 200  # reads: no limit


@pytest.mark.parametrize(
    ("date_from", "date_to", "expected"),
    [
        ("0200-01-01", "0200-01-02", "before 2000-01-01"),
        ("1999-12-31", "2000-01-02", "before 2000-01-01"),
        (str(TODAY + timedelta(days=2)), str(TODAY + timedelta(days=3)), "in the future"),
    ],
    ids=["year-200", "1999", "after-tomorrow"],
)
def test_dates_before_2000_or_after_tomorrow_are_400(api, date_from, date_to, expected):
    params = {"from": date_from, "to": date_to}
    answer = api.get(ESTIMATE, api.read_key, params=params)
    assert answer.status_code == 400 and expected in answer.json()["error"]
    queued = api.post("/api/sync-health/entities/sales/backfill", api.admin_key, json=params)
    assert queued.status_code == 400 and expected in queued.json()["error"]


def test_today_and_tomorrow_are_estimated(api):
    params = {"from": str(TODAY - timedelta(days=1)), "to": str(TODAY + timedelta(days=1))}
    assert api.get(ESTIMATE, api.read_key, params=params).status_code == 200


@pytest.mark.parametrize("incident_id", [2**63, 2**70, -1, 0], ids=["2^63", "2^70", "-1", "0"])
def test_an_incident_id_no_row_can_have_is_404(api, incident_id):
    answer = api.post(f"/api/sync-health/incidents/{incident_id}/acknowledge", api.admin_key)
    assert answer.status_code == 404, answer.text
    assert answer.json()["error"] == f"There is no incident #{incident_id}."


def test_the_databases_cap_on_queued_requests_is_429(store, db_url):
    settings = make_settings(db_url, NO_LIGHTSPEED)
    with running_api(settings, store.engine, posts=PostLimiter(limit=1000)) as api:
        answers = []
        for _ in range(31):
            with store.engine.begin() as conn:  # the scheduler finishes each request
                conn.execute(sync_requests.update().values(status="done"))
            answers.append(api.post("/api/sync-health/sync-requests", api.admin_key, json={}))
    assert [a.status_code for a in answers] == [202] * 30 + [429]
    assert answers[-1].json()["error"].startswith("Too many run-now requests")


def test_readyz_says_whether_every_reader_has_its_own_login(store, db_url):
    with running_api(make_settings(db_url, NO_LIGHTSPEED), store.engine) as api:
        body = api.get("/readyz").json()
    # SQLite has no logins to separate; on Postgres the writer's URL is used by every reader.
    assert body["least_privilege"] is db_url.startswith("sqlite")
    if db_url.startswith("postgresql"):
        own = {
            "DASHBOARD_DATABASE_URL": db_url.replace("postgres@", "dashboard@"),
            "API_DATABASE_URL": db_url.replace("postgres@", "api@"),
        }
        with running_api(make_settings(db_url, NO_LIGHTSPEED, **own), store.engine) as api:
            assert api.get("/readyz").json()["least_privilege"] is True
        only_api = {"API_DATABASE_URL": own["API_DATABASE_URL"]}  # the dashboard still writes
        with running_api(make_settings(db_url, NO_LIGHTSPEED, **only_api), store.engine) as api:
            assert api.get("/readyz").json()["least_privilege"] is False
