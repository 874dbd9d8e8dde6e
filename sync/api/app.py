"""The FastAPI app: probes, the /api/sync-health/ routers, /metrics, JSON errors."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated, Any

from fastapi import Depends, FastAPI
from fastapi.responses import JSONResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST

from sync import __version__
from sync.api.auth import ReadKey
from sync.api.context import ApiContext, context
from sync.api.errors import install_error_handlers
from sync.api.limits import BodyLimit
from sync.api.metrics import render_metrics
from sync.api.routes_actions import router as actions_router
from sync.api.routes_health import router as health_router
from sync.errors import SyncError
from sync.storage.sql.reads import read_beats

DESCRIPTION = (
    "Health of the Lightspeed copy for apps and monitors. Every /api/... and /metrics call "
    "needs `Authorization: Bearer <key>` (`python -m sync api-key create NAME`); POSTs need "
    "an admin key. /livez and /readyz need none."
)


def create_app(ctx: ApiContext) -> FastAPI:
    """The health API over `ctx` (settings, engine, clock)."""
    docs = ctx.settings.api_docs  # Swagger UI comes from a CDN: off unless asked for
    app = FastAPI(
        title="Lightspeed Sync & Health API",
        version=__version__,
        description=DESCRIPTION,
        docs_url="/docs" if docs else None,
        redoc_url=None,
    )
    app.state.context = ctx
    # Outermost: an oversized body is refused before routing, parsing or key checks.
    app.add_middleware(BodyLimit)
    install_error_handlers(app)
    app.include_router(health_router)
    app.include_router(actions_router)

    @app.get("/", tags=["probes"], summary="What this is, and where to go (no key needed)")
    def index() -> dict[str, Any]:
        return {
            "name": "Lightspeed Sync & Health API",
            "version": __version__,
            "links": {
                "summary": "/api/sync-health/summary",
                "metrics": "/metrics",
                "livez": "/livez",
                "readyz": "/readyz",
                "openapi": "/openapi.json",
                **({"docs": "/docs"} if docs else {}),
            },
            "auth": "Authorization: Bearer <key> (python -m sync api-key create NAME)",
        }

    @app.get("/livez", tags=["probes"], summary="The process answers (always 200)")
    def livez() -> dict[str, str]:
        return {"status": "alive"}

    @app.get(
        "/readyz",
        tags=["probes"],
        summary="200 when the database answers and the scheduler's heartbeat is fresh, else 503; "
        "least_privilege is false while the API or dashboard reads Postgres as the writer",
        responses={503: {"description": "not ready, with the reason"}},
    )
    def readyz(ctx: Annotated[ApiContext, Depends(context)]) -> JSONResponse:
        ready, reason = readiness(ctx)
        body: dict[str, Any] = {
            "ready": ready,
            "reason": reason,
            "least_privilege": not ctx.settings.least_privilege_problems,
        }
        return JSONResponse(body, status_code=200 if ready else 503)

    @app.get(
        "/metrics",
        tags=["metrics"],
        summary="Prometheus text format, read from the database at scrape time",
        response_class=Response,
    )
    def metrics(key: ReadKey, ctx: Annotated[ApiContext, Depends(context)]) -> Response:
        # A key limited to some stores reads only their series.
        return Response(render_metrics(ctx, key.stores), media_type=CONTENT_TYPE_LATEST)

    return app


def readiness(ctx: ApiContext) -> tuple[bool, str]:
    """(ready, one sentence): the database answers and a scheduler beat recently."""
    try:
        beats = read_beats(ctx.engine)
    except SyncError:
        return False, "The database cannot be reached."
    now = ctx.now()
    window = timedelta(seconds=3 * ctx.settings.heartbeat_seconds)
    if any(b.state != "stopped" and now - b.last_beat_at <= window for b in beats):
        return True, "The database answers and the scheduler is running."
    if not beats:
        return False, "No scheduler has ever run: start `python -m sync scheduler`."
    last = max(b.last_beat_at for b in beats)
    return False, (
        f"The scheduler is not running (last heartbeat {last:%Y-%m-%d %H:%M:%S} UTC): "
        "start `python -m sync scheduler` or the lightspeed-sync service."
    )
