"""Printable separator sheets: the clerk puts one before each dossier (or document) in the scanner's feed.

A sheet carries its payload twice, as a large QR code and as a Code 128 barcode, so either survives a fold,
a stamp or a weak scanner: the QR reads at any rotation and skew, the Code 128 is what hand-held and
scanner-firmware readers (patch/barcode separation in capture software) understand. The payload is the bare
dossier code (see ``ingest.dossier``) or ``SOHOA-SEPARATOR`` for a sheet that only starts a new document.
Human-readable Vietnamese text says what the sheet is, so it is not filed as part of the dossier by hand.

Everything is black on white: the PDF holds 1-bit CCITT G4 images at 100 % A4 scale (a few kB per sheet),
which print sharp on any office printer.
"""

from __future__ import annotations

import unicodedata
from functools import lru_cache
from pathlib import Path

import numpy as np
import segno
from PIL import Image, ImageDraw, ImageFont

from ingest.dossier import GENERIC_SEPARATOR, dossier_code_error, parse_dossier_code

A4_MM = (210.0, 297.0)
FONT_CANDIDATES = (
    "/usr/share/fonts/truetype/dejavu/DejaVuSans{bold}.ttf",
    "/usr/share/fonts/truetype/liberation2/LiberationSans-{style}.ttf",
    "/usr/share/fonts/truetype/liberation/LiberationSans-{style}.ttf",
    "/usr/share/fonts/truetype/freefont/FreeSans{bold}.ttf",
)
QR_MM = 80.0  # big modules (≥ 2.5 mm for a 25-char code) survive blur, skew, toner streaks and 100 dpi scans
CODE128_MAX_MM = 170.0
CODE128_HEIGHT_MM = 18.0


def _nfc(text: str) -> str:
    return unicodedata.normalize("NFC", text)


@lru_cache(maxsize=32)
def _font(px: int, bold: bool) -> ImageFont.FreeTypeFont:
    """An OpenType font with Vietnamese glyphs (tone marks stacked on circumflex/breve vowels)."""
    for pattern in FONT_CANDIDATES:
        path = Path(pattern.format(bold="-Bold" if bold else "", style="Bold" if bold else "Regular"))
        if path.exists():
            return ImageFont.truetype(str(path), px)
    raise RuntimeError("no font with Vietnamese glyphs found (install fonts-dejavu-core or fonts-liberation2)")


def _mm(mm: float, dpi: int) -> int:
    return int(round(mm * dpi / 25.4))


def _payload(code: str | None) -> tuple[str, bool]:
    if code is None:
        return GENERIC_SEPARATOR, False
    parsed = parse_dossier_code(code)
    if parsed is None:
        raise ValueError(f"invalid dossier code {code!r}: {dossier_code_error(code)}")
    return parsed.code, True


