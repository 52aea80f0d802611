"""Vocabulary of the generator: places, agencies, people, subjects, sentences. All strings NFC.

Administrative units are those printed on most archived papers (before the 2025 merger of provinces and the
end of the district level); the commune list pairs each commune with one district of its province.
"""

from __future__ import annotations

import random
import unicodedata
from dataclasses import dataclass
from datetime import date, timedelta


def nfc(s: str) -> str:
    return unicodedata.normalize("NFC", s)


# --- provinces --------------------------------------------------------------------------------------------

# Province codes of the 12-digit personal identification number (Circular 59/2021/TT-BCA): every one of the
# 63 provinces and centrally-run cities, so numbers of people born elsewhere are valid too.
ID_PROVINCE_CODES = {
    "Hà Nội": 1, "Hà Giang": 2, "Cao Bằng": 4, "Bắc Kạn": 6, "Tuyên Quang": 8, "Lào Cai": 10, "Điện Biên": 11,
    "Lai Châu": 12, "Sơn La": 14, "Yên Bái": 15, "Hòa Bình": 17, "Thái Nguyên": 19, "Lạng Sơn": 20, "Quảng Ninh": 22,
    "Bắc Giang": 24, "Phú Thọ": 25, "Vĩnh Phúc": 26, "Bắc Ninh": 27, "Hải Dương": 30, "Hải Phòng": 31, "Hưng Yên": 33,
    "Thái Bình": 34, "Hà Nam": 35, "Nam Định": 36, "Ninh Bình": 37, "Thanh Hóa": 38, "Nghệ An": 40, "Hà Tĩnh": 42,
    "Quảng Bình": 44, "Quảng Trị": 45, "Thừa Thiên Huế": 46, "Đà Nẵng": 48, "Quảng Nam": 49, "Quảng Ngãi": 51,
    "Bình Định": 52, "Phú Yên": 54, "Khánh Hòa": 56, "Ninh Thuận": 58, "Bình Thuận": 60, "Kon Tum": 62, "Gia Lai": 64,
    "Đắk Lắk": 66, "Đắk Nông": 67, "Lâm Đồng": 68, "Bình Phước": 70, "Tây Ninh": 72, "Bình Dương": 74, "Đồng Nai": 75,
    "Bà Rịa - Vũng Tàu": 77, "Thành phố Hồ Chí Minh": 79, "Long An": 80, "Tiền Giang": 82, "Bến Tre": 83, "Trà Vinh": 84,
    "Vĩnh Long": 86, "Đồng Tháp": 87, "An Giang": 89, "Kiên Giang": 91, "Cần Thơ": 92, "Hậu Giang": 93, "Sóc Trăng": 94,
    "Bạc Liêu": 95, "Cà Mau": 96,
}
ID_PROVINCE_CODES = {nfc(k): v for k, v in ID_PROVINCE_CODES.items()}

# Centrally-run cities: "THÀNH PHỐ HÀ NỘI" in headers, departments under "UBND THÀNH PHỐ ...".
CITIES = {"Hà Nội", "Thành phố Hồ Chí Minh", "Đà Nẵng", "Hải Phòng", "Cần Thơ"}


@dataclass(frozen=True)
class Province:
    name: str  # as in "tỉnh An Giang" / "UBND TỈNH AN GIANG"
    capital: str  # the provincial town, a usual place of issue
    districts: tuple[tuple[str, str], ...]  # (unit type, name): ("thành phố", "Long Xuyên"), ("huyện", "Châu Thành")
    communes: tuple[tuple[str, str, int], ...]  # (unit type, name, index of its district)

    @property
    def level(self) -> str:
        return "thành phố" if self.name in CITIES else "tỉnh"

    @property
    def upper(self) -> str:
        """``TỈNH AN GIANG``; ``THÀNH PHỐ HỒ CHÍ MINH`` (never "THÀNH PHỐ THÀNH PHỐ ...")."""
        if self.name.startswith("Thành phố "):
            return self.name.upper()
        return f"{self.level} {self.name}".upper()

    @property
    def short(self) -> str:
        return self.name.replace("Thành phố ", "")


def _p(name, capital, districts, communes) -> Province:
    d = tuple((t, n) for t, n in (x.split(":") for x in districts))
    c = tuple((t, n, int(i)) for t, n, i in (x.split(":") for x in communes))
    return Province(nfc(name), nfc(capital), tuple((nfc(t), nfc(n)) for t, n in d), tuple((nfc(t), nfc(n), i) for t, n, i in c))


