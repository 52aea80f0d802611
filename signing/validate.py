"""Check every signature of a PDF the way ETSI EN 319 102-1 does, and say what it means in Vietnamese.

pyHanko's AdES engine (``ades_lta_validation``) gives the standard indication and sub-indication per
signature, with proofs of existence taken from the document's own timestamps; its pyHanko status adds the
detail a clerk is shown: integrity, what the signature covers and what changed after it, the chain to a
configured anchor, revocation, the timestamp, key usage. Only the configured anchors are trusted.
"""

from __future__ import annotations

import asyncio
import hashlib
import io
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path

from asn1crypto import crl as asn1_crl
from asn1crypto import ocsp as asn1_ocsp
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.ades.report import AdESFailure, AdESPassed
from pyhanko.sign.diff_analysis import ModificationLevel
from pyhanko.sign.validation.ades import ades_lta_validation
from pyhanko.sign.validation.dss import DocumentSecurityStore
from pyhanko.sign.validation.pdf_embedded import async_validate_pdf_signature, async_validate_pdf_timestamp
from pyhanko.sign.validation.policy_decl import (
    LocalKnowledge,
    PdfSignatureValidationSpec,
    RevocationInfoGatheringSpec,
    RevinfoOnlineFetchingRule,
    SignatureValidationSpec,
)
from pyhanko.sign.validation.settings import KeyUsageConstraints
from pyhanko.sign.validation.status import SignatureCoverageLevel
from pyhanko_certvalidator.context import CertValidationPolicySpec
from pyhanko_certvalidator.ltv.types import ValidationTimingInfo
from pyhanko_certvalidator.policy_decl import REQUIRE_REVINFO, CertRevTrustPolicy
from pyhanko_certvalidator import ValidationContext
from pyhanko_certvalidator.fetchers.aiohttp_fetchers import AIOHttpFetcherBackend
from pyhanko_certvalidator.registry import SimpleTrustManager
from pyhanko_certvalidator.revinfo.archival import CRLContainer, OCSPContainer

from signing.trust import load_anchors

VN = timezone(timedelta(hours=7), "+07:00")

# a signer's certificate must allow signing documents (either bit will do: CAs differ in which they set)
SIGNING_KEY_USAGE = KeyUsageConstraints(key_usage={"non_repudiation", "digital_signature"}, match_all_key_usages=False)


class ValidationError(Exception):
    """The file cannot be validated at all (not a PDF, unreadable, encrypted)."""


@dataclass
class SignatureCheck:
    """What was found about one signature (or document timestamp)."""

    field: str
    kind: str  # signature | document timestamp
    signer: str = ""
    organisation: str = ""
    issuer: str = ""
    serial: str = ""
    level: str = ""  # B-B, B-T, B-LT, B-LTA
    claimed_time: str | None = None  # the signer's clock, ISO 8601 +07:00
    timestamp_time: str | None = None  # the TSA's, when there is a timestamp
    integrity: bool = False  # the signed bytes hash to what was signed and the signature verifies
    coverage: str = ""  # whole_file | revision (something was appended after)
    modifications: str = ""  # none | lta_updates | form_filling | annotations | other
    modifications_allowed: bool | None = None
    certified: bool = False  # a certification (DocMDP) signature
    trusted: bool = False  # chain to a configured anchor
    revoked: bool = False
    revocation_checked: bool = False
    key_usage_ok: bool = True
    timestamp_ok: bool | None = None
    indication: str = "INDETERMINATE"  # PASSED | INDETERMINATE | FAILED
    sub_indication: str | None = None
    reasons: list[str] = field(default_factory=list)  # Vietnamese, for a clerk

    @property
    def passed(self) -> bool:
        return self.indication == "PASSED"


@dataclass
class ValidationReport:
    sha256: str
    size: int
    validated_at: str
    verdict: str  # TOTAL_PASSED | TOTAL_FAILED | INDETERMINATE
    summary: str  # Vietnamese
    signatures: list[SignatureCheck]
    anchors: list[str] = field(default_factory=list)

    def to_dict(self) -> dict:
        return asdict(self)

    @property
    def personal_signed(self) -> bool:
        return any(s.kind == "signature" for s in self.signatures)


