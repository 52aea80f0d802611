"""The audit trail for auditors: browse with filters, check the chain, export it whole or filtered."""

from __future__ import annotations

import io
import json
from datetime import date

from fastapi import APIRouter, Depends, Query
from fastapi.responses import StreamingResponse

from api.routes.deps import runtime
from api.security import principal
from ingest.identity import Principal
from ingest.runtime import Runtime
from storage import audit

router = APIRouter(prefix="/api/v1/audit", tags=["audit"])


def _query(action, actor, agency, subject, date_from, date_to, after) -> audit.AuditQuery:
    return audit.AuditQuery(action=action, actor=actor, agency_id=agency, subject=subject, date_from=date_from,
                            date_to=date_to, after_seq=after)


@router.get("", summary="Audit entries in chain order; page on with after=<last seq>")
def entries(action: str | None = Query(None, max_length=64, description="exact, or a prefix ending in '.' (exchange.)"),
            actor: str | None = Query(None, max_length=128), agency: str | None = Query(None, max_length=35),
            subject: str | None = Query(None, max_length=128), date_from: date | None = None, date_to: date | None = None,
            after: int = Query(0, ge=0), limit: int = Query(100, ge=1, le=1000),
            who: Principal = Depends(principal), rt: Runtime = Depends(runtime)):
    q = _query(action, actor, agency, subject, date_from, date_to, after)
    rows = audit.entries(rt.catalog, q, limit=limit)
    audit.record(rt.catalog, "audit.read", actor=who.actor, agency_id=who.agency_id,
                 detail={"filters": {k: v for k, v in vars(q).items() if v}, "count": len(rows)})
    return {"items": [e.as_dict() for e in rows], "next_after": rows[-1].seq if len(rows) == limit else None}


@router.get("/verify", summary="Walk the whole chain: is any entry edited, removed or reordered")
def verify(rt: Runtime = Depends(runtime)):
    return audit.verify(rt.catalog).as_dict()


@router.get("/export", summary="The entries as JSON lines, each with its hashes (checkable on its own)")
def export(action: str | None = Query(None, max_length=64), actor: str | None = Query(None, max_length=128),
           agency: str | None = Query(None, max_length=35), subject: str | None = Query(None, max_length=128),
           date_from: date | None = None, date_to: date | None = None,
           who: Principal = Depends(principal), rt: Runtime = Depends(runtime)):
    q = _query(action, actor, agency, subject, date_from, date_to, 0)
    audit.record(rt.catalog, "audit.export", actor=who.actor, agency_id=who.agency_id,
                 detail={"filters": {k: v for k, v in vars(q).items() if v}})

    def lines():
        buf = io.StringIO()
        for e in audit.iter_entries(rt.catalog, q):
            buf.write(json.dumps(e.as_dict(), ensure_ascii=False) + "\n")
            if buf.tell() > 256 * 1024:
                yield buf.getvalue().encode()
                buf = io.StringIO()
        yield buf.getvalue().encode()

    return StreamingResponse(lines(), media_type="application/x-ndjson",
                             headers={"Content-Disposition": 'attachment; filename="audit.jsonl"'})