PROVINCES = [
    _p("An Giang", "Long Xuyên", ["thành phố:Long Xuyên", "thành phố:Châu Đốc", "huyện:Châu Thành", "huyện:Chợ Mới", "thị xã:Tân Châu"],
       ["phường:Mỹ Bình:0", "phường:Đông Xuyên:0", "phường:Mỹ Long:0", "phường:Châu Phú A:1", "xã:Bình Hòa:2", "xã:Kiến An:3", "phường:Long Thạnh:4"]),
    _p("Cà Mau", "Cà Mau", ["thành phố:Cà Mau", "huyện:Cái Nước", "huyện:Năm Căn", "huyện:Trần Văn Thời", "huyện:U Minh"],
       ["phường:5:0", "phường:7:0", "xã:Tân Hưng:1", "xã:Hàm Rồng:2", "xã:Khánh Hải:3", "xã:Khánh Lâm:4"]),
    _p("Hà Nội", "Hà Nội", ["quận:Ba Đình", "quận:Hoàn Kiếm", "quận:Cầu Giấy", "huyện:Đông Anh", "quận:Hà Đông"],
       ["phường:Điện Biên:0", "phường:Hàng Bạc:1", "phường:Dịch Vọng:2", "xã:Uy Nỗ:3", "phường:Yết Kiêu:4", "phường:Kim Mã:0"]),
    _p("Thành phố Hồ Chí Minh", "Thành phố Hồ Chí Minh", ["quận:1", "quận:Bình Thạnh", "thành phố:Thủ Đức", "huyện:Củ Chi", "quận:Gò Vấp"],
       ["phường:Bến Nghé:0", "phường:25:1", "phường:Linh Trung:2", "xã:Tân Thông Hội:3", "phường:Đa Kao:0", "phường:10:4"]),
    _p("Đà Nẵng", "Đà Nẵng", ["quận:Hải Châu", "quận:Thanh Khê", "huyện:Hòa Vang", "quận:Sơn Trà"],
       ["phường:Thạch Thang:0", "phường:Hòa Cường Bắc:0", "phường:Chính Gián:1", "xã:Hòa Phong:2", "phường:An Hải Bắc:3"]),
    _p("Hải Phòng", "Hải Phòng", ["quận:Hồng Bàng", "quận:Lê Chân", "huyện:Thủy Nguyên", "quận:Ngô Quyền"],
       ["phường:Hoàng Văn Thụ:0", "phường:An Biên:1", "xã:Lập Lễ:2", "phường:Máy Tơ:3"]),
    _p("Cần Thơ", "Cần Thơ", ["quận:Ninh Kiều", "quận:Cái Răng", "huyện:Phong Điền", "quận:Bình Thủy"],
       ["phường:Tân An:0", "phường:Xuân Khánh:0", "phường:Hưng Phú:1", "xã:Nhơn Ái:2", "phường:An Thới:3"]),
    _p("Bắc Ninh", "Bắc Ninh", ["thành phố:Bắc Ninh", "thành phố:Từ Sơn", "huyện:Tiên Du", "huyện:Gia Bình"],
       ["phường:Suối Hoa:0", "phường:Đông Ngàn:1", "xã:Lạc Vệ:2", "thị trấn:Gia Bình:3"]),
    _p("Đắk Lắk", "Buôn Ma Thuột", ["thành phố:Buôn Ma Thuột", "huyện:Krông Pắc", "huyện:Cư M'gar", "thị xã:Buôn Hồ"],
       ["phường:Tân Lợi:0", "phường:Thắng Lợi:0", "xã:Ea Kly:1", "xã:Ea Pốk:2", "phường:An Bình:3"]),
    _p("Hà Tĩnh", "Hà Tĩnh", ["thành phố:Hà Tĩnh", "huyện:Can Lộc", "thị xã:Kỳ Anh", "huyện:Đức Thọ"],
       ["phường:Bắc Hà:0", "phường:Nam Hà:0", "xã:Thiên Lộc:1", "phường:Sông Trí:2", "xã:Tùng Ảnh:3"]),
    _p("Khánh Hòa", "Nha Trang", ["thành phố:Nha Trang", "thành phố:Cam Ranh", "huyện:Diên Khánh", "thị xã:Ninh Hòa"],
       ["phường:Lộc Thọ:0", "phường:Vĩnh Hải:0", "phường:Cam Nghĩa:1", "xã:Diên An:2", "phường:Ninh Hiệp:3"]),
    _p("Lâm Đồng", "Đà Lạt", ["thành phố:Đà Lạt", "thành phố:Bảo Lộc", "huyện:Đức Trọng", "huyện:Lâm Hà"],
       ["phường:1:0", "phường:Lộc Sơn:1", "thị trấn:Liên Nghĩa:2", "xã:Tân Hà:3"]),
    _p("Nghệ An", "Vinh", ["thành phố:Vinh", "thị xã:Cửa Lò", "huyện:Nghi Lộc", "huyện:Diễn Châu", "huyện:Quỳnh Lưu"],
       ["phường:Hưng Dũng:0", "phường:Lê Mao:0", "phường:Nghi Thủy:1", "xã:Nghi Phong:2", "thị trấn:Diễn Châu:3", "xã:Quỳnh Đôi:4"]),
    _p("Quảng Ngãi", "Quảng Ngãi", ["thành phố:Quảng Ngãi", "huyện:Bình Sơn", "huyện:Tư Nghĩa", "thị xã:Đức Phổ"],
       ["phường:Trần Phú:0", "phường:Nghĩa Chánh:0", "xã:Bình Thạnh:1", "thị trấn:La Hà:2", "phường:Phổ Ninh:3"]),
    _p("Sóc Trăng", "Sóc Trăng", ["thành phố:Sóc Trăng", "huyện:Mỹ Xuyên", "thị xã:Vĩnh Châu", "huyện:Kế Sách"],
       ["phường:2:0", "phường:6:0", "thị trấn:Mỹ Xuyên:1", "phường:Khánh Hòa:2", "xã:An Lạc Thôn:3"]),
    _p("Thái Nguyên", "Thái Nguyên", ["thành phố:Thái Nguyên", "thành phố:Sông Công", "huyện:Đại Từ", "thành phố:Phổ Yên"],
       ["phường:Hoàng Văn Thụ:0", "phường:Quang Trung:0", "phường:Lương Sơn:1", "thị trấn:Hùng Sơn:2", "phường:Ba Hàng:3"]),
    _p("Thừa Thiên Huế", "Huế", ["thành phố:Huế", "thị xã:Hương Thủy", "huyện:Phú Vang", "thị xã:Hương Trà"],
       ["phường:Phú Hội:0", "phường:Vĩnh Ninh:0", "phường:Thủy Dương:1", "xã:Phú Thượng:2", "phường:Tứ Hạ:3"]),
    _p("Tiền Giang", "Mỹ Tho", ["thành phố:Mỹ Tho", "thị xã:Cai Lậy", "huyện:Châu Thành", "thị xã:Gò Công"],
       ["phường:4:0", "phường:Tân Long:0", "xã:Long Khánh:1", "xã:Tân Lý Đông:2", "phường:2:3"]),
    _p("Vĩnh Long", "Vĩnh Long", ["thành phố:Vĩnh Long", "huyện:Long Hồ", "huyện:Trà Ôn", "thị xã:Bình Minh"],
       ["phường:1:0", "phường:8:0", "xã:Phước Hậu:1", "thị trấn:Trà Ôn:2", "phường:Cái Vồn:3"]),
    _p("Yên Bái", "Yên Bái", ["thành phố:Yên Bái", "thị xã:Nghĩa Lộ", "huyện:Văn Chấn", "huyện:Trấn Yên"],
       ["phường:Đồng Tâm:0", "phường:Minh Tân:0", "phường:Pú Trạng:1", "xã:Sơn Thịnh:2", "thị trấn:Cổ Phúc:3"]),
    _p("Quảng Ninh", "Hạ Long", ["thành phố:Hạ Long", "thành phố:Cẩm Phả", "thành phố:Móng Cái", "huyện:Vân Đồn"],
       ["phường:Hồng Gai:0", "phường:Bãi Cháy:0", "phường:Cẩm Trung:1", "phường:Ka Long:2", "xã:Hạ Long:3"]),
    _p("Thanh Hóa", "Thanh Hóa", ["thành phố:Thanh Hóa", "thị xã:Nghi Sơn", "huyện:Thọ Xuân", "thành phố:Sầm Sơn"],
       ["phường:Điện Biên:0", "phường:Đông Thọ:0", "phường:Hải Hòa:1", "thị trấn:Thọ Xuân:2", "phường:Trường Sơn:3"]),
    _p("Bình Dương", "Thủ Dầu Một", ["thành phố:Thủ Dầu Một", "thành phố:Dĩ An", "thành phố:Thuận An", "huyện:Bàu Bàng"],
       ["phường:Phú Cường:0", "phường:Hiệp Thành:0", "phường:Dĩ An:1", "phường:Lái Thiêu:2", "thị trấn:Lai Uyên:3"]),
    _p("Đồng Nai", "Biên Hòa", ["thành phố:Biên Hòa", "thành phố:Long Khánh", "huyện:Nhơn Trạch", "huyện:Trảng Bom"],
       ["phường:Tân Phong:0", "phường:Quyết Thắng:0", "phường:Xuân An:1", "xã:Phước Thiền:2", "thị trấn:Trảng Bom:3"]),
    _p("Gia Lai", "Pleiku", ["thành phố:Pleiku", "thị xã:An Khê", "huyện:Chư Păh", "huyện:Đức Cơ"],
       ["phường:Hội Thương:0", "phường:Yên Đỗ:0", "phường:An Bình:1", "xã:Ia Ka:2", "thị trấn:Chư Ty:3"]),
    _p("Lào Cai", "Lào Cai", ["thành phố:Lào Cai", "thị xã:Sa Pa", "huyện:Bát Xát", "huyện:Bảo Thắng"],
       ["phường:Cốc Lếu:0", "phường:Kim Tân:0", "phường:Sa Pa:1", "xã:Quang Kim:2", "thị trấn:Phố Lu:3"]),
    _p("Bà Rịa - Vũng Tàu", "Vũng Tàu", ["thành phố:Vũng Tàu", "thành phố:Bà Rịa", "huyện:Long Điền", "thị xã:Phú Mỹ"],
       ["phường:Thắng Tam:0", "phường:1:0", "phường:Phước Hiệp:1", "thị trấn:Long Hải:2", "phường:Mỹ Xuân:3"]),
    _p("Kiên Giang", "Rạch Giá", ["thành phố:Rạch Giá", "thành phố:Phú Quốc", "huyện:Châu Thành", "thành phố:Hà Tiên"],
       ["phường:Vĩnh Thanh Vân:0", "phường:Vĩnh Bảo:0", "phường:Dương Đông:1", "xã:Minh Lương:2", "phường:Đông Hồ:3"]),
    _p("Đồng Tháp", "Cao Lãnh", ["thành phố:Cao Lãnh", "thành phố:Sa Đéc", "huyện:Lấp Vò", "thành phố:Hồng Ngự"],
       ["phường:Mỹ Phú:0", "phường:1:0", "phường:An Hòa:1", "xã:Bình Thạnh Trung:2", "phường:An Thạnh:3"]),
    _p("Bình Định", "Quy Nhơn", ["thành phố:Quy Nhơn", "thị xã:An Nhơn", "huyện:Tuy Phước", "thị xã:Hoài Nhơn"],
       ["phường:Lê Lợi:0", "phường:Ghềnh Ráng:0", "phường:Bình Định:1", "thị trấn:Tuy Phước:2", "phường:Bồng Sơn:3"]),
    _p("Phú Yên", "Tuy Hòa", ["thành phố:Tuy Hòa", "thị xã:Sông Cầu", "huyện:Đông Hòa", "huyện:Tuy An"],
       ["phường:7:0", "phường:9:0", "phường:Xuân Phú:1", "xã:Hòa Hiệp Trung:2", "thị trấn:Chí Thạnh:3"]),
    _p("Nam Định", "Nam Định", ["thành phố:Nam Định", "huyện:Hải Hậu", "huyện:Giao Thủy", "huyện:Ý Yên"],
       ["phường:Vị Hoàng:0", "phường:Trần Hưng Đạo:0", "thị trấn:Yên Định:1", "thị trấn:Ngô Đồng:2", "thị trấn:Lâm:3"]),
    _p("Hậu Giang", "Vị Thanh", ["thành phố:Vị Thanh", "thành phố:Ngã Bảy", "huyện:Phụng Hiệp", "huyện:Châu Thành A"],
       ["phường:5:0", "phường:Hiệp Thành:1", "xã:Tân Bình:2", "thị trấn:Một Ngàn:3"]),
    _p("Bến Tre", "Bến Tre", ["thành phố:Bến Tre", "huyện:Châu Thành", "huyện:Mỏ Cày Nam", "huyện:Ba Tri"],
       ["phường:An Hội:0", "phường:Phú Khương:0", "xã:Tân Thạch:1", "thị trấn:Mỏ Cày:2", "xã:An Đức:3"]),
    _p("Long An", "Tân An", ["thành phố:Tân An", "huyện:Bến Lức", "huyện:Đức Hòa", "thị xã:Kiến Tường"],
       ["phường:1:0", "phường:Khánh Hậu:0", "thị trấn:Bến Lức:1", "xã:Đức Lập Hạ:2", "phường:2:3"]),
    _p("Quảng Nam", "Tam Kỳ", ["thành phố:Tam Kỳ", "thành phố:Hội An", "thị xã:Điện Bàn", "huyện:Duy Xuyên"],
       ["phường:An Mỹ:0", "phường:Minh An:1", "phường:Vĩnh Điện:2", "thị trấn:Nam Phước:3"]),
    _p("Ninh Bình", "Ninh Bình", ["thành phố:Ninh Bình", "thành phố:Tam Điệp", "huyện:Hoa Lư", "huyện:Kim Sơn"],
       ["phường:Đông Thành:0", "phường:Bắc Sơn:1", "xã:Ninh Hải:2", "thị trấn:Phát Diệm:3"]),
]
PROVINCE_NAMES = [p.name for p in PROVINCES]
OTHER_PROVINCES = [n for n in ID_PROVINCE_CODES if n not in set(PROVINCE_NAMES)]

