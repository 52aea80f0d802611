"""Who is asking: people log in with a password (argon2) and carry a short-lived JWT; machines carry an API key.

Both end as a ``Principal`` — roles, agency, personal ID — which is all the authorization layer looks at.
Failed logins are counted in the catalogue (not in one process's memory), so the limit holds across API
nodes; each failure is also an audit entry. A token names the user and their ``token_version``: changing a
password, the roles or deactivating a user bumps it, and every token issued before stops working at once.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import unicodedata
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone

import jwt
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import func, select

from ingest.dossier import agency_id_error
from ingest.results import secret_key
from ingest.runtime import Runtime
from storage import audit
from storage.accounts import ApiKey, LoginFailure, User
from storage.catalog import utcnow

CLERK, SIGNER, VAN_THU, AGENCY_ADMIN, CITIZEN, AUDITOR = "clerk", "signer", "van_thu", "agency_admin", "citizen", "auditor"
ROLES = (CLERK, SIGNER, VAN_THU, AGENCY_ADMIN, CITIZEN, AUDITOR)
STAFF_ROLES = tuple(r for r in ROLES if r != CITIZEN)
MIN_PASSWORD = 10
_USERNAME = re.compile(r"^[a-z0-9][a-z0-9._@-]{2,63}$")
_PERSONAL_ID = re.compile(r"^\d{12}$")
_HASHER = PasswordHasher()
_DUMMY_HASH = _HASHER.hash("not a password anyone has")
API_KEY_PREFIX = "sohoa_"


class IdentityError(ValueError):
    """A request to create or change an account that cannot be honoured (HTTP 422)."""


class AuthError(Exception):
    """Credentials missing, wrong, expired or revoked (HTTP 401)."""


class LoginLocked(AuthError):
    """Too many failed logins recently (HTTP 429)."""

    def __init__(self, message: str, retry_after: int):
        super().__init__(message)
        self.retry_after = retry_after


@dataclass(frozen=True)
class Principal:
    kind: str  # user | apikey | instance
    id: str
    name: str
    roles: frozenset[str] = field(default_factory=frozenset)
    agency_id: str | None = None
    citizen_id: str | None = None
    signer_key: str | None = None

    @property
    def actor(self) -> str:
        return f"{self.kind}:{self.name}"

    def has(self, *roles: str) -> bool:
        return bool(self.roles.intersection(roles))

    def as_dict(self) -> dict:
        return {"kind": self.kind, "id": self.id, "name": self.name, "roles": sorted(self.roles),
                "agency_id": self.agency_id, "citizen_id": self.citizen_id, "signer_key": self.signer_key}


def _principal(user: User) -> Principal:
    return Principal("user", user.id, user.username, frozenset(user.roles or ()), user.agency_id, user.citizen_id,
                     user.signer_key)


# --- accounts ----------------------------------------------------------------------------------------------


def _check_roles(roles, agency_id: str | None, citizen_id: str | None) -> list[str]:
    roles = sorted(set(roles or ()))
    unknown = [r for r in roles if r not in ROLES]
    if unknown:
        raise IdentityError(f"unknown role(s) {', '.join(unknown)}; roles are {', '.join(ROLES)}")
    if not roles:
        raise IdentityError("a user needs at least one role")
    if CITIZEN in roles:
        if len(roles) > 1:
            raise IdentityError("a citizen account carries no staff role: make a separate staff account")
        if not citizen_id or not _PERSONAL_ID.match(citizen_id):
            raise IdentityError("a citizen is identified by the 12-digit personal ID (số định danh cá nhân)")
        if agency_id:
            raise IdentityError("a citizen account belongs to no agency")
    else:
        if citizen_id:
            raise IdentityError("only citizen accounts carry a personal ID")
        if not agency_id:
            raise IdentityError("staff belong to an agency: give its Decision 20/2020 identifier")
        problem = agency_id_error(agency_id)
        if problem:
            raise IdentityError(problem)
    return roles


def _check_password(password: str) -> str:
    password = unicodedata.normalize("NFC", password or "")
    if len(password) < MIN_PASSWORD:
        raise IdentityError(f"a password has at least {MIN_PASSWORD} characters")
    if len(password) > 1024:
        raise IdentityError("a password has at most 1024 characters")
    return password


def create_user(rt: Runtime, username: str, password: str, roles, *, agency_id: str | None = None,
                citizen_id: str | None = None, full_name: str | None = None, signer_key: str | None = None,
                actor: str = "system") -> User:
    username = (username or "").strip().lower()
    if not _USERNAME.match(username):
        raise IdentityError("a username is 3-64 characters: lower-case letters, digits, '.', '_', '-', '@'")
    citizen_id = (citizen_id or "").strip() or None
    agency_id = (agency_id or "").strip() or None
    roles = _check_roles(roles, agency_id, citizen_id)
    pw_hash = _HASHER.hash(_check_password(password))
    with rt.catalog.session() as session, session.begin():
        if session.scalar(select(User.id).where(User.username == username)):
            raise IdentityError(f"the username {username!r} is taken")
        if citizen_id and session.scalar(select(User.id).where(User.citizen_id == citizen_id)):
            raise IdentityError("this personal ID already has an account")
        user = User(username=username, password_hash=pw_hash, roles=roles, agency_id=agency_id, citizen_id=citizen_id,
                    full_name=unicodedata.normalize("NFC", full_name.strip()) if full_name else None,
                    signer_key=signer_key or None, password_changed_at=utcnow())
        session.add(user)
        session.flush()
        audit.append(session, "user.create", actor=actor, agency_id=agency_id, subject=f"user:{user.id}",
                     detail={"username": username, "roles": roles})
    return user


def update_user(rt: Runtime, user_id: str, *, roles=None, active: bool | None = None, password: str | None = None,
                full_name: str | None = None, signer_key: str | None = None, actor: str = "system") -> User:
    """Change an account; a new password, new roles or deactivation cut off the tokens already issued."""
    with rt.catalog.session() as session, session.begin():
        user = session.get(User, user_id, with_for_update=True)
        if user is None:
            raise LookupError(f"no user {user_id}")
        changed = {}
        if roles is not None:
            user.roles = _check_roles(roles, user.agency_id, user.citizen_id)
            changed["roles"] = user.roles
        if password is not None:
            user.password_hash = _HASHER.hash(_check_password(password))
            user.password_changed_at = utcnow()
            changed["password"] = "changed"
        if active is not None:
            user.active = active
            changed["active"] = active
        if full_name is not None:
            user.full_name = unicodedata.normalize("NFC", full_name.strip()) or None
            changed["full_name"] = user.full_name
        if signer_key is not None:
            user.signer_key = signer_key or None
            changed["signer_key"] = user.signer_key
        if {"roles", "password", "active"} & changed.keys():
            user.token_version += 1
        audit.append(session, "user.update", actor=actor, agency_id=user.agency_id, subject=f"user:{user.id}",
                     detail=changed)
    return user


def get_user(rt: Runtime, user_id: str) -> User | None:
    with rt.catalog.session() as session:
        return session.get(User, user_id)


def list_users(rt: Runtime, agency_id: str | None = None) -> list[User]:
    with rt.catalog.session() as session:
        stmt = select(User).order_by(User.username)
        if agency_id:
            stmt = stmt.where(User.agency_id == agency_id)
        return list(session.scalars(stmt))


# --- logging in --------------------------------------------------------------------------------------------


def _failures(session, rt: Runtime, username: str, ip: str | None) -> tuple[int, int, datetime | None]:
    since = utcnow() - timedelta(minutes=rt.settings.login_window_minutes)
    by_user, oldest = session.execute(select(func.count(), func.min(LoginFailure.at))
                                      .where(LoginFailure.username == username, LoginFailure.at >= since)).one()
    by_ip = session.scalar(select(func.count()).where(LoginFailure.ip == ip, LoginFailure.at >= since)) if ip else 0
    return by_user, by_ip, oldest


def login(rt: Runtime, username: str, password: str, ip: str | None = None) -> Principal:
    """Check a password; refuse while the username (or the address) has too many recent failures."""
    username = (username or "").strip().lower()[:64]
    limit = rt.settings.login_max_failures
    with rt.catalog.session() as session, session.begin():
        by_user, by_ip, oldest = _failures(session, rt, username, ip)
        if by_user >= limit or by_ip >= limit * 10:
            if oldest is not None and oldest.tzinfo is None:
                oldest = oldest.replace(tzinfo=timezone.utc)
            wait = rt.settings.login_window_minutes * 60
            if oldest is not None and by_user >= limit:
                wait = max(1, int((oldest + timedelta(minutes=rt.settings.login_window_minutes) - utcnow()).total_seconds()))
            audit.append(session, "login.locked", actor=f"user:{username}", subject=f"user:{username}", detail={"ip": ip})
            raise LoginLocked("too many failed logins; try again later", wait)
        user = session.scalar(select(User).where(User.username == username))
        ok = False
        try:
            ok = _HASHER.verify(user.password_hash if user else _DUMMY_HASH, password or "") and user is not None
        except (VerificationError, InvalidHashError):
            ok = False
        if not ok or not user.active:
            session.add(LoginFailure(username=username, ip=ip))
            audit.append(session, "login.failure", actor=f"user:{username}", agency_id=user.agency_id if user else None,
                         subject=f"user:{username}", detail={"ip": ip, "reason": "inactive" if ok else "bad credentials"})
            failed = True
        else:
            failed = False
            if _HASHER.check_needs_rehash(user.password_hash):
                user.password_hash = _HASHER.hash(password)
            audit.append(session, "login", actor=f"user:{username}", agency_id=user.agency_id, subject=f"user:{user.id}",
                         detail={"ip": ip})
            principal = _principal(user)
    if failed:  # committed above: the failure counts even though the caller gets an error
        raise AuthError("wrong username or password")
    return principal


def _jwt_key(rt: Runtime) -> bytes:
    return hmac.new(secret_key(rt), b"sohoa access token", hashlib.sha256).digest()


def issue_token(rt: Runtime, principal: Principal) -> tuple[str, int]:
    """A signed access token for a logged-in user, and its lifetime in seconds."""
    with rt.catalog.session() as session:
        version = session.get(User, principal.id).token_version
    seconds = rt.settings.token_minutes * 60
    now = datetime.now(timezone.utc)
    claims = {"sub": principal.id, "ver": version, "iat": now, "exp": now + timedelta(seconds=seconds), "typ": "access"}
    return jwt.encode(claims, _jwt_key(rt), algorithm="HS256"), seconds


def principal_from_token(rt: Runtime, token: str) -> Principal:
    try:
        claims = jwt.decode(token, _jwt_key(rt), algorithms=["HS256"], options={"require": ["exp", "sub", "ver"]})
    except jwt.ExpiredSignatureError:
        raise AuthError("the access token has expired; log in again") from None
    except jwt.PyJWTError:
        raise AuthError("the access token is not valid") from None
    if claims.get("typ") != "access":
        raise AuthError("the access token is not valid")
    with rt.catalog.session() as session:
        user = session.get(User, str(claims["sub"]))
        if user is None or not user.active or user.token_version != claims["ver"]:
            raise AuthError("the access token was revoked; log in again")
        return _principal(user)


# --- machines ----------------------------------------------------------------------------------------------


def _secret_hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def create_api_key(rt: Runtime, name: str, roles, *, agency_id: str | None, expires_days: int | None = None,
                   actor: str = "system") -> tuple[ApiKey, str]:
    """A key for a machine (scanner station, integration); the secret is returned once and kept only hashed."""
    name = unicodedata.normalize("NFC", (name or "").strip())[:128]
    if not name:
        raise IdentityError("an API key needs a name saying what uses it")
    roles = sorted(set(roles or ()))
    if CITIZEN in roles:
        raise IdentityError("an API key cannot act as a citizen")
    roles = _check_roles(roles, agency_id, None)
    key_id, secret = secrets.token_hex(8), secrets.token_urlsafe(32)
    row = ApiKey(id=key_id, name=name, agency_id=agency_id, roles=roles, secret_hash=_secret_hash(secret), created_by=actor,
                 expires_at=utcnow() + timedelta(days=expires_days) if expires_days else None)
    with rt.catalog.session() as session, session.begin():
        session.add(row)
        session.flush()
        audit.append(session, "apikey.create", actor=actor, agency_id=agency_id, subject=f"apikey:{key_id}",
                     detail={"name": name, "roles": roles})
    return row, f"{API_KEY_PREFIX}{key_id}.{secret}"


def principal_from_api_key(rt: Runtime, presented: str) -> Principal:
    m = re.fullmatch(rf"{API_KEY_PREFIX}([0-9a-f]{{16}})\.([A-Za-z0-9_-]{{20,100}})", (presented or "").strip())
    if not m:
        raise AuthError("the API key is malformed")
    with rt.catalog.session() as session, session.begin():
        row = session.get(ApiKey, m.group(1))
        if row is None or not hmac.compare_digest(row.secret_hash, _secret_hash(m.group(2))):
            raise AuthError("the API key is not valid")
        now = utcnow()
        if row.revoked_at is not None:
            raise AuthError("the API key was revoked")
        expires = row.expires_at.replace(tzinfo=timezone.utc) if row.expires_at and row.expires_at.tzinfo is None else row.expires_at
        if expires is not None and expires <= now:
            raise AuthError("the API key has expired")
        last = row.last_used_at.replace(tzinfo=timezone.utc) if row.last_used_at and row.last_used_at.tzinfo is None else row.last_used_at
        if last is None or now - last > timedelta(minutes=1):
            row.last_used_at = now  # at most one write a minute per key
        return Principal("apikey", row.id, row.name, frozenset(row.roles or ()), row.agency_id)


def revoke_api_key(rt: Runtime, key_id: str, *, actor: str = "system") -> ApiKey:
    with rt.catalog.session() as session, session.begin():
        row = session.get(ApiKey, key_id)
        if row is None:
            raise LookupError(f"no API key {key_id}")
        if row.revoked_at is None:
            row.revoked_at = utcnow()
            audit.append(session, "apikey.revoke", actor=actor, agency_id=row.agency_id, subject=f"apikey:{key_id}",
                         detail={"name": row.name})
    return row


def list_api_keys(rt: Runtime, agency_id: str | None = None) -> list[ApiKey]:
    with rt.catalog.session() as session:
        stmt = select(ApiKey).order_by(ApiKey.created_at)
        if agency_id:
            stmt = stmt.where(ApiKey.agency_id == agency_id)
        return list(session.scalars(stmt))
