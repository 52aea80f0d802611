"""Retention and deletion: how long each class of document is kept, and the only way one is ever removed.

The retention table below is data, and its figures are **configurable defaults**, not a reading of the law:
they follow the shape of the Vietnamese archival rules (permanent for normative and individual decisions and
for results issued to citizens; 70, 20, 10 or 5 years for the rest, in the style of Circular 09/2011/TT-BNV's
list and Circular 02/2019/TT-BNV / 05/2025/TT-BNV for electronic records) but an archivist must check each
against the agency's own retention list. Override them with a JSON file named by ``SOHOA_RETENTION_TABLE``
(``{"classes": {"20y": {"years": 25}}, "doc_types": {"bao_cao": "10y"}}``) or by calling ``configure``.

A document is deleted only by ``delete_document``: by an archivist or admin, with a reason, after its
retention period, never while a result issued from it is still on file. Its rows go, a ``Tombstone`` stays
(who, when, why, and what the document was — type, number, dates — never its content), and the objects no
other document, version or copy still references are removed from the store.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from datetime import date, datetime, timezone
from pathlib import Path

from sqlalchemy import delete, exists, select, update
from sqlalchemy.orm import Session

from storage.catalog import (
    BatchFile,
    CertifiedCopy,
    ClassifierModel,
    Correction,
    Document,
    DocumentPage,
    DocumentVersion,
    Result,
    ScanPage,
    ShareLink,
    SignJob,
    Split,
    Tombstone,
)
from storage.objects import ObjectStore, ObjectStoreError

log = logging.getLogger(__name__)

PRIVILEGED_ROLES = frozenset({"archivist", "admin", "agency_admin"})


@dataclass(frozen=True)
class RetentionClass:
    code: str
    years: int | None  # None = permanent
    label: str


# Configurable defaults (see the module docstring): not legal advice.
CLASSES: dict[str, RetentionClass] = {c.code: c for c in [
    RetentionClass("permanent", None, "Vĩnh viễn — normative and individual decisions, results issued"),
    RetentionClass("70y", 70, "70 năm — contracts, records about people's rights"),
    RetentionClass("20y", 20, "20 năm — plans, reports, programmes, minutes"),
    RetentionClass("10y", 10, "10 năm — routine correspondence, applications, copies"),
    RetentionClass("5y", 5, "5 năm — invitations, transmittal slips, leave notes"),
]}

DOC_TYPE_CLASS: dict[str, str] = {
    # permanent
    "nghi_quyet": "permanent", "quyet_dinh": "permanent", "chi_thi": "permanent", "quy_che": "permanent",
    "quy_dinh": "permanent", "de_an": "permanent", "giay_chung_nhan": "permanent", "giay_phep": "permanent",
    # 70 years
    "hop_dong": "70y", "ban_thoa_thuan": "70y", "ban_ghi_nho": "70y", "giay_uy_quyen": "70y",
    # 20 years
    "thong_cao": "20y", "thong_bao": "20y", "huong_dan": "20y", "chuong_trinh": "20y", "ke_hoach": "20y",
    "phuong_an": "20y", "du_an": "20y", "bao_cao": "20y", "bien_ban": "20y", "to_trinh": "20y",
    "cong_dien": "20y",
    # 10 years
    "cong_van": "10y", "thu_cong": "10y", "don_de_nghi": "10y", "to_khai": "10y", "can_cuoc": "10y",
    "sao_y": "10y", "trich_sao": "10y", "sao_luc": "10y", "khac": "10y",
    # 5 years
    "giay_moi": "5y", "giay_gioi_thieu": "5y", "giay_nghi_phep": "5y", "phieu_gui": "5y",
    "phieu_chuyen": "5y", "phieu_bao": "5y",
}
DEFAULT_CLASS = "10y"  # an unknown type: the shortest ordinary period; an archivist sets retention_class
RESULT_CLASS = "permanent"  # a document a result was issued from


class ArchiveRefused(Exception):
    """A deletion that is not allowed; the message says why."""


def configure(table: dict) -> None:
    """Override classes and/or the type → class mapping: ``{"classes": {code: {"years": n|null, "label": ..}},
    "doc_types": {type: class}}``."""
    for code, spec in (table.get("classes") or {}).items():
        old = CLASSES.get(code)
        CLASSES[code] = RetentionClass(code, spec.get("years"), spec.get("label") or (old.label if old else code))
    for doc_type, code in (table.get("doc_types") or {}).items():
        if code not in CLASSES:
            raise ValueError(f"retention table: {doc_type} → unknown class {code!r}")
        DOC_TYPE_CLASS[doc_type] = code


def configure_from_file(path: Path) -> None:
    """The agency's own retention list (``SOHOA_RETENTION_TABLE``, a JSON file in ``configure``'s shape)."""
    configure(json.loads(Path(path).read_text(encoding="utf-8")))


def class_for(doc: Document, session: Session | None = None) -> RetentionClass:
    """The document's own ``retention_class`` if set, else permanent when a result was issued from it, else by type."""
    if doc.retention_class:
        if doc.retention_class not in CLASSES:
            raise ArchiveRefused(f"document {doc.id} has an unknown retention class {doc.retention_class!r}")
        return CLASSES[doc.retention_class]
    if session is not None and session.scalar(select(exists().where(Result.document_id == doc.id))):
        return CLASSES[RESULT_CLASS]
    return CLASSES[DOC_TYPE_CLASS.get(doc.doc_type or "khac", DEFAULT_CLASS)]