STREETS = ["Trần Hưng Đạo", "Lê Lợi", "Nguyễn Huệ", "Hai Bà Trưng", "Điện Biên Phủ", "Lý Thường Kiệt", "Phan Đình Phùng",
           "Nguyễn Trãi", "Lê Duẩn", "Hùng Vương", "Quang Trung", "Nguyễn Văn Cừ", "Võ Thị Sáu", "Tôn Đức Thắng", "Lê Hồng Phong",
           "Nguyễn Thị Minh Khai", "Phạm Văn Đồng", "Ngô Quyền", "Bà Triệu", "Trần Phú", "Nguyễn Du", "Hoàng Diệu", "Cách Mạng Tháng Tám",
           "30 Tháng 4", "Lạc Long Quân", "Âu Cơ", "Nguyễn Đình Chiểu", "Huỳnh Thúc Kháng", "Phan Chu Trinh", "Yersin"]
VILLAGES = ["Tân Hòa", "Bình Thạnh", "Phú Lợi", "Long Hưng", "Đông Hòa", "Mỹ Thuận", "Hòa Bình", "An Phú", "Thạnh Lợi", "Xuân Đông",
            "Trung Hậu", "Phước Lộc", "Kim Sơn", "Thượng", "Hạ", "Đoài", "Cầu Đá", "Bàu Sen"]


# --- people -------------------------------------------------------------------------------------------------

SURNAMES = ["Nguyễn"] * 12 + ["Trần"] * 4 + ["Lê"] * 4 + ["Phạm"] * 3 + ["Hoàng", "Huỳnh", "Phan", "Phan", "Vũ", "Võ", "Võ",
            "Đặng", "Bùi", "Đỗ", "Hồ", "Ngô", "Dương", "Lý", "Trịnh", "Đinh", "Lâm", "Mai", "Tô", "Tạ", "Cao", "Hà", "Lương",
            "Châu", "Quách", "Thái", "La", "Kiều", "Triệu", "Đoàn", "Văn", "Lữ", "Từ", "Âu"]
MIDDLE_M = ["Văn", "Văn", "Văn", "Hữu", "Đức", "Minh", "Quốc", "Thanh", "Xuân", "Công", "Đình", "Trọng", "Tấn", "Hoàng", "Anh", "Gia",
            "Ngọc", "Thành", "Quang", "Duy", "Bá", "Chí"]
MIDDLE_F = ["Thị", "Thị", "Thị", "Ngọc", "Thu", "Thanh", "Kim", "Mỹ", "Hồng", "Bích", "Thúy", "Phương", "Minh", "Diệu", "Khánh", "Bảo",
            "Hoài", "Tuyết", "Quỳnh"]
GIVEN_M = ["An", "Bình", "Cường", "Dũng", "Duy", "Đạt", "Hải", "Hiếu", "Hoàng", "Hùng", "Huy", "Khang", "Khoa", "Kiên", "Long", "Lợi",
           "Minh", "Nam", "Nghĩa", "Phong", "Phúc", "Quang", "Quân", "Sơn", "Tài", "Thắng", "Thành", "Thịnh", "Toàn", "Trung", "Tuấn",
           "Tùng", "Việt", "Vinh", "Vũ", "Lộc", "Nhân", "Thiện", "Khải", "Định"]
GIVEN_F = ["Anh", "Chi", "Dung", "Giang", "Hà", "Hạnh", "Hằng", "Hiền", "Hoa", "Hương", "Huyền", "Lan", "Linh", "Loan", "Mai", "My", "Nga",
           "Ngân", "Nhung", "Oanh", "Phương", "Quyên", "Thảo", "Thu", "Trang", "Tuyết", "Uyên", "Vân", "Yến", "Ánh", "Ngọc", "Nhi", "Thư",
           "Trâm", "Xuân", "Diễm"]
SECOND_M = ["Minh", "Hoàng", "Quốc", "Anh", "Thanh", "Đức", "Gia", "Bảo", "Nhật"]
SECOND_F = ["Thanh", "Ngọc", "Bảo", "Thu", "Minh", "Hồng", "Kim", "Phương", "Thảo"]
OCCUPATIONS = ["Kinh doanh", "Nông dân", "Công nhân", "Giáo viên", "Viên chức", "Công chức", "Nội trợ", "Lao động tự do", "Kỹ sư",
               "Bác sĩ", "Sinh viên", "Hưu trí"]
ETHNICITIES = ["Kinh"] * 12 + ["Hoa", "Khmer", "Tày", "Thái", "Mường", "Ê Đê", "Chăm"]
RELIGIONS = ["Không"] * 6 + ["Phật giáo", "Công giáo", "Phật giáo Hòa Hảo", "Cao Đài", "Tin lành"]


def person_name(rng: random.Random, female: bool) -> str:
    sur = rng.choice(SURNAMES)
    mid = rng.choice(MIDDLE_F if female else MIDDLE_M)
    given = rng.choice(GIVEN_F if female else GIVEN_M)
    if rng.random() < 0.25:  # four-word names: Nguyễn Thị Thanh Hương
        second = rng.choice(SECOND_F if female else SECOND_M)
        if second not in (mid, given):
            return f"{sur} {mid} {second} {given}"
    return f"{sur} {mid} {given}"


def random_date(rng: random.Random, start: date, end: date) -> date:
    return start + timedelta(days=rng.randint(0, (end - start).days))


def personal_id(rng: random.Random, province: str, birth: date, female: bool) -> str:
    """A valid 12-digit personal identification number: province code, century/gender digit, year, 6 digits."""
    century = 0 if birth.year < 2000 else 2
    return f"{ID_PROVINCE_CODES[province]:03d}{century + int(female)}{birth.year % 100:02d}{rng.randint(0, 999999):06d}"


