"""Signing documents the Decree 30 way: the person with authority first, then the agency; certified copies.

This is where sohoa's rules live; ``signing`` only knows PDFs and keys. A signature request becomes a
``SignJob`` row (the API answers at once, a worker runs it); running it checks the sequence again against
the document as it is then (personal before agency, the agency only over a valid personal signature),
signs, stores the signed PDF as a new version and points the document at it — the previous version stays.
"""

from __future__ import annotations

import logging
import subprocess
import tempfile
import time
import unicodedata
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from functools import lru_cache
from pathlib import Path

from pyhanko.sign.fields import MDPPerm
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from ingest import metrics, verification
from ingest.runtime import Runtime
from signing import appearance as look
from signing.ink import ink_png
from signing.keys import KeySpec, SigningKeyError, load_keyring, open_signer, signer_certificate
from signing.sign import (
    Appearance,
    Level,
    Lock,
    PadesSigner,
    SigningError,
    SignRequest,
    check_signable,
    signature_boxes,
)
from signing.trust import TrustError
from signing.validate import VN, ValidationReport, Validator
from storage import audit
from storage.catalog import CertifiedCopy, Document, DocumentVersion, SignJob, record_value, utcnow

log = logging.getLogger(__name__)

BLUE = (0, 51, 153)  # the personal signature's ink (Decree 30: blue)
RED = (200, 16, 46)  # the seal's (red)
COPY_FORMS = {"SAO Y": "SY", "TRÍCH SAO": "TrS", "SAO LỤC": "SL"}
APPEARANCES = ("auto", "signature", "seal", "text", "none")


class SignatureRefused(Exception):
    """The request breaks a rule (wrong order, no valid personal signature, unknown signer): a 4xx answer."""


@dataclass(frozen=True)
class Box:
    """An explicit placement: 1-based page and PDF points (x1, y1, x2, y2), origin bottom-left."""

    page: int
    rect: tuple[float, float, float, float]


def keyring(rt: Runtime) -> dict[str, KeySpec]:
    path = rt.settings.signing_keyring
    if not path:
        raise SignatureRefused("signing is not configured: set SOHOA_SIGNING_KEYRING to a keyring file")
    try:
        return _keyring(Path(path), Path(path).stat().st_mtime_ns if Path(path).exists() else 0)
    except SigningKeyError as exc:
        raise SignatureRefused(str(exc)) from None


@lru_cache(maxsize=4)
def _keyring(path: Path, _mtime: int) -> dict[str, KeySpec]:
    return load_keyring(path)


def signer_spec(rt: Runtime, signer_id: str) -> KeySpec:
    ring = keyring(rt)
    if signer_id not in ring:
        raise SignatureRefused(f"no signer {signer_id!r} in the keyring (known: {', '.join(sorted(ring)) or 'none'})")
    return ring[signer_id]


def service(rt: Runtime) -> PadesSigner:
    """One signer service per runtime: it caches keys, timestamper and revocation data across requests."""
    svc = rt.__dict__.get("_pades")
    if svc is None:
        svc = rt.__dict__["_pades"] = PadesSigner(anchors=rt.settings.trust_anchors, tsa_url=rt.settings.tsa_url or None)
    return svc


def validator(rt: Runtime, online: bool = True) -> Validator:
    if not rt.settings.trust_anchors:
        raise SignatureRefused("validation needs trust anchors: set SOHOA_TRUST_ANCHORS to a directory or PEM bundle")
    return Validator(rt.settings.trust_anchors, online=online)


# --- requests and jobs -----------------------------------------------------------------------------------


