"""The clerk's pages: upload scans and watch them land page by page, the review queue with the page image beside
the fields (boxes highlighted), corrections of type, fields and split by keyboard, search, and a dossier.

Every action goes through the same functions as the JSON routes (``accept_uploads``, ``ingest.review``,
``api.routes.search.run``); these handlers only turn forms into calls and answers into pages.
"""

from __future__ import annotations

from fastapi import APIRouter, Depends, File, Form, Query, Request, UploadFile
from fastapi.responses import RedirectResponse
from starlette.concurrency import run_in_threadpool

from api.problems import Problem
from api.routes.batches import accept_uploads
from api.routes.deps import runtime
from api.routes.reuse import dossier_dict
from api.routes.search import run as run_search
from api.security import actor, principal, record
from api.web.render import fragment, page
from api.web.session import check_csrf
from ingest import results
from ingest.doctypes import ALL as DOC_TYPES
from ingest.identity import Principal
from ingest.intake import IntakeError
from ingest.review import ReviewError, correct, history, recut, review_queue
from ingest.runtime import Runtime
from ingest.status import batch_status, document_detail, dossier_documents
from storage.catalog import Dossier

router = APIRouter(prefix="/web", include_in_schema=False)
# Decree 30 reading order of the fields on the review form; fields not named here follow, by name
FIELD_ORDER = ("number_symbol", "issue_date", "place", "parent_agency", "agency", "subject", "recipients",
               "signing_authority", "authority_line", "signer_position", "signer_name", "full_name", "date_of_birth",
               "personal_id", "address", "certificate_number", "certificate_date", "copy_form", "page_count")
READ_ONLY_FIELDS = ("page_count",)
PAGE_SIZE = 20


@router.get("/upload")
def upload_form(request: Request):
    return page(request, "upload.html")


@router.post("/upload")
def upload(request: Request, files: list[UploadFile] = File(default=[]), collate: str = Form("none"),
           csrf: str = Form(""), rt: Runtime = Depends(runtime), who: Principal = Depends(principal)):
    check_csrf(request, csrf)
    files = [f for f in files if f.filename]
    if not files:
        return page(request, "upload.html", status=422, error=("upload.none", {}))
    if collate not in ("none", "duplex"):
        return page(request, "upload.html", status=422, error=("upload.collate", {}))
    try:
        status = accept_uploads(request, rt, who, files, collate)
    except IntakeError as exc:
        return page(request, "upload.html", status=422, error=("upload.unusable", {}),
                    file_errors=getattr(exc, "errors", None) or [str(exc)])
    except Problem as exc:
        if exc.status != 413:
            raise
        return page(request, "upload.html", status=413, error=("upload.too_large", {}), file_errors=[exc.detail])
    return RedirectResponse(f"/web/batches/{status['id']}", status_code=303)


def _batch(rt: Runtime, batch_id: str) -> dict:
    status = batch_status(rt, batch_id)
    if status is None:
        raise Problem(404, "Not Found", f"no batch {batch_id}")
    return status


@router.get("/batches/{batch_id}")
def batch_page(batch_id: str, request: Request, rt: Runtime = Depends(runtime)):
    return page(request, "batch.html", batch=_batch(rt, batch_id))


@router.get("/batches/{batch_id}/progress")
def batch_progress(batch_id: str, request: Request, rt: Runtime = Depends(runtime)):
    """The progress block alone, polled by htmx every second until the batch is finished."""
    return fragment(request, "_progress.html", batch=_batch(rt, batch_id))


@router.get("/review")
def review(request: Request, offset: int = Query(0, ge=0, le=100_000), rt: Runtime = Depends(runtime)):
    queue = review_queue(rt, PAGE_SIZE, offset)
    return page(request, "review.html", queue=queue, offset=offset, page_size=PAGE_SIZE)


def ordered_fields(record: dict | None) -> list[tuple[str, dict]]:
    fields = (record or {}).get("fields") or {}
    rank = {name: i for i, name in enumerate(FIELD_ORDER)}
    return sorted(fields.items(), key=lambda kv: (rank.get(kv[0], len(rank)), kv[0]))


def _next_in_queue(rt: Runtime, document_id: str) -> str | None:
    items = review_queue(rt, 2, 0)["items"]
    return next((d["id"] for d in items if d["id"] != document_id), None)


@router.get("/documents/{document_id}")
def document_page(document_id: str, request: Request, saved: int = Query(0, ge=0, le=1),
                  rt: Runtime = Depends(runtime), who: Principal = Depends(principal)):
    return _document(request, rt, who, document_id, saved=bool(saved))