@dataclass(frozen=True)
class Address:
    street: str  # "Số 12, đường Trần Hưng Đạo" or "Ấp Tân Hòa"
    ctype: str  # "phường"
    cname: str  # "Mỹ Bình"
    dtype: str  # "thành phố"
    dname: str  # "Long Xuyên"
    province: Province

    @property
    def commune(self) -> str:
        return f"{self.ctype} {self.cname}"

    @property
    def district(self) -> str:
        return f"{self.dtype} {self.dname}"

    def text(self, style: int = 0) -> str:
        """Style 0: ``..., phường Mỹ Bình, thành phố Long Xuyên, tỉnh An Giang``; 1: unit names capitalised (ID
        cards, certificates); 2: short, as on the back of an ID card (``..., Mỹ Bình, Long Xuyên, An Giang``)."""
        p = self.province
        prov = p.name if p.name.startswith("Thành phố ") else f"{p.level} {p.name}"
        if style == 2:
            unit = lambda t, n: f"{t.capitalize()} {n}" if n.isdigit() else n  # noqa: E731
            return f"{self.street}, {unit(self.ctype, self.cname)}, {unit(self.dtype, self.dname)}, {p.short}"
        parts = [self.commune, self.district, prov]
        if style == 1:
            parts = [x[:1].upper() + x[1:] for x in parts]
        return ", ".join([self.street, *parts])


def address(rng: random.Random, province: Province | None = None) -> Address:
    province = province or rng.choice(PROVINCES)
    ctype, cname, di = rng.choice(province.communes)
    dtype, dname = province.districts[di]
    if ctype in ("phường", "thị trấn"):
        street = rng.choice([
            f"Số {rng.randint(1, 450)}, đường {rng.choice(STREETS)}",
            f"Số {rng.randint(1, 450)} {rng.choice(STREETS)}",
            f"Số {rng.randint(1, 99)}/{rng.randint(1, 40)} đường {rng.choice(STREETS)}",
            f"Tổ {rng.randint(1, 30)}, khu phố {rng.randint(1, 12)}",
        ])
    else:
        street = rng.choice([f"Ấp {rng.choice(VILLAGES)}", f"Thôn {rng.choice(VILLAGES)}", f"Tổ {rng.randint(1, 20)}, ấp {rng.choice(VILLAGES)}"])
    return Address(nfc(street), ctype, cname, dtype, dname, province)


@dataclass(frozen=True)
class Person:
    name: str  # Title Case
    female: bool
    birth: date
    birth_province: str
    personal_id: str
    address: Address
    hometown: Address
    ethnicity: str
    religion: str
    occupation: str
    phone: str

    @property
    def sex(self) -> str:
        return "Nữ" if self.female else "Nam"

    @property
    def honorific(self) -> str:
        return "Bà" if self.female else "Ông"


def person(rng: random.Random, province: Province | None = None, adult: bool = True) -> Person:
    female = rng.random() < 0.5
    name = person_name(rng, female)
    birth = random_date(rng, date(1945, 1, 1), date(2006, 12, 31) if adult else date(2023, 12, 31))
    home = address(rng, province)
    hometown = address(rng) if rng.random() < 0.4 else address(rng, home.province)
    birth_province = hometown.province.name if rng.random() < 0.8 else rng.choice(OTHER_PROVINCES)
    return Person(nfc(name), female, birth, birth_province, personal_id(rng, birth_province, birth, female), home, hometown,
                  rng.choice(ETHNICITIES), rng.choice(RELIGIONS), rng.choice(OCCUPATIONS),
                  f"0{rng.choice([3, 7, 8, 9])}{rng.randint(10000000, 99999999)}")


# --- agencies -------------------------------------------------------------------------------------------------

DEPARTMENTS = [  # (name, symbol, head's title)
    ("SỞ TƯ PHÁP", "STP", "GIÁM ĐỐC"), ("SỞ NỘI VỤ", "SNV", "GIÁM ĐỐC"), ("SỞ TÀI CHÍNH", "STC", "GIÁM ĐỐC"),
    ("SỞ XÂY DỰNG", "SXD", "GIÁM ĐỐC"), ("SỞ Y TẾ", "SYT", "GIÁM ĐỐC"), ("SỞ GIÁO DỤC VÀ ĐÀO TẠO", "SGDĐT", "GIÁM ĐỐC"),
    ("SỞ KẾ HOẠCH VÀ ĐẦU TƯ", "SKHĐT", "GIÁM ĐỐC"), ("SỞ TÀI NGUYÊN VÀ MÔI TRƯỜNG", "STNMT", "GIÁM ĐỐC"),
    ("SỞ CÔNG THƯƠNG", "SCT", "GIÁM ĐỐC"), ("SỞ GIAO THÔNG VẬN TẢI", "SGTVT", "GIÁM ĐỐC"),
    ("SỞ NÔNG NGHIỆP VÀ PHÁT TRIỂN NÔNG THÔN", "SNN", "GIÁM ĐỐC"), ("SỞ LAO ĐỘNG - THƯƠNG BINH VÀ XÃ HỘI", "SLĐTBXH", "GIÁM ĐỐC"),
    ("SỞ THÔNG TIN VÀ TRUYỀN THÔNG", "STTTT", "GIÁM ĐỐC"), ("SỞ KHOA HỌC VÀ CÔNG NGHỆ", "SKHCN", "GIÁM ĐỐC"),
    ("SỞ VĂN HÓA, THỂ THAO VÀ DU LỊCH", "SVHTTDL", "GIÁM ĐỐC"),
    ("VĂN PHÒNG", "VP", "CHÁNH VĂN PHÒNG"), ("THANH TRA TỈNH", "TTr", "CHÁNH THANH TRA"),
    ("BAN QUẢN LÝ CÁC KHU CÔNG NGHIỆP", "BQLKCN", "TRƯỞNG BAN"), ("BAN DÂN TỘC", "BDT", "TRƯỞNG BAN"),
]
DISTRICT_OFFICES = [
    ("PHÒNG TƯ PHÁP", "PTP", "TRƯỞNG PHÒNG"), ("PHÒNG NỘI VỤ", "PNV", "TRƯỞNG PHÒNG"),
    ("PHÒNG TÀI NGUYÊN VÀ MÔI TRƯỜNG", "PTNMT", "TRƯỞNG PHÒNG"), ("PHÒNG TÀI CHÍNH - KẾ HOẠCH", "TCKH", "TRƯỞNG PHÒNG"),
    ("PHÒNG KINH TẾ VÀ HẠ TẦNG", "KTHT", "TRƯỞNG PHÒNG"), ("PHÒNG QUẢN LÝ ĐÔ THỊ", "QLĐT", "TRƯỞNG PHÒNG"),
    ("PHÒNG GIÁO DỤC VÀ ĐÀO TẠO", "PGDĐT", "TRƯỞNG PHÒNG"), ("VĂN PHÒNG HĐND VÀ UBND", "VP", "CHÁNH VĂN PHÒNG"),
]
MINISTRIES = [
    ("BỘ NỘI VỤ", "BNV", "BỘ TRƯỞNG", "THỨ TRƯỞNG"), ("BỘ TƯ PHÁP", "BTP", "BỘ TRƯỞNG", "THỨ TRƯỞNG"),
    ("BỘ THÔNG TIN VÀ TRUYỀN THÔNG", "BTTTT", "BỘ TRƯỞNG", "THỨ TRƯỞNG"), ("VĂN PHÒNG CHÍNH PHỦ", "VPCP", "BỘ TRƯỞNG, CHỦ NHIỆM", "PHÓ CHỦ NHIỆM"),
    ("BỘ TÀI NGUYÊN VÀ MÔI TRƯỜNG", "BTNMT", "BỘ TRƯỞNG", "THỨ TRƯỞNG"),
]
BUREAUS = [  # (parent, name, symbol, head)
    ("BỘ NỘI VỤ", "CỤC VĂN THƯ VÀ LƯU TRỮ NHÀ NƯỚC", "VTLTNN", "CỤC TRƯỞNG"),
    ("BỘ TƯ PHÁP", "CỤC HỘ TỊCH, QUỐC TỊCH, CHỨNG THỰC", "HTQTCT", "CỤC TRƯỞNG"),
    ("VĂN PHÒNG CHÍNH PHỦ", "CỤC KIỂM SOÁT THỦ TỤC HÀNH CHÍNH", "KSTT", "CỤC TRƯỞNG"),
]
UNITS = ["KGVX", "KTN", "NC", "TH", "VP", "HCTC", "KT", "QLĐT", "TCCB", "HCTP", "PC06", "NV", "KSTT", "TTPVHCC", "XDCQ", "VX"]
RANKS = ["Đại tá", "Thượng tá", "Trung tá"]


