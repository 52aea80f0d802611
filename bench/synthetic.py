"""Synthetic scans of Vietnamese administrative documents (Decree 30/2020 layout), with ground truth.

Deterministic for a given seed, fast (well under a second a page) and deliberately varied — fonts, sizes,
margins, document kinds, justification, seals, signatures, paper, lighting, noise, skew and rotation — so
the tests and benches exercise the pipeline rather than one template. Never tune the pipeline to it alone.

    python -m bench.synthetic OUT_DIR [--count N] [--tier clean|office|hard|mixed] [--seed S] [--format jpg]
"""

from __future__ import annotations

import argparse
import io
import math
import random
import unicodedata
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import cv2
import numpy as np
from PIL import Image, ImageDraw, ImageFont

TIERS = ("clean", "office", "hard")
KINDS = ("quyet_dinh", "cong_van", "thong_bao", "to_trinh", "ke_hoach", "bao_cao", "don_de_nghi", "giay_chung_nhan")

FONT_DIRS = [Path("/usr/share/fonts/truetype/liberation2"), Path("/usr/share/fonts/truetype/liberation"),
             Path("/usr/share/fonts/truetype/dejavu"), Path("/usr/share/fonts/truetype/freefont")]
FAMILIES = {
    # family: (regular, bold, italic, bold-italic), weight in the draw
    "Liberation Serif": (("LiberationSerif-Regular.ttf", "LiberationSerif-Bold.ttf", "LiberationSerif-Italic.ttf", "LiberationSerif-BoldItalic.ttf"), 6),
    "DejaVu Serif": (("DejaVuSerif.ttf", "DejaVuSerif-Bold.ttf", "DejaVuSerif-Italic.ttf", "DejaVuSerif-BoldItalic.ttf"), 2),
    "FreeSerif": (("FreeSerif.ttf", "FreeSerifBold.ttf", "FreeSerifItalic.ttf", "FreeSerifBoldItalic.ttf"), 2),
    "Liberation Sans": (("LiberationSans-Regular.ttf", "LiberationSans-Bold.ttf", "LiberationSans-Italic.ttf", "LiberationSans-BoldItalic.ttf"), 1),
}


def _find(name: str) -> Path | None:
    for d in FONT_DIRS:
        if (d / name).exists():
            return d / name
    return None


def available_families() -> list[str]:
    return [f for f, (files, _w) in FAMILIES.items() if all(_find(n) for n in files)]


@lru_cache(maxsize=256)
def _font(family: str, style: int, px: int) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(str(_find(FAMILIES[family][0][style])), px)


# --- vocabulary --------------------------------------------------------------------------------------------

PROVINCES = ["An Giang", "Bắc Ninh", "Cà Mau", "Đà Nẵng", "Đắk Lắk", "Hà Tĩnh", "Hải Phòng", "Khánh Hòa", "Lâm Đồng",
             "Nghệ An", "Quảng Ngãi", "Sóc Trăng", "Thái Nguyên", "Thừa Thiên Huế", "Tiền Giang", "Vĩnh Long", "Yên Bái"]
DEPARTMENTS = [("SỞ TƯ PHÁP", "STP"), ("SỞ NỘI VỤ", "SNV"), ("SỞ TÀI CHÍNH", "STC"), ("SỞ XÂY DỰNG", "SXD"),
               ("SỞ Y TẾ", "SYT"), ("SỞ GIÁO DỤC VÀ ĐÀO TẠO", "SGDĐT"), ("SỞ KẾ HOẠCH VÀ ĐẦU TƯ", "SKHĐT"),
               ("TRUNG TÂM PHỤC VỤ HÀNH CHÍNH CÔNG", "TTPVHCC"), ("SỞ TÀI NGUYÊN VÀ MÔI TRƯỜNG", "STNMT")]
