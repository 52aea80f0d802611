"""The bottom of a document: the signer block (authority, position, name) and the Nơi nhận list.

Both are found geometrically. The signer column is the authority line's column, right of the page's middle;
the position is the line right under the last authority line (or the authority line itself when it is the
position, GIÁM ĐỐC), the name the last line of the column that reads as a Vietnamese personal name (a rank,
Đại tá, printed before it is dropped). Nơi nhận items are the lines under "Nơi nhận:" left of the signer
column; an item that wraps goes on in an indented or lower-case line without its own dash.
"""

from __future__ import annotations

import re
from functools import lru_cache

from ingest.extract_base import Extracted, clean, digits, found, is_upper, letters, looks_like_name, missing, title_case
from ingest.extract_header import Copy, Doc, copy_lines
from ingest.extract_places import _distance, read_list, snap_agency, snap_symbol_part, symbol_parts
from ingest.extract_words import restore_name, restore_tones
from storage.text import fold

AUTHORITY = re.compile(r"^(kt|tm|tl|tuq)\s*[.,:]\s*(.+)$")
_AUTH_LOOSE = re.compile(r"^(kt|tm|t/m|tl|t/l|tuq|k/t)\s*[.,:]?\s+(\S.+)$")
POSITION = re.compile(r"^(pho\s+)?(chu tich|giam doc|tong giam doc|bo truong|thu truong|chu nhiem|chanh van phong|chanh thanh tra|"
                      r"truong phong|truong ban|cuc truong|vu truong|chi cuc truong|tong cuc truong|hieu truong|vien truong|thu tuong|bi thu|"
                      r"chu tri|chu toa|thu ky)\b")
ROLE = re.compile(r"^(nguoi\s+(lam don|ke khai|khai|de nghi|lam to khai|dai dien|duoc uy quyen|uy quyen|viet don|nop|tiep nhan|thu tien|nop tien)|"
                  r"dai dien|chu ho|xac nhan)")
RANKS = ("dai tuong", "thuong tuong", "trung tuong", "thieu tuong", "dai ta", "thuong ta", "trung ta", "thieu ta", "dai uy", "thuong uy",
         "trung uy", "thieu uy")
NOI_NHAN = re.compile(r"^n\S{0,2}i\s*nh\S{1,2}n\s*[:;.]?")
_DASH = re.compile(r"^\s*[-–—_~•+*=:·]+\s*")


@lru_cache(maxsize=None)
def _positions() -> list[tuple[list[str], str]]:
    rows = [(fold(p).replace(",", "").split(), p) for p in read_list("positions.txt")]
    return sorted(rows, key=lambda r: -len(r[0]))


def snap_position(text: str) -> str:
    """A position as the gazetteer spells it, with the unit it may name after it (snapped as an agency)."""
    text = clean(text).strip(" .;:")
    words = fold(text).replace(",", "").split()
    raw = [w for w in text.split() if w not in (",",)]
    for want, printed in _positions():
        if words[: len(want)] == want:
            if len(words) == len(want):
                return printed
            if len(raw) == len(words):
                rest, _ok = snap_agency(" ".join(raw[len(want):]))
                return f"{printed} {rest}"
            return text
    return text


def _head_kind(f: str, text: str) -> str | None:
    if AUTHORITY.match(f) or (_AUTH_LOOSE.match(f) and is_upper(text, 0.6)):
        return "authority"
    if not is_upper(text, 0.6) and not ROLE.match(f):
        return None
    if ROLE.match(f):
        return "role"
    if POSITION.match(f) and len(f.split()) <= 12:
        return "position"
    return None


