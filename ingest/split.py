"""Cut one scanner feed into documents: separator sheets, blank pages and the layout of each page.

A clerk drops a whole dossier into the feeder. Evidence for "a new document starts here" is weighed at each
gap between two pages with content, the way a clerk would when leafing through the stack:

- a separator sheet (a QR or barcode with a separator role: a dossier code or ``PATCHT``) ends the
  document before it for certain; a dossier code files the pages after it under that dossier;
- the next page *starts* a Decree 30 document (national motto, agency block, ``Số:`` line, a type name in
  capitals) — strong evidence for a cut; it is a *continuation* (a bare page number at the top) — strong
  evidence against;
- the page before *ends* a document (``Nơi nhận``, a signer block, "Người làm đơn") — evidence for;
- blank pages between (a blank separator sheet, or a blank back side) — weak evidence for; in a collated
  duplex feed a blank back side is no evidence at all (every single-sided sheet has one).

Blank pages and separator sheets never become part of a document; they are recorded in the plan. Every
segment carries a confidence: the certainty of its weakest decision, so a clerk sees which cut to check.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field

from ingest.doctypes import BY_TITLE
from ingest.extract import AUTHORITY, NUMBER, Line
from ingest.extract_header import COPY_ABBR, COPY_FORM
from storage.text import fold

# weights of the evidence, in log-odds units: > 0 means "cut here"
W_STARTS = 2.2
W_CONTINUES = -3.0
W_ENDS = 1.2
W_BLANK = 0.5  # alone, not enough: single-sided pages scanned duplex leave a blank after every page
W_BLANK_SHEET = 1.6  # two blank sides in a row: a whole blank sheet, put there to separate documents
W_PRIOR = -0.6  # with no evidence either way, pages of a feed belong together
# a separator sheet has little else on it; a page full of text that carries a code is a document page
SEPARATOR_MAX_LINES = 10


@dataclass(frozen=True)
class PageInfo:
    """What splitting needs to know of one page of the feed."""

    number: int  # page number in the source file, 1-based
    blank: bool
    lines: tuple[Line, ...] = ()
    width: int = 0
    height: int = 0
    codes: tuple[dict, ...] = ()  # {"text", "format", "role": "dossier"|"separator"|None}
    top_mark: bool = False  # a page-number-like mark centred in the top margin (ocr.marks)


@dataclass(frozen=True)
class Cues:
    starts: bool  # looks like the first page of a document
    continues: bool  # looks like page 2+ of a document (a page number at the top, no header)
    ends: bool  # carries the end of a document (recipients, signer)
    page_number: int | None
    reasons: tuple[str, ...]


@dataclass
class Segment:
    pages: list[int]  # source page numbers, in document order
    confidence: float
    reasons: list[str] = field(default_factory=list)
    dossier: str | None = None

    def as_dict(self) -> dict:
        return {"pages": self.pages, "confidence": round(self.confidence, 3), "reasons": self.reasons, "dossier": self.dossier}


@dataclass
class Plan:
    segments: list[Segment]
    blank_pages: list[int]
    separator_pages: list[int]
    order: list[int]  # the source pages in reading order (after duplex collation)
    dossiers: list[str]

    @property
    def confidence(self) -> float:
        return min((s.confidence for s in self.segments), default=1.0)

    def as_dict(self) -> dict:
        return {
            "segments": [s.as_dict() for s in self.segments],
            "blank_pages": self.blank_pages,
            "separator_pages": self.separator_pages,
            "order": self.order,
            "dossiers": self.dossiers,
            "confidence": round(self.confidence, 3),
        }

    @classmethod
    def from_dict(cls, data: dict) -> Plan:
        segs = [Segment(list(s["pages"]), s.get("confidence", 1.0), list(s.get("reasons", [])), s.get("dossier")) for s in data["segments"]]
        return cls(segs, list(data.get("blank_pages", [])), list(data.get("separator_pages", [])), list(data.get("order", [])),
                   list(data.get("dossiers", [])))


def duplex_order(count: int) -> list[int]:
    """Page order of a simplex feeder's double-sided stack: fronts 1..k, then backs k..1 → 1, 2k, 2, 2k-1, …"""
    if count % 2:
        raise ValueError(f"a duplex feed has an even number of pages, this one has {count}")
    k = count // 2
    order: list[int] = []
    for i in range(k):
        order += [i + 1, count - i]
    return order


_PAGE_NO = re.compile(r"^[-–—\s]*(\d{1,3})[-–—\s]*$")
_ENDS = ("noi nhan", "nguoi lam don", "nguoi khai", "nguoi de nghi", "(ky, ghi ro ho ten", "(ky va ghi ro ho ten", "(ky ghi ro ho ten")


