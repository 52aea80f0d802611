"""Reading order: agency block before the national motto; Nơi nhận before the signer."""

from ocr.engine import parse_tsv
from ocr.layout import Word, reading_order_text


def line(words, top, block, line_no, start=100, height=30):
    out, x = [], start
    for w in words.split():
        width = 18 * len(w)
        out.append(Word(w, x, top, width, height, 95.0, block, 1, line_no))
        x += width + 15
    return out


def test_header_columns_glued_into_one_tesseract_line_are_read_agency_first():
    words = []
    # Tesseract put both header columns on the same lines of one block
    words += line("UBND TỈNH AN GIANG", 100, 1, 1, start=100) + line("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", 100, 1, 1, start=1200)
    words += line("SỞ TƯ PHÁP", 140, 1, 2, start=150) + line("Độc lập - Tự do - Hạnh phúc", 140, 1, 2, start=1300)
    words += line("Số: 12/QĐ-STP", 200, 1, 3, start=130) + line("An Giang, ngày 25 tháng 5 năm 2023", 200, 1, 3, start=1250)
    words += line("QUYẾT ĐỊNH", 320, 2, 1, start=900)
    text = reading_order_text(words).splitlines()
    assert text == [
        "UBND TỈNH AN GIANG",
        "SỞ TƯ PHÁP",
        "Số: 12/QĐ-STP",
        "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
        "Độc lập - Tự do - Hạnh phúc",
        "An Giang, ngày 25 tháng 5 năm 2023",
        "QUYẾT ĐỊNH",
    ]


def test_noi_nhan_is_read_before_the_signer_block_even_when_tesseract_orders_it_after():
    words = []
    words += line("Điều 3. Quyết định này có hiệu lực kể từ ngày ký.", 1000, 1, 1)
    words += line("KT. CHỦ TỊCH", 1200, 2, 1, start=1400) + line("PHÓ CHỦ TỊCH", 1240, 2, 2, start=1400)
    words += line("Nguyễn Văn An", 1500, 2, 3, start=1400)
    words += line("Nơi nhận:", 1210, 3, 1, start=100) + line("- Như Điều 3;", 1250, 3, 2, start=100)
    words += line("- Lưu: VT.", 1290, 3, 3, start=100)
    assert reading_order_text(words).splitlines() == [
        "Điều 3. Quyết định này có hiệu lực kể từ ngày ký.",
        "Nơi nhận:",
        "- Như Điều 3;",
        "- Lưu: VT.",
        "KT. CHỦ TỊCH",
        "PHÓ CHỦ TỊCH",
        "Nguyễn Văn An",
    ]


def test_body_lines_keep_their_order_and_words_are_not_split_at_normal_spaces():
    words = line("Căn cứ Luật Tổ chức chính quyền địa phương", 400, 1, 1) + line("ngày 19 tháng 6 năm 2015;", 440, 1, 2)
    assert reading_order_text(words) == "Căn cứ Luật Tổ chức chính quyền địa phương\nngày 19 tháng 6 năm 2015;"


def test_tsv_words_are_nfc_and_non_words_skipped():
    decomposed = "Quye\u0302\u0301t"  # NFD spelling of "Quyết"
    tsv = (
        "level\tpage_num\tblock_num\tpar_num\tline_num\tword_num\tleft\ttop\twidth\theight\tconf\ttext\n"
        "1\t1\t0\t0\t0\t0\t0\t0\t2480\t3508\t-1\t\n"
        f"5\t1\t1\t1\t1\t1\t10\t20\t100\t30\t91.5\t{decomposed}\n"
        "5\t1\t1\t1\t1\t2\t120\t20\t100\t30\t95\t \n"
    )
    words = parse_tsv(tsv)
    assert [w.text for w in words] == ["Quyết"]
    assert words[0].conf == 91.5


def test_empty_page_has_no_text():
    assert reading_order_text([]) == ""


def test_lines_of_unsure_specks_are_dropped_but_sure_short_lines_stay():
    words = line("Điều 1. Phê duyệt kế hoạch.", 100, 1, 1)
    words.append(Word("xS", 900, 300, 40, 24, 0.0, 2, 1, 1))  # a signature stroke read as letters
    words.append(Word("2", 1200, 20, 20, 30, 96.0, 3, 1, 1))  # a page number Tesseract is sure of
    text = reading_order_text(words).splitlines()
    assert "xS" not in text and "2" in text


def test_a_wrapped_recipient_and_a_speck_do_not_cut_noi_nhan_in_two():
    words = []
    words += line("Nơi nhận:", 1200, 1, 1) + line("TM. ỦY BAN NHÂN DÂN", 1195, 2, 1, start=1000)
    words += line("- Văn phòng Chính phủ (Cục Kiểm soát", 1240, 1, 2) + line("CHỦ TỊCH", 1235, 2, 2, start=1100)
    words += line("TTHC);", 1280, 1, 3)  # a short wrapped line at the list's left margin
    words.append(Word("_", 400, 1316, 6, 4, 91.0, 3, 1, 1))  # a stroke of the seal, flat, read confidently
    words += line("- Lưu: VT.", 1320, 1, 4)
    words += line("Trần Văn Bình", 1480, 2, 3, start=1080)
    assert reading_order_text(words).splitlines() == [
        "Nơi nhận:",
        "- Văn phòng Chính phủ (Cục Kiểm soát",
        "TTHC);",
        "- Lưu: VT.",
        "TM. ỦY BAN NHÂN DÂN",
        "CHỦ TỊCH",
        "Trần Văn Bình",
    ]


def test_each_signature_column_is_read_whole_with_its_name_below_the_signature_space():
    words = []
    words += line("ĐẠI DIỆN BÊN A", 1600, 1, 1, start=300) + line("ĐẠI DIỆN BÊN B", 1600, 1, 1, start=1000)
    words += line("GIÁM ĐỐC", 1640, 1, 2, start=360) + line("GIÁM ĐỐC", 1640, 1, 2, start=1060)
    words += line("Hoàng Bá Hùng", 1900, 2, 1, start=320) + line("Mai Công Lộc", 1900, 2, 1, start=1030)
    assert reading_order_text(words).splitlines() == [
        "ĐẠI DIỆN BÊN A", "GIÁM ĐỐC", "Hoàng Bá Hùng", "ĐẠI DIỆN BÊN B", "GIÁM ĐỐC", "Mai Công Lộc",
    ]


def test_form_fields_side_by_side_are_read_row_by_row():
    words = []
    words += line("Họ và tên: HUỲNH MINH HUYỀN", 1000, 1, 1) + line("Giới tính: Nữ", 1000, 1, 1, start=1000)
    words += line("Sinh ngày: 08/12/1946", 1050, 1, 2) + line("Quốc tịch: Việt Nam", 1050, 1, 2, start=1040)
    words += line("Địa chỉ thường trú: Số 19 Tôn Đức Thắng, phường Vĩnh Hải", 1120, 1, 3)
    assert reading_order_text(words).splitlines() == [
        "Họ và tên: HUỲNH MINH HUYỀN",
        "Giới tính: Nữ",
        "Sinh ngày: 08/12/1946",
        "Quốc tịch: Việt Nam",
        "Địa chỉ thường trú: Số 19 Tôn Đức Thắng, phường Vĩnh Hải",
    ]
