"""What a batch or a document looks like from outside: plain dicts for the API, the CLI and the watcher."""

from __future__ import annotations

from sqlalchemy import func, select

from ingest.runtime import Runtime
from storage.catalog import Batch, BatchFile, Document, DocumentPage, ScanPage, Split


def batch_status(rt: Runtime, batch_id: str) -> dict | None:
    with rt.catalog.session() as session:
        batch = session.get(Batch, batch_id)
        if batch is None:
            return None
        files = list(session.scalars(select(BatchFile).where(BatchFile.batch_id == batch_id).order_by(BatchFile.position)))
        shas = [f.source_sha256 for f in files if f.source_sha256]
        done_counts = dict(
            session.execute(
                select(ScanPage.source_sha256, func.count()).where(ScanPage.source_sha256.in_(shas)).group_by(ScanPage.source_sha256)
            ).all()
        ) if shas else {}
        docs_by_source: dict[str, list[Document]] = {}
        for d in session.scalars(
            select(Document).where(Document.source_sha256.in_(shas), Document.state == "visible").order_by(Document.part)
        ) if shas else []:
            docs_by_source.setdefault(d.source_sha256, []).append(d)
        splits = {sp.source_sha256: sp for sp in session.scalars(select(Split).where(Split.source_sha256.in_(shas)))} if shas else {}
        out_files = []
        for f in files:
            pages_done = f.page_count if f.state in ("done", "duplicate") else done_counts.get(f.source_sha256, 0)
            out_files.append(
                {
                    "id": f.id,
                    "filename": f.filename,
                    "state": f.state,
                    "pages_total": f.page_count,
                    "pages_done": min(pages_done, f.page_count),
                    "sha256": f.source_sha256,
                    "document_id": f.document_id,
                    "error": f.error,
                    "documents": [
                        {"id": d.id, "part": d.part, "page_count": d.page_count, "type": d.doc_type,
                         "type_confidence": d.type_confidence, "split_confidence": d.split_confidence,
                         "dossier": d.dossier_code, "needs_review": d.needs_review}
                        for d in docs_by_source.get(f.source_sha256, [])
                    ] if f.state in ("done", "duplicate") else [],
                    "split": split_summary(splits.get(f.source_sha256)),
                }
            )
        return {
            "id": batch.id,
            "source": batch.source,
            "state": batch.state,
            "collate": batch.collate,
            "created_at": batch.created_at.isoformat(),
            "finished_at": batch.finished_at.isoformat() if batch.finished_at else None,
            "pages_total": sum(f["pages_total"] for f in out_files),
            "pages_done": sum(f["pages_done"] for f in out_files),
            "files": out_files,
        }


def split_summary(split: Split | None) -> dict | None:
    """How a scan was cut: the documents' source pages, blank pages and separator sheets left out."""
    if split is None:
        return None
    plan = split.plan or {}
    return {"confidence": split.confidence, "corrected": split.corrected, "segments": plan.get("segments", []),
            "blank_pages": plan.get("blank_pages", []), "separator_pages": plan.get("separator_pages", []),
            "dossiers": plan.get("dossiers", [])}


def document_summary(doc: Document) -> dict:
    return {
        "id": doc.id,
        "state": doc.state,
        "part": doc.part,
        "split_confidence": doc.split_confidence,
        "dossier": doc.dossier_code,
        "title": doc.title,
        "filename": doc.filename,
        "page_count": doc.page_count,
        "created_at": doc.created_at.isoformat(),
        "source_sha256": doc.source_sha256,
        "pdf_sha256": doc.pdf_sha256,
        "pdf_size": doc.pdf_size,
        "mime": doc.mime,
        "pdfa": doc.pdfa,
        "language": doc.language,
        "mean_confidence": doc.mean_conf,
        "warnings": doc.warnings or [],
        "type": doc.doc_type,
        "type_confidence": doc.type_confidence,
        "needs_review": doc.needs_review,
        "metadata": doc.fields or {},
    }


def document_detail(rt: Runtime, document_id: str) -> dict | None:
    with rt.catalog.session() as session:
        doc = session.get(Document, document_id)
        if doc is None:
            return None
        pages = document_pages(session, document_id)
        out = document_summary(doc)
        split = session.get(Split, doc.source_sha256)
        out["split"] = split_summary(split)
        if split is not None and doc.part <= len(out["split"]["segments"]):
            out["source_pages"] = out["split"]["segments"][doc.part - 1]["pages"]
        out["pages"] = [
            {
                "number": pos,
                "source_page": p.number,
                "status": p.status,
                "width_px": p.width_px,
                "height_px": p.height_px,
                "dpi": p.dpi,
                "source_dpi": p.source_dpi,
                "rotation": p.rotation,
                "skew_deg": p.skew_deg,
                "mean_confidence": p.mean_conf,
                "error": p.error,
            }
            for pos, p in pages
        ]
        return out


def document_pages(session, document_id: str) -> list[tuple[int, ScanPage]]:
    rows = session.execute(
        select(DocumentPage.position, ScanPage)
        .join(ScanPage, DocumentPage.scan_page_id == ScanPage.id)
        .where(DocumentPage.document_id == document_id)
        .order_by(DocumentPage.position)
    ).all()
    return [(pos, page) for pos, page in rows]


def dossier_documents(rt: Runtime, code: str) -> list[dict]:
    """The documents filed under a dossier (by its separator sheet or code), in the order they were scanned."""
    with rt.catalog.session() as session:
        docs = session.scalars(select(Document).where(Document.dossier_code == code, Document.state == "visible")
                               .order_by(Document.created_at, Document.part)).all()
        return [document_summary(d) for d in docs]
