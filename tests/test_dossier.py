"""Dossier codes, separator roles, printable separator sheets and ``sohoa separator-sheet``."""

from __future__ import annotations

import subprocess
import unicodedata
from datetime import date
from pathlib import Path

import cv2
import numpy as np
import pikepdf
import pytest
from typer.testing import CliRunner

from api.cli import app
from ingest.dossier import DossierCode, dossier_code_error, parse_dossier_code, separator_role
from ingest.separator import render_separator_sheet, separator_sheet_pdf
from ocr.barcodes import find_codes

CODE = "000.00.12.H01-240315-0007"


# --- parsing -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("text, agency, received, sequence", [
    ("000.00.12.H01-240315-0007", "000.00.12.H01", date(2024, 3, 15), 7),
    ("H41-240315-0001", "H41", date(2024, 3, 15), 1),
    ("000.20.31.H12-241231-9999", "000.20.31.H12", date(2024, 12, 31), 9999),
    ("000.00.00.G22-200101-0420", "000.00.00.G22", date(2020, 1, 1), 420),
    ("G22-240229-0001", "G22", date(2024, 2, 29), 1),  # a leap day
    ("A" * 35 + "-240315-0001", "A" * 35, date(2024, 3, 15), 1),  # the longest identifier
])
def test_valid_codes(text, agency, received, sequence):
    parsed = parse_dossier_code(text)
    assert parsed == DossierCode(code=text, agency_id=agency, received=received, sequence=sequence)
    assert dossier_code_error(text) is None
    with pytest.raises(Exception):
        parsed.sequence = 2  # frozen


def test_what_readers_and_ocr_add_is_forgiven():
    for text in (" 000.00.12.h01-240315-0007\n", "000.00.12.H01 - 240315 - 0007", "000.00.12.H01–240315–0007",
                 "\t000.00.12.H01-240315-0007 "):
        assert parse_dossier_code(text).code == CODE, text


@pytest.mark.parametrize("prefix", ["HS:", "HS: ", "hs:", "HOSO:", "HoSo: ", "HỒ SƠ:", "hồ sơ: ", "HS#"])
def test_prefixes_are_tolerated_but_not_kept(prefix):
    assert parse_dossier_code(prefix + CODE).code == CODE


@pytest.mark.parametrize("text, reason", [
    ("H41-240230-0001", "the date 30/02/2024 does not exist"),
    ("H41-230229-0001", "the date 29/02/2023 does not exist"),
    ("H41-241301-0001", "does not exist"),
    ("H41-2403-0001", "6 digits YYMMDD"),
    ("H41-240315-0000", "0001-9999"),
    ("H41-240315-0000000000001", "0001-9999"),  # a 13-character sequence
    ("H41-240315-12", "0001-9999"),
    ("A" * 36 + "-240315-0001", "is not a Decision 20/2020 identifier"),
    ("H41..01-240315-0001", "is not a Decision 20/2020 identifier"),
    (".H41-240315-0001", "is not a Decision 20/2020 identifier"),
    ("H_41-240315-0001", "is not a Decision 20/2020 identifier"),
    ("-240315-0001", "agency id is missing"),
    ("H41 240315 0001", "spaces"),
    ("XX:H41-240315-0001", "Decision 20/2020"),
    ("", "empty"),
    ("https://dichvucong.gov.vn/?ma=H41-240315-0001", "Decision 20/2020"),
])
def test_invalid_codes_say_why(text, reason):
    assert parse_dossier_code(text) is None
    error = dossier_code_error(text)
    assert error and reason in error, error


def test_non_text_is_no_code():
    assert parse_dossier_code(None) is None  # type: ignore[arg-type]
    assert dossier_code_error(12345) == "a dossier code must be text"  # type: ignore[arg-type]
    assert separator_role(None) is None  # type: ignore[arg-type]


@pytest.mark.parametrize("text, role", [
    (CODE, "dossier"),
    ("HS:" + CODE, "dossier"),
    ("PATCHT", "separator"),
    (" patcht\n", "separator"),
    ("SOHOA-SEPARATOR", "separator"),
    ("https://dichvucong.gov.vn/p/home/dvc-tra-cuu-ho-so.html?ma=" + CODE, None),
    ("8934567890123", None),  # a product barcode
    ("PATCH T", None),
    ("H41-240230-0001", None),  # looks like a dossier, is not one
    ("", None),
])
def test_separator_roles(text, role):
    assert separator_role(text) == role


# --- sheets ------------------------------------------------------------------------------------------


