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


# --- rules on hand-made pages (A4 at 200 dpi: text from x≈230 to x≈1530) -----------------------------------------


def T(text, y, x=230, w=None, h=36, page=1, conf=95.0):
    """A line at (x, y); its width as a 12 pt line of that many characters would be, unless given."""
    return Line(text, page, (x, y, w if w is not None else min(1300, 19 * len(text)), h), conf)


def C(text, y, cx=880, h=36, page=1):
    """A line centred at ``cx`` (the page's middle by default)."""
    w = 19 * len(text)
    return Line(text, page, (round(cx - w / 2), y, w, h), 95.0)


def header(agency_lines, number="Số: 12/QĐ-UBND", date="An Giang, ngày 25 tháng 5 năm 2023"):
    out = [C(t, 140 + 48 * i, cx=520) for i, t in enumerate(agency_lines)]
    y = 140 + 48 * len(agency_lines) + 30
    if number:
        out.append(C(number, y, cx=520))
    out += [C("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", 140, cx=1190), C("Độc lập - Tự do - Hạnh phúc", 188, cx=1190), C(date, y, cx=1190)]
    return out


def test_wrapped_recipients_beside_the_signer_column_read_interleaved():
    lines = header(["ỦY BAN NHÂN DÂN", "TỈNH AN GIANG"]) + [T("Điều 3. Quyết định này có hiệu lực kể từ ngày ký.", 900, x=300, w=1200)]
    lines += [T("Nơi nhận:", 1000), C("KT. CHỦ TỊCH", 1000, cx=1250), T("- Như Điều 3;", 1040), C("PHÓ CHỦ TỊCH", 1045, cx=1250),
              T("- UBND các huyện, thị xã, thành", 1075), T("phố;", 1110, x=246), T("- Văn phòng Chính phủ (Cục Kiểm", 1145),
              T("soát TTHC);", 1180, x=246), T("- Lưu: VI, NC.", 1215), C("Nguyễn Văn An", 1330, cx=1250)]
    f = extract(lines)
    assert f.value("recipients") == "Như Điều 3; UBND các huyện, thị xã, thành phố; Văn phòng Chính phủ (Cục Kiểm soát TTHC); Lưu: VT, NC"
    assert (f.value("signing_authority"), f.value("signer_position"), f.value("signer_name")) == ("KT.", "PHÓ CHỦ TỊCH", "Nguyễn Văn An")
    assert f.fields["recipients"].page == 1 and f.fields["signer_name"].box[1] == 1330


def test_two_authority_lines_take_the_one_nearest_the_position_and_a_rank_is_dropped():
    lines = [C("TM. ỦY BAN NHÂN DÂN", 1000, cx=1250), C("KT. CHỦ TỊCH", 1045, cx=1250), C("PHÓ CHỦ TỊCH", 1090, cx=1250),
             C("ỦY BAN NHÂN DÂN * AN GIANG *", 1200, cx=1180), C("Đại tá Trần Văn Hùng", 1350, cx=1250)]
    f = extract(lines)
    assert f.value("signing_authority") == "KT." and f.value("signer_position") == "PHÓ CHỦ TỊCH"
    assert f.value("signer_name") == "Trần Văn Hùng"


def test_the_authority_line_is_the_position_and_a_citizen_signs_under_a_role():
    f = extract([C("GIÁM ĐỐC", 1000, cx=1250), C("Lê Thị Hoa", 1300, cx=1250)])
    assert f.value("signer_position") == "GIÁM ĐỐC" and f.value("signing_authority") is None and f.value("signer_name") == "Lê Thị Hoa"
    f = extract([C("An Giang, ngày 5 tháng 3 năm 2024", 950, cx=1250), C("NGƯỜI LÀM ĐƠN", 1000, cx=1250),
                 C("(Ký và ghi rõ họ tên)", 1045, cx=1250), C("Phạm Minh Tuấn", 1300, cx=1250)])
    assert f.value("signer_name") == "Phạm Minh Tuấn" and f.value("issue_date") == "2024-03-05" and f.value("place") == "An Giang"


