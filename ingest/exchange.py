"""Sending documents to other agencies in signed envelopes, and hearing back what became of them.

``send`` builds the envelope from the catalogue's document (its signed PDF, the header from its metadata
and what the clerk adds), signs it with this agency's key, keeps it in the object store and, in one
transaction, writes one ``ExchangeSent`` row and one outbox message per recipient with the audit entry;
``ingest.exchange_delivery`` posts them. The recipient answers an envelope at once — 01 arrived, 02 rejected
with reasons (14/16 to a recall) — in a status message signed by it; that answer (``record_answer``), and
every later status (03…06) it posts to our ``/api/v1/exchange/status`` (``receive_status``), is verified
against its address-book certificate and recorded per recipient.
"""

from __future__ import annotations

import threading
import unicodedata
from datetime import date, datetime, timezone

from sqlalchemy import select

from ingest import address_book, outbox
from ingest.envelope import VN, Attachment, Envelope, EnvelopeError, Header, Organ, Status
from ingest.runtime import Runtime
from storage import audit
from storage.catalog import Document
from storage.exchange_store import ExchangeSent, ExchangeStatus

DESTINATION = "exchange"
# how far along a status is: a late-arriving older status never overwrites a newer one
RANK = {"01": 1, "03": 3, "04": 4, "05": 5, "06": 6, "02": 9, "13": 10, "14": 11, "16": 11}
_wake = threading.Event()


class ExchangeRefused(Exception):
    """The exchange is not configured, or the request breaks a rule (a 409 answer)."""


# --- this agency ------------------------------------------------------------------------------------------


def identity(rt: Runtime) -> Organ:
    s = rt.settings
    if not s.agency_id:
        raise ExchangeRefused("this instance has no agency identity: set SOHOA_AGENCY_ID")
    return Organ(s.agency_id, unicodedata.normalize("NFC", s.agency_name or ""))


def signer(rt: Runtime, secret: str | None = None):
    """The pyHanko signer of this agency's envelopes and status messages (SOHOA_EXCHANGE_SIGNER)."""
    from ingest.signatures import SignatureRefused, signer_spec
    from signing.keys import SigningKeyError, open_signer

    sid = rt.settings.exchange_signer
    if not sid:
        raise ExchangeRefused("envelopes are signed by the agency: set SOHOA_EXCHANGE_SIGNER to its keyring id")
    try:
        return open_signer(signer_spec(rt, sid), secret)
    except (SignatureRefused, SigningKeyError) as exc:
        raise ExchangeRefused(f"the exchange signer cannot be used: {exc}") from None


def anchors(rt: Runtime):
    from signing.trust import TrustError, load_anchors

    try:
        return load_anchors(rt.settings.trust_anchors)
    except TrustError as exc:
        raise ExchangeRefused(str(exc)) from None


def store_message(rt: Runtime, data: bytes) -> str:
    return rt.store.put_bytes(data, "application/xml").sha256


def wake() -> None:
    """Tell this process's delivery thread there is something new (it would find it anyway, later)."""
    _wake.set()


# --- sending ----------------------------------------------------------------------------------------------


def _split_notation(number_symbol: str | None) -> tuple[str, str]:
    if not number_symbol or "/" not in number_symbol:
        return "", number_symbol or ""
    number, notation = number_symbol.split("/", 1)
    return number.strip(), notation.strip()


def header_from_document(doc: Document) -> dict:
    """The header fields the document's extracted metadata already gives (a clerk may override each)."""
    from ingest.doctypes import BY_CODE

    number, notation = _split_notation(doc.field_value("number_symbol"))
    issued = doc.field_value("issue_date")
    kind = BY_CODE.get(doc.doc_type or "")
    return {"code_number": number, "code_notation": notation, "place": doc.field_value("place") or "",
            "promulgated": date.fromisoformat(issued[:10]) if issued else None,
            "doc_type": doc.doc_type or "", "doc_type_name": kind.name if kind else "",
            "subject": doc.field_value("subject") or doc.title or "",
            "signer_position": doc.field_value("signer_position") or "",
            "signer_name": doc.field_value("signer_name") or "", "signer_competence": ""}


def _recipients(session, me: Organ, ids: list[str]) -> list[Organ]:
    if not ids:
        raise ValueError("give at least one recipient agency")
    out, seen = [], set()
    for rid in ids:
        rid = address_book.check_agency_id(rid)
        if rid in seen:
            continue
        seen.add(rid)
        if rid == me.id:
            raise ValueError(f"{rid} is this agency itself")
        row = address_book.lookup(session, rid)
        if row is None:
            raise LookupError(f"agency {rid} is not in the address book")
        out.append(Organ(row.id, row.name))
    return out


