"""Results a citizen never hands in twice: registered to their holder, looked up and reused by reference.

A result (licence, certificate, decision) is a stored document linked to its holder's personal ID or tax
code, with its validity. Another agency handling a new dossier finds it by holder and type and attaches it
by reference — no copy — and the attachment is recorded; a result that expired, was revoked or was replaced
is refused with the reason.
"""

from __future__ import annotations

import secrets
import unicodedata
from datetime import date

from sqlalchemy import select

from ingest.receipt import holder_kind
from ingest.runtime import Runtime
from storage.catalog import CertifiedCopy, Document, Dossier, Result, ResultUse

DISCLOSABLE = ("holder_name", "holder_id", "number", "issued", "expires", "agency", "type")
DEFAULT_DISCLOSED = ("type", "number", "issued", "expires", "agency")


class ReuseRefused(Exception):
    """The result may not be reused (expired, revoked, replaced) or the request is wrong: a 4xx answer."""


def register(rt: Runtime, document_id: str, *, holder_id: str | None = None, expires: date | None = None,
             issued: date | None = None, copy_id: str | None = None, disclosed: list[str] | None = None) -> Result:
    """Make a stored document a result of its holder (taken from the document's extracted ID if not given)."""
    from ingest.verification import new_code

    with rt.catalog.session() as session:
        doc = session.get(Document, document_id)
        if doc is None or doc.state != "visible":
            raise LookupError(f"no document {document_id}")
        holder_id = holder_id or doc.field_value("personal_id")
        if not holder_id:
            raise ReuseRefused("the document names no holder: give the holder's personal ID or tax code")
        holder, kind = holder_kind(holder_id)  # ReceiptError: the ID itself is malformed (422)
        copy = None
        if copy_id is not None:
            copy = session.get(CertifiedCopy, copy_id)
            if copy is None or copy.document_id != document_id:
                raise ReuseRefused(f"certified copy {copy_id} is not a copy of document {document_id}")
        shown = list(disclosed if disclosed is not None else DEFAULT_DISCLOSED)
        unknown = [f for f in shown if f not in DISCLOSABLE]
        if unknown:
            raise ReuseRefused(f"cannot disclose {', '.join(unknown)}; choose among {', '.join(DISCLOSABLE)}")
        issued = issued or _date(doc.field_value("issue_date") or doc.field_value("certificate_date"))
        if expires is not None and issued is not None and expires < issued:
            raise ReuseRefused("a result cannot expire before it was issued")
        row = Result(
            document_id=document_id, copy_id=copy_id, holder_id=holder, holder_kind=kind,
            holder_name=doc.field_value("full_name"), doc_type=doc.doc_type,
            number=doc.field_value("certificate_number") or doc.field_value("number_symbol"),
            agency_id=None, dossier_code=doc.dossier_code, issued=issued, expires=expires, status="valid",
            # the QR code already printed on the copy names this result: scanning it shows whether it is current
            verify_code=copy.verify_code if copy is not None and copy.verify_code else new_code(), disclosed=shown,
        )
        session.add(row)
        session.flush()
        _enqueue_for_portal(session, row)
        session.commit()
        return row


def _enqueue_for_portal(session, row: Result) -> None:
    """Every result goes to the national portal through the outbox (same transaction: never lost)."""
    from ingest.portal import enqueue_result

    enqueue_result(session, row)


def set_status(rt: Runtime, result_id: str, status: str, *, reason: str | None = None,
               replaced_by: str | None = None) -> Result:
    """Revoke a result, or mark it replaced by a newer one; the old row stays, with why."""
    if status not in ("valid", "revoked", "replaced"):
        raise ReuseRefused("status must be valid, revoked or replaced")
    with rt.catalog.session() as session:
        row = session.get(Result, result_id)
        if row is None:
            raise LookupError(f"no result {result_id}")
        if status == "replaced":
            newer = session.get(Result, replaced_by) if replaced_by else None
            if newer is None or newer.id == row.id:
                raise ReuseRefused("a replaced result names the result that replaces it (replaced_by)")
        if status == "revoked" and not reason:
            raise ReuseRefused("say why the result is revoked (reason)")
        row.status, row.status_reason, row.replaced_by = status, reason, replaced_by if status == "replaced" else None
        _enqueue_for_portal(session, row)
        session.commit()
        return row


