"""Verification by anyone, share links, and the national-portal outbox.

``GET /verify/{code}`` and ``GET /share/{token}`` are public (no login): the first is what a phone opens from
the QR code on a result, the second what a holder hands someone. Both say only what the holder agreed to.
The rules live in ``ingest.verification`` and ``ingest.portal``; these are the doors.
"""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, Depends, File, Query, Request, UploadFile
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, Field

from api.problems import Problem, problem
from api.routes.deps import runtime
from api.security import actor, record
from api.web.public import verification_error, verification_page
from ingest import portal, verification
from ingest.runtime import Runtime

router = APIRouter(tags=["verification and sharing"])
MAX_VERIFY_BYTES = 200 * 1024 * 1024
PUBLIC_HEADERS = {"Cache-Control": "no-store", "Referrer-Policy": "no-referrer", "X-Robots-Tag": "noindex"}


def _wants_html(request: Request) -> bool:
    """A browser (Accept names text/html before any JSON) gets the page; everyone else JSON."""
    accept = request.headers.get("accept", "").lower()
    if "text/html" not in accept:
        return False
    return "application/json" not in accept or accept.index("text/html") < accept.index("application/json")


@router.get("/verify/{code}", summary="Public: is the result or copy with this code genuine and current, and what is it")
def verify_code(code: str, request: Request, rt: Runtime = Depends(runtime)):
    html = _wants_html(request)
    try:
        info = verification.verify_by_code(rt, code)
    except verification.CodeError as exc:
        return _error(html, 422, "Not a verification code", str(exc), request, reason=exc.reason)
    except LookupError:
        return _error(html, 404, "Not Found", "no result or certified copy has this verification code", request)
    record(request, "verification.code", f"code:{code.strip().upper()[:40]}", genuine=info.get("genuine"))
    if html:
        return verification_page(request, info)
    return JSONResponse(info, headers=PUBLIC_HEADERS)


@router.get("/verify/{code}/qr.png", summary="Public: the QR code of a verification address", response_class=Response)
def verify_qr(code: str, request: Request, rt: Runtime = Depends(runtime)):
    try:
        code = verification.parse_code(code)
    except verification.CodeError as exc:
        raise Problem(422, "Not a verification code", str(exc), reason=exc.reason) from None
    return Response(verification.qr_png(verification.verify_url(rt, code)), media_type="image/png",
                    headers={"Cache-Control": "public, max-age=86400"})


def _error(html: bool, status: int, title: str, detail: str, request: Request, **extra):
    if html:
        return verification_error(request, status, title, detail)
    return problem(status, title, detail, request.url.path, **extra)


@router.post("/api/v1/verify", summary="Is this file in the archive (by SHA-256), as what, and are its signatures valid")
def verify_upload(request: Request,
                  file: UploadFile = File(..., description="the file someone was handed (PDF, or an original scan)"),
                  rt: Runtime = Depends(runtime)):
    data = file.file.read(MAX_VERIFY_BYTES + 1)
    if len(data) > MAX_VERIFY_BYTES:
        raise Problem(413, "Content Too Large", f"a file to verify may be at most {MAX_VERIFY_BYTES:,} bytes")
    if not data:
        raise Problem(422, "Empty file", "the uploaded file is empty")
    answer = verification.verify_upload(rt, data)
    record(request, "verification.upload", None, sha256=answer["sha256"], in_archive=answer["in_archive"],
           verdict=answer["signature_verdict"])
    return answer


class ShareBody(BaseModel):
    hours: float = Field(72, gt=0, description=f"how long the link works; at most {verification.MAX_SHARE_HOURS} (30 days)")
    by: str | None = Field(None, max_length=128, description="ignored: the logged-in caller is recorded")
    result_id: str | None = Field(None, max_length=32, description="the result the link shares, if any")


@router.post("/api/v1/documents/{document_id}/share", status_code=201, summary="A time-limited link to one document")
def create_share(document_id: str, body: ShareBody, request: Request, rt: Runtime = Depends(runtime)):
    try:
        link = verification.create_share(rt, document_id, body.hours, actor(request), result_id=body.result_id)
    except LookupError as exc:
        raise Problem(404, "Not Found", str(exc)) from None
    except ValueError as exc:
        raise Problem(422, "Invalid request", str(exc)) from None
    record(request, "share.create", f"document:{document_id}", hours=min(body.hours, verification.MAX_SHARE_HOURS))
    capped = body.hours > verification.MAX_SHARE_HOURS
    return JSONResponse(_share(link) | ({"capped_to_hours": verification.MAX_SHARE_HOURS} if capped else {}),
                        status_code=201, headers={"Location": f"/share/{link.token}"})


@router.delete("/api/v1/shares/{token}", status_code=204, summary="Revoke a share link")
def revoke_share(token: str, request: Request, rt: Runtime = Depends(runtime)):
    try:
        verification.revoke_share(rt, token)
    except LookupError as exc:
        raise Problem(404, "Not Found", str(exc)) from None
    record(request, "share.revoke", f"share:{token[:12]}")
    return Response(status_code=204)


@router.get("/share/{token}", summary="Public: the shared document's PDF, while the link lasts", response_class=Response)
def open_share(token: str, request: Request, rt: Runtime = Depends(runtime)):
    try:
        shared = verification.open_share(rt, token)
    except verification.ShareError as exc:
        return _error(_wants_html(request), exc.status, exc.title, exc.detail, request)
    record(request, "share.open", f"share:{token[:12]}")
    safe = "".join(c if c.isascii() and (c.isalnum() or c in "._-") else "_" for c in shared.filename) or "document.pdf"
    return Response(shared.pdf, media_type="application/pdf",
                    headers=PUBLIC_HEADERS | {"Content-Disposition": f'inline; filename="{safe}"'})


def _share(link) -> dict:
    return {"token": link.token, "url": f"/share/{link.token}", "document_id": link.document_id,
            "result_id": link.result_id, "created_by": link.created_by, "revoked": link.revoked,
            "expires_at": verification._aware(link.expires_at).isoformat()}


@router.get("/api/v1/outbox", summary="Messages to the national portal, newest first, each with its attempts")
def list_outbox(state: Literal["pending", "sending", "sent", "dead"] | None = Query(None),
                limit: int = Query(50, ge=1, le=500), offset: int = Query(0, ge=0), rt: Runtime = Depends(runtime)):
    return portal.messages(rt, state=state, limit=limit, offset=offset)


@router.post("/api/v1/outbox/deliver", summary="Deliver what is due to the national portal now")
def deliver_outbox(limit: int = Query(50, ge=1, le=500), rt: Runtime = Depends(runtime)):
    try:
        return portal.deliver_due(rt, limit=limit)
    except portal.PortalNotConfigured as exc:
        raise Problem(409, "Portal not configured", str(exc)) from None


@router.post("/api/v1/outbox/{message_id}/retry", summary="Queue a dead message again (after fixing what was refused)")
def retry_outbox(message_id: int, rt: Runtime = Depends(runtime)):
    try:
        row = portal.retry_dead(rt, message_id)
    except LookupError as exc:
        raise Problem(404, "Not Found", str(exc)) from None
    except ValueError as exc:
        raise Problem(409, "Not dead", str(exc)) from None
    return {"id": row.id, "state": row.state}
