"""The 29 administrative types of Decree 30/2020 and its copy forms, each with varied wording and layout."""

from __future__ import annotations

import random
from datetime import date, timedelta

from . import vocab as V
from .canvas import Style
from .layout import Doc, Header, Signer, date_words, place_date

TITLES = {
    "nghi_quyet": "NGHỊ QUYẾT", "quyet_dinh": "QUYẾT ĐỊNH", "chi_thi": "CHỈ THỊ", "quy_che": "QUY CHẾ", "quy_dinh": "QUY ĐỊNH",
    "thong_cao": "THÔNG CÁO", "thong_bao": "THÔNG BÁO", "huong_dan": "HƯỚNG DẪN", "chuong_trinh": "CHƯƠNG TRÌNH", "ke_hoach": "KẾ HOẠCH",
    "phuong_an": "PHƯƠNG ÁN", "de_an": "ĐỀ ÁN", "du_an": "DỰ ÁN", "bao_cao": "BÁO CÁO", "bien_ban": "BIÊN BẢN", "to_trinh": "TỜ TRÌNH",
    "hop_dong": "HỢP ĐỒNG", "cong_dien": "CÔNG ĐIỆN", "ban_ghi_nho": "BẢN GHI NHỚ", "ban_thoa_thuan": "BẢN THỎA THUẬN",
    "giay_uy_quyen": "GIẤY ỦY QUYỀN", "giay_moi": "GIẤY MỜI", "giay_gioi_thieu": "GIẤY GIỚI THIỆU", "giay_nghi_phep": "GIẤY NGHỈ PHÉP",
    "phieu_gui": "PHIẾU GỬI", "phieu_chuyen": "PHIẾU CHUYỂN", "phieu_bao": "PHIẾU BÁO", "cong_van": "", "thu_cong": "THƯ",
    "sao_y": "SAO Y", "trich_sao": "TRÍCH SAO", "sao_luc": "SAO LỤC",
}
ABBR = {
    "nghi_quyet": "NQ", "quyet_dinh": "QĐ", "chi_thi": "CT", "quy_che": "QC", "quy_dinh": "QyĐ", "thong_cao": "TC", "thong_bao": "TB",
    "huong_dan": "HD", "chuong_trinh": "CTr", "ke_hoach": "KH", "phuong_an": "PA", "de_an": "ĐA", "du_an": "DA", "bao_cao": "BC",
    "bien_ban": "BB", "to_trinh": "TTr", "hop_dong": "HĐ", "cong_dien": "CĐ", "ban_ghi_nho": "BGN", "ban_thoa_thuan": "BTT",
    "giay_uy_quyen": "GUQ", "giay_moi": "GM", "giay_gioi_thieu": "GGT", "giay_nghi_phep": "GNP", "phieu_gui": "PG", "phieu_chuyen": "PC",
    "phieu_bao": "PB", "cong_van": "", "thu_cong": "", "sao_y": "SY", "trich_sao": "TrS", "sao_luc": "SL",
}
ADMINISTRATIVE = [k for k in TITLES if k not in ("sao_y", "trich_sao", "sao_luc")]
COPIES = ["sao_y", "trich_sao", "sao_luc"]
MAX_PAGES = {"giay_gioi_thieu": 1, "giay_nghi_phep": 1, "phieu_gui": 1, "phieu_chuyen": 1, "phieu_bao": 2, "giay_moi": 2, "cong_dien": 2,
             "thu_cong": 2, "giay_uy_quyen": 2, "thong_cao": 3, "bien_ban": 4}

LEVELS = {  # which agencies issue which types (None: any, as agency() draws)
    "nghi_quyet": ["hdnd"], "chi_thi": ["ubnd_tinh", "ubnd_tinh", "ubnd_huyen", "bo"], "cong_dien": ["ubnd_tinh", "ubnd_tinh", "ubnd_huyen", "bo"],
    "quy_che": ["ubnd_tinh", "so", "ubnd_huyen", "ttpvhcc"], "quy_dinh": ["ubnd_tinh", "so", "ubnd_huyen"],
    "to_trinh": ["so", "so", "phong", "ubnd_huyen", "ubnd_xa", "ttpvhcc"], "hop_dong": ["so", "ttpvhcc", "phong", "ubnd_xa", "bhxh"],
    "ban_ghi_nho": ["ubnd_tinh", "so", "bo"], "ban_thoa_thuan": ["ubnd_tinh", "so", "ubnd_huyen"], "thu_cong": ["ubnd_tinh", "so", "ubnd_huyen", "bo", "hdnd"],
    "thong_cao": ["ubnd_tinh", "hdnd", "bo"], "de_an": ["ubnd_tinh", "so", "ubnd_huyen"], "du_an": ["so", "ubnd_huyen", "ttpvhcc"],
}
CV_UNITS = {"ubnd": ["VP", "KGVX", "KTN", "NC", "TH", "XDCQ", "KT"], "so": ["VP", "HCTP", "TCCB", "KHTC", "QLĐT", "NV"], "congan": ["PC06", "PV01", "PA08", "PC08"],
            "bo": ["VP", "PC", "KSTT", "VTLTNN", "TCCB"], "cuc": ["VP", "NV", "TH"]}
SUB_HEADS = ["Mục đích", "Yêu cầu", "Nhiệm vụ cụ thể", "Giải pháp thực hiện", "Kết quả đạt được", "Phân công trách nhiệm", "Tiến độ thực hiện",
             "Chế độ thông tin, báo cáo", "Công tác tuyên truyền", "Công tác kiểm tra, giám sát", "Nguồn lực thực hiện"]