def send(rt: Runtime, document_id: str, recipients: list[str], *, fields: dict | None = None, priority: int = 0,
         business_type: int = 0, ref_envelope_id: str | None = None, attachments: list[Attachment] = (),
         actor: str = "system", actor_agency: str | None = None) -> dict:
    """Queue ``document_id`` for ``recipients`` (0 new, 2 update, 3 replace); returns the envelope's summary."""
    from signing.sign import SigningError, check_signable

    if business_type not in (0, 2, 3):
        raise ValueError("business type must be 0 (new), 2 (update) or 3 (replace); a recall has its own request")
    if business_type in (2, 3) and not ref_envelope_id:
        raise ValueError("an update or a replacement names the envelope it updates or replaces (ref_envelope_id)")
    if not 0 <= priority <= 3:
        raise ValueError("priority is 0 (ordinary) to 3 (hỏa tốc)")
    me = identity(rt)
    key = signer(rt)
    with rt.catalog.session() as session:
        doc = session.get(Document, document_id)
        if doc is None or doc.state not in ("visible",):
            raise LookupError(f"no document {document_id}")
        to = _recipients(session, me, recipients)
        if ref_envelope_id:
            known = set(session.scalars(select(ExchangeSent.to_agency).where(ExchangeSent.envelope_id == ref_envelope_id)))
            missing = [o.id for o in to if o.id not in known]
            if missing:
                raise LookupError(f"envelope {ref_envelope_id} was not sent to {', '.join(missing)}")
        values = header_from_document(doc)
        pdf_sha, filename = doc.pdf_sha256, doc.filename.rsplit(".", 1)[0] + ".pdf"
    pdf = rt.store.get_bytes(pdf_sha)
    try:
        signatures, _certified = check_signable(pdf)
    except SigningError as exc:
        raise ExchangeRefused(f"the document's PDF cannot be sent: {exc}") from None
    if not signatures:
        raise ExchangeRefused("the document carries no signature: a receiving agency returns unsigned documents; sign it first")
    for k, v in (fields or {}).items():
        if v not in (None, "", []):
            values[k] = unicodedata.normalize("NFC", v) if isinstance(v, str) else v
    recipients_list = values.pop("recipients", None) or [o.name or o.id for o in to]
    due = values.pop("due", None)
    now = datetime.now(VN).replace(microsecond=0)
    header = Header(sender=me, to=to, document_id=f"{me.id},{document_id}", priority=priority,
                    business_type=business_type, ref_message_id=ref_envelope_id, recipients=recipients_list,
                    due=due, trace=[(me.id, now)], sent_at=now, **values)
    env = Envelope(header, [Attachment(filename, "application/pdf", pdf, "document"), *attachments])
    return _queue(rt, env, key, document_id, actor, actor_agency)


def _queue(rt: Runtime, env: Envelope, key, document_id: str | None, actor: str, actor_agency: str | None) -> dict:
    from ingest.envelope import write_envelope

    data = write_envelope(env, key)
    sha = store_message(rt, data)
    h = env.header
    summary = h.as_dict()
    with rt.catalog.session() as session:
        for o in h.to:
            row = ExchangeSent(envelope_id=h.message_id, to_agency=o.id, document_id=document_id,
                               business_type=h.business_type, ref_envelope_id=h.ref_message_id,
                               envelope_sha256=sha, header=summary, state="queued", actor=actor)
            session.add(row)
            session.flush()
            msg = outbox.enqueue(session, DESTINATION, f"exchange:{h.message_id}:{o.id}",
                                 {"kind": "envelope", "to": o.id, "object": sha, "envelope_id": h.message_id,
                                  "sent_id": row.id})
            row.outbox_id = msg.id
        action = "exchange.recall" if h.business_type == 1 else "exchange.send"
        audit.append(session, action, actor=actor, agency_id=actor_agency, subject=f"envelope:{h.message_id}",
                     detail={"document_id": document_id, "to": [o.id for o in h.to], "business_type": h.business_type,
                             "ref": h.ref_message_id, "envelope_sha256": sha, "bytes": len(data)})
        session.commit()
    wake()
    return {"envelope_id": h.message_id, "envelope_sha256": sha, "bytes": len(data), "to": [o.id for o in h.to],
            "business_type": h.business_type, "ref_envelope_id": h.ref_message_id}