def _column(doc: Doc, head: int, region: list[int]) -> list[int]:
    """Lines under ``head`` in its column, top to bottom, on the same page."""
    h = doc.lines[head]
    p = doc.page(head)
    half = max(h.box[2], 0.22 * p.width) * 0.6
    out = []
    for i in sorted(region, key=lambda i: doc.lines[i].top):
        l = doc.lines[i]
        if l.page != h.page or l.top <= h.top + 0.3 * h.box[3] or l.top - h.bottom > 18 * p.line_h:
            continue
        if abs(l.cx - h.cx) <= half and l.left > min(p.left + 0.25 * p.width, h.cx - 1.6 * half):
            out.append(i)
    return out


def _name_in(text: str) -> str | None:
    """The personal name a line ends with, without a rank before it."""
    words = [w.strip("'\"`.,;:()[]“”‘’|") for w in clean(text).split()]
    words = [re.sub(r"(?<=[^\W\d_])0|0(?=[^\W\d_])", "o", w) for w in words if w]  # "T0 Văn Nhân": OCR's 0 for o
    f = [fold(w) for w in words]
    for k in range(len(words)):
        if " ".join(f[k:k + 2]) in RANKS:
            words, f = words[k + 2:], f[k + 2:]
            break
    best = None
    for start in range(len(words)):
        cand = words[start:]
        if 2 <= len(cand) <= 6 and looks_like_name(" ".join(cand)):
            best = cand
            break
    if not best:
        return None
    return restore_name(title_case(" ".join(best)))


def signer(doc: Doc, out: Extracted, copy: Copy | None) -> None:
    if not doc.lines:
        out.fields["signer_name"] = missing("no signer block (authority line, position, name) was found")
        return
    if copy:
        form = doc.lines[copy.form]
        regions = [[i for i in copy_lines(doc, copy) if doc.lines[i].top > form.top]]
    else:
        regions = [doc.on(doc.last)] + ([doc.on(doc.last - 1)] if doc.last - 1 in doc.pages else [])
    for region in regions:
        if _signer_in(doc, out, region):
            return
    out.fields["signer_name"] = missing("no signer block (authority line, position, name) was found")


def _signer_in(doc: Doc, out: Extracted, region: list[int]) -> bool:
    if not region:
        return False
    p = doc.page(region[0])
    heads = []
    for i in region:
        kind = _head_kind(doc.folded[i], doc.lines[i].text)
        if kind and doc.lines[i].cx > p.mid - 0.08 * p.width:
            heads.append((i, kind))
    if not heads:
        return False
    auth = [i for i, k in heads if k == "authority"]
    if auth:
        anchor = auth[-1]
        # two authority lines (TM. ỦY BAN NHÂN DÂN / KT. CHỦ TỊCH): the one nearest the position counts
        col = _column(doc, anchor, region)
        while col and _head_kind(doc.folded[col[0]], doc.lines[col[0]].text) == "authority" and col[0] in auth:
            anchor = col[0]
            col = _column(doc, anchor, region)
        m = _AUTH_LOOSE.match(doc.folded[anchor])
        code = m.group(1).replace("/", "").upper() if m else ""
        code = {"KT": "KT", "TM": "TM", "TL": "TL", "TUQ": "TUQ"}.get(code, code)
        out.fields["signing_authority"] = found(code + ".", doc.lines[anchor])
        out.fields["authority_line"] = found(clean(doc.lines[anchor].text), doc.lines[anchor])
        pos_lines = []
        for j in col:
            l = doc.lines[j]
            prev = doc.lines[pos_lines[-1]] if pos_lines else doc.lines[anchor]
            if letters(l.text) < 2:
                continue  # a speck of the signature
            if l.top - prev.bottom > 1.2 * max(prev.box[3], p.line_h) or not is_upper(l.text, 0.7):
                break
            if pos_lines and not is_upper(l.text, 0.95):
                break  # a name in Title Case right under the position (no room for a signature): not the position
            pos_lines.append(j)
            if len(pos_lines) >= 2:
                break
        if pos_lines:
            text = " ".join(clean(doc.lines[j].text) for j in pos_lines)
            out.fields["signer_position"] = found(snap_position(text), doc.lines[pos_lines[0]], None, [doc.lines[j] for j in pos_lines])
        head = pos_lines[-1] if pos_lines else anchor
    else:
        i, kind = heads[-1]
        # the top of that stack of capitals (a position on two lines)
        head = i
        pos_lines = [i]
        col = _column(doc, i, region)
        if col and kind == "position":
            nxt = doc.lines[col[0]]
            if is_upper(nxt.text, 0.7) and nxt.top - doc.lines[i].bottom < 1.0 * p.line_h and not _head_kind(doc.folded[col[0]], nxt.text) \
                    and not _name_in(nxt.text):
                pos_lines.append(col[0])
                head = col[0]
        text = " ".join(clean(doc.lines[j].text) for j in pos_lines)
        value = snap_position(text) if kind == "position" else text
        out.fields["signer_position"] = found(value, doc.lines[i], None, [doc.lines[j] for j in pos_lines])
    col = _column(doc, head, region)
    names = []
    for j in col:
        l = doc.lines[j]
        if _head_kind(doc.folded[j], l.text) or l.text.strip().startswith("("):
            continue
        name = _name_in(l.text)
        if name:
            names.append((j, name, not is_upper(l.text, 0.9)))
    if names:
        titled = [n for n in names if n[2]]
        j, name, _t = (titled or names)[-1]
        out.fields["signer_name"] = found(name, doc.lines[j])
    else:
        out.fields["signer_name"] = missing("the signer block has no line that reads as a person's name")
    return True


