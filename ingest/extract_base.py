"""What the field extractor's modules share: recognised lines and fields, folding that keeps positions,
tolerant digits and dates, the personal-number check, and the geometry of a page's lines."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import asdict, dataclass, field
from datetime import date
from functools import lru_cache
from statistics import median

from storage.text import fold, nfc


@dataclass(frozen=True)
class Line:
    text: str  # NFC
    page: int  # 1-based
    box: tuple[int, int, int, int]  # left, top, width, height in page-image pixels
    conf: float  # mean word confidence, 0..100

    @property
    def left(self) -> int:
        return self.box[0]

    @property
    def top(self) -> int:
        return self.box[1]

    @property
    def right(self) -> int:
        return self.box[0] + self.box[2]

    @property
    def bottom(self) -> int:
        return self.box[1] + self.box[3]

    @property
    def cx(self) -> float:
        return self.box[0] + self.box[2] / 2


@dataclass
class Field:
    value: str | None
    page: int | None = None
    box: tuple[int, int, int, int] | None = None
    confidence: float = 0.0
    reason: str | None = None  # why the value is empty or doubtful

    def as_dict(self) -> dict:
        return asdict(self)


@dataclass
class Extracted:
    fields: dict[str, Field] = field(default_factory=dict)

    def value(self, name: str) -> str | None:
        f = self.fields.get(name)
        return f.value if f else None

    def as_dict(self) -> dict:
        return {k: v.as_dict() for k, v in self.fields.items()}


def found(value: str, line: Line, confidence: float | None = None, lines: list[Line] | None = None) -> Field:
    """A value read from ``line`` (or from several lines: the box then covers them all)."""
    box = line.box
    if lines and len(lines) > 1:
        same = [l for l in lines if l.page == line.page]
        left, top = min(l.left for l in same), min(l.top for l in same)
        box = (left, top, max(l.right for l in same) - left, max(l.bottom for l in same) - top)
        if confidence is None:
            confidence = sum(l.conf for l in lines) / len(lines) / 100
    conf = confidence if confidence is not None else line.conf / 100
    return Field(value=value, page=line.page, box=box, confidence=round(max(0.0, min(1.0, conf)), 3))


def missing(reason: str) -> Field:
    return Field(value=None, reason=reason)


# --- text -----------------------------------------------------------------------------------------------------


@lru_cache(maxsize=4096)
def _fold_char(ch: str) -> str:
    if ch in "đĐðÐ":
        return "d"
    f = "".join(c for c in unicodedata.normalize("NFD", ch.lower()) if not unicodedata.combining(c))
    return f if len(f) == 1 else ch.lower()[:1] or " "


@lru_cache(maxsize=65536)
def fold_keep(text: str) -> str:
    """Like ``storage.text.fold`` but one character for each character of the NFC text, spaces kept, so a
    match on the folded text cuts the original at the same positions."""
    return "".join(_fold_char(ch) if not ch.isspace() else " " for ch in text)


def clean(text: str) -> str:
    """NFC, single spaces, OCR's look-alike characters put right (Ð for Đ)."""
    return re.sub(r"\s+", " ", nfc(text).replace("Ð", "Đ").replace("ð", "đ")).strip()


def title_case(text: str) -> str:
    return " ".join(w[:1].upper() + w[1:].lower() for w in clean(text).split())


@lru_cache(maxsize=65536)
def letters(text: str) -> int:
    return sum(ch.isalpha() for ch in text)


@lru_cache(maxsize=65536)
def is_upper(text: str, share: float = 0.8) -> bool:
    """Mostly capitals (an agency line, a type name, a position)."""
    ls = [c for c in text if c.isalpha()]
    return len(ls) >= 2 and sum(c.isupper() for c in ls) / len(ls) >= share


# --- digits and dates --------------------------------------------------------------------------------------

_DIGITISH = str.maketrans({"o": "0", "O": "0", "Q": "0", "D": "0", "l": "1", "I": "1", "|": "1", "i": "1", "!": "1", "Ì": "1", "í": "1",
                           "s": "5", "S": "5", "B": "8", "§": "8", "z": "2", "Z": "2", "g": "9"})
D = r"[0-9olI|i!§]"  # a digit as OCR may render it


def digits(s: str) -> str:
    return re.sub(r"[\s.]", "", s.translate(_DIGITISH))


# inside "ngày .. tháng .. năm" only digits can stand: more of OCR's look-alikes are safe to read there
_DATE_DIGITISH = str.maketrans({"]": "1", "[": "1", "t": "1", "T": "1", "š": "5", "Š": "5"})
DW = r"[0-9olI|i!§\]\[ts]"  # a day or month digit as OCR may render it (on folded text: Š is s, Ì is i)


