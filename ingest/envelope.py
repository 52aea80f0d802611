"""The edXML-style envelope a document travels in between agencies, and the status messages that answer it.

An envelope carries the header of QCVN 102:2016 (DOMAIN.md §5) and the signed PDF with its attachments,
base64, each with its SHA-256. Both kinds of message are signed by the agency that sends them with a
*detached CMS* signature over the message's exclusive C14N form without its ``Signature`` element: CMS is
what a PKCS#11 token can make (the key never leaves it, only a digest goes in), and pyHanko both signs and
validates it. The signature's certificate must chain to a configured anchor and be the one the address
book holds for the sending agency — checking either alone would accept a stranger's valid certificate.

Input is hostile until proved otherwise: a size cap before parsing, no DTD (so no entity expansion, no
billion laughs, no external entities), no network, then the XSD (``data/edxml.xsd``). Every refusal says
why, so the receiving agency can answer with the reason.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import re
import unicodedata
import uuid
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from functools import lru_cache
from pathlib import Path

from asn1crypto import cms
from lxml import etree

NS = "urn:sohoa:edxml:1"
XSD = Path(__file__).parent / "data" / "edxml.xsd"
VN = timezone(timedelta(hours=7), "+07:00")
BUSINESS = {0: "new", 1: "recall", 2: "update", 3: "replace"}
STATUS = {"01": "Đã đến", "02": "Từ chối tiếp nhận", "03": "Đã tiếp nhận", "04": "Đã phân công",
          "05": "Đang xử lý", "06": "Đã hoàn thành", "13": "Yêu cầu thu hồi", "14": "Đồng ý thu hồi",
          "16": "Từ chối thu hồi"}
DEFAULT_MAX_BYTES = 64 * 1024 * 1024
_DECLARATIONS = re.compile(rb"<!\s*(DOCTYPE|ENTITY)", re.IGNORECASE)


class EnvelopeError(Exception):
    """A message that cannot be accepted as it is; ``reasons`` say why, one line each."""

    def __init__(self, reasons: list[str] | str):
        self.reasons = [reasons] if isinstance(reasons, str) else list(reasons)
        super().__init__("; ".join(self.reasons))


def nfc(text: str | None) -> str | None:
    return unicodedata.normalize("NFC", text) if text is not None else None


def new_id() -> str:
    return uuid.uuid4().hex


@dataclass
class Organ:
    id: str
    name: str = ""


@dataclass
class Attachment:
    name: str
    media_type: str
    data: bytes
    role: str = "attachment"  # document | attachment

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.data).hexdigest()


@dataclass
class Header:
    """What the receiving agency's clerk reads before opening anything (DOMAIN.md §5)."""

    sender: Organ
    to: list[Organ]
    document_id: str
    code_number: str = ""
    code_notation: str = ""
    place: str = ""
    promulgated: date | None = None
    doc_type: str = ""
    doc_type_name: str = ""
    subject: str = ""
    signer_competence: str = ""
    signer_position: str = ""
    signer_name: str = ""
    due: date | None = None
    recipients: list[str] = field(default_factory=list)
    priority: int = 0
    business_type: int = 0
    ref_message_id: str | None = None
    trace: list[tuple[str, datetime]] = field(default_factory=list)
    message_id: str = field(default_factory=new_id)
    sent_at: datetime = field(default_factory=lambda: datetime.now(VN).replace(microsecond=0))

    def __post_init__(self):
        if not self.trace:  # the sending agency is the first the document passes
            self.trace = [(self.sender.id, self.sent_at)]

    def as_dict(self) -> dict:
        return {"message_id": self.message_id, "from": {"id": self.sender.id, "name": self.sender.name},
                "to": [{"id": o.id, "name": o.name} for o in self.to], "document_id": self.document_id,
                "code_number": self.code_number, "code_notation": self.code_notation, "place": self.place,
                "promulgated": self.promulgated.isoformat() if self.promulgated else None,
                "doc_type": self.doc_type, "doc_type_name": self.doc_type_name, "subject": self.subject,
                "signer": {"competence": self.signer_competence, "position": self.signer_position,
                           "name": self.signer_name},
                "due": self.due.isoformat() if self.due else None, "recipients": self.recipients,
                "priority": self.priority, "business_type": self.business_type,
                "ref_message_id": self.ref_message_id,
                "trace": [{"agency": a, "at": t.isoformat()} for a, t in self.trace],
                "sent_at": self.sent_at.isoformat()}


