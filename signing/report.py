"""The validation report as an A4 PDF a clerk can print, sign off and file with the document.

Everything a clerk needs to decide about the file is on paper, in Vietnamese: what was checked (hash, size,
time, the trust anchors used), the verdict in large coloured type, then one table per signature with the
facts behind it. Rows never split across pages and every page carries the file's hash, so loose pages can be
matched to the file they belong to.
"""

from __future__ import annotations

import os
import unicodedata
from datetime import datetime
from functools import lru_cache

from fpdf import FPDF
from fpdf.enums import MethodReturnValue
from fpdf.fonts import FontFace

from signing.validate import SignatureCheck, ValidationReport

FAMILY = "ReportSerif"
# Liberation Serif is metric-compatible with Times New Roman, the typeface of Vietnamese administrative
# documents (Nghị định 30/2020/NĐ-CP); DejaVu Serif is the fallback with the same Vietnamese coverage.
FONT_CANDIDATES = (
    ("/usr/share/fonts/truetype/liberation2/LiberationSerif-{}.ttf", {"": "Regular", "B": "Bold", "I": "Italic"}),
    ("/usr/share/fonts/truetype/dejavu/DejaVuSerif{}.ttf", {"": "", "B": "-Bold", "I": "-Italic"}),
)

# Margins of an administrative document (Nghị định 30/2020: left 30-35 mm, right 15-20, top/bottom 20-25).
MARGIN_LEFT, MARGIN_RIGHT, MARGIN_TOP, MARGIN_BOTTOM = 30.0, 15.0, 20.0, 20.0
BODY_PT = 11.0
SMALL_PT = 8.5
LINE_MM = 5.0
LABEL_MM = 52.0
CELL_PAD = (1.0, 2.0)  # top/bottom, left/right
# a value longer than this many lines is split over several rows, so no row can be taller than a page
MAX_ROW_LINES = 30

BLACK = (0, 0, 0)
GREY = (90, 90, 90)
GREEN = (0, 122, 51)
RED = (192, 0, 0)
AMBER = (196, 118, 0)
LABEL_FILL = (242, 242, 242)
HEAD_FILL = (217, 217, 217)

VERDICTS = {
    "TOTAL_PASSED": ("HỢP LỆ", GREEN),
    "TOTAL_FAILED": ("KHÔNG HỢP LỆ", RED),
    "INDETERMINATE": ("CHƯA XÁC ĐỊNH", AMBER),
}
INDICATIONS = {
    "PASSED": ("HỢP LỆ", GREEN),
    "FAILED": ("KHÔNG HỢP LỆ", RED),
    "INDETERMINATE": ("CHƯA XÁC ĐỊNH", AMBER),
}
COVERAGE = {
    "whole_file": "toàn bộ tài liệu",
    "revision": "một phiên bản; có nội dung thêm sau khi ký",
}
MODIFICATIONS = {
    "none": "không có",
    "lta_updates": "chỉ bổ sung dữ liệu kiểm tra dài hạn (DSS, dấu thời gian)",
    "form_filling": "điền biểu mẫu hoặc thêm chữ ký",
    "annotations": "thêm ghi chú, chú thích",
    "other": "thay đổi khác (nội dung trang, cấu trúc tài liệu)",
}
LEVELS = {
    "B-B": "PAdES B-B (cơ bản, không có dấu thời gian)",
    "B-T": "PAdES B-T (có dấu thời gian)",
    "B-LT": "PAdES B-LT (có dữ liệu kiểm tra dài hạn)",
    "B-LTA": "PAdES B-LTA (lưu trữ dài hạn)",
}


@lru_cache(maxsize=1)
def _font_files() -> dict[str, str]:
    """Regular/bold/italic files of the first installed serif family with Vietnamese glyphs."""
    for pattern, styles in FONT_CANDIDATES:
        files = {style: pattern.format(suffix) for style, suffix in styles.items()}
        if all(os.path.isfile(p) for p in files.values()):
            return files
    raise RuntimeError("no serif font with Vietnamese glyphs found: install fonts-liberation2 (or fonts-dejavu-core)")


