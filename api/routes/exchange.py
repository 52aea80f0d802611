"""Exchange between agencies: the address book, sending (outbox), receiving (inbox), statuses and recall.

Two kinds of caller: people (a clerk sends, moves a received document along, recalls) — the acting person is
the auth layer's ``request.state.principal``, "system" without one — and other agencies' instances, which
post signed XML to ``/inbox`` and ``/status`` and are identified by the signature, not by a login.
"""

from __future__ import annotations

from datetime import date
from typing import Literal

from fastapi import APIRouter, Depends, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from api.problems import PROBLEM, Problem
from api.routes.deps import runtime, stream_object
from ingest import address_book, exchange, exchange_delivery, exchange_inbox
from ingest.envelope import EnvelopeError
from ingest.runtime import Runtime

router = APIRouter(prefix="/api/v1/exchange", tags=["exchange"])


def _who(request: Request) -> tuple[str, str | None]:
    principal = getattr(request.state, "principal", None)
    if principal is None:
        return "system", None
    return getattr(principal, "actor", None) or "system", getattr(principal, "agency_id", None)


def _call(fn, *args, **kwargs):
    """Run an ingest call, turning its refusals into problem answers (never a 500 for bad input)."""
    try:
        return fn(*args, **kwargs)
    except LookupError as exc:
        raise Problem(404, "Not Found", str(exc)) from None
    except (exchange.ExchangeRefused, exchange_inbox.StatusRefused) as exc:
        raise Problem(409, "Conflict", str(exc)) from None
    except EnvelopeError as exc:
        raise Problem(422, "Message refused", str(exc), reasons=exc.reasons) from None
    except ValueError as exc:
        raise Problem(422, "Invalid request", str(exc)) from None


async def _xml_body(request: Request, rt: Runtime) -> bytes:
    cap = rt.settings.exchange_max_envelope_bytes
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > cap:
        raise Problem(413, "Content Too Large", f"a message may be at most {cap:,} bytes")
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > cap:
            raise Problem(413, "Content Too Large", f"a message may be at most {cap:,} bytes")
        chunks.append(chunk)
    return b"".join(chunks)


# --- this agency and its address book ----------------------------------------------------------------------


@router.get("/identity", summary="This instance's agency id, name and the certificate its envelopes are signed with")
def identity(rt: Runtime = Depends(runtime)):
    me = _call(exchange.identity, rt)
    cert = _call(exchange.signer, rt).signing_cert
    return {"id": me.id, "name": me.name, "certificate_pem": address_book.to_pem(cert.dump())}


class AgencyBody(BaseModel):
    id: str = Field(..., max_length=35, description="agency identifier (Decision 20/2020), e.g. 000.00.00.G22")
    name: str = Field("", max_length=255)
    endpoint: str = Field(..., max_length=500, description="base URL of the agency's instance, e.g. https://sohoa.sonv.gov.vn")
    certificate_pem: str = Field(..., max_length=20000, description="the certificate its envelopes are signed with (PEM)")


@router.get("/address-book", summary="The agencies this instance exchanges with")
def list_agencies(include_inactive: bool = False, rt: Runtime = Depends(runtime)):
    return {"items": [address_book.as_dict(r) for r in address_book.entries(rt, include_inactive)]}


@router.post("/address-book", status_code=201, summary="Add an agency, or replace its entry")
def put_agency(body: AgencyBody, request: Request, rt: Runtime = Depends(runtime)):
    actor, agency = _who(request)
    row = _call(address_book.put, rt, body.id, name=body.name, endpoint=body.endpoint,
                certificate_pem=body.certificate_pem, actor=actor, actor_agency=agency)
    return address_book.as_dict(row)


@router.get("/address-book/{agency_id}", summary="One agency's entry")
def get_agency(agency_id: str, rt: Runtime = Depends(runtime)):
    for row in address_book.entries(rt, include_inactive=True):
        if row.id == agency_id:
            return address_book.as_dict(row)
    raise Problem(404, "Not Found", f"no agency {agency_id} in the address book")


@router.delete("/address-book/{agency_id}", status_code=204, summary="Stop exchanging with an agency (its entry is kept, inactive)")
def remove_agency(agency_id: str, request: Request, rt: Runtime = Depends(runtime)):
    actor, agency = _who(request)
    _call(address_book.remove, rt, agency_id, actor=actor, actor_agency=agency)


# --- sending -----------------------------------------------------------------------------------------------


class HeaderFields(BaseModel):
    """Header fields the document's metadata may lack or get wrong; each given one overrides it."""

    code_number: str | None = Field(None, max_length=500)
    code_notation: str | None = Field(None, max_length=500)
    place: str | None = Field(None, max_length=500)
    promulgated: date | None = None
    doc_type: str | None = Field(None, max_length=500)
    doc_type_name: str | None = Field(None, max_length=500)
    subject: str | None = Field(None, max_length=2000)
    signer_competence: str | None = Field(None, max_length=500, description="TM., KT., TL., TUQ. …")
    signer_position: str | None = Field(None, max_length=500)
    signer_name: str | None = Field(None, max_length=500)
    due: date | None = None
    recipients: list[str] | None = Field(None, max_length=500, description="the printed 'Nơi nhận' list")


class SendBody(BaseModel):
    document_id: str = Field(..., max_length=32)
    to: list[str] = Field(..., min_length=1, max_length=100, description="recipient agency ids (in the address book)")
    header: HeaderFields = Field(default_factory=HeaderFields)
    priority: int = Field(0, ge=0, le=3, description="0 ordinary, 1 khẩn, 2 thượng khẩn, 3 hỏa tốc")
    business_type: Literal[0, 2, 3] = Field(0, description="0 new, 2 update, 3 replace (recall: POST …/recall)")
    ref_envelope_id: str | None = Field(None, pattern="^[0-9a-f]{32}$", description="the envelope updated or replaced")


