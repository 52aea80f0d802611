"""The block hex-string reader must read exactly what pyHanko's own reader reads, and fail where it fails."""

from __future__ import annotations

import io

import pytest
from pyhanko.pdf_utils.misc import PdfStreamError

from signing import pdfspeed


@pytest.mark.parametrize("data", [
    b"<>", b"<41>", b"<414>", b"<41 42\n43\r\n\t44>", b"<" + b"ab" * 40000 + b">", b"<" + b"0" * 65535 + b"1>",
    b"<4E6F762073686D6F7A206B6120706F702E> 12 0 obj", b"<E1BBA6 79>",
])
def test_same_as_pyhanko(data):
    ours, theirs = io.BytesIO(data), io.BytesIO(data)
    a = pdfspeed.read_hex_string(ours)
    b = pdfspeed._original(theirs)
    assert a == b and type(a) is type(b)
    assert ours.tell() == theirs.tell()  # the stream is left just after '>'


@pytest.mark.parametrize("data", [b"<41 4G>", b"<4142", b"<41/42>"])
def test_bad_hex_fails_like_pyhanko(data):
    with pytest.raises(PdfStreamError):
        pdfspeed._original(io.BytesIO(data))
    with pytest.raises(PdfStreamError):
        pdfspeed.read_hex_string(io.BytesIO(data))


def test_installed_in_pyhanko():
    from pyhanko.pdf_utils import generic

    assert generic.read_hex_string_from_stream is pdfspeed.read_hex_string
