"""Page clean-up for recognition only: upright, straight, evenly lit, coloured ink removed, binarized.

The colour image that goes into the PDF is only turned upright and deskewed; every other change is made on
the recognition copy. Analysis runs on a small copy (~100 dpi) so the whole step costs a fraction of the
Tesseract pass: skew and orientation are found by projecting ink pixels at trial angles (no image
rotations), and the result is applied to the full-resolution image once.
"""

from __future__ import annotations

import os
import re
import subprocess
import tempfile
from dataclasses import dataclass

import cv2
import numpy as np

ANALYSIS_DPI = 100.0
MAX_POINTS = 60_000


@dataclass(frozen=True)
class CleanupOptions:
    deskew: bool = True
    max_skew_deg: float = 10.0
    orientation: bool = True
    osd_when_uncertain: bool = True
    tesseract_cmd: str = "tesseract"
    osd_timeout_s: float = 30.0
    suppress_colour: bool = True  # red seals and blue signatures are ink over text, not text
    # Content below this share of the page (after specks are removed) is a blank back side. A single short
    # line of 12 pt text is ~0.1 % of an A4 page; scanner noise and bleed-through stay far below 0.02 %.
    blank_ink_ratio: float = 0.0004
    blank_min_marks: int = 6  # …and fewer than this many character-sized marks
    orientation_margin: float = 0.25  # |log asymmetry| below this is "unsure": ask OSD (4 pages in 456 on generated scans)
    output_dpi: float | None = None  # resolution of the stored colour image (None: the scan's own)


@dataclass(frozen=True)
class CleanPage:
    colour: np.ndarray  # upright, straight, at colour_dpi: the image that goes into the PDF
    colour_dpi: float
    ocr: np.ndarray
    rotation: int  # clockwise rotation the scan had (0/90/180/270); it was undone
    skew_deg: float  # counter-clockwise skew the scan had; it was undone
    orientation_method: str
    orientation_confidence: float
    blank: bool
    ink_ratio: float


# --- grey levels ---------------------------------------------------------------------------------------


def suppress_colour_ink(bgr: np.ndarray) -> np.ndarray:
    """Grey where saturated ink (red seal, blue signature) turns light and black print stays black.

    Black or grey print is dark in every channel; coloured ink is bright in at least one. Taking the
    brightest channel and adding the saturation lifts coloured ink to white, while black text under a red
    seal (dark in every channel) stays dark.
    """
    b, g, r = cv2.split(bgr)
    hi = cv2.max(cv2.max(b, g), r)
    lo = cv2.min(cv2.min(b, g), r)
    return cv2.add(hi, cv2.subtract(hi, lo))


def darkest_channel(bgr: np.ndarray) -> np.ndarray:
    b, g, r = cv2.split(bgr)
    return cv2.min(cv2.min(b, g), r)


def flatten_illumination(grey: np.ndarray, dpi: float) -> np.ndarray:
    """Divide by the paper's own brightness (estimated with text closed away) so shadows and tints vanish."""
    f = min(1.0, 50.0 / dpi)
    small = cv2.resize(grey, None, fx=f, fy=f, interpolation=cv2.INTER_AREA) if f < 1 else grey
    k = max(3, int(round(50.0 * f * dpi / 100.0)) | 1)  # ~0.5 inch: wider than any stroke, narrower than shading
    bg = cv2.morphologyEx(small, cv2.MORPH_CLOSE, cv2.getStructuringElement(cv2.MORPH_RECT, (k, k)))
    bg = cv2.GaussianBlur(bg, (0, 0), k / 2)
    if f < 1:
        bg = cv2.resize(bg, (grey.shape[1], grey.shape[0]), interpolation=cv2.INTER_LINEAR)
    bg = cv2.max(bg, 1)
    return cv2.divide(grey, bg, scale=255)