UNITS = ["KGVX", "KTN", "NC", "TH", "VP", "HCTC"]
TYPES = {  # kind: (type name, abbreviation)
    "quyet_dinh": ("QUYẾT ĐỊNH", "QĐ"), "thong_bao": ("THÔNG BÁO", "TB"), "to_trinh": ("TỜ TRÌNH", "TTr"),
    "ke_hoach": ("KẾ HOẠCH", "KH"), "bao_cao": ("BÁO CÁO", "BC"), "cong_van": ("", ""),
}
SUBJECTS = [
    "ban hành Quy chế tiếp nhận, giải quyết thủ tục hành chính theo cơ chế một cửa",
    "phê duyệt danh mục thủ tục hành chính được số hóa hồ sơ, kết quả giải quyết",
    "triển khai số hóa hồ sơ, kết quả giải quyết thủ tục hành chính năm 2024",
    "kiện toàn Tổ công tác thực hiện Đề án 06 của tỉnh",
    "tăng cường sử dụng chữ ký số chuyên dùng trong hoạt động của cơ quan nhà nước",
    "công bố danh mục thủ tục hành chính mới ban hành, sửa đổi, bổ sung",
    "đôn đốc thực hiện các chỉ tiêu cải cách hành chính quý IV",
    "chấn chỉnh việc tiếp nhận hồ sơ trực tuyến trên Cổng dịch vụ công",
    "giao chỉ tiêu tái sử dụng dữ liệu đã được số hóa cho các địa phương",
    "thành lập Đoàn kiểm tra công tác văn thư, lưu trữ năm 2025",
]
CAN_CU = [
    "Căn cứ Luật Tổ chức chính quyền địa phương ngày 19 tháng 6 năm 2015;",
    "Căn cứ Nghị định số 30/2020/NĐ-CP ngày 05 tháng 3 năm 2020 của Chính phủ về công tác văn thư;",
    "Căn cứ Nghị định số 61/2018/NĐ-CP ngày 23 tháng 4 năm 2018 của Chính phủ về thực hiện cơ chế một cửa, một cửa liên thông trong giải quyết thủ tục hành chính;",
    "Căn cứ Nghị định số 45/2020/NĐ-CP ngày 08 tháng 4 năm 2020 của Chính phủ về thực hiện thủ tục hành chính trên môi trường điện tử;",
    "Căn cứ Thông tư số 01/2023/TT-VPCP ngày 05 tháng 4 năm 2023 của Văn phòng Chính phủ;",
]
SENTENCES = [
    "Các cơ quan, đơn vị có trách nhiệm tổ chức số hóa hồ sơ, kết quả giải quyết thủ tục hành chính còn hiệu lực.",
    "Hồ sơ đã được số hóa phải được lưu trữ, khai thác và tái sử dụng, không yêu cầu công dân nộp lại giấy tờ đã có.",
    "Bộ phận một cửa tiếp nhận hồ sơ, kiểm tra tính đầy đủ, hợp lệ và cập nhật vào Hệ thống thông tin giải quyết thủ tục hành chính.",
    "Văn bản điện tử gửi, nhận giữa các cơ quan phải được ký số bằng chữ ký số chuyên dùng theo quy định.",
    "Giao Sở Nội vụ chủ trì, phối hợp với các sở, ngành theo dõi, đôn đốc và tổng hợp kết quả thực hiện.",
    "Trong quá trình thực hiện, nếu có khó khăn, vướng mắc, các đơn vị kịp thời phản ánh về Văn phòng Ủy ban nhân dân tỉnh.",
    "Tỷ lệ hồ sơ được giải quyết đúng hạn phải đạt từ 99% trở lên; kết quả được đồng bộ lên Cổng Dịch vụ công quốc gia.",
    "Kinh phí thực hiện được bố trí từ nguồn ngân sách nhà nước theo phân cấp hiện hành và các nguồn hợp pháp khác.",
    "Thủ trưởng các cơ quan chịu trách nhiệm trước Chủ tịch Ủy ban nhân dân tỉnh về kết quả số hóa của đơn vị mình.",
    "Việc tiếp nhận, trả kết quả được thực hiện trực tiếp, qua dịch vụ bưu chính công ích hoặc trực tuyến.",
    "Công chức tiếp nhận hướng dẫn tổ chức, cá nhân hoàn thiện hồ sơ một lần đầy đủ, rõ ràng bằng văn bản.",
    "Báo cáo định kỳ hằng quý gửi về Ủy ban nhân dân tỉnh trước ngày 15 của tháng cuối quý để tổng hợp.",
    "Đẩy mạnh tuyên truyền để người dân, doanh nghiệp biết và sử dụng dịch vụ công trực tuyến toàn trình.",
    "Rà soát, đánh giá thủ tục hành chính, đề xuất phương án đơn giản hóa, cắt giảm thành phần hồ sơ.",
]
SURNAMES = ["Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Huỳnh", "Phan", "Vũ", "Võ", "Đặng", "Bùi", "Đỗ", "Hồ", "Ngô", "Dương", "Lý"]
MIDDLE = ["Văn", "Thị", "Hữu", "Minh", "Thanh", "Đức", "Ngọc", "Quốc", "Thu", "Xuân"]
GIVEN = ["An", "Bình", "Cường", "Dũng", "Hà", "Hạnh", "Hùng", "Lan", "Long", "Mai", "Nam", "Phương", "Quang", "Sơn", "Thảo", "Tuấn", "Việt", "Yến"]
AUTHORITIES = [
    ("KT. CHỦ TỊCH", "PHÓ CHỦ TỊCH"), ("TM. ỦY BAN NHÂN DÂN", "CHỦ TỊCH"), ("KT. GIÁM ĐỐC", "PHÓ GIÁM ĐỐC"),
    ("GIÁM ĐỐC", ""), ("TL. CHỦ TỊCH", "CHÁNH VĂN PHÒNG"), ("TUQ. CHỦ TỊCH", "GIÁM ĐỐC SỞ NỘI VỤ"),
]
STREETS = ["Trần Hưng Đạo", "Lê Lợi", "Nguyễn Huệ", "Hai Bà Trưng", "Điện Biên Phủ", "Lý Thường Kiệt", "Phan Đình Phùng"]


def _name(rng: random.Random) -> str:
    return f"{rng.choice(SURNAMES)} {rng.choice(MIDDLE)} {rng.choice(GIVEN)}"


# --- page model ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SyntheticPage:
    image: Image.Image
    dpi: int
    truth_text: str
    kind: str
    tier: str
    rotation: int
    skew_deg: float
    meta: dict = field(default_factory=dict)


