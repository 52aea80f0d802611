"""The visible look of Decree 30 signatures, as pyHanko stamp styles and field boxes.

Decree 30/2020 prescribes three looks: the competent person's handwritten signature image (blue, transparent,
between the authority line and the printed name); the agency's seal image (red, transparent, actual size,
overlapping about the left third of that signature); and, for attachments and electronic copies, an
image-less agency signature at the top right of page 1 as text in Times New Roman 10 pt, black.

Pass a style as ``PdfSigner(..., stamp_style=style, new_field_spec=field_spec(name, page, box))``.
Boxes are PDF user-space points on the page, origin bottom left, ``(x1, y1, x2, y2)``, rounded to whole
points: pyHanko truncates the appearance BBox to integers, and a fractional /Rect would stretch it.

This module gets plain parameters only; it never imports ``api`` or ``ingest``.
"""

from __future__ import annotations

import io
import math
import os
import unicodedata
import zlib
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from functools import lru_cache

import numpy as np
from fontTools import subset, ttLib
from PIL import Image
from pyhanko.pdf_utils import generic, layout
from pyhanko.pdf_utils.content import ResourceType
from pyhanko.pdf_utils.font.opentype import CIDFontType2, GlyphAccumulator, GlyphAccumulatorFactory
from pyhanko.pdf_utils.generic import pdf_name
from pyhanko.pdf_utils.text import TextBoxStyle
from pyhanko.pdf_utils.writer import BasePdfFileWriter
from pyhanko.sign.fields import SigFieldSpec
from pyhanko.stamp import BaseStamp, BaseStampStyle, TextStampStyle

from signing.ink import InkImage

Box = tuple[float, float, float, float]

MM = 72.0 / 25.4

# Personal signature: never so small it cannot be recognised, never larger than a real one.
MIN_PERSONAL_HEIGHT = 10 * MM
MIN_PERSONAL_WIDTH = 30 * MM
MAX_PERSONAL_HEIGHT = 35 * MM
# Vietnamese seals are 30-45 mm across; outside this the image's DPI is wrong, and an "actual size" seal
# covering half the page (or a speck) would be worse than refusing.
SEAL_SIZE_MM = (15.0, 80.0)

COPY_STAMP_RIGHT = 10 * MM
COPY_STAMP_TOP = 3 * MM  # in the top margin (20-25 mm under Decree 30), above the national motto
COPY_STAMP_PAD_X = 2
COPY_STAMP_PAD_TOP = 2
COPY_STAMP_PAD_BOTTOM = 4  # descenders and the dot below (ạ, ệ, ộ) hang under the last baseline

LIBERATION_SERIF = "/usr/share/fonts/truetype/liberation2/LiberationSerif-Regular.ttf"
DEJAVU_SERIF = "/usr/share/fonts/truetype/dejavu/DejaVuSerif.ttf"

VIETNAM = timezone(timedelta(hours=7), "ICT")

COPY_FORMS = {
    "SAO Y": "SAO Y",
    "SY": "SAO Y",
    "SAO_Y": "SAO Y",
    "SAO Y BẢN CHÍNH": "SAO Y",
    "TRÍCH SAO": "TRÍCH SAO",
    "TRICH SAO": "TRÍCH SAO",
    "TRICH_SAO": "TRÍCH SAO",
    "TRS": "TRÍCH SAO",
    "SAO LỤC": "SAO LỤC",
    "SAO LUC": "SAO LỤC",
    "SAO_LUC": "SAO LỤC",
    "SL": "SAO LỤC",
}


# ---------------------------------------------------------------- geometry


def _normalised(box: Box) -> Box:
    x1, y1, x2, y2 = (float(v) for v in box)
    if not all(math.isfinite(v) for v in (x1, y1, x2, y2)):
        raise ValueError(f"box has a non-finite coordinate: {box!r}")
    return min(x1, x2), min(y1, y2), max(x1, x2), max(y1, y2)


