"""Archive safety: write-once objects, retention and tombstones, fixity (fs and a real S3 server), packages."""

from __future__ import annotations

import hashlib
import io
import json
import os
import shutil
import threading
import time
import uuid
import zipfile
from datetime import date, datetime, timezone

import psutil
import pytest
from sqlalchemy import select

from storage.archive import ArchiveRefused, delete_document, retention_until
from storage.catalog import (
    Catalog,
    CertifiedCopy,
    Document,
    DocumentPage,
    DocumentVersion,
    Dossier,
    ObjectCheck,
    Result,
    ScanPage,
    Tombstone,
)
from storage.fixity import hash_object, run_fixity
from storage.objects import ObjectCorrupt, WriteOnceError, key_for, make_object_store
from storage.package import PackageError, export_dossier, import_package
from tests.s3server import s3_server  # noqa: F401


@pytest.fixture
def catalog(tmp_path):
    c = Catalog(f"sqlite:///{tmp_path / 'catalog.db'}")
    yield c
    c.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def any_catalog(request, tmp_path):
    url = request.getfixturevalue("pg_fresh_url") if request.param == "postgresql" else f"sqlite:///{tmp_path / 'catalog.db'}"
    c = Catalog(url)
    yield c
    c.dispose()


@pytest.fixture
def fs(tmp_path):
    return make_object_store("fs", data_dir=tmp_path / "objects")


def _s3(endpoint):
    return make_object_store("minio", endpoint=endpoint, access_key="testing", secret_key="testing",
                             bucket=f"t-{uuid.uuid4().hex[:10]}")


def add_document(catalog, store, doc_id, *, source=None, doc_type="cong_van", issued="2001-03-04", dossier=None,
                 pages=2, part=1, versions=1, copy=False, result=False):
    """A document as the pipeline leaves it: original, page images and text layers, PDF versions, rows."""
    source = source or f"scan of {doc_id}".encode() * 50
    src = store.put_bytes(source, "image/tiff").sha256
    with catalog.session() as s, s.begin():
        page_ids = []
        for n in range(1, pages + 1):
            sp = s.scalars(select(ScanPage).where(ScanPage.source_sha256 == src, ScanPage.number == n)).one_or_none()
            if sp is None:
                img = store.put_bytes(f"page {n} image of {src}".encode() * 20, "image/png").sha256
                txt = store.put_bytes(f"page {n} text of {src}".encode(), "application/pdf").sha256
                sp = ScanPage(source_sha256=src, number=n, status="ok", text=f"Trang {n} thủ tục hành chính",
                              image_sha256=img, text_layer_sha256=txt)
                s.add(sp)
                s.flush()
            page_ids.append(sp.id)
        pdfs = [store.put_bytes(f"%PDF-1.7 {doc_id} v{v}".encode() * 30, "application/pdf") for v in range(1, versions + 1)]
        doc = Document(id=doc_id, source_sha256=src, part=part, pdf_sha256=pdfs[-1].sha256, pdf_size=pdfs[-1].size,
                       filename=f"{doc_id}.tif", title=f"Văn bản {doc_id}", mime="image/tiff", page_count=pages,
                       doc_type=doc_type, dossier_code=dossier,
                       fields={"type": doc_type, "fields": {"issue_date": {"value": issued}, "number_symbol": {"value": "12/GM-UBND"}}},
                       created_at=datetime(2001, 3, 5, 8, 0, 0))
        doc.pages = [DocumentPage(position=i + 1, scan_page_id=pid) for i, pid in enumerate(page_ids)]
        s.add(doc)
        s.flush()
        for v, pdf in enumerate(pdfs, 1):
            s.add(DocumentVersion(document_id=doc_id, number=v, kind="digitized" if v == 1 else "agency",
                                  pdf_sha256=pdf.sha256, pdf_size=pdf.size))
        if copy:
            cp = store.put_bytes(f"%PDF SAO Y of {doc_id}".encode(), "application/pdf")
            s.add(CertifiedCopy(id=f"c{doc_id}"[:32], document_id=doc_id, form="SAO Y", agency="UBND", year=2001,
                                number=5, notation="05/SY-UBND", pdf_sha256=cp.sha256, pdf_size=cp.size))
        if result:
            s.add(Result(id=f"r{doc_id}"[:32], document_id=doc_id, holder_id="001203004567", holder_kind="personal_id",
                         doc_type=doc_type, verify_code=f"V{doc_id}"[:32], dossier_code=dossier, issued=date(2001, 3, 4)))
    return src


