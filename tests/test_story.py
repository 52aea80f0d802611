"""The reuse story end to end, through the API: a certificate is digitized, certified as an electronic copy,
found by a second agency by the holder's ID, attached to a new dossier, verified by its QR code, and synced to
the (fake) national portal."""

from __future__ import annotations

import subprocess
import time
from datetime import date, timedelta

import pytest
import zxingcpp
from fastapi.testclient import TestClient
from PIL import Image

from api.app import create_app
from ingest.settings import Settings
from tests.helpers import bearer, staff, wait_for_batch
from tests.signing_helpers import PASSPHRASE_ENV, write_keyring
from tests.test_portal import TOKEN, FakePortal

pytestmark = pytest.mark.slow


@pytest.fixture
def portal():
    p = FakePortal()
    yield p
    p.close()


def _wait_job(client, job_id: str) -> dict:
    for _ in range(600):
        job = client.get(f"/api/v1/sign-jobs/{job_id}").json()
        if job["state"] in ("done", "failed"):
            return job
        time.sleep(0.1)
    raise AssertionError("sign job did not finish")


def test_certificate_digitized_certified_reused_verified_and_synced(pki, portal, tmp_path, monkeypatch):
    from bench.synthetic import generate_document, write_scan

    monkeypatch.setenv(PASSPHRASE_ENV, pki.passphrase.decode())
    settings = Settings(data_dir=tmp_path / "var", jobs=1, signing_keyring=write_keyring(pki, tmp_path / "keys"),
                        trust_anchors=pki.trust_bundle, tsa_url=pki.tsa_url, portal_url=portal.url,
                        portal_token=TOKEN, portal_interval_seconds=0, public_url="https://sohoa.thunghiem.gov.vn")
    pages = generate_document(4240, tier="clean", pages=1, dpi=300, kind="giay_chung_nhan")
    holder = pages[0].fields["personal_id"]
    scan = write_scan(pages, tmp_path / "gcn.jpg")

    with staff(TestClient(create_app(settings))) as c:
        # 1. the one-stop centre digitizes the paper certificate
        r = c.post("/api/v1/batches", files=[("files", (scan.name, scan.read_bytes(), "image/jpeg"))])
        done = wait_for_batch(c, r.json()["id"])
        doc_id = done["files"][0]["document_id"]
        doc = c.get(f"/api/v1/documents/{doc_id}").json()
        assert doc["type"] == "giay_chung_nhan", doc["type"]

        # 2. the agency certifies it as an electronic copy (SAO Y, QR code, agency signature)
        job = _wait_job(c, c.post(f"/api/v1/documents/{doc_id}/certified-copy",
                                  json={"signer": "van-thu", "level": "B-LT"}).json()["id"])
        assert job["state"] == "done", job
        copy_id = job["result"]["copy_id"]

        # 3. it becomes the holder's result (holder read from the certificate), queued for the portal
        r = c.post("/api/v1/results", json={"document_id": doc_id, "copy_id": copy_id,
                                            "expires": (date.today() + timedelta(days=3650)).isoformat()})
        assert r.status_code == 201, r.text
        result = r.json()
        assert result["holder_id"] == holder

        # 4. a second agency, handling a new dossier of the same citizen, finds it by ID and attaches it
        c.post("/api/v1/agencies", json={"id": "000.00.31.H44", "name": "Sở Kế hoạch và Đầu tư tỉnh Thử Nghiệm"})
        second = bearer(c.app.state.rt, ["clerk"], agency="000.00.31.H44")  # a clerk of that agency logs in
        dossier = c.post("/api/v1/dossiers", headers=second, json={"agency_id": "000.00.31.H44", "holder_id": holder,
                                                                   "procedure": "Đăng ký hộ kinh doanh", "days": 5}).json()
        found = c.get("/api/v1/reuse", headers=second, params={"holder": holder, "type": "giay_chung_nhan"}).json()["items"]
        assert [x["id"] for x in found] == [result["id"]] and found[0]["reusable"]
        r = c.post(f"/api/v1/dossiers/{dossier['code']}/results", headers=second, json={"result_id": result["id"]})
        assert r.status_code == 201, r.text
        attached = c.get(f"/api/v1/dossiers/{dossier['code']}", headers=second).json()["attached_results"]
        assert attached[0]["id"] == result["id"] and attached[0]["attached_by"] == "user:u-clerk-000-00-31-h44"
        assert c.get(f"/api/v1/documents/{doc_id}/pdf", headers=second).status_code == 200  # a result: reusable
        assert c.get(f"/api/v1/dossiers/{dossier['code']}").status_code == 403  # not the first agency's dossier

        # 5. anyone scans the QR code printed on the copy and is told it is genuine and current
        copy = c.get(f"/api/v1/documents/{doc_id}/copies").json()["items"][0]
        pdf = tmp_path / "copy.pdf"
        pdf.write_bytes(c.get(copy["pdf"]).content)
        subprocess.run(["pdftoppm", "-r", "200", "-png", "-singlefile", "-f", "1", "-l", "1", str(pdf),
                        str(tmp_path / "copy")], check=True)
        urls = [b.text for b in zxingcpp.read_barcodes(Image.open(tmp_path / "copy.png")) if "/verify/" in b.text]
        assert urls and urls[0].startswith("https://sohoa.thunghiem.gov.vn/verify/")
        code = urls[0].rsplit("/", 1)[1]
        verdict = c.get(f"/verify/{code}").json()
        assert verdict["genuine"] and verdict["current"] and verdict["kind"] == "result", verdict
        assert "holder_id" not in (verdict.get("holder") or {})  # not disclosed by default
        uploaded = c.post("/api/v1/verify", files={"file": ("copy.pdf", pdf.read_bytes(), "application/pdf")}).json()
        assert uploaded["in_archive"] and uploaded["matches"][0]["kind"] == "certified_copy", uploaded
        assert uploaded["signature_verdict"] == "TOTAL_PASSED"

        # 6. the result reaches the national portal, once
        r = c.post("/api/v1/outbox/deliver")
        assert r.status_code == 200, r.text
        assert portal.results() == [result["id"]]
        c.post("/api/v1/outbox/deliver")
        assert len(portal.stored) == 1

        # 7. every step left its entry in the audit trail, and the chain is intact
        from storage import audit

        actions = {e.action for e in audit.iter_entries(c.app.state.rt.catalog)}
        assert {"batch.upload", "document.digitized", "signature.request", "signature.done", "result.register",
                "dossier.receive", "citizen.lookup", "result.attach", "verification.code",
                "verification.upload"} <= actions, actions
        assert audit.verify(c.app.state.rt.catalog).intact
