"""Reuse: agencies, dossiers received at the desk, results registered to their holder and reused by reference.

The doors only; the rules (gap-free codes, who may reuse what, why a result is refused) live in
``ingest.receipt`` and ``ingest.results``; who may call each door is ``api.permissions``'. A citizen is named by
their own login, so they see their own results and nobody else's; every look at a holder's record is audited.
"""

from __future__ import annotations

from datetime import date
from typing import Literal

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from api.problems import Problem
from api.routes.deps import runtime
from api.security import principal, record
from ingest import access, receipt, results
from ingest.dossier import agency_id_error
from ingest.identity import Principal
from ingest.runtime import Runtime
from storage.catalog import Agency, Dossier

router = APIRouter(prefix="/api/v1", tags=["reuse"])


class AgencyBody(BaseModel):
    id: str = Field(..., max_length=35, description="Decision 20/2020 electronic identifier, e.g. 000.00.12.H01")
    name: str = Field(..., min_length=1, max_length=255)
    parent_id: str | None = Field(None, max_length=35)


class DossierBody(BaseModel):
    agency_id: str = Field(..., max_length=35)
    procedure: str = Field(..., min_length=1, max_length=255, description="the administrative procedure")
    holder_id: str = Field(..., max_length=20, description="12-digit personal ID or tax code")
    holder_name: str | None = Field(None, max_length=255)
    due: date | None = None
    days: int | None = Field(None, ge=0, le=365, description="due this many days after receipt, if no due date")


class StatusBody(BaseModel):
    status: Literal["received", "processing", "settled", "returned", "cancelled"]


class ResultBody(BaseModel):
    document_id: str
    holder_id: str | None = Field(None, max_length=20, description="default: the ID read on the document")
    issued: date | None = None
    expires: date | None = None
    copy_id: str | None = Field(None, description="the certified electronic copy that carries the result")
    disclosed: list[str] | None = Field(None, description=f"fields /verify may show: {', '.join(results.DISCLOSABLE)}")


class ResultStatusBody(BaseModel):
    status: Literal["valid", "revoked", "replaced"]
    reason: str | None = Field(None, max_length=500)
    replaced_by: str | None = None


class AttachBody(BaseModel):
    result_id: str
    by: str | None = Field(None, max_length=128, description="ignored: the logged-in clerk is recorded")


@router.post("/agencies", status_code=201, summary="Add or rename an agency (Decision 20/2020 identifier)")
def put_agency(body: AgencyBody, request: Request, rt: Runtime = Depends(runtime)):
    row = _call(receipt.add_agency, rt, body.id, body.name, body.parent_id)
    record(request, "agency.put", f"agency:{row.id}", name=row.name, parent_id=row.parent_id)
    return {"id": row.id, "name": row.name, "parent_id": row.parent_id}


@router.get("/agencies", summary="Agencies, each with its parent")
def list_agencies(rt: Runtime = Depends(runtime)):
    with rt.catalog.session() as session:
        return {"items": [{"id": a.id, "name": a.name, "parent_id": a.parent_id}
                          for a in session.query(Agency).order_by(Agency.id)]}


@router.post("/dossiers", status_code=201, summary="Receive a dossier: numbered <agency id>-YYMMDD-NNNN without gaps")
def receive_dossier(body: DossierBody, request: Request, who: Principal = Depends(principal),
                    rt: Runtime = Depends(runtime)):
    if problem := agency_id_error(body.agency_id.strip()):
        raise Problem(422, "Invalid agency", problem)
    with rt.catalog.session() as session:
        if not access.within(session, who, body.agency_id.strip()):
            raise Problem(403, "Forbidden", f"you receive dossiers for {who.agency_id} and the agencies under it, "
                          f"not for {body.agency_id}")
    row = _call(receipt.receive, rt, body.agency_id, procedure=body.procedure, holder_id=body.holder_id,
                holder_name=body.holder_name, due=body.due, days=body.days)
    record(request, "dossier.receive", f"dossier:{row.code}", procedure=row.procedure, holder_id=row.holder_id)
    return JSONResponse(dossier_dict(row), status_code=201, headers={"Location": f"/api/v1/dossiers/{row.code}"})