def binarize(flat: np.ndarray) -> np.ndarray:
    """Otsu on the flattened grey; black text (0) on white (255), as Tesseract wants it."""
    t, _ = cv2.threshold(flat, 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
    t = min(t, 200)  # on near-empty pages Otsu can split paper noise; paper is ~255 after flattening
    _t, out = cv2.threshold(flat, t, 255, cv2.THRESH_BINARY)
    return out


def remove_specks(binary: np.ndarray, max_area: int, dpi: float = 300.0) -> np.ndarray:
    """Drop isolated dark specks (dust, scanner noise): ink with at most ``max_area`` ink pixels around it.

    "Around" is a window of ~0.6 mm (7 px at 300 dpi): a speck that lonely is no part of a glyph, while a
    stroke's end or the dot of an i carries more ink than that within the window. One box filter costs a
    fifth of labelling the page's connected components, which most pages (clean after flattening) do not
    need at all.
    """
    k = max(3, int(round(7 * dpi / 300.0)) | 1)
    ink = cv2.compare(binary, 128, cv2.CMP_LT)  # 255 on ink
    count = cv2.boxFilter(cv2.threshold(ink, 0, 1, cv2.THRESH_BINARY)[1], cv2.CV_8U, (k, k), normalize=False,
                          borderType=cv2.BORDER_CONSTANT)
    lonely = cv2.bitwise_and(cv2.compare(count, max_area, cv2.CMP_LE), ink)
    if not cv2.countNonZero(lonely):
        return binary
    return cv2.bitwise_or(binary, lonely)


# --- page geometry -------------------------------------------------------------------------------------


def mask_scanner_bed(flat: np.ndarray, dark: np.ndarray, dpi: float) -> np.ndarray:
    """Paint white the scanner bed showing round a skewed sheet, and a band along its edge.

    The bed is the dark area connected to the image border; flattening leaves ragged fragments along the
    sheet's slanted edge that would otherwise count as marks on a blank back side.
    """
    bed = (dark < 110).astype(np.uint8)
    n, labels, stats, _ = cv2.connectedComponentsWithStats(bed, connectivity=8)
    h, w = dark.shape
    big = [i for i in range(1, n) if stats[i, cv2.CC_STAT_AREA] > 0.002 * h * w and (
        stats[i, cv2.CC_STAT_LEFT] == 0 or stats[i, cv2.CC_STAT_TOP] == 0
        or stats[i, cv2.CC_STAT_LEFT] + stats[i, cv2.CC_STAT_WIDTH] >= w or stats[i, cv2.CC_STAT_TOP] + stats[i, cv2.CC_STAT_HEIGHT] >= h)]
    if not big:
        return flat
    mask = np.isin(labels, big).astype(np.uint8)
    k = max(3, int(round(4 * dpi / 25.4)) | 1)  # ~4 mm beyond the edge
    mask = cv2.dilate(mask, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (k, k)))
    out = flat.copy()
    out[mask > 0] = 255
    return out


def is_blank(flat_dark_small: np.ndarray, options: CleanupOptions) -> tuple[bool, float]:
    """Blank back side? Measured inside 6 % margins on the darkest-channel image (seals and signatures count).

    Marks touching the edge of that region are the scanner bed showing round a skewed sheet, edge shadows or
    a fold crease across the page — never content — and are left out.
    """
    h, w = flat_dark_small.shape
    my, mx = int(h * 0.06), int(w * 0.06)
    inner = flat_dark_small[my : h - my, mx : w - mx]
    ih, iw = inner.shape
    ink = (inner < 150).astype(np.uint8)
    _n, _labels, stats, _ = cv2.connectedComponentsWithStats(ink, connectivity=8)
    x, y, cw, ch, area = (stats[1:, i] for i in range(5))
    inside = (x > 0) & (y > 0) & (x + cw < iw) & (y + ch < ih) & (area >= 4)
    marks = area[inside]
    ratio = float(marks.sum()) / max(1, inner.size)
    blank = ratio < options.blank_ink_ratio / 4 or (ratio < options.blank_ink_ratio and len(marks) < options.blank_min_marks)
    return blank, ratio


def _profile_score(ys: np.ndarray, xs: np.ndarray, angle_deg: float) -> float:
    t = np.deg2rad(angle_deg)
    proj = ys * np.cos(t) - xs * np.sin(t)
    proj = np.round(proj - proj.min()).astype(np.int64)
    hist = np.bincount(proj)
    return float(np.dot(hist, hist)) * len(hist) / float(len(ys)) ** 2


