"""Citizen-side papers of a dossier (applications, declarations, certificates, permits, ID card copies) and
pages that are none of the known types (``khac``)."""

from __future__ import annotations

import random
from datetime import date, timedelta

from . import vocab as V
from .admin import cap, make_signer, number_line, para
from .canvas import Layout, Style, sans_family
from .layout import MOTTO_1, MOTTO_2, Doc, Header, Signer, date_words, place_date

CITIZEN = ["don_de_nghi", "to_khai", "giay_chung_nhan", "giay_phep", "can_cuoc"]
MAX_PAGES = {"don_de_nghi": 2, "to_khai": 2, "giay_chung_nhan": 2, "giay_phep": 2, "can_cuoc": 2, "khac": 3}

DON = [  # (subtitle, addressee, request)
    ("Cấp bản sao từ sổ gốc kết quả giải quyết thủ tục hành chính", "commune", "Đề nghị cấp {n} bản sao {what} đã được cấp cho tôi."),
    ("Đăng ký thường trú", "police", "Đề nghị được đăng ký thường trú tại địa chỉ nêu trên cùng các thành viên trong hộ gia đình."),
    ("Cấp giấy phép xây dựng", "district", "Đề nghị cấp giấy phép xây dựng nhà ở riêng lẻ tại thửa đất số {plot}, tờ bản đồ số {sheet}."),
    ("Chứng thực bản sao từ bản chính", "commune", "Đề nghị chứng thực {n} bản sao từ bản chính {what}."),
    ("Xác nhận tình trạng hôn nhân", "commune", "Đề nghị xác nhận tình trạng hôn nhân để {purpose}."),
    ("Cấp lại giấy chứng nhận quyền sử dụng đất", "district", "Đề nghị cấp lại giấy chứng nhận quyền sử dụng đất do bị mất, hư hỏng."),
    ("Hỗ trợ chi phí học tập", "commune", "Đề nghị được hưởng chính sách hỗ trợ chi phí học tập năm học {year}-{year2}."),
    ("Trích lục bản sao giấy khai sinh", "commune", "Đề nghị cấp {n} bản trích lục bản sao giấy khai sinh."),
]
TO_KHAI = [("THAY ĐỔI THÔNG TIN CƯ TRÚ", "Mẫu CT01", "police"), ("CĂN CƯỚC", "Mẫu CC01", "police"), ("ĐĂNG KÝ THUẾ", "Mẫu số: 05-ĐK-TCT", "tax"),
           ("LỆ PHÍ TRƯỚC BẠ", "Mẫu số: 01/LPTB", "tax"), ("ĐỀ NGHỊ CẤP HỘ CHIẾU PHỔ THÔNG", "Mẫu TK01", "police")]
WHATS = ["giấy khai sinh", "giấy chứng nhận kết hôn", "quyết định cấp giấy phép xây dựng", "giấy chứng nhận đăng ký hộ kinh doanh", "bằng tốt nghiệp"]


def _addressee(rng: random.Random, p: V.Person, kind: str) -> str:
    a = p.address
    return {"commune": f"Ủy ban nhân dân {a.commune}", "police": f"Công an {a.commune}", "district": f"Ủy ban nhân dân {a.district}",
            "tax": f"Chi cục Thuế {a.district}"}[kind]


def _dob(rng: random.Random, d: date) -> str:
    sep = rng.choices(["/", "-", "."], [8, 1, 1])[0]
    return f"{d.day:02d}{sep}{d.month:02d}{sep}{d.year}"


def _place_of(rng: random.Random, p: V.Person) -> str:
    a = p.address
    return rng.choice([a.province.short, a.dname if not a.dname.isdigit() else a.province.short, a.cname if not a.cname.isdigit() else a.province.short])


def _citizen_signer(rng: random.Random, role: str, name: str) -> Signer:
    return Signer((), role, name, None, rng.choice(["(Ký và ghi rõ họ tên)", "(Ký, ghi rõ họ tên)", "(Ký, ghi rõ họ, tên)"]), False, rng.uniform(18, 26))


def _person_fields(rng: random.Random, p: V.Person, numbered: bool, boxes: bool = False) -> tuple[list, dict]:
    """The applicant's fields with varied labels; returns items and the truth they print."""
    n = [0]

    def lab(s: str) -> str:
        if not numbered:
            return s
        n[0] += 1
        return f"{n[0]}. {s}"

    name = p.name.upper() if rng.random() < 0.6 else p.name
    items = [("p", f"{lab(rng.choice(['Họ và tên', 'Họ, chữ đệm và tên', 'Họ và tên người đề nghị']))}: {name}", {"indent": 0, "justify": False})]
    dob = _dob(rng, p.birth)
    dlab = rng.choice(["Ngày sinh", "Ngày, tháng, năm sinh", "Ngày sinh", "Sinh ngày"])
    if rng.random() < 0.4:
        items.append(("kv2", [(f"{lab(dlab)}: {dob}", 0), (f"{lab('Giới tính')}: {p.sex}", 0.55)], {}))
    else:
        items.append(("p", f"{lab(dlab)}: {dob}", {"indent": 0, "justify": False}))
        if rng.random() < 0.5:
            items.append(("p", f"{lab('Giới tính')}: {p.sex}", {"indent": 0, "justify": False}))
    idlab = rng.choice(["Số định danh cá nhân", "Số định danh cá nhân", "Số CCCD", "Số căn cước công dân", "Số căn cước", "Số CMND/CCCD"])
    if boxes:
        items.append(("boxes", f"{lab(idlab)}:", p.personal_id, {}))
    else:
        extra = ""
        if rng.random() < 0.25:
            issued = V.random_date(rng, date(2016, 1, 1), date(2024, 6, 30))
            extra = f", cấp ngày {issued:%d/%m/%Y} tại {rng.choice(['Cục Cảnh sát QLHC về TTXH', 'Công an tỉnh ' + p.birth_province])}"
        items.append(("p", f"{lab(idlab)}: {p.personal_id}{extra}", {"indent": 0, "justify": False}))
    if rng.random() < 0.3:
        items.append(("kv2", [(f"{lab('Dân tộc')}: {p.ethnicity}", 0), (f"{lab('Quốc tịch')}: Việt Nam", 0.5)], {}))
    alab = rng.choice(["Địa chỉ thường trú", "Nơi thường trú", "Nơi cư trú", "Địa chỉ thường trú"])
    addr = p.address.text(rng.choice([0, 0, 1]))
    items.append(("p", f"{lab(alab)}: {addr}", {"indent": 0, "justify": False}))
    items.append(("p", f"{lab(rng.choice(['Số điện thoại', 'Điện thoại liên hệ']))}: {p.phone}", {"indent": 0, "justify": False}))
    if rng.random() < 0.4:
        items.append(("p", f"{lab('Email')}: {'.' * rng.randint(40, 70)}", {"indent": 0, "justify": False}))
    truth = {"full_name": p.name, "date_of_birth": p.birth.isoformat(), "personal_id": p.personal_id, "address": addr}
    return items, truth


def don_doc(rng: random.Random, seed: int, style: Style) -> Doc:
    p = V.person(rng)
    d = V.random_date(rng, date(2016, 1, 1), date(2025, 12, 31))
    sub, to, req = rng.choice(DON)
    ctx = {"year": d.year}
    req = V.fill(rng, req.replace("{n}", str(rng.randint(1, 3))).replace("{what}", rng.choice(WHATS)).replace("{plot}", str(rng.randint(10, 900)))
                 .replace("{sheet}", str(rng.randint(1, 60))).replace("{purpose}", rng.choice(["đăng ký kết hôn", "bổ sung hồ sơ vay vốn", "mua bán nhà đất"])), ctx)
    title = [("space", 4)]
    if rng.random() < 0.35:
        title.append(("c", f"ĐƠN ĐỀ NGHỊ {sub.upper()}", {"dpt": 1.5, "style": 1, "width": 150}))
    else:
        title.append(("c", "ĐƠN ĐỀ NGHỊ", {"dpt": 2, "style": 1, "gap": 0.05}))
        title.append(("c", sub if rng.random() < 0.7 else f"({sub})", {"style": 1, "width": 150}))
    title.append(("space", 3))
    title.append(("c", f"Kính gửi: {_addressee(rng, p, to)}", {"style": 0, "width": 160, "gap": 0.5}))
    fields, truth = _person_fields(rng, p, rng.random() < 0.3, boxes=rng.random() < 0.12)
    body = [("p", req, {}), ("p", f"Lý do: {rng.choice(['phục vụ nhu cầu cá nhân', 'bổ sung hồ sơ', 'bản chính bị thất lạc', 'theo yêu cầu của cơ quan có thẩm quyền'])}.", {})]
    closing = [("p", "Tôi xin cam đoan những nội dung khai trên là đúng sự thật và chịu trách nhiệm trước pháp luật về lời khai của mình.", {})]
    if rng.random() < 0.5:
        closing.append(("p", "Xin trân trọng cảm ơn!", {}))
    place = _place_of(rng, p)
    doc = Doc("don_de_nghi", seed, style, {"type": "don_de_nghi", **truth, "issue_date": d.isoformat(), "place": place, "signer_name": p.name},
              {"citizen": p, "doc_type": "ĐƠN ĐỀ NGHỊ", "date": d, "province": p.address.province.name},
              Header((), None, None, None, None), title, fields + body, _more_stream(rng, ctx), lambda: closing,
              _citizen_signer(rng, rng.choice(["NGƯỜI LÀM ĐƠN", "Người làm đơn", "NGƯỜI ĐỀ NGHỊ"]), p.name), None, None, "signer",
              place_date(place, d, rng.choice([0, 2, 2])), (0, 1), MAX_PAGES["don_de_nghi"], rng=rng, signer_offset_mm=rng.uniform(35, 45))
    return doc