@lru_cache(maxsize=1)
def _covered() -> frozenset[int]:
    """Code points every style of the font can draw; any other character would silently vanish from the page."""
    from fontTools.ttLib import TTFont

    sets = []
    for path in _font_files().values():
        font = TTFont(path, lazy=True)
        sets.append(set(font.getBestCmap()))
        font.close()
    return frozenset(set.intersection(*sets))


def _t(text) -> str:
    """NFC, control characters dropped, undrawable ones shown as "?": names may come decomposed or odd."""
    text = unicodedata.normalize("NFC", str(text)).replace("\t", " ").replace("\r\n", "\n").replace("\r", "\n")
    covered = _covered()
    return "".join(ch if ch == "\n" or ord(ch) in covered else "?" for ch in text
                   if ch == "\n" or unicodedata.category(ch) not in ("Cc", "Cf"))


def _when(iso: str | None) -> str:
    """dd/mm/yyyy hh:mm:ss (UTC+07:00), the way Vietnamese forms write dates; the raw string if unparsable."""
    if not iso:
        return "không có"
    try:
        dt = datetime.fromisoformat(iso)
    except ValueError:
        return _t(iso)
    if dt.tzinfo is None:
        return dt.strftime("%d/%m/%Y %H:%M:%S")
    off = dt.strftime("%z")
    return dt.strftime("%d/%m/%Y %H:%M:%S") + f" (UTC{off[:3]}:{off[3:5]})"


def _size(n: int) -> str:
    """1.234.567 byte (1,2 MB): Vietnamese separators."""
    dotted = f"{n:,}".replace(",", ".")
    for unit, scale in (("MB", 1024 * 1024), ("KB", 1024)):
        if n >= scale:
            short = f"{n / scale:.1f}".replace(".", ",")
            return f"{dotted} byte ({short} {unit})"
    return f"{dotted} byte"


class _Report(FPDF):
    """A4 portrait with the file's hash and "Trang x/y" in every footer."""

    def __init__(self, sha256: str):
        super().__init__(orientation="P", unit="mm", format="A4")
        self.sha256 = sha256
        for style, path in _font_files().items():
            self.add_font(FAMILY, style, path)
        self.set_margins(MARGIN_LEFT, MARGIN_TOP, MARGIN_RIGHT)
        self.set_auto_page_break(True, margin=MARGIN_BOTTOM)
        self.set_font(FAMILY, "", BODY_PT)

    def footer(self) -> None:
        self.set_y(-MARGIN_BOTTOM + 5)
        self.set_draw_color(*GREY)
        self.set_line_width(0.2)
        self.line(self.l_margin, self.y, self.w - self.r_margin, self.y)
        self.set_y(self.y + 1)
        self.set_font(FAMILY, "I", SMALL_PT)
        self.set_text_color(*GREY)
        self.cell(self.epw * 0.75, 4, f"Báo cáo kiểm tra chữ ký số · SHA-256 {self.sha256}", align="L")
        self.cell(self.epw * 0.25, 4, f"Trang {self.page_no()}/{{nb}}", align="R")
        self.set_text_color(*BLACK)


def report_pdf(report: ValidationReport, *, filename: str | None = None) -> bytes:
    """Render ``report`` (as made by ``Validator.validate``) as a printable Vietnamese PDF report."""
    pdf = _Report(report.sha256)
    name = _t(filename) if filename else None
    pdf.set_title(f"Báo cáo kiểm tra chữ ký số – {name or report.sha256[:16]}")
    pdf.set_subject(f"SHA-256 {report.sha256}")
    pdf.set_keywords(f"chữ ký số, {report.verdict}")
    pdf.set_creator("sohoa")
    pdf.set_author("sohoa")
    pdf.set_lang("vi")
    try:  # the same report renders to the same bytes
        pdf.set_creation_date(datetime.fromisoformat(report.validated_at))
    except (TypeError, ValueError):
        pass
    pdf.add_page()

    _title(pdf)
    _heading(pdf, "1. THÔNG TIN TÀI LIỆU")
    _file_info(pdf, report, name)
    _heading(pdf, "2. KẾT LUẬN")
    _verdict(pdf, report)
    _heading(pdf, "3. CHI TIẾT TỪNG CHỮ KÝ")
    _signatures(pdf, report.signatures)
    _closing(pdf)
    return bytes(pdf.output())