class _Canvas:
    """Draws text at physical sizes and records every line of truth, per reading-order block."""

    def __init__(self, rng: random.Random, dpi: int, family: str):
        self.rng, self.dpi, self.family = rng, dpi, family
        self.w, self.h = round(210 / 25.4 * dpi), round(297 / 25.4 * dpi)
        self.img = Image.new("L", (self.w, self.h), 255)
        self.draw = ImageDraw.Draw(self.img)
        self.blocks: dict[str, list[tuple[float, str]]] = {}
        self.order: list[str] = []
        self.body_pt = rng.choice([13, 13, 14, 14, 12.5])
        self.left = self.mm(rng.uniform(28, 35))
        self.right = self.w - self.mm(rng.uniform(15, 20))
        self.top = self.mm(rng.uniform(18, 25))

    def mm(self, v: float) -> int:
        return round(v / 25.4 * self.dpi)

    def font(self, pt: float, style: int = 0):
        return _font(self.family, style, max(6, round(pt / 72 * self.dpi)))

    def text(self, block: str, x: float, y: float, s: str, pt: float, style: int = 0, anchor: str = "la") -> int:
        s = unicodedata.normalize("NFC", " ".join(s.split()))
        f = self.font(pt, style)
        self.draw.text((x, y), s, fill=0, font=f, anchor=anchor)
        if block not in self.blocks:
            self.blocks[block] = []
            self.order.append(block)
        self.blocks[block].append((y, s))
        return round(pt / 72 * self.dpi * 1.0)

    def centred(self, block: str, cx: float, y: float, s: str, pt: float, style: int = 0) -> float:
        self.text(block, cx, y, s, pt, style, anchor="ma")
        return self.line_height(pt)

    def line_height(self, pt: float) -> float:
        return pt / 72 * self.dpi * self.rng.uniform(1.25, 1.45)

    def width(self, s: str, pt: float, style: int = 0) -> float:
        return self.font(pt, style).getlength(s)

    def wrap(self, s: str, pt: float, width: float, style: int = 0, indent: float = 0) -> list[str]:
        words, lines, cur = s.split(), [], ""
        for w in words:
            trial = f"{cur} {w}".strip()
            if self.width(trial, pt, style) + (indent if not lines else 0) <= width or not cur:
                cur = trial
            else:
                lines.append(cur)
                cur = w
        if cur:
            lines.append(cur)
        return lines

    def paragraph(self, block: str, y: float, s: str, pt: float, style: int = 0, justify: bool = True, indent_mm: float = 10) -> float:
        indent = self.mm(indent_mm)
        width = self.right - self.left
        lines = self.wrap(s, pt, width, style, indent)
        lh = self.line_height(pt)
        f = self.font(pt, style)
        for i, line in enumerate(lines):
            x0 = self.left + (indent if i == 0 else 0)
            words = line.split()
            last = i == len(lines) - 1
            if justify and not last and len(words) > 1:  # spread words to the margin, as a word processor would
                gap = (self.right - x0 - sum(f.getlength(w) for w in words)) / (len(words) - 1)
                x = x0
                for w in words:
                    self.draw.text((x, y), w, fill=0, font=f)
                    x += f.getlength(w) + gap
                self.blocks.setdefault(block, [])
                if block not in self.order:
                    self.order.append(block)
                self.blocks[block].append((y, line))
            else:
                self.text(block, x0, y, line, pt, style)
            y += lh
        return y + lh * self.rng.uniform(0.05, 0.3)

    def rule(self, cx: float, y: float, length: float) -> None:
        t = max(1, round(self.dpi / 150))
        self.draw.line((cx - length / 2, y, cx + length / 2, y), fill=0, width=t)

    def truth(self) -> str:
        lines = []
        for b in self.order:
            lines.extend(s for _y, s in self.blocks[b])
        return "\n".join(unicodedata.normalize("NFC", line) for line in lines if line.strip())


def _header(c: _Canvas, rng: random.Random, meta: dict, agency_lines: list[str], number: str, vv: list[str] | None = None) -> float:
    """Decree 30 header: agency block left, national motto and date right. Returns y below it."""
    pt = c.body_pt - rng.choice([0, 0.5, 1])
    col_l = c.left + c.mm(rng.uniform(17, 23))
    col_r = c.right - c.mm(rng.uniform(47, 52))
    y = c.top
    lh = c.line_height(pt)
    for i, name in enumerate(agency_lines):
        size, style = pt - (0.5 if i == 0 else 0), 0 if i == 0 and len(agency_lines) > 1 else 1
        for line in c.wrap(name, size, c.mm(72), style):  # a long agency name wraps inside its column
            c.centred("agency", col_l, y, line, size, style)
            y += lh
    c.rule(col_l, y + lh * 0.05, c.mm(rng.uniform(14, 22)))
    y_num = y + lh * 0.6
    c.centred("agency", col_l, y_num, f"Số: {number}", pt)
    if vv:
        yy = y_num + lh
        for line in vv:
            c.centred("agency", col_l, yy, line, pt - 1)
            yy += c.line_height(pt - 1)
        y_after_left = yy
    else:
        y_after_left = y_num + lh
    y = c.top
    c.centred("motto", col_r, y, "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", pt - 0.5, 1)
    y += lh
    c.centred("motto", col_r, y, "Độc lập - Tự do - Hạnh phúc", pt + 0.5, 1)
    c.rule(col_r, y + lh * 1.0, c.width("Độc lập - Tự do - Hạnh phúc", pt + 0.5, 1))
    place_date = f"{meta['place']}, ngày {meta['day']:02d} tháng {meta['month']} năm {meta['year']}"
    c.centred("motto", col_r, y_num, place_date, pt, 2)
    return max(y_after_left, y_num + lh) + lh * rng.uniform(0.8, 1.4)


def _signer(c: _Canvas, rng: random.Random, y: float, recipients: list[str], authority: tuple[str, str], name: str) -> dict:
    pt = c.body_pt
    small = max(10, pt - 2.5)
    col_r = c.right - c.mm(rng.uniform(38, 48))
    y0 = y
    c.text("noinhan", c.left, y, "Nơi nhận:", small + 1, 3)
    yy = y + c.line_height(small + 1)
    for r in recipients:
        c.text("noinhan", c.left, yy, r, small)
        yy += c.line_height(small) * 0.95
    lh = c.line_height(pt)
    c.centred("signer", col_r, y0, authority[0], pt, 1)
    y_pos = y0 + lh
    if authority[1]:
        c.centred("signer", col_r, y_pos, authority[1], pt, 1)
        y_pos += lh
    gap = c.mm(rng.uniform(22, 30))
    y_name = y_pos + gap
    c.centred("signer", col_r, y_name, name, pt, 1)
    return {"sig_box": (col_r - c.mm(25), y_pos, col_r + c.mm(25), y_name), "seal_centre": (col_r - c.mm(rng.uniform(14, 20)), (y_pos + y_name) / 2)}


