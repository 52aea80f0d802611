"""Marks on a page that Tesseract's page segmentation drops but a clerk reads at a glance.

Decree 30 numbers every page after the first in the middle of the top margin. That lone number is the best
sign that a page continues a document, yet Tesseract rarely returns an isolated one- or two-digit word, so it
is looked for directly on the binarized recognition image: a small cluster of ink, centred, above the first
recognised line, with nothing else beside it.
"""

from __future__ import annotations

import cv2
import numpy as np


def top_centre_mark(binary: np.ndarray, dpi: float, word_boxes: list[tuple[int, int, int, int]]) -> bool:
    """Is there a page-number-like mark centred in the top margin? ``binary``: black ink (0) on white.

    ``word_boxes`` are (left, top, width, height) of the recognised words in the same pixels: the mark must
    lie above all of them, so a header line (national motto, agency block) is never taken for it.
    """
    h, w = binary.shape[:2]
    if h < 100 or w < 100 or dpi <= 0:
        return False
    mm = dpi / 25.4
    first_text = min((t for (_l, t, _w, _h) in word_boxes), default=int(0.25 * h))
    bottom = min(first_text - int(1 * mm), int(0.2 * h))
    top = int(3 * mm)  # the scanner bed and edge shadows live in the first millimetres
    if bottom - top < 3 * mm:
        return False
    strip = binary[top:bottom, int(0.06 * w) : int(0.94 * w)]
    ink = (strip < 128).astype(np.uint8)
    n, _labels, stats, _ = cv2.connectedComponentsWithStats(ink, connectivity=8)
    if n <= 1:
        return False
    x, y, cw, ch, area = (stats[1:, i] for i in range(5))
    glyph = (ch >= 1.8 * mm) & (ch <= 6 * mm) & (cw <= 5 * mm) & (area >= 0.8 * mm * mm)
    if not glyph.any():
        return False
    centre = w / 2 - int(0.06 * w)
    cx = x + cw / 2
    near = glyph & (np.abs(cx - centre) < 0.08 * w)
    if not near.any() or near.sum() > 3:  # a page number has one to three digits
        return False
    others = glyph & ~near  # a centred mark with more glyph-sized ink across the strip is a line of text
    if others.sum() > 1:
        return False
    ys = y[near]
    return bool(ys.max() - ys.min() < 2 * mm)
