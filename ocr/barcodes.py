"""Barcodes and QR codes on scanned pages: the separator sheets that cut a scanner feed into dossiers.

Runs on every page, so the common case — a page with no code at all — must cost a few milliseconds, while
the codes that peer systems miss (skewed, low-contrast, light-blue or red, small) must still be found:

1. **first pass** on a ~150 dpi copy of the page (one area-average resampling of the colour scan, then the
   darkest channel, so light-blue and red print are as dark as black): zxing-cpp for QR, Micro QR and
   DataMatrix (any angle) and Code 128 / Code 39 (0/90/180/270° ± skew). A separator sheet's large QR is
   read here. When no 2-D code was read, the matrix formats again with zxing's global-histogram
   binarizer, which reads halftoned grey print that the local binarizer breaks into dots.
2. **gate**, on the same copy: blocks of dense parallel edges (1-D codes, PDF417, too fine for 150 dpi)
   and the symbols zxing located but could not decode (a small DataMatrix) become candidates. A page
   whose marks are all pale gets one CLAHE-stretched pass (zxing ignores contrasts under 24 grey levels).
   Most pages have no candidate and stop here (≈ 25 ms for a 300 dpi A4 page, one core).
3. **crops** around the candidates at full resolution (resampled to ~300 dpi), deskewed and turned
   upright for 1-D codes, in a few variants (plain, contrast-stretched, Otsu) until one decodes.

Codes found by several passes are reported once. Never raises: odd input (tiny, huge, blank, black, wrong
dtype) gives ``[]``. Takes plain parameters and reads no settings (the ``ocr`` layer's rule).
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass

import cv2
import numpy as np
import zxingcpp

log = logging.getLogger(__name__)

BF = zxingcpp.BarcodeFormat
MATRIX = (BF.QRCode, BF.MicroQRCode, BF.DataMatrix)  # what a separator sheet, or a label, carries
LINEAR = (BF.Code128, BF.Code39)  # patch-T style sheets (Paperless-ngx PATCHT) and hand-held-scanner labels
CROP_FORMATS = MATRIX + LINEAR + (BF.PDF417,)  # PDF417 only where it is cheap: in small crops
MATRIX_NAMES = frozenset(f.name for f in MATRIX)

WORK_DPI = 150.0  # first pass: 12 mm QR codes still read; 8.7 MP page → 2.2 MP
MIN_SIDE = 21  # the smallest QR (version 1) has 21 modules: nothing smaller can hold a code
MAX_WORK_SIDE = 4000  # a giant image is reduced further for the first pass
MAX_CROPS = 6  # bounds the work a busy page can cause
MAX_CODE_MM = 160.0  # no separator code is longer; larger "candidates" are hatching or scanner edges


@dataclass(frozen=True)
class Code:
    text: str
    format: str  # zxing-cpp's name: "QRCode", "MicroQRCode", "DataMatrix", "Code128", "Code39", "PDF417"
    box: tuple[int, int, int, int]  # left, top, width, height in the input image's pixels


@dataclass
class _Candidate:
    box: tuple[int, int, int, int]  # in full-resolution pixels
    kind: str  # "linear-x" (bars vertical), "linear-y" (bars horizontal) or "symbol" (located by zxing)
    score: float


def find_codes(image: np.ndarray, dpi: float) -> list[Code]:
    """Every QR / Micro QR / DataMatrix / Code 128 / Code 39 (/ PDF417) code on a scanned page.

    ``image`` is the page as decoded (BGR or grey uint8, any 90° rotation, skew up to ±10°); ``dpi`` its
    resolution (when unknown or absurd, an A4 page is assumed). Returns codes in the order found, one per
    distinct (format, text); ``[]`` for any input that cannot hold a code.
    """
    try:
        return _find(image, dpi)
    except Exception:  # a detector must never take a page down with it
        log.warning("barcode detection failed on a %s image", getattr(image, "shape", "?"), exc_info=True)
        return []


# --- input -------------------------------------------------------------------------------------------


def _as_uint8(image) -> np.ndarray | None:
    """The page as a 2-D grey or 3-channel uint8 array, or None when it cannot be a page."""
    a = np.asarray(image)
    if a.ndim == 3 and a.shape[2] in (1, 3, 4):
        a = a[:, :, 0] if a.shape[2] == 1 else a[:, :, :3]
    if a.ndim not in (2, 3) or a.size == 0:
        return None
    if not a.flags.c_contiguous:  # OpenCV refuses negative strides (np.rot90, flipped views)
        a = np.ascontiguousarray(a)
    if a.dtype == np.uint8:
        return a
    if a.dtype == np.bool_:
        return a.astype(np.uint8) * 255
    if np.issubdtype(a.dtype, np.integer):
        top = int(a.max())
        return (a.astype(np.float32) * (255.0 / top)).astype(np.uint8) if top > 255 else np.clip(a, 0, 255).astype(np.uint8)
    if np.issubdtype(a.dtype, np.floating):
        a = np.nan_to_num(a.astype(np.float32))
        return np.clip(a * (255.0 if a.max() <= 1.0 else 1.0), 0, 255).astype(np.uint8)
    return None


def _dark_channel(img: np.ndarray) -> np.ndarray:
    """Grey where any coloured ink is dark: the minimum of B, G, R (light-blue print keeps its red low)."""
    if img.ndim == 2:
        return img
    b, g, r = cv2.split(img)
    return cv2.min(cv2.min(b, g), r)


def _sane_dpi(dpi, shape) -> float:
    try:
        d = float(dpi)
    except (TypeError, ValueError):
        d = float("nan")
    if not math.isfinite(d) or not 50 <= d <= 2400:
        d = min(2400.0, max(50.0, max(shape[:2]) / (297 / 25.4)))  # assume the long side is an A4 page
    return d


# --- zxing -------------------------------------------------------------------------------------------


def _read(grey: np.ndarray, formats, rotate: bool = True, downscale: bool = True,
          binarizer=zxingcpp.Binarizer.LocalAverage, errors: bool = False):
    return zxingcpp.read_barcodes(np.ascontiguousarray(grey), formats=list(formats), try_rotate=rotate,
                                  try_downscale=downscale, try_invert=False, binarizer=binarizer,
                                  return_errors=errors)


def _corners(barcode) -> np.ndarray:
    p = barcode.position
    return np.array([(q.x, q.y) for q in (p.top_left, p.top_right, p.bottom_right, p.bottom_left)], np.float64)


def _box(points: np.ndarray, shape) -> tuple[int, int, int, int]:
    h, w = shape[:2]
    x0, y0 = np.floor(points.min(axis=0)).astype(int)
    x1, y1 = np.ceil(points.max(axis=0)).astype(int)
    x0, y0 = max(0, x0), max(0, y0)
    x1, y1 = min(w, max(x1, x0 + 1)), min(h, max(y1, y0 + 1))
    return int(x0), int(y0), int(x1 - x0), int(y1 - y0)


class _Found:
    """Codes keyed by (format, text): several passes reading the same code report it once."""

    def __init__(self, shape):
        self.shape = shape
        self.codes: dict[tuple[str, str], Code] = {}

    def add(self, barcode, to_full) -> None:
        if not barcode.valid or not barcode.text:
            return
        key = (barcode.format.name, barcode.text)
        if key not in self.codes:
            box = _box(to_full(_corners(barcode)), self.shape)
            self.codes[key] = Code(text=barcode.text, format=barcode.format.name, box=box)

    def covers(self, box, margin: int) -> bool:
        """True when ``box`` lies mostly inside a code already found (no need to look there again)."""
        x, y, w, h = box
        for c in self.codes.values():
            cx, cy, cw, ch = c.box
            ix = max(0, min(x + w, cx + cw + margin) - max(x, cx - margin))
            iy = max(0, min(y + h, cy + ch + margin) - max(y, cy - margin))
            if ix * iy >= 0.6 * w * h:
                return True
        return False


# --- the passes --------------------------------------------------------------------------------------


def _find(image, dpi, trace: dict | None = None) -> list[Code]:
    """The passes; ``trace`` (tests, benches) receives what each one saw."""
    trace = {} if trace is None else trace
    img = _as_uint8(image)
    if img is None or min(img.shape[:2]) < MIN_SIDE:
        trace["stop"] = "unusable"
        return []
    h, w = img.shape[:2]
    dpi = _sane_dpi(dpi, img.shape)
    k = max(1, round(dpi / WORK_DPI), math.ceil(max(h, w) / MAX_WORK_SIDE))
    if k > 1:  # an exact integer factor: OpenCV's fast area-average path, and exact coordinates back
        small = cv2.resize(img[: h // k * k, : w // k * k], (w // k, h // k), interpolation=cv2.INTER_AREA)
    else:
        small = img
    grey = _dark_channel(small)
    lo, hi = cv2.minMaxLoc(grey)[:2]
    if hi - lo < 8:  # all white, all black, flat: not one edge, so no code
        trace["stop"] = "flat"
        return []
    found = _Found(img.shape)
    scale_back = lambda p: p * k  # noqa: E731

    # 1. the cheap pass: a separator sheet's QR, and most codes, are read here. Matrix symbols are found
    #    at any angle without rotating the image; 1-D codes need the 90° scan but, at ~150 dpi, no further
    #    downscaling (each of those options costs as much as the rest of the pass).
    candidates: list[_Candidate] = []
    first = _read(grey, MATRIX, rotate=False, errors=True) + _read(grey, LINEAR, rotate=True, downscale=False, errors=True)
    for bc in first:
        if bc.valid:
            found.add(bc, scale_back)
        else:  # located but not decoded: a small or damaged symbol, worth a full-resolution look
            candidates.append(_Candidate(_box(_corners(bc) * k, img.shape), "symbol", 1e9))
    if not any(c.format in MATRIX_NAMES for c in found.codes.values()):
        # the other binarizer: one global threshold reads the halftoned grey print (a laser printer's
        # "ink at 50 %") that the local one breaks into dots; ~4 ms, measured to rescue such codes
        for bc in _read(grey, MATRIX, rotate=False, binarizer=zxingcpp.Binarizer.GlobalHistogram, errors=True):
            if bc.valid:
                found.add(bc, scale_back)
            else:
                candidates.append(_Candidate(_box(_corners(bc) * k, img.shape), "symbol", 1e9))
    trace["first_pass"] = list(found.codes.values())

    # 2. the gate: what else on the page could be a code?
    maps = _block_maps(grey, dpi / k)
    if maps is None:
        return list(found.codes.values())
    strong, weak = np.percentile(maps.rng, (99.5, 99.9))
    # pale print: nothing strong on the page, yet a code-sized patch of marks. A blank back side (the
    # common page of a duplex feed) has neither, and skips the 15 ms of CLAHE.
    faint = float(strong) < FAINT_RANGE and float(weak) >= 10
    trace["faint"] = faint
    if faint and not found.codes:
        # print so pale that zxing's binarizer (which ignores blocks of < 24 grey levels) sees nothing
        clahe = cv2.createCLAHE(clipLimit=3.0, tileGridSize=(8, 8)).apply(grey)
        for bc in _read(clahe, MATRIX, rotate=False) + _read(clahe, LINEAR, rotate=True, downscale=False):
            found.add(bc, scale_back)
    candidates += _linear_candidates(maps, k)
    margin = int(round(3 / 25.4 * dpi))
    too_big = MAX_CODE_MM / 25.4 * dpi  # a hatched area or a scanner's edge, not a code: bounds the crop cost
    candidates = [c for c in candidates if max(c.box[2:]) <= too_big and not found.covers(c.box, margin)]
    trace["candidates"] = candidates
    if not candidates:
        return list(found.codes.values())

    # 3. crops at full resolution, most promising first
    candidates.sort(key=lambda c: -c.score)
    for cand in candidates[:MAX_CROPS]:
        if not found.covers(cand.box, margin):
            _decode_crop(img, cand, dpi, found)
    return list(found.codes.values())


def _halve(a: np.ndarray, times: int) -> np.ndarray:
    for _ in range(times):
        a = cv2.resize(a, (a.shape[1] // 2, a.shape[0] // 2), interpolation=cv2.INTER_AREA)
    return a


@dataclass
class _BlockMaps:
    mx: np.ndarray  # mean |horizontal grey step| per block (3×3-block neighbourhood)
    my: np.ndarray  # mean |vertical grey step|
    rng: np.ndarray  # ink-to-paper range
    block: int  # block side in work pixels
    block_mm: float


FAINT_RANGE = 64.0  # a page whose strongest marks span fewer grey levels than this is printed pale


def _block_maps(grey: np.ndarray, dpi: float) -> _BlockMaps | None:
    """Edge statistics per ~1.4 mm block, from three halvings of the step images (≈ 3 ms at 150 dpi)."""
    levels = 3 if dpi >= 120 else 2  # block = 8 px at ~150 dpi, 4 px at lower resolutions
    b = 1 << levels
    hb, wb = grey.shape[0] // b, grey.shape[1] // b
    if hb < 4 or wb < 4:
        return None
    g = grey[: hb * b, : wb * b]
    dx = np.zeros_like(g)
    dy = np.zeros_like(g)
    dx[:, 1:] = cv2.absdiff(g[:, 1:], g[:, :-1])
    dy[1:, :] = cv2.absdiff(g[1:, :], g[:-1, :])
    mx = cv2.blur(_halve(dx, levels).astype(np.float32), (3, 3))
    my = cv2.blur(_halve(dy, levels).astype(np.float32), (3, 3))
    kernel = np.ones((b, b), np.uint8)
    hi = cv2.dilate(g, kernel)[b // 2 :: b, b // 2 :: b][:hb, :wb].astype(np.float32)
    lo = cv2.erode(g, kernel)[b // 2 :: b, b // 2 :: b][:hb, :wb].astype(np.float32)
    rng = cv2.blur(hi, (3, 3)) - cv2.blur(lo, (3, 3))
    return _BlockMaps(mx, my, rng, b, b * 25.4 / dpi)


def _linear_candidates(maps: _BlockMaps, k: int) -> list[_Candidate]:
    """Regions of dense, parallel, contrasted edges: 1-D barcodes (and PDF417) at 0/90/180/270° ± skew.

    A barcode has many edges across its bars and few along them; text has both; a ruling line too few.
    Measured on 300 dpi scans (block medians): text lines reach a ratio of 2-3 and a density of ≈ 0.2,
    bars ≥ 4.5 and ≥ 0.23 even at 10° skew. Connected blocks must span ≥ 12 mm across the bars and ≥ 4 mm
    along them.
    """
    out: list[_Candidate] = []
    b, block_mm = maps.block, maps.block_mm
    contrast = maps.rng >= 24
    for kind, along, across in (("linear-x", maps.mx, maps.my), ("linear-y", maps.my, maps.mx)):
        ratio = along / (across + 0.5)
        density = along / np.maximum(maps.rng, 1.0)
        mask = contrast & (ratio > 2.2) & (density > 0.12)
        if not mask.any():
            continue
        n, labels, stats, _c = cv2.connectedComponentsWithStats(mask.astype(np.uint8), connectivity=8)
        for i in range(1, n):
            x, y, bw, bh, area = (int(v) for v in stats[i])
            long_mm, short_mm = (bw, bh) if kind == "linear-x" else (bh, bw)
            long_mm, short_mm = long_mm * block_mm, short_mm * block_mm
            if long_mm < 12 or short_mm < 4 or long_mm < 0.5 * short_mm:
                continue
            sel = labels[y : y + bh, x : x + bw] == i
            r_med = float(np.median(ratio[y : y + bh, x : x + bw][sel]))
            d_med = float(np.median(density[y : y + bh, x : x + bw][sel]))
            if r_med < 3.5 or d_med < 0.2:
                continue
            box = (x * b * k, y * b * k, bw * b * k, bh * b * k)  # blocks → full-resolution pixels
            out.append(_Candidate(box, kind, float(area) * r_med))
    return out


def _decode_crop(img: np.ndarray, cand: _Candidate, dpi: float, found: _Found) -> None:
    """Read one candidate region at full resolution: the modules the first pass saw as 1-2 px blur."""
    h, w = img.shape[:2]
    x, y, bw, bh = cand.box
    quiet = int(round(4 / 25.4 * dpi))  # the quiet zone, plus the blur of the gate's blocks
    # a 1-D region may have been found only in part (PDF417 rows, a damaged stretch): widen it along its bars' axis
    reach = max(bw if cand.kind == "linear-x" else bh, int(20 / 25.4 * dpi)) * 3 // 4
    px = quiet + (reach if cand.kind == "linear-x" else bw // 4)
    py = quiet + (reach if cand.kind == "linear-y" else bh // 4)
    x0, y0, x1, y1 = max(0, x - px), max(0, y - py), min(w, x + bw + px), min(h, y + bh + py)
    if x1 - x0 < MIN_SIDE or y1 - y0 < MIN_SIDE:
        return
    crop = _dark_channel(img[y0:y1, x0:x1])
    # modules of small codes need ≥ 3 px: bring the crop to ~300 dpi (up from 200, down from 600)
    scale = 300.0 / dpi if (dpi < 250 or dpi > 450) else 1.0
    scale = min(scale, 3.0)
    to_crop = np.array([[1.0, 0.0, -x0], [0.0, 1.0, -y0]])
    if cand.kind == "symbol":
        formats, rotate = MATRIX + LINEAR, True
        angle = 0.0
    else:
        # deskew, and turn bars upright, so every row of pixels crosses all of them: zxing's 1-D readers
        # scan rows, and a 10° tilt over a 60 mm code drifts 10 mm — off a 10 mm tall barcode
        formats, rotate = LINEAR + (BF.PDF417,), False
        angle = _bar_angle(crop, cand.kind) + (90.0 if cand.kind == "linear-y" else 0.0)
    if angle or scale != 1.0:
        r = cv2.getRotationMatrix2D((crop.shape[1] / 2, crop.shape[0] / 2), angle, scale)
        cos, sin = abs(r[0, 0]), abs(r[0, 1])
        nw = int(crop.shape[0] * sin + crop.shape[1] * cos)
        nh = int(crop.shape[0] * cos + crop.shape[1] * sin)
        r[0, 2] += nw / 2 - crop.shape[1] / 2
        r[1, 2] += nh / 2 - crop.shape[0] / 2
        work = cv2.warpAffine(crop, r, (nw, nh), flags=cv2.INTER_CUBIC, borderMode=cv2.BORDER_REPLICATE)
        to_crop = _compose(r, to_crop)
    else:
        work = crop
    inv = cv2.invertAffineTransform(to_crop)

    def to_full(p: np.ndarray) -> np.ndarray:
        return p @ inv[:, :2].T + inv[:, 2]

    for variant in _variants(work):
        hits = [bc for bc in _read(variant, formats, rotate=rotate) if bc.valid]
        for bc in hits:
            found.add(bc, to_full)
        if hits:
            return


def _compose(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """The 2×3 affine transform "b, then a"."""
    a3 = np.vstack([a, [0, 0, 1]])
    b3 = np.vstack([b, [0, 0, 1]])
    return (a3 @ b3)[:2]


def _bar_angle(crop: np.ndarray, kind: str) -> float:
    """Degrees (OpenCV's counter-clockwise sense) that turn the crop's bars exactly vertical ("linear-x")
    or exactly horizontal ("linear-y"), from the crop's structure tensor; 0 beyond ±15° (not a skew)."""
    f = crop.astype(np.float32)
    gx = cv2.Sobel(f, cv2.CV_32F, 1, 0, ksize=3)
    gy = cv2.Sobel(f, cv2.CV_32F, 0, 1, ksize=3)
    jxx, jyy, jxy = float((gx * gx).sum()), float((gy * gy).sum()), float((gx * gy).sum())
    theta = 0.5 * math.degrees(math.atan2(2 * jxy, jxx - jyy))  # dominant gradient, y pointing down
    if kind == "linear-y":
        theta = theta - 90 if theta > 0 else theta + 90
    return theta if abs(theta) <= 15 else 0.0


def _variants(grey: np.ndarray):
    """The crop as zxing sees it best: plain, then contrast-stretched, then binarized (Otsu)."""
    yield grey
    lo, hi = np.percentile(grey, (1, 99))
    if hi - lo >= 8:
        stretched = cv2.convertScaleAbs(grey, alpha=255.0 / (hi - lo), beta=-lo * 255.0 / (hi - lo))
        yield stretched
        _t, binary = cv2.threshold(cv2.GaussianBlur(stretched, (3, 3), 0), 0, 255, cv2.THRESH_BINARY | cv2.THRESH_OTSU)
        yield binary
