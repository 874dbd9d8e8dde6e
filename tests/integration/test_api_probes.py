"""/livez always answers; /readyz says whether the database answers and a scheduler beats."""

from __future__ import annotations

from datetime import timedelta

from sync.runs import utcnow
from sync.service.heartbeat import Heartbeat
from tests.conftest import make_settings
from tests.support.api_server import running_api

NO_LIGHTSPEED = "http://127.0.0.1:9/api/2.0"


def test_livez_needs_no_key_and_readyz_follows_the_scheduler(store, db_url):
    settings = make_settings(db_url, NO_LIGHTSPEED)
    with running_api(settings, store.engine) as api:
        assert api.get("/livez").status_code == 200

        never = api.get("/readyz")
        assert never.status_code == 503 and "python -m sync scheduler" in never.json()["reason"]

        beat = Heartbeat(store, period_seconds=settings.heartbeat_seconds, clock=utcnow)
        beat.beat()
        ready = api.get("/readyz")
        assert ready.status_code == 200 and ready.json()["ready"] is True

        beat.stop()  # the scheduler shut down: its last beat says "stopped"
        stopped = api.get("/readyz")
        assert stopped.status_code == 503
        assert "not running" in stopped.json()["reason"]


def test_readyz_is_503_when_the_last_beat_is_old(store, db_url):
    settings = make_settings(db_url, NO_LIGHTSPEED)
    old = utcnow() - timedelta(seconds=4 * settings.heartbeat_seconds)
    Heartbeat(store, period_seconds=settings.heartbeat_seconds, clock=lambda: old).beat()
    with running_api(settings, store.engine) as api:
        answer = api.get("/readyz")
    assert answer.status_code == 503 and "last heartbeat" in answer.json()["reason"]


def test_the_openapi_schema_is_served_and_docs_only_when_asked_for(store, db_url):
    settings = make_settings(db_url, NO_LIGHTSPEED)
    with running_api(settings, store.engine) as api:
        schema = api.get("/openapi.json").json()
        assert "/api/sync-health/summary" in schema["paths"]
        assert "/api/sync-health/entities/{entity}/backfill" in schema["paths"]
        assert "HTTPBearer" in schema["components"]["securitySchemes"]
        # Swagger UI needs a CDN: no page that cannot work offline is advertised by default.
        docs = api.get("/docs")
        assert docs.status_code == 404 and "openapi.json" in docs.json()["error"]
        assert api.get("/redoc").status_code == 404
        missing = api.get("/nowhere")
        assert missing.status_code == 404 and missing.json()["error"].startswith("No such")
    with running_api(make_settings(db_url, NO_LIGHTSPEED, API_DOCS="true"), store.engine) as api:
        assert api.get("/docs").status_code == 200


def test_the_root_answers_with_a_short_json_index(store, db_url):
    settings = make_settings(db_url, NO_LIGHTSPEED)
    with running_api(settings, store.engine) as api:
        root = api.get("/")
        assert root.status_code == 200
        body = root.json()
        assert body["name"] == "Lightspeed Sync & Health API" and body["version"]
        assert body["links"]["summary"] == "/api/sync-health/summary"
        assert body["links"]["metrics"] == "/metrics"