def _more_stream(rng: random.Random, ctx: dict):
    while True:
        yield ("p", para(rng, ctx, 1, 2), {})


def to_khai_doc(rng: random.Random, seed: int, style: Style) -> Doc:
    p = V.person(rng)
    d = V.random_date(rng, date(2016, 1, 1), date(2025, 12, 31))
    sub, form_no, to = rng.choice(TO_KHAI)
    ctx = {"year": d.year}
    title = [("space", 4)]
    if rng.random() < 0.5:
        title.append(("c", "TỜ KHAI", {"dpt": 2, "style": 1, "gap": 0.05}))
        title.append(("c", sub if rng.random() < 0.6 else cap(sub.lower()), {"style": 1, "width": 150}))
    else:
        title.append(("c", f"TỜ KHAI {sub}", {"dpt": 1.5, "style": 1, "width": 150}))
    title.append(("space", 2))
    title.append(("c", f"Kính gửi: {_addressee(rng, p, to)}", {"style": 0, "width": 160, "gap": 0.5}))
    fields, truth = _person_fields(rng, p, True, boxes=rng.random() < 0.35)
    k = len([f for f in fields if f[0] != "kv2"]) + 2 * len([f for f in fields if f[0] == "kv2"])
    more = [("p", f"{k + 1}. Nghề nghiệp, nơi làm việc: {p.occupation}", {"indent": 0, "justify": False}),
            ("p", f"{k + 2}. Nội dung đề nghị: {V.fill(rng, rng.choice(['Điều chỉnh thông tin về {topic} trong Cơ sở dữ liệu quốc gia về dân cư', 'Cấp mới theo quy định', 'Khai bổ sung thông tin']), ctx)}", {"indent": 0, "justify": False})]

    def members():
        rows = []
        for i in range(rng.randint(1, 4)):
            m = V.person(rng, p.address.province, adult=False)
            rows.append([str(i + 1), m.name, f"{m.birth:%d/%m/%Y}", m.sex, m.personal_id, rng.choice(["Vợ", "Chồng", "Con", "Mẹ", "Cha", "Cháu"])])
        yield ("p", f"{k + 3}. Những thành viên trong hộ gia đình cùng thay đổi:", {"indent": 0, "justify": False})
        yield ("table", ["TT", "Họ, chữ đệm và tên", "Ngày sinh", "Giới tính", "Số định danh cá nhân", "Quan hệ"], rows, [0.5, 2.8, 1.4, 1.0, 2.2, 1.1], {"shrink": 2.5})
        while True:
            yield ("p", para(rng, ctx, 1, 2), {})

    place = _place_of(rng, p)
    formno = [("p", form_no, {"style": 2, "dpt": -2, "x0": 125, "indent": 0, "justify": False, "gap": 0, "block": "formno"})] if rng.random() < 0.7 else []
    doc = Doc("to_khai", seed, style, {"type": "to_khai", **truth, "issue_date": d.isoformat(), "place": place, "signer_name": p.name},
              {"citizen": p, "doc_type": f"TỜ KHAI {sub}", "date": d, "province": p.address.province.name, "form_no": form_no},
              Header((), None, None, None, None), formno + title, fields + more, members(),
              lambda: [("p", "Tôi xin cam đoan những thông tin kê khai trên là đúng sự thật và chịu trách nhiệm trước pháp luật về nội dung kê khai./.", {})],
              _citizen_signer(rng, rng.choice(["NGƯỜI KÊ KHAI", "Người kê khai", "NGƯỜI KHAI"]), p.name), None, None, "signer",
              place_date(place, d, rng.choice([0, 2])), (0, 2), MAX_PAGES["to_khai"], rng=rng, signer_offset_mm=rng.uniform(35, 45))
    return doc


def _holder_fields(rng: random.Random, p: V.Person, label: str) -> tuple[list, dict]:
    issued = V.random_date(rng, date(2016, 1, 1), date(2024, 6, 30))
    addr = p.address.text(rng.choice([0, 1]))
    items = [("kv2", [(f"{label}: {p.name.upper()}", 0), (f"Giới tính: {p.sex}", 0.62)], {}),
             ("kv2", [(f"Sinh ngày: {p.birth:%d/%m/%Y}", 0), (f"Dân tộc: {p.ethnicity}", 0.38), ("Quốc tịch: Việt Nam", 0.65)], {}),
             ("p", "Loại giấy tờ pháp lý của cá nhân: Căn cước công dân", {"indent": 0, "justify": False}),
             ("p", f"Số giấy tờ pháp lý của cá nhân: {p.personal_id}", {"indent": 0, "justify": False}),
             ("kv2", [(f"Ngày cấp: {issued:%d/%m/%Y}", 0), ("Nơi cấp: Cục Cảnh sát QLHC về TTXH", 0.38)], {}),
             ("p", f"Địa chỉ thường trú: {addr}", {"indent": 0, "justify": False})]
    return items, {"full_name": p.name, "date_of_birth": p.birth.isoformat(), "personal_id": p.personal_id, "address": addr}


