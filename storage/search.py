"""Finding documents by their text, ignoring case and Vietnamese diacritics.

A first, honest search: every word of the query must occur in the folded text of some page of the document.
The reuse issue replaces this with a ranked full-text index chosen by measurement.
"""

from __future__ import annotations

from sqlalchemy import func, select

from storage.catalog import Document, DocumentPage, ScanPage
from storage.text import fold


def _escape_like(term: str) -> str:
    return term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def find_documents(session, query: str | None, *, limit: int = 50, offset: int = 0) -> tuple[list[Document], int]:
    stmt = select(Document)
    terms = fold(query or "").split()
    for term in terms:
        matching = (
            select(DocumentPage.document_id)
            .join(ScanPage, DocumentPage.scan_page_id == ScanPage.id)
            .where(ScanPage.text_folded.like(f"%{_escape_like(term)}%", escape="\\"))
        )
        stmt = stmt.where(Document.id.in_(matching))
    total = session.scalar(select(func.count()).select_from(stmt.subquery()))
    docs = list(session.scalars(stmt.order_by(Document.created_at.desc()).limit(limit).offset(offset)))
    return docs, total
