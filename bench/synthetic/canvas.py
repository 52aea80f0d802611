"""Page layout without pixels, then rendering at any resolution.

A :class:`Layout` lays a page out on a fixed 300 dpi grid of an A4 sheet: it measures text with the real
fonts, records a display list (text, rules, boxes, codes) and the truth text per reading-order block, but
draws nothing. :func:`render` turns the display list into a greyscale image at the scan resolution. So the
ground-truth text of a document is known without any image work (``document_text``), and a page has the
same content and line breaks at 150, 200 or 300 dpi.
"""

from __future__ import annotations

import math
import random
import unicodedata
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFont

L_DPI = 300  # the layout grid
A4_MM = (210.0, 297.0)

FONT_DIRS = [Path("/usr/share/fonts/truetype/liberation2"), Path("/usr/share/fonts/truetype/liberation"),
             Path("/usr/share/fonts/truetype/dejavu"), Path("/usr/share/fonts/truetype/freefont")]
FAMILIES = {
    # family: (regular, bold, italic, bold-italic), weight in the draw of a document's font
    "Liberation Serif": (("LiberationSerif-Regular.ttf", "LiberationSerif-Bold.ttf", "LiberationSerif-Italic.ttf", "LiberationSerif-BoldItalic.ttf"), 6),
    "DejaVu Serif": (("DejaVuSerif.ttf", "DejaVuSerif-Bold.ttf", "DejaVuSerif-Italic.ttf", "DejaVuSerif-BoldItalic.ttf"), 2),
    "FreeSerif": (("FreeSerif.ttf", "FreeSerifBold.ttf", "FreeSerifItalic.ttf", "FreeSerifBoldItalic.ttf"), 2),
    "Liberation Sans": (("LiberationSans-Regular.ttf", "LiberationSans-Bold.ttf", "LiberationSans-Italic.ttf", "LiberationSans-BoldItalic.ttf"), 1),
}
# not drawn as a document's font; used by ID cards, letters from abroad, receipts and machine-readable zones
EXTRA_FAMILIES = {
    "DejaVu Sans": ("DejaVuSans.ttf", "DejaVuSans-Bold.ttf", "DejaVuSans-Oblique.ttf", "DejaVuSans-BoldOblique.ttf"),
    "DejaVu Sans Condensed": ("DejaVuSansCondensed.ttf", "DejaVuSansCondensed-Bold.ttf", "DejaVuSansCondensed-Oblique.ttf", "DejaVuSansCondensed-BoldOblique.ttf"),
    "Liberation Mono": ("LiberationMono-Regular.ttf", "LiberationMono-Bold.ttf", "LiberationMono-Italic.ttf", "LiberationMono-BoldItalic.ttf"),
    "FreeSans": ("FreeSans.ttf", "FreeSansBold.ttf", "FreeSansOblique.ttf", "FreeSansBoldOblique.ttf"),
}


def _find(name: str) -> Path | None:
    for d in FONT_DIRS:
        if (d / name).exists():
            return d / name
    return None


def available_families() -> list[str]:
    return [f for f, (files, _w) in FAMILIES.items() if all(_find(n) for n in files)]


def family_files(family: str) -> tuple[str, ...]:
    return FAMILIES[family][0] if family in FAMILIES else EXTRA_FAMILIES[family]


def sans_family(rng: random.Random) -> str:
    fams = [f for f in ("DejaVu Sans", "Liberation Sans", "FreeSans", "DejaVu Sans Condensed") if all(_find(n) for n in family_files(f))]
    return rng.choice(fams) if fams else available_families()[0]


@lru_cache(maxsize=512)
def _font(family: str, style: int, px: int) -> ImageFont.FreeTypeFont:
    path = _find(family_files(family)[style]) or _find(FAMILIES["Liberation Serif"][0][style])
    return ImageFont.truetype(str(path), px)


@lru_cache(maxsize=200_000)
def _word_length(family: str, style: int, px: int, word: str) -> float:
    return _font(family, style, px).getlength(word)


@lru_cache(maxsize=8192)
def _wrap(family: str, style: int, px: int, s: str, width: float, indent: float) -> tuple[str, ...]:
    """Greedy line breaking with cached word widths (a line is as wide as its words and spaces)."""
    space = _word_length(family, style, px, " ")
    lines, cur, cur_w = [], [], 0.0
    for w in s.split():
        ww = _word_length(family, style, px, w)
        trial = cur_w + (space if cur else 0) + ww
        if not cur or trial + (indent if not lines else 0) <= width:
            cur.append(w)
            cur_w = trial
        else:
            lines.append(" ".join(cur))
            cur, cur_w = [w], ww
    if cur:
        lines.append(" ".join(cur))
    return tuple(lines)


