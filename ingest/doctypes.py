"""The document types sohoa knows: Decree 30/2020's 29 administrative types, its copy forms, and the
citizen-side papers found in dossiers. One table, used by classification and metadata extraction."""

from __future__ import annotations

from dataclasses import dataclass

from storage.text import fold


@dataclass(frozen=True)
class DocType:
    code: str  # stable identifier
    name: str  # as a clerk writes it
    abbreviation: str = ""  # in the symbol, e.g. QĐ in 12/QĐ-UBND; empty for công văn
    title: str = ""  # the type name in capitals under the header, when the layout prints one


ADMINISTRATIVE = [
    DocType("nghi_quyet", "Nghị quyết", "NQ", "NGHỊ QUYẾT"),
    DocType("quyet_dinh", "Quyết định", "QĐ", "QUYẾT ĐỊNH"),
    DocType("chi_thi", "Chỉ thị", "CT", "CHỈ THỊ"),
    DocType("quy_che", "Quy chế", "QC", "QUY CHẾ"),
    DocType("quy_dinh", "Quy định", "QyĐ", "QUY ĐỊNH"),
    DocType("thong_cao", "Thông cáo", "TC", "THÔNG CÁO"),
    DocType("thong_bao", "Thông báo", "TB", "THÔNG BÁO"),
    DocType("huong_dan", "Hướng dẫn", "HD", "HƯỚNG DẪN"),
    DocType("chuong_trinh", "Chương trình", "CTr", "CHƯƠNG TRÌNH"),
    DocType("ke_hoach", "Kế hoạch", "KH", "KẾ HOẠCH"),
    DocType("phuong_an", "Phương án", "PA", "PHƯƠNG ÁN"),
    DocType("de_an", "Đề án", "ĐA", "ĐỀ ÁN"),
    DocType("du_an", "Dự án", "DA", "DỰ ÁN"),
    DocType("bao_cao", "Báo cáo", "BC", "BÁO CÁO"),
    DocType("bien_ban", "Biên bản", "BB", "BIÊN BẢN"),
    DocType("to_trinh", "Tờ trình", "TTr", "TỜ TRÌNH"),
    DocType("hop_dong", "Hợp đồng", "HĐ", "HỢP ĐỒNG"),
    DocType("cong_dien", "Công điện", "CĐ", "CÔNG ĐIỆN"),
    DocType("ban_ghi_nho", "Bản ghi nhớ", "BGN", "BẢN GHI NHỚ"),
    DocType("ban_thoa_thuan", "Bản thỏa thuận", "BTT", "BẢN THỎA THUẬN"),
    DocType("giay_uy_quyen", "Giấy ủy quyền", "GUQ", "GIẤY ỦY QUYỀN"),
    DocType("giay_moi", "Giấy mời", "GM", "GIẤY MỜI"),
    DocType("giay_gioi_thieu", "Giấy giới thiệu", "GGT", "GIẤY GIỚI THIỆU"),
    DocType("giay_nghi_phep", "Giấy nghỉ phép", "GNP", "GIẤY NGHỈ PHÉP"),
    DocType("phieu_gui", "Phiếu gửi", "PG", "PHIẾU GỬI"),
    DocType("phieu_chuyen", "Phiếu chuyển", "PC", "PHIẾU CHUYỂN"),
    DocType("phieu_bao", "Phiếu báo", "PB", "PHIẾU BÁO"),
    DocType("cong_van", "Công văn"),
    DocType("thu_cong", "Thư công", "", "THƯ"),
]
COPIES = [
    DocType("sao_y", "Sao y", "SY", "SAO Y"),
    DocType("trich_sao", "Trích sao", "TrS", "TRÍCH SAO"),
    DocType("sao_luc", "Sao lục", "SL", "SAO LỤC"),
]
CITIZEN = [
    DocType("don_de_nghi", "Đơn đề nghị", "", "ĐƠN ĐỀ NGHỊ"),
    DocType("to_khai", "Tờ khai", "", "TỜ KHAI"),
    DocType("giay_chung_nhan", "Giấy chứng nhận", "GCN", "GIẤY CHỨNG NHẬN"),
    DocType("giay_phep", "Giấy phép", "GP", "GIẤY PHÉP"),
    DocType("can_cuoc", "Căn cước / CMND", "", "CĂN CƯỚC"),
    DocType("khac", "Khác"),
]
ALL = ADMINISTRATIVE + COPIES + CITIZEN
BY_CODE = {t.code: t for t in ALL}
BY_ABBREVIATION = {t.abbreviation: t for t in ALL if t.abbreviation}
# longest titles first, so "GIẤY CHỨNG NHẬN" is tried before a shorter title that prefixes it
BY_TITLE = sorted(((fold(t.title), t) for t in ALL if t.title), key=lambda x: -len(x[0]))
