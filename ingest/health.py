"""Checks of everything the pipeline depends on, for /health and ``sohoa doctor`` (``ingest.doctor``).

Each check is a function of the runtime that returns details or raises with the reason; ``check_all`` runs
the ones /health reports.
"""

from __future__ import annotations

import shutil
import subprocess

from sqlalchemy import text

from ingest.runtime import Runtime


def catalog(rt: Runtime) -> dict:
    with rt.catalog.engine.connect() as conn:
        conn.execute(text("SELECT 1"))
    return {"backend": rt.catalog.engine.url.get_backend_name()}


def store(rt: Runtime) -> dict:
    obj = rt.store.put_bytes(b"sohoa health probe\n", content_type="text/plain")
    if not rt.store.exists(obj.sha256):
        raise RuntimeError("the probe object cannot be read back")
    return {"backend": rt.settings.object_store}


def tesseract(rt: Runtime) -> dict:
    cmd = rt.settings.tesseract_cmd
    if not shutil.which(cmd):
        raise RuntimeError(f"{cmd} not found")
    out = subprocess.run([cmd, "--list-langs"], capture_output=True, text=True, timeout=30)
    langs = [x.strip() for x in out.stdout.splitlines()[1:] if x.strip()]
    missing = [lang for lang in rt.settings.ocr_lang.split("+") if lang not in langs]
    if missing:
        raise RuntimeError(f"Tesseract language data missing: {', '.join(missing)}")
    return {"languages": langs}


def signing_keys(rt: Runtime) -> dict:
    from ingest.signatures import keyring
    from signing.keys import open_signer

    signers = {}
    for sid, spec in keyring(rt).items():
        if spec.secret() is None:
            signers[sid] = "PIN given with each request"
            continue
        cert = open_signer(spec).signing_cert  # raises with the signer's name when it cannot be opened
        signers[sid] = f"{spec.role}, {spec.kind}, certificate valid until {cert.not_valid_after:%Y-%m-%d}"
    return {"signers": signers}


def trust_anchors(rt: Runtime) -> dict:
    from signing.trust import load_anchors

    return {"anchors": len(load_anchors(rt.settings.trust_anchors))}


def timestamp_authority(rt: Runtime) -> dict:
    import asyncio
    import hashlib

    from ingest.signatures import service

    stamper = service(rt).timestamper()
    token = asyncio.run(stamper.async_timestamp(hashlib.sha256(b"sohoa health probe").digest(), "sha256"))
    return {"url": rt.settings.tsa_url, "token_bytes": len(token.dump())}


def check_all(rt: Runtime) -> dict:
    checks: dict[str, dict] = {}

    def run(name, fn):
        try:
            checks[name] = {"ok": True, **(fn(rt) or {})}
        except Exception as exc:
            checks[name] = {"ok": False, "error": str(exc)}

    run("catalog", catalog)
    run("object_store", store)
    run("tesseract", tesseract)
    # signing parts are checked only where configured: an installation without signing is not degraded
    if rt.settings.signing_keyring:
        run("signing_keys", signing_keys)
    if rt.settings.trust_anchors:
        run("trust_anchors", trust_anchors)
    if rt.settings.tsa_url:
        run("timestamp_authority", timestamp_authority)
    ok = all(c["ok"] for c in checks.values())
    mode = "embedded" if rt.settings.embedded else "celery"
    return {"status": "ok" if ok else "degraded", "mode": mode, "checks": checks}