RECIPIENTS = {
    "ubnd": ["Thường trực Tỉnh ủy", "Thường trực HĐND tỉnh", "CT, các PCT UBND tỉnh", "Các sở, ban, ngành tỉnh", "UBND các huyện, thị xã, thành phố",
             "Văn phòng Đoàn ĐBQH và HĐND tỉnh", "Cổng Thông tin điện tử tỉnh", "Trung tâm Phục vụ hành chính công tỉnh", "Bộ Nội vụ (để báo cáo)",
             "Văn phòng Chính phủ (Cục Kiểm soát TTHC)", "Sở Nội vụ", "Sở Tư pháp", "Sở Thông tin và Truyền thông", "LĐVP, các phòng, ban, trung tâm",
             "Ban Tiếp công dân tỉnh", "UBND các xã, phường, thị trấn", "Công an tỉnh", "Báo và Đài Phát thanh - Truyền hình tỉnh"],
    "so": ["UBND tỉnh (để báo cáo)", "Giám đốc và các Phó Giám đốc Sở", "Các phòng, đơn vị thuộc Sở", "Phòng Tư pháp các huyện, thị xã, thành phố",
           "Văn phòng UBND tỉnh", "Trang thông tin điện tử của Sở", "Sở Nội vụ", "UBND các huyện, thị xã, thành phố", "Bộ Tư pháp (để báo cáo)"],
    "other": ["Lãnh đạo đơn vị", "Các phòng chuyên môn", "Bộ phận một cửa", "UBND các xã, thị trấn", "Đảng ủy, HĐND xã", "Trang thông tin điện tử"],
}
GREETINGS = [
    "Nhân dịp đón chào năm mới, thay mặt lãnh đạo {agency_name}, tôi gửi tới toàn thể cán bộ, công chức, viên chức và người lao động lời thăm hỏi ân cần và lời chúc mừng tốt đẹp nhất.",
    "Trong năm qua, mặc dù còn nhiều khó khăn, thách thức, tập thể cán bộ, công chức đã đoàn kết, nỗ lực vượt bậc và hoàn thành xuất sắc nhiệm vụ được giao.",
    "Những kết quả đạt được trong công tác cải cách hành chính, chuyển đổi số là niềm tự hào, là động lực để chúng ta tiếp tục phấn đấu.",
    "Xin trân trọng cảm ơn sự quan tâm, phối hợp chặt chẽ và hiệu quả của Quý cơ quan, đơn vị trong thời gian qua.",
    "Kính chúc Quý vị cùng gia đình dồi dào sức khỏe, hạnh phúc và thành công.",
]


def _hon(female: bool) -> str:
    return "bà" if female else "ông"


def pick_level(rng: random.Random, kind: str) -> str | None:
    levels = LEVELS.get(kind)
    return rng.choice(levels) if levels else None


def make_number(rng: random.Random, kind: str, ag: V.Agency, d: date) -> str:
    n = rng.choices([rng.randint(1, 9), rng.randint(10, 99), rng.randint(100, 999), rng.randint(1000, 4200)], [2, 3, 4, 2])[0]
    num = f"{n:02d}"
    if kind in ("cong_van", "thu_cong"):
        unit = rng.choice(CV_UNITS.get(ag.level) or CV_UNITS["so"])
        return f"{num}/{ag.symbol}-{unit}"
    abbr = ABBR[kind]
    if kind in ("quyet_dinh", "nghi_quyet") and rng.random() < (0.18 if kind == "quyet_dinh" else 0.4):
        return f"{num}/{d.year}/{abbr}-{ag.symbol}"
    if kind == "hop_dong" and rng.random() < 0.6:
        return f"{num}/{d.year}/{abbr}-{ag.symbol}"
    return f"{num}/{abbr}-{ag.symbol}"


def number_line(rng: random.Random, number: str) -> str:
    r = rng.random()
    if r < 0.1:
        head, rest = number.split("/", 1)
        return f"Số: {head} /{rest}"  # the number typed into a blank left before a slash
    if r < 0.14:
        return f"Số:{number}"
    return f"Số: {number}"


def make_signer(rng: random.Random, ag: V.Agency, kind: str = "") -> Signer:
    opts = V.authorities(ag)
    auth, pos, _w = rng.choices(opts, [w for _a, _p, w in opts])[0]
    rank = rng.choice(V.RANKS) if ag.level == "congan" and rng.random() < 0.7 else None
    return Signer(tuple(auth), pos, V.person_name(rng, rng.random() < 0.3), rank, None, True, rng.uniform(20, 30))


def make_recipients(rng: random.Random, ag: V.Agency, first: str | None = "Như trên") -> list[str]:
    pool = RECIPIENTS["ubnd"] if ag.level in ("ubnd", "hdnd", "bo") else RECIPIENTS["so"] if ag.level in ("so", "vp", "ttpvhcc", "ban", "thanhtra") else RECIPIENTS["other"]
    items = rng.sample(pool, rng.randint(1, min(6, len(pool))))
    unit = rng.choice(CV_UNITS.get(ag.level, ["VP", "TH", "NC"]))
    last = rng.choice([f"Lưu: VT, {unit}", "Lưu: VT", f"Lưu: VT, {unit}, {rng.choice(['HS', 'TH', 'ĐT'])}"])
    return ([first] if first else []) + items + [last]


def _ctx(rng: random.Random, ag: V.Agency, d: date) -> dict:
    dept, _sym, _head = rng.choice(V.DEPARTMENTS[:15])
    female = rng.random() < 0.4
    return {"year": d.year, "topic": rng.choice(V.TOPICS), "dept": V._sentence(dept), "agency_name": ag.name,
            "head_name": ag.head.capitalize() + " " + ag.name if ag.level in ("ubnd", "hdnd") else ag.name, "dept_name": ag.name,
            "name": V.person_name(rng, female), "title": "bà" if female else "ông", "head_title": f"Giám đốc {V._sentence(dept)}"}


def para(rng: random.Random, ctx: dict, lo: int = 1, hi: int = 3) -> str:
    return " ".join(V.fill(rng, s, ctx) for s in rng.sample(V.SENTENCES, rng.randint(lo, hi)))


def subject_text(rng: random.Random, kind: str, ctx: dict) -> str:
    templates = V.SUBJECTS.get(kind) or V.SUBJECTS["cong_van"]
    return V.fill(rng, rng.choice(templates), ctx)


def cap(s: str) -> str:
    return s[:1].upper() + s[1:]