def estimate_skew(ink: np.ndarray, max_deg: float = 10.0) -> tuple[float, float]:
    """(angle, sharpness) of the text lines of a binary ink mask (ink = nonzero), by projection profiles.

    ``angle`` is the counter-clockwise tilt of the lines in degrees; sharpness is how peaked the best profile
    is (1 = no lines at all). Coarse 0.5° steps, then 0.05° steps around the best.
    """
    ys, xs = np.nonzero(ink)
    if len(ys) < 50:
        return 0.0, 1.0
    if len(ys) > MAX_POINTS:
        idx = np.random.default_rng(0).choice(len(ys), MAX_POINTS, replace=False)
        ys, xs = ys[idx], xs[idx]
    ys, xs = ys.astype(np.float64), xs.astype(np.float64)
    coarse = np.arange(-max_deg, max_deg + 1e-9, 0.5)
    scores = [_profile_score(ys, xs, a) for a in coarse]
    best = float(coarse[int(np.argmax(scores))])
    fine = best + np.arange(-10, 11) * 0.05
    fscores = np.array([_profile_score(ys, xs, a) for a in fine])
    i = int(np.argmax(fscores))
    angle = float(fine[i])
    if 0 < i < len(fine) - 1:  # parabola through the peak and its neighbours: sub-step precision
        a, b, c = fscores[i - 1], fscores[i], fscores[i + 1]
        denom = a - 2 * b + c
        if denom < 0:
            angle += 0.05 * 0.5 * (a - c) / denom
    # the projection above measures clockwise tilt in image coordinates (y grows downwards)
    return -round(angle, 3), float(fscores[i])


