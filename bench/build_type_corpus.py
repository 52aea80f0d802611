"""Build the seed corpus of the document-type model: ``ingest/data/typecorpus.jsonl.gz``.

Text comes from the synthetic generator's ground truth (``bench.synthetic.document_text``, training seeds
only: the bench uses other seeds), damaged the way Tesseract's ``vie`` model damages it, so the model learns
OCR-like text and not only clean text: tone marks dropped or swapped (ầ→â/ấ, ể→ế, ổ→ố), đ→d, words merged
or split, look-alike characters (l/1/I, rn/m), stray characters from seals and signatures, the two header
columns' lines interleaved, the closing block's columns (Nơi nhận, signer) read in another order, a missing
first line, lines cut short. ``--check`` compares that damage with sohoa's own OCR of rendered pages: the real
damage is mostly tone swaps (â→ầ, ể→ế, ổ→ố) and reading-order moves in the closing block, which the light
level imitates; the heavy level is far worse than sohoa's clean-up ever produced on the bench's hard tier. Every type in ``ingest/doctypes.py`` is
represented; ``khac`` (other pages) also gets English letters, tables, receipts and Vietnamese prose without
a header. Each row: ``{"type": code, "tier": tier, "damage": level, "seed": n, "text": ...}``.

    .venv/bin/python bench/build_type_corpus.py [--per-type 80] [--out ingest/data/typecorpus.jsonl.gz]
    .venv/bin/python bench/build_type_corpus.py --check 30   # compare the damage with real OCR of rendered pages
"""

from __future__ import annotations

import argparse
import gzip
import json
import random
import sys
import time
import unicodedata
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import synthetic as syn  # noqa: E402
from ingest.doctypes import ALL  # noqa: E402

OUT = ROOT / "ingest" / "data" / "typecorpus.jsonl.gz"
TIERS = ("clean", "office", "hard")
# how hard each sample is damaged: none (a born-digital text layer), light (what sohoa's clean-up plus
# Tesseract gives: ~1 % of characters), heavy (raw Tesseract on a poor scan: ~10 %)
LEVELS = (("none", 0.15), ("light", 0.5), ("heavy", 0.35))
KHAC_FACTOR = 3

# --- OCR damage -------------------------------------------------------------------------------------------------

GRAVE, ACUTE, TILDE, HOOK, DOT = "\u0300", "\u0301", "\u0303", "\u0309", "\u0323"
TONES = (GRAVE, ACUTE, TILDE, HOOK, DOT)
# what Tesseract turns a tone mark into, most likely first (measured on sohoa's own OCR of generated pages:
# hook above read as acute dominates, then a grave or hook lost)
TONE_SWAP = {HOOK: [ACUTE, ACUTE, ACUTE, "", TILDE, GRAVE], GRAVE: ["", "", HOOK, ACUTE], ACUTE: ["", HOOK, GRAVE],
             TILDE: [HOOK, "", ACUTE], DOT: ["", "", ACUTE], "": [GRAVE, ACUTE, TILDE]}
LOOKALIKE = {"l": ["1", "I", "|"], "1": ["l", "I"], "I": ["l", "1"], "O": ["0"], "0": ["O", "o"], "o": ["0"],
             "m": ["rn"], "c": ["e"], "e": ["c"], "h": ["b", "li"], "n": ["u", "ri"], "u": ["n"], "a": ["e"], ",": ["."],
             ";": [",", ":"], ".": [","], "S": ["5"], "5": ["S"], "B": ["8"], "g": ["q"], "t": ["f"], "f": ["t"]}
STRAYS = ["_", "—", "-", "l", "I", "|", ",", ".", "'", "”", "⁄", "/", "~", "CÀ /", "Ty 7", "—2", "——", "7", ":", "x", "sổ",
          "ƒ", "J", "\\", "=", "...", "°", "ñ", "Ể", "#"]


def damage_char(ch: str, rng: random.Random, p_tone: float, p_d: float = 0.0) -> str:
    """A letter with its tone mark swapped, lost or added, as ``vie`` does; đ read as d."""
    if ch in "đĐ" and rng.random() < p_d:
        return "d" if ch == "đ" else "D"
    d = unicodedata.normalize("NFD", ch)
    if not d or not d[0].isalpha() or d[0].lower() not in "aeiouy" or rng.random() >= p_tone:
        return ch
    tone = next((m for m in d[1:] if m in TONES), "")
    other = "".join(m for m in d[1:] if m not in TONES)
    if other and rng.random() < 0.15:  # circumflex, breve or horn lost too (ơ→o, ư→u, â→a)
        other = ""
    new = rng.choice(TONE_SWAP[tone])
    return unicodedata.normalize("NFC", d[0] + other + new)