def valid_date(d: str, m: str, y: str) -> tuple[date | None, str | None]:
    try:
        day, month, year = (int(digits(x.translate(_DATE_DIGITISH))) for x in (d, m, y))
    except ValueError:
        return None, "the date is not made of digits"
    try:
        when = date(year, month, day)
    except ValueError:
        return None, f"{day:02d}/{month:02d}/{year} is not a date"
    if not 1900 <= year <= 2100:
        return None, f"the year {year} is implausible"
    return when, None


# "ngày 25 tháng 5 năm 2023" on folded text, OCR's broken spacing and look-alike digits allowed
DATE_WORDS = re.compile(rf"(?<![a-z])ng\s?[aáà]?\s?y\s*[:.]?\s*(?P<d>{DW}(?:\s?{DW}){{0,2}})\s*[,.]?\s*th\s?a\s?n\s?g\s*(?P<m>{DW}(?:\s?{DW})?)\s*[,.]?\s*n\s?a\s?m\s*(?P<y>(?:{D}\s?){{3}}{D})")
DATE_NUMERIC = re.compile(rf"(?<![0-9])(?P<d>{D}\s?{D}?)\s*[/.\-]\s*(?P<m>{D}\s?{D}?)\s*[/.\-]\s*(?P<y>[12]\s?{D}\s?{D}\s?{D})(?![0-9])")


# --- the personal identification number ---------------------------------------------------------------------

# Province codes of the 12-digit personal identification number (Circular 59/2021/TT-BCA, Appendix).
PROVINCE_CODES = {
    1, 2, 4, 6, 8, 10, 11, 12, 14, 15, 17, 19, 20, 22, 24, 25, 26, 27, 30, 31, 33, 34, 35, 36, 37, 38, 40, 42, 44,
    45, 46, 48, 49, 51, 52, 54, 56, 58, 60, 62, 64, 66, 67, 68, 70, 72, 74, 75, 77, 79, 80, 82, 83, 84, 86, 87, 89,
    91, 92, 93, 94, 95, 96,
}


def check_personal_id(raw: str, birth: date | None = None) -> tuple[str | None, str | None]:
    """Validate a 12-digit personal identification number: province code, century/gender digit, birth year."""
    ds = digits(raw).replace("/", "").replace("-", "")
    if not ds.isdigit():
        return None, "the identification number has characters that are not digits"
    if len(ds) != 12:
        return None, f"an identification number has 12 digits, this one has {len(ds)}"
    province, century_gender, yy = int(ds[:3]), int(ds[3]), int(ds[4:6])
    if province not in PROVINCE_CODES:
        return None, f"{ds[:3]} is not a province code"
    century = 1900 + 100 * (century_gender // 2)
    if birth is not None and (century + yy) != birth.year:
        return ds, f"the number encodes birth year {century + yy}, the form says {birth.year}"
    return ds, None


# --- geometry -----------------------------------------------------------------------------------------------


@dataclass
class Page:
    """The extent of a page's text and its usual line height, from its lines alone."""

    number: int
    lines: list[int]  # indexes into the document's lines, reading order
    left: float
    right: float
    top: float
    bottom: float
    line_h: float

    @property
    def mid(self) -> float:
        return (self.left + self.right) / 2

    @property
    def width(self) -> float:
        return max(1.0, self.right - self.left)


def pages_of(lines: list[Line]) -> dict[int, Page]:
    out: dict[int, Page] = {}
    by_page: dict[int, list[int]] = {}
    for i, l in enumerate(lines):
        by_page.setdefault(l.page, []).append(i)
    for number, idx in by_page.items():
        text = [lines[i] for i in idx if letters(lines[i].text) >= 3] or [lines[i] for i in idx]
        lefts = sorted(l.left for l in text)
        rights = sorted(l.right for l in text)
        k = min(len(text) - 1, max(0, len(text) // 40))  # ignore a stray speck at the very edge
        out[number] = Page(number, idx, lefts[k], rights[-1 - k], min(l.top for l in text), max(l.bottom for l in text),
                           float(median(l.box[3] for l in text)) if text else 20.0)
    return out


_SYLLABLE = re.compile(r"^(?:ngh|ng|nh|ch|gh|gi|kh|ph|qu|th|tr|[bcdghklmnpqrstvx])?[aeiouy]{1,3}(?:ch|nh|ng|[cmnpt])?$")


def syllable(word: str) -> bool:
    """A word that can be a Vietnamese syllable (folded spelling), so OCR garbage is not taken for a name."""
    return bool(_SYLLABLE.match(fold(word)))


def looks_like_name(text: str) -> bool:
    """A Vietnamese personal name: 2-6 capitalised syllables (``Nguyễn Thị Thanh Hương``, ``NGUYỄN VĂN AN``)."""
    words = clean(text).split()
    return 2 <= len(words) <= 6 and all(w.isalpha() and w[:1].isupper() and syllable(w) for w in words)


def fold_text(text: str) -> str:
    return fold(text)
