"""Metadata and type from recognised lines: on real OCR of generated pages, and on hand-made noisy lines."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from bench.synthetic import generate_page
from ingest.classify import classify
from ingest.extract import Line, check_personal_id, extract, lines_from_words, snap_agency, snap_place, valid_date
from ocr.cleanup import clean_page
from ocr.engine import recognize
from ocr.layout import ordered_lines


def ocr_lines(page, tmp_path):
    cp = clean_page(cv2.cvtColor(np.asarray(page.image), cv2.COLOR_RGB2BGR), page.dpi)
    path = tmp_path / "p.pbm"
    cv2.imwrite(str(path), cp.ocr)
    result = recognize(path, tmp_path / "p", dpi=page.dpi)
    return lines_from_words(ordered_lines(result.words), 1)


@pytest.mark.parametrize("seed, tier, kind", [(40, "office", "quyet_dinh"), (41, "clean", "cong_van"), (42, "hard", "thong_bao"),
                                              (43, "office", "giay_chung_nhan"), (44, "clean", "don_de_nghi")])
def test_fields_from_a_real_ocr_run(tmp_path, seed, tier, kind):
    page = generate_page(seed, tier, kind)
    lines = ocr_lines(page, tmp_path)
    fields = extract(lines)
    kind_found = classify(lines, fields)
    assert kind_found.type.code == kind and kind_found.confidence >= 0.8, (kind_found, [l.text for l in lines[:12]])
    meta = page.meta
    assert fields.value("issue_date") == meta["issue_date"] or kind == "don_de_nghi"
    if kind != "don_de_nghi":
        assert fields.value("number_symbol") == meta["number"]
        assert fields.value("signer_name") == meta["signer"]
        f = fields.fields["number_symbol"]
        assert f.page == 1 and f.box and f.box[2] > 0 and 0 < f.confidence <= 1
    else:
        assert fields.value("full_name") == meta["citizen"]
        assert fields.value("personal_id") == meta["personal_id"] or fields.fields["personal_id"].reason


def L(text, y=0, x=100, w=800, conf=95.0, page=1):
    return Line(text, page, (x, y, w, 40), conf)


def test_noisy_ocr_lines():
    lines = [
        L("UBND TINH AN GIANG", 100), L("SỞ TƯ PHÁP", 150), L("S6: 07/QD-STP", 220),
        L("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", 100, 1200), L("Độc lập - Tự do - Hạnh phúc", 150, 1200),
        L("Long Xuyen, ngay 2 5 thang 5 nãm 2023", 220, 1200),
        L("QUYẾT ĐỊNH", 400, 900, 300), L("Về việc ban hành quy chế một cửa", 450, 700, 700),
    ]
    f = extract(lines)
    assert f.value("number_symbol") == "07/QĐ-STP"  # the Đ OCR lost is put back from the known symbol parts
    assert f.value("issue_date") == "2023-05-25"
    assert f.value("place") == "Long Xuyên"  # snapped back to its diacritics
    assert f.value("parent_agency") == "UBND TỈNH AN GIANG" and f.value("agency") == "SỞ TƯ PHÁP"
    assert f.value("subject") == "ban hành quy chế một cửa"
    assert classify(lines, f).type.code == "quyet_dinh"


def test_impossible_or_missing_values_are_empty_with_a_reason():
    f = extract([L("Hà Nội, ngày 30 tháng 02 năm 2024", 100, 1200), L("Số định danh cá nhân: 0011234567890", 300)])
    assert f.value("issue_date") is None and "30/02/2024 is not a date" in f.fields["issue_date"].reason
    assert f.value("personal_id") is None and "12 digits" in f.fields["personal_id"].reason
    assert f.value("number_symbol") is None and f.fields["number_symbol"].reason


def test_text_in_another_language_is_khac_not_an_exception():
    lines = [L("The quick brown fox jumps over the lazy dog", 100), L("Lorem ipsum dolor sit amet", 150)]
    c = classify(lines, extract(lines))
    assert c.type.code == "khac" and c.confidence < 0.5
    assert classify([], extract([])).type.code == "khac"


def test_personal_id_checks():
    assert check_personal_id("001085012345") == ("001085012345", None)
    assert "province" in check_personal_id("000085012345")[1]
    assert check_personal_id("0O1O85O12345")[0] == "001085012345"  # OCR's O for 0
    when, _ = valid_date("12", "3", "1985")
    assert check_personal_id("001185012345", when)[1] is None  # 1 = female born 19xx: agrees with 1985
    assert check_personal_id("001285012345", when)[1]  # 2 = born 20xx: contradicts 1985


def test_gazetteers_snap_lost_tone_marks():
    assert snap_place("Vĩnh") == ("Vinh", True)
    assert snap_place("tinh Dak Lak") == ("Đắk Lắk", True)
    assert snap_agency("UY BAN NHAN DAN TINH KHANH HOA")[0] == "ỦY BAN NHÂN DÂN TỈNH KHÁNH HÒA"
    assert snap_agency("Nơi lạ")[1] is False
