"""Signature and seal images made ready for a Decree 30 appearance.

Users hand in whatever they have: a scan or phone photo on (greyish) paper, or a PNG that is already
transparent, in black, blue or red ink. A signature appearance needs the ink alone, in one prescribed colour
(personal signature blue, seal red), on a transparent background, and the seal needs its physical size so it
can be placed at actual size. Everything here is pure image work; nothing knows about PDF.
"""

from __future__ import annotations

import hashlib
import io
import threading
from collections import OrderedDict
from dataclasses import dataclass

import cv2
import numpy as np
from PIL import Image, ImageOps

Colour = tuple[int, int, int]

BLUE: Colour = (0, 51, 153)
RED: Colour = (200, 16, 46)

DEFAULT_DPI = 300.0
# Outside this range a resolution tag is a software default (72/96 dpi) or garbage, not a scan.
PLAUSIBLE_DPI = (100.0, 2400.0)
MAX_BYTES = 30 * 1024 * 1024
MAX_PIXELS = 40_000_000
MAX_SIDE = 12_000
MIN_SIDE = 8
CACHE_SIZE = 64
SPECK_MM2 = 0.08
RASTER_FORMATS = ("PNG", "JPEG", "TIFF", "BMP", "GIF", "WEBP")

POINTS_PER_INCH = 72.0


@dataclass(frozen=True)
class InkImage:
    """Ink only, recoloured, cropped to the ink, transparent elsewhere (RGBA PNG)."""

    png: bytes
    width_px: int
    height_px: int
    width_pt: float
    height_pt: float
    dpi: float
    colour: Colour

    @property
    def aspect(self) -> float:
        """Width over height, for fitting the image into a box."""
        return self.width_px / self.height_px

    def __repr__(self) -> str:  # the PNG bytes are noise in logs and test failures
        return (
            f"InkImage({self.width_px}x{self.height_px} px, {self.width_pt:.1f}x{self.height_pt:.1f} pt, "
            f"{self.dpi:g} dpi, colour={self.colour}, {len(self.png)} bytes)"
        )


_cache: OrderedDict[tuple[bytes, Colour, float | None], InkImage] = OrderedDict()
_cache_lock = threading.Lock()


def ink_png(data: bytes, colour: Colour, dpi: float | None = None) -> InkImage:
    """The ink of a signature/seal image as a transparent PNG in `colour`.

    Cached by content hash: signing many documents with the same image does this work once.
    `dpi` overrides the image's own resolution tag (the seal's actual size depends on it).
    Raises ValueError for anything that is not a usable image.
    """
    colour = _check_colour(colour)
    if not isinstance(data, (bytes, bytearray, memoryview)):
        raise ValueError(f"signature image must be bytes, not {type(data).__name__}")
    data = bytes(data)
    key = (hashlib.sha256(data).digest(), colour, dpi)
    with _cache_lock:
        hit = _cache.get(key)
        if hit is not None:
            _cache.move_to_end(key)
            return hit
    result = _make_ink(data, colour, dpi)
    with _cache_lock:
        _cache[key] = result
        while len(_cache) > CACHE_SIZE:
            _cache.popitem(last=False)
    return result


def _check_colour(colour) -> Colour:
    try:
        r, g, b = (int(c) for c in colour)
    except (TypeError, ValueError):
        raise ValueError(f"colour must be an (r, g, b) tuple of 0..255, got {colour!r}") from None
    if not all(0 <= c <= 255 for c in (r, g, b)):
        raise ValueError(f"colour must be an (r, g, b) tuple of 0..255, got {colour!r}")
    return (r, g, b)


def _make_ink(data: bytes, colour: Colour, dpi_override: float | None) -> InkImage:
    image = _open(data)
    dpi = _dpi(image, dpi_override)
    try:
        image = ImageOps.exif_transpose(image)  # phone photos are stored sideways
    except Exception:  # noqa: BLE001 - a broken EXIF block is no reason to refuse the picture
        pass
    rgb = _flatten_on_white(image)
    alpha = _ink_alpha(rgb)
    alpha = _drop_specks(alpha, dpi)
    ys, xs = np.nonzero(alpha)
    if len(xs) == 0:
        raise ValueError("signature image contains no ink (blank or background only)")
    pad = 2  # keep the anti-aliased rim
    h, w = alpha.shape
    x0, x1 = max(int(xs.min()) - pad, 0), min(int(xs.max()) + 1 + pad, w)
    y0, y1 = max(int(ys.min()) - pad, 0), min(int(ys.max()) + 1 + pad, h)
    alpha = alpha[y0:y1, x0:x1]
    out = np.empty(alpha.shape + (4,), np.uint8)
    out[..., :3] = colour
    out[..., 3] = alpha
    buf = io.BytesIO()
    Image.fromarray(out, "RGBA").save(buf, "PNG", optimize=False, compress_level=6, dpi=(dpi, dpi))
    ch, cw = alpha.shape
    return InkImage(
        png=buf.getvalue(),
        width_px=cw,
        height_px=ch,
        width_pt=cw / dpi * POINTS_PER_INCH,
        height_pt=ch / dpi * POINTS_PER_INCH,
        dpi=dpi,
        colour=colour,
    )