def test_direct_subject_under_the_type_name_wraps_onto_a_second_line():
    lines = header(["UBND TỈNH AN GIANG", "SỞ TƯ PHÁP"], number="Số: 15/KH-STP") + [
        C("KẾ HOẠCH", 420), C("Triển khai chuyển đổi số trong công tác văn thư,", 475), C("lưu trữ năm 2024", 520),
        T("Thực hiện Kế hoạch số 12/KH-UBND của Ủy ban nhân dân tỉnh, Sở Tư pháp ban hành kế hoạch như sau:", 640, x=300, w=1230)]
    f = extract(lines)
    assert f.value("subject") == "Triển khai chuyển đổi số trong công tác văn thư, lưu trữ năm 2024"


def test_subject_merged_into_the_title_line_is_what_follows_the_type_name():
    lines = header(["UBND TỈNH CÀ MAU", "SỞ NỘI VỤ"], number="Số: 07/KH-SNV") + [
        C("KẾ HOẠCH TRIỂN KHAI CÔNG TÁC CẢI CÁCH HÀNH CHÍNH", 420), C("NĂM 2024", 470), T("I. MỤC ĐÍCH, YÊU CẦU", 600)]
    assert extract(lines).value("subject") == "TRIỂN KHAI CÔNG TÁC CẢI CÁCH HÀNH CHÍNH NĂM 2024"


def test_cong_van_subject_under_the_number_and_a_body_ve_viec_is_no_subject():
    lines = header(["UBND TỈNH AN GIANG", "SỞ TƯ PHÁP"], number="Số: 245/STP-VP") + [
        C("V/v đôn đốc thực hiện số hóa hồ sơ,", 325, cx=520), C("kết quả giải quyết TTHC", 365, cx=520), C("Kính gửi: Các sở, ban, ngành tỉnh.", 460)]
    f = extract(lines)
    assert f.value("subject") == "đôn đốc thực hiện số hóa hồ sơ, kết quả giải quyết TTHC" and f.value("number_symbol") == "245/STP-VP"
    lines = header(["UBND TỈNH AN GIANG", "SỞ TƯ PHÁP"], number="Số: 03/GGT-STP") + [
        C("GIẤY GIỚI THIỆU", 420), T("Sở Tư pháp trân trọng giới thiệu:", 520, x=300), T("Ông (bà): Lê Văn Tám", 570),
        T("Về việc: liên hệ công tác về chuyển đổi số", 620)]
    assert extract(lines).value("subject") is None


def test_agency_blocks_of_one_two_and_three_lines():
    f = extract(header(["BỘ NỘI VỤ"], number="Số: 05/TB-BNV"))
    assert f.value("agency") == "BỘ NỘI VỤ" and f.value("parent_agency") is None
    f = extract(header(["ỦY BAN NHÂN DÂN", "TỈNH CÀ MAU"]))
    assert f.value("agency") == "ỦY BAN NHÂN DÂN TỈNH CÀ MAU" and f.value("parent_agency") is None
    f = extract(header(["SỞ KẾ HOẠCH VÀ ĐẦU TƯ", "TỈNH AN GIANG", "PHÒNG ĐĂNG KÝ KINH DOANH"], number=None))
    assert f.value("parent_agency") == "SỞ KẾ HOẠCH VÀ ĐẦU TƯ TỈNH AN GIANG" and f.value("agency") == "PHÒNG ĐĂNG KÝ KINH DOANH"
    f = extract(header(["UBND TỈNH AN GIANG", "SỞ LAO ĐỘNG - THƯƠNG BINH VÀ", "XÃ HỘI"]))  # a wrapped name
    assert f.value("agency") == "SỞ LAO ĐỘNG - THƯƠNG BINH VÀ XÃ HỘI" and f.value("parent_agency") == "UBND TỈNH AN GIANG"
    f = extract(header(["UBND HUYEN CHAU THANH", "PHÒNG TƯ PHÁP"]))  # a unit not in the province list, marks lost
    assert f.value("parent_agency") == "UBND HUYỆN CHÂU THÀNH"


