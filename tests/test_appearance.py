"""Decree 30 signature looks, checked on real pyHanko signatures rendered by Poppler.

Blue personal signature in its box, red seal at actual size over the left third of it (transparent: the
signature stays visible through it), and the image-less copy stamp at the top right of page 1, in an
embedded subset of Liberation Serif with its Vietnamese tone marks.
"""

from __future__ import annotations

import datetime as dt
import io
import re
import struct
import subprocess
import unicodedata
import zlib
from pathlib import Path

import cv2
import numpy as np
import pikepdf
import pytest
from PIL import Image

from signing import appearance as ap
from signing.ink import BLUE, RED, InkImage, ink_png

A4 = (0.0, 0.0, 595.28, 841.89)
DPI = 100  # rendering resolution of the checks
VN = dt.timezone(dt.timedelta(hours=7))


# ---------------------------------------------------------------- synthetic inputs


def _png(rgb: np.ndarray, dpi: float | None = None, mode: str = "RGB") -> bytes:
    buf = io.BytesIO()
    kwargs = {"dpi": (dpi, dpi)} if dpi else {}
    Image.fromarray(rgb, mode).save(buf, "PNG", **kwargs)
    return buf.getvalue()


def _signature_scan(ink=(25, 25, 25), paper=236, noise=10) -> np.ndarray:
    """A pen stroke on greyish, noisy paper, as a 300 dpi scan would give it; with a dust speck."""
    rng = np.random.default_rng(7)
    img = np.full((360, 900, 3), paper, np.uint8) - rng.integers(0, noise, (360, 900, 3), dtype=np.uint8)
    pts = np.array([[100 + i * 7, 180 + int(80 * np.sin(i / 7))] for i in range(100)], np.int32)
    cv2.polylines(img, [pts], False, ink, 7, cv2.LINE_AA)
    cv2.circle(img, (880, 20), 1, ink, -1)  # dust: must not widen the crop
    return img


def _seal_scan() -> np.ndarray:
    """A red round seal, 470 px = 39.8 mm at 300 dpi, on white: rings and a word, transparent inside."""
    img = np.full((470, 470, 3), 250, np.uint8)
    red = (220, 30, 30)
    cv2.circle(img, (235, 235), 220, red, 12, cv2.LINE_AA)
    cv2.circle(img, (235, 235), 160, red, 5, cv2.LINE_AA)
    cv2.putText(img, "UBND", (105, 265), cv2.FONT_HERSHEY_SIMPLEX, 3, red, 8, cv2.LINE_AA)
    return img


@pytest.fixture(scope="module")
def signature() -> InkImage:
    return ink_png(_png(_signature_scan(), dpi=300), BLUE)


@pytest.fixture(scope="module")
def seal() -> InkImage:
    return ink_png(_png(_seal_scan(), dpi=300), RED)


# ---------------------------------------------------------------- ink


def _rgba(ink: InkImage) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(ink.png)).convert("RGBA"))


def test_ink_png_makes_the_paper_transparent_and_the_ink_blue(signature):
    rgba = _rgba(signature)
    assert rgba.shape == (signature.height_px, signature.width_px, 4)
    alpha = rgba[..., 3]
    assert (rgba[..., :3] == BLUE).all()  # recoloured, every pixel
    assert alpha.max() == 255  # the stroke is solid
    assert alpha[0, :].max() == 0 and alpha[:, 0].max() == 0  # paper all round: fully transparent
    assert 0.02 < (alpha > 0).mean() < 0.25  # only the stroke is visible, the noisy paper is not
    # cropped to the stroke (x 100..793, 7 px pen), not to the page nor to the dust speck at x=880
    assert 690 <= signature.width_px <= 715
    assert 160 <= signature.height_px <= 185
    assert signature.dpi == 300
    assert signature.width_pt == pytest.approx(signature.width_px / 300 * 72)


