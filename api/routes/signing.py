"""Signatures: ask for a personal or agency signature, a certified copy, and validate any signed PDF.

Signing is queued (202 with a job to poll): a token may be slow or busy, and the API must not wait on it.
Who may hold which key is checked here: a person signs only with the key their account names (``signer_key``), the
agency key is the văn thư's; the order (personal, then agency) is enforced below, in ingest.
"""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, Depends, File, Query, Request, UploadFile
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, Field

from api.problems import Problem
from api.routes.deps import runtime, stream_object
from api.security import principal
from ingest import identity, signatures
from ingest.runtime import Runtime
from signing.report import report_pdf
from signing.trust import TrustError
from signing.validate import ValidationError
from storage.catalog import CertifiedCopy, Document, SignJob

router = APIRouter(prefix="/api/v1", tags=["signatures"])
MAX_VALIDATE_BYTES = 200 * 1024 * 1024


class Placement(BaseModel):
    page: int = Field(1, ge=1, description="1-based page")
    rect: tuple[float, float, float, float] = Field(..., description="x1, y1, x2, y2 in PDF points, origin bottom-left")


class SignBody(BaseModel):
    signer: str = Field(..., description="the signer's id in the keyring")
    role: Literal["personal", "agency"] | None = Field(None, description="defaults to the signer's role")
    level: Literal["B-B", "B-T", "B-LT", "B-LTA"] | None = Field(None, description="PAdES level; default SOHOA_SIGNATURE_LEVEL")
    appearance: Literal["auto", "signature", "seal", "text", "none"] = Field(
        "auto", description="auto: the signature image for a person, the seal for the agency; text: the stamp for attachments")
    box: Placement | None = Field(None, description="where the appearance goes, instead of the automatic placement")
    reason: str | None = Field(None, max_length=200)
    pin: str | None = Field(None, description="token PIN or key passphrase, if the keyring does not supply it; never stored", repr=False)


class CopyBody(BaseModel):
    signer: str = Field(..., description="an agency signer of the copying agency")
    form: Literal["SAO Y", "TRÍCH SAO", "SAO LỤC"] = "SAO Y"
    level: Literal["B-B", "B-T", "B-LT", "B-LTA"] | None = None
    pin: str | None = Field(None, repr=False)


@router.post("/documents/{document_id}/sign", status_code=202, summary="Queue a signature (personal first, then the agency)")
def sign_document(document_id: str, body: SignBody, request: Request, rt: Runtime = Depends(runtime)):
    may_use_key(request, rt, body.signer)
    box = signatures.Box(body.box.page, body.box.rect) if body.box else None
    job = queue_job(request, rt, body.pin, document_id, action="sign", signer_id=body.signer, role=body.role,
                 level=body.level, appearance=body.appearance, box=box, reason=body.reason)
    return _accepted(job)


@router.post("/documents/{document_id}/certified-copy", status_code=202, summary="Queue a certified electronic copy (SAO Y)")
def certified_copy(document_id: str, body: CopyBody, request: Request, rt: Runtime = Depends(runtime)):
    may_use_key(request, rt, body.signer)
    job = queue_job(request, rt, body.pin, document_id, action="certified_copy", signer_id=body.signer, role="agency",
                 level=body.level, appearance="text", form=body.form)
    return _accepted(job)


@router.get("/sign-jobs/{job_id}", summary="A signature request's state and outcome")
def get_job(job_id: str, rt: Runtime = Depends(runtime)):
    with rt.catalog.session() as session:
        return job_dict(_row(session, SignJob, job_id, "sign job"))


@router.get("/documents/{document_id}/versions", summary="Every PDF the document has been, oldest first")
def list_versions(document_id: str, rt: Runtime = Depends(runtime)):
    with rt.catalog.session() as session:
        doc = _doc(session, document_id)
        rows = signatures.versions(session, document_id)
        if not rows:
            return {"items": [{"number": 1, "kind": "digitized", "pdf_sha256": doc.pdf_sha256, "pdf_size": doc.pdf_size}]}
        return {"items": [{"number": v.number, "kind": v.kind, "pdf_sha256": v.pdf_sha256, "pdf_size": v.pdf_size,
                           "signer_id": v.signer_id, "signer_name": v.signer_name, "level": v.level,
                           "created_at": v.created_at.isoformat()} for v in rows]}


@router.get("/documents/{document_id}/versions/{number}/pdf", summary="One version's PDF")
def version_pdf(document_id: str, number: int, rt: Runtime = Depends(runtime)):
    with rt.catalog.session() as session:
        doc = _doc(session, document_id)
        if doc.state == "recalled":
            raise Problem(410, "Gone", f"document {document_id} was recalled by the agency that sent it; only its record remains")
        rows = {v.number: (v.pdf_sha256, v.pdf_size) for v in signatures.versions(session, document_id)} \
            or {1: (doc.pdf_sha256, doc.pdf_size)}
    if number not in rows:
        raise Problem(404, "Not Found", f"document {document_id} has no version {number}")
    sha, size = rows[number]
    return stream_object(rt, sha, "application/pdf", f"{document_id}-v{number}.pdf", size)


@router.get("/documents/{document_id}/copies", summary="Certified copies made of the document")
def list_copies(document_id: str, rt: Runtime = Depends(runtime)):
    from sqlalchemy import select

    with rt.catalog.session() as session:
        _doc(session, document_id)
        rows = session.scalars(select(CertifiedCopy).where(CertifiedCopy.document_id == document_id)
                               .order_by(CertifiedCopy.created_at)).all()
        return {"items": [_copy(c) for c in rows]}


