"""Turn a run of recognised pages into one document: its PDF, its type and Decree 30 fields, its catalog row.

Used by assembly (the pages of one segment of a feed) and by a clerk's split or merge (the same pages cut
differently), so a corrected document is built exactly like a first one.
"""

from __future__ import annotations

import json
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

from ingest.classify import classify
from ingest.extract import Line, extract
from ingest.runtime import Runtime
from ocr.pdf import PdfMetadata, PdfPage, PageImage, build_pdf, check_pdf
from storage.catalog import Document, DocumentPage, ScanPage, new_id
from storage.text import fold

# fields whose values a clerk searches by, besides the page text
SEARCHED_FIELDS = ("number_symbol", "subject", "agency", "parent_agency", "signer_name", "place", "full_name",
                   "personal_id", "certificate_number", "recipients")


@dataclass(frozen=True)
class PageView:
    """A page's recognised lines and size, read once from its words object."""

    lines: tuple[Line, ...]
    width: int
    height: int


def page_view(rt: Runtime, page: ScanPage) -> PageView:
    if not page.words_sha256:
        return PageView((), page.width_px, page.height_px)
    data = json.loads(rt.store.get_bytes(page.words_sha256))
    lines = tuple(Line(x["text"], page.number, tuple(x["box"]), x["conf"]) for x in data.get("lines", []))
    return PageView(lines, data.get("width", page.width_px), data.get("height", page.height_px))


def understand(rt: Runtime, views: list[PageView]) -> dict:
    """Type and Decree 30 fields from the pages' lines, numbered by position in the document (a JSON record)."""
    lines: list[Line] = []
    for position, view in enumerate(views, start=1):
        lines += [Line(l.text, position, l.box, l.conf) for l in view.lines]
    fields = extract(lines)
    kind = classify(lines, fields, model=_model(rt))
    if kind.type.code in ("sao_y", "trich_sao", "sao_luc"):  # a copy's record is its copy form's, not the original's
        fields = extract(lines, doc_type=kind.type.code)
    out = {
        "type": kind.type.code,
        "type_name": kind.type.name,
        "confidence": kind.confidence,
        "evidence": kind.evidence,
        "fields": fields.as_dict(),
    }
    alternatives = getattr(kind, "alternatives", None)
    if alternatives:
        out["alternatives"] = [{"type": c, "probability": round(p, 3)} for c, p in alternatives]
    return out


def _model(rt: Runtime):
    """The active type model; a catalog without one gets the seed model first (never raises: without a
    usable model, classification falls back to the layout rules alone)."""
    from ingest.typemodel import active_model

    return active_model(rt, ensure=True)


def searchable(record: dict, dossier: str | None = None) -> str:
    """The folded metadata a search matches besides page text: type, number, subject, people, dossier."""
    fields = record.get("fields") or {}
    values = [record.get("type_name") or ""] + [(fields.get(k) or {}).get("value") or "" for k in SEARCHED_FIELDS]
    if dossier:
        values.append(dossier)
    return fold(" ".join(v for v in values if v))


@dataclass
class Built:
    pdf_sha256: str
    pdf_size: int
    title: str
    record: dict
    warnings: list[str]
    mean_conf: float


def build(rt: Runtime, pages: list[ScanPage], views: list[PageView], filename: str) -> Built:
    """Understand the pages, then build, check and store their PDF (nothing is visible yet)."""
    record = understand(rt, views)
    fields = record["fields"]
    subject = (fields.get("subject") or {}).get("value")
    title = subject or Path(filename).stem
    keywords = ", ".join(x for x in (record["type_name"], (fields.get("number_symbol") or {}).get("value")) if x)
    meta = PdfMetadata(title=title[:500], author=(fields.get("agency") or {}).get("value") or "",
                       subject=subject or "Bản số hóa", keywords=keywords, creator="sohoa")
    work = Path(tempfile.mkdtemp(prefix="assemble-", dir=_ensure(rt.settings.work_dir / "tmp")))
    try:
        pdf_pages = []
        for p in pages:
            img = rt.store.copy_to(p.image_sha256, work / f"{p.number}.jpg")
            layer = rt.store.copy_to(p.text_layer_sha256, work / f"{p.number}.pdf") if p.text_layer_sha256 else None
            pdf_pages.append(PdfPage(PageImage(img, p.dpi, p.width_px, p.height_px), layer))
        out = work / "document.pdf"
        build_pdf(pdf_pages, out, meta, pdfa=rt.settings.pdfa)
        check_pdf(out)
        stored = rt.store.put_file(out, content_type="application/pdf")
    finally:
        shutil.rmtree(work, ignore_errors=True)
    warnings = [f"page {i}: text not recognised ({p.error})" for i, p in enumerate(pages, 1) if p.status == "ocr_failed"]
    confs = [p.mean_conf for p in pages if p.mean_conf >= 0]
    return Built(stored.sha256, stored.size, title, record, warnings, round(sum(confs) / len(confs), 2) if confs else -1)


def document_row(rt: Runtime, built: Built, pages: list[ScanPage], *, source_sha256: str, filename: str, mime: str,
                 part: int, split_confidence: float, dossier: str | None, extra_warnings: list[str] = (),
                 agency_id: str | None = None) -> Document:
    """The catalog row of a built document with its page links (the caller adds it in its transaction)."""
    record = built.record
    needs_review = record["confidence"] < rt.settings.review_threshold or split_confidence < rt.settings.review_threshold
    if split_confidence < 1.0:
        record["split_confidence"] = round(split_confidence, 3)
    doc = Document(
        id=new_id(),
        source_sha256=source_sha256,
        part=part,
        state="visible",
        split_confidence=round(split_confidence, 3),
        dossier_code=dossier,
        agency_id=agency_id,
        pdf_sha256=built.pdf_sha256,
        pdf_size=built.pdf_size,
        filename=filename,
        title=built.title[:500],
        mime=mime,
        page_count=len(pages),
        pdfa=rt.settings.pdfa,
        mean_conf=built.mean_conf,
        warnings=built.warnings + list(extra_warnings),
        doc_type=record["type"],
        type_confidence=record["confidence"],
        needs_review=needs_review,
        fields=record,
        meta_folded=searchable(record, dossier),
    )
    doc.pages = [DocumentPage(position=i, scan_page_id=p.id) for i, p in enumerate(pages, start=1)]
    return doc


def _ensure(path: Path) -> Path:
    path.mkdir(parents=True, exist_ok=True)
    return path
