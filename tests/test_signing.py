"""Signing and validation against the test PKI: every test asserts the verdict a receiving agency would get."""

from __future__ import annotations

import subprocess
from datetime import datetime, timedelta, timezone

import pytest

from ingest import signatures
from ingest.runtime import Runtime
from ingest.settings import Settings
from signing.keys import forget_signers
from signing.sign import Level, PadesSigner, SignRequest, signature_boxes
from tests.signing_helpers import (
    PASSPHRASE_ENV,
    decree30_pdf,
    flip_byte_in_signed_range,
    page_content_changed,
    pdfsig,
    signature_contents,
    write_keyring,
)


def _sign(rt, pdf: bytes, signer: str, role: str | None = None, level: str = "B-LT", **kw) -> bytes:
    spec = signatures.signer_spec(rt, signer)
    return signatures.sign_file(rt, pdf, spec, role=role or spec.role, level=level, **kw)


def _verdict(rt, pdf: bytes, **kw):
    return signatures.validator(rt).validate(pdf, **kw)


@pytest.fixture
def both_signed(srt):
    personal = _sign(srt, decree30_pdf(), "chu-tich", level="B-LT")
    return personal, _sign(srt, personal, "van-thu", level="B-LTA")


def test_personal_then_agency_is_valid(srt, both_signed):
    personal, agency = both_signed
    report = _verdict(srt, agency)
    assert report.verdict == "TOTAL_PASSED", report.summary
    sigs = [s for s in report.signatures if s.kind == "signature"]
    assert [s.signer for s in sigs] == ["Nguyễn Văn An", "Ủy ban nhân dân tỉnh Thử Nghiệm"]
    assert all(s.integrity and s.trusted and s.timestamp_ok and s.key_usage_ok for s in sigs)
    assert sigs[0].coverage == "revision" and sigs[0].modifications_allowed  # the agency's signature came after
    assert sigs[1].level == "B-LTA"
    assert report.summary.startswith("Tài liệu hợp lệ")
    assert agency.startswith(personal)  # incremental: the personal version's bytes are untouched


def test_personal_signature_lands_between_authority_line_and_name(srt, both_signed):
    _personal, agency = both_signed
    boxes = signature_boxes(agency)
    (_n1, page1, p), (_n2, page2, s) = boxes
    assert page1 == page2 == 0
    # decree30_pdf: "PHÓ CHỦ TỊCH" ends at 162 mm from the top, the name starts at 190 mm; the column is 110-190 mm
    mm = 72 / 25.4
    top, bottom = (297 - 162) * mm, (297 - 190) * mm
    assert bottom - 1 <= p[1] < p[3] <= top + 1
    assert 110 * mm - 1 <= p[0] < p[2] <= 190 * mm + 1
    # the seal overlaps about the left third of the signature image, at actual size (~36-42 mm)
    width = p[2] - p[0]
    assert s[0] < p[0] < s[2] <= p[0] + width * 0.45
    assert 30 * mm < s[2] - s[0] < 50 * mm


def test_agency_before_personal_is_refused(srt):
    with pytest.raises(signatures.SignatureRefused, match="personal signature"):
        _sign(srt, decree30_pdf(), "van-thu")


def test_agency_over_a_failing_personal_signature_is_refused(srt):
    revoked = _sign(srt, decree30_pdf(), "revoked", level="B-B")
    with pytest.raises(signatures.SignatureRefused, match="valid personal signature"):
        _sign(srt, revoked, "van-thu")


def test_byte_flipped_in_signed_range_fails(srt, both_signed):
    report = _verdict(srt, flip_byte_in_signed_range(both_signed[1]))
    assert report.verdict == "TOTAL_FAILED"
    assert any(s.sub_indication == "HASH_FAILURE" and not s.integrity for s in report.signatures)


def test_allowed_incremental_update_keeps_validity(srt):
    """A later signature is an allowed change: the earlier one still passes, covering only its revision."""
    once = _sign(srt, decree30_pdf(), "chu-tich", level="B-T")
    twice = _sign(srt, once, "chu-tich-ec", level="B-T", appearance="none")
    report = _verdict(srt, twice)
    assert report.verdict == "TOTAL_PASSED", report.summary
    first = report.signatures[0]
    assert first.coverage == "revision" and first.modifications in ("form_filling", "lta_updates")


def test_page_change_after_signing_fails(srt):
    signed = _sign(srt, decree30_pdf(), "chu-tich", level="B-T")
    report = _verdict(srt, page_content_changed(signed))
    assert report.verdict == "TOTAL_FAILED"
    sig = report.signatures[0]
    assert sig.integrity and sig.modifications == "other" and sig.modifications_allowed is False
    assert "không còn là bản đã ký" in " ".join(sig.reasons)


