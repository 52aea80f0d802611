"""``sohoa doctor``: is this installation able to work, and if not, what to do about it.

Every check answers ok, warn (works, but will not for long or not everywhere) or fail, with a hint for
anything short of ok. It reads the state of things and changes none of it: the catalogue is not migrated
(``/health`` would, by opening it), only a probe object is written to the store. Checks that ``/health`` also
makes come from ``ingest.health``.
"""

from __future__ import annotations

import shutil
from dataclasses import asdict, dataclass
from datetime import datetime, timezone
from pathlib import Path

from ingest import health
from ingest.runtime import Runtime
from ingest.settings import Settings

OK, WARN, FAIL = "ok", "warn", "fail"


@dataclass
class Check:
    name: str
    status: str
    detail: str = ""
    hint: str = ""

    def as_dict(self) -> dict:
        return asdict(self)


def settings_failure(exc: Exception) -> Check:
    """The one check left when the settings themselves do not parse."""
    return Check("settings", FAIL, " ".join(str(exc).split())[:600],
                 "fix the SOHOA_* variable named above (sohoa config lists them with their defaults)")


NAMES = ("settings", "paths", "catalog", "object_store", "broker", "tesseract", "tools", "signing_keys", "trust_anchors",
         "timestamp_authority")


def run(settings: Settings, *, expiry_days: int = 30, only: set[str] | None = None) -> list[Check]:
    """Every check (or those named in ``only``), in the order an operator would fix them."""
    unknown = sorted(set(only or ()) - set(NAMES))
    if unknown:
        raise ValueError(f"no check named {', '.join(unknown)}; the checks are {', '.join(NAMES)}")
    rt = Runtime(settings)
    try:
        checks = [
            ("settings", lambda: [Check("settings", OK, "embedded (in-process runner)" if settings.embedded
                                        else "production (Celery workers)")]),
            ("paths", lambda: _paths(settings)),
            ("catalog", lambda: [_catalog(settings)]),
            ("object_store", lambda: [_guard("object_store", lambda: _ok_store(rt), _store_hint(settings))]),
            ("broker", lambda: [_broker(settings)]),
            ("tesseract", lambda: [_guard("tesseract", lambda: _ok_tesseract(rt), _tesseract_hint(settings))]),
            ("tools", lambda: _tools()),
            ("signing_keys", lambda: _signing(rt, expiry_days)),
            ("trust_anchors", lambda: [_anchors(rt)]),
            ("timestamp_authority", lambda: [_tsa(rt)]),
        ]
        out: list[Check] = []
        for name, fn in checks:
            if only and name not in only:
                continue
            out.extend(fn())
        return out
    finally:
        rt.close()


def failed(checks: list[Check]) -> bool:
    return any(c.status == FAIL for c in checks)


def _guard(name: str, fn, hint: str) -> Check:
    try:
        return Check(name, OK, fn())
    except Exception as exc:
        return Check(name, FAIL, str(exc) or type(exc).__name__, hint)


# --- configuration -----------------------------------------------------------------------------------------


def _paths(s: Settings) -> list[Check]:
    out = []
    if s.data_dir.is_dir():
        writable = _writable(s.data_dir)
        out.append(Check("data_dir", OK if writable else FAIL, str(s.data_dir),
                         "" if writable else f"let this user write to {s.data_dir}, or set SOHOA_DATA_DIR elsewhere"))
    else:
        parent = next((p for p in s.data_dir.parents if p.exists()), Path("/"))
        ok = _writable(parent)
        out.append(Check("data_dir", WARN if ok else FAIL, f"{s.data_dir} does not exist yet",
                         "it is made at the first start" if ok else
                         f"{parent} is not writable: create {s.data_dir} for this user, or set SOHOA_DATA_DIR"))
    for var, path, want in (("SOHOA_SIGNING_KEYRING", s.signing_keyring, "file"),
                            ("SOHOA_TRUST_ANCHORS", s.trust_anchors, "any"),
                            ("SOHOA_RETENTION_TABLE", s.retention_table, "file"),
                            ("SOHOA_STAMP_FONT", s.stamp_font, "file")):
        if path is None:
            continue
        exists = path.is_file() if want == "file" else path.exists()
        out.append(Check(var.removeprefix("SOHOA_").lower(), OK if exists else FAIL, str(path),
                         "" if exists else f"{var} names {path}, which does not exist: fix the path or unset it"))
    if s.metrics_dir is not None:
        target = s.metrics_dir if s.metrics_dir.exists() else next(p for p in s.metrics_dir.parents if p.exists())
        ok = _writable(target)
        out.append(Check("metrics_dir", OK if ok else FAIL, str(s.metrics_dir),
                         "" if ok else "SOHOA_METRICS_DIR must be writable by the API and every worker of this host"))
    return out


