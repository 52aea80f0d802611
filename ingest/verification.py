"""Verification of results and certified copies by anyone, and time-limited share links to one document.

**Codes.** Every result (and certified copy) carries a short verification code, printed as a QR code on the
document and typed by hand from paper: 15 random Crockford base32 characters (75 bits, unguessable) and one
Luhn mod 32 check character, grouped ``XXXX-XXXX-XXXX-XXXX``. Reading forgives case, spaces, dashes and the
letters people confuse (O for 0, I and L for 1); a truncated, mistyped or forged code fails the check
before the catalog is asked (every single-character typo and nearly every swap of neighbours is caught).

**Verifying.** ``verify_by_code`` says whether the thing is *genuine* (its archived PDF exists and every
signature validates ``TOTAL_PASSED``), *current* (a result that is valid and not expired) and *what it is*
(its type, always; number, issuing agency, dates and the holder only when the holder agreed to show them in
``Result.disclosed``). ``verify_upload`` hashes a file someone was handed and finds it in the archive (a
document version, the original scan, a certified copy), with the signature verdict of the bytes themselves.

**Sharing.** ``create_share`` makes a random link to one document's current PDF, valid a few hours or days
(at most ``MAX_SHARE_HOURS``); ``open_share`` serves it or says why not (unknown, revoked, expired, the
document deleted).
"""

from __future__ import annotations

import hashlib
import io
import secrets
import time
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone

from sqlalchemy import select

from ingest.runtime import Runtime
from storage.catalog import Agency, CertifiedCopy, Document, DocumentVersion, Result, ShareLink, Tombstone, utcnow

VN = timezone(timedelta(hours=7), "+07:00")
ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"  # Crockford base32: no I, L, O, U
_VALUE = {c: i for i, c in enumerate(ALPHABET)}
_ALIASES = {"O": "0", "I": "1", "L": "1"}
BODY_LEN = 15
CODE_LEN = BODY_LEN + 1
MAX_SHARE_HOURS = 30 * 24
GENUINE_CACHE_SECONDS = 600.0
STATUS_VI = {"valid": "Còn hiệu lực", "expired": "Hết hạn", "revoked": "Đã bị thu hồi", "replaced": "Đã được thay thế"}


class CodeError(ValueError):
    """Not a verification code sohoa could have issued; ``reason`` is empty, length, characters or check."""

    def __init__(self, reason: str, message: str):
        super().__init__(message)
        self.reason = reason


class ShareError(Exception):
    """A share link that cannot be opened: ``status`` 404 (unknown) or 410 (expired, revoked, deleted)."""

    def __init__(self, status: int, title: str, detail: str):
        super().__init__(detail)
        self.status, self.title, self.detail = status, title, detail


# --- codes ---------------------------------------------------------------------------------------------


def _check_char(body: str) -> str:
    """Luhn mod 32 over Crockford values: catches every single substitution and most adjacent swaps."""
    total, factor = 0, 2
    for ch in reversed(body):
        addend = factor * _VALUE[ch]
        addend = addend // 32 + addend % 32
        total += addend
        factor = 1 if factor == 2 else 2
    return ALPHABET[(32 - total % 32) % 32]


def _group(raw: str) -> str:
    return "-".join(raw[i:i + 4] for i in range(0, len(raw), 4))


def new_code() -> str:
    """A fresh code, ``XXXX-XXXX-XXXX-XXXX`` (the form stored in ``Result.verify_code``)."""
    body = "".join(secrets.choice(ALPHABET) for _ in range(BODY_LEN))
    return _group(body + _check_char(body))