def page_cues(lines: list[Line] | tuple[Line, ...], width: int, height: int, top_mark: bool = False) -> Cues:
    """Does this page start, continue or end a document? Judged from where its lines sit on the page."""
    if not lines:
        return Cues(False, False, False, None, ("no text",))
    height = height or max(l.box[1] + l.box[3] for l in lines)
    top = [l for l in lines if l.box[1] < 0.38 * height]
    reasons: list[str] = []
    page_number = None
    # the page number is the first line, or comes right under a line of specks (a torn edge, a stamp's rim)
    for line in sorted(lines, key=lambda l: l.box[1])[:3]:
        m = _PAGE_NO.match(line.text)
        if m and line.box[1] < 0.12 * height and (not width or abs(line.box[0] + line.box[2] / 2 - width / 2) < 0.2 * width):
            page_number = int(m.group(1))
            reasons.append(f"page number {page_number} at the top")
            break
        words = [t for t in line.text.split() if len(t) >= 2 and sum(c.isalpha() for c in t) >= 0.7 * len(t)]
        if len(words) >= 2:
            break  # a line of words: the page number would have come before it
    folded_top = [fold(l.text) for l in top]
    motto = any(f.startswith(("cong hoa xa hoi", "doc lap - tu do", "doc lap tu do")) for f in folded_top)
    number_line = any(NUMBER.match(f) for f in folded_top)
    title = _has_title(top, width)
    id_card = any("can cuoc" in f or "citizen identity" in f or "chung minh nhan dan" in f for f in folded_top)
    if motto:
        reasons.append("national motto at the top")
    if number_line:
        reasons.append("'Số:' line in the header")
    if title:
        reasons.append(f"type name '{title}'")
    if id_card:
        reasons.append("identity card")
    marked = top_mark and page_number is None and not (motto or number_line)
    if marked:
        reasons.append("a page number in the top margin")
    copy_form = not motto and _is_copy_form(lines)  # the form has no motto: a page that has one is the copied document's
    if copy_form:
        reasons.append("a copy form (SAO Y, TRÍCH SAO, SAO LỤC) on a page of its own")
    starts = (motto or number_line or title is not None or id_card) and page_number is None and not marked and not copy_form
    below_header = [fold(l.text) for l in lines if l.box[1] > 0.15 * height]  # a short last page ends high up
    ends = any(f.startswith(_ENDS) or AUTHORITY.match(f) for f in below_header)
    if ends:
        reasons.append("ends with recipients or a signer")
    continues = (((page_number is not None and page_number > 1) or marked) and not (motto or number_line)) or copy_form
    return Cues(starts, continues, ends, page_number, tuple(reasons))


def _is_copy_form(lines) -> bool:
    """A page that is only a copy form (SAO Y / TRÍCH SAO / SAO LỤC): its name or its symbol (``Số: 05/SY-VP``),
    and little else. The form certifies the pages before it: on a sheet of its own it is the copied document's
    last page, not a new document, although it has an agency header and a Số line."""
    if len(lines) > 20:
        return False  # a page of the copied document with the form under its end
    for f in (fold(l.text).strip() for l in lines):
        number = NUMBER.match(f)
        if COPY_FORM.match(f) or (number and re.split(r"\s*[-–]\s*", number.group(2))[0] in COPY_ABBR):
            return True
    return False


def _has_title(lines: list[Line], width: int = 0) -> str | None:
    """A type name in capitals, centred (a signature caption such as THƯ KÝ stands in a column of its own)."""
    for line in lines:
        if width and abs(line.box[0] + line.box[2] / 2 - width / 2) > 0.15 * width:
            continue
        letters = [c for c in line.text if c.isalpha()]
        if len(letters) < 3 or sum(c.isupper() for c in letters) / len(letters) < 0.8:
            continue
        key = fold(line.text).rstrip(":. ")
        if key.startswith(("cong hoa", "doc lap")):
            continue
        for t, _type in BY_TITLE:
            if key == t or key.startswith(t + " "):
                return line.text
    return None


def is_separator(page: PageInfo) -> tuple[bool, str | None]:
    """(is a separator sheet, the dossier code it carries)."""
    roles = [c for c in page.codes if c.get("role") in ("dossier", "separator")]
    if not roles:
        return False, None
    wordy = [l for l in page.lines if sum(ch.isalpha() for ch in l.text) >= 3]
    if len(wordy) > SEPARATOR_MAX_LINES:
        return False, None  # a document that carries a code (a receipt with its dossier's QR), not a separator
    dossier = next((c["text"] for c in roles if c.get("role") == "dossier"), None)
    return True, dossier


