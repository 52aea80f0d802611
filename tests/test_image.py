"""Intake checks: each hostile file is refused with a message a clerk can act on, before any work is done."""

import pytest

from ingest.intake import safe_filename
from ocr.image import InputError, Limits, load_page, probe
from tests import badfiles


@pytest.mark.parametrize(
    "make, message",
    [
        (badfiles.zero_byte, "empty"),
        (badfiles.not_a_scan, "not a scan"),
        (badfiles.encrypted_pdf, "encrypted"),
        (badfiles.no_pages_pdf, "no pages"),
        (badfiles.one_pixel, "too small"),
        (badfiles.decompression_bomb, "decompression bomb"),
    ],
)
def test_probe_refuses_hostile_files_with_a_clear_message(tmp_path, make, message):
    with pytest.raises(InputError, match=message):
        probe(make(tmp_path))


def test_truncated_jpeg_is_accepted_at_intake_but_its_page_fails_clearly(tmp_path):
    path = badfiles.truncated_jpeg(tmp_path)
    info = probe(path)
    with pytest.raises(InputError, match="corrupt or truncated"):
        load_page(path, info, 0)


def test_corrupt_tiff_page_fails_alone(tmp_path):
    path = badfiles.corrupt_tiff_page(tmp_path)
    info = probe(path)
    assert info.page_count == 2
    bgr, dpi = load_page(path, info, 0)
    assert bgr.shape[:2] == (1754, 1240) and dpi == 150
    with pytest.raises(InputError, match="page 2"):
        load_page(path, info, 1)


def test_page_limit(tmp_path):
    path = badfiles.corrupt_tiff_page(tmp_path)
    with pytest.raises(InputError, match="at most 1"):
        probe(path, Limits(max_pages=1))


def test_dpi_is_guessed_from_a4_when_the_file_claims_72(tmp_path):
    img = badfiles.text_page(size=(2480, 3508))
    p = tmp_path / "camera.jpg"
    img.save(p, dpi=(72, 72))
    _bgr, dpi = load_page(p, probe(p), 0)
    assert dpi == 300


@pytest.mark.parametrize("name", badfiles.HOSTILE_NAMES)
def test_hostile_names_become_harmless_display_names(name):
    safe = safe_filename(name)
    assert "/" not in safe and "\\" not in safe and ".." != safe
    assert all(ord(c) >= 32 and c != "\x7f" for c in safe)
    assert 0 < len(safe) <= 200