@pytest.mark.parametrize("signer, verdict, sub", [
    ("revoked", "TOTAL_FAILED", {"REVOKED"}),
    ("expired", "INDETERMINATE", {"OUT_OF_BOUNDS_NO_POE", "EXPIRED", "OUT_OF_BOUNDS_NOT_REVOKED"}),
    ("untrusted", "INDETERMINATE", {"NO_CERTIFICATE_CHAIN_FOUND"}),
    ("wrong-usage", "INDETERMINATE", {"SIG_CONSTRAINTS_FAILURE", "CHAIN_CONSTRAINTS_FAILURE"}),
])
def test_bad_certificates(srt, signer, verdict, sub):
    signed = _sign(srt, decree30_pdf(), signer, level="B-B", appearance="none")
    report = _verdict(srt, signed)
    assert report.verdict == verdict, report.summary
    assert report.signatures[0].sub_indication in sub
    assert report.signatures[0].integrity  # the bytes are fine: it is the certificate that is not
    if signer == "wrong-usage":
        assert not report.signatures[0].key_usage_ok


def test_long_term_signature_cannot_be_made_with_a_revoked_key(srt):
    with pytest.raises(signatures.SigningError):
        _sign(srt, decree30_pdf(), "revoked", level="B-LT")


def test_ecdsa_and_every_level(srt):
    for level in ("B-B", "B-T", "B-LT", "B-LTA"):
        signed = _sign(srt, decree30_pdf(), "chu-tich-ec", level=level)
        report = _verdict(srt, signed)
        assert report.verdict == "TOTAL_PASSED", (level, report.summary)
        assert report.signatures[0].level == level


def test_pkcs11_token_signs(pki, soft_token, tmp_path, monkeypatch):
    monkeypatch.setenv(PASSPHRASE_ENV, pki.passphrase.decode())
    monkeypatch.setenv("SOHOA_TEST_TOKEN_PIN", soft_token.pin)
    ring = write_keyring(pki, tmp_path / "keys", token=soft_token)
    rt = Runtime(Settings(data_dir=tmp_path / "var", signing_keyring=ring, trust_anchors=pki.trust_bundle,
                          tsa_url=pki.tsa_url))
    try:
        personal = _sign(rt, decree30_pdf(), "chu-tich", level="B-LT")
        agency = _sign(rt, personal, "van-thu-hsm", level="B-LT")
        report = _verdict(rt, agency)
        assert report.verdict == "TOTAL_PASSED", report.summary
        assert report.signatures[1].signer == "Ủy ban nhân dân tỉnh Thử Nghiệm"
    finally:
        rt.close()
        forget_signers()


def test_wrong_pin_is_a_clear_error(pki, soft_token, tmp_path, monkeypatch):
    monkeypatch.setenv(PASSPHRASE_ENV, pki.passphrase.decode())
    monkeypatch.setenv("SOHOA_TEST_TOKEN_PIN", "0000")
    ring = write_keyring(pki, tmp_path / "keys", token=soft_token)
    rt = Runtime(Settings(data_dir=tmp_path / "var", signing_keyring=ring, trust_anchors=pki.trust_bundle))
    spec = signatures.signer_spec(rt, "van-thu-hsm")
    with pytest.raises(signatures.SigningKeyError, match="PIN"):
        signatures.sign_file(rt, decree30_pdf(), spec, role="agency", appearance="text", level="B-B")
    assert "0000" not in repr(spec)


def test_copy_stamp_text_top_right(srt, tmp_path):
    spec = signatures.signer_spec(srt, "van-thu")
    lines = ["SAO Y", "Ủy ban nhân dân tỉnh Thử Nghiệm", "Số: 07/SY-UBND", "2026-12-01T09:30:00+07:00"]
    signed = signatures.sign_file(srt, decree30_pdf(), spec, role="agency", appearance="text", level="B-T",
                                  text_lines=lines)
    assert _verdict(srt, signed).verdict == "TOTAL_PASSED"
    (_n, page, box), = signature_boxes(signed)
    assert page == 0 and box[0] > 595 / 2 and box[1] > 842 * 0.75  # top right of page 1
    path = tmp_path / "copy.pdf"
    path.write_bytes(signed)
    fonts = subprocess.run(["pdffonts", str(path)], capture_output=True, text=True).stdout
    assert "+LiberationSerif" in fonts
    x, y = int(box[0]), int(842 - box[3])
    text = subprocess.run(["pdftotext", "-f", "1", "-l", "1", "-x", str(x), "-y", str(y), "-W", str(int(box[2] - box[0]) + 2),
                           "-H", str(int(box[3] - box[1]) + 2), str(path), "-"], capture_output=True, text=True).stdout
    assert "SAO Y" in text and "Ủy ban nhân dân tỉnh Thử Nghiệm" in text and "+07:00" in text


