"""The edXML envelope alone: it round-trips, follows its XSD, is signed in a way a PKCS#11 token can do, and
refuses hostile or tampered input with the reason — before any agency or database is involved."""

from __future__ import annotations

import base64
from datetime import date

import pytest

from ingest import envelope as E
from signing.keys import load_keyring, open_signer
from signing.trust import load_anchors
from tests.signing_helpers import PASSPHRASE_ENV, decree30_pdf, write_keyring


@pytest.fixture(scope="module")
def ring(pki, tmp_path_factory):
    import os

    os.environ[PASSPHRASE_ENV] = pki.passphrase.decode()
    return load_keyring(write_keyring(pki, tmp_path_factory.mktemp("keys")))


@pytest.fixture(scope="module")
def anchors(pki):
    return load_anchors(pki.trust_bundle)


@pytest.fixture(scope="module")
def pdf():
    return decree30_pdf(2)


def _envelope(pdf: bytes, **kw) -> E.Envelope:
    h = E.Header(sender=E.Organ("000.00.00.H41", "Ủy ban nhân dân tỉnh Thử Nghiệm"),
                 to=[E.Organ("000.00.01.H41", "Sở Nội vụ"), E.Organ("000.00.02.H41", "Sở Tư pháp")],
                 document_id="000.00.00.H41,abc", code_number="125", code_notation="QĐ-UBND", place="Thử Nghiệm",
                 promulgated=date(2026, 11, 25), doc_type="quyet_dinh", doc_type_name="Quyết định",
                 subject="Về việc công bố danh mục thủ tục hành chính", signer_competence="KT. CHỦ TỊCH",
                 signer_position="PHÓ CHỦ TỊCH", signer_name="Nguyễn Văn An", due=date(2026, 12, 15),
                 recipients=["Như Điều 3", "Lưu: VT, KSTT"], priority=1, **kw)
    return E.Envelope(h, [E.Attachment("quyet-dinh.pdf", "application/pdf", pdf, "document"),
                          E.Attachment("phu-luc.txt", "text/plain", "Phụ lục".encode(), "attachment")])


def test_round_trip_keeps_every_header_field_and_attachment(ring, anchors, pdf):
    signer = open_signer(ring["van-thu"])
    env = _envelope(pdf)
    data = E.write_envelope(env, signer)
    root = E.parse(data)
    assert E.verify(root, anchors, signer.signing_cert.dump()) == "Ủy ban nhân dân tỉnh Thử Nghiệm"
    back = E.read_envelope(root)
    assert back.header.as_dict() == env.header.as_dict()
    assert [(a.name, a.media_type, a.role, a.data) for a in back.attachments] == \
        [(a.name, a.media_type, a.role, a.data) for a in env.attachments]
    assert back.document.sha256 == env.attachments[0].sha256


def test_text_is_nfc_whatever_the_caller_gave(ring, pdf):
    import unicodedata

    decomposed = unicodedata.normalize("NFD", "Về việc tiếp nhận hồ sơ")
    env = _envelope(pdf)
    env.header.subject = decomposed
    back = E.read_envelope(E.parse(E.write_envelope(env, open_signer(ring["van-thu"]))))
    assert back.header.subject == unicodedata.normalize("NFC", decomposed) != decomposed


def test_status_message_is_signed_and_read_back(ring, anchors):
    signer = open_signer(ring["van-thu"])
    st = E.Status("a" * 32, E.Organ("000.00.01.H41"), E.Organ("000.00.00.H41"), "02", ["Chữ ký không hợp lệ"],
                  staff="user:van-thu")
    root = E.parse(E.write_status(st, signer))
    E.verify(root, anchors, signer.signing_cert.dump())
    assert E.read_status(root).as_dict() == st.as_dict()
    with pytest.raises(E.EnvelopeError, match="status message, not a document envelope"):
        E.read_envelope(root)


def test_an_envelope_signed_on_a_pkcs11_token_verifies(pki, soft_token, anchors, pdf, tmp_path, monkeypatch):
    monkeypatch.setenv("SOHOA_TEST_TOKEN_PIN", soft_token.pin)
    from signing.keys import forget_signers

    hsm = load_keyring(write_keyring(pki, tmp_path / "keys", token=soft_token))["van-thu-hsm"]
    try:
        signer = open_signer(hsm)
        root = E.parse(E.write_envelope(_envelope(pdf), signer))
        assert E.verify(root, anchors, signer.signing_cert.dump())
    finally:
        forget_signers()  # log out of the token: other tests open their own session on it


@pytest.mark.parametrize("data, why", [
    (b"", "empty"),
    (b"%PDF-1.7 not xml at all", "not XML"),
    (b"<edXML xmlns='urn:sohoa:edxml:1'><Header>", "not well-formed"),
    (b"<?xml version='1.0'?><html><body>hello</body></html>", "does not follow the edXML schema"),
    (b"<edXML xmlns='urn:sohoa:edxml:1' version='1'><Header/><Attachments/><Signature>AA==</Signature></edXML>",
     "does not follow the edXML schema"),
])
def test_what_is_not_an_envelope_is_refused_with_the_reason(data, why):
    with pytest.raises(E.EnvelopeError, match=why):
        E.parse(data)


BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol9 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
]>
<edXML xmlns="urn:sohoa:edxml:1" version="1"><Header><MessageId>&lol9;</MessageId></Header></edXML>"""

XXE = b"""<?xml version="1.0"?>
<!DOCTYPE edXML [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<edXML xmlns="urn:sohoa:edxml:1" version="1"><Header><DocumentId>&xxe;</DocumentId></Header></edXML>"""

XXE_NET = b"""<?xml version="1.0"?>
<!DOCTYPE edXML SYSTEM "http://127.0.0.1:9/edxml.dtd">
<edXML xmlns="urn:sohoa:edxml:1" version="1"/>"""

PARAM_ENTITY = b"""<?xml version="1.0"?>
<!DOCTYPE edXML [<!ENTITY % remote SYSTEM "http://127.0.0.1:9/x.dtd"> %remote;]>
<edXML xmlns="urn:sohoa:edxml:1" version="1"/>"""


@pytest.mark.parametrize("data", [BILLION_LAUGHS, XXE, XXE_NET, PARAM_ENTITY, BILLION_LAUGHS.replace(b"DOCTYPE", b"doctype")],
                         ids=["billion-laughs", "external-entity", "external-dtd", "parameter-entity", "lowercase"])
def test_dtds_and_entities_are_refused_before_anything_expands(data):
    with pytest.raises(E.EnvelopeError, match="DTD or entities"):
        E.parse(data)


def test_a_message_over_the_size_cap_is_refused_unread():
    with pytest.raises(E.EnvelopeError, match="at most 1,000 are accepted"):
        E.parse(b"<a>" + b"x" * 2000 + b"</a>", max_bytes=1000)


def test_other_encodings_are_refused(ring, pdf):
    data = b"<?xml version='1.0' encoding='ISO-8859-1'?><edXML xmlns='urn:sohoa:edxml:1' version='1'/>"
    with pytest.raises(E.EnvelopeError, match="only UTF-8"):
        E.parse(data)


def test_a_changed_header_fails_the_signature(ring, anchors, pdf):
    signer = open_signer(ring["van-thu"])
    data = E.write_envelope(_envelope(pdf), signer)
    tampered = data.replace("Về việc công bố".encode(), "Về việc hủy bỏ".encode())
    with pytest.raises(E.EnvelopeError, match="changed after it was signed"):
        E.verify(E.parse(tampered), anchors, signer.signing_cert.dump())


def test_a_swapped_attachment_fails_its_hash_and_the_signature(ring, anchors, pdf):
    from lxml import etree

    signer = open_signer(ring["van-thu"])
    root = E.parse(E.write_envelope(_envelope(pdf), signer))
    data_el = root.find(f"{{{E.NS}}}Attachments/{{{E.NS}}}Attachment/{{{E.NS}}}Data")
    data_el.text = base64.b64encode(pdf + b"%extra").decode()
    tampered = E.parse(etree.tostring(root))
    with pytest.raises(E.EnvelopeError, match="does not match its SHA-256"):
        E.read_envelope(tampered)
    with pytest.raises(E.EnvelopeError, match="changed after it was signed"):
        E.verify(tampered, anchors, signer.signing_cert.dump())


def test_an_untrusted_signer_and_a_certificate_not_in_the_address_book_are_refused(ring, anchors, pdf):
    untrusted = open_signer(ring["untrusted"])
    root = E.parse(E.write_envelope(_envelope(pdf), untrusted))
    with pytest.raises(E.EnvelopeError, match="does not chain to a trusted anchor"):
        E.verify(root, anchors, untrusted.signing_cert.dump())
    agency, person = open_signer(ring["van-thu"]), open_signer(ring["chu-tich"])
    root = E.parse(E.write_envelope(_envelope(pdf), person))  # trusted, but not the sender's listed certificate
    with pytest.raises(E.EnvelopeError, match="not signed with the certificate the address book holds"):
        E.verify(root, anchors, agency.signing_cert.dump())


def test_a_garbled_signature_is_refused_not_crashed_on(ring, anchors, pdf):
    from lxml import etree

    root = E.parse(E.write_envelope(_envelope(pdf), open_signer(ring["van-thu"])))
    root.find(f"{{{E.NS}}}Signature").text = base64.b64encode(b"not a CMS structure").decode()
    with pytest.raises(E.EnvelopeError, match="not a CMS SignedData"):
        E.verify(E.parse(etree.tostring(root)), anchors, None)


def test_business_rules_a_schema_cannot_say(ring, pdf):
    signer = open_signer(ring["van-thu"])
    with pytest.raises(E.EnvelopeError, match="must name the envelope it concerns"):
        E.read_envelope(E.parse(E.write_envelope(_envelope(pdf, business_type=2), signer)))
    env = _envelope(pdf)
    env.attachments = env.attachments[1:]
    with pytest.raises(E.EnvelopeError, match="carries no document"):
        E.read_envelope(E.parse(E.write_envelope(env, signer)))
    recall = _envelope(pdf, business_type=1, ref_message_id="b" * 32)
    recall.attachments = []
    assert E.read_envelope(E.parse(E.write_envelope(recall, signer))).header.business_type == 1


def test_a_date_the_schema_allows_but_no_calendar_holds_is_refused(ring, pdf):
    from lxml import etree

    root = E.parse(E.write_envelope(_envelope(pdf), open_signer(ring["van-thu"])))
    root.find(f"{{{E.NS}}}Header/{{{E.NS}}}SentAt").text = "0000-01-01T00:00:00Z"
    data = etree.tostring(root)
    try:
        parsed = E.parse(data)
    except E.EnvelopeError as exc:  # libxml2 may already refuse year 0
        assert "schema" in str(exc)
        return
    with pytest.raises(E.EnvelopeError, match="cannot be read"):
        E.read_envelope(parsed)
