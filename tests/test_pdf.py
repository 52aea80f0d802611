"""The PDF: colour image at ≥ 200 dpi and 100 % scale, with an invisible text layer on top of the words."""

from __future__ import annotations

import subprocess
import unicodedata

import cv2
import numpy as np
import pikepdf
import pytest
from PIL import Image, ImageDraw, ImageFont

from ocr.engine import recognize
from ocr.pdf import PageImage, PdfCheckError, PdfMetadata, PdfPage, build_pdf, check_pdf, encode_page_image

FONT = "/usr/share/fonts/truetype/liberation2/LiberationSerif-Regular.ttf"
WORDS = [("Quyết", 300, 400), ("định", 620, 400), ("thủ", 300, 900), ("tục", 520, 900), ("hành", 300, 1400), ("chính", 620, 1400)]


def page_at(dpi: int, noisy: bool = False):
    scale = dpi / 300
    w, h = round(2480 * scale), round(3508 * scale)
    img = Image.new("RGB", (w, h), (244, 240, 228) if noisy else "white")
    d = ImageDraw.Draw(img)
    f = ImageFont.truetype(FONT, round(70 * scale))
    for word, x, y in WORDS:
        d.text((x * scale, y * scale), word, fill="black", font=f)
    body = ImageFont.truetype(FONT, round(40 * scale))
    for i in range(25):
        d.text((250 * scale, (1700 + i * 60) * scale), "Căn cứ Nghị định số 30/2020/NĐ-CP về công tác văn thư của Chính phủ;", fill=(20, 20, 20), font=body)
    if noisy:
        d.ellipse((1500 * scale, 2700 * scale, 2100 * scale, 3300 * scale), outline=(210, 40, 40), width=round(14 * scale))
    arr = cv2.cvtColor(np.asarray(img), cv2.COLOR_RGB2BGR)
    if noisy:
        arr = np.clip(arr.astype(np.float32) + np.random.default_rng(1).normal(0, 8, arr.shape), 0, 255).astype(np.uint8)
    return arr


def ocr_layer(bgr, dpi, tmp_path):
    grey = cv2.cvtColor(bgr, cv2.COLOR_BGR2GRAY)
    _t, binary = cv2.threshold(grey, 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
    path = tmp_path / "ocr.png"
    cv2.imwrite(str(path), binary)
    return recognize(path, tmp_path / "ocr", dpi=dpi).text_layer


def build(tmp_path, dpi=300, noisy=False, pdfa=False, layer=True):
    bgr = page_at(dpi, noisy)
    image = encode_page_image(bgr, dpi, tmp_path / "p.jpg")
    text_layer = ocr_layer(bgr, dpi, tmp_path) if layer else None
    out = tmp_path / "doc.pdf"
    meta = PdfMetadata(title="Quyết định 12/QĐ-UBND", author="UBND tỉnh An Giang", subject="Bản số hóa", keywords="sohoa")
    assert build_pdf([PdfPage(image, text_layer)], out, meta, pdfa=pdfa) == 1
    return out, image


def test_text_is_searchable_with_diacritics_and_aligned_with_the_words(tmp_path):
    out, image = build(tmp_path)
    check_pdf(out)
    text = unicodedata.normalize("NFC", subprocess.run(["pdftotext", str(out), "-"], capture_output=True, text=True, check=True).stdout)
    for word, _x, _y in WORDS:
        assert word in text
    bbox = subprocess.run(["pdftotext", "-bbox", str(out), "-"], capture_output=True, text=True, check=True).stdout
    import re

    found: dict[str, tuple[float, float]] = {}
    for m in re.finditer(r'xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">([^<]+)<', bbox):
        found.setdefault(unicodedata.normalize("NFC", m.group(5)), (float(m.group(1)), float(m.group(2))))  # first = the big words
    for word, x, y in WORDS:
        px, py = found[word]
        assert abs(px - x / 300 * 72) < 0.02 * 595 and abs(py - y / 300 * 72) < 0.02 * 842, (word, px, py)


def test_page_is_100_percent_scale_and_image_is_200_dpi(tmp_path):
    out, image = build(tmp_path)
    assert image.dpi == 200 and image.width_px == round(2480 * 2 / 3)
    with pikepdf.open(out) as pdf:
        box = [float(v) for v in pdf.pages[0].mediabox]
        assert abs(box[2] - 595.2) < 1 and abs(box[3] - 841.9) < 1  # A4
        assert float(pdf.pdf_version) >= 1.4
        assert str(pdf.docinfo["/Title"]) == "Quyết định 12/QĐ-UBND"
        assert str(pdf.Root.Lang) == "vi-VN"
    listing = subprocess.run(["pdfimages", "-list", str(out)], capture_output=True, text=True, check=True).stdout.splitlines()
    cols = listing[2].split()
    assert cols[5] == "rgb" and int(cols[12]) == 200 and int(cols[13]) == 200


def test_low_resolution_is_never_upsampled(tmp_path):
    image = encode_page_image(page_at(150), 150, tmp_path / "low.jpg")
    assert image.dpi == 150 and image.width_px == round(2480 / 2)


def test_page_without_text_layer(tmp_path):
    out, _ = build(tmp_path, layer=False)
    check_pdf(out)
    assert subprocess.run(["pdftotext", str(out), "-"], capture_output=True, text=True).stdout.strip() == ""


def test_pdfa_2b_structure(tmp_path):
    out, _ = build(tmp_path, pdfa=True)
    with pikepdf.open(out) as pdf:
        meta = pdf.open_metadata()
        assert meta["pdfaid:part"] == "2" and meta["pdfaid:conformance"] == "B"
        intent = pdf.Root.OutputIntents[0]
        assert intent.S == pikepdf.Name.GTS_PDFA1 and int(intent.DestOutputProfile.N) == 3
        assert "/ID" in pdf.trailer
    fonts = subprocess.run(["pdffonts", str(out)], capture_output=True, text=True, check=True).stdout.splitlines()[2:]
    assert fonts and all(" yes " in line for line in fonts)  # every font embedded


def test_noisy_colour_scan_is_small(tmp_path):
    out, _ = build(tmp_path, noisy=True)
    assert out.stat().st_size < 500_000, out.stat().st_size


def test_damaged_pdf_fails_the_check(tmp_path):
    out, _ = build(tmp_path, layer=False)
    data = bytearray(out.read_bytes())
    cut = tmp_path / "cut.pdf"
    cut.write_bytes(bytes(data[: len(data) // 2]))
    with pytest.raises(PdfCheckError):
        check_pdf(cut)


def test_many_pages_share_one_build(tmp_path):
    bgr = page_at(150)
    image = encode_page_image(bgr, 150, tmp_path / "p.jpg")
    pages = [PdfPage(PageImage(image.path, image.dpi, image.width_px, image.height_px), None) for _ in range(200)]
    out = tmp_path / "many.pdf"
    assert build_pdf(pages, out, PdfMetadata()) == 200
    check_pdf(out)
