"""The printed validation report: Vietnamese text survives intact, rows never split, fonts are embedded."""

from __future__ import annotations

import re
import shutil
import subprocess
import unicodedata

import pytest

from signing.report import report_pdf
from signing.validate import SUB_VI, SignatureCheck, ValidationReport, summary_vi

pytestmark = pytest.mark.skipif(shutil.which("pdftotext") is None, reason="poppler-utils not installed")

SHA = "9f2c4e1b" * 8
ORG = "Ủy ban nhân dân tỉnh Thử Nghiệm"
LONG_ORG = "Sở Tài nguyên và Môi trường thuộc Ủy ban nhân dân tỉnh Thử Nghiệm, Chi cục Bảo vệ môi trường và Đa dạng sinh học"
ANCHORS = ["Common Name: Cục Chứng thực số và Bảo mật thông tin Root CA, Organization: Ban Cơ yếu Chính phủ, Country: VN"]


def _sig(field: str, signer: str, **kw) -> SignatureCheck:
    base = dict(
        kind="signature", organisation=ORG, issuer="CA phục vụ các cơ quan Đảng và Nhà nước", serial="54010101aa01",
        level="B-LTA", claimed_time="2025-03-12T09:15:30+07:00", timestamp_time="2025-03-12T09:15:32+07:00",
        integrity=True, coverage="whole_file", modifications="none", modifications_allowed=True, trusted=True,
        revoked=False, revocation_checked=True, key_usage_ok=True, timestamp_ok=True, indication="PASSED",
    )
    base.update(kw)
    return SignatureCheck(field=field, signer=signer, **base)


def _report(verdict: str, checks: list[SignatureCheck]) -> ValidationReport:
    return ValidationReport(sha256=SHA, size=1_234_567, validated_at="2025-03-14T10:00:00+07:00", verdict=verdict,
                            summary=summary_vi(verdict, checks), signatures=checks, anchors=list(ANCHORS))


def passed() -> ValidationReport:
    return _report("TOTAL_PASSED", [
        _sig("Signature1", "Nguyễn Văn An", coverage="revision", modifications="form_filling"),
        _sig("Signature2", ORG, organisation=ORG, level="B-LT"),
    ])


def failed() -> ValidationReport:
    revoked = _sig("Signature1", "Nguyễn Văn An", revoked=True, trusted=False, indication="FAILED",
                   sub_indication="REVOKED", reasons=[SUB_VI["REVOKED"].capitalize() + "."])
    broken = _sig("Signature2", "Trần Thị Bình", organisation=LONG_ORG, integrity=False, indication="FAILED",
                  sub_indication="HASH_FAILURE", timestamp_time=None, timestamp_ok=None, level="B-B",
                  reasons=[SUB_VI["HASH_FAILURE"].capitalize() + ".", "Signature hash mismatch"])
    ts = SignatureCheck(field="DocTS1", kind="document timestamp", signer="Máy chủ dấu thời gian VNPT-CA",
                        timestamp_time="2025-03-12T10:00:00+07:00", integrity=True, coverage="whole_file",
                        modifications="none", trusted=True, revocation_checked=True, indication="PASSED")
    return _report("TOTAL_FAILED", [revoked, broken, ts])


def empty() -> ValidationReport:
    return _report("TOTAL_FAILED", [])


def six() -> ValidationReport:
    long = ("Chứng thư số không do tổ chức cung cấp dịch vụ chứng thực được tin cậy cấp; chuỗi chứng thư dừng ở "
            "một tổ chức trung gian không có trong danh sách tin cậy của hệ thống, cần đối chiếu với đơn vị gửi. ")
    checks = [_sig(f"Signature{i}", f"Lê Thị Hồng Nhung {i}", organisation=LONG_ORG, indication="INDETERMINATE",
                   trusted=False, sub_indication="NO_CERTIFICATE_CHAIN_FOUND",
                   reasons=[long * 3, long * 2, "Lý do ngắn thứ ba: chưa lấy được OCSP."])
              for i in range(1, 7)]
    return _report("INDETERMINATE", checks)