def fs_path(store, sha):
    return store.root / key_for(sha)


# ------------------------------------------------------------------------------------------ write-once

def test_same_key_twice_keeps_the_first_bytes_and_never_overwrites(fs, tmp_path):
    obj = fs.put_bytes(b"original decision")
    path = fs_path(fs, obj.sha256)
    inode = path.stat().st_ino
    assert fs.put_bytes(b"original decision").sha256 == obj.sha256
    assert path.stat().st_ino == inode and fs.get_bytes(obj.sha256) == b"original decision"
    with pytest.raises(WriteOnceError):
        fs.overwrite(obj.sha256, b"other")
    with pytest.raises(WriteOnceError):
        fs.delete(obj.sha256, tombstone_reason="  ")
    # a corrupted object is detected by the next put of the same content, and left for fixity, not rewritten
    path.chmod(0o644)
    path.write_bytes(b"bit rot")
    with pytest.raises(ObjectCorrupt, match="sohoa fixity"):
        fs.put_bytes(b"original decision")
    assert path.read_bytes() == b"bit rot"


def test_s3_same_key_twice_is_one_version_and_corruption_is_refused(s3_server):  # noqa: F811
    store = _s3(s3_server)
    assert store.versioning and store.object_lock
    obj = store.put_bytes(b"original decision")
    store.put_bytes(b"original decision")
    key = key_for(obj.sha256)
    head = store.client.stat_object(store.bucket, key).metadata  # moto cannot serve GetObjectRetention
    assert head["x-amz-object-lock-mode"] == "GOVERNANCE" and head["x-amz-object-lock-retain-until-date"]
    versions = [v for v in store.client.list_objects(store.bucket, prefix=key, include_version=True)]
    assert len(versions) == 1
    store.client.put_object(store.bucket, key, io.BytesIO(b"tampered!"), 9)  # another client overwrites
    with pytest.raises(ObjectCorrupt):
        store.put_bytes(b"original decision")


# ------------------------------------------------------------------------------------------ retention

