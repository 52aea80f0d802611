"""The test PKI (bench/testpki) really answers: OCSP good/revoked, a CRL with the revoked serial, RFC 3161 tokens,
and PAdES signatures that validate only when they should. The signing tests lean on it, so it must fail loudly."""

from __future__ import annotations

import asyncio
import hashlib
import urllib.request
from datetime import timedelta
from io import BytesIO

import pytest
from asn1crypto import pem
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509 import ocsp

from bench.testpki import LEAF_LABELS


def _load(path) -> x509.Certificate:
    return x509.load_pem_x509_certificate(path.read_bytes())


def _asn1(path) -> asn1_x509.Certificate:
    return asn1_x509.Certificate.load(pem.unarmor(path.read_bytes())[2])


def _ocsp_status(pki, label: str) -> ocsp.OCSPResponse:
    cert, issuer = _load(pki.cert_pem(label)), _load(pki.cert_pem("sub-ca"))
    req = ocsp.OCSPRequestBuilder().add_certificate(cert, issuer, hashes.SHA256()).build()
    http = urllib.request.Request(
        pki.ocsp_url,
        data=req.public_bytes(serialization.Encoding.DER),
        headers={"Content-Type": "application/ocsp-request"},
    )
    with urllib.request.urlopen(http, timeout=5) as resp:
        return ocsp.load_der_ocsp_response(resp.read())


def _pdf() -> bytes:
    from fpdf import FPDF

    doc = FPDF()
    doc.add_page()
    doc.set_font("helvetica", size=12)
    doc.cell(text="Quyet dinh so 12/QD-UBND (test PKI)")
    return bytes(doc.output())


def _vc(pki, **kwargs):
    from pyhanko_certvalidator import ValidationContext

    return ValidationContext(trust_roots=[_asn1(pki.trust_bundle)], **kwargs)


def _sign(pki, signer, *, lt: bool = True, tsa_url: str | None = None) -> bytes:
    """PAdES B-T (B-LT when ``lt``: OCSP/CRLs fetched from the animator and put in the DSS)."""
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.sign import fields, signers
    from pyhanko.sign.timestamps import HTTPTimeStamper

    meta = signers.PdfSignatureMetadata(
        field_name="Signature1",
        subfilter=fields.SigSeedSubFilter.PADES,
        embed_validation_info=lt,
        use_pades_lta=False,
        validation_context=_vc(pki, allow_fetching=True) if lt else None,
    )
    out = signers.sign_pdf(
        IncrementalPdfFileWriter(BytesIO(_pdf())),
        meta,
        signer=signer,
        timestamper=HTTPTimeStamper(tsa_url or pki.tsa_url),
    )
    return out.getvalue()


def _status(pki, pdf: bytes, vc=None):
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.validation import validate_pdf_signature

    (sig,) = PdfFileReader(BytesIO(pdf)).embedded_signatures
    return validate_pdf_signature(sig, vc or _vc(pki, allow_fetching=True))


def _p12_signer(pki, label: str):
    from pyhanko.sign import signers

    return signers.SimpleSigner.load_pkcs12(str(pki.p12(label)), passphrase=pki.passphrase)


def test_files_and_relative_dates(pki):
    for label in LEAF_LABELS:
        assert pki.p12(label).exists() and pki.key_pem(label).exists()
    assert pki.trust_bundle.read_bytes().count(b"BEGIN CERTIFICATE") == 1
    root = _load(pki.trust_bundle)
    assert "Ban Cơ yếu Chính phủ" in root.subject.rfc4514_string()
    assert _load(pki.cert_pem("root")) == root
    assert _load(pki.untrusted_root) != root
    assert pki.chain_pems("personal") == [pki.cert_pem("sub-ca")]
    assert pki.chain_pems("untrusted") == []

    personal = _load(pki.cert_pem("personal"))
    assert personal.subject.get_attributes_for_oid(x509.NameOID.COMMON_NAME)[0].value == "Nguyễn Văn An"
    ku = personal.extensions.get_extension_for_class(x509.KeyUsage).value
    assert ku.digital_signature and ku.content_commitment
    wrong = _load(pki.cert_pem("wrong-usage")).extensions.get_extension_for_class(x509.KeyUsage).value
    assert wrong.key_encipherment and not wrong.digital_signature and not wrong.content_commitment
    assert isinstance(_load(pki.cert_pem("personal-ec")).public_key(), ec.EllipticCurvePublicKey)

    now = pki.now
    assert _load(pki.cert_pem("expired")).not_valid_after_utc < now
    short = _load(pki.cert_pem("tsa-short"))
    assert short.not_valid_before_utc == now - timedelta(days=30)
    assert short.not_valid_after_utc == now + timedelta(days=60)
    eku = short.extensions.get_extension_for_class(x509.ExtendedKeyUsage)
    assert eku.critical and x509.ExtendedKeyUsageOID.TIME_STAMPING in eku.value

    aia = personal.extensions.get_extension_for_class(x509.AuthorityInformationAccess).value
    ocsp_urls = [d.access_location.value for d in aia if d.access_method == x509.AuthorityInformationAccessOID.OCSP]
    assert ocsp_urls == [pki.ocsp_url]
    cdp = personal.extensions.get_extension_for_class(x509.CRLDistributionPoints).value
    assert cdp[0].full_name[0].value == pki.crl_url("sub-ca")


