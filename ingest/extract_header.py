"""The Decree 30 header and title: number and symbol, place and date of issue, issuing agency and its parent,
the type name and the subject (trích yếu), and a copy's own form (SAO Y / TRÍCH SAO / SAO LỤC).

Everything is found from where lines sit, as a clerk reads the page: the agency block is what stands left of
the national motto above the ``Số:`` line, the place and date stand under the motto, the subject is the
centred block right under the type name (or the ``V/v`` lines under the number of a công văn).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ingest.doctypes import BY_TITLE
from ingest.extract_base import (DATE_WORDS, Extracted, Field, Line, Page, clean, digits, fold_keep, found, is_upper, letters, missing,
                                 valid_date)
from ingest.extract_places import snap_agency, snap_place, snap_symbol_part
from ingest.extract_words import restore_tones
from storage.text import fold

# "Số: 12/QĐ-UBND" on folded text: OCR's "S6:", "5ố", a missing colon, spaces around the slash and the dash
NUMBER = re.compile(r"^[s5][o06]?\s*[:;.,]?\s*([0-9olI|i!§]{1,6}(?:\s[0-9]{1,3})?)\s*[/\\]\s*((?:\d{4}\s*/\s*)?[a-z0-9đ]+(?:\s*[-–]\s*[a-z0-9đ]+)*)")
_NUMBER_KEEP = re.compile(r"^\s*[s5][o06]?\s*[:;.,]?\s*(?P<n>[0-9olI|i!§]{1,6}(?:\s[0-9]{1,3})?)\s*(?:[/\\]\s*|(?=[a-z]{2,}[a-z0-9]*\s*[-–]))(?P<s>(?:[0-9olI|]{4}\s*/\s*)?[a-z0-9]+(?:\s*[-–]\s*[a-z0-9]+)*)")
MOTTO = re.compile(r"(cong\s*h[o0]a\s*x[a-z]\s*h[o0]i|x[a-z]\s*h[o0]i\s*ch[u]\s*ngh[i1]a|doc\s*l[a]p\s*[-–]|t[u]\s*do\s*[-–]\s*h[a]nh)")
COPY_FORM = re.compile(r"^(sao\s*y(\s*ban\s*chinh)?|trich\s*sao|sao\s*luc)\s*[.:]?$")
COPY_ABBR = {"sy": "sao_y", "trs": "trich_sao", "sl": "sao_luc"}
_ORG_START = re.compile(r"^(uy ban|u ban|ubnd|hoi dong|hdnd|so |phong |ban |bo |cuc |chi cuc|tong cuc|van phong|trung tam|cong an|bao hiem|"
                        r"thanh tra|vu |kho bac|truong |benh vien|dang uy|thuong truc|chinh phu|thu tuong|ngan hang|cong ty|hop tac xa|vien |"
                        r"toa an|vien kiem sat|doan |mat tran|lien doan|hoi )")
_UNIT_START = re.compile(r"^(tinh|thanh pho|tp\b|huyen|quan|thi xa|thi tran|xa|phuong)\b")
_MARKS = ("hoa toc", "thuong khan", "khan", "mat", "toi mat")

# full titles that are not a type name followed by the subject
_WHOLE_TITLES = ("thong cao bao chi", "thu chuc mung", "thu cam on", "thu khen", "thu tham hoi", "thu ngo", "giay chung nhan", "giay phep",
                 "to khai", "don de nghi", "don", "can cuoc")


@dataclass
class Copy:
    """A copy's form: the lines from its agency block down, on one page."""

    page: int
    top: float
    form: int  # index of the SAO Y / TRÍCH SAO / SAO LỤC line
    code: str  # sao_y, trich_sao, sao_luc


class Doc:
    """The lines of a document with what every rule needs: folded texts and page geometry."""

    def __init__(self, lines: list[Line]):
        from ingest.extract_base import pages_of

        self.lines = lines
        self.keep = [fold_keep(l.text) for l in lines]
        self.folded = [" ".join(k.split()) for k in self.keep]
        self.pages: dict[int, Page] = pages_of(lines)
        self.first = lines[0].page if lines else 1
        self.last = lines[-1].page if lines else 1

    def on(self, page: int) -> list[int]:
        p = self.pages.get(page)
        return list(p.lines) if p else []

    def page(self, i: int) -> Page:
        return self.pages[self.lines[i].page]


# --- helpers ---------------------------------------------------------------------------------------------------


def motto_left(doc: Doc, i: int) -> float:
    """Where the motto starts on its line (OCR may have glued the agency column to it): by character share."""
    l = doc.lines[i]
    m = MOTTO.search(doc.keep[i])
    if not m or m.start() == 0:
        return l.left
    return l.left + l.box[2] * m.start() / max(1, len(doc.keep[i]))