def test_number_lines_as_typed_and_as_read():
    for printed, want in [("Số:12 /QĐ-UBND", "12/QĐ-UBND"), ("Số: 5/UBND-VP", "05/UBND-VP"), ("S6: 07/QD-STP", "07/QĐ-STP"),
                          ("Số: 05/2024/NQ-HĐND", "05/2024/NQ-HĐND"), ("Số: 28GNP-STTTT", "28/GNP-STTTT"), ("Số: §4/BGN-UBND", "84/BGN-UBND")]:
        assert extract(header(["BỘ NỘI VỤ"], number=printed)).value("number_symbol") == want, printed


def test_places_of_issue_not_in_the_province_list():
    for printed, want in [("Châu Thành", "Châu Thành"), ("TP. Hồ Chi Minh", "TP. Hồ Chí Minh"), ("Phường 5", "Phường 5"),
                          ("Thành phố Hồ Chí Minh", "Thành phố Hồ Chí Minh"), ("Bao Thang", "Bảo Thắng"), ("Quảng Nam", "Quảng Nam")]:
        f = extract(header(["BỘ NỘI VỤ"], date=f"{printed}, ngày 05 tháng 3 năm 2024"))
        assert f.value("place") == want and f.value("issue_date") == "2024-03-05", printed


def test_header_date_not_a_meeting_date_and_a_contract_dated_in_its_body():
    lines = header(["UBND TỈNH AN GIANG", "SỞ TƯ PHÁP"], number="Số: 11/GM-STP", date="Long Xuyên, ngày 02 tháng 3 năm 2024") + [
        C("GIẤY MỜI", 420), T("Thời gian: 08 giờ 00 phút, thứ Hai, ngày 11 tháng 3 năm 2024.", 600)]
    assert extract(lines).value("issue_date") == "2024-03-02"
    lines = [C("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", 140), C("Độc lập - Tự do - Hạnh phúc", 188), C("HỢP ĐỒNG", 300),
             C("Cung cấp dịch vụ số hóa tài liệu lưu trữ", 350), C("Số: 12/2024/HĐ-STP", 400),
             T("Căn cứ Bộ luật Dân sự ngày 24 tháng 11 năm 2015;", 480, x=300),
             T("Hôm nay, ngày 15 tháng 4 năm 2024, tại Sở Tư pháp, chúng tôi gồm có:", 540, x=300)]
    f = extract(lines)
    assert f.value("issue_date") == "2024-04-15" and f.value("place") is None and f.value("number_symbol") == "12/2024/HĐ-STP"
    assert f.value("subject") == "Cung cấp dịch vụ số hóa tài liệu lưu trữ"


def test_citizen_labels_ids_in_boxes_and_a_wrapped_address():
    lines = [C("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", 140), C("ĐƠN ĐỀ NGHỊ", 300),
             T("Họ, chữ đệm và tên: NGUYỄN THỊ LAN", 450), T("Sinh ngày: 12-03-1985 Giới tính: Nữ", 500),
             T("Số CMND/CCCD: 0 0 1 1 8 5 0 1 2 3 4 5, cấp ngày 10/05/2021 tại Cục Cảnh sát QLHC về TTXH", 550),
             T("Nơi cư trú: Số 12, đường Trần Hưng Đạo, phường Mỹ Bình, thành phố Long", 600), T("Xuyên, tỉnh An Giang", 645),
             T("Số điện thoại: 0912345678", 690)]
    f = extract(lines)
    assert f.value("full_name") == "Nguyễn Thị Lan" and f.value("date_of_birth") == "1985-03-12"
    assert f.value("personal_id") == "001185012345" and f.fields["personal_id"].reason is None
    assert f.value("address") == "Số 12, đường Trần Hưng Đạo, phường Mỹ Bình, thành phố Long Xuyên, tỉnh An Giang"
    assert extract([T("Số định danh cá nhân: |0|4|8|1|4|7|5|7I3|9|9|2", 500)]).value("personal_id") == "048147573992"  # box lines read as | and I
    f = extract([T("Họ và tên: TRẦN VĂN BA Giới tính: Nam", 450), T("Số CCCD: 0011234567890", 500)])
    assert f.value("full_name") == "Trần Văn Ba" and f.value("personal_id") is None and "12 digits" in f.fields["personal_id"].reason


