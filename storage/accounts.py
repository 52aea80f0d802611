"""Accounts: people (staff of an agency, or a citizen by personal ID), machine API keys, failed logins.

Only hashes are kept: argon2 for passwords, SHA-256 for API key secrets (random 256-bit strings, so a slow
hash adds nothing). ``token_version`` is bumped to cut off every token already issued to a user.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Boolean, DateTime, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from storage.catalog import Base, new_id, utcnow


class User(Base):
    __tablename__ = "users"
    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    full_name: Mapped[str | None] = mapped_column(String(255), nullable=True)
    agency_id: Mapped[str | None] = mapped_column(String(35), nullable=True, index=True)
    citizen_id: Mapped[str | None] = mapped_column(String(12), nullable=True, unique=True)
    roles: Mapped[list] = mapped_column(JSON, default=list)
    signer_key: Mapped[str | None] = mapped_column(String(64), nullable=True)  # the keyring entry they sign with
    password_hash: Mapped[str] = mapped_column(String(255))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    token_version: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    password_changed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)

    def as_dict(self) -> dict:
        return {"id": self.id, "username": self.username, "full_name": self.full_name, "agency_id": self.agency_id,
                "citizen_id": self.citizen_id, "roles": list(self.roles or []), "signer_key": self.signer_key,
                "active": self.active}


class ApiKey(Base):
    __tablename__ = "api_keys"
    id: Mapped[str] = mapped_column(String(16), primary_key=True)
    name: Mapped[str] = mapped_column(String(128))
    agency_id: Mapped[str | None] = mapped_column(String(35), nullable=True)
    roles: Mapped[list] = mapped_column(JSON, default=list)
    secret_hash: Mapped[str] = mapped_column(String(64))
    created_by: Mapped[str | None] = mapped_column(String(64), nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    expires_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    last_used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)

    def as_dict(self) -> dict:
        return {"id": self.id, "name": self.name, "agency_id": self.agency_id, "roles": list(self.roles or []),
                "created_by": self.created_by, "created_at": self.created_at.isoformat() if self.created_at else None,
                "expires_at": self.expires_at.isoformat() if self.expires_at else None,
                "revoked": self.revoked_at is not None,
                "last_used_at": self.last_used_at.isoformat() if self.last_used_at else None}


class LoginFailure(Base):
    __tablename__ = "login_failures"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    username: Mapped[str] = mapped_column(String(64), index=True)
    ip: Mapped[str | None] = mapped_column(String(64), nullable=True, index=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, index=True)
