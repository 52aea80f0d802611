"""Citizen fields of applications, declarations, certificates, permits and ID cards: the applicant's (or
holder's) name, date of birth, personal identification number and permanent address, and a certificate's
number and date.

Fields are read after their labels, in the many wordings forms use (``Sinh ngày:``, ``Số CMND/CCCD:``,
``Nơi cư trú:``, bilingual ID-card labels with the value on the next line); a line may hold several fields
(``Ngày sinh: ... Giới tính: ...``), a value may wrap onto the next line (an address), an ID may be printed
in boxes (digits apart). The first labelled value counts: the applicant's fields come before a family table.
"""

from __future__ import annotations

import re
from datetime import date

from ingest.extract_base import (DATE_NUMERIC, DATE_WORDS, Extracted, Field, check_personal_id, clean, digits, found, is_upper, letters,
                                 looks_like_name, title_case, valid_date)
from ingest.extract_header import Doc, title_line
from ingest.extract_places import UNIT, snap_name
from ingest.extract_words import restore_name
from storage.text import fold

_TAIL = r"[^:\n]{0,60}?(?::|\.?\s*$)"  # what may stand between a label and its colon: its English twin ("/ Full name")
NAME_LABELS = [
    re.compile(rf"(?:^|\s)(?:\d+\s*[.)]\s*)?ho\s*(?:va\s*|,\s*chu\s*dem\s*va\s*|,\s*)?ten(?:\s*nguoi\s*de\s*nghi|\s*khai\s*sinh|\s*chu\s*ho)?\s*(?:/{_TAIL}|:|full\s*name\s*[:.]?)"),
    re.compile(r"(?:^|\s)(?:\d+\s*[.)]\s*)?(?:chu\s*ho\s*kinh\s*doanh|chu\s*co\s*so|cap\s*cho|ten\s*thuong\s*nhan|nguoi\s*de\s*nghi)\s*:"),
    re.compile(r"^\s*(?:ong|ba)\s*:"),
]
BIRTH_LABEL = re.compile(rf"(?:^|\s)(?:\d+\s*[.)]\s*)?(?:ngay\s*,?\s*thang\s*,?\s*nam\s*sinh|ngay\s*sinh|sinh\s*ngay)\s*(?:/{_TAIL}|:)?")
ID_LABEL = re.compile(rf"(?:so\s*dinh\s*danh(?:\s*ca\s*nhan)?|so\s*(?:cccd|cmnd\s*/\s*cccd|cmnd|the\s*can\s*cuoc|can\s*cuoc(?:\s*cong\s*dan)?)|cccd\s*so|"
                      rf"so\s*giay\s*to\s*phap\s*ly(?:\s*cua\s*ca\s*nhan)?|^\s*so\s*\W?\s*/\s*no\.?)\s*(?:/{_TAIL}|:)?")
ADDRESS_LABELS = [
    re.compile(rf"(?:^|\s)(?:\d+\s*[.)]\s*)?(?:dia\s*chi\s*thuong\s*tru|noi\s*thuong\s*tru|noi\s*cu\s*tru|noi\s*dkhk\s*thuong\s*tru|noi\s*o\s*hien\s*nay)\s*(?:/{_TAIL}|:)"),
    re.compile(r"(?:^|\s)(?:\d+\s*[.)]\s*)?dia\s*chi\s*tru\s*so(?:\s*chinh)?\s*:"),
    re.compile(r"^\s*(?:[-–]\s*)?(?:\d+\s*[.)]\s*)?dia\s*chi\s*:"),
]
CERT_NO_LABEL = re.compile(r"(?:ma\s*so\s*(?:ho\s*kinh\s*doanh|doanh\s*nghiep)|so\s*giay\s*chung\s*nhan|so\s*giay\s*phep)\s*:\s*")
CERT_DATE_LABEL = re.compile(r"(?:dang\s*ky\s*lan\s*dau|cap\s*lan\s*dau|^\s*cap\s*ngay|^\s*ngay\s*cap)\s*:\s*")
SERIAL = re.compile(r"^\s*([a-z]{2})\s*([0-9oOlI]{6})\s*$")
MRZ = re.compile(r"[IT1l]DVNM\s*([0-9O]{9})\s*([0-9O])\s*([0-9O]{12})")
_NEXT_LABEL = re.compile(r"(?:^|[\s,;])((?:[^\s,;:]+\s+){0,5}[^\s,;:]+)\s*:")
_LABEL_START = re.compile(r"^\s*(?:[-–]\s*)?(?:\d+\s*[.)]\s*|[a-zđ]\)\s*)?(?:[^\s:]+\s+){0,6}[^\s:]+\s*:")