def _writable(path: Path) -> bool:
    import os

    return os.access(path, os.W_OK | os.X_OK)


# --- services ----------------------------------------------------------------------------------------------


def _catalog(s: Settings) -> Check:
    from sqlalchemy import create_engine

    from storage.catalog import schema_revisions

    url = s.catalog_url
    if url.startswith("sqlite") and not (s.data_dir / "catalog.sqlite3").exists() and not s.database_url:
        return Check("catalog", WARN, "no SQLite catalogue yet", "it is made and migrated at the first start")
    engine = create_engine(url, pool_pre_ping=True, connect_args={"connect_timeout": 5} if url.startswith("postgres") else {})
    try:
        current, heads, known = schema_revisions(engine)
    except Exception as exc:
        return Check("catalog", FAIL, " ".join(str(exc).split())[:300],
                     "start the database, or fix SOHOA_DATABASE_URL (host, port, user, password, database name)")
    finally:
        engine.dispose()
    backend = url.split(":", 1)[0]
    if current == heads:
        return Check("catalog", OK, f"{backend}, schema at {', '.join(sorted(heads))}")
    return Check("catalog", FAIL, f"{backend}, schema at {', '.join(sorted(current)) or 'nothing'}, "
                 f"the code expects {', '.join(sorted(heads))}",
                 "migrate it: any sohoa command that opens the catalogue does, e.g. `sohoa serve` or `sohoa user list`"
                 if current <= known else "the database is newer than this code: run the matching sohoa version")


def _ok_store(rt: Runtime) -> str:
    health.store(rt)
    s = rt.settings
    return f"{s.object_store}: " + (f"{s.minio_endpoint}/{s.minio_bucket}" if s.object_store == "minio" else str(s.objects_dir))


def _store_hint(s: Settings) -> str:
    if s.object_store == "minio":
        return "start MinIO, or fix SOHOA_MINIO_ENDPOINT / _ACCESS_KEY / _SECRET_KEY / _BUCKET (and _SECURE for HTTPS)"
    return f"let this user write to {s.objects_dir}"


def _broker(s: Settings) -> Check:
    if s.embedded:
        return Check("broker", OK, "none: the embedded runner works in-process")
    from kombu import Connection

    from ingest.metrics import QueueCollector

    shown = s.broker_url.split("@")[-1]  # never print a password given in the URL
    try:
        with Connection(s.broker_url, connect_timeout=3) as conn:
            conn.ensure_connection(max_retries=1, interval_start=0, interval_step=0, timeout=5)
        depth = QueueCollector(s.broker_url).depth()
    except Exception as exc:
        return Check("broker", FAIL, f"{shown}: {' '.join(str(exc).split())[:200]}",
                     "start Redis, or fix SOHOA_BROKER_URL (redis://[:password@]host:port/db); "
                     "unset it for the embedded mode")
    queued = f", {depth['waiting']} task(s) waiting, {depth['unacked']} in progress" if depth else ""
    return Check("broker", OK, shown + queued)


def _ok_tesseract(rt: Runtime) -> str:
    langs = health.tesseract(rt)["languages"]
    return f"languages {rt.settings.ocr_lang} present ({len(langs)} installed)"


def _tesseract_hint(s: Settings) -> str:
    packages = " ".join(f"tesseract-ocr-{lang}" for lang in s.ocr_lang.split("+"))
    return f"apt-get install tesseract-ocr {packages} (or set SOHOA_TESSERACT_CMD)"


def _tools() -> list[Check]:
    out = []
    for tool, package, why in (("pdftoppm", "poppler-utils", "renders PDF pages"), ("qpdf", "qpdf", "checks every PDF written")):
        path = shutil.which(tool)
        out.append(Check(tool, OK if path else FAIL, path or f"not installed ({why})", "" if path else f"apt-get install {package}"))
    return out


# --- signing -----------------------------------------------------------------------------------------------