def test_ocsp_good_and_revoked(pki):
    good = _ocsp_status(pki, "personal")
    assert good.response_status == ocsp.OCSPResponseStatus.SUCCESSFUL
    assert good.certificate_status == ocsp.OCSPCertStatus.GOOD
    assert good.certificates[0] == _load(pki.cert_pem("ocsp-sub-ca"))

    bad = _ocsp_status(pki, "revoked")
    assert bad.certificate_status == ocsp.OCSPCertStatus.REVOKED
    assert bad.revocation_reason == x509.ReasonFlags.key_compromise
    assert bad.revocation_time_utc < pki.now


def test_sub_ca_crl_lists_revoked(pki):
    with urllib.request.urlopen(pki.crl_url("sub-ca"), timeout=5) as resp:
        crl = x509.load_der_x509_crl(resp.read())
    sub_ca = _load(pki.cert_pem("sub-ca"))
    assert crl.is_signature_valid(sub_ca.public_key())
    revoked = _load(pki.cert_pem("revoked"))
    entry = crl.get_revoked_certificate_by_serial_number(revoked.serial_number)
    assert entry is not None
    assert entry.extensions.get_extension_for_class(x509.CRLReason).value.reason == x509.ReasonFlags.key_compromise
    assert crl.get_revoked_certificate_by_serial_number(_load(pki.cert_pem("personal")).serial_number) is None


@pytest.mark.parametrize("which", ["tsa", "tsa-short"])
def test_tsa_returns_token_signed_by_its_cert(pki, which):
    from pyhanko.sign.timestamps import HTTPTimeStamper

    url = pki.tsa_url if which == "tsa" else pki.tsa_short_url
    digest = hashlib.sha256(b"sohoa").digest()
    token = asyncio.run(HTTPTimeStamper(url).async_timestamp(digest, "sha256"))
    signed = token["content"]
    tst_info = signed["encap_content_info"]["content"].parsed
    assert tst_info["message_imprint"]["hashed_message"].native == digest
    sid = signed["signer_infos"][0]["sid"].chosen
    tsa = _asn1(pki.cert_pem(which))
    assert sid["serial_number"].native == tsa.serial_number
    assert sid["issuer"] == tsa.issuer


def test_pades_b_lt_personal_validates(pki):
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.validation import DocumentSecurityStore

    pdf = _sign(pki, _p12_signer(pki, "personal"))
    status = _status(pki, pdf)
    assert status.intact and status.valid and status.trusted and status.bottom_line, status.pretty_print_details()
    assert not status.revoked
    assert status.timestamp_validity is not None and status.timestamp_validity.trusted

    # B-LT: the DSS alone (no fetching) carries revocation info for every certificate in the path
    dss = DocumentSecurityStore.read_dss(PdfFileReader(BytesIO(pdf)))
    assert dss.ocsps and dss.crls
    offline = _vc(
        pki,
        allow_fetching=False,
        revocation_mode="require",
        ocsps=[o.get_object().data for o in dss.ocsps],
        crls=[c.get_object().data for c in dss.crls],
    )
    status = _status(pki, pdf, offline)
    assert status.bottom_line, status.pretty_print_details()


def test_b_t_without_dss_fails_offline_when_revinfo_is_required(pki):
    """The counterpart of the B-LT check above: without the DSS the same offline policy must say no."""
    pdf = _sign(pki, _p12_signer(pki, "personal"), lt=False)
    offline = _vc(pki, allow_fetching=False, revocation_mode="require", ocsps=[], crls=[])
    assert not _status(pki, pdf, offline).bottom_line


def test_pades_personal_ec_validates(pki):
    status = _status(pki, _sign(pki, _p12_signer(pki, "personal-ec"), lt=False))
    assert status.bottom_line, status.pretty_print_details()
    assert status.signing_cert.public_key.algorithm == "ec"


@pytest.mark.parametrize("label", ["untrusted", "revoked", "expired", "wrong-usage"])
def test_bad_signers_do_not_validate(pki, label):
    status = _status(pki, _sign(pki, _p12_signer(pki, label), lt=False))
    assert status.intact and status.valid  # the maths is fine ...
    assert not status.bottom_line  # ... the certificate is not
    if label == "untrusted":
        assert not status.trusted
    if label == "revoked":
        assert status.revoked


def test_untrusted_cannot_be_signed_as_b_lt(pki):
    """Gathering validation info at signing time already refuses a chain outside the trust bundle."""
    from pyhanko.sign.general import SigningError

    with pytest.raises(SigningError):
        _sign(pki, _p12_signer(pki, "untrusted"))


def test_tsa_short_is_untrusted_a_year_later(pki):
    """tsa-short expires at +60 d: a year on, its token no longer counts (without LTA), the long-lived one's does."""
    later = pki.now + timedelta(days=365)
    signer = _p12_signer(pki, "personal")
    short = _status(pki, _sign(pki, signer, lt=False, tsa_url=pki.tsa_short_url), _vc(pki, moment=later))
    assert short.intact and not short.timestamp_validity.trusted
    long = _status(pki, _sign(pki, signer, lt=False), _vc(pki, moment=later))
    assert long.timestamp_validity.trusted and long.bottom_line


def test_softhsm_signature_validates(pki, soft_token):
    import pkcs11
    from pyhanko.sign.pkcs11 import PKCS11Signer

    token = pkcs11.lib(soft_token.module).get_token(token_label=soft_token.token_label)
    with token.open(user_pin=soft_token.pin) as session:
        signer = PKCS11Signer(session, key_label=soft_token.key_label, cert_label=soft_token.cert_label)
        pdf = _sign(pki, signer)
    status = _status(pki, pdf)
    assert status.bottom_line, status.pretty_print_details()
    assert status.signing_cert.subject == _asn1(pki.cert_pem("agency")).subject