def _whole_points(cx: float, cy: float, width: float, height: float) -> Box:
    """A box of whole-point size around a centre, so the appearance BBox pyHanko writes matches /Rect."""
    w, h = max(1, round(width)), max(1, round(height))
    x1, y1 = round(cx - w / 2), round(cy - h / 2)
    return (x1, y1, x1 + w, y1 + h)


def personal_box(between: Box, image: InkImage) -> Box:
    """Field box for the signature image in the gap between the authority line and the printed name.

    The image keeps its aspect ratio, is centred on the gap and never exceeds it (nor a real signature's
    height); if the gap is too small it grows to the minimum around the gap's centre, silently: the caller
    decides about the layout and can pass an explicit box instead.
    """
    x1, y1, x2, y2 = _normalised(between)
    gap_w, gap_h = x2 - x1, y2 - y1
    aspect = image.aspect
    height = min(gap_h, gap_w / aspect, MAX_PERSONAL_HEIGHT)
    width = height * aspect
    if height < MIN_PERSONAL_HEIGHT and width < MIN_PERSONAL_WIDTH:
        height = min(MIN_PERSONAL_HEIGHT, MIN_PERSONAL_WIDTH / aspect)
        width = height * aspect
    return _whole_points((x1 + x2) / 2, (y1 + y2) / 2, width, height)


def seal_box(personal: Box, seal: InkImage) -> Box:
    """The seal at actual size, centred vertically on the signature, over the left third of it."""
    px1, py1, px2, py2 = _normalised(personal)
    width_mm, height_mm = seal.width_pt / MM, seal.height_pt / MM
    low, high = SEAL_SIZE_MM
    if not (low <= max(width_mm, height_mm) <= high):
        raise ValueError(
            f"seal image would print {width_mm:.0f} x {height_mm:.0f} mm at {seal.dpi:g} dpi; a seal is "
            f"{low:.0f}-{high:.0f} mm across, so the image's resolution is wrong (pass its true dpi to ink_png)"
        )
    w, h = max(1, round(seal.width_pt)), max(1, round(seal.height_pt))
    right = round(px1 + (px2 - px1) / 3)
    bottom = round((py1 + py2) / 2 - h / 2)
    return (right - w, bottom, right, bottom + h)


def copy_stamp_box(page_box: Box, lines: list[str], font_size: int = 10, font_path: str | None = None) -> Box:
    """Top right of page 1, 3 mm from the top and 10 mm from the right edge (in the page margin, above the national
    motto), just big enough for the text."""
    x1, y1, x2, y2 = _normalised(page_box)
    lines = _clean_lines(lines)
    metrics = _metrics(_font_file(font_path))
    text_width = max(metrics.width(line, font_size) for line in lines)
    width = math.ceil(text_width) + 2 * COPY_STAMP_PAD_X
    height = len(lines) * _leading(font_size) + COPY_STAMP_PAD_TOP + COPY_STAMP_PAD_BOTTOM
    right = math.floor(x2 - COPY_STAMP_RIGHT)
    top = math.floor(y2 - COPY_STAMP_TOP)
    return (right - width, top - height, right, top)


def field_spec(name: str, page: int, box: Box) -> SigFieldSpec:
    """A new visible signature field (page index 0-based, as pyHanko counts)."""
    if not name or "." in name:
        raise ValueError(f"signature field name must be non-empty and without dots, got {name!r}")
    x1, y1, x2, y2 = _normalised(box)
    if x2 - x1 < 1 or y2 - y1 < 1:
        raise ValueError(f"signature box {box!r} is empty")
    return SigFieldSpec(sig_field_name=name, on_page=page, box=(x1, y1, x2, y2))


# ---------------------------------------------------------------- copy stamp text


