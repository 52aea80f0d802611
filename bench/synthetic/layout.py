"""A document as a specification (content decided up front from its seed) and its pagination into layouts.

Body content is a stream of items (paragraphs, headings, fields, tables) that flows over as many pages as
the document has: page 1 carries the header, type name and subject; continuation pages a page number and
body text only; the last page ends with the closing sentence and the signature block.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date
from typing import Callable, Iterator

from .canvas import Layout, Style, nfc

MOTTO_1 = "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM"
MOTTO_2 = "Độc lập - Tự do - Hạnh phúc"

Item = tuple  # ("p", text, opts) paragraph, ("h", text, opts) heading, ("c", text, opts) centred, ("space", mm),
# ("kv2", [(text, x_frac)], opts) several fields on one line, ("boxes", label, digits, opts), ("table", header, rows, widths, opts)


@dataclass
class Signer:
    authority: tuple[str, ...] = ()  # "KT. CHỦ TỊCH", or ("TM. ỦY BAN NHÂN DÂN", "KT. CHỦ TỊCH")
    position: str | None = None  # "PHÓ CHỦ TỊCH"; None when the authority line is the position ("GIÁM ĐỐC")
    name: str = ""
    rank: str | None = None  # "Đại tá", printed before the name
    hint: str | None = None  # "(Ký, ghi rõ họ tên)" on citizen forms
    seal: bool = True  # an agency seal goes over the signature
    gap_mm: float = 25.0

    @property
    def lines(self) -> list[tuple[str, int]]:
        out = [(a, 1) for a in self.authority]
        if self.position:
            out.append((self.position, 1))
        if self.hint:
            out.append((self.hint, 2))
        return out

    def truth(self) -> dict:
        t = {}
        auth = [a for a in self.authority if a.split(".")[0] in ("KT", "TM", "TL", "TUQ") and "." in a]
        if auth:
            t["signing_authority"] = auth[-1].split(".")[0] + "."
        pos = self.position or (self.authority[-1] if self.authority and not auth else None)
        if pos:
            t["signer_position"] = pos
        if self.name:
            t["signer_name"] = self.name
        return t


@dataclass
class Header:
    agency_lines: tuple[tuple[str, int], ...] = ()
    number: str | None = None  # printed after "Số: "
    number_text: str | None = None  # the whole printed number line when it is not "Số: {number}"
    vv: str | None = None  # công văn subject under the number, without "V/v "
    place_date: str | None = None
    motto: bool = True
    marks: tuple[str, ...] = ()  # "HỎA TỐC", "KHẨN" boxed under the number


@dataclass
class Doc:
    kind: str
    seed: int
    style: Style
    truth: dict
    aux: dict = field(default_factory=dict)
    header: Header | None = None
    title: list = field(default_factory=list)  # items drawn centred under the header on page 1
    preamble: list = field(default_factory=list)  # items that must come first in the body
    stream: Iterator | None = None
    closing: Callable[[], list] = lambda: []
    signer: Signer | None = None
    signer2: Signer | None = None  # a left-hand signature column (two parties, secretary and chair)
    recipients: list[str] | None = None  # printed items without "- " and final punctuation
    tail: str = "signer"  # "signer", "citizen", "none", or a custom drawer's name
    citizen_date: str | None = None  # the date line above a citizen's signature
    n_body: tuple[int, int] = (2, 5)
    max_pages: int = 6
    first_page: Callable[[Layout, "Doc"], float] | None = None  # replaces header + title drawing
    page_hook: Callable[[Layout, "Doc", int, int], float | None] | None = None  # fully custom pages (ID cards)
    copy_block: dict | None = None  # a sao y / trích sao / sao lục block after the document
    copy_sheet: bool = False  # the copy block is on a sheet of its own, the last page
    qr: tuple | None = None  # (payload, corner, size_mm) of a printed QR code that is not a separator
    seal_text: str = ""
    signer_offset_mm: float = 42.0  # signature column centre, from the right margin
    signer2_offset_mm: float = 36.0  # left signature column centre, from the left margin
    seal_dx_mm: float = 17.0
    rng: random.Random = field(default_factory=random.Random)


# --- dates -------------------------------------------------------------------------------------------------


def date_words(d: date, mode: int = 0) -> str:
    """``ngày 05 tháng 3 năm 2024``: Decree 30 writes days below 10 and months 1-2 with a leading zero (mode 0);
    mode 1 always two-digit months, mode 2 no leading zeros (common on citizen forms)."""
    if mode == 2:
        return f"ngày {d.day} tháng {d.month} năm {d.year}"
    month = f"{d.month:02d}" if (mode == 1 or d.month <= 2) else str(d.month)
    return f"ngày {d.day:02d} tháng {month} năm {d.year}"


def place_date(place: str, d: date, mode: int = 0) -> str:
    return f"{place}, {date_words(d, mode)}"


# --- items ---------------------------------------------------------------------------------------------------


def measure(c: Layout, item: Item) -> float:
    k = item[0]
    pt = c.body_pt
    if k == "space":
        return c.mm(item[1])
    if k == "rule":
        return c.mm(4)
    opts = item[-1] if isinstance(item[-1], dict) else {}
    pt = pt + opts.get("dpt", 0)
    if k in ("p", "h"):
        return c.measure_paragraph(item[1], pt, opts.get("style", 1 if k == "h" else 0), opts.get("indent", None if k == "p" else 0),
                                   x0=c.left + c.mm(opts.get("x0", 0)), hang_mm=opts.get("hang", 0), gap=opts.get("gap"))
    if k == "c":
        n = len(c.wrap(item[1], pt, c.mm(opts.get("width", 150)), opts.get("style", 1)))
        return c.lh(pt) * (n + opts.get("gap", 0.2))
    if k in ("kv2", "boxes"):
        return c.lh(pt) * (1.25 if k == "boxes" else 1.0) + c.lh(pt) * opts.get("gap", 0.15)
    if k == "table":
        rows = 1 + len(item[2])
        return rows * c.lh(pt - opts.get("shrink", 1.5)) * 1.35 + c.lh(pt) * 0.6
    raise ValueError(k)


def place(c: Layout, item: Item, y: float, block: str = "body") -> float:
    k = item[0]
    if k == "space":
        return y + c.mm(item[1])
    if k == "rule":
        c.rule((c.left + c.right) / 2, y + c.mm(0.2), c.mm(item[1]), 3)
        return y + c.mm(4)
    opts = item[-1] if isinstance(item[-1], dict) else {}
    pt = c.body_pt + opts.get("dpt", 0)
    if k in ("p", "h"):
        return c.paragraph(opts.get("block", block), y, item[1], pt, opts.get("style", 1 if k == "h" else 0),
                           justify=opts.get("justify", None if k == "p" else False), indent_mm=opts.get("indent", None if k == "p" else 0),
                           x0=c.left + c.mm(opts.get("x0", 0)), hang_mm=opts.get("hang", 0), gap=opts.get("gap"))
    if k == "c":
        y = c.centred_wrap(opts.get("block", block), (c.left + c.right) / 2, y, item[1], pt, opts.get("style", 1), c.mm(opts.get("width", 150)))
        return y + c.lh(pt) * opts.get("gap", 0.2)
    if k == "kv2":
        parts = item[1]
        texts = []
        for text, frac in parts:
            c.text(None, c.left + (c.right - c.left) * frac, y, text, pt, opts.get("style", 0))
            texts.append(text)
        c.record(opts.get("block", block), y, nfc(" ".join(" ".join(t.split()) for t in texts)))
        return y + c.lh(pt) * (1 + opts.get("gap", 0.15))
    if k == "boxes":
        label, digits = item[1], item[2]
        x = c.left + c.mm(opts.get("x0", 0))
        c.text(None, x, y, label, pt)
        x += c.width(label + " ", pt)
        bw, bh = c.mm(5.2), c.lh(pt) * 1.0
        for i, ch in enumerate(digits):
            bx = x + i * bw
            c.rect(bx, y - bh * 0.12, bx + bw, y + bh * 0.88, width=2)
            c.text(None, bx + bw / 2, y, ch, pt, 0, anchor="ma")
        c.record(opts.get("block", block), y, nfc(f"{label} {digits}"))
        return y + c.lh(pt) * (1.25 + opts.get("gap", 0.15))
    if k == "table":
        return _table(c, item[1], item[2], item[3], y, pt - opts.get("shrink", 1.5), opts.get("block", block), opts.get("bold_last", False))
    raise ValueError(k)


def _table(c: Layout, header: list[str], rows: list[list[str]], widths: list[float], y: float, pt: float, block: str, bold_last: bool) -> float:
    x0, x1 = c.left, c.right
    total = sum(widths)
    xs = [x0]
    for wfrac in widths:
        xs.append(xs[-1] + (x1 - x0) * wfrac / total)
    rh = c.lh(pt) * 1.35
    all_rows = [header, *rows]
    top = y
    for r, row in enumerate(all_rows):
        style = 1 if r == 0 or (bold_last and r == len(all_rows) - 1) else 0
        texts = []
        for i, cell in enumerate(row):
            if not cell:
                continue
            cw = xs[i + 1] - xs[i] - c.mm(2)
            size = pt
            while size > 7 and c.width(cell, size, style) > cw:
                size -= 0.5
            numeric = cell.replace(".", "").replace(",", "").isdigit()
            if r == 0 or not numeric:
                if r == 0 or i == 0:
                    c.text(None, (xs[i] + xs[i + 1]) / 2, y + rh * 0.15, cell, size, style, anchor="ma")
                else:
                    c.text(None, xs[i] + c.mm(1), y + rh * 0.15, cell, size, style)
            else:
                c.text(None, xs[i + 1] - c.mm(1), y + rh * 0.15, cell, size, style, anchor="ra")
            texts.append(cell)
        c.record(block, y + rh * 0.15, nfc(" ".join(texts)))
        y += rh
    for r in range(len(all_rows) + 1):
        c.line(x0, top + r * rh, x1, top + r * rh, 2)
    for x in xs:
        c.line(x, top, x, top + len(all_rows) * rh, 2)
    return y + c.lh(pt) * 0.6


# --- header, title, signature ---------------------------------------------------------------------------------


def draw_header(c: Layout, rng: random.Random, h: Header) -> float:
    """Decree 30 header: agency block left (parent regular, agency bold), Số, motto and place/date right."""
    if not h.agency_lines and h.motto and h.number is None and not h.place_date:
        return draw_motto_centred(c, rng)
    pt = c.style.header_pt
    while c.width(MOTTO_1, pt - 0.5, 1) > 0.56 * (c.right - c.left) and pt > 11:  # wide fonts: a smaller header
        pt -= 0.5
    lh = max(c.lh(pt), pt / 72 * 300 * 1.3)  # capitals with stacked tone marks need the room
    m1 = c.width(MOTTO_1, pt - 0.5, 1)
    m2pt = pt + rng.choice([0, 0.5, 1])
    cr = c.right - m1 / 2 - c.mm(rng.uniform(-3, 2)) if h.motto else c.right - c.mm(50)
    left_edge = c.left - c.mm(rng.uniform(2, 12))
    right_edge = (cr - m1 / 2 - c.mm(3)) if h.motto else c.left + c.mm(90)
    width = right_edge - left_edge
    cl = (left_edge + right_edge) / 2
    y = c.top
    last_w = 0
    for text, style in h.agency_lines:
        size = pt
        while style == 0 and size > pt - 2.5 and c.width(text, size, style) > width:  # a parent agency stays on one line
            size -= 0.5
        for line in c.wrap(text, size, width, style):
            c.centred("agency", cl, y, line, size, style)
            last_w = c.width(line, size, style)
            y += lh
    if h.agency_lines:
        c.rule(cl, y + lh * 0.02, max(c.mm(12), last_w * rng.uniform(0.3, 0.55)), 3)
    y_num = y + lh * rng.uniform(0.45, 0.7)
    y_left = y_num
    if h.number is not None or h.number_text:
        text = h.number_text or f"Số: {h.number}"
        c.centred("agency", cl, y_num, text, pt)
        y_left = y_num + lh
    if h.vv:
        vpt = pt - 1
        for line in c.wrap(f"V/v {h.vv}", vpt, width * rng.uniform(0.8, 1.0)):
            c.centred("agency", cl, y_left, line, vpt)
            y_left += c.lh(vpt)
    for mark in h.marks:
        y_left += lh * 0.3
        mw = c.width(mark, pt + 1, 1)
        c.rect(cl - mw / 2 - c.mm(2), y_left - c.mm(1), cl + mw / 2 + c.mm(2), y_left + lh * 0.9, width=3)
        c.centred("agency", cl, y_left, mark, pt + 1, 1)
        y_left += lh * 1.2
    y_right = c.top
    if h.motto:
        c.centred("motto", cr, y_right, MOTTO_1, pt - 0.5, 1)
        y_right += lh
        c.centred("motto", cr, y_right, MOTTO_2, m2pt, 1)
        c.rule(cr, y_right + lh * 0.95, c.width(MOTTO_2, m2pt, 1), 3)
        y_right += lh
    if h.place_date:
        yd = max(y_num, y_right + lh * 0.4)
        if rng.random() < 0.8:
            c.centred("motto", cr, yd, h.place_date, pt, 2)
        else:
            c.text("motto", c.right, yd, h.place_date, pt, 2, anchor="ra")
        y_right = yd + lh
    return max(y_left, y_right) + lh * rng.uniform(0.6, 1.3)


def draw_motto_centred(c: Layout, rng: random.Random, y: float | None = None, pt: float | None = None) -> float:
    pt = pt or c.style.header_pt
    y = c.top if y is None else y
    cx = (c.left + c.right) / 2
    y += c.centred("motto", cx, y, MOTTO_1, pt, 1)
    y += c.centred("motto", cx, y, MOTTO_2, pt + 0.5, 1)
    c.rule(cx, y + c.mm(0.3), c.width(MOTTO_2, pt + 0.5, 1), 3)
    return y + c.mm(rng.uniform(5, 10))


def title_height(c: Layout, items: list) -> float:
    return sum(measure(c, it) for it in items)


def signer_height(c: Layout, s: Signer, col_w: float) -> float:
    pt = c.body_pt
    n = sum(len(c.wrap(t, pt, col_w, st)) for t, st in s.lines)
    return c.lh(pt) * n + c.mm(s.gap_mm) + c.lh(pt) * 1.2


def recipients_height(c: Layout, items: list[str], width: float) -> float:
    small = max(10.5, c.body_pt - 2.5)
    n = sum(len(c.wrap(f"- {r}", small, width)) for r in items)
    return c.lh(small + 1) + c.lh(small) * 0.95 * n


def printed_recipients(items: list[str]) -> list[str]:
    return [f"- {r}{'.' if i == len(items) - 1 else ';'}" for i, r in enumerate(items)]


def draw_signer(c: Layout, s: Signer, cx: float, y: float, col_w: float, block: str = "signer", seal_text: str = "",
                seal_dx_mm: float = 17.0) -> float:
    pt = c.body_pt
    lh = c.lh(pt)
    for text, style in s.lines:
        for line in c.wrap(text, pt if style != 2 else pt - 1, col_w, style):
            c.centred(block, cx, y, line, pt if style != 2 else pt - 1, style)
            y += lh
    y_name = y + c.mm(s.gap_mm)
    name = f"{s.rank} {s.name}" if s.rank else s.name
    if name:
        c.centred(block, cx, y_name, name, pt, 1)
    c.mark("sig", (cx - c.mm(24), y, cx + c.mm(24), y_name))
    if s.seal and seal_text:
        c.mark("seal", ((cx - c.mm(seal_dx_mm), (y + y_name) / 2), seal_text))
    return y_name + lh


def draw_recipients(c: Layout, items: list[str], x: float, y: float, width: float) -> float:
    small = max(10.5, c.body_pt - 2.5)
    c.text("noinhan", x, y, "Nơi nhận:", small + 1, 3)
    y += c.lh(small + 1)
    for r in printed_recipients(items):
        lines = c.wrap(r, small, width)
        for i, line in enumerate(lines):
            c.text("noinhan", x + (c.mm(2) if i else 0), y, line, small)
            y += c.lh(small) * 0.95
    return y


# --- pagination -------------------------------------------------------------------------------------------------


def continuation_top(c: Layout, rng: random.Random, n: int) -> float:
    c.centred("pageno", (c.left + c.right) / 2, c.mm(rng.uniform(8, 12)), str(n), c.body_pt - 1)
    return c.top + c.mm(4)


REC_W = 78 / 25.4 * 300  # width of the Nơi nhận column on the layout grid


def tail_height(c: Layout, doc: Doc) -> float:
    if doc.tail == "none":
        return 0.0
    col_w = c.mm(82)
    h = 0.0
    if doc.signer:
        h = signer_height(c, doc.signer, col_w)
    if doc.signer2:
        h = max(h, signer_height(c, doc.signer2, col_w))
    if doc.citizen_date:
        h += c.lh(c.body_pt)
    if doc.recipients:
        h = max(h, recipients_height(c, doc.recipients, REC_W))
    return h + c.mm(8)


def draw_tail(c: Layout, doc: Doc, rng: random.Random, y: float) -> None:
    if doc.tail == "none":
        return
    pt = c.body_pt
    col_w = c.mm(82)
    cx = c.right - c.mm(doc.signer_offset_mm)
    y0 = y
    if doc.citizen_date:
        c.centred("signer", cx, y, doc.citizen_date, pt, 2)
        y0 = y + c.lh(pt)
    if doc.recipients:
        draw_recipients(c, doc.recipients, c.left, y, REC_W)
    if doc.signer2:
        draw_signer(c, doc.signer2, c.left + c.mm(doc.signer2_offset_mm), y0, col_w * 0.9, block="signer2", seal_text="")
    if doc.signer:
        draw_signer(c, doc.signer, cx, y0, col_w, seal_text=doc.seal_text if doc.signer.seal else "", seal_dx_mm=doc.seal_dx_mm)


def copy_block_height(c: Layout, cb: dict) -> float:
    lh = c.lh(c.style.header_pt)
    sig = signer_height(c, cb["signer"], c.mm(80))
    return lh * (len(cb["agency_lines"]) + 1.8) + max(sig, recipients_height(c, cb["recipients"], c.mm(70))) + c.mm(10)


def draw_copy_block(c: Layout, cb: dict, rng: random.Random, y: float, rule: bool = True) -> float:
    """The copy form (Decree 30, Appendix I): copying agency and its number left, form name and date right."""
    pt = c.style.header_pt
    lh = c.lh(pt)
    if rule:
        c.line(c.left, y, c.right, y, 3)
        y += c.mm(rng.uniform(3, 6))
    cl = c.left + c.mm(rng.uniform(33, 40))
    cr = c.right - c.mm(rng.uniform(38, 46))
    yl = y
    for text, style in cb["agency_lines"]:
        for line in c.wrap(text, pt, c.mm(75), style):
            c.centred("copy_agency", cl, yl, line, pt, style)
            yl += lh
    c.centred("copy_agency", cl, yl, f"Số: {cb['number']}", pt)
    yl += lh
    yr = y
    c.centred("copy_form", cr, yr, cb["form"], pt + 1, 1)
    yr += lh
    c.centred("copy_form", cr, yr, cb["place_date"], pt, 2)
    yr += lh * 1.2
    ys = max(yl + lh * 0.5, yr)
    small = max(10.5, c.body_pt - 2.5)
    yy = ys
    c.text("copy_noinhan", c.left, yy, "Nơi nhận:", small + 1, 3)
    yy += c.lh(small + 1)
    for r in printed_recipients(cb["recipients"]):
        c.text("copy_noinhan", c.left, yy, r, small)
        yy += c.lh(small) * 0.95
    return max(yy, draw_signer(c, cb["signer"], cr, ys, c.mm(80), block="copy_signer", seal_text=cb.get("seal_text", ""),
                               seal_dx_mm=cb.get("seal_dx_mm", 17.0)))


def paginate(doc: Doc, pages: int) -> list[Layout]:
    """Lay the document out over ``pages`` pages."""
    if pages < 1 or pages > doc.max_pages:
        raise ValueError(f"a {doc.kind} has 1 to {doc.max_pages} pages, not {pages}")
    rng = doc.rng
    out: list[Layout] = []
    pending = list(doc.preamble)
    held = None
    placed_items: list = []
    doc.aux["placed"] = placed_items  # what the closing sentences may refer to (the last article's number)
    n_content = pages - 1 if doc.copy_sheet else pages
    for n in range(1, pages + 1):
        c = Layout(doc.style)
        if doc.copy_sheet and n == pages:  # the copy form on a sheet of its own
            y = continuation_top(c, rng, n) if rng.random() < 0.3 else c.top
            draw_copy_block(c, doc.copy_block, rng, y, rule=False)
            out.append(c)
            break
        if doc.page_hook is not None:
            doc.page_hook(c, doc, n, pages)
            out.append(c)
            continue
        first, last = n == 1, n == n_content
        if first:
            if doc.first_page:
                y = doc.first_page(c, doc)
            else:
                y = draw_header(c, rng, doc.header) if doc.header else c.top
                for it in doc.title:
                    y = place(c, it, y, "title")
                if doc.qr and doc.qr[1] == "title":
                    y += c.mm(doc.qr[2] + 4)
        else:
            y = continuation_top(c, rng, n)
        reserve = 0.0
        if last:
            reserve = tail_height(c, doc) + c.mm(5)
            if doc.copy_block and not doc.copy_sheet:
                reserve += copy_block_height(c, doc.copy_block)
            reserve += sum(measure(c, it) for it in doc.closing())
        limit = c.bottom - reserve
        quota = 10**9
        if last:
            quota = (len(pending) + rng.randint(*doc.n_body)) if pages == 1 or n == 1 else rng.randint(1, 4)
        placed, checkpoints = 0, []
        while placed < quota:
            item = held if held is not None else (pending.pop(0) if pending else (next(doc.stream, None) if doc.stream else None))
            held = None
            if item is None:
                break
            if y + measure(c, item) > limit:
                held = item
                break
            checkpoints.append((c.checkpoint(), y))
            y = place(c, item, y)
            placed_items.append(item)
            placed += 1
        if last:
            closing = doc.closing()
            need = sum(measure(c, it) for it in closing)
            while checkpoints and y + need > c.bottom - tail_height(c, doc) - (copy_block_height(c, doc.copy_block) if doc.copy_block and not doc.copy_sheet else 0):
                cp, y = checkpoints.pop()
                c.rollback(cp)
                placed_items.pop()
            for it in closing:
                y = place(c, it, y)
            y += c.mm(rng.uniform(2, 8))
            draw_tail(c, doc, rng, y)
            if doc.copy_block and not doc.copy_sheet:
                ymax = max([yy for b in c.blocks.values() for yy, _ in b] + [y])
                y_copy = max(ymax + c.lh(c.body_pt) * 1.5, c.bottom - copy_block_height(c, doc.copy_block))
                draw_copy_block(c, doc.copy_block, rng, y_copy)
        if first and doc.qr and doc.qr[1] != "none":
            place_qr(c, doc.qr)
        out.append(c)
    return out


def place_qr(c: Layout, qr: tuple) -> None:
    payload, corner, size = qr
    s = c.mm(size)
    if corner == "top-right":
        x, y = c.w - c.mm(8) - s, c.mm(4)
    elif corner == "top-left":
        x, y = c.mm(8), c.mm(4)
    elif corner == "bottom-left":
        x, y = c.mm(10), c.h - c.mm(6) - s
    elif corner == "bottom-right":
        x, y = c.w - c.mm(10) - s, c.h - c.mm(6) - s
    elif corner == "title":  # under the title block, centred (certificates)
        ys = [yy for b in ("title",) for yy, _ in c.blocks.get(b, [])]
        x, y = (c.left + c.right) / 2 - s / 2, (max(ys) + c.lh(c.body_pt) * 1.2) if ys else c.top
    else:
        return
    c.mark("qr", (payload, x, y, s))
