"""Documents and pages: kinds, building, pagination, rendering, writing scans."""

from __future__ import annotations

import dataclasses
import hashlib
import io
import random
from dataclasses import dataclass, field
from pathlib import Path

import cv2
import numpy as np
from PIL import Image

from . import vocab as V
from .admin import ADMINISTRATIVE, COPIES, MAX_PAGES as ADMIN_MAX, admin_doc, copy_doc
from .canvas import FAMILIES, Layout, Style, available_families, render
from .forms import CITIZEN, MAX_PAGES as FORM_MAX, can_cuoc_doc, don_doc, gcn_doc, gp_doc, khac_doc, to_khai_doc, _slug
from .ink import degrade, draw_code, photocopy, qr_matrix, seal, signature
from .layout import Doc, paginate

TIERS = ("clean", "office", "hard")
ADMIN_KINDS = tuple(ADMINISTRATIVE)
COPY_KINDS = tuple(COPIES)
CITIZEN_KINDS = tuple(CITIZEN) + ("khac",)
KINDS = ADMIN_KINDS + COPY_KINDS + CITIZEN_KINDS  # every code of ingest/doctypes.py
PAGE_KINDS = ("blank", "separator")  # accepted by generate_page besides the document kinds

# The truth keys, named as the extractor names its fields (ingest/extract.py), plus the type.
TRUTH_KEYS = ("type", "number_symbol", "issue_date", "place", "agency", "parent_agency", "subject", "signing_authority", "signer_position",
              "signer_name", "recipients", "full_name", "date_of_birth", "personal_id", "address", "certificate_number", "certificate_date")


def max_pages(kind: str) -> int:
    if kind in ADMIN_MAX:
        return ADMIN_MAX[kind]
    if kind in FORM_MAX:
        return FORM_MAX[kind]
    return 6


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

    @property
    def fields(self) -> dict:
        """The document's truth fields (the extractor's names) printed on it, with its ``type``."""
        return {k: self.meta[k] for k in TRUTH_KEYS if self.meta.get(k) is not None}


def _stable_int(*parts) -> int:
    return int.from_bytes(hashlib.sha256(repr(parts).encode()).digest()[:4], "big")


def _family(rng: random.Random) -> str:
    fams = available_families()
    return rng.choices(fams, weights=[FAMILIES[f][1] for f in fams])[0]


def pick_kind(seed: int, pages: int = 1) -> str:
    """The kind a seed gets when none is asked for (the same for a page and a one-page document)."""
    rng = random.Random(f"kind:{seed}")
    candidates = [k for k in KINDS if max_pages(k) >= pages and (pages == 1 or k != "can_cuoc")]
    return rng.choice(candidates)


def build(seed: int, kind: str, qr: bool | None = None, pages: int = 1) -> Doc:
    """The content of document ``seed`` of ``kind``: the same in every tier and at every resolution."""
    if kind not in KINDS:
        raise ValueError(f"unknown kind {kind!r}; one of {KINDS + PAGE_KINDS}")
    rng = random.Random(f"doc:{seed}:{kind}")
    family = _family(rng)
    style = Style.draw(rng, family)
    if kind in COPY_KINDS:
        doc = copy_doc(rng, seed, kind, style, pages=pages)
    elif kind in ADMIN_KINDS:
        doc = admin_doc(rng, seed, kind, style)
    elif kind == "don_de_nghi":
        doc = don_doc(rng, seed, style)
    elif kind == "to_khai":
        doc = to_khai_doc(rng, seed, style)
    elif kind == "giay_chung_nhan":
        doc = gcn_doc(rng, seed, style, qr)
    elif kind == "giay_phep":
        doc = gp_doc(rng, seed, style, qr)
    elif kind == "can_cuoc":
        doc = can_cuoc_doc(rng, seed, style, qr)
    else:
        doc = khac_doc(rng, seed, style, qr, pages)
    if qr is False:
        doc.qr = None
        doc.aux.pop("qr", None)
    elif qr and doc.qr is None and not doc.aux.get("qr"):  # a verification code in a corner, e.g. of an e-document printed out
        qrng = random.Random(f"qr:{seed}:{kind}")
        key = doc.truth.get("number_symbol") or f"{qrng.randint(10**7, 10**8 - 1)}"
        prov = doc.aux.get("province") or qrng.choice(V.PROVINCE_NAMES)
        payload = qrng.choice([f"https://vanban.{_slug(prov)}.gov.vn/xac-thuc?so={key}", f"https://dichvucong.gov.vn/tra-cuu?ma={V.dossier_code(qrng)}",
                               f"VBDT|{key}|{doc.truth.get('issue_date', '')}"])
        doc.qr = (payload, qrng.choice(["top-left", "top-right", "bottom-left", "bottom-right"]), qrng.uniform(15, 20))
        doc.aux["qr"] = payload
    if doc.qr:
        size = doc.qr[2]
        if doc.qr[1].startswith("top"):
            doc.style = dataclasses.replace(doc.style, top_mm=max(doc.style.top_mm, size + 9))
        elif doc.qr[1].startswith("bottom"):
            doc.style = dataclasses.replace(doc.style, bottom_mm=max(doc.style.bottom_mm, size + 10))
    doc.aux["family"] = doc.style.family
    return doc