def px_of(pt: float, dpi: float) -> int:
    return max(6, round(pt / 72 * dpi))


def nfc(s: str) -> str:
    return unicodedata.normalize("NFC", s)


@dataclass(frozen=True)
class Style:
    """What stays the same on every page of one document: font, sizes, margins, spacing."""

    family: str
    body_pt: float
    spacing: float  # line height / font size
    left_mm: float
    right_mm: float
    top_mm: float
    bottom_mm: float
    justify: bool
    indent_mm: float
    para_gap: float  # extra space after a paragraph, in lines
    header_pt: float

    @staticmethod
    def draw(rng: random.Random, family: str) -> "Style":
        body = rng.choice([13, 13, 14, 14, 12.5, 13.5])
        return Style(family, body, rng.uniform(1.25, 1.42), rng.uniform(28, 35), rng.uniform(15, 20), rng.uniform(17, 24),
                     rng.uniform(18, 24), rng.random() < 0.7, rng.choice([10, 10, 12.7, 8]), rng.uniform(0.05, 0.3),
                     body - rng.choice([0, 0.5, 1, 1]))


@dataclass
class Layout:
    """One page on the 300 dpi grid: a display list, ink anchors and truth lines per block."""

    style: Style
    w: float = A4_MM[0] / 25.4 * L_DPI
    h: float = A4_MM[1] / 25.4 * L_DPI
    ops: list = field(default_factory=list)
    blocks: dict = field(default_factory=dict)
    order: list = field(default_factory=list)
    marks: dict = field(default_factory=dict)  # "sig": boxes, "seal": (centre, text), "qr": (payload, x, y, size), ...

    def __post_init__(self):
        st = self.style
        self.family = st.family
        self.body_pt = st.body_pt
        self.left = self.mm(st.left_mm)
        self.right = self.w - self.mm(st.right_mm)
        self.top = self.mm(st.top_mm)
        self.bottom = self.h - self.mm(st.bottom_mm)

    # --- measures
    @staticmethod
    def mm(v: float) -> float:
        return v / 25.4 * L_DPI

    def font(self, pt: float, style: int = 0, family: str | None = None):
        return _font(family or self.family, style, px_of(pt, L_DPI))

    def lh(self, pt: float) -> float:
        return pt / 72 * L_DPI * self.style.spacing

    line_height = lh

    def width(self, s: str, pt: float, style: int = 0, family: str | None = None) -> float:
        return _word_length(family or self.family, style, px_of(pt, L_DPI), s)

    def wrap(self, s: str, pt: float, width: float, style: int = 0, indent: float = 0, family: str | None = None) -> list[str]:
        return list(_wrap(family or self.family, style, px_of(pt, L_DPI), s, round(width, 2), round(indent, 2)))

    # --- drawing (recorded)
    def record(self, block: str, y: float, s: str) -> None:
        if block not in self.blocks:
            self.blocks[block] = []
            self.order.append(block)
        self.blocks[block].append((y, s))

    def text(self, block: str | None, x: float, y: float, s: str, pt: float, style: int = 0, anchor: str = "la",
             fill: int = 0, family: str | None = None) -> float:
        s = nfc(" ".join(s.split()))
        if not s:
            return 0.0
        self.ops.append(("t", x, y, s, pt, style, anchor, fill, family or self.family))
        if block:
            self.record(block, y, s)
        return self.lh(pt)

    def centred(self, block: str | None, cx: float, y: float, s: str, pt: float, style: int = 0, **kw) -> float:
        return self.text(block, cx, y, s, pt, style, anchor="ma", **kw)

    def centred_wrap(self, block: str, cx: float, y: float, s: str, pt: float, style: int, width: float, **kw) -> float:
        for line in self.wrap(s, pt, width, style, family=kw.get("family")):
            y += self.centred(block, cx, y, line, pt, style, **kw)
        return y

    def paragraph(self, block: str, y: float, s: str, pt: float, style: int = 0, justify: bool | None = None,
                  indent_mm: float | None = None, x0: float | None = None, x1: float | None = None, hang_mm: float = 0,
                  family: str | None = None, gap: float | None = None) -> float:
        """A wrapped paragraph; justified lines are drawn word by word so they reach the right margin."""
        x0 = self.left if x0 is None else x0
        x1 = self.right if x1 is None else x1
        indent = self.mm(self.style.indent_mm if indent_mm is None else indent_mm)
        hang = self.mm(hang_mm)
        justify = self.style.justify if justify is None else justify
        lines = self.wrap(s, pt, x1 - x0 - hang, style, indent - hang, family)
        lh = self.lh(pt)
        for i, line in enumerate(lines):
            xs = x0 + (indent if i == 0 else hang)
            words = line.split()
            if justify and i < len(lines) - 1 and len(words) > 1:
                widths = [_word_length(family or self.family, style, px_of(pt, L_DPI), w) for w in words]
                gapw = (x1 - xs - sum(widths)) / (len(words) - 1)
                pos, x = [], xs
                for w, ww in zip(words, widths):
                    pos.append((x, w))
                    x += ww + gapw
                self.ops.append(("w", y, tuple(pos), pt, style, 0, family or self.family))
                self.record(block, y, nfc(line))
            else:
                self.text(block, xs, y, line, pt, style, family=family)
            y += lh
        return y + lh * (self.style.para_gap if gap is None else gap)

    def measure_paragraph(self, s: str, pt: float, style: int = 0, indent_mm: float | None = None, x0: float | None = None,
                          x1: float | None = None, hang_mm: float = 0, family: str | None = None, gap: float | None = None) -> float:
        x0 = self.left if x0 is None else x0
        x1 = self.right if x1 is None else x1
        indent = self.mm(self.style.indent_mm if indent_mm is None else indent_mm)
        hang = self.mm(hang_mm)
        n = len(self.wrap(s, pt, x1 - x0 - hang, style, indent - hang, family))
        return self.lh(pt) * (n + (self.style.para_gap if gap is None else gap))

    def line(self, x0: float, y0: float, x1: float, y1: float, width: float = 2.0, fill: int = 0, dash: float = 0) -> None:
        self.ops.append(("l", x0, y0, x1, y1, width, fill, dash))

    def rule(self, cx: float, y: float, length: float, width: float = 2.0) -> None:
        self.line(cx - length / 2, y, cx + length / 2, y, width)

    def rect(self, x0: float, y0: float, x1: float, y1: float, width: float = 2.0, outline: int | None = 0, fill: int | None = None,
             radius: float = 0) -> None:
        self.ops.append(("r", x0, y0, x1, y1, width, outline, fill, radius))

    def ellipse(self, x0: float, y0: float, x1: float, y1: float, width: float = 2.0, outline: int | None = 0, fill: int | None = None) -> None:
        self.ops.append(("e", x0, y0, x1, y1, width, outline, fill))

    def op(self, *args) -> None:
        self.ops.append(args)

    def mark(self, key: str, value) -> None:
        self.marks.setdefault(key, []).append(value)

    def checkpoint(self):
        return (len(self.ops), {b: len(v) for b, v in self.blocks.items()}, list(self.order), {k: len(v) for k, v in self.marks.items()})

    def rollback(self, cp) -> None:
        n_ops, blocks, order, marks = cp
        del self.ops[n_ops:]
        for b in list(self.blocks):
            if b not in blocks:
                del self.blocks[b]
            else:
                del self.blocks[b][blocks[b]:]
        self.order[:] = order
        for k in list(self.marks):
            if k not in marks:
                del self.marks[k]
            else:
                del self.marks[k][marks[k]:]

    def truth(self) -> str:
        lines = []
        for b in self.order:
            lines.extend(s for _y, s in self.blocks[b])
        return "\n".join(nfc(line) for line in lines if line.strip())


