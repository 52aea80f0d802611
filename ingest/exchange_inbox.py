"""Envelopes arriving from other agencies: checked, answered at once, stored, then moved along by a clerk.

``receive`` checks everything before anything is kept as a document — the schema, that the envelope is
addressed to this agency, that its sender is in the address book and signed it with the certificate listed
there (chained to a trust anchor), each attachment's SHA-256, and every PDF's signatures
(``signing.validate``, the configured anchors). Any failure is answered 02 with the reasons; success stores
the PDF as a catalogue document and answers 01. The answer is a status message signed by this agency, and
it is kept with the envelope's SHA-256: the same bytes again (a retry after a lost answer) get the same
answer and store nothing twice.

Then a clerk moves the document 03 accepted → 04 assigned → 05 processing → 06 completed, one step at a
time; each status goes back to the sender, signed, through the exchange outbox.

Recall (business type 1): a document not yet completed is frozen — no further statuses, its content no
longer served, its metadata and audit trail kept — and the answer is 14; a completed one (06) has already
been acted on, so its recall is refused with 16 and it stays as it is. Update (2) and replace (3) add the
new PDF as the next version of the document they name; the prior version stays.
"""

from __future__ import annotations

import hashlib
import io
import logging

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from ingest import address_book, outbox
from ingest.envelope import STATUS, Envelope, EnvelopeError, Organ, Status, parse, read_envelope, verify, write_status
from ingest.exchange import DESTINATION, ExchangeRefused, anchors, identity, signer, store_message, wake
from ingest.runtime import Runtime
from storage import audit
from storage.catalog import Document, DocumentVersion, new_id
from storage.exchange_store import ExchangeReceived, ExchangeStatus

log = logging.getLogger(__name__)

NEXT = {"01": "03", "03": "04", "04": "05", "05": "06"}  # the one status each may move to


class StatusRefused(Exception):
    """A status change the document's state does not allow (a 409 answer)."""


def receive(rt: Runtime, data: bytes) -> tuple[int, dict]:
    """The inbox: (HTTP status, answer). 200 with 01 (or 14/16 to a recall), 422 with 02 and the reasons,
    409 for a different envelope reusing an id its sender already used."""
    sha = hashlib.sha256(data).hexdigest()
    with rt.catalog.session() as session:
        known = session.scalars(select(ExchangeReceived).where(ExchangeReceived.envelope_sha256 == sha)).first()
        if known is not None:
            return known.answer_code, known.answer
    me = identity(rt)
    row = ExchangeReceived(envelope_sha256=sha, authenticated=False, attachments=[], reasons=[])
    env: Envelope | None = None
    try:
        root = parse(data, rt.settings.exchange_max_envelope_bytes)
        sender = _sender_of(root)
        row.from_agency, row.envelope_id = sender, _message_id_of(root)
        env = read_envelope(root)
        h = env.header
        row.business_type, row.ref_envelope_id, row.header = h.business_type, h.ref_message_id, h.as_dict()
        if me.id not in {o.id for o in h.to}:
            raise EnvelopeError(f"the envelope is addressed to {', '.join(o.id for o in h.to)}, not to this agency ({me.id})")
        with rt.catalog.session() as session:
            entry = address_book.lookup(session, h.sender.id)
            if entry is None:
                raise EnvelopeError(f"the sender {h.sender.id} is not in this agency's address book")
            cert = address_book.cert_der(entry)
        verify(root, anchors(rt), cert)
        row.authenticated = True
        with rt.catalog.session() as session:
            clash = session.scalars(select(ExchangeReceived).where(
                ExchangeReceived.from_agency == h.sender.id, ExchangeReceived.envelope_id == h.message_id,
                ExchangeReceived.authenticated.is_(True))).first()
        if clash is not None:
            return 409, {"title": "Envelope id already used", "status": 409,
                         "detail": f"{h.sender.id} already sent a different envelope with id {h.message_id}"}
        if h.business_type != 1:
            _check_pdfs(rt, env)
    except EnvelopeError as exc:
        return _answer_rejection(rt, row, me, exc.reasons)
    if env.header.business_type == 1:
        return _answer_recall(rt, row, me, env)
    return _answer_arrival(rt, row, me, env)


def _sender_of(root) -> str | None:
    from ingest.envelope import _q

    e = root.find(f"{_q('Header')}/{_q('From')}/{_q('OrganId')}")
    return e.text if e is not None else None


def _message_id_of(root) -> str | None:
    from ingest.envelope import _q

    e = root.find(f"{_q('Header')}/{_q('MessageId')}")
    return e.text if e is not None else None