def request(rt: Runtime, document_id: str, *, action: str, signer_id: str, role: str | None = None,
            level: str | None = None, appearance: str = "auto", box: Box | None = None, form: str = "SAO Y",
            reason: str | None = None, by: str = "system") -> SignJob:
    """Check what can be checked now, then queue the job (the sequence is checked again when it runs)."""
    spec = signer_spec(rt, signer_id)
    role = role or spec.role
    if role != spec.role:
        raise SignatureRefused(f"signer {signer_id} holds a {spec.role} key, not a {role} one")
    if action == "certified_copy" and role != "agency":
        raise SignatureRefused("a certified copy is signed by the copying agency: use an agency signer")
    if appearance not in APPEARANCES:
        raise SignatureRefused(f"appearance must be one of {', '.join(APPEARANCES)}")
    lvl = Level.parse(level or rt.settings.signature_level).value
    if Level(lvl).timestamped and not rt.settings.tsa_url:
        raise SignatureRefused(f"PAdES {lvl} needs a timestamp authority: set SOHOA_TSA_URL or ask for B-B")
    form = unicodedata.normalize("NFC", form.strip().upper())
    if action == "certified_copy" and form not in COPY_FORMS:
        raise SignatureRefused(f"copy form must be one of {', '.join(COPY_FORMS)}")
    with rt.catalog.session() as session:
        doc = session.get(Document, document_id)
        if doc is None or doc.state != "visible":
            raise LookupError(f"no document {document_id}")
        if action == "sign":
            _check_sequence(session, doc, role, appearance)
        job = SignJob(document_id=document_id, action=action, role=role, signer_id=signer_id, state="queued",
                      options={"level": lvl, "appearance": appearance, "form": form, "reason": reason,
                               "box": {"page": box.page, "rect": list(box.rect)} if box else None, "by": by})
        session.add(job)
        session.flush()
        audit.append(session, "signature.request", actor=by, agency_id=doc.agency_id, subject=f"document:{document_id}",
                     detail={"job": job.id, "kind": action, "signer": signer_id, "role": role, "level": lvl})
        session.commit()
        return job


def run_job(rt: Runtime, job_id: str, secret: str | None = None) -> SignJob:
    """Run a queued job to its end; a failure is recorded on the job, never raised to the worker."""
    with rt.catalog.session() as session:
        job = session.get(SignJob, job_id)
        if job is None:
            raise LookupError(f"no sign job {job_id}")
        if job.state in ("done", "failed"):
            return job
        job.state = "running"
        session.commit()
    opts = job.options or {}
    started = time.monotonic()
    box = Box(opts["box"]["page"], tuple(opts["box"]["rect"])) if opts.get("box") else None
    try:
        spec = signer_spec(rt, job.signer_id)
        if job.action == "certified_copy":
            copy = certify_copy(rt, job.document_id, spec, form=opts.get("form", "SAO Y"), level=opts.get("level"),
                                secret=secret)
            result = {"copy_id": copy.id, "notation": copy.notation}
        else:
            version = sign_document(rt, job.document_id, spec, role=job.role, level=opts.get("level"),
                                    appearance=opts.get("appearance", "auto"), box=box, reason=opts.get("reason"),
                                    secret=secret)
            result = {"version": version.number, "pdf_sha256": version.pdf_sha256}
        state, error = "done", None
    except (SignatureRefused, SigningError, SigningKeyError, TrustError, LookupError, ValueError) as exc:
        state, error, result = "failed", str(exc), None
    except Exception as exc:  # anything else: recorded, the worker lives on
        log.exception("sign job %s failed", job_id)
        state, error, result = "failed", f"{type(exc).__name__}: {exc}", None
    metrics.TASK_SECONDS.labels("certified_copy" if job.action == "certified_copy" else "signing").observe(
        time.monotonic() - started)
    metrics.SIGNATURES.labels(job.action, state).inc()
    if state == "failed":
        metrics.FAILURES.labels("signature").inc()
    with rt.catalog.session() as session:
        job = session.get(SignJob, job_id)
        job.state, job.error, job.result, job.finished_at = state, error, result, utcnow()
        audit.append(session, f"signature.{'done' if state == 'done' else 'failed'}", actor=opts.get("by") or "system",
                     subject=f"document:{job.document_id}",
                     detail={"job": job.id, "kind": job.action, "signer": job.signer_id, "role": job.role,
                             "result": result, "error": error})
        session.commit()
        return job


# --- signing a document ----------------------------------------------------------------------------------


def versions(session, document_id: str) -> list[DocumentVersion]:
    return list(session.scalars(select(DocumentVersion).where(DocumentVersion.document_id == document_id)
                                .order_by(DocumentVersion.number)))


def _check_sequence(session, doc: Document, role: str, appearance: str = "auto") -> None:
    """Decree 30's order: the person with authority, then the agency. An attachment (the agency's text
    stamp, no seal) is the one agency signature that needs no personal signature before it."""
    kinds = [v.kind for v in versions(session, doc.id)]
    if role == "personal" and "agency" in kinds:
        raise SignatureRefused("the agency has already signed this document: no personal signature may follow it")
    if role == "agency" and appearance != "text" and "personal" not in kinds:
        raise SignatureRefused("the agency signs only a document already signed by the person with authority: "
                               "sign it personally first")