def copy_stamp_lines(
    copy_form: str | None,
    copying_agency: str | None,
    number_symbol: str | None,
    signed_at: datetime,
) -> list[str]:
    """The text of an image-less agency signature: what the file is, then when it was signed.

    A copy names its form (SAO Y / TRÍCH SAO / SAO LỤC), the copying agency and the copy's number; an
    attachment carries the number/symbol of its main document. The time is ISO 8601 in Vietnam time
    (+07:00), to the second.
    """
    lines: list[str] = []
    if copy_form is not None and _nfc(copy_form):
        form = COPY_FORMS.get(_nfc(copy_form).upper())
        if form is None:
            raise ValueError(f"unknown copy form {copy_form!r}; use SAO Y, TRÍCH SAO or SAO LỤC")
        lines.append(form)
        if not copying_agency or not _nfc(copying_agency):
            raise ValueError("a copy must name the copying agency")
        lines.append(_nfc(copying_agency))
    elif copying_agency and _nfc(copying_agency):
        lines.append(_nfc(copying_agency))
    if number_symbol and _nfc(number_symbol):
        number = _nfc(number_symbol)
        lines.append(number if number.casefold().startswith("số") else f"Số: {number}")
    if not lines:
        raise ValueError("a copy stamp needs a copy form or a number/symbol")
    lines.append(vietnam_iso(signed_at))
    return lines