def parse_code(text: str) -> str:
    """The canonical ``XXXX-XXXX-XXXX-XXXX`` of a typed or scanned code, or ``CodeError`` saying what is wrong."""
    if text is None or not str(text).strip():
        raise CodeError("empty", "no verification code given")
    raw = "".join(ch for ch in str(text).upper() if ch not in " -\t\r\n")
    raw = "".join(_ALIASES.get(ch, ch) for ch in raw)
    bad = sorted({ch for ch in raw if ch not in _VALUE})
    if bad:
        raise CodeError("characters", f"a verification code has only digits and the letters A-Z without I, L, O, U; "
                                      f"found {' '.join(repr(b) for b in bad[:5])}")
    if len(raw) != CODE_LEN:
        raise CodeError("length", f"a verification code has {CODE_LEN} characters (XXXX-XXXX-XXXX-XXXX); "
                                  f"this one has {len(raw)}: check it was copied whole")
    if _check_char(raw[:-1]) != raw[-1]:
        raise CodeError("check", "the check character does not match: the code was mistyped, or it is not one sohoa issued")
    return _group(raw)


def verify_path(code: str) -> str:
    return f"/verify/{code}"


def verify_url(rt: Runtime, code: str) -> str:
    """The address printed in the QR code: ``SOHOA_PUBLIC_URL`` (the public site), else the API's own."""
    s = rt.settings
    base = (getattr(s, "public_url", "") or f"http://{s.host}:{s.port}").rstrip("/")
    return base + verify_path(code)


# --- the QR code on the document --------------------------------------------------------------------------


def qr_png(url: str, scale: int = 6) -> bytes:
    import segno

    out = io.BytesIO()
    segno.make(url, error="m", micro=False).save(out, kind="png", scale=scale, border=2)
    return out.getvalue()


QR_MM = 16.0  # the QR's side on paper: scanned reliably by a phone from a printout at this size
MARGIN_MM = 5.0  # from the page's right and bottom edges (inside Decree 30's 15-20 mm margins)
MONO = "/usr/share/fonts/truetype/liberation2/LiberationMono-Regular.ttf"
MM = 72 / 25.4


def stamp_qr(pdf: bytes, url: str, code: str) -> bytes:
    """``pdf`` with a QR code of ``url`` and ``code`` under it in the bottom-right margin of page 1.

    Written as an incremental update (the original bytes stay a prefix, every other page untouched) and only
    onto an unsigned PDF: call it before signing, so the signature covers the stamp. The QR is drawn as vector
    squares and the code in an embedded subset of Liberation Mono, so PDF/A files stay PDF/A-compatible."""
    from pypdf import PdfReader, PdfWriter, Transformation

    from signing.sign import signature_state

    code = parse_code(code)
    if signature_state(pdf)[0]:
        raise ValueError("the PDF is already signed: a stamp after a signature would break it; stamp before signing")
    reader = PdfReader(io.BytesIO(pdf))
    page = reader.pages[0]
    box = page.mediabox
    x0, y0, x1, y1 = float(box.left), float(box.bottom), float(box.right), float(box.top)
    w, h = x1 - x0, y1 - y0
    rotate = int(page.get("/Rotate", 0) or 0) % 360
    vw, vh = (h, w) if rotate in (90, 270) else (w, h)  # the page as shown
    overlay = _overlay(vw, vh, url, code)
    ctm = {0: (1, 0, 0, 1, x0, y0), 90: (0, 1, -1, 0, x0 + w, y0), 180: (-1, 0, 0, -1, x0 + w, y0 + h),
           270: (0, -1, 1, 0, x0, y0 + h)}[rotate]
    writer = PdfWriter(io.BytesIO(pdf), incremental=True)
    target = writer.pages[0]
    stamp = PdfReader(io.BytesIO(overlay)).pages[0]
    target.merge_transformed_page(stamp, Transformation(ctm), over=True, expand=False)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def _overlay(width: float, height: float, url: str, code: str) -> bytes:
    """One transparent page of the shown size: a white plate, the QR modules and the code in two lines."""
    import segno
    from fpdf import FPDF

    qr = segno.make(url, error="m", micro=False)
    modules = qr.matrix
    n = len(modules)
    side = QR_MM * MM
    cell = side / n
    font_pt = 5.5
    text_h = 2 * font_pt * 1.15
    right = width - MARGIN_MM * MM
    left = right - side
    bottom = MARGIN_MM * MM  # from the bottom edge
    doc = FPDF(unit="pt", format=(width, height))
    doc.set_auto_page_break(False)
    doc.set_margin(0)
    doc.add_page()
    top = height - bottom - text_h - side  # fpdf measures from the top
    pad = 1.5 * cell
    doc.set_fill_color(255, 255, 255)
    doc.rect(left - pad, top - pad, side + 2 * pad, side + text_h + 2 * pad, style="F")
    doc.set_fill_color(0, 0, 0)
    for r, row in enumerate(modules):
        c = 0
        while c < n:  # one rectangle per run of dark modules: fewer operators, no hairline seams
            if row[c]:
                start = c
                while c < n and row[c]:
                    c += 1
                doc.rect(left + start * cell, top + r * cell, (c - start) * cell + 0.01, cell + 0.01, style="F")
            else:
                c += 1
    doc.add_font("mono", fname=MONO)
    doc.set_font("mono", size=font_pt)
    doc.set_text_color(0, 0, 0)
    halves = (code[:9], code[10:])
    for i, part in enumerate(halves):
        doc.set_xy(left, top + side + i * font_pt * 1.15)
        doc.cell(side, font_pt * 1.15, part, align="C")
    return bytes(doc.output())