SUBJECT_MODES = {  # kind: weights of (vv "Về việc ...", direct "Ban hành ...", caps "BAN HÀNH ...", merged into the type name, none)
    "quyet_dinh": (65, 30, 5, 0, 0), "nghi_quyet": (35, 60, 5, 0, 0), "chi_thi": (65, 30, 5, 0, 0), "quy_che": (0, 80, 15, 5, 0),
    "quy_dinh": (0, 80, 15, 5, 0), "thong_cao": (10, 70, 0, 10, 10), "thong_bao": (45, 45, 5, 0, 5), "huong_dan": (30, 60, 5, 5, 0),
    "chuong_trinh": (10, 60, 15, 15, 0), "ke_hoach": (15, 60, 10, 15, 0), "phuong_an": (15, 60, 15, 10, 0), "de_an": (5, 55, 30, 10, 0),
    "du_an": (5, 55, 30, 10, 0), "bao_cao": (25, 65, 5, 5, 0), "bien_ban": (5, 80, 0, 0, 15), "to_trinh": (85, 15, 0, 0, 0),
    "hop_dong": (50, 45, 5, 0, 0), "cong_dien": (65, 35, 0, 0, 0), "ban_ghi_nho": (20, 80, 0, 0, 0), "ban_thoa_thuan": (20, 80, 0, 0, 0),
    "giay_uy_quyen": (0, 0, 0, 0, 100), "giay_moi": (20, 60, 0, 0, 20), "giay_gioi_thieu": (0, 0, 0, 0, 100), "giay_nghi_phep": (0, 0, 0, 0, 100),
    "phieu_gui": (0, 0, 0, 0, 100), "phieu_chuyen": (40, 0, 0, 0, 60), "phieu_bao": (60, 10, 0, 0, 30), "thu_cong": (0, 60, 0, 0, 40),
}


def title_items(rng: random.Random, kind: str, title: str, subject: str, mode: str) -> tuple[list, str | None]:
    """The type name and the subject under it; returns (items, subject as printed or None)."""
    width = rng.uniform(125, 155)
    tpt = rng.choice([1, 1, 1.5, 2])
    items: list = []
    printed = None
    if mode == "merged":
        printed = subject.upper()
        items.append(("c", f"{title} {printed}", {"dpt": tpt, "style": 1, "width": width}))
    else:
        items.append(("c", title, {"dpt": tpt, "style": 1, "width": 160, "gap": 0.02}))
        if mode == "vv":
            printed = subject
            items.append(("c", f"Về việc {subject}", {"style": 1, "width": width}))
        elif mode == "direct":
            printed = cap(subject)
            items.append(("c", printed, {"style": 1, "width": width}))
        elif mode == "caps":
            printed = subject.upper()
            items.append(("c", printed, {"style": 1, "width": width}))
    items.append(("rule", rng.uniform(25, 45)))
    return items, printed


def _numbered_stream(rng: random.Random, ctx: dict, start: int = 1, bullets: bool = True):
    i = start
    while True:
        yield ("p", f"{i}. {para(rng, ctx, 1, 2)}", {})
        if bullets and rng.random() < 0.3:
            for _ in range(rng.randint(1, 3)):
                yield ("p", f"- {V.fill(rng, rng.choice(V.SENTENCES), ctx)}", {"indent": 8})
        i += 1


def _paragraph_stream(rng: random.Random, ctx: dict):
    while True:
        yield ("p", para(rng, ctx), {})


def _section_stream(rng: random.Random, ctx: dict, heads: list[str], table: list | None = None):
    heads = list(heads)
    extra = [h for h in ("CÁC NHIỆM VỤ KHÁC", "NỘI DUNG KHÁC", "ĐIỀU KHOẢN THI HÀNH") if h not in heads]
    i = 0
    while True:
        head = heads[i] if i < len(heads) else (extra[(i - len(heads)) % len(extra)])
        yield ("h", f"{V.ROMAN[i % len(V.ROMAN)]}. {head}", {})
        subs = rng.sample(SUB_HEADS, rng.randint(1, 3))
        for j, sh in enumerate(subs):
            if rng.random() < 0.6:
                yield ("h", f"{j + 1}. {sh}", {"style": rng.choice([1, 3, 0])})
            yield ("p", para(rng, ctx), {})
            if rng.random() < 0.4:
                for _ in range(rng.randint(1, 3)):
                    yield ("p", f"- {V.fill(rng, rng.choice(V.SENTENCES), ctx)}", {"indent": rng.choice([8, 10, 0])})
        if table is not None and i == 0:
            yield table
        i += 1


def _article_stream(rng: random.Random, ctx: dict, subs: bool = True):
    art = 0
    while True:
        art += 1
        yield ("p", f"Điều {art}. {para(rng, ctx, 1, 2)}", {"art": art})
        if subs and rng.random() < 0.35:
            for k in range(rng.randint(2, 4)):
                yield ("p", f"{k + 1}. {V.fill(rng, rng.choice(V.SENTENCES), ctx)}", {"art": art})


def _chapter_stream(rng: random.Random, ctx: dict):
    chapters = ["QUY ĐỊNH CHUNG", "NHỮNG QUY ĐỊNH CỤ THỂ", "TRÁCH NHIỆM CỦA CÁC CƠ QUAN, ĐƠN VỊ", "KHEN THƯỞNG VÀ XỬ LÝ VI PHẠM"]
    names = ["Phạm vi điều chỉnh", "Đối tượng áp dụng", "Giải thích từ ngữ", "Nguyên tắc thực hiện", "Trình tự tiếp nhận hồ sơ",
             "Thời hạn giải quyết", "Trách nhiệm của công chức tiếp nhận", "Công khai thông tin", "Chế độ báo cáo", "Kinh phí thực hiện"]
    art, ch = 0, 0
    while True:
        yield ("c", f"Chương {V.ROMAN[ch % len(V.ROMAN)]}", {"style": 1, "gap": 0.12})
        yield ("c", chapters[ch % len(chapters)], {"style": 1})
        ch += 1
        for _ in range(rng.randint(2, 4)):
            art += 1
            yield ("h", f"Điều {art}. {names[(art - 1) % len(names)]}", {"art": art})
            yield ("p", para(rng, ctx, 1, 3), {"art": art})
            if rng.random() < 0.4:
                for k in range(rng.randint(2, 3)):
                    yield ("p", f"{k + 1}. {V.fill(rng, rng.choice(V.SENTENCES), ctx)}", {"art": art})


def _last_art(doc: Doc) -> int:
    arts = [it[-1].get("art", 0) for it in doc.aux.get("placed", []) if isinstance(it[-1], dict)]
    return max(arts, default=0)


def _kinh_gui(rng: random.Random, recipients: list[str], single_prob: float = 0.6) -> list:
    if len(recipients) == 1 or rng.random() < single_prob:
        return [("c", f"Kính gửi: {recipients[0]}.", {"style": 0, "width": 150, "gap": 0.5})]
    items = [("p", "Kính gửi:", {"indent": rng.uniform(25, 40), "justify": False, "gap": 0})]
    for i, r in enumerate(recipients):
        items.append(("p", f"- {r}{'.' if i == len(recipients) - 1 else ';'}", {"x0": rng.uniform(44, 52), "indent": 0, "justify": False, "gap": 0}))
    items.append(("space", 3))
    return items