@router.post("/outbox", status_code=202, summary="Send a signed document to other agencies (one delivery per recipient)")
def send(body: SendBody, request: Request, rt: Runtime = Depends(runtime)):
    actor, agency = _who(request)
    out = _call(exchange.send, rt, body.document_id, body.to, fields=body.header.model_dump(exclude_none=True),
                priority=body.priority, business_type=body.business_type, ref_envelope_id=body.ref_envelope_id,
                actor=actor, actor_agency=agency)
    return JSONResponse(out, status_code=202, headers={"Location": f"/api/v1/exchange/outbox/{out['envelope_id']}"})


@router.get("/outbox", summary="Sent envelopes per recipient with the statuses they were given, newest first")
def list_sent(limit: int = Query(50, ge=1, le=500), offset: int = Query(0, ge=0), rt: Runtime = Depends(runtime)):
    return {"items": exchange.sent(rt, limit=limit, offset=offset)}


@router.get("/outbox/{envelope_id}", summary="One sent envelope: each recipient's state and status history")
def get_sent(envelope_id: str, rt: Runtime = Depends(runtime)):
    items = exchange.sent(rt, envelope_id=envelope_id, limit=500)
    if not items:
        raise Problem(404, "Not Found", f"no envelope {envelope_id} was sent")
    return {"envelope_id": envelope_id, "recipients": items}


@router.post("/outbox/{envelope_id}/recall", status_code=202, summary="Recall a sent document from its recipients")
def recall(envelope_id: str, request: Request, rt: Runtime = Depends(runtime)):
    actor, agency = _who(request)
    return JSONResponse(_call(exchange.recall, rt, envelope_id, actor=actor, actor_agency=agency), status_code=202)


@router.get("/deliveries", summary="The exchange outbox: envelopes and status messages on their way, with every attempt")
def list_deliveries(state: Literal["pending", "sending", "sent", "dead"] | None = None,
                    limit: int = Query(50, ge=1, le=500), offset: int = Query(0, ge=0), rt: Runtime = Depends(runtime)):
    return exchange_delivery.deliveries(rt, state=state, limit=limit, offset=offset)


@router.post("/deliveries/{message_id}/retry", summary="Queue a dead delivery again")
def retry_delivery(message_id: int, rt: Runtime = Depends(runtime)):
    _call(exchange_delivery.retry_dead, rt, message_id)
    return {"id": message_id, "state": "pending"}


@router.post("/deliver", summary="Deliver due exchange messages now (besides the schedule)")
def deliver_now(limit: int = Query(100, ge=1, le=1000), rt: Runtime = Depends(runtime)):
    return exchange_delivery.deliver_due(rt, limit=limit)


# --- receiving ---------------------------------------------------------------------------------------------


@router.post("/inbox", summary="Another agency delivers an envelope (signed edXML); answered 01 or 02 at once")
async def inbox(request: Request, rt: Runtime = Depends(runtime)):
    data = await _xml_body(request, rt)
    code, answer = await run_in_threadpool(_call, exchange_inbox.receive, rt, data)
    return JSONResponse(answer, status_code=code, media_type=PROBLEM if code >= 400 else "application/json")


@router.get("/inbox", summary="Received envelopes (arrived, rejected, recalled), newest first")
def list_received(state: str | None = Query(None, max_length=16), limit: int = Query(50, ge=1, le=500),
                  offset: int = Query(0, ge=0), rt: Runtime = Depends(runtime)):
    return {"items": exchange_inbox.received(rt, state=state, limit=limit, offset=offset)}


@router.get("/inbox/{received_id}", summary="One received envelope with its header, attachments and statuses")
def get_received(received_id: str, rt: Runtime = Depends(runtime)):
    items = exchange_inbox.received(rt, received_id=received_id)
    if not items:
        raise Problem(404, "Not Found", f"no received document {received_id}")
    return items[0]


@router.get("/inbox/{received_id}/attachments/{number}", summary="One file the envelope carried (1-based, the document first)")
def get_attachment(received_id: str, number: int, rt: Runtime = Depends(runtime)):
    items = exchange_inbox.received(rt, received_id=received_id)
    if not items:
        raise Problem(404, "Not Found", f"no received document {received_id}")
    got = items[0]
    if got["state"] == "recalled":
        raise Problem(410, "Gone", f"{received_id} was recalled by the agency that sent it; only its record remains")
    files = got["attachments"]
    if not 1 <= number <= len(files):
        raise Problem(404, "Not Found", f"{received_id} carried {len(files)} file(s), not a number {number}")
    a = files[number - 1]
    return stream_object(rt, a["sha256"], a["media_type"] or "application/octet-stream", a["name"] or f"file-{number}",
                         a["size"])


class StatusBody(BaseModel):
    code: Literal["03", "04", "05", "06"] = Field(..., description="03 accepted, 04 assigned, 05 processing, 06 completed")
    note: str | None = Field(None, max_length=2000)


@router.post("/inbox/{received_id}/status", summary="Move a received document to its next status (sent back to its sender)")
def set_status(received_id: str, body: StatusBody, request: Request, rt: Runtime = Depends(runtime)):
    actor, agency = _who(request)
    return _call(exchange_inbox.change_status, rt, received_id, body.code, actor=actor, actor_agency=agency,
                 note=body.note)


@router.post("/status", summary="Another agency reports the status of an envelope we sent (signed XML)")
async def status(request: Request, rt: Runtime = Depends(runtime)):
    data = await _xml_body(request, rt)
    return await run_in_threadpool(_call, exchange.receive_status, rt, data)