def vietnam_iso(moment: datetime) -> str:
    """ISO 8601 with the +07:00 offset, seconds precision; a naive time is refused (its zone is a guess)."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError("signing time must be timezone-aware")
    return moment.astimezone(VIETNAM).replace(microsecond=0).isoformat()


def _nfc(text: str) -> str:
    return unicodedata.normalize("NFC", " ".join(str(text).split()))


def _clean_lines(lines: list[str]) -> list[str]:
    out = [_nfc(part) for line in lines for part in str(line).splitlines()]
    out = [line for line in out if line]
    if not out:
        raise ValueError("copy stamp has no text")
    return out


# ---------------------------------------------------------------- fonts


def _font_file(path: str | None) -> str:
    if path is not None:
        if not os.path.isfile(path):
            raise ValueError(f"font file {path} does not exist")
        return path
    for candidate in (LIBERATION_SERIF, DEJAVU_SERIF):
        if os.path.isfile(candidate):
            return candidate
    raise ValueError(f"no serif font found: install fonts-liberation2 ({LIBERATION_SERIF}) or pass font_path")


# What Vietnamese administrative text uses: ASCII, Latin-1, Latin Extended-A (Đ), Ơ and Ư, combining marks,
# Latin Extended Additional (ạ ả ấ ... ỹ), general punctuation. The engine works on this cut of the font:
# parsing a 2,600-glyph font for each signature costs more than the signature itself.
VIETNAMESE_LATIN = (
    list(range(0x20, 0x7F)) + list(range(0xA0, 0x180)) + [0x1A0, 0x1A1, 0x1AF, 0x1B0] + list(range(0x300, 0x324))
    + list(range(0x1EA0, 0x1F00)) + list(range(0x2010, 0x2040)) + [0x20AB, 0x2116]
)
# Glyphs every copy stamp is likely to need (the ISO time, numbers): added to each subset so that one agency's
# stamps embed the same subset from one signature to the next, and it comes from the cache.
COMMON_TEXT = "0123456789:-+/.,T Số"


@lru_cache(maxsize=8)
def _font_program(path: str, reduced: bool) -> bytes:
    """The font file, or its Vietnamese-Latin cut (same glyph outlines, metrics, kerning and names)."""
    with open(path, "rb") as fh:
        data = fh.read()
    if not reduced:
        return data
    tt = ttLib.TTFont(io.BytesIO(data))
    if "glyf" not in tt:
        return data  # CFF outlines go through pyHanko's own path, uncut
    options = subset.Options()
    options.layout_features = ["*"]
    options.name_IDs = ["*"]
    options.name_languages = ["*"]
    options.glyph_names = True  # without them fontTools derives names from the cmap, slower still
    options.notdef_outline = True
    options.drop_tables += ["FFTM"]
    subsetter = subset.Subsetter(options=options)
    subsetter.populate(unicodes=VIETNAMESE_LATIN)
    subsetter.subset(tt)
    out = io.BytesIO()
    tt.save(out)
    return out.getvalue()


@lru_cache(maxsize=8)
def _covered(path: str) -> frozenset[int]:
    return frozenset(ttLib.TTFont(io.BytesIO(_font_program(path, True))).getBestCmap())


def _needs_full_font(path: str, lines: tuple[str, ...]) -> bool:
    covered = _covered(path)
    return any(ord(c) not in covered for line in lines for c in line)


def _embed_options() -> subset.Options:
    options = subset.Options(layout_closure=False)
    # pyHanko's own choice (shaping is done before embedding), plus FontForge's FFTM timestamp, which
    # fontTools cannot subset and warns about on every signature
    options.drop_tables += ["GPOS", "GDEF", "GSUB", "FFTM"]
    options.retain_gids = True  # the content stream addresses glyphs by their ids in the engine's font
    return options


@lru_cache(maxsize=128)
def _embedded_program(path: str, reduced: bool, gids: frozenset[int]) -> bytes:
    """The subset font program to embed, cached: subsetting costs ~45 ms, far more than a signature."""
    tt = ttLib.TTFont(io.BytesIO(_font_program(path, reduced)))
    subsetter = subset.Subsetter(options=_embed_options())
    subsetter.populate(gids=sorted(gids))
    subsetter.subset(tt)
    out = io.BytesIO()
    tt.save(out)
    return out.getvalue()


@lru_cache(maxsize=8)
def _common_gids(path: str, reduced: bool) -> tuple[int, ...]:
    tt = ttLib.TTFont(io.BytesIO(_font_program(path, reduced)))
    cmap = tt.getBestCmap()
    return tuple(sorted({tt.getGlyphID(cmap[ord(c)]) for c in COMMON_TEXT if ord(c) in cmap}))


class _Em1000GlyphAccumulator(GlyphAccumulator):
    """pyHanko's glyph accumulator with PDF-correct metrics and cached subsets.

    pyHanko 0.38 writes /W widths and TJ adjustments in font units, but PDF reads them as 1/1000 em: with a
    TrueType font of 2048 units per em (Liberation, DejaVu, Times New Roman) every glyph prints twice as far
    from the previous one. Here HarfBuzz shapes at 1000 units per em and the widths are scaled to match.
    """

    def __init__(self, *args, font_key: tuple[str, bool], **kwargs):
        super().__init__(*args, **kwargs)
        self._font_key = font_key
        self._font_upem = self.units_per_em
        if self._font_upem != 1000:
            self.hb_font.scale = (1000, 1000)
            self.units_per_em = 1000
            _scale_descriptor(self.cidfont_obj, 1000 / self._font_upem)

    def _get_cid_and_width(self, glyph_id: int) -> tuple[int, int]:
        known = self._glyphs.get(glyph_id)
        if known is not None:
            return known
        cid, width = super()._get_cid_and_width(glyph_id)
        self._glyphs[glyph_id] = result = (cid, round(width * 1000 / self._font_upem))
        return result

    def _extract_subset(self, options: subset.Options | None = None):
        if not isinstance(self.cidfont_obj, CIDFontType2) or not hasattr(self.cidfont_obj, "_tt"):
            return super()._extract_subset(options)  # CFF-flavoured OpenType: pyHanko's own path
        for gid in _common_gids(*self._font_key):
            self._get_cid_and_width(gid)
        program = _embedded_program(*self._font_key, frozenset(self._glyphs))
        # CIDFontType2.set_font_file() saves this TTFont; unparsed and with no bounds or timestamp to
        # recompute, saving copies the tables as they are
        loaded = ttLib.TTFont(io.BytesIO(program), recalcBBoxes=False, recalcTimestamp=False)
        self.tt = self.cidfont_obj._tt = loaded


def _scale_descriptor(cidfont, factor: float) -> None:
    descriptor = getattr(cidfont, "_font_descriptor", None)
    if descriptor is None:
        return
    for key in ("/Ascent", "/Descent", "/CapHeight", "/XHeight"):
        if key in descriptor:
            descriptor[pdf_name(key)] = generic.NumberObject(round(int(descriptor[key]) * factor))
    if "/FontBBox" in descriptor:
        descriptor[pdf_name("/FontBBox")] = generic.ArrayObject(
            generic.NumberObject(round(int(v) * factor)) for v in descriptor["/FontBBox"]
        )


@dataclass(frozen=True)
class InMemoryFontFactory(GlyphAccumulatorFactory):
    """pyHanko's subset-embedding factory, fed from a font read (and cut to Vietnamese Latin) once.

    The stock factory opens and parses the whole font file for every signature and never closes it.
    """

    reduced: bool = True

    def create_font_engine(self, writer: BasePdfFileWriter, obj_stream=None) -> GlyphAccumulator:
        if obj_stream is None and writer.stream_xrefs and self.create_objstream_if_needed:
            obj_stream = writer.prepare_object_stream()
        return _Em1000GlyphAccumulator(
            writer=writer,
            font_handle=io.BytesIO(_font_program(self.font_file, self.reduced)),
            font_size=self.font_size,
            ot_script_tag=self.ot_script_tag,
            ot_language_tag=self.ot_language_tag,
            writing_direction=self.writing_direction,
            bcp47_lang_code=self.bcp47_lang_code,
            obj_stream=obj_stream,
            font_key=(self.font_file, self.reduced),
        )


@lru_cache(maxsize=16)
def font_factory(font_path: str | None = None, font_size: int = 10, reduced: bool = True) -> InMemoryFontFactory:
    """The (cached) subset-embedding font factory for the copy stamp."""
    return InMemoryFontFactory(_font_file(font_path), font_size=font_size, bcp47_lang_code="vi", reduced=reduced)


class _Metrics:
    """Line widths measured with HarfBuzz, as pyHanko's text box will lay them out."""

    def __init__(self, path: str):
        import uharfbuzz as hb

        self._hb = hb
        face = hb.Face(_font_program(path, False))
        self._font = hb.Font(face)
        self._upem = face.upem

    def width(self, text: str, font_size: float) -> float:
        buf = self._hb.Buffer()
        buf.add_str(text)
        buf.guess_segment_properties()
        self._hb.shape(self._font, buf)
        return sum(p.x_advance for p in buf.glyph_positions) / self._upem * font_size


