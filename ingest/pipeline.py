"""The story of one file, read top to bottom: plan its pages → clean and recognise each page → assemble the PDF.

Each step is idempotent and keyed by content (source SHA-256 + page number), so a worker killed anywhere
leaves nothing half-written: page work is one catalog row written after its objects are stored, and a
document is one transaction written after its PDF is stored. Running a step twice finds the work done.
Celery tasks (``ingest.tasks``) and the in-process runner (``ingest.runner``) both call these functions.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import tempfile
import time
import unicodedata
from dataclasses import asdict, dataclass
from pathlib import Path

import cv2
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from ingest.classify import classify
from ingest.extract import Line, extract, lines_from_words
from ingest.intake import final_state
from ingest.runtime import Runtime
from ocr.cleanup import clean_page
from ocr.engine import OcrError, recognize
from ocr.image import InputError, SourceInfo, load_page
from ocr.pdf import PdfMetadata, PdfPage, PageImage, build_pdf, check_pdf, encode_page_image
from storage.catalog import Batch, BatchFile, Document, DocumentPage, ScanPage, new_id, utcnow
from storage.text import fold

log = logging.getLogger(__name__)

TERMINAL = ("done", "duplicate", "failed")


@dataclass
class PageRecord:
    """Everything one page's work produced; becomes one ScanPage row."""

    source_sha256: str
    number: int
    status: str
    error: str | None = None
    width_px: int = 0
    height_px: int = 0
    dpi: float = 0
    source_dpi: float = 0
    rotation: int = 0
    skew_deg: float = 0
    mean_conf: float = -1
    text: str = ""
    image_sha256: str | None = None
    text_layer_sha256: str | None = None
    words_sha256: str | None = None
    seconds: float = 0


# --- 1. plan -------------------------------------------------------------------------------------------


def start_file(rt: Runtime, batch_file_id: str) -> list[int]:
    """Mark a file running; return the page numbers whose work is still to do (none if it is finished)."""
    with rt.catalog.session() as session, session.begin():
        bf = session.get(BatchFile, batch_file_id)
        if bf is None or bf.state in TERMINAL:
            return []
        bf.state = "running"
        batch = session.get(Batch, bf.batch_id)
        if batch.state == "queued":
            batch.state = "running"
        done = set(
            session.scalars(select(ScanPage.number).where(ScanPage.source_sha256 == bf.source_sha256))
        )
        return [n for n in range(1, bf.page_count + 1) if n not in done]


def page_done(rt: Runtime, source_sha256: str, number: int) -> bool:
    with rt.catalog.session() as session:
        return (
            session.scalar(
                select(ScanPage.id).where(ScanPage.source_sha256 == source_sha256, ScanPage.number == number)
            )
            is not None
        )


def file_job(rt: Runtime, batch_file_id: str) -> tuple[str, str, str]:
    """(source sha, kind, mime) of a batch file, for page workers."""
    with rt.catalog.session() as session:
        bf = session.get(BatchFile, batch_file_id)
        return bf.source_sha256, bf.kind, bf.mime


# --- 2. one page -------------------------------------------------------------------------------------


def local_source(rt: Runtime, source_sha256: str) -> Path:
    """The original file on local disk: read in place from a local store, else copied once per machine."""
    direct = rt.store.local_path(source_sha256)
    if direct is not None:
        return direct
    path = rt.settings.work_dir / "sources" / source_sha256
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        rt.store.copy_to(source_sha256, path)
    return path


def prune_local_sources(rt: Runtime, max_age_s: float = 6 * 3600) -> None:
    """Forget local copies of originals nobody has touched for a while (they can always be fetched again)."""
    folder = rt.settings.work_dir / "sources"
    if not folder.exists():
        return
    cutoff = time.time() - max_age_s
    for entry in os.scandir(folder):
        try:
            if entry.stat().st_atime < cutoff and entry.stat().st_mtime < cutoff:
                os.unlink(entry.path)
        except OSError:
            pass