def lay_out(seed: int, kind: str, pages: int = 1, qr: bool | None = None) -> tuple[Doc, list[Layout], dict]:
    """Build and paginate a document; returns (doc, page layouts, truth fields)."""
    doc = build(seed, kind, qr, pages)
    layouts = paginate(doc, pages)
    truth = dict(doc.truth)
    if doc.recipients and "recipients" not in truth and not doc.copy_block:
        truth["recipients"] = "; ".join(doc.recipients)
    if doc.copy_block:
        orig = dict(doc.aux.get("original", {}))
        if doc.recipients:
            orig["recipients"] = "; ".join(doc.recipients)
        doc.aux["original"] = orig
    fin = doc.aux.get("finalize")
    if fin:
        fin(pages, truth)
    truth = {k: V.nfc(v) if isinstance(v, str) else v for k, v in truth.items() if v is not None}
    return doc, layouts, truth


def _meta(doc: Doc, truth: dict, seed: int, page_no: int, pages: int) -> dict:
    aux = doc.aux
    signer = doc.signer
    meta = {
        **truth,
        # names kept from the first generator, for existing tests and benches
        "number": truth.get("number_symbol"),
        "signer": truth.get("signer_name") or (signer.name if signer else None),
        "citizen": aux["citizen"].name if aux.get("citizen") else None,
        "authority": (signer.authority[0] if signer and signer.authority else "", signer.position or "") if signer else None,
        "province": aux.get("province", ""),
        "issuer": aux.get("issuer"),
        "doc_type": aux.get("doc_type", ""),
        "seed": seed, "font": aux.get("family"), "body_pt": doc.style.body_pt, "page": page_no, "pages": pages,
    }
    if "date" in aux:
        d = aux["copy_date"] if doc.copy_block else aux["date"]
        meta.update({"day": d.day, "month": d.month, "year": d.year})
    for k in ("qr", "original", "original_kind", "signers", "variant", "dossier_code", "card_issue_date", "book_number", "form_no"):
        if k in aux:
            meta[k] = aux[k]
    if doc.copy_sheet:
        meta["copy_sheet"] = True
    return meta


def render_layout(c: Layout, dpi: int, tier: str, rng: random.Random, nrng: np.random.Generator, photocopied: bool = False,
                  ink_prob: float = 0.5) -> tuple[np.ndarray, float, int, bool, bool]:
    """Pixels of a laid-out page: print, coloured ink (signatures, seals, codes), copier and scanner."""
    grey = render(c, dpi)
    rgb = cv2.cvtColor(np.asarray(grey), cv2.COLOR_GRAY2RGB)
    s = dpi / 300
    has_sig = has_seal = False
    sign = tier != "clean" or rng.random() < ink_prob
    for box in c.marks.get("sig", []):
        if sign:
            signature(rgb, [v * s for v in box], dpi, rng)
            has_sig = True
    stamp = tier != "clean" or rng.random() < ink_prob
    for centre, text in c.marks.get("seal", []):
        if stamp and text:
            seal(rgb, (centre[0] * s, centre[1] * s), dpi, rng, text)
            has_seal = True
    for payload, x, y, size in c.marks.get("qr", []):
        draw_code(rgb, qr_matrix(payload, "m"), x * s, y * s, size * s, size * s, (0, 0, 0))
    if photocopied:
        rgb = photocopy(rgb, rng, nrng, [[v * s for v in box] for box in c.marks.get("card", [])], dpi)
    out, skew, rot = degrade(rgb, tier, rng, nrng, dpi)
    return out, skew, rot, has_sig, has_seal


