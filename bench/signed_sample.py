"""Render README's sample signed page: the sample decision digitized, signed by the person, then the agency.

It runs the real path — upload through the API, OCR, signature jobs with the automatic Decree 30 placement —
against the test PKI, validates the result, and writes ``docs/signed-page.png`` (pdftoppm) and the verdict.

    .venv/bin/python bench/signed_sample.py
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from fastapi.testclient import TestClient  # noqa: E402

from api.app import create_app  # noqa: E402
from bench.testpki import running_pki  # noqa: E402
from bench.testpki.samples import PASSPHRASE_ENV, decree30_pdf, write_keyring  # noqa: E402
from ingest.settings import Settings  # noqa: E402


def _wait(client, url: str, done: tuple[str, ...]) -> dict:
    while (body := client.get(url).json())["state"] not in done:
        time.sleep(0.2)
    return body


def main(out: Path = ROOT / "docs" / "signed-page.png") -> int:
    with tempfile.TemporaryDirectory() as tmp, running_pki(Path(tmp) / "pki") as pki:
        os.environ[PASSPHRASE_ENV] = pki.passphrase.decode()
        settings = Settings(data_dir=Path(tmp) / "var", signing_keyring=write_keyring(pki, Path(tmp) / "keys"),
                            trust_anchors=pki.trust_bundle, tsa_url=pki.tsa_url)
        with TestClient(create_app(settings)) as c:
            batch = c.post("/api/v1/batches", files=[("files", ("quyet-dinh.pdf", decree30_pdf(), "application/pdf"))]).json()
            doc = _wait(c, f"/api/v1/batches/{batch['id']}", ("done", "partial", "failed"))["files"][0]["document_id"]
            for signer, level in (("chu-tich", "B-LT"), ("van-thu", "B-LTA")):
                job = c.post(f"/api/v1/documents/{doc}/sign", json={"signer": signer, "level": level}).json()
                job = _wait(c, f"/api/v1/sign-jobs/{job['id']}", ("done", "failed"))
                if job["state"] != "done":
                    print(f"{signer}: {job['error']}", file=sys.stderr)
                    return 1
            report = c.get(f"/api/v1/documents/{doc}/validation").json()
            pdf = Path(tmp) / "signed.pdf"
            pdf.write_bytes(c.get(f"/api/v1/documents/{doc}/pdf").content)
        subprocess.run(["pdftoppm", "-r", "70", "-png", "-singlefile", "-f", "1", "-l", "1", str(pdf), str(out.with_suffix(""))],
                       check=True)
    print(f"{out.relative_to(ROOT)}: {report['verdict']} — {report['summary']}")
    return 0 if report["verdict"] == "TOTAL_PASSED" else 1


if __name__ == "__main__":
    sys.exit(main())
