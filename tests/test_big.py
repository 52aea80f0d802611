"""A 500-page PDF is streamed page by page: it lands whole and memory stays bounded."""

from __future__ import annotations

import io
import os
import subprocess
import sys
import time

import pikepdf
import psutil
import pytest
from PIL import Image, ImageDraw
from sqlalchemy import select

from ingest.runtime import Runtime
from ingest.settings import Settings
from storage.catalog import Document
from tests.helpers import qpdf_check

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


def test_500_page_pdf_lands_whole_with_bounded_memory(tmp_path):
    """Digitized by the real CLI in its own process tree, whose every process's RSS is sampled."""
    src = five_hundred_pages(tmp_path / "archive-box.pdf")
    env = {**os.environ, "SOHOA_DATA_DIR": str(tmp_path / "var"), "SOHOA_JOBS": "2"}
    proc = subprocess.Popen([sys.executable, "-m", "api.cli", "digitize", str(src)], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    peak: dict[int, float] = {}
    root = psutil.Process(proc.pid)
    while proc.poll() is None:
        try:
            for p in [root, *root.children(recursive=True)]:
                try:
                    peak[p.pid] = max(peak.get(p.pid, 0), p.memory_info().rss / 2**20)
                except psutil.Error:
                    pass
        except psutil.Error:
            pass
        time.sleep(0.2)
    assert proc.wait() == 0, proc.stderr.read()[-2000:]
    rt = Runtime(Settings(data_dir=tmp_path / "var"))
    with rt.catalog.session() as s:
        doc = s.scalars(select(Document)).one()
    assert doc.page_count == 500
    out = rt.store.copy_to(doc.pdf_sha256, tmp_path / "out.pdf")
    rt.close()
    qpdf_check(out)
    with pikepdf.open(out) as pdf:
        assert len(pdf.pages) == 500
    assert max(peak.values()) < 400, f"a process peaked at {max(peak.values()):.0f} MiB"
