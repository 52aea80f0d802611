"""The PDF: colour image at ≥ 200 dpi and 100 % scale, with Tesseract's invisible text over the words."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import textwrap
import unicodedata
from datetime import datetime, timedelta, timezone
from pathlib import Path

import cv2
import numpy as np
import pikepdf
import pytest
from PIL import Image, ImageDraw, ImageFont

from ocr.pdf import (
    PageImage,
    PdfCheckError,
    PdfMetadata,
    PdfPage,
    build_pdf,
    check_pdf,
    encode_page_image,
)

FONT = "/usr/share/fonts/truetype/liberation2/LiberationSerif-Regular.ttf"
ROOT = Path(__file__).resolve().parents[1]
A4_PX_300 = (2480, 3508)
# (text, x, y, size) in 300 dpi pixels: top left, middle, bottom right of the page
LINES = [
    ("Quyết định về việc ban hành thủ tục hành chính", 260, 380, 64),
    ("Căn cứ Nghị định số 30/2020/NĐ-CP", 500, 1700, 56),
    ("Nơi nhận: Sở Nội vụ", 1250, 3150, 56),
]
META = PdfMetadata(title="Quyết định 12/QĐ-UBND", author="Ủy ban nhân dân tỉnh An Giang", subject="Bản số hóa",
                   keywords="sohoa, quyết định", created=datetime(2026, 3, 5, 9, 30, 15, tzinfo=timezone(timedelta(hours=7))))


def nfc(s: str) -> str:
    return unicodedata.normalize("NFC", s)


def draw_page(dpi: float = 300, *, noisy: bool = False, lines=LINES):
    """A page at ``dpi``; returns BGR and the drawn words' ink boxes in points."""
    s = dpi / 300
    img = Image.new("RGB", (round(A4_PX_300[0] * s), round(A4_PX_300[1] * s)), (243, 236, 220) if noisy else "white")
    d = ImageDraw.Draw(img)
    boxes: list[tuple[str, tuple[float, float, float, float]]] = []
    for text, x, y, size in lines:
        f = ImageFont.truetype(FONT, round(size * s))
        cx = x * s
        for word in text.split(" "):
            x0, y0, x1, y1 = d.textbbox((cx, y * s), word, font=f)
            d.text((cx, y * s), word, fill=(25, 22, 20), font=f)
            boxes.append((word, (x0 / dpi * 72, y0 / dpi * 72, x1 / dpi * 72, y1 / dpi * 72)))
            cx += d.textlength(word + " ", font=f)
    if noisy:
        body = ImageFont.truetype(FONT, round(40 * s))
        for i in range(22):
            d.text((250 * s, (1850 + i * 58) * s), "Căn cứ Luật Tổ chức chính quyền địa phương ngày 19 tháng 6 năm 2015; "
                   "theo đề nghị của Giám đốc Sở Nội vụ,", fill=(30, 30, 35), font=body)
        d.ellipse((1500 * s, 2650 * s, 2100 * s, 3250 * s), outline=(205, 35, 40), width=round(14 * s))
        d.text((1620 * s, 2900 * s), "ỦY BAN NHÂN DÂN", fill=(205, 35, 40), font=body)
    bgr = cv2.cvtColor(np.asarray(img), cv2.COLOR_RGB2BGR)
    if noisy:
        noise = np.random.default_rng(7).normal(0, 7, bgr.shape).astype(np.float32)
        bgr = np.clip(bgr.astype(np.float32) + noise, 0, 255).astype(np.uint8)
    return bgr, boxes