def _check_pdfs(rt: Runtime, env: Envelope) -> None:
    """Every PDF it carries must carry signatures that all pass, against this agency's anchors."""
    from ingest.signatures import SignatureRefused, validator
    from signing.validate import ValidationError

    try:
        check = validator(rt)
    except SignatureRefused as exc:
        raise ExchangeRefused(str(exc)) from None
    reasons = []
    for a in env.attachments:
        if a.media_type != "application/pdf" and not a.data.startswith(b"%PDF-"):
            continue
        try:
            report = check.validate(a.data)
        except ValidationError as exc:
            reasons.append(f"{a.name}: not a readable PDF ({exc})")
            continue
        if report.verdict != "TOTAL_PASSED":
            why = [r for s in report.signatures for r in s.reasons][:5]
            reasons.append(f"{a.name}: {report.verdict} — {report.summary}" + (f" ({'; '.join(why)})" if why else ""))
    if reasons:
        raise EnvelopeError(reasons)


def _status_answer(rt: Runtime, me: Organ, to: str | None, message_id: str | None, code: str,
                   reasons: list[str], staff: str = "") -> tuple[Status, str | None]:
    """The signed status message (None when there is no sender or envelope id to address it to)."""
    st = Status(message_id or "0" * 32, me, Organ(to or ""), code, reasons, staff=staff)
    if not to or not message_id:
        return st, None
    try:
        return st, write_status(st, signer(rt)).decode("utf-8")
    except ExchangeRefused as exc:
        log.error("exchange: cannot sign the answer to %s: %s", message_id, exc)
        return st, None


def _keep(rt: Runtime, row: ExchangeReceived, st: Status, xml: str | None, action: str, detail: dict,
          then=None) -> tuple[int, dict]:
    """Write the row, its status and the audit entry in one transaction; a racing twin's answer wins."""
    try:
        with rt.catalog.session() as session:
            if then is not None:
                then(session)
            session.add(row)
            session.flush()
            session.add(ExchangeStatus(status_id=st.status_id, side="received", envelope_id=st.message_id,
                                       agency_id=row.from_agency or "?", code=st.code, reasons=st.reasons,
                                       signed=xml is not None, message_sha256=store_message(rt, xml.encode()) if xml else None,
                                       at=outbox.utc(st.at)))
            audit.append(session, action, actor=f"instance:{row.from_agency or 'unknown'}", agency_id=row.from_agency,
                         subject=f"envelope:{row.envelope_id or row.envelope_sha256[:32]}",
                         detail={"code": st.code, "reasons": st.reasons, "received_id": row.id, **detail})
            session.commit()
    except IntegrityError:
        with rt.catalog.session() as session:
            known = session.scalars(select(ExchangeReceived).where(
                ExchangeReceived.envelope_sha256 == row.envelope_sha256)).first()
            if known is None:
                raise
            return known.answer_code, known.answer
    return row.answer_code, row.answer


def _answer_rejection(rt: Runtime, row: ExchangeReceived, me: Organ, reasons: list[str]) -> tuple[int, dict]:
    st, xml = _status_answer(rt, me, row.from_agency, row.envelope_id, "02", reasons)
    row.id = row.id or new_id()
    row.state, row.status, row.reasons, row.answer_code = "rejected", "02", reasons, 422
    row.answer = {"type": "about:blank", "title": "Envelope rejected", "status": 422,
                  "detail": "; ".join(reasons)[:2000], "code": "02", "description": STATUS["02"], "reasons": reasons,
                  "envelope_id": row.envelope_id, "inbox_id": row.id, "status_message": xml}
    return _keep(rt, row, st, xml, "exchange.reject", {"authenticated": row.authenticated})


