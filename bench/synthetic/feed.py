"""Separator sheets, scanner feeds of whole dossiers, and corpora for training and benches."""

from __future__ import annotations

import json
import random
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, Iterator, Sequence

import numpy as np
from PIL import Image

from . import vocab as V
from .canvas import Layout, Style, render
from .core import KINDS, TIERS, SyntheticPage, _family, _render_doc, _stable_int, blank_page, lay_out, max_pages, write_scan
from .ink import code128_modules, degrade, draw_code, qr_matrix, tint_print

# Seeds: a bench must never see a document a model was trained or tuned on. Train on TRAINING_SEEDS, bench on
# BENCH_SEEDS; the two ranges are far apart, and documents inside feeds get seeds derived injectively from the
# feed's seed in a third range (FEED_DOC_BASE + 64 * feed seed + position), so they cannot meet either.
TRAINING_SEEDS = range(0, 1_000_000)
BENCH_SEEDS = range(1_000_000_000, 1_000_100_000)
FEED_DOC_BASE = 10**12

PATCH_T = "PATCHT"  # the generic separator marker (a "patch T" sheet); it splits documents but opens no dossier
PAPERS = {"white": None, "yellow": (250, 242, 175), "pink": (250, 218, 226), "green": (214, 240, 212), "blue": (212, 228, 250), "grey": (226, 226, 222)}
PRINTS = {"black": (0, 0, 0), "grey": (110, 110, 110), "light grey": (150, 150, 150), "blue": (40, 90, 200), "light blue": (110, 160, 225),
          "pale blue": (160, 195, 240)}


# --- separator sheets ------------------------------------------------------------------------------------------------


def separator_layout(seed: int, tier: str, code: str | None) -> tuple[Layout, dict]:
    """Where the code and the lines of a separator sheet go (on the 300 dpi grid) and what it encodes."""
    rng = random.Random(f"sep:{seed}:{tier}")
    payload = code if code is not None else (V.dossier_code(rng) if rng.random() < 0.7 else PATCH_T)
    c = Layout(Style.draw(rng, _family(rng)))
    mm = c.mm
    size = mm(rng.uniform(12, 40) if tier != "hard" else rng.choice([rng.uniform(12, 20), rng.uniform(12, 40)]))
    design = rng.choices(["titled", "labelled", "bare", "barcode", "framed"], [3, 3, 2, 2, 2])[0]
    info = {"code": payload, "design": design, "qr_size_mm": round(size / mm(1), 1), "barcode": False}
    title = "TỜ PHÂN CÁCH HỒ SƠ" if payload != PATCH_T else rng.choice(["TỜ PHÂN CÁCH", "TỜ PHÂN CÁCH HỒ SƠ", "PATCH T"])
    human = payload if payload != PATCH_T else "PATCH T"
    cx = c.w / 2
    if design in ("titled", "framed"):
        y = mm(rng.uniform(30, 110))
        if design == "framed":
            c.line(mm(12), mm(12), c.w - mm(12), mm(12), 3, dash=mm(3))
            c.line(mm(12), c.h - mm(12), c.w - mm(12), c.h - mm(12), 3, dash=mm(3))
            c.line(mm(12), mm(12), mm(12), c.h - mm(12), 3, dash=mm(3))
            c.line(c.w - mm(12), mm(12), c.w - mm(12), c.h - mm(12), 3, dash=mm(3))
        y += c.centred("sep", cx, y, title, rng.choice([16, 20, 24]), 1)
        if rng.random() < 0.5:
            y += c.centred("sep", cx, y, rng.choice(["Đặt tờ này lên trên mỗi hồ sơ khi quét", "Separator sheet - do not remove", "Không ghi, vẽ lên tờ này"]), 12, 2)
        y += mm(rng.uniform(6, 30))
        x = cx - size / 2 + mm(rng.uniform(-40, 40))
        x = min(max(mm(12), x), c.w - size - mm(12))
        qy = y
        y += size + mm(4)
        c.centred("sep", x + size / 2, y, human, rng.choice([11, 12, 14]), rng.choice([0, 1]))
        y += mm(10)
    else:
        x = mm(rng.uniform(12, 210 - 12)) - size * rng.random()
        x = min(max(mm(12), x), c.w - size - mm(12))
        qy = mm(rng.uniform(12, 297 - 30)) - size * rng.random()
        qy = min(max(mm(12), qy), c.h - size - mm(25))
        y = qy + size + mm(3)
        if design != "bare":
            c.centred("sep", x + size / 2, y, human, rng.choice([9, 10, 12]), 0)
            y += mm(6)
            if design == "labelled" and rng.random() < 0.6 and title != human:
                c.centred("sep", x + size / 2, y, title, 10, 1)
                y += mm(6)
    c.mark("qr", (payload, x, qy, size))
    info["qr_box_mm"] = [round(v / mm(1), 1) for v in (x, qy, x + size, qy + size)]
    if design == "barcode" or (design in ("titled", "framed") and rng.random() < 0.35):
        mods = code128_modules(payload)
        mw = mm(rng.uniform(0.25, 0.4))
        bw, bh = len(mods) * mw, mm(rng.uniform(8, 15))
        if bw > c.w - mm(30):
            mw = (c.w - mm(30)) / len(mods)
            bw = len(mods) * mw
        bx = min(max(mm(15), x + size / 2 - bw / 2), c.w - bw - mm(15))
        by = min(y + mm(4), c.h - bh - mm(20))
        if by < qy + size + mm(2) and by + bh > qy:  # no room under the code: above it
            by = max(mm(15), qy - bh - mm(8))
        c.mark("bar", (payload, bx, by, bw, bh))
        info["barcode"] = True
        info["barcode_box_mm"] = [round(v / mm(1), 1) for v in (bx, by, bx + bw, by + bh)]
    return c, info