# --- recipients -----------------------------------------------------------------------------------------------------


def _tidy_item(v: str) -> str:
    """A Nơi nhận item as a clerk types it: no final punctuation, a space after commas, OCR's "." for "," inside
    the item put back, the usual forms (Như trên, Lưu: VT — the văn thư's file) restored when OCR blurred them."""
    v = re.sub(r"^[\s\-–—¬ˆ˜~_•·*+=:;,.'`\"“”]+", "", v.strip())  # specks before the item (ˆ, ¬)
    v = re.sub(r"(?:\s*[;:,.`'\"„‚“”«»]+\s*[-–—¬ˆ~„‚<>|]?)+\s*$", "", v)
    v = re.sub(r"\.(?=\s+[a-zà-ỹđ])", ",", v)
    v = re.sub(r"[;:](?=\s+[a-zà-ỹđ(])", ",", v) if not fold(v).startswith("luu") else v
    v = re.sub(r",(?=\S)", ", ", v)
    v = re.sub(r"\s+([,;)])", r"\1", v).strip()
    v = re.sub(r"\b[ĐD]i[êeề]u(\s+[0-9Il|!]{1,3})\b", r"Điều\1", v)  # "Như Điêu 4"
    v = re.sub(r"(Điều\s+)([0-9Il|!]{1,3})\b", lambda m: m.group(1) + digits(m.group(2)), v)
    v = re.sub(r"\s*[;,]+\s*,", ",", v)
    known = symbol_parts()
    v = re.sub(r"(?<!\w)[A-ZĐƯ]{2,7}(?!\w)", lambda m: known.get(fold(m.group(0)), m.group(0)), v)
    words = v.split()
    caps = [w for w in words if w.isupper() and len(w) > 1 and not known.get(fold(w.strip(",;()")))]
    if caps and words[0] in caps and any(w.islower() for w in words):  # "SỞ NỘI vụ": OCR's capitals in a sentence-case name
        v = " ".join(w[:1] + w[1:].lower() if w in caps else w for w in words)
    v = re.sub(r"(?<=\s)t[íì]nh$", "tỉnh", v)  # an item ends with its province ("Công an tỉnh"), never with "tính"
    f = fold(v)
    if f.replace(" ", "") in ("nhutren", "nhu tren"):
        return "Như trên"
    m = re.match(r"^(L\S{1,2}u)\s*[:;.,]?\s*(.*)$", v)
    if m and fold(m.group(1)) == "luu" and m.group(2):
        codes = [c.strip(" .'`") for c in re.split(r"[,;]|[._]+(?=[A-ZĐ])|\s+(?=[A-ZĐ]{2})", m.group(2)) if c.strip(" .'`")]
        # a unit's code (the first run of capitals: "KGVX. „"), put right against the known ones; specks dropped
        units = [u.group(0) for u in (re.match(r"[A-ZĐ0-9]{2,8}(?![a-zà-ỹ])", c) for c in codes[1:]) if u]
        codes = codes[:1] + [(snap_symbol_part(u) or u) if len(u) > 2 else u for u in units]
        if codes and codes[0][:1] in "VvỰ" and len(codes[0].replace("'", "")) <= 3:  # the first is the văn thư's file: VT
            codes[0] = "VT"
        return "Lưu: " + ", ".join(codes)
    return v



