"""The three doors (CLI, watched folder, API) meet here: files become one Batch, originals kept byte for byte.

Intake checks each file cheaply (type, pages, size) so a clerk learns at once that a file is unusable, stores
the original in the object store by its SHA-256, and records the batch in one transaction. Heavy work
(clean-up, OCR, PDF) happens later in the pipeline, on whichever worker picks it up.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import select

from ocr.image import InputError, probe
from storage import audit
from storage.catalog import Batch, BatchFile, Document, utcnow

if TYPE_CHECKING:
    from ingest.runtime import Runtime

_UNSAFE = re.compile(r"[\x00-\x1f\x7f/\\]+")


def safe_filename(name: str, fallback: str = "scan") -> str:
    """A display name with no path, no control characters, NFC, at most 200 characters.

    The name is only ever shown and used for download names; storage is by hash, so a hostile name
    (``../../etc/passwd``, newlines, NULs) can never become a path.
    """
    name = unicodedata.normalize("NFC", name or "")
    name = name.replace("\\", "/").rsplit("/", 1)[-1]
    name = _UNSAFE.sub("_", name).strip(" .")
    if not name or set(name) <= {"_", "."}:
        name = fallback
    if len(name) > 200:
        stem, dot, ext = name.rpartition(".")
        name = (stem[: 190] + dot + ext[:9]) if dot and len(ext) < 10 else name[:200]
    return name


@dataclass(frozen=True)
class Incoming:
    path: Path  # a local file to read (it is copied into the store; the caller owns it)
    filename: str  # what the clerk called it


class IntakeError(ValueError):
    """Nothing in the submission could be accepted."""

    def __init__(self, message: str, errors: list[dict]):
        super().__init__(message)
        self.errors = errors


COLLATE = ("none", "duplex")


def intake(rt: Runtime, files: list[Incoming], source: str, collate: str = "none", *, agency_id: str | None = None,
           actor: str = "system") -> Batch:
    """Record ``files`` as a new batch. Unusable files are recorded as failed with the reason.

    ``collate="duplex"``: each file is a simplex feeder's pass over a double-sided stack (all fronts, then
    all backs in reverse order); its pages are interleaved back into reading order before splitting.
    ``agency_id`` owns the batch and the documents made from it (the instance's own agency by default).
    """
    if not files:
        raise IntakeError("no files were submitted", [])
    if collate not in COLLATE:
        raise IntakeError(f"collate must be one of {', '.join(COLLATE)}, not {collate!r}", [])
    rows: list[BatchFile] = []
    for position, item in enumerate(files):
        row = BatchFile(position=position, filename=safe_filename(item.filename))
        try:
            size = item.path.stat().st_size
            row.size = size
            if size > rt.settings.max_upload_bytes:
                raise InputError(
                    f"the file is {size:,} bytes; at most {rt.settings.max_upload_bytes:,} are accepted"
                )
            info = probe(item.path, rt.limits)
            if collate == "duplex" and info.page_count % 2:
                raise InputError(f"a duplex feed has an even number of pages (fronts, then backs); this file has {info.page_count}")
            stored = rt.store.put_file(item.path, content_type=info.mime)
            row.source_sha256, row.mime, row.kind, row.page_count = stored.sha256, info.mime, info.kind, info.page_count
        except InputError as exc:
            row.state, row.error = "failed", str(exc)
        rows.append(row)

    with rt.catalog.session() as session, session.begin():
        batch = Batch(source=source, collate=collate, agency_id=agency_id or rt.settings.agency_id or None)
        session.add(batch)
        for row in rows:
            if row.state != "failed" and row.source_sha256:
                existing = session.scalar(
                    select(Document).where(Document.source_sha256 == row.source_sha256, Document.state == "visible").order_by(Document.part)
                )
                if existing is not None:  # the same file again is one document, not two
                    row.state, row.document_id = "duplicate", existing.id
            batch.files.append(row)
        if all(r.state in ("failed", "duplicate") for r in rows):
            batch.state = final_state(rows)
            batch.finished_at = utcnow()
        session.flush()
        audit.append(session, "batch.upload", actor=actor, agency_id=batch.agency_id, subject=f"batch:{batch.id}",
                     detail={"source": source, "files": [{"name": r.filename, "sha256": r.source_sha256, "state": r.state}
                                                         for r in rows]})
    if all(r.state == "failed" for r in rows):
        raise IntakeError(
            "none of the submitted files can be digitized",
            [{"filename": r.filename, "error": r.error} for r in rows],
        )
    return batch


def final_state(rows: list[BatchFile]) -> str:
    states = {r.state for r in rows}
    if states <= {"done", "duplicate"}:
        return "done"
    if states == {"failed"}:
        return "failed"
    return "partial"


