"""The review queue and corrections: what a clerk checks, and how a correction is recorded."""

from __future__ import annotations

from fastapi import APIRouter, Body, Depends, Query, Request
from pydantic import BaseModel, Field

from api.problems import Problem
from api.routes.deps import runtime
from api.security import actor, record
from ingest.review import ReviewError, correct, history, recut, review_queue
from ingest.runtime import Runtime

router = APIRouter(prefix="/api/v1", tags=["review"])


class CorrectionIn(BaseModel):
    type: str | None = Field(None, description="Document type code, e.g. quyet_dinh, cong_van, khac")
    fields: dict[str, str | None] = Field(default_factory=dict, description="Field name → corrected value (null clears it)")
    by: str | None = Field(None, max_length=128, description="ignored: the logged-in clerk is recorded")
    split_at: int | None = Field(None, ge=2, description="Cut the document so that a new one starts at this page of it")
    merge_next: bool = Field(False, description="Merge the document with the next document of the same scan")


@router.get("/review", summary="Documents waiting for a clerk, least confident first")
def get_review(rt: Runtime = Depends(runtime), limit: int = Query(50, ge=1, le=500), offset: int = Query(0, ge=0)):
    return review_queue(rt, limit, offset)


@router.patch("/documents/{document_id}", summary="Correct a document's type, fields or split; the previous values are kept")
def patch_document(document_id: str, request: Request, body: CorrectionIn = Body(...), rt: Runtime = Depends(runtime)):
    """Either correct type and fields, or the split (``split_at`` / ``merge_next``): a split correction answers
    ``{"documents": [...]}`` with the documents that now hold the pages."""
    recutting = body.split_at is not None or body.merge_next
    if recutting and (body.type is not None or body.fields):
        raise Problem(422, "One correction at a time", "correct the split first, then the type or fields of the documents it gives")
    if recutting:
        try:
            docs = recut(rt, document_id, split_at=body.split_at, merge_next=body.merge_next, by=actor(request))
        except ReviewError as exc:
            raise Problem(422, "Invalid correction", str(exc)) from None
        if docs is None:
            raise Problem(404, "Not Found", f"no document {document_id}")
        record(request, "document.correct", f"document:{document_id}", split_at=body.split_at, merge_next=body.merge_next)
        return {"documents": docs}
    if body.type is None and not body.fields:
        raise Problem(422, "Nothing to correct", "give a type, fields, split_at or merge_next")
    try:
        summary = correct(rt, document_id, doc_type=body.type, fields=body.fields, by=actor(request))
    except ReviewError as exc:
        raise Problem(422, "Invalid correction", str(exc)) from None
    if summary is None:
        raise Problem(404, "Not Found", f"no document {document_id}")
    record(request, "document.correct", f"document:{document_id}", type=body.type, fields=sorted(body.fields or {}))
    return summary


@router.get("/documents/{document_id}/history", summary="Every correction of a document, oldest first")
def get_history(document_id: str, rt: Runtime = Depends(runtime)):
    return {"items": history(rt, document_id)}
