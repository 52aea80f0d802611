"""Logging in (OAuth2 password flow), the caller's own identity, and an agency admin's users and API keys."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, Depends, Request
from fastapi.security import OAuth2PasswordRequestForm
from pydantic import BaseModel, Field

from api.problems import Problem
from api.routes.deps import runtime
from api.security import principal
from ingest import identity
from ingest.identity import Principal
from ingest.runtime import Runtime

router = APIRouter(prefix="/api/v1", tags=["accounts"])
Role = Literal["clerk", "signer", "van_thu", "agency_admin", "citizen", "auditor"]


@router.post("/auth/token", summary="Log in with username and password (OAuth2 password flow): a bearer access token")
def token(request: Request, form: OAuth2PasswordRequestForm = Depends(), rt: Runtime = Depends(runtime)):
    ip = request.client.host if request.client else None
    try:
        who = identity.login(rt, form.username, form.password, ip)
    except identity.LoginLocked as exc:
        raise Problem(429, "Too Many Requests", str(exc), headers={"Retry-After": str(exc.retry_after)}) from None
    except identity.AuthError as exc:
        raise Problem(401, "Unauthorized", str(exc), headers={"WWW-Authenticate": "Bearer"}) from None
    access, seconds = identity.issue_token(rt, who)
    return {"access_token": access, "token_type": "bearer", "expires_in": seconds, "principal": who.as_dict()}


@router.get("/auth/me", summary="Who the credentials sent belong to")
def me(who: Principal = Depends(principal)):
    return who.as_dict()


class NewUser(BaseModel):
    username: str = Field(..., max_length=64)
    password: str = Field(..., max_length=1024)
    roles: list[Role] = Field(..., min_length=1)
    full_name: str | None = Field(None, max_length=255)
    citizen_id: str | None = Field(None, description="12-digit personal ID; citizen accounts only")
    signer_key: str | None = Field(None, max_length=64, description="the keyring entry a signer signs with")


class UserChange(BaseModel):
    roles: list[Role] | None = None
    active: bool | None = None
    password: str | None = Field(None, max_length=1024)
    full_name: str | None = Field(None, max_length=255)
    signer_key: str | None = Field(None, max_length=64)


def _own_agency_roles(who: Principal, roles) -> None:
    if identity.AUDITOR in roles and identity.AGENCY_ADMIN in roles:
        raise Problem(422, "Invalid roles", "an auditor does not administer what they audit: give the roles to two people")


@router.post("/users", status_code=201, summary="Add a user to the admin's own agency (or a citizen account)")
def create_user(body: NewUser, who: Principal = Depends(principal), rt: Runtime = Depends(runtime)):
    _own_agency_roles(who, body.roles)
    agency = None if "citizen" in body.roles else who.agency_id
    try:
        user = identity.create_user(rt, body.username, body.password, body.roles, agency_id=agency,
                                    citizen_id=body.citizen_id, full_name=body.full_name, signer_key=body.signer_key,
                                    actor=who.actor)
    except identity.IdentityError as exc:
        raise Problem(422, "Invalid user", str(exc)) from None
    return user.as_dict()


@router.get("/users", summary="The users of the admin's agency")
def list_users(who: Principal = Depends(principal), rt: Runtime = Depends(runtime)):
    return {"items": [u.as_dict() for u in identity.list_users(rt, who.agency_id)]}


@router.patch("/users/{user_id}", summary="Change roles, deactivate or set a new password (cuts off issued tokens)")
def update_user(user_id: str, body: UserChange, who: Principal = Depends(principal), rt: Runtime = Depends(runtime)):
    if body.roles is not None:
        _own_agency_roles(who, body.roles)
    try:
        user = identity.update_user(rt, user_id, roles=body.roles, active=body.active, password=body.password,
                                    full_name=body.full_name, signer_key=body.signer_key, actor=who.actor)
    except LookupError as exc:
        raise Problem(404, "Not Found", str(exc)) from None
    except identity.IdentityError as exc:
        raise Problem(422, "Invalid change", str(exc)) from None
    return user.as_dict()


class NewKey(BaseModel):
    name: str = Field(..., max_length=128, description="what uses it: 'scanner station 3', 'portal bridge'")
    roles: list[Role] = Field(..., min_length=1)
    expires_days: int | None = Field(365, ge=1, le=3650)


@router.post("/api-keys", status_code=201, summary="A key for a machine of the admin's agency; the secret is shown once")
def create_key(body: NewKey, who: Principal = Depends(principal), rt: Runtime = Depends(runtime)):
    _own_agency_roles(who, body.roles)
    try:
        row, secret = identity.create_api_key(rt, body.name, body.roles, agency_id=who.agency_id,
                                              expires_days=body.expires_days, actor=who.actor)
    except identity.IdentityError as exc:
        raise Problem(422, "Invalid API key", str(exc)) from None
    return {**row.as_dict(), "key": secret}


@router.get("/api-keys", summary="The agency's API keys (never their secrets)")
def list_keys(who: Principal = Depends(principal), rt: Runtime = Depends(runtime)):
    return {"items": [k.as_dict() for k in identity.list_api_keys(rt, who.agency_id)]}


@router.delete("/api-keys/{key_id}", status_code=204, summary="Revoke an API key")
def revoke_key(key_id: str, who: Principal = Depends(principal), rt: Runtime = Depends(runtime)):
    try:
        identity.revoke_api_key(rt, key_id, actor=who.actor)
    except LookupError as exc:
        raise Problem(404, "Not Found", str(exc)) from None