@lru_cache(maxsize=8)
def _metrics(path: str) -> _Metrics:
    return _Metrics(path)


def _leading(font_size: int) -> int:
    return round(font_size * 1.2)


# ---------------------------------------------------------------- styles


def copy_stamp_style(lines: list[str], font_size: int = 10, font_path: str | None = None) -> TextStampStyle:
    """Black text, left-aligned lines, no border, the font embedded as a subset."""
    lines = tuple(_clean_lines(lines))
    return _copy_stamp_style(lines, int(font_size), font_path)


def _copy_stamp_style(lines: tuple[str, ...], font_size: int, font_path: str | None) -> TextStampStyle:
    text_box = TextBoxStyle(
        font=font_factory(font_path, font_size, reduced=not _needs_full_font(_font_file(font_path), lines)),
        font_size=font_size,
        leading=_leading(font_size),
        text_color=(0, 0, 0),
        border_width=0,
        box_layout_rule=layout.SimpleBoxLayoutRule(
            x_align=layout.AxisAlignment.ALIGN_MIN,
            y_align=layout.AxisAlignment.ALIGN_MAX,
            inner_content_scaling=layout.InnerScaling.NO_SCALING,
        ),
    )
    return TextStampStyle(
        # the template is %-interpolated by pyHanko: a literal % must be doubled
        stamp_text="\n".join(lines).replace("%", "%%"),
        text_box_style=text_box,
        border_width=0,
        background=None,
        inner_content_layout=layout.SimpleBoxLayoutRule(
            x_align=layout.AxisAlignment.ALIGN_MIN,
            y_align=layout.AxisAlignment.ALIGN_MAX,
            margins=layout.Margins(
                left=COPY_STAMP_PAD_X, right=COPY_STAMP_PAD_X, top=COPY_STAMP_PAD_TOP, bottom=COPY_STAMP_PAD_BOTTOM
            ),
            inner_content_scaling=layout.InnerScaling.SHRINK_TO_FIT,  # an explicit small box shrinks the text
        ),
    )