# --- rendering ------------------------------------------------------------------------------------------------


def page_size(dpi: int) -> tuple[int, int]:
    return round(A4_MM[0] / 25.4 * dpi), round(A4_MM[1] / 25.4 * dpi)


def render(layout: Layout, dpi: int) -> Image.Image:
    """The display list as a greyscale image at ``dpi`` (text, rules, boxes, pictures; no coloured ink)."""
    s = dpi / L_DPI
    img = Image.new("L", page_size(dpi), 255)
    d = ImageDraw.Draw(img)
    for op in layout.ops:
        k = op[0]
        if k == "t":
            _, x, y, text, pt, style, anchor, fill, family = op
            d.text((x * s, y * s), text, fill=fill, font=_font(family, style, px_of(pt, dpi)), anchor=anchor)
        elif k == "w":
            _, y, pos, pt, style, fill, family = op
            f = _font(family, style, px_of(pt, dpi))
            for x, w in pos:
                d.text((x * s, y * s), w, fill=fill, font=f)
        elif k == "l":
            _, x0, y0, x1, y1, width, fill, dash = op
            wd = max(1, round(width * s))
            if dash:
                length = math.hypot(x1 - x0, y1 - y0)
                n = max(1, int(length / (2 * dash)))
                for i in range(n):
                    t0, t1 = (2 * i) / (2 * n), (2 * i + 1) / (2 * n)
                    d.line(((x0 + (x1 - x0) * t0) * s, (y0 + (y1 - y0) * t0) * s, (x0 + (x1 - x0) * t1) * s, (y0 + (y1 - y0) * t1) * s), fill=fill, width=wd)
            else:
                d.line((x0 * s, y0 * s, x1 * s, y1 * s), fill=fill, width=wd)
        elif k == "r":
            _, x0, y0, x1, y1, width, outline, fill, radius = op
            box = (x0 * s, y0 * s, x1 * s, y1 * s)
            wd = max(1, round(width * s)) if outline is not None else 0
            if radius:
                d.rounded_rectangle(box, radius=radius * s, outline=outline, fill=fill, width=wd)
            else:
                d.rectangle(box, outline=outline, fill=fill, width=wd)
        elif k == "e":
            _, x0, y0, x1, y1, width, outline, fill = op
            d.ellipse((x0 * s, y0 * s, x1 * s, y1 * s), outline=outline, fill=fill, width=max(1, round(width * s)) if outline is not None else 0)
        elif k == "photo":
            _photo(img, [v * s for v in op[1]], op[2])
        elif k == "guilloche":
            _guilloche(d, [v * s for v in op[1]], op[2], s)
        elif k == "emblem":
            _emblem(d, op[1] * s, op[2] * s, op[3] * s)
    return img


