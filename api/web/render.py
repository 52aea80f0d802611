"""Rendering the pages: one Jinja2 environment, the context every page gets, and errors shown as pages.

A page is never answered with a problem document or a 500 trace: not logged in is a redirect to the login
page (back afterwards), a refusal or bad input is the same layout with a message in the reader's language.
"""

from __future__ import annotations

import logging
from pathlib import Path
from urllib.parse import quote

from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from jinja2 import Environment, FileSystemLoader, select_autoescape

from api.security import is_page
from api.web import i18n
from api.web.session import clear_session, csrf_token

log = logging.getLogger(__name__)
_HERE = Path(__file__).parent
ENV = Environment(loader=FileSystemLoader(_HERE / "templates"), autoescape=select_autoescape(["html"]),
                  trim_blocks=True, lstrip_blocks=True)

# (roles that see it, url, message key, access key): the navigation, in the order a day's work goes
NAV = (
    ({"clerk", "agency_admin"}, "/web/upload", "nav.upload", "u"),
    ({"clerk", "agency_admin"}, "/web/review", "nav.review", "r"),
    ({"clerk", "signer", "van_thu", "agency_admin"}, "/web/search", "nav.search", "s"),
    ({"signer", "van_thu"}, "/web/sign", "nav.sign", "k"),
    ({"citizen"}, "/web/me", "nav.me", "m"),
    ({"auditor"}, "/web/audit", "nav.audit", "a"),
    ({"agency_admin"}, "/web/dashboard", "nav.dashboard", "d"),
    (None, "/web/verify", "nav.verify", "v"),
)


def context(request: Request, **values) -> dict:
    locale = i18n.locale_of(request)
    who = getattr(request.state, "principal", None)
    roles = who.roles if who else frozenset()
    nav = [(url, key, ak) for allowed, url, key, ak in NAV if allowed is None or roles & allowed]
    return {"request": request, "t": i18n.translator(locale), "locale": locale, "locales": i18n.LOCALES, "who": who,
            "csrf": csrf_token(request), "nav": nav, "here": request.url.path,
            "here_full": request.url.path + (f"?{request.url.query}" if request.url.query else ""), **values}


def page(request: Request, template: str, status: int = 200, headers: dict | None = None, **values) -> HTMLResponse:
    html = ENV.get_template(template).render(context(request, **values))
    return HTMLResponse(html, status_code=status, headers=headers)


def fragment(request: Request, template: str, **values) -> HTMLResponse:
    """A piece of a page for htmx to swap in (progress, a job's state)."""
    return page(request, template, **values)


def error_page(request: Request, status: int, title: str, detail: str = "", headers: dict | None = None) -> Response | None:
    """The page answer for a failure on a page route; None for everything else (which keeps problem+json)."""
    if not is_page(request):
        return None
    if status == 401:
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        response = RedirectResponse(f"/web/login?next={quote(target, safe='')}", status_code=303)
        clear_session(response)
        return response
    return page(request, "error.html", status=status, status_code=status, title=title, detail=detail)
