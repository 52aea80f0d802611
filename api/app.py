"""The FastAPI application: the only face of sohoa. Everything below it is reached through ``ingest``."""

from __future__ import annotations

import logging
import threading
from contextlib import asynccontextmanager

from fastapi import Depends, FastAPI
from fastapi.responses import RedirectResponse

from api import observability, problems, web
from api.routes import (archive, audit, auth, batches, documents, exchange, health, metrics, reuse, reuse_public, review,
                        search, signing)
from api.security import authorize
from ingest.metrics import QueueCollector
from ingest.runner import EmbeddedRunner, make_runner
from ingest.runtime import Runtime
from ingest.settings import Settings, get_settings

log = logging.getLogger(__name__)

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
        stop = threading.Event()
        if isinstance(runner, EmbeddedRunner):
            runner.resume_unfinished()  # batches interrupted by a restart carry on
            # no celery beat in the embedded mode: this process retrains the type model on schedule
            threading.Thread(target=_retrain_periodically, args=(rt, stop), name="sohoa-retrain", daemon=True).start()
            if settings.renew_interval_hours > 0 and settings.signing_keyring:
                threading.Thread(target=_renew_periodically, args=(rt, stop), name="sohoa-renew", daemon=True).start()
            if settings.portal_url and settings.portal_interval_seconds > 0:
                from ingest.portal import run_periodically

                threading.Thread(target=run_periodically, args=(rt, stop), name="sohoa-portal", daemon=True).start()
            if settings.agency_id and settings.exchange_interval_seconds > 0:
                from ingest import exchange_delivery

                threading.Thread(target=exchange_delivery.run_periodically, args=(rt, stop), name="sohoa-exchange",
                                 daemon=True).start()
        yield
        stop.set()
        from ingest.exchange import wake

        wake()  # the exchange thread waits on its wake-up event: let it see the stop now
        runner.close()
        rt.close()

    app = FastAPI(title="sohoa", version="0.1.0", description=DESCRIPTION, lifespan=lifespan,
                  dependencies=[Depends(authorize)])  # every route: api/permissions.py says who may call it
    app.state.rt = rt
    app.state.runner = runner
    app.state.metrics_networks = metrics.networks(settings.metrics_networks)
    app.state.queue_collector = QueueCollector(settings.broker_url,
                                               pending=runner.pending if isinstance(runner, EmbeddedRunner) else None)
    problems.install(app, page_error=web.error_page)
    web.install(app)
    observability.install(app)
    app.include_router(health.router)
    app.include_router(metrics.router)
    app.include_router(auth.router)
    app.include_router(audit.router)
    app.include_router(batches.router)
    app.include_router(documents.router)
    app.include_router(review.router)
    app.include_router(signing.router)
    app.include_router(reuse.router)
    app.include_router(reuse_public.router)
    app.include_router(search.router)
    app.include_router(archive.router)
    app.include_router(exchange.router)

    @app.get("/", include_in_schema=False)
    def index():
        return RedirectResponse("/web/")  # people get the pages; the API's own docs stay at /docs

    return app


def _retrain_periodically(rt: Runtime, stop: threading.Event) -> None:
    """Seed model at start if there is none, then retrain from clerks' corrections every interval."""
    from ingest import typemodel

    hours = rt.settings.retrain_interval_hours
    typemodel.active_model(rt, ensure=True)  # never raises; the same path (and locks) as the pipeline's
    while hours > 0 and not stop.wait(min(3600.0, hours * 3600 / 4)):
        try:
            row = typemodel.retrain_if_due(rt, hours)
            if row is not None:
                log.info("type model %s retrained: %s samples, %s corrections, held-out accuracy %s", row.id, row.samples,
                         row.corrections, row.accuracy)
        except Exception:
            log.exception("retraining the type model failed; the previous model stays in use")


def _renew_periodically(rt: Runtime, stop: threading.Event) -> None:
    """The embedded mode's celery beat for long-term signatures: renew what is due, then wait an interval."""
    from ingest.signatures import renew_due

    while not stop.wait(min(3600.0, rt.settings.renew_interval_hours * 3600)):
        try:
            renewed = renew_due(rt)
            if renewed:
                log.info("long-term signatures renewed on %d document(s)", len(renewed))
        except Exception:
            log.exception("renewing long-term signatures failed; the next round tries again")