def _line_asymmetry(ink: np.ndarray, strips: int = 3) -> tuple[float, int]:
    """log(ink above the x-height band / ink below it), summed over text lines of an upright-ish mask.

    Latin script, and Vietnamese even more with its stacked tone marks, carries more ink above the x-height
    (capitals, ascenders, diacritics) than below the baseline (descenders): positive means upright. Lines
    are profiled in vertical strips: the two Decree 30 header columns (or Nơi nhận and the signer) sit at
    staggered heights, and one profile across the page would blur their lines into one.
    """
    w = ink.shape[1]
    above = below = 0.0
    lines = 0
    for i in range(strips):
        a, b, n = _strip_ink(ink[:, i * w // strips : (i + 1) * w // strips])
        above, below, lines = above + a, below + b, lines + n
    if lines == 0 or above + below == 0:
        return 0.0, lines
    return float(np.log((above + 1) / (below + 1))), lines


def _strip_ink(ink: np.ndarray) -> tuple[float, float, int]:
    """(ink above the x-height bands, ink below the baselines, lines) of one strip's row profile."""
    rows = ink.sum(axis=1).astype(np.float64)
    if rows.max() <= 0:
        return 0.0, 0.0, 0
    on = rows > rows.max() * 0.05
    above = below = 0.0
    lines = 0
    y, h = 0, len(rows)
    while y < h:
        if not on[y]:
            y += 1
            continue
        start = y
        while y < h and on[y]:
            y += 1
        seg = rows[start:y]
        if len(seg) < 4:
            continue
        core = np.nonzero(seg >= seg.max() * 0.5)[0]
        top, bot = core[0], core[-1]
        above += seg[:top].sum()
        below += seg[bot + 1 :].sum()
        lines += 1
    return above, below, lines


def _rotate_mask(ink: np.ndarray, angle: float) -> np.ndarray:
    h, w = ink.shape
    m = cv2.getRotationMatrix2D((w / 2, h / 2), angle, 1.0)
    return cv2.warpAffine(ink, m, (w, h), flags=cv2.INTER_NEAREST, borderValue=0)


def text_marks(ink: np.ndarray) -> np.ndarray:
    """Keep only character-sized marks: scanner-bed corners, edge shadows, rules, photos and specks are not text."""
    h, w = ink.shape
    n, labels, stats, _ = cv2.connectedComponentsWithStats(ink, connectivity=8)
    cw, ch, area = stats[:, cv2.CC_STAT_WIDTH], stats[:, cv2.CC_STAT_HEIGHT], stats[:, cv2.CC_STAT_AREA]
    limit = max(h, w) * 0.04  # a character is far smaller than 4 % of the page's long side at any size
    keep = (cw <= limit) & (ch <= limit) & (area >= 3)
    keep[0] = False
    return keep.astype(np.uint8)[labels]


def detect_orientation(ink: np.ndarray, max_skew: float) -> tuple[int, float, float, float]:
    """(clockwise rotation of the scan, skew, confidence, asymmetry) from a small binary ink mask."""
    ink = text_marks(ink)
    skew0, sharp0 = estimate_skew(ink, max_skew)
    skew90, sharp90 = estimate_skew(np.ascontiguousarray(ink.T), max_skew)
    portrait_lines = sharp0 >= sharp90
    if portrait_lines:
        upright = _rotate_mask(ink, -skew0) if abs(skew0) > 0.05 else ink
        skew = skew0
    else:
        upright = cv2.rotate(ink, cv2.ROTATE_90_CLOCKWISE)
        skew90_cw, _ = estimate_skew(upright, max_skew)
        upright = _rotate_mask(upright, -skew90_cw) if abs(skew90_cw) > 0.05 else upright
        skew = skew90_cw
    asym, lines = _line_asymmetry(upright)
    if portrait_lines:
        rotation = 0 if asym >= 0 else 180
    else:  # we turned it 90° clockwise to make lines horizontal: the scan was rotated 270° (or 90° if upside down)
        rotation = 270 if asym >= 0 else 90
    # a page of a few short lines (a copy form, a signature page) tells little, and wrongly as often as not
    # when it is also skewed: below a dozen line pieces the answer counts as unsure, so Tesseract's OSD is asked
    return rotation, skew, abs(asym) if lines >= 12 else 0.0, asym


def _osd(ink_small: np.ndarray, options: CleanupOptions) -> int | None:
    """Tesseract OSD on the small binarized page; the clockwise rotation of the scan, or None if it fails."""
    fd, path = tempfile.mkstemp(suffix=".png", prefix="sohoa-osd-")
    os.close(fd)
    try:
        big = cv2.resize(cv2.bitwise_not(ink_small * 255), None, fx=2, fy=2, interpolation=cv2.INTER_NEAREST)
        cv2.imwrite(path, big)
        proc = subprocess.run(
            [options.tesseract_cmd, path, "stdout", "--psm", "0", "--dpi", str(int(ANALYSIS_DPI * 2))],
            capture_output=True, text=True, timeout=options.osd_timeout_s, env={**os.environ, "OMP_THREAD_LIMIT": "1"},
        )
        m = re.search(r"Orientation in degrees:\s*(\d+)", proc.stdout)
        conf = re.search(r"Orientation confidence:\s*([\d.]+)", proc.stdout)
        if not m or (conf and float(conf.group(1)) < 1.0):
            return None
        return int(m.group(1)) % 360
    except (subprocess.SubprocessError, OSError, ValueError):
        return None
    finally:
        os.unlink(path)


def rotate_bound(img: np.ndarray, angle_deg: float, fill, *, keep_size: bool = True) -> np.ndarray:
    """Rotate counter-clockwise by ``angle_deg`` about the centre.

    With ``keep_size`` (deskew) the page keeps its pixel size, so it stays at 100 % scale; the corners
    uncovered are filled with the paper's colour. Otherwise the canvas grows to hold the whole image.
    """
    h, w = img.shape[:2]
    m = cv2.getRotationMatrix2D((w / 2, h / 2), angle_deg, 1.0)
    nw, nh = w, h
    if not keep_size:
        cos, sin = abs(m[0, 0]), abs(m[0, 1])
        nw, nh = int(round(h * sin + w * cos)), int(round(h * cos + w * sin))
        m[0, 2] += nw / 2 - w / 2
        m[1, 2] += nh / 2 - h / 2
    return cv2.warpAffine(img, m, (nw, nh), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT, borderValue=fill)


_UNDO = {90: cv2.ROTATE_90_COUNTERCLOCKWISE, 180: cv2.ROTATE_180, 270: cv2.ROTATE_90_CLOCKWISE}


def _paper_colour(bgr: np.ndarray) -> tuple[int, int, int]:
    border = np.concatenate([bgr[:8].reshape(-1, 3), bgr[-8:].reshape(-1, 3), bgr[:, :8].reshape(-1, 3), bgr[:, -8:].reshape(-1, 3)])
    bright = border[border.sum(axis=1) > np.percentile(border.sum(axis=1), 50)]
    med = np.median(bright if len(bright) else border, axis=0)
    return tuple(int(v) for v in med)


def clean_page(bgr: np.ndarray, dpi: float, options: CleanupOptions = CleanupOptions()) -> CleanPage:
    f = min(1.0, ANALYSIS_DPI / dpi)
    small = cv2.resize(bgr, None, fx=f, fy=f, interpolation=cv2.INTER_AREA) if f < 1 else bgr
    small_dpi = dpi * f
    dark_small = darkest_channel(small)
    blank, ratio = is_blank(mask_scanner_bed(flatten_illumination(dark_small, small_dpi), dark_small, small_dpi), options)

    rotation, skew, conf, method = 0, 0.0, 0.0, "none"
    if not blank and (options.orientation or options.deskew):
        grey_small = suppress_colour_ink(small) if options.suppress_colour else cv2.cvtColor(small, cv2.COLOR_BGR2GRAY)
        ink = (binarize(flatten_illumination(grey_small, small_dpi)) == 0).astype(np.uint8)
        rotation, skew, conf, _asym = detect_orientation(ink, options.max_skew_deg)
        method = "cheap"
        if not options.orientation:
            rotation, method = 0, "none"
        elif conf < options.orientation_margin and options.osd_when_uncertain:
            upright = cv2.rotate(ink, _UNDO[rotation]) if rotation else ink
            osd = _osd(_rotate_mask(upright, -skew) if abs(skew) > 0.05 else upright, options)
            if osd is not None:
                rotation, method = (rotation + osd) % 360, "osd"
        if not options.deskew:
            skew = 0.0

    upright = cv2.rotate(bgr, _UNDO[rotation]) if rotation else bgr
    straight = abs(skew) < 0.1
    grey = suppress_colour_ink(upright) if options.suppress_colour else cv2.cvtColor(upright, cv2.COLOR_BGR2GRAY)
    if not straight:
        grey = rotate_bound(grey, -skew, 255)
    ocr = binarize(flatten_illumination(grey, dpi))
    ocr = remove_specks(ocr, max_area=max(2, int((dpi / 300.0) ** 2 * 6)), dpi=dpi)
    colour, colour_dpi = _output_colour(upright, dpi, 0.0 if straight else skew, options.output_dpi)
    return CleanPage(colour=colour, colour_dpi=colour_dpi, ocr=ocr, rotation=rotation, skew_deg=skew,
                     orientation_method=method, orientation_confidence=round(conf, 3), blank=blank,
                     ink_ratio=round(ratio, 6))


def _output_colour(upright: np.ndarray, dpi: float, skew: float, output_dpi: float | None) -> tuple[np.ndarray, float]:
    """The stored colour image: straightened and brought down to ``output_dpi`` in one resampling.

    Never upsampled. One affine warp does rotation and scaling together, which costs less than a
    full-resolution rotation followed by a resize and blurs the page once instead of twice.
    """
    scale = min(1.0, output_dpi / dpi) if output_dpi else 1.0
    if scale > 0.99:
        scale = 1.0
    h, w = upright.shape[:2]
    out_w, out_h = max(1, round(w * scale)), max(1, round(h * scale))
    if not skew:
        if scale == 1.0:
            return upright, dpi
        return cv2.resize(upright, (out_w, out_h), interpolation=cv2.INTER_AREA), dpi * scale
    m = cv2.getRotationMatrix2D((w / 2, h / 2), -skew, scale)
    m[0, 2] += out_w / 2 - w / 2
    m[1, 2] += out_h / 2 - h / 2
    fill = _paper_colour(upright)
    out = cv2.warpAffine(upright, m, (out_w, out_h), flags=cv2.INTER_LINEAR,
                         borderMode=cv2.BORDER_CONSTANT, borderValue=fill)
    return out, dpi * scale
