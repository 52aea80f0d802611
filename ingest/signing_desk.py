"""A signer's desk: the documents waiting for this person's (or this agency's) signature, and a picture of
page 1 — or whichever page it is — with the box where the Decree 30 appearance will land.

Waiting means: for a person, an agency document of a signing type with no signature yet; for the văn thư,
one the person has signed and the agency has not. The placement is ``signatures.placement``, the same code
that signs, so what the preview shows is where the signature goes.
"""

from __future__ import annotations

import io
import subprocess
import tempfile
from pathlib import Path

from PIL import Image, ImageDraw
from sqlalchemy import select

from ingest import signatures
from ingest.identity import Principal
from ingest.runtime import Runtime
from ingest.status import document_summary
from storage.catalog import Document, DocumentVersion

PREVIEW_DPI = 96
UNSIGNED_TYPES_SKIPPED = ("khac", "don_de_nghi", "to_khai", "can_cuoc")  # a citizen's papers are not the agency's to sign


def waiting(rt: Runtime, who: Principal, role: str, limit: int = 100) -> list[dict]:
    """Documents of the caller's agency waiting for a ``personal`` or an ``agency`` signature, oldest first."""
    with rt.catalog.session() as session:
        kinds: dict[str, set[str]] = {}
        for doc_id, kind in session.execute(select(DocumentVersion.document_id, DocumentVersion.kind)
                                            .where(DocumentVersion.kind.in_(("personal", "agency")))).all():
            kinds.setdefault(doc_id, set()).add(kind)
        q = select(Document).where(Document.state == "visible", Document.doc_type.not_in(UNSIGNED_TYPES_SKIPPED),
                                   Document.agency_id == who.agency_id).order_by(Document.created_at)
        out = []
        for doc in session.scalars(q):
            done = kinds.get(doc.id, set())
            if "agency" in done:
                continue
            if (role == "personal" and not done) or (role == "agency" and "personal" in done):
                out.append(document_summary(doc))
                if len(out) >= limit:
                    break
        return out


def preview_png(rt: Runtime, document_id: str, signer_id: str) -> tuple[bytes, int]:
    """(PNG of the page the appearance lands on with its box drawn in, 1-based page number)."""
    pdf, page, (x1, y1, x2, y2) = signatures.placement(rt, document_id, signer_id)
    with tempfile.TemporaryDirectory(prefix="preview-") as tmp:
        src = Path(tmp) / "doc.pdf"
        src.write_bytes(pdf)
        subprocess.run(["pdftoppm", "-r", str(PREVIEW_DPI), "-png", "-singlefile", "-f", str(page + 1), "-l",
                        str(page + 1), str(src), str(Path(tmp) / "page")], check=True, capture_output=True, timeout=60)
        image = Image.open(Path(tmp) / "page.png").convert("RGB")
    mediabox = signatures._page_box(pdf, page)
    scale = PREVIEW_DPI / 72
    top = mediabox[3]
    box = ((x1 - mediabox[0]) * scale, (top - y2) * scale, (x2 - mediabox[0]) * scale, (top - y1) * scale)
    draw = ImageDraw.Draw(image, "RGBA")
    draw.rectangle(box, outline=(200, 16, 46, 255), width=3, fill=(255, 214, 0, 70))
    out = io.BytesIO()
    image.save(out, "PNG", optimize=True)
    return out.getvalue(), page + 1