# --- verification by code --------------------------------------------------------------------------------


def _today() -> date:
    return datetime.now(VN).date()


def verify_by_code(rt: Runtime, code: str, *, today: date | None = None) -> dict:
    """What a verifier may know about the result or certified copy ``code`` names (see the module doc).

    ``CodeError`` for a code that cannot be one of ours (no catalog query is made), ``LookupError`` for a
    well-formed code nobody was given."""
    code = parse_code(code)
    today = today or _today()
    with rt.catalog.session() as session:
        row = session.scalar(select(Result).where(Result.verify_code == code))
        if row is not None:
            return _verify_result(rt, session, row, today)
        copy = None
        if hasattr(CertifiedCopy, "verify_code"):
            copy = session.scalar(select(CertifiedCopy).where(CertifiedCopy.verify_code == code))
        if copy is not None:
            return _verify_copy(rt, session, copy, code)
    raise LookupError(f"no result or certified copy has the verification code {code}")


def _verify_result(rt: Runtime, session, row: Result, today: date) -> dict:
    doc = session.get(Document, row.document_id)
    copy = session.get(CertifiedCopy, row.copy_id) if row.copy_id else None
    deleted = _deleted(session, row.document_id, doc)
    if deleted:
        genuine, reason, why = False, "document_deleted", "Văn bản đã bị hủy sau khi hết thời hạn lưu trữ."
        checks = None
    else:
        sha = copy.pdf_sha256 if copy is not None else doc.pdf_sha256
        genuine, reason, why, checks = _genuine(rt, sha)
    status = row.status
    if status == "valid" and row.expires is not None and row.expires < today:
        status = "expired"
    shown = set(row.disclosed or [])
    what = {"type": row.doc_type, "type_name": _type_name(row.doc_type)}
    if copy is not None:
        what["copy"] = {"form": copy.form, "notation": copy.notation}
    disclosed: dict = {}
    agency = _agency_name(session, row.agency_id) or (doc.field_value("agency") if doc is not None else None)
    candidates = {
        "number": row.number,
        "agency": agency,
        "issued": row.issued.isoformat() if row.issued else None,
        "expires": row.expires.isoformat() if row.expires else None,
        "holder_name": row.holder_name,
        "holder_id": row.holder_id,
    }
    for name, value in candidates.items():
        if name in shown and value is not None:
            disclosed[name] = value
    what.update({k: v for k, v in disclosed.items() if k in ("number", "agency", "issued", "expires")})
    holder = {k: v for k, v in disclosed.items() if k in ("holder_name", "holder_id")}
    return {
        "code": row.verify_code, "kind": "result", "genuine": genuine, "genuine_reason": reason, "genuine_detail": why,
        "current": status == "valid", "status": status, "status_name": STATUS_VI[status],
        "what": what, "holder": holder or None, "disclosed": sorted(disclosed),
        "signatures": checks, "checked_at": datetime.now(VN).isoformat(timespec="seconds"),
    }