def sign_document(rt: Runtime, document_id: str, spec: KeySpec, *, role: str, level: str | None = None,
                  appearance: str = "auto", box: Box | None = None, reason: str | None = None,
                  secret: str | None = None) -> DocumentVersion:
    """Sign the document's newest PDF and store the result as its next version."""
    with rt.catalog.session() as session:
        doc = session.get(Document, document_id)
        if doc is None:
            raise LookupError(f"no document {document_id}")
        _check_sequence(session, doc, role, appearance)
        record = doc.fields or {}
        current = doc.pdf_sha256
        widths = {link.position: link.scan_page.width_px for link in doc.pages}
    pdf = rt.store.get_bytes(current)
    signed = sign_file(rt, pdf, spec, role=role, level=level, appearance=appearance, box=box, reason=reason,
                       record=record, page_widths=widths, secret=secret)
    return _add_version(rt, document_id, current, signed, kind=role, spec=spec, level=level)


def placement(rt: Runtime, document_id: str, signer_id: str, appearance: str = "auto"
              ) -> tuple[bytes, int, tuple[float, float, float, float]]:
    """(current PDF, 0-based page, rect in points) where ``signer_id``'s appearance would land on the document now:
    the very placement ``sign_document`` will use, for a signer to look at before signing."""
    spec = signer_spec(rt, signer_id)
    with rt.catalog.session() as session:
        doc = session.get(Document, document_id)
        if doc is None or doc.state != "visible":
            raise LookupError(f"no document {document_id}")
        record = doc.fields or {}
        current = doc.pdf_sha256
        widths = {link.position: link.scan_page.width_px for link in doc.pages}
    pdf = rt.store.get_bytes(current)
    font = str(rt.settings.stamp_font) if rt.settings.stamp_font else None
    app = _appearance(pdf, spec, spec.role, appearance, None, record, widths, None, font)
    if app is None:
        raise SignatureRefused("an invisible signature has no place on the page")
    return pdf, app.page, tuple(app.box)


def sign_file(rt: Runtime, pdf: bytes, spec: KeySpec, *, role: str, appearance: str = "auto", **kwargs) -> bytes:
    """Sign a PDF after checking the order on the file itself: an agency signature with the seal goes only
    over signatures that all pass validation, at least one of them there already."""
    signed_before, _certified = check_signable(pdf)
    if role == "agency" and appearance != "text":
        report = validator(rt).validate(pdf) if signed_before else None
        if report is None or report.verdict != "TOTAL_PASSED":
            why = report.summary if report else "the document carries no signature yet"
            raise SignatureRefused(f"the agency signs only over a valid personal signature: {why}")
    return sign_pdf(rt, pdf, spec, role=role, appearance=appearance, **kwargs)


def sign_pdf(rt: Runtime, pdf: bytes, spec: KeySpec, *, role: str, level: str | None = None, appearance: str = "auto",
             box: Box | None = None, reason: str | None = None, record: dict | None = None,
             page_widths: dict[int, int] | None = None, secret: str | None = None,
             text_lines: list[str] | None = None) -> bytes:
    """Sign any PDF with ``spec``'s key: the Decree 30 appearance for ``role``, placed from ``record`` (the
    document's extracted signer block, boxes in the page images' pixels, ``page_widths`` wide) or from the
    PDF's own text layer, unless ``box`` says where."""
    signed_before, certified = check_signable(pdf)  # before the placement reads the file
    signer = open_signer(spec, secret)
    lvl = Level.parse(level or rt.settings.signature_level)
    font = str(rt.settings.stamp_font) if rt.settings.stamp_font else None
    app = _appearance(pdf, spec, role, appearance, box, record, page_widths, text_lines, font)
    first = signed_before == 0
    req = SignRequest(
        signer=signer, level=lvl, appearance=app, reason=reason or _reason(role), name=spec.name or None,
        digest=spec.algorithm,
        # Locks where Decree 30's order allows them: the person signs first with an approval signature (a
        # certification would forbid the agency's new visible field); the agency's signature closes the form
        # (FieldMDP: every field locked). An agency signature that comes first — an attachment or a copy, with
        # nothing to follow — certifies the document with no changes allowed but long-term upkeep (DocMDP P=1).
        lock=Lock(certify=role == "agency" and first, docmdp=MDPPerm.NO_CHANGES,
                  lock_all_fields=role == "agency" and not first and not certified),
    )
    return service(rt).sign(pdf, req)


