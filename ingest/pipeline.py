"""The story of one file, read top to bottom: plan its pages → clean and recognise each page → cut the feed into
documents → assemble each document's PDF.

Each step is idempotent and keyed by content (source SHA-256 + page number), so a worker killed anywhere
leaves nothing half-written: page work is one catalog row written after its objects are stored, and the
documents of a file (with the split that made them) are one transaction written after their PDFs are stored. Running a step twice finds the work done.
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

from ingest import documents, metrics
from ingest.dossier import parse_dossier_code, separator_role
from ingest.extract import lines_from_words
from ingest.intake import final_state
from ingest.runtime import Runtime
from ingest.split import PageInfo, Segment, plan_split
from ocr.barcodes import find_codes
from ocr.cleanup import clean_page
from ocr.engine import OcrError, recognize
from ocr.image import InputError, SourceInfo, load_page
from ocr.marks import top_centre_mark
from ocr.pdf import PageImage, encode_page_image
from storage import audit
from storage.catalog import Batch, BatchFile, Document, Dossier, ScanPage, Split, utcnow
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
    signals: dict | None = None
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


def batch_of(rt: Runtime, batch_file_id: str) -> str | None:
    with rt.catalog.session() as session:
        return session.scalar(select(BatchFile.batch_id).where(BatchFile.id == batch_file_id))


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
        rec.signals = {"codes": page_codes(bgr, dpi)}  # before clean-up: a faint code must not be flattened away
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
        text_boxes = [(w.left, w.top, w.width, w.height) for w in result.words if len(w.text.strip()) > 3]
        rec.signals["top_mark"] = top_centre_mark(ocr_img, ocr_dpi, text_boxes)  # the page number Tesseract skips
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


def page_codes(bgr, dpi: float) -> list[dict]:
    """QR codes and barcodes on the page, each with its role for splitting (dossier code, separator, none)."""
    return [{"text": c.text, "format": c.format, "box": list(c.box), "role": separator_role(c.text)} for c in find_codes(bgr, dpi)]


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
        return
    metrics.page_recorded(rec.status, rec.seconds)


def pages_complete(rt: Runtime, batch_file_id: str) -> bool:
    with rt.catalog.session() as session:
        bf = session.get(BatchFile, batch_file_id)
        if bf is None:
            return False
        count = session.scalar(select(func.count()).where(ScanPage.source_sha256 == bf.source_sha256))
        return count >= bf.page_count


# --- 3. assemble -------------------------------------------------------------------------------------


def assemble(rt: Runtime, batch_file_id: str) -> str | None:
    """Cut the file's pages into documents, build and store each PDF, then make them visible in one transaction."""
    with rt.catalog.session() as session:
        bf = session.get(BatchFile, batch_file_id)
        if bf is None or bf.state in TERMINAL:
            return bf.document_id if bf else None
        batch = session.get(Batch, bf.batch_id)
        pages = list(
            session.scalars(
                select(ScanPage).where(ScanPage.source_sha256 == bf.source_sha256).order_by(ScanPage.number)
            )
        )
        existing = session.scalar(select(Split).where(Split.source_sha256 == bf.source_sha256))
    if len(pages) < bf.page_count:
        return None  # not all pages are done yet; the last page to finish calls us again
    prune_local_sources(rt)
    if existing is not None:
        return _finish_duplicate(rt, batch_file_id, bf.source_sha256)
    with metrics.timed("assembly"):
        return _build(rt, batch_file_id, bf, batch, pages)


def _build(rt: Runtime, batch_file_id: str, bf: BatchFile, batch: Batch, pages: list[ScanPage]) -> str | None:
    """Split the file's recognised pages, build each document's PDF, then publish them together."""
    failed = [p for p in pages if p.status == "failed"]
    if failed:
        errors = "; ".join(f"page {p.number}: {p.error}" for p in failed)
        _finish_file(rt, batch_file_id, "failed", error=errors)
        return None

    by_number = {p.number: p for p in pages}
    views = {p.number: documents.page_view(rt, p) for p in pages}
    infos = [PageInfo(p.number, p.status == "blank", views[p.number].lines, views[p.number].width, views[p.number].height,
                      tuple((p.signals or {}).get("codes", [])), bool((p.signals or {}).get("top_mark"))) for p in pages]
    plan = plan_split(infos, batch.collate)
    nothing = not plan.segments
    if nothing:  # only blank pages and separator sheets: keep the scan as one document, flagged for a clerk
        plan.segments = [Segment(list(plan.order), 0.0, ["no page with content: kept whole for a clerk to look at"])]
    docs = []
    for part, seg in enumerate(plan.segments, start=1):
        seg_pages = [by_number[n] for n in seg.pages]
        built = documents.build(rt, seg_pages, [views[n] for n in seg.pages], bf.filename)
        if nothing:
            warnings = [f"page {n}: blank" for n in plan.blank_pages]
        else:
            warnings = [f"page {n} of the scan: blank, left out" for n in plan.blank_pages] if part == 1 else []
        if part == 1 and plan.separator_pages:
            warnings.append("separator sheets at pages " + ", ".join(map(str, plan.separator_pages)) + " of the scan")
        if not any(p.status == "ok" for p in seg_pages):
            warnings.append("no page of this document has text")
        docs.append(documents.document_row(rt, built, seg_pages, source_sha256=bf.source_sha256, filename=bf.filename,
                                           mime=bf.mime, part=part, split_confidence=seg.confidence, dossier=seg.dossier,
                                           extra_warnings=warnings, agency_id=batch.agency_id))
    try:
        with rt.catalog.session() as session, session.begin():
            session.add(Split(source_sha256=bf.source_sha256, plan=plan.as_dict(), confidence=round(plan.confidence, 3)))
            for code in plan.dossiers:
                _ensure_dossier(session, code)
            session.flush()
            session.add_all(docs)
            session.flush()
            for d in docs:
                audit.append(session, "document.digitized", actor="system", agency_id=d.agency_id, subject=f"document:{d.id}",
                             detail={"batch": bf.batch_id, "file": bf.filename, "pages": d.page_count, "type": d.doc_type,
                                     "mean_conf": d.mean_conf, "pdf_sha256": d.pdf_sha256})
            _finish_in(session, batch_file_id, "done", document_id=docs[0].id)
        return docs[0].id
    except IntegrityError:  # another worker assembled the same content first
        return _finish_duplicate(rt, batch_file_id, bf.source_sha256)


def _ensure_dossier(session, code: str) -> None:
    parsed = parse_dossier_code(code)
    if parsed is not None and session.get(Dossier, parsed.code) is None:
        session.add(Dossier(code=parsed.code, agency_id=parsed.agency_id, received=parsed.received, sequence=parsed.sequence))


def _finish_duplicate(rt: Runtime, batch_file_id: str, source_sha256: str) -> str | None:
    with rt.catalog.session() as session:
        first = session.scalar(
            select(Document.id).where(Document.source_sha256 == source_sha256, Document.state == "visible").order_by(Document.part)
        )
    _finish_file(rt, batch_file_id, "duplicate", document_id=first)
    return first


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