def generate_separator(seed: int, tier: str = "office", code: str | None = None, dpi: int = 300) -> SyntheticPage:
    """A separator sheet: mostly empty, with a QR code of ``code`` (a dossier code ``<agency id>-YYMMDD-NNNN``
    or ``PATCHT``; drawn at random when None), sometimes a Code 128 of the same payload and a human-readable line.

    Varied the way real separators get missed: 12-40 mm codes anywhere on the sheet, grey or light-blue print,
    faded toner, tinted paper, the scanner's JPEG, the page skew of the tier (up to ±10° in the hard tier) and
    90/180/270° turns in the hard tier. A clean-tier sheet always decodes. meta: ``{"type": "separator", "code": payload}``.
    """
    if tier not in TIERS:
        raise ValueError(f"tier must be one of {TIERS}")
    c, info = separator_layout(seed, tier, code)
    rng = random.Random(f"seprender:{seed}:{tier}")
    nrng = np.random.default_rng(_stable_int("sep", seed, tier, dpi))
    if tier == "clean":
        print_name, paper_name, jpeg, ink = "black", "white", None, 1.0
    elif tier == "office":
        print_name = rng.choices(["black", "grey", "blue", "light blue"], [5, 2, 1, 2])[0]
        paper_name = rng.choices(list(PAPERS), [6, 1, 1, 1, 1, 1])[0]
        jpeg = rng.randint(55, 85) if rng.random() < 0.5 else None
        ink = rng.uniform(0.85, 1.0)
    else:
        print_name = rng.choices(["black", "grey", "light grey", "blue", "light blue", "pale blue"], [2, 2, 2, 1, 3, 1])[0]
        paper_name = rng.choices(list(PAPERS), [3, 2, 2, 2, 2, 1])[0]
        jpeg = rng.randint(30, 70) if rng.random() < 0.7 else None
        ink = rng.uniform(0.5, 1.0)
    colour = PRINTS[print_name]
    s = dpi / 300
    grey = np.asarray(render(c, dpi))
    rgb = tint_print(grey, colour)
    for payload, x, y, size in c.marks.get("qr", []):
        draw_code(rgb, qr_matrix(payload, rng.choice("lmqh") if tier != "clean" else "m"), x * s, y * s, size * s, size * s, colour)
    for payload, x, y, bw, bh in c.marks.get("bar", []):
        draw_code(rgb, code128_modules(payload), x * s, y * s, bw * s, bh * s, colour)
    out, skew, rot = degrade(rgb, tier, rng, nrng, dpi, paper=PAPERS[paper_name], jpeg=jpeg, ink=ink)
    meta = {"type": "separator", **info, "seed": seed, "print": print_name, "paper": paper_name, "jpeg_quality": jpeg}
    return SyntheticPage(Image.fromarray(out), dpi, c.truth(), "separator", tier, rot, skew, meta)


