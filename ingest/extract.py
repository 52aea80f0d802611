"""Decree 30 metadata from recognised lines: number and symbol, place and date, agency, subject, signer,
recipients, and the citizen fields of application forms and certificates.

Every pattern is matched on folded text (no case, no diacritics), because OCR drops and swaps tone marks;
values are then taken from the original line in NFC, or snapped to a gazetteer (provinces, districts,
communes, agencies, positions, symbol parts in ingest/data/) so a name comes out correctly spelled even where
OCR lost a mark. Where things are is read from the line boxes, as a clerk reads a page (the agency block left
of the motto, the signer column bottom right, Nơi nhận beside it), not from the order OCR read them in. Each
field keeps its page, box and a confidence; a field that cannot be found or is impossible (30/02, an
11-digit ID) is empty with a reason.

The rules live in ingest/extract_header.py (number, date, agency, subject, a copy's form),
ingest/extract_signer.py (signer, recipients) and ingest/extract_citizen.py (citizen fields).
"""

from __future__ import annotations

from ingest.extract_base import Extracted, Field, Line, check_personal_id, nfc, valid_date  # noqa: F401  (the module's API)
from ingest.extract_base import PROVINCE_CODES, digits as _digits  # noqa: F401
from ingest.extract_citizen import citizen
from ingest.extract_header import NUMBER, Doc, agency, find_copy, number, place_date, subject  # noqa: F401
from ingest.extract_places import DATA, agency_names, provinces, snap_agency, snap_place  # noqa: F401
from ingest.extract_signer import AUTHORITY, recipients, signer  # noqa: F401

COPY_TYPES = ("sao_y", "trich_sao", "sao_luc")


def extract(lines: list[Line], *, doc_type: str | None = None) -> Extracted:
    """Every field findable in a document's lines (all pages, numbered by position in the document).

    ``doc_type``: the document's type code when it is known (the classifier's answer). For a copy
    (sao_y, trich_sao, sao_luc) the copy form's own agency, number, date, signer and recipients are taken;
    without a hint a copy form is recognised by its SAO Y / TRÍCH SAO / SAO LỤC line with a number like
    05/SY-VP beside it.
    """
    out = Extracted()
    doc = Doc(list(lines))
    copy = find_copy(doc, doc_type) if doc.lines else None
    if doc.lines:
        number(doc, out, copy)
        place_date(doc, out, copy)
        agency(doc, out, copy)
        subject(doc, out)
        signer(doc, out, copy)
        recipients(doc, out, copy)
        citizen(doc, out)
    else:
        number(doc, out, None)
        place_date(doc, out, None)
        out.fields["signer_name"] = Field(None, reason="the document has no recognised text")
    if copy:
        out.fields["copy_form"] = Field(copy.code, copy.page, doc.lines[copy.form].box, round(doc.lines[copy.form].conf / 100, 3))
    out.fields["page_count"] = Field(str(max((l.page for l in lines), default=0)) if lines else None, confidence=1.0)
    return out


def lines_from_words(word_lines: list[list], page: int, scale: float = 1.0) -> list[Line]:
    """Lines for extraction from ``ocr.layout.ordered_lines`` output (words with pixel boxes)."""
    out = []
    for words in word_lines:
        left = min(w.left for w in words)
        top = min(w.top for w in words)
        right = max(w.right for w in words)
        bottom = max(w.bottom for w in words)
        confs = [w.conf for w in words if w.conf >= 0]
        box = (round(left * scale), round(top * scale), round((right - left) * scale), round((bottom - top) * scale))
        out.append(Line(nfc(" ".join(w.text for w in words)), page, box, sum(confs) / len(confs) if confs else 0.0))
    return out