def _reason(role: str) -> str:
    return "Người có thẩm quyền ký" if role == "personal" else "Văn thư cơ quan ký số"


def _appearance(pdf: bytes, spec: KeySpec, role: str, kind: str, box: Box | None, record: dict | None,
                page_widths: dict[int, int] | None, text_lines: list[str] | None,
                font: str | None = None) -> Appearance | None:
    if kind == "none":
        return None
    if kind == "auto":
        kind = "signature" if role == "personal" else "seal"
    if kind == "text":
        number = record_value(record, "number_symbol")
        if not text_lines and not number:
            raise SignatureRefused("an attachment's stamp shows the number/symbol of its document, and none is known: "
                                   "correct the document's number first")
        lines = text_lines or look.copy_stamp_lines(None, None, number, datetime.now(VN))
        style = look.copy_stamp_style(lines, font_path=font)
        if box is not None:
            return Appearance(box.page - 1, box.rect, style)
        return Appearance(0, look.copy_stamp_box(_page_box(pdf, 0), lines, font_path=font), style)
    if spec.image is None:
        raise SignatureRefused(f"signer {spec.id} has no {'signature' if kind == 'signature' else 'seal'} image "
                               "in the keyring; give one, or ask for appearance 'text' or 'none'")
    image = ink_png(_read(spec.image), BLUE if kind == "signature" else RED)
    if kind == "signature":
        if box is not None:
            return Appearance(box.page - 1, box.rect, look.personal_style(image))
        page, gap = signature_gap(pdf, record, page_widths)
        return Appearance(page, look.personal_box(gap, image), look.personal_style(image))
    # seal: over the left third of the personal signature already on the document
    if box is not None:
        return Appearance(box.page - 1, box.rect, look.seal_style(image))
    placed = [b for b in signature_boxes(pdf) if b[2] is not None]
    if not placed:
        raise SignatureRefused("no visible personal signature to place the seal against: give an explicit box")
    _name, page, rect = placed[0]
    return Appearance(page, look.seal_box(rect, image), look.seal_style(image))


def _read(path: Path) -> bytes:
    try:
        return Path(path).read_bytes()
    except OSError as exc:
        raise SignatureRefused(f"cannot read image {Path(path).name}: {exc.strerror}") from None


# --- where the personal signature goes ------------------------------------------------------------------


def signature_gap(pdf: bytes, record: dict | None, page_widths: dict[int, int] | None = None
                  ) -> tuple[int, tuple[float, float, float, float]]:
    """(0-based page, box in points) between the authority/position line and the printed name.

    The extracted signer block of a digitized document gives the two lines; any other PDF is read from its
    text layer with the same extractor."""
    fields = (record or {}).get("fields") or {}
    unit_px = bool(page_widths)
    if not (fields.get("signer_name") or {}).get("box") or not unit_px:
        fields, unit_px = _fields_from_text_layer(pdf), False
    name = fields.get("signer_name") or {}
    above = fields.get("signer_position") or fields.get("authority_line") or {}
    if not name.get("box") or not above.get("box"):
        raise SignatureRefused("the signer block (authority line, position, name) was not found on the document: "
                               "give an explicit box for the signature")
    page = int(name.get("page") or 1) - 1
    px0, py0, px1, py1 = _page_box(pdf, page)
    height = py1 - py0
    scale = (px1 - px0) / page_widths[page + 1] if unit_px and page_widths.get(page + 1) else 1.0
    nl, nt, nw, nh = name["box"]
    al, at, aw, ah = above["box"]
    left, right = min(nl, al), max(nl + nw, al + aw)
    top_px, bottom_px = at + ah, nt  # image pixels, origin top-left
    if bottom_px - top_px < 10:
        raise SignatureRefused("no room between the position line and the name for a signature: give an explicit box")
    x1, x2 = px0 + left * scale, px0 + right * scale
    y2, y1 = py0 + height - top_px * scale, py0 + height - bottom_px * scale
    margin = 0.08 * (y2 - y1)
    return page, (x1, y1 + margin, x2, y2 - margin)


def _page_box(pdf: bytes, page: int) -> tuple[float, float, float, float]:
    import io

    from pypdf import PdfReader

    p = PdfReader(io.BytesIO(pdf)).pages[page]
    box = p.cropbox
    return float(box.left), float(box.bottom), float(box.right), float(box.top)