def _answer_arrival(rt: Runtime, row: ExchangeReceived, me: Organ, env: Envelope) -> tuple[int, dict]:
    h = env.header
    doc_att = env.document
    stored = []
    for a in env.attachments:
        obj = rt.store.put_bytes(a.data, a.media_type or "application/octet-stream")
        stored.append({"name": a.name, "media_type": a.media_type, "sha256": obj.sha256, "size": len(a.data),
                       "role": a.role})
    row.attachments = stored
    pages = _page_count(doc_att.data)

    def write(session):
        prior = None
        if h.business_type in (2, 3):
            prior = session.scalars(select(ExchangeReceived).where(
                ExchangeReceived.from_agency == h.sender.id, ExchangeReceived.envelope_id == h.ref_message_id,
                ExchangeReceived.authenticated.is_(True), ExchangeReceived.document_id.is_not(None))).first()
            if prior is None or prior.state == "recalled":
                raise _Reject([f"the envelope {h.ref_message_id} it {'updates' if h.business_type == 2 else 'replaces'} "
                               "was not received from this sender, or was recalled"])
        if prior is not None:
            doc = session.get(Document, prior.document_id)
            number = (session.scalar(select(DocumentVersion.number).where(DocumentVersion.document_id == doc.id)
                                     .order_by(DocumentVersion.number.desc()).limit(1)) or 1) + 1
            doc.pdf_sha256, doc.pdf_size, doc.page_count = doc_att.sha256, len(doc_att.data), pages
            doc.fields = _fields(h)
            doc.title = h.subject[:500] or doc.title
            session.add(DocumentVersion(document_id=doc.id, number=number, kind="received", pdf_sha256=doc_att.sha256,
                                        pdf_size=len(doc_att.data), signer_name=h.sender.id))
            prior.replaced_by = row.id
            if h.business_type == 3:
                prior.state = "replaced"
        else:
            doc = Document(source_sha256=doc_att.sha256, pdf_sha256=doc_att.sha256, pdf_size=len(doc_att.data),
                           filename=doc_att.name[:255] or "document.pdf", title=(h.subject or "")[:500],
                           mime="application/pdf", page_count=pages, doc_type=h.doc_type or "khac",
                           type_confidence=1.0, needs_review=False, fields=_fields(h), mean_conf=-1,
                           agency_id=rt.settings.agency_id or None)  # the receiving agency's, like its own scans
            session.add(doc)
            session.flush()
            session.add(DocumentVersion(document_id=doc.id, number=1, kind="received", pdf_sha256=doc_att.sha256,
                                        pdf_size=len(doc_att.data), signer_name=h.sender.id))
        row.document_id = doc.id

    row.id = new_id()
    st, xml = _status_answer(rt, me, h.sender.id, h.message_id, "01", [])
    row.state, row.status, row.reasons, row.answer_code = "arrived", "01", [], 200
    row.answer = {"code": "01", "description": STATUS["01"], "envelope_id": h.message_id, "inbox_id": row.id,
                  "status_message": xml}
    try:
        return _keep(rt, row, st, xml, "exchange.receive", {"business_type": h.business_type,
                                                             "ref": h.ref_message_id, "attachments": len(stored)},
                     then=write)
    except _Reject as rej:
        fresh = ExchangeReceived(envelope_sha256=row.envelope_sha256, envelope_id=row.envelope_id,
                                 from_agency=row.from_agency, authenticated=True, business_type=row.business_type,
                                 ref_envelope_id=row.ref_envelope_id, header=row.header, attachments=[], reasons=[])
        return _answer_rejection(rt, fresh, me, rej.reasons)


class _Reject(Exception):
    def __init__(self, reasons: list[str]):
        self.reasons = reasons
        super().__init__("; ".join(reasons))


def _answer_recall(rt: Runtime, row: ExchangeReceived, me: Organ, env: Envelope) -> tuple[int, dict]:
    h = env.header
    row.id = new_id()
    with rt.catalog.session() as session:
        target = session.scalars(select(ExchangeReceived).where(
            ExchangeReceived.from_agency == h.sender.id, ExchangeReceived.envelope_id == h.ref_message_id,
            ExchangeReceived.authenticated.is_(True), ExchangeReceived.state != "rejected")).first()
        target_id, target_status = (target.id, target.status) if target else (None, None)
    if target_id is None:
        return _answer_rejection(rt, row, me, [f"no document arrived from {h.sender.id} in envelope {h.ref_message_id}: "
                                               "nothing to recall"])
    if target_status == "06":
        code, reasons = "16", ["the document was already completed (06): what was done on it cannot be undone, "
                               "so it is not recalled"]
    else:
        code, reasons = "14", []
    st, xml = _status_answer(rt, me, h.sender.id, h.ref_message_id, code, reasons)
    row.state, row.status, row.reasons, row.answer_code = "answer", code, reasons, 200
    row.answer = {"code": code, "description": STATUS[code], "envelope_id": h.message_id, "recalls": h.ref_message_id,
                  "inbox_id": target_id, "reasons": reasons, "status_message": xml}

    def freeze(session):
        if code != "14":
            return
        t = session.get(ExchangeReceived, target_id)
        t.state, t.status = "recalled", "14"
        doc = session.get(Document, t.document_id) if t.document_id else None
        if doc is not None:
            doc.state = "recalled"

    return _keep(rt, row, st, xml, "exchange.recall", {"recalls": h.ref_message_id, "inbox_id": target_id},
                 then=freeze)


def _fields(h) -> dict:
    """The header as the document record's extracted fields, so search and display read it like any other."""
    values = {"number_symbol": f"{h.code_number}/{h.code_notation}" if h.code_number else h.code_notation,
              "issue_date": h.promulgated.isoformat() if h.promulgated else None, "place": h.place,
              "subject": h.subject, "signer_name": h.signer_name, "signer_position": h.signer_position,
              "from_agency": h.sender.id, "due_date": h.due.isoformat() if h.due else None}
    return {"type": h.doc_type or "khac", "source": "exchange",
            "fields": {k: {"value": v, "page": None, "box": None} for k, v in values.items() if v}}


