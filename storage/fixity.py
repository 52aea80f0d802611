"""Fixity: re-hash every stored object, report what changed or vanished, quarantine it, record the check.

The objects checked are every SHA-256 the catalog references (documents' PDFs and originals, scan pages'
images, text layers and word boxes, document versions, certified copies, type models) plus whatever the
store lists. Each object is streamed through SHA-256 in 1 MiB pieces into one reused buffer per worker
thread, so memory stays flat whatever the object's size; a few threads run at once (hashlib releases the
GIL), which is how the check keeps up with ``sha256sum`` on the same files.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from sqlalchemy import select

from storage.catalog import (
    Catalog,
    CertifiedCopy,
    ClassifierModel,
    Document,
    DocumentVersion,
    ObjectCheck,
    ScanPage,
    utcnow,
)
from storage.objects import ObjectNotFound, ObjectStore, ObjectStoreError, hash_stream

log = logging.getLogger(__name__)

OK, CHANGED, MISSING = "ok", "changed", "missing"


@dataclass
class Finding:
    sha256: str
    status: str  # ok | changed | missing
    size: int = 0
    detail: str | None = None
    quarantined_to: str | None = None


@dataclass
class FixityReport:
    checked: int = 0
    ok: int = 0
    changed: int = 0
    missing: int = 0
    bytes: int = 0
    seconds: float = 0.0
    bad: list[Finding] = field(default_factory=list)

    @property
    def clean(self) -> bool:
        return not self.bad

    @property
    def mb_per_s(self) -> float:
        return self.bytes / 1e6 / self.seconds if self.seconds else 0.0

    def as_dict(self) -> dict:
        return {
            "checked": self.checked, "ok": self.ok, "changed": self.changed, "missing": self.missing,
            "bytes": self.bytes, "seconds": round(self.seconds, 3), "mb_per_s": round(self.mb_per_s, 1),
            "bad": [{"sha256": f.sha256, "status": f.status, "detail": f.detail, "quarantined_to": f.quarantined_to}
                    for f in self.bad],
        }


def catalog_shas(catalog: Catalog) -> set[str]:
    """Every object address the catalog refers to."""
    columns = [
        Document.pdf_sha256, Document.source_sha256,
        ScanPage.image_sha256, ScanPage.text_layer_sha256, ScanPage.words_sha256,
        DocumentVersion.pdf_sha256, CertifiedCopy.pdf_sha256, ClassifierModel.sha256,
    ]
    out: set[str] = set()
    with catalog.session() as s:
        for col in columns:
            out.update(v for v in s.scalars(select(col).distinct()) if v)
    return out


def hash_object(store: ObjectStore, sha256: str) -> Finding:
    """Stream one object through SHA-256 and say whether it still matches its address."""
    try:
        path = store.local_path(sha256)
        if path is not None:
            with open(path, "rb", buffering=0) as f:
                got, size = hash_stream(f)
        else:
            with store.open(sha256) as f:
                got, size = hash_stream(f)
    except (ObjectNotFound, FileNotFoundError):
        return Finding(sha256, MISSING, 0, "not in the object store")
    if got != sha256:
        return Finding(sha256, CHANGED, size, f"content now hashes to {got} ({size} bytes)")
    return Finding(sha256, OK, size)


def _targets(catalog: Catalog | None, store: ObjectStore) -> tuple[list[str], dict[str, int]]:
    sizes: dict[str, int] = {}
    for obj in store.iter_objects():
        sizes[obj.sha256] = obj.size
    shas = set(sizes)
    if catalog is not None:
        shas |= catalog_shas(catalog)
    return sorted(shas), sizes


def run_fixity(
    catalog: Catalog | None,
    store: ObjectStore,
    *,
    quarantine: bool = True,
    workers: int | None = None,
    progress: Callable[[Finding, int, int], None] | None = None,
    shas: Iterable[str] | None = None,
    record: bool = True,
) -> FixityReport:
    """Check every object (or just ``shas``): quarantine the changed ones, record an ``ObjectCheck`` per object.

    ``progress(finding, bytes_done, bytes_total)`` is called once per object, from the calling thread.
    """
    started = time.perf_counter()
    if shas is None:
        todo, sizes = _targets(catalog, store)
    else:
        todo, sizes = sorted(set(shas)), {}
    total = sum(sizes.values())
    workers = workers or min(4, max(1, os.cpu_count() or 1))
    report = FixityReport()
    pending: list[Finding] = []
    done_bytes = 0

    def flush() -> None:
        if catalog is None or not record or not pending:
            pending.clear()
            return
        with catalog.session() as s, s.begin():
            for f in pending:
                detail = f.detail
                if f.quarantined_to:
                    detail = f"{detail}; quarantined to {f.quarantined_to}"
                s.merge(ObjectCheck(sha256=f.sha256, status=f.status, detail=detail, checked_at=utcnow()))
        pending.clear()

    with ThreadPoolExecutor(workers, thread_name_prefix="fixity") as pool:
        for finding in pool.map(lambda sha: hash_object(store, sha), todo):
            report.checked += 1
            report.bytes += finding.size
            done_bytes += sizes.get(finding.sha256, finding.size)
            if finding.status == OK:
                report.ok += 1
            else:
                if finding.status == CHANGED:
                    report.changed += 1
                    if quarantine:
                        try:
                            finding.quarantined_to = store.quarantine(finding.sha256, reason=f"fixity: {finding.detail}")
                        except ObjectStoreError as exc:
                            finding.detail = f"{finding.detail}; could not quarantine: {exc}"
                else:
                    report.missing += 1
                report.bad.append(finding)
                log.warning("fixity: object %s %s: %s", finding.sha256, finding.status, finding.detail)
            pending.append(finding)
            if len(pending) >= 500:
                flush()
            if progress is not None:
                progress(finding, done_bytes, total)
    flush()
    report.seconds = time.perf_counter() - started
    log.info("fixity: %d object(s), %d ok, %d changed, %d missing, %.1f MB/s", report.checked, report.ok,
             report.changed, report.missing, report.mb_per_s)
    return report
