"""The auditor's pages: the audit trail with filters and paging (on the chain's sequence), and the chain check."""

from __future__ import annotations

from datetime import date

from fastapi import APIRouter, Depends, Query, Request

from api.routes.deps import runtime
from api.security import principal
from api.web.render import page
from ingest.identity import Principal
from ingest.runtime import Runtime
from storage import audit

router = APIRouter(prefix="/web", include_in_schema=False)
PAGE_SIZE = 50


def _day(text: str) -> date | None:
    return date.fromisoformat(text) if text else None


@router.get("/audit")
def audit_page(request: Request, action: str = Query("", max_length=64), actor: str = Query("", max_length=128),
               subject: str = Query("", max_length=128), date_from: str = Query("", max_length=10),
               date_to: str = Query("", max_length=10), after: int = Query(0, ge=0),
               who: Principal = Depends(principal), rt: Runtime = Depends(runtime)):
    form = {"action": action, "actor": actor, "subject": subject, "date_from": date_from, "date_to": date_to}
    try:
        lo, hi = _day(date_from), _day(date_to)
    except ValueError:
        return page(request, "audit.html", status=422, form=form, rows=[], error=("audit.bad_date", {}), after=after)
    q = audit.AuditQuery(action=action or None, actor=actor or None, subject=subject or None, date_from=lo,
                         date_to=hi, after_seq=after)
    rows = audit.entries(rt.catalog, q, limit=PAGE_SIZE)
    audit.record(rt.catalog, "audit.read", actor=who.actor, agency_id=who.agency_id,
                 detail={"filters": {k: v for k, v in vars(q).items() if v}, "count": len(rows), "page": True})
    next_after = rows[-1].seq if len(rows) == PAGE_SIZE else None
    return page(request, "audit.html", form=form, rows=[e.as_dict() for e in rows], after=after, next_after=next_after)


@router.get("/audit/verify")
def audit_verify(request: Request, rt: Runtime = Depends(runtime)):
    return page(request, "audit_verify.html", report=audit.verify(rt.catalog).as_dict())
