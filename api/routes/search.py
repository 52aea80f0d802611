"""GET /api/v1/search: ranked full text plus metadata filters, snippets and facet counts.

Served from the process's own Tantivy index (``storage.search_index``) in ``<data dir>/search-index``. Before a
query the index checks the catalogue cheaply (newest ``changed_at`` and tombstone, at most once a second) and
catches up when it moved, so every API node converges on the catalogue without a coordinator.
"""

from __future__ import annotations

import threading
from datetime import date
from pathlib import Path

from fastapi import APIRouter, Depends, Query

from api.problems import Problem
from api.routes.deps import runtime
from api.security import principal
from ingest.identity import Principal
from ingest.runtime import Runtime
from storage.search_index import MAX_QUERY_CHARS, Filters, QueryError, SearchIndex

router = APIRouter(prefix="/api/v1/search", tags=["search"])

_indexes: dict[Path, SearchIndex] = {}
_lock = threading.Lock()


def index_for(rt: Runtime) -> SearchIndex:
    """The search index of this process for the runtime's data directory (opened once)."""
    path = Path(rt.settings.data_dir) / "search-index"
    with _lock:
        index = _indexes.get(path)
        if index is None:
            index = _indexes[path] = SearchIndex(path)
        return index


def _day(value: str | None, name: str) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise Problem(422, "Unprocessable Content", f"{name} must be a date as YYYY-MM-DD, not {value[:40]!r}") from None


@router.get("", summary="Search documents: full text ignoring case and diacritics, exact matches first, filters, facets")
def search(
    rt: Runtime = Depends(runtime),
    who: Principal = Depends(principal),
    q: str | None = Query(None, max_length=MAX_QUERY_CHARS, description='words (all must match) and "phrases"; '
                          "other characters are taken literally"),
    type: list[str] = Query([], description="document type, e.g. quyet_dinh (repeat for any of several)"),
    agency: list[str] = Query([], description="issuing agency name (case and diacritics ignored) or agency id"),
    dossier: list[str] = Query([], description="dossier code"),
    holder: list[str] = Query([], description="holder's personal ID or tax code"),
    status: list[str] = Query([], description="result status: valid, revoked, replaced; none = not a result"),
    from_: str | None = Query(None, alias="from", description="issue date from (YYYY-MM-DD, inclusive)"),
    to: str | None = Query(None, description="issue date to (YYYY-MM-DD, inclusive)"),
    fuzzy: bool = Query(False, description="search every word within one or two edits (OCR misreadings)"),
    sort: str = Query("relevance", pattern="^(relevance|newest)$"),
    limit: int = Query(20, ge=1, le=100),
    offset: int = Query(0, ge=0, le=10_000),
):
    return run(rt, who, q, type=type, agency=agency, dossier=dossier, holder=holder, status=status, date_from=from_,
               date_to=to, fuzzy=fuzzy, sort=sort, limit=limit, offset=offset)


def run(rt: Runtime, who: Principal, q: str | None, *, type=(), agency=(), dossier=(), holder=(), status=(),
        date_from: str | None = None, date_to: str | None = None, fuzzy: bool = False, sort: str = "relevance",
        limit: int = 20, offset: int = 0) -> dict:
    """One search as the caller may see it: the JSON route's and the search page's. Bad input is ``Problem`` 422."""
    if q is not None and len(q) > MAX_QUERY_CHARS:
        raise Problem(422, "Unprocessable Content", f"a query has at most {MAX_QUERY_CHARS} characters")
    lo, hi = _day(date_from, "from"), _day(date_to, "to")
    if lo and hi and lo > hi:
        raise Problem(422, "Unprocessable Content", f"from ({lo}) is after to ({hi})")
    index = index_for(rt)
    index.refresh(rt.catalog)
    filters = Filters(type=list(type), agency=list(agency), dossier=list(dossier), holder=list(holder),
                      status=list(status), date_from=lo, date_to=hi,
                      visible_to=who.agency_id or "")  # another agency's internal documents are not found
    try:
        page = index.search(q, filters, limit=limit, offset=offset, fuzzy=fuzzy, sort=sort)
    except QueryError as exc:
        raise Problem(422, "Unprocessable Content", str(exc)) from None
    return page.as_dict() | {"limit": limit, "offset": offset}
