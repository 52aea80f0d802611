"""Every request gets an id, a log line and a place in the HTTP metrics; done once, as one middleware.

The id comes from ``X-Request-ID`` when the caller (a reverse proxy, a scanner station) sent a sane one, else a
new one; it is echoed in the response and set for every log line written while the request runs, and Celery
tasks queued by it carry it on (``ingest.tasks``). Metrics are labelled by route template
(``/api/v1/documents/{document_id}``), never by the concrete path, so ids never become label values.
"""

from __future__ import annotations

import logging
import re
import time
import uuid

from fastapi import FastAPI, Request

from ingest import logs, metrics

log = logging.getLogger("sohoa.http")
_SANE_ID = re.compile(r"[A-Za-z0-9._:@/+=-]{1,128}")


def request_id_of(request: Request) -> str:
    given = request.headers.get("x-request-id", "")
    return given if _SANE_ID.fullmatch(given) else uuid.uuid4().hex


def install(app: FastAPI) -> None:
    @app.middleware("http")
    async def _observe(request: Request, call_next):
        rid = request_id_of(request)
        started = time.perf_counter()
        token = logs.request_id.set(rid)
        status = 500
        try:
            response = await call_next(request)
            status = response.status_code
            response.headers["X-Request-ID"] = rid
            return response
        finally:
            seconds = time.perf_counter() - started
            route = request.scope.get("route")
            template = getattr(route, "path_format", None) or getattr(route, "path", None) or "unmatched"
            method = request.method
            metrics.HTTP_REQUESTS.labels(method, template, str(status)).inc()
            metrics.HTTP_SECONDS.labels(method, template).observe(seconds)
            log.info("%s %s %s %.1f ms", method, template, status, seconds * 1000,
                     extra={"method": method, "route": template, "status": status, "ms": round(seconds * 1000, 1)})
            logs.request_id.reset(token)