def recall(rt: Runtime, envelope_id: str, *, actor: str = "system", actor_agency: str | None = None) -> dict:
    """Ask every recipient of ``envelope_id`` to give it back (business type 1); our copy is frozen at 13."""
    me = identity(rt)
    key = signer(rt)
    with rt.catalog.session() as session:
        rows = list(session.scalars(select(ExchangeSent).where(ExchangeSent.envelope_id == envelope_id)))
        if not rows:
            raise LookupError(f"no envelope {envelope_id} was sent")
        if rows[0].business_type == 1:
            raise ExchangeRefused(f"envelope {envelope_id} is itself a recall")
        live = [r for r in rows if r.state not in ("rejected", "recalled", "dead")]
        if not live:
            raise ExchangeRefused(f"envelope {envelope_id} has no recipient left to recall it from")
        live = [r for r in live if not _withdraw(session, r, me, actor, actor_agency)]
        if not live:  # it had reached no one: withdrawn from the queue, nothing to ask back
            session.commit()
            return {"envelope_id": None, "withdrawn": [r.to_agency for r in rows], "to": [],
                    "business_type": 1, "ref_envelope_id": envelope_id}
        to = []
        for r in live:
            entry = address_book.lookup(session, r.to_agency)
            to.append(Organ(r.to_agency, entry.name if entry else ""))
        first = rows[0]
        for r in live:
            _record(session, r, Status(envelope_id, me, Organ(r.to_agency), "13", staff=actor), signed=False)
        session.commit()
        header_info, document_id = first.header or {}, first.document_id
    now = datetime.now(VN).replace(microsecond=0)
    h = Header(sender=me, to=to, document_id=header_info.get("document_id") or f"{me.id},{document_id}",
               code_number=header_info.get("code_number") or "", code_notation=header_info.get("code_notation") or "",
               subject=header_info.get("subject") or "", business_type=1, ref_message_id=envelope_id,
               trace=[(me.id, now)], sent_at=now)
    return _queue(rt, Envelope(h, []), key, document_id, actor, actor_agency)


def _withdraw(session, row: ExchangeSent, me: Organ, actor: str, actor_agency: str | None) -> bool:
    """Take a delivery not yet attempted-and-answered out of the queue (compare-and-set on ``pending``), so a
    recall never overtakes the document it recalls; True if it was still waiting."""
    from sqlalchemy import update

    from storage.catalog import OutboxMessage

    if row.state != "queued" or row.outbox_id is None:
        return False
    done = session.execute(update(OutboxMessage).where(OutboxMessage.id == row.outbox_id,
                                                       OutboxMessage.state == "pending")
                           .values(state="dead", last_error="recalled before it was delivered")
                           .execution_options(synchronize_session=False))
    if done.rowcount != 1:
        return False  # on its way right now: the recall envelope follows it
    row.state = "recalled"
    session.add(ExchangeStatus(status_id=Status(row.envelope_id, me, Organ(row.to_agency), "13").status_id,
                               side="sent", envelope_id=row.envelope_id, agency_id=row.to_agency, code="13",
                               reasons=["withdrawn before delivery: it never reached the recipient"], staff=actor,
                               signed=False, at=datetime.now(timezone.utc)))
    row.status = "13"
    audit.append(session, "exchange.recall", actor=actor, agency_id=actor_agency, subject=f"envelope:{row.envelope_id}",
                 detail={"to": row.to_agency, "withdrawn": True})
    return True


# --- statuses coming back ---------------------------------------------------------------------------------


def _record(session, row: ExchangeSent, st: Status, *, signed: bool, sha: str | None = None) -> bool:
    """Keep a status about ``row`` (once per status id) and move the row along; False if already kept."""
    if session.scalar(select(ExchangeStatus.id).where(ExchangeStatus.status_id == st.status_id)) is not None:
        return False
    session.add(ExchangeStatus(status_id=st.status_id, side="sent", envelope_id=row.envelope_id,
                               agency_id=row.to_agency, code=st.code, reasons=st.reasons, staff=st.staff or None,
                               signed=signed, message_sha256=sha, at=outbox.utc(st.at)))
    if RANK.get(st.code, 0) >= RANK.get(row.status or "", 0):
        row.status = st.code
    if st.code == "02":
        row.state = "rejected"
    elif st.code == "14":
        row.state = "recalled"
    elif st.code == "16" or (st.code in ("01", "03", "04", "05", "06") and row.state in ("queued", "dead")):
        row.state = "delivered"
    return True


def _verified_status(rt: Runtime, session, xml: bytes, from_agency: str | None = None) -> Status:
    """A status message checked end to end: schema, addressed to us, from a listed agency, signed by it."""
    from ingest.envelope import parse, read_status, verify

    me = identity(rt)
    root = parse(xml, rt.settings.exchange_max_envelope_bytes)
    st = read_status(root)
    if st.to.id != me.id:
        raise EnvelopeError(f"the status is addressed to {st.to.id}, not to this agency ({me.id})")
    if from_agency is not None and st.sender.id != from_agency:
        raise EnvelopeError(f"the answer comes from {st.sender.id}, not from {from_agency} it was sent to")
    entry = address_book.lookup(session, st.sender.id)
    if entry is None:
        raise EnvelopeError(f"agency {st.sender.id} is not in the address book")
    verify(root, anchors(rt), address_book.cert_der(entry))
    return st