def _motto(doc: Doc, idx: list[int]) -> int | None:
    for i in idx:
        if MOTTO.search(doc.folded[i]) and doc.folded[i].startswith(("cong", "doc", "c", "d")):
            return i
    for i in idx:
        if MOTTO.search(doc.folded[i]):
            return i
    return None


def title_row(doc: Doc, i: int) -> list[int]:
    """Line ``i`` and the piece of capitals right beside it on the same row, if any (a title OCR cut in two)."""
    l = doc.lines[i]
    beside = [j for j in doc.on(l.page) if j != i and abs(doc.lines[j].top - l.top) < 0.5 * l.box[3]
              and 0 <= doc.lines[j].left - l.right < 2 * l.box[3] and is_upper(doc.lines[j].text, 0.7)]
    return [i] + sorted(beside, key=lambda j: doc.lines[j].left)[:1]


def title_line(doc: Doc, page: int, below: float = -1) -> tuple[int, str] | None:
    """The type name under the header: a centred line in capitals starting with a known title (read with its
    spaces lost, ĐEAN, or cut in two pieces on one row, PHƯƠNG / ÁN SẮP XẾP ...)."""
    p = doc.pages.get(page)
    if not p:
        return None
    order = sorted(doc.on(page), key=lambda i: doc.lines[i].top)
    for i in order:
        l = doc.lines[i]
        if l.top <= below or not is_upper(l.text, 0.7):
            continue
        row = title_row(doc, i)[1:]
        text = " ".join([doc.folded[i]] + [doc.folded[j] for j in row])
        right = doc.lines[row[0]].right if row else l.right
        if abs((l.left + right) / 2 - p.mid) > 0.15 * p.width:
            continue
        f = " ".join(re.sub(r"[^a-z ]", " ", text).split())
        squeezed = f.replace(" ", "")
        for key, _t in BY_TITLE:
            if f == key or f.startswith(key + " ") or squeezed == key.replace(" ", ""):
                return i, key
    return None


def _number_at(doc: Doc, i: int) -> tuple[str, str] | None:
    m = _NUMBER_KEEP.match(doc.keep[i])
    if not m:
        return None
    ds = digits(m["n"])
    if not ds.isdigit() or not re.search(r"[0-9]", m["n"]):
        return None
    number = (ds.lstrip("0") or "0").zfill(2)
    raw = doc.lines[i].text[m.start("s"):m.end("s")]
    return number, _symbol(raw)


def _symbol(raw: str) -> str:
    """The symbol as printed, spaces removed, each part put right against the known parts (QĐ, HĐND, TTr)."""
    raw = re.sub(r"\s+", "", clean(raw)).strip(".,;:").replace("–", "-")
    parts = re.split(r"([-/])", raw)
    out = []
    for part in parts:
        if part in "-/":
            out.append(part)
            continue
        hit = snap_symbol_part(part)
        out.append(hit if hit else part)
    return "".join(out)


# --- copy form ---------------------------------------------------------------------------------------------------


def find_copy(doc: Doc, hint: str | None) -> Copy | None:
    """A copy's own form after the copied document: its title line with a number like 05/SY-VP beside it."""
    if hint is not None and hint not in ("sao_y", "trich_sao", "sao_luc"):
        return None
    best = None
    for i, f in enumerate(doc.folded):
        if not COPY_FORM.match(f.strip()):
            continue
        l = doc.lines[i]
        # its number: a Số line at about the same height (left column), with SY / TrS / SL
        numbered = None
        for j in doc.on(l.page):
            n = _number_at(doc, j)
            if n and abs(doc.lines[j].top - l.top) < 8 * doc.page(i).line_h:
                abbr = fold(n[1].split("-")[0])
                if abbr in COPY_ABBR:
                    numbered = j
                    break
        if numbered is None and hint is None and not (i > 0 and doc.lines[i].page > doc.first):
            continue
        code = "sao_y" if f.startswith("sao y") else "trich_sao" if f.startswith("trich") else "sao_luc"
        # the copying agency's lines start level with the form name
        best = Copy(l.page, l.top - 0.5 * doc.page(i).line_h, i, code)
    return best


def copy_lines(doc: Doc, copy: Copy) -> list[int]:
    return [i for i in doc.on(copy.page) if doc.lines[i].top >= copy.top]


# --- number ---------------------------------------------------------------------------------------------------------