@dataclass
class Envelope:
    header: Header
    attachments: list[Attachment] = field(default_factory=list)

    @property
    def document(self) -> Attachment | None:
        return next((a for a in self.attachments if a.role == "document"), None)


@dataclass
class Status:
    """A status message: the receiving agency tells the sender what became of its envelope."""

    message_id: str  # the envelope it answers
    sender: Organ  # who sends the status (the receiving agency)
    to: Organ  # the envelope's sender
    code: str
    reasons: list[str] = field(default_factory=list)
    staff: str = ""
    status_id: str = field(default_factory=new_id)
    at: datetime = field(default_factory=lambda: datetime.now(VN).replace(microsecond=0))

    @property
    def description(self) -> str:
        return STATUS.get(self.code, self.code)

    def as_dict(self) -> dict:
        return {"status_id": self.status_id, "message_id": self.message_id, "from": self.sender.id,
                "to": self.to.id, "code": self.code, "description": self.description, "reasons": self.reasons,
                "staff": self.staff, "at": self.at.isoformat()}


# --- writing -----------------------------------------------------------------------------------------------


def _el(parent, tag: str, text=None):
    e = etree.SubElement(parent, f"{{{NS}}}{tag}")
    if text is not None:
        e.text = nfc(str(text))
    return e


def _organ(parent, tag: str, o: Organ) -> None:
    e = _el(parent, tag)
    _el(e, "OrganId", o.id)
    if o.name:
        _el(e, "OrganName", o.name)


def envelope_tree(env: Envelope) -> etree._Element:
    h = env.header
    root = etree.Element(f"{{{NS}}}edXML", nsmap={None: NS}, version="1")
    head = _el(root, "Header")
    _el(head, "MessageId", h.message_id)
    _organ(head, "From", h.sender)
    for o in h.to:
        _organ(head, "To", o)
    _el(head, "DocumentId", h.document_id)
    if h.code_number or h.code_notation:
        code = _el(head, "Code")
        _el(code, "CodeNumber", h.code_number)
        _el(code, "CodeNotation", h.code_notation)
    if h.place and h.promulgated:
        p = _el(head, "Promulgation")
        _el(p, "Place", h.place)
        _el(p, "Date", h.promulgated.isoformat())
    if h.doc_type:
        t = _el(head, "DocumentType")
        _el(t, "Type", h.doc_type)
        if h.doc_type_name:
            _el(t, "TypeName", h.doc_type_name)
    if h.subject:
        _el(head, "Subject", h.subject)
    if h.signer_position or h.signer_name:
        s = _el(head, "SignerInfo")
        if h.signer_competence:
            _el(s, "Competence", h.signer_competence)
        _el(s, "Position", h.signer_position)
        _el(s, "FullName", h.signer_name)
    if h.due:
        _el(head, "DueDate", h.due.isoformat())
    if h.recipients:
        r = _el(head, "Recipients")
        for name in h.recipients:
            _el(r, "Recipient", name)
    _el(head, "Priority", h.priority)
    b = _el(head, "Business")
    _el(b, "BusinessType", h.business_type)
    if h.ref_message_id:
        _el(b, "RefMessageId", h.ref_message_id)
    traces = _el(head, "TraceHeaders")
    for agency, at in h.trace:
        t = _el(traces, "Trace")
        _el(t, "OrganId", agency)
        _el(t, "Timestamp", at.isoformat())
    _el(head, "SentAt", h.sent_at.isoformat())
    atts = _el(root, "Attachments")
    for a in env.attachments:
        e = _el(atts, "Attachment")
        e.set("role", a.role)
        _el(e, "Name", a.name)
        _el(e, "MediaType", a.media_type)
        _el(e, "Sha256", a.sha256)
        _el(e, "Size", len(a.data))
        _el(e, "Data", base64.b64encode(a.data).decode("ascii"))
    return root


