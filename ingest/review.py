"""A clerk's review: the queue of documents sohoa is unsure about, and corrections that keep their history.

Corrections are the training data for the classifier: every change of type or field is kept as a
``Correction`` row with the value it replaced.
"""

from __future__ import annotations

import copy

from sqlalchemy import delete, select

from ingest import documents
from ingest.doctypes import BY_CODE
from ingest.runtime import Runtime
from ingest.split import Plan, merge, resplit
from ingest.status import document_summary
from storage.catalog import Correction, Document, DocumentPage, ScanPage, Split
from storage.text import nfc


class ReviewError(ValueError):
    """The correction cannot be applied; the message says why."""


def review_queue(rt: Runtime, limit: int = 50, offset: int = 0) -> dict:
    """Documents waiting for a clerk, least confident first."""
    with rt.catalog.session() as session:
        base = select(Document).where(Document.needs_review.is_(True), Document.state == "visible")
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
        doc.meta_folded = documents.searchable(record, doc.dossier_code)
        doc.type_confidence = 1.0  # a clerk has looked at it
        record["confidence"] = 1.0
        doc.needs_review = False
        session.flush()
        return document_summary(doc)


def history(rt: Runtime, document_id: str) -> list[dict]:
    with rt.catalog.session() as session:
        rows = session.scalars(select(Correction).where(Correction.document_id == document_id).order_by(Correction.id)).all()
        return [{"field": r.field, "old": r.old, "new": r.new, "by": r.by, "at": r.at.isoformat()} for r in rows]


def recut(rt: Runtime, document_id: str, *, split_at: int | None = None, merge_next: bool = False,
          by: str | None = None) -> list[dict] | None:
    """A clerk corrects the split of a scan: cut this document at its page ``split_at`` into two, or merge it
    with the next document of the same scan. The documents are rebuilt (PDF, type, fields) exactly as on
    first assembly; the old page lists are kept in the history. Returns the summaries of the documents now
    holding those pages, or None if the document does not exist."""
    if (split_at is None) == (not merge_next):
        raise ReviewError("give either split_at (a page number) or merge_next: true")
    with rt.catalog.session() as session:
        doc = session.get(Document, document_id)
        if doc is None:
            return None
        if doc.state != "visible":
            raise ReviewError(f"document {document_id} was merged into another and can no longer be changed")
        split = session.get(Split, doc.source_sha256)
        siblings = list(session.scalars(select(Document).where(Document.source_sha256 == doc.source_sha256,
                                                               Document.state == "visible").order_by(Document.part)))
        pages = {p.number: p for p in session.scalars(select(ScanPage).where(ScanPage.source_sha256 == doc.source_sha256))}
    if split is None or doc.part > len(split.plan.get("segments", [])):
        raise ReviewError("this document has no recorded split to correct")
    plan = Plan.from_dict(split.plan)
    index = doc.part - 1
    try:
        new_plan = resplit(plan, index, split_at) if split_at is not None else merge(plan, index)
    except ValueError as exc:
        raise ReviewError(str(exc)) from None
    touched = [index, index + 1] if split_at is not None else [index]
    built = {}
    for i in touched:
        seg_pages = [pages[n] for n in new_plan.segments[i].pages]
        built[i] = (seg_pages, documents.build(rt, seg_pages, [documents.page_view(rt, p) for p in seg_pages], doc.filename))

    with rt.catalog.session() as session, session.begin():
        current = session.get(Document, document_id, with_for_update=True)
        if current is None or current.state != "visible" or current.part != doc.part:
            raise ReviewError("the document changed while this correction was prepared; try again")
        rows = {d.id: d for d in session.scalars(select(Document).where(Document.id.in_([d.id for d in siblings])))}
        ordered = [rows[d.id] for d in siblings]
        old_pages = plan.segments[index].pages
        seg_pages, b = built[index]
        _replace(session, current, b, seg_pages, rt.settings.review_threshold)
        result = [current]
        if split_at is not None:
            seg2, b2 = built[index + 1]
            new = documents.document_row(rt, b2, seg2, source_sha256=current.source_sha256, filename=current.filename,
                                         mime=current.mime, part=current.part + 1, split_confidence=1.0,
                                         dossier=new_plan.segments[index + 1].dossier, agency_id=current.agency_id)
            new.needs_review = new.type_confidence < rt.settings.review_threshold
            for later in ordered[index + 1 :]:
                later.part += 1
            session.add(new)
            session.flush()
            result.append(new)
            change = {"pages": new_plan.segments[index].pages, "split_off": {"document_id": new.id, "pages": new_plan.segments[index + 1].pages}}
        else:
            gone = ordered[index + 1]
            gone.state = "superseded"
            gone.fields = {**(gone.fields or {}), "merged_into": current.id}
            for later in ordered[index + 2 :]:
                later.part -= 1
            session.add(Correction(document_id=gone.id, field="split", old={"pages": plan.segments[index + 1].pages},
                                   new={"merged_into": current.id}, by=by))
            change = {"pages": new_plan.segments[index].pages, "merged": {"document_id": gone.id}}
        session.add(Correction(document_id=current.id, field="split", old={"pages": old_pages}, new=change, by=by))
        split_row = session.get(Split, current.source_sha256, with_for_update=True)
        split_row.plan, split_row.corrected, split_row.confidence = new_plan.as_dict(), True, round(new_plan.confidence, 3)
        session.flush()
        return [document_summary(d) for d in result]


def _replace(session, doc: Document, built: documents.Built, pages: list[ScanPage], threshold: float) -> None:
    """Point an existing document at a new run of pages, keeping its id (links to it stay valid)."""
    session.execute(delete(DocumentPage).where(DocumentPage.document_id == doc.id))
    session.flush()
    session.expire(doc, ["pages"])
    for i, p in enumerate(pages, start=1):
        session.add(DocumentPage(document_id=doc.id, position=i, scan_page_id=p.id))
    record = built.record
    doc.pdf_sha256, doc.pdf_size, doc.title = built.pdf_sha256, built.pdf_size, built.title[:500]
    doc.page_count, doc.mean_conf, doc.warnings = len(pages), built.mean_conf, built.warnings
    doc.doc_type, doc.type_confidence, doc.fields = record["type"], record["confidence"], record
    doc.split_confidence = 1.0  # a clerk decided this cut
    doc.needs_review = record["confidence"] < threshold
    doc.meta_folded = documents.searchable(record, doc.dossier_code)
