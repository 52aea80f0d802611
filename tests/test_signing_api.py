"""Signing through the API and the CLI: a digitized decision is signed by the person, then the agency, a
certified copy is made, and anything uploaded can be validated — each step asserting the verdict."""

from __future__ import annotations

import json
import time

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from api.app import create_app
from api.cli import app as cli
from ingest.settings import Settings
from tests.helpers import wait_for_batch, staff
from tests.signing_helpers import PASSPHRASE_ENV, decree30_pdf, flip_byte_in_signed_range, write_keyring


@pytest.fixture
def signing_settings(pki, tmp_path, monkeypatch):
    monkeypatch.setenv(PASSPHRASE_ENV, pki.passphrase.decode())
    ring = write_keyring(pki, tmp_path / "keys")
    return Settings(data_dir=tmp_path / "var", jobs=2, signing_keyring=ring, trust_anchors=pki.trust_bundle,
                    tsa_url=pki.tsa_url)


@pytest.fixture
def client(signing_settings):
    with staff(TestClient(create_app(signing_settings))) as c:
        yield c


@pytest.fixture(scope="module")
def decision_pdf(tmp_path_factory):
    path = tmp_path_factory.mktemp("decision") / "quyet-dinh.pdf"
    path.write_bytes(decree30_pdf())
    return path


def _digitized(client, path) -> str:
    r = client.post("/api/v1/batches", files=[("files", (path.name, path.read_bytes(), "application/pdf"))])
    assert r.status_code == 202, r.text
    done = wait_for_batch(client, r.json()["id"])
    assert done["state"] == "done", done
    return done["files"][0]["document_id"]


def _wait_job(client, job_id: str, timeout: float = 60) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        job = client.get(f"/api/v1/sign-jobs/{job_id}").json()
        if job["state"] in ("done", "failed"):
            return job
        time.sleep(0.1)
    raise AssertionError(f"sign job {job_id} did not finish")


def _sign(client, doc_id: str, **body) -> dict:
    from tests.helpers import bearer

    holder = bearer(client.app.state.rt, signer_key=body["signer"])  # a person signs with their own key only
    r = client.post(f"/api/v1/documents/{doc_id}/sign", json=body, headers=holder)
    assert r.status_code == 202, r.text
    assert r.headers["location"] == f"/api/v1/sign-jobs/{r.json()['id']}"
    return _wait_job(client, r.json()["id"])


def test_personal_then_agency_then_certified_copy(client, decision_pdf):
    doc_id = _digitized(client, decision_pdf)
    unsigned = client.get(f"/api/v1/documents/{doc_id}/pdf").content

    # the agency may not sign first
    early = client.post(f"/api/v1/documents/{doc_id}/sign", json={"signer": "van-thu"})
    assert early.status_code == 409 and "personal" in early.json()["detail"]

    job = _sign(client, doc_id, signer="chu-tich", level="B-LT")
    assert job["state"] == "done", job
    assert job["result"]["version"] == 2 and "pin" not in json.dumps(job)

    job = _sign(client, doc_id, signer="van-thu", level="B-LTA")
    assert job["state"] == "done", job

    versions = client.get(f"/api/v1/documents/{doc_id}/versions").json()["items"]
    assert [v["kind"] for v in versions] == ["digitized", "personal", "agency"]
    assert versions[1]["signer_name"] == "Nguyễn Văn An"
    assert client.get(f"/api/v1/documents/{doc_id}/versions/1/pdf").content == unsigned  # the unsigned one kept

    report = client.get(f"/api/v1/documents/{doc_id}/validation").json()
    assert report["verdict"] == "TOTAL_PASSED", report["summary"]
    assert [s["kind"] for s in report["signatures"]].count("signature") == 2
    pdf_report = client.get(f"/api/v1/documents/{doc_id}/validation", params={"format": "pdf"})
    assert pdf_report.status_code == 200 and pdf_report.content.startswith(b"%PDF-")

    # no personal signature after the agency's
    late = client.post(f"/api/v1/documents/{doc_id}/sign", json={"signer": "chu-tich"})
    assert late.status_code == 409

    r = client.post(f"/api/v1/documents/{doc_id}/certified-copy", json={"signer": "van-thu", "level": "B-T"})
    assert r.status_code == 202, r.text
    job = _wait_job(client, r.json()["id"])
    assert job["state"] == "done", job
    assert job["result"]["notation"] == "01/SY-UBND"
    copies = client.get(f"/api/v1/documents/{doc_id}/copies").json()["items"]
    assert len(copies) == 1 and copies[0]["form"] == "SAO Y"
    copy_pdf = client.get(copies[0]["pdf"]).content
    checked = client.post("/api/v1/validate", files={"file": ("copy.pdf", copy_pdf, "application/pdf")}).json()
    assert checked["verdict"] == "TOTAL_PASSED", checked["summary"]
    assert checked["signatures"][0]["certified"]  # a copy is certified: nothing may change it
    # the copy is made from the digitized version, not over the other signatures
    assert copy_pdf.startswith(unsigned)

    second = _wait_job(client, client.post(f"/api/v1/documents/{doc_id}/certified-copy",
                                           json={"signer": "van-thu", "level": "B-B"}).json()["id"])
    assert second["result"]["notation"] == "02/SY-UBND"