def status_tree(st: Status) -> etree._Element:
    root = etree.Element(f"{{{NS}}}Status", nsmap={None: NS}, version="1")
    _el(root, "StatusId", st.status_id)
    _el(root, "MessageId", st.message_id)
    _organ(root, "From", st.sender)
    _organ(root, "To", st.to)
    _el(root, "Code", st.code)
    _el(root, "Description", st.description)
    if st.staff:
        _el(root, "Staff", st.staff)
    reasons = _el(root, "Reasons")
    for r in st.reasons:
        _el(reasons, "Reason", r[:2000])
    _el(root, "Timestamp", st.at.isoformat())
    return root


def canonical(root: etree._Element) -> bytes:
    """The bytes that are signed: exclusive C14N of the message without its Signature element."""
    return etree.tostring(root, method="c14n", exclusive=True, with_comments=False)


def sign_tree(root: etree._Element, signer) -> bytes:
    """Sign ``root`` (without a Signature element yet) with a pyHanko signer; the finished message's bytes."""
    der = asyncio.run(_sign(signer, canonical(root)))
    _el(root, "Signature", base64.b64encode(der).decode("ascii"))
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")


async def _sign(signer, data: bytes) -> bytes:
    ci = await signer.async_sign_general_data(data, "sha256", detached=True)
    return ci.dump()


def write_envelope(env: Envelope, signer) -> bytes:
    return sign_tree(envelope_tree(env), signer)


def write_status(st: Status, signer) -> bytes:
    return sign_tree(status_tree(st), signer)


# --- reading -----------------------------------------------------------------------------------------------


@lru_cache(maxsize=1)
def schema() -> etree.XMLSchema:
    return etree.XMLSchema(etree.parse(str(XSD)))


def _parser() -> etree.XMLParser:
    # no DTD loaded or validated, no entity substitution, no network; huge_tree because a PDF's base64 is one
    # large text node — the size cap below is what bounds memory, not libxml2's 10 MB text limit
    return etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, dtd_validation=False,
                           huge_tree=True, remove_comments=True, remove_pis=True, collect_ids=False)


def parse(data: bytes, max_bytes: int = DEFAULT_MAX_BYTES) -> etree._Element:
    """Parse untrusted bytes into a schema-valid edXML or Status root, or say exactly why not."""
    if not data:
        raise EnvelopeError("the message is empty")
    if len(data) > max_bytes:
        raise EnvelopeError(f"the message is {len(data):,} bytes; at most {max_bytes:,} are accepted")
    head = data[:4096].lstrip()
    if not head.startswith(b"<"):
        raise EnvelopeError("the message is not XML")
    if _DECLARATIONS.search(data):  # base64 and element text never hold "<!": only a DTD does
        raise EnvelopeError("the message declares a DTD or entities, which are not accepted (entity expansion, "
                            "external entities)")
    try:
        root = etree.fromstring(data, _parser())
    except etree.XMLSyntaxError as exc:
        raise EnvelopeError(f"the message is not well-formed XML: {exc}") from None
    tree = root.getroottree()
    if tree.docinfo.doctype or tree.docinfo.internalDTD is not None:
        raise EnvelopeError("the message declares a DTD, which is not accepted")
    if tree.docinfo.encoding and tree.docinfo.encoding.upper() not in ("UTF-8", "UTF8"):
        raise EnvelopeError(f"the message is encoded in {tree.docinfo.encoding}; only UTF-8 is accepted")
    xsd = schema()
    if not xsd.validate(root):
        errors = [f"line {e.line}: {e.message}" for e in list(xsd.error_log)[:10]]
        raise EnvelopeError(["the message does not follow the edXML schema"] + errors)
    return root


