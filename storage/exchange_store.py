"""What the exchange between agencies keeps: the address book, what was sent, what arrived, and statuses.

Delivery itself goes through the shared ``outbox`` table (destination ``exchange``); these rows are the
business record. A sent envelope has one ``ExchangeSent`` row per recipient, because each recipient answers
on its own; an arrived one has one ``ExchangeReceived`` row, unique by the envelope's bytes, so a replay finds
the answer already given. Statuses are kept on both sides, each message once (``status_id``).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Boolean, DateTime, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from storage.catalog import Base, new_id, utcnow


class ExchangeAgency(Base):
    """An agency this instance exchanges with: where its instance listens and the certificate it signs with."""

    __tablename__ = "exchange_agencies"
    id: Mapped[str] = mapped_column(String(35), primary_key=True)
    name: Mapped[str] = mapped_column(String(255), default="")
    endpoint: Mapped[str] = mapped_column(String(500))  # base URL of its sohoa (or edXML gateway)
    certificate_pem: Mapped[str] = mapped_column(Text)
    cert_sha256: Mapped[str] = mapped_column(String(64))
    cert_subject: Mapped[str] = mapped_column(String(500), default="")
    active: Mapped[bool] = mapped_column(Boolean, default=True, server_default="1")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, onupdate=utcnow)


class ExchangeSent(Base):
    """One envelope on its way to (or answered by) one recipient agency."""

    __tablename__ = "exchange_sent"
    __table_args__ = (UniqueConstraint("envelope_id", "to_agency", name="uq_exchange_sent"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    envelope_id: Mapped[str] = mapped_column(String(32), index=True)
    to_agency: Mapped[str] = mapped_column(String(35), index=True)
    document_id: Mapped[str | None] = mapped_column(ForeignKey("documents.id"), nullable=True, index=True)
    business_type: Mapped[int] = mapped_column(Integer, default=0)
    ref_envelope_id: Mapped[str | None] = mapped_column(String(32), nullable=True, index=True)
    envelope_sha256: Mapped[str] = mapped_column(String(64))  # the signed envelope, in the object store
    header: Mapped[dict] = mapped_column(JSON, default=dict)
    # queued → delivered (01) | rejected (02) | dead (never answered); recalled once the recipient agreed (14)
    state: Mapped[str] = mapped_column(String(16), default="queued", index=True)
    status: Mapped[str | None] = mapped_column(String(2), nullable=True)  # the newest status code received
    outbox_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    actor: Mapped[str] = mapped_column(String(128), default="system")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, onupdate=utcnow)


class ExchangeReceived(Base):
    """An envelope that reached this instance's inbox, accepted or not, and the answer it was given."""

    __tablename__ = "exchange_received"
    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    envelope_sha256: Mapped[str] = mapped_column(String(64), unique=True)
    envelope_id: Mapped[str | None] = mapped_column(String(32), nullable=True, index=True)
    from_agency: Mapped[str | None] = mapped_column(String(35), nullable=True, index=True)
    authenticated: Mapped[bool] = mapped_column(Boolean, default=False)  # its signature was the sender's
    business_type: Mapped[int | None] = mapped_column(Integer, nullable=True)
    ref_envelope_id: Mapped[str | None] = mapped_column(String(32), nullable=True)
    document_id: Mapped[str | None] = mapped_column(ForeignKey("documents.id"), nullable=True, index=True)
    header: Mapped[dict | None] = mapped_column(JSON, nullable=True)
    attachments: Mapped[list] = mapped_column(JSON, default=list)  # [{name, media_type, sha256, size, role}]
    # arrived (01…06 below) | rejected (02) | recalled (frozen) | replaced | answer (a recall envelope)
    state: Mapped[str] = mapped_column(String(16), index=True)
    status: Mapped[str] = mapped_column(String(2))  # the newest status this instance gave
    reasons: Mapped[list] = mapped_column(JSON, default=list)
    answer_code: Mapped[int] = mapped_column(Integer)  # the HTTP answer, given again to a replay
    answer: Mapped[dict] = mapped_column(JSON)
    replaced_by: Mapped[str | None] = mapped_column(String(32), nullable=True)
    received_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, onupdate=utcnow)


class ExchangeStatus(Base):
    """One status message: ``side`` sent = about an envelope we sent (it came back to us), received = one we
    gave about an envelope that arrived (it went back to its sender)."""

    __tablename__ = "exchange_statuses"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    status_id: Mapped[str] = mapped_column(String(32), unique=True)
    side: Mapped[str] = mapped_column(String(8))  # sent | received
    envelope_id: Mapped[str] = mapped_column(String(32), index=True)
    agency_id: Mapped[str] = mapped_column(String(35), index=True)  # the other agency
    code: Mapped[str] = mapped_column(String(2))
    reasons: Mapped[list] = mapped_column(JSON, default=list)
    staff: Mapped[str | None] = mapped_column(String(128), nullable=True)
    signed: Mapped[bool] = mapped_column(Boolean, default=True)  # its signature was checked (or made) here
    message_sha256: Mapped[str | None] = mapped_column(String(64), nullable=True)  # the signed XML, kept
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