def _photo(img: Image.Image, box, seed: int) -> None:
    """A portrait as a photocopier renders it: a dark background, a lighter face and shoulders."""
    rng = random.Random(seed)
    x0, y0, x1, y1 = (int(v) for v in box)
    w, h = x1 - x0, y1 - y0
    if w < 4 or h < 4:
        return
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    bg = rng.uniform(60, 140)
    a = np.full((h, w), bg, np.float32) + (xx / w) * rng.uniform(-30, 30)
    cx, cy = w * rng.uniform(0.45, 0.55), h * 0.40
    face = ((xx - cx) / (w * 0.26)) ** 2 + ((yy - cy) / (h * 0.27)) ** 2 < 1
    a[face] = rng.uniform(150, 210) + (yy[face] - cy) / h * 40
    hair = (((xx - cx) / (w * 0.30)) ** 2 + ((yy - cy + h * 0.06) / (h * 0.27)) ** 2 < 1) & (yy < cy - h * 0.12)
    a[hair] = rng.uniform(20, 60)
    body = ((xx - cx) / (w * 0.55)) ** 2 + ((yy - h * 1.05) / (h * 0.38)) ** 2 < 1
    a[body] = rng.uniform(40, 110)
    for ex in (-0.09, 0.09):  # eyes
        eye = ((xx - cx - ex * w) / (w * 0.04)) ** 2 + ((yy - cy + h * 0.02) / (h * 0.02)) ** 2 < 1
        a[eye] = 40
    img.paste(Image.fromarray(np.clip(a, 0, 255).astype(np.uint8)), (x0, y0))


def _guilloche(d: ImageDraw.ImageDraw, box, seed: int, s: float) -> None:
    rng = random.Random(seed)
    x0, y0, x1, y1 = box
    w, h = x1 - x0, y1 - y0
    tone = rng.randint(200, 225)
    for k in range(14):
        phase, amp, per = rng.uniform(0, 6.3), h * rng.uniform(0.03, 0.09), w * rng.uniform(0.2, 0.5)
        yc = y0 + h * (k + 0.5) / 14
        pts = [(x0 + t, yc + amp * math.sin(phase + 2 * math.pi * t / per)) for t in np.linspace(0, w, 60)]
        d.line(pts, fill=tone, width=max(1, round(1.5 * s)))


def _emblem(d: ImageDraw.ImageDraw, cx: float, cy: float, r: float) -> None:
    """The national emblem as a photocopy shows it: a dark disc, a ring, a star."""
    d.ellipse((cx - r, cy - r, cx + r, cy + r), fill=110, outline=60, width=max(1, int(r / 12)))
    d.ellipse((cx - r * 0.7, cy - r * 0.7, cx + r * 0.7, cy + r * 0.7), fill=150)
    star = [(cx + math.cos(math.pi / 2 + i * math.pi / 5) * (r * 0.5 if i % 2 == 0 else r * 0.2),
             cy - math.sin(math.pi / 2 + i * math.pi / 5) * (r * 0.5 if i % 2 == 0 else r * 0.2)) for i in range(10)]
    d.polygon(star, fill=235)