@dataclass
class Validator:
    """Validates against one set of trust anchors; ``online`` lets it fetch OCSP/CRLs the file lacks."""

    anchors: Path | str | None
    online: bool = True

    def spec(self, crls=(), ocsps=()) -> PdfSignatureValidationSpec:
        roots = load_anchors(self.anchors)
        policy = CertValidationPolicySpec(
            trust_manager=SimpleTrustManager.build(trust_roots=list(roots)),
            revinfo_policy=CertRevTrustPolicy(REQUIRE_REVINFO),
        )
        fetch = RevinfoOnlineFetchingRule.NO_HISTORICAL_FETCH if self.online else RevinfoOnlineFetchingRule.LOCAL_ONLY
        return PdfSignatureValidationSpec(SignatureValidationSpec(
            cert_validation_policy=policy, revinfo_gathering_policy=RevocationInfoGatheringSpec(online_fetching_rule=fetch),
            key_usage_settings=SIGNING_KEY_USAGE,
            local_knowledge=LocalKnowledge(known_crls=[CRLContainer(c) for c in crls],
                                           known_ocsps=[o for r in ocsps for o in OCSPContainer.load_multi(r)]),
        ))

    def validate(self, pdf: bytes, at: datetime | None = None, revocation: list[bytes] = ()) -> ValidationReport:
        """Check every signature of ``pdf`` (at time ``at``, default now). ``revocation``: CRLs or OCSP responses
        (DER) the caller already holds, used besides those in the file and fetched online."""
        reader = _reader(pdf)
        known = _revocation(revocation)
        spec = self.spec(*known)
        timing = None
        if at is not None:
            timing = ValidationTimingInfo(validation_time=at, best_signature_time=at, point_in_time_validation=True)
        roots = load_anchors(self.anchors)
        if self.online and "/DSS" in reader.root:
            # long-term documents carry their revocation data: use it, and go online only if it does not suffice
            checks = asyncio.run(_check_all(reader, spec, timing, roots, False, known))
            if overall(checks) != "TOTAL_PASSED":
                checks = asyncio.run(_check_all(_reader(pdf), spec, timing, roots, True, known))
        else:
            checks = asyncio.run(_check_all(reader, spec, timing, roots, self.online, known))
        now = (at or datetime.now(timezone.utc)).astimezone(VN)
        verdict = overall(checks)
        return ValidationReport(
            sha256=hashlib.sha256(pdf).hexdigest(), size=len(pdf), validated_at=now.isoformat(timespec="seconds"),
            verdict=verdict, summary=summary_vi(verdict, checks), signatures=checks,
            anchors=[_anchor_name(c) for c in roots],
        )


def overall(checks: list[SignatureCheck]) -> str:
    """TOTAL_PASSED only when every signature passed; any failure fails the document; else indeterminate."""
    sigs = [c for c in checks if c.kind == "signature"]
    if not sigs:
        return "TOTAL_FAILED"
    if any(c.indication == "FAILED" for c in checks):
        return "TOTAL_FAILED"
    if all(c.passed for c in checks):
        return "TOTAL_PASSED"
    return "INDETERMINATE"


def _revocation(items: list[bytes]) -> tuple[list, list]:
    crls, ocsps = [], []
    for der in items:
        try:
            resp = asn1_ocsp.OCSPResponse.load(der)
            resp["response_status"].native  # noqa: B018 - parses: a CRL does not get this far
            ocsps.append(resp)
            continue
        except (ValueError, TypeError, KeyError):
            pass
        try:
            crl = asn1_crl.CertificateList.load(der)
            crl["tbs_cert_list"].native  # noqa: B018
            crls.append(crl)
        except (ValueError, TypeError, KeyError):
            raise ValidationError("revocation data given is neither a CRL nor an OCSP response") from None
    return crls, ocsps


async def _check_all(reader: PdfFileReader, spec, timing, roots, online: bool, known=((), ())) -> list[SignatureCheck]:
    # one HTTP session for every fetch of this validation, closed at its end
    backend = AIOHttpFetcherBackend() if online and timing is None else None
    try:
        return await _check_each(reader, spec, timing, roots, online, known, backend)
    finally:
        if backend is not None:
            await backend.close()