def _after(doc: Doc, i: int, end: int) -> str:
    return doc.lines[i].text[end:].strip()


_LABEL_WORDS = re.compile(r"(?:^|[\s,;])((?:\d+\s*[.)]\s*)?(?:gioi tinh|dan toc|quoc tich|ton giao|noi cap|ngay cap|cap ngay|so dien thoai|dien thoai|"
                          r"email|sinh nam|nam sinh|cccd so|so dinh danh(?: ca nhan)?|so cccd|nghe nghiep|noi sinh|que quan|sex|nationality)"
                          r"[^:]{0,25}:)")


def _cut_next_label(doc: Doc, i: int, start: int, keep_comma: bool = False) -> str:
    """The value from ``start`` to the next label on the same line (``Giới tính:``, ``, cấp ngày``)."""
    keep = doc.keep[i]
    m = _LABEL_WORDS.search(keep, start)
    if m:
        end = m.start(1)
    else:
        colon = keep.find(":", start)
        if colon < 0:
            end = len(keep)
        else:  # an unknown label: the two words before its colon
            words = list(re.finditer(r"\S+", keep[start:colon]))
            end = start + words[-2].start() if len(words) >= 3 else start + (words[0].start() if words else 0)
    cap = re.search(r"[,;]\s*(cap\s*ngay|ngay\s*cap|sinh\s*nam|noi\s*cap|so\s*dinh\s*danh|cccd)", keep[start:end])
    if cap:
        end = start + cap.start()
    value = doc.lines[i].text[start:end]
    return value.strip(" ;.").lstrip(",") if keep_comma else value.strip(" ,;.")


def _next_line(doc: Doc, i: int) -> int | None:
    """The line right under line ``i`` (its value when the label ends the line), not itself a label."""
    l = doc.lines[i]
    p = doc.page(i)
    below = [j for j in doc.on(l.page) if doc.lines[j].top > l.top + 0.5 * l.box[3] and doc.lines[j].top - l.bottom < 1.3 * max(l.box[3], p.line_h)
             and doc.lines[j].left < l.left + 0.5 * max(l.box[2], 1) and doc.lines[j].right > l.left]
    if not below:
        return None
    j = min(below, key=lambda j: doc.lines[j].top)
    return None if _LABEL_START.match(fold_keep_text(_strip_card_expiry(doc, j))) else j


def _name_value(text: str) -> str | None:
    words = clean(text).strip(" ,;.").split()
    if len(words) > 3 and fold(" ".join(words[:3])) == "ho kinh doanh":  # "Hộ kinh doanh NGUYỄN VĂN AN"
        words = words[3:]
    for k in ("ông", "bà"):
        if words and fold(words[0]) == fold(k):
            words = words[1:]
    best = []
    for w in words:
        if w.strip(",;").isalpha() and w[:1].isupper():
            best.append(w.strip(",;"))
            if w.endswith((",", ";")):
                break
        else:
            break
    if 2 <= len(best) <= 6 and looks_like_name(" ".join(best)):
        return restore_name(title_case(" ".join(best)))
    return None


_UNIT_WORD = r"(?:tỉnh|thành phố|huyện|quận|thị xã|phường|xã|thị trấn|Tỉnh|Thành phố|Huyện|Quận|Thị xã|Phường|Xã|Thị trấn)"
_ADDRESS_WORDS = {"so": "Số", "to": "Tổ", "ap": "Ấp", "thon": "Thôn", "xom": "Xóm", "khu pho": "khu phố", "duong": "đường", "ngo": "ngõ",
                  "hem": "hẻm", "kiet": "kiệt", "khom": "khóm", "lo": "lô", "can ho": "căn hộ"}