def gcn_doc(rng: random.Random, seed: int, style: Style, qr: bool | None) -> Doc:
    """Certificates: household business, enterprise, land use, food safety."""
    variant = rng.choices(["hkd", "dn", "qsdd", "attp"], [4, 2, 3, 2])[0]
    p = V.person(rng)
    prov = p.address.province
    d = V.random_date(rng, date(2015, 1, 1), date(2025, 12, 31))
    ctx = {"year": d.year}
    truth: dict = {"type": "giay_chung_nhan"}
    aux: dict = {"citizen": p, "date": d, "province": prov.name, "variant": variant}
    header = None
    title: list = []
    items: list = []
    signer = None
    recipients = None
    qr_payload = None
    corner = "bottom-left"
    dmode = rng.choice([0, 1])
    if variant in ("hkd", "dn"):
        if variant == "hkd":
            dtype, dname = rng.choice(prov.districts)
            D = f"{dtype} {dname}".upper()
            ag = V.Agency(((f"UBND {D}", 0), ("PHÒNG TÀI CHÍNH - KẾ HOẠCH", 1)), "PHÒNG TÀI CHÍNH - KẾ HOẠCH", f"UBND {D}", "TCKH", "phong",
                          dname if not dname.isdigit() else prov.short, prov, "Phòng Tài chính - Kế hoạch", "TRƯỞNG PHÒNG", "PHÓ TRƯỞNG PHÒNG",
                          "TRƯỞNG PHÒNG TÀI CHÍNH - KẾ HOẠCH", None)
            code = rng.choice([f"{V.ID_PROVINCE_CODES[prov.name] % 100:02d}{rng.choice('ABCDEFGHK')}8{rng.randint(0, 999999):06d}",
                               f"{rng.randint(10, 99)}{rng.randint(100000, 999999)}"])
            label, what = "Mã số hộ kinh doanh", "GIẤY CHỨNG NHẬN ĐĂNG KÝ HỘ KINH DOANH"
        else:
            ag = V.Agency((("SỞ KẾ HOẠCH VÀ ĐẦU TƯ", 0), (prov.upper, 0), ("PHÒNG ĐĂNG KÝ KINH DOANH", 1)), "PHÒNG ĐĂNG KÝ KINH DOANH",
                          f"SỞ KẾ HOẠCH VÀ ĐẦU TƯ {prov.upper}", "ĐKKD", "so", prov.short, prov, "Phòng Đăng ký kinh doanh", "TRƯỞNG PHÒNG",
                          "PHÓ TRƯỞNG PHÒNG", "TRƯỞNG PHÒNG ĐĂNG KÝ KINH DOANH", None)
            code = f"{rng.randint(1, 6)}{rng.randint(100000000, 999999999)}"
            label, what = "Mã số doanh nghiệp", "GIẤY CHỨNG NHẬN ĐĂNG KÝ DOANH NGHIỆP"
        number = None
        if variant == "hkd" and rng.random() < 0.5:  # the older layout prints a number and a date line
            number = f"{rng.randint(1, 3200):02d}/GCN-{ag.symbol}"
        pd = place_date(ag.place, d, dmode) if number or rng.random() < 0.3 else None
        header = Header(ag.lines, number, number_line(rng, number) if number else None, None, pd)
        first = d - timedelta(days=rng.randint(0, 900)) if rng.random() < 0.3 else d
        title = [("c", what, {"dpt": 1.5, "style": 1, "width": 160, "gap": 0.05})]
        if variant == "dn":
            title.append(("c", rng.choice(["CÔNG TY TRÁCH NHIỆM HỮU HẠN MỘT THÀNH VIÊN", "CÔNG TY CỔ PHẦN", "CÔNG TY TRÁCH NHIỆM HỮU HẠN HAI THÀNH VIÊN TRỞ LÊN"]),
                          {"style": 1, "width": 150}))
        title.append(("c", f"{label}: {code}", {"style": 1 if rng.random() < 0.5 else 0}))
        title.append(("c", f"Đăng ký lần đầu: {date_words(first, 1)}", {"style": 2, "gap": 0.05}))
        if first != d and rng.random() < 0.7:
            title.append(("c", f"Đăng ký thay đổi lần thứ {rng.randint(1, 5)}: {date_words(d, 1)}", {"style": 2}))
        title.append(("space", 4))
        name_biz = f"{rng.choice(['HỘ KINH DOANH', 'CỬA HÀNG', 'TẠP HÓA'])} {p.name.upper()}" if variant == "hkd" else \
            f"CÔNG TY {rng.choice(['TNHH', 'CỔ PHẦN'])} {rng.choice(V.COMPANY_WORDS).upper()} {prov.short.upper()}"
        biz_addr = V.address(rng, prov).text(0)
        items = [("p", f"1. Tên {'hộ kinh doanh' if variant == 'hkd' else 'doanh nghiệp'}: {name_biz}", {"indent": 0, "justify": False}),
                 ("p", f"2. Địa điểm kinh doanh: {biz_addr}" if variant == "hkd" else f"2. Địa chỉ trụ sở chính: {biz_addr}", {"indent": 0, "justify": False}),
                 ("p", f"3. Ngành, nghề kinh doanh: {rng.choice(['Bán lẻ lương thực, thực phẩm, đồ uống', 'Dịch vụ ăn uống', 'Sửa chữa xe có động cơ', 'Bán buôn vật liệu xây dựng', 'Dịch vụ lưu trữ, số hóa tài liệu'])}", {"indent": 0, "justify": False}),
                 ("p", f"4. {'Vốn kinh doanh' if variant == 'hkd' else 'Vốn điều lệ'}: {V.money(rng.randint(50, 9000) * 1_000_000)} đồng", {"indent": 0, "justify": False})]
        if variant == "hkd" and rng.random() < 0.4:  # the short, older form of the owner's line
            items.append(("p", f"5. Chủ hộ kinh doanh: {p.name}; số định danh cá nhân: {p.personal_id}", {"indent": 0, "justify": False}))
            truth.update({"full_name": p.name, "personal_id": p.personal_id})
        else:
            items.append(("p", f"5. {'Chủ hộ kinh doanh' if variant == 'hkd' else 'Người đại diện theo pháp luật'}:", {"indent": 0, "justify": False}))
            fs, ft = _holder_fields(rng, p, "Họ và tên")
            items += fs
            truth.update(ft)
        truth.update({"certificate_number": code, "certificate_date": first.isoformat(), "agency": ag.agency, "parent_agency": ag.parent})
        if number:
            truth["number_symbol"] = number
        if pd:
            truth.update({"issue_date": d.isoformat(), "place": ag.place})
        signer = make_signer(rng, ag)
        aux["agency_obj"] = ag
        aux["doc_type"] = what
        if qr or (qr is None and rng.random() < 0.35):
            qr_payload = f"https://dangkykinhdoanh.gov.vn/vn/tra-cuu?ma={code}" if variant == "dn" else f"https://dichvucong.{_slug(prov.short)}.gov.vn/tra-cuu/gcn?so={code}"
    elif variant == "qsdd":
        header = Header((), None, None, None, None)
        serial = f"{rng.choice(['BV', 'CS', 'CT', 'DĐ', 'AA'])} {rng.randint(100000, 999999)}"
        book = f"{rng.choice(['CS', 'CH', 'CT'])}{rng.randint(1, 99999):05d}"
        title = [("space", 6), ("c", "GIẤY CHỨNG NHẬN", {"dpt": 5, "style": 1, "gap": 0.1}),
                 ("c", rng.choice(["QUYỀN SỬ DỤNG ĐẤT, QUYỀN SỞ HỮU NHÀ Ở VÀ TÀI SẢN KHÁC GẮN LIỀN VỚI ĐẤT", "QUYỀN SỬ DỤNG ĐẤT, QUYỀN SỞ HỮU TÀI SẢN GẮN LIỀN VỚI ĐẤT"]),
                  {"dpt": 1, "style": 1, "width": 150}), ("space", 3), ("c", serial, {"dpt": 2, "style": 1}), ("space", 4)]
        addr = p.address.text(1)
        spouse = V.person(rng, prov) if rng.random() < 0.4 else None
        items = [("h", "I. Người sử dụng đất, chủ sở hữu nhà ở và tài sản khác gắn liền với đất", {}),
                 ("p", f"{p.honorific}: {p.name.upper()}, sinh năm: {p.birth.year}, CCCD số: {p.personal_id}", {"indent": 0, "justify": False})]
        if spouse:
            items.append(("p", f"{spouse.honorific}: {spouse.name.upper()}, sinh năm: {spouse.birth.year}, CCCD số: {spouse.personal_id}", {"indent": 0, "justify": False}))
        items.append(("p", f"Địa chỉ thường trú: {addr}", {"indent": 0, "justify": False}))
        plot = V.address(rng, prov)
        items += [("h", "II. Thửa đất, nhà ở và tài sản khác gắn liền với đất", {}), ("p", "1. Thửa đất:", {"indent": 0, "justify": False})]
        for s in [f"a) Thửa đất số: {rng.randint(1, 999)}, tờ bản đồ số: {rng.randint(1, 80)};", f"b) Địa chỉ: {plot.street}, {plot.commune}, {plot.district}, tỉnh {prov.short};",
                  f"c) Diện tích: {rng.randint(40, 2000)},{rng.randint(0, 9)} m²;", "d) Hình thức sử dụng: Sử dụng riêng;",
                  f"đ) Mục đích sử dụng: {rng.choice(['Đất ở tại nông thôn', 'Đất ở tại đô thị', 'Đất trồng cây lâu năm'])};", "e) Thời hạn sử dụng: Lâu dài;",
                  "g) Nguồn gốc sử dụng: Công nhận quyền sử dụng đất như giao đất có thu tiền sử dụng đất."]:
            items.append(("p", s, {"indent": 5, "justify": False, "gap": 0}))
        items.append(("p", "2. Nhà ở: -/-", {"indent": 0, "justify": False}))
        items.append(("p", f"Số vào sổ cấp GCN: {book}", {"indent": 0, "justify": False, "style": 1}))
        level = rng.choice(["ubnd_huyen", "so"])
        ag = V.agency(rng, level, prov)
        pd = place_date(ag.place, d, dmode)
        if level == "so":
            signer = Signer(("SỞ TÀI NGUYÊN VÀ MÔI TRƯỜNG", "KT. GIÁM ĐỐC"), "PHÓ GIÁM ĐỐC", V.person_name(rng, rng.random() < 0.3), None, None, True, rng.uniform(20, 26))
        else:
            signer = Signer(("TM. ỦY BAN NHÂN DÂN", "KT. CHỦ TỊCH"), "PHÓ CHỦ TỊCH", V.person_name(rng, rng.random() < 0.3), None, None, True, rng.uniform(20, 26))
        truth.update({"full_name": p.name, "personal_id": p.personal_id, "address": addr, "certificate_number": serial,
                      "certificate_date": d.isoformat(), "issue_date": d.isoformat(), "place": ag.place})
        aux.update({"agency_obj": ag, "book_number": book, "doc_type": "GIẤY CHỨNG NHẬN QUYỀN SỬ DỤNG ĐẤT", "citizen_date": pd})
        if qr or (qr is None and rng.random() < 0.4):
            qr_payload = f"https://dichvucong.gov.vn/gcn?so={serial.replace(' ', '')}&ma={V.dossier_code(rng, d)}"
            corner = "top-right"
    else:  # food safety
        ag = V.agency(rng, "so", prov)
        ag = V.Agency(((f"UBND {prov.upper}", 0), ("SỞ Y TẾ", 1)), "SỞ Y TẾ", f"UBND {prov.upper}", "SYT", "so", ag.place, prov, "Sở Y tế",
                      "GIÁM ĐỐC", "PHÓ GIÁM ĐỐC", "GIÁM ĐỐC SỞ Y TẾ", None)
        number = f"{rng.randint(1, 900):02d}/{d.year}/ATTP-CNĐK"
        pd = place_date(ag.place, d, dmode)
        header = Header(ag.lines, number, number_line(rng, number), None, pd)
        title = [("c", "GIẤY CHỨNG NHẬN", {"dpt": 2, "style": 1, "gap": 0.05}), ("c", "CƠ SỞ ĐỦ ĐIỀU KIỆN AN TOÀN THỰC PHẨM", {"style": 1, "width": 150}),
                 ("space", 2), ("c", f"SỞ Y TẾ {prov.upper} CHỨNG NHẬN", {"style": 1, "width": 160}), ("space", 2)]
        addr = V.address(rng, prov).text(0)
        items = [("p", f"Cơ sở: {rng.choice(['Bếp ăn tập thể', 'Cơ sở sản xuất bánh', 'Nhà hàng', 'Cơ sở chế biến thủy sản'])} {rng.choice(V.COMPANY_WORDS)}", {"indent": 0, "justify": False}),
                 ("p", f"Chủ cơ sở: {p.name}", {"indent": 0, "justify": False}),
                 ("p", f"Địa chỉ: {addr}", {"indent": 0, "justify": False}),
                 ("p", f"Điện thoại: {p.phone}", {"indent": 0, "justify": False}),
                 ("p", f"Đủ điều kiện an toàn thực phẩm theo quy định để: {rng.choice(['sản xuất bánh kẹo', 'kinh doanh dịch vụ ăn uống', 'chế biến thủy sản khô'])}.", {}),
                 ("p", f"Số giấy chứng nhận: {number}", {"indent": 0, "justify": False}),
                 ("p", "Giấy chứng nhận có hiệu lực 03 năm kể từ ngày cấp.", {})]
        truth.update({"number_symbol": number, "issue_date": d.isoformat(), "place": ag.place, "agency": ag.agency, "parent_agency": ag.parent,
                      "certificate_number": number, "certificate_date": d.isoformat(), "full_name": p.name, "address": addr})
        signer = make_signer(rng, ag)
        recipients = ["Cơ sở được cấp", "Chi cục An toàn vệ sinh thực phẩm", "Lưu: VT, NVY"]
        aux.update({"agency_obj": ag, "doc_type": "GIẤY CHỨNG NHẬN"})
    doc = Doc("giay_chung_nhan", seed, style, truth, aux, header, title, items, _more_stream(rng, ctx), lambda: [], signer, None, recipients,
              "signer", aux.get("citizen_date"), (0, 0), MAX_PAGES["giay_chung_nhan"], rng=rng, seal_text=(aux["agency_obj"].seal_text if aux.get("agency_obj") else ""),
              signer_offset_mm=rng.uniform(36, 46), seal_dx_mm=rng.uniform(14, 20))
    if signer:
        truth.update(signer.truth())
    if recipients:
        truth["recipients"] = "; ".join(recipients)
    if qr_payload:
        doc.qr = (qr_payload, corner, rng.uniform(16, 22))
        doc.aux["qr"] = qr_payload
    return doc


