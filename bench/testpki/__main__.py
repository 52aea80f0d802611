"""Serve the test PKI by hand, for poking at sohoa's signing service outside pytest.

    python -m bench.testpki DIR [--softhsm]

Writes certificates, keys and PKCS#12 files under DIR (keys are reused if DIR already has them), prints the
service URLs and file paths, logs requests, and serves until Ctrl-C. The port changes at every start, and with it
the URLs embedded in the certificates, so the certificates are re-issued each time.
"""

from __future__ import annotations

import argparse
import threading
from pathlib import Path

from . import LEAF_LABELS, running_pki, softhsm_token


def main() -> None:
    ap = argparse.ArgumentParser(prog="python -m bench.testpki", description=__doc__.splitlines()[0])
    ap.add_argument("dir", type=Path, help="work directory for keys, certificates and PKCS#12 files")
    ap.add_argument("--softhsm", action="store_true", help="also put the agency key on a SoftHSM2 token in DIR")
    args = ap.parse_args()

    with running_pki(args.dir, quiet=False) as pki:
        print(f"base URL         {pki.base_url}   (web UI at /)")
        print(f"TSA              {pki.tsa_url}")
        print(f"TSA (short)      {pki.tsa_short_url}")
        print(f"OCSP (sub-CA)    {pki.ocsp_url}")
        for ca in ("root", "sub-ca", "untrusted-root"):
            print(f"{'CRL ' + ca:<17}{pki.crl_url(ca)}")
        print(f"trust bundle     {pki.trust_bundle}")
        print(f"untrusted root   {pki.untrusted_root}")
        print(f"PKCS#12 pass     {pki.passphrase.decode()}")
        for label in LEAF_LABELS:
            print(f"  {label:<14} {pki.p12(label)}  key {pki.key_pem(label)}")
        if args.softhsm:
            tok = softhsm_token(pki, args.dir)
            print(f"SoftHSM          SOFTHSM2_CONF={tok.env['SOFTHSM2_CONF']} module={tok.module}")
            print(f"                 token={tok.token_label} pin={tok.pin} key/cert label={tok.key_label}")
        print("serving; Ctrl-C to stop", flush=True)
        try:
            threading.Event().wait()
        except KeyboardInterrupt:
            pass


if __name__ == "__main__":
    main()