@dataclass(frozen=True)
class Agency:
    lines: tuple[tuple[str, int], ...]  # printed lines of the agency block: (text, style) with 0 regular, 1 bold
    agency: str  # truth: the issuing agency as the pipeline should report it
    parent: str | None  # truth: the parent agency when printed
    symbol: str  # issuer part of the number symbol: UBND, STP, HĐND
    level: str  # "ubnd", "hdnd", "so", "vp", "ban", "thanhtra", "phong", "congan", "bhxh", "bo", "cuc", "ttpvhcc"
    place: str  # the place of issue printed before the date
    province: Province | None
    name: str  # how the agency calls itself in running text: "Sở Tư pháp", "Ủy ban nhân dân tỉnh An Giang"
    head: str  # the head's title in capitals: "CHỦ TỊCH", "GIÁM ĐỐC"
    deputy: str  # "PHÓ CHỦ TỊCH"
    head_full: str  # "CHỦ TỊCH ỦY BAN NHÂN DÂN TỈNH AN GIANG", for decisions issued by the head
    collective: str | None  # "ỦY BAN NHÂN DÂN" for TM. signatures

    @property
    def seal_text(self) -> str:
        return f"{self.agency} * {(self.province.short if self.province else 'VIỆT NAM').upper()} *"


def _sentence(upper: str) -> str:
    """``SỞ TƯ PHÁP`` → ``Sở Tư pháp``, ``SỞ GIÁO DỤC VÀ ĐÀO TẠO`` → ``Sở Giáo dục và Đào tạo`` (running-text form)."""
    special = {"THANH TRA TỈNH": "Thanh tra tỉnh", "VĂN PHÒNG": "Văn phòng"}
    if upper in special:
        return special[upper]
    out, cap_next = [], True
    for i, w in enumerate(upper.lower().split()):
        out.append(w.capitalize() if cap_next or i == 1 else w)
        cap_next = w in ("và", "-") or w.endswith(",")
    return " ".join(out)


def agency(rng: random.Random, level: str | None = None, province: Province | None = None) -> Agency:
    """An issuing agency with its printed lines and the truth the extractor should report."""
    province = province or rng.choice(PROVINCES)
    level = level or rng.choices(["ubnd_tinh", "so", "ubnd_huyen", "phong", "ubnd_xa", "hdnd", "ttpvhcc", "congan", "bhxh", "bo", "cuc"],
                                 [24, 30, 12, 8, 8, 4, 4, 3, 2, 3, 2])[0]
    P = province.upper
    cap = province.capital
    place_prov = province.short if rng.random() < 0.65 or cap == province.name else cap
    if province.name.startswith("Thành phố"):
        place_prov = "Thành phố Hồ Chí Minh" if rng.random() < 0.8 else "TP. Hồ Chí Minh"
    if level == "ubnd_tinh":
        name = f"ỦY BAN NHÂN DÂN {P}"
        return Agency((("ỦY BAN NHÂN DÂN", 1), (P, 1)), name, None, "UBND", "ubnd", place_prov, province,
                      f"Ủy ban nhân dân {province.level} {province.short}" if not province.name.startswith("Thành") else f"Ủy ban nhân dân {province.name}",
                      "CHỦ TỊCH", "PHÓ CHỦ TỊCH", f"CHỦ TỊCH ỦY BAN NHÂN DÂN {P}", "ỦY BAN NHÂN DÂN")
    if level == "hdnd":
        name = f"HỘI ĐỒNG NHÂN DÂN {P}"
        return Agency((("HỘI ĐỒNG NHÂN DÂN", 1), (P, 1)), name, None, "HĐND", "hdnd", place_prov, province,
                      f"Hội đồng nhân dân {province.level} {province.short}", "CHỦ TỊCH", "PHÓ CHỦ TỊCH", f"HỘI ĐỒNG NHÂN DÂN {P}", "HỘI ĐỒNG NHÂN DÂN")
    if level in ("so", "ttpvhcc"):
        if level == "ttpvhcc":
            dept, sym, head = "TRUNG TÂM PHỤC VỤ HÀNH CHÍNH CÔNG", "TTPVHCC", "GIÁM ĐỐC"
            parent = f"VĂN PHÒNG UBND {P}" if rng.random() < 0.5 else f"UBND {P}"
        else:
            dept, sym, head = rng.choice(DEPARTMENTS)
            parent = f"UBND {P}"
        lvl = {"VP": "vp", "TTr": "thanhtra", "BQLKCN": "ban", "BDT": "ban"}.get(sym, level if level == "ttpvhcc" else "so")
        running = _sentence(dept) if sym != "VP" else f"Văn phòng Ủy ban nhân dân {province.level} {province.short}"
        head_full = {"VP": f"CHÁNH VĂN PHÒNG ỦY BAN NHÂN DÂN {P}", "TTr": f"CHÁNH THANH TRA {P}"}.get(
            sym, f"TRƯỞNG {dept}" if head == "TRƯỞNG BAN" else f"{head} {dept}")
        return Agency(((parent, 0), (dept, 1)), dept, parent, sym, lvl, place_prov, province, running, head, "PHÓ " + head, head_full, None)
    if level in ("ubnd_huyen", "phong"):
        dtype, dname = rng.choice(province.districts)
        D = f"{dtype} {dname}".upper()
        place = dname if not dname.isdigit() else f"{dtype.capitalize()} {dname}"
        if level == "ubnd_huyen":
            return Agency((("ỦY BAN NHÂN DÂN", 1), (D, 1)), f"ỦY BAN NHÂN DÂN {D}", None, "UBND", "ubnd", place, province,
                          f"Ủy ban nhân dân {dtype} {dname}", "CHỦ TỊCH", "PHÓ CHỦ TỊCH", f"CHỦ TỊCH ỦY BAN NHÂN DÂN {D}", "ỦY BAN NHÂN DÂN")
        office, sym, head = rng.choice(DISTRICT_OFFICES)
        parent = f"UBND {D}"
        head_full = f"TRƯỞNG {office}" if head == "TRƯỞNG PHÒNG" else f"CHÁNH {office}"
        return Agency(((parent, 0), (office, 1)), office, parent, sym, "phong" if sym != "VP" else "vp", place, province, _sentence(office),
                      head, "PHÓ " + head, head_full, None)
    if level == "ubnd_xa":
        ctype, cname, _ = rng.choice(province.communes)
        C = f"{ctype} {cname}".upper()
        place = cname if not cname.isdigit() else f"{ctype.capitalize()} {cname}"
        return Agency((("ỦY BAN NHÂN DÂN", 1), (C, 1)), f"ỦY BAN NHÂN DÂN {C}", None, "UBND", "ubnd", place, province,
                      f"Ủy ban nhân dân {ctype} {cname}", "CHỦ TỊCH", "PHÓ CHỦ TỊCH", f"CHỦ TỊCH ỦY BAN NHÂN DÂN {C}", "ỦY BAN NHÂN DÂN")
    if level == "congan":
        name = f"CÔNG AN {P}"
        return Agency((("BỘ CÔNG AN", 0), (name, 1)), name, "BỘ CÔNG AN", "CAT", "congan", place_prov, province,
                      f"Công an {province.level} {province.short}", "GIÁM ĐỐC", "PHÓ GIÁM ĐỐC", f"GIÁM ĐỐC CÔNG AN {P}", None)
    if level == "bhxh":
        name = f"BẢO HIỂM XÃ HỘI {P}"
        return Agency((("BẢO HIỂM XÃ HỘI VIỆT NAM", 0), (name, 1)), name, "BẢO HIỂM XÃ HỘI VIỆT NAM", "BHXH", "bhxh", place_prov, province,
                      f"Bảo hiểm xã hội {province.level} {province.short}", "GIÁM ĐỐC", "PHÓ GIÁM ĐỐC", f"GIÁM ĐỐC BẢO HIỂM XÃ HỘI {P}", None)
    if level == "bo":
        name, sym, head, deputy = rng.choice(MINISTRIES)
        return Agency(((name, 1),), name, None, sym, "bo", "Hà Nội", None, _sentence(name), head, deputy, f"{head} {name}", None)
    parent, name, sym, head = rng.choice(BUREAUS)
    return Agency(((parent, 0), (name, 1)), name, parent, sym, "cuc", "Hà Nội", None, _sentence(name), head, "PHÓ " + head, f"{head} {name}", None)