# --- feeds --------------------------------------------------------------------------------------------------------------


@dataclass
class Feed:
    """What a sheet-fed scanner delivers for a stack of dossiers, with the truth of how it splits.

    ``pages`` is the scanner's order. Every other field uses COLLATED page numbers (1-based): the order of the
    sides as they lie in the stack, front then back of each sheet. Without duplex the two orders are the same.
    ``order[k]`` is the 0-based index in ``pages`` of collated page ``k + 1``; ``collated()`` applies it.
    ``truth`` lists the documents in stack order: ``{"pages": [collated numbers], "type": code, "fields": {...},
    "dossier": dossier code or None, "kind", "seed", "double_sided"}``. ``blank_pages`` are the blank sides (blank
    backs, blank separator sheets and the backs of separator sheets); ``separator_pages`` the fronts of separator
    sheets (QR ones and blank ones, so a blank separator is in both lists); ``separators`` gives each one's
    ``{"page", "code"}`` (code None for a blank sheet). Every other page belongs to exactly one document.
    """

    pages: list[SyntheticPage]
    truth: list[dict]
    blank_pages: list[int]
    separator_pages: list[int]
    duplex: bool = False
    order: list[int] = field(default_factory=list)
    separators: list[dict] = field(default_factory=list)
    seed: int = 0
    tier: str = "office"

    def collated(self) -> list[SyntheticPage]:
        return [self.pages[i] for i in self.order]

    def as_json(self) -> dict:
        return {"seed": self.seed, "tier": self.tier, "duplex": self.duplex, "page_count": len(self.pages),
                "order": [i + 1 for i in self.order], "documents": self.truth, "blank_pages": self.blank_pages,
                "separator_pages": self.separator_pages, "separators": self.separators}


FEED_KIND_WEIGHTS = {"don_de_nghi": 4, "to_khai": 3, "can_cuoc": 4, "giay_chung_nhan": 3, "giay_phep": 2, "khac": 2, "quyet_dinh": 3, "cong_van": 3,
                     "sao_y": 2, "giay_uy_quyen": 2, "bien_ban": 2, "to_trinh": 2}