def _fields_from_text_layer(pdf: bytes) -> dict:
    """The extractor's fields over the PDF's text (pdftotext's lines with boxes, in points).

    The signer block closes a document, so its last page is read first; the whole text only when the block
    is not found there (it may start on the page before)."""
    from ingest.extract import Line, extract

    last = _page_count(pdf)
    for first in (last, 1):
        lines = text_layer_lines(pdf, first=first)
        fields = extract([Line(t, p, b, 90.0) for t, p, b in lines]).as_dict() if lines else {}
        name, above = fields.get("signer_name") or {}, fields.get("signer_position") or fields.get("authority_line") or {}
        if (name.get("box") and above.get("box")) or first == 1:
            return fields
    return {}


def _page_count(pdf: bytes) -> int:
    import io

    from pypdf import PdfReader

    return len(PdfReader(io.BytesIO(pdf)).pages)


def text_layer_lines(pdf: bytes, first: int = 1) -> list[tuple[str, int, tuple[float, float, float, float]]]:
    """(text, 1-based page, (left, top, width, height) in points from the top-left) of each text line of pages
    ``first`` to the end."""
    from xml.etree import ElementTree as ET

    with tempfile.TemporaryDirectory() as tmp:
        src = Path(tmp) / "in.pdf"
        src.write_bytes(pdf)
        try:
            out = subprocess.run(["pdftotext", "-bbox-layout", "-enc", "UTF-8", "-f", str(first), str(src), "-"], capture_output=True,
                                 timeout=60, check=True).stdout
        except (subprocess.SubprocessError, OSError):
            return []
    try:
        root = ET.fromstring(out)
    except ET.ParseError:
        return []
    lines = []
    for n, page in enumerate(root.iter("{http://www.w3.org/1999/xhtml}page"), start=first):
        for line in page.iter("{http://www.w3.org/1999/xhtml}line"):
            words = [w.text or "" for w in line.iter("{http://www.w3.org/1999/xhtml}word")]
            x1, y1 = float(line.get("xMin")), float(line.get("yMin"))
            x2, y2 = float(line.get("xMax")), float(line.get("yMax"))
            text = unicodedata.normalize("NFC", " ".join(words).strip())
            if text:
                lines.append((text, n, (x1, y1, x2 - x1, y2 - y1)))
    return lines


# --- versions ---------------------------------------------------------------------------------------------


def _add_version(rt: Runtime, document_id: str, previous_sha: str, signed: bytes, *, kind: str, spec: KeySpec | None,
                 level: str | None) -> DocumentVersion:
    stored = rt.store.put_bytes(signed, content_type="application/pdf")
    cert_name = ""
    if spec is not None:
        try:
            cert_name = _common_name(signer_certificate(open_signer(spec)))
        except SigningKeyError:
            cert_name = ""
    for _attempt in range(3):
        with rt.catalog.session() as session:
            doc = session.get(Document, document_id, with_for_update=True)
            if doc.pdf_sha256 != previous_sha:
                raise SignatureRefused("the document changed while it was being signed; sign it again")
            have = versions(session, document_id)
            if not have:  # the first signature: the digitized PDF becomes version 1, kept as it was
                session.add(DocumentVersion(document_id=document_id, number=1, kind="digitized",
                                            pdf_sha256=previous_sha, pdf_size=doc.pdf_size))
            number = (have[-1].number if have else 1) + 1
            version = DocumentVersion(document_id=document_id, number=number, kind=kind, pdf_sha256=stored.sha256,
                                      pdf_size=stored.size, signer_id=spec.id if spec else None,
                                      signer_name=cert_name or None, level=level or rt.settings.signature_level)
            session.add(version)
            doc.pdf_sha256, doc.pdf_size = stored.sha256, stored.size
            try:
                session.commit()
                return version
            except IntegrityError:
                session.rollback()
    raise SignatureRefused("the document is being signed by someone else right now; try again")


def _common_name(cert) -> str:
    try:
        return str(cert.subject.native.get("common_name") or "")
    except Exception:
        return ""


# --- certified copies ------------------------------------------------------------------------------------