def _verify_copy(rt: Runtime, session, copy: CertifiedCopy, code: str) -> dict:
    doc = session.get(Document, copy.document_id)
    deleted = _deleted(session, copy.document_id, doc)
    genuine, reason, why, checks = (False, "document_deleted", "Văn bản gốc đã bị hủy sau khi hết thời hạn lưu trữ.",
                                    None) if deleted else _genuine(rt, copy.pdf_sha256)
    status = "valid" if not deleted else "revoked"
    return {
        "code": code, "kind": "certified_copy", "genuine": genuine, "genuine_reason": reason, "genuine_detail": why,
        "current": status == "valid", "status": status, "status_name": STATUS_VI[status],
        "what": {"type": doc.doc_type if doc else None, "type_name": _type_name(doc.doc_type) if doc else None,
                 "copy": {"form": copy.form, "notation": copy.notation}, "agency": copy.agency,
                 "issued": copy.created_at.astimezone(VN).date().isoformat() if copy.created_at else None},
        "holder": None, "disclosed": [], "signatures": checks,
        "checked_at": datetime.now(VN).isoformat(timespec="seconds"),
    }


def _deleted(session, document_id: str, doc: Document | None) -> bool:
    if doc is None or doc.state == "deleted":
        return True
    return session.scalar(select(Tombstone.id).where(Tombstone.document_id == document_id).limit(1)) is not None


def _genuine(rt: Runtime, sha: str) -> tuple[bool, str, str, list | None]:
    """(genuine, reason code, Vietnamese detail, signatures in brief) for the archived PDF ``sha``; cached a while."""
    cache = rt.__dict__.setdefault("_genuine_cache", {})
    hit = cache.get(sha)
    if hit is not None and time.monotonic() - hit[0] < GENUINE_CACHE_SECONDS:
        return hit[1]
    if not rt.store.exists(sha):
        return False, "pdf_missing", "Không tìm thấy bản điện tử trong kho lưu trữ.", None
    verdict = _signature_verdict(rt, rt.store.get_bytes(sha))
    if verdict["verdict"] is None:
        out = (False, verdict["reason"], verdict["detail"], None)
    elif not verdict["signatures"]:
        out = (False, "no_signature", "Văn bản không có chữ ký số.", [])
    elif verdict["verdict"] != "TOTAL_PASSED":
        out = (False, "signature_invalid", verdict["detail"], verdict["signatures"])
    else:
        out = (True, "signature_valid", verdict["detail"], verdict["signatures"])
    if verdict["reason"] != "validation_unavailable":
        cache[sha] = (time.monotonic(), out)
    return out


def _signature_verdict(rt: Runtime, data: bytes) -> dict:
    """The validation of ``data`` in brief: verdict (None when it could not be made), reason, detail, signatures."""
    from ingest import signatures
    from signing.trust import TrustError
    from signing.validate import ValidationError

    try:
        report = signatures.validator(rt).validate(data)
    except (signatures.SignatureRefused, TrustError) as exc:
        return {"verdict": None, "reason": "validation_unavailable",
                "detail": f"Máy chủ chưa được cấu hình để kiểm tra chữ ký số ({exc}).", "signatures": None, "report": None}
    except ValidationError as exc:
        return {"verdict": None, "reason": "unreadable", "detail": f"Không đọc được tệp PDF: {exc}", "signatures": None,
                "report": None}
    brief = [{"kind": c.kind, "signer": c.signer, "organisation": c.organisation, "indication": c.indication,
              "sub_indication": c.sub_indication, "time": c.timestamp_time or c.claimed_time, "level": c.level}
             for c in report.signatures]
    return {"verdict": report.verdict, "reason": report.verdict.lower(), "detail": report.summary, "signatures": brief,
            "report": report}