def damage_line(line: str, rng: random.Random, level: str) -> str:
    if level == "none" or not line:
        return line
    heavy = level == "heavy"
    p_tone = rng.uniform(0.04, 0.15) if heavy else rng.uniform(0.005, 0.03)
    p_look = rng.uniform(0.01, 0.04) if heavy else rng.uniform(0.0, 0.006)
    p_space = rng.uniform(0.02, 0.08) if heavy else rng.uniform(0.0, 0.01)
    out = []
    for ch in line:
        if ch == " " and rng.random() < p_space:  # two words merged
            continue
        if ch.isalpha() and rng.random() < p_space / 4:  # a word split
            out.append(" ")
        if ch in LOOKALIKE and rng.random() < p_look:
            out.append(rng.choice(LOOKALIKE[ch]))
            continue
        if rng.random() < p_look / 6:  # a character lost
            continue
        out.append(damage_char(ch, rng, p_tone, p_tone * (2 if heavy else 0.3)))
    s = "".join(out)
    if heavy and len(s) > 20 and rng.random() < 0.06:  # cut short at the margin or by a fold
        s = s[: rng.randint(len(s) // 2, len(s) - 3)]
    if rng.random() < (0.03 if heavy else 0.008):  # case misread on a whole word
        words = s.split(" ")
        i = rng.randrange(len(words))
        words[i] = words[i].capitalize() if words[i].islower() else words[i].lower()
        s = " ".join(words)
    return s


def _is_header_left(line: str) -> bool:
    letters = [c for c in line if c.isalpha()]
    return bool(letters) and sum(c.isupper() for c in letters) / len(letters) > 0.8


def damage_text(text: str, rng: random.Random, level: str) -> str:
    """The whole page as OCR might return it: line-level accidents, then character damage per line."""
    lines = [ln for ln in text.splitlines() if ln.strip()]
    if level != "none" and lines:
        heavy = level == "heavy"
        motto = next((i for i, ln in enumerate(lines[:12]) if ln.upper().startswith("CỘNG HÒA")), None)
        if motto and motto >= 2 and rng.random() < (0.35 if heavy else 0.1):
            # the two header columns read across: agency line + motto line on one line, or alternating
            left, right = lines[:motto], lines[motto:motto + 3]
            mixed = []
            for i in range(max(len(left), len(right))):
                a, b = (left[i] if i < len(left) else ""), (right[i] if i < len(right) else "")
                if rng.random() < 0.5:
                    mixed.append(f"{a} {b}".strip())
                else:
                    mixed += [x for x in (a, b) if x]
            lines = mixed + lines[motto + 3:]
        closing = next((i for i, ln in enumerate(lines) if ln.lower().startswith(("nơi nhận", "noi nhan"))), None)
        if closing is not None and rng.random() < (0.5 if heavy else 0.3):
            # the two closing columns (Nơi nhận left, signer right) read in another order, as the real OCR does
            block = lines[closing:]
            left = [ln for ln in block if ln.startswith(("-", "Nơi nhận"))]
            right = [ln for ln in block if not ln.startswith(("-", "Nơi nhận"))]
            cut = rng.randint(0, len(right))
            lines = lines[:closing] + (right[:cut] + left + right[cut:] if rng.random() < 0.6 else left[:1] + right + left[1:])
        if rng.random() < (0.15 if heavy else 0.04):  # top line lost to the scanner's edge
            lines = lines[1:]
        if heavy and rng.random() < 0.3 and len(lines) > 8:  # a line unread (under a seal, too faint)
            del lines[rng.randrange(len(lines))]
        n_strays = rng.choice([0, 0, 1, 2, 3, 5]) if heavy else rng.choice([0, 0, 0, 1, 1, 2])
        for _ in range(n_strays):  # specks, signature strokes and seal fragments read as text, mostly low on the page
            at = rng.randint(len(lines) // 2, len(lines)) if rng.random() < 0.8 else rng.randint(0, len(lines))
            lines.insert(at, rng.choice(STRAYS))
        if heavy and rng.random() < 0.2:  # a seal's ring text read in pieces
            lines.insert(rng.randint(len(lines) // 2, len(lines)), rng.choice(["ỦY BAN", "NHÂN DÂN", "* TỈNH", "SỞ TƯ", "UBND"]))
    return "\n".join(damage_line(ln, rng, level) for ln in lines)


def damage_document(text: str, rng: random.Random, level: str) -> str:
    """``damage_text`` page by page (pages separated by form feeds)."""
    return "\f".join(damage_text(page, rng, level) for page in text.split("\f"))


# --- pages the generator may not make, for "khac" ----------------------------------------------------------

EN_WORDS = ("the of and to in for is on that by this with you it not or be are from at as your all have new more an was we "
            "will home can us about if page my has search free but our one other do no information time they site he up may "
            "what which their news out use any there see only so his when contact here business who web also now help get "
            "view online first been would how were me services some these click its like service than find price date back "
            "top people had list name just over state year day into email two health world next used go work last most "
            "products music buy data make them should product system post her city add policy number such please available "
            "copyright support message after best software then jan good video well where info rights public books high "
            "school through each links she review years order very privacy book items company read group need many user said "
            "does set under general research university january mail full map reviews program life know games way days "
            "management part could great united hotel real item international center ebay must store travel comments made "
            "development report off member details line terms before hotels did send right type because local those using "
            "results office education national car design take posted internet address community within states area want "
            "phone dvd shipping reserved subject between forum family long based code show even black check special prices "
            "website index being women much sign file link open today technology south case project same pages uk version "
            "section own found sports house related security both county american photo game members power while care network "
            "down computer systems three total place end following download him without per access think north resources "
            "current posts big media law control water history pictures size art personal since including guide shop").split()
EN_OPENERS = ["Dear Sir or Madam,", "Dear Mr. {n},", "To whom it may concern,", "Dear Ms. {n},", "Hello {n},"]
EN_CLOSERS = ["Yours faithfully,", "Sincerely,", "Best regards,", "Kind regards,", "Thank you for your cooperation."]
VI_PROSE = [
    "Sáng nay trời nhiều mây, có mưa rào rải rác ở các tỉnh phía Nam, nhiệt độ cao nhất từ 30 đến 33 độ.",
    "Chợ phiên họp vào ngày rằm hằng tháng, bà con từ các xã lân cận mang nông sản đến trao đổi, mua bán.",
    "Mùa lúa năm nay được giá, nhiều hộ gia đình đã sửa sang nhà cửa và mua sắm thêm máy móc nông nghiệp.",
    "Thư viện mở cửa từ 7 giờ 30 đến 17 giờ các ngày trong tuần, trừ chủ nhật và các ngày lễ, Tết.",
    "Đội bóng của trường đã giành chức vô địch giải thiếu niên sau trận chung kết kịch tính kéo dài đến loạt sút luân lưu.",
    "Món canh chua cá lóc được nấu với me, cà chua, dứa, giá đỗ và rau ngổ, ăn kèm với cơm trắng.",
    "Con đường làng được bê tông hóa nhờ sự đóng góp của nhân dân và kinh phí hỗ trợ của địa phương.",
    "Em xin cảm ơn thầy cô đã tận tình dạy dỗ, giúp em vượt qua những ngày đầu bỡ ngỡ khi mới vào trường.",
    "Giá vàng trong nước hôm nay tăng nhẹ theo xu hướng của thị trường thế giới, trong khi đồng đô la giảm.",
    "Lễ hội diễn ra trong ba ngày với nhiều hoạt động văn hóa, thể thao, trò chơi dân gian và hội chợ ẩm thực.",
    "Người bệnh cần uống đủ nước, nghỉ ngơi hợp lý và tái khám đúng hẹn theo chỉ định của bác sĩ.",
    "Cuốn sách kể về tuổi thơ của tác giả ở một làng quê ven sông, với những kỷ niệm giản dị mà sâu sắc.",
    "Hướng dẫn sử dụng: lắc đều trước khi dùng, bảo quản nơi khô ráo, thoáng mát, tránh ánh nắng trực tiếp.",
    "Cửa hàng chúng tôi chuyên cung cấp vật liệu xây dựng, giao hàng tận nơi trong nội thành, bảo hành chu đáo.",
    "Buổi sinh hoạt câu lạc bộ tuần này sẽ bàn về kế hoạch dã ngoại và phân công chuẩn bị cho các thành viên.",
    "Dòng sông quê tôi hiền hòa chảy qua những cánh đồng lúa xanh mướt, đôi bờ rợp bóng tre làng.",
]
SURNAMES = ["Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Huỳnh", "Phan", "Vũ", "Võ", "Đặng", "Bùi", "Đỗ", "Hồ", "Ngô", "Dương", "Lý"]
MIDDLE = ["Văn", "Thị", "Hữu", "Minh", "Thanh", "Đức", "Ngọc", "Quốc", "Thu", "Xuân"]
GIVEN = ["An", "Bình", "Cường", "Dũng", "Hà", "Hạnh", "Hùng", "Lan", "Long", "Mai", "Nam", "Phương", "Quang", "Sơn", "Thảo", "Tuấn"]
PLACES = ["An Giang", "Bắc Ninh", "Cà Mau", "Đà Nẵng", "Đắk Lắk", "Hà Tĩnh", "Hải Phòng", "Khánh Hòa", "Lâm Đồng", "Nghệ An"]
STREETS = ["Trần Hưng Đạo", "Lê Lợi", "Nguyễn Huệ", "Hai Bà Trưng", "Điện Biên Phủ", "Lý Thường Kiệt", "Phan Đình Phùng"]
ADMIN_SENTENCES = [
    "Các cơ quan, đơn vị có trách nhiệm tổ chức số hóa hồ sơ, kết quả giải quyết thủ tục hành chính còn hiệu lực.",
    "Bộ phận một cửa tiếp nhận hồ sơ, kiểm tra tính đầy đủ, hợp lệ và cập nhật vào hệ thống thông tin.",
    "Trong quá trình thực hiện, nếu có khó khăn, vướng mắc, các đơn vị kịp thời phản ánh để được hướng dẫn.",
    "Kinh phí thực hiện được bố trí từ nguồn ngân sách nhà nước theo phân cấp hiện hành.",
]


def _name(rng: random.Random) -> str:
    return f"{rng.choice(SURNAMES)} {rng.choice(MIDDLE)} {rng.choice(GIVEN)}"


ITEMS = ["Gạo ST25", "Nước mắm", "Đường cát", "Dầu ăn", "Sữa tươi", "Bánh mì", "Trứng gà", "Mì gói", "Cà phê", "Xi măng",
         "Giấy A4", "Bút bi", "Mực in", "Thép phi 6", "Cát vàng", "Điện năng", "Nước sinh hoạt", "Cước Internet"]


def _en_letter(rng: random.Random) -> str:
    name = rng.choice(["Smith", "Johnson", "Brown", "Nguyen", "Tran", "Williams", "Garcia", "Miller"])
    lines = [f"{rng.randint(1, 999)} {rng.choice(['Main', 'Oak', 'Park', 'High', 'King'])} Street",
             f"{rng.choice(['London', 'Sydney', 'Toronto', 'Singapore', 'Boston'])} {rng.randint(1000, 99999)}",
             f"{rng.choice(['March', 'June', 'October', 'December'])} {rng.randint(1, 28)}, {rng.randint(2015, 2025)}",
             rng.choice(EN_OPENERS).format(n=name)]
    for _ in range(rng.randint(2, 6)):
        words = [rng.choice(EN_WORDS) for _ in range(rng.randint(30, 80))]
        para = " ".join(words).capitalize() + "."
        lines += [para[i:i + 80] for i in range(0, len(para), 80)]
    lines += [rng.choice(EN_CLOSERS), f"{rng.choice(['John', 'Mary', 'David', 'Linh', 'Anna'])} {name}"]
    return "\n".join(lines)


def _table(rng: random.Random) -> str:
    title = rng.choice(["DANH SÁCH", "BẢNG KÊ", "BẢNG TỔNG HỢP", "PHỤ LỤC", "BẢNG CHẤM CÔNG", "DANH MỤC"])
    lines = [f"{title} {rng.choice(['HỒ SƠ', 'CÁN BỘ', 'HỘ GIA ĐÌNH', 'VẬT TƯ', 'THIẾT BỊ', 'KINH PHÍ'])}" if rng.random() < 0.7 else title,
             rng.choice(["STT Họ và tên Ngày sinh Địa chỉ Ghi chú", "STT Tên hàng ĐVT Số lượng Đơn giá Thành tiền",
                         "TT Nội dung Số hồ sơ Đúng hạn Trễ hạn Tỷ lệ", "STT Mã hồ sơ Ngày nhận Ngày hẹn trả Trạng thái"])]
    for i in range(rng.randint(5, 25)):
        if rng.random() < 0.5:
            lines.append(f"{i + 1} {_name(rng)} {rng.randint(1, 28):02d}/{rng.randint(1, 12):02d}/{rng.randint(1950, 2005)} "
                         f"{rng.choice(PLACES)}")
        else:
            q, price = rng.randint(1, 500), rng.randint(5, 900) * 1000
            lines.append(f"{i + 1} {rng.choice(ITEMS)} {rng.choice(['kg', 'cái', 'bao', 'hộp', 'kWh', 'm3'])} {q} "
                         f"{price:,} {q * price:,}".replace(",", "."))
    lines.append(f"Tổng cộng {rng.randint(1, 99) * 1000000:,}".replace(",", "."))
    return "\n".join(lines)


def _receipt(rng: random.Random) -> str:
    shop = rng.choice(["CỬA HÀNG TẠP HÓA MINH ANH", "SIÊU THỊ CO.OP", "NHÀ THUỐC AN KHANG", "CÔNG TY ĐIỆN LỰC", "CẤP NƯỚC SÀI GÒN",
                       "QUÁN CƠM BÌNH DÂN", "VIETTEL", "PETROLIMEX"])
    head = rng.choice(["HÓA ĐƠN BÁN HÀNG", "PHIẾU THU", "BIÊN LAI THU TIỀN", "HÓA ĐƠN GIÁ TRỊ GIA TĂNG", "PHIẾU TÍNH TIỀN"])
    lines = [shop, f"Địa chỉ: {rng.randint(1, 300)} {rng.choice(STREETS)}", f"ĐT: 02{rng.randint(10000000, 99999999)}", head,
             f"Số: {rng.randint(1, 99999):07d}", f"Ngày {rng.randint(1, 28):02d}/{rng.randint(1, 12):02d}/{rng.randint(2018, 2025)}"]
    total = 0
    for _ in range(rng.randint(2, 12)):
        q, price = rng.randint(1, 10), rng.randint(5, 500) * 1000
        total += q * price
        lines.append(f"{rng.choice(ITEMS)} {q} x {price:,} = {q * price:,}".replace(",", "."))
    lines += [f"Tổng tiền: {total:,} đ".replace(",", "."), rng.choice(["Cảm ơn quý khách!", "Hẹn gặp lại!", "Thu ngân: " + _name(rng)])]
    return "\n".join(lines)


def _prose(rng: random.Random) -> str:
    pool = VI_PROSE + (ADMIN_SENTENCES if rng.random() < 0.4 else [])
    sentences = [rng.choice(pool) for _ in range(rng.randint(3, 12))]
    text, lines = " ".join(sentences), []
    width = rng.randint(60, 95)
    while text:
        cut = text.rfind(" ", 0, width) if len(text) > width else len(text)
        cut = cut if cut > 0 else len(text)
        lines.append(text[:cut].strip())
        text = text[cut:].strip()
    if rng.random() < 0.3:
        lines.insert(0, rng.choice(["Kỷ niệm tuổi thơ", "Bản tin nông nghiệp", "Thông tin sản phẩm", "Nhật ký", "Chương 3"]))
    return "\n".join(lines)


EXTRA_KHAC = (_en_letter, _table, _receipt, _prose)


# --- the corpus --------------------------------------------------------------------------------------------------


def _level(rng: random.Random) -> str:
    x, acc = rng.random(), 0.0
    for name, p in LEVELS:
        acc += p
        if x < acc:
            return name
    return LEVELS[-1][0]


def truth_text(seed: int, kind: str, tier: str) -> str:
    """The generator's ground truth of one document, pages separated by form feeds (text only: fast)."""
    try:
        from bench.synthetic.feed import doc_pages

        pages = doc_pages(seed, kind)  # as many pages as the bench's documents of this seed have
    except ImportError:
        pages = 1
    return syn.document_text(seed, kind, tier, pages=pages)


def samples(per_type: int, seeds=None):
    """(row dict) for every type, ``per_type`` each; khac gets the generator's and our own other pages."""
    seeds = seeds if seeds is not None else syn.TRAINING_SEEDS
    codes = [t.code for t in ALL]
    for k, code in enumerate(codes):
        # "other" is the most varied class (letters, lists, receipts, prose, plans): it gets more samples
        for i in range(per_type * (KHAC_FACTOR if code == "khac" else 1)):
            seed = seeds[(k * per_type * KHAC_FACTOR + i) % len(seeds)]
            tier = TIERS[i % 3]
            rng = random.Random(f"corpus:{code}:{seed}:{i}")
            level = _level(rng)
            if code == "khac" and i % 3 == 2:  # besides the generator's other pages, our own
                maker = EXTRA_KHAC[(i // 3) % len(EXTRA_KHAC)]
                text, source = maker(rng), maker.__name__.lstrip("_")
            else:
                text, source = truth_text(seed, code, tier), "generator"
            yield {"type": code, "tier": tier, "damage": level, "seed": seed, "source": source, "text": damage_document(text, rng, level)}


def build(out: Path, per_type: int) -> dict:
    started = time.monotonic()
    out.parent.mkdir(parents=True, exist_ok=True)
    n, counts = 0, {}
    tmp = out.with_suffix(".tmp")
    # no name or time in the gzip header: the same generator gives the same bytes
    with open(tmp, "wb") as raw, gzip.GzipFile(filename="", mode="wb", fileobj=raw, compresslevel=9, mtime=0) as gz:
        for row in samples(per_type):
            if not row["text"].strip():
                continue
            gz.write((json.dumps(row, ensure_ascii=False) + "\n").encode("utf-8"))
            n += 1
            counts[row["type"]] = counts.get(row["type"], 0) + 1
    tmp.replace(out)
    return {"samples": n, "types": len(counts), "bytes": out.stat().st_size, "seconds": round(time.monotonic() - started, 1)}


def check(count: int) -> None:
    """OCR ``count`` rendered pages with sohoa's own clean-up and Tesseract; print the damage next to ours."""
    import difflib
    import tempfile
    from collections import Counter

    import cv2
    import numpy as np

    from ingest.extract import lines_from_words
    from ocr.cleanup import clean_page
    from ocr.engine import recognize

    kinds = [t.code for t in ALL]
    seeds = syn.TRAINING_SEEDS
    real, ours, total = Counter(), Counter(), [0, 0, 0]
    for i in range(count):
        kind, tier, seed = kinds[i % len(kinds)], TIERS[i % 3], seeds[-1 - i]
        page = syn.generate_page(seed, tier, kind)
        with tempfile.TemporaryDirectory() as d:
            cp = clean_page(cv2.cvtColor(np.asarray(page.image), cv2.COLOR_RGB2BGR), page.dpi)
            cv2.imwrite(f"{d}/p.pbm", cp.ocr)
            r = recognize(Path(d) / "p.pbm", Path(d) / "p", dpi=page.dpi)
            ocr = "\n".join(ln.text for ln in lines_from_words(r.lines, 1))
        fake = damage_text(page.truth_text, random.Random(i), "light")
        for counter, text, j in ((real, ocr, 1), (ours, fake, 2)):
            sm = difflib.SequenceMatcher(None, page.truth_text, text, autojunk=False)
            for op, i1, i2, j1, j2 in sm.get_opcodes():
                if op != "equal":
                    counter[(page.truth_text[i1:i2][:12], text[j1:j2][:12])] += 1
                    total[j] += max(i2 - i1, j2 - j1)
        total[0] += len(page.truth_text)
    print(f"real OCR: {total[1] / total[0]:.2%} of characters differ; light damage: {total[2] / total[0]:.2%}")
    print("real:", real.most_common(40))
    print("ours:", ours.most_common(40))


def _lines(text: str):
    from ingest.extract import Line

    out = []
    for page_no, page in enumerate(text.split("\f"), start=1):
        out += [Line(t, page_no, (300, 60 * i, 1800, 45), 90.0) for i, t in enumerate(x for x in page.splitlines() if x.strip())]
    return out


TUNING_OFFSET = 500_000  # training seeds the corpus never uses: for tuning, so BENCH_SEEDS stay unseen


def evaluate(corpus: Path, per_type: int, threshold: float = 0.8, on: str = "bench") -> dict:
    """Train on ``corpus``; type unseen generator documents damaged at each level (``on="bench"``: BENCH_SEEDS;
    ``"tuning"``: training seeds the corpus does not use), by the rules alone, the model alone and both;
    accuracy per level and type, calibration, time."""
    from collections import Counter, defaultdict

    from ingest import typemodel
    from ingest.classify import classify
    from ingest.extract import extract

    t0 = time.monotonic()
    model = typemodel.train(typemodel.seed_corpus(corpus))
    train_s = time.monotonic() - t0
    size = len(model.to_bytes())
    seeds = syn.BENCH_SEEDS if on == "bench" else syn.TRAINING_SEEDS[TUNING_OFFSET:]
    res: dict = {"on": on, "train_seconds": round(train_s, 1), "model_bytes": size, "features": model.info["features"]}
    bins = defaultdict(lambda: [0, 0])
    by_type, confusions = defaultdict(lambda: [0, 0]), Counter()
    per_level = defaultdict(lambda: {"rules": 0, "model": 0, "both": 0, "n": 0, "confident": 0, "confident_right": 0})
    t_model = t_classify = 0.0
    n = 0
    codes = [t.code for t in ALL]
    for k, code in enumerate(codes):
        for i in range(per_type):
            seed = seeds[k * per_type + i]
            tier = TIERS[i % 3]
            rng = random.Random(f"eval:{code}:{seed}")
            level = ("none", "light", "heavy")[i % 3]
            if code == "khac" and i % 3 == 2:
                text = EXTRA_KHAC[(i // 3) % len(EXTRA_KHAC)](rng)
            else:
                text = truth_text(seed, code, tier)
            text = damage_document(text, rng, level)
            lines = _lines(text)
            fields = extract(lines)
            a = time.perf_counter()
            best = model.predict(typemodel.text_of_lines(lines), top=1)[0][0]
            b = time.perf_counter()
            c = classify(lines, fields, model)
            t_model += b - a
            t_classify += time.perf_counter() - b
            rules = classify(lines, fields)
            row = per_level[level]
            row["n"] += 1
            row["rules"] += rules.type.code == code
            row["model"] += best == code
            ok = c.type.code == code
            row["both"] += ok
            if c.confidence >= threshold:
                row["confident"] += 1
                row["confident_right"] += ok
            b = min(9, int(c.confidence * 10)) / 10 if c.confidence < 0.9 else min(0.99, int(c.confidence * 100) / 100 // 0.03 * 0.03)
            bins[b][0] += 1
            bins[b][1] += ok
            by_type[code][0] += 1
            by_type[code][1] += ok
            if not ok:
                confusions[f"{code}->{c.type.code}"] += 1
            n += 1
    res["per_level"] = {lv: {"n": r["n"], "rules": round(r["rules"] / r["n"], 4), "model": round(r["model"] / r["n"], 4),
                             "rules+model": round(r["both"] / r["n"], 4), "confident_share": round(r["confident"] / r["n"], 4),
                             "confident_accuracy": round(r["confident_right"] / max(1, r["confident"]), 4)} for lv, r in per_level.items()}
    res["calibration"] = {f">={b:.2f}": {"n": v[0], "right": round(v[1] / v[0], 4)} for b, v in sorted(bins.items())}
    hi = [v for b, v in bins.items() if b >= threshold]
    res[f"confidence>={threshold}"] = {"share": round(sum(v[0] for v in hi) / max(1, n), 4),
                                       "right": round(sum(v[1] for v in hi) / max(1, sum(v[0] for v in hi)), 4)}
    res["per_type"] = {c: round(v[1] / v[0], 4) for c, v in sorted(by_type.items()) if v[1] < v[0]}
    res["confusions"] = dict(confusions.most_common(25))
    res["ms_per_document"] = {"model": round(1000 * t_model / n, 2), "classify": round(1000 * t_classify / n, 2)}
    return res


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", type=Path, default=OUT)
    ap.add_argument("--per-type", type=int, default=80)
    ap.add_argument("--check", type=int, default=0, metavar="PAGES", help="compare the damage with real OCR of PAGES pages")
    ap.add_argument("--evaluate", type=int, default=0, metavar="N",
                    help="train on --out and measure on N unseen documents per type")
    ap.add_argument("--on", choices=["bench", "tuning"], default="bench",
                    help="evaluate on BENCH_SEEDS (report) or on training seeds the corpus does not use (tuning)")
    args = ap.parse_args(argv)
    if args.evaluate:
        print(json.dumps(evaluate(args.out, args.evaluate, on=args.on), indent=1, ensure_ascii=False))
        return 0
    if args.check:
        check(args.check)
        return 0
    print(json.dumps(build(args.out, args.per_type)))
    if args.out == OUT:  # the shipped seed model must be the one trained on the shipped corpus
        from ingest.typemodel import build_seed_model

        print(f"wrote {build_seed_model()}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
