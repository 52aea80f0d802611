"""Logging in and out of the pages, the language switch, and the start page that sends each person to their work."""

from __future__ import annotations

from urllib.parse import urlsplit

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse

from api.routes.deps import runtime
from api.security import principal
from api.web import i18n
from api.web.render import page
from api.web.session import check_csrf, check_origin, clear_session, set_session
from ingest import identity
from ingest.identity import Principal
from ingest.runtime import Runtime

router = APIRouter(prefix="/web", include_in_schema=False)
# the first page of each role's work, in the order a person holding several roles is sent
LANDING = (("clerk", "/web/review"), ("signer", "/web/sign"), ("van_thu", "/web/sign"),
           ("agency_admin", "/web/dashboard"), ("citizen", "/web/me"), ("auditor", "/web/audit"))


def safe_next(target: str | None) -> str:
    """Only a path of this site (never another host: an open redirect) and only a page."""
    if not target:
        return "/web/"
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return "/web/"
    return target


@router.get("/")
def home(who: Principal = Depends(principal)):
    for role, url in LANDING:
        if role in who.roles:
            return RedirectResponse(url, status_code=303)
    return RedirectResponse("/web/verify", status_code=303)


@router.get("/login")
def login_form(request: Request, next: str | None = None):
    return page(request, "login.html", next=safe_next(next))


@router.post("/login")
def login(request: Request, username: str = Form("", max_length=256), password: str = Form("", max_length=1024),
          next: str = Form("/web/", max_length=2000), rt: Runtime = Depends(runtime)):
    check_origin(request)
    ip = request.client.host if request.client else None
    try:
        who = identity.login(rt, username, password, ip)
    except identity.LoginLocked as exc:
        return page(request, "login.html", status=429, next=safe_next(next), username=username,
                    error=("login.locked", {"minutes": max(1, exc.retry_after // 60)}),
                    headers={"Retry-After": str(exc.retry_after)})
    except identity.AuthError:
        return page(request, "login.html", status=401, next=safe_next(next), username=username,
                    error=("login.wrong", {}))
    token, seconds = identity.issue_token(rt, who)
    response = RedirectResponse(safe_next(next), status_code=303)
    set_session(response, request, token, seconds)
    return response


@router.post("/logout")
def logout(request: Request, csrf: str = Form("")):
    check_csrf(request, csrf)
    response = RedirectResponse("/web/login", status_code=303)
    clear_session(response)
    return response


@router.get("/lang/{locale}")
def choose_language(locale: str, next: str | None = None):
    response = RedirectResponse(safe_next(next), status_code=303)
    if locale in i18n.LOCALES:
        response.set_cookie(i18n.LANG_COOKIE, locale, max_age=365 * 86400, samesite="lax", path="/")
    return response