def collate_duplex(pages: Sequence) -> list:
    """Restore stack order from a simplex double pass: all fronts in order, then all backs in reverse order."""
    n = len(pages)
    if n % 2:
        raise ValueError("a double pass has as many backs as fronts")
    fronts, backs = pages[: n // 2], pages[n // 2 :][::-1]
    return [p for pair in zip(fronts, backs) for p in pair]


def generate_feed(seed: int, tier: str = "office", documents: int | tuple[int, int] = (5, 10), dpi: int = 300, separators: str = "mixed",
                  blank_backs: bool = True, duplex: bool = False) -> Feed:
    """A scanner feed of ``documents`` documents (1-4 pages each, mixed kinds) as one batch.

    ``separators``: "none" (documents only; split by content), "blank" (a blank sheet before each document
    after the first), "qr" (a QR separator before every document: a dossier code opens a dossier, PATCHT only
    splits), "mixed" (any of these, and sometimes nothing). Documents after a dossier separator belong to that
    dossier until the next dossier separator. ``blank_backs`` adds blank back sides after some sheets (their
    print showing through faintly).

    ``duplex=True`` is what a simplex feeder gives for a double-sided stack scanned in two passes: every sheet
    has a back (printed double-sided documents put page 2 on the back of page 1; other backs are blank), and
    ``pages`` holds all front sides in stack order followed by all back sides in REVERSE order (the stack turned
    over). Interleave to restore it: collated = front 1, back 1, front 2, back 2, ... i.e. ``collate_duplex(pages)``
    or ``feed.collated()``; truth page numbers refer to that collated order.
    """
    if separators not in ("mixed", "none", "qr", "blank"):
        raise ValueError("separators is one of mixed, none, qr, blank")
    rng = random.Random(f"feed:{seed}:{tier}:{separators}:{int(blank_backs)}:{int(duplex)}")
    n_docs = documents if isinstance(documents, int) else rng.randint(*documents)
    if n_docs > 64:
        raise ValueError("at most 64 documents per feed")
    kinds = list(KINDS)
    weights = [FEED_KIND_WEIGHTS.get(k, 1) for k in kinds]
    sheets: list[dict] = []  # {"front": side, "back": side | None}; side = (role, page, layout)
    docs: list[dict] = []
    seps: list[tuple[int, str | None]] = []  # (sheet index, code)
    dossier = None
    sub = 0

    def sub_seed() -> int:
        nonlocal sub
        sub += 1
        return FEED_DOC_BASE + 64 * 64 * seed + 64 * 64 + sub  # blanks and separators: beside the documents' range

    for i in range(n_docs):
        if separators == "qr":
            what = "dossier" if i == 0 or rng.random() < 0.5 else "patch"
        elif separators == "blank":
            what = "blank" if i > 0 else None
        elif separators == "mixed":
            what = rng.choices(["dossier", "patch", "blank", None], [35, 15, 20, 30])[0]
        else:
            what = None
        if what in ("dossier", "patch"):
            code = V.dossier_code(rng) if what == "dossier" else PATCH_T
            if what == "dossier":
                dossier = code
            sp = generate_separator(sub_seed(), tier, code, dpi)
            seps.append((len(sheets), code))
            sheets.append({"front": ("sep", sp, None), "back": "blank" if duplex or (blank_backs and rng.random() < 0.15) else None})
        elif what == "blank":
            bp = blank_page(sub_seed(), tier, dpi)
            bp.meta["role"] = "separator"
            seps.append((len(sheets), None))
            sheets.append({"front": ("blanksep", bp, None), "back": "blank" if duplex else None})
        kind = rng.choices(kinds, weights)[0]
        n_pages = min(rng.choices([1, 2, 3, 4], [45, 30, 15, 10])[0], max_pages(kind))
        doc_seed = FEED_DOC_BASE + 64 * seed + i
        doc, layouts, truth = lay_out(doc_seed, kind, n_pages)
        pages = _render_doc(doc, layouts, truth, doc_seed, tier, dpi)
        double = duplex and n_pages > 1 and rng.random() < 0.5
        entry = {"type": kind, "fields": truth, "dossier": dossier, "kind": kind, "seed": doc_seed, "double_sided": double, "_sides": []}
        docs.append(entry)
        k = 0
        while k < n_pages:
            front = ("doc", pages[k], layouts[k], len(docs) - 1)
            back = None
            if double and k + 1 < n_pages:
                back = ("doc", pages[k + 1], layouts[k + 1], len(docs) - 1)
                k += 2
            else:
                k += 1
                if duplex or (blank_backs and rng.random() < 0.2):
                    back = "blank"
            sheets.append({"front": front, "back": back})
    # sides in stack (collated) order
    collated: list[tuple] = []
    fronts, backs = [], []
    for si, sh in enumerate(sheets):
        fr = sh["front"]
        collated.append(fr)
        fronts.append(len(collated) - 1)
        bk = sh["back"]
        if bk == "blank":
            lay = fr[2] if fr[0] == "doc" else None
            bk = ("blank", blank_page(sub_seed(), tier, dpi, front=lay), None)
        if bk is not None:
            collated.append(bk)
            backs.append(len(collated) - 1)
        elif duplex:
            raise AssertionError("every sheet has a back in duplex")
    if duplex:
        order_feed = fronts + backs[::-1]  # feed position -> collated index
        feed_pages = [collated[j][1] for j in order_feed]
        order = [0] * len(collated)
        for pos, j in enumerate(order_feed):
            order[j] = pos
    else:
        feed_pages = [side[1] for side in collated]
        order = list(range(len(collated)))
    blank_pages, separator_pages, sep_info = [], [], []
    sheet_first = {}
    n = 0
    for si, sh in enumerate(sheets):
        sheet_first[si] = n + 1
        n += 1 + (sh["back"] is not None)
    for idx, side in enumerate(collated, start=1):
        role = side[0]
        if role == "doc":
            docs[side[3]]["_sides"].append(idx)
        elif role in ("blank", "blanksep"):
            blank_pages.append(idx)
        if role in ("sep", "blanksep"):
            separator_pages.append(idx)
    for si, code in seps:
        sep_info.append({"page": sheet_first[si], "code": code})
    truth_docs = []
    for e in docs:
        sides = e.pop("_sides")
        truth_docs.append({"pages": sides, **e})
    return Feed(feed_pages, truth_docs, blank_pages, separator_pages, duplex, order, sep_info, seed, tier)


def write_feed(feed: Feed, path: Path, fmt: str | None = None) -> tuple[Path, Path]:
    """Write the feed as the scanner delivered it (multi-page PDF or TIFF) and ``<stem>.truth.json`` beside it."""
    path = Path(path)
    fmt = (fmt or path.suffix.lstrip(".")).lower()
    if fmt not in ("pdf", "tif", "tiff"):
        raise ValueError("a feed is written as a multi-page PDF or TIFF")
    scan = write_scan(feed.pages, path, fmt)
    truth = path.with_name(path.stem + ".truth.json")
    truth.write_text(json.dumps(feed.as_json(), ensure_ascii=False, indent=1), encoding="utf-8")
    return scan, truth


# --- corpora ---------------------------------------------------------------------------------------------------------------


def doc_pages(seed: int, kind: str) -> int:
    """How many pages document ``seed`` has in a corpus (1-3, most often 1)."""
    rng = random.Random(f"pages:{seed}")
    return min(rng.choices([1, 2, 3], [60, 28, 12])[0], max_pages(kind), 1 if kind == "can_cuoc" and rng.random() < 0.7 else 9)


def _cycle(seeds: Iterable[int], tiers, kinds):
    kinds = list(kinds or KINDS)
    tiers = [tiers] if isinstance(tiers, str) else list(tiers)
    for i, seed in enumerate(seeds):
        yield seed, kinds[i % len(kinds)], tiers[(i + i // len(kinds)) % len(tiers)]


def iter_documents(seeds: Iterable[int], tiers: str | Sequence[str] = TIERS, kinds: Sequence[str] | None = None, dpi: int = 300,
                   pages: int | None = None) -> Iterator[tuple[list[SyntheticPage], dict]]:
    """Rendered documents cycling over ``kinds`` (all document kinds by default) so each appears about equally
    often, and over ``tiers``; yields ``(pages, truth)`` with truth ``{"type", "fields", "kind", "seed", "tier", "pages"}``.
    Kinds "separator" and "blank" give single sheets."""
    from .core import generate_document, generate_page

    for seed, kind, tier in _cycle(seeds, tiers, kinds):
        if kind in ("separator", "blank"):
            page = generate_page(seed, tier, kind, dpi)
            yield [page], {"type": kind, "fields": {"type": kind, **({"code": page.meta["code"]} if kind == "separator" else {})},
                           "kind": kind, "seed": seed, "tier": tier, "pages": 1}
            continue
        n = pages or doc_pages(seed, kind)
        docs = generate_document(seed, tier, n, dpi, kind)
        yield docs, {"type": kind, "fields": docs[0].fields, "kind": kind, "seed": seed, "tier": tier, "pages": n}


def iter_document_texts(seeds: Iterable[int], kinds: Sequence[str] | None = None, pages: int | None = None) -> Iterator[tuple[str, dict]]:
    """Like :func:`iter_documents` without any rendering: ``(text, truth)`` with pages joined by form feeds."""
    for seed, kind, _tier in _cycle(seeds, TIERS, kinds):
        n = pages or doc_pages(seed, kind)
        _doc, layouts, truth = lay_out(seed, kind, n)
        yield "\f".join(c.truth() for c in layouts), {"type": kind, "fields": truth, "kind": kind, "seed": seed, "pages": n}