def _render_doc(doc: Doc, layouts: list[Layout], truth: dict, seed: int, tier: str, dpi: int) -> list[SyntheticPage]:
    if tier not in TIERS:
        raise ValueError(f"tier must be one of {TIERS}")
    out = []
    pages = len(layouts)
    for n, c in enumerate(layouts, start=1):
        rng = random.Random(f"render:{seed}:{tier}:{doc.kind}:{n}")
        nrng = np.random.default_rng(_stable_int(seed, n, tier, doc.kind, dpi))
        img, skew, rot, has_sig, has_seal = render_layout(c, dpi, tier, rng, nrng, bool(doc.aux.get("photocopy")))
        meta = _meta(doc, truth, seed, n, pages)
        meta.update({"has_signature": has_sig, "has_seal": has_seal})
        out.append(SyntheticPage(Image.fromarray(img), dpi, c.truth(), doc.kind if n == 1 else "continuation", tier, rot, skew, meta))
    return out


def blank_page(seed: int, tier: str = "office", dpi: int = 300, front: Layout | None = None) -> SyntheticPage:
    """A blank back side; the other side's print often shows through faintly (mirrored)."""
    rng = random.Random(f"blank:{seed}:{tier}")
    nrng = np.random.default_rng(_stable_int(seed, "blank", tier, dpi))
    from .canvas import page_size

    w, h = page_size(dpi)
    rgb = np.full((h, w, 3), 255, np.uint8)
    bleed = None
    if rng.random() < 0.6:
        if front is None:
            _doc, lays, _t = lay_out(3 * 10**12 + _stable_int("bleed", seed), rng.choice(["thong_bao", "cong_van", "quyet_dinh", "ke_hoach"]))
            front = lays[0]
        bleed = np.asarray(render(front, dpi))
    out, skew, _rot = degrade(rgb, tier if tier != "clean" else "office", rng, nrng, dpi, bleed=bleed, allow_rotation=False)
    return SyntheticPage(Image.fromarray(out), dpi, "", "blank", tier, 0, skew, {"type": "blank", "seed": seed, "font": None})


def generate_page(seed: int, tier: str = "office", kind: str | None = None, dpi: int = 300, qr: bool | None = None) -> SyntheticPage:
    """One complete single-page document of ``kind`` (a doctype code; random when None), a blank back side
    (``kind="blank"``) or a separator sheet (``kind="separator"``).

    ``qr=True`` prints a QR code that is NOT a separator (a verification link, an ID card's chip code, a dossier
    receipt's code) and puts its payload in ``meta["qr"]``; ``qr=False`` never prints one; None lets the kind decide.
    """
    if tier not in TIERS:
        raise ValueError(f"tier must be one of {TIERS}")
    if kind == "blank":
        return blank_page(seed, tier, dpi)
    if kind == "separator":
        from .feed import generate_separator

        return generate_separator(seed, tier, None, dpi)
    kind = kind or pick_kind(seed, 1)
    doc, layouts, truth = lay_out(seed, kind, 1, qr)
    return _render_doc(doc, layouts, truth, seed, tier, dpi)[0]


def generate_document(seed: int, tier: str = "office", pages: int = 2, dpi: int = 300, kind: str | None = None, qr: bool | None = None) -> list[SyntheticPage]:
    """A multi-page document: header on page 1, numbered continuation pages with body text, signer on the last."""
    if tier not in TIERS:
        raise ValueError(f"tier must be one of {TIERS}")
    kind = kind or pick_kind(seed, pages)
    doc, layouts, truth = lay_out(seed, kind, pages, qr)
    return _render_doc(doc, layouts, truth, seed, tier, dpi)


def document_text(seed: int, kind: str | None = None, tier: str = "office", pages: int = 1, qr: bool | None = None) -> str:
    """The ground-truth text of document ``seed`` without rendering a pixel (pages separated by form feeds).

    Equal to ``generate_document(seed, tier, pages, kind=kind)``'s truth texts joined by "\\f" (for one page:
    ``generate_page(seed, tier, kind).truth_text``). Content does not depend on the tier or the resolution.
    """
    if kind in PAGE_KINDS:
        if kind == "blank":
            return ""
        from .feed import separator_layout

        return separator_layout(seed, tier, None)[0].truth()
    kind = kind or pick_kind(seed, pages)
    _doc, layouts, _truth = lay_out(seed, kind, pages, qr)
    return "\f".join(c.truth() for c in layouts)


def document_truth(seed: int, kind: str | None = None, pages: int = 1, qr: bool | None = None) -> dict:
    """The truth fields of document ``seed`` (what ``page.fields`` holds), without rendering."""
    kind = kind or pick_kind(seed, pages)
    return lay_out(seed, kind, pages, qr)[2]


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
            xobj = pikepdf.Stream(pdf, buf.getvalue(), Type=pikepdf.Name.XObject, Subtype=pikepdf.Name.Image, Width=img.width, Height=img.height,
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