def test_ink_png_keeps_existing_transparency_and_recolours_red():
    img = np.zeros((200, 300, 4), np.uint8)  # black everywhere, alpha 0: a transparent PNG
    cv2.circle(img, (150, 100), 60, (0, 0, 0, 255), 6, cv2.LINE_AA)
    ink = ink_png(_png(img, mode="RGBA"), RED)
    rgba = _rgba(ink)
    assert (rgba[..., :3] == RED).all()
    assert rgba[..., 3].max() == 255
    assert rgba[0, 0, 3] == 0 and rgba[rgba.shape[0] // 2, rgba.shape[1] // 2, 3] == 0  # ring's inside is clear
    assert 126 <= ink.width_px <= 136 and 126 <= ink.height_px <= 136  # the ring (126 px across) + a rim


def test_ink_png_physical_size_follows_the_image_dpi():
    scan = _seal_scan()
    at_300 = ink_png(_png(scan, dpi=300), RED)
    at_600 = ink_png(_png(scan, dpi=600), RED)
    assert at_600.width_pt == pytest.approx(at_300.width_pt / 2, rel=0.01)
    assert at_300.width_pt / ap.MM == pytest.approx(39.5, abs=1.0)  # the 470 px seal is ~39 mm
    jpeg = io.BytesIO()
    Image.fromarray(scan).save(jpeg, "JPEG", dpi=(400, 400), quality=92)
    assert ink_png(jpeg.getvalue(), RED).dpi == 400
    untagged = ink_png(cv2.imencode(".png", scan)[1].tobytes(), RED)  # no pHYs
    assert untagged.dpi == 300
    assert ink_png(_png(scan, dpi=72), RED).dpi == 300  # a software default, not a scan resolution


def test_ink_png_is_cached_by_content():
    data = _png(_signature_scan(), dpi=300)
    first = ink_png(data, BLUE)
    assert ink_png(bytes(bytearray(data)), BLUE) is first  # another bytes object, same content
    assert ink_png(data, RED) is not first


def _png_header_only(width: int, height: int) -> bytes:
    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)) + chunk(
        b"IEND", b""
    )


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "empty"),
        (b"%PDF-1.7 this is not an image", "not a readable image"),
        (_png(np.full((100, 100, 3), 245, np.uint8)), "no ink"),
        (_png_header_only(30000, 30000), "absurdly large"),
        (_png(np.zeros((3, 3, 3), np.uint8)), "too small"),
    ],
    ids=["empty", "not-an-image", "blank-paper", "huge", "tiny"],
)
def test_ink_png_rejects_unusable_images(data, message):
    with pytest.raises(ValueError, match=message):
        ink_png(data, BLUE)


def test_ink_png_rejects_a_bad_colour():
    with pytest.raises(ValueError, match="colour"):
        ink_png(_png(_signature_scan()), (0, 300, 0))


# ---------------------------------------------------------------- geometry


def _w(box):
    return box[2] - box[0]


def _h(box):
    return box[3] - box[1]


def test_personal_box_fits_the_gap_keeping_the_aspect(signature):
    gap = (330.0, 150.0, 530.0, 250.0)  # 200 x 100 pt: the image (aspect ~4) is width-bound
    box = ap.personal_box(gap, signature)
    assert all(isinstance(v, int) for v in box)  # whole points: pyHanko truncates the BBox to integers
    assert gap[0] <= box[0] and box[2] <= gap[2] and gap[1] <= box[1] and box[3] <= gap[3]
    assert _w(box) == 200
    assert _w(box) / _h(box) == pytest.approx(signature.aspect, rel=0.03)
    assert (box[0] + box[2]) / 2 == pytest.approx(430, abs=1) and (box[1] + box[3]) / 2 == pytest.approx(200, abs=1)

    tall_gap = (300.0, 100.0, 560.0, 160.0)  # 260 x 60: height-bound
    box = ap.personal_box(tall_gap, signature)
    assert _h(box) == 60 and _w(box) < 260
    assert (box[0] + box[2]) / 2 == pytest.approx(430, abs=1)