def test_lta_renewal_outlives_the_tsa_certificate(srt, pki):
    """Signed B-LTA with a TSA whose certificate expires in ~60 days; a year later only the renewed copy holds."""
    short = PadesSigner(anchors=pki.trust_bundle, tsa_url=pki.tsa_short_url)
    spec = signatures.signer_spec(srt, "chu-tich")
    from signing.keys import open_signer

    signed = short.sign(decree30_pdf(), SignRequest(signer=open_signer(spec), level=Level.B_LTA))
    later = datetime.now(timezone.utc) + timedelta(days=365)
    assert _verdict(srt, signed).verdict == "TOTAL_PASSED"
    stale = _verdict(srt, signed, at=later)
    assert stale.verdict != "TOTAL_PASSED"

    from signing.ltv import last_timestamp_expiry

    assert last_timestamp_expiry(signed) < datetime.now(timezone.utc) + timedelta(days=90)  # due for renewal
    renewed = signatures.service(srt).extend(signed)  # the configured, long-lived TSA
    assert last_timestamp_expiry(renewed) > later
    # a validator a year from now has that day's CRLs (the test PKI serves them for any date asked)
    crls = [_crl_at(pki, issuer, later) for issuer in ("root", "sub-ca")]
    report = _verdict(srt, renewed, at=later, revocation=crls)
    assert report.verdict == "TOTAL_PASSED", report.summary
    assert _verdict(srt, signed, at=later, revocation=crls).verdict != "TOTAL_PASSED"  # not renewed: lost


def _crl_at(pki, issuer: str, when: datetime) -> bytes:
    import urllib.request

    req = urllib.request.Request(pki.crl_url(issuer), headers={"X-Certomancer-Fake-Time": when.isoformat()})
    with urllib.request.urlopen(req, timeout=10) as resp:
        return resp.read()


# --- checks outside pyHanko ------------------------------------------------------------------------------


def test_pdfsig_reports_every_signature_intact(both_signed, tmp_path):
    path = tmp_path / "signed.pdf"
    path.write_bytes(both_signed[1])
    out = pdfsig(path)
    # pdfsig checks CMS signatures (it leaves document timestamps "not yet verified"): both must be intact
    assert out.count("Signature Type: ETSI.CAdES.detached") == 2, out
    assert out.count("Signature Validation: Signature is Valid.") == 2, out
    broken = tmp_path / "broken.pdf"
    broken.write_bytes(flip_byte_in_signed_range(both_signed[1]))
    assert "Signature is Valid." not in pdfsig(broken).split("Signature #2")[0]


def test_openssl_cms_verifies_against_the_test_root(pki, both_signed, tmp_path):
    for index in (0, 1):
        der, signed = signature_contents(both_signed[1], index)
        (tmp_path / "sig.der").write_bytes(der)
        (tmp_path / "data.bin").write_bytes(signed)
        chain = tmp_path / "chain.pem"
        chain.write_text("".join(p.read_text() for p in pki.chain_pems("personal")))
        cmd = ["openssl", "cms", "-verify", "-binary", "-inform", "DER", "-in", str(tmp_path / "sig.der"),
               "-content", str(tmp_path / "data.bin"), "-CAfile", str(pki.trust_bundle), "-certfile", str(chain),
               "-purpose", "any", "-out", "/dev/null"]
        ok = subprocess.run(cmd, capture_output=True, text=True)
        assert ok.returncode == 0 and "Verification successful" in ok.stderr, ok.stderr
        (tmp_path / "data.bin").write_bytes(signed[:-1] + bytes([signed[-1] ^ 1]))
        bad = subprocess.run(cmd, capture_output=True, text=True)
        assert bad.returncode != 0
        other = subprocess.run(cmd[:cmd.index("-CAfile") + 1] + [str(pki.untrusted_root)] + cmd[cmd.index("-CAfile") + 2:],
                               capture_output=True, text=True)
        assert other.returncode != 0  # not trusted by another root


def test_not_a_pdf_and_unsigned(srt):
    from signing.validate import ValidationError

    with pytest.raises(ValidationError):
        _verdict(srt, b"hello")
    with pytest.raises(ValidationError):
        _verdict(srt, b"%PDF-1.7\n garbage")
    report = _verdict(srt, decree30_pdf())
    assert report.verdict == "TOTAL_FAILED" and "không có chữ ký số" in report.summary