@dataclass(frozen=True)
class InkStampStyle(BaseStampStyle):
    """Only the transparent ink image, scaled to the field keeping its aspect ratio: no border, no text."""

    ink: InkImage | None = None
    border_width: int = 0
    background_opacity: float = 1.0

    def create_stamp(self, writer: BasePdfFileWriter, box: layout.BoxConstraints, text_params: dict) -> InkStamp:
        if self.ink is None:
            raise ValueError("InkStampStyle needs an ink image")
        return InkStamp(writer=writer, style=self, box=box)


class InkStamp(BaseStamp):
    """Draws the image XObject (colour + soft mask), centred in the field."""

    def _render_inner_content(self):
        ink: InkImage = self.style.ink
        box = self.box
        if not (box.width_defined and box.height_defined):
            raise layout.LayoutError("an ink stamp needs a field box of known size")
        self.set_resource(ResourceType.XOBJECT, pdf_name("/Ink"), _embed_ink(self.writer, ink))
        scale = min(box.width / ink.width_px, box.height / ink.height_px)
        w, h = ink.width_px * scale, ink.height_px * scale
        x, y = (box.width - w) / 2, (box.height - h) / 2
        return [b"q %.4f 0 0 %.4f %.4f %.4f cm /Ink Do Q" % (w, h, x, y)]


@dataclass(frozen=True)
class _EncodedInk:
    colour_flate: bytes
    alpha_flate: bytes


@lru_cache(maxsize=64)
def _encoded(ink: InkImage) -> _EncodedInk:
    """Decode and deflate once per image; each signature then only copies bytes into its writer."""
    rgba = np.asarray(Image.open(io.BytesIO(ink.png)).convert("RGBA"))
    colour = np.ascontiguousarray(rgba[..., :3]).tobytes()
    alpha = np.ascontiguousarray(rgba[..., 3]).tobytes()
    return _EncodedInk(zlib.compress(colour, 9), zlib.compress(alpha, 6))


def _embed_ink(writer: BasePdfFileWriter, ink: InkImage) -> generic.IndirectObject:
    enc = _encoded(ink)
    size = {
        pdf_name("/Type"): pdf_name("/XObject"),
        pdf_name("/Subtype"): pdf_name("/Image"),
        pdf_name("/Width"): generic.NumberObject(ink.width_px),
        pdf_name("/Height"): generic.NumberObject(ink.height_px),
        pdf_name("/BitsPerComponent"): generic.NumberObject(8),
        pdf_name("/Filter"): pdf_name("/FlateDecode"),
    }
    smask = generic.StreamObject(
        {**size, pdf_name("/ColorSpace"): pdf_name("/DeviceGray"), pdf_name("/Interpolate"): generic.BooleanObject(True)},
        encoded_data=enc.alpha_flate,
    )
    image = generic.StreamObject(
        {**size, pdf_name("/ColorSpace"): pdf_name("/DeviceRGB"), pdf_name("/SMask"): writer.add_object(smask)},
        encoded_data=enc.colour_flate,
    )
    return writer.add_object(image)


@lru_cache(maxsize=64)
def personal_style(image: InkImage) -> InkStampStyle:
    """The competent person's signature: the blue ink image alone."""
    return InkStampStyle(ink=image)


@lru_cache(maxsize=64)
def seal_style(seal: InkImage) -> InkStampStyle:
    """The agency's seal: the red ink image alone (its field box sets the actual size)."""
    return InkStampStyle(ink=seal)
