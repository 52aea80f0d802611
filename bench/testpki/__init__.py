"""A throw-away PKI for the signing tests and benches: CAs, signers, OCSP, CRLs and TSAs on 127.0.0.1.

Why here: the tests need real revocation and time-stamping services that can say "revoked" or "expired", and
the benches need the same PKI without importing ``tests/``. The PKI is described as data in ``pki.yml`` (a
certomancer configuration with relative dates and a URL placeholder, rendered at start-up) and served by
certomancer's Animator under werkzeug in a daemon thread.

    with running_pki(tmp_dir) as pki:
        pki.p12("personal"), pki.passphrase       # PKCS#12 of a signer, chain included
        pki.trust_bundle                          # PEM with only the test root
        pki.tsa_url, pki.ocsp_url, pki.crl_url("sub-ca")

    python -m bench.testpki DIR                   # same, prints URLs and paths until Ctrl-C

Signers (``LEAF_LABELS``, each with a PKCS#12): personal, personal-ec (ECDSA P-256), agency, revoked, expired,
wrong-usage, untrusted (chains to "Untrusted Root", which is not in the trust bundle). The TSAs tsa and tsa-short
have a PKCS#12 too; ``cert_pem``/``key_pem`` also know root, sub-ca, ocsp-sub-ca and untrusted-root.

Service URLs follow certomancer's scheme, ``{base_url}/sohoa/ocsp/sub-ca``, ``/sohoa/crls/{ca}/latest.crl``,
``/sohoa/tsa/{tsa,tsa-short}``, and are the ones embedded in the certificates (AIA, CRL distribution points).
The animator answers "as of now" unless a request carries ``X-Certomancer-Fake-Time: <ISO datetime>``.

Keys are generated with ``cryptography`` into ``DIR/keys`` on first use and reused when the directory is reused;
no private key is committed.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import subprocess
import sys
import threading
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Iterator

import yaml

TEMPLATE = Path(__file__).with_name("pki.yml")
ARCH = "sohoa"
PASSPHRASE = b"sohoa-test-pki"
LEAF_LABELS = ("personal", "personal-ec", "agency", "revoked", "expired", "wrong-usage", "untrusted")
P12_LABELS = LEAF_LABELS + ("tsa", "tsa-short")
CA_LABELS = ("root", "sub-ca", "untrusted-root")

SOFTHSM_MODULE = os.environ.get("SOHOA_TEST_PKCS11_MODULE", "/usr/lib/softhsm/libsofthsm2.so")

_PLACEHOLDER = re.compile(r"\$\{([^}]*)\}")
_OFFSET = re.compile(r"NOW(?:([+-])(\d+)([dhm]))?")
_UNITS = {"d": "days", "h": "hours", "m": "minutes"}


def render_config(template: str, base_url: str, now: datetime) -> str:
    """Replace ``${BASE_URL}`` and ``${NOW±Nd|h|m}`` so certomancer gets absolute values valid around ``now``."""

    def sub(m: re.Match) -> str:
        name = m.group(1).strip()
        if name == "BASE_URL":
            return base_url
        off = _OFFSET.fullmatch(name)
        if off is None:
            raise ValueError(f"pki.yml: unknown placeholder ${{{name}}}")
        when = now
        if off.group(1):
            delta = timedelta(**{_UNITS[off.group(3)]: int(off.group(2))})
            when = now + delta if off.group(1) == "+" else now - delta
        return when.strftime("%Y-%m-%dT%H:%M:%S+0000")

    return _PLACEHOLDER.sub(sub, template)


def _generate_keys(config: dict[str, Any], key_dir: Path) -> None:
    """Certomancer only loads keys from files; create the missing ones (RSA-2048 unless ``generate-keys`` says)."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec, rsa

    spec = config.get("generate-keys", {})
    kinds = {label: kind for kind, labels in spec.items() if kind != "default" for label in labels}
    default = spec.get("default", "rsa-2048")
    for keyset in config["keysets"].values():
        prefix = key_dir / keyset.get("path-prefix", "")
        prefix.mkdir(parents=True, exist_ok=True)
        for label, key_cfg in keyset["keys"].items():
            path = prefix / key_cfg["path"]
            if path.exists():
                continue
            kind = kinds.get(label, default)
            if kind == "rsa-2048":
                key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
            elif kind == "ec-p256":
                key = ec.generate_private_key(ec.SECP256R1())
            else:
                raise ValueError(f"pki.yml: unknown key type {kind!r} for {label}")
            pem = key.private_bytes(
                serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
            )
            tmp = path.with_suffix(".tmp")
            tmp.write_bytes(pem)
            os.chmod(tmp, 0o600)
            tmp.replace(path)