def test_renewal_round_extends_only_what_is_due(pki, tmp_path, monkeypatch):
    """The periodic task: a stored B-LTA document whose timestamp certificate expires within the horizon gets a
    renewal version (fresh DSS and document timestamp); the next round finds nothing due."""
    from tests.helpers import digitize
    from tests.signing_helpers import decree30_pdf as sample

    monkeypatch.setenv(PASSPHRASE_ENV, pki.passphrase.decode())
    ring = write_keyring(pki, tmp_path / "keys")
    base = Settings(data_dir=tmp_path / "var", jobs=1, signing_keyring=ring, trust_anchors=pki.trust_bundle,
                    tsa_url=pki.tsa_short_url)
    src = tmp_path / "qd.pdf"
    src.write_bytes(sample())
    rt = Runtime(base)
    doc_id = digitize(rt, [src])["files"][0]["document_id"]
    spec = signatures.signer_spec(rt, "chu-tich")
    signatures.sign_document(rt, doc_id, spec, role="personal", level="B-LTA")
    rt.close()

    rt = Runtime(base.model_copy(update={"tsa_url": pki.tsa_url}))  # the centre moved to a long-lived TSA
    try:
        assert signatures.renew_due(rt, before_days=30) == []  # tsa-short still has ~60 days
        assert signatures.renew_due(rt, before_days=90) == [doc_id]
        with rt.catalog.session() as session:
            kinds = [v.kind for v in signatures.versions(session, doc_id)]
        assert kinds == ["digitized", "personal", "renewal"]
        assert signatures.renew_due(rt, before_days=90) == []
        report = signatures.validate_document(rt, doc_id)
        assert report.verdict == "TOTAL_PASSED", report.summary
        assert sum(s.kind == "document timestamp" for s in report.signatures) == 2
    finally:
        rt.close()


def test_weak_keys_are_refused(tmp_path):
    """A 1024-bit RSA key is no specialized signature key: refused when the signer is opened."""
    from datetime import datetime as dt

    from cryptography import x509 as cx509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import rsa
    from cryptography.hazmat.primitives.serialization import pkcs12
    from cryptography.x509.oid import NameOID

    from signing.keys import KeySpec, SigningKeyError, open_signer

    key = rsa.generate_private_key(public_exponent=65537, key_size=1024)
    name = cx509.Name([cx509.NameAttribute(NameOID.COMMON_NAME, "Yếu")])
    now = dt.now(timezone.utc)
    cert = (cx509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(7).not_valid_before(now - timedelta(days=1)).not_valid_after(now + timedelta(days=9))
            .sign(key, hashes.SHA256()))
    p12 = tmp_path / "weak.p12"
    p12.write_bytes(pkcs12.serialize_key_and_certificates(b"weak", key, cert, None,
                                                          serialization.BestAvailableEncryption(b"pw")))
    with pytest.raises(SigningKeyError, match="1024 bits is too weak"):
        open_signer(KeySpec(id="weak", role="personal", pkcs12=p12), "pw")
    with pytest.raises(SigningKeyError, match="wrong passphrase"):
        open_signer(KeySpec(id="weak", role="personal", pkcs12=p12), "nope")


@pytest.mark.parametrize("make", ["empty", "junk", "truncated", "encrypted", "no_pages"])
def test_bad_files_are_refused_with_a_reason(srt, tmp_path, make):
    from tests import badfiles

    data = {
        "empty": lambda: b"",
        "junk": lambda: b"GIF89a not a pdf",
        "truncated": lambda: decree30_pdf()[:900],
        "encrypted": lambda: badfiles.encrypted_pdf(tmp_path).read_bytes(),
        "no_pages": lambda: badfiles.no_pages_pdf(tmp_path).read_bytes(),
    }[make]()
    with pytest.raises(signatures.SigningError) as err:
        _sign(srt, data, "chu-tich", level="B-B")
    assert str(err.value)
    if make in ("encrypted", "junk", "empty"):
        from signing.validate import ValidationError

        with pytest.raises(ValidationError):
            _verdict(srt, data)


def test_trust_anchors_from_a_directory_or_a_bundle(pki, tmp_path):
    from asn1crypto import pem

    from signing.trust import TrustError, load_anchors

    bundle = load_anchors(pki.trust_bundle)
    assert [c.subject.native["common_name"] for c in bundle] == ["Test Root CA — Ban Cơ yếu Chính phủ (thử nghiệm)"]
    folder = tmp_path / "anchors"
    folder.mkdir()
    _kind, _h, der = pem.unarmor(pki.trust_bundle.read_bytes())
    (folder / "root.cer").write_bytes(der)  # DER, as CAs often publish them
    (folder / "notes.txt").write_text("not a certificate, and not read")
    assert [c.sha256 for c in load_anchors(folder)] == [c.sha256 for c in bundle]
    (folder / "broken.pem").write_text("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n")
    with pytest.raises(TrustError, match="broken.pem"):
        load_anchors(folder)
    with pytest.raises(TrustError, match="no trust anchors"):
        load_anchors(None)
    with pytest.raises(TrustError, match="do not exist"):
        load_anchors(tmp_path / "nowhere")