async def _check_each(reader, spec, timing, roots, online: bool, known, backend) -> list[SignatureCheck]:
    out = []
    sigs = reader.embedded_signatures
    stamps = [s for s in sigs if s.sig_object_type == "/DocTimeStamp"]
    newest = max(stamps, key=lambda s: s.signed_revision) if stamps else None
    for sig in sigs:
        if sig.sig_object_type == "/DocTimeStamp":
            out.append(await _check_doc_timestamp(sig, sig is newest, roots, online, timing, known, backend))
        elif newest is not None and newest.signed_revision > sig.signed_revision:
            out.append(await _check(sig, spec, timing))  # B-LTA: the AdES long-term process, POE from the timestamps
        else:
            out.append(await _check_current(sig, roots, online, timing, known, backend))
    return out


def _context(reader, roots, online: bool, timing, revocation_mode: str = "hard-fail", known=((), ()),
             backend=None) -> ValidationContext:
    """Anchors, plus the certificates and revocation data the document carries (B-LT); fetch the rest online
    unless validating at another moment (pyHanko cannot fetch for a past or future time)."""
    fetch = online and timing is None
    kwargs = {"trust_roots": list(roots), "allow_fetching": fetch, "revocation_mode": revocation_mode,
              "crls": list(known[0]), "ocsps": list(known[1])}
    if fetch and backend is not None:
        kwargs["fetcher_backend"] = backend
    if timing is not None:
        kwargs["moment"] = timing.validation_time
    if "/DSS" not in reader.root and not fetch and not (known[0] or known[1]):
        kwargs["revocation_mode"] = "soft-fail"  # nothing to check against: pyHanko refuses hard-fail then
    if "/DSS" in reader.root:
        try:
            return DocumentSecurityStore.read_dss(reader).as_validation_context(kwargs)
        except Exception:  # a broken DSS: validate as if it were not there
            pass
    return ValidationContext(**kwargs)


async def _check_current(sig, roots, online: bool, timing, known=((), ()), backend=None) -> SignatureCheck:
    """A signature without a later document timestamp (B-B, B-T, B-LT): validated at the current time with the
    revocation data it carries or fetches; pyHanko's trust sub-indication is already ETSI's."""
    c = SignatureCheck(field=sig.field_name, kind="signature")
    vc = _context(sig.reader, roots, online, timing, known=known, backend=backend)
    try:
        st = await async_validate_pdf_signature(sig, signer_validation_context=vc, ts_validation_context=vc,
                                                key_usage_settings=SIGNING_KEY_USAGE)
    except Exception as exc:
        c.indication, c.sub_indication = "FAILED", "FORMAT_FAILURE"
        c.reasons.append(f"Không đọc được chữ ký: {type(exc).__name__}: {exc}")
        return c
    _describe(c, sig, st)
    problem = st.trust_problem_indic
    if not st.intact:
        c.indication, c.sub_indication = "FAILED", "HASH_FAILURE"
    elif not st.valid:
        c.indication, c.sub_indication = "FAILED", "SIG_CRYPTO_FAILURE"
    elif c.modifications_allowed is False:
        c.indication, c.sub_indication = "FAILED", "FORMAT_FAILURE"
    elif c.revoked:
        c.indication, c.sub_indication = "FAILED", "REVOKED"
    elif problem is not None:
        c.indication = "FAILED" if isinstance(problem, AdESFailure) else "INDETERMINATE"
        c.sub_indication = problem.name
    elif c.timestamp_ok is False:
        c.indication, c.sub_indication = "INDETERMINATE", "TIMESTAMP_ORDER_FAILURE" if c.timestamp_time else "GENERIC"
    elif not c.trusted:
        c.indication, c.sub_indication = "INDETERMINATE", "NO_CERTIFICATE_CHAIN_FOUND"
    else:
        c.indication = "PASSED"
    if c.sub_indication == "CHAIN_CONSTRAINTS_FAILURE" and _usage_refused(st):
        c.key_usage_ok = False
        c.sub_indication = "SIG_CONSTRAINTS_FAILURE"
    c.reasons[:0] = _explain(c)
    return c