def _signing(rt: Runtime, expiry_days: int) -> list[Check]:
    if not rt.settings.signing_keyring:
        return [Check("signing_keys", OK, "signing off (no SOHOA_SIGNING_KEYRING)")]
    from ingest.signatures import SignatureRefused, keyring

    try:
        ring = keyring(rt)
    except SignatureRefused as exc:
        return [Check("signing_keys", FAIL, str(exc), "fix SOHOA_SIGNING_KEYRING: a readable TOML file with [signers.ID] tables")]
    if not ring:
        return [Check("signing_keys", WARN, "the keyring names no signer", "add [signers.ID] tables to the keyring")]
    return [_signer(sid, spec, expiry_days) for sid, spec in sorted(ring.items())]


def _signer(sid: str, spec, expiry_days: int) -> Check:
    from signing.keys import open_signer, signer_certificate

    name = f"signer {sid}"
    if spec.kind == "pkcs11" and not Path(spec.pkcs11_module).exists():
        return Check(name, FAIL, f"PKCS#11 module {spec.pkcs11_module} not found",
                     "install the token's driver (SoftHSM2: apt-get install softhsm2) or fix pkcs11_module")
    if spec.kind == "pkcs12" and not (spec.pkcs12 and spec.pkcs12.is_file()):
        return Check(name, FAIL, f"PKCS#12 file {spec.pkcs12} not found", "fix the pkcs12 path in the keyring")
    try:
        pin = spec.secret()
    except Exception as exc:
        return Check(name, FAIL, str(exc), "make the secrets file readable by this user")
    if pin is None:
        ref = spec.secret_env or spec.secret_file or "a PIN"
        return Check(name, WARN, f"{spec.role}, {spec.kind}: no PIN here ({ref} not set), so not opened",
                     f"set {spec.secret_env} to check the key, or leave it to be given with each request"
                     if spec.secret_env else "the PIN comes with each request: the key is checked then")
    try:
        cert = signer_certificate(open_signer(spec))
    except Exception as exc:
        where = "is the token plugged in and its label right (token_label), and the PIN right?" if spec.kind == "pkcs11" \
            else "is the passphrase right and the file a PKCS#12 with a key?"
        return Check(name, FAIL, " ".join(str(exc).split())[:300], where)
    return _validity(name, spec, cert, expiry_days)


def _validity(name: str, spec, cert, expiry_days: int, now: datetime | None = None) -> Check:
    now = now or datetime.now(timezone.utc)
    before, after = cert.not_valid_before, cert.not_valid_after
    what = f"{spec.role}, {spec.kind}, certificate valid {before:%Y-%m-%d} to {after:%Y-%m-%d}"
    if now < before:
        return Check(name, FAIL, what + " (not valid yet)", "check the clock of this machine, or wait for the date")
    if now >= after:
        return Check(name, FAIL, what + " (expired)", "renew the certificate with the CA and replace it in the keyring")
    days = (after - now).days
    if days < expiry_days:
        return Check(name, WARN, what + f" (expires in {days} days)", "ask the CA for the renewal now")
    return Check(name, OK, what)


def _anchors(rt: Runtime) -> Check:
    if not rt.settings.trust_anchors:
        return Check("trust_anchors", OK, "validation off (no SOHOA_TRUST_ANCHORS)")
    try:
        n = health.trust_anchors(rt)["anchors"]
    except Exception as exc:
        return Check("trust_anchors", FAIL, str(exc), "SOHOA_TRUST_ANCHORS: a directory of PEM/DER roots or a PEM bundle")
    if not n:
        return Check("trust_anchors", FAIL, "no certificate found", "put the root CA certificates there")
    return Check("trust_anchors", OK, f"{n} root certificate(s)")


def _tsa(rt: Runtime) -> Check:
    if not rt.settings.tsa_url:
        level = rt.settings.signature_level
        if rt.settings.signing_keyring and level != "B-B":
            return Check("timestamp_authority", FAIL, f"none, but signatures are made at {level}",
                         "set SOHOA_TSA_URL, or SOHOA_SIGNATURE_LEVEL=B-B")
        return Check("timestamp_authority", OK, "none configured")
    return _guard("timestamp_authority", lambda: f"{rt.settings.tsa_url}: a timestamp token of "
                  f"{health.timestamp_authority(rt)['token_bytes']} bytes",
                  "is the TSA up and reachable from here (proxy, firewall)? fix SOHOA_TSA_URL")
