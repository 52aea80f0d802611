"""Local sohoa instances for the exchange tests and bench: real uvicorn subprocesses on 127.0.0.1, each with its
own data directory (SQLite catalogue, object store), agency identity and signing key from the test PKI, and
address books pointing at each other."""

from __future__ import annotations

import hashlib
import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Node:
    """One instance: its agency, where it listens, its settings as environment variables."""

    agency_id: str
    name: str
    signer: str  # keyring id of the key its envelopes are signed with
    data_dir: Path
    keyring: Path
    pki: object
    workers: int = 1
    port: int = field(default_factory=free_port)
    extra_env: dict = field(default_factory=dict)
    proc: subprocess.Popen | None = None
    api_key: str | None = None  # the instance's van thư/clerk/admin machine key, made at first start

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def env(self) -> dict:
        from bench.testpki.samples import PASSPHRASE_ENV

        env = dict(os.environ)
        env.update({
            "PYTHONPATH": str(ROOT), "SOHOA_DATA_DIR": str(self.data_dir), "SOHOA_AGENCY_ID": self.agency_id,
            "SOHOA_AGENCY_NAME": self.name, "SOHOA_SIGNING_KEYRING": str(self.keyring),
            "SOHOA_TRUST_ANCHORS": str(self.pki.trust_bundle), "SOHOA_TSA_URL": self.pki.tsa_url,
            "SOHOA_EXCHANGE_SIGNER": self.signer, "SOHOA_EXCHANGE_INTERVAL_SECONDS": "0.5",
            "SOHOA_EXCHANGE_RETRY_BASE_SECONDS": "0.5", "SOHOA_EXCHANGE_TIMEOUT_SECONDS": "20",
            "SOHOA_RETRAIN_INTERVAL_HOURS": "0", "SOHOA_RENEW_INTERVAL_HOURS": "0", "SOHOA_JOBS": "1",
            PASSPHRASE_ENV: self.pki.passphrase.decode(), "OMP_THREAD_LIMIT": "1",
        })
        env.update(self.extra_env)
        return env

    def settings(self):
        from ingest.settings import Settings

        return Settings(data_dir=self.data_dir, agency_id=self.agency_id, agency_name=self.name,
                        signing_keyring=self.keyring, trust_anchors=self.pki.trust_bundle, tsa_url=self.pki.tsa_url,
                        exchange_signer=self.signer)

    def start(self, log: Path | None = None) -> Node:
        from ingest.runtime import Runtime

        self.data_dir.mkdir(parents=True, exist_ok=True)
        rt = Runtime(self.settings())  # the schema first: several workers migrating a fresh SQLite file at once collide
        try:
            rt.catalog
            if self.api_key is None:  # every route but the instance-to-instance doors needs credentials
                from ingest.identity import create_api_key

                _row, self.api_key = create_api_key(rt, f"exchange driver {self.agency_id}",
                                                     ["agency_admin", "clerk", "van_thu"], agency_id=self.agency_id)
        finally:
            rt.close()
        out = open(log or self.data_dir / "server.log", "ab")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "uvicorn", "--factory", "api.app:create_app", "--host", "127.0.0.1",
             "--port", str(self.port), "--workers", str(self.workers), "--log-level", "warning"],
            cwd=ROOT, env=self.env(), stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
        return self

    def wait_ready(self, timeout: float = 90) -> Node:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc is not None and self.proc.poll() is not None:
                raise RuntimeError(f"{self.agency_id} exited with {self.proc.returncode}: "
                                   + (self.data_dir / "server.log").read_text(errors="replace")[-3000:])
            try:
                if httpx.get(self.url + "/api/v1/exchange/identity", timeout=2).status_code == 200:
                    return self
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        raise RuntimeError(f"{self.agency_id} did not start within {timeout} s")

    def kill(self) -> None:
        """SIGKILL the whole process group: no shutdown hook runs, as when a machine loses power."""
        if self.proc is not None and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(30)
        self.proc = None

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                self.kill()
        self.proc = None

    def client(self) -> httpx.Client:
        return httpx.Client(base_url=self.url, timeout=60, headers={"X-API-Key": self.api_key} if self.api_key else {})


def introduce(nodes: list[Node]) -> None:
    """Every node's address book lists every other node, with the certificate that node says it signs with."""
    ids = {}
    for n in nodes:
        with n.client() as c:
            ids[n.agency_id] = c.get("/api/v1/exchange/identity").json()
    for n in nodes:
        with n.client() as c:
            for other in nodes:
                if other is n:
                    continue
                r = c.post("/api/v1/exchange/address-book", json={
                    "id": other.agency_id, "name": other.name, "endpoint": other.url,
                    "certificate_pem": ids[other.agency_id]["certificate_pem"]})
                r.raise_for_status()


def sign_decision(node: Node, pdf: bytes, signer: str = "chu-tich", level: str = "B-B") -> bytes:
    """``pdf`` signed by the person with authority (no appearance: the exchange does not care where it is)."""
    from ingest.runtime import Runtime
    from ingest.signatures import sign_pdf, signer_spec

    rt = Runtime(node.settings())
    try:
        return sign_pdf(rt, pdf, signer_spec(rt, signer), role="personal", level=level, appearance="none")
    finally:
        rt.close()


def seed_document(node: Node, pdf: bytes, *, number: str = "125/QĐ-UBND", subject: str = "Về việc công bố danh mục",
                  rt=None) -> str:
    """Put a signed PDF in ``node``'s catalogue as a document, as digitization or signing would have left it."""
    from ingest.runtime import Runtime
    from storage.catalog import Document, DocumentVersion

    own = rt is None
    rt = rt or Runtime(node.settings())
    try:
        sha = rt.store.put_bytes(pdf, "application/pdf").sha256
        fields = {"number_symbol": number, "issue_date": "2026-11-25", "place": "Thử Nghiệm", "subject": subject,
                  "signer_name": "Nguyễn Văn An", "signer_position": "PHÓ CHỦ TỊCH"}
        with rt.catalog.session() as s:
            doc = Document(source_sha256=sha, pdf_sha256=sha, pdf_size=len(pdf), filename="quyet-dinh.pdf",
                           title=subject, mime="application/pdf", page_count=2, doc_type="quyet_dinh",
                           needs_review=False, fields={"type": "quyet_dinh", "fields": {
                               k: {"value": v, "page": 1, "box": None} for k, v in fields.items()}})
            s.add(doc)
            s.flush()
            s.add(DocumentVersion(document_id=doc.id, number=1, kind="personal", pdf_sha256=sha, pdf_size=len(pdf)))
            s.commit()
            return doc.id
    finally:
        if own:
            rt.close()


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()