@router.get("/dossiers/{code}", summary="A dossier and the prior results attached to it")
def get_dossier(code: str, rt: Runtime = Depends(runtime)):
    with rt.catalog.session() as session:
        row = session.get(Dossier, code)
        if row is None:
            raise Problem(404, "Not Found", f"no dossier {code}")
    return {**dossier_dict(row), "attached_results": results.attached(rt, code)}


@router.patch("/dossiers/{code}", summary="Move a dossier on (processing, settled, returned, cancelled)")
def patch_dossier(code: str, body: StatusBody, request: Request, rt: Runtime = Depends(runtime)):
    row = dossier_dict(_call(receipt.set_status, rt, code, body.status))
    record(request, "dossier.status", f"dossier:{code}", status=body.status)
    return row


@router.post("/dossiers/{code}/results", status_code=201, summary="Attach a prior result to the dossier by reference")
def attach_result(code: str, body: AttachBody, request: Request, who: Principal = Depends(principal),
                  rt: Runtime = Depends(runtime)):
    use = _call(results.attach, rt, code, body.result_id, by=who.actor)
    record(request, "result.attach", f"result:{body.result_id}", dossier=code)
    return {"dossier": code, "result_id": use.result_id, "attached_at": use.at.isoformat(), "by": use.by}


@router.post("/results", status_code=201, summary="Register a stored document as a result of its holder")
def register_result(body: ResultBody, request: Request, who: Principal = Depends(principal),
                    rt: Runtime = Depends(runtime)):
    with rt.catalog.session() as session:
        why = access.document_refusal(session, who, body.document_id, writing=True)
    if why:
        raise Problem(403, "Forbidden", why)
    row = _call(results.register, rt, body.document_id, holder_id=body.holder_id, issued=body.issued,
                expires=body.expires, copy_id=body.copy_id, disclosed=body.disclosed)
    record(request, "result.register", f"result:{row.id}", document_id=row.document_id, holder_id=row.holder_id)
    return results.describe(row)


@router.patch("/results/{result_id}", summary="Revoke a result or mark it replaced (the old one is kept)")
def patch_result(result_id: str, body: ResultStatusBody, request: Request, rt: Runtime = Depends(runtime)):
    row = results.describe(_call(results.set_status, rt, result_id, body.status, reason=body.reason,
                                 replaced_by=body.replaced_by))
    record(request, "result.status", f"result:{result_id}", status=body.status, reason=body.reason)
    return row


@router.get("/reuse", summary="An agency looks up a holder's prior results instead of asking for paper")
def reuse(request: Request, holder: str = Query(..., max_length=20), type: str | None = Query(None, max_length=32),
          rt: Runtime = Depends(runtime)):
    items = _call(results.lookup, rt, holder, type)
    record(request, "citizen.lookup", f"holder:{holder.strip()}", type=type, found=len(items))
    return {"holder": holder, "items": items}


@router.get("/citizens/me/results", summary="A citizen's own results (log in as the citizen)")
def my_results(request: Request, who: Principal = Depends(principal), rt: Runtime = Depends(runtime)):
    items = results.lookup(rt, who.citizen_id)
    record(request, "citizen.results", f"holder:{who.citizen_id}", found=len(items))
    return {"holder": who.citizen_id, "items": items}


def _call(fn, *args, **kwargs):
    try:
        return fn(*args, **kwargs)
    except LookupError as exc:
        raise Problem(404, "Not Found", str(exc).strip("'\"")) from None
    except (results.ReuseRefused, receipt.ReceiptError) as exc:
        status = 409 if isinstance(exc, results.ReuseRefused) else 422
        raise Problem(status, "Refused" if status == 409 else "Invalid request", str(exc)) from None


def dossier_dict(row: Dossier) -> dict:
    """A dossier as the API and the dossier page show it."""
    return {"code": row.code, "agency_id": row.agency_id, "received": row.received.isoformat(),
            "procedure": row.procedure, "holder_id": row.holder_id, "holder_name": row.holder_name,
            "due": row.due.isoformat() if row.due else None, "status": row.status,
            "settled_at": row.settled_at.isoformat() if row.settled_at else None,
            "on_time": receipt.on_time(row)}
