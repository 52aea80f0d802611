"""Long-term validation upkeep: when must a B-LT/B-LTA document get a new document timestamp?

A long-term document stays verifiable as long as its newest timestamp does: that timestamp proves everything
before it existed while its TSA certificate was valid. So renewal is due before that certificate expires
(``PadesSigner.extend`` adds fresh revocation data and a new document timestamp).
"""

from __future__ import annotations

import io
from datetime import datetime

from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.validation.generic_cms import extract_tst_data_iter


def last_timestamp_expiry(pdf: bytes) -> datetime | None:
    """When the certificate of the newest timestamp (document timestamp, else signature timestamp) expires."""
    reader = PdfFileReader(io.BytesIO(pdf), strict=False)
    newest = None
    for sig in reader.embedded_signatures:
        if sig.sig_object_type == "/DocTimeStamp":
            cert = sig.signer_cert
        else:
            tokens = list(extract_tst_data_iter(sig.signer_info, signed=False))
            cert = _tst_signer(tokens[-1]) if tokens else None
        if cert is None:
            continue
        if newest is None or sig.signed_revision >= newest[0]:
            newest = (sig.signed_revision, cert.not_valid_after)
    return newest[1] if newest else None


def _tst_signer(signed_data):
    sid = signed_data["signer_infos"][0]["sid"]
    for c in signed_data["certificates"] or []:
        cert = c.chosen
        if sid.name == "issuer_and_serial_number":
            if cert.issuer == sid.chosen["issuer"] and cert.serial_number == sid.chosen["serial_number"].native:
                return cert
        elif cert.key_identifier == sid.chosen.native:
            return cert
    return None