def _text(pdf: bytes, tmp_path, name: str) -> str:
    path = tmp_path / f"{name}.pdf"
    path.write_bytes(pdf)
    out = subprocess.run(["pdftotext", "-layout", "-enc", "UTF-8", str(path), "-"], capture_output=True, check=True)
    return out.stdout.decode()  # not normalised: the PDF itself must carry NFC text


def _flat(text: str) -> str:
    """Words joined by single spaces: a wrapped value reads as one string again."""
    return " ".join(text.split())


def _pages(pdf: bytes, tmp_path, name: str) -> int:
    path = tmp_path / f"{name}.pdf"
    path.write_bytes(pdf)
    info = subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True, check=True).stdout
    return int(re.search(r"^Pages:\s+(\d+)", info, re.M).group(1))


def _fonts(pdf: bytes, tmp_path, name: str) -> list[list[str]]:
    path = tmp_path / f"{name}.pdf"
    path.write_bytes(pdf)
    out = subprocess.run(["pdffonts", str(path)], capture_output=True, text=True, check=True).stdout
    return [line.split() for line in out.splitlines()[2:] if line.strip()]


def test_passed_report(tmp_path):
    pdf = report_pdf(passed(), filename="QĐ 12-QĐ-UBND quyết định phê duyệt.pdf")
    assert pdf.startswith(b"%PDF-")
    text = _text(pdf, tmp_path, "passed")
    flat = _flat(text)
    for s in ("BÁO CÁO KIỂM TRA CHỮ KÝ SỐ", "HỢP LỆ", "TOTAL_PASSED", "Nguyễn Văn An", ORG,
              "QĐ 12-QĐ-UBND quyết định phê duyệt.pdf", SHA, "1.234.567 byte", "14/03/2025 10:00:00 (UTC+07:00)",
              "Cục Chứng thực số và Bảo mật thông tin", "Chữ ký 1/2", "Chữ ký 2/2", "toàn bộ tài liệu",
              "một phiên bản; có nội dung thêm sau khi ký", "điền biểu mẫu hoặc thêm chữ ký; được phép",
              "PAdES B-LTA", "12/03/2025 09:15:32", "Người ký", "Tổ chức cấp chứng thư", "Số hiệu chứng thư",
              "54010101aa01", "Mục đích sử dụng khóa", "Dấu thời gian hợp lệ", "Trang 1/"):
        assert s in flat, s
    assert "KHÔNG HỢP LỆ" not in flat and "CHƯA XÁC ĐỊNH" not in flat
    assert _flat(passed().summary) in flat  # the summary, word for word


def test_failed_report(tmp_path):
    pdf = report_pdf(failed(), filename="cong-van.pdf")
    flat = _flat(_text(pdf, tmp_path, "failed"))
    for s in ("KHÔNG HỢP LỆ", "TOTAL_FAILED", "Nguyễn Văn An", "Trần Thị Bình", LONG_ORG, "ĐÃ BỊ THU HỒI",
              "chứng thư số của người ký đã bị thu hồi", "Chứng thư số của người ký đã bị thu hồi.",
              "Nội dung đã bị thay đổi sau khi ký (mã băm không khớp).", "Signature hash mismatch",
              "KHÔNG nguyên vẹn", "KHÔNG HỢP LỆ (FAILED, HASH_FAILURE)", "KHÔNG HỢP LỆ (FAILED, REVOKED)",
              "Dấu thời gian tài liệu 1/1", "Máy chủ dấu thời gian VNPT-CA", "Đơn vị cấp dấu thời gian",
              "PAdES B-B"):
        assert s in flat, s
    # a document timestamp has no signer's clock nor a timestamp of its own to check
    ts_part = flat[flat.index("Dấu thời gian tài liệu 1/1"):]
    assert "Thời gian ký" not in ts_part and "Dấu thời gian hợp lệ" not in ts_part