def _code128_modules(payload: str) -> np.ndarray | None:
    """One row of Code 128 modules (True = bar), from zxing-cpp's writer; None if it cannot write one."""
    try:
        import zxingcpp

        barcode = zxingcpp.create_barcode(payload, zxingcpp.BarcodeFormat.Code128)
        row = np.asarray(zxingcpp.write_barcode_to_image(barcode, scale=1, add_quiet_zones=False))
    except Exception:  # an old zxing-cpp without a writer: the QR alone still separates
        return None
    row = row.reshape(row.shape[0], -1)[row.shape[0] // 2]
    return row < 128


def _fit_font(draw: ImageDraw.ImageDraw, text: str, px: int, bold: bool, max_w: int) -> ImageFont.FreeTypeFont:
    while px > 8:
        font = _font(px, bold)
        if draw.textlength(text, font=font) <= max_w:
            return font
        px = int(px * 0.92)
    return _font(px, bold)


def _centred(draw: ImageDraw.ImageDraw, y: int, text: str, font: ImageFont.FreeTypeFont, width: int) -> int:
    """Draw ``text`` centred at top ``y``; return the y below it."""
    text = _nfc(text)
    left, top, right, bottom = draw.textbbox((0, 0), text, font=font)
    draw.text(((width - (right - left)) // 2 - left, y - top), text, font=font, fill=0)
    return y + (bottom - top)


def render_separator_sheet(code: str | None, dpi: int = 300) -> Image.Image:
    """An A4 portrait separator sheet (greyscale "L", white) for ``code``, or a generic one when None.

    Raises ValueError, with the reason, when ``code`` is not a valid dossier code: a sheet that the
    pipeline would refuse must never be printed.
    """
    if not isinstance(dpi, int) or not 72 <= dpi <= 1200:
        raise ValueError(f"dpi must be an integer between 72 and 1200, not {dpi!r}")
    payload, is_dossier = _payload(code)
    w, h = _mm(A4_MM[0], dpi), _mm(A4_MM[1], dpi)
    page = Image.new("L", (w, h), 255)
    draw = ImageDraw.Draw(page)
    text_w = _mm(180, dpi)

    y = _mm(22, dpi)
    title = "TỜ PHÂN CÁCH HỒ SƠ" if is_dossier else "TỜ PHÂN CÁCH"
    y = _centred(draw, y, title, _fit_font(draw, title, _mm(11, dpi), True, text_w), w) + _mm(4, dpi)
    subtitle = "Không lưu tờ này vào hồ sơ" if is_dossier else "Tách tài liệu khi quét"
    y = _centred(draw, y, subtitle, _font(_mm(5, dpi), False), w) + _mm(12, dpi)

    # QR: integer pixels per module, so every module is exactly square on the printed page
    qr = segno.make_qr(payload, error="m")
    modules = np.array(list(qr.matrix), dtype=bool)
    n = modules.shape[0]
    mod_px = max(1, _mm(QR_MM, dpi) // n)
    qr_img = Image.fromarray(np.where(np.kron(modules, np.ones((mod_px, mod_px), dtype=bool)), 0, 255).astype(np.uint8))
    page.paste(qr_img, ((w - qr_img.width) // 2, y))
    y += qr_img.height + _mm(10, dpi)

    y = _centred(draw, y, payload, _fit_font(draw, payload, _mm(10, dpi), True, text_w), w) + _mm(6, dpi)
    if is_dossier:
        parsed = parse_dossier_code(payload)
        assert parsed is not None
        detail = (f"Mã cơ quan: {parsed.agency_id} · Ngày tiếp nhận: {parsed.received:%d/%m/%Y}"
                  f" · Số thứ tự: {parsed.sequence:04d}")
        y = _centred(draw, y, detail, _fit_font(draw, detail, _mm(5, dpi), False, text_w), w)
    y += _mm(12, dpi)

    bars = _code128_modules(payload)
    if bars is not None:
        bar_px = max(1, min(_mm(0.5, dpi), _mm(CODE128_MAX_MM, dpi) // len(bars)))
        row = np.repeat(np.where(bars, 0, 255).astype(np.uint8), bar_px)
        strip = Image.fromarray(np.tile(row, (_mm(CODE128_HEIGHT_MM, dpi), 1)))
        page.paste(strip, ((w - strip.width) // 2, y))
        y += strip.height + _mm(12, dpi)

    instruction = ("Đặt tờ này trước các trang của hồ sơ khi quét." if is_dossier
                   else "Đặt tờ này trước mỗi tài liệu khi quét.")
    _centred(draw, y, instruction, _fit_font(draw, instruction, _mm(6, dpi), False, text_w), w)
    return page


def separator_sheet_pdf(codes: list[str | None], path: Path, dpi: int = 300) -> Path:
    """Write one separator sheet per entry of ``codes`` (None: generic sheet) as a PDF at 100 % A4 scale.

    Every code is validated before anything is written, so an invalid one leaves no half-made file.
    """
    codes = list(codes)
    if not codes:
        raise ValueError("no separator sheets requested")
    for code in codes:
        _payload(code)
    pages = [render_separator_sheet(code, dpi).point(lambda v: 0 if v < 128 else 255).convert("1", dither=Image.Dither.NONE)
             for code in codes]
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".part")
    pages[0].save(tmp, "PDF", save_all=True, append_images=pages[1:], resolution=float(dpi),
                  title="Tờ phân cách hồ sơ", creator="sohoa")
    tmp.replace(path)
    return path