class _KeyCache:
    """Private keys parsed once: OpenSSL 3 re-checks an RSA-2048 key on every load (~40 ms), and certomancer
    reloads the key for every certificate, CRL, OCSP response and time stamp it signs."""

    def __init__(self) -> None:
        self._keys: dict[bytes, Any] = {}
        self._lock = threading.Lock()

    def get(self, der: bytes):
        key = self._keys.get(der)
        if key is None:
            from cryptography.hazmat.primitives.serialization import load_der_private_key

            key = load_der_private_key(der, password=None, unsafe_skip_rsa_key_validation=True)
            with self._lock:
                self._keys[der] = key
        return key


_KEYS = _KeyCache()


def _install_fast_backend() -> None:
    """Make certomancer sign with cached key objects (its backend is a module global looked up per call)."""
    from certomancer import crypto_utils

    if getattr(crypto_utils.CRYPTO_BACKEND, "_sohoa_fast", False):
        return

    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec, padding

    class FastBackend(crypto_utils.PycaCryptographyBackend):
        _sohoa_fast = True

        def load_private_key(self, key_bytes, password):
            from asn1crypto import keys, pem

            if password is not None:
                return super().load_private_key(key_bytes, password)
            der = pem.unarmor(key_bytes)[2] if pem.detect(key_bytes) else key_bytes
            key = _KEYS.get(der)
            fmt = serialization.PrivateFormat.PKCS8
            pki = keys.PrivateKeyInfo.load(
                key.private_bytes(serialization.Encoding.DER, fmt, serialization.NoEncryption())
            )
            _KEYS._keys.setdefault(pki.dump(), key)
            pub = keys.PublicKeyInfo.load(
                key.public_key().public_bytes(
                    serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
                )
            )
            return pki, pub

        def generic_sign(self, private_key, tbs_bytes, sd_algo):
            algo = sd_algo.signature_algo
            if algo not in ("rsassa_pkcs1v15", "ecdsa"):
                return super().generic_sign(private_key, tbs_bytes, sd_algo)
            key = _KEYS.get(private_key.dump())
            md = getattr(hashes, sd_algo.hash_algo.upper())()
            if algo == "ecdsa":
                return key.sign(tbs_bytes, ec.ECDSA(md))
            return key.sign(tbs_bytes, padding.PKCS1v15(), md)

    crypto_utils.CRYPTO_BACKEND = FastBackend()


@dataclass
class TestPKI:
    """Where the running test PKI lives: URLs of its services and paths of the files it wrote."""

    __test__ = False  # not a pytest test class, despite the name

    base_url: str
    dir: Path
    trust_bundle: Path
    untrusted_root: Path
    tsa_url: str
    tsa_short_url: str
    passphrase: bytes
    ocsp_url: str = ""  # the sub-CA's (delegated) OCSP responder
    now: datetime | None = None  # the instant the relative dates of pki.yml were rendered against
    arch: Any = field(default=None, repr=False, compare=False)  # certomancer PKIArchitecture, for odd cases

    def p12(self, label: str) -> Path:
        return self._existing(self.dir / "p12" / f"{label}.p12", label)

    def cert_pem(self, label: str) -> Path:
        return self._existing(self.dir / "certs" / f"{label}.cert.pem", label)

    def key_pem(self, label: str) -> Path:
        """PKCS#8 PEM, unencrypted (what ``softhsm2-util --import`` takes)."""
        return self._existing(self.dir / "keys" / f"{label}.key.pem", label)

    def chain_pems(self, label: str) -> list[Path]:
        """Intermediates between ``label`` and its root, nearest first; the root itself is not included."""
        from certomancer.registry import CertLabel

        chain = [str(c) for c in self.arch.get_chain(CertLabel(label))]
        return [self.cert_pem(c) for c in chain if not self.arch.get_cert_spec(CertLabel(c)).self_signed]

    def crl_url(self, issuer: str = "sub-ca") -> str:
        """Latest DER CRL of ``root``, ``sub-ca`` or ``untrusted-root`` (append ``.pem`` for PEM)."""
        return f"{self.base_url}/{ARCH}/crls/{issuer}/latest.crl"

    def cert(self, label: str):
        """The certificate as an asn1crypto object (what pyHanko's APIs take)."""
        from certomancer.registry import CertLabel

        return self.arch.get_cert(CertLabel(label))

    @staticmethod
    def _existing(path: Path, label: str) -> Path:
        if not path.exists():
            raise KeyError(f"test PKI has no {path.parent.name} file for {label!r} ({path})")
        return path


