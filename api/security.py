"""The one dependency that decides every request: who is calling, may their roles call this, is it theirs.

Credentials: ``Authorization: Bearer <access token>`` for people (OAuth2 password flow at
``/api/v1/auth/token``) and ``Authorization: Bearer sohoa_…`` or ``X-API-Key: sohoa_…`` for machines. The rule
for the matched route comes from ``api.permissions.MATRIX``; ownership of the things named in the path from
``ingest.access``. The principal is left on ``request.state.principal`` for the route (and its audit entries).
"""

from __future__ import annotations

from fastapi import Depends, Request
from fastapi.security import OAuth2PasswordBearer

from api import permissions
from api.problems import Problem
from ingest import access, identity
from ingest.identity import Principal
from storage import audit

BEARER = {"WWW-Authenticate": 'Bearer realm="sohoa"'}
SESSION_COOKIE = "sohoa_session"  # a person's access token, set by the login page (HttpOnly, SameSite=Strict)
PAGES = "/web"  # the server-rendered pages (api.web): the session cookie counts for every method there
# declared so /docs offers the login form; the header itself is read by ``authenticate``
OAUTH2 = OAuth2PasswordBearer(tokenUrl="/api/v1/auth/token", auto_error=False)


def _credentials(request: Request) -> str | None:
    header = request.headers.get("authorization") or ""
    scheme, _, value = header.partition(" ")
    if scheme.lower() == "bearer" and value.strip():
        return value.strip()
    key = request.headers.get("x-api-key")
    return key.strip() if key and key.strip() else None


def is_page(request: Request) -> bool:
    path = request.url.path
    return path == PAGES or path.startswith(PAGES + "/")


def _session_cookie(request: Request) -> str | None:
    """The login page's token, honoured on the pages (whose POSTs check a CSRF token) and for reading anywhere
    (page images, PDFs behind a page's links): never for an API write, which has no CSRF check."""
    if not (is_page(request) or request.method in ("GET", "HEAD")):
        return None
    value = request.cookies.get(SESSION_COOKIE, "").strip()
    return value or None


def authenticate(request: Request) -> Principal | None:
    """The caller, None when no credentials were sent; 401 when they were sent and are not good."""
    if hasattr(request.state, "principal"):
        return request.state.principal
    presented = _credentials(request)
    principal = None
    if presented:
        rt = request.app.state.rt
        try:
            if presented.startswith(identity.API_KEY_PREFIX):
                principal = identity.principal_from_api_key(rt, presented)
            else:
                principal = identity.principal_from_token(rt, presented)
        except identity.AuthError as exc:
            raise Problem(401, "Unauthorized", str(exc), headers=BEARER) from None
    elif cookie := _session_cookie(request):
        try:  # a stale cookie is no login at all: public pages stay reachable, others ask to log in again
            principal = identity.principal_from_token(request.app.state.rt, cookie)
        except identity.AuthError:
            principal = None
    request.state.principal = principal
    return principal


def authorize(request: Request, _token: str | None = Depends(OAUTH2)) -> None:
    route = request.scope.get("route")
    path = getattr(route, "path_format", None) or getattr(route, "path", "")
    method = "GET" if request.method == "HEAD" else request.method
    rule = permissions.rule(method, path)
    if rule is None:
        raise Problem(403, "Forbidden", f"{method} {path} is not in the access matrix (api/permissions.py)")
    principal = authenticate(request)
    if rule in (permissions.PUBLIC, permissions.SIGNED):
        return
    if principal is None:
        raise Problem(401, "Unauthorized", "log in first: send Authorization: Bearer <access token or API key>",
                      headers=BEARER)
    if rule != permissions.ANY and not principal.roles & rule:
        raise Problem(403, "Forbidden", f"this needs one of the roles {', '.join(sorted(rule))}; "
                      f"you have {', '.join(sorted(principal.roles)) or 'none'}")
    params = request.path_params
    if params:
        with request.app.state.rt.catalog.session() as session:
            why = access.refusal(session, principal, dict(params), writing=method not in ("GET", "HEAD"))
        if why:
            raise Problem(403, "Forbidden", why)


def principal(request: Request) -> Principal:
    """For routes behind a role rule: the authenticated caller (set by ``authorize``)."""
    p = getattr(request.state, "principal", None)
    if p is None:  # only reachable on a PUBLIC route that asks for a principal
        raise Problem(401, "Unauthorized", "log in first", headers=BEARER)
    return p


def actor(request: Request) -> str:
    p = getattr(request.state, "principal", None)
    return p.actor if p else "public"


def record(request: Request, action: str, subject: str | None = None, **detail) -> None:
    """An audit entry for what the caller just did, in its own transaction (``storage.audit``)."""
    p = getattr(request.state, "principal", None)
    ip = request.client.host if request.client else None
    audit.record(request.app.state.rt.catalog, action, actor=p.actor if p else "public",
                 agency_id=p.agency_id if p else None, subject=subject, detail={**detail, "ip": ip})
