"""The pages' session: the access token in an HttpOnly, SameSite=Strict cookie, and CSRF protection.

Every POST of a page checks two things: an ``Origin`` header, when the browser sends one, naming this site;
and, once logged in, a per-form token derived from the session (an HMAC of the cookie under the instance's
secret key), so a form posted from anywhere else — which cannot read the cookie — is refused.
"""

from __future__ import annotations

import hashlib
import hmac
from urllib.parse import urlsplit

from fastapi import Request
from fastapi.responses import Response

from api.problems import Problem
from api.security import SESSION_COOKIE
from ingest.results import secret_key


def csrf_token(request: Request) -> str:
    """The token a logged-in page puts in each of its forms (empty when nobody is logged in)."""
    cookie = request.cookies.get(SESSION_COOKIE, "")
    if not cookie:
        return ""
    key = secret_key(request.app.state.rt)
    return hmac.new(key, b"csrf:" + cookie.encode(), hashlib.sha256).hexdigest()[:40]


def check_origin(request: Request) -> None:
    origin = request.headers.get("origin")
    if origin and origin != "null":
        if urlsplit(origin).netloc != request.headers.get("host", ""):
            raise Problem(403, "Forbidden", "csrf")
    elif origin == "null":
        raise Problem(403, "Forbidden", "csrf")


def check_csrf(request: Request, token: str | None) -> None:
    """Refuse a page POST that did not come from one of this site's own forms."""
    check_origin(request)
    expected = csrf_token(request)
    if not expected or not hmac.compare_digest(expected, token or ""):
        raise Problem(403, "Forbidden", "csrf")


def set_session(response: Response, request: Request, token: str, seconds: int) -> None:
    response.set_cookie(SESSION_COOKIE, token, max_age=seconds, httponly=True, samesite="strict", path="/",
                        secure=request.url.scheme == "https")


def clear_session(response: Response) -> None:
    response.delete_cookie(SESSION_COOKIE, path="/", httponly=True, samesite="strict")