def admin_doc(rng: random.Random, seed: int, kind: str, style: Style, ag: V.Agency | None = None, when: date | None = None) -> Doc:
    """One administrative document of ``kind`` (a Decree 30 type code)."""
    ag = ag or V.agency(rng, pick_level(rng, kind))
    d = when or V.random_date(rng, date(2015, 1, 1), date(2025, 12, 31))
    ctx = _ctx(rng, ag, d)
    dmode = rng.choices([0, 1, 2], [6, 3, 1])[0]
    pd = place_date(ag.place, d, dmode)
    number = make_number(rng, kind, ag, d)
    subject = subject_text(rng, kind, ctx)
    mode = rng.choices(["vv", "direct", "caps", "merged", "none"], SUBJECT_MODES.get(kind, (1, 0, 0, 0, 0)))[0] if kind != "cong_van" else "cv"
    signer = make_signer(rng, ag, kind)
    recipients = make_recipients(rng, ag)
    title = TITLES[kind]
    header = Header(ag.lines, number, number_line(rng, number) if number else None, subject if kind == "cong_van" else None, pd)
    doc = Doc(kind, seed, style, {"type": kind}, {}, header, [], [], None, lambda: [], signer, None, recipients, rng=rng,
              max_pages=MAX_PAGES.get(kind, 6), seal_text=ag.seal_text, signer_offset_mm=rng.uniform(36, 48), seal_dx_mm=rng.uniform(14, 20))
    printed_subject: str | None = subject if kind == "cong_van" else None
    if kind != "cong_van":
        if kind == "thu_cong":
            title = rng.choice(["THƯ CHÚC MỪNG", "THƯ CẢM ƠN", "THƯ KHEN", "THƯ THĂM HỎI", "THƯ NGỎ"])
            subject = rng.choice(["nhân dịp Tết Nguyên đán {tet}", "nhân kỷ niệm Ngày Doanh nhân Việt Nam 13 tháng 10",
                                  "nhân Ngày Nhà giáo Việt Nam 20 tháng 11", "gửi cán bộ, công chức làm công tác cải cách hành chính"])
            subject = V.fill(rng, subject, ctx)
        elif kind == "thong_cao" and rng.random() < 0.4:
            title = "THÔNG CÁO BÁO CHÍ"
        doc.title, printed_subject = title_items(rng, kind, title, subject, mode)
    _fill_kind(rng, doc, kind, ag, d, ctx, signer, recipients, mode)
    t = doc.truth
    if doc.header:
        h = doc.header
        if h.number:
            t["number_symbol"] = h.number
        if h.place_date:
            t["issue_date"] = d.isoformat()
            t["place"] = ag.place
        if h.agency_lines:
            t["agency"] = ag.agency
            if ag.parent:
                t["parent_agency"] = ag.parent
    if printed_subject and not doc.aux.get("no_subject"):
        t["subject"] = printed_subject
    if doc.signer and not doc.aux.get("no_signer_truth"):
        t.update(doc.signer.truth())
    doc.aux.update({"agency_obj": ag, "date": d, "province": ag.province.name if ag.province else "", "issuer": ag.symbol,
                    "doc_type": title or "CÔNG VĂN"})
    return doc