def certify_copy(rt: Runtime, document_id: str, spec: KeySpec, *, form: str = "SAO Y", level: str | None = None,
                 secret: str | None = None) -> CertifiedCopy:
    """The electronic copy of a digitized document: its PDF with the agency's text stamp and signature."""
    if spec.role != "agency":
        raise SignatureRefused("a certified copy is signed by the copying agency: use an agency signer")
    agency = spec.agency or spec.name
    if not agency:
        raise SignatureRefused(f"signer {spec.id} has no agency name in the keyring (agency = \"...\")")
    symbol = COPY_FORMS[form]
    with rt.catalog.session() as session:
        doc = session.get(Document, document_id)
        if doc is None or doc.state != "visible":
            raise LookupError(f"no document {document_id}")
        source = _digitized_sha(session, doc)
    pdf = rt.store.get_bytes(source)
    year = datetime.now(VN).year
    for _attempt in range(5):
        with rt.catalog.session() as session:
            last = session.scalar(select(func.max(CertifiedCopy.number)).where(
                CertifiedCopy.agency == agency, CertifiedCopy.year == year)) or 0
        number = last + 1
        notation = f"{number:02d}/{symbol}-{_abbreviation(spec)}"
        lines = look.copy_stamp_lines(form, agency, notation, datetime.now(VN))
        code = verification.new_code()
        # the QR code goes on before the signature, so the signature covers it
        marked = verification.stamp_qr(pdf, verification.verify_url(rt, code), code)
        signed = sign_pdf(rt, marked, spec, role="agency", level=level, appearance="text", secret=secret,
                          text_lines=lines)
        stored = rt.store.put_bytes(signed, content_type="application/pdf")
        with rt.catalog.session() as session:
            copy = CertifiedCopy(document_id=document_id, form=form, agency=agency, year=year, number=number,
                                 notation=notation, pdf_sha256=stored.sha256, pdf_size=stored.size, signer_id=spec.id,
                                 verify_code=code)
            session.add(copy)
            try:
                session.commit()
                return copy
            except IntegrityError:  # another clerk took this number: sign again with the next one
                session.rollback()
    raise SignatureRefused("could not number the copy: too many copies certified at once; try again")


def _digitized_sha(session, doc: Document) -> str:
    """A copy is made from the document as digitized, not from a version carrying other signatures."""
    have = versions(session, doc.id)
    return have[0].pdf_sha256 if have else doc.pdf_sha256


def _abbreviation(spec: KeySpec) -> str:
    words = [w for w in unicodedata.normalize("NFC", spec.agency or spec.name).split() if w]
    known = {"ủy ban nhân dân": "UBND", "sở": "S", "văn phòng": "VP"}
    low = " ".join(words).lower()
    for phrase, abbr in known.items():
        if low.startswith(phrase):
            return abbr
    return "".join(w[0] for w in words[:4]).upper() or "CQ"


# --- validation and long-term renewal ------------------------------------------------------------------


def validate_document(rt: Runtime, document_id: str, version: int | None = None) -> ValidationReport:
    with rt.catalog.session() as session:
        doc = session.get(Document, document_id)
        if doc is None:
            raise LookupError(f"no document {document_id}")
        sha = doc.pdf_sha256
        if version is not None:
            match = [v for v in versions(session, document_id) if v.number == version]
            if not match:
                raise LookupError(f"document {document_id} has no version {version}")
            sha = match[0].pdf_sha256
    return validator(rt).validate(rt.store.get_bytes(sha))


def renew_due(rt: Runtime, *, before_days: int | None = None, now: datetime | None = None) -> list[str]:
    """Extend every long-term document whose newest timestamp certificate expires within ``before_days``."""
    from signing.ltv import last_timestamp_expiry

    days = rt.settings.renew_before_days if before_days is None else before_days
    now = now or datetime.now(timezone.utc)
    with rt.catalog.session() as session:
        rows = session.execute(select(DocumentVersion.document_id, func.max(DocumentVersion.number))
                               .where(DocumentVersion.level.in_(("B-LT", "B-LTA")))
                               .group_by(DocumentVersion.document_id)).all()
    renewed = []
    for document_id, _n in rows:
        with rt.catalog.session() as session:
            doc = session.get(Document, document_id)
            current = doc.pdf_sha256
        pdf = rt.store.get_bytes(current)
        expiry = last_timestamp_expiry(pdf)
        if expiry is not None and expiry - now > timedelta(days=days):
            continue
        try:
            extended = service(rt).extend(pdf)
        except SigningError as exc:
            log.warning("document %s: long-term renewal failed: %s", document_id, exc)
            continue
        _add_version(rt, document_id, current, extended, kind="renewal", spec=None, level="B-LTA")
        renewed.append(document_id)
    return renewed