def authorities(a: Agency) -> list[tuple[tuple[str, ...], str | None, float]]:
    """Signature blocks of an agency: (authority lines, position or None when the authority line is the position, weight)."""
    h, d = a.head, a.deputy
    out: list[tuple[tuple[str, ...], str | None, float]] = [((f"KT. {h}",), d, 4), ((h,), None, 2)]
    if a.collective:
        out += [((f"TM. {a.collective}",), h, 3), ((f"TM. {a.collective}", f"KT. {h}"), d, 2)]
    if a.level in ("ubnd", "so", "bo", "ttpvhcc", "congan", "bhxh"):
        out += [((f"TL. {h}",), "CHÁNH VĂN PHÒNG", 1.5), ((f"TUQ. {h}",), "CHÁNH VĂN PHÒNG", 1)]
    if a.level == "so":
        out += [((f"TL. {h}",), "TRƯỞNG PHÒNG HÀNH CHÍNH - TỔNG HỢP", 0.7)]
    if a.level == "bo":
        out += [((f"TL. {h}",), "VỤ TRƯỞNG VỤ PHÁP CHẾ", 0.7), ((f"TUQ. {h}",), "CỤC TRƯỞNG CỤC KIỂM SOÁT THỦ TỤC HÀNH CHÍNH", 0.5)]
    if a.level == "hdnd":
        out = [((f"TM. {a.collective}",), h, 4), ((f"KT. {h}",), d, 2), (("TM. THƯỜNG TRỰC HỘI ĐỒNG NHÂN DÂN",), h, 1)]
    return out


def dossier_agency_id(rng: random.Random) -> str:
    """An agency identifier per Decision 20/2020: dot-separated groups, at most 35 characters."""
    top = f"{rng.choice('HHHHG')}{rng.randint(1, 63):02d}"
    if rng.random() < 0.15:
        return top
    return f"{rng.choice(['000', '000', '000', f'{rng.randint(1, 999):03d}'])}.{rng.choice(['00', f'{rng.randint(1, 99):02d}'])}.{rng.randint(1, 99):02d}.{top}"


def dossier_code(rng: random.Random, when: date | None = None) -> str:
    """``<agency id>-YYMMDD-NNNN``: receipt date and a 4-digit daily sequence."""
    when = when or random_date(rng, date(2019, 1, 1), date(2025, 12, 31))
    return f"{dossier_agency_id(rng)}-{when:%y%m%d}-{rng.randint(1, 9999):04d}"


# --- subjects and running text ---------------------------------------------------------------------------------

TOPICS = [
    "số hóa hồ sơ, kết quả giải quyết thủ tục hành chính", "cơ chế một cửa, một cửa liên thông trong giải quyết thủ tục hành chính",
    "sử dụng chữ ký số chuyên dùng trong hoạt động của cơ quan nhà nước", "Đề án 06 về phát triển ứng dụng dữ liệu về dân cư",
    "công tác cải cách hành chính", "công tác phòng, chống thiên tai và tìm kiếm cứu nạn", "chương trình mục tiêu quốc gia xây dựng nông thôn mới",
    "chuyển đổi số", "công tác văn thư, lưu trữ", "công tác tiếp công dân, giải quyết khiếu nại, tố cáo", "công tác bảo vệ môi trường",
    "bảo đảm an toàn thực phẩm", "quản lý trật tự xây dựng", "đăng ký đất đai, cấp giấy chứng nhận quyền sử dụng đất",
    "tuyển dụng công chức, viên chức", "cung cấp dịch vụ công trực tuyến toàn trình", "thanh toán trực tuyến phí, lệ phí",
    "tái sử dụng dữ liệu đã được số hóa", "phòng, chống dịch bệnh", "phổ biến, giáo dục pháp luật", "đăng ký, quản lý hộ tịch",
    "đào tạo, bồi dưỡng cán bộ, công chức", "quản lý, sử dụng tài sản công", "phát triển kinh tế tập thể, hợp tác xã",
    "giảm nghèo bền vững", "an toàn giao thông", "thu ngân sách nhà nước", "bảo hiểm xã hội, bảo hiểm y tế",
]
SCOPES = ["trên địa bàn tỉnh", "năm {year}", "giai đoạn {year}-{year2}", "trên địa bàn", "6 tháng đầu năm {year}", "quý {quarter} năm {year}",
          "năm {year} và những năm tiếp theo", ""]

SUBJECTS = {  # per kind: templates, lower-case start (a Về việc subject); {topic} {scope} {year} {name} {dept} filled in
    "quyet_dinh": ["ban hành Quy chế {topic}", "phê duyệt Kế hoạch {topic} {scope}", "công bố danh mục thủ tục hành chính mới ban hành, sửa đổi, bổ sung",
                   "thành lập Tổ công tác về {topic}", "kiện toàn Ban Chỉ đạo {topic}", "giao chỉ tiêu {topic} {scope}",
                   "bổ nhiệm {title} {name} giữ chức vụ Phó {head_title}", "khen thưởng tập thể, cá nhân có thành tích trong {topic}",
                   "phân bổ kinh phí thực hiện {topic} {scope}", "phê duyệt danh mục thủ tục hành chính được số hóa hồ sơ, kết quả giải quyết",
                   "cho phép thành lập Hội {assoc}", "điều chỉnh Kế hoạch {topic} {scope}", "ban hành Quy trình nội bộ giải quyết thủ tục hành chính"],
    "nghi_quyet": ["quy định mức thu phí, lệ phí {topic}", "thông qua Đề án {topic} {scope}", "quy định chính sách hỗ trợ {topic}",
                   "phê chuẩn dự toán ngân sách địa phương năm {year}", "về nhiệm vụ phát triển kinh tế - xã hội năm {year}"],
    "chi_thi": ["tăng cường {topic}", "đẩy mạnh {topic} {scope}", "chấn chỉnh, nâng cao hiệu quả {topic}", "tổ chức Tết Nguyên đán {tet} năm {year}"],
    "quy_che": ["tiếp nhận, giải quyết thủ tục hành chính theo cơ chế một cửa", "làm việc của Ủy ban nhân dân", "quản lý, vận hành Hệ thống thông tin giải quyết thủ tục hành chính",
                "phối hợp trong {topic}", "công tác văn thư, lưu trữ của cơ quan"],
    "quy_dinh": ["chức năng, nhiệm vụ, quyền hạn và cơ cấu tổ chức của {dept_name}", "quản lý, sử dụng chữ ký số chuyên dùng", "phân cấp quản lý {topic}",
                 "tiêu chuẩn, điều kiện bổ nhiệm chức danh lãnh đạo"],
    "thong_cao": ["kết quả Kỳ họp thứ {n} Hội đồng nhân dân tỉnh khóa X", "kết quả phiên họp thường kỳ tháng {month} năm {year}"],
    "thong_bao": ["kết luận của Chủ tịch Ủy ban nhân dân tỉnh tại cuộc họp về {topic}", "tạm ngừng tiếp nhận hồ sơ trực tiếp trong thời gian nâng cấp hệ thống",
                  "lịch tiếp công dân định kỳ {scope}", "tuyển dụng viên chức năm {year}", "thay đổi địa điểm tiếp nhận và trả kết quả giải quyết thủ tục hành chính",
                  "kết quả kiểm tra {topic}"],
    "huong_dan": ["thực hiện {topic}", "quy trình {topic} {scope}", "nghiệp vụ {topic}", "chấm điểm, đánh giá {topic} {scope}"],
    "chuong_trinh": ["hành động thực hiện {topic} {scope}", "công tác {scope}", "{topic} {scope}"],
    "ke_hoach": ["triển khai {topic} {scope}", "thực hiện {topic} {scope}", "kiểm tra {topic} {scope}", "tổ chức Hội nghị tổng kết {topic}", "{topic} {scope}"],
    "phuong_an": ["ứng phó với bão mạnh, siêu bão {scope}", "sắp xếp đơn vị hành chính cấp xã", "bố trí, sắp xếp cán bộ, công chức", "{topic} {scope}"],
    "de_an": ["{topic} {scope}", "vị trí việc làm và cơ cấu ngạch công chức", "nâng cao chất lượng {topic}"],
    "du_an": ["xây dựng cơ sở dữ liệu {db}", "đầu tư trang thiết bị phục vụ {topic}", "cải tạo, nâng cấp trụ sở làm việc của {dept_name}"],
    "bao_cao": ["kết quả {topic} {scope}", "tình hình {topic} {scope}", "tổng kết {topic} {scope}", "sơ kết {topic} {scope}",
                "công tác cải cách hành chính {scope}"],
    "bien_ban": ["họp {topic}", "kiểm tra {topic}", "bàn giao hồ sơ, tài liệu lưu trữ", "làm việc về {topic}", "xác minh hiện trạng thửa đất"],
    "to_trinh": ["đề nghị phê duyệt Kế hoạch {topic} {scope}", "đề nghị ban hành Quy chế {topic}", "đề nghị bổ sung kinh phí thực hiện {topic}",
                 "đề nghị thành lập Tổ công tác {topic}"],
    "hop_dong": ["cung cấp dịch vụ số hóa tài liệu lưu trữ", "thuê dịch vụ công nghệ thông tin phục vụ {topic}", "tư vấn lập hồ sơ {topic}",
                 "mua sắm máy quét tài liệu chuyên dụng"],
    "cong_dien": ["tập trung ứng phó với bão số {n}", "chủ động phòng, chống mưa lũ, sạt lở đất", "tăng cường phòng, chống dịch bệnh", "khắc phục hậu quả lũ quét"],
    "ban_ghi_nho": ["hợp tác chuyển đổi số giai đoạn {year}-{year2}", "hợp tác {topic}", "phối hợp trao đổi, chia sẻ dữ liệu"],
    "ban_thoa_thuan": ["phối hợp thực hiện {topic}", "hợp tác {topic} {scope}", "chia sẻ, kết nối dữ liệu"],
    "giay_moi": ["dự Hội nghị {topic}", "họp bàn triển khai {topic}", "dự Lễ ra mắt {event}", "dự tập huấn {topic}"],
    "phieu_bao": ["thay đổi lịch họp", "nộp báo cáo {topic} {scope}", "cập nhật thông tin hồ sơ"],
    "phieu_chuyen": ["đơn của công dân", "hồ sơ đề nghị {topic}"],
    "cong_van": ["đôn đốc thực hiện {topic}", "tăng cường {topic}", "triển khai {topic} {scope}", "góp ý dự thảo Quy chế {topic}",
                 "đề nghị cung cấp thông tin, số liệu về {topic}", "cử cán bộ tham dự tập huấn {topic}", "chấn chỉnh {topic}",
                 "báo cáo kết quả {topic} {scope}", "hướng dẫn {topic}", "trả lời kiến nghị của cử tri về {topic}"],
}
ASSOCIATIONS = ["Doanh nghiệp nhỏ và vừa tỉnh", "Cựu giáo chức", "Người cao tuổi", "Khuyến học", "Nông dân sản xuất giỏi"]
DATABASES = ["đất đai", "hộ tịch điện tử", "công chức, viên chức", "văn bản quy phạm pháp luật", "giá đất"]
EVENTS = ["Trung tâm Phục vụ hành chính công", "Cổng Dịch vụ công của tỉnh", "mô hình Bộ phận một cửa hiện đại"]
TET = ["Giáp Thìn", "Ất Tỵ", "Quý Mão", "Nhâm Dần", "Tân Sửu", "Canh Tý", "Kỷ Hợi", "Mậu Tuất", "Đinh Dậu"]