def receive_status(rt: Runtime, xml: bytes) -> dict:
    """Our ``/api/v1/exchange/status``: a recipient tells us what became of an envelope we sent."""
    with rt.catalog.session() as session:
        st = _verified_status(rt, session, xml)
        row = session.scalars(select(ExchangeSent).where(ExchangeSent.envelope_id == st.message_id,
                                                         ExchangeSent.to_agency == st.sender.id)).first()
        if row is None:
            raise LookupError(f"no envelope {st.message_id} was sent to {st.sender.id}")
        sha = store_message(rt, xml)
        fresh = _record(session, row, st, signed=True, sha=sha)
        if fresh:
            audit.append(session, "exchange.status", actor=f"instance:{st.sender.id}", agency_id=st.sender.id,
                         subject=f"envelope:{st.message_id}", detail={"code": st.code, "status_id": st.status_id,
                                                                      "reasons": st.reasons, "side": "sent"})
        session.commit()
        return {"recorded": fresh, "envelope_id": st.message_id, "code": st.code, "state": row.state}


def record_answer(rt: Runtime, payload: dict, answer: dict) -> str | None:
    """The recipient's immediate answer to an envelope; None when recorded, else why it cannot be."""
    to, envelope_id = payload["to"], payload["envelope_id"]
    xml = answer.get("status_message")
    with rt.catalog.session() as session:
        if xml:
            try:
                st = _verified_status(rt, session, xml.encode("utf-8"), from_agency=to)
            except (EnvelopeError, ExchangeRefused) as exc:
                return f"the answer is not a valid status message signed by {to}: {exc}"
            sha = store_message(rt, xml.encode("utf-8"))
            signed = True
        else:  # refused before it could even read who we are (not XML, too large): unsigned, kept as said
            st = Status(envelope_id, Organ(to), identity(rt), "02", [str(r) for r in answer.get("reasons") or []]
                        or [str(answer.get("detail") or "rejected")])
            sha, signed = None, False
        targets = [envelope_id] if st.message_id == envelope_id else [st.message_id, envelope_id]
        for eid in targets:
            row = session.scalars(select(ExchangeSent).where(ExchangeSent.envelope_id == eid,
                                                             ExchangeSent.to_agency == to)).first()
            if row is None:
                continue
            if eid != st.message_id:  # the recall envelope itself: answered by the status of what it recalled
                row.status, row.state = st.code, "delivered"
                continue
            if _record(session, row, st, signed=signed, sha=sha):
                audit.append(session, "exchange.status", actor=f"instance:{to}", agency_id=to,
                             subject=f"envelope:{eid}", detail={"code": st.code, "status_id": st.status_id,
                                                                "reasons": st.reasons, "side": "sent"})
        session.commit()
    return None


# --- reading ----------------------------------------------------------------------------------------------


def sent(rt: Runtime, *, envelope_id: str | None = None, limit: int = 50, offset: int = 0) -> list[dict]:
    """Sent envelopes per recipient, newest first, each with the statuses it was given."""
    with rt.catalog.session() as session:
        q = select(ExchangeSent).order_by(ExchangeSent.id.desc())
        if envelope_id:
            q = q.where(ExchangeSent.envelope_id == envelope_id)
        rows = list(session.scalars(q.limit(limit).offset(offset)))
        history: dict[tuple, list] = {}
        if rows:
            for s in session.scalars(select(ExchangeStatus).where(
                    ExchangeStatus.side == "sent", ExchangeStatus.envelope_id.in_({r.envelope_id for r in rows}))
                    .order_by(ExchangeStatus.id)):
                history.setdefault((s.envelope_id, s.agency_id), []).append(_status_dict(s))
        return [{"id": r.id, "envelope_id": r.envelope_id, "to": r.to_agency, "document_id": r.document_id,
                 "business_type": r.business_type, "ref_envelope_id": r.ref_envelope_id, "state": r.state,
                 "status": r.status, "subject": (r.header or {}).get("subject"), "actor": r.actor,
                 "created_at": r.created_at.isoformat(), "statuses": history.get((r.envelope_id, r.to_agency), [])}
                for r in rows]


def _status_dict(s: ExchangeStatus) -> dict:
    from ingest.envelope import STATUS

    at = s.at if s.at.tzinfo else s.at.replace(tzinfo=timezone.utc)
    return {"code": s.code, "description": STATUS.get(s.code, s.code), "reasons": s.reasons, "staff": s.staff,
            "signed": s.signed, "at": at.isoformat(), "status_id": s.status_id}
