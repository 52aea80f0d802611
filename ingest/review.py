"""A clerk's review: the queue of documents sohoa is unsure about, and corrections that keep their history.

Corrections are the training data for the classifier: every change of type or field is kept as a
``Correction`` row with the value it replaced.
"""

from __future__ import annotations

import copy

from sqlalchemy import select

from ingest.doctypes import BY_CODE
from ingest.runtime import Runtime
from ingest.status import document_summary
from storage.catalog import Correction, Document
from storage.text import nfc


class ReviewError(ValueError):
    """The correction cannot be applied; the message says why."""


def review_queue(rt: Runtime, limit: int = 50, offset: int = 0) -> dict:
    """Documents waiting for a clerk, least confident first."""
    with rt.catalog.session() as session:
        base = select(Document).where(Document.needs_review.is_(True))
        total = len(session.scalars(base.with_only_columns(Document.id)).all())
        docs = session.scalars(base.order_by(Document.type_confidence, Document.created_at).limit(limit).offset(offset)).all()
        return {"total": total, "items": [document_summary(d) for d in docs]}


def correct(rt: Runtime, document_id: str, *, doc_type: str | None = None, fields: dict[str, str | None] | None = None,
            by: str | None = None) -> dict | None:
    """Apply a clerk's corrections; returns the document's new summary, or None if it does not exist."""
    if doc_type is not None and doc_type not in BY_CODE:
        raise ReviewError(f"unknown document type {doc_type!r}; known types: {', '.join(sorted(BY_CODE))}")
    for name, value in (fields or {}).items():
        if not isinstance(name, str) or not name or len(name) > 64:
            raise ReviewError(f"invalid field name {name!r}")
        if value is not None and (not isinstance(value, str) or len(value) > 2000):
            raise ReviewError(f"the value of {name!r} must be text of at most 2000 characters, or null")
    with rt.catalog.session() as session, session.begin():
        doc = session.get(Document, document_id, with_for_update=True)
        if doc is None:
            return None
        record = copy.deepcopy(doc.fields or {})
        record.setdefault("fields", {})
        if doc_type is not None and doc_type != doc.doc_type:
            session.add(Correction(document_id=doc.id, field="type", old={"value": doc.doc_type, "confidence": doc.type_confidence},
                                   new={"value": doc_type}, by=by))
            doc.doc_type = doc_type
            record["type"], record["type_name"] = doc_type, BY_CODE[doc_type].name
        for name, value in (fields or {}).items():
            old = record["fields"].get(name)
            new_value = nfc(value.strip()) if isinstance(value, str) else None
            if old and old.get("value") == new_value:
                continue
            new = {**(old or {}), "value": new_value, "confidence": 1.0, "reason": None, "source": "clerk"}
            session.add(Correction(document_id=doc.id, field=name, old=old, new=new, by=by))
            record["fields"][name] = new
        doc.fields = record
        doc.type_confidence = 1.0  # a clerk has looked at it
        record["confidence"] = 1.0
        doc.needs_review = False
        session.flush()
        return document_summary(doc)


def history(rt: Runtime, document_id: str) -> list[dict]:
    with rt.catalog.session() as session:
        rows = session.scalars(select(Correction).where(Correction.document_id == document_id).order_by(Correction.id)).all()
        return [{"field": r.field, "old": r.old, "new": r.new, "by": r.by, "at": r.at.isoformat()} for r in rows]