def test_retention_refusals_and_a_permitted_deletion_leave_a_tombstone(any_catalog, fs):
    catalog = any_catalog
    scan = b"one feed: an invitation, then a letter" * 40
    shared_src = add_document(catalog, fs, "a" * 32, source=scan, doc_type="giay_moi", issued="2001-03-04", copy=True, versions=2)
    add_document(catalog, fs, "b" * 32, source=scan, doc_type="cong_van", part=2)  # same scan, same pages
    add_document(catalog, fs, "c" * 32, doc_type="quyet_dinh")
    add_document(catalog, fs, "d" * 32, doc_type="giay_moi", issued=date.today().isoformat())
    add_document(catalog, fs, "e" * 32, doc_type="giay_moi", result=True)
    with catalog.session() as s:
        a = s.get(Document, "a" * 32)
        assert retention_until(a, s) == date(2006, 3, 4)
        assert retention_until(s.get(Document, "c" * 32), s) is None
        b_pdf = s.get(Document, "b" * 32).pdf_sha256
        a_objects = {a.pdf_sha256} | {v.pdf_sha256 for v in s.scalars(select(DocumentVersion).where(DocumentVersion.document_id == a.id))}
        a_objects |= {c.pdf_sha256 for c in s.scalars(select(CertifiedCopy))}
        pages = s.scalars(select(ScanPage).where(ScanPage.source_sha256 == shared_src)).all()
        page_objects = {p.image_sha256 for p in pages} | {p.text_layer_sha256 for p in pages}

    with catalog.session() as s:
        with pytest.raises(ArchiveRefused, match="role 'clerk'"):
            delete_document(s, fs, "a" * 32, "Nguyễn Văn A", "clerk", "hết hạn")
        with pytest.raises(ArchiveRefused, match="reason"):
            delete_document(s, fs, "a" * 32, "Nguyễn Văn A", "archivist", " ")
        with pytest.raises(ArchiveRefused, match="permanently"):
            delete_document(s, fs, "c" * 32, "Nguyễn Văn A", "archivist", "hết hạn")
        with pytest.raises(ArchiveRefused, match="retained until"):
            delete_document(s, fs, "d" * 32, "Nguyễn Văn A", "archivist", "hết hạn")
        with pytest.raises(ArchiveRefused, match="permanently"):  # a result was issued from it
            delete_document(s, fs, "e" * 32, "Nguyễn Văn A", "admin", "hết hạn")
        with pytest.raises(ArchiveRefused, match="retained until 2006-03-04"):
            delete_document(s, fs, "a" * 32, "Nguyễn Văn A", "archivist", "hết hạn", today=date(2006, 3, 3))
    with catalog.session() as s:
        assert s.get(Document, "a" * 32) is not None and not s.scalars(select(Tombstone)).all()

    with catalog.session() as s:
        tomb = delete_document(s, fs, "a" * 32, "Nguyễn Văn A", "archivist", "Hết thời hạn bảo quản")
    with catalog.session() as s:
        assert s.get(Document, "a" * 32) is None
        t = s.scalars(select(Tombstone)).one()
        assert t.id == tomb.id and t.by == "Nguyễn Văn A" and t.retention_class == "5y"
        assert t.record["doc_type"] == "giay_moi" and t.record["certified_copies"] == ["05/SY-UBND"]
        assert t.record["number_symbol"] == "12/GM-UBND"  # what it was, read from the record as assembly writes it
        assert "text" not in json.dumps(t.record)  # a record, not content
        assert s.get(Document, "b" * 32) is not None
        # the shared scan's pages stay: document b uses the same original and page images
        assert len(s.scalars(select(ScanPage).where(ScanPage.source_sha256 == shared_src)).all()) == 2
    assert set(t.sha256s) == a_objects  # its PDFs and its copy; not the shared original or pages
    for sha in a_objects:
        assert not fs.exists(sha)
    for sha in page_objects | {shared_src, b_pdf}:
        assert fs.exists(sha)

    # the last document of that scan goes: now the original and the page objects go too (after its retention)
    with catalog.session() as s:
        s.get(Document, "b" * 32).retention_class = "5y"
        s.commit()
        tomb_b = delete_document(s, fs, "b" * 32, "Trần Thị B", "admin", "Hết thời hạn bảo quản")
    assert set(tomb_b.sha256s) == page_objects | {shared_src, b_pdf}
    assert not any(fs.exists(x) for x in tomb_b.sha256s)
    with catalog.session() as s:
        assert not s.scalars(select(ScanPage).where(ScanPage.source_sha256 == shared_src)).all()


# ------------------------------------------------------------------------------------------ fixity

