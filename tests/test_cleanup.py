"""Clean-up: upright, straight, blank pages found, coloured ink out of the way — on generated pages and on
pages drawn differently (sans-serif, tables, landscape, a dark photo) so the logic is not tuned to one generator."""

from __future__ import annotations

import subprocess

import cv2
import numpy as np
import pytest
from PIL import Image, ImageDraw, ImageFont

from bench.synthetic import generate_page
from ocr.cleanup import CleanupOptions, clean_page, rotate_bound, suppress_colour_ink

SANS = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"
SERIF = "/usr/share/fonts/truetype/liberation2/LiberationSerif-Regular.ttf"
TEXT = ["Hồ sơ đề nghị cấp giấy phép xây dựng nhà ở riêng lẻ", "Số định danh cá nhân: 089123456789",
        "Địa chỉ: số 15 đường Trần Hưng Đạo, phường Mỹ Bình", "Kết quả giải quyết thủ tục hành chính được trả"]


def bgr(img: Image.Image) -> np.ndarray:
    return cv2.cvtColor(np.asarray(img.convert("RGB")), cv2.COLOR_RGB2BGR)


def drawn_page(font=SANS, size=(2480, 3508), table=False, photo=False, lines=30) -> np.ndarray:
    img = Image.new("RGB", size, (250, 250, 248))
    d = ImageDraw.Draw(img)
    f = ImageFont.truetype(font, 42)
    for i in range(lines):
        d.text((250, 250 + i * 80), TEXT[i % len(TEXT)], fill=(25, 25, 25), font=f)
    if table:
        for r in range(8):
            d.line((240, 2700 + r * 70, size[0] - 240, 2700 + r * 70), fill=(0, 0, 0), width=3)
        for c in range(5):
            d.line((240 + c * 480, 2700, 240 + c * 480, 3190), fill=(0, 0, 0), width=3)
    if photo:
        d.rectangle((1500, 300, 2200, 1100), fill=(40, 45, 50))
    return bgr(img)


def turn(page: np.ndarray, rotation: int, skew: float) -> np.ndarray:
    if skew:
        page = rotate_bound(page, skew, (250, 250, 248), keep_size=False)
    codes = {90: cv2.ROTATE_90_CLOCKWISE, 180: cv2.ROTATE_180, 270: cv2.ROTATE_90_COUNTERCLOCKWISE}
    return cv2.rotate(page, codes[rotation]) if rotation else page


@pytest.mark.parametrize("tier", ["clean", "office", "hard"])
def test_generated_pages_come_out_upright_and_straight(tier):
    for seed in range(300, 312):
        page = generate_page(seed, tier)
        cp = clean_page(bgr(page.image), page.dpi)
        assert not cp.blank, (tier, seed)
        assert cp.rotation == page.rotation, (tier, seed, page.rotation, cp.rotation, cp.orientation_confidence)
        assert abs(cp.skew_deg - page.skew_deg) < 0.2, (tier, seed, page.skew_deg, cp.skew_deg)
        assert cp.ocr.shape == cp.colour.shape[:2] and cp.ocr.dtype == np.uint8
        assert set(np.unique(cp.ocr)) <= {0, 255}


@pytest.mark.parametrize(
    "kwargs, rotation, skew",
    [
        ({"font": SANS}, 90, 4.0),
        ({"font": SERIF, "table": True}, 180, -6.5),
        ({"font": SANS, "photo": True}, 270, 9.0),
        ({"font": SERIF, "size": (3508, 2480), "lines": 20}, 0, -2.0),  # a landscape page
        ({"font": SANS, "lines": 4}, 180, 1.5),  # only a few lines
    ],
)
def test_pages_drawn_differently(kwargs, rotation, skew):
    cp = clean_page(turn(drawn_page(**kwargs), rotation, skew), 300)
    assert cp.rotation == rotation
    assert abs(cp.skew_deg - skew) < 0.2