def _document(request: Request, rt: Runtime, who: Principal, document_id: str, *, saved: bool = False,
              error: tuple | None = None, status: int = 200):
    detail = document_detail(rt, document_id)
    if detail is None:
        raise Problem(404, "Not Found", f"no document {document_id}")
    editable = who.has("clerk", "agency_admin") and detail["state"] == "visible"
    return page(request, "document.html", status=status, doc=detail, fields=ordered_fields(detail["metadata"]),
                types=DOC_TYPES, editable=editable, read_only=READ_ONLY_FIELDS, saved=saved, error=error,
                history=history(rt, document_id), next_id=_next_in_queue(rt, document_id) if editable else None)


@router.post("/documents/{document_id}/correct")
async def correct_document(document_id: str, request: Request, rt: Runtime = Depends(runtime),
                           who: Principal = Depends(principal)):
    """The fields are named by the document (``f.<name>``), so the form is read whole, then handled off the loop."""
    form = await request.form()
    items = [(k, v) for k, v in form.multi_items() if isinstance(v, str)]
    return await run_in_threadpool(_apply_correction, request, rt, who, document_id, items)


def _apply_correction(request: Request, rt: Runtime, who: Principal, document_id: str, items: list[tuple[str, str]]):
    form = dict(items)
    check_csrf(request, form.get("csrf", ""))
    detail = document_detail(rt, document_id)
    if detail is None:
        raise Problem(404, "Not Found", f"no document {document_id}")
    current = (detail["metadata"] or {}).get("fields") or {}
    changed = {}
    for key, value in items:
        if key.startswith("f.") and key[2:] not in READ_ONLY_FIELDS:
            name = key[2:]
            old = (current.get(name) or {}).get("value") or ""
            if value.strip() != old:
                changed[name] = value.strip() or None
    new_type = form.get("type") or None
    if new_type == detail["type"]:
        new_type = None
    if new_type is None and not changed:
        return RedirectResponse(f"/web/documents/{document_id}?saved=1", status_code=303)
    try:
        correct(rt, document_id, doc_type=new_type, fields=changed, by=actor(request))
    except ReviewError as exc:
        return _document(request, rt, who, document_id, error=("review.invalid", {"reason": str(exc)}), status=422)
    record(request, "document.correct", f"document:{document_id}", type=new_type, fields=sorted(changed))
    following = _next_in_queue(rt, document_id) if form.get("go") == "next" else None
    return RedirectResponse(f"/web/documents/{following}" if following else f"/web/documents/{document_id}?saved=1",
                            status_code=303)


@router.post("/documents/{document_id}/split")
def split_document(document_id: str, request: Request, csrf: str = Form(""), split_at: str = Form(""),
                   merge_next: str = Form(""), rt: Runtime = Depends(runtime), who: Principal = Depends(principal)):
    check_csrf(request, csrf)
    at = None
    if not merge_next:
        try:
            at = int(split_at)
        except ValueError:
            return _document(request, rt, who, document_id, error=("split.page", {}), status=422)
    try:
        docs = recut(rt, document_id, split_at=at, merge_next=bool(merge_next), by=actor(request))
    except ReviewError as exc:
        return _document(request, rt, who, document_id, error=("review.invalid", {"reason": str(exc)}), status=422)
    if docs is None:
        raise Problem(404, "Not Found", f"no document {document_id}")
    record(request, "document.correct", f"document:{document_id}", split_at=at, merge_next=bool(merge_next))
    return RedirectResponse(f"/web/documents/{document_id}?saved=1", status_code=303)


@router.get("/search")
def search_page(request: Request, q: str = Query("", max_length=2000), type: str = Query("", max_length=32),
                date_from: str = Query("", alias="from", max_length=20), date_to: str = Query("", alias="to", max_length=20),
                dossier: str = Query("", max_length=64), sort: str = Query("relevance", max_length=16),
                offset: int = Query(0, ge=0, le=10_000), rt: Runtime = Depends(runtime),
                who: Principal = Depends(principal)):
    form = {"q": q, "type": type, "from": date_from, "to": date_to, "dossier": dossier, "sort": sort}
    found, error = None, None
    if sort not in ("relevance", "newest"):
        sort = "relevance"
    if q.strip() or type or dossier or date_from or date_to:
        try:
            found = run_search(rt, who, q.strip() or None, type=[type] if type else [], dossier=[dossier] if dossier else [],
                               date_from=date_from or None, date_to=date_to or None, sort=sort, limit=PAGE_SIZE,
                               offset=offset)
        except Problem as exc:
            error = ("search.invalid", {"reason": exc.detail})
    return page(request, "search.html", status=422 if error else 200, form=form, found=found, error=error,
                types=DOC_TYPES, offset=offset, page_size=PAGE_SIZE)


@router.get("/dossiers/{code}")
def dossier_page(code: str, request: Request, rt: Runtime = Depends(runtime)):
    with rt.catalog.session() as session:
        row = session.get(Dossier, code)
        if row is None:
            raise Problem(404, "Not Found", f"no dossier {code}")
        dossier = dossier_dict(row)
    return page(request, "dossier.html", dossier=dossier, documents=dossier_documents(rt, code),
                attached=results.attached(rt, code))