def test_personal_box_never_below_the_minimum(signature):
    tiny = (400.0, 200.0, 420.0, 205.0)  # a 20 x 5 pt gap: grows, centred on the gap
    box = ap.personal_box(tiny, signature)
    assert _w(box) >= ap.MIN_PERSONAL_WIDTH - 1 or _h(box) >= ap.MIN_PERSONAL_HEIGHT - 1
    assert (box[0] + box[2]) / 2 == pytest.approx(410, abs=1)
    assert (box[1] + box[3]) / 2 == pytest.approx(202.5, abs=1)
    assert _w(box) / _h(box) == pytest.approx(signature.aspect, rel=0.05)
    # a huge gap does not make a poster of it
    assert _h(ap.personal_box((0, 0, 595, 500), signature)) <= ap.MAX_PERSONAL_HEIGHT + 1


def test_seal_box_actual_size_over_the_left_third(signature, seal):
    personal = ap.personal_box((330, 150, 530, 250), signature)
    box = ap.seal_box(personal, seal)
    assert all(isinstance(v, int) for v in box)
    assert _w(box) == pytest.approx(seal.width_pt, abs=1) and _h(box) == pytest.approx(seal.height_pt, abs=1)
    assert box[2] == pytest.approx(personal[0] + _w(personal) / 3, abs=1)
    assert (box[1] + box[3]) / 2 == pytest.approx((personal[1] + personal[3]) / 2, abs=1)


def test_seal_box_refuses_a_seal_of_impossible_size(signature):
    poster = ink_png(_png(_seal_scan(), dpi=100), RED)  # 470 px at 100 dpi = 119 mm
    with pytest.raises(ValueError, match="dpi"):
        ap.seal_box((330, 176, 530, 224), poster)


def test_copy_stamp_lines_for_a_copy_and_an_attachment():
    signed = dt.datetime(2026, 12, 1, 2, 30, 5, 123456, tzinfo=dt.timezone.utc)
    nfd_agency = unicodedata.normalize("NFD", "Ủy ban nhân dân tỉnh Thử Nghiệm")
    lines = ap.copy_stamp_lines("sao y", nfd_agency, "12/SY-UBND", signed)
    assert lines == ["SAO Y", "Ủy ban nhân dân tỉnh Thử Nghiệm", "Số: 12/SY-UBND", "2026-12-01T09:30:05+07:00"]
    assert all(unicodedata.is_normalized("NFC", line) for line in lines)
    assert ap.copy_stamp_lines("TrS", "UBND xã A", "03/TrS-UBND", signed)[0] == "TRÍCH SAO"
    assert ap.copy_stamp_lines("SAO LỤC", "UBND xã A", None, signed)[:2] == ["SAO LỤC", "UBND xã A"]
    attachment = ap.copy_stamp_lines(None, None, "245/UBND-KGVX", dt.datetime(2026, 1, 2, 23, 59, 59, tzinfo=VN))
    assert attachment == ["Số: 245/UBND-KGVX", "2026-01-02T23:59:59+07:00"]
    with pytest.raises(ValueError, match="timezone"):
        ap.copy_stamp_lines(None, None, "1/QĐ-UBND", dt.datetime(2026, 1, 1))
    with pytest.raises(ValueError, match="copy form"):
        ap.copy_stamp_lines("PHOTO", "UBND", "1/QĐ-UBND", signed)
    with pytest.raises(ValueError, match="agency"):
        ap.copy_stamp_lines("SAO Y", None, "1/SY-UBND", signed)