def _type_name(code: str | None) -> str | None:
    from ingest.doctypes import BY_CODE

    t = BY_CODE.get(code or "")
    return t.name if t else code


def _agency_name(session, agency_id: str | None) -> str | None:
    if not agency_id:
        return None
    row = session.get(Agency, agency_id)
    return row.name if row else None


# --- verification by upload ------------------------------------------------------------------------------


def verify_upload(rt: Runtime, data: bytes, *, today: date | None = None) -> dict:
    """Is this file in the archive, as what, still current? And what its own signatures say."""
    sha = hashlib.sha256(data).hexdigest()
    today = today or _today()
    matches: list[dict] = []
    with rt.catalog.session() as session:
        seen_docs: set[tuple[str, int]] = set()
        for v in session.scalars(select(DocumentVersion).where(DocumentVersion.pdf_sha256 == sha)):
            doc = session.get(Document, v.document_id)
            newest = max(session.scalars(select(DocumentVersion.number).where(
                DocumentVersion.document_id == v.document_id)))
            seen_docs.add((v.document_id, v.number))
            matches.append(_doc_match(session, doc, v.document_id, "document_version", v.number, v.number == newest,
                                      today, kind_detail=v.kind))
        for doc in session.scalars(select(Document).where(Document.pdf_sha256 == sha)):
            if any(d == doc.id for d, _n in seen_docs):
                continue
            matches.append(_doc_match(session, doc, doc.id, "document_version", 1, True, today, kind_detail="digitized"))
        for doc in session.scalars(select(Document).where(Document.source_sha256 == sha)):
            matches.append(_doc_match(session, doc, doc.id, "original_scan", None, None, today))
        for copy in session.scalars(select(CertifiedCopy).where(CertifiedCopy.pdf_sha256 == sha)):
            doc = session.get(Document, copy.document_id)
            m = _doc_match(session, doc, copy.document_id, "certified_copy", None, None, today)
            m.update({"copy_id": copy.id, "form": copy.form, "notation": copy.notation, "agency": copy.agency,
                      "certified_at": copy.created_at.isoformat() if copy.created_at else None})
            matches.append(m)
    verdict = _signature_verdict(rt, data)
    report = verdict.pop("report")
    in_archive = bool(matches)
    if in_archive:
        message = "Tệp trùng khớp từng byte với bản lưu trong kho."
    else:
        message = "Tệp không có trong kho lưu trữ: không khớp với văn bản hay bản sao nào đã lưu."
    return {"sha256": sha, "size": len(data), "in_archive": in_archive, "message": message, "matches": matches,
            "signature_verdict": verdict["verdict"], "signature_detail": verdict["detail"],
            "signature_reason": verdict["reason"], "validation": report.to_dict() if report is not None else None}


def _doc_match(session, doc: Document | None, document_id: str, kind: str, version: int | None, newest: bool | None,
               today: date, kind_detail: str | None = None) -> dict:
    deleted = _deleted(session, document_id, doc)
    m = {"kind": kind, "document_id": document_id, "version": version, "newest_version": newest,
         "version_kind": kind_detail, "document_state": "deleted" if deleted else doc.state,
         "type": doc.doc_type if doc else None, "type_name": _type_name(doc.doc_type) if doc else None}
    results = []
    for r in session.scalars(select(Result).where(Result.document_id == document_id)):
        status = "expired" if r.status == "valid" and r.expires is not None and r.expires < today else r.status
        results.append({"status": status, "status_name": STATUS_VI[status], "current": status == "valid",
                        "number": r.number if "number" in (r.disclosed or []) else None})
    m["results"] = results
    return m


# --- share links -----------------------------------------------------------------------------------------


