"""Checks of everything the pipeline depends on, for /health and ``sohoa doctor``."""

from __future__ import annotations

import shutil
import subprocess

from sqlalchemy import text

from ingest.runtime import Runtime


def check_all(rt: Runtime) -> dict:
    checks: dict[str, dict] = {}

    def run(name, fn):
        try:
            checks[name] = {"ok": True, **(fn() or {})}
        except Exception as exc:
            checks[name] = {"ok": False, "error": str(exc)}

    def catalog():
        with rt.catalog.engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        return {"backend": rt.catalog.engine.url.get_backend_name()}

    def store():
        obj = rt.store.put_bytes(b"sohoa health probe\n", content_type="text/plain")
        if not rt.store.exists(obj.sha256):
            raise RuntimeError("the probe object cannot be read back")
        return {"backend": rt.settings.object_store}

    def tesseract():
        cmd = rt.settings.tesseract_cmd
        if not shutil.which(cmd):
            raise RuntimeError(f"{cmd} not found")
        out = subprocess.run([cmd, "--list-langs"], capture_output=True, text=True, timeout=30)
        langs = [x.strip() for x in out.stdout.splitlines()[1:] if x.strip()]
        missing = [lang for lang in rt.settings.ocr_lang.split("+") if lang not in langs]
        if missing:
            raise RuntimeError(f"Tesseract language data missing: {', '.join(missing)}")
        return {"languages": langs}

    run("catalog", catalog)
    run("object_store", store)
    run("tesseract", tesseract)
    ok = all(c["ok"] for c in checks.values())
    mode = "embedded" if rt.settings.embedded else "celery"
    return {"status": "ok" if ok else "degraded", "mode": mode, "checks": checks}