def _slug(s: str) -> str:
    import unicodedata

    s = unicodedata.normalize("NFD", s.replace("đ", "d").replace("Đ", "D"))
    return "".join(ch for ch in s if ch.isalnum() and not unicodedata.combining(ch)).lower()


def gp_doc(rng: random.Random, seed: int, style: Style, qr: bool | None) -> Doc:
    """Permits: building permits (several issuers and forms), retail alcohol licences."""
    variant = rng.choices(["xd", "ruou"], [4, 1])[0]
    p = V.person(rng)
    prov = p.address.province
    d = V.random_date(rng, date(2015, 1, 1), date(2025, 12, 31))
    ctx = {"year": d.year}
    if variant == "xd":
        level = rng.choice(["sxd", "huyen"])
        if level == "sxd":
            ag = V.Agency(((f"UBND {prov.upper}", 0), ("SỞ XÂY DỰNG", 1)), "SỞ XÂY DỰNG", f"UBND {prov.upper}", "SXD", "so", prov.short, prov, "Sở Xây dựng",
                          "GIÁM ĐỐC", "PHÓ GIÁM ĐỐC", "GIÁM ĐỐC SỞ XÂY DỰNG", None)
        else:
            dtype, dname = rng.choice(prov.districts)
            D = f"{dtype} {dname}".upper()
            ag = V.Agency((("ỦY BAN NHÂN DÂN", 1), (D, 1)), f"ỦY BAN NHÂN DÂN {D}", None, "UBND", "ubnd", dname if not dname.isdigit() else f"{dtype.capitalize()} {dname}",
                          prov, f"Ủy ban nhân dân {dtype} {dname}", "CHỦ TỊCH", "PHÓ CHỦ TỊCH", f"CHỦ TỊCH ỦY BAN NHÂN DÂN {D}", "ỦY BAN NHÂN DÂN")
        n = rng.randint(1, 2500)
        number = rng.choice([f"{n:02d}/GPXD", f"{n:02d}/GPXD-{ag.symbol}", f"{n:02d}/{d.year}/GPXD"])
        what = "GIẤY PHÉP XÂY DỰNG"
        title = [("c", what, {"dpt": 2, "style": 1, "gap": 0.05})]
        if rng.random() < 0.6:
            title.append(("c", f"Số: {number}", {"style": 0, "gap": 0.05}))
        title.append(("c", rng.choice(["(Sử dụng cho nhà ở riêng lẻ)", "(Sử dụng cho công trình sửa chữa, cải tạo)", "(Sử dụng cho công trình không theo tuyến)"]),
                      {"style": 2, "gap": 0.4}))
        addr = p.address.text(0)
        plot = V.address(rng, prov)
        items = [("p", f"1. Cấp cho: {p.honorific} {p.name.upper()}", {"indent": 0, "justify": False}),
                 ("p", f"- Địa chỉ: {addr}", {"indent": 5, "justify": False}),
                 ("p", f"2. Được phép xây dựng công trình: {rng.choice(['Nhà ở riêng lẻ', 'Nhà ở kết hợp kinh doanh', 'Sửa chữa, cải tạo nhà ở'])}", {"indent": 0, "justify": False}),
                 ("p", f"- Vị trí xây dựng: thửa đất số {rng.randint(1, 999)}, tờ bản đồ số {rng.randint(1, 80)}, {plot.commune}, {plot.district}, tỉnh {prov.short}", {"indent": 5, "justify": False}),
                 ("p", f"- Cốt nền xây dựng công trình: +{rng.randint(20, 90) / 100:.2f} m".replace(".", ","), {"indent": 5, "justify": False}),
                 ("p", f"- Mật độ xây dựng: {rng.randint(50, 100)}%; hệ số sử dụng đất: {rng.randint(10, 50) / 10:.1f} lần".replace(".", ",", 1), {"indent": 5, "justify": False}),
                 ("p", f"- Chiều cao công trình: {rng.randint(40, 200) / 10:.1f} m; số tầng: {rng.randint(1, 6)}".replace(".", ","), {"indent": 5, "justify": False})]
        if rng.random() < 0.5:  # the land certificate named in the permit, with its own "cấp ngày"
            items.append(("p", f"3. Giấy tờ về quyền sử dụng đất: Giấy chứng nhận quyền sử dụng đất số {rng.choice(['BV', 'CS', 'CT'])} {rng.randint(100000, 999999)} "
                               f"do Ủy ban nhân dân {p.address.district} cấp ngày {(d - timedelta(days=rng.randint(300, 5000))):%d/%m/%Y}", {"indent": 0, "justify": False}))
        items.append(("p", "4. Giấy phép này có hiệu lực khởi công xây dựng trong thời hạn 12 tháng kể từ ngày cấp; quá thời hạn trên thì phải đề nghị gia hạn giấy phép xây dựng.", {}))
        recipients = ["Chủ đầu tư", f"UBND {plot.commune}", "Lưu: VT, QLXD"]
        cert_line = None
        if rng.random() < 0.35:
            cert_line = ("c", f"Cấp ngày: {d:%d/%m/%Y}", {"style": 2})
            title.insert(len(title) - 1, cert_line)
        truth = {"full_name": p.name, "address": addr}
    else:
        dtype, dname = rng.choice(prov.districts)
        D = f"{dtype} {dname}".upper()
        ag = V.Agency(((f"UBND {D}", 0), ("PHÒNG KINH TẾ", 1)), "PHÒNG KINH TẾ", f"UBND {D}", "PKT", "phong", dname if not dname.isdigit() else prov.short,
                      prov, "Phòng Kinh tế", "TRƯỞNG PHÒNG", "PHÓ TRƯỞNG PHÒNG", "TRƯỞNG PHÒNG KINH TẾ", None)
        n = rng.randint(1, 400)
        number = f"{n:02d}/GP-{ag.symbol}"
        what = "GIẤY PHÉP BÁN LẺ SẢN PHẨM RƯỢU"
        title = [("c", "GIẤY PHÉP", {"dpt": 2, "style": 1, "gap": 0.05}), ("c", "BÁN LẺ SẢN PHẨM RƯỢU", {"style": 1}),
                 ("c", f"Cấp lần đầu: {date_words(d, 1)}", {"style": 2, "gap": 0.5})]
        addr = V.address(rng, prov).text(0)
        items = [("p", f"1. Tên thương nhân: Hộ kinh doanh {p.name.upper()}", {"indent": 0, "justify": False}),
                 ("p", f"2. Địa chỉ trụ sở chính: {addr}", {"indent": 0, "justify": False}),
                 ("p", f"3. Mã số hộ kinh doanh: {V.ID_PROVINCE_CODES[prov.name] % 100:02d}A8{rng.randint(0, 999999):06d}", {"indent": 0, "justify": False}),
                 ("p", f"4. Được phép bán lẻ sản phẩm rượu tại địa điểm: {addr}", {"indent": 0, "justify": False}),
                 ("p", f"5. Giấy phép này có giá trị đến {date_words(d + timedelta(days=5 * 365), 1)}.", {})]
        recipients = ["Thương nhân được cấp phép", "Chi cục Quản lý thị trường", "Lưu: VT"]
        truth = {"full_name": p.name, "address": addr}
    pd = place_date(ag.place, d, rng.choice([0, 1]))
    header = Header(ag.lines, number, number_line(rng, number), None, pd)
    signer = make_signer(rng, ag)
    truth.update({"type": "giay_phep", "number_symbol": number, "issue_date": d.isoformat(), "place": ag.place, "agency": ag.agency,
                  "certificate_number": number, "certificate_date": d.isoformat(), **signer.truth(), "recipients": "; ".join(recipients)})
    if ag.parent:
        truth["parent_agency"] = ag.parent
    doc = Doc("giay_phep", seed, style, truth, {"citizen": p, "agency_obj": ag, "date": d, "province": prov.name, "doc_type": what, "variant": variant},
              header, title, items, _more_stream(rng, ctx), lambda: [], signer, None, recipients, "signer", None, (0, 0), MAX_PAGES["giay_phep"], rng=rng,
              seal_text=ag.seal_text, signer_offset_mm=rng.uniform(36, 46), seal_dx_mm=rng.uniform(14, 20))
    if qr or (qr is None and rng.random() < 0.25):
        payload = f"https://sxd.{_slug(prov.short)}.gov.vn/tra-cuu-giay-phep?so={number}"
        doc.qr = (payload, rng.choice(["bottom-left", "top-right"]), rng.uniform(15, 20))
        doc.aux["qr"] = payload
    return doc


