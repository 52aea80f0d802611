"""The FastAPI application: the only face of sohoa. Everything below it is reached through ``ingest``."""

from __future__ import annotations

from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.responses import RedirectResponse

from api import problems
from api.routes import batches, documents, health, review
from ingest.runner import EmbeddedRunner, make_runner
from ingest.runtime import Runtime
from ingest.settings import Settings, get_settings

DESCRIPTION = """Digitize Vietnamese administrative paper into searchable PDFs kept for reuse.

Upload scans (JPEG, PNG, multi-page TIFF, PDF) as a batch, follow its progress, then read each document's
metadata, text, page images and searchable PDF. Errors are RFC 9457 problem details."""


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()
    rt = Runtime(settings)
    runner = make_runner(rt)

    @asynccontextmanager
    async def lifespan(_app: FastAPI):
        rt.catalog  # migrate before the first request, not during it
        if isinstance(runner, EmbeddedRunner):
            runner.resume_unfinished()  # batches interrupted by a restart carry on
        yield
        runner.close()
        rt.close()

    app = FastAPI(title="sohoa", version="0.1.0", description=DESCRIPTION, lifespan=lifespan)
    app.state.rt = rt
    app.state.runner = runner
    problems.install(app)
    app.include_router(health.router)
    app.include_router(batches.router)
    app.include_router(documents.router)
    app.include_router(review.router)

    @app.get("/", include_in_schema=False)
    def index():
        return RedirectResponse("/docs")

    return app
