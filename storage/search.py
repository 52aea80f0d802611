"""Finding documents by their text, ignoring case and Vietnamese diacritics.

A first, honest search: every word of the query must occur in the folded text of some page of the document or
in its folded metadata (type, number and symbol, subject, agency, signer, citizen, dossier code), so a
document is findable by its catalogue record as soon as it is stored. Only visible documents are found
(one merged into another by a clerk is not).
This stays the semantics of ``GET /api/v1/documents?q=`` (newest first, substring match of folded words). The
ranked search — BM25, exact matches first, phrases, snippets, filters, facets — is ``storage.search_index``
(a Tantivy index beside each API node, ``GET /api/v1/search``), chosen by measurement (``bench/search.py``).
"""

from __future__ import annotations

from sqlalchemy import func, or_, select

from storage.catalog import Document, DocumentPage, ScanPage
from storage.text import fold


def _escape_like(term: str) -> str:
    return term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def find_documents(session, query: str | None, *, limit: int = 50, offset: int = 0,
                   where=None) -> tuple[list[Document], int]:
    """``where``: an extra filter, e.g. the caller's agency (``ingest.access.visible_documents``)."""
    stmt = select(Document).where(Document.state == "visible")
    if where is not None:
        stmt = stmt.where(where)
    terms = fold(query or "").split()
    for term in terms:
        pattern = f"%{_escape_like(term)}%"
        matching = (
            select(DocumentPage.document_id)
            .join(ScanPage, DocumentPage.scan_page_id == ScanPage.id)
            .where(ScanPage.text_folded.like(pattern, escape="\\"))
        )
        stmt = stmt.where(or_(Document.id.in_(matching), Document.meta_folded.like(pattern, escape="\\")))
    total = session.scalar(select(func.count()).select_from(stmt.subquery()))
    docs = list(session.scalars(stmt.order_by(Document.created_at.desc()).limit(limit).offset(offset)))
    return docs, total
