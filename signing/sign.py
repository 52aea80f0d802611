"""PAdES signatures: baseline B-B, B-T, B-LT and B-LTA, each added as an incremental update.

Why a class and not a function: a signature costs little once its parts are ready, and most of the cost of a
naive script is getting them ready — key derivation, a timestamp request just to size the signature, the
revocation data fetched again for the same chain. ``PadesSigner`` keeps those per process: opened keys
(``signing.keys``), anchors (``signing.trust``), one timestamper per TSA, a validation context per anchor set
for a few minutes (OCSP responses are fresh for longer than that), and the size of the last signature of the
same kind so that the reserved /Contents is right the first time.
"""

from __future__ import annotations

import enum
import io
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

from asn1crypto import cms, x509
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign import fields, signers, timestamps
from pyhanko.sign.signers.pdf_signer import PdfSignatureMetadata, PdfSigner, PdfTimeStamper
from pyhanko_certvalidator import ValidationContext

from signing.trust import load_anchors


class Level(str, enum.Enum):
    """PAdES baseline levels (ETSI EN 319 142-1)."""

    B_B = "B-B"  # the CMS signature alone
    B_T = "B-T"  # + an RFC 3161 signature timestamp
    B_LT = "B-LT"  # + the chain's revocation data in the document security store (DSS/VRI)
    B_LTA = "B-LTA"  # + a document timestamp over all of it

    @classmethod
    def parse(cls, text: str) -> Level:
        t = text.strip().upper().replace("_", "-")
        t = t if t.startswith("B-") else f"B-{t}"
        for level in cls:
            if level.value == t:
                return level
        raise ValueError(f"unknown PAdES level {text!r}; use one of {', '.join(l.value for l in cls)}")

    @property
    def timestamped(self) -> bool:
        return self is not Level.B_B

    @property
    def long_term(self) -> bool:
        return self in (Level.B_LT, Level.B_LTA)


DIGESTS = ("sha256", "sha384", "sha512")


class SigningError(Exception):
    """The document cannot be signed as asked (not a PDF, encrypted, TSA unreachable, certificate refused)."""


@dataclass(frozen=True)
class Appearance:
    """Where a visible signature goes (0-based page, PDF points) and what it shows (a pyHanko stamp style)."""

    page: int
    box: tuple[float, float, float, float]
    style: object


@dataclass(frozen=True)
class Lock:
    """What a signature forbids afterwards: a certification (DocMDP) or a field lock (FieldMDP)."""

    certify: bool = False  # the document's first signature only; later changes limited to ``docmdp``
    docmdp: fields.MDPPerm = fields.MDPPerm.FILL_FORMS
    lock_all_fields: bool = False  # FieldMDP: no form field may change after this signature


@dataclass
class SignRequest:
    signer: signers.Signer
    level: Level = Level.B_T
    field_name: str | None = None
    appearance: Appearance | None = None
    reason: str | None = None
    location: str | None = None
    name: str | None = None
    digest: str = "sha256"
    lock: Lock = field(default_factory=Lock)


