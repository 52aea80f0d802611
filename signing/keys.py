"""Signing keys: PKCS#12 files and PKCS#11 tokens, described in a keyring file and opened once per process.

A keyring is a TOML file an administrator writes, one table per signer::

    [signers.chu-tich]                      # a person with signing authority
    role = "personal"
    pkcs12 = "/etc/sohoa/keys/chu-tich.p12"
    passphrase_env = "SOHOA_PIN_CHU_TICH"   # or passphrase_file = "/run/secrets/chu-tich"
    image = "/etc/sohoa/images/chu-tich-signature.png"

    [signers.van-thu]                       # the agency's seal, on a hardware token
    role = "agency"
    agency = "Ủy ban nhân dân tỉnh Thử Nghiệm"
    pkcs11_module = "/usr/lib/softhsm/libsofthsm2.so"
    token_label = "sohoa"
    key_label = "agency"
    pin_env = "SOHOA_TOKEN_PIN"
    image = "/etc/sohoa/images/seal.png"

PINs and passphrases come from the environment, a secrets file or the caller, are held only in memory, and
never reach a log or the catalog (``KeySpec``'s repr leaves them out). Opening a key costs tens of
milliseconds (PKCS#12 key derivation, a token login), so opened signers are cached per process.
"""

from __future__ import annotations

import hashlib
import os
import threading
import tomllib
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

from asn1crypto import x509
from pyhanko.keys import load_cert_from_pemder
from pyhanko.sign import signers
from pyhanko.sign.general import load_certs_from_pemder

ROLES = ("personal", "agency")


class SigningKeyError(Exception):
    """A signer that is not configured or cannot be opened (wrong PIN, missing token, unreadable file)."""


@dataclass(frozen=True)
class KeySpec:
    """Where one signer's key lives and how it is shown; secrets are referenced, never held here."""

    id: str
    role: str
    pkcs12: Path | None = None
    pkcs11_module: str | None = None
    token_label: str | None = None
    key_label: str | None = None
    cert_label: str | None = None
    cert: Path | None = None  # the certificate, when the token does not hold it
    chain: tuple[Path, ...] = ()  # intermediate certificates to embed
    secret_env: str | None = field(default=None, repr=False)
    secret_file: Path | None = field(default=None, repr=False)
    image: Path | None = None  # handwritten signature (personal) or seal (agency)
    name: str = ""  # shown on stamps; defaults to the certificate's common name
    agency: str = ""  # the agency a copy is certified by
    algorithm: str = "sha256"

    @property
    def kind(self) -> str:
        return "pkcs11" if self.pkcs11_module else "pkcs12"

    def secret(self, given: str | None = None) -> str | None:
        """The PIN or passphrase: the caller's, else the environment's, else the secrets file's."""
        if given:
            return given
        if self.secret_env and os.environ.get(self.secret_env):
            return os.environ[self.secret_env]
        if self.secret_file:
            try:
                return self.secret_file.read_text(encoding="utf-8").strip()
            except OSError as exc:
                raise SigningKeyError(f"signer {self.id}: cannot read its secrets file: {exc.strerror}") from None
        return None