def _address_word(part: str) -> str:
    """The street part's leading word as clerks spell it (Tổ 20, Ấp Tân Hòa, đường ...), a street named after a
    person with the name put right (đường Huynh Thúc Kháng → Huỳnh)."""
    text = part
    house = re.match(r"^([Ss]ố\s+)((?:[0-9Il|]+\s)*[0-9Il|]*\d[0-9Il|/]*)(?=\s+\S)", text)
    if house and re.search(r"[Il|]", house.group(2)):  # "Số I I7": the house number's 1s read as I, spaced out
        number = re.sub(r"\s+", "", house.group(2)).translate(str.maketrans("Il|", "111"))
        text = house.group(1) + number + text[house.end():]
    for key, word in sorted(_ADDRESS_WORDS.items(), key=lambda kv: -len(kv[0])):
        n = len(key.split())
        head = " ".join(text.split()[:n])
        if head and fold(head) == key and head != word and (len(text.split()) > n):
            nxt = text.split()[n]
            if key in ("so", "to") and not nxt[:1].isdigit():
                continue
            cased = word[:1].upper() + word[1:] if head[:1].isupper() else word[:1].lower() + word[1:]
            text = cased + text[len(head):]
            break
    m = re.search(r"(?<!\w)[đĐ]ường\s+(.+)$", text) or re.search(r"(?:^Số\s+[\d/]+|^\d[\d/]*)\s+(.+)$", text)
    name = m.group(1).strip() if m else ""
    unit = fold(name.split()[0]) in {"lo", "khu", "to", "ap", "ngo", "hem", "kiet", "can", "day", "toa", "khom", "xom", "thon"} if name else False
    if name and not unit and all(w[:1].isupper() for w in name.split()) and looks_like_name(name):  # a street named after a person
        first, _, rest = name.partition(" ")
        fixed = restore_name(f"{first} {rest}").split()[0] if rest else first
        text = text[: m.start(1)] + fixed + text[m.start(1) + len(first):]
    return text


def snap_address(text: str) -> str:
    """An address as printed, its commune, district and province names spelled as the gazetteers spell them
    (a comma OCR lost between two units put back)."""
    text = re.sub(rf"({_UNIT_WORD}\s+)[Il|](?=\s*(?:,|$))", r"\g<1>1", clean(text))  # "phường I": OCR's I for 1
    text = re.sub(rf"(?<=[^\s,])(?<!\bthị)(?<!\bThị)(?<!\bthành)(?<!\bThành)\s+(?={_UNIT_WORD}\s+[A-ZĐÀ-Ỹ0-9])", ", ", text)
    parts = [p.strip() for p in text.strip(" ,;.").split(",")]
    out = []
    n = len(parts)
    for k, part in enumerate(parts):
        f = fold(part)
        m = UNIT.match(f)
        if m and not f.startswith(("thanh pho ho chi minh",)):
            typ_len = len(m.group(1))
            typ, rest = part[:typ_len], part[typ_len:].strip(" .")
            tables = {"tinh": ("p",), "thanh pho": ("p", "d"), "tp": ("p", "d"), "tp.": ("p", "d"), "huyen": ("d",), "quan": ("d",),
                      "thi xa": ("d",), "xa": ("c",), "phuong": ("c",), "thi tran": ("c",)}.get(m.group(1), ("p", "d", "c"))
            name, _ok = snap_name(rest, tables)
            out.append(f"{typ} {name}")
        elif k >= max(1, n - 3) and (part[:1].isupper() or re.match(r"^l[a-zà-ỹ]*\s+[A-ZĐÀ-Ỹ]", part)) \
                and not re.match(r"^(so|to|ap|thon|khu|duong|xom|lo|can|ngo|hem|kiet)\b", f) and not any(ch.isdigit() for ch in part):
            name, ok = snap_name("I" + part[1:]) if part[:1] == "l" else (None, False)  # "la Ka": OCR's l for I
            out.append(name if ok else snap_name(part)[0])
        else:
            out.append(_address_word(part) if k == 0 or k < n - 3 else part)
    return ", ".join(out)


_EXPIRY = re.compile(r"c[o0]\s*g[a-z]{0,2}(?:\s*[a-z]{1,3})?\s*d[a-z]{1,2}n\s*[:.]?\s*[0-9]{1,2}\s*/\s*[0-9]{1,2}\s*/\s*[0-9]{4}")
_HEADING = re.compile(r"^([ivxlh]{1,4}|[0-9]{1,2}|[a-zđ])\s*[.)]\s")


def _strip_card_expiry(doc: Doc, i: int) -> str:
    """An ID card's "Có giá trị đến: dd/mm/yyyy" under its photo is level with the address's second line, and
    OCR reads the two as one line: the expiry is cut out."""
    text = doc.lines[i].text
    m = _EXPIRY.search(doc.keep[i])
    if m:
        text = (text[: m.start()] + " " + text[m.end():]).strip()
    return clean(text)


