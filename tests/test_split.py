"""Batch splitting decisions on page descriptions (no OCR): separators, blanks, layout cues, duplex order."""

from __future__ import annotations

import pytest

from ingest.extract import Line
from ingest.split import PageInfo, Plan, duplex_order, merge, page_cues, plan_split, resplit

W, H = 1654, 2339  # A4 at 200 dpi


def L(text: str, top_frac: float, left: int = 200, width: int = 600) -> Line:
    return Line(text, 1, (left, round(top_frac * H), width, 40), 90.0)


FIRST = (
    L("ỦY BAN NHÂN DÂN", 0.05, 150, 500), L("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", 0.05, 800, 700),
    L("TỈNH CÀ MAU", 0.07, 150, 500), L("Độc lập - Tự do - Hạnh phúc", 0.07, 850, 600),
    L("Số: 12/QĐ-UBND", 0.10, 150, 500), L("Cà Mau, ngày 05 tháng 3 năm 2024", 0.10, 850, 600),
    L("QUYẾT ĐỊNH", 0.16, 650, 300), L("Về việc ban hành quy chế", 0.18, 500, 600),
    L("Điều 1. Ban hành kèm theo Quyết định này.", 0.3, 200, 1200),
)
BODY = (L("Các cơ quan, đơn vị có trách nhiệm tổ chức thực hiện.", 0.2, 200, 1200),
        L("Kinh phí thực hiện được bố trí từ nguồn ngân sách.", 0.25, 200, 1200))
ENDING = (L("Nơi nhận:", 0.7, 200, 200), L("- Như trên;", 0.72, 200, 200), L("KT. CHỦ TỊCH", 0.7, 1000, 300),
          L("PHÓ CHỦ TỊCH", 0.72, 1000, 300), L("Nguyễn Văn An", 0.85, 1000, 300))


def continuation(n: int, ends: bool = False) -> tuple[Line, ...]:
    return (L(str(n), 0.04, 800, 30),) + BODY + (ENDING if ends else ())


def page(n: int, lines=(), blank=False, codes=()) -> PageInfo:
    return PageInfo(n, blank, tuple(lines), W, H, tuple(codes))


def test_cues_tell_first_pages_from_continuations():
    first = page_cues(FIRST, W, H)
    assert first.starts and not first.continues
    cont = page_cues(continuation(2), W, H)
    assert cont.continues and not cont.starts and cont.page_number == 2
    assert page_cues(continuation(3, ends=True), W, H).ends
    empty = page_cues((), W, H)
    assert not (empty.starts or empty.continues or empty.ends)


def test_layout_alone_splits_two_documents_and_keeps_continuations():
    pages = [page(1, FIRST), page(2, continuation(2, ends=True)), page(3, FIRST + ENDING), page(4, FIRST), page(5, continuation(2))]
    plan = plan_split(pages)
    assert [s.pages for s in plan.segments] == [[1, 2], [3], [4, 5]]
    assert all(s.confidence >= 0.8 for s in plan.segments)


def test_blank_pages_are_left_out_and_recorded():
    pages = [page(1, FIRST + ENDING), page(2, blank=True), page(3, FIRST), page(4, blank=True), page(5, continuation(2, ends=True))]
    plan = plan_split(pages)
    assert [s.pages for s in plan.segments] == [[1], [3, 5]]
    assert plan.blank_pages == [2, 4]


def test_separator_sheets_cut_and_file_under_their_dossier():
    dossier = {"text": "000.00.12.H01-241125-0007", "format": "QRCode", "role": "dossier"}
    generic = {"text": "PATCHT", "format": "QRCode", "role": "separator"}
    body_only = BODY  # no header: only the separator tells where the document starts
    pages = [page(1, [L("TỜ PHÂN CÁCH HỒ SƠ", 0.1)], codes=[dossier]), page(2, body_only), page(3, body_only),
             page(4, blank=True, codes=[generic]), page(5, body_only)]
    plan = plan_split(pages)
    assert [s.pages for s in plan.segments] == [[2, 3], [5]]
    assert plan.separator_pages == [1, 4]
    assert [s.dossier for s in plan.segments] == [dossier["text"]] * 2
    assert plan.dossiers == [dossier["text"]]


def test_a_code_that_is_not_a_separator_does_not_cut():
    url = {"text": "https://dichvucong.gov.vn/tra-cuu?ma=123", "format": "QRCode", "role": None}
    plan = plan_split([page(1, FIRST), page(2, continuation(2), codes=[url])])
    assert [s.pages for s in plan.segments] == [[1, 2]]
    assert plan.separator_pages == []


def test_a_wordy_page_with_a_dossier_code_is_a_document_not_a_separator():
    dossier = {"text": "H41-240101-0001", "format": "QRCode", "role": "dossier"}
    wordy = FIRST + BODY + tuple(L(f"Dòng nội dung số {i} của giấy tiếp nhận", 0.35 + i * 0.03) for i in range(10))
    plan = plan_split([page(1, wordy, codes=[dossier])])
    assert [s.pages for s in plan.segments] == [[1]]
    assert plan.segments[0].dossier == "H41-240101-0001"