def test_sign_request_errors(client, decision_pdf):
    doc_id = _digitized(client, decision_pdf)
    assert client.post("/api/v1/documents/nope/sign", json={"signer": "chu-tich"}).status_code == 404
    r = client.post(f"/api/v1/documents/{doc_id}/sign", json={"signer": "nobody"})
    assert r.status_code == 409 and "nobody" in r.json()["detail"]
    r = client.post(f"/api/v1/documents/{doc_id}/sign", json={"signer": "chu-tich", "role": "agency"})
    assert r.status_code == 409
    r = client.post(f"/api/v1/documents/{doc_id}/sign", json={"signer": "chu-tich", "level": "B-X"})
    assert r.status_code == 422
    r = client.post(f"/api/v1/documents/{doc_id}/certified-copy", json={"signer": "chu-tich"})
    assert r.status_code == 409
    assert client.get("/api/v1/sign-jobs/nope").status_code == 404
    # a signature a worker cannot make fails the job with the reason, the document stays as it was
    job = _sign(client, doc_id, signer="revoked", level="B-LT")
    assert job["state"] == "failed" and job["error"]
    assert len(client.get(f"/api/v1/documents/{doc_id}/versions").json()["items"]) == 1


def test_explicit_box_overrides_placement(client, decision_pdf):
    from signing.sign import signature_boxes

    doc_id = _digitized(client, decision_pdf)
    job = _sign(client, doc_id, signer="chu-tich", level="B-B", box={"page": 1, "rect": [100, 100, 250, 160]})
    assert job["state"] == "done", job
    pdf = client.get(f"/api/v1/documents/{doc_id}/pdf").content
    (_name, page, rect), = signature_boxes(pdf)
    assert page == 0 and rect[0] >= 99 and rect[2] <= 251 and rect[1] >= 99 and rect[3] <= 161


def test_validate_upload(client, pki, tmp_path):
    from ingest import signatures

    rt = client.app.state.rt
    spec = signatures.signer_spec(rt, "chu-tich")
    signed = signatures.sign_file(rt, decree30_pdf(), spec, role="personal", level="B-LT")
    ok = client.post("/api/v1/validate", files={"file": ("a.pdf", signed, "application/pdf")})
    assert ok.status_code == 200 and ok.json()["verdict"] == "TOTAL_PASSED"
    bad = client.post("/api/v1/validate", files={"file": ("b.pdf", flip_byte_in_signed_range(signed), "application/pdf")})
    assert bad.json()["verdict"] == "TOTAL_FAILED" and "thay đổi" in bad.json()["summary"]
    report = client.post("/api/v1/validate", params={"format": "pdf"}, files={"file": ("b.pdf", signed, "application/pdf")})
    assert report.headers["content-type"] == "application/pdf" and report.content.startswith(b"%PDF-")
    assert client.post("/api/v1/validate", files={"file": ("x.pdf", b"", "application/pdf")}).status_code == 422
    notpdf = client.post("/api/v1/validate", files={"file": ("x.pdf", b"GIF89a....", "application/pdf")})
    assert notpdf.status_code == 422 and notpdf.headers["content-type"] == "application/problem+json"


def test_validate_without_anchors_is_a_clear_error(tmp_path):
    with staff(TestClient(create_app(Settings(data_dir=tmp_path / "var")))) as c:
        r = c.post("/api/v1/validate", files={"file": ("a.pdf", decree30_pdf(), "application/pdf")})
        assert r.status_code == 409 and "SOHOA_TRUST_ANCHORS" in r.json()["detail"]
        r = c.post("/api/v1/documents/x/sign", json={"signer": "a"})
        assert r.status_code == 409 and "SOHOA_SIGNING_KEYRING" in r.json()["detail"]