def ocr_page(rt: Runtime, source_sha256: str, kind: str, mime: str, number: int) -> PageRecord:
    """Clean up and recognise one page; store its image, text layer and words; never raises for bad input."""
    started = time.monotonic()
    rec = PageRecord(source_sha256=source_sha256, number=number, status="ok")
    s = rt.settings
    work = Path(tempfile.mkdtemp(prefix=f"page{number}-", dir=_ensure(s.work_dir / "tmp")))
    try:
        try:
            bgr, dpi = load_page(local_source(rt, source_sha256), SourceInfo(kind, mime, 0), number - 1, rt.limits)
        except InputError as exc:
            rec.status, rec.error = "failed", str(exc)
            return rec
        rec.source_dpi = dpi
        page = clean_page(bgr, dpi, rt.cleanup_options)
        del bgr
        rec.rotation, rec.skew_deg = page.rotation, round(page.skew_deg, 3)
        image: PageImage = encode_page_image(page.colour, page.colour_dpi, work / "page.jpg", min_dpi=s.output_dpi)
        rec.width_px, rec.height_px, rec.dpi = image.width_px, image.height_px, image.dpi
        rec.image_sha256 = rt.store.put_file(image.path, content_type="image/jpeg").sha256
        if page.blank:
            rec.status = "blank"
            return rec
        ocr_img, ocr_dpi = _ocr_image(page.ocr, dpi, s.ocr_dpi)
        ocr_path = work / "ocr.pbm"  # 1-bit, uncompressed: ~6× faster to write than PNG, and Tesseract reads it
        cv2.imwrite(str(ocr_path), ocr_img)
        try:
            result = recognize(
                ocr_path,
                work / "ocr",
                dpi=ocr_dpi,
                lang=s.ocr_lang,
                tesseract_cmd=s.tesseract_cmd,
                timeout_s=s.tesseract_timeout,
            )
        except OcrError as exc:
            # The image is still a faithful copy: keep the page, without text, and say so.
            rec.status, rec.error = "ocr_failed", str(exc)
            return rec
        rec.text, rec.mean_conf = result.text, round(result.mean_conf, 2)
        rec.text_layer_sha256 = rt.store.put_file(result.text_layer, content_type="application/pdf").sha256
        scale = image.width_px / ocr_img.shape[1]
        words = [
            {
                "text": w.text,
                "box": [round(w.left * scale), round(w.top * scale), round(w.width * scale), round(w.height * scale)],
                "conf": w.conf,
                "line": [w.block, w.par, w.line],
            }
            for w in result.words
        ]
        lines = [
            {"text": line.text, "box": list(line.box), "conf": round(line.conf, 2)}
            for line in lines_from_words(result.lines, number, scale)
        ]
        payload = json.dumps({"width": image.width_px, "height": image.height_px, "words": words, "lines": lines}, ensure_ascii=False)
        rec.words_sha256 = rt.store.put_bytes(payload.encode("utf-8"), content_type="application/json").sha256
        return rec
    finally:
        rec.seconds = round(time.monotonic() - started, 3)
        shutil.rmtree(work, ignore_errors=True)


def _ocr_image(binary, dpi: float, ocr_dpi: int):
    """Bring the recognition image near Tesseract's sweet spot (~300 dpi) without touching the stored image."""
    if dpi > ocr_dpi * 1.15 or dpi < 200:
        f = ocr_dpi / dpi
        interp = cv2.INTER_AREA if f < 1 else cv2.INTER_CUBIC
        resized = cv2.resize(binary, None, fx=f, fy=f, interpolation=interp)
        _t, resized = cv2.threshold(resized, 127, 255, cv2.THRESH_BINARY)
        return resized, float(ocr_dpi)
    return binary, dpi


def record_page(rt: Runtime, rec: PageRecord) -> None:
    """Write the page's row; a second write of the same page (a retried task) is ignored."""
    row = ScanPage(**asdict(rec), text_folded=fold(rec.text))
    row.text = unicodedata.normalize("NFC", rec.text)
    try:
        with rt.catalog.session() as session, session.begin():
            session.add(row)
    except IntegrityError:
        log.info("page %s/%s was already recorded", rec.source_sha256[:12], rec.number)


def pages_complete(rt: Runtime, batch_file_id: str) -> bool:
    with rt.catalog.session() as session:
        bf = session.get(BatchFile, batch_file_id)
        if bf is None:
            return False
        count = session.scalar(select(func.count()).where(ScanPage.source_sha256 == bf.source_sha256))
        return count >= bf.page_count


# --- 3. assemble -------------------------------------------------------------------------------------