def _fixity_detects_changed_and_vanished(catalog, store, tamper, vanish):
    add_document(catalog, store, "f" * 32, doc_type="quyet_dinh")
    orphan = store.put_bytes(b"an object no row mentions").sha256
    with catalog.session() as s:
        doc = s.get(Document, "f" * 32)
        changed, gone = doc.pdf_sha256, doc.source_sha256
    clean = run_fixity(catalog, store)
    assert clean.clean and clean.checked == clean.ok == 7  # original, 2 × (image, text layer), PDF, the orphan
    tamper(changed)
    vanish(gone)
    seen = []
    report = run_fixity(catalog, store, progress=lambda f, done, total: seen.append(f.sha256))
    assert (report.ok, report.changed, report.missing) == (5, 1, 1)
    assert {(f.sha256, f.status) for f in report.bad} == {(changed, "changed"), (gone, "missing")}
    assert len(seen) == report.checked and orphan in seen
    bad = next(f for f in report.bad if f.status == "changed")
    assert bad.quarantined_to and "quarantine" in bad.quarantined_to
    assert not store.exists(changed)  # no longer served as if it were good
    assert list(store.iter_quarantined())
    with catalog.session() as s:
        checks = {c.sha256: c for c in s.scalars(select(ObjectCheck))}
        assert checks[changed].status == "changed" and "quarantined" in checks[changed].detail
        assert checks[gone].status == "missing" and checks[orphan].status == "ok"
    again = run_fixity(catalog, store)  # quarantined: now missing from its address, still reported
    assert again.missing == 2 and again.changed == 0
    return changed


def test_fixity_on_the_filesystem(catalog, fs):
    def tamper(sha):
        p = fs_path(fs, sha)
        p.chmod(0o644)
        p.write_bytes(b"%PDF-1.7 tampered")

    changed = _fixity_detects_changed_and_vanished(catalog, fs, tamper, lambda sha: fs_path(fs, sha).unlink())
    assert any(p.name.startswith(changed) for p in (fs.root / "quarantine").iterdir())
    restored = fs.put_bytes(  # re-ingesting the original bytes repairs it
        ("%PDF-1.7 " + "f" * 32 + " v1").encode() * 30, "application/pdf")
    assert restored.sha256 == changed and fs.verify(changed)


def test_fixity_on_s3(catalog, s3_server):  # noqa: F811
    store = _s3(s3_server)

    def tamper(sha):
        store.client.put_object(store.bucket, key_for(sha), io.BytesIO(b"%PDF tampered"), 13)

    _fixity_detects_changed_and_vanished(catalog, store, tamper,
                                         lambda sha: store.client.remove_object(store.bucket, key_for(sha)))
    q = [o.object_name for o in store.client.list_objects(store.bucket, prefix="quarantine/", recursive=True)]
    assert len(q) == 1
    tags = store.client.get_object_tags(store.bucket, q[0])
    assert tags and tags.get("sohoa-quarantine") == "1"


def test_s3_privileged_delete_removes_every_version(s3_server):  # noqa: F811
    store = _s3(s3_server)
    obj = store.put_bytes(b"expired invitation")
    store.client.put_object(store.bucket, key_for(obj.sha256), io.BytesIO(b"x"), 1)  # a second version
    assert store.delete(obj.sha256, tombstone_reason="retention over")
    assert not list(store.client.list_objects(store.bucket, prefix=key_for(obj.sha256), include_version=True))


def test_hashing_a_200_mb_object_keeps_memory_flat(fs, tmp_path):
    big = tmp_path / "big.bin"
    block = os.urandom(1 << 20)
    with open(big, "wb") as f:
        for _ in range(200):
            f.write(block)
    sha = fs.put_file(big).sha256
    big.unlink()
    proc = psutil.Process()
    peak = [proc.memory_info().rss]
    stop = threading.Event()

    def watch():
        while not stop.is_set():
            peak[0] = max(peak[0], proc.memory_info().rss)
            time.sleep(0.01)

    before = proc.memory_info().rss
    t = threading.Thread(target=watch)
    t.start()
    try:
        report = run_fixity(None, fs, shas=[sha])
    finally:
        stop.set()
        t.join()
    assert report.ok == 1 and report.bytes == 200 << 20
    grown = (peak[0] - before) / 2**20
    assert grown < 50, f"RSS grew {grown:.0f} MiB hashing a 200 MiB object"


# ------------------------------------------------------------------------------------------ packages

