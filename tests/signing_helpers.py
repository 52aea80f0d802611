"""What the signing tests share: a Decree 30 style PDF, a keyring over the test PKI, and a few PDF probes."""

from __future__ import annotations

import io
import re
import subprocess
from pathlib import Path

from fpdf import FPDF

from bench.testpki.images import seal_png, signature_png

SERIF = "/usr/share/fonts/truetype/liberation2/LiberationSerif-Regular.ttf"
SERIF_BOLD = "/usr/share/fonts/truetype/liberation2/LiberationSerif-Bold.ttf"
PASSPHRASE_ENV = "SOHOA_TEST_P12_PASSPHRASE"


def decree30_pdf(pages: int = 1) -> bytes:
    """A born-digital administrative decision laid out per Decree 30: header, body, signer block, Nơi nhận."""
    pdf = FPDF(format="A4", unit="mm")
    pdf.add_font("S", fname=SERIF)
    pdf.add_font("S", style="B", fname=SERIF_BOLD)
    for n in range(pages):
        pdf.add_page()
        pdf.set_font("S", size=13)
        if n == 0:
            pdf.set_xy(20, 15)
            pdf.cell(70, 6, "ỦY BAN NHÂN DÂN", align="C")
            pdf.set_xy(95, 15)
            pdf.set_font("S", "B", 13)
            pdf.cell(100, 6, "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", align="C")
            pdf.set_xy(20, 21)
            pdf.cell(70, 6, "TỈNH THỬ NGHIỆM", align="C")
            pdf.set_xy(95, 21)
            pdf.cell(100, 6, "Độc lập - Tự do - Hạnh phúc", align="C")
            pdf.set_font("S", size=13)
            pdf.set_xy(20, 30)
            pdf.cell(70, 6, "Số: 125/QĐ-UBND", align="C")
            pdf.set_xy(95, 30)
            pdf.cell(100, 6, "Thử Nghiệm, ngày 25 tháng 11 năm 2026", align="C")
            pdf.set_font("S", "B", 14)
            pdf.set_xy(20, 45)
            pdf.cell(170, 7, "QUYẾT ĐỊNH", align="C")
            pdf.set_xy(20, 52)
            pdf.cell(170, 7, "Về việc công bố danh mục thủ tục hành chính", align="C")
            pdf.set_font("S", size=13)
        pdf.set_xy(30, 70)
        pdf.multi_cell(160, 7, "Điều 1. Công bố kèm theo Quyết định này danh mục thủ tục hành chính được số hóa. " * 3)
        if n == pages - 1:
            pdf.set_font("S", "B", 13)
            pdf.set_xy(110, 150)
            pdf.cell(80, 6, "KT. CHỦ TỊCH", align="C")
            pdf.set_xy(110, 156)
            pdf.cell(80, 6, "PHÓ CHỦ TỊCH", align="C")
            pdf.set_xy(110, 190)
            pdf.cell(80, 6, "Nguyễn Văn An", align="C")
            pdf.set_font("S", size=11)
            pdf.set_xy(30, 150)
            pdf.cell(60, 5, "Nơi nhận:")
            pdf.set_xy(30, 156)
            pdf.cell(60, 5, "- Như Điều 3;")
            pdf.set_xy(30, 161)
            pdf.cell(60, 5, "- Lưu: VT, KSTT.")
    return bytes(pdf.output())


def write_keyring(pki, folder: Path, token=None) -> Path:
    """Signers over the test PKI: good personal (RSA and ECDSA) and agency keys, and the bad ones."""
    folder.mkdir(parents=True, exist_ok=True)
    sig = signature_png(folder / "chu-tich.png")
    seal = seal_png(folder / "seal.png")
    chain = "\n".join(f'chain = ["{c}"]' for c in pki.chain_pems("personal")[:1])
    lines = []
    for sid, label, role in (("chu-tich", "personal", "personal"), ("chu-tich-ec", "personal-ec", "personal"),
                             ("van-thu", "agency", "agency"), ("revoked", "revoked", "personal"),
                             ("expired", "expired", "personal"), ("wrong-usage", "wrong-usage", "personal"),
                             ("untrusted", "untrusted", "personal")):
        image = seal if role == "agency" else sig
        lines.append(f'''[signers.{sid}]
role = "{role}"
pkcs12 = "{pki.p12(label)}"
passphrase_env = "{PASSPHRASE_ENV}"
image = "{image}"
agency = "Ủy ban nhân dân tỉnh Thử Nghiệm"
{chain if label != "untrusted" else ""}
''')
    if token is not None:
        lines.append(f'''[signers.van-thu-hsm]
role = "agency"
pkcs11_module = "{token.module}"
token_label = "{token.token_label}"
key_label = "{token.key_label}"
cert_label = "{token.cert_label}"
pin_env = "SOHOA_TEST_TOKEN_PIN"
image = "{seal}"
agency = "Ủy ban nhân dân tỉnh Thử Nghiệm"
{chain}
''')
    path = folder / "keyring.toml"
    path.write_text("\n".join(lines), encoding="utf-8")
    return path


def signature_contents(pdf: bytes, index: int = -1) -> tuple[bytes, bytes]:
    """(CMS DER, signed bytes) of a signature, cut out by hand from /ByteRange and /Contents (no pyHanko)."""
    ranges = [list(map(int, m.groups())) for m in re.finditer(rb"/ByteRange\s*\[\s*(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s*\]", pdf)]
    a, b, c, d = ranges[index]
    signed = pdf[a:a + b] + pdf[c:c + d]
    hexed = pdf[a + b:c].strip(b"<> \r\n")
    der = bytes.fromhex(hexed.decode())
    # the reserved space is padded with zeros: keep the DER object only
    length, header = _der_length(der)
    return der[:header + length], signed


def _der_length(der: bytes) -> tuple[int, int]:
    first = der[1]
    if first < 0x80:
        return first, 2
    n = first & 0x7F
    return int.from_bytes(der[2:2 + n], "big"), 2 + n


def pdfsig(path: Path) -> str:
    return subprocess.run(["pdfsig", str(path)], capture_output=True, text=True, timeout=60).stdout


def flip_byte_in_signed_range(pdf: bytes) -> bytes:
    """Change one byte of page content covered by the first signature."""
    data = bytearray(pdf)
    at = data.index(b"stream", 200) + 20
    data[at] = (data[at] + 1) % 256
    return bytes(data)


def page_content_changed(pdf: bytes) -> bytes:
    """An incremental update that draws on page 1 — a change no signature allows."""
    from pyhanko.pdf_utils import generic
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter

    w = IncrementalPdfFileWriter(io.BytesIO(pdf), strict=False)
    page_ref = w.root["/Pages"]["/Kids"].raw_get(0)
    page = page_ref.get_object()
    stream = generic.StreamObject(stream_data=b"q 1 0 0 RG 50 50 m 500 500 l S Q")
    ref = w.add_object(stream)
    contents = page["/Contents"]
    arr = generic.ArrayObject(list(contents) if isinstance(contents, generic.ArrayObject) else [contents])
    arr.append(ref)
    page["/Contents"] = arr
    w.mark_update(page_ref)
    out = io.BytesIO()
    w.write(out)
    return out.getvalue()
