"""Batches: upload scans (202 Accepted), then follow their progress page by page."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

from fastapi import APIRouter, Depends, File, Form, Request, UploadFile
from fastapi.responses import JSONResponse

from api.problems import Problem
from api.routes.deps import runtime
from api.security import principal
from ingest.identity import Principal
from ingest.intake import Incoming, intake
from ingest.runtime import Runtime
from ingest.status import batch_status

router = APIRouter(prefix="/api/v1/batches", tags=["batches"])
CHUNK = 1024 * 1024


@router.post("", status_code=202, summary="Upload scans to digitize")
def create_batch(
    request: Request,
    files: list[UploadFile] = File(..., description="JPEG, PNG, TIFF or PDF scans; one file may hold a whole feed of documents"),
    collate: str = Form("none", description="'duplex': each file is a simplex feeder's fronts, then backs in reverse order"),
    rt: Runtime = Depends(runtime),
    who: Principal = Depends(principal),
):
    status = accept_uploads(request, rt, who, files, collate)
    return JSONResponse(status, status_code=202, headers={"Location": f"/api/v1/batches/{status['id']}"})


def accept_uploads(request: Request, rt: Runtime, who: Principal, files: list[UploadFile], collate: str) -> dict:
    """Store the uploads, queue the batch and return its status: the one door of the JSON route and the upload page.
    Raises ``Problem`` (413: too large) or ``IntakeError`` (nothing usable)."""
    limit = rt.settings.max_upload_bytes
    tmp = Path(tempfile.mkdtemp(prefix="upload-", dir=_ensure(rt.settings.work_dir / "tmp")))
    try:
        incoming = []
        for i, upload in enumerate(files):
            path = tmp / f"{i}.upload"
            size = 0
            with open(path, "wb") as out:
                while chunk := upload.file.read(CHUNK):
                    size += len(chunk)
                    if size > limit:
                        raise Problem(413, "Content Too Large", f"{upload.filename!r} is larger than {limit:,} bytes")
                    out.write(chunk)
            incoming.append(Incoming(path, upload.filename or f"file-{i + 1}"))
        batch = intake(rt, incoming, source="api", collate=collate, agency_id=who.agency_id, actor=who.actor)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    if batch.state == "queued":
        request.app.state.runner.submit(batch.id)
    return batch_status(rt, batch.id)


@router.get("/{batch_id}", summary="State and per-page progress of a batch")
def get_batch(batch_id: str, rt: Runtime = Depends(runtime)):
    status = batch_status(rt, batch_id)
    if status is None:
        raise Problem(404, "Not Found", f"no batch {batch_id}")
    return status


def _ensure(path: Path) -> Path:
    path.mkdir(parents=True, exist_ok=True)
    return path