def load_keyring(path: Path) -> dict[str, KeySpec]:
    """Parse a keyring file; every mistake is reported with the signer it concerns."""
    try:
        data = tomllib.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise SigningKeyError(f"keyring {path} does not exist") from None
    except (OSError, tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise SigningKeyError(f"keyring {path} cannot be read: {exc}") from None
    base = Path(path).parent
    out: dict[str, KeySpec] = {}
    for sid, t in (data.get("signers") or {}).items():
        if not isinstance(t, dict):
            raise SigningKeyError(f"keyring {path}: signers.{sid} must be a table")
        role = t.get("role", "personal")
        if role not in ROLES:
            raise SigningKeyError(f"signer {sid}: role must be one of {', '.join(ROLES)}, not {role!r}")
        if bool(t.get("pkcs12")) == bool(t.get("pkcs11_module")):
            raise SigningKeyError(f"signer {sid}: give exactly one of pkcs12 or pkcs11_module")

        def p(key: str) -> Path | None:
            v = t.get(key)
            return (base / v).resolve() if v else None

        out[sid] = KeySpec(
            id=sid, role=role, pkcs12=p("pkcs12"), pkcs11_module=t.get("pkcs11_module"),
            token_label=t.get("token_label"), key_label=t.get("key_label"), cert_label=t.get("cert_label"),
            cert=p("cert"), chain=tuple((base / c).resolve() for c in t.get("chain", [])),
            secret_env=t.get("passphrase_env") or t.get("pin_env"),
            secret_file=p("passphrase_file") or p("pin_file"), image=p("image"),
            name=unicodedata.normalize("NFC", t.get("name", "")),
            agency=unicodedata.normalize("NFC", t.get("agency", "")), algorithm=t.get("algorithm", "sha256"),
        )
    return out


_cache: dict[tuple, signers.Signer] = {}
_sessions: dict[tuple, object] = {}
_lock = threading.Lock()


def open_signer(spec: KeySpec, secret: str | None = None) -> signers.Signer:
    """A ready pyHanko signer for ``spec``, opened once and then reused (the secret is not kept as a key)."""
    stamp = spec.pkcs12.stat().st_mtime_ns if spec.pkcs12 and spec.pkcs12.exists() else 0
    pin = spec.secret(secret)
    key = (spec, stamp, _digest(pin))
    with _lock:
        signer = _cache.get(key)
        if signer is None:
            signer = _open_pkcs11(spec, pin) if spec.kind == "pkcs11" else _open_pkcs12(spec, pin)
            check_key_strength(spec.id, signer_certificate(signer))
            _cache[key] = signer
        return signer


MIN_RSA_BITS = 2048
ALLOWED_CURVES = ("secp256r1", "secp384r1", "secp521r1")


def check_key_strength(spec_id: str, cert: x509.Certificate) -> None:
    """Refuse keys too weak for a specialized signature: RSA below 2048 bits, EC off the NIST P curves."""
    key = cert.public_key
    algo = key.algorithm
    if algo == "rsa" and key.bit_size < MIN_RSA_BITS:
        raise SigningKeyError(f"signer {spec_id}: an RSA key of {key.bit_size} bits is too weak (at least {MIN_RSA_BITS})")
    if algo == "ec" and key.curve[1] not in ALLOWED_CURVES:
        raise SigningKeyError(f"signer {spec_id}: elliptic curve {key.curve[1]} is not allowed (P-256, P-384, P-521)")
    if algo not in ("rsa", "ec", "rsassa_pss"):
        raise SigningKeyError(f"signer {spec_id}: {algo} keys are not supported (RSA or ECDSA)")


def signer_certificate(signer: signers.Signer) -> x509.Certificate:
    cert = signer.signing_cert
    if cert is None:
        raise SigningKeyError("the signing key has no certificate")
    return cert


def forget_signers() -> None:
    """Drop cached signers and close token sessions (tests, key rotation)."""
    with _lock:
        _cache.clear()
        for s in _sessions.values():
            try:
                s.close()
            except Exception:
                pass
        _sessions.clear()


def _digest(secret: str | None) -> str:
    return hashlib.sha256((secret or "").encode()).hexdigest()


def _chain(spec: KeySpec) -> list[x509.Certificate]:
    try:
        return [c for path in spec.chain for c in load_certs_from_pemder([str(path)])]
    except (OSError, ValueError) as exc:
        raise SigningKeyError(f"signer {spec.id}: cannot read its certificate chain: {exc}") from None


class CachedKeySigner(signers.SimpleSigner):
    """pyHanko's in-memory signer, but the private key is parsed once instead of at every raw signature.

    ``SimpleSigner.sign_raw`` re-reads the key from DER each time; OpenSSL 3 re-checks an RSA key on every load
    (~50 ms), which would be most of a signature's cost."""

    _parsed = None

    def sign_raw(self, data: bytes, digest_algorithm: str) -> bytes:
        from cryptography.hazmat.primitives import serialization
        from cryptography.hazmat.primitives.asymmetric.ec import ECDSA, EllipticCurvePrivateKey
        from cryptography.hazmat.primitives.asymmetric.padding import PKCS1v15
        from cryptography.hazmat.primitives.asymmetric.rsa import RSAPrivateKey
        from pyhanko.sign.general import get_pyca_cryptography_hash

        mechanism = self.get_signature_mechanism_for_digest(digest_algorithm)["algorithm"].native
        if self._parsed is None:
            self._parsed = serialization.load_der_private_key(self.signing_key.dump(), password=None)
        key, hash_algo = self._parsed, get_pyca_cryptography_hash(digest_algorithm)
        if mechanism in ("rsassa_pkcs1v15", "sha256_rsa", "sha384_rsa", "sha512_rsa") and isinstance(key, RSAPrivateKey):
            return key.sign(data, PKCS1v15(), hash_algo)
        if mechanism.endswith("ecdsa") and isinstance(key, EllipticCurvePrivateKey):
            return key.sign(data, signature_algorithm=ECDSA(hash_algo))
        return super().sign_raw(data, digest_algorithm)  # PSS, EdDSA, ML-DSA: as pyHanko does it


def _open_pkcs12(spec: KeySpec, passphrase: str | None) -> signers.Signer:
    try:
        data = spec.pkcs12.read_bytes()
    except OSError as exc:
        raise SigningKeyError(f"signer {spec.id}: cannot read {spec.pkcs12.name}: {exc.strerror}") from None
    try:
        signer = signers.SimpleSigner.load_pkcs12_data(data, other_certs=_chain(spec),
                                                       passphrase=passphrase.encode() if passphrase else None)
    except Exception:
        signer = None
    if signer is None or signer.signing_cert is None:
        raise SigningKeyError(f"signer {spec.id}: the PKCS#12 file could not be opened (wrong passphrase or not PKCS#12)")
    signer.__class__ = CachedKeySigner  # load_pkcs12_data builds a plain SimpleSigner whatever class it is called on
    return signer


def _open_pkcs11(spec: KeySpec, pin: str | None) -> signers.Signer:
    from pkcs11 import exceptions as p11x
    from pyhanko.sign import pkcs11 as p11

    if pin is None:
        raise SigningKeyError(f"signer {spec.id}: no PIN for token {spec.token_label!r} (set {spec.secret_env or 'pin_env'})")
    skey = (spec.pkcs11_module, spec.token_label, _digest(pin))
    try:
        session = _sessions.get(skey)
        if session is None:
            session = _sessions[skey] = p11.open_pkcs11_session(
                spec.pkcs11_module, token_criteria=p11.TokenCriteria(label=spec.token_label), user_pin=pin)
        cert = load_cert_from_pemder(str(spec.cert)) if spec.cert else None
        return p11.PKCS11Signer(session, cert_label=None if cert else (spec.cert_label or spec.key_label),
                                signing_cert=cert, key_label=spec.key_label, ca_chain=_chain(spec) or None,
                                other_certs_to_pull=None, bulk_fetch=False)
    except p11x.PinIncorrect:
        raise SigningKeyError(f"signer {spec.id}: the token refused the PIN") from None
    except (p11x.PKCS11Error, OSError, RuntimeError) as exc:
        raise SigningKeyError(f"signer {spec.id}: token {spec.token_label!r} could not be used: {type(exc).__name__} {exc}") from None
