"""Hostile and broken inputs, built on the fly (nothing binary is committed)."""

from __future__ import annotations

import io
import struct
import zlib
from pathlib import Path

import numpy as np
import pikepdf
from PIL import Image, ImageDraw, ImageFont

FONT = "/usr/share/fonts/truetype/liberation2/LiberationSerif-Regular.ttf"


def text_page(text: str = "Quyết định về việc ban hành thủ tục hành chính", size=(1240, 1754)) -> Image.Image:
    """A small, clean page (150 dpi A4) that OCRs quickly."""
    img = Image.new("RGB", size, "white")
    d = ImageDraw.Draw(img)
    font = ImageFont.truetype(FONT, 32)
    for i in range(6):
        d.text((120, 150 + i * 60), text, fill="black", font=font)
    return img


def zero_byte(d: Path) -> Path:
    p = d / "empty.jpg"
    p.write_bytes(b"")
    return p


def not_a_scan(d: Path) -> Path:
    p = d / "notes.pdf.exe"
    p.write_bytes(b"MZ\x90\x00" + b"this is not an image or a PDF" * 20)
    return p


def truncated_jpeg(d: Path) -> Path:
    buf = io.BytesIO()
    text_page().save(buf, "JPEG", quality=90, dpi=(150, 150))
    data = buf.getvalue()
    p = d / "truncated.jpg"
    p.write_bytes(data[: len(data) // 2])
    return p


def encrypted_pdf(d: Path) -> Path:
    src = d / "plain-for-encryption.pdf"
    text_page().save(src, "PDF", resolution=150)
    p = d / "encrypted.pdf"
    with pikepdf.open(src) as pdf:
        pdf.save(p, encryption=pikepdf.Encryption(user="secret", owner="owner", R=6))
    src.unlink()
    return p


def no_pages_pdf(d: Path) -> Path:
    p = d / "no-pages.pdf"
    pdf = pikepdf.new()
    pdf.save(p)
    return p


def one_pixel(d: Path) -> Path:
    p = d / "pixel.png"
    Image.new("RGB", (1, 1), "white").save(p)
    return p


def decompression_bomb(d: Path, side: int = 40_000) -> Path:
    """A PNG that claims side×side pixels (1.6 gigapixels) in a few kilobytes."""
    row = b"\x00" + b"\x00" * (side // 8)  # filter byte + one bit per pixel, all zero
    compressor = zlib.compressobj(9)
    idat = b"".join(compressor.compress(row) for _ in range(side)) + compressor.flush()

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    ihdr = struct.pack(">IIBBBBB", side, side, 1, 0, 0, 0, 0)
    p = d / "bomb.png"
    p.write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", idat) + chunk(b"IEND", b""))
    return p


def corrupt_tiff_page(d: Path) -> Path:
    """A 2-page TIFF whose second page's pixel data is cut off."""
    p = d / "two-pages.tif"
    pages = [text_page(), text_page("Trang thứ hai của hồ sơ")]
    pages[0].save(p, save_all=True, append_images=pages[1:], compression="tiff_lzw", dpi=(150, 150))
    data = bytearray(p.read_bytes())
    with Image.open(p) as im:
        im.seek(1)
        offsets = im.tag_v2.get(273)  # StripOffsets of page 2
    start = offsets[0] if isinstance(offsets, tuple) else offsets
    data[start : start + 4000] = np.random.default_rng(0).integers(0, 255, 4000, dtype=np.uint8).tobytes()
    p.write_bytes(bytes(data))
    return p


HOSTILE_NAMES = ["../../etc/passwd.jpg", "a\x00b\nc\r\x1b[31m.jpg", "..\\..\\windows\\system32.png", "  ", "ờ" * 300 + ".jpg"]
