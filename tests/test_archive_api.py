"""The archive through the API: fixity runs polled to their report, a dossier exported and imported into
another instance, deletion refused or done by the retention rules."""

from __future__ import annotations

import io
import time
import zipfile

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from ingest.settings import Settings
from storage.catalog import Document
from tests.test_reuse import AGENCY, CITIZEN, stored_document
from tests.helpers import bearer, staff


@pytest.fixture
def api(tmp_path):
    with staff(TestClient(create_app(Settings(data_dir=tmp_path / "a")))) as c:
        yield c


def test_fixity_run_reports_a_changed_object(api):
    rt = api.app.state.rt
    doc_id = stored_document(rt)
    with rt.catalog.session() as s:
        sha = s.get(Document, doc_id).pdf_sha256
    path = next(p for p in rt.settings.objects_dir.rglob(sha))  # the object itself, not its .meta sidecar
    path.write_bytes(path.read_bytes()[:-10] + b"tampered!!")
    r = api.post("/api/v1/fixity")
    assert r.status_code == 202
    run_id = r.json()["id"]
    for _ in range(200):
        run = api.get(f"/api/v1/fixity/{run_id}").json()
        if run["state"] != "running":
            break
        time.sleep(0.05)
    assert run["state"] == "done", run
    assert run["report"]["changed"] == 1 and run["bad"][0]["sha256"] == sha, (run, path)
    assert api.get("/api/v1/fixity/nope").status_code == 404


def test_export_then_import_into_another_instance(api, tmp_path):
    api.post("/api/v1/agencies", json={"id": AGENCY, "name": "Trung tâm"})
    code = api.post("/api/v1/dossiers", json={"agency_id": AGENCY, "procedure": "x", "holder_id": CITIZEN}).json()["code"]
    rt = api.app.state.rt
    doc_id = stored_document(rt)
    with rt.catalog.session() as s:
        s.get(Document, doc_id).dossier_code = code
        s.commit()
    r = api.get(f"/api/v1/dossiers/{code}/export")
    assert r.status_code == 200 and r.headers["content-type"] == "application/zip"
    package = r.content
    assert "manifest.json" in zipfile.ZipFile(io.BytesIO(package)).namelist()
    assert api.get("/api/v1/dossiers/nope/export").status_code in (404, 422)

    with staff(TestClient(create_app(Settings(data_dir=tmp_path / "b")))) as other:
        r = other.post("/api/v1/import", files={"package": ("d.zip", package, "application/zip")})
        assert r.status_code == 200, r.text
        assert other.get(f"/api/v1/documents/{doc_id}/pdf").content == api.get(f"/api/v1/documents/{doc_id}/pdf").content
        again = other.post("/api/v1/import", files={"package": ("d.zip", package, "application/zip")})
        assert again.status_code == 200 and again.json()["created"] == 0  # importing twice adds nothing
        zf = zipfile.ZipFile(io.BytesIO(package))
        pdf_name = next(n for n in zf.namelist() if n.endswith(".pdf"))
        tampered = io.BytesIO()
        with zipfile.ZipFile(tampered, "w") as out:
            for n in zf.namelist():
                data = zf.read(n)
                out.writestr(n, data[:-5] + b"XXXXX" if n == pdf_name else data)
        r = other.post("/api/v1/import", files={"package": ("d.zip", tampered.getvalue(), "application/zip")})
        assert r.status_code == 422 and pdf_name.rsplit("/", 1)[-1] in r.json()["detail"], r.text


def test_deletion_follows_retention(api):
    rt = api.app.state.rt
    keep = stored_document(rt, doc_type="quyet_dinh")
    old_invite = stored_document(rt, doc_type="giay_moi", fields={"issue_date": {"value": "2001-05-04"}})
    new_invite = stored_document(rt, doc_type="giay_moi", fields={"issue_date": {"value": "2026-11-20"}})
    body = {"reason": "hết thời hạn bảo quản"}
    clerk = bearer(rt, ["clerk"])
    assert api.request("DELETE", f"/api/v1/documents/{old_invite}", json=body, headers=clerk).status_code == 403
    r = api.request("DELETE", f"/api/v1/documents/{keep}", json=body)
    assert r.status_code == 409 and "permanently" in r.json()["detail"]
    r = api.request("DELETE", f"/api/v1/documents/{new_invite}", json=body)
    assert r.status_code == 409 and "retained until" in r.json()["detail"]
    r = api.request("DELETE", f"/api/v1/documents/{old_invite}", json=body)
    assert r.status_code == 200, r.text
    assert r.json()["tombstone"]
    assert api.get(f"/api/v1/documents/{old_invite}").status_code == 404
    assert api.request("DELETE", "/api/v1/documents/nope", json=body).status_code == 404