def assemble(rt: Runtime, batch_file_id: str) -> str | None:
    """Build, check and store the document's PDF, then make the document visible in one transaction."""
    s = rt.settings
    with rt.catalog.session() as session:
        bf = session.get(BatchFile, batch_file_id)
        if bf is None or bf.state in TERMINAL:
            return bf.document_id if bf else None
        pages = list(
            session.scalars(
                select(ScanPage).where(ScanPage.source_sha256 == bf.source_sha256).order_by(ScanPage.number)
            )
        )
        existing = session.scalar(select(Document).where(Document.source_sha256 == bf.source_sha256))
    if len(pages) < bf.page_count:
        return None  # not all pages are done yet; the last page to finish calls us again
    prune_local_sources(rt)
    if existing is not None:
        _finish_file(rt, batch_file_id, "duplicate", document_id=existing.id)
        return existing.id
    failed = [p for p in pages if p.status == "failed"]
    if failed:
        errors = "; ".join(f"page {p.number}: {p.error}" for p in failed)
        _finish_file(rt, batch_file_id, "failed", error=errors)
        return None

    work = Path(tempfile.mkdtemp(prefix="assemble-", dir=_ensure(s.work_dir / "tmp")))
    try:
        pdf_pages = []
        for p in pages:
            img = rt.store.copy_to(p.image_sha256, work / f"{p.number}.jpg")
            layer = rt.store.copy_to(p.text_layer_sha256, work / f"{p.number}.pdf") if p.text_layer_sha256 else None
            pdf_pages.append(PdfPage(PageImage(img, p.dpi, p.width_px, p.height_px), layer))
        understood = understand(rt, pages)
        fields = understood["fields"]
        subject = (fields.get("subject") or {}).get("value")
        title = subject or Path(bf.filename).stem
        out = work / "document.pdf"
        keywords = ", ".join(x for x in (understood["type_name"], (fields.get("number_symbol") or {}).get("value")) if x)
        meta = PdfMetadata(title=title[:500], author=(fields.get("agency") or {}).get("value") or "",
                           subject=subject or "Bản số hóa", keywords=keywords, creator="sohoa")
        build_pdf(pdf_pages, out, meta, pdfa=s.pdfa)
        check_pdf(out)
        stored = rt.store.put_file(out, content_type="application/pdf")
    finally:
        shutil.rmtree(work, ignore_errors=True)

    warnings = [f"page {p.number}: text not recognised ({p.error})" for p in pages if p.status == "ocr_failed"]
    warnings += [f"page {p.number}: blank" for p in pages if p.status == "blank"]
    confs = [p.mean_conf for p in pages if p.mean_conf >= 0]
    doc = Document(
        id=new_id(),
        source_sha256=bf.source_sha256,
        pdf_sha256=stored.sha256,
        pdf_size=stored.size,
        filename=bf.filename,
        title=title,
        mime=bf.mime,
        page_count=len(pages),
        pdfa=s.pdfa,
        mean_conf=round(sum(confs) / len(confs), 2) if confs else -1,
        warnings=warnings,
        doc_type=understood["type"],
        type_confidence=understood["confidence"],
        needs_review=understood["confidence"] < s.review_threshold,
        fields=understood,
    )
    doc.pages = [DocumentPage(position=p.number, scan_page_id=p.id) for p in pages]
    try:
        with rt.catalog.session() as session, session.begin():
            session.add(doc)
            _finish_in(session, batch_file_id, "done", document_id=doc.id)
        return doc.id
    except IntegrityError:  # another worker assembled the same content first
        with rt.catalog.session() as session:
            other = session.scalar(select(Document.id).where(Document.source_sha256 == bf.source_sha256))
        _finish_file(rt, batch_file_id, "duplicate", document_id=other)
        return other


def understand(rt: Runtime, pages: list[ScanPage]) -> dict:
    """Type and Decree 30 fields of a document from its pages' recognised lines (a JSON-ready record)."""
    lines: list[Line] = []
    for p in pages:
        if not p.words_sha256:
            continue
        data = json.loads(rt.store.get_bytes(p.words_sha256))
        lines += [Line(x["text"], p.number, tuple(x["box"]), x["conf"]) for x in data.get("lines", [])]
    fields = extract(lines)
    kind = classify(lines, fields)
    return {
        "type": kind.type.code,
        "type_name": kind.type.name,
        "confidence": kind.confidence,
        "evidence": kind.evidence,
        "fields": fields.as_dict(),
    }


def _finish_file(rt: Runtime, batch_file_id: str, state: str, **fields) -> None:
    with rt.catalog.session() as session, session.begin():
        _finish_in(session, batch_file_id, state, **fields)


def _finish_in(session, batch_file_id: str, state: str, *, document_id=None, error=None) -> None:
    bf = session.get(BatchFile, batch_file_id, with_for_update=True)
    bf.state, bf.error = state, error
    if document_id:
        bf.document_id = document_id
    session.flush()
    batch = session.get(Batch, bf.batch_id, with_for_update=True)
    files = list(session.scalars(select(BatchFile).where(BatchFile.batch_id == batch.id)))
    if all(f.state in TERMINAL for f in files):
        batch.state = final_state(files)
        batch.finished_at = utcnow()


def fail_file(rt: Runtime, batch_file_id: str, error: str) -> None:
    """Give up on a file after an unexpected error, so its batch still finishes and says why."""
    with rt.catalog.session() as session:
        bf = session.get(BatchFile, batch_file_id)
        if bf is None or bf.state in TERMINAL:
            return
    _finish_file(rt, batch_file_id, "failed", error=error)


def _ensure(path: Path) -> Path:
    path.mkdir(parents=True, exist_ok=True)
    return path