def _title(pdf: _Report) -> None:
    pdf.set_font(FAMILY, "B", 15)
    pdf.multi_cell(pdf.epw, 8, "BÁO CÁO KIỂM TRA CHỮ KÝ SỐ", align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(FAMILY, "I", BODY_PT - 1)
    pdf.multi_cell(pdf.epw, 5, "Kiểm tra theo quy trình ETSI EN 319 102-1 (chữ ký PAdES trên tệp PDF)",
                   align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(2)
    pdf.set_draw_color(*BLACK)
    pdf.set_line_width(0.3)
    x = pdf.l_margin + pdf.epw / 2
    pdf.line(x - 25, pdf.y, x + 25, pdf.y)
    pdf.ln(4)


def _heading(pdf: _Report, text: str) -> None:
    # a heading is never the last thing on a page
    if pdf.y + 8 + 3 * LINE_MM > pdf.page_break_trigger:
        pdf.add_page()
    pdf.ln(2)
    pdf.set_font(FAMILY, "B", BODY_PT + 1)
    pdf.set_text_color(*BLACK)
    pdf.cell(pdf.epw, 7, text, new_x="LMARGIN", new_y="NEXT")
    pdf.ln(1)
    pdf.set_font(FAMILY, "", BODY_PT)


def _wrap(pdf: _Report, text: str, width: float) -> list[str]:
    """The lines ``text`` takes in a column of ``width`` mm at the body font."""
    pdf.set_font(FAMILY, "", BODY_PT)
    lines: list[str] = []
    for para in text.split("\n"):
        lines += pdf.multi_cell(width, LINE_MM, para, dry_run=True, output=MethodReturnValue.LINES) or [""]
    return lines


def _rows(pdf: _Report, label: str, text: str, width: float) -> list[tuple[str, str]]:
    """(label, text) rows, a long text split into pieces of at most MAX_ROW_LINES lines."""
    lines = _wrap(pdf, text, width - 2 * CELL_PAD[1] - 0.5)
    if len(lines) <= MAX_ROW_LINES:
        return [(label, text)]
    chunks = ["\n".join(lines[i:i + MAX_ROW_LINES]) for i in range(0, len(lines), MAX_ROW_LINES)]
    return [(label if i == 0 else f"{label} (tiếp)", chunk) for i, chunk in enumerate(chunks)]


def _file_info(pdf: _Report, report: ValidationReport, name: str | None) -> None:
    rows: list[tuple[str, str]] = []
    value_w = pdf.epw - 45
    if name:
        rows += _rows(pdf, "Tên tệp", name, value_w)
    rows.append(("Mã băm SHA-256", report.sha256))
    rows.append(("Kích thước", _size(report.size)))
    rows.append(("Thời điểm kiểm tra", _when(report.validated_at)))
    anchors = [_t(a) for a in report.anchors] or ["không có (không chứng thư số nào được tin cậy)"]
    for i, anchor in enumerate(anchors):
        for label, text in _rows(pdf, "Tổ chức tin cậy" if i == 0 else "", anchor, value_w):
            rows.append((label if i == 0 else "", text))
    pdf.set_font(FAMILY, "", BODY_PT)
    with pdf.table(col_widths=(45, value_w), width=pdf.epw, align="LEFT", first_row_as_headings=False, borders_layout="NONE",
                   text_align="LEFT", v_align="TOP", line_height=LINE_MM, padding=(0.6, 0)) as table:
        for label, text in rows:
            row = table.row()
            row.cell(label, style=FontFace(emphasis="BOLD"))
            row.cell(text)


def _verdict(pdf: _Report, report: ValidationReport) -> None:
    text, colour = VERDICTS.get(report.verdict, (report.verdict, GREY))
    box_h = 17.0
    if pdf.y + box_h + 3 * LINE_MM > pdf.page_break_trigger:
        pdf.add_page()
    top = pdf.y + 1
    pdf.set_draw_color(*colour)
    pdf.set_line_width(0.8)
    pdf.rect(pdf.l_margin, top, pdf.epw, box_h)
    pdf.set_xy(pdf.l_margin + 5, top + 2.5)
    pdf.set_font(FAMILY, "B", 24)
    pdf.set_text_color(*colour)
    pdf.cell(text=_t(text), h=12)
    pdf.set_font(FAMILY, "", BODY_PT - 1)
    pdf.set_text_color(*GREY)
    pdf.set_xy(pdf.x + 5, top + 6.5)
    pdf.cell(text=f"(ETSI: {_t(report.verdict)})", h=6)
    pdf.set_text_color(*BLACK)
    pdf.set_draw_color(*BLACK)
    pdf.set_xy(pdf.l_margin, top + box_h + 3)
    pdf.set_font(FAMILY, "", BODY_PT)
    pdf.multi_cell(pdf.epw, LINE_MM + 0.4, _t(report.summary), align="J", new_x="LMARGIN", new_y="NEXT")


def _signatures(pdf: _Report, checks: list[SignatureCheck]) -> None:
    if not checks:
        pdf.set_font(FAMILY, "I", BODY_PT)
        pdf.multi_cell(pdf.epw, LINE_MM, "Tài liệu không có chữ ký số hay dấu thời gian tài liệu nào.",
                       new_x="LMARGIN", new_y="NEXT")
        pdf.set_font(FAMILY, "", BODY_PT)
        return
    # numbered like summary_vi does: signatures and document timestamps each from 1
    n_sig = sum(1 for c in checks if c.kind == "signature")
    n_ts = len(checks) - n_sig
    i_sig = i_ts = 0
    for c in checks:
        if c.kind == "signature":
            i_sig += 1
            title = f"Chữ ký {i_sig}/{n_sig}"
        else:
            i_ts += 1
            title = f"Dấu thời gian tài liệu {i_ts}/{n_ts}"
        if c.field:
            title += f" (trường «{_t(c.field)}»)"
        _signature_table(pdf, title, c)
        pdf.ln(4)


def _bad(colour=RED) -> FontFace:
    return FontFace(color=colour, emphasis="BOLD")


def _facts(c: SignatureCheck) -> list[tuple[str, str, FontFace | None]]:
    """(label, value, style) for each row of a signature's table."""
    is_ts = c.kind != "signature"
    rows: list[tuple[str, str, FontFace | None]] = []
    who = _t(c.signer) or "không rõ"
    if c.organisation and _t(c.organisation) != _t(c.signer):
        who += "\n" + _t(c.organisation)
    rows.append(("Đơn vị cấp dấu thời gian" if is_ts else "Người ký", who, None))
    rows.append(("Tổ chức cấp chứng thư", _t(c.issuer) or "không rõ", None))
    rows.append(("Số hiệu chứng thư", _t(c.serial) or "không rõ", None))
    if is_ts:
        rows.append(("Định dạng", "dấu thời gian tài liệu (PAdES DocTimeStamp)", None))
    else:
        level = LEVELS.get(c.level, _t(c.level) or "không xác định")
        if c.certified:
            level += "; chữ ký chứng nhận tài liệu (giới hạn thay đổi về sau)"
        rows.append(("Định dạng", level, None))
        claimed = _when(c.claimed_time)
        if c.claimed_time:
            claimed += "\ntheo đồng hồ máy của người ký"
        rows.append(("Thời gian ký", claimed, None))
    stamp = _when(c.timestamp_time)
    if c.timestamp_time:
        stamp += "\ndo tổ chức cung cấp dấu thời gian xác nhận"
    rows.append(("Dấu thời gian", stamp, None))
    rows.append(("Toàn vẹn", "nguyên vẹn: nội dung được ký không bị thay đổi, chữ ký khớp chứng thư" if c.integrity
                 else "KHÔNG nguyên vẹn", None if c.integrity else _bad()))
    rows.append(("Phạm vi ký", COVERAGE.get(c.coverage, _t(c.coverage) or "không xác định"), None))
    mods = MODIFICATIONS.get(c.modifications, _t(c.modifications) or "không xác định")
    mods_style = None
    if c.modifications_allowed is False:
        mods += "; KHÔNG được phép"
        mods_style = _bad()
    elif c.modifications_allowed is True and c.modifications not in ("", "none"):
        mods += "; được phép"
    rows.append(("Thay đổi sau khi ký", mods, mods_style))
    rows.append(("Chứng thư tin cậy",
                 "có: chuỗi chứng thư dẫn tới một tổ chức tin cậy đã cấu hình" if c.trusted
                 else "không: chứng thư không dẫn tới tổ chức tin cậy nào đã cấu hình",
                 None if c.trusted else _bad()))
    if c.revoked:
        rows.append(("Thu hồi", "ĐÃ BỊ THU HỒI", _bad()))
    elif c.revocation_checked:
        rows.append(("Thu hồi", "chưa bị thu hồi (đã kiểm tra OCSP/CRL)", None))
    else:
        rows.append(("Thu hồi", "chưa kiểm tra được tình trạng thu hồi", _bad(AMBER)))
    rows.append(("Mục đích sử dụng khóa", "phù hợp với ký số" if c.key_usage_ok else "KHÔNG phù hợp với ký số",
                 None if c.key_usage_ok else _bad()))
    if not is_ts:
        ts_ok = {None: ("không có", None), True: ("hợp lệ", None), False: ("KHÔNG hợp lệ", _bad())}[c.timestamp_ok]
        rows.append(("Dấu thời gian hợp lệ", *ts_ok))
    verdict, colour = INDICATIONS.get(c.indication, (_t(c.indication), GREY))
    code = c.indication + (f", {c.sub_indication}" if c.sub_indication else "")
    rows.append(("Kết quả", f"{verdict} ({_t(code)})", _bad(colour)))
    reasons = [_t(r).strip() for r in c.reasons if _t(r).strip()] or ["không có"]
    for i, reason in enumerate(reasons):
        rows.append(("Lý do" if i == 0 else "", reason, None))
    return rows


def _signature_table(pdf: _Report, title: str, c: SignatureCheck) -> None:
    value_w = pdf.epw - LABEL_MM
    pdf.set_font(FAMILY, "", BODY_PT)
    pdf.set_draw_color(*GREY)
    pdf.set_line_width(0.2)
    with pdf.table(col_widths=(LABEL_MM, value_w), width=pdf.epw, align="LEFT", text_align="LEFT", v_align="TOP",
                   line_height=LINE_MM, padding=CELL_PAD, num_heading_rows=1, repeat_headings=1,
                   headings_style=FontFace(emphasis="BOLD", fill_color=HEAD_FILL)) as table:
        table.row().cell(title, colspan=2)
        for label, text, style in _facts(c):
            for part_label, part in _rows(pdf, label, text, value_w):
                row = table.row()
                row.cell(part_label, style=FontFace(fill_color=LABEL_FILL))
                row.cell(part, style=style)
    pdf.set_draw_color(*BLACK)


def _closing(pdf: _Report) -> None:
    """What the result rests on, and room for the clerk who checked it to sign the printed copy."""
    pdf.ln(3)
    pdf.set_font(FAMILY, "I", BODY_PT - 1.5)
    note = ("Báo cáo do hệ thống sohoa lập tự động. Kết quả chỉ có giá trị với các tổ chức tin cậy nêu ở mục 1 "
            "và tại thời điểm kiểm tra; mã băm SHA-256 ở chân trang xác định đúng tệp đã được kiểm tra.")
    needed = 2 * LINE_MM + 30
    if pdf.y + needed > pdf.page_break_trigger:
        pdf.add_page()
    pdf.multi_cell(pdf.epw, LINE_MM - 0.4, note, align="J", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(6)
    x = pdf.l_margin + pdf.epw / 2
    pdf.set_x(x)
    pdf.set_font(FAMILY, "B", BODY_PT)
    pdf.multi_cell(pdf.epw / 2, LINE_MM, "NGƯỜI KIỂM TRA", align="C", new_x="LEFT", new_y="NEXT")
    pdf.set_font(FAMILY, "I", BODY_PT)
    pdf.multi_cell(pdf.epw / 2, LINE_MM, "(Ký, ghi rõ họ tên)", align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(FAMILY, "", BODY_PT)
