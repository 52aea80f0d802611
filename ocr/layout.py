"""Reading order for Decree 30 pages.

Tesseract reads blocks in the order it finds them, and sometimes glues the left and right header columns
into one line ("UBND TỈNH AN GIANG   CỘNG HÒA XÃ HỘI ..."). A clerk reads the agency block (left) before
the national motto (right), and ``Nơi nhận`` (bottom left) before the signer block (bottom right). We cut
lines at wide gaps, regroup the pieces into column blocks, and read blocks band by band, left to right.
"""

from __future__ import annotations

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


@dataclass
class _Segment:
    """A run of words on one text line with no wide gap inside."""

    words: list[Word]
    block: int
    side: int = 0  # which column of its Tesseract block this piece belongs to

    @property
    def left(self) -> int:
        return min(w.left for w in self.words)

    @property
    def right(self) -> int:
        return max(w.right for w in self.words)

    @property
    def top(self) -> int:
        return min(w.top for w in self.words)

    @property
    def bottom(self) -> int:
        return max(w.bottom for w in self.words)

    def text(self) -> str:
        return " ".join(w.text for w in self.words)


@dataclass
class _Block:
    segments: list[_Segment] = field(default_factory=list)

    @property
    def left(self) -> int:
        return min(s.left for s in self.segments)

    @property
    def right(self) -> int:
        return max(s.right for s in self.segments)

    @property
    def top(self) -> int:
        return min(s.top for s in self.segments)

    @property
    def bottom(self) -> int:
        return max(s.bottom for s in self.segments)


def _segments(words: list[Word]) -> list[_Segment]:
    lines: dict[tuple[int, int, int], list[Word]] = {}
    for w in words:
        lines.setdefault((w.block, w.par, w.line), []).append(w)
    heights = [w.height for w in words if w.height > 0]
    gap_limit = 3.0 * (median(heights) if heights else 20)
    segments: list[_Segment] = []
    for (block, _par, _line), line_words in lines.items():
        line_words.sort(key=lambda w: w.left)
        current = [line_words[0]]
        for w in line_words[1:]:
            if w.left - current[-1].right > gap_limit:
                segments.append(_Segment(current, block))
                current = []
            current.append(w)
        segments.append(_Segment(current, block))
    return segments


def _blocks(segments: list[_Segment]) -> list[_Block]:
    """Tesseract's blocks, each split into columns where its lines were cut at a wide gap."""
    by_block: dict[int, list[_Segment]] = {}
    for s in segments:
        by_block.setdefault(s.block, []).append(s)
    blocks: list[_Block] = []
    for segs in by_block.values():
        segs.sort(key=lambda s: s.left)
        columns: list[_Block] = []
        for s in segs:
            for col in columns:
                if s.left < col.right and s.right > col.left:  # overlaps horizontally: same column
                    col.segments.append(s)
                    break
            else:
                columns.append(_Block([s]))
        blocks.extend(columns)
    return blocks


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


def ordered_lines(words: list[Word]) -> list[list[Word]]:
    """The page's lines (as word lists) in reading order."""
    if not words:
        return []
    out: list[list[Word]] = []
    for band in _bands(_blocks(_segments(words))):
        for column in _columns(band):
            segs = [s for b in sorted(column, key=lambda b: b.top) for s in b.segments]
            segs.sort(key=lambda s: (s.top + s.bottom) / 2)
            out.extend(s.words for s in segs)
    return out


def reading_order_text(words: list[Word]) -> str:
    return "\n".join(" ".join(w.text for w in line) for line in ordered_lines(words))
