"""`python -m sync api`: the health API under uvicorn, on 127.0.0.1:8502 by default."""

from __future__ import annotations

import logging

import uvicorn

from sync.api.context import ApiContext
from sync.config import Settings
from sync.errors import ErrorKind, SyncError
from sync.storage.sql.bounded import api_engine
from sync.storage.sql.db import pending_migrations, safe_url

log = logging.getLogger(__name__)
DEFAULT_PORT = 8502


def api_login_problem(settings: Settings) -> str | None:
    """One sentence when, on Postgres, the API would read with the writer's login."""
    return settings.api_login_problem


def build_context(settings: Settings) -> ApiContext:
    """The API's context; refuses a database whose schema is behind (no api_keys yet)."""
    url = settings.api_reader_database_url
    engine = api_engine(url)
    pending = pending_migrations(engine)
    if pending:
        raise SyncError(
            ErrorKind.CONFIG,
            f"The database {safe_url(url)} lacks migration(s) "
            f"{', '.join(map(str, pending))}: run `python -m sync migrate` first.",
        )
    return ApiContext(settings, engine)


def serve(settings: Settings, host: str = "127.0.0.1", port: int = DEFAULT_PORT) -> None:
    """Run the API until SIGINT/SIGTERM (uvicorn stops cleanly on either)."""
    from sync.api.app import create_app

    ctx = build_context(settings)
    problem = api_login_problem(settings)
    if problem:
        log.warning(problem)
    if host not in ("127.0.0.1", "localhost", "::1"):
        log.warning(
            "The health API listens on %s over plain HTTP: put a TLS reverse proxy in front "
            "of it (keys travel in a header).",
            host,
        )
    docs = " (docs at /docs)" if settings.api_docs else ""
    log.info("Health API on http://%s:%d%s", host, port, docs)
    config = uvicorn.Config(
        create_app(ctx), host=host, port=port, log_config=None, access_log=False
    )
    uvicorn.Server(config).run()