def retention_start(doc: Document) -> date:
    """Counted from the document's issue date when known, else from when it was digitized."""
    issued = doc.field_value("issue_date")
    if issued:
        try:
            return date.fromisoformat(str(issued)[:10])
        except ValueError:
            pass
    created = doc.created_at or datetime.now(timezone.utc)
    return created.date()


def retention_until(doc: Document, session: Session | None = None) -> date | None:
    """The first day the document may be deleted; None = kept permanently."""
    cls = class_for(doc, session)
    if cls.years is None:
        return None
    start = retention_start(doc)
    try:
        end = start.replace(year=start.year + cls.years)
    except ValueError:  # 29 February
        end = start.replace(year=start.year + cls.years, day=28)
    return end


def _referenced(session: Session, sha: str) -> bool:
    """Does any remaining row still point at this object?"""
    checks = [
        Document.pdf_sha256 == sha, Document.source_sha256 == sha,
        DocumentVersion.pdf_sha256 == sha, CertifiedCopy.pdf_sha256 == sha, ClassifierModel.sha256 == sha,
        ScanPage.image_sha256 == sha, ScanPage.text_layer_sha256 == sha, ScanPage.words_sha256 == sha,
    ]
    return any(session.scalar(select(exists().where(c))) for c in checks)


def delete_document(session: Session, store: ObjectStore, doc_id: str, by: str, role: str, reason: str,
                    *, today: date | None = None) -> Tombstone:
    """Delete one document after its retention period, leaving a tombstone; raises ``ArchiveRefused``.

    Runs in ``session``'s transaction (committed here); objects are removed after the commit, so a failure
    there leaves an unreferenced object (listed by fixity), never a row pointing at nothing.
    """
    if (role or "").strip().lower() not in PRIVILEGED_ROLES:
        raise ArchiveRefused(f"role {role!r} may not delete documents: only {', '.join(sorted(PRIVILEGED_ROLES))}")
    if not (by or "").strip():
        raise ArchiveRefused("a deletion must name who does it (--by)")
    if not (reason or "").strip():
        raise ArchiveRefused("a deletion needs a reason (--reason)")
    doc = session.get(Document, doc_id)
    if doc is None:
        raise ArchiveRefused(f"no document {doc_id}")
    today = today or date.today()
    cls = class_for(doc, session)
    until = retention_until(doc, session)
    if until is None:
        raise ArchiveRefused(f"document {doc_id} is kept permanently (retention class {cls.code}: {cls.label})")
    if today < until:
        raise ArchiveRefused(f"document {doc_id} is retained until {until.isoformat()} "
                             f"(class {cls.code}, from {retention_start(doc).isoformat()}); not before")
    results = session.scalars(select(Result.id).where(Result.document_id == doc_id)).all()
    if results:
        raise ArchiveRefused(f"document {doc_id} has result(s) on file ({', '.join(results)}): revoke and "
                             "archive them first")

    versions = session.scalars(select(DocumentVersion).where(DocumentVersion.document_id == doc_id)).all()
    copies = session.scalars(select(CertifiedCopy).where(CertifiedCopy.document_id == doc_id)).all()
    copy_ids = [c.id for c in copies]
    if copy_ids and session.scalar(select(exists().where(Result.copy_id.in_(copy_ids)))):
        raise ArchiveRefused(f"a certified copy of document {doc_id} is attached to a result")
    page_ids = [p.scan_page_id for p in doc.pages]
    candidates = {doc.pdf_sha256, doc.source_sha256} | {v.pdf_sha256 for v in versions} | {c.pdf_sha256 for c in copies}
    other_docs_of_source = session.scalar(select(exists().where(Document.source_sha256 == doc.source_sha256,
                                                               Document.id != doc_id)))
    pages = session.scalars(select(ScanPage).where(ScanPage.id.in_(page_ids))).all() if page_ids else []
    if not other_docs_of_source:  # every page of the scan, not only this document's (blanks, separators)
        pages = session.scalars(select(ScanPage).where(ScanPage.source_sha256 == doc.source_sha256)).all()
    for p in pages:
        candidates |= {p.image_sha256, p.text_layer_sha256, p.words_sha256}
    candidates.discard(None)

    record = {
        "doc_type": doc.doc_type, "title": doc.title, "filename": doc.filename,
        "number_symbol": doc.field_value("number_symbol") or doc.field_value("certificate_number"),
        "issue_date": doc.field_value("issue_date"), "agency": doc.field_value("agency"),
        "dossier_code": doc.dossier_code, "page_count": doc.page_count,
        "versions": len(versions), "certified_copies": [c.notation for c in copies],
        "created_at": doc.created_at.isoformat() if doc.created_at else None,
        "retention_until": until.isoformat(), "role": role,
    }

    session.execute(delete(ShareLink).where(ShareLink.document_id == doc_id))
    session.execute(delete(SignJob).where(SignJob.document_id == doc_id))
    session.execute(delete(Correction).where(Correction.document_id == doc_id))
    session.execute(update(BatchFile).where(BatchFile.document_id == doc_id).values(document_id=None))
    session.execute(delete(DocumentVersion).where(DocumentVersion.document_id == doc_id))
    session.execute(delete(CertifiedCopy).where(CertifiedCopy.document_id == doc_id))
    session.execute(delete(DocumentPage).where(DocumentPage.document_id == doc_id))
    session.expunge(doc)
    session.execute(delete(Document).where(Document.id == doc_id))
    session.flush()
    # scan pages (their OCR text is content) that no remaining document uses
    for p in pages:
        if not session.scalar(select(exists().where(DocumentPage.scan_page_id == p.id))):
            session.execute(delete(ScanPage).where(ScanPage.id == p.id))
    if not other_docs_of_source:
        session.execute(delete(Split).where(Split.source_sha256 == doc.source_sha256))
    session.flush()
    removable = sorted(sha for sha in candidates if not _referenced(session, sha))
    tomb = Tombstone(document_id=doc_id, sha256s=removable, record=record, retention_class=cls.code,
                     by=by.strip(), reason=reason.strip())
    session.add(tomb)
    session.commit()

    for sha in removable:
        try:
            store.delete(sha, tombstone_reason=f"document {doc_id} deleted by {by} ({role}): {reason}")
        except ObjectStoreError as exc:
            log.error("document %s deleted, but object %s could not be removed: %s", doc_id, sha, exc)
    log.info("document %s deleted by %s (%s): %d object(s) removed, tombstone %s", doc_id, by, role, len(removable), tomb.id)
    return tomb