def _complete(value: str) -> bool:
    """An address ends with its province (tỉnh An Giang, Thành phố Hà Nội, or the bare name on a card)."""
    last = clean(value).rstrip(" ,;.").split(",")[-1].strip()
    f = fold(last)
    from ingest.extract_places import provinces

    m = re.match(r"^(tinh|tp\.?|thanh pho)\s+(.+)$", f)
    if m:
        return bool(provinces().lookup(last.split(None, 2 if m.group(1) == "thanh pho" else 1)[-1], fuzzy=False)) and \
            (m.group(1) == "tinh" or bool(provinces().lookup(last, fuzzy=False)) or m.group(1).startswith("tp"))
    hit = provinces().lookup(last, fuzzy=False)
    return bool(hit) and "," in value and not re.match(r"^(thanh pho|huyen|quan|thi xa)", f)


def _address_value(doc: Doc, i: int, start: int) -> tuple[str, list[int]]:
    value = _cut_next_label(doc, i, start, keep_comma=True)
    used = [i]
    j = i
    p = doc.page(i)
    for _ in range(3):  # an address wraps onto the next lines (an ID card: up to three)
        if value and _complete(value):
            break
        nxt = _next_line(doc, j)
        if nxt is None:
            break
        t = _strip_card_expiry(doc, nxt)
        f = fold(t)
        if not t or _LABEL_START.match(fold_keep_text(t)) or _HEADING.match(f) or re.match(r"^[-–•]\s", t) or f.startswith("noi dang ky"):
            break
        if len(t.split()) >= 9 and t.rstrip().endswith(".") or doc.lines[nxt].box[2] > 0.9 * p.width and len(value.split(",")) >= 3:
            break  # a sentence of the body, not the end of an address
        value = f"{value} {t}" if value else t
        used.append(nxt)
        j = nxt
    return value.strip(" ,;"), used


def fold_keep_text(text: str) -> str:
    from ingest.extract_base import fold_keep

    return fold_keep(text)


def _read_id(raw: str, birth: date | None) -> tuple[str | None, str | None]:
    """The 12 digits of an ID as read: plain, or printed in boxes, where OCR reads the box lines as |, I, l or 1."""
    plain = re.sub(r"[^0-9oOlI!]", "", raw)
    value, why = check_personal_id(plain, birth)
    boxed = len(re.findall(r"[|\[\]I!lL(){}/]", raw)) >= 3 or len(re.findall(r"\d\s+\d", raw)) >= 4
    if not why or not boxed:
        return value, why
    groups = [g for g in re.split(r"[|\[\]I!lL(){}/\s]+", raw.replace("o", "0").replace("O", "0").replace("S", "5")) if g]
    ones = [(gi, k) for gi, g in enumerate(groups) if len(g) > 1 for k, ch in enumerate(g) if ch == "1"]
    if len(ones) > 12:
        return value, why
    best = None
    for mask in range(1 << len(ones)):
        seps = {ones[b] for b in range(len(ones)) if mask >> b & 1}
        ds = "".join(ch for gi, g in enumerate(groups) for k, ch in enumerate(g) if (gi, k) not in seps)
        if len(ds) != 12 or not ds.isdigit():
            continue
        v, w = check_personal_id(ds, birth)
        if v and not w:
            # box lines alternate with digits: the fewer digits side by side, the likelier the reading
            adjacent = sum(1 for gi, g in enumerate(groups) for k in range(len(g) - 1) if (gi, k) not in seps and (gi, k + 1) not in seps)
            if best is None or adjacent < best[0]:
                best = (adjacent, v)
    return (best[1], None) if best else (value, why)