def _usage_refused(st) -> bool:
    cert = st.signing_cert
    try:
        usage = set(cert.key_usage_value.native) if cert.key_usage_value else set()
    except Exception:
        return False
    return not usage & {"non_repudiation", "digital_signature"}


def _describe(c: SignatureCheck, sig, st) -> None:
    """Fill what a signature's pyHanko status says about who, when, what it covers and what changed."""
    cert = st.signing_cert
    c.signer = _name_part(cert.subject, "common_name")
    c.organisation = _name_part(cert.subject, "organization_name")
    c.issuer = _name_part(cert.issuer, "common_name")
    c.serial = format(cert.serial_number, "x")
    c.integrity = bool(st.intact and st.valid)
    c.trusted = bool(st.trusted)
    c.revoked = bool(st.revoked)
    c.revocation_checked = c.trusted or c.revoked
    c.coverage = "whole_file" if st.coverage == SignatureCoverageLevel.ENTIRE_FILE else "revision"
    mod = getattr(st, "modification_level", None)
    c.modifications = mod.name.lower() if isinstance(mod, ModificationLevel) else ""
    c.modifications_allowed = getattr(st, "docmdp_ok", None)
    c.certified = sig.docmdp_level is not None
    c.claimed_time = _vn(getattr(st, "signer_reported_dt", None) or sig.self_reported_timestamp)
    ts = getattr(st, "timestamp_validity", None)
    if ts is not None:
        c.timestamp_time = _vn(ts.timestamp)
        c.timestamp_ok = bool(ts.intact and ts.valid and ts.trusted)
    c.level = _level(sig, st)


async def _check_doc_timestamp(sig, newest: bool, roots, online: bool, timing, known=((), ()), backend=None
                               ) -> SignatureCheck:
    """A document timestamp (PAdES B-LTA). The newest must hold now; an older one is itself protected by the
    newer ones (the signatures' LTA validation walks that chain), so it needs only be intact."""
    c = SignatureCheck(field=sig.field_name, kind="document timestamp")
    at = timing.validation_time if timing else None
    vc = _context(sig.reader, roots, online, timing, "hard-fail" if newest else "soft-fail", known, backend)
    try:
        st = await async_validate_pdf_timestamp(sig, validation_context=vc)
    except Exception as exc:
        c.indication, c.sub_indication = "FAILED", "FORMAT_FAILURE"
        c.reasons.append(f"Không đọc được dấu thời gian: {type(exc).__name__}: {exc}")
        return c
    cert = st.signing_cert
    c.signer = _name_part(cert.subject, "common_name")
    c.organisation = _name_part(cert.subject, "organization_name")
    c.issuer = _name_part(cert.issuer, "common_name")
    c.serial = format(cert.serial_number, "x")
    c.integrity, c.trusted, c.revoked = bool(st.intact and st.valid), bool(st.trusted), bool(st.revoked)
    c.revocation_checked = c.trusted or c.revoked
    c.timestamp_time = _vn(st.timestamp)
    c.timestamp_ok = c.integrity and (c.trusted or not newest)
    c.coverage = "whole_file" if st.coverage == SignatureCoverageLevel.ENTIRE_FILE else "revision"
    mod = getattr(st, "modification_level", None)
    c.modifications = mod.name.lower() if isinstance(mod, ModificationLevel) else ""
    c.modifications_allowed = getattr(st, "docmdp_ok", None)
    if not c.integrity:
        c.indication, c.sub_indication = "FAILED", "HASH_FAILURE"
    elif c.revoked:
        c.indication, c.sub_indication = "INDETERMINATE", "REVOKED_NO_POE"
    elif newest and not c.trusted:
        expired = cert.not_valid_after < (at or datetime.now(timezone.utc))
        c.indication = "INDETERMINATE"
        c.sub_indication = "OUT_OF_BOUNDS_NO_POE" if expired else "NO_CERTIFICATE_CHAIN_FOUND"
    else:
        c.indication = "PASSED"
    c.reasons[:0] = _explain(c)
    return c


