"""The HTTP API: uploads, progress, documents, and problem+json errors."""

from __future__ import annotations


import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from tests import badfiles
from tests.helpers import wait_for_batch, staff


@pytest.fixture
def client(settings):
    with staff(TestClient(create_app(settings))) as c:
        yield c


def upload(client, *paths, names=None):
    names = names or [p.name for p in paths]
    files = [("files", (n, p.read_bytes(), "application/octet-stream")) for p, n in zip(paths, names)]
    return client.post("/api/v1/batches", files=files)


def test_upload_progress_and_document_endpoints(client, scans):
    r = upload(client, scans["tiff"], scans["jpeg"])
    assert r.status_code == 202, r.text
    body = r.json()
    assert r.headers["location"] == f"/api/v1/batches/{body['id']}"
    assert body["pages_total"] == 4 and body["state"] in ("queued", "running", "done")
    done = wait_for_batch(client, body["id"])
    assert done["state"] == "done" and done["pages_done"] == 4
    doc_id = done["files"][0]["document_id"]

    doc = client.get(f"/api/v1/documents/{doc_id}").json()
    assert doc["page_count"] == 3 and len(doc["pages"]) == 3
    assert all(p["dpi"] >= 199 for p in doc["pages"])

    text = client.get(f"/api/v1/documents/{doc_id}/text")
    assert text.headers["content-type"].startswith("text/plain") and text.text.count("\f") == 2

    pdf = client.get(f"/api/v1/documents/{doc_id}/pdf")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF-")
    assert pdf.headers["content-type"] == "application/pdf"

    original = client.get(f"/api/v1/documents/{doc_id}/original")
    assert original.content == scans["tiff"].read_bytes()

    img = client.get(f"/api/v1/documents/{doc_id}/pages/2/image")
    assert img.status_code == 200 and img.content[:3] == b"\xff\xd8\xff"

    words = client.get(f"/api/v1/documents/{doc_id}/pages/1/words").json()
    assert words["words"] and all(len(w["box"]) == 4 for w in words["words"])

    listing = client.get("/api/v1/documents").json()
    assert listing["total"] == 2


def test_search_ignores_diacritics(client, scans):
    done = wait_for_batch(client, upload(client, scans["jpeg"]).json()["id"])
    assert done["state"] == "done"
    for q in ("cộng hòa xã hội", "cong hoa xa hoi", "CONG HOA"):
        assert client.get("/api/v1/documents", params={"q": q}).json()["total"] == 1, q
    assert client.get("/api/v1/documents", params={"q": "zzzkhongcozzz"}).json()["total"] == 0


def test_all_files_bad_is_a_422_problem(client, tmp_path):
    r = upload(client, badfiles.zero_byte(tmp_path), badfiles.not_a_scan(tmp_path))
    assert r.status_code == 422
    assert r.headers["content-type"] == "application/problem+json"
    body = r.json()
    assert body["status"] == 422 and body["title"]
    assert [e["error"] for e in body["errors"]] == ["the file is empty (0 bytes)", "not a scan: sohoa accepts JPEG, PNG, TIFF and PDF files"]


def test_one_bad_file_is_reported_the_rest_processed(client, scans, tmp_path):
    r = upload(client, badfiles.encrypted_pdf(tmp_path), scans["png"])
    assert r.status_code == 202
    done = wait_for_batch(client, r.json()["id"])
    assert done["state"] == "partial"
    assert "encrypted" in done["files"][0]["error"]
    assert done["files"][1]["state"] == "done"


@pytest.mark.parametrize("name", badfiles.HOSTILE_NAMES)
def test_hostile_filenames_are_neutralised(client, scans, settings, name):
    r = upload(client, scans["jpeg"], names=[name])
    assert r.status_code == 202
    shown = r.json()["files"][0]["filename"]
    assert "/" not in shown and "\\" not in shown and "\x00" not in shown and "\n" not in shown
    # nothing was written outside the data directory
    assert not (settings.data_dir.parent / "etc").exists()


def test_missing_files_and_unknown_ids_are_problems(client):
    r = client.post("/api/v1/batches")
    assert r.status_code == 422 and r.headers["content-type"] == "application/problem+json"
    for url in ("/api/v1/batches/nope", "/api/v1/documents/nope", "/api/v1/documents/nope/pdf"):
        r = client.get(url)
        assert r.status_code == 404 and r.json()["detail"]


def test_upload_size_limit(settings, scans):
    small = settings.model_copy(update={"max_upload_bytes": 1000})
    with staff(TestClient(create_app(small))) as c:
        r = upload(c, scans["jpeg"])
    assert r.status_code == 413 and "larger than" in r.json()["detail"]


def test_health_and_openapi(client):
    h = client.get("/api/v1/health").json()
    assert h["status"] == "ok" and h["checks"]["tesseract"]["ok"] and "vie" in h["checks"]["tesseract"]["languages"]
    spec = client.get("/openapi.json").json()
    assert "/api/v1/batches" in spec["paths"] and "/api/v1/documents/{document_id}/pdf" in spec["paths"]


def test_review_queue_and_corrections_round_trip(client, tmp_path):
    from bench.synthetic import generate_page, write_scan

    # a page with no Decree 30 structure: typed "khác" with low confidence, so it waits for review
    from PIL import Image, ImageDraw, ImageFont

    img = Image.new("RGB", (1654, 2339), "white")
    ImageDraw.Draw(img).text((200, 300), "Biên nhận hồ sơ số 15", fill="black",
                             font=ImageFont.truetype("/usr/share/fonts/truetype/liberation2/LiberationSerif-Regular.ttf", 60))
    odd = tmp_path / "odd.png"
    img.save(odd, dpi=(200, 200))
    good = write_scan([generate_page(71, "clean", "quyet_dinh")], tmp_path / "qd.jpg")
    done = wait_for_batch(client, upload(client, odd, good).json()["id"])
    odd_id, good_id = (f["document_id"] for f in done["files"])

    queue = client.get("/api/v1/review").json()
    assert [d["id"] for d in queue["items"]] == [odd_id]
    assert queue["items"][0]["needs_review"] and queue["items"][0]["type"] == "khac"

    r = client.patch(f"/api/v1/documents/{odd_id}", json={"type": "phieu_bao", "fields": {"number_symbol": "15/PB-TTPVHCC"}, "by": "clerk-1"})
    assert r.status_code == 200, r.text
    assert r.json()["type"] == "phieu_bao" and not r.json()["needs_review"]
    assert r.json()["metadata"]["fields"]["number_symbol"]["value"] == "15/PB-TTPVHCC"
    assert client.get("/api/v1/review").json()["total"] == 0
    hist = client.get(f"/api/v1/documents/{odd_id}/history").json()["items"]
    assert [h["field"] for h in hist] == ["type", "number_symbol"] and hist[0]["old"]["value"] == "khac"

    bad = client.patch(f"/api/v1/documents/{good_id}", json={"type": "not-a-type"})
    assert bad.status_code == 422 and "unknown document type" in bad.json()["detail"]
    assert client.patch("/api/v1/documents/nope", json={"type": "khac"}).status_code == 404
    assert client.patch(f"/api/v1/documents/{good_id}", json={}).status_code == 422
