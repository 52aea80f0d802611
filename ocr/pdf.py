"""One PDF per document: each page shows its colour scan at 100 % scale, with Tesseract's invisible text on top.

Like OCRmyPDF, Tesseract never rasterises our page: its text-only PDF (``textonly_pdf=1``) is grafted as a
Form XObject over our own JPEG, stretched to the page box, so selection, copy and search line up with the
words whatever resolution the OCR image was declared at. JPEGs are embedded as written (DCTDecode, no
re-encoding). PDF/A-2b adds XMP identification and an sRGB output intent, all done with pikepdf.

Memory stays flat for long documents: the JPEGs are written to a skeleton PDF on disk first, and qpdf
copies them from there while it writes the result (see build_pdf).
"""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import cv2
import numpy as np
import pikepdf
from pikepdf import Array, Dictionary, Name

# Measured on the bench's synthetic A4 scans (clean/office/hard, 300 dpi brought down to 200), progressive,
# 4:2:0: q40 175 KB median a page, q50 202, q60 234 (worst 312), q70 296, q75 339 (worst 449), q85 502.
# Tesseract reads the q40..q75 images equally well; at 60 strokes and diacritics stay clean (no visible
# ringing at 3× zoom), and a dense text page under σ 8 white noise still lands at ~440 KB.
JPEG_QUALITY = 60
MIN_JPEG_QUALITY = 45  # floor when a very noisy page is brought under the size budget
MAX_KB_PER_A4 = 480  # size budget, scaled by the page's area
_A4_SQIN = (210 / 25.4) * (297 / 25.4)

_PRODUCER = f"sohoa (pikepdf {pikepdf.__version__})"


class PdfCheckError(Exception):
    """qpdf found the PDF damaged."""


@dataclass(frozen=True)
class PageImage:
    path: Path  # a JPEG (as written by encode_page_image)
    dpi: float
    width_px: int
    height_px: int


@dataclass(frozen=True)
class PdfPage:
    image: PageImage
    text_layer: Path | None  # Tesseract's one-page text-only PDF; None: blank page or OCR failed


@dataclass(frozen=True)
class PdfMetadata:
    title: str = ""
    author: str = ""
    subject: str = ""
    keywords: str = ""
    creator: str = "sohoa"
    language: str = "vi-VN"
    created: datetime | None = None  # None: now; a naive datetime is taken as local time


# --- page image ----------------------------------------------------------------------------------------


def encode_page_image(bgr: np.ndarray, dpi: float, out: Path, *, min_dpi: float = 200, quality: int = JPEG_QUALITY,
                      grey_if_colourless: bool = False, max_kb_per_a4: float | None = MAX_KB_PER_A4) -> PageImage:
    """Write the page as a JPEG at ``min_dpi`` (brought down from higher, never up) and describe it.

    Progressive JPEG, 4:2:0, optimised Huffman tables, JFIF density = dpi. A page that
    comes out over ``max_kb_per_a4`` (scaled to its area) is re-encoded at lower quality, not below
    ``MIN_JPEG_QUALITY``: it only happens to very noisy scans, whose noise is what the bytes were spent on.
    """
    if bgr.dtype != np.uint8 or bgr.ndim not in (2, 3) or (bgr.ndim == 3 and bgr.shape[2] not in (1, 3, 4)):
        raise ValueError(f"expected an 8-bit grey or BGR image, got {bgr.dtype} {bgr.shape}")
    if not dpi or dpi <= 0:
        raise ValueError(f"invalid resolution {dpi!r}")
    img = bgr
    if img.ndim == 3 and img.shape[2] == 4:
        img = cv2.cvtColor(img, cv2.COLOR_BGRA2BGR)
    elif img.ndim == 3 and img.shape[2] == 1:
        img = img[:, :, 0]
    out_dpi = float(dpi)
    if dpi > min_dpi * 1.005:  # a 200.4 dpi scan is not worth a resampling
        f = min_dpi / dpi
        size = (max(1, round(img.shape[1] * f)), max(1, round(img.shape[0] * f)))
        img = cv2.resize(img, size, interpolation=cv2.INTER_AREA)
        out_dpi = float(min_dpi)
    if grey_if_colourless and img.ndim == 3 and not _has_colour(img):
        img = cv2.cvtColor(img, cv2.COLOR_BGR2GRAY)
    h, w = img.shape[:2]
    budget = None
    if max_kb_per_a4:
        budget = max_kb_per_a4 * 1000 * (w / out_dpi) * (h / out_dpi) / _A4_SQIN
    q = int(quality)
    data = _jpeg(img, q)
    while budget is not None and len(data) > budget and q > MIN_JPEG_QUALITY:
        q = max(MIN_JPEG_QUALITY, q - 8)
        data = _jpeg(img, q)
    out = Path(out)
    out.write_bytes(_with_jfif_density(data, out_dpi))
    return PageImage(out, out_dpi, w, h)