def _rows(catalog):
    """Every row the package carries, without surrogate integer ids, comparable across catalogs."""
    from storage.package import _row

    with catalog.session() as s:
        out = {
            "dossiers": [_row(d) for d in s.scalars(select(Dossier).order_by(Dossier.code))],
            "documents": [_row(d) for d in s.scalars(select(Document).order_by(Document.id))],
            "versions": [_row(v, skip=("id",)) for v in s.scalars(select(DocumentVersion).order_by(DocumentVersion.document_id, DocumentVersion.number))],
            "copies": [_row(c) for c in s.scalars(select(CertifiedCopy).order_by(CertifiedCopy.id))],
            "results": [_row(r) for r in s.scalars(select(Result).order_by(Result.id))],
            "pages": [_row(p, skip=("id",)) for p in s.scalars(select(ScanPage).order_by(ScanPage.source_sha256, ScanPage.number))],
            "links": sorted((link.document_id, link.position, link.scan_page.source_sha256, link.scan_page.number)
                            for link in s.scalars(select(DocumentPage))),
        }
    return out


def _dossier(catalog, fs, code="000.00.00.H01-250301-0001"):
    with catalog.session() as s, s.begin():
        s.add(Dossier(code=code, agency_id="000.00.00.H01", received=date(2025, 3, 1), sequence=1,
                      procedure="Cấp giấy phép xây dựng", holder_id="001203004567", holder_name="Lê Văn C",
                      due=date(2025, 3, 15), created_at=datetime(2025, 3, 1, 9, 0, tzinfo=timezone.utc)))
    add_document(catalog, fs, "1" * 32, dossier=code, doc_type="don_de_nghi")
    add_document(catalog, fs, "2" * 32, dossier=code, doc_type="giay_phep", versions=2, copy=True, result=True)
    add_document(catalog, fs, "9" * 32, dossier=None)  # not in the dossier
    return code


def test_export_then_import_into_a_fresh_catalog_is_identical(catalog, fs, tmp_path):
    code = _dossier(catalog, fs)
    pkg = export_dossier(catalog, fs, code, tmp_path / "out" / "dossier.zip")
    with zipfile.ZipFile(pkg) as zf:
        names = set(zf.namelist())
        manifest = json.loads(zf.read("manifest.json"))
        lines = zf.read("checksums.sha256").decode().splitlines()
        zf.extractall(tmp_path / "unzipped")
    assert {"manifest.json", "checksums.sha256", "README.txt"} <= names
    assert manifest["format"] == "sohoa-dossier-package" and manifest["version"] == 1
    assert [d["id"] for d in manifest["documents"]] == ["1" * 32, "2" * 32]
    assert any(n.endswith("/v1-digitized.pdf") for n in names) and any("/copies/" in n for n in names)
    for line in lines:  # sha256sum -c compatible
        sha, name = line.split("  ", 1)
        assert hashlib.sha256((tmp_path / "unzipped" / name).read_bytes()).hexdigest() == sha
    if shutil.which("sha256sum"):
        import subprocess

        subprocess.run(["sha256sum", "--quiet", "-c", "checksums.sha256"], cwd=tmp_path / "unzipped", check=True)

    fresh = Catalog(f"sqlite:///{tmp_path / 'fresh.db'}")
    store2 = make_object_store("fs", data_dir=tmp_path / "objects2")
    try:
        rep = import_package(fresh, store2, pkg)
        assert rep.documents == 2 and rep.objects_added == len(manifest["files"])
        before, after = _rows(catalog), _rows(fresh)
        outside = "9" * 32  # the document not in the dossier, and its scan
        src9 = next(d["source_sha256"] for d in before["documents"] if d["id"] == outside)
        before["documents"] = [d for d in before["documents"] if d["id"] != outside]
        before["versions"] = [v for v in before["versions"] if v["document_id"] != outside]
        before["pages"] = [p for p in before["pages"] if p["source_sha256"] != src9]
        before["links"] = [link for link in before["links"] if link[0] != outside]
        assert after == before
        for f in manifest["files"]:
            assert store2.get_bytes(f["sha256"]) == fs.get_bytes(f["sha256"])
        again = import_package(fresh, store2, pkg)  # a no-op
        assert again.created == 0 and again.objects_added == 0 and _rows(fresh) == after
    finally:
        fresh.dispose()


