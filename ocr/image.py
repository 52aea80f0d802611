"""Reading scans: what a file is, how many pages it has, and one page at a time as pixels.

Everything a clerk can feed us passes through here first, so this is where hostile input is stopped with a
message a person understands: empty, unknown, truncated, encrypted, page-less, 1×1 or decompression bombs.
Pages are decoded one at a time so a 500-page PDF never sits in memory whole.
"""

from __future__ import annotations

import os
import subprocess
import warnings
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
from PIL import Image, ImageOps

A4_LONG_SIDE_IN = 11.69
MIN_PAGE_SIDE_PX = 100  # smaller than a postage stamp at 100 dpi: not a scanned page


class InputError(ValueError):
    """The file cannot be digitized; the message says why in words a clerk can act on."""


@dataclass(frozen=True)
class Limits:
    max_pixels: int = 120_000_000
    max_pages: int = 2000
    render_dpi: int = 300  # PDF pages are rendered at this when they carry no scan of their own
    render_timeout_s: float = 120.0


@dataclass(frozen=True)
class SourceInfo:
    kind: str  # jpeg | png | tiff | pdf
    mime: str
    page_count: int


MAGIC = [
    (b"\xff\xd8\xff", "jpeg", "image/jpeg"),
    (b"\x89PNG\r\n\x1a\n", "png", "image/png"),
    (b"II*\x00", "tiff", "image/tiff"),
    (b"MM\x00*", "tiff", "image/tiff"),
    (b"%PDF-", "pdf", "application/pdf"),
]


def sniff(path: Path) -> tuple[str, str]:
    """Type from content, never from the file name (names from scanners and browsers lie)."""
    with open(path, "rb") as f:
        head = f.read(1024)
    if not head:
        raise InputError("the file is empty (0 bytes)")
    for magic, kind, mime in MAGIC:
        if head.startswith(magic) or (kind == "pdf" and magic in head):
            return kind, mime
    raise InputError("not a scan: sohoa accepts JPEG, PNG, TIFF and PDF files")


def probe(path: Path, limits: Limits = Limits()) -> SourceInfo:
    """Check a file enough to accept it (type, pages, size) without decoding its pixels."""
    kind, mime = sniff(path)
    if kind == "pdf":
        count = _pdf_page_count(path)
    else:
        count = _image_page_count(path, kind, limits)
    if count == 0:
        raise InputError("the PDF has no pages")
    if count > limits.max_pages:
        raise InputError(f"the file has {count} pages; at most {limits.max_pages} are accepted per file")
    return SourceInfo(kind=kind, mime=mime, page_count=count)


def load_page(path: Path, info: SourceInfo, index: int, limits: Limits = Limits()) -> tuple[np.ndarray, float]:
    """Page ``index`` (0-based) as a BGR array and its resolution in dpi."""
    if info.kind == "pdf":
        return _render_pdf_page(path, index, limits)
    return _decode_image_page(path, index, limits)


# --- images -------------------------------------------------------------------------------------------


def _open_image(path: Path, limits: Limits) -> Image.Image:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            img = Image.open(path)
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise InputError("the image is too large to be a page (decompression bomb?)") from None
    except Exception as exc:  # Pillow raises many types for garbage
        raise InputError(f"the image cannot be read: {exc}") from None
    return img


def _check_size(width: int, height: int, limits: Limits, where: str = "") -> None:
    if width * height > limits.max_pixels:
        raise InputError(
            f"{where}the page is {width}×{height} pixels, more than the {limits.max_pixels:,} allowed "
            "(a decompression bomb, or a scan at an absurd resolution)"
        )
    if min(width, height) < MIN_PAGE_SIDE_PX:
        raise InputError(f"{where}the image is only {width}×{height} pixels: too small to be a scanned page")


def _image_page_count(path: Path, kind: str, limits: Limits) -> int:
    img = _open_image(path, limits)
    with img:
        frames = getattr(img, "n_frames", 1) if kind == "tiff" else 1
        for i in range(min(frames, limits.max_pages + 1)):
            if frames > 1:
                img.seek(i)
            _check_size(img.width, img.height, limits, f"page {i + 1}: " if frames > 1 else "")
        return frames


def _decode_image_page(path: Path, index: int, limits: Limits) -> tuple[np.ndarray, float]:
    img = _open_image(path, limits)
    if img.format in ("JPEG", "PNG") and index == 0:
        fast = _decode_with_opencv(path, img, limits)
        if fast is not None:
            return fast
    with img:
        try:
            if index:
                img.seek(index)
            _check_size(img.width, img.height, limits)
            dpi = _image_dpi(img)
            img.load()
            if img.format == "JPEG":
                img = ImageOps.exif_transpose(img)
            rgb = img.convert("RGB")
        except InputError:
            raise
        except (OSError, SyntaxError, ValueError, EOFError) as exc:
            raise InputError(f"page {index + 1} is corrupt or truncated: {exc}") from None
    arr = np.asarray(rgb)
    return cv2.cvtColor(arr, cv2.COLOR_RGB2BGR), dpi or _guess_dpi(arr.shape[1], arr.shape[0])