async def _check(sig, spec, timing) -> SignatureCheck:
    c = SignatureCheck(field=sig.field_name, kind="signature")
    try:
        result = await ades_lta_validation(sig, spec, timing_info=timing)
    except Exception as exc:  # a malformed CMS blob, an unsupported algorithm
        c.indication, c.sub_indication = "FAILED", "FORMAT_FAILURE"
        c.reasons.append(f"Không đọc được chữ ký: {type(exc).__name__}: {exc}")
        return c
    st = result.api_status
    sub = result.ades_subindic
    c.indication = "PASSED" if isinstance(sub, AdESPassed) else "FAILED" if isinstance(sub, AdESFailure) else "INDETERMINATE"
    c.sub_indication = None if isinstance(sub, AdESPassed) else sub.name
    if st is not None:
        _describe(c, sig, st)
        c.key_usage_ok = not _key_usage_failed(result)
        if c.modifications_allowed is False and c.indication != "FAILED":
            # content changed after signing in a way no signature policy allows: the signed document is not what
            # is shown any more
            c.indication, c.sub_indication = "FAILED", "FORMAT_FAILURE"
    if result.failure_msg and c.indication != "PASSED":
        c.reasons.append(result.failure_msg)
    c.reasons[:0] = _explain(c)
    return c


def _key_usage_failed(result) -> bool:
    msg = (result.failure_msg or "").lower()
    return "key usage" in msg or "keyusage" in msg or "key_usage" in msg


def _level(sig, st) -> str:
    reader = sig.reader
    has_dss = "/DSS" in reader.root
    later_doc_ts = any(s.sig_object_type == "/DocTimeStamp" and s.signed_revision > sig.signed_revision
                       for s in reader.embedded_signatures)
    if getattr(st, "timestamp_validity", None) is None:
        return "B-B"
    if has_dss and later_doc_ts:
        return "B-LTA"
    if has_dss:
        return "B-LT"
    return "B-T"


def _anchor_name(cert) -> str:
    cn = _name_part(cert.subject, "common_name")
    org = _name_part(cert.subject, "organization_name")
    return f"{cn} ({org})" if org and org not in cn else cn or cert.subject.human_friendly


def _name_part(name, key: str) -> str:
    try:
        return str(name.native.get(key) or "")
    except Exception:
        return ""


def _vn(dt: datetime | None) -> str | None:
    if dt is None:
        return None
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=timezone.utc)
    return dt.astimezone(VN).isoformat(timespec="seconds")


SUB_VI = {
    "HASH_FAILURE": "nội dung đã bị thay đổi sau khi ký (mã băm không khớp)",
    "SIG_CRYPTO_FAILURE": "chữ ký không khớp với khóa công khai của chứng thư số",
    "FORMAT_FAILURE": "tài liệu đã bị sửa đổi sau khi ký theo cách không được phép, hoặc chữ ký sai định dạng",
    "REVOKED": "chứng thư số của người ký đã bị thu hồi",
    "REVOKED_NO_POE": "chứng thư số đã bị thu hồi và không có bằng chứng chữ ký có trước thời điểm thu hồi",
    "REVOKED_CA_NO_POE": "chứng thư số của tổ chức cấp đã bị thu hồi",
    "EXPIRED": "chứng thư số đã hết hạn",
    "OUT_OF_BOUNDS_NO_POE": "chứng thư số đã hết hạn hoặc chưa có hiệu lực tại thời điểm ký, không có dấu thời gian chứng minh",
    "OUT_OF_BOUNDS_NOT_REVOKED": "chứng thư số không còn hiệu lực tại thời điểm kiểm tra",
    "NOT_YET_VALID": "chứng thư số chưa có hiệu lực",
    "NO_CERTIFICATE_CHAIN_FOUND": "chứng thư số không do tổ chức cung cấp dịch vụ chứng thực được tin cậy cấp",
    "NO_SIGNING_CERTIFICATE_FOUND": "không tìm thấy chứng thư số của người ký",
    "CHAIN_CONSTRAINTS_FAILURE": "chuỗi chứng thư số không đáp ứng ràng buộc (mục đích sử dụng khóa, chính sách)",
    "SIG_CONSTRAINTS_FAILURE": "chữ ký không đáp ứng ràng buộc (mục đích sử dụng khóa, thuộc tính ký)",
    "CERTIFICATE_CHAIN_GENERAL_FAILURE": "không kiểm tra được chuỗi chứng thư số",
    "CRYPTO_CONSTRAINTS_FAILURE": "thuật toán hoặc độ dài khóa không còn được chấp nhận",
    "TRY_LATER": "chưa lấy được thông tin thu hồi (OCSP/CRL); hãy kiểm tra lại sau",
    "TIMESTAMP_ORDER_FAILURE": "thứ tự dấu thời gian không hợp lệ",
    "POLICY_PROCESSING_ERROR": "không xử lý được chính sách chữ ký",
    "SIGNED_DATA_NOT_FOUND": "không tìm thấy dữ liệu được ký",
    "GENERIC": "không xác định được tính hợp lệ của chữ ký",
}