# --- ID cards ------------------------------------------------------------------------------------------------------


def _mrz_check(s: str) -> str:
    vals = {**{str(i): i for i in range(10)}, **{chr(65 + i): 10 + i for i in range(26)}, "<": 0}
    return str(sum(vals[ch] * (7, 3, 1)[i % 3] for i, ch in enumerate(s)) % 10)


def _ascii(s: str) -> str:
    import unicodedata

    s = unicodedata.normalize("NFD", s.replace("đ", "d").replace("Đ", "D"))
    return "".join(ch for ch in s if not unicodedata.combining(ch)).upper()


def mrz(p: V.Person, expiry: date) -> list[str]:
    pid = p.personal_id
    doc_no = pid[3:12]
    l1 = f"IDVNM{doc_no}{_mrz_check(doc_no)}{pid}<<"
    l1 = (l1 + _mrz_check(l1[5:]))[:30].ljust(30, "<")
    b = f"{p.birth:%y%m%d}"
    e = f"{expiry:%y%m%d}"
    l2 = f"{b}{_mrz_check(b)}{'F' if p.female else 'M'}{e}{_mrz_check(e)}VNM"
    l2 = (l2 + "<" * (29 - len(l2)) + _mrz_check(l2))[:30]
    parts = _ascii(p.name).split()
    l3 = (parts[0] + "<<" + "<".join(parts[1:])).ljust(30, "<")[:30]
    return [l1, l2, l3]


def can_cuoc_doc(rng: random.Random, seed: int, style: Style, qr: bool | None) -> Doc:
    """A photocopy of an identity card at 100 % on an A4 sheet: the front, often the back below it."""
    variant = rng.choices(["cccd", "cancuoc", "cmnd"], [6, 3, 1])[0]
    p = V.person(rng)
    issued = V.random_date(rng, date(2021, 1, 1), date(2024, 6, 30)) if variant == "cccd" else V.random_date(rng, date(2024, 7, 1), date(2025, 12, 31)) \
        if variant == "cancuoc" else V.random_date(rng, date(2005, 1, 1), date(2015, 12, 31))
    age = issued.year - p.birth.year
    exp_age = 25 if age < 25 else 40 if age < 40 else 60 if age < 60 else None
    expiry = date(p.birth.year + exp_age, p.birth.month, min(p.birth.day, 28)) if exp_age else None
    both = rng.random() < 0.65
    family = sans_family(rng)
    addr_card = p.address.text(2) if variant != "cmnd" else p.address.text(1)
    unit = lambda t, n: f"{t.capitalize()} {n}" if n.isdigit() else n  # noqa: E731
    home_card = f"{unit(p.hometown.ctype, p.hometown.cname)}, {unit(p.hometown.dtype, p.hometown.dname)}, {p.hometown.province.short}"
    old_id = f"{rng.randint(100000000, 399999999)}"
    truth = {"type": "can_cuoc", "full_name": p.name, "date_of_birth": p.birth.isoformat()}
    if variant != "cmnd":
        truth["personal_id"] = p.personal_id
    if variant != "cancuoc":
        truth["address"] = addr_card
    qr_payload = None
    if variant == "cccd" and qr is not False:
        qr_payload = f"{p.personal_id}|{old_id}|{p.name}|{p.birth:%d%m%Y}|{p.sex}|{addr_card}|{issued:%d%m%Y}"
    elif qr:
        qr_payload = f"https://xacthuc.dancuquocgia.gov.vn/?id={p.personal_id}"
    x_mm, y_mm = rng.uniform(25, 70), rng.uniform(18, 50)
    gap_mm = rng.uniform(10, 40)
    signer_name = V.person_name(rng, False)

    def hook(c: Layout, doc: Doc, n: int, pages: int) -> None:
        x0, y0 = c.mm(x_mm), c.mm(y_mm)
        if n == 1:
            _card_front(c, rng_card(1), variant, p, x0, y0, family, old_id, issued, expiry, addr_card, home_card, qr_payload)
            if both and pages == 1:
                _card_back(c, rng_card(2), variant, p, x0, y0 + c.mm(54 + gap_mm), family, issued, expiry, addr_card, signer_name)
        elif n == 2:
            _card_back(c, rng_card(2), variant, p, x0, y0, family, issued, expiry, addr_card, signer_name)

    def rng_card(k: int) -> random.Random:
        return random.Random(f"card:{seed}:{k}")

    doc = Doc("can_cuoc", seed, style, truth, {"citizen": p, "variant": variant, "doc_type": "CĂN CƯỚC", "card_issue_date": issued.isoformat(),
                                              "province": p.address.province.name, "photocopy": True},
              None, [], [], None, lambda: [], None, None, None, "none", None, (0, 0), 2, rng=rng)
    doc.page_hook = hook

    def finalize(pages: int, t: dict) -> None:  # the 2024 card prints the residence on its back only
        if variant == "cancuoc" and (both or pages == 2):
            t["address"] = addr_card

    doc.aux["finalize"] = finalize
    if qr_payload:
        doc.aux["qr"] = qr_payload
    return doc


def _card_text(c: Layout, x: float, y: float, s: str, pt: float, style: int, family: str, block: str | None, anchor: str = "la",
               max_w: float | None = None) -> float:
    """A line of a card, shrunk to ``max_w`` (or to the card's width) as the card printer does."""
    lim = max_w if max_w is not None else c.mm(84.6) - (x - c.marks["card"][-1][0]) if c.marks.get("card") and anchor == "la" else None
    size = pt
    while lim and size > 3.6 and c.width(s, size, style, family) > lim:
        size -= 0.2
    c.text(block, x, y, s, size, style, anchor=anchor, family=family)
    return pt / 72 * 300 * 1.28