def test_empty_report(tmp_path):
    pdf = report_pdf(empty())
    flat = _flat(_text(pdf, tmp_path, "empty"))
    assert "KHÔNG HỢP LỆ" in flat
    assert "Tài liệu không có chữ ký số" in flat
    assert "không có chữ ký số hay dấu thời gian tài liệu nào" in flat
    assert "Tên tệp" not in flat  # no file name given
    assert _pages(pdf, tmp_path, "empty") == 1


def test_six_signatures_break_pages_between_rows(tmp_path):
    report = six()
    pdf = report_pdf(report, filename="x.pdf")
    pages = _pages(pdf, tmp_path, "six")
    assert pages > _pages(report_pdf(passed()), tmp_path, "two") and pages >= 3
    text = _text(pdf, tmp_path, "six")
    flat = _flat(text)
    assert "CHƯA XÁC ĐỊNH" in flat and "INDETERMINATE" in flat
    for i in range(1, 7):
        assert f"Chữ ký {i}/6" in flat and f"Lê Thị Hồng Nhung {i}" in flat
    assert f"Trang {pages}/{pages}" in flat
    # every long reason is there in full, none cut by a page break (a row split would put a footer in it)
    page_texts = [_flat(p) for p in text.split("\f") if p.strip()]
    long = _flat(report.signatures[0].reasons[0])
    assert sum(p.count(long) for p in page_texts) == 6
    assert flat.count("Lý do ngắn thứ ba: chưa lấy được OCSP.") == 6
    # a table continued on a new page repeats its heading (or the page starts a new table, or the closing note)
    for p in page_texts[1:]:
        assert p.startswith(("Chữ ký ", "Báo cáo do hệ thống sohoa")), p[:80]


def test_row_taller_than_a_page_is_split_not_refused(tmp_path):
    huge = " ".join(f"Lỗi kiểm tra thứ {i} của chuỗi chứng thư số." for i in range(400))
    report = _report("TOTAL_FAILED", [_sig("Signature1", "Phạm Đức Minh", indication="FAILED",
                                           sub_indication="GENERIC", reasons=[huge])])
    pdf = report_pdf(report)
    flat = _flat(_text(pdf, tmp_path, "huge"))
    assert "Lỗi kiểm tra thứ 399 của chuỗi chứng thư số." in flat and "Lý do (tiếp)" in flat


def test_decomposed_input_comes_out_nfc(tmp_path):
    nfd = unicodedata.normalize("NFD", "Nguyễn Văn An")
    assert nfd != "Nguyễn Văn An"
    report = _report("TOTAL_PASSED", [_sig("Signature1", nfd)])
    flat = _flat(_text(report_pdf(report), tmp_path, "nfd"))
    assert "Nguyễn Văn An" in flat


def test_characters_the_font_lacks_are_marked_not_dropped(tmp_path):
    pdf = report_pdf(empty(), filename="文件 tên\x00 tệp\u200b.pdf")
    flat = _flat(_text(pdf, tmp_path, "cjk"))
    assert "?? tên tệp.pdf" in flat


def test_fonts_embedded_and_metadata(tmp_path):
    pdf = report_pdf(failed(), filename="cong-van.pdf")
    fonts = _fonts(pdf, tmp_path, "fonts")
    assert fonts
    for row in fonts:  # name type encoding emb sub uni object ID
        assert row[-5] == "yes" and row[-4] == "yes", row  # embedded, subset
        assert "Serif" in row[0]
    path = tmp_path / "meta.pdf"
    path.write_bytes(pdf)
    info = subprocess.run(["pdfinfo", "-isodates", str(path)], capture_output=True, text=True, check=True).stdout
    assert re.search(r"^CreationDate:\s+2025-03-14T10:00:00\+07", info, re.M), info  # validated_at, not now
    assert re.search(r"^Title:\s+Báo cáo kiểm tra chữ ký số – cong-van\.pdf$", info, re.M), info
    assert re.search(r"^Creator:\s+sohoa$", info, re.M), info
    assert re.search(r"^Page size:\s+595\.2\d* x 841\.8\d* pts \(A4\)", info, re.M), info


def test_same_report_same_bytes():
    assert report_pdf(passed()) == report_pdf(passed())
