"""Liveness and readiness: is the catalog reachable, the store writable, Tesseract there with its languages."""

from __future__ import annotations

from fastapi import APIRouter, Depends
from fastapi.responses import JSONResponse

from api.routes.deps import runtime
from ingest.health import check_all
from ingest.runtime import Runtime

router = APIRouter(prefix="/api/v1", tags=["health"])


@router.get("/health")
def health(rt: Runtime = Depends(runtime)):
    report = check_all(rt)
    return JSONResponse(report, status_code=200 if report["status"] == "ok" else 503)
