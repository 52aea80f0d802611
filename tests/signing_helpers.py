"""What the signing tests share: the sample decision and keyring (bench/testpki), and a few PDF probes."""

from __future__ import annotations

import io
import re
import subprocess
from pathlib import Path

from bench.testpki.samples import PASSPHRASE_ENV, decree30_pdf, write_keyring  # noqa: F401 - re-exported for tests


def signature_contents(pdf: bytes, index: int = -1) -> tuple[bytes, bytes]:
    """(CMS DER, signed bytes) of a signature, cut out by hand from /ByteRange and /Contents (no pyHanko)."""
    ranges = [list(map(int, m.groups())) for m in re.finditer(rb"/ByteRange\s*\[\s*(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s*\]", pdf)]
    a, b, c, d = ranges[index]
    signed = pdf[a:a + b] + pdf[c:c + d]
    hexed = pdf[a + b:c].strip(b"<> \r\n")
    der = bytes.fromhex(hexed.decode())
    # the reserved space is padded with zeros: keep the DER object only
    length, header = _der_length(der)
    return der[:header + length], signed


def _der_length(der: bytes) -> tuple[int, int]:
    first = der[1]
    if first < 0x80:
        return first, 2
    n = first & 0x7F
    return int.from_bytes(der[2:2 + n], "big"), 2 + n


def pdfsig(path: Path) -> str:
    return subprocess.run(["pdfsig", str(path)], capture_output=True, text=True, timeout=60).stdout


def flip_byte_in_signed_range(pdf: bytes) -> bytes:
    """Change one byte of page content covered by the first signature."""
    data = bytearray(pdf)
    at = data.index(b"stream", 200) + 20
    data[at] = (data[at] + 1) % 256
    return bytes(data)


def page_content_changed(pdf: bytes) -> bytes:
    """An incremental update that draws on page 1 — a change no signature allows."""
    from pyhanko.pdf_utils import generic
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter

    w = IncrementalPdfFileWriter(io.BytesIO(pdf), strict=False)
    page_ref = w.root["/Pages"]["/Kids"].raw_get(0)
    page = page_ref.get_object()
    stream = generic.StreamObject(stream_data=b"q 1 0 0 RG 50 50 m 500 500 l S Q")
    ref = w.add_object(stream)
    contents = page["/Contents"]
    arr = generic.ArrayObject(list(contents) if isinstance(contents, generic.ArrayObject) else [contents])
    arr.append(ref)
    page["/Contents"] = arr
    w.mark_update(page_ref)
    out = io.BytesIO()
    w.write(out)
    return out.getvalue()