def test_id_card_values_on_the_line_under_their_bilingual_labels():
    lines = [T("CĂN CƯỚC CÔNG DÂN", 450, x=630, h=26), T("Số / No.: 064193872315", 511, x=617, h=23),
             T("Họ và tên / Full name:", 543, x=617, h=20), T("LY KHANH TRANG", 565, x=618, h=18),
             T("Ngày sinh / Date of birth: 25/03/1993", 592, x=618, h=18),
             T("Nơi thường trú / Place of residence: Số 225, đường Trần Phú,", 679, x=618, h=19),
             T("Có giá trị đến: 25/03/2033 Hội Thương, Pleiku, Gia Lai", 703, x=451, h=17)]
    f = extract(lines)
    assert f.value("full_name") == "Lý Khánh Trang" and f.value("personal_id") == "064193872315" and f.value("date_of_birth") == "1993-03-25"
    assert f.value("address") == "Số 225, đường Trần Phú, Hội Thương, Pleiku, Gia Lai"
    assert f.value("number_symbol") is None


def test_certificates_serial_first_registration_and_a_quoted_land_certificate_date():
    f = extract([C("GIẤY CHỨNG NHẬN", 300), C("QUYỀN SỬ DỤNG ĐẤT, QUYỀN SỞ HỮU NHÀ Ở", 360), C("BV 123456", 430),
                 T("Ông: VŨ QUỐC KHANG, sinh năm: 1964, CCCD số: 096064820298", 520),
                 C("Nam Định, ngày 15 tháng 7 năm 2023", 1000, cx=1250)])
    assert f.value("certificate_number") == "BV 123456" and f.value("certificate_date") == "2023-07-15"
    assert f.value("full_name") == "Vũ Quốc Khang" and f.value("personal_id") == "096064820298"
    f = extract(header(["UBND TỈNH HÀ TĨNH", "SỞ XÂY DỰNG"], number="Số: 20/GPXD-SXD", date="Hà Tĩnh, ngày 17 tháng 9 năm 2019") + [
        C("GIẤY PHÉP XÂY DỰNG", 420), T("1. Cấp cho: Ông PHẠM BÁ NGHĨA", 520), T("- Địa chỉ: Tổ 12, xã Thiên Lộc, huyện Can Lộc, tỉnh Hà Tĩnh", 565),
        T("3. Giấy tờ về quyền sử dụng đất: Giấy chứng nhận quyền sử dụng đất số CS 826351 do Ủy ban nhân dân", 610),
        T("huyện Can Lộc cấp ngày 20/05/2006", 655)])
    assert f.value("certificate_number") == "20/GPXD-SXD" and f.value("certificate_date") == "2019-09-17"
    assert f.value("full_name") == "Phạm Bá Nghĩa" and f.value("address") == "Tổ 12, xã Thiên Lộc, huyện Can Lộc, tỉnh Hà Tĩnh"
    f = extract([C("GIẤY CHỨNG NHẬN ĐĂNG KÝ HỘ KINH DOANH", 300), C("Mã số hộ kinh doanh: 89A8001234", 350),
                 C("Đăng ký lần đầu: ngày 05 tháng 03 năm 2020", 400)])
    assert f.value("certificate_number") == "89A8001234" and f.value("certificate_date") == "2020-03-05"


