"""A 500-page PDF is streamed page by page: it lands whole and memory stays bounded."""

from __future__ import annotations

import io
import resource

import pikepdf
import pytest
from PIL import Image, ImageDraw
from sqlalchemy import select

from storage.catalog import Document
from tests.helpers import digitize, qpdf_check

pytestmark = pytest.mark.slow


def five_hundred_pages(path, pages=500):
    """Scanned back sides at 100 dpi (blank, so the test measures streaming rather than OCR speed)."""
    img = Image.new("RGB", (827, 1169), (246, 244, 238))
    ImageDraw.Draw(img).rectangle((0, 0, 10, 1169), fill=(90, 90, 90))  # scanner edge shadow
    buf = io.BytesIO()
    img.save(buf, "JPEG", quality=80)
    pdf = pikepdf.new()
    for _ in range(pages):
        page = pdf.add_blank_page(page_size=(595.3, 841.9))
        xobj = pikepdf.Stream(pdf, buf.getvalue(),
            Type=pikepdf.Name.XObject, Subtype=pikepdf.Name.Image, Width=827, Height=1169,
                    ColorSpace=pikepdf.Name.DeviceRGB, BitsPerComponent=8, Filter=pikepdf.Name.DCTDecode)
        page.Resources = pikepdf.Dictionary(XObject=pikepdf.Dictionary(Im0=xobj))
        page.Contents = pdf.make_stream(b"q 595.3 0 0 841.9 0 0 cm /Im0 Do Q")
    pdf.save(path)
    return path


def test_500_page_pdf_lands_whole_with_bounded_memory(rt, tmp_path):
    src = five_hundred_pages(tmp_path / "archive-box.pdf")
    status = digitize(rt, [src])
    assert status["state"] == "done", status["files"][0]["error"]
    with rt.catalog.session() as s:
        doc = s.scalars(select(Document)).one()
    assert doc.page_count == 500
    out = rt.store.copy_to(doc.pdf_sha256, tmp_path / "out.pdf")
    qpdf_check(out)
    with pikepdf.open(out) as pdf:
        assert len(pdf.pages) == 500
    # peak RSS of the page workers (children) and of this process (which assembled the PDF), in MiB
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    me = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    assert children < 500, f"a page worker peaked at {children:.0f} MiB"
    assert me < 800, f"the assembling process peaked at {me:.0f} MiB"