def test_sheet_is_a4_white_and_reads_back():
    sheet = render_separator_sheet(" h41-240315-0001 ", dpi=300)
    assert sheet.size == (2480, 3508)
    grey = np.array(sheet.convert("L"))
    assert (grey > 250).mean() > 0.85  # mostly white: little toner, and split.py sees "a sheet, not a page"
    codes = find_codes(grey, 300)
    assert sorted((c.format, c.text) for c in codes) == [("Code128", "H41-240315-0001"), ("QRCode", "H41-240315-0001")]


def test_generic_sheet_and_low_dpi():
    generic = render_separator_sheet(None, dpi=150)
    assert generic.size == (1240, 1754)
    assert {c.text for c in find_codes(np.array(generic), 150)} == {"SOHOA-SEPARATOR"}


def test_invalid_code_is_never_printed(tmp_path):
    with pytest.raises(ValueError, match="30/02/2024 does not exist"):
        render_separator_sheet("H41-240230-0001")
    with pytest.raises(ValueError, match="0001-9999"):
        separator_sheet_pdf([CODE, "H41-240315-0000"], tmp_path / "x.pdf")
    assert not (tmp_path / "x.pdf").exists()  # validated before anything is written
    with pytest.raises(ValueError):
        render_separator_sheet(CODE, dpi=10)


def test_vietnamese_title_uses_a_font_with_its_glyphs():
    """Tone marks on circumflex/horn vowels (Ồ, Ờ, Ơ) must be real glyphs, not the font's missing-glyph box."""
    from ingest.separator import _font

    font = _font(40, True)
    missing = np.array(font.getmask("\ue000"))  # a private-use code point: no font draws it
    for ch in "ỜÂĐỒƠặ":
        glyph = np.array(font.getmask(ch))
        assert glyph.size and (glyph.shape != missing.shape or not np.array_equal(glyph, missing)), ch
    assert unicodedata.is_normalized("NFC", "TỜ PHÂN CÁCH HỒ SƠ")


def test_pdf_is_a4_at_full_scale_and_small(tmp_path):
    path = separator_sheet_pdf([CODE, None, "H41-240315-0002"], tmp_path / "sheets.pdf")
    with pikepdf.open(path) as pdf:
        assert len(pdf.pages) == 3
        for page in pdf.pages:
            x0, y0, x1, y1 = (float(v) for v in page.mediabox)
            assert abs((x1 - x0) - 595.3) < 1 and abs((y1 - y0) - 841.9) < 1  # A4 in points: 100 % scale
    assert path.stat().st_size < 3 * 40_000  # 1-bit images: a few kB a sheet


# --- the command -------------------------------------------------------------------------------------


def _rasterize(pdf: Path, tmp_path: Path) -> list[np.ndarray]:
    subprocess.run(["pdftoppm", "-r", "150", "-png", str(pdf), str(tmp_path / "page")], check=True, capture_output=True)
    return [cv2.imread(str(p), cv2.IMREAD_COLOR) for p in sorted(tmp_path.glob("page*.png"))]


def test_cli_writes_a_sheet_that_decodes_back(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(app, ["separator-sheet", "--dossier", " 000.00.12.h01-240315-0007 "])
    assert result.exit_code == 0, result.output
    pdf = tmp_path / f"separator-{CODE}.pdf"  # the default name, in the current folder
    assert pdf.exists() and str(pdf.name) in result.output
    pages = _rasterize(pdf, tmp_path)
    assert len(pages) == 1
    assert CODE in {c.text for c in find_codes(pages[0], 150)}


def test_cli_several_codes_and_copies(tmp_path):
    out = tmp_path / "out" / "sheets.pdf"
    result = CliRunner().invoke(app, ["separator-sheet", "-d", CODE, "-d", "H41-240315-0002", "--count", "2", "--out", str(out)])
    assert result.exit_code == 0, result.output
    with pikepdf.open(out) as pdf:
        assert len(pdf.pages) == 4


def test_cli_generic_sheets(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(app, ["separator-sheet", "--count", "3"])
    assert result.exit_code == 0, result.output
    with pikepdf.open(tmp_path / "separator.pdf") as pdf:
        assert len(pdf.pages) == 3


def test_cli_refuses_an_invalid_code(tmp_path):
    out = tmp_path / "bad.pdf"
    result = CliRunner().invoke(app, ["separator-sheet", "--dossier", "H41-240230-0001", "--out", str(out)])
    assert result.exit_code == 2
    assert "error:" in result.stderr and "30/02/2024 does not exist" in result.stderr
    assert not out.exists()