def _card_front(c: Layout, rng: random.Random, variant: str, p: V.Person, x0: float, y0: float, fam: str, old_id: str, issued: date,
                expiry: date | None, addr: str, home: str, qr_payload: str | None) -> None:
    mm = c.mm
    w, h = mm(85.6), mm(54.0)
    c.mark("card", (x0, y0, x0 + w, y0 + h))
    c.rect(x0, y0, x0 + w, y0 + h, width=3, outline=90, fill=None, radius=mm(3))
    c.op("guilloche", (x0 + mm(1), y0 + mm(1), x0 + w - mm(1), y0 + h - mm(1)), int(x0 + y0))
    B = "card_front"
    if variant == "cmnd":
        c.op("emblem", x0 + mm(10), y0 + mm(11), mm(7))
        cx = x0 + mm(50)
        y = y0 + mm(2.5)
        y += _card_text(c, cx, y, MOTTO_1, 6.5, 1, fam, B, "ma")
        y += _card_text(c, cx, y, MOTTO_2, 6.5, 1, fam, B, "ma")
        y += mm(1)
        y += _card_text(c, cx, y, "GIẤY CHỨNG MINH NHÂN DÂN", 9, 1, fam, B, "ma")
        y += _card_text(c, cx, y, f"SỐ {old_id}", 10, 1, fam, B, "ma")
        xl = x0 + mm(24)
        y += mm(1)
        y += _card_text(c, xl, y, f"Họ tên: {p.name.upper()}", 7.5, 1, fam, B)
        y += _card_text(c, xl, y, f"Sinh ngày: {p.birth:%d-%m-%Y}", 7.5, 0, fam, B)
        for line in c.wrap(f"Nguyên quán: {home}", 7.5, mm(58), 0, family=fam):
            y += _card_text(c, xl, y, line, 7.5, 0, fam, B)
        for line in c.wrap(f"Nơi ĐKHK thường trú: {addr}", 7.5, mm(58), 0, family=fam):
            y += _card_text(c, xl, y, line, 7.5, 0, fam, B)
        c.op("photo", (x0 + mm(3), y0 + mm(20), x0 + mm(21), y0 + mm(44)), int(y0))
        return
    c.op("emblem", x0 + mm(9), y0 + mm(9), mm(6.5))
    cx = x0 + mm(44)
    y = y0 + mm(2)
    y += _card_text(c, cx, y, MOTTO_1, 6.2, 1, fam, B, "ma")
    if variant == "cccd":
        y += _card_text(c, cx, y, MOTTO_2, 6.0, 1, fam, B, "ma")
    y += _card_text(c, cx, y, "SOCIALIST REPUBLIC OF VIET NAM", 5.5, 0, fam, B, "ma")
    if variant == "cccd":
        y += _card_text(c, cx, y, "Independence - Freedom - Happiness", 5.5, 0, fam, B, "ma")
    y += mm(0.8)
    y += _card_text(c, cx, y, "CĂN CƯỚC CÔNG DÂN" if variant == "cccd" else "CĂN CƯỚC", 9.5, 1, fam, B, "ma")
    y += _card_text(c, cx, y, "Citizen Identity Card" if variant == "cccd" else "IDENTITY CARD", 6.5, 0, fam, B, "ma")
    if qr_payload:
        s = mm(13)
        c.mark("qr", (qr_payload, x0 + w - s - mm(2.5), y0 + mm(2.5), s))
    c.op("photo", (x0 + mm(3), y0 + mm(19), x0 + mm(22), y0 + mm(44)), int(x0))
    xl = x0 + mm(24)
    y += mm(0.5)
    if variant == "cccd":
        y += _card_text(c, xl, y, f"Số / No.: {p.personal_id}", 8.5, 1, fam, B)
        y += _card_text(c, xl, y, "Họ và tên / Full name:", 5.8, 0, fam, B)
        y += _card_text(c, xl, y, p.name.upper(), 8, 1, fam, B)
        y += _card_text(c, xl, y, f"Ngày sinh / Date of birth: {p.birth:%d/%m/%Y}", 6.2, 0, fam, B)
        _card_text(c, xl, y, f"Giới tính / Sex: {p.sex}", 6.2, 0, fam, None, max_w=mm(25))
        _card_text(c, xl + mm(26), y, "Quốc tịch / Nationality: Việt Nam", 6.2, 0, fam, None)
        c.record(B, y, f"Giới tính / Sex: {p.sex} Quốc tịch / Nationality: Việt Nam")
        y += 6.2 / 72 * 300 * 1.28
        y += _card_text(c, xl, y, "Quê quán / Place of origin:", 5.8, 0, fam, B)
        y += _card_text(c, xl, y, home, 6.5, 0, fam, B)
        lines = c.wrap(f"Nơi thường trú / Place of residence: {addr}", 6.2, mm(60), 0, family=fam)
        for line in lines[:3]:
            y += _card_text(c, xl, y, line, 6.2, 0, fam, B)
        if expiry:
            _card_text(c, x0 + mm(3), y0 + mm(45.5), f"Có giá trị đến: {expiry:%d/%m/%Y}", 5.2, 0, fam, B, max_w=mm(20))
    else:
        y += _card_text(c, xl, y, "Số định danh cá nhân / Personal identification number:", 5.4, 0, fam, B)
        y += _card_text(c, xl, y, p.personal_id, 9, 1, fam, B)
        y += _card_text(c, xl, y, "Họ, chữ đệm và tên khai sinh / Surname, middle and given name:", 5.2, 0, fam, B)
        y += _card_text(c, xl, y, p.name.upper(), 8, 1, fam, B)
        y += _card_text(c, xl, y, f"Ngày, tháng, năm sinh / Date of birth: {p.birth:%d/%m/%Y}", 6.0, 0, fam, B)
        _card_text(c, xl, y, f"Giới tính / Sex: {p.sex}", 6.0, 0, fam, None, max_w=mm(25))
        _card_text(c, xl + mm(26), y, "Quốc tịch / Nationality: Việt Nam", 6.0, 0, fam, None)
        c.record(B, y, f"Giới tính / Sex: {p.sex} Quốc tịch / Nationality: Việt Nam")


def _card_back(c: Layout, rng: random.Random, variant: str, p: V.Person, x0: float, y0: float, fam: str, issued: date, expiry: date | None,
               addr: str, signer: str) -> None:
    mm = c.mm
    w, h = mm(85.6), mm(54.0)
    c.mark("card", (x0, y0, x0 + w, y0 + h))
    c.rect(x0, y0, x0 + w, y0 + h, width=3, outline=90, fill=None, radius=mm(3))
    c.op("guilloche", (x0 + mm(1), y0 + mm(1), x0 + w - mm(1), y0 + h - mm(1)), int(y0))
    B = "card_back"
    y = y0 + mm(3)
    if variant == "cmnd":
        y += _card_text(c, x0 + mm(4), y, "DÂN TỘC: " + p.ethnicity.upper() + "    TÔN GIÁO: " + p.religion.upper(), 6.5, 0, fam, B)
        y += _card_text(c, x0 + mm(4), y, "DẤU VẾT RIÊNG VÀ DỊ HÌNH", 6.5, 1, fam, B)
        y += _card_text(c, x0 + mm(4), y, rng.choice(["Nốt ruồi cách 2cm dưới sau đuôi mắt trái", "Sẹo chấm cách 1cm trên đầu mày phải"]), 6.5, 0, fam, B)
        _card_text(c, x0 + mm(52), y0 + mm(20), f"Ngày {issued.day:02d} tháng {issued.month:02d} năm {issued.year}", 6.5, 2, fam, B, "ma")
        _card_text(c, x0 + mm(52), y0 + mm(24), f"GIÁM ĐỐC CÔNG AN {p.address.province.upper.replace('TỈNH ', '')}", 6, 1, fam, B, "ma")
        for i, lab in enumerate(["NGÓN TRỎ TRÁI", "NGÓN TRỎ PHẢI"]):
            bx = x0 + mm(4 + 20 * i)
            c.rect(bx, y0 + mm(24), bx + mm(17), y0 + mm(50), width=2, outline=80)
            _card_text(c, bx + mm(8.5), y0 + mm(25), lab, 4.5, 0, fam, B, "ma")
            c.ellipse(bx + mm(3), y0 + mm(31), bx + mm(14), y0 + mm(48), width=3, outline=70, fill=150)
        return
    lab_w = mm(44)
    if variant == "cccd":
        y += _card_text(c, x0 + mm(3), y, "Đặc điểm nhân dạng / Personal identification:", 5.6, 0, fam, B)
        y += _card_text(c, x0 + mm(3), y, rng.choice(["Nốt ruồi C: 2cm dưới sau đuôi mắt trái", "Sẹo chấm C: 1cm trên đầu mày phải", "Nốt ruồi C: 1,5cm trên mép phải"]), 6, 0, fam, B)
        y += _card_text(c, x0 + mm(3), y, f"Ngày, tháng, năm / Date, month, year: {issued:%d/%m/%Y}", 5.6, 0, fam, B)
        y += _card_text(c, x0 + mm(3), y, "CỤC TRƯỞNG CỤC CẢNH SÁT", 5.8, 1, fam, B)
        y += _card_text(c, x0 + mm(3), y, "QUẢN LÝ HÀNH CHÍNH VỀ TRẬT TỰ XÃ HỘI", 5.8, 1, fam, B)
        c.mark("sig", (x0 + mm(5), y, x0 + mm(35), y + mm(6)))
        _card_text(c, x0 + mm(20), y + mm(6.5), signer, 6.5, 1, fam, B, "ma")
    else:
        for line in c.wrap(f"Nơi cư trú / Place of residence: {addr}", 5.8, lab_w + mm(8), 0, family=fam)[:3]:
            y += _card_text(c, x0 + mm(3), y, line, 5.8, 0, fam, B)
        y += _card_text(c, x0 + mm(3), y, f"Nơi đăng ký khai sinh / Place of birth: {p.hometown.province.short}", 5.8, 0, fam, B)
        y += _card_text(c, x0 + mm(3), y, f"Ngày, tháng, năm cấp / Date of issue: {issued:%d/%m/%Y}", 5.8, 0, fam, B)
        if expiry:
            y += _card_text(c, x0 + mm(3), y, f"Ngày, tháng, năm hết hạn / Date of expiry: {expiry:%d/%m/%Y}", 5.8, 0, fam, B)
        y += _card_text(c, x0 + mm(3), y, "BỘ CÔNG AN / MINISTRY OF PUBLIC SECURITY", 5.8, 1, fam, B)
    for i, lab in enumerate(["Ngón trỏ trái", "Ngón trỏ phải"]):
        bx = x0 + mm(58 + 13.5 * i)
        c.rect(bx, y0 + mm(3), bx + mm(12), y0 + mm(22), width=2, outline=80)
        _card_text(c, bx + mm(6), y0 + mm(3.5), lab, 4.2, 0, fam, B, "ma")
        c.ellipse(bx + mm(2), y0 + mm(7.5), bx + mm(10), y0 + mm(21), width=3, outline=70, fill=150)
    if expiry or True:
        lines = mrz(p, expiry or date(2099, 12, 31))
        yy = y0 + h - mm(13.5)
        for line in lines:
            yy += _card_text(c, x0 + mm(4), yy, line, 8.5, 0, "Liberation Mono", B)


