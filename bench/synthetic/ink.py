"""Ink on the rendered page (seals, signatures, codes) and the scanner's degradation of it."""

from __future__ import annotations

import math
import random
from functools import lru_cache

import cv2
import numpy as np
from PIL import Image, ImageDraw

from .canvas import _font

# --- seals and signatures -------------------------------------------------------------------------------------


def multiply(rgb: np.ndarray, alpha: np.ndarray, x0: int, y0: int, colour) -> None:
    """Multiply a coloured layer (alpha 0..1) onto the page, like ink: what is under it shows through."""
    h, w = rgb.shape[:2]
    ah, aw = alpha.shape
    sx0, sy0 = max(0, -x0), max(0, -y0)
    dx0, dy0 = max(0, x0), max(0, y0)
    dx1, dy1 = min(w, x0 + aw), min(h, y0 + ah)
    if dx1 <= dx0 or dy1 <= dy0:
        return
    colour = np.asarray(colour, np.float32)
    a = alpha[sy0 : sy0 + dy1 - dy0, sx0 : sx0 + dx1 - dx0, None]
    region = rgb[dy0:dy1, dx0:dx1].astype(np.float32)
    region *= 1 - a + a * (colour / 255.0)
    rgb[dy0:dy1, dx0:dx1] = np.clip(region, 0, 255).astype(np.uint8)


