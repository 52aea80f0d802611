"""Separator-sheet codes through what a sheet-fed scanner does to them: skew, rotation, pale or coloured
print, small codes, blur, noise and JPEG. Real rendered sheets and real zxing-cpp, no mocks.

Every degraded page is 300 dpi A4 (2480×3508), the size the pipeline hands the detector.
"""

from __future__ import annotations

import cv2
import numpy as np
import pytest
import segno
import zxingcpp
from PIL import Image, ImageDraw, ImageFont

from ingest.dossier import separator_role
from ingest.separator import render_separator_sheet
from ocr import barcodes
from ocr.barcodes import Code, find_codes

CODE = "000.00.12.H01-240315-0007"
URL = "https://dichvucong.gov.vn/p/home/dvc-tra-cuu-ho-so.html?ma=000.00.12.H01-240315-0007"
DPI = 300
FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"


# --- what a scanner does -------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def sheet() -> np.ndarray:
    return np.array(render_separator_sheet(CODE, DPI))


@pytest.fixture(scope="module")
def text_page() -> np.ndarray:
    return _text_page()


def _text_page(seed: int = 0) -> np.ndarray:
    """A Decree 30-looking page of Vietnamese text: many edges, no code."""
    w, h = 2480, 3508
    im = Image.new("L", (w, h), 255)
    d = ImageDraw.Draw(im)
    body = ImageFont.truetype(FONT, 50)
    bold = ImageFont.truetype(FONT.replace(".ttf", "-Bold.ttf"), 58)
    d.text((w // 2, 350), "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", font=bold, fill=0, anchor="mm")
    d.text((w // 2, 450), "Độc lập - Tự do - Hạnh phúc", font=bold, fill=0, anchor="mm")
    d.text((w // 2, 700), "QUYẾT ĐỊNH", font=bold, fill=0, anchor="mm")
    words = ("Về việc ban hành quy chế tiếp nhận hồ sơ thủ tục hành chính tại Bộ phận một cửa "
             "số 12/QĐ-UBND ngày 25 tháng 5 năm 2023 của Ủy ban nhân dân tỉnh An Giang").split()
    rng = np.random.default_rng(seed)
    for y in range(880, 3150, 88):
        rng.shuffle(words)
        d.text((300, y), " ".join(words)[:68], font=body, fill=0)
    return np.array(im)


def bgr(grey: np.ndarray) -> np.ndarray:
    return cv2.cvtColor(grey, cv2.COLOR_GRAY2BGR)


def skew(img: np.ndarray, degrees: float) -> np.ndarray:
    h, w = img.shape[:2]
    m = cv2.getRotationMatrix2D((w / 2, h / 2), degrees, 1.0)
    white = (255, 255, 255) if img.ndim == 3 else 255
    return cv2.warpAffine(img, m, (w, h), flags=cv2.INTER_LINEAR, borderValue=white)


def recolour(grey: np.ndarray, ink_bgr, paper_bgr) -> np.ndarray:
    """Black-on-white → ink colour on paper colour, in proportion to the ink's darkness."""
    a = np.arange(256, dtype=np.float32) / 255.0  # 0 = ink, 1 = paper
    luts = [np.clip(p * a + i * (1 - a), 0, 255).astype(np.uint8) for i, p in zip(ink_bgr, paper_bgr)]
    return cv2.merge([cv2.LUT(grey, lut) for lut in luts])


def scanned(img: np.ndarray, blur: float = 1.0, noise: float = 6.0, quality: int = 80, seed: int = 0) -> np.ndarray:
    """Optics blur, sensor noise and the scanner's JPEG."""
    cv2.setRNGSeed(seed)
    out = cv2.GaussianBlur(img, (0, 0), blur)
    grain = np.empty(out.shape, np.int16)
    cv2.randn(grain, 0, noise)
    out = cv2.add(out.astype(np.int16), grain, dtype=cv2.CV_16S)
    ok, buf = cv2.imencode(".jpg", cv2.convertScaleAbs(out), [cv2.IMWRITE_JPEG_QUALITY, quality])
    return cv2.imdecode(buf, cv2.IMREAD_UNCHANGED)


def qr_patch(payload: str, mm: float) -> np.ndarray:
    """A QR code printed ``mm`` wide (without its quiet zone) at 300 dpi, with a white quiet zone."""
    modules = np.array(list(segno.make_qr(payload, error="m").matrix), dtype=bool)
    px = int(round(mm / 25.4 * DPI))
    img = cv2.resize(np.where(modules, 0, 255).astype(np.uint8), (px, px), interpolation=cv2.INTER_AREA)
    q = px * 4 // modules.shape[0]
    return cv2.copyMakeBorder(img, q, q, q, q, cv2.BORDER_CONSTANT, value=255)


def code128_patch(payload: str, module_mm: float, height_mm: float) -> np.ndarray:
    barcode = zxingcpp.create_barcode(payload, zxingcpp.BarcodeFormat.Code128)
    row = np.asarray(zxingcpp.write_barcode_to_image(barcode, scale=1, add_quiet_zones=True))[0]
    w, h = int(round(len(row) * module_mm / 25.4 * DPI)), int(round(height_mm / 25.4 * DPI))
    return cv2.resize(np.tile(row, (4, 1)), (w, h), interpolation=cv2.INTER_AREA)


def halftoned(grey: np.ndarray, level: float, period: int = 4) -> np.ndarray:
    """Grey print as a laser printer makes it: a screen of dots covering ``level`` of the inked area."""
    t = np.arange(period)
    cell = (np.sin(2 * np.pi * t / period)[:, None] * np.sin(2 * np.pi * t / period)[None, :] + 1) / 2 < level
    reps = (grey.shape[0] // period + 1, grey.shape[1] // period + 1)
    dots = np.tile(cell, reps)[: grey.shape[0], : grey.shape[1]]
    return np.where((grey < 128) & dots, 0, 255).astype(np.uint8)


def place(page: np.ndarray, patch: np.ndarray, x: int, y: int) -> np.ndarray:
    out = page.copy()
    out[y : y + patch.shape[0], x : x + patch.shape[1]] = patch
    return out


def texts(image, dpi=DPI) -> set[str]:
    return {c.text for c in find_codes(image, dpi)}


# --- the degradations ----------------------------------------------------------------------------------


def _rotated(s, quarter):
    return cv2.rotate(bgr(s), quarter)


DEGRADED = {
    "skew +3°": lambda s: scanned(skew(bgr(s), 3)),
    "skew -3°": lambda s: scanned(skew(bgr(s), -3)),
    "skew +10°": lambda s: scanned(skew(bgr(s), 10)),
    "skew -10°": lambda s: scanned(skew(bgr(s), -10)),
    "rotated 90°": lambda s: scanned(_rotated(s, cv2.ROTATE_90_CLOCKWISE)),
    "rotated 180°": lambda s: scanned(_rotated(s, cv2.ROTATE_180)),
    "rotated 270° and skewed 4°": lambda s: scanned(skew(_rotated(s, cv2.ROTATE_90_COUNTERCLOCKWISE), 4)),
    "ink 40 % on tinted paper": lambda s: scanned(skew(recolour(s, (150, 152, 155), (205, 218, 228)), 6)),
    "ink 60 % on grey paper": lambda s: scanned(skew(recolour(s, (100, 100, 100), (185, 185, 185)), -6)),
    "light-blue print": lambda s: scanned(skew(recolour(s, (245, 205, 140), (250, 250, 250)), 5)),
    "red print": lambda s: scanned(skew(recolour(s, (50, 40, 215), (248, 250, 252)), -5)),
    "blur, noise, JPEG 60": lambda s: scanned(skew(bgr(s), 7), blur=1.8, noise=12, quality=60),
    "300 dpi colour scan": lambda s: scanned(skew(recolour(s, (35, 30, 40), (222, 236, 244)), 2), blur=1.2,
                                             noise=9, quality=85),
    "barely printed (18 grey levels)": lambda s: scanned(skew(recolour(s, (212, 212, 212), (230, 230, 230)), 6), noise=3),
    "halftoned grey print": lambda s: scanned(bgr(skew(halftoned(s, 0.45), -8)), blur=0.7, noise=5),
}


@pytest.mark.parametrize("name", list(DEGRADED))
def test_separator_sheet_is_found_through_the_scanner(sheet, name):
    page = DEGRADED[name](sheet)
    assert page.shape[:2] in ((3508, 2480), (2480, 3508))
    assert CODE in texts(page)


SMALL = {
    # a 12 mm QR (0.5 mm modules) among text, skewed, scanned
    "12 mm QR": lambda t: scanned(bgr(skew(place(t, qr_patch(CODE, 12), 1850, 250), 7))),
    "12 mm QR, pale on grey": lambda t: scanned(
        skew(recolour(place(t, qr_patch(CODE, 12), 1850, 250), (145, 145, 145), (205, 205, 210)), -9),
        blur=1.2, noise=8, quality=70),
    "12 mm QR, light blue": lambda t: scanned(skew(recolour(place(t, qr_patch(CODE, 12), 1850, 250), (250, 215, 170), (250, 250, 250)), 4)),
    "10 mm QR, halftoned": lambda t: scanned(bgr(skew(halftoned(place(t, qr_patch(CODE, 10), 1850, 250), 0.5), 6)), blur=0.7, noise=5),
    # a Code 128 with 0.2 mm modules: unreadable at the first pass's 150 dpi; found by the gate
    "fine Code 128, skewed 8°, rotated 270°": lambda t: cv2.rotate(
        scanned(bgr(skew(place(t, code128_patch(CODE, 0.2, 9), 700, 120), 8)), blur=0.8, noise=5),
        cv2.ROTATE_90_COUNTERCLOCKWISE),
}


@pytest.mark.parametrize("name", list(SMALL))
def test_small_codes_on_a_text_page_are_found(text_page, name):
    assert CODE in texts(SMALL[name](text_page))


def _reference(image: np.ndarray) -> set[str]:
    """What zxing-cpp reads when it is given everything at full resolution: the recall to match."""
    grey = barcodes._dark_channel(image)
    found = set()
    for variant in (grey, cv2.createCLAHE(clipLimit=3.0, tileGridSize=(8, 8)).apply(grey)):
        for bc in zxingcpp.read_barcodes(variant, formats=list(barcodes.CROP_FORMATS), try_rotate=True, try_downscale=True):
            found.add(bc.text)
    return found


@pytest.mark.parametrize("name", ["12 mm QR, pale on grey", "10 mm QR, halftoned", "fine Code 128, skewed 8°, rotated 270°"])
def test_the_cheap_gate_costs_no_recall(text_page, name):
    """Where the 150 dpi first pass misses, the gate sends the region to a full-resolution look: the
    result is at least what an exhaustive full-resolution decode reads."""
    page = SMALL[name](text_page)
    trace: dict = {}
    got = {c.text for c in barcodes._find(page, DPI, trace)}
    assert _reference(page) <= got
    assert CODE in got
    if not any(c.text == CODE for c in trace["first_pass"]):
        assert trace["candidates"], "the code was rescued by a crop the gate chose"


def test_a_page_without_codes_stops_at_the_gate(text_page):
    trace: dict = {}
    page = scanned(bgr(skew(text_page, 2)))
    assert barcodes._find(page, DPI, trace) == []
    assert trace["candidates"] == []  # no full-resolution work on the common page


# --- what must not be found ----------------------------------------------------------------------------


def test_no_code_on_a_text_page(text_page):
    assert find_codes(scanned(bgr(text_page)), DPI) == []
    assert find_codes(text_page, DPI) == []


@pytest.mark.parametrize("image", [
    np.full((3508, 2480, 3), 255, np.uint8),  # blank
    np.zeros((3508, 2480, 3), np.uint8),  # all black
    np.zeros((1, 1), np.uint8),
    np.zeros((1, 1, 3), np.uint8),
    np.full((12, 40), 255, np.uint8),
    np.zeros((0, 0), np.uint8),
    np.full((9000, 7000), 255, np.uint8),  # huge
], ids=["blank", "black", "1x1", "1x1 colour", "sliver", "empty", "huge"])
def test_odd_images_give_nothing(image):
    assert find_codes(image, DPI) == []


def test_blank_scanned_page_gives_nothing():
    """A duplex feed's blank back side: nothing found, and not mistaken for pale print (no CLAHE pass)."""
    paper = np.full((3508, 2480, 3), (226, 233, 238), np.uint8)
    trace: dict = {}
    assert barcodes._find(scanned(paper, noise=5), DPI, trace) == []
    assert trace["faint"] is False and trace["candidates"] == []


def test_pale_print_takes_the_faint_route(sheet):
    trace: dict = {}
    page = DEGRADED["barely printed (18 grey levels)"](sheet)
    assert CODE in {c.text for c in barcodes._find(page, DPI, trace)}
    assert trace["faint"] is True and not trace["first_pass"]


@pytest.mark.parametrize("dpi", [0, -1, float("nan"), None, "300", 1e9])
def test_nonsense_dpi_is_survived(sheet, dpi):
    assert CODE in texts(sheet, dpi)


def test_other_array_kinds(sheet):
    assert CODE in texts(sheet.astype(np.float32) / 255.0)  # float 0..1
    assert CODE in texts(sheet > 128)  # bool
    assert CODE in texts(sheet[..., None])  # H×W×1
    assert CODE in texts(cv2.cvtColor(sheet, cv2.COLOR_GRAY2BGRA))  # with alpha
    assert CODE in texts(np.rot90(bgr(sheet)))  # a view with negative strides
    assert find_codes("not an image", DPI) == []
    assert find_codes(np.zeros((5, 5, 5, 5), np.uint8), DPI) == []


def test_code_boxes_are_in_input_pixels(sheet):
    codes = find_codes(scanned(skew(bgr(sheet), 4)), DPI)
    qr = next(c for c in codes if c.format == "QRCode")
    assert isinstance(qr, Code) and qr.text == CODE
    x, y, w, h = qr.box
    # the sheet's QR is ~80 mm (≈ 945 px) wide, centred horizontally, in the upper half
    assert 850 < w < 1150 and 850 < h < 1150
    assert abs(x + w / 2 - 1240) < 80 and y + h < 3508 / 2
    with pytest.raises(Exception):
        qr.text = "changed"  # frozen


def test_the_sheet_carries_qr_and_code128_once_each(sheet):
    codes = find_codes(sheet, DPI)
    assert sorted(c.format for c in codes) == ["Code128", "QRCode"]
    assert {c.text for c in codes} == {CODE}


def test_a_url_qr_is_read_but_is_no_separator(text_page):
    page = scanned(bgr(place(text_page, qr_patch(URL, 20), 1850, 250)))
    codes = find_codes(page, DPI)
    assert [c.text for c in codes] == [URL]
    assert separator_role(codes[0].text) is None


def test_generic_separator_sheet_and_patcht():
    generic = np.array(render_separator_sheet(None, DPI))
    assert {separator_role(t) for t in texts(scanned(bgr(skew(generic, -4))))} == {"separator"}
    patch_t = place(np.full((3508, 2480), 255, np.uint8), code128_patch("PATCHT", 0.5, 20), 600, 1500)
    assert [(c.text, c.format) for c in find_codes(scanned(bgr(patch_t)), DPI)] == [("PATCHT", "Code128")]
    assert separator_role("PATCHT") == "separator"


def test_lower_resolution_scans(sheet):
    """A 200 dpi or 150 dpi scan of the sheet (scanner set to its fast mode) still separates."""
    for dpi in (200, 150):
        small = cv2.resize(scanned(skew(bgr(sheet), 5)), None, fx=dpi / DPI, fy=dpi / DPI, interpolation=cv2.INTER_AREA)
        assert CODE in texts(small, dpi)