# --- pages that are none of the types ------------------------------------------------------------------------------


def money_words(n: int) -> str:
    """Vietnamese reading of an amount: 75000 → "Bảy mươi lăm nghìn"."""
    digits = ["không", "một", "hai", "ba", "bốn", "năm", "sáu", "bảy", "tám", "chín"]

    def three(x: int, full: bool) -> str:
        h, t, u = x // 100, (x // 10) % 10, x % 10
        out = []
        if h or full:
            out += [digits[h], "trăm"]
        if t == 0 and u and (h or full):
            out.append("linh")
        if t == 1:
            out.append("mười")
        elif t:
            out += [digits[t], "mươi"]
        if u:
            out.append("mốt" if u == 1 and t > 1 else "lăm" if u == 5 and t else digits[u])
        return " ".join(out)

    if n == 0:
        return "Không"
    parts, units = [], ["", "nghìn", "triệu", "tỷ"]
    groups = []
    while n:
        groups.append(n % 1000)
        n //= 1000
    for i in range(len(groups) - 1, -1, -1):
        g = groups[i]
        if g:
            parts.append((three(g, i != len(groups) - 1) + " " + units[i]).strip())
    s = " ".join(parts)
    return s[:1].upper() + s[1:]


def khac_doc(rng: random.Random, seed: int, style: Style, qr: bool | None, pages: int = 1) -> Doc:
    if pages == 1:
        variant = rng.choices(["letter", "prices", "receipt", "tiep_nhan", "prose", "plan"], [2, 2, 2, 2, 2, 1])[0]
    else:  # the one-sheet kinds of page (receipts, price lists, plans) do not run on
        variant = rng.choice(["letter", "prose"])
    d = V.random_date(rng, date(2016, 1, 1), date(2025, 12, 31))
    ctx = {"year": d.year}
    truth = {"type": "khac"}
    aux = {"variant": variant, "date": d, "doc_type": ""}
    doc = Doc("khac", seed, style, truth, aux, None, [], [], None, lambda: [], None, None, None, "none", None, (1, 3), MAX_PAGES["khac"], rng=rng)
    if variant == "letter":
        fam = rng.choice(["Liberation Sans", "Liberation Serif", "DejaVu Sans"])
        doc.style = Style(fam, rng.choice([11, 11.5, 12]), rng.uniform(1.2, 1.4), 25, 22, 20, 22, False, 0, rng.uniform(0.4, 0.8), 11)
        company, caddr = rng.choice(V.ENGLISH_COMPANIES)
        name, title = rng.choice(V.ENGLISH_NAMES)
        ag = V.agency(rng, "ubnd_tinh")
        months = ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"]
        doc.title = [("p", company, {"style": 1, "dpt": 3, "indent": 0, "justify": False, "gap": 0}),
                     ("p", caddr, {"dpt": -1, "indent": 0, "justify": False, "gap": 0}),
                     ("p", f"Tel: +{rng.randint(10, 99)} {rng.randint(1000, 9999)} {rng.randint(1000, 9999)}   www.{_slug(company.split()[0])}.com", {"dpt": -1, "indent": 0, "justify": False}),
                     ("space", 8), ("p", f"{d.day} {months[d.month - 1]} {d.year}", {"indent": 0, "justify": False}), ("space", 4),
                     ("p", f"To: The People's Committee of {ag.province.short} Province", {"indent": 0, "justify": False, "gap": 0}),
                     ("p", "Department of Planning and Investment", {"indent": 0, "justify": False}), ("space", 4),
                     ("p", f"Subject: {rng.choice(['Request for information on investment registration', 'Confirmation of employment', 'Submission of application documents'])}",
                      {"style": 1, "indent": 0, "justify": False}), ("p", "Dear Sir or Madam,", {"indent": 0, "justify": False})]

        def letter_stream():
            while True:
                yield ("p", " ".join(rng.sample(V.ENGLISH, rng.randint(2, 3))), {"indent": 0, "justify": rng.random() < 0.3})

        doc.stream = letter_stream()
        doc.closing = lambda: [("p", "Yours faithfully,", {"indent": 0, "justify": False}), ("space", 16),
                               ("p", name, {"style": 1, "indent": 0, "justify": False, "gap": 0}), ("p", title, {"indent": 0, "justify": False, "gap": 0}),
                               ("p", company.title(), {"indent": 0, "justify": False})]
        doc.n_body = (2, 4)
    elif variant == "prices":
        cname = f"CÔNG TY TNHH {rng.choice(['THƯƠNG MẠI', 'THIẾT BỊ', 'CÔNG NGHỆ'])} {rng.choice(V.COMPANY_WORDS).upper()}"
        addr = V.address(rng).text(0)
        rows, total = [], 0
        for i, (g, unit, price) in enumerate(rng.sample(V.GOODS, rng.randint(4, 9))):
            q = rng.choice([1, 2, 5, 10, 20, 50, 100]) if price < 5_000_000 else rng.randint(1, 5)
            total += q * price
            rows.append([str(i + 1), g, unit, str(q), V.money(price), V.money(q * price)])
        rows.append(["", "Tổng cộng", "", "", "", V.money(total)])
        doc.title = [("p", cname, {"style": 1, "indent": 0, "justify": False, "gap": 0}), ("p", f"Địa chỉ: {addr}", {"dpt": -1.5, "indent": 0, "justify": False, "gap": 0}),
                     ("p", f"Mã số thuế: {rng.randint(1000000000, 9999999999)} - Điện thoại: 0{rng.randint(200, 299)} {rng.randint(1000000, 9999999)}", {"dpt": -1.5, "indent": 0, "justify": False}),
                     ("space", 6), ("c", "BẢNG BÁO GIÁ", {"dpt": 3, "style": 1}), ("c", f"Ngày {d:%d/%m/%Y}", {"style": 2}),
                     ("p", "Kính gửi: Quý khách hàng", {"indent": 0, "justify": False}),
                     ("p", f"{cname.title()} trân trọng gửi tới Quý khách hàng bảng báo giá như sau:", {})]
        doc.preamble = [("table", ["STT", "Tên hàng hóa, dịch vụ", "ĐVT", "SL", "Đơn giá (đồng)", "Thành tiền (đồng)"], rows, [0.6, 3.6, 0.9, 0.6, 1.6, 1.8],
                         {"bold_last": True}),
                        ("p", f"Bằng chữ: {money_words(total)} đồng.", {"style": 2, "indent": 0, "justify": False}),
                        ("p", "Báo giá đã bao gồm thuế giá trị gia tăng, chi phí vận chuyển và lắp đặt tại địa điểm của khách hàng.", {"indent": 0}),
                        ("p", "Báo giá có hiệu lực trong vòng 30 ngày kể từ ngày ký.", {"indent": 0})]
        doc.stream = iter(())
        doc.signer = Signer(("ĐẠI DIỆN CÔNG TY",), "GIÁM ĐỐC", V.person_name(rng, rng.random() < 0.4), None, None, False, 22)
        doc.tail = "signer"
        doc.n_body = (0, 0)
        doc.max_pages = 1
    elif variant == "receipt":
        p = V.person(rng)
        amount = rng.choice([25_000, 50_000, 75_000, 100_000, 150_000, 200_000, 500_000, 1_200_000])
        unit_name = f"Ủy ban nhân dân {p.address.district}"
        doc.title = [("p", f"Tên đơn vị thu: {unit_name}", {"dpt": -1, "indent": 0, "justify": False, "gap": 0}),
                     ("p", f"Mẫu số: 01BLP{rng.randint(1, 9)}-00{rng.randint(1, 9)}   Ký hiệu: AA-{d:%y}P   Số: {rng.randint(1, 9999999):07d}", {"dpt": -1, "indent": 0, "justify": False}),
                     ("space", 4), ("c", rng.choice(["BIÊN LAI THU PHÍ, LỆ PHÍ", "BIÊN LAI THU TIỀN PHÍ, LỆ PHÍ", "PHIẾU THU"]), {"dpt": 3, "style": 1, "gap": 0.05}),
                     ("c", "(Liên 2: Giao cho người nộp tiền)", {"style": 2, "dpt": -1, "gap": 0.5})]
        doc.preamble = [("p", f"Tên người nộp: {p.name}", {"indent": 0, "justify": False}), ("p", f"Địa chỉ: {p.address.text(0)}", {"indent": 0, "justify": False}),
                        ("p", f"Nội dung thu: {rng.choice(['Lệ phí cấp giấy phép xây dựng', 'Lệ phí chứng thực', 'Lệ phí đăng ký hộ kinh doanh', 'Phí thẩm định hồ sơ'])}", {"indent": 0, "justify": False}),
                        ("p", f"Số tiền: {V.money(amount)} đồng", {"indent": 0, "justify": False, "style": 1}),
                        ("p", f"(Viết bằng chữ: {money_words(amount)} đồng)", {"indent": 0, "justify": False, "style": 2}),
                        ("p", f"Hình thức thanh toán: {rng.choice(['Tiền mặt', 'Chuyển khoản'])}", {"indent": 0, "justify": False}),
                        ("c", f"Ngày {d.day:02d} tháng {d.month:02d} năm {d.year}", {"style": 2, "gap": 0.3})]
        doc.stream = iter(())
        doc.signer = Signer(("NGƯỜI THU TIỀN",), None, V.person_name(rng, rng.random() < 0.6), None, "(Ký, ghi rõ họ tên)", False, 18)
        doc.signer2 = Signer(("NGƯỜI NỘP TIỀN",), None, p.name, None, "(Ký, ghi rõ họ tên)", False, 18)
        doc.tail = "signer"
        doc.n_body = (0, 0)
        doc.max_pages = 1
    elif variant == "tiep_nhan":
        p = V.person(rng)
        ag = V.agency(rng, rng.choice(["ttpvhcc", "ubnd_xa", "ubnd_huyen"]))
        code = V.dossier_code(rng, d)
        pd = place_date(ag.place, d, 0)
        lines = ag.lines if ag.level == "ttpvhcc" else (ag.lines + (("BỘ PHẬN MỘT CỬA", 1),) if rng.random() < 0.5 else ag.lines)
        doc.header = Header(lines, None, None, None, pd)
        doc.title = [("c", "GIẤY TIẾP NHẬN HỒ SƠ VÀ HẸN TRẢ KẾT QUẢ", {"dpt": 1, "style": 1, "width": 150}), ("c", f"Mã hồ sơ: {code}", {"style": 1, "gap": 0.6})]
        proc = rng.choice(["Cấp giấy phép xây dựng nhà ở riêng lẻ", "Đăng ký hộ kinh doanh", "Chứng thực bản sao từ bản chính", "Đăng ký khai sinh",
                           "Cấp giấy chứng nhận quyền sử dụng đất lần đầu"])
        doc.preamble = [("p", f"{ag.name} tiếp nhận hồ sơ của: {p.honorific} {p.name}", {"indent": 0, "justify": False}),
                        ("p", f"Địa chỉ: {p.address.text(0)}", {"indent": 0, "justify": False}),
                        ("kv2", [(f"Số điện thoại: {p.phone}", 0), ("Email: ......................", 0.5)], {}),
                        ("p", f"Nội dung yêu cầu giải quyết: {proc}", {"indent": 0, "justify": False}),
                        ("p", "1. Thành phần hồ sơ nộp gồm:", {"indent": 0, "justify": False}),
                        ("table", ["STT", "Tên giấy tờ", "Hình thức", "Số lượng"],
                         [[str(i + 1), g, rng.choice(["Bản chính", "Bản sao", "Bản sao chứng thực"]), "01"] for i, g in
                          enumerate(rng.sample(["Đơn đề nghị", "Tờ khai", "Bản sao căn cước", "Bản vẽ thiết kế", "Giấy chứng nhận quyền sử dụng đất", "Giấy ủy quyền"], rng.randint(2, 4)))],
                         [0.6, 3.8, 2.0, 1.0], {}),
                        ("p", "2. Số lượng hồ sơ: 01 (bộ)", {"indent": 0, "justify": False}),
                        ("p", f"3. Thời gian giải quyết hồ sơ theo quy định là: {rng.choice([3, 5, 7, 10, 15])} ngày làm việc", {"indent": 0, "justify": False}),
                        ("p", f"4. Thời gian nhận hồ sơ: {rng.randint(7, 16):02d} giờ {rng.choice([0, 15, 30, 45]):02d} phút, ngày {d:%d/%m/%Y}", {"indent": 0, "justify": False}),
                        ("p", f"5. Thời gian trả kết quả giải quyết hồ sơ: ngày {(d + timedelta(days=rng.randint(3, 20))):%d/%m/%Y}", {"indent": 0, "justify": False}),
                        ("p", f"6. Đăng ký nhận kết quả tại: {rng.choice(['Bộ phận một cửa', 'nhà riêng qua dịch vụ bưu chính công ích', 'Trung tâm Phục vụ hành chính công'])}",
                         {"indent": 0, "justify": False})]
        doc.stream = iter(())
        doc.signer = Signer(("NGƯỜI TIẾP NHẬN HỒ SƠ",), None, V.person_name(rng, rng.random() < 0.6), None, "(Ký, ghi rõ họ tên)", False, 18)
        doc.signer2 = Signer(("NGƯỜI NỘP HỒ SƠ",), None, p.name, None, "(Ký, ghi rõ họ tên)", False, 18)
        doc.tail = "signer"
        doc.n_body = (0, 0)
        doc.max_pages = 1
        truth.update({"issue_date": d.isoformat(), "place": ag.place})
        if len(lines) > len(ag.lines):  # "BỘ PHẬN MỘT CỬA" printed under the agency it belongs to
            truth.update({"parent_agency": ag.agency, "agency": "BỘ PHẬN MỘT CỬA"})
        else:
            truth["agency"] = ag.agency
            if ag.parent:
                truth["parent_agency"] = ag.parent
        aux["dossier_code"] = code
        if qr is not False:
            payload = code if rng.random() < 0.5 else f"https://dichvucong.gov.vn/p/home/dvc-tra-cuu-ho-so.html?ma={code}"
            doc.qr = (payload, rng.choice(["top-right", "bottom-left", "bottom-right"]), rng.uniform(16, 24))
            aux["qr"] = payload
    elif variant == "prose":
        heads = ["Hướng dẫn nộp hồ sơ trực tuyến", "Một số lưu ý khi số hóa tài liệu", "Giới thiệu về dịch vụ công trực tuyến",
                 "Kinh nghiệm triển khai bộ phận một cửa hiện đại", "Những điều cần biết về định danh điện tử"]
        doc.title = [("p", rng.choice(heads), {"style": 1, "dpt": 2, "indent": 0, "justify": False})] if rng.random() < 0.6 else []
        doc.stream = _more_stream(rng, ctx)
        doc.n_body = (4, 8)
        doc.aux["page_numbers_bottom"] = True
    else:  # a site plan drawing
        p = V.person(rng)
        doc.first_page = lambda c, dd: _site_plan(c, rng, p, d)
        doc.stream = iter(())
        doc.n_body = (0, 0)
        doc.max_pages = 1
    if qr and not doc.qr:
        payload = f"https://tracuu.{_slug(rng.choice(V.PROVINCE_NAMES))}.gov.vn/?q={rng.randint(10**9, 10**10 - 1)}"
        doc.qr = (payload, rng.choice(["top-right", "bottom-right"]), rng.uniform(15, 20))
        aux["qr"] = payload
    return doc