def test_a_copy_takes_the_fields_of_its_own_form():
    original = header(["UBND TỈNH AN GIANG", "SỞ TƯ PHÁP"], number="Số: 120/QĐ-STP", date="Long Xuyên, ngày 02 tháng 3 năm 2023") + [
        C("QUYẾT ĐỊNH", 420), C("Về việc ban hành Quy chế một cửa", 470), T("Nơi nhận:", 900), T("- Như Điều 3;", 940),
        T("- Lưu: VT.", 980), C("GIÁM ĐỐC", 900, cx=1250), C("Lê Văn Tám", 1100, cx=1250)]
    form = [C("UBND HUYỆN CHÂU THÀNH", 1500, cx=520), C("SAO Y", 1500, cx=1250), C("VĂN PHÒNG HĐND VÀ UBND", 1545, cx=520),
            C("Châu Thành, ngày 12 tháng 6 năm 2024", 1545, cx=1250), C("Số: 05/SY-VP", 1590, cx=520),
            T("Nơi nhận:", 1660), C("CHÁNH VĂN PHÒNG", 1660, cx=1250), T("- Các phòng chuyên môn;", 1700), T("- Lưu: VT.", 1740),
            C("Nguyễn Thị Mai", 1900, cx=1250)]
    for hint in (None, "sao_y"):
        f = extract(original + form, doc_type=hint)
        assert f.value("number_symbol") == "05/SY-VP" and f.value("issue_date") == "2024-06-12" and f.value("place") == "Châu Thành"
        assert f.value("agency") == "VĂN PHÒNG HĐND VÀ UBND" and f.value("parent_agency") == "UBND HUYỆN CHÂU THÀNH"
        assert f.value("signer_position") == "CHÁNH VĂN PHÒNG" and f.value("signer_name") == "Nguyễn Thị Mai"
        assert f.value("recipients") == "Các phòng chuyên môn; Lưu: VT"
    f = extract(original + form, doc_type="quyet_dinh")  # the classifier says it is the decision itself
    assert f.value("number_symbol") == "120/QĐ-STP" and f.value("subject") == "ban hành Quy chế một cửa"


def test_tone_marks_ocr_changed_are_put_back_from_the_word_lists():
    from ingest.extract_words import restore_name, restore_tones

    assert restore_tones("phát triển kinh tế tập thế, hợp tác xã") == "phát triển kinh tế tập thể, hợp tác xã"
    assert restore_tones("Văn phòng Chính phủ (Cục Kiếm soát TTHC)") == "Văn phòng Chính phủ (Cục Kiểm soát TTHC)"
    assert restore_tones("Trang thông tin điện tử của Sở") == "Trang thông tin điện tử của Sở"  # not "cửa sổ": more than a tone
    assert restore_tones("tuyển dụng viên chức nắm 2020") == "tuyển dụng viên chức năm 2020"
    assert restore_tones("nộp báo cáo sử dụng chữ ký số") == "nộp báo cáo sử dụng chữ ký số"  # known words as read stay
    assert restore_tones("Cống Thông tin điện tử tỉnh; Chủ đầu tu") == "Cổng Thông tin điện tử tỉnh; Chủ đầu tư"
    assert restore_tones("phường Bình Thạnh") == "phường Bình Thạnh"  # a place is not corrected into a word
    assert restore_name("Đỉnh Tấn Nam") == "Đinh Tấn Nam" and restore_name("Nguyên Văn An") == "Nguyễn Văn An"
    assert restore_name("Trần Hưng Đạo") == "Trần Hưng Đạo"


def test_extraction_is_fast():
    import time

    lines = header(["UBND TỈNH AN GIANG", "SỞ TƯ PHÁP"]) + [T(f"Điều {i}. Nội dung của điều khoản thứ {i} được quy định như sau.", 500 + 40 * i)
                                                           for i in range(40)]
    extract(lines)
    t0 = time.perf_counter()
    for _ in range(20):
        extract(lines)
    assert (time.perf_counter() - t0) / 20 < 0.05