def _open(data: bytes) -> Image.Image:
    if not data:
        raise ValueError("signature image is empty")
    if len(data) > MAX_BYTES:
        raise ValueError(f"signature image is too large ({len(data)} bytes, at most {MAX_BYTES})")
    try:
        # open() is lazy: the size check below runs before any pixel is decoded
        image = Image.open(io.BytesIO(data), formats=RASTER_FORMATS)  # never EPS/PDF (Ghostscript)
        w, h = image.size
        if w * h > MAX_PIXELS or max(w, h) > MAX_SIDE:
            raise ValueError(f"signature image is absurdly large ({w}x{h} px, at most {MAX_SIDE} px a side)")
        if min(w, h) < MIN_SIDE:
            raise ValueError(f"signature image is too small ({w}x{h} px)")
        image.load()
    except ValueError:
        raise
    except Image.DecompressionBombError:
        raise ValueError("signature image is absurdly large (a decompression bomb)") from None
    except (OSError, SyntaxError) as exc:
        raise ValueError(f"not a readable image: {exc}") from None
    return image


def _dpi(image: Image.Image, override: float | None) -> float:
    if override is not None:
        if not (PLAUSIBLE_DPI[0] / 4 <= override <= PLAUSIBLE_DPI[1] * 2):
            raise ValueError(f"dpi {override} is not plausible")
        return float(override)
    tagged = image.info.get("dpi")
    try:
        # PNG stores pixels per metre: 300 dpi comes back as 299.9994
        value = round(float(tagged[0]) if isinstance(tagged, (tuple, list)) else float(tagged), 1)
    except (TypeError, ValueError, IndexError):
        return DEFAULT_DPI
    if not (PLAUSIBLE_DPI[0] <= value <= PLAUSIBLE_DPI[1]):
        return DEFAULT_DPI
    return value


def _flatten_on_white(image: Image.Image) -> np.ndarray:
    """RGB as if printed on white paper, so transparent PNGs and scans are analysed alike."""
    if image.mode in ("I", "I;16", "I;16B", "I;16L", "F"):
        image = image.convert("F").point(lambda v: v / 256.0).convert("L")
    has_alpha = image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info)
    image = image.convert("RGBA" if has_alpha else "RGB")
    arr = np.asarray(image)
    if not has_alpha:
        return arr
    a = arr[..., 3:4].astype(np.float32) / 255.0
    return (arr[..., :3].astype(np.float32) * a + 255.0 * (1.0 - a)).round().astype(np.uint8)


def _ink_alpha(rgb: np.ndarray) -> np.ndarray:
    """Opacity from each pixel's colour distance to the paper: paper 0, solid ink 255, edges in between."""
    small = rgb[:: max(1, rgb.shape[0] // 512), :: max(1, rgb.shape[1] // 512)].reshape(-1, 3).astype(np.float32)
    lum = small @ np.array([0.299, 0.587, 0.114], np.float32)
    # paper: the brightest 30 % of pixels (ink covers far less than 70 % of any signature or seal)
    paper = np.median(small[lum >= np.percentile(lum, 70)], axis=0)
    dist = np.sqrt(((rgb.astype(np.float32) - paper) ** 2).sum(axis=2))
    dist8 = np.clip(dist, 0, 255).astype(np.uint8)
    sample = np.clip(np.sqrt(((small - paper) ** 2).sum(axis=1)), 0, 255).astype(np.uint8)
    otsu, _ = cv2.threshold(sample.reshape(1, -1), 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
    otsu = max(float(otsu), 24.0)  # below this it is paper grain / JPEG noise, whatever Otsu says
    ink = sample[sample > otsu]
    if len(ink) == 0:
        # little ink in the subsample (a thin signature on a big photo): use the full image
        ink = dist8[dist8 > otsu]
        if len(ink) == 0:
            return np.zeros(rgb.shape[:2], np.uint8)
    low = otsu * 0.5
    high = max(float(np.percentile(ink, 50)) * 0.85, low + 20.0)
    alpha = (dist - low) / (high - low)
    return (np.clip(alpha, 0.0, 1.0) * 255.0).round().astype(np.uint8)


def _drop_specks(alpha: np.ndarray, dpi: float) -> np.ndarray:
    """Remove dust and scanner specks, which would otherwise print as coloured dots and widen the crop.

    A pen's dot (the i's, the dấu chấm) is at least 0.5 mm across, about 0.2 mm²; dust is smaller.
    """
    mask = (alpha >= 64).astype(np.uint8)
    count, labels, stats, _ = cv2.connectedComponentsWithStats(mask, connectivity=8)
    if count <= 1:
        return alpha if mask.any() else np.zeros_like(alpha)
    areas = stats[1:, cv2.CC_STAT_AREA]
    speck_px = SPECK_MM2 * (dpi / 25.4) ** 2
    min_area = max(3, int(speck_px), int(areas.max() * 0.0005))
    keep = np.zeros(count, bool)
    keep[1:] = areas >= min_area
    kept = keep[labels].astype(np.uint8)
    # faint pixels belong to the ink only if they touch a kept stroke
    near = cv2.dilate(kept, np.ones((5, 5), np.uint8)) > 0
    return np.where(near, alpha, 0).astype(np.uint8)