def test_blank_back_sides_are_flagged_but_sparse_pages_are_not():
    for seed in range(6):
        for tier in ("office", "hard"):
            page = generate_page(seed, tier, "blank")
            assert clean_page(bgr(page.image), page.dpi).blank, (seed, tier)
    assert not clean_page(drawn_page(lines=2), 300).blank
    signature_only = Image.new("RGB", (2480, 3508), "white")
    ImageDraw.Draw(signature_only).line([(900, 1700), (1300, 1600), (1500, 1800), (1700, 1650)], fill=(20, 40, 160), width=8)
    assert not clean_page(bgr(signature_only), 300).blank


def test_no_orientation_no_deskew_options_are_honoured():
    page = turn(drawn_page(), 180, 3.0)
    cp = clean_page(page, 300, CleanupOptions(orientation=False, deskew=False))
    assert cp.rotation == 0 and cp.skew_deg == 0.0 and cp.colour.shape == page.shape


def test_red_seal_and_blue_ink_turn_white_black_print_stays():
    px = np.array([[[40, 35, 210], [170, 60, 25], [20, 20, 20], [30, 20, 60]]], np.uint8)  # BGR: red, blue, black, black under red
    grey = suppress_colour_ink(px)[0]
    assert grey[0] > 200 and grey[1] > 200 and grey[2] < 60 and grey[3] < 130


def _words(img: np.ndarray, tmp_path, name) -> set[str]:
    path = tmp_path / f"{name}.png"
    cv2.imwrite(str(path), img)
    out = subprocess.run(["tesseract", str(path), "-", "-l", "vie", "--psm", "6"], capture_output=True, text=True, check=True)
    return set(out.stdout.split())


def test_a_red_seal_over_text_barely_hurts_recognition(tmp_path):
    clean = Image.new("RGB", (2000, 700), "white")
    d = ImageDraw.Draw(clean)
    f = ImageFont.truetype(SERIF, 50)
    lines = ["KT. CHỦ TỊCH", "PHÓ CHỦ TỊCH", "Nguyễn Thị Phương Thảo", "Trần Hữu Quốc Việt"]
    for i, line in enumerate(lines):
        d.text((500, 80 + i * 140), line, fill="black", font=f)
    sealed = clean.copy()
    layer = Image.new("L", clean.size, 0)
    ld = ImageDraw.Draw(layer)
    ld.ellipse((380, 60, 1080, 640), outline=255, width=18)
    ld.ellipse((520, 200, 940, 500), outline=255, width=10)
    ld.regular_polygon((730, 350, 90), 5, fill=255)
    arr = np.asarray(sealed, np.float32)
    a = (np.asarray(layer, np.float32) / 255 * 0.8)[:, :, None]
    arr = arr * (1 - a + a * np.array([210, 35, 40]) / 255)
    sealed_bgr = bgr(Image.fromarray(arr.astype(np.uint8)))
    truth = set(" ".join(lines).split())
    naive = cv2.threshold(cv2.cvtColor(sealed_bgr, cv2.COLOR_BGR2GRAY), 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)[1]
    ours = clean_page(sealed_bgr, 300, CleanupOptions(orientation=False, deskew=False)).ocr
    found_ours = len(truth & _words(ours, tmp_path, "ours"))
    found_naive = len(truth & _words(naive, tmp_path, "naive"))
    assert found_ours >= len(truth) - 1, found_ours
    assert found_ours >= found_naive


def test_lonely_specks_go_and_glyph_parts_stay():
    from ocr.cleanup import remove_specks
    page = np.full((300, 300), 255, np.uint8)
    page[50, 50] = 0  # one dusty pixel
    page[100:102, 200:202] = 0  # a 2×2 speck
    page[150:190, 100:104] = 0  # a stroke (the stem of an i) ...
    page[140:144, 100:104] = 0  # ... and its dot, 4×4 pixels, close above it
    page[250:254, 250:254] = 0  # a full stop, alone
    out = remove_specks(page, max_area=6, dpi=300)
    assert out[50, 50] == 255 and out[100, 200] == 255
    assert (out[150:190, 100:104] == 0).all() and (out[140:144, 100:104] == 0).all()
    assert (out[250:254, 250:254] == 0).all()
    assert remove_specks(np.full((50, 50), 255, np.uint8), 6) is not None