def test_the_applicants_id_comes_before_a_family_table_and_glued_header_columns_are_cut():
    lines = [C("TỜ KHAI THAY ĐỔI THÔNG TIN CƯ TRÚ", 300), T("1. Họ, chữ đệm và tên: LÊ VĂN NAM", 450),
             T("4. Số định danh cá nhân: 001085012345", 500), T("TT Họ, chữ đệm và tên Ngày sinh Giới tính Số định danh cá nhân Quan hệ", 700),
             T("1 Lê Thị Hoa 02/03/2010 Nữ 001310012345 Con", 740)]
    assert extract(lines).value("personal_id") == "001085012345"
    lines = [T("UBND TỈNH THỪA THIÊN HUẾ __ CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", 176, x=242, w=1266),
             T("SỞ GIAO THÔNG VẬN TẢI Độc lập - Tự do - Hạnh phúc", 229, x=270, w=1140), C("Số: 105/GM-SGTVT", 308, cx=495),
             C("Thừa Thiên Huế, ngày 25 tháng 4 năm 2025", 309, cx=1160), C("GIẤY MỜI", 408)]
    f = extract(lines)
    assert f.value("parent_agency") == "UBND TỈNH THỪA THIÊN HUẾ" and f.value("agency") == "SỞ GIAO THÔNG VẬN TẢI"
    assert f.value("place") == "Thừa Thiên Huế" and f.value("number_symbol") == "105/GM-SGTVT"


@pytest.mark.parametrize("printed, want", [
    ("Hải Phòng, ngày 3] tháng 0l năm 2015", "2015-01-31"),
    ("TP. Hồ Chí Minh, ngày 2Š tháng 12 năm 2024", "2024-12-25"),
    ("Bàu Bàng, ngày TÌ tháng 10 năm 2020", "2020-10-11"),
])
def test_look_alike_digits_inside_a_written_date_are_read_as_digits(printed, want):
    from ingest.extract_base import DATE_WORDS, fold_keep

    m = DATE_WORDS.search(fold_keep(printed))
    when, why = valid_date(m["d"], m["m"], m["y"])
    assert why is None and when.isoformat() == want


@pytest.mark.parametrize("read, want", [
    ("TIr-SGTVT", "TTr-SGTVT"), ("BTT-STTTTI", "BTT-STTTT"), ("TB-SITNMT", "TB-STNMT"), ("HĐĐĐND-NV", "HĐND-NV"),
    ("TB-SNV", "TB-SNV"),  # not one OCR confusion away from a known part: kept as read
    ("UBND-KGVX", "UBND-KGVX"),
])
def test_a_symbol_part_one_ocr_confusion_away_from_a_known_one_is_put_right(read, want):
    from ingest.extract_header import _symbol

    assert _symbol(read) == want


@pytest.mark.parametrize("read, want", [
    ("|0I8I6I014|9/8|712|01110", "086049872010"),  # box lines read as I, |, / and 1
    ("|0|6|8|0 S|2|7 71913]612", "068052779362"),  # a 5 read as S, box lines lost between two digits
    ("|0|7|9/081913|2|44|7]1", "079089324471"),
])
def test_an_id_printed_in_boxes_is_read_through_its_box_lines(read, want):
    from ingest.extract_citizen import _read_id

    assert _read_id(read, None) == (want, None)


@pytest.mark.parametrize("read, want", [
    ("Số I I7 Nguyễn Văn Cừ, phường Trường Sơn, thành phố Sầm Sơn, tỉnh Thanh Hóa",
     "Số 117 Nguyễn Văn Cừ, phường Trường Sơn, thành phố Sầm Sơn, tỉnh Thanh Hóa"),
    ("Ấp Bình Thạnh, la Ka, Chư Păh, Gia Lai", "Ấp Bình Thạnh, Ia Ka, Chư Păh, Gia Lai"),
    ("Số 5 Lô A, phường Hòa Bình", "Số 5 Lô A, phường Hòa Bình"),  # a lot, not a person's name to restore
])
def test_address_house_numbers_and_commune_names_are_put_right(read, want):
    from ingest.extract_citizen import snap_address

    assert snap_address(read) == want


@pytest.mark.parametrize("read, want", [
    ("Lưu: VT, KGVX. „", "Lưu: VT, KGVX"),  # a speck after the last code
    ("Lưu: VT, HCTTP, TH.", "Lưu: VT, HCTP, TH"),
    ("Lưu: VT, VILTNN, ĐT.", "Lưu: VT, VTLTNN, ĐT"),
    ("Lưu: VT, PC06.", "Lưu: VT, PC06"),
])
def test_the_filing_codes_after_luu_are_read_as_printed(read, want):
    from ingest.extract_signer import _tidy_item

    assert _tidy_item(read) == want