def _fill_kind(rng, doc: Doc, kind: str, ag: V.Agency, d: date, ctx: dict, signer: Signer, recipients: list[str], mode: str) -> None:  # noqa: C901
    P = doc.preamble
    if ag.level == "ubnd":
        superior = ag.name.replace("Ủy ban nhân dân", "Hội đồng nhân dân")
    elif ag.province:
        superior = f"Ủy ban nhân dân {ag.province.level} {ag.province.short}"
    else:
        superior = "Thủ tướng Chính phủ"
    if kind == "quyet_dinh":
        collective = signer.authority and signer.authority[0].startswith("TM.")
        who = ag.agency if collective else ag.head_full
        P.append(("c", who, {"style": 1, "width": 160, "gap": 0.4}))
        for cc in rng.sample(V.CAN_CU, rng.randint(2, 4)):
            P.append(("p", cc, {"style": 2, "justify": False, "gap": 0.05}))
        if rng.random() < 0.8:
            n = rng.randint(10, 900)
            P.append(("p", f"Theo đề nghị của {ctx['head_title']} tại Tờ trình số {n}/TTr-{rng.choice(['SNV', 'STP', 'STC', 'VP'])} "
                           f"{date_words(d - timedelta(days=rng.randint(3, 40)))}.", {"style": 2, "justify": False}))
        P.append(("c", "QUYẾT ĐỊNH:", {"style": 1, "gap": 0.4}))
        doc.stream = _article_stream(rng, ctx)
        closing_tail = f"Chánh Văn phòng {ag.name}, Thủ trưởng các cơ quan, đơn vị và cá nhân có liên quan chịu trách nhiệm thi hành Quyết định này./."

        def closing():
            n = _last_art(doc) + 1
            recipients[0] = f"Như Điều {n + 1}"
            return [("p", f"Điều {n}. Quyết định này có hiệu lực kể từ ngày ký.", {}), ("p", f"Điều {n + 1}. {closing_tail}", {})]

        doc.closing = closing
    elif kind == "nghi_quyet":
        P.append(("c", ag.agency, {"style": 1, "width": 160, "gap": 0}))
        P.append(("c", f"KHÓA {rng.choice(['IX', 'X'])}, KỲ HỌP THỨ {rng.randint(2, 24)}", {"style": 1, "gap": 0.4}))
        for cc in rng.sample(V.CAN_CU, rng.randint(2, 3)):
            P.append(("p", cc, {"style": 2, "justify": False, "gap": 0.05}))
        P.append(("p", f"Xét Tờ trình số {rng.randint(10, 300)}/TTr-UBND {date_words(d - timedelta(days=rng.randint(10, 40)))} của Ủy ban nhân dân "
                       f"{ag.province.level} {ag.province.short}; Báo cáo thẩm tra của Ban Pháp chế Hội đồng nhân dân tỉnh; ý kiến thảo luận của đại biểu "
                       "Hội đồng nhân dân tỉnh tại kỳ họp.", {"style": 2, "justify": False}))
        P.append(("c", "QUYẾT NGHỊ:", {"style": 1, "gap": 0.4}))
        doc.stream = _article_stream(rng, ctx)
        doc.closing = lambda: [("p", f"Điều {_last_art(doc) + 1}. Nghị quyết này đã được Hội đồng nhân dân {ag.province.level} {ag.province.short} "
                                     f"thông qua {date_words(d)} và có hiệu lực từ ngày {(d + timedelta(days=10)):%d/%m/%Y}./.", {})]
    elif kind == "chi_thi":
        P.extend(("p", para(rng, ctx, 2, 3), {}) for _ in range(rng.randint(1, 2)))
        P.append(("p", f"Để {ctx['topic']} đạt hiệu quả, {ag.head.capitalize()} {ag.name} chỉ thị:", {}))
        doc.stream = _numbered_stream(rng, ctx)
        doc.closing = lambda: [("p", "Yêu cầu Thủ trưởng các sở, ban, ngành, Chủ tịch Ủy ban nhân dân các huyện, thị xã, thành phố nghiêm túc thực hiện Chỉ thị này./.", {})]
    elif kind in ("quy_che", "quy_dinh"):
        if rng.random() < 0.55:  # attached to a decision: no number, no date of its own
            doc.header.number = None
            doc.header.number_text = None
            doc.header.place_date = None
            n = rng.randint(10, 2500)
            doc.title.insert(-1, ("c", f"(Ban hành kèm theo Quyết định số {n}/QĐ-{ag.symbol} {date_words(d)} của {ag.name})", {"style": 2, "dpt": -1, "width": 150}))
        doc.stream = _chapter_stream(rng, ctx)
        doc.closing = lambda: [("h", f"Điều {_last_art(doc) + 1}. Tổ chức thực hiện", {}),
                               ("p", f"Trong quá trình thực hiện, nếu có khó khăn, vướng mắc, các cơ quan, đơn vị phản ánh về {ag.name} để xem xét, sửa đổi, bổ sung cho phù hợp./.", {})]
    elif kind in ("ke_hoach", "chuong_trinh", "phuong_an", "de_an", "du_an", "huong_dan", "bao_cao"):
        if rng.random() < 0.6:
            P.append(("p", f"Thực hiện Kế hoạch số {rng.randint(10, 400)}/KH-UBND {date_words(d - timedelta(days=rng.randint(20, 200)))} của "
                           f"Ủy ban nhân dân tỉnh về {ctx['topic']}, {ag.name} {'báo cáo' if kind == 'bao_cao' else 'ban hành ' + TITLES[kind].lower()} như sau:", {}))
        table = None
        if kind == "bao_cao" and ag.province and rng.random() < 0.6:
            rows = []
            for i, (t, n) in enumerate(ag.province.districts[: rng.randint(3, len(ag.province.districts))]):
                got = rng.randint(200, 9000)
                ok = rng.randint(int(got * 0.9), got)
                rows.append([str(i + 1), f"{t.capitalize()} {n}", V.money(got), V.money(ok), f"{ok / got * 100:.1f}".replace(".", ",")])
            table = ("table", ["STT", "Đơn vị", "Tiếp nhận", "Đúng hạn", "Tỷ lệ (%)"], rows, [0.8, 3.2, 1.6, 1.6, 1.4], {})
        doc.stream = _section_stream(rng, ctx, V.SECTION_HEADS.get(kind, V.SECTION_HEADS["ke_hoach"]), table)
        word = {"bao_cao": "báo cáo", "huong_dan": "hướng dẫn"}.get(kind, TITLES[kind].lower())
        doc.closing = lambda: [("p", f"Trên đây là {word} {ctx['topic']} của {ag.name}. Trong quá trình thực hiện, nếu có khó khăn, vướng mắc, "
                                     "đề nghị các cơ quan, đơn vị kịp thời phản ánh để tổng hợp./.", {})]
    elif kind == "to_trinh":
        doc.title.append(("c", f"Kính gửi: {superior or 'Ủy ban nhân dân tỉnh'}.", {"style": 0, "width": 150, "gap": 0.5}))
        doc.stream = _section_stream(rng, ctx, ["SỰ CẦN THIẾT", "NỘI DUNG ĐỀ NGHỊ", "KINH PHÍ THỰC HIỆN", "KIẾN NGHỊ"]) if rng.random() < 0.5 else _paragraph_stream(rng, ctx)
        doc.closing = lambda: [("p", f"{ag.name} kính trình {superior or 'Ủy ban nhân dân tỉnh'} xem xét, quyết định./.", {})]
        recipients[0] = "Như trên"
    elif kind == "thong_bao" or kind == "thong_cao":
        doc.stream = _numbered_stream(rng, ctx) if rng.random() < 0.5 else _paragraph_stream(rng, ctx)
        doc.closing = lambda: [("p", f"{ag.name} thông báo để các cơ quan, đơn vị, tổ chức và cá nhân biết, thực hiện./.", {})]
    elif kind == "cong_dien":
        doc.header.marks = (rng.choice(["HỎA TỐC", "KHẨN", "THƯỢNG KHẨN"]),) if rng.random() < 0.5 else ()
        P.append(("p", f"{ag.head} {ag.agency} điện:", {"style": 1, "justify": False}))
        for i, r in enumerate(rng.sample(["Giám đốc các sở, ban, ngành tỉnh", "Chủ tịch Ủy ban nhân dân các huyện, thị xã, thành phố",
                                          "Chỉ huy trưởng Bộ Chỉ huy Quân sự tỉnh", "Giám đốc Công an tỉnh", "Giám đốc Đài Khí tượng thủy văn tỉnh"], 3)):
            P.append(("p", f"- {r};", {"x0": 20, "indent": 0, "justify": False, "gap": 0}))
        doc.stream = _numbered_stream(rng, ctx, bullets=False)
        doc.closing = lambda: [("p", "Văn phòng Ủy ban nhân dân tỉnh theo dõi, đôn đốc việc thực hiện Công điện này, kịp thời báo cáo những vấn đề phát sinh./.", {})]
    elif kind == "cong_van":
        if rng.random() < 0.65:
            doc.title = _kinh_gui(rng, rng.sample(["Các sở, ban, ngành tỉnh", "Ủy ban nhân dân các huyện, thị xã, thành phố", "Sở Tư pháp",
                                                   "Sở Thông tin và Truyền thông", "Bảo hiểm xã hội tỉnh", "Công an tỉnh", "Ủy ban nhân dân các xã, phường, thị trấn"],
                                                  rng.randint(1, 3)))
        else:
            doc.title = [("c", f"Kính gửi: {rng.choice(['Ủy ban nhân dân các huyện, thị xã, thành phố', 'Sở Nội vụ', 'Văn phòng Chính phủ', 'Bộ Tư pháp'])}.",
                          {"style": 0, "width": 150, "gap": 0.5})]
        if rng.random() < 0.7:
            P.append(("p", f"Thực hiện Công văn số {rng.randint(100, 6000)}/{rng.choice(['BNV-CCHC', 'VPCP-KSTT', 'UBND-KGVX', 'BTTTT-CĐSQG'])} "
                           f"{date_words(d - timedelta(days=rng.randint(5, 60)))} về việc {ctx['topic']}, {ag.name} đề nghị:", {}))
        doc.stream = _numbered_stream(rng, ctx) if rng.random() < 0.6 else _paragraph_stream(rng, ctx)
        end = rng.choice(["Trân trọng./.", "Đề nghị các cơ quan, đơn vị quan tâm phối hợp thực hiện./.", f"{ag.name} đề nghị các đơn vị khẩn trương triển khai thực hiện./."])
        doc.closing = lambda: [("p", end, {})]
        doc.n_body = (1, 4)
    elif kind == "thu_cong":
        doc.title.append(("c", f"Kính gửi: {rng.choice(['Toàn thể cán bộ, công chức, viên chức và người lao động', 'Các doanh nghiệp trên địa bàn tỉnh', 'Quý thầy, cô giáo'])}",
                          {"style": 2, "width": 150, "gap": 0.5}))
        if rng.random() < 0.5:
            doc.header.number = None
            doc.header.number_text = None
        greet = [V.fill(rng, g, ctx) for g in GREETINGS]

        def thu_stream():
            i = 0
            while True:
                yield ("p", greet[i % len(greet)] if i < len(greet) else para(rng, ctx), {})
                i += 1

        doc.stream = thu_stream()
        doc.closing = lambda: [("p", "Trân trọng!", {"indent": 0})]
        doc.signer = Signer((ag.head,), None, signer.name, None, None, rng.random() < 0.6, signer.gap_mm)
        if rng.random() < 0.7:
            doc.recipients = None
        doc.n_body = (2, 4)
    elif kind == "giay_moi":
        P.append(("p", f"{ag.name} trân trọng kính mời:", {}))
        for i, r in enumerate(rng.sample(["Đại diện lãnh đạo các sở, ban, ngành tỉnh", "Chủ tịch Ủy ban nhân dân các huyện, thị xã, thành phố",
                                          "Lãnh đạo Trung tâm Phục vụ hành chính công tỉnh", "Công chức làm công tác kiểm soát thủ tục hành chính",
                                          "Đại diện Bưu điện tỉnh", "Phóng viên Báo, Đài tỉnh"], rng.randint(1, 3))):
            P.append(("p", f"- {r};", {"x0": 10, "indent": 0, "justify": False, "gap": 0}))
        hour = rng.choice(["07 giờ 30 phút", "08 giờ 00 phút", "14 giờ 00 phút", "13 giờ 30 phút", "08 giờ 30 phút"])
        meet = d + timedelta(days=rng.randint(2, 10))
        P.append(("p", f"Thời gian: {hour}, {rng.choice(['thứ Hai', 'thứ Ba', 'thứ Tư', 'thứ Năm', 'thứ Sáu'])}, {date_words(meet)}.", {"indent": 0}))
        P.append(("p", f"Địa điểm: Phòng họp số {rng.randint(1, 5)}, {ag.name}, số {rng.randint(1, 300)} đường {rng.choice(V.STREETS)}.", {"indent": 0}))
        P.append(("p", f"Nội dung: {cap(ctx['topic'])}.", {"indent": 0}))
        doc.stream = _paragraph_stream(rng, ctx)
        doc.closing = lambda: [("p", "Rất mong quý đại biểu tham dự đúng thời gian./.", {})]
        doc.n_body = (0, 1)
    elif kind == "giay_gioi_thieu":
        p2 = V.person(rng, ag.province)
        P.extend([("p", f"{ag.name} trân trọng giới thiệu:", {}), ("p", f"Ông (bà): {p2.name}", {"indent": 0}),
                  ("p", f"Chức vụ: {rng.choice(['Chuyên viên', 'Trưởng phòng', 'Phó Trưởng phòng', 'Công chức'])}", {"indent": 0}),
                  ("p", f"Được cử đến: {rng.choice(['Sở Nội vụ', 'Ủy ban nhân dân huyện', 'Văn phòng Ủy ban nhân dân tỉnh', 'Kho Lưu trữ lịch sử tỉnh'])}", {"indent": 0}),
                  ("p", f"Về việc: liên hệ công tác về {ctx['topic']}", {"indent": 0}),
                  ("p", "Đề nghị Quý cơ quan tạo điều kiện để ông (bà) có tên ở trên hoàn thành nhiệm vụ.", {})])
        doc.closing = lambda: [("p", f"Giấy này có giá trị đến hết {date_words(d + timedelta(days=30))}./.", {})]
        doc.n_body = (0, 0)
        doc.stream = None
        if rng.random() < 0.5:
            doc.recipients = ["Như trên", "Lưu: VT"]
    elif kind == "giay_nghi_phep":
        p2 = V.person(rng, ag.province)
        start = d + timedelta(days=rng.randint(2, 20))
        n = rng.randint(3, 15)
        P.extend([("p", f"Xét Đơn đề nghị nghỉ phép {date_words(d - timedelta(days=2))} của {_hon(p2.female)} {p2.name},", {}),
                  ("p", f"{ag.head.capitalize()} {ag.name} cấp cho:", {}),
                  ("p", f"Ông (bà): {p2.name}", {"indent": 0}),
                  ("p", f"Chức vụ, đơn vị công tác: {rng.choice(['Chuyên viên', 'Kế toán', 'Văn thư', 'Công chức'])}, {ag.name}", {"indent": 0}),
                  ("p", f"Nghỉ phép năm {d.year} trong thời gian {n:02d} ngày, kể từ {date_words(start)} đến hết {date_words(start + timedelta(days=n - 1))} "
                        f"tại {p2.address.text(0)}./.", {})])
        doc.stream = None
        doc.n_body = (0, 0)
    elif kind in ("phieu_gui", "phieu_chuyen", "phieu_bao"):
        dest = rng.choice(["Sở Nội vụ", "Ủy ban nhân dân huyện", "Văn phòng Ủy ban nhân dân tỉnh", "Thanh tra tỉnh", "Sở Tài nguyên và Môi trường"])
        if kind != "phieu_chuyen":
            doc.title.append(("c", f"Kính gửi: {dest}.", {"style": 0, "gap": 0.5}))
        ref = f"{rng.randint(10, 3000)}/{rng.choice(['STP-HCTP', 'UBND-NC', 'SNV-CCVC', 'BNV-VP'])} {date_words(d - timedelta(days=rng.randint(2, 30)))}"
        if kind == "phieu_gui":
            P.append(("p", f"{ag.name} gửi kèm theo Phiếu này các tài liệu sau:", {}))
            for i in range(rng.randint(1, 4)):
                P.append(("p", f"{i + 1}. Văn bản số {rng.randint(10, 3000)}/{rng.choice(['QĐ', 'KH', 'BC', 'TB'])}-{ag.symbol} về {rng.choice(V.TOPICS)};", {"indent": 5}))
            P.append(("p", f"Đề nghị {dest} khi nhận được tài liệu này thì ký xác nhận và gửi lại Phiếu này cho {ag.name}./.", {}))
        elif kind == "phieu_chuyen":
            pz = V.person(rng, ag.province)
            P.append(("p", f"{ag.name} nhận được đơn {date_words(d - timedelta(days=rng.randint(2, 30)))} của {_hon(pz.female)} {pz.name}, "
                           f"địa chỉ: {pz.address.text(0)}, về việc {ctx['topic']}.", {}))
            P.append(("p", f"Sau khi xem xét, {ag.name} chuyển đơn đến {dest} để xem xét, giải quyết theo thẩm quyền và trả lời cho công dân theo quy định./.", {}))
        else:
            P.append(("p", f"Thực hiện Văn bản số {ref}, {ag.name} báo để {dest} biết:", {}))
            P.append(("p", para(rng, ctx, 1, 2), {}))
        doc.stream = None
        doc.n_body = (0, 0)
        if kind == "phieu_gui" or rng.random() < 0.4:
            doc.recipients = None
        doc.signer = Signer(("TL. " + ag.head,), "CHÁNH VĂN PHÒNG", signer.name, None, None, True, signer.gap_mm) if rng.random() < 0.5 and ag.level in ("so", "ubnd") else signer
    elif kind == "bien_ban":
        hour = rng.choice(["08 giờ 00 phút", "08 giờ 30 phút", "14 giờ 00 phút", "09 giờ 15 phút"])
        chair, sec = V.person(rng, ag.province), V.person(rng, ag.province)
        P.extend([("p", f"Hôm nay, vào lúc {hour}, {date_words(d)}, tại {ag.name}, chúng tôi gồm:", {}),
                  ("h", "I. THÀNH PHẦN THAM DỰ", {}),
                  ("p", f"1. {_hon(chair.female).capitalize()} {chair.name} - {rng.choice(['Phó Giám đốc', 'Phó Chủ tịch', 'Trưởng phòng'])} - Chủ trì;", {"indent": 0}),
                  ("p", f"2. {_hon(sec.female).capitalize()} {sec.name} - Chuyên viên - Thư ký;", {"indent": 0})])
        for i in range(rng.randint(1, 3)):
            pz = V.person(rng, ag.province)
            P.append(("p", f"{i + 3}. {_hon(pz.female).capitalize()} {pz.name} - {rng.choice(['Chuyên viên', 'Đại diện Sở Nội vụ', 'Đại diện Văn phòng'])};", {"indent": 0}))
        P.append(("h", "II. NỘI DUNG", {}))
        doc.stream = _numbered_stream(rng, ctx)
        doc.closing = lambda: [("p", f"Biên bản kết thúc vào lúc {rng.choice(['11 giờ 30 phút', '10 giờ 45 phút', '16 giờ 30 phút'])} cùng ngày, đã được đọc lại "
                                     "cho các thành viên tham dự cùng nghe, thống nhất và ký tên./.", {})]
        doc.signer = Signer((rng.choice(["CHỦ TRÌ", "CHỦ TỌA"]),), None, chair.name, None, None, False, rng.uniform(20, 28))
        doc.signer2 = Signer(("THƯ KÝ",), None, sec.name, None, None, False, doc.signer.gap_mm)
        doc.recipients = None
        doc.aux["no_signer_truth"] = True
        doc.aux["signers"] = [{"position": doc.signer2.authority[0], "name": sec.name}, {"position": doc.signer.authority[0], "name": chair.name}]
    elif kind in ("hop_dong", "ban_ghi_nho", "ban_thoa_thuan"):
        other = V.agency(rng, rng.choice(["so", "ubnd_tinh", "ubnd_huyen"])) if kind != "hop_dong" else None
        company = f"CÔNG TY {rng.choice(['TNHH', 'CỔ PHẦN', 'TNHH MTV'])} {rng.choice(['CÔNG NGHỆ', 'GIẢI PHÁP SỐ', 'LƯU TRỮ', 'THIẾT BỊ VĂN PHÒNG'])} {rng.choice(V.COMPANY_WORDS).upper()}"
        party_b = company if kind == "hop_dong" else other.agency
        rep_a, rep_b = V.person(rng, ag.province), V.person(rng, ag.province)
        if kind != "hop_dong":
            subj = f"{subject_text(rng, kind, ctx)} giữa {ag.name} và {other.name}"
            doc.title, ps = title_items(rng, kind, TITLES[kind], subj, rng.choice(["vv", "direct"]))
            doc.truth["subject"] = ps
            doc.aux["no_subject"] = True
        if rng.random() < 0.4:  # no agency header: the motto on top, the number under the type name
            num = doc.header.number
            doc.header = Header((), None, None, None, None)
            doc.title.insert(len(doc.title) - 1, ("c", f"Số: {num}", {"style": 0, "gap": 0.3}))
            doc.aux["motto_only"] = True
            doc.truth["number_symbol"] = num
            doc.truth["issue_date"] = d.isoformat()  # printed in "Hôm nay, ngày ..."
        cc = ["Căn cứ Bộ luật Dân sự ngày 24 tháng 11 năm 2015;", "Căn cứ Luật Đấu thầu ngày 23 tháng 6 năm 2023;", "Căn cứ nhu cầu và khả năng của hai bên;"]
        if kind == "hop_dong":
            P.extend(("p", c_, {"style": 2, "justify": False, "gap": 0.05}) for c_ in rng.sample(cc, 2))
        P.append(("p", f"Hôm nay, {date_words(d)}, tại {ag.name}, chúng tôi gồm có:", {}))
        P.append(("h", f"BÊN A: {ag.agency}", {}))
        P.append(("p", f"Đại diện: {_hon(rep_a.female).capitalize()} {rep_a.name} - Chức vụ: {ag.head.capitalize()}", {"indent": 0}))
        P.append(("p", f"Địa chỉ: số {rng.randint(1, 300)} đường {rng.choice(V.STREETS)}, {ag.province.short if ag.province else 'Hà Nội'}", {"indent": 0}))
        P.append(("h", f"BÊN B: {party_b}", {}))
        if kind == "hop_dong":
            P.append(("p", f"Mã số thuế: {rng.randint(1000000000, 9999999999)}", {"indent": 0}))
        P.append(("p", f"Đại diện: {_hon(rep_b.female).capitalize()} {rep_b.name} - Chức vụ: {'Giám đốc' if kind == 'hop_dong' else other.head.capitalize()}", {"indent": 0}))
        P.append(("p", f"Hai bên thống nhất ký kết {TITLES[kind].lower()} với các điều khoản sau:", {}))
        doc.stream = _article_stream(rng, ctx, subs=False)
        doc.closing = lambda: [("p", f"Điều {_last_art(doc) + 1}. {TITLES[kind].capitalize()} có hiệu lực kể từ ngày ký và được lập thành 04 bản có giá trị pháp lý "
                                     "như nhau, mỗi bên giữ 02 bản./.", {})]
        doc.signer = Signer(("ĐẠI DIỆN BÊN B",), "GIÁM ĐỐC" if kind == "hop_dong" else other.head, rep_b.name, None, None, kind == "hop_dong", rng.uniform(20, 28))
        doc.signer2 = Signer(("ĐẠI DIỆN BÊN A",), ag.head, rep_a.name, None, None, False, doc.signer.gap_mm)
        doc.recipients = None
        doc.aux["no_signer_truth"] = True
        doc.aux["signers"] = [{"position": ag.head, "name": rep_a.name}, {"position": doc.signer.position, "name": rep_b.name}]
        doc.seal_text = ""
    elif kind == "giay_uy_quyen":
        grantee = V.person(rng, ag.province)
        start = d + timedelta(days=rng.randint(0, 5))
        P.extend([("p", rng.choice(V.CAN_CU), {"style": 2, "justify": False}),
                  ("p", f"Tôi: {signer.name} - {ag.head.capitalize()} {ag.name},", {"indent": 0}),
                  ("p", f"Ủy quyền cho {_hon(grantee.female)}: {grantee.name} - Chức vụ: {rng.choice(['Phó Giám đốc', 'Phó Chủ tịch', 'Chánh Văn phòng', 'Trưởng phòng'])},", {"indent": 0}),
                  ("p", f"Nội dung ủy quyền: ký các văn bản về {ctx['topic']} thuộc thẩm quyền của {ag.head.lower()}.", {"indent": 0}),
                  ("p", f"Thời gian ủy quyền: từ {date_words(start)} đến hết {date_words(start + timedelta(days=rng.randint(30, 365)))}./.", {"indent": 0})])
        doc.stream = None
        doc.n_body = (0, 0)
        doc.signer = Signer((ag.head,), None, signer.name, None, None, True, signer.gap_mm)
        doc.signer2 = Signer(("NGƯỜI ĐƯỢC ỦY QUYỀN",), None, grantee.name, None, None, False, signer.gap_mm)
        doc.recipients = None
        doc.aux["signers"] = [{"position": "NGƯỜI ĐƯỢC ỦY QUYỀN", "name": grantee.name}]
    if doc.stream is None:
        doc.stream = iter(())


