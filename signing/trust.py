"""Trust anchors: the government roots, configured explicitly (a directory or a PEM bundle), never the OS store.

Every signature sohoa makes or checks is judged against these anchors only. Loaded certificates are cached by
path and modification time, so a validation does not re-read the directory.
"""

from __future__ import annotations

import threading
from pathlib import Path

from asn1crypto import pem, x509

_SUFFIXES = {".pem", ".crt", ".cer", ".der"}
_cache: dict[tuple, tuple[x509.Certificate, ...]] = {}
_lock = threading.Lock()


class TrustError(Exception):
    """The configured anchors are missing or unreadable."""


def load_anchors(path: Path | str | None) -> tuple[x509.Certificate, ...]:
    """Certificates from a bundle file or from every certificate file of a directory."""
    if not path:
        raise TrustError("no trust anchors are configured (set SOHOA_TRUST_ANCHORS to a directory or a PEM bundle)")
    path = Path(path)
    if not path.exists():
        raise TrustError(f"trust anchors {path} do not exist")
    files = sorted(p for p in path.iterdir() if p.suffix.lower() in _SUFFIXES) if path.is_dir() else [path]
    key = tuple((str(f), f.stat().st_mtime_ns) for f in files)
    with _lock:
        if key in _cache:
            return _cache[key]
    certs: list[x509.Certificate] = []
    for f in files:
        certs += read_certificates(f.read_bytes(), f.name)
    if not certs:
        raise TrustError(f"no certificate found in {path}")
    with _lock:
        _cache[key] = tuple(certs)
    return _cache[key]


def read_certificates(data: bytes, name: str = "certificate") -> list[x509.Certificate]:
    """PEM (one or several) or DER certificates."""
    try:
        if pem.detect(data):
            return [x509.Certificate.load(der) for kind, _h, der in pem.unarmor(data, multiple=True)
                    if kind == "CERTIFICATE"]
        cert = x509.Certificate.load(data)
        cert.native  # parse now: a broken file fails here, not in the middle of a validation
        return [cert]
    except (ValueError, TypeError) as exc:
        raise TrustError(f"{name} is not a certificate: {exc}") from None