def recipients(doc: Doc, out: Extracted, copy: Copy | None) -> None:
    heads = [i for i, f in enumerate(doc.folded) if NOI_NHAN.match(f) and len(f) < 40]
    if copy:
        heads = [i for i in heads if i in set(copy_lines(doc, copy))] or heads
    if not heads:
        return
    h = heads[-1]
    nn = doc.lines[h]
    p = doc.page(h)
    signer_left = None
    sig = out.fields.get("signer_position") or out.fields.get("signer_name")
    if sig and sig.box and sig.page == nn.page:
        signer_left = sig.box[0]
    items: list[list[str]] = []
    used = [h]
    first_text = clean(doc.lines[h].text)
    m = re.match(r"^\S+\s+\S+\s*[:;.]?\s*", first_text)
    rest = first_text[m.end():] if m else ""
    prev = nn
    for i in sorted(doc.on(nn.page), key=lambda i: doc.lines[i].top):
        l = doc.lines[i]
        if l.top <= nn.top + 0.3 * nn.box[3]:
            continue
        if l.left < nn.left - 1.5 * p.line_h or l.left > nn.left + 0.18 * p.width or l.cx > p.mid + 0.05 * p.width:
            continue
        if signer_left is not None and l.right > signer_left + 0.5 * p.line_h and l.cx > signer_left:
            continue
        if l.top - prev.bottom > 2.2 * max(prev.box[3], p.line_h):
            break
        text = clean(l.text)
        if not text or letters(text) < 1:
            continue
        dashed = bool(_DASH.match(text))
        body = _DASH.sub("", text)
        if not body:
            continue
        last = items[-1] if items else None
        ended = bool(last) and re.search(r"[;.]\s*$", last[-1]) is not None
        # an item ends with ";" (the last with "."): a line after an unfinished item, without a dash, goes on with it
        cont = bool(last) and not dashed and not ended
        if cont:
            last.append(body)
        else:
            items.append([body])
        used.append(i)
        prev = l
    if rest and _DASH.match(rest):
        items.insert(0, [_DASH.sub("", rest)])
    values = []
    for k, it in enumerate(items):
        v = restore_tones(_tidy_item(" ".join(it)))
        fv = fold(v).replace(" ", "")
        if k == 0 and len(v) <= 10 and "dieu" not in fv and (fv.startswith("nh") or _distance(fv, "nhutren", 3) <= 3):
            v = "Như trên"  # the usual first item, blurred
        if k == len(items) - 1 and k > 0 and not fold(v).startswith("luu"):
            m = re.match(r"^\W{0,2}\w{1,3}\s*(?:[:;]\s*|\s+)(V\S{0,2}(?:[,;]\s*[A-ZĐ]{1,8})*)$", v)
            if m:  # the usual last item, "Lưu: VT, ...", its first word blurred
                v = _tidy_item("Lưu: " + m.group(1))
        if letters(v) >= 2:
            values.append(v)
    if not values:
        out.fields["recipients"] = missing("'Nơi nhận:' has no items under it")
        return
    lines = [doc.lines[i] for i in used]
    out.fields["recipients"] = found("; ".join(values), nn, None, lines)
