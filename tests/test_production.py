"""The production path for real: PostgreSQL catalog, S3 objects (moto's server), Redis broker, Celery workers.

Includes the crash test: a worker killed with SIGKILL mid-batch, a new worker finishing the batch with every
page exactly once.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid

import pikepdf
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from api.app import create_app
from ingest.runtime import Runtime
from ingest.settings import Settings
from storage.catalog import Document, ScanPage
from tests.helpers import wait_for_batch, staff
from tests.s3server import s3_server  # noqa: F401

pytestmark = [pytest.mark.postgres, pytest.mark.redis, pytest.mark.slow]


@pytest.fixture
def prod_settings(tmp_path, pg_url, redis_url, s3_server):  # noqa: F811
    return Settings(
        data_dir=tmp_path / "api-var",
        database_url=pg_url,
        object_store="minio",
        minio_endpoint=s3_server,
        minio_access_key="testing",
        minio_secret_key="testing",
        minio_bucket=f"sohoa-{uuid.uuid4().hex[:8]}",
        broker_url=redis_url,
        broker_visibility_timeout=6,
        jobs=1,
    )


def start_worker(settings: Settings, tmp_path, name: str, concurrency: int = 2) -> subprocess.Popen:
    env = {**os.environ, "OMP_THREAD_LIMIT": "1"}
    for key, value in settings.model_dump().items():
        if value is None:
            continue
        if hasattr(value, "get_secret_value"):
            value = value.get_secret_value()
        env[f"SOHOA_{key.upper()}"] = str(value)
    env["SOHOA_DATA_DIR"] = str(tmp_path / f"{name}-var")
    log = open(tmp_path / f"{name}.log", "w")
    return subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "ingest.tasks", "worker", "-Q", "sohoa", "-n", f"{name}@%h",
         f"--concurrency={concurrency}", "--loglevel=INFO", "--without-gossip", "--without-mingle", "--without-heartbeat"],
        env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
    )


def stop(proc: subprocess.Popen, sig=signal.SIGTERM) -> None:
    if proc.poll() is None:
        os.killpg(proc.pid, sig)
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


def small_feed(tmp_path, pages: int):
    """A feed of two documents of ``pages / 2`` pages each (a Decree 30 header starts each)."""
    from bench.synthetic import generate_document, write_scan

    half = pages // 2
    docs = generate_document(77, tier="clean", pages=half, dpi=200, kind="ke_hoach") + \
        generate_document(78, tier="clean", pages=pages - half, dpi=200, kind="bao_cao")
    return write_scan(docs, tmp_path / "feed.tif")


def test_batch_through_celery_postgres_and_s3(prod_settings, tmp_path, scans):
    worker = start_worker(prod_settings, tmp_path, "w1")
    try:
        with staff(TestClient(create_app(prod_settings))) as client:
            files = [("files", (p.name, p.read_bytes())) for p in (scans["jpeg"], scans["pdf"])]
            r = client.post("/api/v1/batches", files=files)
            assert r.status_code == 202, r.text
            done = wait_for_batch(client, r.json()["id"])
            assert done["state"] == "done", done
            doc_id = done["files"][1]["document_id"]
            pdf = client.get(f"/api/v1/documents/{doc_id}/pdf")
            assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
            assert client.get("/api/v1/health").json()["checks"]["catalog"]["backend"] == "postgresql"
        # the objects really are in the S3 server
        rt = Runtime(prod_settings)
        with rt.catalog.session() as s:
            doc = s.get(Document, doc_id)
        assert rt.store.exists(doc.pdf_sha256) and rt.store.exists(doc.source_sha256)
        rt.close()
    finally:
        stop(worker)


def test_worker_killed_mid_batch_finishes_with_every_page_exactly_once(prod_settings, tmp_path):
    pages = 8
    feed = small_feed(tmp_path, pages)
    worker = start_worker(prod_settings, tmp_path, "doomed", concurrency=2)
    rt = Runtime(prod_settings)
    try:
        with staff(TestClient(create_app(prod_settings))) as client:
            r = client.post("/api/v1/batches", files=[("files", ("feed.tif", feed.read_bytes()))])
            batch_id = r.json()["id"]
            sha = r.json()["files"][0]["sha256"]

            def recorded():
                with rt.catalog.session() as s:
                    return s.scalar(select(func.count()).where(ScanPage.source_sha256 == sha))

            deadline = time.monotonic() + 120
            while recorded() < 2:
                assert time.monotonic() < deadline, (tmp_path / "doomed.log").read_text()[-3000:]
                time.sleep(0.2)
            stop(worker, signal.SIGKILL)  # the whole worker, parent and children, mid-batch
            assert recorded() < pages, "the batch finished before the kill: make the feed longer"
            assert client.get(f"/api/v1/batches/{batch_id}").json()["state"] == "running"

            worker = start_worker(prod_settings, tmp_path, "rescuer", concurrency=2)
            done = wait_for_batch(client, batch_id, timeout=300)
            assert done["state"] == "done", done
            with rt.catalog.session() as s:
                numbers = s.scalars(select(ScanPage.number).where(ScanPage.source_sha256 == sha)).all()
                docs = s.scalars(select(Document).where(Document.source_sha256 == sha).order_by(Document.part)).all()
            assert sorted(numbers) == list(range(1, pages + 1))  # every page, exactly once
            assert [d.page_count for d in docs] == [pages // 2, pages - pages // 2]  # each document once, whole
            for d in docs:
                with pikepdf.open(rt.store.copy_to(d.pdf_sha256, tmp_path / f"out-{d.part}.pdf")) as pdf:
                    assert len(pdf.pages) == d.page_count
    finally:
        stop(worker)
        rt.close()


def test_signing_through_celery_postgres_and_s3(prod_settings, tmp_path, pki, monkeypatch):
    """Sign jobs run on a Celery worker; a PIN sent with a request reaches it but no log and no catalog row."""
    from tests.signing_helpers import PASSPHRASE_ENV, decree30_pdf, write_keyring

    monkeypatch.delenv(PASSPHRASE_ENV, raising=False)  # the worker gets the passphrase only with the request
    secret = pki.passphrase.decode()
    settings = prod_settings.model_copy(update={
        "signing_keyring": write_keyring(pki, tmp_path / "keys"), "trust_anchors": pki.trust_bundle,
        "tsa_url": pki.tsa_url})
    worker = start_worker(settings, tmp_path, "signer", concurrency=1)
    try:
        with staff(TestClient(create_app(settings))) as client:
            r = client.post("/api/v1/batches", files=[("files", ("qd.pdf", decree30_pdf(), "application/pdf"))])
            doc_id = wait_for_batch(client, r.json()["id"])["files"][0]["document_id"]
            for signer in ("chu-tich", "van-thu"):
                job = client.post(f"/api/v1/documents/{doc_id}/sign", json={"signer": signer, "pin": secret}).json()
                deadline = time.monotonic() + 120
                while job["state"] not in ("done", "failed") and time.monotonic() < deadline:
                    time.sleep(0.3)
                    job = client.get(f"/api/v1/sign-jobs/{job['id']}").json()
                assert job["state"] == "done", job
            report = client.get(f"/api/v1/documents/{doc_id}/validation").json()
            assert report["verdict"] == "TOTAL_PASSED", report["summary"]
        log = (tmp_path / "signer.log").read_text()
        assert "sohoa.sign" in log and secret not in log
        rt = Runtime(settings)
        with rt.catalog.engine.connect() as conn:
            from sqlalchemy import text

            rows = conn.execute(text("select options::text, coalesce(error, '') from sign_jobs")).all()
        rt.close()
        assert rows and all(secret not in o and secret not in e for o, e in rows)
    finally:
        stop(worker)