def _body(c: _Canvas, rng: random.Random, y: float, kind: str, limit: float, n_min: int = 3, n_max: int = 6) -> float:
    pt = c.body_pt
    justify = rng.random() < 0.7
    n = rng.randint(n_min, n_max)
    for i in range(n):
        if kind == "quyet_dinh":
            s = f"Điều {i + 1}. " + " ".join(rng.sample(SENTENCES, rng.randint(1, 2)))
        else:
            s = " ".join(rng.sample(SENTENCES, rng.randint(1, 3)))
        if y + c.line_height(pt) * (len(c.wrap(s, pt, c.right - c.left)) + 1) > limit:
            break
        y = c.paragraph("body", y, s, pt, justify=justify)
    return y


def _compose(rng: random.Random, c: _Canvas, kind: str, page_no: int, pages: int, meta: dict) -> dict:
    """Lay out one page of a document of ``pages`` pages; returns where ink (seal, signature) goes."""
    pt = c.body_pt
    first, last = page_no == 1, page_no == pages
    y = c.top
    if not first:
        c.centred("pageno", c.w / 2, c.mm(rng.uniform(8, 12)), str(page_no), pt - 1)
        y = c.top + c.mm(4)
    if first:
        if kind == "don_de_nghi":
            y = c.top
            y += c.centred("motto", c.w / 2, y, "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", pt, 1)
            y += c.centred("motto", c.w / 2, y, "Độc lập - Tự do - Hạnh phúc", pt + 0.5, 1)
            c.rule(c.w / 2, y + c.mm(1), c.width("Độc lập - Tự do - Hạnh phúc", pt + 0.5, 1))
            y += c.mm(10)
            y += c.centred("title", c.w / 2, y, "ĐƠN ĐỀ NGHỊ", pt + 2, 1)
            y += c.centred("title", c.w / 2, y, "Cấp bản sao từ sổ gốc kết quả giải quyết thủ tục hành chính", pt, 1)
            y += c.mm(5)
            y += c.centred("title", c.w / 2, y, f"Kính gửi: Ủy ban nhân dân {meta['commune']}", pt)
            y += c.mm(4)
            fields = [
                f"Họ và tên: {meta['citizen'].upper()}",
                f"Ngày sinh: {rng.randint(1, 28):02d}/{rng.randint(1, 12):02d}/{rng.randint(1950, 2004)}",
                f"Số định danh cá nhân: {meta['personal_id']}",
                f"Địa chỉ thường trú: số {rng.randint(1, 300)} đường {rng.choice(STREETS)}, {meta['commune']}, tỉnh {meta['province']}",
                f"Số điện thoại: 09{rng.randint(10000000, 99999999)}",
            ]
            for fl in fields:
                y = c.paragraph("body", y, fl, pt, justify=False, indent_mm=0)
            y = _body(c, rng, y, kind, c.h * 0.72, 1, 2)
        else:
            agency = meta["agency"]
            vv = None
            if kind == "cong_van":
                vv = c.wrap(f"V/v {meta['subject']}", pt - 1, c.mm(70))
            y = _header(c, rng, meta, agency, meta["number"], vv)
            if kind == "cong_van":
                y += c.centred("title", c.w / 2, y, "Kính gửi: Ủy ban nhân dân các huyện, thị xã, thành phố", pt)
                y += c.mm(3)
            elif kind == "giay_chung_nhan":
                y += c.centred("title", c.w / 2, y, "GIẤY CHỨNG NHẬN ĐĂNG KÝ HỘ KINH DOANH", pt + 1.5, 1)
                y += c.centred("title", c.w / 2, y, f"Mã số hộ kinh doanh: {meta['business_code']}", pt, 0)
                y += c.centred("title", c.w / 2, y, f"Đăng ký lần đầu: ngày {meta['day']:02d} tháng {meta['month']:02d} năm {meta['year']}", pt, 2)
                y += c.mm(4)
                for fl in [f"1. Tên hộ kinh doanh: HỘ KINH DOANH {meta['citizen'].upper()}",
                           f"2. Địa điểm kinh doanh: số {rng.randint(1, 300)} đường {rng.choice(STREETS)}, {meta['commune']}",
                           "3. Ngành, nghề kinh doanh: Bán lẻ lương thực, thực phẩm, đồ uống",
                           f"4. Vốn kinh doanh: {rng.randint(50, 900)}.000.000 đồng",
                           f"5. Chủ hộ kinh doanh: {meta['citizen']}; số định danh cá nhân: {meta['personal_id']}"]:
                    y = c.paragraph("body", y, fl, pt, justify=False, indent_mm=0)
            else:
                name = TYPES[kind][0]
                y += c.centred("title", c.w / 2, y, name, pt + 1, 1)
                for line in c.wrap(f"Về việc {meta['subject']}", pt, c.mm(130), 1):
                    y += c.centred("title", c.w / 2, y, line, pt, 1)
                c.rule(c.w / 2, y + c.mm(0.5), c.mm(rng.uniform(25, 40)))
                y += c.mm(5)
                if kind == "quyet_dinh":
                    y += c.centred("title", c.w / 2, y, f"CHỦ TỊCH ỦY BAN NHÂN DÂN TỈNH {meta['province'].upper()}", pt, 1)
                    y += c.mm(2)
                    for cc in rng.sample(CAN_CU, rng.randint(2, 3)):
                        y = c.paragraph("body", y, cc, pt, style=2, justify=False)
                    y += c.centred("body", c.w / 2, y, "QUYẾT ĐỊNH:", pt, 1)
    limit = c.h * (0.68 if last else 0.9)
    if kind != "giay_chung_nhan" or not first:
        y = _body(c, rng, y, kind, limit)
    ink = {}
    if last:
        y = max(y + c.mm(4), c.h * 0.62) if kind != "don_de_nghi" else max(y + c.mm(4), c.h * 0.66)
        if kind == "don_de_nghi":
            col_r = c.right - c.mm(45)
            c.centred("signer", col_r, y, f"{meta['place']}, ngày {meta['day']:02d} tháng {meta['month']} năm {meta['year']}", pt, 2)
            c.centred("signer", col_r, y + c.line_height(pt), "Người làm đơn", pt, 1)
            c.centred("signer", col_r, y + 2 * c.line_height(pt), "(Ký và ghi rõ họ tên)", pt - 1, 2)
            yn = y + 2 * c.line_height(pt) + c.mm(22)
            c.centred("signer", col_r, yn, meta["citizen"], pt, 1)
            ink = {"sig_box": (col_r - c.mm(22), y + 3 * c.line_height(pt), col_r + c.mm(22), yn)}
        else:
            recipients = ["- Như trên;", f"- UBND tỉnh {meta['province']};", "- Văn phòng UBND tỉnh;", "- Lưu: VT, " + rng.choice(UNITS) + "."]
            ink = _signer(c, rng, y, recipients[: rng.randint(3, 4)], meta["authority"], meta["signer"])
    return ink