def citizen(doc: Doc, out: Extracted) -> None:
    birth: date | None = None
    lines = doc.lines
    order = range(len(lines))
    # full name
    for pattern in NAME_LABELS:
        for i in order:
            m = pattern.search(doc.keep[i])
            if not m:
                continue
            value = _name_value(_cut_next_label(doc, i, m.end()))
            src = i
            if value is None and not _after(doc, i, m.end()).strip(" ,;."):
                j = _next_line(doc, i)
                if j is not None:
                    value, src = _name_value(lines[j].text), j
            if value:
                out.fields["full_name"] = found(value, lines[src])
                break
        if "full_name" in out.fields:
            break
    # date of birth
    for i in order:
        m = BIRTH_LABEL.search(doc.keep[i])
        if not m:
            continue
        d = DATE_NUMERIC.search(doc.keep[i], m.end())
        src = i
        if not d:
            j = _next_line(doc, i)
            d = DATE_NUMERIC.search(doc.keep[j]) if j is not None and not _after(doc, i, m.end()) else None
            src = j if d else i
        if not d:
            continue
        birth, why = valid_date(d["d"], d["m"], d["y"])
        out.fields["date_of_birth"] = found(birth.isoformat(), lines[src]) if birth else Field(None, lines[src].page, lines[src].box, 0.0, why)
        break
    # personal identification number
    for i in order:
        m = ID_LABEL.search(doc.keep[i])
        if not m:
            continue
        raw_text, src = lines[i].text[m.end():], i
        if not re.search(r"\d", raw_text):
            j = _next_line(doc, i)
            if j is None:
                continue
            raw_text, src = lines[j].text, j
        raw = re.match(r"^[\s:|.]*((?:[0-9oOlIL|!\]\[(){}/S]\s*){1,40})", raw_text)
        if not raw:
            continue
        value, why = _read_id(raw.group(1), birth)
        conf = lines[src].conf / 100 if not why else 0.2
        keep = value if value and not (why and "digits" in why) else None
        out.fields["personal_id"] = Field(keep, lines[src].page, lines[src].box, round(conf, 3), why)
        break
    if out.fields.get("personal_id") is None or out.fields["personal_id"].value is None:
        for i in order:  # the machine-readable zone of an ID card: IDVNM, document number, check digit, the 12 digits
            m = MRZ.search(lines[i].text.replace(" ", "").upper())
            if m:
                pid = m.group(3).replace("O", "0")
                value, why = check_personal_id(pid, birth)
                if value and not why and pid[3:] == m.group(1).replace("O", "0"):
                    out.fields["personal_id"] = found(value, lines[i], 0.8)
                    break
    # permanent address
    for pattern in ADDRESS_LABELS:
        for i in order:
            m = pattern.search(doc.keep[i])
            if not m:
                continue
            value, used = _address_value(doc, i, m.end())
            if letters(value) >= 4:
                out.fields["address"] = found(snap_address(value), lines[i], None, [lines[j] for j in used])
                break
        if "address" in out.fields:
            break
    _certificate(doc, out)


def _certificate(doc: Doc, out: Extracted) -> None:
    lines = doc.lines
    t = title_line(doc, doc.first)
    kind = t[1] if t else ""
    permit = kind.startswith("giay phep")
    certificate = kind.startswith("giay chung nhan")
    if permit and out.value("number_symbol"):
        f = out.fields["number_symbol"]
        out.fields["certificate_number"] = Field(f.value, f.page, f.box, f.confidence)
    else:
        for i in range(len(lines)):
            m = CERT_NO_LABEL.search(doc.keep[i])
            if m:
                raw = re.match(r"[\s:]*([0-9A-Za-zĐđ/\-.]+(?:\s[0-9]{2,})*)(?![^\s])", lines[i].text[m.end():])
                if raw:
                    value = re.sub(r"(?<=\d)\s(?=\d)", "", raw.group(1)).strip(".").replace("đ", "Đ")
                    out.fields["certificate_number"] = found(value.upper() if not "/" in value else value, lines[i])
                    break
        if "certificate_number" not in out.fields and certificate:
            for i in doc.on(doc.first)[:25]:
                m = SERIAL.match(doc.keep[i])
                if m and is_upper(lines[i].text[:2], 1.0):
                    head = lines[i].text.strip()[:2].replace("Ð", "Đ")
                    out.fields["certificate_number"] = found(f"{head} {digits(m.group(2))}", lines[i])
                    break
    if not (permit or certificate or "certificate_number" in out.fields):
        return
    for i in range(len(lines)):
        m = CERT_DATE_LABEL.search(doc.keep[i])
        if not m:
            continue
        d = DATE_WORDS.search(doc.keep[i], m.start()) or DATE_NUMERIC.search(doc.keep[i], m.end())
        if d:
            when, why = valid_date(d["d"], d["m"], d["y"])
            out.fields["certificate_date"] = found(when.isoformat(), lines[i]) if when else Field(None, lines[i].page, lines[i].box, 0.0, why)
            return
    if out.value("issue_date"):
        f = out.fields["issue_date"]
        out.fields["certificate_date"] = Field(f.value, f.page, f.box, f.confidence)  # a certificate is dated by its date of issue