def test_a_tampered_package_is_refused_naming_the_file(catalog, fs, tmp_path):
    code = _dossier(catalog, fs)
    pkg = export_dossier(catalog, fs, code, tmp_path / "dossier.zip")
    with zipfile.ZipFile(pkg) as zf:
        target = next(n for n in zf.namelist() if n.endswith("/v1-digitized.pdf"))
        members = [(i, zf.read(i.filename)) for i in zf.infolist()]
    bad = tmp_path / "tampered.zip"
    with zipfile.ZipFile(bad, "w") as zf:
        for info, data in members:
            zf.writestr(info, data.replace(b"%PDF-1.7", b"%PDF-1.6") if info.filename == target else data)
    extra = tmp_path / "extra.zip"
    shutil.copy(pkg, extra)
    with zipfile.ZipFile(extra, "a") as zf:
        zf.writestr("documents/smuggled.pdf", b"%PDF not listed")
    fresh = Catalog(f"sqlite:///{tmp_path / 'fresh.db'}")
    store2 = make_object_store("fs", data_dir=tmp_path / "objects2")
    try:
        with pytest.raises(PackageError, match=target):
            import_package(fresh, store2, bad)
        with pytest.raises(PackageError, match="documents/smuggled.pdf"):
            import_package(fresh, store2, extra)
        assert list(store2.iter_objects()) == []  # nothing was written
        with fresh.session() as s:
            assert s.scalars(select(Document)).all() == []
    finally:
        fresh.dispose()


def test_hash_object_reports_missing(fs):
    assert hash_object(fs, "0" * 64).status == "missing"


# ------------------------------------------------------------------------------------------ command line

def test_cli_fixity_export_import_delete(tmp_path, monkeypatch):
    from typer.testing import CliRunner

    import api.cli_archive  # noqa: F401  (registers the commands on the app)
    from api.cli import app
    from ingest.settings import get_settings
    from ingest.runtime import Runtime

    def use(data_dir):
        monkeypatch.setenv("SOHOA_DATA_DIR", str(data_dir))
        get_settings.cache_clear()
        return Runtime(get_settings())

    runner = CliRunner()
    try:
        _cli_steps(runner, app, use, tmp_path)
    finally:
        get_settings.cache_clear()


def _cli_steps(runner, app, use, tmp_path):
    rt = use(tmp_path / "a")
    try:
        code = _dossier(rt.catalog, rt.store)
        add_document(rt.catalog, rt.store, "7" * 32, doc_type="giay_moi")
        store = rt.store
    finally:
        rt.close()
    assert runner.invoke(app, ["fixity"]).exit_code == 0
    res = runner.invoke(app, ["delete", "7" * 32, "--by", "Phạm D", "--role", "clerk", "--reason", "x"])
    assert res.exit_code == 1 and "refused" in res.output
    res = runner.invoke(app, ["delete", "7" * 32, "--by", "Phạm D", "--role", "archivist", "--reason", "Hết hạn"])
    assert res.exit_code == 0, res.output
    pkg = tmp_path / "pkg.zip"
    assert runner.invoke(app, ["export", code, str(pkg)]).exit_code == 0
    some = next(o.sha256 for o in store.iter_objects())
    p = store.root / key_for(some)
    p.chmod(0o644)
    p.write_bytes(b"rot")
    res = runner.invoke(app, ["fixity", "--no-quarantine"])
    assert res.exit_code == 1 and some in res.output and store.local_path(some) is not None
    use(tmp_path / "b")
    res = runner.invoke(app, ["import", str(pkg)])
    assert res.exit_code == 0, res.output
    assert runner.invoke(app, ["fixity"]).exit_code == 0