def copy_doc(rng: random.Random, seed: int, kind: str, style: Style, original_kind: str | None = None, pages: int = 1) -> Doc:
    """A copy (SAO Y / TRÍCH SAO / SAO LỤC): the copied document with the copying agency's copy form after it."""
    okind = original_kind or rng.choice(["quyet_dinh", "quyet_dinh", "cong_van", "thong_bao", "ke_hoach", "nghi_quyet", "chi_thi", "quy_dinh"])
    doc = admin_doc(rng, seed, okind, style)
    original = dict(doc.truth)
    d0 = doc.aux["date"]
    ag0 = doc.aux["agency_obj"]
    ag = V.agency(rng, rng.choice(["so", "so", "ubnd_huyen", "ubnd_xa", "ttpvhcc"]), ag0.province if rng.random() < 0.6 else None)
    when = d0 + timedelta(days=rng.randint(1, 400))
    n = rng.randint(1, 250)
    number = f"{n:02d}/{ABBR[kind]}-{ag.symbol}"
    opts = V.authorities(ag)
    auth, pos, _w = rng.choices(opts, [w for *_x, w in opts])[0]
    signer = Signer(tuple(auth), pos, V.person_name(rng, rng.random() < 0.4), None, None, True, rng.uniform(18, 24))
    rec = [rng.choice(["Như trên", f"{rng.choice(['Phòng', 'Các phòng'])} chuyên môn", "UBND các xã, phường, thị trấn", "Bộ phận một cửa"]), "Lưu: VT"]
    form = TITLES[kind] if rng.random() < 0.85 or kind != "sao_y" else "SAO Y BẢN CHÍNH"
    doc.copy_block = {"agency_lines": ag.lines, "number": number, "form": form, "place_date": place_date(ag.place, when, rng.choice([0, 0, 1])),
                      "signer": signer, "recipients": rec, "seal_text": ag.seal_text, "seal_dx_mm": rng.uniform(14, 20)}
    if kind == "trich_sao":  # an excerpt: part of the body only
        doc.preamble = [("p", "(...)", {"indent": 0, "justify": False})] + [it for it in doc.preamble if it[0] != "p" or rng.random() < 0.3]
    doc.kind = kind
    doc.max_pages = max(doc.max_pages, 3)
    doc.copy_sheet = pages >= 2 and rng.random() < 0.35  # the copy form on a sheet of its own, after the copied pages
    t = {"type": kind, "number_symbol": number, "issue_date": when.isoformat(), "place": ag.place, "agency": ag.agency}
    if ag.parent:
        t["parent_agency"] = ag.parent
    t.update(signer.truth())
    t["recipients"] = "; ".join(rec)
    doc.truth = t
    doc.aux.update({"original": original, "original_kind": okind, "copy_agency": ag, "copy_date": when, "doc_type": form, "copy_recipients": rec})
    return doc