def text_layer(bgr, tmp: Path, declared_dpi: float, name: str = "ocr") -> Path:
    """Tesseract's text-only PDF from the binarized page, as the pipeline makes it."""
    grey = cv2.cvtColor(bgr, cv2.COLOR_BGR2GRAY)
    _t, binary = cv2.threshold(grey, 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
    png = tmp / f"{name}.png"
    Image.fromarray(binary).save(png, dpi=(declared_dpi, declared_dpi))
    subprocess.run(["tesseract", str(png), str(tmp / name), "-l", "vie", "-c", "textonly_pdf=1", "pdf"],
                   check=True, capture_output=True, env={**os.environ, "OMP_THREAD_LIMIT": "1"})
    return tmp / f"{name}.pdf"


@pytest.fixture(scope="module")
def page300(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("page300")
    bgr, boxes = draw_page(300)
    image = encode_page_image(bgr, 300, tmp / "p.jpg")
    return tmp, image, text_layer(bgr, tmp, 300), boxes


def pdftotext(path: Path, *args: str) -> str:
    return nfc(subprocess.run(["pdftotext", *args, str(path), "-"], capture_output=True, text=True, check=True).stdout)


def word_boxes(path: Path) -> list[tuple[str, tuple[float, float, float, float]]]:
    out = pdftotext(path, "-bbox")
    return [(m.group(5), tuple(float(m.group(i)) for i in range(1, 5)))
            for m in re.finditer(r'xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">([^<]+)</word>', out)]


def assert_aligned(pdf: Path, drawn, page_w: float, page_h: float) -> None:
    """Every drawn word is found in the text layer within 2 % of the page of where it was drawn."""
    found = word_boxes(pdf)
    for word, (x0, y0, x1, y1) in drawn:
        candidates = [b for w, b in found if w == word]
        assert candidates, (word, [w for w, _ in found])
        bx0, by0, bx1, by1 = min(candidates, key=lambda b: abs(b[0] - x0) + abs(b[1] - y0))
        assert abs(bx0 - x0) < 0.02 * page_w and abs(bx1 - x1) < 0.02 * page_w, (word, (x0, x1), (bx0, bx1))
        assert abs((by0 + by1) / 2 - (y0 + y1) / 2) < 0.02 * page_h, (word, (y0, y1), (by0, by1))


def test_text_layer_is_searchable_with_diacritics_and_lies_over_the_words(page300, tmp_path):
    _tmp, image, layer, boxes = page300
    out = tmp_path / "doc.pdf"
    assert build_pdf([PdfPage(image, layer)], out, META) == 1
    check_pdf(out)
    text = pdftotext(out)
    for line, *_ in LINES:
        for word in line.split(" "):
            assert word in text, (word, text)
    assert "Quyết định về việc ban hành thủ tục hành chính" in text
    w, h = image.width_px / image.dpi * 72, image.height_px / image.dpi * 72
    assert_aligned(out, boxes, w, h)


def test_text_layer_follows_the_page_whatever_dpi_the_ocr_image_declared(page300, tmp_path):
    """The OCR image said 150 dpi (Tesseract made a page twice A4): the layer is still stretched onto A4."""
    _tmp, image, _layer, boxes = page300
    bgr, _ = draw_page(300)
    layer = text_layer(bgr, tmp_path, 150)
    with pikepdf.open(layer) as tl:
        assert float(tl.pages[0].mediabox[2]) > 1100
    out = tmp_path / "doc.pdf"
    build_pdf([PdfPage(image, layer)], out, PdfMetadata())
    assert_aligned(out, boxes, image.width_px / image.dpi * 72, image.height_px / image.dpi * 72)


def test_page_is_at_100_percent_scale_with_a_200_dpi_colour_image(page300, tmp_path):
    _tmp, image, layer, _ = page300
    assert (image.dpi, image.width_px, image.height_px) == (200, 1653, 2339)  # 300 dpi brought down to 200
    out = tmp_path / "doc.pdf"
    build_pdf([PdfPage(image, layer)], out, META)
    with pikepdf.open(out) as pdf:
        assert pdf.pdf_version >= "1.4"
        x0, y0, x1, y1 = (float(v) for v in pdf.pages[0].mediabox)
        assert (x0, y0) == (0, 0)
        assert abs(x1 - 1653 / 200 * 72) < 0.01 and abs(y1 - 2339 / 200 * 72) < 0.01  # pixels / dpi: A4
        assert abs(x1 - 595.3) < 1 and abs(y1 - 841.9) < 1
        im = pdf.pages[0].Resources.XObject.Im0
        assert im.Filter == pikepdf.Name.DCTDecode and im.read_raw_bytes() == image.path.read_bytes()  # as is
    rows = subprocess.run(["pdfimages", "-list", str(out)], capture_output=True, text=True, check=True).stdout.splitlines()[2:]
    assert len(rows) == 1
    cols = rows[0].split()
    assert (cols[3], cols[4], cols[5], cols[8]) == ("1653", "2339", "rgb", "jpeg")
    assert int(cols[12]) >= 200 and int(cols[13]) >= 200


def test_resolution_is_brought_down_to_200_never_up(tmp_path):
    low = encode_page_image(draw_page(150)[0], 150, tmp_path / "150.jpg")
    assert (low.dpi, low.width_px, low.height_px) == (150, 1240, 1754)
    same = encode_page_image(draw_page(200)[0], 200, tmp_path / "200.jpg")
    assert (same.dpi, same.width_px) == (200, 1653)
    high = encode_page_image(draw_page(600)[0], 600, tmp_path / "600.jpg")
    assert (high.dpi, high.width_px, high.height_px) == (200, 1653, 2339)
    with Image.open(high.path) as im:
        assert im.size == (1653, 2339) and im.mode == "RGB" and im.info.get("dpi") == (200, 200)
    out = tmp_path / "low.pdf"
    build_pdf([PdfPage(low, None)], out, PdfMetadata())
    with pikepdf.open(out) as pdf:  # a 150 dpi page is still A4 at 100 %
        assert abs(float(pdf.pages[0].mediabox[2]) - 1240 / 150 * 72) < 0.01


def test_pages_without_text_layer_mix_with_recognised_ones(page300, tmp_path):
    _tmp, image, layer, _ = page300
    out = tmp_path / "doc.pdf"
    assert build_pdf([PdfPage(image, None), PdfPage(image, layer), PdfPage(image, None)], out, META) == 3
    check_pdf(out)
    assert pdftotext(out, "-f", "1", "-l", "1").strip() == ""
    assert "hành chính" in pdftotext(out, "-f", "2", "-l", "2")
    with pikepdf.open(out) as pdf:
        assert len(pdf.pages) == 3


def test_text_layer_font_is_embedded_once(page300, tmp_path):
    _tmp, image, layer, _ = page300
    out = tmp_path / "doc.pdf"
    build_pdf([PdfPage(image, layer)] * 4, out, META)
    fonts = subprocess.run(["pdffonts", str(out)], capture_output=True, text=True, check=True).stdout.splitlines()[2:]
    assert len(fonts) == 1 and "GlyphLessFont" in fonts[0] and " yes " in fonts[0]


def test_metadata_round_trips_in_info_and_xmp(page300, tmp_path):
    _tmp, image, layer, _ = page300
    out = tmp_path / "doc.pdf"
    build_pdf([PdfPage(image, layer)], out, META)
    with pikepdf.open(out) as pdf:
        info = pdf.docinfo
        assert str(info["/Title"]) == META.title and str(info["/Author"]) == META.author
        assert str(info["/Subject"]) == META.subject and str(info["/Keywords"]) == META.keywords
        assert str(info["/Creator"]) == "sohoa" and str(info["/Producer"]).startswith("sohoa")
        assert str(info["/CreationDate"]) == str(info["/ModDate"]) == "D:20260305093015+07'00'"
        assert str(pdf.Root.Lang) == "vi-VN"
        xmp = pdf.open_metadata()
        assert xmp["dc:title"] == META.title and xmp["dc:creator"] == [META.author]
        assert xmp["dc:description"] == META.subject and xmp["pdf:Keywords"] == META.keywords
        assert xmp["xmp:CreatorTool"] == "sohoa" and xmp["pdf:Producer"] == str(info["/Producer"])
        assert set(xmp["dc:language"]) == {"vi-VN"}
        assert datetime.fromisoformat(xmp["xmp:CreateDate"]) == META.created
        assert datetime.fromisoformat(xmp["xmp:ModifyDate"]) == META.created


def test_pdfa_2b_structure(page300, tmp_path):
    _tmp, image, layer, _ = page300
    out = tmp_path / "doc.pdf"
    build_pdf([PdfPage(image, layer), PdfPage(image, None)], out, META, pdfa=True)
    check_pdf(out)
    with pikepdf.open(out) as pdf:
        xmp = pdf.open_metadata()
        assert xmp["pdfaid:part"] == "2" and xmp["pdfaid:conformance"] == "B"
        assert pdf.open_metadata().pdfa_status == "2B"
        (intent,) = pdf.Root.OutputIntents
        assert intent.Type == pikepdf.Name.OutputIntent and intent.S == pikepdf.Name.GTS_PDFA1
        icc = intent.DestOutputProfile
        profile = icc.read_bytes()
        assert int(icc.N) == 3 and profile[16:20] == b"RGB " and profile[12:16] == b"mntr" and profile[8] <= 4
        assert len(pdf.trailer.ID) == 2 and "/Encrypt" not in pdf.trailer
        assert pdf.pdf_version >= "1.4"
        for page in pdf.pages:
            assert "/Group" not in page.obj
            for xobj in page.Resources.XObject.values():
                assert "/Group" not in xobj and "/SMask" not in xobj
        assert "/Metadata" in pdf.Root and "/Filter" not in pdf.Root.Metadata  # XMP readable as is
    fonts = subprocess.run(["pdffonts", str(out)], capture_output=True, text=True, check=True).stdout.splitlines()[2:]
    assert fonts and all(" yes " in line for line in fonts)


def test_noisy_colour_scan_stays_under_500_kb_a_page(tmp_path):
    bgr, _ = draw_page(300, noisy=True)
    image = encode_page_image(bgr, 300, tmp_path / "noisy.jpg")
    layer = text_layer(bgr, tmp_path, 300)
    out = tmp_path / "noisy.pdf"
    build_pdf([PdfPage(image, layer)], out, META)
    size = out.stat().st_size
    print(f"\nnoisy 300 dpi colour scan: JPEG {image.path.stat().st_size / 1000:.0f} KB, PDF {size / 1000:.0f} KB a page")
    assert size <= 500_000
    assert "Nghị định" in pdftotext(out)
    rows = subprocess.run(["pdfimages", "-list", str(out)], capture_output=True, text=True, check=True).stdout.splitlines()[2:]
    assert rows[0].split()[5] == "rgb"  # the red seal keeps the page in colour


def test_very_noisy_page_is_brought_under_the_size_budget(tmp_path):
    rng = np.random.default_rng(3)
    bgr = np.clip(rng.normal(200, 40, (2339, 1653, 3)), 0, 255).astype(np.uint8)  # worst case: pure noise
    free = encode_page_image(bgr, 200, tmp_path / "free.jpg", max_kb_per_a4=None)
    capped = encode_page_image(bgr, 200, tmp_path / "capped.jpg")
    assert free.path.stat().st_size > 480_000
    assert capped.path.stat().st_size < free.path.stat().st_size


def test_grey_only_when_asked_and_colourless(tmp_path):
    plain, _ = draw_page(200)
    grey = encode_page_image(plain, 200, tmp_path / "g.jpg", grey_if_colourless=True)
    with Image.open(grey.path) as im:
        assert im.mode == "L"
    kept = encode_page_image(plain, 200, tmp_path / "c.jpg")
    with Image.open(kept.path) as im:
        assert im.mode == "RGB"
    sealed, _ = draw_page(200, noisy=True)
    seal = encode_page_image(sealed, 200, tmp_path / "s.jpg", grey_if_colourless=True)
    with Image.open(seal.path) as im:
        assert im.mode == "RGB"
    out = tmp_path / "grey.pdf"
    build_pdf([PdfPage(grey, None)], out, PdfMetadata())
    with pikepdf.open(out) as pdf:
        assert pdf.pages[0].Resources.XObject.Im0.ColorSpace == pikepdf.Name.DeviceGray


def test_damaged_pdf_fails_the_check(page300, tmp_path):
    _tmp, image, _layer, _ = page300
    out = tmp_path / "doc.pdf"
    build_pdf([PdfPage(image, None)], out, PdfMetadata())
    cut = tmp_path / "cut.pdf"
    data = out.read_bytes()
    cut.write_bytes(data[: len(data) // 2])
    with pytest.raises(PdfCheckError):
        check_pdf(cut)


def test_bad_input_leaves_no_partial_file(page300, tmp_path):
    _tmp, image, _layer, _ = page300
    out = tmp_path / "doc.pdf"
    out.write_bytes(b"previous version")
    wrong = PageImage(image.path, image.dpi, image.width_px + 1, image.height_px)
    with pytest.raises(ValueError):
        build_pdf([PdfPage(image, None), PdfPage(wrong, None)], out, PdfMetadata())
    with pytest.raises(ValueError):
        build_pdf([], out, PdfMetadata())
    assert out.read_bytes() == b"previous version"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["doc.pdf"]


def test_memory_stays_flat_for_a_long_document(tmp_path):
    """300 pages of ~400 KB JPEGs (120 MB of images): peak RSS must not grow with them."""
    rng = np.random.default_rng(5)
    bgr = np.clip(rng.normal(215, 25, (2339, 1653, 3)), 0, 255).astype(np.uint8)
    image = encode_page_image(bgr, 200, tmp_path / "p.jpg", max_kb_per_a4=None)
    layer = text_layer(draw_page(100)[0], tmp_path, 100)
    script = textwrap.dedent(f"""
        import json, sys
        from pathlib import Path
        sys.path.insert(0, {str(ROOT)!r})
        from ocr.pdf import PageImage, PdfMetadata, PdfPage, build_pdf

        def status(key):  # kB; VmHWM is this process's own peak (ru_maxrss would include pytest's, across exec)
            for line in open("/proc/self/status"):
                if line.startswith(key):
                    return int(line.split()[1]) / 1024

        image = PageImage(Path({str(image.path)!r}), {image.dpi}, {image.width_px}, {image.height_px})
        pages = [PdfPage(image, Path({str(layer)!r}) if i % 2 else None) for i in range(300)]
        out = Path({str(tmp_path / "long.pdf")!r})
        build_pdf(pages[:2], out, PdfMetadata(), pdfa=True)  # libraries loaded and warm
        try:
            open("/proc/self/clear_refs", "w").write("5")  # reset VmHWM to the current RSS
        except OSError:
            pass
        before = status("VmHWM")
        n = build_pdf(pages, out, PdfMetadata(title="dài"), pdfa=True)
        print(json.dumps({{"pages": n, "before_mb": before, "after_mb": status("VmHWM")}}))
    """)
    run = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True, timeout=120)
    res = json.loads(run.stdout)
    images_mb = 300 * image.path.stat().st_size / 2**20
    print(f"\n300 pages, {images_mb:.0f} MB of JPEG: peak RSS {res['before_mb']:.0f} → {res['after_mb']:.0f} MB")
    assert res["pages"] == 300
    assert res["after_mb"] - res["before_mb"] < 40 < images_mb / 2
    with pikepdf.open(tmp_path / "long.pdf") as pdf:
        assert len(pdf.pages) == 300
