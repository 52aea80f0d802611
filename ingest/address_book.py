"""The address book: which agencies this instance exchanges with, where they listen, which certificate they sign with.

An incoming envelope is accepted only from an agency listed here, signed with exactly the certificate listed
here (besides chaining to a trust anchor), so adding an agency is a deliberate act of an administrator.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata

from sqlalchemy import select

from ingest.runtime import Runtime
from signing.trust import TrustError, read_certificates
from storage import audit
from storage.exchange_store import ExchangeAgency

AGENCY_ID = re.compile(r"^[0-9A-Za-z]+(\.[0-9A-Za-z]+)*$")


class AddressBookError(ValueError):
    """An entry that cannot be kept as given (bad id, endpoint or certificate): a 422 answer."""


def check_agency_id(agency_id: str) -> str:
    agency_id = (agency_id or "").strip()
    if not agency_id or len(agency_id) > 35 or not AGENCY_ID.match(agency_id):
        raise AddressBookError(f"{agency_id!r} is not an agency identifier (Decision 20/2020: dot-separated groups "
                               "of letters and digits, at most 35 characters, e.g. 000.00.00.G22)")
    return agency_id


def check_endpoint(url: str) -> str:
    import httpx

    url = (url or "").strip().rstrip("/")
    try:
        parsed = httpx.URL(url)
    except Exception:
        raise AddressBookError(f"{url!r} is not a URL") from None
    if parsed.scheme not in ("http", "https") or not parsed.host:
        raise AddressBookError("the endpoint must be an http:// or https:// address of the agency's instance")
    return url


def certificate(pem: str | bytes) -> tuple[bytes, str]:
    """(DER, subject) of the one certificate in ``pem``."""
    data = pem.encode() if isinstance(pem, str) else pem
    try:
        certs = read_certificates(data, "the certificate")
    except TrustError as exc:
        raise AddressBookError(str(exc)) from None
    if len(certs) != 1:
        raise AddressBookError(f"give exactly one certificate (the agency's signing certificate), not {len(certs)}")
    return certs[0].dump(), certs[0].subject.human_friendly


def to_pem(der: bytes) -> str:
    from asn1crypto import pem

    return pem.armor("CERTIFICATE", der).decode("ascii")


def put(rt: Runtime, agency_id: str, *, name: str, endpoint: str, certificate_pem: str | bytes,
        actor: str = "system", actor_agency: str | None = None) -> ExchangeAgency:
    """Add an agency or replace its entry (a new endpoint, a renewed certificate)."""
    agency_id = check_agency_id(agency_id)
    endpoint = check_endpoint(endpoint)
    der, subject = certificate(certificate_pem)
    name = unicodedata.normalize("NFC", (name or "").strip())[:255]
    with rt.catalog.session() as session:
        row = session.get(ExchangeAgency, agency_id)
        created = row is None
        if created:
            row = ExchangeAgency(id=agency_id)
            session.add(row)
        row.name, row.endpoint, row.certificate_pem, row.active = name, endpoint, to_pem(der), True
        row.cert_sha256, row.cert_subject = hashlib.sha256(der).hexdigest(), subject[:500]
        audit.append(session, "exchange.address_book.put", actor=actor, agency_id=actor_agency,
                     subject=f"agency:{agency_id}", detail={"created": created, "endpoint": endpoint,
                                                            "cert_sha256": row.cert_sha256})
        session.commit()
        return row


def remove(rt: Runtime, agency_id: str, *, actor: str = "system", actor_agency: str | None = None) -> None:
    """Stop exchanging with an agency; its entry stays (inactive) so past envelopes keep their context."""
    with rt.catalog.session() as session:
        row = session.get(ExchangeAgency, agency_id)
        if row is None:
            raise LookupError(f"no agency {agency_id} in the address book")
        row.active = False
        audit.append(session, "exchange.address_book.remove", actor=actor, agency_id=actor_agency,
                     subject=f"agency:{agency_id}", detail={})
        session.commit()


def entries(rt: Runtime, include_inactive: bool = False) -> list[ExchangeAgency]:
    with rt.catalog.session() as session:
        q = select(ExchangeAgency).order_by(ExchangeAgency.id)
        if not include_inactive:
            q = q.where(ExchangeAgency.active.is_(True))
        return list(session.scalars(q))


def lookup(session, agency_id: str) -> ExchangeAgency | None:
    """The active entry for ``agency_id``, or None."""
    row = session.get(ExchangeAgency, agency_id) if agency_id else None
    return row if row is not None and row.active else None


def cert_der(row: ExchangeAgency) -> bytes:
    return certificate(row.certificate_pem)[0]


def as_dict(row: ExchangeAgency) -> dict:
    return {"id": row.id, "name": row.name, "endpoint": row.endpoint, "cert_sha256": row.cert_sha256,
            "cert_subject": row.cert_subject, "active": row.active, "certificate_pem": row.certificate_pem,
            "updated_at": row.updated_at.isoformat() if row.updated_at else None}