# --- ink: seals and signatures ----------------------------------------------------------------------------


def _seal(rgb: np.ndarray, centre, dpi: int, rng: random.Random, text: str) -> None:
    """A red round seal, multiplied onto the page like real stamp ink (text under it shows through)."""
    h, w = rgb.shape[:2]
    r = int(dpi * rng.uniform(0.72, 0.82))  # ~36-42 mm across
    size = 2 * r + 8
    layer = Image.new("L", (size, size), 0)
    d = ImageDraw.Draw(layer)
    cx = cy = size // 2
    t = max(2, dpi // 60)
    d.ellipse((cx - r, cy - r, cx + r, cy + r), outline=255, width=t * 2)
    d.ellipse((cx - int(r * 0.68), cy - int(r * 0.68), cx + int(r * 0.68), cy + int(r * 0.68)), outline=255, width=t)
    star = [(cx + math.cos(math.pi / 2 + i * math.pi / 5) * (r * 0.25 if i % 2 == 0 else r * 0.1),
             cy - math.sin(math.pi / 2 + i * math.pi / 5) * (r * 0.25 if i % 2 == 0 else r * 0.1)) for i in range(10)]
    d.polygon(star, fill=255)
    font = _font("Liberation Sans", 1, max(8, int(r * 0.16)))
    chars = list(text)
    for i, ch in enumerate(chars):
        ang = math.pi * (1.1 - 1.2 * i / max(1, len(chars) - 1)) + math.pi / 2
        px, py = cx + math.cos(ang) * r * 0.84, cy - math.sin(ang) * r * 0.84
        glyph = Image.new("L", (int(r * 0.3), int(r * 0.3)), 0)
        ImageDraw.Draw(glyph).text((glyph.width / 2, glyph.height / 2), ch, fill=255, font=font, anchor="mm")
        glyph = glyph.rotate(math.degrees(ang) - 90, resample=Image.BILINEAR)
        layer.paste(255, (int(px - glyph.width / 2), int(py - glyph.height / 2)), glyph)
    alpha = np.asarray(layer, np.float32) / 255.0 * rng.uniform(0.55, 0.85)
    x0, y0 = int(centre[0]) - cx, int(centre[1]) - cy
    _multiply(rgb, alpha, x0, y0, np.array([210, 35, 40], np.float32))


def _signature(rgb: np.ndarray, box, dpi: int, rng: random.Random) -> None:
    """Blue handwritten-looking strokes between the authority line and the printed name."""
    x0, y0, x1, y1 = [int(v) for v in box]
    if x1 <= x0 or y1 <= y0:
        return
    layer = Image.new("L", (x1 - x0, y1 - y0), 0)
    d = ImageDraw.Draw(layer)
    wdt = max(2, dpi // 100)
    for _ in range(rng.randint(2, 4)):
        pts = [(rng.uniform(0.05, 0.95) * layer.width, rng.uniform(0.2, 0.8) * layer.height) for _ in range(4)]
        curve = []
        for k in range(40):
            t = k / 39
            x = (1 - t) ** 3 * pts[0][0] + 3 * (1 - t) ** 2 * t * pts[1][0] + 3 * (1 - t) * t**2 * pts[2][0] + t**3 * pts[3][0]
            y = (1 - t) ** 3 * pts[0][1] + 3 * (1 - t) ** 2 * t * pts[1][1] + 3 * (1 - t) * t**2 * pts[2][1] + t**3 * pts[3][1]
            curve.append((x, y))
        d.line(curve, fill=255, width=wdt, joint="curve")
    alpha = np.asarray(layer, np.float32) / 255.0 * 0.9
    _multiply(rgb, alpha, x0, y0, np.array([25, 55, 170], np.float32))


def _multiply(rgb: np.ndarray, alpha: np.ndarray, x0: int, y0: int, colour: np.ndarray) -> None:
    h, w = rgb.shape[:2]
    ah, aw = alpha.shape
    sx0, sy0 = max(0, -x0), max(0, -y0)
    dx0, dy0 = max(0, x0), max(0, y0)
    dx1, dy1 = min(w, x0 + aw), min(h, y0 + ah)
    if dx1 <= dx0 or dy1 <= dy0:
        return
    a = alpha[sy0 : sy0 + dy1 - dy0, sx0 : sx0 + dx1 - dx0, None]
    region = rgb[dy0:dy1, dx0:dx1].astype(np.float32)
    region *= 1 - a + a * (colour / 255.0)
    rgb[dy0:dy1, dx0:dx1] = np.clip(region, 0, 255).astype(np.uint8)


# --- degradation -------------------------------------------------------------------------------------------


def _degrade(grey: Image.Image, rgb: np.ndarray | None, tier: str, rng: random.Random, nrng: np.random.Generator, dpi: int,
             bleed: Image.Image | None = None) -> tuple[np.ndarray, float, int]:
    """Turn a clean rendering into what a sheet-fed scanner delivers; returns (rgb, skew°, rotation°)."""
    img = rgb.astype(np.float32) if rgb is not None else np.repeat(np.asarray(grey, np.float32)[:, :, None], 3, axis=2)
    h, w = img.shape[:2]
    ink_strength = {"clean": 1.0, "office": rng.uniform(0.85, 1.0), "hard": rng.uniform(0.6, 0.9)}[tier]
    img = 255 - (255 - img) * ink_strength  # faded toner
    if tier != "clean":
        tint = np.array({"office": [rng.uniform(236, 250), rng.uniform(236, 248), rng.uniform(228, 244)],
                         "hard": [rng.uniform(215, 245), rng.uniform(210, 240), rng.uniform(190, 235)]}[tier], np.float32) / 255
        img *= tint
        # uneven illumination: a smooth gradient and vignette
        yy, xx = np.mgrid[0:h:16, 0:w:16].astype(np.float32)
        gx, gy = rng.uniform(-1, 1), rng.uniform(-1, 1)
        strength = 0.06 if tier == "office" else 0.18
        field_small = 1 - strength * (0.5 + 0.5 * (gx * (xx / w - 0.5) + gy * (yy / h - 0.5)) * 2)
        field_small -= strength * 0.5 * (((xx / w - 0.5) ** 2 + (yy / h - 0.5) ** 2) * 2)
        img *= cv2.resize(field_small, (w, h), interpolation=cv2.INTER_LINEAR)[:, :, None]
    if bleed is not None and tier != "clean":
        b = np.asarray(bleed, np.float32)[:, ::-1]
        img *= (1 - (255 - b) / 255 * rng.uniform(0.05, 0.15))[:, :, None]
    if tier == "hard" and rng.random() < 0.5:  # a fold crease
        y = rng.randint(h // 4, 3 * h // 4)
        img[y : y + max(2, dpi // 100)] *= 0.75
    sigma = {"clean": 0.4, "office": rng.uniform(0.5, 0.9), "hard": rng.uniform(0.8, 1.3)}[tier]
    img = cv2.GaussianBlur(img, (0, 0), sigma)
    noise = {"clean": 2.0, "office": rng.uniform(4, 7), "hard": rng.uniform(8, 14)}[tier]
    img += nrng.normal(0, noise, size=(h, w, 1)).astype(np.float32)
    if tier != "clean":
        n = int(w * h / (4000 if tier == "hard" else 20000))
        ys, xs = nrng.integers(0, h, n), nrng.integers(0, w, n)
        img[ys, xs] *= 0.3
    out = np.clip(img, 0, 255).astype(np.uint8)
    skew = {"clean": rng.uniform(-0.3, 0.3), "office": rng.uniform(-3, 3), "hard": rng.choice([rng.uniform(-10, 10), rng.choice([-1, 1]) * rng.uniform(7, 10)])}[tier]
    bed = (rng.randint(30, 70),) * 3 if tier == "hard" and rng.random() < 0.5 else (rng.randint(235, 255),) * 3
    m = cv2.getRotationMatrix2D((w / 2, h / 2), skew, 1.0)
    out = cv2.warpAffine(out, m, (w, h), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT, borderValue=bed)
    if tier == "hard" and rng.random() < 0.6:  # scanner edge shadow
        edge = rng.choice(["left", "top", "right"])
        k = int(w * rng.uniform(0.01, 0.03))
        shade = np.linspace(0.35, 1.0, k, dtype=np.float32)
        o = out.astype(np.float32)
        if edge == "left":
            o[:, :k] *= shade[None, :, None]
        elif edge == "right":
            o[:, -k:] *= shade[::-1][None, :, None]
        else:
            o[:k] *= shade[:, None, None]
        out = o.astype(np.uint8)
    if tier == "office" and rng.random() < 0.5:  # the scanner's own JPEG
        ok, buf = cv2.imencode(".jpg", out, [cv2.IMWRITE_JPEG_QUALITY, rng.randint(70, 88)])
        out = cv2.imdecode(buf, cv2.IMREAD_UNCHANGED)
    rotation = 0
    if tier == "office" and rng.random() < 0.1:
        rotation = 180
    elif tier == "hard" and rng.random() < 0.4:
        rotation = rng.choice([90, 180, 270])
    if rotation:
        out = cv2.rotate(out, {90: cv2.ROTATE_90_CLOCKWISE, 180: cv2.ROTATE_180, 270: cv2.ROTATE_90_COUNTERCLOCKWISE}[rotation])
    return out, round(skew, 3), rotation


# --- public API ------------------------------------------------------------------------------------------------


def _doc_meta(rng: random.Random, kind: str) -> dict:
    province = rng.choice(PROVINCES)
    dept, dept_abbr = rng.choice(DEPARTMENTS)
    use_ubnd = kind in ("quyet_dinh", "cong_van", "to_trinh") or rng.random() < 0.3
    if use_ubnd:
        agency = ["ỦY BAN NHÂN DÂN", f"TỈNH {province.upper()}"]
        issuer = "UBND"
    else:
        agency = [f"UBND TỈNH {province.upper()}", dept]
        issuer = dept_abbr
    abbr = TYPES.get(kind, ("", "GCN"))[1] or ""
    n = rng.randint(1, 3200)
    year = rng.randint(2015, 2025)
    num = f"{n:02d}"
    if kind == "cong_van":
        number = f"{num}/{issuer}-{rng.choice(UNITS)}"
    elif kind == "giay_chung_nhan":
        number = f"{num}/GCN-{issuer}"
    elif kind == "don_de_nghi":
        number = ""
    else:
        number = f"{num}/{abbr}-{issuer}"
    return {
        "province": province,
        "place": province if rng.random() < 0.7 else rng.choice(["Long Xuyên", "Châu Đốc", "Buôn Ma Thuột", "Tuy Hòa", "Vinh"]),
        "agency": agency,
        "issuer": issuer,
        "number": number,
        "day": rng.randint(1, 28),
        "month": rng.randint(1, 12),
        "year": year,
        "subject": rng.choice(SUBJECTS),
        "authority": rng.choice(AUTHORITIES),
        "signer": _name(rng),
        "citizen": _name(rng),
        "personal_id": f"0{rng.randint(1, 96):02d}{rng.randint(0, 3)}{rng.randint(10, 99)}{rng.randint(100000, 999999)}",
        "commune": f"phường {rng.choice(['Mỹ Bình', 'Đông Xuyên', 'Phước Hòa', 'Tân An', 'Hòa Thuận'])}",
        "business_code": f"{rng.randint(10, 99)}{rng.randint(100000, 999999)}",
        "doc_type": TYPES.get(kind, ("", ""))[0] or {"cong_van": "CÔNG VĂN", "don_de_nghi": "ĐƠN ĐỀ NGHỊ", "giay_chung_nhan": "GIẤY CHỨNG NHẬN"}.get(kind, ""),
    }


def _render(seed: int, tier: str, kind: str, dpi: int, page_no: int, pages: int, meta: dict, family: str) -> SyntheticPage:
    rng = random.Random(f"page:{seed}:{tier}:{kind}:{dpi}:{page_no}")
    nrng = np.random.default_rng(_stable_int(seed, page_no, tier, kind, dpi))
    if kind == "blank":
        c = _Canvas(rng, dpi, family)
        bleed = None
        if rng.random() < 0.6:  # the other side's text faintly showing through
            other = _Canvas(random.Random(f"bleed:{seed}"), dpi, family)
            _compose(random.Random(f"bleedc:{seed}"), other, "thong_bao", 1, 1, _doc_meta(random.Random(f"bm:{seed}"), "thong_bao"))
            bleed = other.img
        out, skew, rot = _degrade(c.img, None, tier if tier != "clean" else "office", rng, nrng, dpi, bleed=bleed)
        rot = 0
        return SyntheticPage(Image.fromarray(out), dpi, "", "blank", tier, rot, skew, {"seed": seed, "font": family})
    c = _Canvas(rng, dpi, family)
    ink = _compose(rng, c, kind, page_no, pages, meta)
    rgb = np.repeat(np.asarray(c.img)[:, :, None], 3, axis=2).copy()
    has_sig = has_seal = False
    if "sig_box" in ink and tier != "clean" or ("sig_box" in ink and rng.random() < 0.5):
        _signature(rgb, ink["sig_box"], dpi, rng)
        has_sig = True
    if "seal_centre" in ink and (tier != "clean" or rng.random() < 0.5):
        agency_name = " ".join(meta["agency"]).upper()
        _seal(rgb, ink["seal_centre"], dpi, rng, f"{agency_name} * {meta['province'].upper()} *")
        has_seal = True
    out, skew, rot = _degrade(c.img, rgb, tier, rng, nrng, dpi)
    info = {**{k: v for k, v in meta.items() if k != "agency"}, "agency": " / ".join(meta["agency"]), "seed": seed,
            "font": family, "body_pt": c.body_pt, "has_seal": has_seal, "has_signature": has_sig, "page": page_no, "pages": pages,
            "issue_date": f"{meta['year']:04d}-{meta['month']:02d}-{meta['day']:02d}"}
    return SyntheticPage(Image.fromarray(out), dpi, c.truth(), kind if page_no == 1 else "continuation",
                         tier, rot, skew, info)


def _stable_int(*parts) -> int:
    import hashlib

    return int.from_bytes(hashlib.sha256(repr(parts).encode()).digest()[:4], "big")


def _family(rng: random.Random) -> str:
    fams = available_families()
    weights = [FAMILIES[f][1] for f in fams]
    return rng.choices(fams, weights=weights)[0]


def generate_page(seed: int, tier: str = "office", kind: str | None = None, dpi: int = 300) -> SyntheticPage:
    """One complete single-page document (or a blank back side with ``kind="blank"``)."""
    if tier not in TIERS:
        raise ValueError(f"tier must be one of {TIERS}")
    rng = random.Random(f"doc:{seed}:{tier}")
    kind = kind or rng.choice(KINDS)
    meta = _doc_meta(rng, kind)
    return _render(seed, tier, kind, dpi, 1, 1, meta, _family(rng))


def generate_document(seed: int, tier: str = "office", pages: int = 2, dpi: int = 300) -> list[SyntheticPage]:
    """A multi-page document: Decree 30 header on page 1, numbered continuation pages, signer on the last."""
    rng = random.Random(f"doc:{seed}:{tier}:multi")
    kind = rng.choice([k for k in KINDS if k != "don_de_nghi"])
    meta = _doc_meta(rng, kind)
    family = _family(rng)
    return [_render(seed, tier, kind, dpi, n, pages, meta, family) for n in range(1, pages + 1)]


def tier_pages(tier: str, count: int, seed: int = 0, dpi: int = 300) -> list[SyntheticPage]:
    """``count`` varied single pages of one tier, for benches."""
    return [generate_page(seed + i, tier=tier, dpi=dpi) for i in range(count)]


def write_scan(pages: list[SyntheticPage], path: Path, fmt: str | None = None, jpeg_quality: int = 90) -> Path:
    """Write pages as the scanner would: JPEG/PNG (one page), multi-page TIFF, or an image-only PDF at 100 % scale."""
    path = Path(path)
    fmt = (fmt or path.suffix.lstrip(".")).lower()
    images = [p.image.convert("RGB") for p in pages]
    dpi = pages[0].dpi
    if fmt in ("jpg", "jpeg"):
        if len(pages) != 1:
            raise ValueError("a JPEG holds one page")
        images[0].save(path, "JPEG", quality=jpeg_quality, dpi=(dpi, dpi))
    elif fmt == "png":
        if len(pages) != 1:
            raise ValueError("a PNG holds one page")
        images[0].save(path, "PNG", dpi=(dpi, dpi), compress_level=3)
    elif fmt in ("tif", "tiff"):
        images[0].save(path, "TIFF", save_all=True, append_images=images[1:], compression="tiff_lzw", dpi=(dpi, dpi))
    elif fmt == "pdf":
        import pikepdf

        pdf = pikepdf.new()
        for img, page in zip(images, pages):
            buf = io.BytesIO()
            img.save(buf, "JPEG", quality=jpeg_quality)
            w_pt, h_pt = img.width / page.dpi * 72, img.height / page.dpi * 72
            pg = pdf.add_blank_page(page_size=(w_pt, h_pt))
            xobj = pikepdf.Stream(pdf, buf.getvalue(),
                Type=pikepdf.Name.XObject, Subtype=pikepdf.Name.Image, Width=img.width, Height=img.height,
                        ColorSpace=pikepdf.Name.DeviceRGB, BitsPerComponent=8, Filter=pikepdf.Name.DCTDecode)
            pg.obj.Resources = pikepdf.Dictionary(XObject=pikepdf.Dictionary(Im0=xobj))
            pg.obj.Contents = pdf.make_stream(f"q {w_pt:.4f} 0 0 {h_pt:.4f} 0 0 cm /Im0 Do Q".encode())
        pdf.save(path, deterministic_id=True)
    else:
        raise ValueError(f"unknown scan format {fmt!r}")
    return path


def write_truth(pages: list[SyntheticPage], scan: Path) -> Path:
    """Ground truth beside a scan: ``truth/<stem>.txt``, pages separated by form feeds."""
    truth = scan.parent / "truth" / (scan.stem + ".txt")
    truth.parent.mkdir(exist_ok=True)
    truth.write_text("\f".join(p.truth_text for p in pages), encoding="utf-8")
    return truth


def make_demo_batch(out_dir: Path, count: int = 6, seed: int = 1) -> list[Path]:
    """A small mixed batch, like a morning at a one-stop centre: JPEGs, a multi-page TIFF, a PDF, a blank back."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    batch: list[tuple[list[SyntheticPage], Path]] = []
    tiers = ["clean", "office", "office", "hard"]
    for i in range(max(1, count - 2)):
        page = generate_page(seed + i, tier=tiers[i % len(tiers)])
        batch.append(([page], out_dir / f"{i + 1:02d}-{page.kind.replace('_', '-')}.jpg"))
    feed = generate_document(seed + 100, tier="office", pages=3) + [generate_page(seed + 101, "office", "blank")]
    batch.append((feed, out_dir / "ho-so-nhieu-trang.tif"))
    batch.append((generate_document(seed + 200, tier="clean", pages=2), out_dir / "ket-qua.pdf"))
    paths = []
    for pages, path in batch:
        paths.append(write_scan(pages, path))
        write_truth(pages, path)
    return paths


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("out", type=Path)
    ap.add_argument("--count", type=int, default=6)
    ap.add_argument("--tier", default="mixed", choices=[*TIERS, "mixed"])
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--format", default=None, choices=["jpg", "png", "tif", "pdf"])
    args = ap.parse_args(argv)
    if args.tier == "mixed" and args.format is None:
        paths = make_demo_batch(args.out, args.count, args.seed)
    else:
        args.out.mkdir(parents=True, exist_ok=True)
        paths = []
        for i in range(args.count):
            tier = args.tier if args.tier != "mixed" else TIERS[i % 3]
            page = generate_page(args.seed + i, tier=tier)
            path = write_scan([page], args.out / f"{i + 1:03d}-{tier}-{page.kind}.{args.format or 'jpg'}")
            write_truth([page], path)
            paths.append(path)
    print(f"wrote {len(paths)} scans to {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
