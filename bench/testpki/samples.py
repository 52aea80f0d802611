"""A born-digital Decree 30 decision and a keyring over the test PKI: what tests, benches and the README's
sample signed page all sign, so the three show the same thing."""

from __future__ import annotations

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