@router.get("/copies/{copy_id}/pdf", summary="A certified copy's signed PDF")
def copy_pdf(copy_id: str, rt: Runtime = Depends(runtime)):
    with rt.catalog.session() as session:
        copy = _row(session, CertifiedCopy, copy_id, "certified copy")
    return stream_object(rt, copy.pdf_sha256, "application/pdf", f"{copy.notation.replace('/', '-')}.pdf", copy.pdf_size)


@router.get("/documents/{document_id}/validation", summary="Validate a stored document's signatures")
def validate_stored(document_id: str, version: int | None = Query(None, ge=1),
                    format: Literal["json", "pdf"] = Query("json"), rt: Runtime = Depends(runtime)):
    try:
        report = signatures.validate_document(rt, document_id, version)
    except LookupError as exc:
        raise Problem(404, "Not Found", str(exc)) from None
    except (signatures.SignatureRefused, TrustError) as exc:
        raise Problem(409, "Validation not configured", str(exc)) from None
    return _report(report, format, f"{document_id}.pdf")


@router.post("/validate", summary="Validate every signature of an uploaded PDF (ETSI-style verdict, JSON or PDF report)")
def validate_upload(file: UploadFile = File(..., description="a signed PDF"),
                    format: Literal["json", "pdf"] = Query("json"), rt: Runtime = Depends(runtime)):
    data = file.file.read(MAX_VALIDATE_BYTES + 1)
    if len(data) > MAX_VALIDATE_BYTES:
        raise Problem(413, "Content Too Large", f"a file to validate may be at most {MAX_VALIDATE_BYTES:,} bytes")
    if not data:
        raise Problem(422, "Empty file", "the uploaded file is empty")
    try:
        report = signatures.validator(rt).validate(data)
    except ValidationError as exc:
        raise Problem(422, "Not a readable PDF", str(exc)) from None
    except (signatures.SignatureRefused, TrustError) as exc:
        raise Problem(409, "Validation not configured", str(exc)) from None
    return _report(report, format, file.filename or "document.pdf")


def may_use_key(request: Request, rt: Runtime, signer_id: str) -> None:
    """Refuse (403) a key the caller does not hold: the JSON route's check and the signing page's."""
    who = principal(request)
    try:
        spec = signatures.signer_spec(rt, signer_id)
    except LookupError as exc:
        raise Problem(404, "Not Found", str(exc)) from None
    except signatures.SignatureRefused as exc:
        raise Problem(409, "Signature refused", str(exc)) from None
    if spec.role == "agency":
        if not who.has(identity.VAN_THU):
            raise Problem(403, "Forbidden", "the agency's signature and seal are applied by the văn thư")
    elif not who.has(identity.SIGNER) or who.signer_key != signer_id:
        raise Problem(403, "Forbidden", f"a personal signature is made only by its holder: your account signs with "
                      f"{who.signer_key or 'no key (an agency admin sets signer_key)'}, not {signer_id}")


def queue_job(request: Request, rt: Runtime, pin: str | None, document_id: str, **kwargs) -> SignJob:
    """Queue a signature or copy and hand it to the runner; refusals become 404, 409 or 422 problems."""
    try:
        job = signatures.request(rt, document_id, by=principal(request).actor, **kwargs)
    except LookupError as exc:
        raise Problem(404, "Not Found", str(exc)) from None
    except signatures.SignatureRefused as exc:
        raise Problem(409, "Signature refused", str(exc)) from None
    except ValueError as exc:
        raise Problem(422, "Invalid request", str(exc)) from None
    request.app.state.runner.submit_sign(job.id, pin)
    return job


def _accepted(job: SignJob) -> JSONResponse:
    return JSONResponse(job_dict(job), status_code=202, headers={"Location": f"/api/v1/sign-jobs/{job.id}"})


def job_dict(job: SignJob) -> dict:
    """A sign job as the API and the job page show it."""
    return {"id": job.id, "document_id": job.document_id, "action": job.action, "role": job.role,
            "signer": job.signer_id, "state": job.state, "error": job.error, "result": job.result,
            "options": {k: v for k, v in (job.options or {}).items() if v is not None},
            "created_at": job.created_at.isoformat() if job.created_at else None,
            "finished_at": job.finished_at.isoformat() if job.finished_at else None}


def _copy(c: CertifiedCopy) -> dict:
    return {"id": c.id, "form": c.form, "agency": c.agency, "notation": c.notation, "year": c.year,
            "pdf_sha256": c.pdf_sha256, "pdf_size": c.pdf_size, "signer_id": c.signer_id,
            "created_at": c.created_at.isoformat(), "pdf": f"/api/v1/copies/{c.id}/pdf"}


def _doc(session, document_id: str) -> Document:
    return _row(session, Document, document_id, "document")


def _row(session, model, key: str, what: str):
    row = session.get(model, key)
    if row is None:
        raise Problem(404, "Not Found", f"no {what} {key}")
    return row


def _report(report, fmt: str, filename: str):
    if fmt == "pdf":
        return Response(report_pdf(report, filename=filename), media_type="application/pdf",
                        headers={"Content-Disposition": 'inline; filename="validation-report.pdf"'})
    return report.to_dict()