@dataclass
class PadesSigner:
    """Signs PDFs at a PAdES level against one set of trust anchors and (optionally) one TSA."""

    anchors: Path | str | None = None
    tsa_url: str | None = None
    tsa_timeout: float = 10.0
    revocation_ttl: float = 300.0  # seconds a validation context (and the OCSP responses it fetched) is reused
    _timestampers: dict = field(default_factory=dict, repr=False)
    _contexts: dict = field(default_factory=dict, repr=False)
    _sizes: dict = field(default_factory=dict, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def sign(self, pdf: bytes | BinaryIO, req: SignRequest) -> bytes:
        """The signed PDF: the input's bytes untouched, followed by the signature's incremental update."""
        if req.digest not in DIGESTS:
            raise SigningError(f"digest {req.digest!r} is not allowed; use one of {', '.join(DIGESTS)}")
        data = pdf if isinstance(pdf, bytes) else pdf.read()
        writer = _writer(data)
        vc = self.validation_context() if req.level.long_term else None
        stamper = self.timestamper() if req.level.timestamped else None
        if req.level.timestamped and stamper is None:
            raise SigningError(f"PAdES {req.level.value} needs a timestamp authority (set SOHOA_TSA_URL)")
        name = req.field_name or _next_field_name(writer.prev)
        meta = PdfSignatureMetadata(
            field_name=name, md_algorithm=req.digest, subfilter=fields.SigSeedSubFilter.PADES,
            reason=req.reason, location=req.location, name=req.name,
            embed_validation_info=req.level.long_term, use_pades_lta=req.level is Level.B_LTA,
            validation_context=vc, certify=req.lock.certify, docmdp_permissions=req.lock.docmdp,
        )
        spec = None
        if req.appearance is not None or req.lock.lock_all_fields:
            a = req.appearance
            spec = fields.SigFieldSpec(
                sig_field_name=name, on_page=a.page if a else 0, box=tuple(a.box) if a else None,
                field_mdp_spec=fields.FieldMDPSpec(fields.FieldMDPAction.ALL) if req.lock.lock_all_fields else None,
            )
        pdf_signer = PdfSigner(meta, signer=req.signer, timestamper=stamper, new_field_spec=spec,
                               stamp_style=req.appearance.style if req.appearance else None)
        size_key = (id(req.signer), req.level, req.digest)
        out = io.BytesIO()
        try:
            pdf_signer.sign_pdf(writer, output=out, bytes_reserved=self._sizes.get(size_key))
        except Exception as exc:  # certificate validation, TSA or revocation fetch failures
            if _too_small(exc) and size_key in self._sizes:  # reserved room outgrown: size it afresh once
                self._sizes.pop(size_key, None)
                return self.sign(data, req)
            raise SigningError(f"signing failed: {type(exc).__name__}: {exc}") from None
        signed = out.getvalue()
        if size_key not in self._sizes:  # measured once; a signature that outgrows it is retried above
            self._remember_size(size_key, signed)
        return signed

    def extend(self, pdf: bytes) -> bytes:
        """Refresh a long-term document: fresh revocation data for every signature and timestamp, then a new
        document timestamp over it (PAdES B-LTA), so it stays verifiable after the last TSA certificate expires."""
        stamper = self.timestamper()
        if stamper is None:
            raise SigningError("renewing long-term signatures needs a timestamp authority (set SOHOA_TSA_URL)")
        reader = PdfFileReader(io.BytesIO(pdf), strict=False)
        if not reader.embedded_signatures:
            raise SigningError("the document carries no signature to extend")
        out = io.BytesIO(pdf)
        try:
            PdfTimeStamper(stamper).update_archival_timestamp_chain(reader, self.validation_context(fresh=True),
                                                                    in_place=False, output=out)
        except Exception as exc:
            raise SigningError(f"renewal failed: {type(exc).__name__}: {exc}") from None
        return out.getvalue()

    def timestamp(self, pdf: bytes) -> bytes:
        """Add a document timestamp (with the DSS it needs) to any PDF."""
        stamper = self.timestamper()
        if stamper is None:
            raise SigningError("a document timestamp needs a timestamp authority (set SOHOA_TSA_URL)")
        writer = _writer(pdf)
        out = io.BytesIO()
        PdfTimeStamper(stamper).timestamp_pdf(writer, "sha256", self.validation_context(), output=out)
        return out.getvalue()

    def timestamper(self) -> timestamps.TimeStamper | None:
        if not self.tsa_url:
            return None
        with self._lock:
            st = self._timestampers.get(self.tsa_url)
            if st is None:
                st = self._timestampers[self.tsa_url] = timestamps.HTTPTimeStamper(self.tsa_url, timeout=self.tsa_timeout)
            return st

    def validation_context(self, fresh: bool = False, other_certs: list[x509.Certificate] | None = None) -> ValidationContext:
        """A context trusting the configured anchors only, fetching revocation data online, reused a while."""
        roots = load_anchors(self.anchors)
        now = time.monotonic()
        with self._lock:
            hit = self._contexts.get(roots)
            if hit and not fresh and now - hit[0] < self.revocation_ttl and not other_certs:
                return hit[1]
            vc = ValidationContext(trust_roots=list(roots), allow_fetching=True, other_certs=other_certs or [])
            if not other_certs:
                self._contexts[roots] = (now, vc)
            return vc

    def _remember_size(self, key, signed: bytes) -> None:
        reader = PdfFileReader(io.BytesIO(signed), strict=False)
        sig = reader.embedded_regular_signatures[-1] if reader.embedded_regular_signatures else None
        if sig is not None:
            used = len(cms.ContentInfo.load(sig.pkcs7_content, strict=False).dump())  # without the zero padding
            # /Contents is hex: two characters a byte; room for a longer timestamp or certificate next time
            self._sizes[key] = (int(used * 2 * 1.15) + 2048) // 1024 * 1024


def check_signable(data: bytes) -> tuple[int, bool]:
    """Refuse, with the reason, what cannot be signed (not a PDF, unreadable, encrypted, without pages); else
    the document's ``signature_state``, from the same parse."""
    return _state(_writer(data).prev)


def _writer(data: bytes) -> IncrementalPdfFileWriter:
    if not data:
        raise SigningError("the file is empty")
    if not data.lstrip()[:5].startswith(b"%PDF-"):
        raise SigningError("the file is not a PDF")
    try:
        writer = IncrementalPdfFileWriter(io.BytesIO(data), strict=False)
        if writer.prev.encrypted:
            raise SigningError("the PDF is encrypted; decrypt it before signing")
        pages = int(writer.prev.root["/Pages"]["/Count"])
    except SigningError:
        raise
    except Exception as exc:
        raise SigningError(f"the PDF cannot be read: {type(exc).__name__}: {exc}") from None
    if pages < 1:
        raise SigningError("the PDF has no pages")
    return writer


def _next_field_name(reader: PdfFileReader) -> str:
    taken = {s.field_name for s in reader.embedded_signatures}
    n = len(taken) + 1
    while f"Signature{n}" in taken:
        n += 1
    return f"Signature{n}"


def _too_small(exc: Exception) -> bool:
    return "larger than expected" in str(exc) or "bytes_reserved" in str(exc)


def signature_boxes(pdf: bytes) -> list[tuple[str, int, tuple[float, float, float, float] | None]]:
    """(field name, 0-based page, visible rectangle or None) of every signed signature field, in signing order."""
    reader = PdfFileReader(io.BytesIO(pdf), strict=False)
    signed = {s.field_name: s.signed_revision for s in reader.embedded_regular_signatures}
    placed: dict[str, tuple[int, tuple[float, float, float, float] | None]] = {}
    for index in range(reader.root["/Pages"]["/Count"]):
        page = reader.find_page_for_modification(index)[0].get_object()
        for annot in page.get("/Annots", []) or []:
            a = annot.get_object()
            if a.get("/Subtype") != "/Widget":
                continue
            fld = a if "/T" in a else a.get("/Parent", a).get_object()
            name = str(fld.get("/T", ""))
            if name in signed and name not in placed:
                rect = [float(v) for v in a.get("/Rect", [0, 0, 0, 0])]
                x1, y1, x2, y2 = min(rect[0], rect[2]), min(rect[1], rect[3]), max(rect[0], rect[2]), max(rect[1], rect[3])
                placed[name] = (index, (x1, y1, x2, y2) if x2 - x1 > 1 and y2 - y1 > 1 else None)
    out = [(name, *placed.get(name, (0, None))) for name in sorted(signed, key=signed.get)]
    return out


def signature_state(pdf: bytes) -> tuple[int, bool]:
    """(how many signatures the document carries, whether one certifies it — DocMDP limits what may follow)."""
    return _state(PdfFileReader(io.BytesIO(pdf), strict=False))


def _state(reader: PdfFileReader) -> tuple[int, bool]:
    certified = "/Perms" in reader.root and "/DocMDP" in reader.root["/Perms"]
    return len(reader.embedded_regular_signatures), certified