def test_copy_stamp_box_top_right_sized_to_the_text():
    short = ap.copy_stamp_box(A4, ["SAO Y", "2026-12-01T09:30:00+07:00"])
    long = ap.copy_stamp_box(A4, ["SAO Y", "Ủy ban nhân dân tỉnh Thử Nghiệm Rất Dài", "2026-12-01T09:30:00+07:00"])
    for box in (short, long):
        assert (A4[2] - box[2]) / ap.MM == pytest.approx(10, abs=0.5)
        assert (A4[3] - box[3]) / ap.MM == pytest.approx(3, abs=0.5)
    # four lines (form, agency, number, time) stay within Decree 30's top margin, clear of the motto
    four = ap.copy_stamp_box(A4, ["SAO Y", "Ủy ban nhân dân tỉnh Thử Nghiệm", "Số: 07/SY-UBND", "2026-12-01T09:30:00+07:00"])
    assert (A4[3] - four[1]) / ap.MM < 23
    assert _w(long) > _w(short) and _h(long) > _h(short)
    # the ISO time is ~25 characters of 10 pt Times: about 120 pt
    assert 110 < _w(short) < 135


def test_field_spec():
    spec = ap.field_spec("Sig1", 0, (330, 176, 530, 224))
    assert (spec.sig_field_name, spec.on_page, spec.box) == ("Sig1", 0, (330, 176, 530, 224))
    with pytest.raises(ValueError):
        ap.field_spec("a.b", 0, (0, 0, 10, 10))
    with pytest.raises(ValueError):
        ap.field_spec("Sig", 0, (10, 10, 10, 50))


# ---------------------------------------------------------------- real signatures, rendered