def _q(tag: str) -> str:
    return f"{{{NS}}}{tag}"


def _text(e, path: str) -> str:
    found = e.find("/".join(_q(p) for p in path.split("/")))
    return nfc(found.text) if found is not None and found.text is not None else ""


def signature_parts(root: etree._Element) -> tuple[bytes, bytes]:
    """(signed bytes, CMS DER) of a parsed message: its Signature element removed, the rest canonicalized."""
    sig = root.find(_q("Signature"))
    der = base64.b64decode(sig.text or "")
    clone = etree.fromstring(etree.tostring(root), _parser())
    clone.remove(clone.find(_q("Signature")))
    return canonical(clone), der


def _organ_of(e) -> Organ:
    return Organ(_text(e, "OrganId"), _text(e, "OrganName"))


def _date(s: str) -> date | None:
    return date.fromisoformat(s[:10]) if s else None


def _datetime(s: str) -> datetime:
    dt = datetime.fromisoformat(s.replace("Z", "+00:00"))
    return dt if dt.tzinfo else dt.replace(tzinfo=timezone.utc)


def read_envelope(root: etree._Element) -> Envelope:
    """The envelope a schema-valid edXML root says; attachments checked against their SHA-256 and size."""
    try:
        return _read_envelope(root)
    except (ValueError, TypeError) as exc:  # a date the schema lets through but Python cannot hold (year 0, …)
        raise EnvelopeError(f"a value of the envelope cannot be read: {exc}") from None


def _read_envelope(root: etree._Element) -> Envelope:
    if root.tag != _q("edXML"):
        raise EnvelopeError("the message is a status message, not a document envelope")
    head = root.find(_q("Header"))
    h = Header(
        sender=_organ_of(head.find(_q("From"))), to=[_organ_of(e) for e in head.findall(_q("To"))],
        document_id=_text(head, "DocumentId"), code_number=_text(head, "Code/CodeNumber"),
        code_notation=_text(head, "Code/CodeNotation"), place=_text(head, "Promulgation/Place"),
        promulgated=_date(_text(head, "Promulgation/Date")), doc_type=_text(head, "DocumentType/Type"),
        doc_type_name=_text(head, "DocumentType/TypeName"), subject=_text(head, "Subject"),
        signer_competence=_text(head, "SignerInfo/Competence"), signer_position=_text(head, "SignerInfo/Position"),
        signer_name=_text(head, "SignerInfo/FullName"), due=_date(_text(head, "DueDate")),
        recipients=[nfc(e.text or "") for e in head.iterfind(f"{_q('Recipients')}/{_q('Recipient')}")],
        priority=int(_text(head, "Priority")), business_type=int(_text(head, "Business/BusinessType")),
        ref_message_id=_text(head, "Business/RefMessageId") or None,
        trace=[(_text(t, "OrganId"), _datetime(_text(t, "Timestamp")))
               for t in head.iterfind(f"{_q('TraceHeaders')}/{_q('Trace')}")],
        message_id=_text(head, "MessageId"), sent_at=_datetime(_text(head, "SentAt")),
    )
    problems, attachments = [], []
    for n, e in enumerate(root.iterfind(f"{_q('Attachments')}/{_q('Attachment')}"), 1):
        data = base64.b64decode(e.find(_q("Data")).text or "")
        a = Attachment(_text(e, "Name"), _text(e, "MediaType"), data, e.get("role"))
        if a.sha256 != _text(e, "Sha256"):
            problems.append(f"attachment {n} ({a.name}): its content does not match its SHA-256")
        if len(data) != int(_text(e, "Size")):
            problems.append(f"attachment {n} ({a.name}): its size is not the size declared")
        attachments.append(a)
    if sum(a.role == "document" for a in attachments) > 1:
        problems.append("the envelope carries more than one document")
    if h.business_type in (1, 2, 3) and not h.ref_message_id:
        problems.append(f"a {BUSINESS[h.business_type]} envelope must name the envelope it concerns (RefMessageId)")
    if h.business_type != 1 and not any(a.role == "document" for a in attachments):
        problems.append("the envelope carries no document")
    if problems:
        raise EnvelopeError(problems)
    return Envelope(h, attachments)