def _write_files(arch, out: Path, passphrase: bytes) -> None:
    from asn1crypto import pem
    from certomancer.registry import CertLabel

    certs = out / "certs"
    p12s = out / "p12"
    certs.mkdir(parents=True, exist_ok=True)
    p12s.mkdir(parents=True, exist_ok=True)
    arch.dump_certs(str(certs), flat=True)  # certs/<label>.cert.pem for every cert of pki.yml
    for label in P12_LABELS:
        (p12s / f"{label}.p12").write_bytes(_pkcs12(arch, label, passphrase))
    root = pem.armor("CERTIFICATE", arch.get_cert(CertLabel("root")).dump())
    (out / "trust-bundle.pem").write_bytes(root)
    (out / "untrusted-root.pem").write_bytes(
        pem.armor("CERTIFICATE", arch.get_cert(CertLabel("untrusted-root")).dump())
    )


def _whole_second_animator():
    from certomancer.integrations.animator import Animator

    class WholeSecondAnimator(Animator):
        """certomancer stamps OCSP producedAt/thisUpdate with microseconds; DER (RFC 5280) forbids fractional
        seconds there and pyca/cryptography refuses to parse such responses, so round down to the second."""

        def at_time(self, request):
            return super().at_time(request).replace(microsecond=0)

    return WholeSecondAnimator


def _pkcs12(arch, label: str, passphrase: bytes) -> bytes:
    """Like certomancer's ``package_pkcs12`` (key, cert, whole chain up to the root) but with the cached key."""
    from certomancer.registry import CertLabel
    from cryptography import x509
    from cryptography.hazmat.primitives.serialization import BestAvailableEncryption, pkcs12

    lbl = CertLabel(label)
    key = _KEYS.get(arch.key_set.get_private_key(arch.get_cert_spec(lbl).subject_key).dump())
    cert = x509.load_der_x509_certificate(arch.get_cert(lbl).dump())
    chain = [x509.load_der_x509_certificate(arch.get_cert(c).dump()) for c in arch.get_chain(lbl)]
    return pkcs12.serialize_key_and_certificates(
        label.encode(), key, cert, chain, BestAvailableEncryption(passphrase)
    )


@contextmanager
def running_pki(workdir: Path, *, quiet: bool = True) -> Iterator[TestPKI]:
    """Render pki.yml for a free port on 127.0.0.1, write certs/keys/PKCS#12 under ``workdir`` and serve it.

    The socket is bound before the config is rendered (port 0, then read back), so there is no race for the port.
    """
    from certomancer.integrations.animator import AnimatorArchStore
    from certomancer.registry import CertomancerConfig
    from werkzeug.serving import WSGIRequestHandler, make_server

    workdir = Path(workdir).resolve()
    workdir.mkdir(parents=True, exist_ok=True)
    _install_fast_backend()

    class Handler(WSGIRequestHandler):
        def log_request(self, *args, **kwargs):
            if not quiet:
                super().log_request(*args, **kwargs)

    server = make_server("127.0.0.1", 0, lambda env, start: [], threaded=True, request_handler=Handler)
    try:
        base_url = f"http://127.0.0.1:{server.server_port}"
        now = datetime.now(timezone.utc).replace(microsecond=0)
        rendered = render_config(TEMPLATE.read_text(encoding="utf-8"), base_url, now)
        (workdir / "certomancer.yml").write_text(rendered, encoding="utf-8")  # usable with the certomancer CLI
        config = yaml.safe_load(rendered)
        _generate_keys(config, workdir)
        cfg = CertomancerConfig(
            {k: v for k, v in config.items() if k != "generate-keys"},
            key_search_dir=str(workdir),
            external_url_prefix=base_url,
        )
        arch = cfg.get_pki_arch(ARCH)
        _write_files(arch, workdir, PASSPHRASE)
        server.app = _whole_second_animator()(AnimatorArchStore(cfg.pki_archs), with_web_ui=True)
        thread = threading.Thread(target=server.serve_forever, name="testpki-animator", daemon=True)
        thread.start()
        try:
            yield TestPKI(
                base_url=base_url,
                dir=workdir,
                trust_bundle=workdir / "trust-bundle.pem",
                untrusted_root=workdir / "untrusted-root.pem",
                tsa_url=f"{base_url}/{ARCH}/tsa/tsa",
                tsa_short_url=f"{base_url}/{ARCH}/tsa/tsa-short",
                passphrase=PASSPHRASE,
                ocsp_url=f"{base_url}/{ARCH}/ocsp/sub-ca",
                now=now,
                arch=arch,
            )
        finally:
            server.shutdown()
            thread.join(timeout=5)
    finally:
        server.server_close()


