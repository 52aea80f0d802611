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


STAFF_ROLES = ("clerk", "signer", "van_thu", "agency_admin")
TEST_AGENCY = "000.00.12.H01"
TEST_PASSWORD = "mật khẩu thử nghiệm"


def bearer(rt, roles=STAFF_ROLES, *, agency: str | None = TEST_AGENCY, username: str | None = None,
           citizen_id: str | None = None, signer_key: str | None = "chu-tich") -> dict:
    """An Authorization header for a new user with ``roles`` (a citizen when ``citizen_id`` is given); a signer
    signs with the test keyring's ``chu-tich`` key unless told otherwise."""
    from ingest import identity

    name = username or ("citizen-" + citizen_id if citizen_id else "u-" + "-".join(sorted(roles)) + "-" + (agency or "x"))
    if signer_key != "chu-tich" and not citizen_id:
        name += "-" + (signer_key or "nokey")
    name = name.lower().replace(".", "-")[:64]
    existing = {u.username: u for u in identity.list_users(rt)}
    user = existing.get(name) or identity.create_user(
        rt, name, TEST_PASSWORD, list(roles), agency_id=None if citizen_id else agency, citizen_id=citizen_id,
        signer_key=None if citizen_id else signer_key)
    token, _ = identity.issue_token(rt, identity._principal(user))
    return {"Authorization": f"Bearer {token}"}


def staff(client, roles=STAFF_ROLES, agency: str | None = TEST_AGENCY, signer_key: str | None = "chu-tich"):
    """``client`` logged in as staff of ``agency`` holding ``roles`` (every working role by default)."""
    client.headers.update(bearer(client.app.state.rt, roles, agency=agency, signer_key=signer_key))
    return client