def _jpeg(img: np.ndarray, quality: int) -> bytes:
    # baseline, not progressive: progressive saves ~6 % of bytes for 2.4× the encoding time
    params = [cv2.IMWRITE_JPEG_QUALITY, quality, cv2.IMWRITE_JPEG_OPTIMIZE, 1,
              cv2.IMWRITE_JPEG_SAMPLING_FACTOR, cv2.IMWRITE_JPEG_SAMPLING_FACTOR_420]
    ok, buf = cv2.imencode(".jpg", img, params)
    if not ok:
        raise ValueError("the page image could not be encoded as JPEG")
    return buf.tobytes()


def _with_jfif_density(data: bytes, dpi: float) -> bytes:
    """Record the resolution in the JFIF header (OpenCV writes 1:1 aspect, no unit)."""
    if data[2:4] == b"\xff\xe0" and data[6:11] == b"JFIF\x00":
        d = max(1, min(65535, round(dpi))).to_bytes(2, "big")
        return data[:13] + b"\x01" + d + d + data[18:]
    return data


def _has_colour(bgr: np.ndarray) -> bool:
    """Any coloured marks (seal, signature, highlight) beside the paper's own tint?"""
    small = cv2.resize(bgr, (max(1, bgr.shape[1] // 4), max(1, bgr.shape[0] // 4)), interpolation=cv2.INTER_AREA)
    lab = cv2.cvtColor(cv2.medianBlur(small, 3), cv2.COLOR_BGR2LAB).astype(np.int16)
    a, b = lab[:, :, 1] - 128, lab[:, :, 2] - 128
    pa, pb = np.median(a), np.median(b)
    off = np.hypot(a - pa, b - pb)
    return int(np.count_nonzero(off > 18)) > max(20, off.size // 5000)


@dataclass(frozen=True)
class _JpegInfo:
    width: int
    height: int
    components: int
    precision: int


def _jpeg_info(f, path: Path) -> _JpegInfo:
    """Size and colour components from the JPEG's frame header, reading only the marker segments."""
    if f.read(2) != b"\xff\xd8":
        raise ValueError(f"{path} is not a JPEG")
    while True:
        b = f.read(1)
        if not b:
            break
        if b != b"\xff":
            continue
        marker = f.read(1)
        while marker == b"\xff":
            marker = f.read(1)
        if not marker:
            break
        m = marker[0]
        if m in (0x01, *range(0xD0, 0xD8)):  # TEM, RSTn: no length
            continue
        if m == 0xD9 or m == 0xDA:  # EOI, or SOS before any frame header
            break
        seg = f.read(2)
        if len(seg) < 2:
            break
        length = int.from_bytes(seg, "big")
        body = f.read(max(0, length - 2))
        if m in (0xC0, 0xC1, 0xC2):
            if len(body) < 6:
                break
            return _JpegInfo(width=int.from_bytes(body[3:5], "big"), height=int.from_bytes(body[1:3], "big"),
                             components=body[5], precision=body[0])
        if 0xC3 <= m <= 0xCF and m not in (0xC4, 0xC8, 0xCC):
            raise ValueError(f"{path}: lossless/arithmetic JPEG (SOF{m - 0xC0}) cannot go into a PDF as is")
    raise ValueError(f"{path}: no JPEG frame header found")


# --- document ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Placed:
    text_layer: Path | None
    width_pt: float
    height_pt: float


def build_pdf(pages: Iterable[PdfPage], out: Path, metadata: PdfMetadata, *, pdfa: bool = False) -> int:
    """Write the document atomically (temporary file, then rename); return its page count.

    Two passes keep memory flat however many pages there are. First the pages and their JPEGs are written
    straight to a skeleton PDF on disk, one file at a time. pikepdf then opens the skeleton (reading
    streams lazily), grafts the text layers, adds the metadata and saves: qpdf copies each JPEG from the
    skeleton to the output as it writes, so none is held for long. (pikepdf copies foreign objects into
    memory at once, which is why the images are not copied in from per-page or per-part PDFs.)
    """
    out = Path(out)
    work = Path(tempfile.mkdtemp(prefix=f".{out.name}.", dir=out.parent))
    try:
        skeleton = work / "skeleton.pdf"
        placed = _write_skeleton(pages, skeleton)
        with pikepdf.open(skeleton) as doc:
            fonts: dict[str, pikepdf.Object] = {}  # Tesseract's font is the same on every page: embed it once
            for page, p in zip(doc.pages, placed):
                content = f"q {_n(p.width_pt)} 0 0 {_n(p.height_pt)} 0 0 cm /Im0 Do Q\n"
                if p.text_layer is not None:
                    form, (x0, y0, x1, y1) = _text_form(doc, Path(p.text_layer), fonts)
                    sx, sy = p.width_pt / (x1 - x0), p.height_pt / (y1 - y0)
                    page.obj.Resources.XObject.OCR0 = form
                    content += f"q {_n(sx)} 0 0 {_n(sy)} {_n(-x0 * sx)} {_n(-y0 * sy)} cm /OCR0 Do Q\n"
                page.obj.Contents = doc.make_stream(content.encode("ascii"))
            _metadata(doc, metadata, pdfa)
            if pdfa:
                _output_intent(doc)
            tmp = work / "out.pdf"
            doc.save(tmp, min_version="1.7" if pdfa else "1.4", compress_streams=True,
                     object_stream_mode=pikepdf.ObjectStreamMode.generate, fix_metadata_version=True,
                     deterministic_id=True)
        os.chmod(tmp, 0o644)
        os.replace(tmp, out)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return len(placed)


def _n(v: float) -> str:
    """A PDF number: at most 6 decimals, no exponent, no '-0'."""
    s = f"{v:.6f}".rstrip("0").rstrip(".")
    return "0" if s in ("-0", "") else s


def _write_skeleton(pages: Iterable[PdfPage], path: Path) -> list[_Placed]:
    """Pages that only show their image, written by hand: each JPEG is copied from its file as it is."""
    placed: list[_Placed] = []
    offsets: list[int] = [0, 0, 0]  # object 0 (free), 1 catalog, 2 page tree: filled in at the end
    page_objects: list[int] = []
    with open(path, "wb") as f:
        f.write(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
        for page in pages:
            img = page.image
            if not img.dpi or img.dpi <= 0:
                raise ValueError(f"{img.path}: invalid resolution {img.dpi!r}")
            with open(img.path, "rb") as jpeg:
                info = _jpeg_info(jpeg, img.path)
                if (info.width, info.height) != (img.width_px, img.height_px):
                    raise ValueError(f"{img.path} is {info.width}×{info.height} px, not {img.width_px}×{img.height_px}")
                if info.components not in (1, 3) or info.precision != 8:
                    raise ValueError(f"{img.path}: only 8-bit grey or colour JPEGs go into the PDF")
                size = os.fstat(jpeg.fileno()).st_size
                jpeg.seek(0)
                image_num = len(offsets)
                offsets.append(f.tell())
                space = b"/DeviceGray" if info.components == 1 else b"/DeviceRGB"
                f.write(b"%d 0 obj\n<< /Type /XObject /Subtype /Image /Width %d /Height %d /ColorSpace %s "
                        b"/BitsPerComponent 8 /Filter /DCTDecode /Length %d >>\nstream\n"
                        % (image_num, info.width, info.height, space, size))
                copied = _copy(jpeg, f, size)
                if copied != size:
                    raise ValueError(f"{img.path} changed while it was being read")
                f.write(b"\nendstream\nendobj\n")
            w_pt, h_pt = img.width_px / img.dpi * 72.0, img.height_px / img.dpi * 72.0
            page_num = len(offsets)
            offsets.append(f.tell())
            f.write(b"%d 0 obj\n<< /Type /Page /Parent 2 0 R /MediaBox [0 0 %s %s] /Resources << /XObject "
                    b"<< /Im0 %d 0 R >> >> >>\nendobj\n" % (page_num, _n(w_pt).encode(), _n(h_pt).encode(), image_num))
            page_objects.append(page_num)
            placed.append(_Placed(page.text_layer, float(_n(w_pt)), float(_n(h_pt))))
        if not placed:
            raise ValueError("a PDF needs at least one page")
        offsets[2] = f.tell()
        kids = b" ".join(b"%d 0 R" % n for n in page_objects)
        f.write(b"2 0 obj\n<< /Type /Pages /Kids [%s] /Count %d >>\nendobj\n" % (kids, len(page_objects)))
        offsets[1] = f.tell()
        f.write(b"1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n")
        xref = f.tell()
        f.write(b"xref\n0 %d\n0000000000 65535 f \n" % len(offsets))
        f.write(b"".join(b"%010d 00000 n \n" % o for o in offsets[1:]))
        f.write(b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(offsets), xref))
    return placed


def _copy(src, dst, size: int) -> int:
    done = 0
    while done < size:
        chunk = src.read(min(1 << 20, size - done))
        if not chunk:
            break
        dst.write(chunk)
        done += len(chunk)
    return done


def _text_form(doc: pikepdf.Pdf, path: Path, fonts: dict) -> tuple[pikepdf.Object, tuple[float, float, float, float]]:
    """The text page as a Form XObject in ``doc`` (pikepdf copies foreign objects at once: the source closes)."""
    with pikepdf.open(path) as src:
        if len(src.pages) != 1:
            raise ValueError(f"{path}: a text layer has one page, this one has {len(src.pages)}")
        sp = src.pages[0]
        x0, y0, x1, y1 = (float(v) for v in sp.mediabox)
        if x1 - x0 <= 0 or y1 - y0 <= 0:
            raise ValueError(f"{path}: empty MediaBox")
        contents = sp.obj.get("/Contents")
        if contents is None:
            data = b""
        elif isinstance(contents, Array):
            data = b"\n".join(c.read_bytes() for c in contents)
        else:
            data = contents.read_bytes()
        resources = Dictionary()
        for key, value in sp.obj.get("/Resources", Dictionary()).items():
            if key == "/ProcSet":
                continue
            if key == "/XObject" and any(x.get("/Subtype") == Name.Image for x in value.values()):
                raise ValueError(f"{path} holds an image: make text layers with -c textonly_pdf=1")
            if key == "/Font":
                copied = Dictionary()
                for name, font in value.items():
                    fp = _fingerprint(font)
                    if fp not in fonts:
                        fonts[fp] = doc.copy_foreign(font)
                    copied[name] = fonts[fp]
                resources.Font = copied
            else:
                resources[key] = doc.copy_foreign(value)
        form = doc.make_stream(data, Type=Name.XObject, Subtype=Name.Form, BBox=Array([x0, y0, x1, y1]),
                               Resources=resources)
    return form, (x0, y0, x1, y1)


def _fingerprint(obj: pikepdf.Object) -> str:
    """A digest of an object and all it references (streams by their raw bytes)."""
    h = hashlib.sha256()
    seen: set[tuple[int, int]] = set()

    def walk(o, depth: int) -> None:
        if depth > 32:
            raise ValueError("object nesting too deep")
        if not isinstance(o, pikepdf.Object):  # int, bool, Decimal come back as Python values
            h.update(repr(o).encode())
            return
        if o.is_indirect:
            if o.objgen in seen:
                h.update(b"R%d" % len(seen))
                return
            seen.add(o.objgen)
        if isinstance(o, pikepdf.Stream):
            h.update(b"S")
            h.update(hashlib.sha256(o.read_raw_bytes()).digest())
            o = o.stream_dict
        if isinstance(o, Dictionary):
            h.update(b"<<")
            for k in sorted(o.keys()):
                h.update(k.encode())
                walk(o[k], depth + 1)
            h.update(b">>")
        elif isinstance(o, Array):
            h.update(b"[")
            for v in o:
                walk(v, depth + 1)
            h.update(b"]")
        else:
            h.update(o.unparse())

    walk(obj, 0)
    return h.hexdigest()


# --- metadata ------------------------------------------------------------------------------------------


def _metadata(pdf: pikepdf.Pdf, meta: PdfMetadata, pdfa: bool) -> None:
    """Document info and XMP saying the same thing (PDF/A checks that they agree)."""
    created = meta.created or datetime.now(UTC)
    if created.tzinfo is None:
        created = created.astimezone()
    created = created.replace(microsecond=0)
    pdf_date = _pdf_date(created)
    info = {"/Title": meta.title, "/Author": meta.author, "/Subject": meta.subject, "/Keywords": meta.keywords,
            "/Creator": meta.creator, "/Producer": _PRODUCER}
    for key, value in info.items():
        if value:
            pdf.docinfo[key] = pikepdf.String(value)
    pdf.docinfo["/CreationDate"] = pikepdf.String(pdf_date)
    pdf.docinfo["/ModDate"] = pikepdf.String(pdf_date)
    with pdf.open_metadata(set_pikepdf_as_editor=False, update_docinfo=False) as xmp:
        if meta.title:
            xmp["dc:title"] = meta.title
        if meta.author:
            xmp["dc:creator"] = [meta.author]
        if meta.subject:
            xmp["dc:description"] = meta.subject
        if meta.keywords:
            xmp["pdf:Keywords"] = meta.keywords
            words = [k.strip() for k in meta.keywords.replace(";", ",").split(",") if k.strip()]
            if words:
                xmp["dc:subject"] = set(words)
        if meta.language:
            xmp["dc:language"] = {meta.language}  # an rdf:Bag
        if meta.creator:
            xmp["xmp:CreatorTool"] = meta.creator
        xmp["pdf:Producer"] = _PRODUCER
        xmp["xmp:CreateDate"] = created.isoformat()
        xmp["xmp:ModifyDate"] = created.isoformat()
        xmp["xmp:MetadataDate"] = created.isoformat()
        if pdfa:
            xmp["pdfaid:part"] = "2"
            xmp["pdfaid:conformance"] = "B"
    if meta.language:
        pdf.Root.Lang = pikepdf.String(meta.language)
    if meta.title:
        pdf.Root.ViewerPreferences = Dictionary(DisplayDocTitle=True)


def _pdf_date(when: datetime) -> str:
    """D:YYYYMMDDHHmmSS+HH'mm' (PDF 1.7 § 7.9.4), the same instant as the XMP's ISO 8601 date."""
    minutes = round(when.utcoffset().total_seconds() / 60)
    sign = "-" if minutes < 0 else "+"
    return f"D:{when:%Y%m%d%H%M%S}{sign}{abs(minutes) // 60:02d}'{abs(minutes) % 60:02d}'"


def _srgb_icc() -> bytes:
    from PIL import ImageCms

    return ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()  # ICC v4 'mntr': PDF/A-2 takes ≤ v4


def _output_intent(pdf: pikepdf.Pdf) -> None:
    icc = pdf.make_stream(_srgb_icc(), N=3)
    intent = Dictionary(Type=Name.OutputIntent, S=Name.GTS_PDFA1, OutputConditionIdentifier=pikepdf.String("sRGB"),
                        RegistryName=pikepdf.String("http://www.color.org"),
                        Info=pikepdf.String("sRGB IEC61966-2.1"), DestOutputProfile=icc)
    pdf.Root.OutputIntents = Array([intent])


# --- check ---------------------------------------------------------------------------------------------


def check_pdf(path: Path) -> None:
    """qpdf's structural check (what ``qpdf --check`` reports), run in-process through pikepdf.

    The ``qpdf --check`` command also decodes every JPEG (~0.3 s a page, minutes for a 500-page archive
    box); the structure, xref and stream checks that catch a damaged or half-written file cost ~0.04 s.
    The tests still run the real ``qpdf --check`` on pipeline output.
    """
    try:
        with pikepdf.open(path) as pdf:
            problems = pdf.check_pdf_syntax()
    except pikepdf.PdfError as exc:
        raise PdfCheckError(f"qpdf cannot read the PDF: {exc}") from None
    if problems:
        raise PdfCheckError("; ".join(str(p) for p in problems)[:2000])