@dataclass
class SoftToken:
    """A SoftHSM2 token holding one signer's key and certificate, under the same label."""

    module: str
    token_label: str
    pin: str
    key_label: str
    cert_label: str
    env: dict[str, str]  # {"SOFTHSM2_CONF": ...}: pass it to subprocesses that open the token
    so_pin: str = ""


_CERT_IMPORT = r"""
import sys, pkcs11
from asn1crypto import pem
from pkcs11 import Attribute
from pkcs11.util.x509 import decode_x509_certificate
module, token_label, pin, label, key_id, cert_path = sys.argv[1:]
data = open(cert_path, "rb").read()
if pem.detect(data):
    data = pem.unarmor(data)[2]
attrs = decode_x509_certificate(data)
attrs.update({Attribute.TOKEN: True, Attribute.LABEL: label, Attribute.ID: bytes.fromhex(key_id)})
with pkcs11.lib(module).get_token(token_label=token_label).open(user_pin=pin, rw=True) as s:
    s.create_object(attrs)
"""


def softhsm_token(pki: TestPKI, workdir: Path, label: str = "agency") -> SoftToken:
    """Put ``label``'s key and certificate on a fresh SoftHSM2 token under ``workdir`` and point this process at it.

    SoftHSM reads ``SOFTHSM2_CONF`` when the PKCS#11 library is initialised, so this sets it in ``os.environ``
    and must run before this process loads the library with any other config. The token is filled in child
    processes (``softhsm2-util`` for the key, python-pkcs11 for the certificate); if this process already has the
    library loaded, it is re-initialised so the new token shows up (which closes sessions it had open).
    Idempotent for the same ``workdir`` and ``label``.
    """
    if shutil.which("softhsm2-util") is None or not Path(SOFTHSM_MODULE).exists():
        raise RuntimeError(f"SoftHSM2 is not installed (softhsm2-util, {SOFTHSM_MODULE})")
    hsm = Path(workdir).resolve() / "softhsm"
    tokens = hsm / "tokens"
    tokens.mkdir(parents=True, exist_ok=True)
    conf = hsm / "softhsm2.conf"
    if not conf.exists():
        conf.write_text(
            f"directories.tokendir = {tokens}\nobjectstore.backend = file\nlog.level = ERROR\nslots.removable = false\n"
        )
    env_conf = {"SOFTHSM2_CONF": str(conf)}
    loaded = "pkcs11" in sys.modules and SOFTHSM_MODULE in getattr(sys.modules["pkcs11"], "_loaded", {})
    previous = os.environ.get("SOFTHSM2_CONF")
    if loaded and previous != str(conf):
        raise RuntimeError(
            f"the PKCS#11 library is already loaded with SOFTHSM2_CONF={previous!r}; "
            f"SoftHSM cannot switch to {conf} in this process"
        )
    os.environ["SOFTHSM2_CONF"] = str(conf)

    token = SoftToken(
        module=SOFTHSM_MODULE,
        token_label=f"sohoa-{label}"[:32],
        pin="1234",
        key_label=label,
        cert_label=label,
        env=env_conf,
        so_pin="12345678",
    )
    # the marker holds the certificate's hash: a restarted PKI re-issues certificates (new port in their URLs)
    done = hsm / f"{token.token_label}.ready"
    cert_sha = hashlib.sha256(pki.cert_pem(label).read_bytes()).hexdigest()
    if done.exists() and done.read_text() == cert_sha:
        return token

    env = {**os.environ, **env_conf}

    def run(*cmd: str, check: bool = True) -> None:
        res = subprocess.run(cmd, env=env, capture_output=True, text=True)
        if check and res.returncode != 0:
            raise RuntimeError(f"{' '.join(cmd[:2])} failed ({res.returncode}): {res.stdout}{res.stderr}")

    key_id = "01"
    done.unlink(missing_ok=True)
    # a stale or half-made token of that label would make get_token(token_label=...) ambiguous
    run("softhsm2-util", "--delete-token", "--token", token.token_label, check=False)
    run("softhsm2-util", "--init-token", "--free", "--label", token.token_label,
        "--so-pin", token.so_pin, "--pin", token.pin)  # fmt: skip
    run("softhsm2-util", "--import", str(pki.key_pem(label)), "--token", token.token_label,
        "--label", token.key_label, "--id", key_id, "--pin", token.pin)  # fmt: skip
    run(sys.executable, "-c", _CERT_IMPORT, token.module, token.token_label, token.pin,
        token.cert_label, key_id, str(pki.cert_pem(label)))  # fmt: skip
    done.write_text(cert_sha)
    if loaded:
        sys.modules["pkcs11"].lib(SOFTHSM_MODULE).reinitialize()
    return token
