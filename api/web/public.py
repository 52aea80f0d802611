"""Public pages: the verification of a QR code (what ``GET /verify/{code}`` shows a browser) and a form to verify
a code typed from paper or a file someone was handed. Answers come from ``ingest.verification``."""

from __future__ import annotations

from fastapi import APIRouter, Depends, File, Request, UploadFile
from fastapi.responses import HTMLResponse, RedirectResponse

from api.routes.deps import runtime
from api.security import record
from api.web.render import page
from api.web.session import check_origin
from ingest import verification
from ingest.runtime import Runtime

router = APIRouter(prefix="/web", include_in_schema=False)
MAX_VERIFY_BYTES = 200 * 1024 * 1024
PUBLIC_HEADERS = {"Cache-Control": "no-store", "Referrer-Policy": "no-referrer", "X-Robots-Tag": "noindex"}


def verification_page(request: Request, info: dict) -> HTMLResponse:
    """The page a phone shows after scanning the QR code on a result or a certified copy."""
    return page(request, "verified.html", info=info, headers=PUBLIC_HEADERS)


def verification_error(request: Request, status: int, title: str, detail: str) -> HTMLResponse:
    return page(request, "verify_error.html", status=status, status_code=status, title=title, detail=detail,
                headers=PUBLIC_HEADERS)


@router.get("/verify")
def verify_form(request: Request, code: str | None = None):
    if code and code.strip():
        try:
            return RedirectResponse(verification.verify_path(verification.parse_code(code)), status_code=303)
        except verification.CodeError as exc:
            return page(request, "verify_form.html", status=422, code=code[:64],
                        error=("verify.bad_code", {"reason": str(exc)}), headers=PUBLIC_HEADERS)
    return page(request, "verify_form.html", headers=PUBLIC_HEADERS)


@router.post("/verify")
def verify_file(request: Request, file: UploadFile | None = File(None), rt: Runtime = Depends(runtime)):
    check_origin(request)
    data = file.file.read(MAX_VERIFY_BYTES + 1) if file is not None else b""
    if not data:
        return page(request, "verify_form.html", status=422, error=("verify.empty", {}), headers=PUBLIC_HEADERS)
    if len(data) > MAX_VERIFY_BYTES:
        return page(request, "verify_form.html", status=413, error=("verify.too_large", {}), headers=PUBLIC_HEADERS)
    answer = verification.verify_upload(rt, data)
    record(request, "verification.upload", None, sha256=answer["sha256"], in_archive=answer["in_archive"],
           verdict=answer["signature_verdict"])
    return page(request, "verify_form.html", answer=answer, filename=file.filename or "", headers=PUBLIC_HEADERS)
