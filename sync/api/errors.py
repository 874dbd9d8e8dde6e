"""Every error leaves the API as JSON with one sentence: {"error": "..."}; never a traceback."""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException

from sync.errors import ErrorKind, SyncError

log = logging.getLogger(__name__)


class ApiProblem(Exception):
    """An answer other than 2xx, with the sentence to show."""

    def __init__(self, status: int, message: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.headers = headers


def problem(status: int, message: str, headers: dict[str, str] | None = None) -> JSONResponse:
    """The JSON error response."""
    return JSONResponse({"error": message}, status_code=status, headers=headers)


_HTTP_TEXT = {
    404: "No such endpoint: see /openapi.json (or the README) for the API.",
    405: "This method is not allowed here: see /openapi.json (or the README) for the API.",
}


def _validation_sentence(exc: RequestValidationError) -> str:
    first = exc.errors()[0] if exc.errors() else {}
    where = ".".join(str(p) for p in first.get("loc", ()) if p not in ("query", "body", "path"))
    text = str(first.get("msg", "invalid value"))
    return f"Bad request: {where or 'input'}: {text}."


def install_error_handlers(app: FastAPI) -> None:
    """JSON errors for our problems, SyncErrors, bad input, unknown routes and crashes."""

    @app.exception_handler(ApiProblem)
    async def _problem(_request: Request, exc: ApiProblem) -> JSONResponse:
        return problem(exc.status, exc.message, exc.headers)

    @app.exception_handler(SyncError)
    async def _sync_error(_request: Request, exc: SyncError) -> JSONResponse:
        if exc.kind == ErrorKind.DATABASE:
            log.error("Database error: %s", exc.message)
            return problem(503, "The database cannot be reached; try again shortly.")
        if exc.kind == ErrorKind.RATE_LIMIT:  # the database's cap on queued requests
            return problem(429, exc.message, {"Retry-After": "600"})
        return problem(400, exc.message)

    @app.exception_handler(RequestValidationError)
    async def _invalid(_request: Request, exc: RequestValidationError) -> JSONResponse:
        return problem(422, _validation_sentence(exc))

    @app.exception_handler(HTTPException)
    async def _http(_request: Request, exc: HTTPException) -> JSONResponse:
        text = _HTTP_TEXT.get(exc.status_code) or str(exc.detail)
        return problem(exc.status_code, text, getattr(exc, "headers", None))

    @app.exception_handler(Exception)
    async def _crash(_request: Request, exc: Exception) -> JSONResponse:
        log.exception("Unexpected error in the health API")
        return problem(500, "Internal error in the health API; the API log has the details.")