CAN_CU = [
    "Căn cứ Luật Tổ chức chính quyền địa phương ngày 19 tháng 6 năm 2015;",
    "Căn cứ Luật sửa đổi, bổ sung một số điều của Luật Tổ chức Chính phủ và Luật Tổ chức chính quyền địa phương ngày 22 tháng 11 năm 2019;",
    "Căn cứ Nghị định số 30/2020/NĐ-CP ngày 05 tháng 3 năm 2020 của Chính phủ về công tác văn thư;",
    "Căn cứ Nghị định số 61/2018/NĐ-CP ngày 23 tháng 4 năm 2018 của Chính phủ về thực hiện cơ chế một cửa, một cửa liên thông trong giải quyết thủ tục hành chính;",
    "Căn cứ Nghị định số 45/2020/NĐ-CP ngày 08 tháng 4 năm 2020 của Chính phủ về thực hiện thủ tục hành chính trên môi trường điện tử;",
    "Căn cứ Nghị định số 107/2021/NĐ-CP ngày 06 tháng 12 năm 2021 của Chính phủ sửa đổi, bổ sung một số điều của Nghị định số 61/2018/NĐ-CP;",
    "Căn cứ Thông tư số 01/2023/TT-VPCP ngày 05 tháng 4 năm 2023 của Văn phòng Chính phủ;",
    "Căn cứ Luật Ban hành văn bản quy phạm pháp luật ngày 22 tháng 6 năm 2015;",
    "Căn cứ Luật Lưu trữ ngày 11 tháng 11 năm 2011;",
    "Căn cứ Luật Giao dịch điện tử ngày 22 tháng 6 năm 2023;",
    "Căn cứ Nghị định số 47/2020/NĐ-CP ngày 09 tháng 4 năm 2020 của Chính phủ về quản lý, kết nối và chia sẻ dữ liệu số của cơ quan nhà nước;",
    "Căn cứ Quyết định số 06/QĐ-TTg ngày 06 tháng 01 năm 2022 của Thủ tướng Chính phủ;",
    "Căn cứ Luật Cán bộ, công chức ngày 13 tháng 11 năm 2008;",
    "Căn cứ Luật Đất đai ngày 18 tháng 01 năm 2024;",
    "Căn cứ Luật Xây dựng ngày 18 tháng 6 năm 2014;",
]

