"""The agency admin's dashboard of the reform targets (``ingest.dashboard`` counts), per agency and month, as a
page and as CSV. A province's admin sees every agency under theirs."""

from __future__ import annotations

from datetime import date

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response

from api.routes.deps import runtime
from api.security import principal
from api.web.render import page
from ingest import dashboard
from ingest.identity import Principal
from ingest.runtime import Runtime
from storage.catalog import Agency

router = APIRouter(prefix="/web", include_in_schema=False)
MAX_MONTHS = 36


def _month(text: str, default: date) -> date:
    if not text:
        return default
    year, month = text.split("-")
    return date(int(year), int(month), 1)


def _period(first: str, last: str) -> tuple[date, date]:
    """(first month, last month), by default the last twelve; ValueError for a bad or too long period."""
    today = date.today()
    end = _month(last, date(today.year, today.month, 1))
    start = _month(first, date(end.year - (end.month <= 11), (end.month - 12) % 12 + 1, 1))
    months = (end.year - start.year) * 12 + end.month - start.month + 1
    if months < 1 or months > MAX_MONTHS:
        raise ValueError("period")
    return start, end


def _agencies(rt: Runtime, who: Principal) -> tuple[list[str], dict[str, str]]:
    with rt.catalog.session() as session:
        ids = dashboard.agencies_under(session, who.agency_id)
        names = {a.id: a.name for a in session.query(Agency).filter(Agency.id.in_(ids))}
    return ids, names


@router.get("/dashboard")
def dashboard_page(request: Request, first: str = Query("", alias="from", max_length=7),
                   last: str = Query("", alias="to", max_length=7), rt: Runtime = Depends(runtime),
                   who: Principal = Depends(principal)):
    form = {"from": first, "to": last}
    try:
        start, end = _period(first, last)
    except ValueError:
        return page(request, "dashboard.html", status=422, form=form, error=("dashboard.period", {"max": MAX_MONTHS}),
                    rows=[], totals=None, targets=dashboard.TARGETS, names={})
    ids, names = _agencies(rt, who)
    rows = dashboard.report(rt, ids, start, end)
    shown = [r for r in rows if any(x.total for x in r.ratios.values())]
    form = {"from": f"{start:%Y-%m}", "to": f"{end:%Y-%m}"}
    return page(request, "dashboard.html", form=form, rows=shown, totals=dashboard.totals(rows),
                targets=dashboard.TARGETS, names=names, measures=dashboard.MEASURES)


@router.get("/dashboard.csv")
def dashboard_csv(first: str = Query("", alias="from", max_length=7), last: str = Query("", alias="to", max_length=7),
                  rt: Runtime = Depends(runtime), who: Principal = Depends(principal)):
    try:
        start, end = _period(first, last)
    except ValueError:
        return Response("the period is YYYY-MM to YYYY-MM, at most %d months\n" % MAX_MONTHS, status_code=422,
                        media_type="text/plain; charset=utf-8")
    ids, _names = _agencies(rt, who)
    body = dashboard.to_csv(dashboard.report(rt, ids, start, end))
    return Response(body, media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="sohoa-targets-{start:%Y%m}-{end:%Y%m}.csv"'})
