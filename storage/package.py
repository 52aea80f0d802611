"""A dossier as a self-describing package, and back: ``export_dossier`` and ``import_package``.

The package is a zip file::

    manifest.json        format name and version, the dossier, its documents with their pages, versions,
                         certified copies and results (catalog rows, as JSON), and every file's SHA-256 and size
    checksums.sha256     ``sha256sum -c`` compatible, for every other file including manifest.json
    README.txt           what this is, in two languages
    documents/<id>/...   PDFs (each version, each certified copy), the original upload, page images,
                         text layers and word boxes

Import checks every checksum (and that nothing is unlisted) before it writes anything, then stores the
objects and recreates the rows with the same ids and the same bytes. Importing the same package twice
changes nothing; a row that exists with different content is a conflict, refused.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import tempfile
import zipfile
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path, PurePosixPath

from sqlalchemy import Date, DateTime, select

from storage.catalog import (
    Catalog,
    CertifiedCopy,
    Document,
    DocumentPage,
    DocumentVersion,
    Dossier,
    Result,
    ScanPage,
)
from storage.objects import CHUNK, ObjectStore, check_sha

FORMAT = "sohoa-dossier-package"
VERSION = 1
MANIFEST, CHECKSUMS, README = "manifest.json", "checksums.sha256", "README.txt"
_README = """sohoa dossier package (format {fmt} v{ver})
Gói hồ sơ xuất từ sohoa: manifest.json mô tả hồ sơ, văn bản, phiên bản, bản sao và kết quả;
checksums.sha256 là mã băm SHA-256 của mọi tệp (kiểm tra: sha256sum -c checksums.sha256).
A dossier exported by sohoa: manifest.json describes the dossier, its documents, versions, certified
copies and results; checksums.sha256 holds every file's SHA-256 (check with: sha256sum -c checksums.sha256).
Dossier: {code}
"""


class PackageError(Exception):
    """The package cannot be written or read; the message names the file."""


@dataclass
class ImportReport:
    dossier: str | None = None
    documents: int = 0
    created: int = 0  # rows added
    existing: int = 0  # rows already there, identical
    objects_added: int = 0
    objects_present: int = 0
    notes: list[str] = field(default_factory=list)


# ---------------------------------------------------------------- rows <-> JSON

def _row(obj, *, skip: tuple[str, ...] = ()) -> dict:
    out = {}
    for col in obj.__table__.columns:
        if col.key in skip:
            continue
        value = getattr(obj, col.key)
        if isinstance(value, (datetime, date)):
            value = value.isoformat()
        out[col.key] = value
    return out


def _build(model, data: dict):
    kwargs = {}
    for col in model.__table__.columns:
        if col.key not in data:
            continue
        value = data[col.key]
        if value is not None and isinstance(col.type, DateTime):
            value = datetime.fromisoformat(value)
        elif value is not None and isinstance(col.type, Date):
            value = date.fromisoformat(value)
        kwargs[col.key] = value
    return model(**kwargs)


def _same(existing, data: dict, keys: tuple[str, ...]) -> bool:
    return all(_row(existing).get(k) == data.get(k) for k in keys)


# ---------------------------------------------------------------- export

def _safe(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "_", name or "")[:80] or "file"


def export_dossier(catalog: Catalog, store: ObjectStore, code: str, out_path: Path) -> Path:
    """Write dossier ``code`` with all its documents to the zip ``out_path`` (atomically); returns the path."""
    out_path = Path(out_path)
    with catalog.session() as s:
        dossier = s.get(Dossier, code)
        docs = s.scalars(select(Document).where(Document.dossier_code == code).order_by(Document.created_at, Document.id)).all()
        if dossier is None and not docs:
            raise PackageError(f"no dossier {code!r} in the catalog")
        files: dict[str, dict] = {}  # sha -> {"path", "size"}; each object written once

        def want(sha: str | None, path: str) -> str | None:
            if not sha:
                return None
            check_sha(sha)
            files.setdefault(sha, {"path": path})
            return sha

        documents = []
        for doc in docs:
            base = f"documents/{doc.id}"
            d = _row(doc)
            want(doc.source_sha256, f"{base}/original-{_safe(doc.filename)}")
            versions = s.scalars(select(DocumentVersion).where(DocumentVersion.document_id == doc.id)
                                 .order_by(DocumentVersion.number)).all()
            for v in versions:
                want(v.pdf_sha256, f"{base}/v{v.number}-{_safe(v.kind)}.pdf")
            want(doc.pdf_sha256, f"{base}/document.pdf")
            copies = s.scalars(select(CertifiedCopy).where(CertifiedCopy.document_id == doc.id)
                               .order_by(CertifiedCopy.created_at, CertifiedCopy.id)).all()
            for c in copies:
                want(c.pdf_sha256, f"{base}/copies/{_safe(c.notation)}-{c.id}.pdf")
            pages = []
            links = s.scalars(select(DocumentPage).where(DocumentPage.document_id == doc.id).order_by(DocumentPage.position)).all()
            for link in links:
                sp = s.get(ScanPage, link.scan_page_id)
                p = _row(sp, skip=("id",))
                p["position"] = link.position
                for col, suffix in (("image_sha256", "image"), ("text_layer_sha256", "text"), ("words_sha256", "words")):
                    want(getattr(sp, col), f"{base}/pages/{link.position:03d}-{suffix}")
                pages.append(p)
            results = s.scalars(select(Result).where(Result.document_id == doc.id).order_by(Result.created_at, Result.id)).all()
            d.update(pages=pages, versions=[_row(v, skip=("id",)) for v in versions],
                     copies=[_row(c) for c in copies], results=[_row(r) for r in results])
            documents.append(d)

    out_path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{out_path.name}.", dir=out_path.parent)
    os.close(fd)
    sums: list[tuple[str, str]] = []
    try:
        with zipfile.ZipFile(tmp, "w", allowZip64=True) as zf:
            for sha, entry in sorted(files.items(), key=lambda kv: kv[1]["path"]):
                info = zipfile.ZipInfo(entry["path"], date_time=(2000, 1, 1, 0, 0, 0))
                info.compress_type = zipfile.ZIP_STORED if entry["path"].endswith(".pdf") else zipfile.ZIP_DEFLATED
                h, size = hashlib.sha256(), 0
                with store.open(sha) as src, zf.open(info, "w", force_zip64=True) as dst:
                    while chunk := src.read(CHUNK):
                        h.update(chunk)
                        size += len(chunk)
                        dst.write(chunk)
                if h.hexdigest() != sha:
                    raise PackageError(f"object {sha} ({entry['path']}) no longer matches its address: run `sohoa fixity`")
                entry["size"] = size
                sums.append((sha, entry["path"]))
            manifest = {
                "format": FORMAT, "version": VERSION, "dossier_code": code,
                "dossier": _row(dossier) if dossier is not None else None,
                "documents": documents,
                "files": [{"path": e["path"], "sha256": sha, "size": e["size"]} for sha, e in sorted(files.items(), key=lambda kv: kv[1]["path"])],
            }
            extra = {
                MANIFEST: json.dumps(manifest, ensure_ascii=False, indent=1, sort_keys=True).encode(),
                README: _README.format(fmt=FORMAT, ver=VERSION, code=code).encode(),
            }
            for name, data in extra.items():
                zf.writestr(zipfile.ZipInfo(name, date_time=(2000, 1, 1, 0, 0, 0)), data, zipfile.ZIP_DEFLATED)
                sums.append((hashlib.sha256(data).hexdigest(), name))
            zf.writestr(zipfile.ZipInfo(CHECKSUMS, date_time=(2000, 1, 1, 0, 0, 0)),
                        "".join(f"{sha}  {name}\n" for sha, name in sorted(sums, key=lambda x: x[1])), zipfile.ZIP_DEFLATED)
        os.replace(tmp, out_path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return out_path


# ---------------------------------------------------------------- import

def _check_name(name: str) -> None:
    p = PurePosixPath(name)
    if p.is_absolute() or ".." in p.parts or "\\" in name or not name:
        raise PackageError(f"{name}: unsafe path in the package")


def _verify(zf: zipfile.ZipFile) -> tuple[dict, dict[str, str]]:
    """Every file listed and intact, nothing extra: returns the manifest and {path: sha}."""
    names = [i.filename for i in zf.infolist() if not i.is_dir()]
    for n in names:
        _check_name(n)
    if CHECKSUMS not in names or MANIFEST not in names:
        raise PackageError(f"not a {FORMAT}: {CHECKSUMS} or {MANIFEST} is missing")
    listed: dict[str, str] = {}
    for line in zf.read(CHECKSUMS).decode("utf-8").splitlines():
        if not line.strip():
            continue
        m = re.match(r"^([0-9a-f]{64}) [ *](.+)$", line)
        if not m:
            raise PackageError(f"{CHECKSUMS}: bad line {line!r}")
        listed[m.group(2)] = m.group(1)
    unlisted = sorted(set(names) - set(listed) - {CHECKSUMS})
    if unlisted:
        raise PackageError(f"{unlisted[0]}: in the package but not in {CHECKSUMS}")
    for name, sha in sorted(listed.items()):
        if name not in names:
            raise PackageError(f"{name}: listed in {CHECKSUMS} but missing from the package")
        h = hashlib.sha256()
        with zf.open(name) as f:
            while chunk := f.read(CHUNK):
                h.update(chunk)
        if h.hexdigest() != sha:
            raise PackageError(f"{name}: checksum mismatch (the package was changed after export)")
    try:
        manifest = json.loads(zf.read(MANIFEST))
    except ValueError as exc:
        raise PackageError(f"{MANIFEST}: not JSON: {exc}") from None
    if manifest.get("format") != FORMAT or not isinstance(manifest.get("version"), int):
        raise PackageError(f"{MANIFEST}: not a {FORMAT} manifest")
    if manifest["version"] > VERSION:
        raise PackageError(f"{MANIFEST}: format version {manifest['version']} is newer than this sohoa reads ({VERSION})")
    for f in manifest.get("files", []):
        if listed.get(f["path"]) != f["sha256"]:
            raise PackageError(f"{f['path']}: {MANIFEST} and {CHECKSUMS} disagree")
    return manifest, listed


def import_package(catalog: Catalog, store: ObjectStore, path: Path) -> ImportReport:
    """Verify, then store the objects and recreate the rows (same ids); a second import is a no-op."""
    path = Path(path)
    if not zipfile.is_zipfile(path):
        raise PackageError(f"{path}: not a zip package")
    report = ImportReport()
    with zipfile.ZipFile(path) as zf:
        manifest, _listed = _verify(zf)
        report.dossier = manifest.get("dossier_code")
        # nothing was written before this point; objects now (content-addressed: a retry is harmless)
        for f in manifest.get("files", []):
            sha = check_sha(f["sha256"])
            if store.exists(sha):
                report.objects_present += 1
                continue
            fd, tmp = tempfile.mkstemp(prefix="sohoa-import-")
            try:
                with os.fdopen(fd, "wb") as out, zf.open(f["path"]) as src:
                    while chunk := src.read(CHUNK):
                        out.write(chunk)
                stored = store.put_file(Path(tmp))
            finally:
                os.unlink(tmp)
            if stored.sha256 != sha:
                raise PackageError(f"{f['path']}: changed while it was imported")
            report.objects_added += 1
    _import_rows(catalog, manifest, report)
    return report


def _import_rows(catalog: Catalog, manifest: dict, report: ImportReport) -> None:
    with catalog.session() as s, s.begin():
        def put(model, data: dict, existing, identity: tuple[str, ...], what: str):
            if existing is not None:
                if not _same(existing, data, identity):
                    raise PackageError(f"{what} already exists in the catalog with different content")
                report.existing += 1
                return existing
            obj = _build(model, data)
            s.add(obj)
            report.created += 1
            return obj

        if manifest.get("dossier"):
            d = manifest["dossier"]
            put(Dossier, d, s.get(Dossier, d["code"]), ("code", "agency_id", "received", "sequence"), f"dossier {d['code']}")
        s.flush()
        deferred_replaced: list[tuple[Result, str]] = []
        for doc in manifest.get("documents", []):
            report.documents += 1
            row = {k: v for k, v in doc.items() if k not in ("pages", "versions", "copies", "results")}
            existing_doc = s.get(Document, row["id"])
            put(Document, row, existing_doc, ("id", "source_sha256", "pdf_sha256", "part"), f"document {row['id']}")
            s.flush()
            for p in doc.get("pages", []):
                sp = s.scalars(select(ScanPage).where(ScanPage.source_sha256 == p["source_sha256"],
                                                      ScanPage.number == p["number"])).one_or_none()
                data = {k: v for k, v in p.items() if k != "position"}
                sp = put(ScanPage, data, sp, ("source_sha256", "number", "image_sha256", "text"),
                         f"scan page {p['number']} of {p['source_sha256'][:12]}")
                s.flush()
                link = s.scalars(select(DocumentPage).where(DocumentPage.document_id == row["id"],
                                                            DocumentPage.position == p["position"])).one_or_none()
                if link is None:
                    s.add(DocumentPage(document_id=row["id"], position=p["position"], scan_page_id=sp.id))
                    report.created += 1
                elif link.scan_page_id != sp.id:
                    raise PackageError(f"document {row['id']} page {p['position']} differs in the catalog")
            for v in doc.get("versions", []):
                have = s.scalars(select(DocumentVersion).where(DocumentVersion.document_id == row["id"],
                                                               DocumentVersion.number == v["number"])).one_or_none()
                put(DocumentVersion, v, have, ("document_id", "number", "pdf_sha256"), f"document {row['id']} version {v['number']}")
            for c in doc.get("copies", []):
                put(CertifiedCopy, c, s.get(CertifiedCopy, c["id"]), ("id", "document_id", "pdf_sha256", "notation"), f"certified copy {c['id']}")
            s.flush()
            for r in doc.get("results", []):
                data = dict(r)
                replaced = data.pop("replaced_by", None)
                have = s.get(Result, data["id"])
                obj = put(Result, data, have, ("id", "document_id", "verify_code", "holder_id"), f"result {data['id']}")
                if have is None and replaced:
                    deferred_replaced.append((obj, replaced))
        s.flush()
        for obj, replaced in deferred_replaced:
            if s.get(Result, replaced) is not None:
                obj.replaced_by = replaced
            else:
                report.notes.append(f"result {obj.id} was replaced by {replaced}, which is not in this catalog")