def _page_count(pdf: bytes) -> int:
    from pyhanko.pdf_utils.reader import PdfFileReader

    try:
        return int(PdfFileReader(io.BytesIO(pdf), strict=False).root["/Pages"]["/Count"])
    except Exception:
        return 0


# --- the clerk's statuses ---------------------------------------------------------------------------------


def change_status(rt: Runtime, received_id: str, code: str, *, actor: str = "system", actor_agency: str | None = None,
                  note: str | None = None) -> dict:
    """Move an arrived document to its next status and send that status back to its sender, signed."""
    if code not in ("03", "04", "05", "06"):
        raise ValueError("a clerk sets 03 (accepted), 04 (assigned), 05 (processing) or 06 (completed)")
    me = identity(rt)
    key = signer(rt)
    with rt.catalog.session() as session:
        row = session.get(ExchangeReceived, received_id)
        if row is None or row.state == "answer":
            raise LookupError(f"no received document {received_id}")
        if row.state == "rejected":
            raise StatusRefused(f"{received_id} was rejected (02): it has no further status")
        if row.state == "recalled":
            raise StatusRefused(f"{received_id} was recalled by its sender: it is frozen")
        if row.state == "replaced":
            raise StatusRefused(f"{received_id} was replaced by {row.replaced_by}: move the replacement along instead")
        if NEXT.get(row.status) != code:
            want = NEXT.get(row.status)
            raise StatusRefused(f"{received_id} is at {row.status} ({STATUS.get(row.status)}): "
                                + (f"it can move to {want} ({STATUS[want]}) only" if want else "it has no further status"))
        from_agency, envelope_id = row.from_agency, row.envelope_id
    st = Status(envelope_id, me, Organ(from_agency), code, [note] if note else [], staff=actor)
    xml = write_status(st, key)
    sha = store_message(rt, xml)
    with rt.catalog.session() as session:
        row = session.get(ExchangeReceived, received_id)
        if NEXT.get(row.status) != code or row.state != "arrived":  # someone else moved it meanwhile
            raise StatusRefused(f"{received_id} moved to {row.status} meanwhile")
        row.status = code
        session.add(ExchangeStatus(status_id=st.status_id, side="received", envelope_id=envelope_id,
                                   agency_id=from_agency, code=code, reasons=st.reasons, staff=actor, signed=True,
                                   message_sha256=sha, at=outbox.utc(st.at)))
        outbox.enqueue(session, DESTINATION, f"status:{st.status_id}",
                       {"kind": "status", "to": from_agency, "object": sha, "status_id": st.status_id,
                        "envelope_id": envelope_id, "code": code})
        audit.append(session, "exchange.status", actor=actor, agency_id=actor_agency, subject=f"envelope:{envelope_id}",
                     detail={"code": code, "status_id": st.status_id, "received_id": received_id, "side": "received"})
        session.commit()
    wake()
    return {"id": received_id, "envelope_id": envelope_id, "status": code, "description": STATUS[code],
            "status_id": st.status_id}


def received(rt: Runtime, *, received_id: str | None = None, state: str | None = None, limit: int = 50,
             offset: int = 0) -> list[dict]:
    """Arrived (and rejected) envelopes, newest first, each with the statuses this agency gave."""
    from ingest.exchange import _status_dict

    with rt.catalog.session() as session:
        q = select(ExchangeReceived).order_by(ExchangeReceived.received_at.desc(), ExchangeReceived.id)
        if received_id:
            q = q.where(ExchangeReceived.id == received_id)
        if state:
            q = q.where(ExchangeReceived.state == state)
        rows = list(session.scalars(q.limit(limit).offset(offset)))
        ids = {r.envelope_id for r in rows if r.envelope_id}
        history: dict[tuple, list] = {}
        if ids:
            for s in session.scalars(select(ExchangeStatus).where(ExchangeStatus.side == "received",
                                                                  ExchangeStatus.envelope_id.in_(ids))
                                     .order_by(ExchangeStatus.id)):
                history.setdefault((s.envelope_id, s.agency_id), []).append(_status_dict(s))
        return [{"id": r.id, "envelope_id": r.envelope_id, "from": r.from_agency, "authenticated": r.authenticated,
                 "business_type": r.business_type, "ref_envelope_id": r.ref_envelope_id, "state": r.state,
                 "status": r.status, "description": STATUS.get(r.status), "reasons": r.reasons,
                 "document_id": r.document_id if r.state != "recalled" else None,
                 "recalled_document_id": r.document_id if r.state == "recalled" else None,
                 "header": r.header, "attachments": r.attachments, "replaced_by": r.replaced_by,
                 "received_at": r.received_at.isoformat(),
                 "statuses": history.get((r.envelope_id, r.from_agency), []) if r.state != "answer" else []}
                for r in rows]
