"""The signer's and the văn thư's pages: what waits for a signature, a preview of where the Decree 30 appearance
lands (the same placement code that signs), the request, and the job's state until it is done.

Keys are checked and jobs queued by the JSON route's own functions (``may_use_key``, ``queue_job``); a PIN
typed here goes to the runner with the job, exactly as through the API, and is never stored.
"""

from __future__ import annotations

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response

from api.problems import Problem
from api.routes.deps import runtime
from api.routes.signing import job_dict, may_use_key, queue_job
from api.security import principal
from api.web.render import fragment, page
from api.web.session import check_csrf
from ingest import signatures, signing_desk
from ingest.identity import SIGNER, VAN_THU, Principal
from ingest.runtime import Runtime
from ingest.status import document_detail
from storage.catalog import SignJob

router = APIRouter(prefix="/web", include_in_schema=False)
LEVELS = ("B-B", "B-T", "B-LT", "B-LTA")


def _keys_for(rt: Runtime, who: Principal) -> list[tuple[str, str]]:
    """(keyring id, role) of the keys this person may sign with: their own, and the agency's for the văn thư."""
    try:
        ring = signatures.keyring(rt)
    except signatures.SignatureRefused:
        return []
    keys = []
    if who.has(SIGNER) and who.signer_key in ring and ring[who.signer_key].role == "personal":
        keys.append((who.signer_key, "personal"))
    if who.has(VAN_THU):
        keys += [(k, "agency") for k, spec in sorted(ring.items()) if spec.role == "agency"]
    return keys


@router.get("/sign")
def queue(request: Request, rt: Runtime = Depends(runtime), who: Principal = Depends(principal)):
    lists = []
    if who.has(SIGNER):
        lists.append(("personal", signing_desk.waiting(rt, who, "personal")))
    if who.has(VAN_THU):
        lists.append(("agency", signing_desk.waiting(rt, who, "agency")))
    return page(request, "sign_queue.html", lists=lists, configured=bool(_keys_for(rt, who)))


@router.get("/sign/{document_id}")
def sign_form(document_id: str, request: Request, rt: Runtime = Depends(runtime), who: Principal = Depends(principal)):
    return _sign_page(request, rt, who, document_id)


def _sign_page(request: Request, rt: Runtime, who: Principal, document_id: str, *, error: tuple | None = None,
               status: int = 200, signer: str | None = None):
    detail = document_detail(rt, document_id)
    if detail is None:
        raise Problem(404, "Not Found", f"no document {document_id}")
    keys = _keys_for(rt, who)
    chosen = signer if signer in dict(keys) else (keys[0][0] if keys else None)
    preview_error = None
    if chosen:
        try:
            signatures.placement(rt, document_id, chosen)
        except (signatures.SignatureRefused, LookupError, ValueError) as exc:
            preview_error = str(exc)
    return page(request, "sign.html", status=status, doc=detail, keys=keys, chosen=chosen, levels=LEVELS,
                default_level=rt.settings.signature_level, error=error, preview_error=preview_error)


@router.get("/sign/{document_id}/preview.png")
def preview(document_id: str, signer: str, rt: Runtime = Depends(runtime), who: Principal = Depends(principal)):
    if signer not in dict(_keys_for(rt, who)):
        raise Problem(403, "Forbidden", f"you do not sign with {signer}")
    try:
        png, _page = signing_desk.preview_png(rt, document_id, signer)
    except LookupError as exc:
        raise Problem(404, "Not Found", str(exc)) from None
    except signatures.SignatureRefused as exc:
        raise Problem(409, "No placement", str(exc)) from None
    return Response(png, media_type="image/png", headers={"Cache-Control": "no-store"})


@router.post("/sign/{document_id}")
def sign(document_id: str, request: Request, csrf: str = Form(""), signer: str = Form("", max_length=64),
         level: str = Form("", max_length=8), pin: str = Form("", max_length=256), rt: Runtime = Depends(runtime),
         who: Principal = Depends(principal)):
    check_csrf(request, csrf)
    if signer not in dict(_keys_for(rt, who)):
        return _sign_page(request, rt, who, document_id, error=("sign.no_key", {}), status=403)
    if level and level not in LEVELS:
        return _sign_page(request, rt, who, document_id, error=("sign.level", {}), status=422, signer=signer)
    try:
        may_use_key(request, rt, signer)
        job = queue_job(request, rt, pin or None, document_id, action="sign", signer_id=signer, level=level or None)
    except Problem as exc:
        if exc.status == 404:
            raise
        return _sign_page(request, rt, who, document_id, error=("sign.refused", {"reason": exc.detail}),
                          status=exc.status, signer=signer)
    return RedirectResponse(f"/web/sign-jobs/{job.id}", status_code=303)


def _job(rt: Runtime, job_id: str) -> dict:
    with rt.catalog.session() as session:
        job = session.get(SignJob, job_id)
        if job is None:
            raise Problem(404, "Not Found", f"no sign job {job_id}")
        return job_dict(job)


@router.get("/sign-jobs/{job_id}")
def job_page(job_id: str, request: Request, rt: Runtime = Depends(runtime)):
    return page(request, "job.html", job=_job(rt, job_id))


@router.get("/sign-jobs/{job_id}/state")
def job_state(job_id: str, request: Request, rt: Runtime = Depends(runtime)):
    """The job's state alone, polled by htmx until it is done or failed."""
    return fragment(request, "_job.html", job=_job(rt, job_id))