def number(doc: Doc, out: Extracted, copy: Copy | None) -> None:
    candidates = copy_lines(doc, copy) if copy else doc.on(doc.first)
    if copy:
        region = [i for i in candidates if _number_at(doc, i)]
        region += [i for i in doc.on(doc.first) if i not in region]
        candidates = region
    for i in candidates:
        n = _number_at(doc, i)
        if n:
            num, sym = n
            line = doc.lines[i]
            out.fields["number"] = found(num, line)
            out.fields["symbol"] = found(sym, line)
            out.fields["number_symbol"] = found(f"{num}/{sym}", line)
            return
    out.fields["number_symbol"] = missing("no 'Số: ../..' line was found")


# --- place and date ----------------------------------------------------------------------------------------------

_NOT_PLACE = re.compile(r"^(?:.*\s)?(can cu|theo|quyet dinh|nghi dinh|thong tu|luat|ke tu|thoi gian|dia diem|hieu luc|vao luc|hom nay|"
                        r"thong qua|cong van|ke hoach|truoc|den het|tu ngay|cap ngay|ngay cap|sinh)(?:\s|$)")
_UNIT_WORDS = {"tinh", "thanh", "pho", "huyen", "quan", "thi", "xa", "phuong", "tran", "tp", "tp."}


def _place_words(before: str) -> str | None:
    """The place a date line starts with: its trailing capitalised words (an agency's capitals OCR glued in
    front of it, "TRUNG TÂM PHỤC VỤ HÀNH Quảng Ngãi", are left out); the longest run a gazetteer knows wins."""
    words = before.split()
    for k in range(min(6, len(words)), 0, -1):  # "VỊ Thanh", "Bà Rịa - Vũng Tàu": whatever the gazetteers know
        cand = " ".join(words[-k:]).strip(",.;:()")
        if cand[:1].isupper() and snap_place(cand)[1] and (k == len(words) or not snap_place(" ".join(words[-k - 1:]))[1]):
            return cand
    out: list[str] = []
    for w in reversed(words):
        bare = w.strip(",.;:()")
        if not bare:
            continue
        f = fold(bare)
        titled = bare[:1].isupper() and not (len(bare) > 1 and bare.isupper() and not bare.isdigit() and f not in ("tp",))
        if titled or f in _UNIT_WORDS or (bare.isdigit() and len(bare) <= 2) or bare in ("-", "–"):
            out.insert(0, bare if w[-1:] != "." or f != "tp" else w)
            continue
        if bare.isupper() and out and len(bare) > 1:
            break
        return None
    if not out or len(out) > 6 or not out[0][:1].isupper():
        return None
    return " ".join(out)


def _date_candidates(doc: Doc, idx: list[int]):
    """(index, kind, date or None, reason, place text) of the lines that carry a written date."""
    for i in idx:
        m = DATE_WORDS.search(doc.keep[i])
        if not m:
            continue
        before = doc.lines[i].text[: m.start()].strip(" ,.;-–")
        fb = fold(before)
        when, why = valid_date(m["d"], m["m"], m["y"])
        place = _place_words(before) if before and ":" not in before and not _NOT_PLACE.match(fb) else None
        if "hom nay" in fb:
            kind = "today"
        elif not before:
            kind = "bare"
        elif place:
            kind = "place"
            before = place
        else:
            kind = "body"
        yield i, kind, when, why, before


def place_date(doc: Doc, out: Extracted, copy: Copy | None) -> None:
    chosen = None
    if copy:
        for c in _date_candidates(doc, copy_lines(doc, copy)):
            if c[1] in ("place", "bare"):
                chosen = c
                break
    if chosen is None:
        first = doc.on(doc.first)
        p = doc.pages.get(doc.first)
        title = title_line(doc, doc.first)
        limit = doc.lines[title[0]].top if title else (p.top + 0.35 * (p.bottom - p.top) if p else 0)
        cands = list(_date_candidates(doc, first))
        header = [c for c in cands if c[1] in ("place", "bare") and doc.lines[c[0]].top < limit and (c[1] == "place" or doc.lines[c[0]].cx > p.mid)]
        if header:
            chosen = header[0]
    if chosen is None:
        cands = list(_date_candidates(doc, list(range(len(doc.lines)))))
        for kinds in (("place",), ("today",)):  # a place-and-date line stands in the right column (above a signature)
            hit = [c for c in cands if c[1] in kinds and (c[1] == "today" or doc.lines[c[0]].cx > doc.page(c[0]).mid)]
            if hit:
                chosen = hit[0]
                break
    if chosen is None:
        out.fields["issue_date"] = missing("no '..., ngày .. tháng .. năm ....' line was found")
        return
    i, kind, when, why, before = chosen
    line = doc.lines[i]
    out.fields["issue_date"] = found(when.isoformat(), line) if when else Field(None, line.page, line.box, 0.0, why)
    if kind == "place":
        place, snapped = snap_place(before)
        out.fields["place"] = found(place, line, max(0.9, line.conf / 100) if snapped else line.conf / 100 * 0.9)