def test_cli_sign_and_validate(signing_settings, tmp_path, monkeypatch):
    for name, value in {"SOHOA_DATA_DIR": str(signing_settings.data_dir),
                        "SOHOA_SIGNING_KEYRING": str(signing_settings.signing_keyring),
                        "SOHOA_TRUST_ANCHORS": str(signing_settings.trust_anchors),
                        "SOHOA_TSA_URL": signing_settings.tsa_url}.items():
        monkeypatch.setenv(name, value)
    from ingest.settings import get_settings

    get_settings.cache_clear()
    try:
        src = tmp_path / "qd.pdf"
        src.write_bytes(decree30_pdf())
        runner = CliRunner()
        first = runner.invoke(cli, ["sign", str(src), "--signer", "van-thu", "--out", str(tmp_path / "x.pdf")])
        assert first.exit_code == 1 and "personal signature" in first.output
        assert not (tmp_path / "x.pdf").exists()
        r = runner.invoke(cli, ["sign", str(src), "--signer", "chu-tich", "--level", "B-LT", "--out", str(tmp_path / "p.pdf")])
        assert r.exit_code == 0, r.output
        r = runner.invoke(cli, ["sign", str(tmp_path / "p.pdf"), "--signer", "van-thu", "--out", str(tmp_path / "a.pdf")])
        assert r.exit_code == 0, r.output
        r = runner.invoke(cli, ["validate", str(tmp_path / "a.pdf"), "--json", "--report", str(tmp_path / "report.pdf")])
        assert r.exit_code == 0, r.output
        body = json.loads(r.stdout[r.stdout.index("{"):])
        assert body["verdict"] == "TOTAL_PASSED"
        assert (tmp_path / "report.pdf").read_bytes().startswith(b"%PDF-")
        (tmp_path / "bad.pdf").write_bytes(flip_byte_in_signed_range((tmp_path / "a.pdf").read_bytes()))
        r = runner.invoke(cli, ["validate", str(tmp_path / "bad.pdf")])
        assert r.exit_code == 1 and "TOTAL_FAILED" in r.output
        r = runner.invoke(cli, ["validate", str(src)])
        assert r.exit_code == 1
        (tmp_path / "junk.pdf").write_bytes(b"not a pdf")
        r = runner.invoke(cli, ["validate", str(tmp_path / "junk.pdf")])
        assert r.exit_code == 2 and "not a PDF" in r.output
        r = runner.invoke(cli, ["sign", str(src), "--signer", "chu-tich", "--box", "1,2,3", "--out", str(tmp_path / "y.pdf")])
        assert r.exit_code == 2
    finally:
        get_settings.cache_clear()


def test_health_checks_signing_parts(client, pki):
    checks = client.get("/api/v1/health").json()["checks"]
    assert checks["signing_keys"]["ok"], checks["signing_keys"]
    assert "personal, pkcs12" in checks["signing_keys"]["signers"]["chu-tich"]
    assert checks["trust_anchors"] == {"ok": True, "anchors": 1}
    assert checks["timestamp_authority"]["ok"], checks["timestamp_authority"]


def test_health_reports_a_broken_keyring(signing_settings, tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text("[signers.x]\nrole = 'boss'\npkcs12 = 'x.p12'\n")
    with staff(TestClient(create_app(signing_settings.model_copy(update={"signing_keyring": bad})))) as c:
        r = c.get("/api/v1/health")
        assert r.status_code == 503 and "role must be one of" in r.json()["checks"]["signing_keys"]["error"]


def test_a_person_signs_only_with_their_own_key_and_the_van_thu_applies_the_seal(client, decision_pdf):
    from tests.helpers import bearer

    rt = client.app.state.rt
    doc_id = _digitized(client, decision_pdf)
    deputy = bearer(rt, ["signer"], signer_key="chu-tich-ec")
    r = client.post(f"/api/v1/documents/{doc_id}/sign", json={"signer": "chu-tich"}, headers=deputy)
    assert r.status_code == 403 and "chu-tich-ec" in r.json()["detail"]
    keyless = bearer(rt, ["signer"], signer_key=None)
    assert client.post(f"/api/v1/documents/{doc_id}/sign", json={"signer": "chu-tich"}, headers=keyless).status_code == 403
    signer_only = bearer(rt, ["signer"], signer_key="van-thu")
    r = client.post(f"/api/v1/documents/{doc_id}/sign", json={"signer": "van-thu"}, headers=signer_only)
    assert r.status_code == 403 and "văn thư" in r.json()["detail"]
    r = client.post(f"/api/v1/documents/{doc_id}/sign", json={"signer": "chu-tich-ec"}, headers=deputy)
    assert r.status_code == 202
