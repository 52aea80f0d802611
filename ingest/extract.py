"""Decree 30 metadata from recognised lines: number and symbol, place and date, agency, subject, signer,
recipients, and the citizen fields of application forms and certificates.

Every pattern is matched on folded text (no case, no diacritics), because OCR drops and swaps tone marks;
values are then taken from the original line in NFC, or snapped to a gazetteer (provinces, agencies) so a
name comes out correctly spelled even where OCR lost a mark. Each field keeps its page, box and a
confidence; a field that cannot be found or is impossible (30/02, an 11-digit ID) is empty with a reason.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field
from datetime import date
from functools import lru_cache
from pathlib import Path

from storage.text import fold, nfc

DATA = Path(__file__).parent / "data"


@dataclass(frozen=True)
class Line:
    text: str  # NFC
    page: int  # 1-based
    box: tuple[int, int, int, int]  # left, top, width, height in page-image pixels
    conf: float  # mean word confidence, 0..100


@dataclass
class Field:
    value: str | None
    page: int | None = None
    box: tuple[int, int, int, int] | None = None
    confidence: float = 0.0
    reason: str | None = None  # why the value is empty or doubtful

    def as_dict(self) -> dict:
        return asdict(self)


def _found(value: str, line: Line, confidence: float | None = None) -> Field:
    return Field(value=value, page=line.page, box=line.box, confidence=round(confidence if confidence is not None else line.conf / 100, 3))


def _missing(reason: str) -> Field:
    return Field(value=None, reason=reason)


@dataclass
class Extracted:
    fields: dict[str, Field] = field(default_factory=dict)

    def value(self, name: str) -> str | None:
        f = self.fields.get(name)
        return f.value if f else None

    def as_dict(self) -> dict:
        return {k: v.as_dict() for k, v in self.fields.items()}


# --- gazetteers --------------------------------------------------------------------------------------------


def _read_list(name: str) -> list[str]:
    rows = (DATA / name).read_text(encoding="utf-8").splitlines()
    return [nfc(r.strip()) for r in rows if r.strip() and not r.startswith("#")]


@lru_cache(maxsize=None)
def places() -> dict[str, str]:
    return {fold(p): p for p in _read_list("provinces.txt")}


@lru_cache(maxsize=None)
def agencies() -> dict[str, str]:
    return {fold(a): a for a in _read_list("agencies.txt")}


def snap_place(text: str) -> tuple[str, bool]:
    """A place name spelled as the gazetteer spells it (OCR's ``Vĩnh`` for ``Vinh`` comes back right)."""
    key = fold(text)
    key = re.sub(r"^(tinh|thanh pho|tp\.?|huyen|thi xa|quan)\s+", "", key)
    hit = places().get(key)
    return (hit, True) if hit else (nfc(text.strip()), False)


def snap_agency(text: str) -> tuple[str, bool]:
    """An agency line in capitals, corrected against the gazetteer and its province."""
    key = fold(text)
    for prefix_key, prefix in sorted(agencies().items(), key=lambda kv: -len(kv[0])):
        if key == prefix_key:
            return prefix, True
        if key.startswith(prefix_key + " "):
            rest = key[len(prefix_key) + 1 :]
            m = re.match(r"^(tinh|thanh pho)\s+(.+)$", rest)
            if m:
                place, ok = snap_place(m.group(2))
                if ok:
                    return f"{prefix} {'TỈNH' if m.group(1) == 'tinh' else 'THÀNH PHỐ'} {place.upper()}", True
    return nfc(text.strip()), False


# --- patterns (on folded text) --------------------------------------------------------------------------

_DIGITISH = str.maketrans({"o": "0", "O": "0", "l": "1", "I": "1", "|": "1", "i": "1", "Ì": "1", "í": "1", "s": "5", "S": "5"})
NUMBER = re.compile(r"^s[o06]\s*[:;.,]?\s*([0-9oOlI|]{1,6})\s*/\s*((?:\d{4}\s*/\s*)?[a-z0-9đ]+(?:\s*-\s*[a-z0-9đ]+)*)")
_D = r"[0-9olI|i]"  # a digit as OCR may render it; a stray space may split a number ("2 5")
DATE = re.compile(rf"^(?P<place>.*?)[,.]?\s*ngay\s*(?P<d>{_D}(?:\s?{_D})?)\s*thang\s*(?P<m>{_D}(?:\s?{_D})?)\s*nam\s*(?P<y>(?:{_D}\s?){{3}}{_D})")
AUTHORITY = re.compile(r"^(kt|tm|tl|tuq)\s*[.,]\s*(.+)$")
PERSON_ID = re.compile(r"(?:so\s*)?(?:dinh\s*danh(?:\s*ca\s*nhan)?|cccd|can\s*cuoc(?:\s*cong\s*dan)?)\s*[:.]?\s*([0-9oOlI| ]{9,16})")
NAME_FIELD = re.compile(r"^(?:\d+\.\s*)?(?:ho\s*(?:va\s*)?ten|ho,\s*chu\s*dem\s*va\s*ten)[^:]*:\s*(.+)$")
BIRTH = re.compile(r"^(?:\d+\.\s*)?ngay[,\s]*(?:thang[,\s]*nam\s*)?sinh\s*:\s*(\d{1,2})\s*[/.-]\s*(\d{1,2})\s*[/.-]\s*(\d{4})")
ADDRESS = re.compile(r"^(?:\d+\.\s*)?(?:dia\s*chi(?:\s*thuong\s*tru)?|noi\s*thuong\s*tru|noi\s*cu\s*tru)\s*:\s*(.+)$")
CERT_NO = re.compile(r"^(?:ma\s*so(?:\s*ho\s*kinh\s*doanh|\s*doanh\s*nghiep)?|so\s*giay\s*phep|so\s*giay\s*chung\s*nhan)\s*:\s*([0-9a-z/\-.]+)")
CERT_DATE = re.compile(r"(?:dang\s*ky\s*lan\s*dau|cap\s*ngay|ngay\s*cap)\s*:?\s*(?:ngay\s*)?(\d{1,2})\s*(?:thang|/)\s*(\d{1,2})\s*(?:nam|/)\s*(\d{4})")

# Province codes of the 12-digit personal identification number (Circular 59/2021/TT-BCA, Appendix).
PROVINCE_CODES = {
    1, 2, 4, 6, 8, 10, 11, 12, 14, 15, 17, 19, 20, 22, 24, 25, 26, 27, 30, 31, 33, 34, 35, 36, 37, 38, 40, 42, 44,
    45, 46, 48, 49, 51, 52, 54, 56, 58, 60, 62, 64, 66, 67, 68, 70, 72, 74, 75, 77, 79, 80, 82, 83, 84, 86, 87, 89,
    91, 92, 93, 94, 95, 96,
}


def _digits(s: str) -> str:
    return s.translate(_DIGITISH).replace(" ", "")


def valid_date(d: str, m: str, y: str) -> tuple[date | None, str | None]:
    try:
        day, month, year = int(_digits(d)), int(_digits(m)), int(_digits(y))
    except ValueError:
        return None, "the date is not made of digits"
    try:
        when = date(year, month, day)
    except ValueError:
        return None, f"{day:02d}/{month:02d}/{year} is not a date"
    if not 1945 <= year <= 2100:
        return None, f"the year {year} is implausible"
    return when, None


def check_personal_id(raw: str, birth: date | None = None) -> tuple[str | None, str | None]:
    """Validate a 12-digit personal identification number: province code, century/gender digit, birth year."""
    digits = _digits(raw)
    if not digits.isdigit():
        return None, "the identification number has characters that are not digits"
    if len(digits) != 12:
        return None, f"an identification number has 12 digits, this one has {len(digits)}"
    province, century_gender, yy = int(digits[:3]), int(digits[3]), int(digits[4:6])
    if province not in PROVINCE_CODES:
        return None, f"{digits[:3]} is not a province code"
    century = 1900 + 100 * (century_gender // 2)
    if birth is not None and (century + yy) != birth.year:
        return digits, f"the number encodes birth year {century + yy}, the form says {birth.year}"
    return digits, None


# --- the extractor -------------------------------------------------------------------------------------------


def extract(lines: list[Line]) -> Extracted:
    """Every field findable in a document's lines (in reading order, all pages)."""
    out = Extracted()
    folded = [fold(l.text) for l in lines]
    first_page = [i for i, l in enumerate(lines) if l.page == lines[0].page] if lines else []
    motto = next((i for i in first_page if folded[i].startswith("cong hoa xa hoi")), None)

    # number and symbol
    for i, f in enumerate(folded):
        m = NUMBER.match(f)
        if m:
            number = _digits(m.group(1)).lstrip("0") or "0"
            number = number.zfill(2)
            symbol = _symbol_from(lines[i].text, m.group(2))
            out.fields["number"] = _found(number, lines[i])
            out.fields["symbol"] = _found(symbol, lines[i])
            out.fields["number_symbol"] = _found(f"{number}/{symbol}", lines[i])
            break
    else:
        out.fields["number_symbol"] = _missing("no 'Số:' line was found")

    # place and date of issue (first on the first page)
    for i in first_page:
        m = DATE.match(folded[i])
        if not m:
            continue
        when, why = valid_date(m["d"], m["m"], m["y"])
        if when:
            out.fields["issue_date"] = _found(when.isoformat(), lines[i])
        else:
            out.fields["issue_date"] = Field(None, lines[i].page, lines[i].box, 0.0, why)
        raw_place = lines[i].text[: len(m["place"])] if m["place"] else ""
        if raw_place.strip(" ,."):
            place, snapped = snap_place(raw_place.strip(" ,."))
            out.fields["place"] = _found(place, lines[i], (lines[i].conf / 100) if not snapped else max(0.9, lines[i].conf / 100))
        break
    else:
        out.fields["issue_date"] = _missing("no '..., ngày .. tháng .. năm ....' line was found")

    # issuing agency and its parent: the lines above the motto's band, left of it
    header = []
    for i in first_page:  # the agency block: what is read before its "Số:" line and the national motto
        if (motto is not None and i >= motto) or NUMBER.match(folded[i]) or folded[i].startswith("v/v"):
            break
        header.append(i)
    header = header[:4]
    if header:
        names = [snap_agency(lines[i].text) for i in header]
        first = fold(names[0][0])
        if len(names) >= 2 and first in ("uy ban nhan dan", "hoi dong nhan dan") and re.match(r"^(tinh|thanh pho|huyen|quan|thi xa|xa|phuong)\b", fold(names[1][0])):
            # "ỦY BAN NHÂN DÂN / TỈNH CÀ MAU" is one name on two lines, not a parent and a child
            out.fields["agency"] = _found(f"{names[0][0]} {' '.join(n for n, _ in names[1:])}", lines[header[0]])
        elif len(names) >= 2:
            out.fields["parent_agency"] = _found(names[0][0], lines[header[0]])
            out.fields["agency"] = _found(" ".join(n for n, _ in names[1:]), lines[header[1]])
        else:
            out.fields["agency"] = _found(names[0][0], lines[header[0]])

    # subject: "V/v ..." (công văn) or "Về việc ..." under the type name
    for i, f in enumerate(folded):
        if f.startswith("v/v") or f.startswith("ve viec"):
            text = lines[i].text
            j = i + 1
            while j < len(lines) and lines[j].page == lines[i].page and j - i < 4 and _continues_subject(lines[i], lines[j - 1], lines[j], folded[j]):
                text += " " + lines[j].text
                j += 1
            subject = re.sub(r"^(V/v|Về việc)\s*", "", nfc(text), flags=re.IGNORECASE).strip()
            out.fields["subject"] = _found(subject[:500], lines[i])
            break

    # signer: authority, position, name (last page)
    _signer(lines, folded, out)
    # recipients
    for i, f in enumerate(folded):
        if f.startswith("noi nhan"):
            rec = []
            for j in range(i + 1, min(len(lines), i + 20)):
                if folded[j].startswith(("-", "_", "–")):
                    rec.append(re.sub(r"^[-_–]\s*", "", lines[j].text).rstrip(";,. "))
                elif rec:
                    break
            out.fields["recipients"] = Field("; ".join(rec), lines[i].page, lines[i].box, lines[i].conf / 100)
            break

    _citizen(lines, folded, out)
    out.fields["page_count"] = Field(str(max((l.page for l in lines), default=0)) if lines else None, confidence=1.0)
    return out


def _symbol_from(original: str, folded_symbol: str) -> str:
    """The symbol as printed (capitals, Đ), with spaces removed: ``QĐ-UBND``, ``UBND-KGVX``."""
    m = re.search(r"/\s*((?:\d{4}\s*/\s*)?[^\s/]+(?:\s*-\s*[^\s]+)*)", nfc(original))
    raw = m.group(1) if m else folded_symbol
    return re.sub(r"\s+", "", raw).rstrip(".,;").replace("Ð", "Đ")  # printed case kept: TTr, QyĐ


def _continues_subject(first: Line, prev: Line, nxt: Line, folded_next: str) -> bool:
    """The subject's next line: centred under it, no wider, right below (the body starts after a gap)."""
    if folded_next.startswith(("kinh gui", "can cu", "chu tich", "quyet dinh", "dieu ", "cong hoa", "doc lap")):
        return False
    centred = abs((nxt.box[0] + nxt.box[2] / 2) - (first.box[0] + first.box[2] / 2)) < 0.1 * first.box[2] + 20
    no_wider = nxt.box[2] <= first.box[2] * 1.05
    close = nxt.box[1] - (prev.box[1] + prev.box[3]) < 0.9 * max(prev.box[3], 1)
    return centred and no_wider and close


def _signer(lines: list[Line], folded: list[str], out: Extracted) -> None:
    for i in range(len(lines) - 1, -1, -1):
        m = AUTHORITY.match(folded[i])
        if not m:
            continue
        authority = nfc(lines[i].text.strip())
        out.fields["signing_authority"] = _found(m.group(1).upper() + ".", lines[i])
        out.fields["authority_line"] = _found(authority, lines[i])
        after = [j for j in range(i + 1, min(len(lines), i + 6)) if lines[j].page == lines[i].page and _below_same_column(lines[i], lines[j])]
        after = [j for j in after if sum(c.isalpha() for c in lines[j].text) >= 3]  # not a speck
        if after:
            out.fields["signer_position"] = _found(nfc(lines[after[0]].text), lines[after[0]])
            name_line = after[-1] if len(after) > 1 else None
            if name_line is not None and _looks_like_name(lines[name_line].text):
                out.fields["signer_name"] = _found(nfc(lines[name_line].text), lines[name_line])
        break
    else:
        for i in range(len(lines) - 1, -1, -1):  # "GIÁM ĐỐC" alone, then the name
            if folded[i] in ("giam doc", "chu tich", "chanh van phong", "truong phong", "pho giam doc") and i + 1 < len(lines):
                out.fields["signer_position"] = _found(nfc(lines[i].text), lines[i])
                nxt = [j for j in range(i + 1, min(len(lines), i + 4)) if _below_same_column(lines[i], lines[j]) and _looks_like_name(lines[j].text)]
                if nxt:
                    out.fields["signer_name"] = _found(nfc(lines[nxt[-1]].text), lines[nxt[-1]])
                break
    if "signer_name" not in out.fields:
        out.fields["signer_name"] = _missing("no signer block (authority line, position, name) was found")


def _below_same_column(a: Line, b: Line) -> bool:
    ca, cb = a.box[0] + a.box[2] / 2, b.box[0] + b.box[2] / 2
    return b.box[1] > a.box[1] and abs(ca - cb) < max(a.box[2], b.box[2]) * 0.75


def _looks_like_name(text: str) -> bool:
    words = nfc(text).split()
    return 2 <= len(words) <= 6 and all(w[:1].isupper() for w in words) and not any(ch.isdigit() for ch in text)


def _citizen(lines: list[Line], folded: list[str], out: Extracted) -> None:
    birth: date | None = None
    for i, f in enumerate(folded):
        if "full_name" not in out.fields:
            m = NAME_FIELD.match(f)
            if m:
                value = nfc(lines[i].text.split(":", 1)[1].strip()) if ":" in lines[i].text else m.group(1)
                out.fields["full_name"] = _found(" ".join(w.capitalize() for w in value.split()), lines[i])
        if "date_of_birth" not in out.fields:
            m = BIRTH.match(f)
            if m:
                birth, why = valid_date(m.group(1), m.group(2), m.group(3))
                out.fields["date_of_birth"] = _found(birth.isoformat(), lines[i]) if birth else Field(None, lines[i].page, lines[i].box, 0, why)
        if "address" not in out.fields:
            m = ADDRESS.match(f)
            if m:
                out.fields["address"] = _found(nfc(lines[i].text.split(":", 1)[1].strip()), lines[i])
        if "certificate_number" not in out.fields:
            m = CERT_NO.match(f)
            if m:
                out.fields["certificate_number"] = _found(lines[i].text.split(":", 1)[1].strip(), lines[i])
        if "certificate_date" not in out.fields:
            m = CERT_DATE.search(f)
            if m:
                when, why = valid_date(*m.groups())
                out.fields["certificate_date"] = _found(when.isoformat(), lines[i]) if when else Field(None, lines[i].page, lines[i].box, 0, why)
    for i, f in enumerate(folded):
        m = PERSON_ID.search(f)
        if m:
            value, why = check_personal_id(m.group(1), birth)
            conf = lines[i].conf / 100 if not why else 0.2
            out.fields["personal_id"] = Field(value if value and not (why and "digits" in why) else None, lines[i].page, lines[i].box, round(conf, 3), why)
            break


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