@dataclass
class Shared:
    pdf: bytes
    filename: str
    link: ShareLink


def _aware(dt: datetime) -> datetime:
    """SQLite hands timestamps back without their zone; every one sohoa writes is UTC."""
    return dt.replace(tzinfo=timezone.utc) if dt.tzinfo is None else dt


def create_share(rt: Runtime, document_id: str, hours: float, by: str | None = None, *, result_id: str | None = None,
                 now: datetime | None = None) -> ShareLink:
    """A random link to ``document_id``'s current PDF for ``hours`` (capped at ``MAX_SHARE_HOURS``)."""
    if not hours or hours <= 0:
        raise ValueError("a share link lasts a positive number of hours")
    hours = min(float(hours), float(MAX_SHARE_HOURS))
    now = (now or utcnow()).astimezone(timezone.utc)
    with rt.catalog.session() as session:
        doc = session.get(Document, document_id)
        if doc is None or _deleted(session, document_id, doc):
            raise LookupError(f"no document {document_id}")
        if result_id is not None:
            res = session.get(Result, result_id)
            if res is None or res.document_id != document_id:
                raise LookupError(f"no result {result_id} of document {document_id}")
        link = ShareLink(token=secrets.token_urlsafe(32), document_id=document_id, result_id=result_id,
                         created_by=(by or None), expires_at=now + timedelta(hours=hours), created_at=now)
        session.add(link)
        session.commit()
        link.expires_at = _aware(link.expires_at)
        return link


def live_shares(rt: Runtime, document_ids: list[str], *, now: datetime | None = None) -> list[ShareLink]:
    """The links still working (not revoked, not expired) to any of ``document_ids``, newest first."""
    now = (now or utcnow()).astimezone(timezone.utc)
    if not document_ids:
        return []
    with rt.catalog.session() as session:
        rows = session.scalars(select(ShareLink).where(ShareLink.document_id.in_(document_ids),
                                                       ShareLink.revoked.is_(False))
                               .order_by(ShareLink.created_at.desc())).all()
        for row in rows:
            row.expires_at = _aware(row.expires_at)
        return [r for r in rows if r.expires_at > now]


def revoke_share(rt: Runtime, token: str) -> ShareLink:
    with rt.catalog.session() as session:
        link = session.get(ShareLink, token) if _plausible_token(token) else None
        if link is None:
            raise LookupError("no such share link")
        link.revoked = True
        session.commit()
        return link


def _plausible_token(token: str) -> bool:
    return isinstance(token, str) and 16 <= len(token) <= 64 and all(c.isalnum() or c in "-_" for c in token)


def open_share(rt: Runtime, token: str, *, now: datetime | None = None) -> Shared:
    """The shared document's PDF, or ``ShareError`` with the status to answer (404 unknown, 410 gone)."""
    from storage.objects import ObjectStoreError

    now = (now or utcnow()).astimezone(timezone.utc)
    if not _plausible_token(token):
        raise ShareError(404, "Not Found", "no such share link")
    with rt.catalog.session() as session:
        link = session.get(ShareLink, token)
        if link is None:
            raise ShareError(404, "Not Found", "no such share link")
        if link.revoked:
            raise ShareError(410, "Share link revoked", "the holder revoked this share link")
        if _aware(link.expires_at) <= now:
            raise ShareError(410, "Share link expired",
                             f"this share link expired at {_aware(link.expires_at).astimezone(VN).isoformat(timespec='minutes')}")
        doc = session.get(Document, link.document_id)
        if _deleted(session, link.document_id, doc):
            raise ShareError(410, "Document deleted", "the shared document no longer exists in the archive")
        sha, name = doc.pdf_sha256, (doc.filename.rsplit(".", 1)[0] or "document") + ".pdf"
    try:
        pdf = rt.store.get_bytes(sha)
    except ObjectStoreError:
        raise ShareError(410, "Document unavailable", "the shared document's PDF is not in the archive") from None
    return Shared(pdf, name, link)