def _site_plan(c: Layout, rng: random.Random, p: V.Person, d: date) -> float:
    mm = c.mm
    y = c.top
    c.centred("title", c.w / 2, y, "BẢN VẼ MẶT BẰNG TẦNG 1", c.body_pt + 3, 1)
    y += c.lh(c.body_pt + 3)
    c.centred("title", c.w / 2, y, f"Tỷ lệ: 1/{rng.choice([50, 100, 200])}", c.body_pt - 1, 2)
    x0, y0 = c.left + mm(10), y + mm(28)
    W, H = c.right - c.left - mm(20), mm(rng.uniform(120, 160))
    c.rect(x0, y0, x0 + W, y0 + H, width=6)
    rooms = ["Phòng khách", "Bếp", "Phòng ngủ 1", "WC", "Cầu thang", "Sân trước"]
    cuts = sorted(rng.sample(range(25, 75), 2))
    xs = [x0, x0 + W * cuts[0] / 100, x0 + W]
    ys = [y0, y0 + H * cuts[1] / 100, y0 + H]
    c.line(xs[1], y0, xs[1], y0 + H, 4)
    c.line(x0, ys[1], x0 + W, ys[1], 4)
    k = 0
    for i in range(2):
        for j in range(2):
            cx, cy = (xs[i] + xs[i + 1]) / 2, (ys[j] + ys[j + 1]) / 2
            wm, hm = (xs[i + 1] - xs[i]) / mm(10), (ys[j + 1] - ys[j]) / mm(10)
            c.centred("plan", cx, cy - mm(3), rooms[k], c.body_pt - 1, 1)
            c.centred("plan", cx, cy + mm(3), f"{wm:.1f} x {hm:.1f} m".replace(".", ","), c.body_pt - 2, 0)
            k += 1
    c.line(x0, y0 - mm(8), x0 + W, y0 - mm(8), 2)
    c.centred("plan", x0 + W / 2, y0 - mm(14), f"{W / mm(10):.2f} m".replace(".", ","), c.body_pt - 2)
    yb = y0 + H + mm(15)
    rows = [["Công trình", "Nhà ở riêng lẻ"], ["Chủ đầu tư", p.name], ["Địa điểm", p.address.text(0)], ["Đơn vị thiết kế", f"Công ty TNHH Tư vấn {rng.choice(V.COMPANY_WORDS)}"],
            ["Ngày hoàn thành", f"{d:%d/%m/%Y}"]]
    from .layout import place as place_item

    place_item(c, ("table", ["Hạng mục", "Nội dung"], rows, [1.2, 3.8], {"block": "plan"}), yb)
    return c.bottom
