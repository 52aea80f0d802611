"""Archive doors: fixity runs with progress, dossier packages out and in, deletion after retention.

The rules are in ``storage.archive``/``fixity``/``package``; who may call these is ``api.permissions``' (the
agency admin deletes, after retention); every deletion, export and import is audited.
A fixity run over a whole archive takes long, so it runs in the background and is polled.
"""

from __future__ import annotations

import shutil
import tempfile
import threading
import time
import uuid
from pathlib import Path

from fastapi import APIRouter, Depends, File, Request, UploadFile
from fastapi.responses import FileResponse, JSONResponse
from pydantic import BaseModel, Field
from starlette.background import BackgroundTask

from api.problems import Problem
from api.routes.deps import runtime
from api.security import principal, record
from ingest.identity import Principal
from ingest.runtime import Runtime

router = APIRouter(prefix="/api/v1", tags=["archive"])
MAX_PACKAGE_BYTES = 4 * 1024**3
_runs: dict[str, dict] = {}
_lock = threading.Lock()


class DeleteBody(BaseModel):
    reason: str = Field(..., min_length=1, max_length=2000)


@router.post("/fixity", status_code=202, summary="Re-hash every stored object in the background; poll the run")
def start_fixity(quarantine: bool = True, rt: Runtime = Depends(runtime)):
    with _lock:
        busy = [r for r in _runs.values() if r["state"] == "running"]
        if busy:
            return JSONResponse(busy[0], status_code=409)
        run = {"id": uuid.uuid4().hex, "state": "running", "bytes_done": 0, "bytes_total": None, "objects_done": 0,
               "bad": [], "report": None, "error": None, "started": time.time()}
        _runs[run["id"]] = run
    threading.Thread(target=_fixity, args=(rt, run, quarantine), name="sohoa-fixity", daemon=True).start()
    return JSONResponse(run, status_code=202, headers={"Location": f"/api/v1/fixity/{run['id']}"})


@router.get("/fixity/{run_id}", summary="A fixity run's progress and, once done, its report")
def get_fixity(run_id: str):
    run = _runs.get(run_id)
    if run is None:
        raise Problem(404, "Not Found", f"no fixity run {run_id}")
    return run


def _fixity(rt: Runtime, run: dict, quarantine: bool) -> None:
    from storage.fixity import run_fixity

    def progress(finding, done, total):
        run.update(bytes_done=done, bytes_total=total, objects_done=run["objects_done"] + 1)
        if finding.status != "ok":
            run["bad"].append({"sha256": finding.sha256, "status": finding.status, "detail": finding.detail})

    try:
        run["report"] = run_fixity(rt.catalog, rt.store, quarantine=quarantine, progress=progress).as_dict()
        run["state"] = "done"
    except Exception as exc:  # reported on the run; the API process lives on
        run.update(state="failed", error=f"{type(exc).__name__}: {exc}")


@router.get("/dossiers/{code}/export", summary="The dossier as a self-describing package (zip)")
def export(code: str, request: Request, rt: Runtime = Depends(runtime)):
    from storage.package import PackageError, export_dossier

    tmp = Path(tempfile.mkdtemp(prefix="export-", dir=_ensure(rt.settings.work_dir / "tmp")))
    try:
        path = export_dossier(rt.catalog, rt.store, code, tmp / f"{code}.zip")
    except (PackageError, LookupError) as exc:
        shutil.rmtree(tmp, ignore_errors=True)
        raise Problem(404 if isinstance(exc, LookupError) or "no dossier" in str(exc) else 422,
                      "Cannot export", str(exc)) from None
    record(request, "dossier.export", f"dossier:{code}")
    return FileResponse(path, media_type="application/zip", filename=path.name,
                        background=BackgroundTask(shutil.rmtree, tmp, True))


@router.post("/import", summary="Read a package back: every checksum is verified before anything is written")
def import_(request: Request, package: UploadFile = File(...), rt: Runtime = Depends(runtime)):
    from storage.package import PackageError, import_package

    tmp = Path(tempfile.mkdtemp(prefix="import-", dir=_ensure(rt.settings.work_dir / "tmp")))
    try:
        path, size = tmp / "package.zip", 0
        with open(path, "wb") as out:
            while chunk := package.file.read(1024 * 1024):
                size += len(chunk)
                if size > MAX_PACKAGE_BYTES:
                    raise Problem(413, "Content Too Large", f"a package may be at most {MAX_PACKAGE_BYTES:,} bytes")
                out.write(chunk)
        try:
            report = import_package(rt.catalog, rt.store, path)
        except PackageError as exc:
            raise Problem(422, "Package refused", str(exc)) from None
        record(request, "package.import", None, **{k: v for k, v in report.__dict__.items() if isinstance(v, (str, int))})
        return report.__dict__
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


@router.delete("/documents/{document_id}", summary="Delete a document after its retention period, leaving a tombstone")
def delete(document_id: str, body: DeleteBody, request: Request, who: Principal = Depends(principal),
           rt: Runtime = Depends(runtime)):
    from storage.archive import ArchiveRefused, configure_from_file, delete_document

    if rt.settings.retention_table:
        configure_from_file(rt.settings.retention_table)
    try:
        with rt.catalog.session() as session:
            tomb = delete_document(session, rt.store, document_id, who.actor, "agency_admin", body.reason)
    except ArchiveRefused as exc:
        status = 404 if "no document" in str(exc) else 403 if "role" in str(exc) else 409
        raise Problem(status, "Deletion refused", str(exc)) from None
    record(request, "document.delete", f"document:{document_id}", reason=body.reason, tombstone=tomb.id)
    return {"document_id": document_id, "tombstone": tomb.id, "objects_removed": len(tomb.sha256s),
            "at": tomb.at.isoformat()}


def _ensure(path: Path) -> Path:
    path.mkdir(parents=True, exist_ok=True)
    return path