def read_status(root: etree._Element) -> Status:
    try:
        return _read_status(root)
    except (ValueError, TypeError) as exc:
        raise EnvelopeError(f"a value of the status message cannot be read: {exc}") from None


def _read_status(root: etree._Element) -> Status:
    if root.tag != _q("Status"):
        raise EnvelopeError("the message is a document envelope, not a status message")
    return Status(
        message_id=_text(root, "MessageId"), sender=_organ_of(root.find(_q("From"))),
        to=_organ_of(root.find(_q("To"))), code=_text(root, "Code"), staff=_text(root, "Staff"),
        reasons=[nfc(e.text or "") for e in root.iterfind(f"{_q('Reasons')}/{_q('Reason')}")],
        status_id=_text(root, "StatusId"), at=_datetime(_text(root, "Timestamp")),
    )


# --- checking the signature --------------------------------------------------------------------------------


def verify(root: etree._Element, anchors, expected_cert_der: bytes | None, *, online: bool = True) -> str:
    """Check a parsed message's signature; the signer's common name, or EnvelopeError with the reasons.

    ``anchors``: the trust anchors (asn1crypto certificates); ``expected_cert_der``: the sender's certificate
    from the address book (None: only the chain is checked — never for an incoming message)."""
    data, der = signature_parts(root)
    try:
        ci = cms.ContentInfo.load(der)
        signed = ci["content"]
        if ci["content_type"].native != "signed_data":
            raise ValueError("not SignedData")
        signed.native  # noqa: B018 - parse now: a broken signature fails here, with a clear reason
    except (ValueError, TypeError, KeyError) as exc:
        raise EnvelopeError(f"the signature is not a CMS SignedData structure: {exc}") from None
    try:
        status = asyncio.run(_validate(data, signed, anchors, online))
    except Exception as exc:  # pyHanko raises on structures it cannot even evaluate
        raise EnvelopeError(f"the signature cannot be checked: {type(exc).__name__}: {exc}") from None
    reasons = []
    if not status.intact:
        reasons.append("the message was changed after it was signed (its digest does not match the signature)")
    elif not status.valid:
        reasons.append("the signature does not verify with the signer's public key")
    elif not status.trusted:
        reasons.append("the signer's certificate does not chain to a trusted anchor"
                       + (f" ({status.trust_problem_indic})" if getattr(status, "trust_problem_indic", None) else ""))
    if getattr(status, "revoked", False):
        reasons.append("the signer's certificate is revoked")
    cert = status.signing_cert
    if expected_cert_der is not None and (cert is None or cert.dump() != expected_cert_der):
        reasons.append("the message is not signed with the certificate the address book holds for its sender")
    if reasons:
        raise EnvelopeError(reasons)
    return cert.subject.native.get("common_name", "") if cert is not None else ""


async def _validate(data: bytes, signed, anchors, online: bool):
    """pyHanko's detached-CMS check: chain to ``anchors`` only, revocation fetched online (soft-fail: the
    address book's pinned certificate is the stronger check), one HTTP session closed at the end."""
    from pyhanko.sign.validation.generic_cms import async_validate_detached_cms
    from pyhanko.sign.validation.settings import KeyUsageConstraints
    from pyhanko_certvalidator import ValidationContext
    from pyhanko_certvalidator.fetchers.aiohttp_fetchers import AIOHttpFetcherBackend

    backend = AIOHttpFetcherBackend() if online else None
    try:
        vc = ValidationContext(trust_roots=list(anchors), allow_fetching=online, revocation_mode="soft-fail",
                               fetcher_backend=backend)
        usage = KeyUsageConstraints(key_usage={"digital_signature", "non_repudiation"}, match_all_key_usages=False)
        return await async_validate_detached_cms(data, signed, signer_validation_context=vc, key_usage_settings=usage)
    finally:
        if backend is not None:
            await backend.close()