def seal(rgb: np.ndarray, centre, dpi: int, rng: random.Random, text: str, colour=(210, 35, 40)) -> None:
    """A round seal, multiplied onto the page like real stamp ink (text under it shows through)."""
    r = int(dpi * rng.uniform(0.72, 0.82))  # ~36-42 mm across
    size = 2 * r + 8
    layer = Image.new("L", (size, size), 0)
    d = ImageDraw.Draw(layer)
    cx = cy = size // 2
    t = max(2, dpi // 60)
    d.ellipse((cx - r, cy - r, cx + r, cy + r), outline=255, width=t * 2)
    d.ellipse((cx - int(r * 0.68), cy - int(r * 0.68), cx + int(r * 0.68), cy + int(r * 0.68)), outline=255, width=t)
    star = [(cx + math.cos(math.pi / 2 + i * math.pi / 5) * (r * 0.25 if i % 2 == 0 else r * 0.1),
             cy - math.sin(math.pi / 2 + i * math.pi / 5) * (r * 0.25 if i % 2 == 0 else r * 0.1)) for i in range(10)]
    d.polygon(star, fill=255)
    font = _font("Liberation Sans", 1, max(8, int(r * 0.16)))
    chars = list(text)
    for i, ch in enumerate(chars):
        ang = math.pi * (1.1 - 1.2 * i / max(1, len(chars) - 1)) + math.pi / 2
        px, py = cx + math.cos(ang) * r * 0.84, cy - math.sin(ang) * r * 0.84
        glyph = Image.new("L", (int(r * 0.3), int(r * 0.3)), 0)
        ImageDraw.Draw(glyph).text((glyph.width / 2, glyph.height / 2), ch, fill=255, font=font, anchor="mm")
        glyph = glyph.rotate(math.degrees(ang) - 90, resample=Image.BILINEAR)
        layer.paste(255, (int(px - glyph.width / 2), int(py - glyph.height / 2)), glyph)
    alpha = np.asarray(layer, np.float32) / 255.0 * rng.uniform(0.55, 0.85)
    multiply(rgb, alpha, int(centre[0]) - cx, int(centre[1]) - cy, colour)


def signature(rgb: np.ndarray, box, dpi: int, rng: random.Random, colour=(25, 55, 170)) -> None:
    """Blue handwritten-looking strokes between the authority line and the printed name."""
    x0, y0, x1, y1 = [int(v) for v in box]
    if x1 <= x0 or y1 <= y0:
        return
    layer = Image.new("L", (x1 - x0, y1 - y0), 0)
    d = ImageDraw.Draw(layer)
    wdt = max(2, dpi // 100)
    for _ in range(rng.randint(2, 4)):
        pts = [(rng.uniform(0.05, 0.95) * layer.width, rng.uniform(0.2, 0.8) * layer.height) for _ in range(4)]
        curve = []
        for k in range(40):
            t = k / 39
            x = (1 - t) ** 3 * pts[0][0] + 3 * (1 - t) ** 2 * t * pts[1][0] + 3 * (1 - t) * t**2 * pts[2][0] + t**3 * pts[3][0]
            y = (1 - t) ** 3 * pts[0][1] + 3 * (1 - t) ** 2 * t * pts[1][1] + 3 * (1 - t) * t**2 * pts[2][1] + t**3 * pts[3][1]
            curve.append((x, y))
        d.line(curve, fill=255, width=wdt, joint="curve")
    alpha = np.asarray(layer, np.float32) / 255.0 * 0.9
    multiply(rgb, alpha, x0, y0, colour)


# --- QR codes and barcodes -------------------------------------------------------------------------------------


@lru_cache(maxsize=256)
def qr_matrix(payload: str, error: str = "m") -> np.ndarray:
    """The modules of a QR code (True = dark), without quiet zone, as segno encodes it."""
    import segno

    q = segno.make(payload, error=error, micro=False, boost_error=False)
    return np.array([list(row) for row in q.matrix], dtype=bool)


@lru_cache(maxsize=256)
def code128_modules(payload: str) -> np.ndarray:
    """The bars of a Code 128 symbol, one entry per module (True = bar), as zxing-cpp encodes it."""
    import zxingcpp

    img = np.asarray(zxingcpp.create_barcode(payload, zxingcpp.BarcodeFormat.Code128).to_image(scale=1, add_quiet_zones=False))
    return img[img.shape[0] // 2] < 128


def code_alpha(modules: np.ndarray, w_px: int, h_px: int) -> np.ndarray:
    """Modules scaled to ``w_px`` × ``h_px`` pixels by nearest neighbour (a 2-D matrix, or 1-D bars)."""
    if modules.ndim == 1:
        ix = np.minimum((np.arange(w_px) * len(modules) / w_px).astype(int), len(modules) - 1)
        return np.repeat(modules[ix][None, :], h_px, axis=0).astype(np.float32)
    n_y, n_x = modules.shape
    iy = np.minimum((np.arange(h_px) * n_y / h_px).astype(int), n_y - 1)
    ix = np.minimum((np.arange(w_px) * n_x / w_px).astype(int), n_x - 1)
    return modules[iy][:, ix].astype(np.float32)


def tint_print(grey: np.ndarray, colour) -> np.ndarray:
    """A greyscale print (255 = paper) in another ink colour: 255 - (255 - grey) * (255 - colour) / 255 per channel."""
    inv = cv2.subtract(np.full_like(grey, 255), grey)
    return cv2.merge([cv2.subtract(np.full_like(grey, 255), cv2.multiply(inv, np.full_like(grey, 255 - int(c)), scale=1 / 255)) for c in colour])


def draw_code(rgb: np.ndarray, modules: np.ndarray, x: float, y: float, w: float, h: float, colour=(0, 0, 0), strength: float = 1.0) -> None:
    alpha = code_alpha(modules, max(1, round(w)), max(1, round(h))) * strength
    multiply(rgb, alpha, round(x), round(y), colour)


# --- photocopies -----------------------------------------------------------------------------------------------


def photocopy(rgb: np.ndarray, rng: random.Random, nrng: np.random.Generator, cards, dpi: int) -> np.ndarray:
    """A grey photocopy: card areas toned down with the copier's texture, a dark card edge, toner dust, less contrast."""
    grey = cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY).astype(np.float32)
    h, w = grey.shape
    for box in cards:
        x0, y0, x1, y1 = (int(round(v)) for v in box)
        x0, y0, x1, y1 = max(0, x0), max(0, y0), min(w, x1), min(h, y1)
        if x1 <= x0 or y1 <= y0:
            continue
        region = grey[y0:y1, x0:x1]
        tone = rng.uniform(0.72, 0.88)
        tex = cv2.resize(nrng.normal(0, 1, ((y1 - y0) // 12 + 1, (x1 - x0) // 12 + 1)).astype(np.float32), (x1 - x0, y1 - y0))
        region *= tone
        region += tex * rng.uniform(4, 10)
        t = max(2, dpi // 100)
        edge = rng.uniform(40, 90)
        grey[y0 : y0 + t, x0:x1] = edge
        grey[y1 - t : y1, x0:x1] = edge
        grey[y0:y1, x0 : x0 + t] = edge
        grey[y0:y1, x1 - t : x1] = edge
    gamma = rng.uniform(0.8, 0.95)
    grey = 255 - (255 - grey) * gamma - rng.uniform(4, 14)  # less contrast, a greyish background
    n = int(w * h / rng.uniform(3000, 9000))  # toner dust
    ys, xs = nrng.integers(0, h, n), nrng.integers(0, w, n)
    grey[ys, xs] *= 0.35
    out = np.clip(grey, 0, 255).astype(np.uint8)
    return np.repeat(out[:, :, None], 3, axis=2)


# --- the scanner ---------------------------------------------------------------------------------------------------


def degrade(rgb: np.ndarray, tier: str, rng: random.Random, nrng: np.random.Generator, dpi: int, bleed: np.ndarray | None = None,
            paper=None, jpeg: int | None = None, ink: float = 1.0, allow_rotation: bool = True) -> tuple[np.ndarray, float, int]:
    """Turn a clean rendering into what a sheet-fed scanner delivers; returns (rgb, skew°, rotation°).

    ``paper`` tints the sheet (coloured separator paper), ``jpeg`` forces the scanner's JPEG quality, ``ink``
    below 1 fades the print further. All work is done on 8-bit images with OpenCV so a 300 dpi page stays fast.
    """
    img = rgb
    h, w = img.shape[:2]
    k = {"clean": 1.0, "office": rng.uniform(0.85, 1.0), "hard": rng.uniform(0.6, 0.9)}[tier] * ink
    if k < 0.999:  # faded toner
        img = cv2.convertScaleAbs(img, alpha=k, beta=255 * (1 - k))
    if tier != "clean" or paper is not None or bleed is not None:
        if paper is not None:
            tint = np.asarray(paper, np.float32)
        elif tier == "clean":
            tint = np.array([255, 255, 255], np.float32)
        else:
            tint = np.array({"office": [rng.uniform(236, 250), rng.uniform(236, 248), rng.uniform(228, 244)],
                             "hard": [rng.uniform(215, 245), rng.uniform(210, 240), rng.uniform(190, 235)]}[tier], np.float32)
        yy, xx = np.mgrid[0:h:16, 0:w:16].astype(np.float32)
        gx, gy = rng.uniform(-1, 1), rng.uniform(-1, 1)
        strength = {"clean": 0.0, "office": 0.06, "hard": 0.18}[tier]
        small = 1 - strength * (0.5 + 0.5 * (gx * (xx / w - 0.5) + gy * (yy / h - 0.5)) * 2)
        small -= strength * 0.5 * (((xx / w - 0.5) ** 2 + (yy / h - 0.5) ** 2) * 2)
        fld = cv2.resize(small, (w, h), interpolation=cv2.INTER_LINEAR)
        if bleed is not None:  # the other side's print faintly showing through, mirrored
            b = cv2.resize(bleed, (w, h)) if bleed.shape != (h, w) else bleed
            fld *= 1 - (255 - b[:, ::-1].astype(np.float32)) / 255 * rng.uniform(0.05, 0.15)
        mult = cv2.merge([cv2.convertScaleAbs(fld, alpha=float(t)) for t in tint])
        img = cv2.multiply(img, mult, scale=1 / 255)
    if tier == "hard" and rng.random() < 0.5:  # a fold crease
        y = rng.randint(h // 4, 3 * h // 4)
        img = img.copy() if img is rgb else img
        img[y : y + max(2, dpi // 100)] = (img[y : y + max(2, dpi // 100)] * 0.75).astype(np.uint8)
    sigma = {"clean": 0.4, "office": rng.uniform(0.5, 0.9), "hard": rng.uniform(0.8, 1.3)}[tier]
    img = cv2.GaussianBlur(img, (0, 0), sigma * dpi / 300)
    noise = {"clean": 2.0, "office": rng.uniform(4, 7), "hard": rng.uniform(8, 14)}[tier]
    n = nrng.standard_normal((h, w), dtype=np.float32)
    pos = cv2.convertScaleAbs(cv2.threshold(n, 0, 0, cv2.THRESH_TOZERO)[1], alpha=noise)
    neg = cv2.convertScaleAbs(cv2.threshold(n, 0, 0, cv2.THRESH_TOZERO_INV)[1], alpha=noise)
    img = cv2.subtract(cv2.add(img, cv2.merge([pos, pos, pos])), cv2.merge([neg, neg, neg]))
    if tier != "clean":  # dust
        count = int(w * h / (4000 if tier == "hard" else 20000))
        ys, xs = nrng.integers(0, h, count), nrng.integers(0, w, count)
        img[ys, xs] = (img[ys, xs] * 0.3).astype(np.uint8)
    skew = {"clean": rng.uniform(-0.3, 0.3), "office": rng.uniform(-3, 3),
            "hard": rng.choice([rng.uniform(-10, 10), rng.choice([-1, 1]) * rng.uniform(7, 10)])}[tier]
    bed = (rng.randint(30, 70),) * 3 if tier == "hard" and rng.random() < 0.5 else (rng.randint(235, 255),) * 3
    m = cv2.getRotationMatrix2D((w / 2, h / 2), skew, 1.0)
    out = cv2.warpAffine(img, m, (w, h), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT, borderValue=bed)
    if tier == "hard" and rng.random() < 0.6:  # scanner edge shadow
        edge = rng.choice(["left", "top", "right"])
        kk = max(1, int(w * rng.uniform(0.01, 0.03)))
        shade = np.linspace(0.35, 1.0, kk, dtype=np.float32)
        if edge == "left":
            out[:, :kk] = (out[:, :kk] * shade[None, :, None]).astype(np.uint8)
        elif edge == "right":
            out[:, -kk:] = (out[:, -kk:] * shade[::-1][None, :, None]).astype(np.uint8)
        else:
            out[:kk] = (out[:kk] * shade[:, None, None]).astype(np.uint8)
    quality = jpeg
    if quality is None and tier == "office" and rng.random() < 0.5:  # the scanner's own JPEG
        quality = rng.randint(70, 88)
    if quality:
        ok, buf = cv2.imencode(".jpg", out, [cv2.IMWRITE_JPEG_QUALITY, int(quality)])
        out = cv2.imdecode(buf, cv2.IMREAD_UNCHANGED)
    rotation = 0
    if allow_rotation:
        if tier == "office" and rng.random() < 0.1:
            rotation = 180
        elif tier == "hard" and rng.random() < 0.4:
            rotation = rng.choice([90, 180, 270])
    if rotation:
        out = cv2.rotate(out, {90: cv2.ROTATE_90_CLOCKWISE, 180: cv2.ROTATE_180, 270: cv2.ROTATE_90_COUNTERCLOCKWISE}[rotation])
    return np.ascontiguousarray(out), round(skew, 3), rotation
