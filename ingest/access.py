"""Whose is it: the ownership half of authorization, decided from the catalogue.

A document belongs to the agency that digitized (or received) it; staff of another agency may still read a
document that is a registered result — that is the point of reuse — but not its internal documents, and
may change nothing of another agency's. A citizen reaches only the documents of their own results. Rows
without an owner (digitized before accounts existed, with no SOHOA_AGENCY_ID) belong to this instance's staff.
"""

from __future__ import annotations

from sqlalchemy import or_, select

from ingest.identity import CITIZEN, Principal
from storage.accounts import ApiKey, User
from storage.catalog import Agency, Batch, CertifiedCopy, Document, Dossier, Result, ShareLink, SignJob


def within(session, principal: Principal, agency_id: str | None) -> bool:
    """Is ``agency_id`` the principal's own agency or one under it (a province department sees its units)?"""
    if agency_id is None or agency_id == principal.agency_id:
        return True
    if not principal.agency_id:
        return False
    seen = set()
    current = session.get(Agency, agency_id)
    while current is not None and current.parent_id and current.parent_id not in seen:
        if current.parent_id == principal.agency_id:
            return True
        seen.add(current.parent_id)
        current = session.get(Agency, current.parent_id)
    return False


def _citizen_owns(session, principal: Principal, document_id: str) -> bool:
    if not principal.citizen_id:
        return False
    return session.scalar(select(Result.id).where(Result.holder_id == principal.citizen_id, or_(
        Result.document_id == document_id,
        Result.copy_id.in_(select(CertifiedCopy.id).where(CertifiedCopy.document_id == document_id))))
        .limit(1)) is not None


def _is_result(session, document_id: str) -> bool:
    return session.scalar(select(Result.id).where(Result.document_id == document_id).limit(1)) is not None or \
        session.scalar(select(Result.id).join(CertifiedCopy, CertifiedCopy.id == Result.copy_id)
                       .where(CertifiedCopy.document_id == document_id).limit(1)) is not None


def document_refusal(session, principal: Principal, document_id: str, *, writing: bool) -> str | None:
    """Why ``principal`` may not touch the document, or None. An unknown id is left to the route (404)."""
    doc = session.get(Document, document_id)
    if doc is None:
        return None
    if CITIZEN in principal.roles:
        return None if _citizen_owns(session, principal, document_id) else "this document is not one of your results"
    if within(session, principal, doc.agency_id):
        return None
    if not writing and _is_result(session, document_id):
        return None
    return "this document belongs to another agency"


def refusal(session, principal: Principal, params: dict[str, str], *, writing: bool) -> str | None:
    """Check every owned thing named in a route's path parameters."""
    if "document_id" in params:
        why = document_refusal(session, principal, params["document_id"], writing=writing)
        if why:
            return why
    if "copy_id" in params:
        copy = session.get(CertifiedCopy, params["copy_id"])
        if copy is not None and (why := document_refusal(session, principal, copy.document_id, writing=writing)):
            return why
    if "job_id" in params:
        job = session.get(SignJob, params["job_id"])
        if job is not None and (why := document_refusal(session, principal, job.document_id, writing=True)):
            return why
    if "token" in params:
        link = session.get(ShareLink, params["token"])
        if link is not None and (why := document_refusal(session, principal, link.document_id, writing=CITIZEN not in principal.roles)):
            return why
    owners = (("batch_id", Batch, "this batch belongs to another agency"),
              ("code", Dossier, "this dossier belongs to another agency"),
              ("result_id", Result, "this result was issued by another agency"),
              ("user_id", User, "this user belongs to another agency"),
              ("key_id", ApiKey, "this API key belongs to another agency"))
    for name, model, message in owners:
        if name in params:
            row = session.get(model, params[name])
            if row is not None and not within(session, principal, row.agency_id):
                return message
    return None


def visible_documents(principal: Principal):
    """A filter for document lists: this agency's documents and the unowned ones."""
    return or_(Document.agency_id.is_(None), Document.agency_id == principal.agency_id)