def test_duplex_feed_is_interleaved_back_into_reading_order():
    assert duplex_order(6) == [1, 6, 2, 5, 3, 4]
    with pytest.raises(ValueError):
        duplex_order(5)
    # fronts: doc A p1, doc A p2, doc B p1; backs reversed: blank (B1's back), blank (A2's), blank (A1's)
    pages = [page(1, FIRST), page(2, continuation(2, ends=True)), page(3, FIRST + ENDING),
             page(4, blank=True), page(5, blank=True), page(6, blank=True)]
    plan = plan_split(pages, collate="duplex")
    assert plan.order == [1, 6, 2, 5, 3, 4]
    assert [s.pages for s in plan.segments] == [[1, 2], [3]]


def test_unsure_cuts_carry_a_low_confidence():
    # a page without any cue after a page without an ending: kept together, but not for certain
    plan = plan_split([page(1, FIRST), page(2, BODY)])
    assert [s.pages for s in plan.segments] == [[1, 2]]
    assert plan.segments[0].confidence < 0.8


def test_clerk_split_and_merge_round_trip():
    plan = plan_split([page(1, FIRST), page(2, continuation(2)), page(3, continuation(3))])
    cut = resplit(plan, 0, 3)
    assert [s.pages for s in cut.segments] == [[1, 2], [3]]
    assert [s.pages for s in merge(cut, 0).segments] == [[1, 2, 3]]
    again = Plan.from_dict(cut.as_dict())
    assert [s.pages for s in again.segments] == [[1, 2], [3]]
    with pytest.raises(ValueError):
        resplit(plan, 0, 1)
    with pytest.raises(ValueError):
        merge(cut, 1)


def test_only_blank_pages_give_no_segment():
    plan = plan_split([page(1, blank=True), page(2, blank=True)])
    assert plan.segments == [] and plan.blank_pages == [1, 2]


COPY_FORM = (
    L("ỦY BAN NHÂN DÂN", 0.05, 150, 500), L("SAO Y", 0.05, 1000, 200),
    L("XÃ BÌNH THẠNH TRUNG", 0.07, 150, 500), L("Bình Thạnh Trung, ngày 25 tháng 5 năm 2024", 0.07, 800, 700),
    L("Số: 19/SY-UBND", 0.09, 150, 500), L("Nơi nhận:", 0.14, 150, 200), L("- Lưu: VT.", 0.16, 150, 200),
    L("TM. ỦY BAN NHÂN DÂN", 0.14, 1000, 400), L("CHỦ TỊCH", 0.16, 1000, 300), L("Lê Minh Minh", 0.25, 1000, 300),
)


def test_a_copy_form_on_a_sheet_of_its_own_stays_with_the_copied_document():
    cues = page_cues(COPY_FORM, W, H)
    assert cues.continues and not cues.starts
    plan = plan_split([page(1, FIRST), page(2, continuation(2, ends=True)), page(3, blank=True), page(4, COPY_FORM),
                       page(5, FIRST)])
    assert [s.pages for s in plan.segments] == [[1, 2, 4], [5]]
    trich_sao = tuple(L("Số: 07/TrS-VP", l.box[1] / H, l.box[0], l.box[2]) if l.text.startswith("Số") else l
                      for l in COPY_FORM if l.text != "SAO Y")  # known by its symbol alone, TrS for trích sao
    assert page_cues(trich_sao, W, H).continues
    # a short document with the form under it, on one page, is still a document of its own
    assert page_cues(FIRST + COPY_FORM[1:2], W, H).starts


def test_a_whole_blank_sheet_cuts_where_one_blank_back_side_would_not():
    letter = (L("HANSEATIC MACHINERY GMBH", 0.05, 150, 700), L("Dear Sir or Madam,", 0.15, 150, 500),
              L("We look forward to a long cooperation.", 0.2, 150, 900))
    signature_page = (L("2", 0.04, 800, 30), L("NGƯỜI ĐƯỢC ỦY QUYỀN", 0.1, 200, 500), L("Lê Văn Huy", 0.2, 200, 400))
    one = plan_split([page(1, FIRST), page(2, signature_page), page(3, blank=True), page(4, letter)])
    assert [s.pages for s in one.segments] == [[1, 2, 4]]
    two = plan_split([page(1, FIRST), page(2, signature_page), page(3, blank=True), page(4, blank=True), page(5, letter)])
    assert [s.pages for s in two.segments] == [[1, 2], [5]]


def test_a_signature_caption_is_no_type_name_and_specks_above_the_page_number_do_not_hide_it():
    last = (L("—__--a--k.-ẳ-eeepnBRRNOAADDO", 0.02, 300, 1000), L("2", 0.04, 800, 30)) + BODY + (
        L("THƯ KÝ", 0.3, 250, 200), L("CHỦ TỌA", 0.3, 1100, 250), L("Châu Văn Anh Cường", 0.36, 200, 400))
    cues = page_cues(last, W, H)
    assert cues.page_number == 2 and cues.continues and not cues.starts
    assert [s.pages for s in plan_split([page(1, FIRST), page(2, last)]).segments] == [[1, 2]]
