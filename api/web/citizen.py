"""The citizen's pages: my results, each with its download and its share links (create, copy, revoke).

Staff who share a document from its page use the same two forms. Links are made and revoked by
``ingest.verification``, exactly as through ``POST /api/v1/documents/{id}/share``.
"""

from __future__ import annotations

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse

from api.problems import Problem
from api.routes.deps import runtime
from api.security import actor, principal, record
from api.web.render import page
from api.web.session import check_csrf
from ingest import results, verification
from ingest.identity import CITIZEN, Principal
from ingest.runtime import Runtime

router = APIRouter(prefix="/web", include_in_schema=False)
SHARE_HOURS = (24, 72, 168, 720)  # a day, three days, a week, the longest a link may last


def _mine(request: Request, rt: Runtime, who: Principal, *, error: tuple | None = None, status: int = 200,
          created: str | None = None):
    items = results.lookup(rt, who.citizen_id)
    record(request, "citizen.results", f"holder:{who.citizen_id}", found=len(items))
    shares: dict[str, list] = {}
    for link in verification.live_shares(rt, [r["document_id"] for r in items]):
        shares.setdefault(link.document_id, []).append(link)
    return page(request, "me.html", status=status, items=items, shares=shares, hours=SHARE_HOURS, error=error,
                created=created, base=str(request.base_url).rstrip("/"))


@router.get("/me")
def my_results(request: Request, created: str | None = None, rt: Runtime = Depends(runtime),
               who: Principal = Depends(principal)):
    return _mine(request, rt, who, created=created)


def _back(who: Principal, document_id: str, token: str | None = None) -> RedirectResponse:
    if CITIZEN in who.roles:
        url = f"/web/me?created={token}#share-{document_id}" if token else f"/web/me#share-{document_id}"
    else:
        url = f"/web/documents/{document_id}"
    return RedirectResponse(url, status_code=303)


@router.post("/documents/{document_id}/share")
def share(document_id: str, request: Request, csrf: str = Form(""), hours: str = Form("72"),
          result_id: str = Form("", max_length=32), rt: Runtime = Depends(runtime), who: Principal = Depends(principal)):
    check_csrf(request, csrf)
    try:
        n = float(hours)
        if n not in SHARE_HOURS:
            raise ValueError
        link = verification.create_share(rt, document_id, n, actor(request), result_id=result_id or None)
    except ValueError:
        if CITIZEN in who.roles:
            return _mine(request, rt, who, error=("share.hours", {}), status=422)
        raise Problem(422, "Invalid request", "share.hours") from None
    except LookupError as exc:
        raise Problem(404, "Not Found", str(exc)) from None
    record(request, "share.create", f"document:{document_id}", hours=n)
    return _back(who, document_id, link.token)


@router.post("/shares/{token}/revoke")
def revoke(token: str, request: Request, csrf: str = Form(""), rt: Runtime = Depends(runtime),
           who: Principal = Depends(principal)):
    check_csrf(request, csrf)
    try:
        link = verification.revoke_share(rt, token)
    except LookupError as exc:
        raise Problem(404, "Not Found", str(exc)) from None
    record(request, "share.revoke", f"share:{token[:12]}")
    return _back(who, link.document_id)