def _explain(c: SignatureCheck) -> list[str]:
    out = []
    if c.sub_indication:
        text = SUB_VI.get(c.sub_indication, c.sub_indication)
        out.append(text[:1].upper() + text[1:] + ".")
    if c.integrity and c.coverage == "revision":
        if c.modifications_allowed is False:
            out.append("Sau khi ký, tài liệu bị thay đổi nội dung trang: bản đang xem không còn là bản đã ký.")
        elif c.modifications in ("form_filling", "annotations"):
            out.append("Sau chữ ký này có nội dung được thêm hợp lệ (chữ ký tiếp theo hoặc điền biểu mẫu).")
    return out


def summary_vi(verdict: str, checks: list[SignatureCheck]) -> str:
    """One paragraph a clerk understands: the verdict, then one sentence per signature."""
    sigs = [c for c in checks if c.kind == "signature"]
    if not sigs:
        return "Tài liệu không có chữ ký số: không đủ điều kiện là văn bản điện tử hợp lệ, cần trả lại nơi gửi."
    head = {
        "TOTAL_PASSED": "Tài liệu hợp lệ: mọi chữ ký số đều đúng, nguyên vẹn và do tổ chức được tin cậy cấp chứng thư.",
        "TOTAL_FAILED": "Tài liệu KHÔNG hợp lệ: có chữ ký số không đạt, cần trả lại nơi gửi.",
        "INDETERMINATE": "Chưa kết luận được tính hợp lệ của tài liệu: có chữ ký số chưa kiểm tra được đầy đủ.",
    }[verdict]
    parts = [head]
    for i, c in enumerate(sigs, 1):
        who = c.signer or "không rõ người ký"
        if c.organisation and c.organisation != c.signer:
            who += f" ({c.organisation})"
        moment = c.timestamp_time or c.claimed_time
        when = f", ký lúc {_clock(moment)}" if moment else ""
        state = {"PASSED": "hợp lệ", "FAILED": "không hợp lệ", "INDETERMINATE": "chưa xác định"}[c.indication]
        why = f": {SUB_VI.get(c.sub_indication, c.sub_indication)}" if c.sub_indication else ""
        parts.append(f"Chữ ký {i} của {who}{when}: {state}{why}.")
    return " ".join(parts)


def _clock(iso: str) -> str:
    """'2026-12-01T09:30:00+07:00' as a clerk reads it: '09:30:00 ngày 01/12/2026'."""
    try:
        t = datetime.fromisoformat(iso)
    except ValueError:
        return iso
    return t.strftime("%H:%M:%S ngày %d/%m/%Y")


def _reader(pdf: bytes) -> PdfFileReader:
    if not pdf.lstrip()[:5].startswith(b"%PDF-"):
        raise ValidationError("the file is not a PDF")
    try:
        reader = PdfFileReader(io.BytesIO(pdf), strict=False)
        reader.embedded_signatures  # noqa: B018 - parse the signature fields now
    except Exception as exc:
        raise ValidationError(f"the PDF cannot be read: {exc}") from None
    if reader.encrypted:
        raise ValidationError("the PDF is encrypted")
    return reader
