"""Small helpers shared by tests: run a batch in-process, read a stored PDF's text, fake Tesseracts."""

from __future__ import annotations

import subprocess
import unicodedata
from pathlib import Path

from ingest.intake import Incoming, intake
from ingest.runner import EmbeddedRunner
from ingest.status import batch_status


def digitize(rt, paths: list[Path], names: list[str] | None = None, source: str = "cli") -> dict:
    names = names or [p.name for p in paths]
    batch = intake(rt, [Incoming(p, n) for p, n in zip(paths, names)], source=source)
    runner = EmbeddedRunner(rt)
    try:
        runner.run(batch.id)
    finally:
        runner.close()
    return batch_status(rt, batch.id)


def pdftotext(path: Path) -> str:
    out = subprocess.run(["pdftotext", "-enc", "UTF-8", str(path), "-"], capture_output=True, check=True)
    return unicodedata.normalize("NFC", out.stdout.decode("utf-8"))


def qpdf_check(path: Path) -> None:
    subprocess.run(["qpdf", "--check", str(path)], capture_output=True, check=True)


def fake_tesseract(tmp_path: Path, behaviour: str) -> str:
    """A Tesseract stand-in that crashes (SIGSEGV) or hangs on recognition, but answers --list-langs.

    OSD calls (``--psm 0``) are passed to the real binary so only recognition misbehaves.
    """
    script = tmp_path / f"tesseract-{behaviour}"
    action = 'kill -SEGV $$' if behaviour == "crash" else "sleep 60"
    script.write_text(
        "#!/bin/bash\n"
        'for a in "$@"; do case "$a" in --list-langs|--version) exec tesseract "$@";; esac; done\n'
        'if [[ " $* " == *" --psm 0 "* ]]; then exec tesseract "$@"; fi\n'
        f"{action}\n"
    )
    script.chmod(0o755)
    return str(script)


def wait_for_batch(client, batch_id: str, timeout: float = 240) -> dict:
    """Poll GET /api/v1/batches/{id} until the batch is finished; return its last state."""
    import time

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        body = client.get(f"/api/v1/batches/{batch_id}").json()
        if body["state"] in ("done", "partial", "failed"):
            return body
        time.sleep(0.3)
    raise AssertionError(f"batch {batch_id} did not finish: {body}")