SENTENCES = [
    "Các cơ quan, đơn vị có trách nhiệm tổ chức số hóa hồ sơ, kết quả giải quyết thủ tục hành chính còn hiệu lực.",
    "Hồ sơ đã được số hóa phải được lưu trữ, khai thác và tái sử dụng, không yêu cầu công dân nộp lại giấy tờ đã có.",
    "Bộ phận một cửa tiếp nhận hồ sơ, kiểm tra tính đầy đủ, hợp lệ và cập nhật vào Hệ thống thông tin giải quyết thủ tục hành chính.",
    "Văn bản điện tử gửi, nhận giữa các cơ quan phải được ký số bằng chữ ký số chuyên dùng theo quy định.",
    "Giao {dept} chủ trì, phối hợp với các sở, ngành theo dõi, đôn đốc và tổng hợp kết quả thực hiện.",
    "Trong quá trình thực hiện, nếu có khó khăn, vướng mắc, các đơn vị kịp thời phản ánh về {agency_name} để được hướng dẫn.",
    "Tỷ lệ hồ sơ được giải quyết đúng hạn phải đạt từ 99% trở lên; kết quả được đồng bộ lên Cổng Dịch vụ công quốc gia.",
    "Kinh phí thực hiện được bố trí từ nguồn ngân sách nhà nước theo phân cấp hiện hành và các nguồn hợp pháp khác.",
    "Thủ trưởng các cơ quan chịu trách nhiệm trước {head_name} về kết quả thực hiện của đơn vị mình.",
    "Việc tiếp nhận, trả kết quả được thực hiện trực tiếp, qua dịch vụ bưu chính công ích hoặc trực tuyến.",
    "Công chức tiếp nhận hướng dẫn tổ chức, cá nhân hoàn thiện hồ sơ một lần đầy đủ, rõ ràng bằng văn bản.",
    "Báo cáo định kỳ hằng quý gửi về {agency_name} trước ngày 15 của tháng cuối quý để tổng hợp.",
    "Đẩy mạnh tuyên truyền để người dân, doanh nghiệp biết và sử dụng dịch vụ công trực tuyến toàn trình.",
    "Rà soát, đánh giá thủ tục hành chính, đề xuất phương án đơn giản hóa, cắt giảm thành phần hồ sơ.",
    "Tổ chức thực hiện nghiêm túc, hiệu quả {topic}, bảo đảm đúng tiến độ, chất lượng và tiết kiệm.",
    "Tăng cường công tác kiểm tra, giám sát việc thực hiện {topic} tại các cơ quan, đơn vị, địa phương.",
    "Kết quả thực hiện {topic} là một trong những tiêu chí đánh giá, xếp loại thi đua cuối năm của cơ quan, đơn vị.",
    "Ủy ban nhân dân các huyện, thị xã, thành phố chỉ đạo Ủy ban nhân dân cấp xã triển khai thực hiện trên địa bàn.",
    "Bảo đảm an toàn, an ninh thông tin trong quá trình kết nối, chia sẻ dữ liệu giữa các hệ thống thông tin.",
    "Thời gian thực hiện từ ngày ký đến hết ngày 31 tháng 12 năm {year}.",
    "Đến nay đã có {pct}% hồ sơ được tiếp nhận trực tuyến, tăng {pct2}% so với cùng kỳ năm trước.",
    "Tổng số hồ sơ tiếp nhận trong kỳ là {count} hồ sơ, trong đó đã giải quyết đúng hạn {count2} hồ sơ.",
    "Bố trí đủ nhân lực, trang thiết bị bảo đảm cho việc tiếp nhận, số hóa và lưu trữ hồ sơ điện tử.",
    "Chủ động rà soát, bổ sung các điều kiện cần thiết để cung cấp dịch vụ công trực tuyến toàn trình.",
    "Các cơ quan, đơn vị báo cáo kết quả thực hiện về {dept} trước ngày {day} tháng {month} năm {year}.",
    "Phân công cụ thể trách nhiệm của từng công chức, viên chức trong việc thực hiện nhiệm vụ được giao.",
    "Thực hiện công khai, minh bạch thông tin về thủ tục hành chính tại trụ sở và trên Cổng thông tin điện tử.",
    "Người đứng đầu cơ quan, đơn vị chịu trách nhiệm nếu để xảy ra tình trạng hồ sơ trễ hạn mà không có lý do chính đáng.",
    "Tiếp tục nâng cao chất lượng phục vụ, lấy sự hài lòng của người dân, doanh nghiệp làm thước đo hiệu quả công tác.",
    "Sử dụng hiệu quả Hệ thống quản lý văn bản và điều hành, hạn chế tối đa việc gửi văn bản giấy.",
]
SECTION_HEADS = {
    "ke_hoach": ["MỤC ĐÍCH, YÊU CẦU", "NHIỆM VỤ, GIẢI PHÁP", "TỔ CHỨC THỰC HIỆN", "KINH PHÍ THỰC HIỆN"],
    "bao_cao": ["KẾT QUẢ THỰC HIỆN", "TỒN TẠI, HẠN CHẾ VÀ NGUYÊN NHÂN", "PHƯƠNG HƯỚNG, NHIỆM VỤ THỜI GIAN TỚI", "ĐỀ XUẤT, KIẾN NGHỊ"],
    "de_an": ["SỰ CẦN THIẾT XÂY DỰNG ĐỀ ÁN", "MỤC TIÊU", "NHIỆM VỤ VÀ GIẢI PHÁP", "TỔ CHỨC THỰC HIỆN"],
    "du_an": ["THÔNG TIN CHUNG", "SỰ CẦN THIẾT ĐẦU TƯ", "QUY MÔ, NỘI DUNG ĐẦU TƯ", "TỔNG MỨC ĐẦU TƯ VÀ NGUỒN VỐN"],
    "phuong_an": ["TÌNH HÌNH CHUNG", "PHƯƠNG CHÂM, MỤC TIÊU", "CÁC BIỆN PHÁP THỰC HIỆN", "PHÂN CÔNG NHIỆM VỤ"],
    "chuong_trinh": ["MỤC TIÊU", "NHIỆM VỤ TRỌNG TÂM", "GIẢI PHÁP THỰC HIỆN", "TỔ CHỨC THỰC HIỆN"],
    "huong_dan": ["PHẠM VI, ĐỐI TƯỢNG", "NỘI DUNG HƯỚNG DẪN", "QUY TRÌNH THỰC HIỆN", "TỔ CHỨC THỰC HIỆN"],
}
ROMAN = ["I", "II", "III", "IV", "V", "VI", "VII", "VIII", "IX", "X", "XI", "XII"]

ENGLISH = [
    "We are writing to request information about the procedure for registering a foreign-invested enterprise in your province.",
    "Please find enclosed the documents required for the application, including a certified copy of our business licence.",
    "Our company has operated in the logistics sector for more than fifteen years and employs over two hundred people.",
    "We would be grateful if you could confirm the expected processing time and any fees payable for the service.",
    "Should you require further information, please do not hesitate to contact us at the address above.",
    "The shipment is scheduled to arrive at the port in the second week of next month, subject to customs clearance.",
    "We look forward to a long and mutually beneficial cooperation with your organisation.",
    "Attached is the signed memorandum together with the translation prepared by a certified translator.",
    "Kindly note that our office will be closed for the public holiday from Monday to Wednesday.",
    "This letter confirms that the above-named employee has worked for our company since January of last year.",
]
ENGLISH_COMPANIES = [("GREENFIELD LOGISTICS PTE. LTD.", "18 Cross Street, #07-01, Singapore 048423"),
                     ("NORDIC WATER SOLUTIONS AB", "Kungsgatan 12, 111 43 Stockholm, Sweden"),
                     ("PACIFIC RIM TRADING CO., LTD.", "2-5-1 Shiba, Minato-ku, Tokyo 105-0014, Japan"),
                     ("HANSEATIC MACHINERY GMBH", "Speicherstadt 4, 20457 Hamburg, Germany")]
ENGLISH_NAMES = [("John Tan", "Managing Director"), ("Anna Lindqvist", "Head of Operations"), ("Kenji Sato", "General Manager"),
                 ("Peter Hoffmann", "Sales Director"), ("Maria Santos", "HR Manager")]
GOODS = [("Máy quét tài liệu tốc độ cao A3", "Chiếc", 45_000_000), ("Máy tính để bàn", "Bộ", 15_500_000), ("Màn hình 24 inch", "Chiếc", 3_200_000),
         ("Giấy in A4 định lượng 70", "Ram", 72_000), ("Mực in laser", "Hộp", 1_150_000), ("Tủ đựng hồ sơ sắt", "Chiếc", 4_800_000),
         ("Hộp bảo quản tài liệu lưu trữ", "Chiếc", 38_000), ("Dịch vụ số hóa tài liệu", "Trang", 1_800), ("Phần mềm quản lý văn bản", "Gói", 60_000_000),
         ("Bàn làm việc", "Chiếc", 2_650_000), ("Ghế xoay văn phòng", "Chiếc", 1_250_000), ("Thiết bị lưu trữ NAS", "Bộ", 28_900_000),
         ("Máy chiếu", "Chiếc", 12_400_000), ("Bảo trì thiết bị", "Lần", 850_000)]
COMPANY_WORDS = ["Phát Đạt", "Minh Long", "Thành Công", "Hoàng Gia", "Sao Việt", "An Phú", "Đại Dương", "Tân Tiến", "Nam Á", "Kim Ngân"]


def money(v: int) -> str:
    return f"{v:,}".replace(",", ".")


def fill(rng: random.Random, template: str, ctx: dict) -> str:
    """Fill ``{slot}``s of a template from ctx (fixed per document) and fresh random values; collapses spaces."""
    year = ctx.get("year", 2024)
    values = {
        "topic": ctx.get("topic") or rng.choice(TOPICS), "scope": "", "year": year, "year2": year + rng.choice([1, 2, 4, 5]),
        "quarter": rng.choice(ROMAN[:4]), "n": rng.randint(1, 12), "month": rng.randint(1, 12), "day": rng.randint(10, 28),
        "pct": rng.randint(35, 98), "pct2": rng.randint(3, 30), "count": money(rng.randint(800, 60000)), "count2": money(rng.randint(500, 40000)),
        "assoc": rng.choice(ASSOCIATIONS), "db": rng.choice(DATABASES), "event": rng.choice(EVENTS), "tet": rng.choice(TET),
        "title": ctx.get("title") or rng.choice(["ông", "bà"]), "name": ctx.get("name", "Nguyễn Văn An"), "head_title": ctx.get("head_title", "Giám đốc Sở"),
        "dept": ctx.get("dept", "Sở Nội vụ"), "dept_name": ctx.get("dept_name", "Sở Tư pháp"), "agency_name": ctx.get("agency_name", "Ủy ban nhân dân tỉnh"),
        "head_name": ctx.get("head_name", "Chủ tịch Ủy ban nhân dân tỉnh"),
    }
    scope = rng.choice(SCOPES)
    values["scope"] = scope.format(**values)
    out = template.format(**values)
    return nfc(" ".join(out.split()))