def _decode_with_opencv(path: Path, img: Image.Image, limits: Limits) -> tuple[np.ndarray, float] | None:
    """JPEG and PNG through OpenCV: about twice as fast as Pillow and no RGB→BGR copy.

    OpenCV decodes a truncated JPEG into a grey-bottomed page without complaint, so a JPEG must end with
    its EOI marker; anything OpenCV cannot decode falls back to Pillow, whose errors say what is wrong.
    """
    with img:
        _check_size(img.width, img.height, limits)
        dpi = _image_dpi(img)
        fmt = img.format
    if fmt == "JPEG":
        with open(path, "rb") as f:
            f.seek(0, os.SEEK_END)
            f.seek(max(0, f.tell() - 4096))
            if b"\xff\xd9" not in f.read():
                raise InputError("page 1 is corrupt or truncated: the JPEG data ends early")
    arr = cv2.imread(str(path), cv2.IMREAD_COLOR)  # applies the EXIF orientation, like exif_transpose
    if arr is None:
        return None
    return arr, dpi or _guess_dpi(arr.shape[1], arr.shape[0])


def _image_dpi(img: Image.Image) -> float | None:
    dpi = img.info.get("dpi")
    if not dpi:
        return None
    try:
        value = float(dpi[0])
    except (TypeError, ValueError, IndexError):
        return None
    # 72/96 dpi is what cameras and screenshots claim by default; it says nothing about the paper.
    return value if 100 <= value <= 1200 else None


def _guess_dpi(width: int, height: int) -> float:
    """Resolution of a scan that does not say: assume the long side is an A4 page."""
    return float(min(600, max(100, round(max(width, height) / A4_LONG_SIDE_IN))))


# --- PDFs ----------------------------------------------------------------------------------------------


def _open_pdf(path: Path):
    import pikepdf

    try:
        return pikepdf.open(path)
    except pikepdf.PasswordError:
        raise InputError("the PDF is encrypted with a password; remove the protection and submit it again") from None
    except Exception as exc:
        raise InputError(f"the PDF cannot be read: {exc}") from None


def _pdf_page_count(path: Path) -> int:
    with _open_pdf(path) as pdf:
        try:
            return len(pdf.pages)
        except Exception as exc:
            raise InputError(f"the PDF page tree is broken: {exc}") from None


def pdf_page_plan(path: Path, index: int, limits: Limits) -> tuple[float, float, float]:
    """(width_pt, height_pt, dpi) to render a page at: the native dpi of its scan, within limits."""
    import pikepdf

    with _open_pdf(path) as pdf:
        page = pdf.pages[index]
        box = page.trimbox if "/TrimBox" in page.obj else page.mediabox
        w_pt, h_pt = abs(float(box[2]) - float(box[0])), abs(float(box[3]) - float(box[1]))
        if page.obj.get("/Rotate", 0) % 180:
            w_pt, h_pt = h_pt, w_pt
        native = 0.0
        try:
            for _name, raw in page.images.items():
                img = pikepdf.PdfImage(raw)
                native = max(native, img.width / max(w_pt / 72.0, 1e-6), img.height / max(h_pt / 72.0, 1e-6))
        except Exception:
            native = 0.0
    if w_pt < 1 or h_pt < 1:
        raise InputError(f"page {index + 1} has an empty page box")
    dpi = float(limits.render_dpi)
    if native >= 100:
        dpi = min(native, float(limits.render_dpi))  # a 200 dpi scan stays 200 dpi: never invent pixels
    pixels = (w_pt / 72 * dpi) * (h_pt / 72 * dpi)
    if pixels > limits.max_pixels:
        dpi = dpi * (limits.max_pixels / pixels) ** 0.5
        if min(w_pt, h_pt) / 72 * dpi < MIN_PAGE_SIDE_PX:
            raise InputError(f"page {index + 1} is {w_pt:.0f}×{h_pt:.0f} pt: too large to render")
    return w_pt, h_pt, dpi


def _render_pdf_page(path: Path, index: int, limits: Limits) -> tuple[np.ndarray, float]:
    _w, _h, dpi = pdf_page_plan(path, index, limits)
    cmd = ["pdftoppm", "-f", str(index + 1), "-l", str(index + 1), "-r", f"{dpi:.2f}", str(path)]
    try:
        proc = subprocess.run(cmd, capture_output=True, timeout=limits.render_timeout_s, check=False)
    except subprocess.TimeoutExpired:
        raise InputError(f"page {index + 1} took longer than {limits.render_timeout_s:.0f} s to render") from None
    if proc.returncode != 0 or not proc.stdout:
        err = proc.stderr.decode("utf-8", "replace").strip().splitlines()
        raise InputError(f"page {index + 1} cannot be rendered: {err[-1] if err else 'no output'}")
    arr = cv2.imdecode(np.frombuffer(proc.stdout, np.uint8), cv2.IMREAD_COLOR)
    if arr is None:
        raise InputError(f"page {index + 1} cannot be rendered")
    _check_size(arr.shape[1], arr.shape[0], limits, f"page {index + 1}: ")
    return arr, dpi