@pytest.fixture(scope="module")
def pki():
    from asn1crypto import keys as asn1_keys
    from asn1crypto import x509 as asn1_x509
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import rsa
    from cryptography.x509.oid import NameOID
    from pyhanko.sign import signers
    from pyhanko_certvalidator.registry import SimpleCertificateStore

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Nguyễn Văn Thử")])
    now = dt.datetime.now(dt.timezone.utc)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=30))
        .add_extension(x509.KeyUsage(True, True, False, False, False, False, False, False, False), critical=True)
        .sign(key, hashes.SHA256())
    )
    asn1_cert = asn1_x509.Certificate.load(cert.public_bytes(serialization.Encoding.DER))
    asn1_key = asn1_keys.PrivateKeyInfo.load(
        key.private_bytes(serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    signer = signers.SimpleSigner(
        signing_cert=asn1_cert, signing_key=asn1_key, cert_registry=SimpleCertificateStore.from_certs([asn1_cert])
    )
    return signer, asn1_cert


@pytest.fixture(scope="module")
def a4_pdf() -> bytes:
    pdf = pikepdf.new()
    pdf.add_blank_page(page_size=(A4[2], A4[3]))
    buf = io.BytesIO()
    pdf.save(buf)
    return buf.getvalue()


def _sign(pdf: bytes, signer, name: str, style, box) -> bytes:
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.sign.signers.pdf_signer import PdfSignatureMetadata, PdfSigner

    writer = IncrementalPdfFileWriter(io.BytesIO(pdf))
    out = io.BytesIO()
    PdfSigner(
        PdfSignatureMetadata(field_name=name), signer=signer, stamp_style=style, new_field_spec=ap.field_spec(name, 0, box)
    ).sign_pdf(writer, output=out)
    return out.getvalue()


def _render(pdf: bytes, tmp_path: Path, stem: str) -> np.ndarray:
    src = tmp_path / f"{stem}.pdf"
    src.write_bytes(pdf)
    subprocess.run(["pdftoppm", "-r", str(DPI), "-png", "-singlefile", str(src), str(tmp_path / stem)], check=True)
    return np.asarray(Image.open(tmp_path / f"{stem}.png").convert("RGB")).astype(int)


def _px(box, page_height=A4[3]):
    """Page box in points -> (row0, row1, col0, col1) in the rendered image."""
    s = DPI / 72
    return round((page_height - box[3]) * s), round((page_height - box[1]) * s), round(box[0] * s), round(box[2] * s)


def _mask_in(mask: np.ndarray, box) -> np.ndarray:
    r0, r1, c0, c1 = _px(box)
    return mask[r0:r1, c0:c1]


def _blue(img: np.ndarray) -> np.ndarray:
    r, g, b = img[..., 0], img[..., 1], img[..., 2]
    return (b > 110) & (b - r > 60) & (b - g > 40)


def _red(img: np.ndarray) -> np.ndarray:
    r, g, b = img[..., 0], img[..., 1], img[..., 2]
    return (r > 130) & (r - g > 80) & (r - b > 60)


def _grow(box, by=3):
    return (box[0] - by, box[1] - by, box[2] + by, box[3] + by)


def test_signature_then_seal_rendered(tmp_path, pki, a4_pdf, signature, seal):
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.validation import validate_pdf_signature
    from pyhanko_certvalidator import ValidationContext

    signer, cert = pki
    personal = ap.personal_box((330, 150, 530, 250), signature)
    one = _sign(a4_pdf, signer, "ChuTich", ap.personal_style(signature), personal)

    img = _render(one, tmp_path, "personal")
    blue = _blue(img)
    inside = _mask_in(blue, personal).sum()
    assert inside > 800  # a 7 px stroke over ~200 pt at 100 dpi
    assert blue.sum() - _mask_in(blue, _grow(personal)).sum() < 0.01 * inside  # nothing outside the field
    assert not _red(img).any()
    # transparent: the paper inside the field stays white (an opaque white/grey image would not)
    field = img[slice(*_px(personal)[:2]), slice(*_px(personal)[2:])]
    assert (field.min(axis=2) > 245).mean() > 0.7

    sealbox = ap.seal_box(personal, seal)
    two = _sign(one, signer, "VanThu", ap.seal_style(seal), sealbox)
    img = _render(two, tmp_path, "sealed")
    red, blue = _red(img), _blue(img)
    assert _mask_in(red, sealbox).sum() > 1500
    assert red.sum() - _mask_in(red, _grow(sealbox)).sum() < 0.01 * red.sum()
    third = personal[0] + _w(personal) / 3
    left_third = (personal[0], personal[1], third, personal[3])
    right_two_thirds = (third + 2, personal[1], personal[2], personal[3])
    assert _mask_in(red, left_third).sum() > 100  # the seal overlaps the signature's left third...
    assert _mask_in(red, right_two_thirds).sum() == 0  # ...and only that
    assert _mask_in(blue, right_two_thirds).sum() > 0.5 * inside  # the signature still shows beside it
    assert _mask_in(blue, left_third).sum() > 20  # and through the seal's transparent parts

    # the seal is an incremental update that keeps the first signature intact
    reader = PdfFileReader(io.BytesIO(two))
    assert [s.field_name for s in reader.embedded_signatures] == ["ChuTich", "VanThu"]
    vc = ValidationContext(trust_roots=[cert])
    for sig in reader.embedded_signatures:
        status = validate_pdf_signature(sig, vc)
        assert status.intact and status.valid, status.pretty_print_details()
    # the image's alpha channel made it into the PDF as a soft mask
    with pikepdf.open(io.BytesIO(two)) as pdf:
        images = [o for o in pdf.objects if isinstance(o, pikepdf.Stream) and o.get("/Subtype") == "/Image"]
        colour = [o for o in images if o.get("/ColorSpace") == "/DeviceRGB"]
        assert len(colour) == 2 and all("/SMask" in o for o in colour)


def _ink_width(text: str, size: float) -> float:
    """How wide `text` prints in Liberation Serif: HarfBuzz advances (with kerning), minus the side bearings."""
    import uharfbuzz as hb
    from fontTools.ttLib import TTFont

    data = Path(ap.LIBERATION_SERIF).read_bytes()
    font = hb.Font(hb.Face(data))
    buf = hb.Buffer()
    buf.add_str(text)
    buf.guess_segment_properties()
    hb.shape(font, buf)
    tt = TTFont(io.BytesIO(data))
    glyf, upem = tt["glyf"], tt["head"].unitsPerEm
    first, last = (glyf[tt.getGlyphName(i.codepoint)] for i in (buf.glyph_infos[0], buf.glyph_infos[-1]))
    advance = sum(p.x_advance for p in buf.glyph_positions)
    right_bearing = buf.glyph_positions[-1].x_advance - last.xMax
    return (advance - first.xMin - right_bearing) / upem * size


def test_copy_stamp_rendered_with_an_embedded_subset(tmp_path, pki, a4_pdf):
    signer, _ = pki
    when = dt.datetime(2026, 12, 1, 2, 30, tzinfo=dt.timezone.utc)
    lines = ap.copy_stamp_lines("SAO Y", "Ủy ban nhân dân tỉnh Thử Nghiệm", "12/SY-UBND", when)
    box = ap.copy_stamp_box(A4, lines)
    signed = _sign(a4_pdf, signer, "SaoY", ap.copy_stamp_style(lines), box)
    path = tmp_path / "copy.pdf"
    path.write_bytes(signed)

    text = subprocess.run(["pdftotext", "-enc", "UTF-8", str(path), "-"], capture_output=True, check=True)
    text = text.stdout.decode("utf-8")
    for line in lines:  # exactly, precomposed: the ToUnicode map is right and nothing is decomposed
        assert line in text, (line, text)
    assert "SAO Y" in text and "+07:00" in text

    # the text is inside the stamp box (pdftotext of that region only)
    x, y = box[0], A4[3] - box[3]
    region = subprocess.run(
        ["pdftotext", "-enc", "UTF-8", "-r", "72", "-x", str(int(x)), "-y", str(int(y)), "-W", str(_w(box) + 1),
         "-H", str(_h(box) + 1), str(path), "-"],
        capture_output=True, check=True,
    ).stdout.decode("utf-8")
    assert "Ủy ban nhân dân tỉnh Thử Nghiệm" in region and "2026-12-01T09:30:00+07:00" in region

    fonts = subprocess.run(["pdffonts", str(path)], capture_output=True, check=True, text=True).stdout
    rows = [r for r in fonts.splitlines() if "LiberationSerif" in r]
    assert len(rows) == 1, fonts
    assert re.match(r"[A-Z]{6}\+LiberationSerif", rows[0])
    assert re.search(r"\byes\s+yes\s+yes\b", rows[0]), rows[0]  # emb, sub, uni

    img = _render(signed, tmp_path, "copy")
    dark = img.max(axis=2) < 110
    inside = _mask_in(dark, box).sum()
    assert inside > 300
    assert dark.sum() == inside  # glyphs spaced right: nothing spills out of the box sized to the text
    # each line is as wide as its glyphs' advance widths say: glyph spacing is right (pyHanko alone spaces
    # a 2048-units-per-em font's glyphs twice too far apart; the appearance clips it, pdftotext won't see it)
    for i, line in enumerate(lines):
        baseline = box[3] - ap.COPY_STAMP_PAD_TOP - ap._leading(10) * (i + 1)
        band = _mask_in(dark, (box[0], baseline - 0.5, box[2], baseline + 7))  # baseline to cap height
        cols = np.nonzero(band.any(axis=0))[0]
        rendered = (cols.max() - cols.min() + 1) * 72 / DPI
        assert rendered == pytest.approx(_ink_width(line, 10), rel=0.02, abs=1.5), line
    gray = img[..., 0] - img[..., 2]
    assert np.abs(gray[dark]).max() < 40  # black, not coloured


def test_repeated_copy_stamps_reuse_the_cached_subset(pki, a4_pdf):
    signer, _ = pki
    when = dt.datetime(2026, 12, 1, 9, 30, tzinfo=VN)
    before = ap._embedded_program.cache_info()
    for n in (11, 12, 13):
        lines = ap.copy_stamp_lines("SAO Y", "Ủy ban nhân dân tỉnh Thử Nghiệm", f"{n}/SY-UBND", when)
        _sign(a4_pdf, signer, "SaoY", ap.copy_stamp_style(lines), ap.copy_stamp_box(A4, lines))
    after = ap._embedded_program.cache_info()
    assert after.misses - before.misses <= 1 and after.hits - before.hits >= 2
