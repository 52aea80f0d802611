"""Errors as RFC 9457 problem details (``application/problem+json``), one shape for every failure."""

from __future__ import annotations

import logging
from collections.abc import Callable

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from ingest.intake import IntakeError

log = logging.getLogger(__name__)
PROBLEM = "application/problem+json"


class Problem(Exception):
    """Raise from a route to answer with a problem document."""

    def __init__(self, status: int, title: str, detail: str = "", *, headers: dict | None = None, **extra):
        super().__init__(detail or title)
        self.status, self.title, self.detail, self.extra = status, title, detail, extra
        self.headers = headers or {}


def problem(status: int, title: str, detail: str = "", instance: str = "", headers: dict | None = None, **extra) -> JSONResponse:
    body = {"type": "about:blank", "title": title, "status": status}
    if detail:
        body["detail"] = detail
    if instance:
        body["instance"] = instance
    body.update(extra)
    return JSONResponse(body, status_code=status, media_type=PROBLEM, headers=headers)


def install(app: FastAPI, page_error: Callable[..., Response | None] | None = None) -> None:
    """``page_error(request, status, title, detail, headers)`` answers failures of page routes (HTML, a redirect to
    the login page); it returns None for every other route, which gets problem+json."""

    def answer(request: Request, status: int, title: str, detail: str = "", headers: dict | None = None, **extra):
        shown = page_error(request, status, title, detail, headers) if page_error else None
        return shown if shown is not None else problem(status, title, detail, request.url.path, headers, **extra)

    @app.exception_handler(Problem)
    async def _problem(request: Request, exc: Problem):
        return answer(request, exc.status, exc.title, exc.detail, exc.headers, **exc.extra)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException):
        titles = {404: "Not Found", 405: "Method Not Allowed", 413: "Content Too Large"}
        return answer(request, exc.status_code, titles.get(exc.status_code, "Error"), str(exc.detail))

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError):
        errors = [{"loc": list(e.get("loc", [])), "msg": e.get("msg", "")} for e in exc.errors()]
        return answer(request, 422, "Invalid request", "the request is missing or has invalid fields", errors=errors)

    @app.exception_handler(IntakeError)
    async def _intake(request: Request, exc: IntakeError):
        return answer(request, 422, "Nothing to digitize", str(exc), errors=exc.errors)

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception):
        log.exception("unhandled error on %s", request.url.path)
        return answer(request, 500, "Internal Server Error", "an unexpected error occurred; it has been logged")
