"""Documents: metadata, text, searchable PDF, original upload, page images and word boxes."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Query
from fastapi.responses import PlainTextResponse, Response

from api.problems import Problem
from api.routes.deps import runtime, stream_object
from api.security import principal
from ingest import access
from ingest.identity import Principal
from ingest.runtime import Runtime
from ingest.status import document_detail, document_pages, document_summary
from storage.catalog import Document
from storage.search import find_documents

router = APIRouter(prefix="/api/v1/documents", tags=["documents"])


@router.get("", summary="List documents, newest first; q searches their text ignoring case and diacritics")
def list_documents(
    rt: Runtime = Depends(runtime),
    who: Principal = Depends(principal),
    q: str | None = Query(None, max_length=500),
    limit: int = Query(50, ge=1, le=500),
    offset: int = Query(0, ge=0),
):
    with rt.catalog.session() as session:
        docs, total = find_documents(session, q, limit=limit, offset=offset, where=access.visible_documents(who))
        return {"total": total, "items": [document_summary(d) for d in docs]}


@router.get("/{document_id}", summary="A document's metadata and pages")
def get_document(document_id: str, rt: Runtime = Depends(runtime)):
    detail = document_detail(rt, document_id)
    if detail is None:
        raise Problem(404, "Not Found", f"no document {document_id}")
    return detail


@router.get("/{document_id}/text", response_class=PlainTextResponse, summary="Recognised text, pages separated by form feeds")
def get_text(document_id: str, rt: Runtime = Depends(runtime)):
    with rt.catalog.session() as session:
        _content(session, document_id)
        pages = document_pages(session, document_id)
    return PlainTextResponse("\f".join(p.text for _pos, p in pages), media_type="text/plain; charset=utf-8")


@router.get("/{document_id}/pdf", summary="The searchable PDF")
def get_pdf(document_id: str, rt: Runtime = Depends(runtime)):
    with rt.catalog.session() as session:
        doc = _content(session, document_id)
    name = doc.filename.rsplit(".", 1)[0] + ".pdf"
    return stream_object(rt, doc.pdf_sha256, "application/pdf", name, doc.pdf_size)


@router.get("/{document_id}/original", summary="The file exactly as it was uploaded")
def get_original(document_id: str, rt: Runtime = Depends(runtime)):
    with rt.catalog.session() as session:
        doc = _content(session, document_id)
    return stream_object(rt, doc.source_sha256, doc.mime, doc.filename)


@router.get("/{document_id}/pages/{number}/image", summary="A page image (colour JPEG, upright, deskewed)")
def get_page_image(document_id: str, number: int, rt: Runtime = Depends(runtime)):
    page = _page(rt, document_id, number)
    return stream_object(rt, page.image_sha256, "image/jpeg", f"page-{number}.jpg", inline=True)


@router.get("/{document_id}/pages/{number}/words", summary="Recognised words with boxes (page image pixels) and confidences")
def get_page_words(document_id: str, number: int, rt: Runtime = Depends(runtime)):
    page = _page(rt, document_id, number)
    if not page.words_sha256:
        return {"width": page.width_px, "height": page.height_px, "words": []}
    return Response(rt.store.get_bytes(page.words_sha256), media_type="application/json")


def _get(session, document_id: str) -> Document:
    doc = session.get(Document, document_id)
    if doc is None:
        raise Problem(404, "Not Found", f"no document {document_id}")
    return doc


def _content(session, document_id: str) -> Document:
    """The document, if its content may be served: a document recalled by its sender keeps only its metadata."""
    doc = _get(session, document_id)
    if doc.state == "recalled":
        raise Problem(410, "Gone", f"document {document_id} was recalled by the agency that sent it; only its record remains")
    return doc


def _page(rt: Runtime, document_id: str, number: int):
    with rt.catalog.session() as session:
        _content(session, document_id)
        for pos, page in document_pages(session, document_id):
            if pos == number:
                return page
    raise Problem(404, "Not Found", f"document {document_id} has no page {number}")