def refusal(row: Result, today: date | None = None) -> str | None:
    """Why ``row`` may not be reused today, or None when it may."""
    today = today or date.today()
    if row.status == "revoked":
        return f"result {row.number or row.id} was revoked" + (f": {row.status_reason}" if row.status_reason else "")
    if row.status == "replaced":
        return f"result {row.number or row.id} was replaced by result {row.replaced_by}"
    if row.expires is not None and row.expires < today:
        return f"result {row.number or row.id} expired on {row.expires:%d/%m/%Y}"
    return None


def lookup(rt: Runtime, holder_id: str, doc_type: str | None = None) -> list[dict]:
    """Every result of a holder (of a type), each with whether it may be reused and, if not, why."""
    holder, _kind = holder_kind(holder_id)
    with rt.catalog.session() as session:
        q = select(Result).where(Result.holder_id == holder)
        if doc_type:
            q = q.where(Result.doc_type == doc_type)
        rows = session.scalars(q.order_by(Result.issued.desc().nulls_last(), Result.created_at.desc())).all()
        return [describe(r) for r in rows]


def describe(row: Result) -> dict:
    why = refusal(row)
    return {"id": row.id, "document_id": row.document_id, "copy_id": row.copy_id, "type": row.doc_type,
            "number": row.number, "holder_id": row.holder_id, "holder_kind": row.holder_kind,
            "holder_name": row.holder_name, "issued": row.issued.isoformat() if row.issued else None,
            "expires": row.expires.isoformat() if row.expires else None, "status": row.status,
            "reusable": why is None, "refused_because": why, "verify_code": row.verify_code,
            "dossier": row.dossier_code}


def attach(rt: Runtime, dossier_code: str, result_id: str, *, agency_id: str | None = None,
           by: str | None = None) -> ResultUse:
    """Attach a prior result to a new dossier by reference, recording who did it; refused with the reason."""
    with rt.catalog.session() as session:
        dossier = session.get(Dossier, dossier_code)
        if dossier is None:
            raise LookupError(f"no dossier {dossier_code}")
        row = session.get(Result, result_id)
        if row is None:
            raise LookupError(f"no result {result_id}")
        why = refusal(row)
        if why:
            raise ReuseRefused(why)
        if dossier.holder_id and dossier.holder_id != row.holder_id:
            raise ReuseRefused("the result belongs to another holder than the dossier's")
        use = ResultUse(result_id=result_id, dossier_code=dossier_code, agency_id=agency_id or dossier.agency_id,
                        by=unicodedata.normalize("NFC", by) if by else None)
        session.add(use)
        session.commit()
        return use


def attached(rt: Runtime, dossier_code: str) -> list[dict]:
    with rt.catalog.session() as session:
        rows = session.execute(select(ResultUse, Result).join(Result, Result.id == ResultUse.result_id)
                               .where(ResultUse.dossier_code == dossier_code).order_by(ResultUse.at)).all()
        return [{**describe(r), "attached_at": u.at.isoformat(), "attached_by": u.by, "agency": u.agency_id}
                for u, r in rows]


def secret_key(rt: Runtime) -> bytes:
    """``SOHOA_SECRET_KEY``, or (embedded) a random key made once and kept in the data folder."""
    configured = rt.settings.secret_key.get_secret_value()
    if configured:
        return configured.encode()
    path = rt.settings.data_dir / "secret-key"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_hex(32))
        path.chmod(0o600)
    return path.read_text().strip().encode()


def _date(text: str | None) -> date | None:
    if not text:
        return None
    try:
        return date.fromisoformat(text[:10])
    except ValueError:
        return None
