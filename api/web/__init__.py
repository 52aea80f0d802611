"""The server-rendered pages (Jinja2, a vendored htmx, a little plain JavaScript), Vietnamese first.

Every page route sits under ``/web`` and has its row in ``api.permissions.MATRIX`` like any JSON route; the
pages call the JSON routes' own functions and ``ingest``, never their own copy of a rule.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from api.web import auditor, auth_pages, citizen, clerk, dashboard, public, signer
from api.web.render import error_page

STATIC = Path(__file__).parent / "static"


def install(app: FastAPI) -> None:
    """Mount the static files (public: CSS, scripts) and the page routers."""
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    for module in (auth_pages, clerk, signer, citizen, public, auditor, dashboard):
        app.include_router(module.router)


__all__ = ["install", "error_page"]
