"""Reading order for Decree 30 pages.

Tesseract reads blocks in the order it finds them, and sometimes glues the left and right header columns
into one line ("UBND TỈNH AN GIANG   CỘNG HÒA XÃ HỘI ..."). A clerk reads the agency block (left) before
the national motto (right), and ``Nơi nhận`` (bottom left) before the signer block (bottom right). We cut
lines at wide gaps, regroup the pieces into column regions, and read regions band by band, left to right.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from statistics import median


@dataclass(frozen=True)
class Word:
    text: str
    left: int
    top: int
    width: int
    height: int
    conf: float
    block: int = 0
    par: int = 0
    line: int = 0

    @property
    def right(self) -> int:
        return self.left + self.width

    @property
    def bottom(self) -> int:
        return self.top + self.height


class _Box(ABC):
    """The bounding box of the parts a piece of layout is made of (words, or line pieces)."""

    @abstractmethod
    def parts(self) -> list: ...

    def box(self) -> tuple[int, int, int, int]:
        parts = self.parts()
        return (min(p.left for p in parts), min(p.top for p in parts), max(p.right for p in parts),
                max(p.bottom for p in parts))

    @property
    def left(self) -> int:
        return self.box()[0]

    @property
    def right(self) -> int:
        return self.box()[2]

    @property
    def top(self) -> int:
        return self.box()[1]

    @property
    def bottom(self) -> int:
        return self.box()[3]

    @property
    def centre(self) -> float:
        box = self.box()
        return (box[1] + box[3]) / 2


@dataclass(eq=False)  # pieces are told apart by identity: two may hold equal words
class _Segment(_Box):
    """A run of words on one text line with no wide gap inside; its words never change once made."""

    words: list[Word]

    def __post_init__(self) -> None:
        self._box = super().box()  # pieces are compared with each other many times over: fix their box once

    def box(self) -> tuple[int, int, int, int]:
        return self._box

    def parts(self) -> list[Word]:
        return self.words

    def text(self) -> str:
        return " ".join(w.text for w in self.words)


@dataclass(eq=False)
class _Block(_Box):
    """Line pieces that belong together: one column of text."""

    segments: list[_Segment] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._box = super().box() if self.segments else (0, 0, 0, 0)

    def parts(self) -> list[_Segment]:
        return self.segments

    def box(self) -> tuple[int, int, int, int]:
        return self._box

    def add(self, segments: list[_Segment]) -> None:
        self.segments.extend(segments)
        self._box = super().box()


def _segments(words: list[Word]) -> list[_Segment]:
    lines: dict[tuple[int, int, int], list[Word]] = {}
    for w in words:
        lines.setdefault((w.block, w.par, w.line), []).append(w)
    heights = [w.height for w in words if w.height > 0]
    height = median(heights) if heights else 20
    segments: list[_Segment] = []
    for line_words in lines.values():
        line_words.sort(key=lambda w: w.left)
        gaps = [b.left - a.right for a, b in zip(line_words, line_words[1:])]
        cuts = _gutters(line_words, gaps, height)
        current = [line_words[0]]
        for i, w in enumerate(line_words[1:]):
            if i in cuts:
                segments.append(_Segment(current))
                current = []
            current.append(w)
        segments.append(_Segment(current))
    return segments


def _gutters(line_words: list[Word], gaps: list[int], height: float) -> set[int]:
    """Indexes of the gaps in one Tesseract line that separate two things side by side, not two words.

    Word spaces are well under a word's height even in justified lines; the gutter between the Decree 30
    header columns (or between Nơi nhận and the signer) is wider. A long agency name can bring its column
    to within a word's height of the national motto: a gap far wider than the line's other spaces, or one
    right before "CỘNG HÒA", cuts there too.
    """
    cuts = set()
    for i, gap in enumerate(gaps):
        others = sorted(g for j, g in enumerate(gaps) if j != i)
        usual = others[len(others) // 2] if others else None
        if gap > 1.3 * height:
            cuts.add(i)
        elif gap > 0.9 * height and usual is not None and gap > 2.2 * max(usual, 1):
            cuts.add(i)
        elif gap > 0.4 * height and line_words[i + 1].text.upper() == "CỘNG" and i + 2 < len(line_words) \
                and line_words[i + 2].text.upper().startswith("HÒA"):
            cuts.add(i)
    return cuts


def _neighbours_beside(blocks: list[_Block], line_height: float) -> dict[int, list[_Block]]:
    """For each piece, the pieces level with it and far to its side: they stand in other columns."""
    out: dict[int, list[_Block]] = {}
    for a in blocks:
        out[id(a)] = [b for b in blocks if b is not a and abs(a.centre - b.centre) < 0.5 * line_height
                      and (b.left - a.right > 3 * line_height or a.left - b.right > 3 * line_height)]
    return out


def _merge_regions(blocks: list[_Block], line_height: float) -> list[_Block]:
    """Join pieces of lines stacked closely on top of each other with a similar horizontal extent.

    Tesseract's own blocks are not used: it often puts both header columns, or the title and the date, in
    one block. Regions grow line by line instead; pieces of very different widths (a narrow header column
    above the full-width body) stay apart unless the lower one continues the column at its left margin and
    line spacing, at its left margin or centred on it (a wrapped item of Nơi nhận, a paragraph's short last
    line, the last word of a long agency name wrapped under it). A region never grows over a
    column standing beside it, nor over a piece level with the one joining (the signer's first line beside
    Nơi nhận must not join the body above both).
    """
    beside = _neighbours_beside(blocks, line_height)
    regions: list[_Block] = []
    for b in sorted(blocks, key=lambda b: b.top):
        for r in regions:
            overlap = min(r.right, b.right) - max(r.left, b.left)
            narrow, wide = sorted((r.right - r.left, b.right - b.left))
            gap = b.top - r.bottom
            aligned = abs(b.left - r.left) < 0.75 * line_height or abs(b.left + b.right - r.left - r.right) < 2 * line_height
            continues = aligned and gap < 0.8 * line_height
            if not (overlap >= 0.5 * narrow and (narrow >= 0.35 * wide or continues) and -line_height < gap < 2.0 * line_height):
                continue
            left, right, top, bottom = min(r.left, b.left), max(r.right, b.right), r.top, max(r.bottom, b.bottom)
            if any(o is not r and o.left < right and o.right > left and o.top < bottom and o.bottom > top for o in regions):
                continue  # the merged region would reach over a column beside it
            if any(n.left < right and n.right > left for n in beside[id(b)]):
                continue  # ... or over a piece level with this one
            r.add(b.segments)
            break
        else:
            regions.append(_Block(list(b.segments)))
    return regions


def _join_signatures(regions: list[_Block], line_height: float) -> list[_Block]:
    """Join a signer's name to the caption above it across the blank space left for the signature and seal.

    A signature block (authority, position, signature, name) is one column: the name is read right after
    its caption, before a second signature column beside it. Only a one-line block centred under a narrow
    one, three to ten lines below it with nothing in between and no text block starting level with it
    (Nơi nhận beside a copy form's signer; another name beside it is fine), is joined, and each caption takes one name: a centred title is never glued
    to something far below it, nor a signer to the next document's header.
    """
    if not regions:
        return regions
    text_width = max(r.right for r in regions) - min(r.left for r in regions)
    out = sorted(regions, key=lambda r: r.top)
    names: set[int] = set()
    for r in list(out):
        if r not in out or r.right - r.left > 0.6 * text_width:
            continue
        below = [c for c in out if c is not r and 3 * line_height <= c.top - r.bottom < 10 * line_height]
        if not below:
            continue
        for c in sorted(below, key=lambda c: c.top):
            if c.left < r.right and c.right > r.left:
                break  # the first block below, in this column
        else:
            continue
        left, right = min(r.left, c.left), max(r.right, c.right)
        if (len(c.segments) == 1 and id(c) not in names and abs(c.left + c.right - r.left - r.right) < 3 * line_height
                and c.right - c.left < 0.6 * text_width
                and not any(o is not r and o is not c and o.left < right and o.right > left and o.bottom > r.bottom
                            and o.top < c.top for o in out)
                and not any(o is not c and len(o.segments) > 1 and abs(o.top - c.top) < 0.5 * line_height
                            and (o.right < c.left or o.left > c.right) for o in out)):
            r.add(c.segments)
            out.remove(c)
            names.add(id(r))
    return out


def _bands(blocks: list[_Block]) -> list[list[_Block]]:
    """Group blocks that sit side by side (overlap vertically) into horizontal bands, top to bottom."""
    bands: list[list[_Block]] = []
    bottom = None
    for b in sorted(blocks, key=lambda b: b.top):
        height = max(1, b.bottom - b.top)
        if bands and bottom is not None and b.top < bottom - min(10, height // 3):
            bands[-1].append(b)
            bottom = max(bottom, b.bottom)
        else:
            bands.append([b])
            bottom = b.bottom
    return bands


def _columns(band: list[_Block]) -> list[list[_Block]]:
    """Within a band, stack blocks that overlap horizontally into columns; columns left to right."""
    columns: list[list[_Block]] = []
    for b in sorted(band, key=lambda b: b.left):
        for col in columns:
            left, right = min(x.left for x in col), max(x.right for x in col)
            if b.left < right and b.right > left:
                col.append(b)
                break
        else:
            columns.append([b])
    return sorted(columns, key=lambda c: min(x.left for x in c))


def _rows(segments: list[_Segment], line_height: float) -> list[list[_Segment]]:
    """Segments of one column in lines: same line when their centres are within half a line.

    Pieces far apart on the same row stay separate lines, left first: a gap of several line heights is no
    word space of a justified line but two things side by side (the two signature columns of a contract,
    "Nơi nhận:" level with the signer's authority line, two fields of a form on one row).
    """
    rows: list[list[_Segment]] = []
    for s in sorted(segments, key=lambda s: (s.top + s.bottom) / 2):
        centre = (s.top + s.bottom) / 2
        if rows and abs(centre - rows[-1][0].centre) < 0.5 * line_height:
            rows[-1].append(s)
        else:
            rows.append([s])
    out: list[list[_Segment]] = []
    for r in rows:
        r.sort(key=lambda s: s.left)
        piece = [r[0]]
        for s in r[1:]:
            if s.left - piece[-1].right > 3 * line_height:
                out.append(piece)
                piece = []
            piece.append(s)
        out.append(piece)
    return out


def ordered_lines(words: list[Word]) -> list[list[Word]]:
    """The page's lines (as word lists) in reading order."""
    if not words:
        return []
    heights = [w.height for w in words if w.height > 0]
    line_height = median(heights) if heights else 20
    out: list[list[Word]] = []
    pieces = [seg for seg in _segments(words) if not _is_noise(seg.words, line_height)]  # a speck must not wall off a column
    regions = _join_signatures(_merge_regions([_Block([seg]) for seg in pieces], line_height), line_height)
    for band in _bands(regions):
        columns = _columns(band)
        if _is_grid(columns, line_height):
            columns = [[b for col in columns for b in col]]  # a form or table: read across, row by row
        for column in columns:
            segs = [s for b in sorted(column, key=lambda b: b.top) for s in b.segments]
            for row in _rows(segs, line_height):
                out.append([w for s in row for w in s.words])
    return out


def _is_grid(columns: list[list[_Block]], line_height: float) -> bool:
    """Columns that are the cells of a form or table rather than blocks of running text side by side.

    Cells line up row by row, and each column starts its lines at one left edge or labels every line
    ("Họ và tên: …   Giới tính: …");
    a table of five rows or more qualifies by its rows alone. The Decree 30 header columns (at most four
    rows), signature blocks and the signer beside Nơi nhận are centred text, so they never qualify and keep
    being read one column after the other.
    """
    if len(columns) < 2:
        return False
    segs = [[s for b in col for s in b.segments] for col in columns]
    if any(len(c) < 2 for c in segs):
        return False
    levels = []
    for i, col in enumerate(segs):
        others = [s.centre for j, c in enumerate(segs) if j != i for s in c]
        levels.append(sum(1 for s in col if any(abs(s.centre - o) < 0.5 * line_height for o in others)))
    if all(n == len(col) >= 5 for n, col in zip(levels, segs)):
        return True  # five rows or more, every cell level with another: a table, whatever its alignment
    if any(n < 0.75 * len(col) for n, col in zip(levels, segs)):
        return False
    for col in segs:
        left = min(s.left for s in col)
        aligned = all(s.left - left <= 0.75 * line_height for s in col)
        labelled = all(":" in s.text()[:30] for s in col)
        if not (aligned or labelled):
            return False  # centred lines without field labels: running text, not cells
    return True


def _is_noise(line: list[Word], line_height: float | None = None) -> bool:
    """A line that is only a speck or a stroke: at most two characters, none of them confident or all flat.

    Gated on Tesseract's own confidence, so real short lines (a page number, a lone dash Tesseract is sure
    of) stay; a piece far flatter than the page's text (a rule under the motto read as "¬" or "_") is a
    stroke whatever Tesseract's confidence.
    """
    chars = sum(len(w.text) for w in line)
    if chars > 2:
        return False
    flat = line_height is not None and max(w.height for w in line) < 0.4 * line_height
    return flat or all(w.conf < 50 for w in line)


def text_lines(words: list[Word]) -> list[list[Word]]:
    """The lines worth reading, in reading order (specks left out)."""
    return [line for line in ordered_lines(words) if not _is_noise(line)]


def lines_text(lines: list[list[Word]]) -> str:
    return "\n".join(" ".join(w.text for w in line) for line in lines)


def reading_order_text(words: list[Word]) -> str:
    return lines_text(text_lines(words))