def _sigmoid(x: float) -> float:
    return 1 / (1 + math.exp(-x))


def plan_split(pages: list[PageInfo], collate: str = "none") -> Plan:
    """The documents in a feed, in reading order, each with a confidence and the reasons for its cut."""
    by_number = {p.number: p for p in pages}
    order = sorted(by_number)
    if collate == "duplex" and len(order) % 2 == 0 and len(order) >= 2:
        order = [order[i - 1] for i in duplex_order(len(order))]
    segments: list[Segment] = []
    blank: list[int] = []
    separators: list[int] = []
    dossiers: list[str] = []
    dossier: str | None = None
    prev: tuple[PageInfo, Cues] | None = None
    blanks_since = 0
    separated = False
    duplex = collate == "duplex"
    for position, n in enumerate(order):
        page = by_number[n]
        sep, code = is_separator(page)
        if sep:
            separators.append(n)
            separated = True
            if code:
                dossier = code
                if code not in dossiers:
                    dossiers.append(code)
            continue
        if page.blank:
            blank.append(n)
            if not (duplex and position % 2 == 1):  # the back of a sheet says nothing about where documents end
                blanks_since += 1
            continue
        cues = page_cues(page.lines, page.width, page.height, page.top_mark)
        own_code = next((c["text"] for c in page.codes if c.get("role") == "dossier"), None)
        if prev is None or separated:
            why = ["separator sheet before it"] if separated else ["first page of the feed"]
            segments.append(Segment([n], 1.0, why + list(cues.reasons), own_code or dossier))
        else:
            score, why = _gap_score(prev[1], cues, blanks_since, len(segments[-1].pages))
            certainty = max(_sigmoid(abs(score) * 1.6), 0.5)
            if score > 0:
                segments.append(Segment([n], certainty, why, own_code or dossier))
            else:
                seg = segments[-1]
                seg.pages.append(n)
                seg.confidence = min(seg.confidence, certainty)
                if certainty < 0.8:
                    seg.reasons.append(f"page {n} kept with it, unsure: " + "; ".join(why))
        if own_code and own_code not in dossiers:
            dossiers.append(own_code)
        prev = (page, cues)
        blanks_since = 0
        separated = False
    return Plan(segments, blank, separators, order, dossiers)


def _gap_score(before: Cues, after: Cues, blanks: int, pages_so_far: int) -> tuple[float, list[str]]:
    score, why = W_PRIOR, []
    if after.starts:
        score += W_STARTS
        why.append("it starts like a new document (" + ", ".join(after.reasons) + ")")
    if after.continues:
        expected = after.page_number == pages_so_far + 1
        score += W_CONTINUES * (1.0 if expected else 0.7)
        why.append(f"it continues the document (page number {after.page_number or 'in the top margin'})")
    if before.ends:
        score += W_ENDS
        why.append("the page before ends with recipients or a signer")
    if blanks:
        score += W_BLANK_SHEET if blanks >= 2 else W_BLANK
        why.append(f"{blanks} blank page{'s' if blanks > 1 else ''} before it")
    if not why:
        why.append("no sign of a new document")
    return score, why


def resplit(plan: Plan, segment_index: int, at: int) -> Plan:
    """A clerk's cut: segment ``segment_index`` becomes two, the second starting at its page position ``at``."""
    seg = plan.segments[segment_index]
    if not 2 <= at <= len(seg.pages):
        raise ValueError(f"a document of {len(seg.pages)} pages can be split at page 2 to {len(seg.pages)}, not {at}")
    first = Segment(seg.pages[: at - 1], 1.0, ["split by a clerk"], seg.dossier)
    second = Segment(seg.pages[at - 1 :], 1.0, ["split by a clerk"], seg.dossier)
    segs = plan.segments[:segment_index] + [first, second] + plan.segments[segment_index + 1 :]
    return Plan(segs, plan.blank_pages, plan.separator_pages, plan.order, plan.dossiers)


def merge(plan: Plan, segment_index: int) -> Plan:
    """A clerk's merge: segment ``segment_index`` and the one after it become one document."""
    if not 0 <= segment_index < len(plan.segments) - 1:
        raise ValueError("there is no next document in this scan to merge with")
    a, b = plan.segments[segment_index], plan.segments[segment_index + 1]
    merged = Segment(a.pages + b.pages, 1.0, ["merged by a clerk"], a.dossier or b.dossier)
    segs = plan.segments[:segment_index] + [merged] + plan.segments[segment_index + 2 :]
    return Plan(segs, plan.blank_pages, plan.separator_pages, plan.order, plan.dossiers)