# --- agency -------------------------------------------------------------------------------------------------------


def _agency_block(doc: Doc, idx: list[int], right_limit: float | None, stop_top: float | None) -> list[tuple[int, str]]:
    """(line, text) of the agency block; the motto or a date OCR glued onto an agency line is cut off."""
    out: list[tuple[int, str]] = []
    for i in sorted(idx, key=lambda i: doc.lines[i].top):
        l, f = doc.lines[i], doc.folded[i]
        if stop_top is not None and l.top >= stop_top - 2:
            break
        text = l.text
        cut = [m.start() for m in (MOTTO.search(doc.keep[i]), DATE_WORDS.search(doc.keep[i])) if m]
        if cut and min(cut) > 0:
            text = text[: min(cut)]
            if DATE_WORDS.search(doc.keep[i]):
                words = text.split()
                while words and not is_upper(words[-1], 0.9):
                    words.pop()
                text = " ".join(words)
        elif cut:
            continue
        if right_limit is not None and l.cx > right_limit and not (cut and l.left < right_limit):
            continue
        if letters(text) < 2:
            continue
        if NUMBER.match(f) or re.match(r"^[s5][o06]?\s*[:;]", f) or f.startswith(("v/v", "v/", "kinh gui")) or f.strip(" .") in _MARKS:
            break
        if not is_upper(text, 0.6):
            if out:
                break
            continue
        out.append((i, text))
    return out


def _names(doc: Doc, block: list[tuple[int, str]]) -> list[tuple[str, list[int]]]:
    """The block's lines grouped into names: a new name starts with an organisation's word (SỞ, PHÒNG, UBND...);
    a unit line (TỈNH CÀ MAU) or a wrapped rest joins the name above it."""
    names: list[tuple[str, list[int]]] = []
    for i, raw in block:
        text = clean(raw).strip(" .,;:-_—ˆ")
        f = fold(text)
        joins = bool(names) and snap_agency(f"{names[-1][0]} {text}")[1] and not snap_agency(names[-1][0])[1]
        if names and (not _ORG_START.match(f + " ") or _UNIT_START.match(f) or joins):
            prev, idx = names[-1]
            names[-1] = (f"{prev} {text}", idx + [i])
        else:
            names.append((text, [i]))
    return names


def agency(doc: Doc, out: Extracted, copy: Copy | None) -> None:
    if copy:
        idx = copy_lines(doc, copy)
        form = doc.lines[copy.form]
        p = doc.pages[copy.page]
        nums = [i for i in idx if _number_at(doc, i)]
        stop = doc.lines[nums[0]].top if nums else None
        block = _agency_block(doc, idx, form.left - 0.02 * p.width, stop)
    else:
        idx = doc.on(doc.first)
        if not idx:
            return
        p = doc.pages[doc.first]
        motto = _motto(doc, idx)
        title = title_line(doc, doc.first)
        nums = [i for i in idx if _number_at(doc, i)]
        stop = doc.lines[nums[0]].top if nums and (not title or doc.lines[nums[0]].top < doc.lines[title[0]].top) else None
        if stop is None and title:
            stop = doc.lines[title[0]].top
        if motto is not None:
            m = doc.lines[motto]
            left = motto_left(doc, motto)
            right = left + 0.02 * p.width
            if stop is None:
                stop = m.bottom + 6 * p.line_h
            if (left + m.right) / 2 < p.mid + 0.1 * p.width and left < p.left + 0.25 * p.width:  # a motto centred on top: no agency block
                return
        else:
            right = p.mid
            stop = stop if stop is not None else p.top + 0.2 * (p.bottom - p.top)
        block = _agency_block(doc, [i for i in idx if doc.lines[i].top < (stop or 1e9)], right, stop)
    if not block:
        return
    names = _names(doc, block)
    if not any(_ORG_START.match(fold(t) + " ") or snap_agency(t)[1] for t, _ix in names):
        return  # capitals up there that name no organisation (a garbled or upside-down page)
    snapped = [(snap_agency(t), ix) for t, ix in names]
    (name, ok), ix = snapped[-1]
    lines = [doc.lines[j] for j in ix]
    out.fields["agency"] = found(name, lines[0], None if ok else None, lines)
    if len(snapped) >= 2:
        (pname, _ok), pix = snapped[-2]
        plines = [doc.lines[j] for j in pix]
        out.fields["parent_agency"] = found(pname, plines[0], None, plines)


# --- subject -----------------------------------------------------------------------------------------------------

_SUBJECT_STOP = ("kinh gui", "can cu", "(ban hanh kem", "ban hanh kem", "chuong ", "dieu ", "quyet dinh:", "quyet nghi", "cong hoa", "doc lap",
                 "hom nay", "thuc hien", "xet ")
_VV = re.compile(r"^\s*v\s*(?:[/|l1i\\]\s*v\b|[/\\](?=\s)|w\b)\s*[:.]?\s*")
_VE_VIEC = re.compile(r"^\s*v[e]\s*vi[e]c\s*[:.]?\s*")


def _joined(doc: Doc, first: int, text: str, follow: list[int], column: Line, max_lines: int = 6) -> tuple[str, list[int]]:
    used = [first]
    prev = doc.lines[first]
    p = doc.page(first)
    for j in follow:
        l, f = doc.lines[j], doc.folded[j]
        if len(used) >= max_lines:
            break
        gap = l.top - prev.bottom
        if gap > 0.95 * max(prev.box[3], p.line_h) or gap < -0.5 * prev.box[3]:
            break
        if abs(l.cx - column.cx) > 0.12 * p.width + 0.05 * column.box[2]:
            break
        if f.startswith(_SUBJECT_STOP) or NUMBER.match(f) or (letters(l.text) < 2 and not re.fullmatch(r"[\d\s/.\-]{1,12}", l.text.strip())):
            break
        if is_upper(l.text, 0.9) != is_upper(prev.text, 0.9) and letters(l.text) >= 4 and letters(prev.text) >= 4:
            break  # capitals after a subject in sentence case (the council's name under a resolution's subject), or the reverse
        if re.search(r"(:|trân trọng|kính mời|như sau)\s*$", l.text.strip().lower()) or "tran trong" in f:
            break  # the body's first sentence: "... trân trọng kính mời:"
        text += " " + clean(l.text)
        used.append(j)
        prev = l
    return clean(text), used


def subject(doc: Doc, out: Extracted) -> None:
    first = doc.on(doc.first)
    if not first:
        return
    p = doc.pages[doc.first]
    by_top = sorted(first, key=lambda i: doc.lines[i].top)
    # a công văn: "V/v ..." under the number, in the left column
    for i in by_top:
        m = _VV.match(doc.keep[i])
        if m and doc.lines[i].cx < p.mid:
            l = doc.lines[i]
            follow = [j for j in by_top if doc.lines[j].top > l.top and doc.lines[j].cx < p.mid]
            text, used = _joined(doc, i, l.text[m.end():], follow, l, 4)
            if text:
                out.fields["subject"] = found(restore_tones(text)[:500], l, None, [doc.lines[j] for j in used])
            return
    t = title_line(doc, doc.first)
    if not t:
        return
    i, key = t
    if key in ("giay chung nhan", "giay phep", "to khai", "don de nghi", "can cuoc", "sao y", "trich sao", "sao luc"):
        return
    l = doc.lines[i]
    row = title_row(doc, i)
    row_text = " ".join(clean(doc.lines[j].text) for j in row)
    rest_f = " ".join(re.sub(r"[^a-z ]", " ", fold(row_text)).split())
    whole = max((w for w in _WHOLE_TITLES + (key,) if rest_f == w or rest_f.startswith(w + " ")), key=len, default=key)
    follow = [j for j in by_top if doc.lines[j].top > l.top + 0.3 * l.box[3] and j not in row]
    if rest_f != whole and rest_f.replace(" ", "") != whole.replace(" ", ""):
        # merged: "KẾ HOẠCH TRIỂN KHAI ..." — the subject is what follows the type name
        text = " ".join(row_text.split()[len(whole.split()):])
        text, used = _joined(doc, i, text, follow, l)
    else:
        if not follow:
            return
        j = follow[0]
        s = doc.lines[j]
        fj = doc.folded[j]
        if s.top - l.bottom > 1.6 * max(l.box[3], p.line_h) or fj.startswith(_SUBJECT_STOP) or NUMBER.match(fj) or abs(s.cx - p.mid) > 0.15 * p.width:
            return
        start = clean(s.text)
        m = _VE_VIEC.match(doc.keep[j])
        if m:
            start = clean(s.text[m.end():])
        text, used = _joined(doc, j, start, follow[1:], s)
    text = text.strip(" .;:")
    if letters(text) >= 3:
        lines = [doc.lines[k] for k in used]
        out.fields["subject"] = found(restore_tones(text)[:500], lines[0], None, lines)
